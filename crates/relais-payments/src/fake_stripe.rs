//! A local Stripe for tests and demos: the part of Stripe's documented API
//! (version `2025-03-31.basil`) that Relais uses, served on 127.0.0.1, with
//! webhooks signed exactly as Stripe signs them (`Stripe-Signature: t=…,v1=…`).
//!
//! Endpoints: `POST /v1/checkout/sessions`, `GET /v1/checkout/sessions/{id}`,
//! `GET /v1/subscriptions/{id}`, `DELETE /v1/subscriptions/{id}`, `POST /v1/refunds`
//! (one-off payments, by `payment_intent`), and the hosted
//! page `GET|POST /checkout/{id}` where a person (or a browser test) picks the
//! outcome of the payment.
//!
//! Deliberate simplifications, so nobody mistakes the fake for Stripe:
//! - only `price_data` line items (no saved `price` ids), only monthly prices,
//!   no minimum charge amount, no tax, no coupons, no zero-decimal currencies;
//! - only Bearer authentication (Stripe also accepts the key as Basic user);
//! - the events emitted are the ones Relais listens to: `checkout.session.*`,
//!   `invoice.paid`, `invoice.payment_failed`, `customer.subscription.deleted`,
//!   `charge.refunded` (Stripe also sends `customer.subscription.created/updated`,
//!   `invoice.created`, `payment_intent.*`, other `charge.*`…), and in the order a
//!   test can rely on; a refunded charge's `metadata` is the session's (Stripe's
//!   is the payment intent's, which Relais fills with the same gift reference);
//! - webhooks are delivered before the call that caused them returns (Stripe
//!   delivers later and without ordering guarantees: use `hold_webhooks` and
//!   `deliver` to test that), once, with no retries;
//! - idempotency: only successful responses are saved (Stripe also saves
//!   responses of requests that started executing), keys never expire;
//! - a failed renewal makes a new invoice per `renew` call instead of Stripe
//!   retrying the same one (Smart Retries); the subscription turns `past_due`;
//! - async outcomes (`AsyncPaid`, `AsyncFailed`) only exist for `mode=payment`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{any, get};
use hmac::{Hmac, Mac};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::{Map, Value, json};
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The API version whose object shapes the fake serves and stamps on events.
pub const API_VERSION: &str = "2025-03-31.basil";

/// How the donor leaves the hosted checkout page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Paid at once (card).
    Paid,
    /// Gave up: the session expires and `checkout.session.expired` is sent.
    Failed,
    /// Paid later: completed with payment_status "unpaid", then async_payment_succeeded.
    AsyncPaid,
    /// Completed with payment_status "unpaid", then async_payment_failed.
    AsyncFailed,
}

impl Outcome {
    fn parse(value: &str) -> Option<Self> {
        match value {
            "paid" => Some(Self::Paid),
            "failed" => Some(Self::Failed),
            "async_paid" => Some(Self::AsyncPaid),
            "async_failed" => Some(Self::AsyncFailed),
            _ => None,
        }
    }
}

/// One API request as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
    /// Query then body parameters, with bracketed keys ("metadata[gift]") as sent.
    pub params: Vec<(String, String)>,
    /// The `Stripe-Version` header, if the client pinned one.
    pub stripe_version: Option<String>,
}

/// One attempt to POST an event to a webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub event_id: String,
    pub url: String,
    /// `None` when the endpoint could not be reached.
    pub status: Option<u16>,
}

/// A running fake Stripe; the server stops when this is dropped.
pub struct FakeStripe {
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl FakeStripe {
    /// Binds 127.0.0.1:0 and serves; `secret_key` is the only accepted API key ("sk_test_...").
    pub async fn start(secret_key: &str) -> FakeStripe {
        // A test helper: without a loopback interface no test can run anyway.
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("a bound listener has an address");
        let http = reqwest::Client::builder()
            // Deliveries are awaited by the API call that caused them: a stuck
            // endpoint must not hang the test forever.
            .timeout(Duration::from_secs(10))
            .build()
            .expect("a plain HTTP client always builds");
        let shared = Arc::new(Shared {
            secret_key: secret_key.to_owned(),
            base_url: format!("http://{addr}"),
            http,
            ledger: Mutex::default(),
        });
        let app = Router::new()
            .route("/v1/{*rest}", any(api))
            .route("/checkout/{id}", get(page).post(submit))
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "fake Stripe stopped");
            }
        });
        FakeStripe { shared, server }
    }

    /// "http://127.0.0.1:PORT": the API base (Relais appends /v1/...).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Webhook endpoint: every event is POSTed there, signed with `secret` ("whsec_...").
    pub fn add_webhook(&self, url: &str, secret: &str) {
        let endpoint = Endpoint {
            url: url.to_owned(),
            secret: secret.to_owned(),
        };
        self.shared.lock().endpoints.push(endpoint);
    }

    /// While held, events are recorded but not delivered; releasing does not
    /// flush them: deliver each with `deliver`, in any order.
    pub fn hold_webhooks(&self, hold: bool) {
        self.shared.lock().held = hold;
    }

    /// Every event emitted so far, oldest first (the JSON Stripe would send).
    pub fn events(&self) -> Vec<Value> {
        self.shared.lock().events.clone()
    }

    /// Delivers (again) one recorded event with a fresh timestamp and signature to
    /// every endpoint; returns the last endpoint's HTTP status, 0 if the event is
    /// unknown, there is no endpoint, or the endpoint could not be reached.
    pub async fn deliver(&self, event_id: &str) -> u16 {
        let event = self.shared.lock().events.iter().find(|e| e["id"] == event_id).cloned();
        match event {
            Some(event) => self.shared.deliver(&event).await,
            None => 0,
        }
    }

    /// Every delivery attempt so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.lock().deliveries.clone()
    }

    /// Same as submitting the hosted checkout page: completes the session.
    pub async fn pay(&self, session_id: &str, outcome: Outcome) -> Result<(), String> {
        self.shared
            .complete(session_id, outcome)
            .await
            .map(drop)
            .map_err(|e| e.message)
    }

    /// The next monthly invoice of a subscription: paid (true) or failed (false); returns the invoice id.
    pub async fn renew(&self, subscription_id: &str, paid: bool) -> Result<String, String> {
        let (invoice, outbox) = self
            .shared
            .lock()
            .renew(subscription_id, paid, now())
            .map_err(|e| e.message)?;
        self.shared.deliver_all(&outbox).await;
        Ok(invoice)
    }

    /// Stripe giving up after failed payments: cancels the subscription with
    /// `cancellation_details.reason = "payment_failed"`.
    pub async fn cancel_for_nonpayment(&self, subscription_id: &str) -> Result<(), String> {
        let details = Cancellation {
            reason: "payment_failed",
            comment: None,
            feedback: None,
        };
        let origin = no_request();
        let (_, outbox) = self
            .shared
            .lock()
            .cancel(subscription_id, details, &origin, now())
            .map_err(|e| e.message)?;
        self.shared.deliver_all(&outbox).await;
        Ok(())
    }

    /// Every API request received, oldest first (including refused ones).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// The subscription as `GET /v1/subscriptions/{id}` returns it.
    pub fn subscription(&self, id: &str) -> Option<Value> {
        self.shared.lock().subscriptions.get(id).map(Subscription::to_json)
    }

    /// The session as `GET /v1/checkout/sessions/{id}` returns it.
    pub fn session(&self, id: &str) -> Option<Value> {
        self.shared.lock().sessions.get(id).map(Session::to_json)
    }
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        self.server.abort();
    }
}

