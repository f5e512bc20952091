//! The back office's home, association switcher and failed deliveries.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::role::Permission;
use relais_store::{Channel, Org};

use crate::render::{Chrome, Nav, local_time, page};
use crate::session::Staff;
use crate::{AppError, Shared};

/// `?done=…` after a redirect: which confirmation to show (a fixed list, so a
/// link cannot make the page say anything else).
#[derive(serde::Deserialize, Default)]
pub(crate) struct Done {
    #[serde(default)]
    pub done: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

impl Done {
    pub(crate) fn notice(&self, t: &crate::i18n::Tr) -> Option<String> {
        let id = match self.done.as_deref()? {
            "saved" => "saved",
            "password" => "reset-done",
            "account-password" => "account-password-saved",
            "logo" => "logo-saved",
            "logo-removed" => "logo-removed",
            "role" => "staff-updated",
            "removed" => "staff-removed",
            "retried" => "outbox-retried",
            "state" => "petition-state-changed",
            "image" => "petition-image-saved",
            "campaign-moved" => "campaigns-done-moved",
            "invited" => return Some(t.arg("staff-invited", "email", self.email.as_deref().unwrap_or_default())),
            _ => return None,
        };
        Some(t.get(id))
    }
}

/// The chrome of a back-office page: the staff member's language, navigation, and
/// the current association's branding.
pub(crate) fn admin_chrome(
    state: &Shared,
    staff: &Staff,
    org: Option<&Org>,
    lang: crate::extract::Lang,
    title: &str,
    path: &str,
    active: &'static str,
) -> Chrome {
    let default = org.map(Org::locale).unwrap_or_default();
    let t = state.tr(lang.or(default));
    let mut c = Chrome::new(t.clone(), t.get(title), path);
    c.nav = Some(Nav::of(staff, active));
    c.brand = org.map(crate::render::Brand::of);
    c
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardTemplate {
    c: Chrome,
    email: String,
    org: Option<Org>,
    role_label: String,
    dead_letters: usize,
}

/// `GET /admin`.
pub(crate) async fn dashboard(
    State(state): State<Shared>,
    staff: Staff,
    lang: crate::extract::Lang,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let org = match &staff.access {
        Some(access) => Some(state.store.org(access).await?),
        None => None,
    };
    let dead_letters = match &staff.access {
        Some(access) if access.allows(Permission::ManageSettings) => state.store.dead_letters(access).await?.len(),
        _ => 0,
    };
    let mut c = admin_chrome(
        &state,
        &staff,
        org.as_ref(),
        lang,
        "dashboard-title",
        "/admin",
        "dashboard",
    );
    c.notice = done.notice(&c.t);
    let role_label = staff
        .access
        .as_ref()
        .map(|a| c.t.get(&format!("role-{}", a.role().as_str())))
        .unwrap_or_default();
    page(&DashboardTemplate {
        c,
        email: staff.user.email.clone(),
        org,
        role_label,
        dead_letters,
    })
}

#[derive(serde::Deserialize)]
pub(crate) struct SwitchForm {
    #[serde(default)]
    csrf: String,
    org_id: i64,
}

/// `POST /admin/switch`: works on another association the person belongs to.
pub(crate) async fn switch_org(
    State(state): State<Shared>,
    staff: Staff,
    Form(form): Form<SwitchForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    // The tenancy guard decides: a forged org_id of another association fails here.
    state
        .store
        .authorise(staff.user.id, form.org_id)
        .await?
        .ok_or(AppError::Forbidden)?;
    state.store.set_session_org(&staff.session.id_hash, form.org_id).await?;
    Ok(Redirect::to("/admin").into_response())
}

pub(crate) struct DeadRow {
    id: i64,
    when: String,
    channel: &'static str,
    recipient: String,
    subject: String,
    attempts: i64,
    error: String,
}

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct OutboxTemplate {
    c: Chrome,
    csrf: String,
    rows: Vec<DeadRow>,
}

/// `GET /admin/outbox`: dead letters with their last error.
pub(crate) async fn outbox(
    State(state): State<Shared>,
    staff: Staff,
    lang: crate::extract::Lang,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::ManageSettings)?;
    let org = state.store.org(access).await?;
    let rows = state
        .store
        .dead_letters(access)
        .await?
        .into_iter()
        .map(|m| DeadRow {
            id: m.id,
            when: local_time(m.created_at, &org.timezone),
            channel: match m.channel {
                Channel::Email => "e-mail",
                Channel::Sms => "SMS",
            },
            recipient: m.recipient,
            subject: m.payload.subject,
            attempts: m.attempts,
            error: m.last_error.unwrap_or_default(),
        })
        .collect();
    let mut c = admin_chrome(
        &state,
        &staff,
        Some(&org),
        lang,
        "outbox-title",
        "/admin/outbox",
        "outbox",
    );
    c.notice = done.notice(&c.t);
    page(&OutboxTemplate {
        c,
        csrf: staff.session.csrf.clone(),
        rows,
    })
}

/// `POST /admin/outbox/{id}/retry`.
pub(crate) async fn retry(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<crate::routes::auth::CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageSettings)?;
    state.store.retry_dead(access, id, crate::now()).await?;
    Ok(Redirect::to("/admin/outbox?done=retried").into_response())
}
