//! What every page shares (the "chrome": language, title, association branding,
//! back-office navigation) and the rendering of templates into responses.

use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use relais_core::role::Permission;
use relais_core::settings::FieldError;
use relais_store::Org;

use crate::AppError;
use crate::i18n::Tr;
use crate::session::Staff;

/// An association's look on its pages.
pub(crate) struct Brand {
    pub name: String,
    pub slug: String,
    /// The association's stylesheet (its colours), versioned for caching.
    pub theme_url: String,
    pub logo_url: Option<String>,
}

impl Brand {
    pub(crate) fn of(org: &Org) -> Self {
        Self {
            name: org.name.clone(),
            slug: org.slug.clone(),
            theme_url: format!("/theme/{}.css?v={}", org.slug, org.updated_at),
            logo_url: org.logo_path.as_ref().map(|p| format!("/media/{p}")),
        }
    }
}

/// One association in the switcher.
pub(crate) struct OrgChoice {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

/// The back-office navigation for a signed-in person.
pub(crate) struct Nav {
    pub csrf: String,
    pub active: &'static str,
    pub can_settings: bool,
    pub can_staff: bool,
    /// Personal data (the people list) is for editors and above.
    pub can_people: bool,
    pub orgs: Vec<OrgChoice>,
}

impl Nav {
    pub(crate) fn of(staff: &Staff, active: &'static str) -> Self {
        let current = staff.access.as_ref().map(relais_store::OrgAccess::org_id);
        Self {
            csrf: staff.session.csrf.clone(),
            active,
            can_settings: staff.can(Permission::ManageSettings),
            can_staff: staff.can(Permission::View),
            can_people: staff.can(Permission::EditContent),
            orgs: staff
                .memberships
                .iter()
                .map(|m| OrgChoice {
                    id: m.org_id,
                    name: m.org_name.clone(),
                    selected: Some(m.org_id) == current,
                })
                .collect(),
        }
    }
}

/// What the base layout needs.
pub(crate) struct Chrome {
    pub t: Tr,
    pub title: String,
    /// The current path, so the language switch comes back here.
    pub path: String,
    pub brand: Option<Brand>,
    pub nav: Option<Nav>,
    /// A confirmation to show once (after a redirect).
    pub notice: Option<String>,
}

impl Chrome {
    pub(crate) fn new(t: Tr, title: String, path: &str) -> Self {
        Self {
            t,
            title,
            path: path.to_owned(),
            brand: None,
            nav: None,
            notice: None,
        }
    }

    /// The language switch's target for `code`.
    pub(crate) fn lang_href(&self, code: &str) -> String {
        let next: String = url::form_urlencoded::byte_serialize(self.path.as_bytes()).collect();
        format!("/lang/{code}?next={next}")
    }
}

/// Translated field errors of a refused form, in field order.
#[derive(Default)]
pub(crate) struct Errors(Vec<(String, String)>);

impl Errors {
    pub(crate) fn from_fields(t: &Tr, errors: &[FieldError]) -> Self {
        Self(
            errors
                .iter()
                .map(|e| {
                    let message = match &e.arg {
                        Some(v) => t.arg(e.code, "value", v),
                        None => t.get(e.code),
                    };
                    (e.field.to_owned(), message)
                })
                .collect(),
        )
    }

    pub(crate) fn one(field: &str, message: String) -> Self {
        Self(vec![(field.to_owned(), message)])
    }

    /// Adds a message for `field` (after those already there).
    pub(crate) fn with(mut self, field: &str, message: String) -> Self {
        self.0.push((field.to_owned(), message));
        self
    }

    /// The message for `field`, if it was refused.
    pub(crate) fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    /// `aria-invalid` value for `field`.
    pub(crate) fn invalid(&self, field: &str) -> &'static str {
        if self.get(field).is_some() { "true" } else { "false" }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn list(&self) -> &[(String, String)] {
        &self.0
    }
}

/// Renders a page.
pub(crate) fn page<T: Template>(template: &T) -> Result<Response, AppError> {
    Ok(Html(template.render()?).into_response())
}

/// Renders a refused form again: 422 with the page, fields as typed.
pub(crate) fn refused<T: Template>(template: &T) -> Result<Response, AppError> {
    Ok((
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        [(header::CACHE_CONTROL, "no-store")],
        Html(template.render()?),
    )
        .into_response())
}

/// Formats a timestamp for people, in the association's time zone.
pub(crate) fn local_time(ts: i64, tz: &str) -> String {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_second(ts)
        .map(|t| t.to_zoned(zone).strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}
