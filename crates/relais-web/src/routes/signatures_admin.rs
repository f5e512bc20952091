//! What staff do with a petition's signatures: export them, spot bursts of
//! suspicious ones, invalidate them.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::role::Permission;
use relais_store::{Burst, BurstKind, InvalidationFilter, Petition, SignatureRecord};

use crate::extract::Lang;
use crate::render::{Chrome, local_time, page, refused};
use crate::routes::admin::admin_chrome;
use crate::session::Staff;
use crate::{AppError, Shared};

/// Rows fetched per page while streaming an export: memory stays flat whatever the size.
const EXPORT_PAGE: i64 = 2_000;

fn iso(ts: i64) -> String {
    jiff::Timestamp::from_second(ts)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn csv_rows(rows: &[SignatureRecord], header: bool) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    if header {
        w.write_record([
            "signed_at",
            "status",
            "first_name",
            "last_name",
            "email",
            "postcode",
            "commune",
            "department",
            "country",
            "comment",
            "consent_updates",
            "consent_newsletter",
            "show_name",
            "confirmed_at",
            "invalidation_reason",
            "source_channel",
            "referrer_site",
            "referred",
        ])
        .map_err(fail)?;
    }
    for r in rows {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        w.write_record([
            iso(r.created_at).as_str(),
            &r.status,
            &r.first_name,
            &r.last_name,
            &r.email,
            &r.postcode,
            &r.commune,
            &r.department,
            &r.country,
            r.comment.as_deref().unwrap_or_default(),
            yes_no(r.consent_updates),
            yes_no(r.consent_newsletter),
            yes_no(r.show_name),
            &r.confirmed_at.map(iso).unwrap_or_default(),
            r.invalidation_reason.as_deref().unwrap_or_default(),
            &r.source_channel,
            &r.referrer_site,
            yes_no(r.referred),
        ])
        .map_err(fail)?;
    }
    w.into_inner().map_err(|e| AppError::Internal(format!("csv: {e}")))
}

/// `GET /admin/petitions/{id}/signatures.csv`: every signature with its consents, streamed.
pub(crate) async fn export(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?.clone();
    let petition = state.store.petition(&access, id).await?;
    let store = state.store.clone();
    Ok(crate::csv_export::stream(
        &format!("signatures-{}.csv", petition.slug),
        EXPORT_PAGE,
        move |after| {
            let (store, access) = (store.clone(), access.clone());
            async move { store.signatures_page(&access, id, after, EXPORT_PAGE).await }
        },
        |rows: &[SignatureRecord], first| csv_rows(rows, first),
        |r| r.id,
        "signatures",
    ))
}

pub(crate) struct BurstRow {
    kind: &'static str,
    kind_label: String,
    key: String,
    shown_key: String,
    count: i64,
    first: String,
    last: String,
    from: i64,
    to: i64,
}

#[derive(Template)]
#[template(path = "admin/abuse.html")]
struct AbuseTemplate {
    c: Chrome,
    csrf: String,
    p: Petition,
    rows: Vec<BurstRow>,
    hours: i64,
    min: i64,
    errors: crate::render::Errors,
    manual: ManualInvalidation,
}

/// The free-form invalidation (a domain or postcode, between two local times), as typed.
#[derive(Default, serde::Deserialize)]
pub(crate) struct ManualInvalidation {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    from_local: String,
    #[serde(default)]
    to_local: String,
    #[serde(default)]
    reason: String,
}

#[derive(serde::Deserialize)]
pub(crate) struct AbuseQuery {
    #[serde(default = "default_hours")]
    hours: i64,
    #[serde(default = "default_min")]
    min: i64,
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    count: Option<String>,
}

fn default_hours() -> i64 {
    24
}

fn default_min() -> i64 {
    10
}

/// `GET /admin/petitions/{id}/abuse?hours=24&min=10`: bursts of signatures.
pub(crate) async fn abuse(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Query(q): Query<AbuseQuery>,
) -> Result<Response, AppError> {
    let notice = match (q.done.as_deref(), q.count.as_deref()) {
        (Some("invalidated"), Some(n)) => Some(n.to_owned()),
        _ => None,
    };
    let t = abuse_page(
        &state,
        &staff,
        lang,
        id,
        (q.hours, q.min),
        notice,
        Default::default(),
        ManualInvalidation::default(),
    )
    .await?;
    page(&t)
}

