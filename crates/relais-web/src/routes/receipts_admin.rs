//! `/admin/receipts`: the tax receipts of a year, the totals the association
//! declares, the annual receipts job, and the replacement of a receipt whose
//! donor details were wrong (the old number is cancelled, the new one names it).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::money::Money;
use relais_core::role::Permission;
use relais_store::{DonorCorrection, Gift, OrgAccess, Receipt, ReceiptTotal};

use crate::extract::Lang;
use crate::render::{Chrome, local_time, page};
use crate::routes::admin::admin_chrome;
use crate::session::Staff;
use crate::{AppError, Shared};

/// Donors per transaction of the annual job: short write transactions, so
/// signatures and gifts keep flowing while thousands of receipts are issued.
const ANNUAL_BATCH: i64 = 500;

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ReceiptsQuery {
    /// Typed by staff: anything but a year shows this year.
    #[serde(default)]
    year: String,
    #[serde(default)]
    done: Option<String>,
}

struct Row {
    receipt: Receipt,
    donor: String,
    amount: String,
    issued: String,
}

#[derive(Template)]
#[template(path = "admin/receipts.html")]
struct ReceiptsTemplate {
    c: Chrome,
    csrf: String,
    year: i64,
    totals: Vec<(ReceiptTotal, String)>,
    rows: Vec<Row>,
    annual: bool,
    can_issue: bool,
}

fn this_year() -> i64 {
    i64::from(jiff::Zoned::now().year())
}

