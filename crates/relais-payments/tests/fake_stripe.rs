#![cfg(feature = "fake-stripe")]
//! The fake Stripe itself, spoken to over plain HTTP as Relais speaks to Stripe,
//! with a real webhook endpoint that checks every signature.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use hmac::{Hmac, Mac};
use relais_payments::fake_stripe::{FakeStripe, Outcome};
use serde_json::{Value, json};
use sha2::Sha256;

const KEY: &str = "sk_test_relais";
const WEBHOOK_SECRET: &str = "whsec_relais";

/// A webhook endpoint that keeps each signature header and raw body it receives.
#[derive(Clone, Default)]
struct Inbox(Arc<Mutex<Vec<(String, Bytes)>>>);

impl Inbox {
    async fn serve() -> (Inbox, String) {
        let inbox = Inbox::default();
        let app = Router::new()
            .route("/webhooks/stripe", post(receive))
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the webhook endpoint");
        let url = format!(
            "http://{}/webhooks/stripe",
            listener.local_addr().expect("bound address")
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        (inbox, url)
    }

    /// The events received, oldest first, each signature checked as Relais must.
    fn events(&self) -> Vec<Value> {
        let received = self.0.lock().expect("inbox lock").clone();
        received
            .iter()
            .map(|(signature, body)| {
                assert!(verify(signature, body, WEBHOOK_SECRET), "bad signature {signature}");
                serde_json::from_slice(body).expect("an event is JSON")
            })
            .collect()
    }

    fn types(&self) -> Vec<String> {
        self.events()
            .iter()
            .map(|e| e["type"].as_str().expect("type").to_owned())
            .collect()
    }
}

async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: Bytes) -> &'static str {
    let signature = headers["stripe-signature"].to_str().expect("ASCII header").to_owned();
    inbox.0.lock().expect("inbox lock").push((signature, body));
    "ok"
}

