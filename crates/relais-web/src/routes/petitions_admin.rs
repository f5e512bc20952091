//! Petitions in the back office: list, write, edit, publish, close.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::petition::{PetitionInput, PetitionState};
use relais_core::role::Permission;
use relais_core::settings::FieldError;
use relais_store::{Petition, StoreError};

use crate::extract::Lang;
use crate::render::{Chrome, Errors, page, refused};
use crate::routes::admin::{Done, admin_chrome};
use crate::session::Staff;
use crate::{AppError, Shared};

#[derive(Template)]
#[template(path = "admin/petitions.html")]
struct ListTemplate {
    c: Chrome,
    petitions: Vec<Petition>,
    can_edit: bool,
}

/// `GET /admin/petitions`.
pub(crate) async fn list(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::View)?;
    let org = state.store.org(access).await?;
    let petitions = state.store.petitions(access).await?;
    let mut c = admin_chrome(
        &state,
        &staff,
        Some(&org),
        lang,
        "petitions-title",
        "/admin/petitions",
        "petitions",
    );
    c.notice = done.notice(&c.t);
    page(&ListTemplate {
        c,
        petitions,
        can_edit: staff.can(Permission::EditContent),
    })
}

#[derive(Template)]
#[template(path = "admin/petition_form.html")]
struct FormTemplate {
    c: Chrome,
    errors: Errors,
    csrf: String,
    input: PetitionInput,
    /// `None` while creating.
    petition: Option<Petition>,
    base: String,
    /// This installation's origin, for the embed snippets.
    origin: String,
}

impl FormTemplate {
    fn state_label(&self) -> String {
        self.petition
            .as_ref()
            .map(|p| self.c.t.get(&format!("petition-state-{}", p.state.as_str())))
            .unwrap_or_default()
    }

    /// The moves staff can make from the current state, as (target, label id).
    fn moves(&self) -> Vec<(&'static str, String)> {
        let Some(p) = &self.petition else { return Vec::new() };
        [PetitionState::Published, PetitionState::Closed]
            .into_iter()
            .filter(|to| p.state.can_become(*to))
            .map(|to| (to.as_str(), self.c.t.get(&format!("petition-move-{}", to.as_str()))))
            .collect()
    }
}

fn input_of(p: &Petition) -> PetitionInput {
    PetitionInput {
        title: p.title.clone(),
        slug: p.slug.clone(),
        body: p.body.clone(),
        target_name: p.target_name.clone(),
        target_role: p.target_role.clone(),
        goal: p.goal.map(|g| g.to_string()).unwrap_or_default(),
        tags: p.tags.join(", "),
        closes_on: p.closes_on.clone().unwrap_or_default(),
        place_postcode: p.place.as_ref().map(|pl| pl.postcode.clone()).unwrap_or_default(),
    }
}

async fn form_page(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    input: PetitionInput,
    petition: Option<Petition>,
    errors: &[FieldError],
    done: &Done,
) -> Result<FormTemplate, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let (title, path) = match &petition {
        Some(p) => ("petition-edit-title", format!("/admin/petitions/{}", p.id)),
        None => ("petition-new-title", "/admin/petitions/new".to_owned()),
    };
    let mut c = admin_chrome(state, staff, Some(&org), lang, title, &path, "petitions");
    c.notice = done.notice(&c.t);
    let errors = Errors::from_fields(&c.t, errors);
    Ok(FormTemplate {
        errors,
        csrf: staff.session.csrf.clone(),
        input,
        petition,
        base: state.config.link("/p/"),
        origin: state.config.link(""),
        c,
    })
}

/// The petition form again (422), as typed, with each problem next to its field.
async fn refused_form(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    input: PetitionInput,
    petition: Option<Petition>,
    errors: &[FieldError],
) -> Result<Response, AppError> {
    refused(&form_page(state, staff, lang, input, petition, errors, &Done::default()).await?)
}

