//! The signed-in person's own account: an optional password.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;

use crate::extract::Lang;
use crate::render::{Chrome, Errors, page, refused};
use crate::routes::admin::{Done, admin_chrome};
use crate::session::{Staff, open_session};
use crate::{AppError, Shared};

#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountTemplate {
    c: Chrome,
    errors: Errors,
    csrf: String,
    email: String,
    memberships: Vec<(String, String)>,
}

async fn account_template(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    errors: Errors,
    done: &Done,
) -> Result<AccountTemplate, AppError> {
    let org = match &staff.access {
        Some(a) => Some(state.store.org(a).await?),
        None => None,
    };
    let mut c = admin_chrome(
        state,
        staff,
        org.as_ref(),
        lang,
        "account-title",
        "/admin/account",
        "account",
    );
    c.notice = done.notice(&c.t);
    let memberships = staff
        .memberships
        .iter()
        .map(|m| (m.org_name.clone(), c.t.get(&format!("role-{}", m.role.as_str()))))
        .collect();
    Ok(AccountTemplate {
        c,
        errors,
        csrf: staff.session.csrf.clone(),
        email: staff.user.email.clone(),
        memberships,
    })
}

/// `GET /admin/account`.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    page(&account_template(&state, &staff, lang, Errors::default(), &done).await?)
}

#[derive(serde::Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

/// `POST /admin/account/password`: sets a password, signs out every other session.
pub(crate) async fn set_password(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    jar: CookieJar,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let t = state.tr(lang.resolve());
    if let Some(errors) = crate::routes::auth::password_errors(&t, &form.password) {
        return refused(&account_template(&state, &staff, lang, errors, &Done::default()).await?);
    }
    let hash = crate::password::hash(form.password).await?;
    state.store.set_password_hash(staff.user.id, Some(&hash)).await?;
    // Every session was closed by the change; this browser gets a fresh one.
    let current_org = staff.access.as_ref().map(relais_store::OrgAccess::org_id);
    let cookie = open_session(&state, staff.user.id, current_org).await?;
    Ok((jar.add(cookie), Redirect::to("/admin/account?done=account-password")).into_response())
}