#[allow(clippy::too_many_arguments)]
async fn abuse_page(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    id: i64,
    (hours, min): (i64, i64),
    invalidated: Option<String>,
    errors: crate::render::Errors,
    manual: ManualInvalidation,
) -> Result<AbuseTemplate, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let p = state.store.petition(access, id).await?;
    let hours = hours.clamp(1, 24 * 30);
    let min = min.clamp(2, 1_000_000);
    let bursts: Vec<Burst> = state
        .store
        .signature_bursts(access, id, crate::now() - hours * 3600, min)
        .await?;
    let mut c = admin_chrome(
        state,
        staff,
        Some(&org),
        lang,
        "abuse-title",
        &format!("/admin/petitions/{id}/abuse"),
        "petitions",
    );
    c.notice = invalidated.map(|n| c.t.arg("abuse-invalidated", "count", &n));
    let rows = bursts
        .into_iter()
        .map(|b| BurstRow {
            kind: b.kind.as_str(),
            kind_label: c.t.get(&format!("abuse-kind-{}", b.kind.as_str())),
            // Address hashes mean nothing to people: show a short fingerprint.
            shown_key: if matches!(b.kind, BurstKind::Ip | BurstKind::Network) {
                format!("#{}", &b.key[..b.key.len().min(8)])
            } else {
                b.key.clone()
            },
            key: b.key,
            count: b.count,
            first: local_time(b.first_at, &org.timezone),
            last: local_time(b.last_at, &org.timezone),
            from: b.first_at,
            to: b.last_at,
        })
        .collect();
    Ok(AbuseTemplate {
        c,
        csrf: staff.session.csrf.clone(),
        p,
        rows,
        hours,
        min,
        errors,
        manual,
    })
}

/// Invalidates what `filter` matches, forgets the petition's cached figures and
/// pages, and goes back to the bursts view with the count.
async fn apply(
    state: &Shared,
    access: &relais_store::OrgAccess,
    id: i64,
    filter: &InvalidationFilter,
    reason: &str,
) -> Result<Response, AppError> {
    let n = state
        .store
        .invalidate_signatures(access, id, filter, reason, crate::now())
        .await?;
    let petition = state.store.petition(access, id).await?;
    state.petition_changed(id, &petition.slug);
    tracing::info!(
        petition = id,
        kind = filter.kind.as_str(),
        count = n,
        "signatures invalidated"
    );
    Ok(Redirect::to(&format!("/admin/petitions/{id}/abuse?done=invalidated&count={n}")).into_response())
}

/// A local date-time from a `datetime-local` field, in the association's zone.
fn local_instant(raw: &str, tz: &str) -> Option<i64> {
    let dt: jiff::civil::DateTime = raw.trim().parse().ok()?;
    let zone = jiff::tz::TimeZone::get(tz).ok()?;
    dt.to_zoned(zone).ok().map(|z| z.timestamp().as_second())
}

/// `POST /admin/petitions/{id}/invalidate-by`: invalidates every signature from one
/// e-mail domain or postcode between two local times, with a reason.
pub(crate) async fn invalidate_by(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Form(form): Form<ManualInvalidation>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let t = state.tr(lang.resolve());
    let kind = match form.kind.as_str() {
        "domain" => Some(BurstKind::Domain),
        "postcode" => Some(BurstKind::Postcode),
        _ => None,
    };
    let from = local_instant(&form.from_local, &org.timezone);
    let to = local_instant(&form.to_local, &org.timezone);
    let key = form.key.trim().to_lowercase();
    let mut errors = crate::render::Errors::default();
    if key.is_empty() {
        errors = errors.with("key", t.get("err-required"));
    }
    if from.is_none() {
        errors = errors.with("from_local", t.get("err-datetime"));
    }
    if to.is_none() || to < from {
        errors = errors.with("to_local", t.get("err-datetime-order"));
    }
    if form.reason.trim().is_empty() {
        errors = errors.with("reason", t.get("err-required"));
    }
    let (Some(kind), Some(from), Some(to), true) = (kind, from, to, errors.is_empty()) else {
        let page = abuse_page(
            &state,
            &staff,
            lang,
            id,
            (default_hours(), default_min()),
            None,
            errors,
            form,
        )
        .await?;
        return refused(&page);
    };
    let filter = InvalidationFilter {
        kind,
        key,
        from,
        to: to + 59,
    };
    apply(&state, access, id, &filter, form.reason.trim()).await
}

#[derive(serde::Deserialize)]
pub(crate) struct InvalidateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    from: i64,
    #[serde(default)]
    to: i64,
    #[serde(default)]
    reason: String,
}

/// `POST /admin/petitions/{id}/invalidate`: invalidates one burst with a reason.
pub(crate) async fn invalidate(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<InvalidateForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let kind = BurstKind::parse(&form.kind).ok_or_else(|| AppError::BadRequest("unknown kind".into()))?;
    let reason = form.reason.trim();
    if reason.is_empty() || form.key.is_empty() || form.from > form.to {
        return Err(AppError::BadRequest(
            "a reason, a value and a time window are needed".into(),
        ));
    }
    let filter = InvalidationFilter {
        kind,
        key: form.key,
        from: form.from,
        to: form.to,
    };
    apply(&state, access, id, &filter, reason).await
}
