//! A project's money as staff enter it: expenses in a public ledger, and the
//! decisions that allocate unrestricted gifts to a project ("12 000 € of the
//! spring gifts go to the well"). The arithmetic of allocation is in
//! [`crate::allocation`]; this module checks what staff typed.

use crate::Locale;
use crate::money::{Money, parse_amount};
use crate::settings::FieldError;

/// What an expense paid for. A fixed list, so that totals by category mean the
/// same from one project to the next and read in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExpenseCategory {
    /// Building materials, pipes, cement.
    Materials,
    /// Wages of the people who do the work.
    Labour,
    /// Machines, pumps, tools.
    Equipment,
    /// Carrying people and goods.
    Transport,
    /// Surveys, studies, permits.
    Studies,
    /// Training the people who will run it.
    Training,
    /// Anything else.
    Other,
}

impl ExpenseCategory {
    /// Every category, in the order forms list them.
    pub const ALL: [ExpenseCategory; 7] = [
        Self::Materials,
        Self::Labour,
        Self::Equipment,
        Self::Transport,
        Self::Studies,
        Self::Training,
        Self::Other,
    ];

    /// Stored and submitted form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Materials => "materials",
            Self::Labour => "labour",
            Self::Equipment => "equipment",
            Self::Transport => "transport",
            Self::Studies => "studies",
            Self::Training => "training",
            Self::Other => "other",
        }
    }

    /// Parses the stored or submitted form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// An expense as staff type it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ExpenseInput {
    /// `YYYY-MM-DD`.
    pub spent_on: String,
    /// One of [`ExpenseCategory`]'s stored forms.
    pub category: String,
    /// What was bought, from whom.
    pub label: String,
    /// Euros as typed.
    pub amount: String,
}

/// A checked expense.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpenseDraft {
    /// When it was paid.
    pub spent_on: jiff::civil::Date,
    /// What for.
    pub category: ExpenseCategory,
    /// Description shown in the public ledger.
    pub label: String,
    /// How much.
    pub amount: Money,
}

fn date(raw: &str, field: &'static str, errors: &mut Vec<FieldError>) -> Option<jiff::civil::Date> {
    raw.trim()
        .parse::<jiff::civil::Date>()
        .map_err(|_| {
            let code = if raw.trim().is_empty() {
                "err-required"
            } else {
                "err-date"
            };
            errors.push(FieldError::new(field, code));
        })
        .ok()
}

impl ExpenseInput {
    /// Checks the fields; an expense cannot be dated after `today` (the ledger
    /// records money spent, not planned).
    pub fn parse(&self, today: jiff::civil::Date, locale: Locale) -> Result<ExpenseDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let spent_on = date(&self.spent_on, "spent_on", &mut errors).filter(|d| {
            let ok = *d <= today;
            if !ok {
                errors.push(FieldError::new("spent_on", "err-date-future"));
            }
            ok
        });
        let category = ExpenseCategory::parse(&self.category);
        if category.is_none() {
            errors.push(FieldError::new("category", "err-required"));
        }
        let label = self.label.trim().to_owned();
        if label.is_empty() {
            errors.push(FieldError::new("label", "err-required"));
        } else if label.chars().count() > 200 || label.chars().any(char::is_control) {
            errors.push(FieldError::new("label", "err-too-long"));
        }
        let amount = parse_amount(&self.amount)
            .map_err(|e| errors.push(e.field_error("amount", locale)))
            .ok();
        match (spent_on, category, amount) {
            (Some(spent_on), Some(category), Some(amount)) if errors.is_empty() => Ok(ExpenseDraft {
                spent_on,
                category,
                label,
                amount,
            }),
            _ => Err(errors),
        }
    }
}

/// A staff decision to allocate unrestricted gifts to a project, as typed.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct AllocationInput {
    /// Euros to allocate.
    pub amount: String,
    /// First day of the gifts drawn on, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, included.
    pub to: String,
    /// Only the gifts of this campaign (its id); empty: every unrestricted gift.
    pub campaign: String,
    /// The decision's name in the trace (`Dons du printemps`); empty: the period.
    pub label: String,
}

/// A checked allocation request. The store turns the days into instants in the
/// association's time zone and draws on the matching gifts.
#[derive(Debug, Clone, PartialEq)]
pub struct AllocationDraft {
    /// How much.
    pub amount: Money,
    /// First day, included.
    pub from: jiff::civil::Date,
    /// Last day, included.
    pub to: jiff::civil::Date,
    /// Only this campaign's gifts.
    pub campaign_id: Option<i64>,
    /// Name of the decision.
    pub label: String,
}