pub(crate) fn today(org: &relais_store::Org) -> jiff::civil::Date {
    let zone = jiff::tz::TimeZone::get(&org.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::now().to_zoned(zone).date()
}

/// `GET /admin/petitions/new`.
pub(crate) async fn new(State(state): State<Shared>, staff: Staff, lang: Lang) -> Result<Response, AppError> {
    page(
        &form_page(
            &state,
            &staff,
            lang,
            PetitionInput::default(),
            None,
            &[],
            &Done::default(),
        )
        .await?,
    )
}

#[derive(serde::Deserialize)]
pub(crate) struct PetitionForm {
    #[serde(default)]
    csrf: String,
    /// `publish` publishes at once; anything else saves a draft.
    #[serde(default)]
    action: String,
    #[serde(flatten)]
    input: PetitionInput,
}

/// `POST /admin/petitions`: creates a draft, or publishes at once.
pub(crate) async fn create(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Form(form): Form<PetitionForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let draft = match form.input.parse(today(&org)) {
        Ok(d) => d,
        Err(errors) => {
            return refused_form(&state, &staff, lang, form.input, None, &errors).await;
        }
    };
    let initial = if form.action == "publish" {
        PetitionState::Published
    } else {
        PetitionState::Draft
    };
    match state
        .store
        .create_petition(access, &draft, initial, Some(staff.user.id), crate::now())
        .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/admin/petitions/{}?done=saved", p.id)).into_response()),
        Err(StoreError::Conflict(_)) => {
            refused_form(
                &state,
                &staff,
                lang,
                form.input,
                None,
                &[FieldError::new("slug", "err-petition-slug-taken")],
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /admin/petitions/{id}`.
pub(crate) async fn edit(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let p = state.store.petition(access, id).await?;
    page(&form_page(&state, &staff, lang, input_of(&p), Some(p), &[], &done).await?)
}

/// `POST /admin/petitions/{id}`.
pub(crate) async fn update(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Form(form): Form<PetitionForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let current = state.store.petition(access, id).await?;
    let draft = match form.input.parse(today(&org)) {
        Ok(d) => d,
        Err(errors) => {
            return refused_form(&state, &staff, lang, form.input, Some(current), &errors).await;
        }
    };
    match state.store.update_petition(access, id, &draft, crate::now()).await {
        Ok(saved) => {
            state.petition_changed(id, &current.slug);
            state.petition_changed(id, &saved.slug);
            Ok(Redirect::to(&format!("/admin/petitions/{id}?done=saved")).into_response())
        }
        Err(StoreError::Conflict(_)) => {
            let errors = [FieldError::new("slug", "err-petition-slug-taken")];
            refused_form(&state, &staff, lang, form.input, Some(current), &errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct MoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
}

/// `POST /admin/petitions/{id}/state`: publish, close, reopen.
pub(crate) async fn set_state(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<MoveForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let current = state.store.petition(access, id).await?;
    let to = PetitionState::parse(&form.to).ok_or_else(|| AppError::BadRequest("unknown state".into()))?;
    // Victory is declared with its story (a later step), not with a bare button.
    if to == PetitionState::Victory || !current.state.can_become(to) {
        return Err(AppError::BadRequest(format!(
            "cannot move from {} to {}",
            current.state.as_str(),
            to.as_str()
        )));
    }
    state
        .store
        .set_petition_state(access, id, current.state, to, crate::now())
        .await?;
    state.petition_changed(id, &current.slug);
    Ok(Redirect::to(&format!("/admin/petitions/{id}?done=state")).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct ModerateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

/// `POST /admin/petitions/{id}/moderate`: publishes a citizen's proposal, or rejects
/// it with a reason; the author is told either way.
pub(crate) async fn moderate(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Form(form): Form<ModerateForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let p = state.store.petition(access, id).await?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(AppError::BadRequest("decision must be approve or reject".into())),
    };
    let reason = form.reason.trim();
    if !approve && reason.is_empty() {
        let errors = [FieldError::new("reason", "err-reason-needed")];
        return refused_form(&state, &staff, lang, input_of(&p), Some(p), &errors).await;
    }
    let message = match p.author_email.as_deref().map(relais_core::Email::parse) {
        Some(Ok(author)) => {
            let link = state.config.link(&if approve {
                format!("/p/{}", p.slug)
            } else {
                format!("/o/{}", org.slug)
            });
            let key = format!("moderation:{}", p.id);
            Some(crate::routes::auth::link_message(
                &state,
                author.as_str(),
                org.locale(),
                key,
                Some((org.id, org.name.clone())),
                |t| {
                    if approve {
                        (
                            t.arg("email-approved-subject", "title", &p.title),
                            t.args("email-approved-intro", &[("title", &p.title), ("org", &org.name)]),
                            t.get("email-approved-button"),
                        )
                    } else {
                        (
                            t.arg("email-rejected-subject", "title", &p.title),
                            t.args(
                                "email-rejected-intro",
                                &[("title", &p.title), ("org", &org.name), ("reason", reason)],
                            ),
                            t.arg("email-proposal-button", "org", &org.name),
                        )
                    }
                },
                link,
            )?)
        }
        _ => None,
    };
    let reason = (!approve).then_some(reason);
    state
        .store
        .moderate_petition(access, id, approve, reason, message.as_ref(), crate::now())
        .await?;
    state.petition_changed(id, &p.slug);
    Ok(Redirect::to(&format!("/admin/petitions/{id}?done=state")).into_response())
}

/// `POST /admin/petitions/{id}/image` (multipart: `csrf`, `image`).
pub(crate) async fn upload_image(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let upload = crate::extract::Upload::read(multipart, "image").await?;
    staff.check_csrf(&upload.field("csrf"))?;
    let access = staff.require(Permission::EditContent)?;
    let p = state.store.petition(access, id).await?;
    let outcome = match upload.file {
        None => Err("err-logo-missing"),
        Some(bytes) => match tokio::task::spawn_blocking(move || crate::images::photo_sizes(&bytes)).await {
            Ok(Ok(sizes)) => Ok(sizes),
            Ok(Err(crate::images::ImageError::TooLarge)) => Err("err-photo-size"),
            Ok(Err(crate::images::ImageError::Unreadable)) => Err("err-logo-type"),
            Err(e) => return Err(AppError::Internal(format!("photo task: {e}"))),
        },
    };
    let sizes = match outcome {
        Ok(sizes) => sizes,
        Err(code) => {
            let errors = [FieldError::new("image", code)];
            return refused_form(&state, &staff, lang, input_of(&p), Some(p.clone()), &errors).await;
        }
    };
    let media = state.config.data_dir.join("media");
    let base = crate::images::save_photo(&media, id, &sizes)
        .await
        .map_err(|e| AppError::Internal(format!("saving photo: {e}")))?;
    state
        .store
        .set_petition_image(access, id, Some(&base), crate::now())
        .await?;
    state.petition_changed(id, &p.slug);
    if let Some(old) = p.image_path.as_deref().filter(|old| *old != base) {
        crate::images::remove_photo(&media, old).await;
    }
    Ok(Redirect::to(&format!("/admin/petitions/{id}?done=image")).into_response())
}

/// `POST /admin/petitions/{id}/image/remove`.
pub(crate) async fn remove_image(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<crate::routes::auth::CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let p = state.store.petition(access, id).await?;
    state.store.set_petition_image(access, id, None, crate::now()).await?;
    state.petition_changed(id, &p.slug);
    if let Some(old) = p.image_path.as_deref() {
        crate::images::remove_photo(&state.config.data_dir.join("media"), old).await;
    }
    Ok(Redirect::to(&format!("/admin/petitions/{id}?done=image")).into_response())
}
