//! An association's settings as staff edit them: parsed from raw form input into
//! checked values, or a list of per-field problems to show next to each field.

use crate::color::{ColorError, HexColor};
use crate::email::{Email, EmailError};
use crate::legal::{self, LegalIdError};
use crate::locale::Locale;
use crate::slug::{Slug, SlugError};

/// One problem with one submitted field. `code` names a translated message
/// (`err-…` in the catalogues); `arg` fills its `{ $value }` placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form field's name.
    pub field: &'static str,
    /// The message id.
    pub code: &'static str,
    /// A value to show in the message, if any.
    pub arg: Option<String>,
}

impl FieldError {
    /// A problem without argument.
    pub fn new(field: &'static str, code: &'static str) -> Self {
        Self { field, code, arg: None }
    }
}

/// Settings as submitted: every field is raw text so a refused form can be shown
/// again exactly as typed.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SettingsInput {
    /// Public name.
    pub name: String,
    /// URL slug.
    pub slug: String,
    /// Address supporters can write to.
    pub contact_email: String,
    /// Main colour (`#rrggbb`), carries white text.
    pub primary_color: String,
    /// Accent colour (`#rrggbb`) for links and highlights on white.
    pub accent_color: String,
    /// Legal name, if it differs from the public name.
    pub legal_name: String,
    /// RNA number.
    pub rna: String,
    /// SIREN number.
    pub siren: String,
    /// Registered address, printed on receipts.
    pub address: String,
    /// The association's purpose (objet), printed on receipts.
    pub purpose: String,
    /// `on` when gifts qualify for the French tax reduction.
    pub tax_eligible: Option<String>,
    /// IANA time zone name.
    pub timezone: String,
    /// `fr` or `en`.
    pub default_locale: String,
}

/// Settings that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Public name.
    pub name: String,
    /// URL slug.
    pub slug: Slug,
    /// Contact address.
    pub contact_email: Email,
    /// Main colour.
    pub primary_color: HexColor,
    /// Accent colour.
    pub accent_color: HexColor,
    /// Legal name (empty: same as name).
    pub legal_name: String,
    /// RNA number, normalised, or empty.
    pub rna: String,
    /// SIREN number, normalised, or empty.
    pub siren: String,
    /// Registered address.
    pub address: String,
    /// Purpose (objet).
    pub purpose: String,
    /// Gifts qualify for the tax reduction (articles 200 and 238 bis CGI).
    pub tax_eligible: bool,
    /// IANA time zone name.
    pub timezone: String,
    /// Default language of public pages.
    pub default_locale: Locale,
}

fn email_code(e: &EmailError) -> &'static str {
    match e {
        EmailError::Empty => "err-required",
        EmailError::TooLong | EmailError::Malformed => "err-email",
    }
}

fn slug_code(e: &SlugError) -> &'static str {
    match e {
        SlugError::Length => "err-slug-length",
        SlugError::Charset => "err-slug-charset",
        SlugError::Reserved => "err-slug-reserved",
    }
}

/// A brand colour: white text sits on it, or it sits as text on white; both need
/// WCAG AA contrast (4.5:1), which is the same ratio either way.
fn parse_color(raw: &str, field: &'static str, errors: &mut Vec<FieldError>) -> Option<HexColor> {
    HexColor::parse_for_white_text(raw)
        .map_err(|e| {
            errors.push(match e {
                ColorError::Malformed => FieldError::new(field, "err-color"),
                ColorError::LowContrast(r) => FieldError {
                    field,
                    code: "err-color-contrast",
                    arg: Some(format!("{r:.1}")),
                },
            })
        })
        .ok()
}

/// Whether `name` is a time zone Relais knows (the IANA database is bundled).
pub fn is_known_timezone(name: &str) -> bool {
    !name.is_empty() && jiff::tz::TimeZone::get(name).is_ok()
}

