//! Editing a person's record from their page: the fuller record (names, phone,
//! address, place, language, preferred channels) and their interests, which are
//! edited like tags.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::record::RecordInput;
use relais_core::role::Permission;

use crate::extract::Lang;
use crate::routes::admin::Done;
use crate::routes::people::person_page;
use crate::session::Staff;
use crate::{AppError, Shared};

/// `POST /admin/people/{id}/record`: a refused field comes back (422) beside its
/// field, the form as typed.
pub(crate) async fn save(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    staff.check_csrf(&get("csrf"))?;
    let access = staff.require(Permission::EditContent)?;
    // The checkboxes repeat one name, which a struct cannot take.
    let input = RecordInput {
        first_name: get("first_name"),
        last_name: get("last_name"),
        phone: get("phone"),
        address: get("address"),
        postcode: get("postcode"),
        commune: get("commune"),
        country: get("country"),
        language: get("language"),
        channels: pairs
            .iter()
            .filter(|(k, _)| k == "channels")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    match input.parse() {
        Ok(record) => {
            state.store.update_record(access, id, &record).await?;
            Ok(Redirect::to(&format!("/admin/people/{id}?done=record")).into_response())
        }
        Err(errors) => person_page(&state, &staff, lang, id, &Done::default(), Some(input), &errors).await,
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct InterestForm {
    csrf: String,
    interest: String,
    #[serde(default)]
    action: String,
}

/// `POST /admin/people/{id}/interests`: adds an interest, or removes it (`action=remove`).
pub(crate) async fn interest(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<InterestForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let Some(tag) = relais_core::tag::normalise(&form.interest) else {
        return Ok(Redirect::to(&format!("/admin/people/{id}?done=tag-refused")).into_response());
    };
    state
        .store
        .set_interest(access, id, &tag, form.action != "remove", crate::now())
        .await?;
    Ok(Redirect::to(&format!("/admin/people/{id}")).into_response())
}
