//! Who staff are looking for: the filters of the people list, which a segment saves
//! under a name. Every filter is optional; the ones given all apply (AND).
//!
//! A segment is stored as the query string of the people list, so a saved segment,
//! a bookmarked search and a CSV export are the same thing, readable in a URL.

use crate::money::{Money, parse_amount};
use crate::places::{Places, Postcode};
use crate::settings::FieldError;

/// The longest "within R km" staff may ask for: a region, not the country.
pub const MAX_KM: u32 = 300;
/// The longest activity window, in days (ten years).
pub const MAX_DAYS: u32 = 3650;

/// The filters as typed (the people list's query string).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct SegmentInput {
    /// Name, e-mail or postcode prefix; `#tag` for a tag.
    pub q: String,
    /// A staff tag.
    pub tag: String,
    /// A cause the person cares about (their interests).
    pub interest: String,
    /// Signed this petition (its id).
    pub petition: String,
    /// Gave at least this many euros (in `gave_year` when given).
    pub gave_min: String,
    /// The calendar year of `gave_min`; empty: ever.
    pub gave_year: String,
    /// Has the association's newsletter consent (`newsletter`), or has none (`none`).
    pub consent: String,
    /// Lives within `km` of this postcode.
    pub near: String,
    /// Radius around `near`, in km.
    pub km: String,
    /// Active (signed, gave, subscribed) in the last N days.
    pub active_days: String,
    /// Not active for at least N days.
    pub inactive_days: String,
}

/// A consent the list can filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentFilter {
    /// Currently agrees to the newsletter by e-mail.
    Newsletter,
    /// Agrees to nothing by e-mail (never did, or withdrew everything).
    None,
}

/// Checked filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Segment {
    /// The search text, lowercased (see `q`).
    pub q: Option<String>,
    /// The search text as a phone number (E.164), when it reads as one.
    pub phone: Option<String>,
    /// A staff tag, as stored (trimmed, lowercase).
    pub tag: Option<String>,
    /// An interest, as stored (trimmed, lowercase).
    pub interest: Option<String>,
    /// Signed this petition (confirmed signatures).
    pub petition: Option<i64>,
    /// Gave at least this much, paid and not refunded, in this year (or ever).
    pub gave: Option<(Money, Option<i32>)>,
    /// Consent state.
    pub consent: Option<ConsentFilter>,
    /// The postcodes within the radius (empty list: nobody).
    pub near: Option<Vec<&'static str>>,
    /// Active within this many days.
    pub active_days: Option<u32>,
    /// Inactive for at least this many days.
    pub inactive_days: Option<u32>,
}

impl Segment {
    /// Whether no filter applies (the whole list).
    pub fn is_everyone(&self) -> bool {
        *self == Self::default()
    }
}

fn days(raw: &str, field: &'static str, errors: &mut Vec<FieldError>) -> Option<u32> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<u32>() {
        Ok(d) if (1..=MAX_DAYS).contains(&d) => Some(d),
        _ => {
            errors.push(FieldError {
                field,
                code: "err-segment-days",
                arg: Some(MAX_DAYS.to_string()),
            });
            None
        }
    }
}