impl SettingsInput {
    /// Checks every field; returns all problems at once so the form shows them together.
    pub fn parse(&self) -> Result<Settings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            errors.push(FieldError::new("name", "err-required"));
        } else if name.chars().count() > 120 {
            errors.push(FieldError::new("name", "err-too-long"));
        }
        let slug = Slug::parse(&self.slug)
            .map_err(|e| errors.push(FieldError::new("slug", slug_code(&e))))
            .ok();
        let contact_email = Email::parse(&self.contact_email)
            .map_err(|e| errors.push(FieldError::new("contact_email", email_code(&e))))
            .ok();
        let primary_color = parse_color(&self.primary_color, "primary_color", &mut errors);
        let accent_color = parse_color(&self.accent_color, "accent_color", &mut errors);
        let optional = |raw: &str,
                        field: &'static str,
                        parse: fn(&str) -> Result<String, LegalIdError>,
                        errors: &mut Vec<FieldError>| {
            if raw.trim().is_empty() {
                return String::new();
            }
            parse(raw).unwrap_or_else(|_| {
                errors.push(FieldError::new(
                    field,
                    if field == "rna" { "err-rna" } else { "err-siren" },
                ));
                String::new()
            })
        };
        let rna = optional(&self.rna, "rna", legal::parse_rna, &mut errors);
        let siren = optional(&self.siren, "siren", legal::parse_siren, &mut errors);
        let tax_eligible = self.tax_eligible.as_deref().is_some_and(|v| v == "on" || v == "true");
        let address = self.address.trim().to_owned();
        let purpose = self.purpose.trim().to_owned();
        if tax_eligible {
            // A receipt without these is invalid for the tax office: refuse early.
            if self.rna.trim().is_empty() && self.siren.trim().is_empty() {
                errors.push(FieldError::new("rna", "err-legal-id-needed"));
            }
            if address.is_empty() {
                errors.push(FieldError::new("address", "err-needed-for-receipts"));
            }
            if purpose.is_empty() {
                errors.push(FieldError::new("purpose", "err-needed-for-receipts"));
            }
        }
        let timezone = self.timezone.trim().to_owned();
        if !is_known_timezone(&timezone) {
            errors.push(FieldError::new("timezone", "err-timezone"));
        }
        let default_locale = Locale::parse(&self.default_locale);
        if default_locale.is_none() {
            errors.push(FieldError::new("default_locale", "err-locale"));
        }
        match (slug, contact_email, primary_color, accent_color, default_locale) {
            (Some(slug), Some(contact_email), Some(primary_color), Some(accent_color), Some(default_locale))
                if errors.is_empty() =>
            {
                Ok(Settings {
                    name,
                    slug,
                    contact_email,
                    primary_color,
                    accent_color,
                    legal_name: self.legal_name.trim().to_owned(),
                    rna,
                    siren,
                    address,
                    purpose,
                    tax_eligible,
                    timezone,
                    default_locale,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> SettingsInput {
        SettingsInput {
            name: "Les Amis du Puits".into(),
            slug: "amis-du-puits".into(),
            contact_email: "Contact@Amis.org".into(),
            primary_color: "#1d4ed8".into(),
            accent_color: "#9a3412".into(),
            rna: "W751234567".into(),
            address: "1 rue de la Paix, 75002 Paris".into(),
            purpose: "Accès à l'eau potable".into(),
            tax_eligible: Some("on".into()),
            timezone: "Europe/Paris".into(),
            default_locale: "fr".into(),
            ..Default::default()
        }
    }

    #[test]
    fn valid_settings_are_normalised() {
        let s = valid().parse().unwrap();
        assert_eq!(s.contact_email.as_str(), "contact@amis.org");
        assert!(s.tax_eligible);
        assert_eq!(s.default_locale, Locale::Fr);
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let input = SettingsInput {
            name: " ".into(),
            slug: "A B".into(),
            contact_email: "nope".into(),
            primary_color: "#ffff00".into(),
            accent_color: "orange".into(),
            siren: "123".into(),
            timezone: "Mars/Olympus".into(),
            default_locale: "de".into(),
            ..Default::default()
        };
        let errors = input.parse().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "name",
                "slug",
                "contact_email",
                "primary_color",
                "accent_color",
                "siren",
                "timezone",
                "default_locale"
            ]
        );
        assert_eq!(errors[3].code, "err-color-contrast");
        assert_eq!(errors[4].code, "err-color");
        assert!(errors[3].arg.is_some());
    }

    #[test]
    fn tax_eligibility_requires_what_receipts_print() {
        let input = SettingsInput {
            rna: String::new(),
            address: String::new(),
            purpose: " ".into(),
            ..valid()
        };
        let codes: Vec<_> = input.parse().unwrap_err().iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            codes,
            [
                ("rna", "err-legal-id-needed"),
                ("address", "err-needed-for-receipts"),
                ("purpose", "err-needed-for-receipts")
            ]
        );
        let not_eligible = SettingsInput {
            tax_eligible: None,
            rna: String::new(),
            address: String::new(),
            ..valid()
        };
        assert!(not_eligible.parse().is_ok());
    }
}
