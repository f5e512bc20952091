//! `POST /webhooks/stripe/{org}`: Stripe tells an association's Relais what
//! happened to a payment. The body is believed only when its `Stripe-Signature`
//! verifies with the association's endpoint secret and is recent; every event
//! may arrive twice, late or out of order, so each action below is idempotent
//! and none depends on another having run first.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use relais_payments::stripe::{Event, parse_event, verify_signature};
use relais_store::{Org, Pledge};

use crate::{AppError, AppState, Shared};

/// The handler.
pub(crate) async fn receive(
    State(state): State<Shared>,
    Path(org_slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let org = state.store.org_by_slug(&org_slug).await?.ok_or(AppError::NotFound)?;
    let settings = state.store.payment_settings(org.id).await?;
    if !settings.stripe_enabled() {
        return Err(AppError::NotFound);
    }
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    if let Err(e) = verify_signature(&body, signature, &settings.stripe_webhook_secret, crate::now()) {
        tracing::warn!(org = org.id, error = %e, "Stripe webhook refused");
        return Err(AppError::BadRequest(format!("signature: {e}")));
    }
    let webhook = parse_event(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    tracing::info!(org = org.id, event = %webhook.id, "Stripe webhook");
    act(&state, &org, webhook.event).await?;
    // Stripe retries anything but a 2xx: an event that names nothing of ours is still acknowledged.
    Ok(StatusCode::OK.into_response())
}

/// A gift of this association by reference (another association's is ignored).
async fn own_gift(state: &AppState, org: &Org, reference: &str) -> Result<bool, AppError> {
    Ok(state
        .store
        .gift_by_ref(reference)
        .await?
        .is_some_and(|g| g.org_id == org.id))
}

/// The pledge an event names, by our reference or by the subscription.
async fn own_pledge(
    state: &AppState,
    org: &Org,
    reference: Option<&str>,
    subscription: &str,
) -> Result<Option<Pledge>, AppError> {
    let by_ref = match reference {
        Some(r) => state.store.pledge_by_ref(r).await?,
        None => None,
    };
    let pledge = match by_ref {
        Some(p) => Some(p),
        None => state.store.pledge_by_provider_id("stripe", subscription).await?,
    };
    Ok(pledge.filter(|p| p.org_id == org.id && p.provider == "stripe"))
}

async fn act(state: &AppState, org: &Org, event: Event) -> Result<(), AppError> {
    let now = crate::now();
    match event {
        Event::SessionCompleted {
            gift,
            paid,
            subscription,
            pledge,
            payment_intent,
        } => {
            if !own_gift(state, org, &gift).await? {
                return Ok(());
            }
            if let Some(pi) = &payment_intent {
                state.store.note_payment(&gift, pi).await?;
            }
            if let (Some(sub), Some(pledge)) = (&subscription, &pledge) {
                state.store.link_pledge(pledge, sub).await?;
            }
            // A paid session is a paid first payment, whichever of this event and
            // the first invoice's comes first.
            if paid {
                state.store.complete_gift(&gift, now).await?;
            }
        }
        Event::SessionPaid { gift, payment_intent } => {
            if own_gift(state, org, &gift).await? {
                if let Some(pi) = &payment_intent {
                    state.store.note_payment(&gift, pi).await?;
                }
                state.store.complete_gift(&gift, now).await?;
            }
        }
        // A refund made in Stripe's dashboard (or by staff here: then the gift is
        // already refunded and this changes nothing). A partial refund leaves the
        // gift counted: staff decide, the receipt may have to be replaced.
        Event::ChargeRefunded {
            gift: Some(gift),
            full: true,
            ..
        } => {
            let found = state.store.gift_by_ref(&gift).await?.filter(|g| g.org_id == org.id);
            if let Some(g) = found.filter(|g| g.status == "paid") {
                // The signature proved Stripe speaks for this association's account.
                let access = state.store.operator_access(&org.slug).await?;
                state
                    .store
                    .refund_gift(&access, g.id, "refunded at Stripe", now)
                    .await?;
                tracing::info!(org = org.id, gift = g.id, "gift refunded at Stripe");
            }
        }
        Event::ChargeRefunded { .. } => {
            tracing::warn!(
                org = org.id,
                "partial or unattributed refund at Stripe: nothing recorded"
            );
        }
        Event::SessionFailed { gift } => {
            if own_gift(state, org, &gift).await? {
                state.store.fail_gift(&gift, "payment failed at Stripe").await?;
            }
        }
        Event::InvoicePaid {
            invoice,
            subscription,
            pledge,
            gift,
            amount_cents,
            paid_at,
            first,
        } => {
            let Some(p) = own_pledge(state, org, pledge.as_deref(), &subscription).await? else {
                tracing::warn!(org = org.id, %invoice, "invoice for an unknown pledge");
                return Ok(());
            };
            state.store.link_pledge(&p.reference, &subscription).await?;
            let paid_at = paid_at.unwrap_or(now);
            match gift {
                // The first invoice pays the gift made on the page.
                Some(g) if first && own_gift(state, org, &g).await? => {
                    state.store.complete_gift_at(&g, paid_at, now).await?;
                }
                _ if amount_cents > 0 => {
                    state.store.record_collection(&p, &invoice, amount_cents, now).await?;
                    state.store.complete_gift_at(&invoice, paid_at, now).await?;
                }
                _ => {}
            }
        }
        Event::InvoiceFailed {
            invoice,
            subscription,
            pledge,
        } => {
            if let Some(p) = own_pledge(state, org, pledge.as_deref(), &subscription).await?
                && p.activated_at.is_some()
            {
                let amount = p.amount_cents;
                state.store.record_collection(&p, &invoice, amount, now).await?;
                state.store.fail_gift(&invoice, "card payment failed").await?;
            }
        }
        Event::SubscriptionEnded { subscription, pledge } => {
            if let Some(p) = own_pledge(state, org, pledge.as_deref(), &subscription).await?
                && state
                    .store
                    .cancel_pledge(&p.reference, "provider", now)
                    .await?
                    .is_some()
            {
                tracing::info!(org = org.id, pledge = p.id, "monthly gift ended at Stripe");
            }
        }
        Event::Other(_) => {}
    }
    Ok(())
}
