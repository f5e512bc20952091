//! Messages staff write to a segment of their supporters (a newsletter, an appeal):
//! the subject and Markdown text with merge fields such as `{{first_name}}`, their
//! checks, and the rendering of one person's copy (text, and HTML from the same
//! Markdown when asked).
//!
//! A merge field is `{{name}}` or `{{name|fallback}}`. An unknown name is refused
//! when the message is saved, so a typo never reaches a million inboxes as
//! `{{prenom}}`. A person without a first name is greeted with a word chosen per
//! language ("ami·e", "friend") unless the field names its own fallback.

use crate::Locale;
use crate::settings::FieldError;

/// The merge fields staff may use.
pub const FIELDS: [&str; 4] = ["first_name", "last_name", "email", "postcode"];
/// The consent purposes a message may be sent for (channel e-mail); the first is the default.
pub const PURPOSES: [&str; 2] = ["newsletter", crate::impact::PURPOSE];
/// The longest subject: mail clients show about 60 characters, a phone fewer.
pub const MAX_SUBJECT: usize = 200;
/// The longest text.
pub const MAX_BODY: usize = 50_000;

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageState {
    /// Being written; editable.
    Draft,
    /// Waiting for its time; still cancellable.
    Scheduled,
    /// Being fanned out to its recipients.
    Sending,
    /// Every recipient has a copy in the outbox.
    Sent,
    /// Stopped before it left.
    Cancelled,
}

impl MessageState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Cancelled => "cancelled",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => Self::Draft,
            "scheduled" => Self::Scheduled,
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }

    /// Whether staff may still change the text (and send or schedule it).
    pub fn is_draft(self) -> bool {
        self == Self::Draft
    }

    /// Whether it may still be stopped: nobody has a copy yet.
    pub fn can_cancel(self) -> bool {
        matches!(self, Self::Draft | Self::Scheduled)
    }
}

/// The outbox topic of a message's copies: sent, failed and clicks are counted by it.
pub fn topic(message_id: i64) -> String {
    format!("message:{message_id}")
}

/// The consent ledger's `source` of a withdrawal made from a message's link, so the
/// message's figures can count the people it made leave: `one_click` for the
/// RFC 8058 POST of a mail client, else the page's button.
pub fn unsubscribe_source(message_id: i64, one_click: bool) -> String {
    let via = if one_click { "list-unsubscribe" } else { "page" };
    format!("message:{message_id}:{via}")
}

/// A message as staff type it; shown again as typed when refused.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct MessageInput {
    /// Subject line, merge fields allowed.
    pub subject: String,
    /// Markdown text, merge fields allowed.
    pub body: String,
    /// `on` when an HTML part is sent beside the text.
    pub html: String,
    /// The consent it needs (one of [`PURPOSES`]; empty: the newsletter).
    pub purpose: String,
}

/// A checked message, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageDraft {
    /// Subject, trimmed, on one line.
    pub subject: String,
    /// Markdown, trimmed.
    pub body: String,
    /// Whether an HTML part goes with the text.
    pub html: bool,
    /// One of [`PURPOSES`].
    pub purpose: String,
}

