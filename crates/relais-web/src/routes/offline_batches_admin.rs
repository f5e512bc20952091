//! Gifts received outside Relais, entered in a batch: a bank deposit of cheques, the
//! cash of a fair, a month of transfers. Staff paste the lines from a spreadsheet (or
//! type them), check them, see every refused line with its number and reason, compare
//! the total with the deposit slip, then record the whole batch at once.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::money::{Money, parse_amount};
use relais_core::offline_batch::{self, BatchDefaults, Checked};
use relais_core::role::Permission;
use relais_core::settings::FieldError;
use relais_store::{BatchRecorded, Campaign, Gift, NewOfflineBatch, OfflineBatch, Org};

use crate::extract::Lang;
use crate::i18n::Tr;
use crate::render::{Chrome, Errors, local_time, page, refused};
use crate::routes::admin::{Done, admin_chrome};
use crate::session::Staff;
use crate::{AppError, Shared};

/// The batch form as typed, kept whole through checking and refusal.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct BatchForm {
    csrf: String,
    /// Names this batch: recording the same form twice finds the first.
    token: String,
    campaign: String,
    method: String,
    received_on: String,
    /// The deposit slip's number.
    reference: String,
    /// The slip's total, to compare with the lines' (optional).
    expected_total: String,
    /// Every donor wants a receipt unless their line says `non`.
    receipt: String,
    /// The pasted lines.
    lines: String,
    /// `check` (show what would be recorded) or `record`.
    step: String,
}

/// One line of the preview.
struct PreviewLine {
    line: usize,
    amount: String,
    donor: String,
    email: String,
    address: String,
    receipt: bool,
    received_on: String,
}

