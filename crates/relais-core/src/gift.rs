//! Gifts and the campaigns that ask for them, as people type them: checked
//! field by field, every problem at once, so a refused form comes back whole.

use crate::email::{Email, EmailError};
use crate::money::{Money, check_range, parse_amount};
use crate::phone::Phone;
use crate::settings::FieldError;
use crate::slug::Slug;
use crate::{Locale, petition::slugify};

/// Once, or every month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// A single gift.
    Once,
    /// A monthly gift until cancelled.
    Monthly,
}

impl Frequency {
    /// Stored and submitted form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Once => "once",
            Self::Monthly => "monthly",
        }
    }

    /// Parses the stored or submitted form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "once" => Some(Self::Once),
            "monthly" => Some(Self::Monthly),
            _ => None,
        }
    }
}

/// The smallest gift: below it card fees eat the gift.
pub const MIN_GIFT: Money = Money::from_cents(100);
/// The largest gift taken online by default: larger ones are better made by
/// transfer, with a conversation.
pub const MAX_GIFT: Money = Money::from_cents(1_000_000);

/// The tips a donor may add for the platform's operator, in cents (none is the default).
pub const TIP_CHOICES: [i64; 3] = [100, 200, 500];

/// Reads the tip field: empty or `0` is no tip; otherwise one of [`TIP_CHOICES`]
/// in euros (`1`, `2`, `5`). `None` for anything else: a tip is never guessed.
pub fn parse_tip(s: &str) -> Option<Money> {
    let s = s.trim();
    if s.is_empty() || s == "0" {
        return Some(Money::from_cents(0));
    }
    let euros: i64 = s.parse().ok()?;
    let cents = euros.checked_mul(100)?;
    TIP_CHOICES.contains(&cents).then(|| Money::from_cents(cents))
}

/// The donation form's fields as sent (`POST /d/{slug}`, see DESIGN).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct GiftInput {
    /// Euros as typed (`12`, `12,50`); a suggested amount's button sends it too.
    pub amount: String,
    /// `once` or `monthly`.
    pub frequency: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// E-mail address.
    pub email: String,
    /// Street address (required for a tax receipt).
    pub address: String,
    /// Postcode.
    pub postcode: String,
    /// City.
    pub city: String,
    /// ISO country code, empty for France.
    pub country: String,
    /// Wants a tax receipt (`on`, `true`, `1`).
    pub receipt: String,
    /// Agrees to the association's newsletter.
    pub consent_newsletter: String,
    /// Mobile number, optional (`06 12 34 56 78`, `+33 6…`): impact news by SMS.
    pub phone: String,
    /// Agrees to be told what the gift achieved (`on`, `true`, `1`).
    pub consent_impact: String,
}

/// A gift that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct GiftDraft {
    /// Amount.
    pub amount: Money,
    /// Once or monthly.
    pub frequency: Frequency,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Normalised address.
    pub email: Email,
    /// Street address.
    pub address: String,
    /// Postcode.
    pub postcode: String,
    /// City.
    pub city: String,
    /// Upper-case country code.
    pub country: String,
    /// Wants a tax receipt.
    pub wants_receipt: bool,
    /// Agrees to the newsletter.
    pub consent_newsletter: bool,
    /// Mobile number in E.164 form, when given.
    pub phone: Option<Phone>,
    /// Agrees to be told what the gift achieved (by SMS when a number was given, else e-mail).
    pub consent_impact: bool,
}

fn yes(raw: &str) -> bool {
    matches!(raw.trim(), "on" | "true" | "1" | "yes")
}

