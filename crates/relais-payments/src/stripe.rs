//! Card payments through Stripe Checkout, over Stripe's REST API (form-encoded
//! requests, JSON answers), and the webhooks that confirm them.
//!
//! One-off gifts are Checkout Sessions in `payment` mode; monthly gifts are
//! sessions in `subscription` mode whose subscription carries the pledge's
//! reference in its metadata, so that every later `invoice.paid` names the
//! pledge it belongs to even when it arrives before the session's own event.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::provider::{Checkout, PaymentError, Provider, Started};

/// The API version Relais is written against (sent with every request, so an
/// account upgraded later still answers in the shape parsed here).
pub const API_VERSION: &str = "2025-03-31.basil";

/// How old a signed webhook may be: Stripe's own libraries use five minutes.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;

/// Metadata key naming the gift a payment is for.
pub const META_GIFT: &str = "relais_gift";
/// Metadata key naming the monthly pledge a subscription is for.
pub const META_PLEDGE: &str = "relais_pledge";

/// A Stripe account as one association configured it.
#[derive(Clone)]
pub struct Stripe {
    api_base: String,
    secret_key: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key never prints.
        f.debug_struct("Stripe")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

impl Stripe {
    /// A client for the account whose secret key is `secret_key`, at `api_base`
    /// (`https://api.stripe.com`, or a local server in tests).
    pub fn new(api_base: &str, secret_key: &str, http: reqwest::Client) -> Self {
        Self {
            api_base: api_base.trim_end_matches('/').to_owned(),
            secret_key: secret_key.to_owned(),
            http,
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        idempotency_key: &str,
        params: &[(String, String)],
    ) -> Result<serde_json::Value, PaymentError> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.api_base))
            .bearer_auth(&self.secret_key)
            .header("Stripe-Version", API_VERSION)
            // A retried request (after a timeout) must not create a second payment.
            .header("Idempotency-Key", idempotency_key)
            .timeout(std::time::Duration::from_secs(20));
        if !params.is_empty() {
            request = request.form(params);
        }
        let response = request
            .send()
            .await
            .map_err(|e| PaymentError::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| PaymentError::Unreachable(format!("unreadable answer ({status}): {e}")))?;
        if status.is_success() {
            Ok(body)
        } else {
            let message = body["error"]["message"].as_str().unwrap_or("no message").to_owned();
            Err(PaymentError::Refused(format!("{status}: {message}")))
        }
    }

    /// Refunds a one-off card payment in full. Idempotent: the same payment
    /// refunded twice is refunded once (Stripe replays the first answer).
    pub async fn refund(&self, payment_intent: &str) -> Result<(), PaymentError> {
        let params = vec![
            ("payment_intent".to_owned(), payment_intent.to_owned()),
            ("reason".to_owned(), "requested_by_customer".to_owned()),
        ];
        self.call(
            reqwest::Method::POST,
            "/v1/refunds",
            &format!("relais-refund-{payment_intent}"),
            &params,
        )
        .await
        .map(|_| ())
    }

    /// The form parameters of a Checkout Session for `c` (public for tests).
    pub fn session_params(c: &Checkout<'_>) -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = vec![
            (
                "mode".into(),
                if c.pledge.is_some() { "subscription" } else { "payment" }.into(),
            ),
            ("success_url".into(), c.success_url.into()),
            ("cancel_url".into(), c.cancel_url.into()),
            ("customer_email".into(), c.email.into()),
            ("client_reference_id".into(), c.reference.into()),
            ("locale".into(), if c.locale == "fr" { "fr" } else { "en" }.into()),
            (format!("metadata[{META_GIFT}]"), c.reference.into()),
            ("line_items[0][quantity]".into(), "1".into()),
            ("line_items[0][price_data][currency]".into(), "eur".into()),
            (
                "line_items[0][price_data][unit_amount]".into(),
                c.amount_cents.to_string(),
            ),
            (
                "line_items[0][price_data][product_data][name]".into(),
                c.description.into(),
            ),
        ];
        if c.tip_cents > 0 && c.pledge.is_none() {
            p.push(("line_items[1][quantity]".into(), "1".into()));
            p.push(("line_items[1][price_data][currency]".into(), "eur".into()));
            p.push(("line_items[1][price_data][unit_amount]".into(), c.tip_cents.to_string()));
            p.push((
                "line_items[1][price_data][product_data][name]".into(),
                c.tip_label.into(),
            ));
        }
        match c.pledge {
            Some(pledge) => {
                p.push(("line_items[0][price_data][recurring][interval]".into(), "month".into()));
                p.push((format!("subscription_data[metadata][{META_PLEDGE}]"), pledge.into()));
                p.push((format!("subscription_data[metadata][{META_GIFT}]"), c.reference.into()));
                p.push((format!("metadata[{META_PLEDGE}]"), pledge.into()));
            }
            None => {
                p.push((
                    format!("payment_intent_data[metadata][{META_GIFT}]"),
                    c.reference.into(),
                ));
            }
        }
        p
    }
}

