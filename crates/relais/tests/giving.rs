//! Paying for real: cards through Stripe Checkout (a local Stripe-compatible
//! server speaking Stripe's API, webhooks signed for real), monthly giving with
//! its stop link, and SEPA direct debit from the signed mandate to the bank file,
//! validated against the official pain.008.001.02 schema.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::*;
use relais_payments::fake_stripe::{FakeStripe, Outcome};
use reqwest::StatusCode;

const SECRET_KEY: &str = "sk_test_relais";
const WEBHOOK_SECRET: &str = "whsec_relais_test";

/// Runs `story` on each backend with a fresh app pointed at a fresh fake Stripe.
macro_rules! with_stripe {
    ($name:ident) => {
        mod $name {
            use super::*;
            async fn run(backend: Backend) {
                let stripe = FakeStripe::start(SECRET_KEY).await;
                let api = stripe.base_url();
                let Some(app) = TestApp::spawn_with(backend, |s| {
                    s.stripe_api_url = api.parse().unwrap();
                    s.tip_operator = Some("Relais Coop".into());
                })
                .await
                else {
                    return;
                };
                super::$name(&app, &stripe).await;
                app.stop().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(Backend::Postgres).await;
            }
        }
    };
}

/// Saves payment settings through the back-office form.
async fn configure(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = hidden(&app.get("/admin/payments").await.text().await.unwrap(), "csrf");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    app.post("/admin/payments", &form).await
}

fn donor(email: &str, frequency: &str, method: &str) -> Vec<(&'static str, String)> {
    vec![
        ("amount", "20".into()),
        ("amount_other", String::new()),
        ("frequency", frequency.into()),
        ("method", method.into()),
        ("first_name", "Jeanne".into()),
        ("last_name", "Martin".into()),
        ("email", email.into()),
        ("address", "12 rue des Lilas".into()),
        ("postcode", "69001".into()),
        ("city", "Lyon".into()),
        ("country", "FR".into()),
        ("receipt", "on".into()),
    ]
}