impl MessageInput {
    /// Checks every field at once; an unknown merge field is refused by name.
    pub fn parse(&self) -> Result<MessageDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let subject = self.subject.split_whitespace().collect::<Vec<_>>().join(" ");
        if subject.is_empty() {
            errors.push(FieldError::new("subject", "err-required"));
        } else if subject.chars().count() > MAX_SUBJECT {
            errors.push(FieldError::new("subject", "err-too-long"));
        } else if let Some(name) = unknown_fields(&subject).into_iter().next() {
            errors.push(FieldError {
                field: "subject",
                code: "err-merge-field",
                arg: Some(name),
            });
        }
        let body = self.body.trim().to_owned();
        if body.is_empty() {
            errors.push(FieldError::new("body", "err-required"));
        } else if body.len() > MAX_BODY {
            errors.push(FieldError::new("body", "err-too-long"));
        } else if let Some(name) = unknown_fields(&body).into_iter().next() {
            errors.push(FieldError {
                field: "body",
                code: "err-merge-field",
                arg: Some(name),
            });
        }
        let purpose = match self.purpose.trim() {
            "" => PURPOSES[0],
            p => match PURPOSES.iter().find(|known| **known == p) {
                Some(known) => known,
                None => {
                    errors.push(FieldError::new("purpose", "err-required"));
                    PURPOSES[0]
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(MessageDraft {
            subject,
            body,
            html: matches!(self.html.as_str(), "on" | "true" | "1"),
            purpose: purpose.to_owned(),
        })
    }
}

impl From<&MessageDraft> for MessageInput {
    fn from(d: &MessageDraft) -> Self {
        Self {
            subject: d.subject.clone(),
            body: d.body.clone(),
            html: if d.html { "on".into() } else { String::new() },
            purpose: d.purpose.clone(),
        }
    }
}

/// One person's values for the merge fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct MergeValues<'a> {
    /// First name (may be empty).
    pub first_name: &'a str,
    /// Last name (may be empty).
    pub last_name: &'a str,
    /// Address.
    pub email: &'a str,
    /// Postcode (may be empty).
    pub postcode: &'a str,
}

impl MergeValues<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "first_name" => self.first_name,
            "last_name" => self.last_name,
            "email" => self.email,
            "postcode" => self.postcode,
            _ => return None,
        })
    }
}

/// The word for a person whose first name is not known.
fn default_fallback(name: &str, locale: Locale) -> &'static str {
    match (name, locale) {
        ("first_name", Locale::Fr) => "ami·e",
        ("first_name", Locale::En) => "friend",
        _ => "",
    }
}

/// A piece of a text: as written, or a merge field with its own fallback.
enum Piece<'a> {
    Text(&'a str),
    Field { name: &'a str, fallback: Option<&'a str> },
}

/// Splits `text` at its `{{…}}` fields; an unclosed `{{` stays text.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        if start > 0 {
            out.push(Piece::Text(&rest[..start]));
        }
        let inner = &rest[start + 2..start + 2 + len];
        let (name, fallback) = match inner.split_once('|') {
            Some((n, f)) => (n.trim(), Some(f.trim())),
            None => (inner.trim(), None),
        };
        out.push(Piece::Field { name, fallback });
        rest = &rest[start + 2 + len + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// The merge fields of `text` that Relais does not know, in order of appearance.
pub fn unknown_fields(text: &str) -> Vec<String> {
    let mut unknown: Vec<String> = Vec::new();
    for piece in pieces(text) {
        if let Piece::Field { name, .. } = piece
            && !FIELDS.contains(&name)
            && !unknown.iter().any(|u| u == name)
        {
            unknown.push(name.to_owned());
        }
    }
    unknown
}

/// `text` with its merge fields replaced by `values` (each passed through `escape`).
fn merge(text: &str, values: &MergeValues<'_>, locale: Locale, escape: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Field { name, fallback } => {
                let value = values.get(name).map(str::trim).unwrap_or_default();
                let value = if value.is_empty() {
                    fallback.unwrap_or_else(|| default_fallback(name, locale))
                } else {
                    value
                };
                out.push_str(&escape(value));
            }
        }
    }
    out
}

/// A value made inert in Markdown: a first name such as `[gagné](https://…)` or
/// `**x**` stays the characters typed, never a link or emphasis.
fn escape_markdown(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One person's copy of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMessage {
    /// Subject with the person's values.
    pub subject: String,
    /// The text part: the Markdown as written, with the person's values.
    pub text: String,
    /// The HTML part (safe), when the message has one.
    pub html: Option<String>,
}