/// Stripe's documented check: `v1` is hex(hmac_sha256(secret, "{t}.{raw body}")).
fn verify(header: &str, body: &[u8], secret: &str) -> bool {
    let field = |name: &str| {
        header
            .split(',')
            .find_map(|part| part.strip_prefix(name))
            .unwrap_or_default()
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{}.", field("t=")).as_bytes());
    mac.update(body);
    !field("t=").is_empty() && hex::encode(mac.finalize().into_bytes()) == field("v1=")
}

async fn fake_with_inbox() -> (FakeStripe, Inbox) {
    let fake = FakeStripe::start(KEY).await;
    let (inbox, url) = Inbox::serve().await;
    fake.add_webhook(&url, WEBHOOK_SECRET);
    (fake, inbox)
}

const ONE_OFF: &[(&str, &str)] = &[
    ("mode", "payment"),
    (
        "success_url",
        "https://relais.example/merci?session={CHECKOUT_SESSION_ID}",
    ),
    ("cancel_url", "https://relais.example/don"),
    ("customer_email", "ada@example.org"),
    ("client_reference_id", "gift-42"),
    ("locale", "fr"),
    ("metadata[gift]", "42"),
    ("line_items[0][quantity]", "1"),
    ("line_items[0][price_data][currency]", "eur"),
    ("line_items[0][price_data][unit_amount]", "1200"),
    ("line_items[0][price_data][product_data][name]", "Don"),
    ("payment_intent_data[metadata][gift]", "42"),
];

const MONTHLY: &[(&str, &str)] = &[
    ("mode", "subscription"),
    ("success_url", "https://relais.example/merci"),
    ("customer_email", "ada@example.org"),
    ("line_items[0][quantity]", "1"),
    ("line_items[0][price_data][currency]", "eur"),
    ("line_items[0][price_data][unit_amount]", "1000"),
    ("line_items[0][price_data][product_data][name]", "Don mensuel"),
    ("line_items[0][price_data][recurring][interval]", "month"),
    ("subscription_data[metadata][pledge]", "7"),
];

async fn post_session(fake: &FakeStripe, params: &[(&str, &str)], key: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/v1/checkout/sessions", fake.base_url()))
        .form(params);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.bearer_auth(KEY).send().await.expect("fake Stripe answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

async fn session_id(fake: &FakeStripe, params: &[(&str, &str)]) -> String {
    let (status, session) = post_session(fake, params, None).await;
    assert_eq!(status, 200, "{session}");
    session["id"].as_str().expect("id").to_owned()
}

/// Starts a monthly gift and returns its subscription id.
async fn subscribe(fake: &FakeStripe) -> String {
    let id = session_id(fake, MONTHLY).await;
    fake.pay(&id, Outcome::Paid).await.expect("first payment");
    fake.session(&id).expect("session")["subscription"]
        .as_str()
        .expect("subscription id")
        .to_owned()
}

async fn cancel(fake: &FakeStripe, subscription: &str) -> (u16, Value) {
    let url = format!("{}/v1/subscriptions/{subscription}", fake.base_url());
    let response = reqwest::Client::new()
        .delete(url)
        .bearer_auth(KEY)
        .send()
        .await
        .expect("fake Stripe answers");
    (response.status().as_u16(), response.json().await.expect("a JSON body"))
}

#[tokio::test]
async fn an_api_call_without_the_secret_key_is_unauthorized() {
    let fake = FakeStripe::start(KEY).await;
    let url = format!("{}/v1/checkout/sessions", fake.base_url());
    let client = reqwest::Client::new();

    let anonymous = client.post(&url).form(ONE_OFF).send().await.expect("answer");
    let wrong_key = client
        .post(&url)
        .form(ONE_OFF)
        .bearer_auth("sk_test_other")
        .send()
        .await
        .expect("answer");

    assert_eq!(anonymous.status(), 401);
    assert_eq!(wrong_key.status(), 401);
    let body: Value = wrong_key.json().await.expect("JSON");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(fake.requests().len(), 2, "refused requests are recorded too");
}

#[tokio::test]
async fn replaying_an_idempotency_key_returns_the_same_session() {
    let fake = FakeStripe::start(KEY).await;

    let (first_status, first) = post_session(&fake, ONE_OFF, Some("gift-42-checkout")).await;
    let (second_status, second) = post_session(&fake, ONE_OFF, Some("gift-42-checkout")).await;

    assert_eq!((first_status, second_status), (200, 200));
    assert_eq!(first["id"], second["id"]);
    assert_eq!(
        first["url"],
        format!("{}/checkout/{}", fake.base_url(), first["id"].as_str().expect("id"))
    );
    let keys: Vec<_> = fake.requests().into_iter().map(|r| r.idempotency_key).collect();
    assert_eq!(
        keys,
        [Some("gift-42-checkout".to_owned()), Some("gift-42-checkout".to_owned())]
    );
}

#[tokio::test]
async fn reusing_an_idempotency_key_with_other_params_is_refused() {
    let fake = FakeStripe::start(KEY).await;
    post_session(&fake, ONE_OFF, Some("gift-42-checkout")).await;
    let mut other = ONE_OFF.to_vec();
    other.push(("metadata[campaign]", "forest"));

    let (status, body) = post_session(&fake, &other, Some("gift-42-checkout")).await;

    assert_eq!(status, 400);
    assert_eq!(body["error"]["type"], "idempotency_error");
}

#[tokio::test]
async fn unknown_or_invalid_parameters_are_refused_with_the_param_at_fault() {
    let fake = FakeStripe::start(KEY).await;
    let with = |extra: (&'static str, &'static str)| {
        let mut params = ONE_OFF.to_vec();
        params.push(extra);
        params
    };
    let cases = [
        (
            with(("sucess_url", "https://relais.example")),
            "sucess_url",
            "parameter_unknown",
        ),
        (
            with(("line_items[0][price_data][unit_amont]", "5")),
            "line_items[0][price_data][unit_amont]",
            "parameter_unknown",
        ),
        (
            with(("line_items[1][quantity]", "1")),
            "line_items[1][price_data][unit_amount]",
            "parameter_missing",
        ),
        (
            with(("line_items[0][price_data][recurring][interval]", "month")),
            "line_items[0]",
            "parameter_invalid",
        ),
        (
            ONE_OFF.iter().copied().filter(|(k, _)| *k != "mode").collect(),
            "mode",
            "parameter_missing",
        ),
    ];

    for (params, param, code) in cases {
        let (status, body) = post_session(&fake, &params, None).await;
        assert_eq!(status, 400, "{param}: {body}");
        assert_eq!(body["error"]["param"], param, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
    }
}

#[tokio::test]
async fn paying_a_one_off_gift_sends_a_signed_completed_event() {
    let (fake, inbox) = fake_with_inbox().await;
    let id = session_id(&fake, ONE_OFF).await;

    fake.pay(&id, Outcome::Paid).await.expect("payment");

    let events = inbox.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["type"], "checkout.session.completed");
    assert_eq!(events[0]["api_version"], "2025-03-31.basil");
    let session = &events[0]["data"]["object"];
    assert_eq!(session["id"], id.as_str());
    assert_eq!(
        (&session["status"], &session["payment_status"]),
        (&json!("complete"), &json!("paid"))
    );
    assert_eq!(
        (&session["amount_total"], &session["currency"]),
        (&json!(1200), &json!("eur"))
    );
    assert_eq!(session["metadata"], json!({"gift": "42"}));
    assert_eq!(session["client_reference_id"], "gift-42");
    assert!(
        session["payment_intent"]
            .as_str()
            .expect("payment intent")
            .starts_with("pi_")
    );
    let (signature, body) = inbox.0.lock().expect("inbox lock")[0].clone();
    assert!(
        !verify(&signature, &body, "whsec_someone_else"),
        "the check must depend on the secret"
    );
}

#[tokio::test]
async fn a_session_can_be_completed_only_once() {
    let fake = FakeStripe::start(KEY).await;
    let id = session_id(&fake, ONE_OFF).await;

    fake.pay(&id, Outcome::Paid).await.expect("first payment");

    assert!(fake.pay(&id, Outcome::Paid).await.is_err());
    assert_eq!(fake.events().len(), 1);
}

#[tokio::test]
async fn a_given_up_payment_expires_the_session() {
    let (fake, inbox) = fake_with_inbox().await;
    let id = session_id(&fake, ONE_OFF).await;

    fake.pay(&id, Outcome::Failed).await.expect("the donor gives up");

    assert_eq!(inbox.types(), ["checkout.session.expired"]);
    assert_eq!(fake.session(&id).expect("session")["status"], "expired");
}

#[tokio::test]
async fn a_delayed_payment_completes_unpaid_then_settles() {
    let (fake, inbox) = fake_with_inbox().await;
    let succeeds = session_id(&fake, ONE_OFF).await;
    let fails = session_id(&fake, ONE_OFF).await;

    fake.pay(&succeeds, Outcome::AsyncPaid).await.expect("payment");
    fake.pay(&fails, Outcome::AsyncFailed).await.expect("payment");

    let settled: Vec<_> = inbox
        .events()
        .iter()
        .map(|e| (e["type"].clone(), e["data"]["object"]["payment_status"].clone()))
        .collect();
    assert_eq!(
        settled,
        [
            (json!("checkout.session.completed"), json!("unpaid")),
            (json!("checkout.session.async_payment_succeeded"), json!("paid")),
            (json!("checkout.session.completed"), json!("unpaid")),
            (json!("checkout.session.async_payment_failed"), json!("unpaid")),
        ]
    );
}

#[tokio::test]
async fn the_hosted_page_sends_the_donor_back_with_the_session_id() {
    let (fake, inbox) = fake_with_inbox().await;
    let id = session_id(&fake, ONE_OFF).await;
    let page_url = format!("{}/checkout/{id}", fake.base_url());
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    let page = browser
        .get(&page_url)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("HTML");
    let submitted = browser
        .post(&page_url)
        .form(&[("outcome", "paid")])
        .send()
        .await
        .expect("submit");

    assert!(page.contains("12.00 EUR"), "{page}");
    assert!(page.contains(r#"name="outcome" value="paid""#), "{page}");
    assert_eq!(submitted.status(), 303);
    let location = submitted.headers()["location"].to_str().expect("ASCII");
    assert_eq!(location, format!("https://relais.example/merci?session={id}"));
    assert_eq!(inbox.types(), ["checkout.session.completed"]);
}

#[tokio::test]
async fn a_monthly_gift_starts_with_completed_then_a_paid_invoice() {
    let (fake, inbox) = fake_with_inbox().await;

    let subscription = subscribe(&fake).await;

    assert_eq!(inbox.types(), ["checkout.session.completed", "invoice.paid"]);
    let invoice = &inbox.events()[1]["data"]["object"];
    assert_eq!(invoice["billing_reason"], "subscription_create");
    assert_eq!(
        (&invoice["status"], &invoice["amount_paid"]),
        (&json!("paid"), &json!(1000))
    );
    let details = &invoice["parent"]["subscription_details"];
    assert_eq!(details["subscription"], subscription.as_str());
    assert_eq!(details["metadata"], json!({"pledge": "7"}));
    let url = format!("{}/v1/subscriptions/{subscription}", fake.base_url());
    let fetched: Value = reqwest::Client::new()
        .get(url)
        .bearer_auth(KEY)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(fetched["status"], "active");
    assert_eq!(fetched["metadata"], json!({"pledge": "7"}));
    assert!(fetched["items"]["data"][0]["current_period_end"].as_i64() > fetched["created"].as_i64());
}

#[tokio::test]
async fn a_failed_renewal_sends_invoice_payment_failed() {
    let (fake, inbox) = fake_with_inbox().await;
    let subscription = subscribe(&fake).await;

    fake.renew(&subscription, true).await.expect("second month");
    let failed = fake.renew(&subscription, false).await.expect("third month");

    let events = inbox.events();
    let renewals: Vec<_> = events[2..]
        .iter()
        .map(|e| (e["type"].clone(), e["data"]["object"].clone()))
        .collect();
    assert_eq!(renewals[0].0, "invoice.paid");
    assert_eq!(renewals[0].1["billing_reason"], "subscription_cycle");
    assert_eq!(renewals[1].0, "invoice.payment_failed");
    assert_eq!(renewals[1].1["id"], failed.as_str());
    assert_eq!(
        (&renewals[1].1["status"], &renewals[1].1["amount_paid"]),
        (&json!("open"), &json!(0))
    );
    assert_eq!(
        fake.subscription(&subscription).expect("subscription")["status"],
        "past_due"
    );
}

#[tokio::test]
async fn held_webhooks_wait_for_an_explicit_delivery() {
    let (fake, inbox) = fake_with_inbox().await;
    fake.hold_webhooks(true);

    subscribe(&fake).await;
    assert!(inbox.types().is_empty());
    let held: Vec<String> = fake
        .events()
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect();
    for id in held.iter().rev() {
        assert_eq!(fake.deliver(id).await, 200);
    }

    assert_eq!(inbox.types(), ["invoice.paid", "checkout.session.completed"]);
    assert_eq!(fake.deliveries().len(), 2);
}

#[tokio::test]
async fn canceling_a_subscription_sends_customer_subscription_deleted() {
    let (fake, inbox) = fake_with_inbox().await;
    let subscription = subscribe(&fake).await;

    let (status, canceled) = cancel(&fake, &subscription).await;
    let (again, error) = cancel(&fake, &subscription).await;

    assert_eq!(status, 200);
    assert_eq!(canceled["status"], "canceled");
    assert!(canceled["canceled_at"].is_i64());
    let events = inbox.events();
    let deleted = events.last().expect("an event");
    assert_eq!(deleted["type"], "customer.subscription.deleted");
    assert_eq!(deleted["data"]["object"]["id"], subscription.as_str());
    assert_eq!((again, &error["error"]["code"]), (404, &json!("resource_missing")));
    assert_eq!(events.len(), 3, "a second cancel emits nothing");
    assert!(fake.renew(&subscription, true).await.is_err());
}

#[tokio::test]
async fn stripe_giving_up_after_failed_payments_cancels_the_subscription() {
    let (fake, inbox) = fake_with_inbox().await;
    let subscription = subscribe(&fake).await;
    fake.renew(&subscription, false).await.expect("a failed month");

    fake.cancel_for_nonpayment(&subscription)
        .await
        .expect("Stripe gives up");

    let events = inbox.events();
    let deleted = &events.last().expect("an event")["data"]["object"];
    assert_eq!(deleted["status"], "canceled");
    assert_eq!(deleted["cancellation_details"]["reason"], "payment_failed");
}
