//! `/admin/sepa`: direct debit run by the association with its own bank. Staff
//! see the mandates signed online, gather what is due into a collection run,
//! download its pain.008 file for the bank, then record the bank's rejects and
//! mark the run collected (which issues receipts and thanks).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::iban::{Bic, CreditorId, Iban};
use relais_core::money::Money;
use relais_core::role::Permission;
use relais_payments::pain008::{Collection, Creditor, Debit, SequenceType, render};
use relais_store::{Mandate, Org, RunDebit, SepaRun};

use crate::extract::Lang;
use crate::render::{Chrome, Errors, local_time, page, refused};
use crate::routes::admin::{Done, admin_chrome};
use crate::session::Staff;
use crate::{AppError, Shared};

/// Reasons a bank gives for a reject or return (ISO 20022 codes banks use most).
pub(crate) const REJECT_CODES: &[&str] = &[
    "AC01", "AC04", "AC06", "AG01", "AM04", "MD01", "MD02", "MD06", "MD07", "MS02", "MS03", "SL01",
];

#[derive(Template)]
#[template(path = "admin/sepa.html")]
struct SepaTemplate {
    c: Chrome,
    csrf: String,
    errors: Errors,
    enabled: bool,
    mandates: Vec<(Mandate, String, String)>,
    runs: Vec<(SepaRun, String)>,
    collection_date: String,
}

/// The earliest date a run may ask for: banks want core debits a business day
/// ahead at least; two days leaves time to upload the file.
fn earliest_date(org: &Org) -> jiff::civil::Date {
    let today = crate::routes::petitions_admin::today(org);
    today.checked_add(jiff::Span::new().days(2)).unwrap_or(today)
}

async fn sepa_page(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    errors: Errors,
    collection_date: Option<String>,
    done: &Done,
) -> Result<SepaTemplate, AppError> {
    let access = staff.require(Permission::ManageSettings)?;
    let org = state.store.org(access).await?;
    let mut c = admin_chrome(state, staff, Some(&org), lang, "sepa-title", "/admin/sepa", "campaigns");
    c.notice = match done.done.as_deref() {
        Some("nothing") => Some(c.t.get("sepa-nothing-due")),
        _ => done.notice(&c.t),
    };
    let locale = c.t.locale;
    let enabled = state.store.payment_settings(org.id).await?.sepa_enabled();
    let mandates = state
        .store
        .mandates(access, 200)
        .await?
        .into_iter()
        .map(|m| {
            let account = Iban::parse(&m.iban).map_or_else(|_| String::new(), |i| i.masked());
            let signed = local_time(m.signed_at, &org.timezone);
            (m, account, signed)
        })
        .collect();
    let runs = state
        .store
        .sepa_runs(access)
        .await?
        .into_iter()
        .map(|r| {
            let total = Money::from_cents(r.total_cents).format(locale);
            (r, total)
        })
        .collect();
    Ok(SepaTemplate {
        csrf: staff.session.csrf.clone(),
        errors,
        enabled,
        mandates,
        runs,
        collection_date: collection_date.unwrap_or_else(|| earliest_date(&org).to_string()),
        c,
    })
}

/// `GET /admin/sepa`.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    page(&sepa_page(&state, &staff, lang, Errors::default(), None, &done).await?)
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct RunForm {
    csrf: String,
    #[serde(default)]
    collection_date: String,
}

/// The pain.008 file of a run.
fn pain008(
    org: &Org,
    settings: &relais_store::PaymentSettings,
    run: &SepaRun,
    debits: &[RunDebit],
) -> Result<String, AppError> {
    let corrupt = |what: &str| AppError::Internal(format!("stored SEPA value no longer valid: {what}"));
    let creditor = Creditor {
        name: if org.legal_name.is_empty() {
            org.name.clone()
        } else {
            org.legal_name.clone()
        },
        iban: Iban::parse(&settings.sepa_iban).map_err(|_| corrupt("creditor IBAN"))?,
        bic: Bic::parse(&settings.sepa_bic).map_err(|_| corrupt("creditor BIC"))?,
        creditor_id: CreditorId::parse(&settings.sepa_creditor_id).map_err(|_| corrupt("creditor id"))?,
    };
    let date = |ts: i64| {
        jiff::Timestamp::from_second(ts)
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
            .map_err(|_| corrupt("mandate date"))
    };
    let mut out = Vec::with_capacity(debits.len());
    for d in debits {
        out.push(Debit {
            end_to_end_id: d.provider_ref.clone(),
            amount_cents: d.amount_cents,
            mandate_id: d.mandate_reference.clone(),
            mandate_signed: date(d.signed_at)?,
            sequence: SequenceType::parse(&d.sequence).map_err(|_| corrupt("sequence type"))?,
            debtor_name: d.debtor_name.clone(),
            debtor_iban: Iban::parse(&d.iban).map_err(|_| corrupt("debtor IBAN"))?,
            debtor_bic: if d.bic.is_empty() {
                None
            } else {
                Some(Bic::parse(&d.bic).map_err(|_| corrupt("debtor BIC"))?)
            },
            remittance: format!("{} {}", org.name, d.campaign),
        });
    }
    let collection = Collection {
        message_id: run.message_id.clone(),
        created_at: jiff::Timestamp::from_second(run.created_at).map_err(|_| corrupt("run date"))?,
        initiating_party: org.name.clone(),
        creditor,
        collection_date: run.collection_date.parse().map_err(|_| corrupt("collection date"))?,
        debits: out,
    };
    render(&collection).map_err(|e| AppError::Internal(format!("pain.008: {e}")))
}