fn text(raw: &str, field: &'static str, max: usize, required: bool, errors: &mut Vec<FieldError>) -> String {
    let value = raw.trim().to_owned();
    if value.is_empty() && required {
        errors.push(FieldError::new(field, "err-required"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(field, "err-too-long"));
    } else if value.chars().any(char::is_control) {
        errors.push(FieldError::new(field, "err-name"));
    }
    value
}

impl GiftInput {
    /// Checks the fields for a campaign that allows `frequencies`, with amounts
    /// between `min` and `max`; messages with bounds are written for `locale`.
    pub fn parse(
        &self,
        frequencies: &[Frequency],
        min: Money,
        max: Money,
        locale: Locale,
    ) -> Result<GiftDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let amount = parse_amount(&self.amount)
            .and_then(|m| check_range(m, min, max).map(|()| m))
            .map_err(|e| errors.push(e.field_error("amount", locale)))
            .ok();
        let frequency = Frequency::parse(self.frequency.trim())
            .or_else(|| self.frequency.trim().is_empty().then_some(Frequency::Once))
            .filter(|f| frequencies.contains(f));
        if frequency.is_none() {
            errors.push(FieldError::new("frequency", "err-frequency"));
        }
        let wants_receipt = yes(&self.receipt);
        let first_name = text(&self.first_name, "first_name", 80, true, &mut errors);
        let last_name = text(&self.last_name, "last_name", 80, true, &mut errors);
        let email = Email::parse(&self.email)
            .map_err(|e| {
                let code = if e == EmailError::Empty {
                    "err-required"
                } else {
                    "err-email"
                };
                errors.push(FieldError::new("email", code));
            })
            .ok();
        // A receipt must name the donor's address (CERFA 11580); without one the
        // address is still welcome but not required.
        let address = text(&self.address, "address", 200, wants_receipt, &mut errors);
        let city = text(&self.city, "city", 100, wants_receipt, &mut errors);
        let country = if self.country.trim().is_empty() {
            "FR".to_owned()
        } else {
            self.country.trim().to_uppercase()
        };
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            errors.push(FieldError::new("country", "err-country"));
        }
        let postcode: String = self.postcode.chars().filter(|c| !c.is_whitespace()).collect();
        if postcode.is_empty() {
            if wants_receipt {
                errors.push(FieldError::new("postcode", "err-required"));
            }
        } else if (country == "FR" && (postcode.len() != 5 || !postcode.chars().all(|c| c.is_ascii_digit())))
            || postcode.len() > 12
        {
            errors.push(FieldError::new("postcode", "err-postcode"));
        }
        let phone = match self.phone.trim() {
            "" => None,
            raw => Phone::parse(raw)
                .map_err(|_| errors.push(FieldError::new("phone", "err-phone")))
                .ok(),
        };
        match (amount, frequency, email) {
            (Some(amount), Some(frequency), Some(email)) if errors.is_empty() => Ok(GiftDraft {
                amount,
                frequency,
                first_name,
                last_name,
                email,
                address,
                postcode,
                city,
                country,
                wants_receipt,
                consent_newsletter: yes(&self.consent_newsletter),
                phone,
                consent_impact: yes(&self.consent_impact),
            }),
            _ => Err(errors),
        }
    }
}

/// A campaign as staff type it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct CampaignInput {
    /// Title.
    pub title: String,
    /// URL slug (empty: from the title).
    pub slug: String,
    /// Text, Markdown.
    pub body: String,
    /// Goal in euros (empty: none).
    pub goal: String,
    /// Suggested amounts in euros, comma- or space-separated (`20, 50, 100`).
    pub amounts: String,
    /// Allows one-off gifts (`on`).
    pub once: String,
    /// Allows monthly gifts (`on`).
    pub monthly: String,
    /// Said on the thank-you page and e-mail.
    pub thanks: String,
}

/// A checked campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignDraft {
    /// Title.
    pub title: String,
    /// Slug.
    pub slug: Slug,
    /// Markdown text.
    pub body: String,
    /// Goal.
    pub goal: Option<Money>,
    /// Suggested amounts, ascending.
    pub amounts: Vec<Money>,
    /// Frequencies offered.
    pub frequencies: Vec<Frequency>,
    /// Thank-you message.
    pub thanks: String,
    /// The project every gift of the campaign goes to (a restricted campaign), set
    /// by the caller once it checked the project is the association's.
    pub project_id: Option<i64>,
}