struct Shared {
    secret_key: String,
    base_url: String,
    http: reqwest::Client,
    /// A std mutex: it is never held across an `.await`. An API call's change and
    /// its idempotency record are made under one lock, so two concurrent retries
    /// with the same key cannot both execute.
    ledger: Mutex<Ledger>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Ledger> {
        // A panicking test thread must not poison the fake for the others.
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn authenticate(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        match given.and_then(|v| v.strip_prefix("Bearer ")).map(str::trim) {
            Some(key) if key == self.secret_key => Ok(()),
            Some(key) => {
                // Stripe shows only the last four characters of a wrong key.
                let tail = key.char_indices().rev().nth(3).map_or(key, |(i, _)| &key[i..]);
                Err(ApiError::unauthorized(format!(
                    "Invalid API Key provided: sk_test_****{tail}"
                )))
            }
            None => Err(ApiError::unauthorized(
                "You did not provide an API key. You need to provide your API key in the Authorization header, \
                 using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
                    .to_owned(),
            )),
        }
    }

    async fn handle(&self, method: &Method, path: &str, headers: &HeaderMap, params: &[(String, String)]) -> Response {
        if let Err(error) = self.authenticate(headers) {
            return error.into_response();
        }
        // Stripe ignores idempotency keys on GET.
        let key =
            header_value(headers, "idempotency-key").filter(|_| *method == Method::POST || *method == Method::DELETE);
        let mut sorted = params.to_vec();
        sorted.sort();
        let fingerprint = (method.to_string(), path.to_owned(), sorted);
        let request_id = new_id("req_");
        let result = {
            let mut ledger = self.lock();
            if let Some(key) = &key
                && let Some(saved) = ledger.idempotency.get(key)
            {
                if saved.fingerprint != fingerprint {
                    return ApiError::idempotency(key).into_response();
                }
                let mut replay = axum::Json(saved.body.clone()).into_response();
                replay
                    .headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
                return replay;
            }
            let origin = json!({"id": request_id, "idempotency_key": key});
            let result = ledger.route(&self.base_url, method, path, params, &origin);
            if let (Some(key), Ok((body, _))) = (key, &result) {
                let saved = Saved {
                    fingerprint,
                    body: body.clone(),
                };
                ledger.idempotency.insert(key, saved);
            }
            result
        };
        match result {
            Ok((body, outbox)) => {
                self.deliver_all(&outbox).await;
                axum::Json(body).into_response()
            }
            Err(error) => error.into_response(),
        }
    }

    async fn complete(&self, session_id: &str, outcome: Outcome) -> Result<Option<String>, ApiError> {
        let (redirect, outbox) = self.lock().complete(session_id, outcome, now())?;
        self.deliver_all(&outbox).await;
        Ok(redirect)
    }

    async fn deliver_all(&self, outbox: &[Value]) {
        for event in outbox {
            self.deliver(event).await;
        }
    }

    async fn deliver(&self, event: &Value) -> u16 {
        let endpoints = self.lock().endpoints.clone();
        let event_id = event["id"].as_str().unwrap_or_default().to_owned();
        // The signature covers these exact bytes: sign and send the same buffer.
        let body = event.to_string().into_bytes();
        let mut last = 0;
        for endpoint in endpoints {
            let timestamp = now();
            let signature = format!("t={timestamp},v1={}", sign(&endpoint.secret, timestamp, &body));
            let sent = self
                .http
                .post(&endpoint.url)
                .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
                .header(header::USER_AGENT, "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
                .header("Stripe-Signature", signature)
                .body(body.clone())
                .send()
                .await;
            let status = match sent {
                Ok(response) => Some(response.status().as_u16()),
                Err(error) => {
                    tracing::warn!(%error, url = %endpoint.url, event_id, "fake Stripe could not deliver a webhook");
                    None
                }
            };
            last = status.unwrap_or(0);
            let delivery = Delivery {
                event_id: event_id.clone(),
                url: endpoint.url,
                status,
            };
            self.lock().deliveries.push(delivery);
        }
        last
    }
}

/// `hex(hmac_sha256(secret, "{timestamp}.{body}"))`, Stripe's `v1` scheme; the
/// key is the whole "whsec_…" string, as Stripe's libraries use it.
fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[derive(Clone)]
struct Endpoint {
    url: String,
    secret: String,
}

struct Saved {
    fingerprint: (String, String, Vec<(String, String)>),
    body: Value,
}

#[derive(Default)]
struct Ledger {
    sessions: HashMap<String, Session>,
    subscriptions: HashMap<String, Subscription>,
    events: Vec<Value>,
    endpoints: Vec<Endpoint>,
    held: bool,
    idempotency: HashMap<String, Saved>,
    requests: Vec<RecordedRequest>,
    deliveries: Vec<Delivery>,
    /// Cents refunded so far, per payment intent.
    refunded: HashMap<String, i64>,
}

/// An API response body and the events to deliver once the lock is released.
type Outboxed<T> = (T, Vec<Value>);

impl Ledger {
    fn route(
        &mut self,
        base_url: &str,
        method: &Method,
        path: &str,
        params: &[(String, String)],
        origin: &Value,
    ) -> Result<Outboxed<Value>, ApiError> {
        let segments: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
        match (method.as_str(), segments.as_slice()) {
            ("POST", ["checkout", "sessions"]) => {
                let session = Session::create(params, base_url, now())?;
                let body = session.to_json();
                self.sessions.insert(session.id.clone(), session);
                Ok((body, Vec::new()))
            }
            ("GET", ["checkout", "sessions", id]) => {
                only_expand(params)?;
                let session = self
                    .sessions
                    .get(*id)
                    .ok_or_else(|| ApiError::not_found("checkout.session", id))?;
                Ok((session.to_json(), Vec::new()))
            }
            ("GET", ["subscriptions", id]) => {
                only_expand(params)?;
                let subscription = self
                    .subscriptions
                    .get(*id)
                    .ok_or_else(|| ApiError::not_found("subscription", id))?;
                Ok((subscription.to_json(), Vec::new()))
            }
            ("DELETE", ["subscriptions", id]) => {
                let details = Cancellation::parse(params)?;
                self.cancel(id, details, origin, now())
            }
            ("POST", ["refunds"]) => self.refund(params, origin),
            _ => Err(ApiError {
                status: StatusCode::NOT_FOUND,
                kind: "invalid_request_error",
                code: None,
                message: format!("Unrecognized request URL ({method}: {path})."),
                param: None,
            }),
        }
    }

    /// `POST /v1/refunds` (`payment_intent`, optional `amount`, `reason`,
    /// `metadata[…]`): refunds a paid one-off payment, in full by default, and
    /// emits `charge.refunded` with the charge's running `amount_refunded`.
    fn refund(&mut self, params: &[(String, String)], origin: &Value) -> Result<Outboxed<Value>, ApiError> {
        let (mut intent, mut amount) = (None, None);
        for (key, value) in params {
            match key.as_str() {
                "payment_intent" => intent = Some(value.clone()),
                "amount" => {
                    amount = Some(
                        value
                            .parse::<i64>()
                            .map_err(|_| ApiError::invalid("amount", format!("Invalid integer: {value}")))?,
                    );
                }
                "reason" => {
                    if !matches!(value.as_str(), "duplicate" | "fraudulent" | "requested_by_customer") {
                        return Err(ApiError::invalid("reason", format!("Invalid reason: {value}")));
                    }
                }
                k if k.starts_with("metadata[") => {}
                _ => return Err(ApiError::unknown(key)),
            }
        }
        let intent = intent.ok_or_else(|| ApiError::missing("payment_intent"))?;
        let session = self
            .sessions
            .values()
            .find(|s| s.payment_intent.as_deref() == Some(intent.as_str()) && s.payment_status == "paid")
            .ok_or_else(|| ApiError::not_found("payment_intent", &intent))?;
        let total = session.amount_total();
        let done = self.refunded.get(&intent).copied().unwrap_or(0);
        let amount = amount.unwrap_or(total - done);
        if amount < 1 || done + amount > total {
            return Err(ApiError {
                status: StatusCode::BAD_REQUEST,
                kind: "invalid_request_error",
                code: Some(if done >= total {
                    "charge_already_refunded"
                } else {
                    "amount_too_large"
                }),
                message: format!(
                    "Refund amount ({amount}) is greater than unrefunded amount on charge ({}).",
                    total - done
                ),
                param: Some("amount".into()),
            });
        }
        let charge = json!({
            "id": format!("ch_{}", intent.trim_start_matches("pi_")),
            "object": "charge",
            "amount": total,
            "amount_refunded": done + amount,
            "refunded": done + amount == total,
            "currency": session.currency,
            "payment_intent": intent,
            "metadata": session.metadata,
            "status": "succeeded",
        });
        self.refunded.insert(intent.clone(), done + amount);
        let refund = json!({
            "id": new_id("re_"),
            "object": "refund",
            "amount": amount,
            "currency": charge["currency"],
            "charge": charge["id"],
            "payment_intent": intent,
            "status": "succeeded",
            "created": now(),
        });
        let mut outbox = Vec::new();
        self.emit(&mut outbox, "charge.refunded", charge, origin);
        Ok((refund, outbox))
    }

    /// Records an event; returns it for delivery unless webhooks are held.
    fn emit(&mut self, outbox: &mut Vec<Value>, kind: &str, object: Value, origin: &Value) {
        let event = json!({
            "id": new_id("evt_"),
            "object": "event",
            "api_version": API_VERSION,
            "created": now(),
            "livemode": false,
            "pending_webhooks": self.endpoints.len(),
            "request": origin,
            "type": kind,
            "data": {"object": object},
        });
        self.events.push(event.clone());
        if !self.held {
            outbox.push(event);
        }
    }

    fn complete(&mut self, id: &str, outcome: Outcome, now: i64) -> Result<Outboxed<Option<String>>, ApiError> {
        let session = self
            .sessions
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("checkout.session", id))?;
        if session.status != "open" {
            return Err(ApiError::invalid(
                "id",
                format!(
                    "Checkout session {id} is {}: it can only be completed once.",
                    session.status
                ),
            ));
        }
        let async_outcome = matches!(outcome, Outcome::AsyncPaid | Outcome::AsyncFailed);
        if session.mode == Mode::Subscription && async_outcome {
            return Err(ApiError::invalid(
                "outcome",
                "The fake only simulates delayed payments in payment mode.",
            ));
        }
        let origin = no_request();
        let mut outbox = Vec::new();
        let success = session.success_url.replace("{CHECKOUT_SESSION_ID}", id);
        if outcome == Outcome::Failed {
            session.status = "expired";
            let (snapshot, cancel) = (session.to_json(), session.cancel_url.clone());
            self.emit(&mut outbox, "checkout.session.expired", snapshot, &origin);
            return Ok((cancel, outbox));
        }
        session.status = "complete";
        session.payment_status = if async_outcome { "unpaid" } else { "paid" };
        if session.mode == Mode::Payment {
            session.payment_intent = Some(new_id("pi_"));
            let completed = session.to_json();
            let follow_up = match outcome {
                Outcome::AsyncPaid => {
                    session.payment_status = "paid";
                    Some(("checkout.session.async_payment_succeeded", session.to_json()))
                }
                Outcome::AsyncFailed => Some(("checkout.session.async_payment_failed", session.to_json())),
                Outcome::Paid | Outcome::Failed => None,
            };
            self.emit(&mut outbox, "checkout.session.completed", completed, &origin);
            if let Some((kind, snapshot)) = follow_up {
                self.emit(&mut outbox, kind, snapshot, &origin);
            }
            return Ok((Some(success), outbox));
        }
        let mut subscription = Subscription::start(session, now);
        let invoice_id = new_id("in_");
        session.subscription = Some(subscription.id.clone());
        session.customer = Some(subscription.customer.clone());
        session.invoice = Some(invoice_id.clone());
        let completed = session.to_json();
        let invoice = subscription.invoice(&invoice_id, "subscription_create", true, now);
        self.subscriptions.insert(subscription.id.clone(), subscription);
        self.emit(&mut outbox, "checkout.session.completed", completed, &origin);
        self.emit(&mut outbox, "invoice.paid", invoice, &origin);
        Ok((Some(success), outbox))
    }

    fn renew(&mut self, id: &str, paid: bool, now: i64) -> Result<Outboxed<String>, ApiError> {
        let subscription = self
            .subscriptions
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("subscription", id))?;
        if subscription.status == "canceled" {
            return Err(ApiError::invalid(
                "id",
                format!("Subscription {id} is canceled: it renews no more."),
            ));
        }
        subscription.cycle += 1;
        subscription.status = if paid { "active" } else { "past_due" };
        let invoice_id = new_id("in_");
        let invoice = subscription.invoice(&invoice_id, "subscription_cycle", paid, now);
        let kind = if paid { "invoice.paid" } else { "invoice.payment_failed" };
        let mut outbox = Vec::new();
        self.emit(&mut outbox, kind, invoice, &no_request());
        Ok((invoice_id, outbox))
    }

