//! A supporter's record as staff edit it on the person's page: names, phone (E.164),
//! postal address, postcode, commune and coordinates (from a French postcode when
//! the commune is left empty), country, language and preferred channels.

use crate::import::row::{PersonFields, country_code, language};
use crate::places::{Places, Postcode};
use crate::settings::FieldError;

/// The channels a person may prefer, in the order shown.
pub const CHANNELS: [&str; 3] = ["email", "sms", "post"];

/// The record form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RecordInput {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Phone, any usual form.
    pub phone: String,
    /// Street address.
    pub address: String,
    /// Postcode.
    pub postcode: String,
    /// City; empty: from a French postcode.
    pub commune: String,
    /// Country code or name.
    pub country: String,
    /// `fr` or `en`.
    pub language: String,
    /// Ticked channels (`email`, `sms`, `post`).
    pub channels: Vec<String>,
}

/// A checked record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The fields, as stored.
    pub fields: PersonFields,
    /// Preferred channels, comma-separated (`email,sms`).
    pub preferred_channels: String,
}

fn text(raw: &str, field: &'static str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let value = raw.trim();
    if value.chars().count() > max {
        errors.push(FieldError::new(field, "err-too-long"));
    }
    value.to_owned()
}

impl RecordInput {
    /// Checks every field at once.
    pub fn parse(&self) -> Result<Record, Vec<FieldError>> {
        let mut errors = Vec::new();
        let first_name = text(&self.first_name, "first_name", 100, &mut errors);
        let last_name = text(&self.last_name, "last_name", 100, &mut errors);
        let address = text(&self.address, "address", 300, &mut errors);
        let mut commune = text(&self.commune, "commune", 100, &mut errors);
        let phone = match self.phone.trim() {
            "" => None,
            raw => match crate::phone::Phone::parse(raw) {
                Ok(p) => Some(p.as_str().to_owned()),
                Err(_) => {
                    errors.push(FieldError::new("phone", "err-phone"));
                    None
                }
            },
        };
        let country = match self.country.trim() {
            "" => "FR".to_owned(),
            raw => country_code(raw).unwrap_or_else(|| {
                errors.push(FieldError::new("country", "err-country"));
                String::new()
            }),
        };
        let locale = match language(&self.language) {
            Some(l) => l.code().to_owned(),
            None => {
                errors.push(FieldError::new("language", "err-required"));
                String::new()
            }
        };
        let (mut latitude, mut longitude) = (None, None);
        let postcode = match self.postcode.trim() {
            "" => String::new(),
            raw if country == "FR" => match Postcode::parse(raw) {
                Ok(code) => {
                    let places = Places::france();
                    if commune.is_empty()
                        && let [only] = places.by_postcode(&code)
                    {
                        commune = only.name.to_owned();
                    }
                    if let Some((lat, lon)) = places.center_of(&code) {
                        (latitude, longitude) = (Some(lat), Some(lon));
                    }
                    code.as_str().to_owned()
                }
                Err(_) => {
                    errors.push(FieldError::new("postcode", "err-postcode"));
                    String::new()
                }
            },
            raw => text(raw, "postcode", 16, &mut errors),
        };
        let preferred_channels = CHANNELS
            .iter()
            .filter(|c| self.channels.iter().any(|t| t == *c))
            .copied()
            .collect::<Vec<_>>()
            .join(",");
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Record {
            fields: PersonFields {
                first_name,
                last_name,
                phone,
                address,
                postcode,
                commune,
                country,
                locale,
                latitude,
                longitude,
            },
            preferred_channels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> RecordInput {
        RecordInput {
            first_name: " Awa ".into(),
            last_name: "Mensah".into(),
            phone: "06 12 34 56 78".into(),
            address: "3 rue de la Roquette".into(),
            postcode: "75011".into(),
            language: "fr".into(),
            channels: vec!["sms".into(), "email".into(), "pigeon".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_french_postcode_gives_the_commune_and_coordinates() {
        let r = input().parse().unwrap();
        assert_eq!(r.fields.first_name, "Awa");
        assert_eq!(r.fields.phone.as_deref(), Some("+33612345678"));
        assert_eq!(r.fields.commune, "Paris 11e Arrondissement");
        assert_eq!(r.fields.country, "FR");
        assert!(r.fields.latitude.is_some());
        assert_eq!(r.preferred_channels, "email,sms");
    }

    #[test]
    fn a_commune_typed_is_kept_and_foreign_postcodes_are_free() {
        let r = RecordInput {
            postcode: "1000".into(),
            country: "Belgique".into(),
            commune: "Bruxelles".into(),
            ..input()
        }
        .parse()
        .unwrap();
        assert_eq!(
            (r.fields.postcode.as_str(), r.fields.commune.as_str()),
            ("1000", "Bruxelles")
        );
        assert_eq!(r.fields.latitude, None);
    }

    #[test]
    fn every_bad_field_is_named() {
        let errors = RecordInput {
            phone: "12".into(),
            postcode: "7501".into(),
            language: "klingon".into(),
            ..input()
        }
        .parse()
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["phone", "language", "postcode"]);
        let errors = RecordInput {
            country: "Atlantide".into(),
            ..input()
        }
        .parse()
        .unwrap_err();
        assert_eq!(errors.iter().map(|e| e.field).collect::<Vec<_>>(), ["country"]);
    }
}