#[async_trait::async_trait]
impl Provider for Stripe {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn start(&self, c: &Checkout<'_>) -> Result<Started, PaymentError> {
        let params = Self::session_params(c);
        let session = self
            .call(
                reqwest::Method::POST,
                "/v1/checkout/sessions",
                &format!("relais-checkout-{}", c.reference),
                &params,
            )
            .await?;
        let url = session["url"]
            .as_str()
            .ok_or_else(|| PaymentError::Unreachable("session without url".into()))?;
        Ok(Started {
            url: url.to_owned(),
            session: session["id"].as_str().map(str::to_owned),
        })
    }

    async fn cancel_recurring(&self, subscription: &str) -> Result<(), PaymentError> {
        if !subscription.starts_with("sub_") {
            return Err(PaymentError::Refused("not a Stripe subscription".into()));
        }
        match self
            .call(
                reqwest::Method::DELETE,
                &format!("/v1/subscriptions/{subscription}"),
                &format!("relais-cancel-{subscription}"),
                &[],
            )
            .await
        {
            Ok(_) => Ok(()),
            // Already cancelled (in Stripe's dashboard, or by Stripe after failed
            // payments): Stripe answers 404 to a DELETE of a cancelled subscription.
            Err(PaymentError::Refused(m)) if m.starts_with("404") => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Why a webhook was not believed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("no Stripe-Signature header")]
    Missing,
    #[error("malformed Stripe-Signature header")]
    Malformed,
    #[error("signature timestamp outside the tolerance")]
    TooOld,
    #[error("no signature matches")]
    Mismatch,
}

/// Checks a webhook's `Stripe-Signature` header (`t=…,v1=…[,v1=…]`) against the
/// raw body, as Stripe documents: HMAC-SHA256 of `"{t}.{body}"` with the
/// endpoint's secret, any `v1` matching, and `t` within the tolerance of `now`.
pub fn verify_signature(body: &[u8], header: Option<&str>, secret: &str, now: i64) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp: Option<i64> = None;
    let mut candidates: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let (key, value) = part.trim().split_once('=').ok_or(SignatureError::Malformed)?;
        match key {
            "t" => timestamp = Some(value.parse().map_err(|_| SignatureError::Malformed)?),
            // Other schemes (v0 is Stripe's test scheme) are ignored, as Stripe advises.
            "v1" => candidates.push(hex::decode(value).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > SIGNATURE_TOLERANCE_SECS {
        return Err(SignatureError::TooOld);
    }
    for candidate in candidates {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::Mismatch)?;
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        // `verify_slice` compares in constant time.
        if mac.verify_slice(&candidate).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

/// Signs `body` as Stripe does (for tests and the local server).
pub fn sign(body: &[u8], secret: &str, timestamp: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// What a webhook says, reduced to what Relais acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A session finished: paid now (`paid`), or waiting for a delayed method.
    SessionCompleted {
        gift: String,
        paid: bool,
        subscription: Option<String>,
        pledge: Option<String>,
        /// The payment intent of a one-off payment (kept for refunds).
        payment_intent: Option<String>,
    },
    /// A delayed payment of a session succeeded.
    SessionPaid {
        gift: String,
        payment_intent: Option<String>,
    },
    /// A charge was refunded, in full (`full`) or in part (from Stripe's dashboard,
    /// or through [`Stripe::refund`]).
    ChargeRefunded {
        payment_intent: Option<String>,
        gift: Option<String>,
        full: bool,
    },
    /// A delayed payment failed, or the session expired unpaid.
    SessionFailed { gift: String },
    /// A subscription's invoice was paid: the first (`first`) or a monthly one.
    InvoicePaid {
        invoice: String,
        subscription: String,
        pledge: Option<String>,
        gift: Option<String>,
        amount_cents: i64,
        paid_at: Option<i64>,
        first: bool,
    },
    /// A monthly collection failed (Stripe retries by itself).
    InvoiceFailed {
        invoice: String,
        subscription: String,
        pledge: Option<String>,
    },
    /// The subscription ended: cancelled by the donor, staff, or after failed retries.
    SubscriptionEnded {
        subscription: String,
        pledge: Option<String>,
    },
    /// Anything else (acknowledged, ignored).
    Other(String),
}

/// A parsed webhook: Stripe's event id (for logs) and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: String,
    pub event: Event,
}

/// Why a webhook body could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unreadable Stripe event: {0}")]
pub struct EventError(String);

fn text(v: &serde_json::Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The subscription details of an invoice: `parent.subscription_details` since
/// 2025-03-31, `subscription` + `subscription_details` before.
fn invoice_subscription(invoice: &serde_json::Value) -> (Option<String>, &serde_json::Value) {
    let details = &invoice["parent"]["subscription_details"];
    if details.is_object() {
        return (text(&details["subscription"]), &details["metadata"]);
    }
    (
        text(&invoice["subscription"]),
        &invoice["subscription_details"]["metadata"],
    )
}

/// Reads a webhook body (already verified).
pub fn parse_event(body: &[u8]) -> Result<Webhook, EventError> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| EventError(e.to_string()))?;
    let id = text(&v["id"]).ok_or_else(|| EventError("no id".into()))?;
    let kind = text(&v["type"]).ok_or_else(|| EventError("no type".into()))?;
    let object = &v["data"]["object"];
    let missing = |what: &str| EventError(format!("{kind} without {what}"));
    let session_gift = || {
        text(&object["client_reference_id"])
            .or_else(|| text(&object["metadata"][META_GIFT]))
            .ok_or_else(|| missing("client_reference_id"))
    };
    let event = match kind.as_str() {
        "checkout.session.completed" => Event::SessionCompleted {
            gift: session_gift()?,
            // "no_payment_required" never happens for a gift: only "paid" is money.
            paid: object["payment_status"].as_str() == Some("paid"),
            subscription: text(&object["subscription"]),
            pledge: text(&object["metadata"][META_PLEDGE]),
            payment_intent: text(&object["payment_intent"]),
        },
        "checkout.session.async_payment_succeeded" => Event::SessionPaid {
            gift: session_gift()?,
            payment_intent: text(&object["payment_intent"]),
        },
        "charge.refunded" => Event::ChargeRefunded {
            payment_intent: text(&object["payment_intent"]),
            gift: text(&object["metadata"][META_GIFT]),
            full: object["refunded"].as_bool() == Some(true),
        },
        "checkout.session.async_payment_failed" | "checkout.session.expired" => {
            Event::SessionFailed { gift: session_gift()? }
        }
        "invoice.paid" => {
            let (subscription, metadata) = invoice_subscription(object);
            Event::InvoicePaid {
                invoice: text(&object["id"]).ok_or_else(|| missing("id"))?,
                subscription: subscription.ok_or_else(|| missing("subscription"))?,
                pledge: text(&metadata[META_PLEDGE]),
                gift: text(&metadata[META_GIFT]),
                amount_cents: object["amount_paid"].as_i64().ok_or_else(|| missing("amount_paid"))?,
                paid_at: object["status_transitions"]["paid_at"].as_i64(),
                first: object["billing_reason"].as_str() == Some("subscription_create"),
            }
        }
        "invoice.payment_failed" => {
            let (subscription, metadata) = invoice_subscription(object);
            Event::InvoiceFailed {
                invoice: text(&object["id"]).ok_or_else(|| missing("id"))?,
                subscription: subscription.ok_or_else(|| missing("subscription"))?,
                pledge: text(&metadata[META_PLEDGE]),
            }
        }
        "customer.subscription.deleted" => Event::SubscriptionEnded {
            subscription: text(&object["id"]).ok_or_else(|| missing("id"))?,
            pledge: text(&object["metadata"][META_PLEDGE]),
        },
        _ => Event::Other(kind),
    };
    Ok(Webhook { id, event })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_made_with_the_secret_verifies() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(body, "whsec_test", 1_000);
        assert_eq!(verify_signature(body, Some(&header), "whsec_test", 1_100), Ok(()));
    }