    fn cancel(
        &mut self,
        id: &str,
        details: Cancellation,
        origin: &Value,
        now: i64,
    ) -> Result<Outboxed<Value>, ApiError> {
        // Stripe answers a second cancel as if the id were unknown, although GET
        // still returns the canceled subscription (stripe/stripe-go#1887).
        let subscription = self
            .subscriptions
            .get_mut(id)
            .filter(|s| s.status != "canceled")
            .ok_or_else(|| ApiError::not_found("subscription", id))?;
        subscription.status = "canceled";
        subscription.canceled_at = Some(now);
        subscription.cancellation = details;
        let body = subscription.to_json();
        let mut outbox = Vec::new();
        self.emit(&mut outbox, "customer.subscription.deleted", body.clone(), origin);
        Ok((body, outbox))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Payment,
    Subscription,
}

#[derive(Clone)]
struct Item {
    name: String,
    description: Option<String>,
    unit_amount: i64,
    quantity: i64,
}

/// A line item's parameters as sent, before validation.
#[derive(Default)]
struct ItemForm {
    quantity: Option<String>,
    currency: Option<String>,
    unit_amount: Option<String>,
    name: Option<String>,
    description: Option<String>,
    interval: Option<String>,
    interval_count: Option<String>,
}

impl ItemForm {
    fn set(&mut self, path: &[&str], value: &str) -> Option<()> {
        let slot = match path {
            ["quantity"] => &mut self.quantity,
            ["price_data", "currency"] => &mut self.currency,
            ["price_data", "unit_amount"] => &mut self.unit_amount,
            ["price_data", "product_data", "name"] => &mut self.name,
            ["price_data", "product_data", "description"] => &mut self.description,
            ["price_data", "recurring", "interval"] => &mut self.interval,
            ["price_data", "recurring", "interval_count"] => &mut self.interval_count,
            _ => return None,
        };
        *slot = Some(value.to_owned());
        Some(())
    }

