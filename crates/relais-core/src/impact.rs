//! Telling contributors what their gift achieved: who is told, on which channel,
//! and what the personal message says. Pure rules: the store finds the people,
//! the web layer puts the words of each language around what is decided here.

use jiff::civil::Date;

use crate::Locale;
use crate::money::Money;
use crate::project::{Figure, Stage, format_count};

/// The consent purpose of impact messages, asked on the gift form ("tell me what
/// my gift achieved"). One box records it on `email`, and on `sms` as well when the
/// donor gave a mobile number.
pub const PURPOSE: &str = "impact";

/// How a contributor is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImpactChannel {
    /// An e-mail: room for the news itself, its photo and every link.
    Email,
    /// A text message: read at once, by donors who do not live in their mailbox.
    Sms,
}

impl ImpactChannel {
    /// Stored name (the outbox's and the consent ledger's channel).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Self::Email),
            "sms" => Some(Self::Sms),
            _ => None,
        }
    }
}

/// What the consent ledger and the person's record say about reaching them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reach {
    /// They gave a mobile number.
    pub has_phone: bool,
    /// The ledger's latest word on `sms` / [`PURPOSE`] is yes.
    pub sms_consent: bool,
    /// The ledger's latest word on `email` / [`PURPOSE`] is yes.
    pub email_consent: bool,
    /// Their address can receive mail (not an erased person, not an offline gift's placeholder).
    pub email_usable: bool,
}

/// The channel a contributor prefers among those they agreed to: SMS when they gave
/// a number and agreed to texts, else e-mail; `None` when nothing may be sent.
///
/// Withdrawing one channel leaves the other: a donor who stops the texts still
/// agreed to be told by e-mail, and is.
pub fn choose_channel(reach: Reach) -> Option<ImpactChannel> {
    if reach.has_phone && reach.sms_consent {
        Some(ImpactChannel::Sms)
    } else if reach.email_consent && reach.email_usable {
        Some(ImpactChannel::Email)
    } else {
        None
    }
}

/// The outbox topic of an update's messages (bulk: they yield to messages someone waits for).
pub fn update_topic(update_id: i64) -> String {
    format!("impact:{update_id}")
}

/// The idempotency key of one contributor's message about one update: told once,
/// whatever the number of their gifts, however often the fan-out runs.
pub fn update_key(update_id: i64, supporter_id: i64) -> String {
    format!("impact:{update_id}:{supporter_id}")
}

/// The idempotency key of an outcome reported for a gift: the caller's
/// `Idempotency-Key` when it sent one, else the day the gift was used.
pub fn outcome_key(gift_id: i64, idempotency_key: Option<&str>, used_on: Date) -> String {
    match idempotency_key {
        Some(key) => format!("outcome:{gift_id}:key:{key}"),
        None => format!("outcome:{gift_id}:{used_on}"),
    }
}

const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A day as people say it: `3 mars`, `1er mars 2025`, `3 March`, `3 March 2025`.
/// The year is left out within the current year: "your gift of 3 March" reads as
/// a letter does.
pub fn long_date(date: Date, today: Date, locale: Locale) -> String {
    let month = usize::try_from(date.month() - 1).unwrap_or(0).min(11);
    let day = match (locale, date.day()) {
        (Locale::Fr, 1) => "1er".to_owned(),
        (_, d) => d.to_string(),
    };
    let name = match locale {
        Locale::Fr => MONTHS_FR[month],
        Locale::En => MONTHS_EN[month],
    };
    // No-break spaces: "3 mars" never splits across two lines of an SMS or e-mail.
    if date.year() == today.year() {
        format!("{day}\u{a0}{name}")
    } else {
        format!("{day}\u{a0}{name}\u{a0}{}", date.year())
    }
}

/// What one contributor gave to a project: their gifts restricted to it and the
/// cents of their other gifts allocated to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contribution {
    /// Everything of theirs that reached the project.
    pub amount: Money,
    /// The day of their first gift that did.
    pub first_gift: Date,
    /// How many of their gifts did.
    pub gifts: u32,
}