impl SegmentInput {
    /// Checks the filters; every refused field at once.
    pub fn parse(&self) -> Result<Segment, Vec<FieldError>> {
        let mut errors = Vec::new();
        let q = Some(self.q.trim().chars().take(100).collect::<String>().to_lowercase()).filter(|q| !q.is_empty());
        let phone = q
            .as_deref()
            .and_then(|q| crate::phone::Phone::parse(q).ok())
            .map(|p| p.as_str().to_owned());
        let tag = Some(self.tag.trim().to_lowercase()).filter(|t| !t.is_empty());
        let interest = Some(self.interest.trim().to_lowercase()).filter(|t| !t.is_empty());
        let petition = match self.petition.trim() {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    errors.push(FieldError::new("petition", "err-required"));
                    None
                }
            },
        };
        let year = match self.gave_year.trim() {
            "" => None,
            raw => match raw.parse::<i32>() {
                Ok(y) if (1900..=9999).contains(&y) => Some(y),
                _ => {
                    errors.push(FieldError::new("gave_year", "err-segment-year"));
                    None
                }
            },
        };
        let gave = match self.gave_min.trim() {
            "" if year.is_some() => Some((Money::from_cents(1), year)),
            "" => None,
            raw => match parse_amount(raw) {
                Ok(m) if m.cents() > 0 => Some((m, year)),
                _ => {
                    errors.push(FieldError::new("gave_min", "err-amount"));
                    None
                }
            },
        };
        let consent = match self.consent.trim() {
            "" => None,
            "newsletter" => Some(ConsentFilter::Newsletter),
            "none" => Some(ConsentFilter::None),
            _ => {
                errors.push(FieldError::new("consent", "err-required"));
                None
            }
        };
        let near = match (self.near.trim(), self.km.trim()) {
            ("", "") => None,
            (code, km) => {
                let km = if km.is_empty() { Ok(10) } else { km.parse::<u32>() };
                let km = match km {
                    Ok(k) if (1..=MAX_KM).contains(&k) => Some(k),
                    _ => {
                        errors.push(FieldError {
                            field: "km",
                            code: "err-segment-km",
                            arg: Some(MAX_KM.to_string()),
                        });
                        None
                    }
                };
                let places = Places::france();
                let center = match Postcode::parse(code) {
                    Ok(p) => match places.center_of(&p) {
                        Some(c) => Some(c),
                        None => {
                            errors.push(FieldError::new("near", "err-segment-place"));
                            None
                        }
                    },
                    Err(_) => {
                        errors.push(FieldError::new("near", "err-postcode"));
                        None
                    }
                };
                match (center, km) {
                    (Some(c), Some(k)) => Some(places.postcodes_within(c, f64::from(k))),
                    _ => None,
                }
            }
        };
        let active_days = days(&self.active_days, "active_days", &mut errors);
        let inactive_days = days(&self.inactive_days, "inactive_days", &mut errors);
        if errors.is_empty() {
            Ok(Segment {
                q,
                phone,
                tag,
                interest,
                petition,
                gave,
                consent,
                near,
                active_days,
                inactive_days,
            })
        } else {
            Err(errors)
        }
    }

    /// The filters given, as a query string (`tag=benevole&km=20…`), for links, the
    /// export and saving; empty fields are left out.
    pub fn query_string(&self) -> String {
        let mut out = url_encoded::Builder::default();
        for (name, value) in [
            ("q", &self.q),
            ("tag", &self.tag),
            ("interest", &self.interest),
            ("petition", &self.petition),
            ("gave_min", &self.gave_min),
            ("gave_year", &self.gave_year),
            ("consent", &self.consent),
            ("near", &self.near),
            ("km", &self.km),
            ("active_days", &self.active_days),
            ("inactive_days", &self.inactive_days),
        ] {
            if !value.trim().is_empty() {
                out.pair(name, value.trim());
            }
        }
        out.finish()
    }

    /// Reads a saved query string back.
    pub fn from_query_string(query: &str) -> Self {
        let mut input = Self::default();
        for (name, value) in url_encoded::pairs(query) {
            let slot = match name.as_str() {
                "q" => &mut input.q,
                "tag" => &mut input.tag,
                "interest" => &mut input.interest,
                "petition" => &mut input.petition,
                "gave_min" => &mut input.gave_min,
                "gave_year" => &mut input.gave_year,
                "consent" => &mut input.consent,
                "near" => &mut input.near,
                "km" => &mut input.km,
                "active_days" => &mut input.active_days,
                "inactive_days" => &mut input.inactive_days,
                _ => continue,
            };
            *slot = value;
        }
        input
    }
}