    /// Returns the item, its lowercase currency, and whether it is recurring.
    fn parse(self, index: usize) -> Result<(Item, String, bool), ApiError> {
        let param = |name: &str| format!("line_items[{index}][{name}]");
        let quantity = integer(&param("quantity"), self.quantity)?;
        let unit_amount = integer(&param("price_data][unit_amount"), self.unit_amount)?;
        let currency = self
            .currency
            .ok_or_else(|| ApiError::missing(&param("price_data][currency")))?;
        let name = self
            .name
            .ok_or_else(|| ApiError::missing(&param("price_data][product_data][name")))?;
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(ApiError::invalid(
                &param("price_data][currency"),
                format!("Invalid currency: {currency}"),
            ));
        }
        let recurring = match (self.interval.as_deref(), self.interval_count.as_deref()) {
            (None, None) => false,
            (Some("month"), None | Some("1")) => true,
            _ => {
                let message = "The fake only simulates monthly prices (recurring[interval]=month, interval_count 1).";
                return Err(ApiError::invalid(&param("price_data][recurring"), message));
            }
        };
        let item = Item {
            name,
            description: self.description,
            unit_amount,
            quantity,
        };
        Ok((item, currency.to_ascii_lowercase(), recurring))
    }
}

/// A positive integer parameter, as Stripe requires for amounts and quantities.
fn integer(param: &str, value: Option<String>) -> Result<i64, ApiError> {
    let value = value.ok_or_else(|| ApiError::missing(param))?;
    let parsed: i64 = value.parse().map_err(|_| ApiError {
        code: Some("parameter_invalid_integer"),
        ..ApiError::invalid(param, format!("Invalid integer: {value}"))
    })?;
    if parsed < 1 {
        return Err(ApiError::invalid(
            param,
            "This value must be greater than or equal to 1.",
        ));
    }
    Ok(parsed)
}