/// `POST /admin/sepa/runs`: gathers what is due into a new run and its file.
pub(crate) async fn prepare(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Form(form): Form<RunForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageSettings)?;
    let org = state.store.org(access).await?;
    let settings = state.store.payment_settings(org.id).await?;
    let t = state.tr(lang.or(org.locale()));
    let date = match form.collection_date.trim().parse::<jiff::civil::Date>() {
        Ok(d) if d >= earliest_date(&org) => d,
        Ok(_) => {
            let errors = Errors::one(
                "collection_date",
                t.arg("sepa-date-too-soon", "date", &earliest_date(&org).to_string()),
            );
            return refused(
                &sepa_page(
                    &state,
                    &staff,
                    lang,
                    errors,
                    Some(form.collection_date),
                    &Done::default(),
                )
                .await?,
            );
        }
        Err(_) => {
            let errors = Errors::one("collection_date", t.get("err-date"));
            return refused(
                &sepa_page(
                    &state,
                    &staff,
                    lang,
                    errors,
                    Some(form.collection_date),
                    &Done::default(),
                )
                .await?,
            );
        }
    };
    if !settings.sepa_enabled() {
        return Err(AppError::BadRequest("SEPA direct debit is not configured".into()));
    }
    // Unique per file, within the 30 characters the batch ids leave room for.
    let message_id = format!("RLS{}{}", org.id, &relais_store::random_token()[..12].to_uppercase());
    let Some((run, debits)) = state
        .store
        .prepare_run(access, &date.to_string(), &message_id, crate::now())
        .await?
    else {
        return Ok(Redirect::to("/admin/sepa?done=nothing").into_response());
    };
    let xml = pain008(&org, &settings, &run, &debits)?;
    state.store.set_run_file(access, run.id, &xml).await?;
    tracing::info!(org = org.id, run = run.id, debits = run.debits, "SEPA run prepared");
    Ok(Redirect::to(&format!("/admin/sepa/runs/{}", run.id)).into_response())
}

#[derive(Template)]
#[template(path = "admin/sepa_run.html")]
struct RunTemplate {
    c: Chrome,
    csrf: String,
    batch: SepaRun,
    summary: String,
    debits: Vec<(RunDebit, String, String)>,
    codes: &'static [&'static str],
}

/// `GET /admin/sepa/runs/{id}`.
pub(crate) async fn run(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::ManageSettings)?;
    let org = state.store.org(access).await?;
    let (run, debits) = state.store.sepa_run(access, id).await?.ok_or(AppError::NotFound)?;
    let c = admin_chrome(
        &state,
        &staff,
        Some(&org),
        lang,
        "sepa-run-title",
        &format!("/admin/sepa/runs/{id}"),
        "campaigns",
    );
    let locale = c.t.locale;
    page(&RunTemplate {
        csrf: staff.session.csrf.clone(),
        summary: c.t.args(
            "sepa-run-summary",
            &[
                ("count", &run.debits.to_string()),
                ("total", &Money::from_cents(run.total_cents).format(locale)),
            ],
        ),
        debits: debits
            .into_iter()
            .map(|d| {
                let amount = Money::from_cents(d.amount_cents).format(locale);
                let account = Iban::parse(&d.iban).map_or_else(|_| String::new(), |i| i.masked());
                (d, amount, account)
            })
            .collect(),
        codes: REJECT_CODES,
        batch: run,
        c,
    })
}

/// `GET /admin/sepa/runs/{id}/pain008.xml`: the file to upload to the bank.
pub(crate) async fn file(State(state): State<Shared>, staff: Staff, Path(id): Path<i64>) -> Result<Response, AppError> {
    let access = staff.require(Permission::ManageSettings)?;
    let (run, _) = state.store.sepa_run(access, id).await?.ok_or(AppError::NotFound)?;
    let xml = state.store.run_file(access, id).await?.ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/xml; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.xml\"", run.message_id),
            ),
        ],
        xml,
    )
        .into_response())
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

/// `POST /admin/sepa/runs/{id}/settle`: the bank collected the run.
pub(crate) async fn settle(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageSettings)?;
    let paid = state.store.settle_run(access, id, crate::now()).await?;
    tracing::info!(org = access.org_id(), run = id, paid, "SEPA run settled");
    Ok(Redirect::to(&format!("/admin/sepa/runs/{id}")).into_response())
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct RejectForm {
    csrf: String,
    reason: String,
    /// The run page to go back to.
    run: i64,
}

/// `POST /admin/sepa/debits/{gift}/reject`: the bank rejected or returned a debit.
pub(crate) async fn reject(
    State(state): State<Shared>,
    staff: Staff,
    Path(gift_id): Path<i64>,
    Form(form): Form<RejectForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageSettings)?;
    if !REJECT_CODES.contains(&form.reason.as_str()) {
        return Err(AppError::BadRequest(format!("unknown reject reason {:?}", form.reason)));
    }
    let gift = state
        .store
        .reject_debit(access, gift_id, &form.reason, crate::now())
        .await?;
    tracing::info!(org = access.org_id(), gift = gift.id, reason = %form.reason, "SEPA debit rejected");
    Ok(Redirect::to(&format!("/admin/sepa/runs/{}", form.run)).into_response())
}
