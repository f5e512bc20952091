//! A project's money in the back office: the expenses of its public ledger, and
//! the allocation of unrestricted gifts to it ("12 000 € of the spring gifts").

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::allocation::AllocationError;
use relais_core::ledger::{AllocationInput, ExpenseInput, day_range};
use relais_core::money::Money;
use relais_core::role::Permission;
use relais_core::settings::FieldError;
use relais_store::{AllocationCriteria, NewAllocation};

use crate::extract::Lang;
use crate::render::refused;
use crate::routes::project_page_admin::{Forms, project_page};
use crate::session::Staff;
use crate::{AppError, Shared};

/// The page's expense and allocation forms share field names (`label`, `amount`);
/// their errors point at prefixed ids so each lands next to its own field.
fn prefixed(errors: Vec<FieldError>, prefix: &str) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.field = match (prefix, e.field) {
                ("expense", "spent_on") => "expense-spent_on",
                ("expense", "category") => "expense-category",
                ("expense", "label") => "expense-label",
                ("expense", "amount") => "expense-amount",
                ("alloc", "amount") => "alloc-amount",
                ("alloc", "from") => "alloc-from",
                ("alloc", "to") => "alloc-to",
                ("alloc", "campaign") => "alloc-campaign",
                ("alloc", "label") => "alloc-label",
                (_, other) => other,
            };
            e
        })
        .collect()
}

#[derive(serde::Deserialize)]
pub(crate) struct ExpenseForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: ExpenseInput,
}

/// `POST /admin/projects/{id}/expenses`: adds a line to the public ledger.
pub(crate) async fn add_expense(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Form(form): Form<ExpenseForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let today = crate::routes::petitions_admin::today(&org);
    match form.input.parse(today, lang.or(org.locale())) {
        Ok(draft) => {
            state
                .store
                .add_expense(access, id, &draft, Some(staff.user.id), crate::now())
                .await?;
            Ok(Redirect::to(&format!("/admin/projects/{id}?done=expense#ledger")).into_response())
        }
        Err(errors) => {
            let forms = Forms {
                expense: Some(form.input),
                ..Forms::default()
            };
            refused(&project_page(&state, &staff, lang, id, forms, &prefixed(errors, "expense")).await?)
        }
    }
}

/// `POST /admin/projects/{id}/expenses/{expense}/remove`: a line entered by mistake.
pub(crate) async fn remove_expense(
    State(state): State<Shared>,
    staff: Staff,
    Path((id, expense)): Path<(i64, i64)>,
    Form(form): Form<crate::routes::auth::CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    state.store.remove_expense(access, id, expense).await?;
    Ok(Redirect::to(&format!("/admin/projects/{id}?done=expense-removed#ledger")).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct AllocationForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: AllocationInput,
}

/// `POST /admin/projects/{id}/allocate`: allocates unrestricted gifts of a period
/// (and of one campaign, when chosen) to the project, oldest first. Asking for
/// more than those gifts have left is refused with what they have left, and the
/// form comes back as typed.
pub(crate) async fn allocate(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Form(form): Form<AllocationForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let locale = lang.or(org.locale());
    let errors = match form.input.parse(locale) {
        Ok(draft) => {
            let campaign_ok = match draft.campaign_id {
                // Only the association's unrestricted campaigns: the list the form offers.
                Some(campaign) => state
                    .store
                    .campaigns(access)
                    .await?
                    .iter()
                    .any(|k| k.id == campaign && k.project_id.is_none()),
                None => true,
            };
            if campaign_ok {
                let (from, until) = day_range(draft.from, draft.to, &org.timezone);
                let allocation = NewAllocation {
                    amount: draft.amount,
                    label: &draft.label,
                    criteria: AllocationCriteria {
                        from,
                        until,
                        campaign_id: draft.campaign_id,
                    },
                };
                match state
                    .store
                    .allocate(access, id, &allocation, Some(staff.user.id), crate::now())
                    .await?
                {
                    Ok(batch) => {
                        let target = format!("/admin/projects/{id}?done=allocated&batch={}#allocations", batch.id);
                        return Ok(Redirect::to(&target).into_response());
                    }
                    Err(AllocationError::Insufficient { available_cents, .. }) => vec![FieldError {
                        field: "amount",
                        code: "err-allocation-insufficient",
                        arg: Some(Money::from_cents(available_cents).format(locale)),
                    }],
                    Err(AllocationError::NotPositive) => vec![FieldError::new("amount", "err-amount-positive")],
                    Err(e @ AllocationError::Invalid(_)) => return Err(AppError::Internal(e.to_string())),
                }
            } else {
                vec![FieldError::new("campaign", "err-required")]
            }
        }
        Err(errors) => errors,
    };
    let forms = Forms {
        allocation: Some(form.input),
        ..Forms::default()
    };
    refused(&project_page(&state, &staff, lang, id, forms, &prefixed(errors, "alloc")).await?)
}

#[derive(serde::Deserialize)]
pub(crate) struct UndoForm {
    csrf: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /admin/projects/{id}/allocations/{batch}/undo` (`confirm=yes`): staff undo
/// an allocation decided by mistake. Its gifts' cents return to what can be
/// allocated; the decision stays on the page, marked undone, and in the audit log.
pub(crate) async fn undo(
    State(state): State<Shared>,
    staff: Staff,
    Path((id, batch)): Path<(i64, i64)>,
    Form(form): Form<UndoForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    if form.confirm != "yes" {
        return Err(AppError::BadRequest("confirm=yes is required".into()));
    }
    // The decision must be this project's: a batch id from another page is not found here.
    if !state
        .store
        .allocation_batches(access, id)
        .await?
        .iter()
        .any(|b| b.id == batch)
    {
        return Err(AppError::NotFound);
    }
    state
        .store
        .undo_allocation(access, batch, Some(staff.user.id), crate::now())
        .await?;
    Ok(Redirect::to(&format!("/admin/projects/{id}?done=undone#allocations")).into_response())
}