const LOCALES: &[&str] = &[
    "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr", "fr-CA", "hr", "hu",
    "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv",
    "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
];

struct Session {
    id: String,
    url: String,
    created: i64,
    mode: Mode,
    status: &'static str,
    payment_status: &'static str,
    success_url: String,
    cancel_url: Option<String>,
    customer_email: Option<String>,
    client_reference_id: Option<String>,
    locale: Option<String>,
    metadata: Map<String, Value>,
    subscription_metadata: Map<String, Value>,
    subscription_description: Option<String>,
    items: Vec<Item>,
    currency: String,
    payment_intent: Option<String>,
    subscription: Option<String>,
    customer: Option<String>,
    invoice: Option<String>,
}

impl Session {
    fn create(params: &[(String, String)], base_url: &str, now: i64) -> Result<Session, ApiError> {
        let mut fields: HashMap<&str, String> = HashMap::new();
        let (mut metadata, mut subscription_metadata, mut intent_metadata) = (Map::new(), Map::new(), Map::new());
        let mut items: BTreeMap<usize, ItemForm> = BTreeMap::new();
        for (key, value) in params {
            let path = key_path(key).ok_or_else(|| ApiError::unknown(key))?;
            match path.as_slice() {
                [
                    name
                    @ ("mode" | "success_url" | "cancel_url" | "customer_email" | "client_reference_id" | "locale"),
                ]
                | ["subscription_data", name @ "description"] => {
                    fields.insert(*name, value.clone());
                }
                ["metadata", name] => set_metadata(&mut metadata, key, name, value)?,
                ["subscription_data", "metadata", name] => set_metadata(&mut subscription_metadata, key, name, value)?,
                ["payment_intent_data", "metadata", name] => set_metadata(&mut intent_metadata, key, name, value)?,
                // Accepted and ignored: the hosted page takes every method.
                ["payment_method_types", index] if index.parse::<usize>().is_ok() => {}
                ["expand", _] => {}
                ["line_items", index, rest @ ..] => {
                    let index: usize = index.parse().map_err(|_| ApiError::unknown(key))?;
                    items
                        .entry(index)
                        .or_default()
                        .set(rest, value)
                        .ok_or_else(|| ApiError::unknown(key))?;
                }
                _ => return Err(ApiError::unknown(key)),
            }
        }
        let mode = match fields.get("mode").map(String::as_str) {
            Some("payment") => Mode::Payment,
            Some("subscription") => Mode::Subscription,
            Some(other) => {
                return Err(ApiError::invalid(
                    "mode",
                    format!("Invalid mode: {other}. The fake serves payment or subscription."),
                ));
            }
            None => return Err(ApiError::missing("mode")),
        };
        let success_url = fields
            .remove("success_url")
            .ok_or_else(|| ApiError::missing("success_url"))?;
        for (param, url) in [
            ("success_url", Some(&success_url)),
            ("cancel_url", fields.get("cancel_url")),
        ] {
            if let Some(url) = url
                && url::Url::parse(url).is_err()
            {
                return Err(ApiError::invalid(param, "Not a valid URL"));
            }
        }
        if let Some(email) = fields.get("customer_email")
            && !email.contains('@')
        {
            return Err(ApiError::invalid(
                "customer_email",
                format!("Invalid email address: {email}"),
            ));
        }
        if let Some(locale) = fields.get("locale")
            && !LOCALES.contains(&locale.as_str())
        {
            return Err(ApiError::invalid("locale", format!("Invalid locale: {locale}")));
        }
        if fields
            .get("client_reference_id")
            .is_some_and(|id| id.chars().count() > 200)
        {
            return Err(ApiError::invalid(
                "client_reference_id",
                "client_reference_id is longer than 200 characters.",
            ));
        }
        if mode == Mode::Payment && (!subscription_metadata.is_empty() || fields.contains_key("description")) {
            return Err(ApiError::invalid(
                "subscription_data",
                "You can not pass `subscription_data` in `payment` mode.",
            ));
        }
        if mode == Mode::Subscription && !intent_metadata.is_empty() {
            return Err(ApiError::invalid(
                "payment_intent_data",
                "You can not pass `payment_intent_data` in `subscription` mode.",
            ));
        }
        if items.is_empty() {
            return Err(ApiError::missing("line_items"));
        }
        let mut parsed = Vec::new();
        let mut currency = None::<String>;
        for (index, form) in items {
            let (item, item_currency, recurring) = form.parse(index)?;
            if recurring != (mode == Mode::Subscription) {
                let message = if recurring {
                    "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices."
                } else {
                    "The fake only simulates subscriptions whose every line item has a monthly recurring price."
                };
                return Err(ApiError::invalid(&format!("line_items[{index}]"), message));
            }
            if currency.as_ref().is_some_and(|c| *c != item_currency) {
                return Err(ApiError::invalid(
                    "line_items",
                    "All line items must have the same currency.",
                ));
            }
            currency = Some(item_currency);
            parsed.push(item);
        }
        let id = new_id("cs_test_");
        Ok(Session {
            url: format!("{base_url}/checkout/{id}"),
            id,
            created: now,
            mode,
            status: "open",
            payment_status: "unpaid",
            success_url,
            cancel_url: fields.remove("cancel_url"),
            customer_email: fields.remove("customer_email"),
            client_reference_id: fields.remove("client_reference_id"),
            locale: fields.remove("locale"),
            metadata,
            subscription_metadata,
            subscription_description: fields.remove("description"),
            items: parsed,
            currency: currency.unwrap_or_default(),
            payment_intent: None,
            subscription: None,
            customer: None,
            invoice: None,
        })
    }