    #[test]
    fn a_forged_late_or_altered_webhook_is_refused() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(body, "whsec_test", 1_000);
        assert_eq!(
            verify_signature(body, Some(&header), "whsec_other", 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(br#"{"id":"evt_2"}"#, Some(&header), "whsec_test", 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(body, Some(&header), "whsec_test", 1_000 + SIGNATURE_TOLERANCE_SECS + 1),
            Err(SignatureError::TooOld)
        );
        assert_eq!(
            verify_signature(body, None, "whsec_test", 1_000),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_signature(body, Some("t=abc,v1=00"), "whsec_test", 1_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_signature(body, Some("t=1000"), "whsec_test", 1_000),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn any_of_several_v1_signatures_may_match() {
        // Stripe sends two v1 values while an endpoint's secret is being rolled.
        let body = b"{}";
        let good = sign(body, "whsec_new", 50);
        let good_v1 = good.split(",v1=").nth(1).expect("signed");
        let header = format!("t=50,v1={},v1={good_v1}", "ab".repeat(32));
        assert_eq!(verify_signature(body, Some(&header), "whsec_new", 50), Ok(()));
    }

    #[test]
    fn invoices_name_their_pledge_in_either_api_shape() {
        let basil = serde_json::json!({"id": "evt_1", "type": "invoice.paid", "data": {"object": {
            "id": "in_1", "amount_paid": 1500, "billing_reason": "subscription_cycle",
            "status_transitions": {"paid_at": 77},
            "parent": {"subscription_details": {"subscription": "sub_1", "metadata": {"relais_pledge": "p1"}}}
        }}});
        let older = serde_json::json!({"id": "evt_2", "type": "invoice.paid", "data": {"object": {
            "id": "in_1", "amount_paid": 1500, "billing_reason": "subscription_cycle",
            "status_transitions": {"paid_at": 77},
            "subscription": "sub_1", "subscription_details": {"metadata": {"relais_pledge": "p1"}}
        }}});
        for v in [basil, older] {
            let w = parse_event(v.to_string().as_bytes()).expect("parses");
            assert_eq!(
                w.event,
                Event::InvoicePaid {
                    invoice: "in_1".into(),
                    subscription: "sub_1".into(),
                    pledge: Some("p1".into()),
                    gift: None,
                    amount_cents: 1500,
                    paid_at: Some(77),
                    first: false,
                }
            );
        }
    }

    #[test]
    fn sessions_and_unknown_events_parse() {
        let v = serde_json::json!({"id": "evt_3", "type": "checkout.session.completed", "data": {"object": {
            "client_reference_id": "g_1", "payment_status": "unpaid", "subscription": null, "metadata": {}
        }}});
        let w = parse_event(v.to_string().as_bytes()).expect("parses");
        assert_eq!(
            w.event,
            Event::SessionCompleted {
                gift: "g_1".into(),
                paid: false,
                subscription: None,
                pledge: None,
                payment_intent: None,
            }
        );
        let v = serde_json::json!({"id": "evt_4", "type": "charge.refunded", "data": {"object": {
            "payment_intent": "pi_1", "refunded": true, "metadata": {"relais_gift": "g_1"}
        }}});
        assert_eq!(
            parse_event(v.to_string().as_bytes()).expect("parses").event,
            Event::ChargeRefunded {
                payment_intent: Some("pi_1".into()),
                gift: Some("g_1".into()),
                full: true
            }
        );
        let v = serde_json::json!({"id": "evt_5", "type": "customer.created", "data": {"object": {}}});
        assert_eq!(
            parse_event(v.to_string().as_bytes()).expect("parses").event,
            Event::Other("customer.created".into())
        );
        assert!(parse_event(b"not json").is_err());
    }

    #[test]
    fn monthly_sessions_carry_the_pledge_on_the_subscription() {
        let c = Checkout {
            reference: "g_1",
            pledge: Some("p_1"),
            amount_cents: 1_000,
            tip_cents: 0,
            tip_label: "",
            description: "Puits",
            email: "a@b.fr",
            locale: "fr",
            success_url: "https://x/ok",
            cancel_url: "https://x/no",
        };
        let p = Stripe::session_params(&c);
        let get = |k: &str| p.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("mode"), Some("subscription"));
        assert_eq!(get("subscription_data[metadata][relais_pledge]"), Some("p_1"));
        assert_eq!(get("line_items[0][price_data][recurring][interval]"), Some("month"));
        assert_eq!(get("line_items[0][price_data][unit_amount]"), Some("1000"));
    }
}