/// The little of `application/x-www-form-urlencoded` segments need, without a crate
/// in core: percent-encoding every byte outside the unreserved set.
mod url_encoded {
    #[derive(Default)]
    pub(super) struct Builder(String);

    impl Builder {
        pub(super) fn pair(&mut self, name: &str, value: &str) {
            if !self.0.is_empty() {
                self.0.push('&');
            }
            encode(name, &mut self.0);
            self.0.push('=');
            encode(value, &mut self.0);
        }

        pub(super) fn finish(self) -> String {
            self.0
        }
    }

    fn encode(s: &str, out: &mut String) {
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }

    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = |b: u8| char::from(b).to_digit(16);
                    match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                        (Some(hi), Some(lo)) => {
                            out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                            i += 2;
                        }
                        _ => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    pub(super) fn pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
        query.split('&').filter(|p| !p.is_empty()).map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(n), decode(v))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_filter_is_everyone() {
        assert!(SegmentInput::default().parse().unwrap().is_everyone());
    }

    #[test]
    fn filters_parse_and_round_trip_through_the_query_string() {
        let input = SegmentInput {
            q: "  Martin ".into(),
            tag: "Bénévole".into(),
            interest: " Eau ".into(),
            petition: "7".into(),
            gave_min: "50".into(),
            gave_year: "2026".into(),
            consent: "newsletter".into(),
            near: "69003".into(),
            km: "20".into(),
            active_days: "365".into(),
            inactive_days: String::new(),
        };
        let s = input.parse().unwrap();
        assert_eq!(s.q.as_deref(), Some("martin"));
        assert_eq!(s.phone, None);
        let by_phone = SegmentInput {
            q: "06 12 34 56 78".into(),
            ..Default::default()
        };
        assert_eq!(by_phone.parse().unwrap().phone.as_deref(), Some("+33612345678"));
        assert_eq!(s.tag.as_deref(), Some("bénévole"));
        assert_eq!(s.interest.as_deref(), Some("eau"));
        assert_eq!(s.petition, Some(7));
        assert_eq!(s.gave, Some((Money::from_cents(5000), Some(2026))));
        assert_eq!(s.consent, Some(ConsentFilter::Newsletter));
        let near = s.near.unwrap();
        assert!(
            near.contains(&"69003") && near.contains(&"69001"),
            "Lyon's centre is within 20 km"
        );
        assert!(!near.contains(&"75011"), "Paris is not");
        assert_eq!(s.active_days, Some(365));
        let qs = input.query_string();
        assert_eq!(
            qs,
            "q=Martin&tag=B%C3%A9n%C3%A9vole&interest=Eau&petition=7&gave_min=50&gave_year=2026&consent=newsletter&near=69003&km=20&active_days=365"
        );
        let back = SegmentInput::from_query_string(&qs);
        assert_eq!(back.parse().unwrap().tag.as_deref(), Some("bénévole"));
        assert_eq!(back.q, "Martin");
        assert_eq!(SegmentInput::from_query_string("q=a+b%2Cc&x=1").q, "a b,c");
    }

    #[test]
    fn a_year_alone_means_gave_that_year() {
        let s = SegmentInput {
            gave_year: "2025".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(s.gave, Some((Money::from_cents(1), Some(2025))));
    }

    #[test]
    fn every_bad_filter_is_reported() {
        let errors = SegmentInput {
            petition: "abc".into(),
            gave_min: "-5".into(),
            gave_year: "26".into(),
            consent: "sms".into(),
            near: "123".into(),
            km: "5000".into(),
            active_days: "0".into(),
            inactive_days: "jamais".into(),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                "petition",
                "gave_year",
                "gave_min",
                "consent",
                "km",
                "near",
                "active_days",
                "inactive_days"
            ]
        );
    }

    #[test]
    fn an_unknown_postcode_is_refused_at_the_field() {
        let errors = SegmentInput {
            near: "99999".into(),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(errors[0].code, "err-segment-place");
    }
}
