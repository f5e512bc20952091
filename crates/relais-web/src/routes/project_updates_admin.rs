//! News of a project in the back office: what happened, with a photo, and the
//! stage or figures it announces (the project takes them as the news is saved).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::project::{UpdateInput, parse_figures};
use relais_core::role::Permission;
use relais_core::settings::FieldError;
use relais_store::NewProjectUpdate;

use crate::extract::Lang;
use crate::images::ImageError;
use crate::render::refused;
use crate::routes::project_page_admin::{Forms, figure_rows, project_page};
use crate::session::Staff;
use crate::{AppError, Shared};

/// `POST /admin/projects/{id}/updates` (multipart: `csrf`, `body`, `stage`, `photo`,
/// `alt`, and the figure rows of the figures form).
pub(crate) async fn create(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let upload = crate::extract::Upload::read(multipart, "photo").await?;
    staff.check_csrf(&upload.field("csrf"))?;
    let access = staff.require(Permission::EditContent)?;
    let project = state.store.project(access, id).await?;
    let input = UpdateInput {
        body: upload.field("body"),
        stage: upload.field("stage"),
        alt: upload.field("alt"),
    };
    let rows = figure_rows(&upload.all);
    // A checkbox sends nothing when unchecked; the form's default is checked.
    let tell = !upload.field("tell").is_empty();
    let mut errors = Vec::new();
    let draft = input.parse().map_err(|e| errors.extend(e)).ok();
    let figures = parse_figures(&rows)
        .map_err(|e| {
            errors.extend(e.into_iter().map(|mut fe| {
                fe.field = "update-figures";
                fe
            }));
        })
        .ok();
    let sizes = match upload.file {
        None => None,
        Some(bytes) => match tokio::task::spawn_blocking(move || crate::images::photo_sizes(&bytes)).await {
            Ok(Ok(sizes)) => Some(sizes),
            Ok(Err(ImageError::TooLarge)) => {
                errors.push(FieldError::new("update-photo", "err-photo-size"));
                None
            }
            Ok(Err(ImageError::Unreadable)) => {
                errors.push(FieldError::new("update-photo", "err-logo-type"));
                None
            }
            Err(e) => return Err(AppError::Internal(format!("photo task: {e}"))),
        },
    };
    let (Some(draft), Some(figures), true) = (draft, figures, errors.is_empty()) else {
        let forms = Forms {
            update: Some((input, rows)),
            update_tell: Some(tell),
            ..Forms::default()
        };
        return refused(&project_page(&state, &staff, lang, id, forms, &errors).await?);
    };
    let media = state.config.data_dir.join("media");
    let photo = match sizes {
        Some(sizes) => Some(
            crate::images::save_project_photo(&media, id, &sizes)
                .await
                .map_err(|e| AppError::Internal(format!("saving photo: {e}")))?,
        ),
        None => None,
    };
    // Figures as they were are no news: only a change is recorded with the update.
    let new_figures = (figures != project.figures).then_some(figures.as_slice());
    let update = NewProjectUpdate {
        body: &draft.body,
        photo: photo.as_deref().map(|base| (base, draft.alt.as_str())),
        stage: draft.stage.filter(|s| *s != project.stage),
        figures: new_figures,
        tell,
    };
    let update = state
        .store
        .add_project_update(access, id, &update, Some(staff.user.id), crate::now())
        .await?;
    tracing::info!(project = id, update = update.id, tell, "project news published");
    Ok(Redirect::to(&format!("/admin/projects/{id}?done=update#news")).into_response())
}

/// `POST /admin/projects/{id}/updates/{update}/remove`.
pub(crate) async fn remove(
    State(state): State<Shared>,
    staff: Staff,
    Path((id, update)): Path<(i64, i64)>,
    Form(form): Form<crate::routes::auth::CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let removed = state.store.remove_project_update(access, id, update).await?;
    if let Some(base) = removed.photo_base.as_deref() {
        // The same picture may also be one of the project's photos: keep the files then.
        let page = state.store.project_page(access, id).await?;
        let used = page.photos.iter().any(|p| p.file_base == base)
            || page.updates.iter().any(|u| u.photo_base.as_deref() == Some(base));
        if !used {
            crate::images::remove_photo(&state.config.data_dir.join("media"), base).await;
        }
    }
    Ok(Redirect::to(&format!("/admin/projects/{id}?done=update-removed#news")).into_response())
}