impl CampaignInput {
    /// Checks the fields; all problems at once.
    pub fn parse(&self) -> Result<CampaignDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = text(&self.title, "title", 150, true, &mut errors);
        let slug_source = if self.slug.trim().is_empty() {
            slugify(&title)
        } else {
            self.slug.trim().to_owned()
        };
        let slug = Slug::parse(&slug_source)
            .map_err(|_| {
                if !title.is_empty() || !self.slug.trim().is_empty() {
                    errors.push(FieldError::new("slug", "err-slug-charset"));
                }
            })
            .ok();
        let body = self.body.trim().to_owned();
        if body.len() > 50_000 {
            errors.push(FieldError::new("body", "err-too-long"));
        }
        let goal = if self.goal.trim().is_empty() {
            None
        } else {
            parse_amount(&self.goal)
                .map_err(|e| errors.push(e.field_error("goal", Locale::Fr)))
                .ok()
        };
        let mut amounts = Vec::new();
        for part in self
            .amounts
            .split([',', ';', '/'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match parse_amount(part).and_then(|m| check_range(m, MIN_GIFT, MAX_GIFT).map(|()| m)) {
                Ok(m) if !amounts.contains(&m) => amounts.push(m),
                Ok(_) => {}
                Err(_) => {
                    errors.push(FieldError {
                        field: "amounts",
                        code: "err-amounts",
                        arg: Some(part.to_owned()),
                    });
                    break;
                }
            }
        }
        amounts.sort_unstable();
        if amounts.len() > 6 {
            errors.push(FieldError::new("amounts", "err-amounts-count"));
        }
        let mut frequencies = Vec::new();
        if yes(&self.once) {
            frequencies.push(Frequency::Once);
        }
        if yes(&self.monthly) {
            frequencies.push(Frequency::Monthly);
        }
        if frequencies.is_empty() {
            errors.push(FieldError::new("once", "err-frequencies"));
        }
        let thanks = text(&self.thanks, "thanks", 2_000, false, &mut errors);
        match slug {
            Some(slug) if errors.is_empty() => Ok(CampaignDraft {
                title,
                slug,
                body,
                goal,
                amounts,
                frequencies,
                thanks,
                project_id: None,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tip_tests {
    use super::*;

    #[test]
    fn a_tip_is_one_of_the_offered_amounts_or_nothing() {
        assert_eq!(parse_tip(""), Some(Money::from_cents(0)));
        assert_eq!(parse_tip("0"), Some(Money::from_cents(0)));
        assert_eq!(parse_tip("2"), Some(Money::from_cents(200)));
        assert_eq!(parse_tip("3"), None);
        assert_eq!(parse_tip("-1"), None);
        assert_eq!(parse_tip("99999999999999999"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gift() -> GiftInput {
        GiftInput {
            amount: "50".into(),
            frequency: "once".into(),
            first_name: "Jeanne".into(),
            last_name: "Martin".into(),
            email: "Jeanne.Martin@Example.org".into(),
            address: "12 rue des Lilas".into(),
            postcode: "69001".into(),
            city: "Lyon".into(),
            country: String::new(),
            receipt: "on".into(),
            consent_newsletter: String::new(),
            ..GiftInput::default()
        }
    }

    #[test]
    fn a_mobile_number_is_optional_and_kept_in_e164() {
        let mut g = gift();
        let d = g.parse(&BOTH, MIN_GIFT, MAX_GIFT, Locale::Fr).unwrap();
        assert_eq!((d.phone, d.consent_impact), (None, false));
        g.phone = " 06 12 34 56 78 ".into();
        g.consent_impact = "on".into();
        let d = g.parse(&BOTH, MIN_GIFT, MAX_GIFT, Locale::Fr).unwrap();
        assert_eq!(d.phone.as_ref().map(Phone::as_str), Some("+33612345678"));
        assert!(d.consent_impact);
        g.phone = "06 12".into();
        let errors = g.parse(&BOTH, MIN_GIFT, MAX_GIFT, Locale::Fr).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(fields, [("phone", "err-phone")]);
    }

    const BOTH: [Frequency; 2] = [Frequency::Once, Frequency::Monthly];

    #[test]
    fn a_complete_gift_passes() {
        let d = gift().parse(&BOTH, MIN_GIFT, MAX_GIFT, Locale::Fr).unwrap();
        assert_eq!(d.amount, Money::from_cents(5_000));
        assert_eq!(d.email.as_str(), "jeanne.martin@example.org");
        assert!(d.wants_receipt && !d.consent_newsletter);
        assert_eq!(d.country, "FR");
    }

    #[test]
    fn a_receipt_needs_an_address_and_amounts_their_bounds() {
        let mut g = gift();
        g.address = " ".into();
        g.city = String::new();
        g.postcode = String::new();
        g.amount = "0,50".into();
        let errors = g.parse(&BOTH, MIN_GIFT, MAX_GIFT, Locale::Fr).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field, e.code)).collect();
        assert!(fields.contains(&("amount", "err-amount-min")), "{fields:?}");
        assert!(fields.contains(&("address", "err-required")));
        assert!(fields.contains(&("city", "err-required")));
        assert!(fields.contains(&("postcode", "err-required")));
        // Without a receipt the address may be left out.
        g.receipt = String::new();
        g.amount = "20".into();
        assert!(g.parse(&BOTH, MIN_GIFT, MAX_GIFT, Locale::Fr).is_ok());
    }

    #[test]
    fn a_frequency_the_campaign_does_not_offer_is_refused() {
        let mut g = gift();
        g.frequency = "monthly".into();
        let errors = g.parse(&[Frequency::Once], MIN_GIFT, MAX_GIFT, Locale::Fr).unwrap_err();
        assert_eq!(errors[0].field, "frequency");
        g.frequency = "weekly".into();
        assert!(g.parse(&BOTH, MIN_GIFT, MAX_GIFT, Locale::Fr).is_err());
    }

    #[test]
    fn campaigns_take_suggested_amounts_in_order() {
        let input = CampaignInput {
            title: "Un puits pour Kpalimé".into(),
            amounts: "100, 20 ; 50, 20".into(),
            once: "on".into(),
            monthly: "on".into(),
            goal: "12 000".into(),
            ..Default::default()
        };
        let d = input.parse().unwrap();
        assert_eq!(d.slug.as_str(), "un-puits-pour-kpalime");
        assert_eq!(
            d.amounts,
            [
                Money::from_cents(2_000),
                Money::from_cents(5_000),
                Money::from_cents(10_000)
            ]
        );
        assert_eq!(d.goal, Some(Money::from_cents(1_200_000)));
        let bad = CampaignInput {
            amounts: "20, douze".into(),
            ..input
        };
        assert_eq!(bad.parse().unwrap_err()[0].code, "err-amounts");
        assert_eq!(CampaignInput::default().parse().unwrap_err()[0].field, "title");
    }
}
