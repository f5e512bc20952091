//! `/d/stop/{token}`: a donor stops their monthly gift from the link in any of
//! our e-mails about it (or from `/me`), at once and without an account. GET
//! shows one button (mail scanners open links; only a person presses it).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use relais_core::money::Money;
use relais_core::token::LinkSigner;
use relais_store::Pledge;

use crate::extract::Lang;
use crate::render::{Brand, Chrome, local_time, page};
use crate::{AppError, AppState, Shared};

const PURPOSE: &str = "stop-pledge";
/// The link lives as long as a pledge may: ten years.
const LINK_DAYS: i64 = 3_650;

/// The absolute link that stops a pledge.
pub(crate) fn stop_link(signer: &LinkSigner, config: &crate::WebConfig, pledge_ref: &str, now: i64) -> String {
    let token = signer.sign(PURPOSE, pledge_ref, now + LINK_DAYS * 86_400);
    config.link(&format!("/d/stop/{token}"))
}

#[derive(Template)]
#[template(path = "pledge_stop.html")]
struct StopTemplate {
    c: Chrome,
    text: String,
    active: bool,
    action: String,
}

async fn pledge_of(state: &AppState, token: &str) -> Result<Pledge, AppError> {
    let claims = state
        .signer
        .verify(PURPOSE, token, crate::now())
        .map_err(|_| AppError::NotFound)?;
    state
        .store
        .pledge_by_ref(&claims.subject)
        .await?
        .ok_or(AppError::NotFound)
}

async fn stop_page(state: &AppState, pledge: &Pledge, token: &str, lang: Lang) -> Result<Response, AppError> {
    let org = state.store.org_by_id(pledge.org_id).await?.ok_or(AppError::NotFound)?;
    let t = state.tr(lang.or(org.locale()));
    let amount = Money::from_cents(pledge.amount_cents).format(t.locale);
    let active = pledge.status != "cancelled";
    let text = if active {
        t.args(
            "pledge-stop-text",
            &[
                ("amount", &amount),
                ("org", &org.name),
                ("since", &local_time(pledge.created_at, &org.timezone)),
            ],
        )
    } else {
        t.args("pledge-stopped-text", &[("amount", &amount), ("org", &org.name)])
    };
    let mut c = Chrome::new(t.clone(), t.get("pledge-stop-title"), &format!("/d/stop/{token}"));
    c.brand = Some(Brand::of(&org));
    Ok(crate::routes::public::public_page(
        page(&StopTemplate {
            c,
            text,
            active,
            action: format!("/d/stop/{token}"),
        })?,
        "no-store",
    ))
}

/// `GET /d/stop/{token}`.
pub(crate) async fn show(
    State(state): State<Shared>,
    Path(token): Path<String>,
    lang: Lang,
) -> Result<Response, AppError> {
    let pledge = pledge_of(&state, &token).await?;
    stop_page(&state, &pledge, &token, lang).await
}

/// `POST /d/stop/{token}`: stops the pledge at its provider, then here.
pub(crate) async fn stop(
    State(state): State<Shared>,
    Path(token): Path<String>,
    lang: Lang,
) -> Result<Response, AppError> {
    let pledge = pledge_of(&state, &token).await?;
    cancel(&state, &pledge, "donor").await?;
    // Read again: Stripe's own notice of the cancellation may have landed first.
    let pledge = state.store.pledge(pledge.id).await?.ok_or(AppError::NotFound)?;
    stop_page(&state, &pledge, &token, lang).await
}

/// Stops a pledge: at Stripe first (so no further invoice is charged), then in
/// the store. `None` when it was already stopped.
pub(crate) async fn cancel(state: &AppState, pledge: &Pledge, by: &str) -> Result<Option<Pledge>, AppError> {
    if pledge.status == "cancelled" {
        return Ok(None);
    }
    if pledge.provider == "stripe"
        && let Some(subscription) = &pledge.provider_id
    {
        let settings = state.store.payment_settings(pledge.org_id).await?;
        let stripe = crate::payments::stripe(state, &settings);
        relais_payments::Provider::cancel_recurring(&stripe, subscription)
            .await
            .map_err(|e| AppError::Internal(format!("cannot stop subscription at Stripe: {e}")))?;
    }
    let done = state.store.cancel_pledge(&pledge.reference, by, crate::now()).await?;
    if let Some(p) = &done {
        tracing::info!(org = p.org_id, pledge = p.id, by, "monthly gift stopped");
    }
    Ok(done)
}
