//! The association's retention policy (`/admin/people/retention`): after how many
//! months without activity and without any consent people are erased, and how many
//! the next housekeeping would erase.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::role::Permission;
use relais_core::settings::FieldError;

use crate::extract::Lang;
use crate::render::{Chrome, Errors, page, refused};
use crate::routes::admin::{Done, admin_chrome};
use crate::session::Staff;
use crate::{AppError, Shared};

/// The choices offered: months, or empty to keep everyone.
const CHOICES: [&str; 6] = ["", "12", "24", "36", "60", "120"];

#[derive(Template)]
#[template(path = "admin/retention.html")]
struct RetentionTemplate {
    c: Chrome,
    csrf: String,
    choices: &'static [&'static str],
    months: String,
    /// "42 people would be erased at the next housekeeping."
    due: Option<String>,
    errors: Errors,
}

async fn render(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    months: String,
    errors: &[FieldError],
    done: &Done,
) -> Result<RetentionTemplate, AppError> {
    let access = staff.require(Permission::ManageSettings)?;
    let org = state.store.org(access).await?;
    let mut c = admin_chrome(
        state,
        staff,
        Some(&org),
        lang,
        "retention-title",
        "/admin/people/retention",
        "people",
    );
    c.notice = done.notice(&c.t);
    let due = match state.store.retention_months(access).await? {
        Some(_) => {
            let n = state.store.retention_due(access, crate::now()).await?;
            Some(c.t.arg(
                "retention-due",
                "count",
                &relais_core::project::format_count(n, c.t.locale),
            ))
        }
        None => None,
    };
    Ok(RetentionTemplate {
        errors: Errors::from_fields(&c.t, errors),
        c,
        csrf: staff.session.csrf.clone(),
        choices: &CHOICES,
        months,
        due,
    })
}

/// `GET /admin/people/retention`.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::ManageSettings)?;
    let months = state
        .store
        .retention_months(access)
        .await?
        .map(|m| m.to_string())
        .unwrap_or_default();
    page(&render(&state, &staff, lang, months, &[], &done).await?)
}

#[derive(serde::Deserialize)]
pub(crate) struct RetentionForm {
    csrf: String,
    #[serde(default)]
    months: String,
}

/// `POST /admin/people/retention` (`months`: one of the choices, empty to keep everyone).
pub(crate) async fn save(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Form(form): Form<RetentionForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageSettings)?;
    let months = match form.months.trim() {
        "" => None,
        raw if CHOICES.contains(&raw) => raw.parse::<i64>().ok(),
        _ => {
            let errors = [FieldError::new("months", "err-required")];
            return refused(&render(&state, &staff, lang, form.months, &errors, &Done::default()).await?);
        }
    };
    state
        .store
        .set_retention_months(access, months, Some(staff.user.id), crate::now())
        .await?;
    Ok(Redirect::to("/admin/people/retention?done=saved").into_response())
}
