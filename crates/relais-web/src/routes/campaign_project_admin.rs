//! `POST /admin/campaigns/{id}/project`: staff restrict a campaign to another of the
//! association's projects, or to none, after creating it.
//!
//! Gifts already made stay with the project they were given to: a donor who gave on
//! a page that said "for the well" gave for the well (and, for a campaign that was
//! unrestricted, allocations already drawn on its gifts stay valid). Gifts made
//! from now on, monthly ones included, follow the campaign. The form says so.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::role::Permission;
use relais_store::StoreError;

use crate::session::Staff;
use crate::{AppError, Shared};

#[derive(serde::Deserialize)]
pub(crate) struct MoveForm {
    csrf: String,
    /// A project id of the association; empty: no project.
    #[serde(default)]
    project: String,
}

/// Moves campaign `id` to the chosen project; a project of another association, or
/// not a number, is refused as not found (nothing says whether it exists elsewhere).
pub(crate) async fn move_project(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<MoveForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let project = match form.project.trim() {
        "" => None,
        raw => Some(raw.parse::<i64>().map_err(|_| AppError::NotFound)?),
    };
    match state
        .store
        .set_campaign_project(access, id, project, Some(staff.user.id), crate::now())
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/campaigns?done=campaign-moved").into_response()),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