    fn amount_total(&self) -> i64 {
        self.items.iter().map(|i| i.unit_amount * i.quantity).sum()
    }

    fn to_json(&self) -> Value {
        let complete = self.status == "complete";
        json!({
            "id": self.id,
            "object": "checkout.session",
            // Stripe clears the URL once the session is no longer open.
            "url": (self.status == "open").then_some(&self.url),
            "mode": match self.mode { Mode::Payment => "payment", Mode::Subscription => "subscription" },
            "status": self.status,
            "payment_status": self.payment_status,
            "client_reference_id": self.client_reference_id,
            "customer_email": self.customer_email,
            "customer": self.customer,
            "customer_details": complete.then(|| json!({"email": self.customer_email, "name": null})),
            "metadata": self.metadata,
            "amount_subtotal": self.amount_total(),
            "amount_total": self.amount_total(),
            "currency": self.currency,
            "locale": self.locale,
            "subscription": self.subscription,
            "payment_intent": self.payment_intent,
            "invoice": self.invoice,
            "success_url": self.success_url,
            "cancel_url": self.cancel_url,
            "created": self.created,
            "expires_at": self.created + 24 * 3600,
            "livemode": false,
        })
    }
}

struct SubscriptionItem {
    id: String,
    price: String,
    product: String,
    item: Item,
}

/// Why and how a subscription ended (`cancellation_details`).
#[derive(Default)]
struct Cancellation {
    reason: &'static str,
    comment: Option<String>,
    feedback: Option<String>,
}

const FEEDBACK: &[&str] = &[
    "customer_service",
    "low_quality",
    "missing_features",
    "other",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
];

impl Cancellation {
    fn parse(params: &[(String, String)]) -> Result<Cancellation, ApiError> {
        let mut details = Cancellation {
            reason: "cancellation_requested",
            ..Cancellation::default()
        };
        for (key, value) in params {
            match key_path(key).as_deref() {
                Some(["cancellation_details", "comment"]) => details.comment = Some(value.clone()),
                Some(["cancellation_details", "feedback"]) if FEEDBACK.contains(&value.as_str()) => {
                    details.feedback = Some(value.clone());
                }
                Some(["cancellation_details", "feedback"]) => {
                    return Err(ApiError::invalid(key, format!("Invalid feedback: {value}")));
                }
                // Nothing is prorated or invoiced by the fake: accepted, ignored.
                Some(["invoice_now" | "prorate"]) if value == "true" || value == "false" => {}
                Some(["invoice_now" | "prorate"]) => {
                    return Err(ApiError::invalid(key, format!("Invalid boolean: {value}")));
                }
                Some(["expand", _]) => {}
                _ => return Err(ApiError::unknown(key)),
            }
        }
        Ok(details)
    }
}

struct Subscription {
    id: String,
    customer: String,
    customer_email: Option<String>,
    created: i64,
    /// Every period starts this many whole months after the anchor, so a
    /// subscription started on the 31st bills on the last day of short months
    /// and back on the 31st afterwards, as Stripe does.
    anchor: i64,
    /// How many renewals have been billed.
    cycle: u32,
    status: &'static str,
    metadata: Map<String, Value>,
    description: Option<String>,
    currency: String,
    items: Vec<SubscriptionItem>,
    canceled_at: Option<i64>,
    cancellation: Cancellation,
    latest_invoice: Option<String>,
}

impl Subscription {
    fn start(session: &Session, now: i64) -> Subscription {
        let items = session
            .items
            .iter()
            .map(|item| SubscriptionItem {
                id: new_id("si_"),
                price: new_id("price_"),
                product: new_id("prod_"),
                item: item.clone(),
            })
            .collect();
        Subscription {
            id: new_id("sub_"),
            customer: new_id("cus_"),
            customer_email: session.customer_email.clone(),
            created: now,
            anchor: now,
            cycle: 0,
            status: "active",
            metadata: session.subscription_metadata.clone(),
            description: session.subscription_description.clone(),
            currency: session.currency.clone(),
            items,
            canceled_at: None,
            cancellation: Cancellation::default(),
            latest_invoice: None,
        }
    }

    /// Start and end of the billing period `cycle` (0 is the first one).
    fn period(&self, cycle: u32) -> (i64, i64) {
        (months_after(self.anchor, cycle), months_after(self.anchor, cycle + 1))
    }

    fn amount(&self) -> i64 {
        self.items.iter().map(|i| i.item.unit_amount * i.item.quantity).sum()
    }