/// A message in words still to be looked up: a catalogue id and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// Catalogue id (Fluent).
    pub id: &'static str,
    /// Named arguments, already formatted for the reader's language.
    pub args: Vec<(&'static str, String)>,
}

/// What the news brings, as the message tells it: the update's first figure when
/// it set figures, else the stage it announced, else only that there is news.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Achievement<'a> {
    /// "now 450 people served".
    Figure(&'a Figure),
    /// "the project is now completed".
    Stage(Stage),
    /// "here is its news".
    News,
}

impl<'a> Achievement<'a> {
    /// What an update announced, most concrete first.
    pub fn of(figures: Option<&'a [Figure]>, stage: Option<Stage>) -> Self {
        match (figures.and_then(<[Figure]>::first), stage) {
            (Some(f), _) => Self::Figure(f),
            (None, Some(s)) => Self::Stage(s),
            (None, None) => Self::News,
        }
    }
}

/// A figure as a phrase: `450 personnes servies`, `3 000 litres par jour`.
pub fn figure_phrase(figure: &Figure, locale: Locale) -> String {
    let mut phrase = format!("{} {}", format_count(figure.value, locale), figure.label);
    if !figure.unit.is_empty() {
        phrase.push(' ');
        phrase.push_str(&figure.unit);
    }
    phrase
}

/// The personal sentence of an impact update: "Your 30 € of 3 March helped build
/// the well in Kpalimé: it now serves 450 people." Two parts: the lead (what the
/// reader gave: one gift, or several since the first) and what it achieved.
/// `stage_name` names a stage in the reader's language.
pub fn update_sentence(
    contribution: &Contribution,
    project_title: &str,
    achievement: Achievement<'_>,
    stage_name: &dyn Fn(Stage) -> String,
    today: Date,
    locale: Locale,
) -> (Words, Words) {
    let amount = contribution.amount.format(locale);
    let date = long_date(contribution.first_gift, today, locale);
    let lead = Words {
        id: if contribution.gifts > 1 {
            "impact-lead-many"
        } else {
            "impact-lead-one"
        },
        args: vec![
            ("amount", amount),
            ("date", date),
            ("project", project_title.to_owned()),
            ("gifts", contribution.gifts.to_string()),
        ],
    };
    let achieved = match achievement {
        Achievement::Figure(f) => Words {
            id: "impact-now-figure",
            args: vec![("figure", figure_phrase(f, locale))],
        },
        Achievement::Stage(s) => Words {
            id: "impact-now-stage",
            args: vec![("stage", stage_name(s))],
        },
        Achievement::News => Words {
            id: "impact-now-news",
            args: Vec::new(),
        },
    };
    (lead, achieved)
}

/// The longest outcome message an association's system may send: an SMS of three
/// parts with room for the links.
pub const MAX_OUTCOME_MESSAGE: usize = 300;

/// Why an outcome report is refused (answered 400 with this text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutcomeError {
    /// The message is longer than [`MAX_OUTCOME_MESSAGE`] characters.
    #[error("message is longer than 300 characters")]
    MessageTooLong,
    /// The message holds control characters (other than line breaks).
    #[error("message holds control characters")]
    MessageControl,
    /// `used_on` is not a `YYYY-MM-DD` date.
    #[error("used_on must be a date written YYYY-MM-DD")]
    BadDate,
    /// `used_on` is after today.
    #[error("used_on is in the future")]
    FutureDate,
}

/// An outcome report as an association's system sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeInput {
    /// What was done with the gift, in the association's words; none: Relais says it.
    #[serde(default)]
    pub message: Option<String>,
    /// The day it was used (`YYYY-MM-DD`); none: today.
    #[serde(default)]
    pub used_on: Option<String>,
}

/// A checked outcome report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The association's words, trimmed; `None` for the default text.
    pub message: Option<String>,
    /// The day the gift was used.
    pub used_on: Date,
}

