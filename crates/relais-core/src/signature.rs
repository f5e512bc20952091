//! A signature as a signer submits it: checked field by field.

use crate::email::{Email, EmailError};
use crate::settings::FieldError;

/// What the signing form sends, already decoded (consents as booleans).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SignatureInput {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// E-mail address.
    pub email: String,
    /// Postcode (required in France).
    pub postcode: String,
    /// ISO 3166 alpha-2 country code; empty means France.
    pub country: String,
    /// Optional comment.
    pub comment: String,
    /// Agrees to receive updates about this petition.
    pub consent_updates: bool,
    /// Agrees to receive the association's newsletter.
    pub consent_newsletter: bool,
}

/// A signature that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureDraft {
    /// First name, trimmed.
    pub first_name: String,
    /// Last name, trimmed.
    pub last_name: String,
    /// Normalised address: the de-duplication key.
    pub email: Email,
    /// Postcode as typed, spaces removed (French ones are five digits).
    pub postcode: String,
    /// Upper-case country code.
    pub country: String,
    /// Comment, if any.
    pub comment: Option<String>,
    /// Consent to updates about this petition.
    pub consent_updates: bool,
    /// Consent to the newsletter.
    pub consent_newsletter: bool,
}

fn name(raw: &str, field: &'static str, errors: &mut Vec<FieldError>) -> String {
    let value = raw.trim().to_owned();
    if value.is_empty() {
        errors.push(FieldError::new(field, "err-required"));
    } else if value.chars().count() > 80 {
        errors.push(FieldError::new(field, "err-too-long"));
    } else if value.chars().any(char::is_control) || value.contains("://") {
        // Names with links are spam, not people.
        errors.push(FieldError::new(field, "err-name"));
    }
    value
}

impl SignatureInput {
    /// Checks the fields; all problems at once.
    pub fn parse(&self) -> Result<SignatureDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let first_name = name(&self.first_name, "first_name", &mut errors);
        let last_name = name(&self.last_name, "last_name", &mut errors);
        let email = Email::parse(&self.email)
            .map_err(|e| {
                let code = if e == EmailError::Empty {
                    "err-required"
                } else {
                    "err-email"
                };
                errors.push(FieldError::new("email", code));
            })
            .ok()
            .filter(|e| {
                let throwaway = crate::disposable::is_disposable(e.domain());
                if throwaway {
                    errors.push(FieldError::new("email", "err-email-disposable"));
                }
                !throwaway
            });
        let country = if self.country.trim().is_empty() {
            "FR".to_owned()
        } else {
            self.country.trim().to_uppercase()
        };
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            errors.push(FieldError::new("country", "err-country"));
        }
        let postcode: String = self
            .postcode
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if country == "FR" {
            if postcode.is_empty() {
                errors.push(FieldError::new("postcode", "err-required"));
            } else if postcode.len() != 5 || !postcode.chars().all(|c| c.is_ascii_digit()) {
                errors.push(FieldError::new("postcode", "err-postcode"));
            }
        } else if postcode.len() > 12 || !postcode.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            errors.push(FieldError::new("postcode", "err-postcode"));
        }
        let comment = self.comment.trim();
        if comment.chars().count() > 1_000 {
            errors.push(FieldError::new("comment", "err-too-long"));
        }
        match email {
            Some(email) if errors.is_empty() => Ok(SignatureDraft {
                first_name,
                last_name,
                email,
                postcode,
                country,
                comment: (!comment.is_empty()).then(|| comment.to_owned()),
                consent_updates: self.consent_updates,
                consent_newsletter: self.consent_newsletter,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SignatureInput {
        SignatureInput {
            first_name: " Marie ".into(),
            last_name: "Curie".into(),
            email: "Marie.Curie@Example.org".into(),
            postcode: "75 005".into(),
            country: "fr".into(),
            comment: "  ".into(),
            consent_updates: true,
            consent_newsletter: false,
        }
    }

    #[test]
    fn a_french_signature_is_normalised() {
        let s = input().parse().unwrap();
        assert_eq!(
            (
                s.first_name.as_str(),
                s.email.as_str(),
                s.postcode.as_str(),
                s.country.as_str()
            ),
            ("Marie", "marie.curie@example.org", "75005", "FR")
        );
        assert_eq!(s.comment, None);
        assert!(s.consent_updates && !s.consent_newsletter);
    }

    #[test]
    fn foreign_postcodes_are_free_form_and_optional() {
        let s = SignatureInput {
            country: "GB".into(),
            postcode: "SW1A 1AA".into(),
            ..input()
        }
        .parse()
        .unwrap();
        assert_eq!(s.postcode, "SW1A1AA");
        assert!(
            SignatureInput {
                country: "BE".into(),
                postcode: String::new(),
                ..input()
            }
            .parse()
            .is_ok()
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let bad = SignatureInput {
            first_name: String::new(),
            last_name: "http://spam.example".into(),
            email: "nope".into(),
            postcode: "7500".into(),
            country: "France".into(),
            comment: "x".repeat(1001),
            ..Default::default()
        };
        let got: Vec<_> = bad.parse().unwrap_err().iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            got,
            [
                ("first_name", "err-required"),
                ("last_name", "err-name"),
                ("email", "err-email"),
                ("country", "err-country"),
                ("comment", "err-too-long")
            ]
        );
        let short = SignatureInput {
            postcode: "7500".into(),
            ..input()
        };
        assert_eq!(short.parse().unwrap_err()[0].code, "err-postcode");
        let throwaway = SignatureInput {
            email: "bot@yopmail.com".into(),
            ..input()
        };
        assert_eq!(throwaway.parse().unwrap_err()[0].code, "err-email-disposable");
        let missing = SignatureInput {
            postcode: String::new(),
            ..input()
        };
        assert_eq!(missing.parse().unwrap_err()[0].code, "err-required");
    }
}
