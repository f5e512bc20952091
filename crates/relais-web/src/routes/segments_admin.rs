//! Saving the people list's filters as a named segment, and deleting one. The list
//! itself (`/admin/people`) shows the segments with their live counts.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::role::Permission;
use relais_core::segment::SegmentInput;
use relais_core::settings::FieldError;
use relais_store::StoreError;

use crate::extract::Lang;
use crate::render::refused;
use crate::routes::people::list_page;
use crate::session::Staff;
use crate::{AppError, Shared};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct SaveForm {
    csrf: String,
    name: String,
    /// The list's filters, as its query string.
    query: String,
}

/// `POST /admin/segments`: saves the filters under a name, then shows them.
pub(crate) async fn save(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Form(form): Form<SaveForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let filters = SegmentInput::from_query_string(&form.query);
    let name = form.name.trim();
    let mut errors = Vec::new();
    if name.is_empty() {
        errors.push(FieldError::new("name", "err-required"));
    } else if name.chars().count() > 80 || name.chars().any(char::is_control) {
        errors.push(FieldError::new("name", "err-too-long"));
    }
    let parsed = filters.parse();
    if errors.is_empty()
        && let Ok(segment) = &parsed
        && !segment.is_everyone()
    {
        // Stored in its canonical form, so that the saved link reads like the list's.
        let query = filters.query_string();
        match state
            .store
            .save_segment(access, name, &query, Some(staff.user.id), crate::now())
            .await
        {
            Ok(_) => return Ok(Redirect::to(&format!("/admin/people?{query}")).into_response()),
            Err(StoreError::Conflict(_)) => errors.push(FieldError::new("name", "err-segment-name-taken")),
            Err(e) => return Err(e.into()),
        }
    }
    if matches!(&parsed, Ok(s) if s.is_everyone()) {
        errors.push(FieldError::new("name", "err-segment-everyone"));
    }
    refused(&list_page(&state, &staff, lang, (filters, 0), errors, form.name.clone()).await?)
}

#[derive(serde::Deserialize)]
pub(crate) struct DeleteForm {
    csrf: String,
}

/// `POST /admin/segments/{id}/delete`: the segment goes, its people stay.
pub(crate) async fn delete(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    state.store.delete_segment(access, id).await?;
    Ok(Redirect::to("/admin/people").into_response())
}
