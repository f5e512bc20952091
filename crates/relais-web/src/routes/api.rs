//! The JSON API for an association's own systems (`/api/v1/…`), authenticated by
//! the API keys staff make under `/admin/api-keys` (`Authorization: Bearer …`).
//!
//! `POST /api/v1/donations/{id}/outcomes` reports that a gift was used ("your blood
//! donation was used today at Hôpital X"): the donor is told at once, by SMS when
//! they gave a mobile number and agreed to texts, else by e-mail when they agreed
//! to impact news, else not at all (answered `not_sent`, reason `no_consent`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use relais_core::impact::{ImpactChannel, OutcomeInput};
use relais_store::{OrgAccess, OutcomeReport, hash_secret};

use crate::Shared;
use crate::error::ApiError;
use crate::extract::ClientIp;

/// The longest `Idempotency-Key` taken: a UUID or a system's own reference fits.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// The association a request's key opens, and the key's id.
async fn authenticate(state: &Shared, headers: &HeaderMap, ip: std::net::IpAddr) -> Result<(OrgAccess, i64), ApiError> {
    let secret = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|s| s.starts_with(crate::routes::api_keys_admin::KEY_PREFIX));
    let found = match secret {
        Some(secret) => state.store.api_access(&hash_secret(secret), crate::now()).await?,
        None => None,
    };
    match found {
        Some(found) => {
            state.limits.api_key(found.1)?;
            Ok(found)
        }
        None => {
            state.limits.api_refused(ip)?;
            Err(ApiError::Unauthorized)
        }
    }
}

/// The caller's `Idempotency-Key`: visible ASCII, short.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY && k.chars().all(|c| c.is_ascii_graphic()))
        .ok_or_else(|| ApiError::BadRequest("Idempotency-Key must be 1 to 200 visible ASCII characters".into()))?;
    Ok(Some(key.to_owned()))
}

/// `POST /api/v1/donations/{id}/outcomes` with JSON `{"message"?, "used_on"?}`.
///
/// 202 `{"status": "queued", "channel": "sms"|"email", "outcome": id}` or
/// `{"status": "not_sent", "reason": "no_consent", "outcome": id}`; the same report
/// again (same `Idempotency-Key`, or same `used_on` without one) answers 200 with
/// the first answer and `"duplicate": true`. 401 without a valid key, 404 for a
/// gift that is not the key's association's (the same body whether it exists
/// elsewhere or not), 409 for a gift not paid, 400 for a body that is not the
/// expected JSON, 429 when the key sends too much.
pub(crate) async fn report_outcome(
    State(state): State<Shared>,
    Path(id): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (access, key_id) = authenticate(&state, &headers, ip).await?;
    // A malformed id is no more revealing than an unknown one.
    let gift_id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let input: OutcomeInput = if body.iter().all(u8::is_ascii_whitespace) {
        OutcomeInput::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("the body is not the expected JSON: {e}")))?
    };
    let key = idempotency_key(&headers)?;
    let org = state.store.org(&access).await?;
    let zone = jiff::tz::TimeZone::get(&org.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = jiff::Timestamp::now().to_zoned(zone).date();
    let outcome = input.parse(today).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let receipt = state
        .store
        .report_outcome(
            &access,
            gift_id,
            &OutcomeReport {
                outcome: &outcome,
                idempotency_key: key.as_deref(),
                api_key_id: Some(key_id),
            },
            crate::now(),
        )
        .await?;
    tracing::info!(
        org = access.org_id(),
        gift = gift_id,
        outcome = receipt.outcome_id,
        channel = receipt.channel.map(ImpactChannel::as_str),
        duplicate = receipt.duplicate,
        "outcome reported"
    );
    let mut answer = match receipt.channel {
        Some(channel) => serde_json::json!({
            "status": "queued",
            "channel": channel.as_str(),
            "outcome": receipt.outcome_id,
        }),
        None => serde_json::json!({
            "status": "not_sent",
            "reason": "no_consent",
            "outcome": receipt.outcome_id,
        }),
    };
    answer["duplicate"] = serde_json::Value::Bool(receipt.duplicate);
    let status = if receipt.duplicate {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, [(header::CACHE_CONTROL, "no-store")], axum::Json(answer)).into_response())
}