    /// The invoice for the current cycle, in the basil shape: the subscription
    /// is under `parent.subscription_details`, and (as on Stripe) a renewal
    /// invoice's own period is the period that just ended while its lines cover
    /// the period being paid for.
    fn invoice(&mut self, id: &str, billing_reason: &str, paid: bool, now: i64) -> Value {
        self.latest_invoice = Some(id.to_owned());
        let (start, end) = self.period(self.cycle);
        let (invoice_start, invoice_end) = if self.cycle == 0 {
            (self.created, self.created)
        } else {
            self.period(self.cycle - 1)
        };
        let amount = self.amount();
        let lines: Vec<Value> = self
            .items
            .iter()
            .map(|item| {
                json!({
                    "id": new_id("il_"),
                    "object": "line_item",
                    "amount": item.item.unit_amount * item.item.quantity,
                    "currency": self.currency,
                    "description": format!("{} × {}", item.item.quantity, item.item.name),
                    "quantity": item.item.quantity,
                    "period": {"start": start, "end": end},
                    "metadata": {},
                    "parent": {
                        "type": "subscription_item_details",
                        "invoice_item_details": null,
                        "subscription_item_details": {
                            "subscription": self.id,
                            "subscription_item": item.id,
                            "invoice_item": null,
                            "proration": false,
                        },
                    },
                    "pricing": {
                        "type": "price_details",
                        "price_details": {"price": item.price, "product": item.product},
                        "unit_amount_decimal": item.item.unit_amount.to_string(),
                    },
                })
            })
            .collect();
        json!({
            "id": id,
            "object": "invoice",
            "status": if paid { "paid" } else { "open" },
            "amount_due": amount,
            "amount_paid": if paid { amount } else { 0 },
            "amount_remaining": if paid { 0 } else { amount },
            "subtotal": amount,
            "total": amount,
            "currency": self.currency,
            "customer": self.customer,
            "customer_email": self.customer_email,
            "billing_reason": billing_reason,
            "collection_method": "charge_automatically",
            "attempted": true,
            "attempt_count": 1,
            "created": now,
            "period_start": invoice_start,
            "period_end": invoice_end,
            "status_transitions": {
                "finalized_at": now,
                "paid_at": paid.then_some(now),
                "marked_uncollectible_at": null,
                "voided_at": null,
            },
            "parent": {
                "type": "subscription_details",
                "quote_details": null,
                "subscription_details": {"subscription": self.id, "metadata": self.metadata},
            },
            "lines": {
                "object": "list",
                "total_count": lines.len(),
                "has_more": false,
                "url": format!("/v1/invoices/{id}/lines"),
                "data": lines,
            },
            "metadata": {},
            "livemode": false,
        })
    }

    fn to_json(&self) -> Value {
        // Basil moved the current period from the subscription to its items.
        let (start, end) = self.period(self.cycle);
        let items: Vec<Value> = self
            .items
            .iter()
            .map(|item| {
                json!({
                    "id": item.id,
                    "object": "subscription_item",
                    "subscription": self.id,
                    "quantity": item.item.quantity,
                    "current_period_start": start,
                    "current_period_end": end,
                    "metadata": {},
                    "price": {
                        "id": item.price,
                        "object": "price",
                        "active": true,
                        "currency": self.currency,
                        "unit_amount": item.item.unit_amount,
                        "product": item.product,
                        "recurring": {"interval": "month", "interval_count": 1},
                        "type": "recurring",
                    },
                })
            })
            .collect();
        let canceled = self.canceled_at.is_some();
        json!({
            "id": self.id,
            "object": "subscription",
            "status": self.status,
            "customer": self.customer,
            "description": self.description,
            "metadata": self.metadata,
            "currency": self.currency,
            "collection_method": "charge_automatically",
            "created": self.created,
            "start_date": self.created,
            "billing_cycle_anchor": self.anchor,
            "cancel_at": null,
            "cancel_at_period_end": false,
            "canceled_at": self.canceled_at,
            "ended_at": self.canceled_at,
            "cancellation_details": {
                "reason": canceled.then_some(self.cancellation.reason),
                "comment": self.cancellation.comment,
                "feedback": self.cancellation.feedback,
            },
            "latest_invoice": self.latest_invoice,
            "items": {
                "object": "list",
                "total_count": items.len(),
                "has_more": false,
                "url": format!("/v1/subscription_items?subscription={}", self.id),
                "data": items,
            },
            "livemode": false,
        })
    }
}

fn months_after(anchor: i64, months: u32) -> i64 {
    let start = jiff::Timestamp::from_second(anchor).expect("anchors are taken from the clock");
    let zoned = start.to_zoned(jiff::tz::TimeZone::UTC);
    zoned
        .checked_add(jiff::Span::new().months(i64::from(months)))
        .expect("a few months after now is within jiff's range (year 9999)")
        .timestamp()
        .as_second()
}

/// An error in Stripe's shape: `{"error": {"type", "code", "message", "param"}}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    kind: &'static str,
    code: Option<&'static str>,
    message: String,
    param: Option<String>,
}

impl ApiError {
    fn invalid(param: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code: Some("parameter_invalid"),
            message: message.into(),
            param: Some(param.to_owned()),
        }
    }

    fn missing(param: &str) -> ApiError {
        ApiError {
            code: Some("parameter_missing"),
            ..ApiError::invalid(param, format!("Missing required param: {param}."))
        }
    }

    fn unknown(param: &str) -> ApiError {
        ApiError {
            code: Some("parameter_unknown"),
            ..ApiError::invalid(param, format!("Received unknown parameter: {param}"))
        }
    }

    fn not_found(object: &str, id: &str) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: Some("resource_missing"),
            ..ApiError::invalid("id", format!("No such {object}: '{id}'"))
        }
    }

    fn unauthorized(message: String) -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            kind: "invalid_request_error",
            code: None,
            message,
            param: None,
        }
    }

    fn idempotency(key: &str) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "idempotency_error",
            code: None,
            message: format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used with. \
                 Try using a key other than '{key}' if you meant to execute a different request."
            ),
            param: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"type": self.kind, "message": self.message});
        if let Some(code) = self.code {
            error["code"] = json!(code);
        }
        if let Some(param) = self.param {
            error["param"] = json!(param);
        }
        (self.status, axum::Json(json!({"error": error}))).into_response()
    }
}