/// A refused line: its number and what is wrong, field by field.
struct RefusedLine {
    line: usize,
    reasons: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/offline_batches.html")]
struct BatchesTemplate {
    c: Chrome,
    csrf: String,
    campaigns: Vec<Campaign>,
    form: BatchForm,
    today: String,
    tax_eligible: bool,
    errors: Errors,
    refused_lines: Vec<RefusedLine>,
    /// Header cells that were not understood, ignored.
    ignored: Vec<String>,
    /// What would be recorded, once every line passed.
    preview: Vec<PreviewLine>,
    /// "12 gifts, 1 450,00 €" under the preview.
    preview_summary: String,
    batches: Vec<(OfflineBatch, String, String)>,
}

/// The form's field labels, to name a refused line's fields.
fn field_label(t: &Tr, field: &str) -> String {
    t.get(match field {
        "amount" => "campaigns-col-amount",
        "first_name" => "field-first-name",
        "last_name" => "field-last-name",
        "email" => "field-email",
        "address" => "donate-address",
        "postcode" => "field-postcode",
        "city" => "donate-city",
        "country" => "field-country",
        "receipt" => "batch-col-receipt",
        "received_on" => "offline-date",
        _ => "batch-lines",
    })
}

/// Noon of `day` in the association's time zone: the time an offline gift counts as
/// paid (its receipt's date, and the year it is declared in).
pub(crate) fn noon_of(day: jiff::civil::Date, org: &Org) -> i64 {
    let zone = jiff::tz::TimeZone::get(&org.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    day.at(12, 0, 0, 0)
        .to_zoned(zone)
        .map(|z| z.timestamp().as_second())
        .unwrap_or_else(|_| crate::now())
}

/// What the form says besides its lines, checked.
struct Header {
    campaign: Option<Campaign>,
    method: &'static str,
    received_on: Option<jiff::civil::Date>,
    expected_total: Option<Money>,
}

async fn check_header(
    state: &Shared,
    staff: &Staff,
    org: &Org,
    form: &BatchForm,
    errors: &mut Vec<FieldError>,
) -> Result<Header, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let campaign = match form.campaign.parse::<i64>() {
        Ok(id) => state.store.campaigns(access).await?.into_iter().find(|c| c.id == id),
        Err(_) => None,
    };
    if campaign.is_none() {
        errors.push(FieldError::new("campaign", "err-required"));
    }
    let method = match form.method.as_str() {
        "cheque" => "cheque",
        "cash" => "cash",
        "transfer" => "transfer",
        _ => {
            errors.push(FieldError::new("method", "err-required"));
            "cheque"
        }
    };
    let today = crate::routes::petitions_admin::today(org);
    let received_on = match form.received_on.trim().parse::<jiff::civil::Date>() {
        Ok(d) if d <= today => Some(d),
        Ok(_) => {
            errors.push(FieldError::new("received_on", "err-date-future"));
            None
        }
        Err(_) => {
            errors.push(FieldError::new("received_on", "err-date"));
            None
        }
    };
    if form.reference.chars().count() > 80 {
        errors.push(FieldError::new("reference", "err-too-long"));
    }
    let expected_total = match form.expected_total.trim() {
        "" => None,
        raw => match parse_amount(raw) {
            Ok(m) if m.cents() > 0 => Some(m),
            _ => {
                errors.push(FieldError::new("expected_total", "err-amount"));
                None
            }
        },
    };
    Ok(Header {
        campaign,
        method,
        received_on,
        expected_total,
    })
}

#[allow(clippy::too_many_arguments)]
async fn batches_page(
    state: &Shared,
    staff: &Staff,
    org: &Org,
    lang: Lang,
    form: BatchForm,
    errors: &[FieldError],
    checked: Option<&Checked>,
    done: &Done,
) -> Result<BatchesTemplate, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let mut c = admin_chrome(
        state,
        staff,
        Some(org),
        lang,
        "batch-title",
        "/admin/gifts/batch",
        "campaigns",
    );
    c.notice = done.notice(&c.t);
    let t = &c.t;
    let locale = t.locale;
    let campaigns = state.store.campaigns(access).await?;
    let mut refused_lines = Vec::new();
    let mut preview = Vec::new();
    let mut preview_summary = String::new();
    let mut ignored = Vec::new();
    if let Some(checked) = checked {
        ignored.clone_from(&checked.layout.ignored);
        for r in &checked.refused {
            let reasons = Errors::from_fields(t, &r.errors)
                .list()
                .iter()
                .map(|(field, message)| {
                    t.args(
                        "batch-reason",
                        &[("field", &field_label(t, field)), ("message", message)],
                    )
                })
                .collect();
            refused_lines.push(RefusedLine { line: r.line, reasons });
        }
        for g in &checked.gifts {
            let d = &g.draft;
            let address = [d.address.as_str(), &format!("{} {}", d.postcode, d.city)]
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            preview.push(PreviewLine {
                line: g.line,
                amount: d.amount.format(locale),
                donor: format!("{} {}", d.first_name, d.last_name),
                email: if g.has_email {
                    d.email.as_str().to_owned()
                } else {
                    String::new()
                },
                address,
                receipt: d.wants_receipt,
                received_on: g.received_on.to_string(),
            });
        }
        if !checked.gifts.is_empty() {
            let count = checked.gifts.len().to_string();
            let total = checked.total().format(locale);
            preview_summary = t.args("gifts-summary", &[("count", &count), ("total", &total)]);
        }
    }
    let batches = state
        .store
        .offline_batches(access, 50)
        .await?
        .into_iter()
        .map(|b| {
            let total = Money::from_cents(b.total_cents).format(locale);
            let when = local_time(b.created_at, &org.timezone);
            (b, total, when)
        })
        .collect();
    Ok(BatchesTemplate {
        csrf: staff.session.csrf.clone(),
        campaigns,
        form,
        today: crate::routes::petitions_admin::today(org).to_string(),
        tax_eligible: org.tax_eligible,
        errors: Errors::from_fields(t, errors),
        refused_lines,
        ignored,
        preview,
        preview_summary,
        batches,
        c,
    })
}

/// `GET /admin/gifts/batch`: the batch form and the batches recorded so far.
pub(crate) async fn list(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let form = BatchForm {
        token: relais_store::random_token(),
        method: "cheque".into(),
        received_on: crate::routes::petitions_admin::today(&org).to_string(),
        receipt: if org.tax_eligible { "on".into() } else { String::new() },
        ..Default::default()
    };
    page(&batches_page(&state, &staff, &org, lang, form, &[], None, &done).await?)
}