impl AllocationInput {
    /// Checks the fields; every problem at once.
    pub fn parse(&self, locale: Locale) -> Result<AllocationDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let amount = parse_amount(&self.amount)
            .map_err(|e| errors.push(e.field_error("amount", locale)))
            .ok();
        let from = date(&self.from, "from", &mut errors);
        let to = date(&self.to, "to", &mut errors);
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            errors.push(FieldError::new("to", "err-date-order"));
        }
        let campaign_id = match self.campaign.trim() {
            "" => None,
            raw => raw
                .parse::<i64>()
                .map_err(|_| errors.push(FieldError::new("campaign", "err-required")))
                .ok(),
        };
        let mut label = self.label.trim().to_owned();
        if label.chars().count() > 120 || label.chars().any(char::is_control) {
            errors.push(FieldError::new("label", "err-too-long"));
        }
        match (amount, from, to) {
            (Some(amount), Some(from), Some(to)) if errors.is_empty() => {
                if label.is_empty() {
                    label = format!("{from} – {to}");
                }
                Ok(AllocationDraft {
                    amount,
                    from,
                    to,
                    campaign_id,
                    label,
                })
            }
            _ => Err(errors),
        }
    }
}

/// The instants `[start, end)` covering the days `from` to `to` (included) in
/// the time zone `tz` (an IANA name; UTC when unknown): a gift received at 23:30
/// in Paris on the last day belongs to that day, not the next.
pub fn day_range(from: jiff::civil::Date, to: jiff::civil::Date, tz: &str) -> (i64, i64) {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    let start = |d: jiff::civil::Date| {
        d.to_zoned(zone.clone())
            .map(|z| z.timestamp().as_second())
            .unwrap_or(i64::MAX)
    };
    let end = to.tomorrow().map_or(i64::MAX, start);
    (start(from), end)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn an_expense_needs_a_past_date_a_category_and_an_amount() {
        let input = ExpenseInput {
            spent_on: "2026-03-02".into(),
            category: "materials".into(),
            label: "Ciment, 40 sacs".into(),
            amount: "1 250,50".into(),
        };
        let d = input.parse(date(2026, 3, 10), Locale::Fr).unwrap();
        assert_eq!(d.category, ExpenseCategory::Materials);
        assert_eq!(d.amount, Money::from_cents(125_050));
        let errors = input.parse(date(2026, 3, 1), Locale::Fr).unwrap_err();
        assert_eq!((errors[0].field, errors[0].code), ("spent_on", "err-date-future"));
        let bad = ExpenseInput {
            category: "champagne".into(),
            amount: "0".into(),
            label: " ".into(),
            spent_on: String::new(),
        };
        let codes: Vec<_> = bad
            .parse(date(2026, 3, 10), Locale::Fr)
            .unwrap_err()
            .iter()
            .map(|e| (e.field, e.code))
            .collect();
        assert_eq!(
            codes,
            [
                ("spent_on", "err-required"),
                ("category", "err-required"),
                ("label", "err-required"),
                ("amount", "err-amount-positive")
            ]
        );
    }

    #[test]
    fn an_allocation_names_its_period_when_staff_do_not() {
        let input = AllocationInput {
            amount: "12000".into(),
            from: "2026-03-20".into(),
            to: "2026-06-20".into(),
            ..Default::default()
        };
        let d = input.parse(Locale::Fr).unwrap();
        assert_eq!(d.amount, Money::from_cents(1_200_000));
        assert_eq!(d.label, "2026-03-20 – 2026-06-20");
        assert_eq!(d.campaign_id, None);
        let named = AllocationInput {
            label: "Dons du printemps".into(),
            campaign: "7".into(),
            ..input.clone()
        };
        let d = named.parse(Locale::Fr).unwrap();
        assert_eq!((d.label.as_str(), d.campaign_id), ("Dons du printemps", Some(7)));
        let backwards = AllocationInput {
            from: "2026-06-21".into(),
            ..input
        };
        assert_eq!(backwards.parse(Locale::Fr).unwrap_err()[0].code, "err-date-order");
    }

    #[test]
    fn days_are_whole_days_in_the_associations_time_zone() {
        let (start, end) = day_range(date(2026, 1, 1), date(2026, 1, 1), "Europe/Paris");
        // Midnight in Paris is 23:00 UTC the day before, in winter.
        assert_eq!(start, 1_767_222_000);
        assert_eq!(end - start, 86_400);
        let (start, _) = day_range(date(2026, 1, 1), date(2026, 1, 1), "Nowhere/Unknown");
        assert_eq!(start, 1_767_225_600);
    }
}