/// Every `/v1/*` request: recorded, authenticated, routed by path segments.
async fn api(State(shared): State<Arc<Shared>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    // Stripe reads parameters from the query string and the form body alike.
    let mut params = parse_form(uri.query().unwrap_or_default().as_bytes());
    params.extend(parse_form(&body));
    let path = uri.path().to_owned();
    shared.lock().requests.push(RecordedRequest {
        method: method.to_string(),
        path: path.clone(),
        idempotency_key: header_value(&headers, "idempotency-key"),
        params: params.clone(),
        stripe_version: header_value(&headers, "stripe-version"),
    });
    shared.handle(&method, &path, &headers, &params).await
}

/// The hosted checkout page: the amount and one button per outcome.
async fn page(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let ledger = shared.lock();
    let Some(session) = ledger.sessions.get(&id) else {
        return (
            StatusCode::NOT_FOUND,
            Html("<!doctype html><title>Not found</title><p>No such checkout session.</p>"),
        )
            .into_response();
    };
    let amount = format!(
        "{}.{:02} {}",
        session.amount_total() / 100,
        session.amount_total() % 100,
        session.currency.to_uppercase()
    );
    let per = if session.mode == Mode::Subscription {
        " per month"
    } else {
        ""
    };
    let items: String = session
        .items
        .iter()
        .map(|item| {
            let description = item
                .description
                .as_deref()
                .map(|d| format!(" ({})", escape(d)))
                .unwrap_or_default();
            format!("<li>{} × {}{description}</li>", item.quantity, escape(&item.name))
        })
        .collect();
    let body = if session.status == "open" {
        let mut buttons = String::from(r#"<button type="submit" name="outcome" value="paid">Pay</button>"#);
        buttons.push_str(r#"<button type="submit" name="outcome" value="failed">Fail (give up)</button>"#);
        if session.mode == Mode::Payment {
            buttons.push_str(r#"<button type="submit" name="outcome" value="async_paid">Pay later: succeeds</button>"#);
            buttons.push_str(r#"<button type="submit" name="outcome" value="async_failed">Pay later: fails</button>"#);
        }
        format!(r#"<form method="post"><fieldset><legend>Simulate the payment</legend>{buttons}</fieldset></form>"#)
    } else {
        format!("<p>This checkout session is {}.</p>", session.status)
    };
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fake Stripe Checkout</title></head><body><main><h1>Pay {amount}{per}</h1><ul>{items}</ul>{body}</main></body></html>"#
    );
    Html(html).into_response()
}

/// Submitting the hosted page: completes the session, then sends the donor back.
async fn submit(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Response {
    let outcome = parse_form(&body)
        .into_iter()
        .find(|(key, _)| key == "outcome")
        .and_then(|(_, v)| Outcome::parse(&v));
    let Some(outcome) = outcome else {
        return (StatusCode::BAD_REQUEST, Html("<p>Choose an outcome.</p>")).into_response();
    };
    match shared.complete(&id, outcome).await {
        Ok(Some(url)) => Redirect::to(&url).into_response(),
        Ok(None) => Html("<!doctype html><title>Payment failed</title><p>Payment failed.</p>").into_response(),
        Err(error) => (error.status, Html(format!("<p>{}</p>", escape(&error.message)))).into_response(),
    }
}

fn parse_form(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

fn header_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Splits Stripe's bracket notation: "a[b][c]" is `["a", "b", "c"]`; `None` if malformed.
fn key_path(key: &str) -> Option<Vec<&str>> {
    let (head, mut rest) = key.split_at(key.find('[').unwrap_or(key.len()));
    if head.is_empty() {
        return None;
    }
    let mut path = vec![head];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let end = inner.find(']')?;
        path.push(&inner[..end]);
        rest = &inner[end + 1..];
    }
    Some(path)
}

/// Stripe's metadata limits: keys up to 40 characters, values up to 500, 50 keys.
/// An empty value unsets the key.
fn set_metadata(metadata: &mut Map<String, Value>, param: &str, key: &str, value: &str) -> Result<(), ApiError> {
    if key.is_empty() || key.chars().count() > 40 {
        return Err(ApiError::invalid(param, "Metadata keys can have up to 40 characters."));
    }
    if value.chars().count() > 500 {
        return Err(ApiError::invalid(
            param,
            "Metadata values can have up to 500 characters.",
        ));
    }
    if value.is_empty() {
        metadata.remove(key);
    } else {
        metadata.insert(key.to_owned(), Value::String(value.to_owned()));
    }
    if metadata.len() > 50 {
        return Err(ApiError::invalid(param, "Metadata can have up to 50 keys."));
    }
    Ok(())
}

/// GET endpoints take no parameter but `expand`.
fn only_expand(params: &[(String, String)]) -> Result<(), ApiError> {
    match params
        .iter()
        .find(|(key, _)| !matches!(key_path(key).as_deref(), Some(["expand", ..])))
    {
        Some((key, _)) => Err(ApiError::unknown(key)),
        None => Ok(()),
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A Stripe-style id: the prefix and 24 random alphanumerics.
fn new_id(prefix: &str) -> String {
    let random: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    format!("{prefix}{random}")
}

/// The `request` of an event Stripe emitted on its own (a payment, a renewal).
fn no_request() -> Value {
    json!({"id": null, "idempotency_key": null})
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}