/// Renders `draft` for one person: merge fields filled (values never become
/// Markdown), links of the HTML part passed through `track`.
pub fn render(
    draft: &MessageDraft,
    values: &MergeValues<'_>,
    locale: Locale,
    track: impl Fn(&str) -> String,
) -> RenderedMessage {
    let subject = merge(&draft.subject, values, locale, |v| {
        v.split_whitespace().collect::<Vec<_>>().join(" ")
    });
    let text = merge(&draft.body, values, locale, str::to_owned);
    let html = draft.html.then(|| {
        let source = merge(&draft.body, values, locale, escape_markdown);
        crate::markdown::to_safe_html_with_links(&source, track)
    });
    RenderedMessage { subject, text, html }
}

/// Reads `YYYY-MM-DDTHH:MM` (an HTML `datetime-local`) in the association's time
/// zone as a Unix time, refused unless after `now`.
pub fn parse_schedule(raw: &str, timezone: &str, now: i64) -> Result<i64, FieldError> {
    let zone = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let at = raw
        .trim()
        .parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(zone).ok())
        .map(|z| z.timestamp().as_second())
        .ok_or_else(|| FieldError::new("at", "err-datetime"))?;
    if at <= now {
        return Err(FieldError::new("at", "err-schedule-past"));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(subject: &str, body: &str) -> MessageInput {
        MessageInput {
            subject: subject.into(),
            body: body.into(),
            html: "on".into(),
            purpose: String::new(),
        }
    }

    fn values<'a>(first: &'a str) -> MergeValues<'a> {
        MergeValues {
            first_name: first,
            last_name: "Mensah",
            email: "awa@example.org",
            postcode: "69003",
        }
    }

    #[test]
    fn a_message_needs_a_subject_and_a_text() {
        let errors = input("  ", "").parse().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(fields, [("subject", "err-required"), ("body", "err-required")]);
        let long = "x".repeat(MAX_SUBJECT + 1);
        assert_eq!(input(&long, "b").parse().unwrap_err()[0].code, "err-too-long");
    }

    #[test]
    fn an_unknown_merge_field_is_refused_by_name() {
        let errors = input("Bonjour {{ prenom }}", "Texte {{first_name}} {{ville}} {{ville}}")
            .parse()
            .unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!((errors[0].field, errors[0].arg.as_deref()), ("subject", Some("prenom")));
        assert_eq!((errors[1].field, errors[1].arg.as_deref()), ("body", Some("ville")));
        assert_eq!(unknown_fields("{{a}} {{ first_name|ami }} {{b}} {{a}}"), ["a", "b"]);
    }

    #[test]
    fn the_draft_is_trimmed_and_defaults_to_the_newsletter() {
        let d = input("  Nouvelles\n du   puits ", " Bonjour \n").parse().unwrap();
        assert_eq!(d.subject, "Nouvelles du puits");
        assert_eq!(d.body, "Bonjour");
        assert!(d.html);
        assert_eq!(d.purpose, "newsletter");
        let mut i = input("s", "b");
        i.purpose = "impact".into();
        i.html = String::new();
        let d = i.parse().unwrap();
        assert_eq!((d.purpose.as_str(), d.html), ("impact", false));
        i.purpose = "petition:1:updates".into();
        assert_eq!(i.parse().unwrap_err()[0].field, "purpose");
        // What the form shows again is what was stored.
        assert_eq!(MessageInput::from(&d).parse().unwrap(), d);
    }

    #[test]
    fn merge_fields_are_filled_with_the_persons_values() {
        let d = input(
            "{{first_name}}, le puits a besoin de vous",
            "Bonjour {{ first_name }} {{last_name}} ({{postcode}}),\n\nÉcrit à {{email}}.",
        )
        .parse()
        .unwrap();
        let m = render(&d, &values("Awa"), Locale::Fr, str::to_owned);
        assert_eq!(m.subject, "Awa, le puits a besoin de vous");
        assert_eq!(m.text, "Bonjour Awa Mensah (69003),\n\nÉcrit à awa@example.org.");
        let html = m.html.unwrap();
        assert!(html.contains("<p>Bonjour Awa Mensah (69003),</p>"), "{html}");
    }

    #[test]
    fn a_missing_first_name_gets_a_word_of_the_readers_language_or_the_one_written() {
        let d = input("Bonjour {{first_name}}", "Merci {{first_name|à vous}} ! {{postcode}}.")
            .parse()
            .unwrap();
        let fr = render(&d, &values(" "), Locale::Fr, str::to_owned);
        assert_eq!(fr.subject, "Bonjour ami·e");
        assert_eq!(fr.text, "Merci à vous ! 69003.");
        let en = render(&d, &values(""), Locale::En, str::to_owned);
        assert_eq!(en.subject, "Bonjour friend");
        let mut v = values("Awa");
        v.postcode = "";
        assert_eq!(render(&d, &v, Locale::Fr, str::to_owned).text, "Merci Awa ! .");
    }

    #[test]
    fn values_never_become_markup_or_links() {
        let d = input("s", "Bonjour {{first_name}}").parse().unwrap();
        let m = render(
            &d,
            &values("[gagné](https://evil.example) <b>x</b> **y**"),
            Locale::Fr,
            |u| format!("/r/{u}"),
        );
        let html = m.html.unwrap();
        assert!(!html.contains("<a"), "{html}");
        assert!(!html.contains("<b>") && !html.contains("<strong>"), "{html}");
        assert!(
            html.contains("[gagné](https://evil.example) &lt;b&gt;x&lt;/b&gt; **y**"),
            "{html}"
        );
        // The text part is plain text: the value as typed.
        assert_eq!(m.text, "Bonjour [gagné](https://evil.example) <b>x</b> **y**");
    }

    #[test]
    fn links_of_the_html_part_are_tracked_and_the_text_part_has_none() {
        let d = input("s", "Voir [le puits](https://example.org/puits).")
            .parse()
            .unwrap();
        let m = render(&d, &values("Awa"), Locale::Fr, |u| {
            format!("https://relais.example/r?{u}")
        });
        assert!(
            m.html
                .unwrap()
                .contains("href=\"https://relais.example/r?https://example.org/puits\"")
        );
        let mut plain = d.clone();
        plain.html = false;
        assert_eq!(render(&plain, &values("Awa"), Locale::Fr, str::to_owned).html, None);
    }

    #[test]
    fn an_unclosed_field_stays_text() {
        let d = input("s", "Prix {{ 5 €").parse().unwrap();
        assert_eq!(render(&d, &values("A"), Locale::Fr, str::to_owned).text, "Prix {{ 5 €");
    }

    #[test]
    fn schedules_are_read_in_the_associations_time_zone_and_must_be_ahead() {
        // 2027-01-15 10:00 in Paris is 09:00 UTC.
        let at = parse_schedule("2027-01-15T10:00", "Europe/Paris", 0).unwrap();
        assert_eq!(at, 1_800_003_600);
        assert_eq!(
            parse_schedule("2027-01-15T10:00", "Europe/Paris", at).unwrap_err().code,
            "err-schedule-past"
        );
        assert_eq!(
            parse_schedule("demain", "Europe/Paris", 0).unwrap_err().code,
            "err-datetime"
        );
    }

    #[test]
    fn states_say_what_may_still_happen() {
        for s in ["draft", "scheduled", "sending", "sent", "cancelled"] {
            assert_eq!(MessageState::parse(s).unwrap().as_str(), s);
        }
        assert!(MessageState::Scheduled.can_cancel());
        assert!(!MessageState::Sending.can_cancel());
        assert!(MessageState::Draft.is_draft() && !MessageState::Scheduled.is_draft());
        assert_eq!(unsubscribe_source(7, true), "message:7:list-unsubscribe");
        assert_eq!(topic(7), "message:7");
    }
}