/// Gives through the form; returns the provider's page.
async fn give(app: &TestApp, form: &[(&'static str, String)]) -> String {
    let r = client().post(app.url("/d/puits")).form(form).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    location(&r)
}

fn session_id(checkout_url: &str) -> String {
    checkout_url.rsplit('/').next().unwrap().to_owned()
}

async fn raised(app: &TestApp) -> (i64, i64) {
    let c = app.store.campaign_by_slug("puits").await.unwrap().unwrap();
    (c.raised.cents(), c.gifts_count)
}

with_stripe!(a_card_gift_is_confirmed_by_a_signed_webhook_once);

async fn a_card_gift_is_confirmed_by_a_signed_webhook_once(app: &TestApp, stripe: &FakeStripe) {
    charity(app).await;
    // Bad keys are refused with the form's reasons; good ones make cards go to Stripe.
    let r = configure(
        app,
        &[("stripe_secret_key", "pk_live_x"), ("stripe_webhook_secret", "whsec_1")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("sk_ ou rk_"));
    let r = configure(
        app,
        &[
            ("stripe_secret_key", SECRET_KEY),
            ("stripe_webhook_secret", WEBHOOK_SECRET),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.get("/admin/payments").await.text().await.unwrap();
    assert!(!page.contains(SECRET_KEY), "secrets are never shown again");
    stripe.add_webhook(&app.url("/webhooks/stripe/amis"), WEBHOOK_SECRET);

    // A tip for the platform's operator is offered, never pre-selected.
    let form = client()
        .get(app.url("/d/puits"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("Soutenir Relais Coop (facultatif)"), "{form}");
    assert!(form.contains("name=\"tip\" value=\"0\" checked"), "{form}");
    assert!(!form.contains("name=\"tip\" value=\"2\" checked"));
    // With a tip, on its own line, never counted as the gift.
    let mut with_tip = donor("jeanne@example.org", "once", "card");
    with_tip.push(("tip", "2".into()));
    let checkout = give(app, &with_tip).await;
    assert!(checkout.starts_with(&stripe.base_url()), "{checkout}");
    let request = stripe
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/checkout/sessions")
        .unwrap();
    assert!(request.idempotency_key.unwrap().starts_with("relais-checkout-g_"));
    assert_eq!(request.stripe_version.as_deref(), Some("2025-03-31.basil"));
    let session = session_id(&checkout);
    assert_eq!(stripe.session(&session).unwrap()["amount_total"], 2_200);
    let tip_line = request
        .params
        .iter()
        .find(|(k, _)| k == "line_items[1][price_data][product_data][name]")
        .map(|(_, v)| v.clone());
    assert_eq!(
        tip_line.as_deref(),
        Some("Pourboire pour Relais Coop (facultatif, pas un don à l’association)")
    );
    let success = stripe.session(&session).unwrap()["success_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let merci = success.trim_start_matches(&app.base).to_owned();
    // Before Stripe's word, the page says the payment is being confirmed.
    let page = client()
        .get(app.url(&merci))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("en cours de confirmation"), "{page}");

    stripe.pay(&session, Outcome::Paid).await.unwrap();
    let page = client()
        .get(app.url(&merci))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Merci pour votre don") && page.contains("pourboire de 2,00"),
        "{page}"
    );
    assert_eq!(raised(app).await, (2_000, 1));
    // The same event again (Stripe retries), and a forged one: counted once.
    for event in stripe.events() {
        assert_eq!(stripe.deliver(event["id"].as_str().unwrap()).await, 200);
    }
    assert_eq!(raised(app).await, (2_000, 1));
    let forged = client()
        .post(app.url("/webhooks/stripe/amis"))
        .header("Stripe-Signature", "t=1,v1=00")
        .body(stripe.events()[0].to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    let mail = app.last_email_to("jeanne@example.org").await;
    assert!(
        mail.attachments.iter().any(|(t, _)| t == "application/pdf"),
        "receipt attached"
    );

    // Staff refund the gift: through Stripe, once; it no longer counts.
    let gift = app
        .store
        .gifts(&app.store.operator_access("amis").await.unwrap(), 1)
        .await
        .unwrap()
        .remove(0);
    let csrf = hidden(&app.get("/admin/gifts").await.text().await.unwrap(), "csrf");
    let r = app
        .post(&format!("/admin/gifts/{}/refund", gift.id), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let refund = stripe.requests().into_iter().find(|r| r.path == "/v1/refunds").unwrap();
    assert!(refund.idempotency_key.unwrap().starts_with("relais-refund-pi_"));
    assert_eq!(raised(app).await, (0, 0));
    assert_eq!(app.store.gift(gift.id).await.unwrap().unwrap().status, "refunded");
    assert!(
        app.store.receipt_of(gift.id).await.unwrap().is_none(),
        "its receipt is cancelled"
    );
    let r = app
        .post(&format!("/admin/gifts/{}/refund", gift.id), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // A donor who gives up at Stripe: nothing counted, the page offers to try again.
    let checkout = give(app, &donor("paul@example.org", "once", "card")).await;
    stripe.pay(&session_id(&checkout), Outcome::Failed).await.unwrap();
    assert_eq!(raised(app).await, (0, 0));
    // A payment that settles later counts when it settles.
    let checkout = give(app, &donor("luc@example.org", "once", "card")).await;
    stripe.pay(&session_id(&checkout), Outcome::AsyncPaid).await.unwrap();
    assert_eq!(raised(app).await, (2_000, 1));
    // Refunded from Stripe's dashboard: Stripe's notice is enough.
    let intent = stripe.session(&session_id(&checkout)).unwrap()["payment_intent"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = client()
        .post(format!("{}/v1/refunds", stripe.base_url()))
        .bearer_auth(SECRET_KEY)
        .form(&[("payment_intent", intent.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(raised(app).await, (0, 0));
}

with_stripe!(a_monthly_card_gift_renews_and_stops_from_its_email);

async fn a_monthly_card_gift_renews_and_stops_from_its_email(app: &TestApp, stripe: &FakeStripe) {
    charity(app).await;
    configure(
        app,
        &[
            ("stripe_secret_key", SECRET_KEY),
            ("stripe_webhook_secret", WEBHOOK_SECRET),
        ],
    )
    .await;
    stripe.add_webhook(&app.url("/webhooks/stripe/amis"), WEBHOOK_SECRET);
    let checkout = give(app, &donor("jeanne@example.org", "monthly", "card")).await;
    let session = session_id(&checkout);
    stripe.pay(&session, Outcome::Paid).await.unwrap();
    let subscription = stripe.session(&session).unwrap()["subscription"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        raised(app).await,
        (2_000, 1),
        "the first invoice pays the gift made on the page"
    );

    // Next month's invoice arrives before a late retry of the first events: one gift each.
    stripe.hold_webhooks(true);
    stripe.renew(&subscription, true).await.unwrap();
    let mut held: Vec<String> = stripe
        .events()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    held.reverse();
    for id in &held {
        stripe.deliver(id).await;
    }
    stripe.hold_webhooks(false);
    assert_eq!(raised(app).await, (4_000, 2));
    // A declined month is recorded as failed, not counted.
    stripe.renew(&subscription, false).await.unwrap();
    assert_eq!(raised(app).await, (4_000, 2));

    // Every thank-you e-mail has the link that stops the gift.
    let mail = app.last_email_to("jeanne@example.org").await;
    let stop = mail
        .text
        .split_whitespace()
        .find(|w| w.contains("/d/stop/"))
        .unwrap()
        .to_owned();
    let path = stop.trim_start_matches(&app.base).to_owned();
    let page = client().get(app.url(&path)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Arrêter mon don mensuel"), "{page}");
    let r = client().post(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("est arrêté"));
    assert_eq!(stripe.subscription(&subscription).unwrap()["status"], "canceled");
    let delete = stripe.requests().into_iter().find(|r| r.method == "DELETE").unwrap();
    assert!(delete.idempotency_key.is_some());
    assert!(
        stripe.renew(&subscription, true).await.is_err(),
        "nothing more is charged"
    );
    // Stopping twice is harmless.
    let r = client().post(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Staff see the stopped pledge.
    let page = app.get("/admin/payments").await.text().await.unwrap();
    assert!(page.contains("Jeanne Martin") && page.contains("arrêté"), "{page}");
}

with_stripe!(an_unreachable_provider_keeps_the_form_and_charges_nothing);

async fn an_unreachable_provider_keeps_the_form_and_charges_nothing(app: &TestApp, _stripe: &FakeStripe) {
    charity(app).await;
    // A key the local server does not know: Stripe answers 401.
    configure(
        app,
        &[
            ("stripe_secret_key", "sk_test_wrong"),
            ("stripe_webhook_secret", WEBHOOK_SECRET),
        ],
    )
    .await;
    let r = client()
        .post(app.url("/d/puits"))
        .form(&donor("jeanne@example.org", "once", "card"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Rien n’a été débité") && html.contains("value=\"jeanne@example.org\""),
        "{html}"
    );
    let access = app.store.operator_access("amis").await.unwrap();
    let gifts = app.store.gifts(&access, 10).await.unwrap();
    assert_eq!((gifts.len(), gifts[0].status.as_str()), (1, "failed"));
}

on_both_backends!(a_tip_nobody_asked_for_is_refused);

async fn a_tip_nobody_asked_for_is_refused(app: &TestApp) {
    // The default test app has no operator asking for tips: the form offers none.
    charity(app).await;
    let page = client()
        .get(app.url("/d/puits"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("name=\"tip\""), "no operator, no tip");
    let mut form = donor("jeanne@example.org", "once", "card");
    form.push(("tip", "2".into()));
    let r = client().post(app.url("/d/puits")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// Validates a pain.008.001.02 file against the official schema shipped by the
/// PyPI package `sepaxml`; `false` when the validator is not installed here.
fn validate_pain008(xml: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pain008.xml");
    std::fs::write(&file, xml).unwrap();
    let script = "import os, sys, sepaxml, xmlschema\n\
        xsd = os.path.join(os.path.dirname(sepaxml.__file__), 'schemas', 'pain.008.001.02.xsd')\n\
        xmlschema.XMLSchema(xsd).validate(sys.argv[1])\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&file)
        .output();
    match out {
        Ok(o) if o.status.success() => true,
        Ok(o) if String::from_utf8_lossy(&o.stderr).contains("ModuleNotFoundError") => {
            assert!(
                std::env::var("RELAIS_REQUIRE_XSD").is_err(),
                "RELAIS_REQUIRE_XSD=1 but sepaxml is not installed"
            );
            eprintln!("skipped: pip install sepaxml to validate pain.008 files");
            false
        }
        Ok(o) => panic!(
            "pain.008 refused by the XSD:\n{}\n{xml}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => {
            assert!(std::env::var("RELAIS_REQUIRE_XSD").is_err(), "python3: {e}");
            false
        }
    }
}

on_both_backends!(a_direct_debit_goes_from_mandate_to_bank_file_to_receipt);

async fn a_direct_debit_goes_from_mandate_to_bank_file_to_receipt(app: &TestApp) {
    charity(app).await;
    // Half the SEPA details: refused, nothing saved.
    let r = configure(app, &[("sepa_iban", "FR76 3000 6000 0112 3456 7890 189")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = configure(
        app,
        &[
            ("sepa_creditor_id", "FR72ZZZ123456"),
            ("sepa_iban", "FR76 3000 6000 0112 3456 7890 189"),
            ("sepa_bic", "AGRIFRPP"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = client()
        .get(app.url("/d/puits"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"sepa\""), "direct debit offered: {page}");

    // A monthly gift by direct debit: the mandate page, a typo in the IBAN, then signed.
    let mandate = give(app, &donor("jeanne@example.org", "monthly", "sepa")).await;
    assert!(mandate.starts_with("/d/puits/mandat/S"), "{mandate}");
    let page = client()
        .get(app.url(&mandate))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("FR72ZZZ123456") && page.contains("vous autorisez (A) Association Les Amis du Puits"));
    let typo = [
        ("account_holder", "Jeanne Martin"),
        ("iban", "FR76 3000 6000 0112 3456 7890 188"),
        ("bic", ""),
        ("accept", "on"),
    ];
    let r = client().post(app.url(&mandate)).form(&typo).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("faute de frappe") && html.contains("value=\"FR76 3000 6000 0112 3456 7890 188\""));
    let good = [
        ("account_holder", "Jeanne Martin"),
        ("iban", "FR76 3000 6000 0112 3456 7890 189"),
        ("bic", ""),
        ("accept", "on"),
    ];
    let r = client().post(app.url(&mandate)).form(&good).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = client()
        .get(app.url(&location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Le mandat RLS") && page.contains("FR•• •••• 0189"),
        "{page}"
    );
    let mail = app.last_email_to("jeanne@example.org").await;
    assert!(
        mail.subject.contains("votre mandat de prélèvement RLS"),
        "{}",
        mail.subject
    );
    assert!(
        mail.text.contains("FR72ZZZ123456") && mail.text.contains("/d/stop/"),
        "{}",
        mail.text
    );
    // And a one-off gift by direct debit.
    let once = give(app, &donor("paul@example.org", "once", "sepa")).await;
    let r = client().post(app.url(&once)).form(&good).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Staff gather the collection; the file validates against the official schema.
    let csrf = hidden(&app.get("/admin/sepa").await.text().await.unwrap(), "csrf");
    let r = app
        .post(
            "/admin/sepa/runs",
            &[("csrf", csrf.as_str()), ("collection_date", "2020-01-01")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a date in the past is refused"
    );
    let date = (jiff::Zoned::now().date() + jiff::Span::new().days(10)).to_string();
    let r = app
        .post(
            "/admin/sepa/runs",
            &[("csrf", csrf.as_str()), ("collection_date", date.as_str())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let run = location(&r);
    let page = app.get(&run).await.text().await.unwrap();
    assert!(
        page.contains("2 prélèvements, 40,00") && page.contains("FRST") && page.contains("OOFF"),
        "{page}"
    );
    let xml = app.get(&format!("{run}/pain008.xml")).await.text().await.unwrap();
    assert!(
        xml.contains("<SeqTp>FRST</SeqTp>") && xml.contains("<CtrlSum>40.00</CtrlSum>"),
        "{xml}"
    );
    assert!(xml.contains("<Nm>Jeanne Martin</Nm>") && xml.contains("NOTPROVIDED"));
    validate_pain008(&xml);
    // Each debtor is told the amount and the date beforehand.
    let notice = app.last_email_to("jeanne@example.org").await;
    assert!(notice.subject.contains("prélèvement de 20,00"), "{}", notice.subject);
    // Nothing else is due this month.
    let r = app
        .post(
            "/admin/sepa/runs",
            &[("csrf", csrf.as_str()), ("collection_date", date.as_str())],
        )
        .await;
    assert_eq!(location(&r), "/admin/sepa?done=nothing");

    // The bank rejects the one-off debit; the rest is collected: receipts and thanks go out.
    let access = app.store.operator_access("amis").await.unwrap();
    let run_id: i64 = run.rsplit('/').next().unwrap().parse().unwrap();
    let (_, debits) = app.store.sepa_run(&access, run_id).await.unwrap().unwrap();
    let one_off = debits.iter().find(|d| d.sequence == "OOFF").unwrap();
    let r = app
        .post(
            &format!("/admin/sepa/debits/{}/reject", one_off.gift_id),
            &[
                ("csrf", csrf.as_str()),
                ("reason", "AM04"),
                ("run", &run_id.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app.post(&format!("{run}/settle"), &[("csrf", csrf.as_str())]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(raised(app).await, (2_000, 1));
    let page = app.get(&run).await.text().await.unwrap();
    assert!(
        page.contains("provision insuffisante") || page.contains("AM04"),
        "{page}"
    );
    let mail = app.last_email_to("jeanne@example.org").await;
    assert!(
        mail.text.contains("/d/stop/"),
        "the monthly donor can stop: {}",
        mail.text
    );
    assert!(mail.attachments.iter().any(|(t, _)| t == "application/pdf"));
    assert!(
        app.emails()
            .iter()
            .all(|m| m.to != "paul@example.org" || !m.subject.starts_with("Merci")),
        "no thanks for a rejected debit"
    );
    // The donor's record tells their giving story.
    let gifts = app.store.gifts(&access, 10).await.unwrap();
    let jeanne = gifts.iter().find(|g| g.email == "jeanne@example.org").unwrap();
    let page = app
        .get(&format!("/admin/people/{}", jeanne.supporter_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("A donné") && page.contains("A commencé un don mensuel"),
        "{page}"
    );
    assert!(page.contains("20,00\u{a0}€ · sepa"), "{page}");
}

/// In production (no sandbox), an association that configured no provider
/// takes no gift: the page says so, and a posted form is refused.
async fn without_a_provider_an_association_takes_no_gift(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| s.sandbox_payments = false).await else {
        return;
    };
    charity(&app).await;
    let page = client()
        .get(app.url("/d/puits"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("ne reçoit pas encore de dons en ligne"), "{page}");
    assert!(!page.contains("action=\"/d/puits\""));
    let r = client()
        .post(app.url("/d/puits"))
        .form(&donor("jeanne@example.org", "once", "card"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let access = app.store.operator_access("amis").await.unwrap();
    assert!(app.store.gifts(&access, 10).await.unwrap().is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_provider_an_association_takes_no_gift_sqlite() {
    without_a_provider_an_association_takes_no_gift(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_provider_an_association_takes_no_gift_postgres() {
    without_a_provider_an_association_takes_no_gift(Backend::Postgres).await;
}
