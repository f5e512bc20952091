//! API keys in the back office (`/admin/api-keys`): owners and admins make keys
//! for their association's own software, see when each was last used, revoke
//! them. A key's secret is shown once, on the page that answers its creation,
//! and only its SHA-256 is stored.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::role::Permission;
use relais_store::{ApiKey, hash_secret, random_token};

use crate::extract::Lang;
use crate::render::{Chrome, Errors, local_time, page, refused};
use crate::routes::admin::admin_chrome;
use crate::session::Staff;
use crate::{AppError, Shared};

/// What every key's secret starts with, so a leaked one is recognisable in a
/// repository or a log (secret scanners look for such prefixes).
pub(crate) const KEY_PREFIX: &str = "rls_";

/// One key, formatted.
struct KeyLine {
    id: i64,
    name: String,
    prefix: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/api_keys.html")]
struct KeysTemplate {
    c: Chrome,
    csrf: String,
    errors: Errors,
    keys: Vec<KeyLine>,
    name: String,
    /// The secret just made, with its key's name: shown this once.
    secret: Option<(String, String)>,
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct KeysDone {
    #[serde(default)]
    done: Option<String>,
}

async fn template(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    errors: Errors,
    name: String,
    secret: Option<(String, String)>,
) -> Result<KeysTemplate, AppError> {
    let access = staff.require(Permission::ManageSettings)?;
    let org = state.store.org(access).await?;
    let c = admin_chrome(
        state,
        staff,
        Some(&org),
        lang,
        "api-keys-title",
        "/admin/api-keys",
        "settings",
    );
    let keys = state
        .store
        .api_keys(access)
        .await?
        .into_iter()
        .map(|k: ApiKey| KeyLine {
            id: k.id,
            name: k.name,
            prefix: format!("{}…", k.prefix),
            created: local_time(k.created_at, &org.timezone),
            last_used: k
                .last_used_at
                .map_or_else(|| c.t.get("api-keys-never"), |t| local_time(t, &org.timezone)),
            revoked: k
                .revoked_at
                .map(|t| c.t.arg("api-keys-revoked", "date", &local_time(t, &org.timezone))),
        })
        .collect();
    Ok(KeysTemplate {
        csrf: staff.session.csrf.clone(),
        errors,
        keys,
        name,
        secret,
        c,
    })
}

/// `GET /admin/api-keys`.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(done): Query<KeysDone>,
) -> Result<Response, AppError> {
    let mut t = template(&state, &staff, lang, Errors::default(), String::new(), None).await?;
    if done.done.as_deref() == Some("revoked") {
        t.c.notice = Some(t.c.t.get("api-keys-done-revoked"));
    }
    page(&t)
}

#[derive(serde::Deserialize)]
pub(crate) struct NewKeyForm {
    csrf: String,
    #[serde(default)]
    name: String,
}

/// `POST /admin/api-keys` (`name`): makes a key and shows its secret once. The
/// page answers the POST itself: a redirect would need the secret in a URL.
pub(crate) async fn create(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Form(form): Form<NewKeyForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageSettings)?;
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        let t = state.tr(lang.resolve());
        let code = if name.is_empty() {
            "err-required"
        } else {
            "err-too-long"
        };
        let errors = Errors::one("name", t.get(code));
        return refused(&template(&state, &staff, lang, errors, form.name, None).await?);
    }
    let secret = format!("{KEY_PREFIX}{}", random_token());
    let prefix: String = secret.chars().take(KEY_PREFIX.len() + 6).collect();
    let key = state
        .store
        .create_api_key(
            access,
            &name,
            &hash_secret(&secret),
            &prefix,
            Some(staff.user.id),
            crate::now(),
        )
        .await?;
    // The secret never reaches a log: only the key's id and name do.
    tracing::info!(org = access.org_id(), key = key.id, name = %key.name, "API key created");
    page(
        &template(
            &state,
            &staff,
            lang,
            Errors::default(),
            String::new(),
            Some((name, secret)),
        )
        .await?,
    )
}

/// `POST /admin/api-keys/{id}/revoke`.
pub(crate) async fn revoke(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<crate::routes::auth::CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageSettings)?;
    state.store.revoke_api_key(access, id, crate::now()).await?;
    tracing::info!(org = access.org_id(), key = id, "API key revoked");
    Ok(Redirect::to("/admin/api-keys?done=revoked").into_response())
}