impl OutcomeInput {
    /// Checks the report; `today` is the association's day (a date may be a day
    /// ahead of UTC there, never further).
    pub fn parse(&self, today: Date) -> Result<Outcome, OutcomeError> {
        let message = self
            .message
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned);
        if let Some(m) = &message {
            if m.chars().count() > MAX_OUTCOME_MESSAGE {
                return Err(OutcomeError::MessageTooLong);
            }
            if m.chars().any(|c| c.is_control() && c != '\n') {
                return Err(OutcomeError::MessageControl);
            }
        }
        let used_on = match self.used_on.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => today,
            Some(raw) => {
                let date: Date = raw.parse().map_err(|_| OutcomeError::BadDate)?;
                if raw.len() != 10 {
                    return Err(OutcomeError::BadDate);
                }
                if date > today {
                    return Err(OutcomeError::FutureDate);
                }
                date
            }
        };
        Ok(Outcome { message, used_on })
    }
}

/// The words of an outcome message: the association's own text, or Relais's
/// ("Your gift of 30 € of 3 March was used on 27 November. Thank you.").
pub fn outcome_sentence(outcome: &Outcome, gift: Money, given_on: Date, today: Date, locale: Locale) -> Words {
    match &outcome.message {
        Some(text) => Words {
            id: "impact-outcome-custom",
            args: vec![("message", text.clone())],
        },
        None => Words {
            id: "impact-outcome-default",
            args: vec![
                ("amount", gift.format(locale)),
                ("date", long_date(given_on, today, locale)),
                ("used", long_date(outcome.used_on, today, locale)),
            ],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn sms_when_a_number_and_sms_consent_else_email_else_nothing() {
        let r = |has_phone, sms_consent, email_consent, email_usable| Reach {
            has_phone,
            sms_consent,
            email_consent,
            email_usable,
        };
        assert_eq!(choose_channel(r(true, true, true, true)), Some(ImpactChannel::Sms));
        assert_eq!(choose_channel(r(true, true, false, false)), Some(ImpactChannel::Sms));
        // Texts stopped: e-mail, which they still agreed to.
        assert_eq!(choose_channel(r(true, false, true, true)), Some(ImpactChannel::Email));
        // Consent to texts without a number (withdrawn number): e-mail.
        assert_eq!(choose_channel(r(false, true, true, true)), Some(ImpactChannel::Email));
        assert_eq!(choose_channel(r(false, true, false, true)), None);
        assert_eq!(choose_channel(r(true, false, false, true)), None);
        // An offline gift's placeholder address is never written to.
        assert_eq!(choose_channel(r(false, false, true, false)), None);
        assert_eq!(choose_channel(Reach::default()), None);
    }

    #[test]
    fn keys_tell_each_contributor_once_per_update() {
        assert_eq!(update_key(7, 42), "impact:7:42");
        assert_eq!(update_topic(7), "impact:7");
        let day = date(2026, 11, 27);
        assert_eq!(outcome_key(123, None, day), "outcome:123:2026-11-27");
        assert_eq!(outcome_key(123, Some("abc"), day), "outcome:123:key:abc");
        assert_ne!(outcome_key(123, Some("2026-11-27"), day), outcome_key(123, None, day));
    }

    #[test]
    fn dates_read_as_in_a_letter() {
        let today = date(2026, 11, 27);
        assert_eq!(long_date(date(2026, 3, 3), today, Locale::Fr), "3\u{a0}mars");
        assert_eq!(long_date(date(2026, 3, 1), today, Locale::Fr), "1er\u{a0}mars");
        assert_eq!(
            long_date(date(2025, 8, 15), today, Locale::Fr),
            "15\u{a0}août\u{a0}2025"
        );
        assert_eq!(long_date(date(2026, 3, 3), today, Locale::En), "3\u{a0}March");
        assert_eq!(
            long_date(date(2025, 12, 1), today, Locale::En),
            "1\u{a0}December\u{a0}2025"
        );
    }

    fn stage_name(s: Stage) -> String {
        s.as_str().to_owned()
    }

    #[test]
    fn the_update_sentence_names_the_gift_the_project_and_the_first_figure() {
        let today = date(2026, 11, 27);
        let one = Contribution {
            amount: Money::from_cents(3_000),
            first_gift: date(2026, 3, 3),
            gifts: 1,
        };
        let people = Figure {
            label: "personnes servies".into(),
            value: 450,
            unit: String::new(),
        };
        let litres = Figure {
            label: "litres".into(),
            value: 3_000,
            unit: "par jour".into(),
        };
        let figures = [people.clone(), litres];
        let (lead, achieved) = update_sentence(
            &one,
            "Puits de Kpalimé",
            Achievement::of(Some(&figures), Some(Stage::Completed)),
            &stage_name,
            today,
            Locale::Fr,
        );
        assert_eq!(lead.id, "impact-lead-one");
        assert_eq!(
            lead.args,
            [
                ("amount", "30,00\u{a0}€".to_owned()),
                ("date", "3\u{a0}mars".to_owned()),
                ("project", "Puits de Kpalimé".to_owned()),
                ("gifts", "1".to_owned()),
            ]
        );
        assert_eq!(achieved.id, "impact-now-figure");
        assert_eq!(achieved.args, [("figure", "450 personnes servies".to_owned())]);

        let several = Contribution { gifts: 3, ..one };
        let (lead, achieved) = update_sentence(
            &several,
            "Well",
            Achievement::of(None, Some(Stage::Completed)),
            &stage_name,
            today,
            Locale::En,
        );
        assert_eq!(lead.id, "impact-lead-many");
        assert_eq!(lead.args[0], ("amount", "€30.00".to_owned()));
        assert_eq!(achieved.args, [("stage", "completed".to_owned())]);
        assert_eq!(Achievement::of(Some(&[]), None), Achievement::News);
    }

    #[test]
    fn figures_read_in_the_readers_language() {
        let f = Figure {
            label: "litres".into(),
            value: 3_000,
            unit: "par jour".into(),
        };
        assert_eq!(figure_phrase(&f, Locale::Fr), "3\u{202f}000 litres par jour");
        assert_eq!(figure_phrase(&f, Locale::En), "3,000 litres par jour");
    }

    #[test]
    fn an_outcome_is_checked_before_anyone_is_told() {
        let today = date(2026, 11, 27);
        let input = |message: Option<&str>, used_on: Option<&str>| OutcomeInput {
            message: message.map(str::to_owned),
            used_on: used_on.map(str::to_owned),
        };
        assert_eq!(
            input(Some("  Utilisé à l’hôpital  "), Some("2026-11-26")).parse(today),
            Ok(Outcome {
                message: Some("Utilisé à l’hôpital".into()),
                used_on: date(2026, 11, 26)
            })
        );
        assert_eq!(
            input(Some("   "), None).parse(today),
            Ok(Outcome {
                message: None,
                used_on: today
            })
        );
        assert_eq!(
            input(None, Some("2026-11-28")).parse(today),
            Err(OutcomeError::FutureDate)
        );
        for bad in ["27/11/2026", "2026-13-01", "yesterday", "2026-1-5"] {
            assert_eq!(input(None, Some(bad)).parse(today), Err(OutcomeError::BadDate), "{bad}");
        }
        let long = "x".repeat(MAX_OUTCOME_MESSAGE + 1);
        assert_eq!(input(Some(&long), None).parse(today), Err(OutcomeError::MessageTooLong));
        assert_eq!(
            input(Some("a\u{7}b"), None).parse(today),
            Err(OutcomeError::MessageControl)
        );
    }

    #[test]
    fn the_default_outcome_sentence_says_which_gift_and_when() {
        let today = date(2026, 11, 27);
        let outcome = Outcome {
            message: None,
            used_on: today,
        };
        let words = outcome_sentence(&outcome, Money::from_cents(3_000), date(2026, 3, 3), today, Locale::Fr);
        assert_eq!(words.id, "impact-outcome-default");
        assert_eq!(words.args[2], ("used", "27\u{a0}novembre".to_owned()));
        let custom = Outcome {
            message: Some("Votre don a servi aujourd’hui".into()),
            used_on: today,
        };
        let words = outcome_sentence(&custom, Money::from_cents(3_000), date(2026, 3, 3), today, Locale::Fr);
        assert_eq!(
            (words.id, words.args[0].1.as_str()),
            ("impact-outcome-custom", "Votre don a servi aujourd’hui")
        );
    }
}