/// `GET /admin/receipts[?year=YYYY]`.
pub(crate) async fn list(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(q): Query<ReceiptsQuery>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let mut c = admin_chrome(
        &state,
        &staff,
        Some(&org),
        lang,
        "receipts-title",
        "/admin/receipts",
        "campaigns",
    );
    let year = q.year.trim().parse().unwrap_or_else(|_| this_year());
    c.notice = match q.done.as_deref() {
        Some("annual") => Some(c.t.arg("receipts-annual-started", "year", &year.to_string())),
        Some("replaced") => Some(c.t.get("receipts-replaced")),
        _ => None,
    };
    let locale = c.t.locale;
    let totals = state
        .store
        .receipt_totals(access)
        .await?
        .into_iter()
        .map(|t| {
            let amount = Money::from_cents(t.amount_cents).format(locale);
            (t, amount)
        })
        .collect();
    let mut rows = Vec::new();
    for receipt in state.store.receipts(access, year, 200).await? {
        let gifts = state.store.receipt_gifts(&receipt).await?;
        rows.push(Row {
            donor: gifts
                .last()
                .map(|g| format!("{} {}", g.first_name, g.last_name))
                .unwrap_or_default(),
            amount: Money::from_cents(receipt.amount_cents).format(locale),
            issued: local_time(receipt.issued_at, &org.timezone),
            receipt,
        });
    }
    let settings = state.store.payment_settings(org.id).await?;
    page(&ReceiptsTemplate {
        csrf: staff.session.csrf.clone(),
        year,
        totals,
        rows,
        annual: settings.annual_receipts(),
        can_issue: staff.can(Permission::ManageSettings),
        c,
    })
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct AnnualForm {
    csrf: String,
    year: i64,
}

/// Issues every annual receipt of `year`, batch after batch, until none is due.
pub(crate) async fn run_annual(store: relais_store::DynStore, access: OrgAccess, year: i64) -> Result<usize, AppError> {
    let mut issued = 0;
    loop {
        let batch = store
            .issue_annual_receipts(&access, year, ANNUAL_BATCH, crate::now())
            .await?;
        if batch.is_empty() {
            return Ok(issued);
        }
        issued += batch.len();
        // Between batches the write lock is free a moment: signatures, gifts and the
        // delivery worker (which sends these receipts) get their turn on SQLite.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// `POST /admin/receipts/annual`: starts the job in the background (a repeated
/// click, or a second server, issues nothing twice).
pub(crate) async fn annual(
    State(state): State<Shared>,
    staff: Staff,
    Form(form): Form<AnnualForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageSettings)?.clone();
    if !state.store.payment_settings(access.org_id()).await?.annual_receipts() {
        return Err(AppError::BadRequest(
            "this association receipts each gift: no annual receipt to issue".into(),
        ));
    }
    // Only a finished year: a receipt must list every gift of its year.
    if form.year >= this_year() || form.year < 2000 {
        return Err(AppError::BadRequest(
            "annual receipts are issued for a past year".into(),
        ));
    }
    let store = state.store.clone();
    let year = form.year;
    tokio::spawn(async move {
        let org = access.org_id();
        match run_annual(store, access, year).await {
            Ok(n) => tracing::info!(org, year, receipts = n, "annual receipts issued"),
            Err(e) => tracing::error!(org, year, error = %e, "annual receipts stopped; start again to finish"),
        }
    });
    Ok(Redirect::to(&format!("/admin/receipts?year={}&done=annual", form.year)).into_response())
}

#[derive(Template)]
#[template(path = "admin/receipt.html")]
struct ReceiptTemplate {
    c: Chrome,
    csrf: String,
    receipt: Receipt,
    amount: String,
    gifts: Vec<(Gift, String, String)>,
    replaced: Option<Receipt>,
    form: DonorCorrectionForm,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct DonorCorrectionForm {
    csrf: String,
    first_name: String,
    last_name: String,
    address: String,
    postcode: String,
    city: String,
}

async fn own_receipt(state: &Shared, access: &OrgAccess, id: i64) -> Result<Receipt, AppError> {
    state.store.receipt(access, id).await?.ok_or(AppError::NotFound)
}

/// `GET /admin/receipts/{id}`: a receipt, its gifts, and the replacement form.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let receipt = own_receipt(&state, access, id).await?;
    let c = admin_chrome(
        &state,
        &staff,
        Some(&org),
        lang,
        "receipt-title",
        &format!("/admin/receipts/{id}"),
        "campaigns",
    );
    let locale = c.t.locale;
    let gifts = state.store.receipt_gifts(&receipt).await?;
    let form = gifts
        .last()
        .map(|g| DonorCorrectionForm {
            first_name: g.first_name.clone(),
            last_name: g.last_name.clone(),
            address: g.address.clone(),
            postcode: g.postcode.clone(),
            city: g.city.clone(),
            ..Default::default()
        })
        .unwrap_or_default();
    let replaced = match receipt.replaces_id {
        Some(old) => state.store.receipt(access, old).await?,
        None => None,
    };
    page(&ReceiptTemplate {
        csrf: staff.session.csrf.clone(),
        amount: Money::from_cents(receipt.amount_cents).format(locale),
        gifts: gifts
            .into_iter()
            .map(|g| {
                let amount = Money::from_cents(g.amount_cents).format(locale);
                let when = local_time(g.paid_at.unwrap_or(g.created_at), &org.timezone);
                (g, amount, when)
            })
            .collect(),
        replaced,
        form,
        receipt,
        c,
    })
}

/// `GET /admin/receipts/{id}/pdf`.
pub(crate) async fn pdf(State(state): State<Shared>, staff: Staff, Path(id): Path<i64>) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let receipt = own_receipt(&state, access, id).await?;
    crate::receipts::download(&state, &org, &receipt).await
}

/// `POST /admin/receipts/{id}/replace`: cancels the receipt and issues a new
/// number with the corrected details, e-mailed to the donor.
pub(crate) async fn replace(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<DonorCorrectionForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let trimmed = |s: &str| s.trim().to_owned();
    let correction = DonorCorrection {
        first_name: trimmed(&form.first_name),
        last_name: trimmed(&form.last_name),
        address: trimmed(&form.address),
        postcode: trimmed(&form.postcode),
        city: trimmed(&form.city),
    };
    if correction.last_name.is_empty() || correction.address.is_empty() || correction.city.is_empty() {
        return Err(AppError::BadRequest(
            "a receipt needs the donor's name and address".into(),
        ));
    }
    let new = state
        .store
        .replace_receipt(access, id, Some(&correction), crate::now())
        .await?;
    tracing::info!(org = access.org_id(), old = id, new = new.id, "receipt replaced");
    Ok(Redirect::to(&format!("/admin/receipts/{}", new.id)).into_response())
}