/// `POST /admin/gifts/batch`: checks the lines (`step=check`) and shows what would be
/// recorded, or records the batch (`step=record`) after checking it again.
pub(crate) async fn submit(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Form(mut form): Form<BatchForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    if form.token.len() < 16 || form.token.len() > 64 || !form.token.chars().all(|c| c.is_ascii_alphanumeric()) {
        form.token = relais_store::random_token();
    }
    let mut errors = Vec::new();
    let header = check_header(&state, &staff, &org, &form, &mut errors).await?;
    let locale = lang.or(org.locale());
    let today = crate::routes::petitions_admin::today(&org);
    let checked = offline_batch::check(
        &form.lines,
        BatchDefaults {
            received_on: header.received_on.unwrap_or(today),
            today,
            receipt: !form.receipt.is_empty(),
            tax_eligible: org.tax_eligible,
            max: relais_core::gift::MAX_GIFT,
            locale,
        },
    );
    if let Some(expected) = header.expected_total
        && checked.refused.is_empty()
        && checked.total() != expected
    {
        errors.push(FieldError {
            field: "expected_total",
            code: "err-batch-total",
            arg: Some(checked.total().format(locale)),
        });
    }
    let ready = errors.is_empty() && checked.refused.is_empty();
    let (Some(campaign), Some(received_on), true, "record") =
        (header.campaign, header.received_on, ready, form.step.as_str())
    else {
        // Checked (or refused): the page shows the preview or every reason, and
        // keeps everything as typed.
        let template = batches_page(
            &state,
            &staff,
            &org,
            lang,
            form,
            &errors,
            Some(&checked),
            &Done::default(),
        )
        .await?;
        return if ready { page(&template) } else { refused(&template) };
    };
    // Each donor without an e-mail address gets a placeholder of their own, never written to.
    let drafts: Vec<(relais_core::gift::GiftDraft, i64)> = checked
        .gifts
        .iter()
        .map(|g| {
            let mut draft = g.draft.clone();
            if !g.has_email {
                let placeholder = format!("offline-{}@no-email.invalid", &relais_store::random_token()[..12]);
                draft.email = relais_core::Email::parse(&placeholder).map_err(|_| AppError::NotFound)?;
            }
            Ok((draft, noon_of(g.received_on, &org)))
        })
        .collect::<Result<_, AppError>>()?;
    let received = received_on.to_string();
    let batch = NewOfflineBatch {
        token: &form.token,
        campaign: &campaign,
        method: header.method,
        reference: form.reference.trim(),
        received_on: &received,
        locale: locale.code(),
        created_by: Some(staff.user.id),
        gifts: drafts.iter().map(|(d, at)| (d, *at)).collect(),
    };
    let (id, done) = match state.store.record_offline_batch(access, &batch, crate::now()).await? {
        BatchRecorded::New(id) => (id, "batch-recorded"),
        BatchRecorded::Already(id) => (id, "batch-already"),
    };
    Ok(Redirect::to(&format!("/admin/gifts/batch/{id}?done={done}")).into_response())
}

#[derive(Template)]
#[template(path = "admin/offline_batch.html")]
struct BatchTemplate {
    c: Chrome,
    batch: OfflineBatch,
    campaign: String,
    /// "12 gifts, 1 450,00 €".
    summary: String,
    /// Each gift with its amount, its date and its receipt number.
    gifts: Vec<(Gift, String, String, Option<String>)>,
}

/// `GET /admin/gifts/batch/{id}`: one batch's gifts, with their receipts to post.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let (batch, gifts) = state.store.offline_batch(access, id).await?;
    let mut c = admin_chrome(
        &state,
        &staff,
        Some(&org),
        lang,
        "batch-one-title",
        "/admin/gifts/batch",
        "campaigns",
    );
    c.notice = match done.done.as_deref() {
        Some(key @ ("batch-recorded" | "batch-already")) => Some(c.t.get(key)),
        _ => None,
    };
    let locale = c.t.locale;
    let campaign = match batch.campaign_id {
        Some(id) => state.store.campaign(id).await?.map(|k| k.title).unwrap_or_default(),
        None => String::new(),
    };
    let gifts = gifts
        .into_iter()
        .map(|(g, number)| {
            let amount = Money::from_cents(g.amount_cents).format(locale);
            // Offline gifts count as paid at noon: the day is what was typed.
            let when = g
                .paid_at
                .map(|t| local_time(t, &org.timezone).chars().take(10).collect())
                .unwrap_or_default();
            (g, amount, when, number)
        })
        .collect();
    let count = batch.gifts_count.to_string();
    let total = Money::from_cents(batch.total_cents).format(locale);
    page(&BatchTemplate {
        summary: c.t.args("gifts-summary", &[("count", &count), ("total", &total)]),
        batch,
        campaign,
        gifts,
        c,
    })
}
