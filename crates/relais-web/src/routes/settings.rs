//! The association's settings and logo.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::role::Permission;
use relais_core::settings::{FieldError, SettingsInput};
use relais_store::{Org, StoreError};

use crate::extract::Lang;
use crate::render::{Chrome, Errors, page, refused};
use crate::routes::admin::{Done, admin_chrome};
use crate::session::Staff;
use crate::{AppError, Shared};

/// Time zones offered in the picker (any IANA name is accepted).
const TIMEZONES: &[&str] = &[
    "Europe/Paris",
    "America/Cayenne",
    "America/Guadeloupe",
    "America/Martinique",
    "Indian/Reunion",
    "Indian/Mayotte",
    "Pacific/Noumea",
    "Pacific/Tahiti",
    "Europe/Brussels",
    "Europe/Luxembourg",
    "Europe/Zurich",
    "America/Montreal",
    "Africa/Dakar",
    "Africa/Abidjan",
    "UTC",
];

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsTemplate {
    c: Chrome,
    errors: Errors,
    csrf: String,
    input: SettingsInput,
    slug_example: String,
    logo_url: Option<String>,
    timezones: &'static [&'static str],
    /// This installation's origin, for the newsletter snippets.
    origin: String,
}

fn input_of(org: &Org) -> SettingsInput {
    SettingsInput {
        name: org.name.clone(),
        slug: org.slug.clone(),
        contact_email: org.contact_email.clone(),
        primary_color: org.primary_color.clone(),
        accent_color: org.accent_color.clone(),
        legal_name: org.legal_name.clone(),
        rna: org.rna.clone(),
        siren: org.siren.clone(),
        address: org.address.clone(),
        purpose: org.purpose.clone(),
        tax_eligible: org.tax_eligible.then(|| "on".to_owned()),
        timezone: org.timezone.clone(),
        default_locale: org.default_locale.clone(),
    }
}

fn template(
    state: &Shared,
    staff: &Staff,
    org: &Org,
    lang: Lang,
    input: SettingsInput,
    errors: &[FieldError],
    done: &Done,
) -> SettingsTemplate {
    let mut c = admin_chrome(
        state,
        staff,
        Some(org),
        lang,
        "settings-title",
        "/admin/settings",
        "settings",
    );
    c.notice = done.notice(&c.t);
    let errors = Errors::from_fields(&c.t, errors);
    SettingsTemplate {
        errors,
        csrf: staff.session.csrf.clone(),
        slug_example: state.config.link(&format!(
            "/o/{}",
            if input.slug.is_empty() { &org.slug } else { &input.slug }
        )),
        input,
        logo_url: org.logo_path.as_ref().map(|p| format!("/media/{p}")),
        timezones: TIMEZONES,
        origin: state.config.link(""),
        c,
    }
}

/// `GET /admin/settings`.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::ManageSettings)?;
    let org = state.store.org(access).await?;
    page(&template(&state, &staff, &org, lang, input_of(&org), &[], &done))
}

#[derive(serde::Deserialize)]
pub(crate) struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: SettingsInput,
}

/// `POST /admin/settings`: saves, or shows the form again as typed with each problem.
pub(crate) async fn save(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageSettings)?;
    let org = state.store.org(access).await?;
    let settings = match form.input.parse() {
        Ok(s) => s,
        Err(errors) => {
            return refused(&template(
                &state,
                &staff,
                &org,
                lang,
                form.input,
                &errors,
                &Done::default(),
            ));
        }
    };
    match state.store.update_settings(access, &settings, crate::now()).await {
        Ok(_) => Ok(Redirect::to("/admin/settings?done=saved").into_response()),
        Err(StoreError::Conflict(_)) => {
            let errors = [FieldError::new("slug", "err-slug-taken")];
            refused(&template(
                &state,
                &staff,
                &org,
                lang,
                form.input,
                &errors,
                &Done::default(),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/settings/logo` (multipart: `csrf`, `logo`).
pub(crate) async fn upload_logo(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let upload = crate::extract::Upload::read(multipart, "logo").await?;
    let (csrf, file) = (upload.field("csrf"), upload.file);
    staff.check_csrf(&csrf)?;
    let access = staff.require(Permission::ManageSettings)?;
    let org = state.store.org(access).await?;
    let refuse = |code: &'static str| {
        refused(&template(
            &state,
            &staff,
            &org,
            lang,
            input_of(&org),
            &[FieldError::new("logo", code)],
            &Done::default(),
        ))
    };
    let Some(bytes) = file else {
        return refuse("err-logo-missing");
    };
    let png = match tokio::task::spawn_blocking(move || crate::images::normalise(&bytes)).await {
        Ok(Ok(png)) => png,
        Ok(Err(crate::images::ImageError::TooLarge)) => return refuse("err-logo-size"),
        Ok(Err(crate::images::ImageError::Unreadable)) => return refuse("err-logo-type"),
        Err(e) => return Err(AppError::Internal(format!("logo task: {e}"))),
    };
    let media = state.config.data_dir.join("media");
    let name = crate::images::save(&media, org.id, &png)
        .await
        .map_err(|e| AppError::Internal(format!("saving logo: {e}")))?;
    state.store.set_logo(access, Some(&name), crate::now()).await?;
    remove_old_logo(&media, org.logo_path.as_deref(), &name).await;
    Ok(Redirect::to("/admin/settings?done=logo").into_response())
}

async fn remove_old_logo(media: &std::path::Path, old: Option<&str>, new: &str) {
    if let Some(old) = old.filter(|o| *o != new && crate::images::is_media_name(o))
        && let Err(e) = tokio::fs::remove_file(media.join(old)).await
    {
        tracing::warn!(file = old, error = %e, "old logo not removed");
    }
}

/// `POST /admin/settings/logo/remove`.
pub(crate) async fn remove_logo(
    State(state): State<Shared>,
    staff: Staff,
    Form(form): Form<crate::routes::auth::CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageSettings)?;
    let org = state.store.org(access).await?;
    state.store.set_logo(access, None, crate::now()).await?;
    remove_old_logo(&state.config.data_dir.join("media"), org.logo_path.as_deref(), "").await;
    Ok(Redirect::to("/admin/settings?done=logo-removed").into_response())
}
