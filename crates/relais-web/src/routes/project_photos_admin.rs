//! A project's photos in the back office: uploads are decoded, checked (type,
//! size, pixels), turned upright, scaled and re-encoded by `images.rs`, which also
//! drops the GPS position a phone wrote into them.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::role::Permission;
use relais_core::settings::FieldError;

use crate::extract::Lang;
use crate::images::ImageError;
use crate::render::refused;
use crate::routes::project_page_admin::{Forms, project_page};
use crate::session::Staff;
use crate::{AppError, Shared};

/// Photos per project: enough to show the work, few enough for a phone's data plan.
pub(crate) const MAX_PHOTOS: usize = 12;

/// `POST /admin/projects/{id}/photos` (multipart: `csrf`, `photo`, `alt`).
pub(crate) async fn upload(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let upload = crate::extract::Upload::read(multipart, "photo").await?;
    staff.check_csrf(&upload.field("csrf"))?;
    let access = staff.require(Permission::EditContent)?;
    let alt = upload.field("alt").trim().to_owned();
    let page = state.store.project_page(access, id).await?;
    let outcome = if page.photos.len() >= MAX_PHOTOS {
        Err(("photo", "err-photos-count"))
    } else if alt.chars().count() > 200 || alt.chars().any(char::is_control) {
        Err(("alt", "err-too-long"))
    } else {
        match upload.file {
            None => Err(("photo", "err-logo-missing")),
            Some(bytes) => match tokio::task::spawn_blocking(move || crate::images::photo_sizes(&bytes)).await {
                Ok(Ok(sizes)) => Ok(sizes),
                Ok(Err(ImageError::TooLarge)) => Err(("photo", "err-photo-size")),
                Ok(Err(ImageError::Unreadable)) => Err(("photo", "err-logo-type")),
                Err(e) => return Err(AppError::Internal(format!("photo task: {e}"))),
            },
        }
    };
    let sizes = match outcome {
        Ok(sizes) => sizes,
        Err((field, code)) => {
            let forms = Forms {
                alt: Some(alt),
                ..Forms::default()
            };
            let errors = [FieldError::new(field, code)];
            return refused(&project_page(&state, &staff, lang, id, forms, &errors).await?);
        }
    };
    let media = state.config.data_dir.join("media");
    let base = crate::images::save_project_photo(&media, id, &sizes)
        .await
        .map_err(|e| AppError::Internal(format!("saving photo: {e}")))?;
    state
        .store
        .add_project_photo(access, id, &base, &alt, crate::now())
        .await?;
    Ok(Redirect::to(&format!("/admin/projects/{id}?done=photo#photos")).into_response())
}

/// `POST /admin/projects/{id}/photos/{photo}/remove`.
pub(crate) async fn remove(
    State(state): State<Shared>,
    staff: Staff,
    Path((id, photo)): Path<(i64, i64)>,
    Form(form): Form<crate::routes::auth::CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let removed = state.store.remove_project_photo(access, id, photo).await?;
    // The same picture uploaded twice shares its files: keep them while a row names them.
    let page = state.store.project_page(access, id).await?;
    let still_used = page.photos.iter().any(|p| p.file_base == removed.file_base)
        || page
            .updates
            .iter()
            .any(|u| u.photo_base.as_deref() == Some(removed.file_base.as_str()));
    if !still_used {
        crate::images::remove_photo(&state.config.data_dir.join("media"), &removed.file_base).await;
    }
    Ok(Redirect::to(&format!("/admin/projects/{id}?done=photo-removed#photos")).into_response())
}
