//! Petitions end to end: staff write and publish, people sign (form and JSON),
//! confirm by e-mail, and the public figures follow.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::*;
use reqwest::StatusCode;

async fn publish(app: &TestApp, title: &str, goal: &str) -> String {
    let page = app.get("/admin/petitions/new").await.text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let r = app
        .post(
            "/admin/petitions",
            &[
                ("csrf", csrf.as_str()),
                ("action", "publish"),
                ("title", title),
                ("slug", ""),
                (
                    "body",
                    "Le puits de **Kpalimé** est à sec.\n\n<script>alert(1)</script>",
                ),
                ("target_name", "Mme la Maire"),
                ("target_role", "Maire de Kpalimé"),
                ("goal", goal),
                ("tags", "eau"),
                ("closes_on", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    app.store
        .petition_by_slug(&relais_core::petition::slugify(title))
        .await
        .unwrap()
        .unwrap()
        .slug
}

async fn setup(app: &TestApp) -> String {
    let link = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    app.follow_login_link(&link).await;
    publish(app, "Sauvons le puits de Kpalimé", "").await
}

/// Posts the signing form as a fresh visitor would.
async fn sign_form(app: &TestApp, slug: &str, form: &[(&str, String)]) -> reqwest::Response {
    client()
        .post(app.url(&format!("/p/{slug}/sign")))
        .form(form)
        .send()
        .await
        .unwrap()
}

fn signer(email: &str, postcode: &str) -> Vec<(&'static str, String)> {
    vec![
        ("first_name", "Marie".into()),
        ("last_name", "Curie".into()),
        ("email", email.into()),
        ("postcode", postcode.into()),
        ("country", "FR".into()),
        ("consent_updates", "on".into()),
        ("show_name", "on".into()),
        ("website", String::new()),
    ]
}

on_both_backends!(people_sign_confirm_by_email_and_the_count_follows);

async fn people_sign_confirm_by_email_and_the_count_follows(app: &TestApp) {
    let slug = setup(app).await;
    let visitor = client();
    let page = visitor.get(app.url(&format!("/p/{slug}"))).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["cache-control"].to_str().unwrap().starts_with("public"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Sauvons le puits de Kpalimé") && html.contains("<strong>Kpalimé</strong>"));
    assert!(
        html.contains("&lt;script&gt;") && !html.contains("<script>alert"),
        "text is sanitised"
    );
    assert!(html.contains("Prochain objectif : 100"));
    // Link previews (Facebook, WhatsApp…) read these; the text is cut and stripped of markup.
    assert!(html.contains("<meta property=\"og:title\" content=\"Sauvons le puits de Kpalimé\">"));
    assert!(html.contains(&format!(
        "<meta property=\"og:url\" content=\"{}\">",
        app.url(&format!("/p/{slug}"))
    )));
    assert!(html.contains("<meta property=\"og:description\" content=\"Le puits de Kpalimé est à sec."));

    let r = visitor
        .post(app.url(&format!("/p/{slug}/sign")))
        .form(&signer("Marie@Example.org", "75011"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&r).starts_with(&format!("/p/{slug}/thanks?s=pending&r=")),
        "{}",
        location(&r)
    );
    let thanks = visitor
        .get(app.url(&location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(thanks.contains("confirmez votre signature"));
    // The signature's transaction queued a small row; the worker renders the e-mail.
    let petition = app.store.petition_by_slug(&slug).await.unwrap().unwrap();
    let queued = app
        .store
        .message_by_key(&relais_store::confirmation_key(petition.id, "marie@example.org"))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        queued.payload.deferred,
        Some(relais_store::Deferred::SignatureConfirmation { petition: p, locale: relais_core::Locale::Fr, .. })
            if p == petition.id
    ));
    assert!(queued.payload.text.is_empty() && queued.payload.html.is_none());
    let figures: serde_json::Value = visitor
        .get(app.url(&format!("/p/{slug}.json")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(figures["counts"], serde_json::json!({"confirmed": 0, "pending": 1}));

    // The consent is recorded with the exact words shown next to the box.
    let access = app.store.operator_access("amis").await.unwrap();
    let marie = app
        .store
        .supporter_by_email(&access, &relais_core::Email::parse("marie@example.org").unwrap())
        .await
        .unwrap()
        .unwrap();
    let ledger = app.store.consents(&access, marie.id).await.unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!(
        ledger[0].wording,
        "Je veux être tenu·e informé·e de l’avancée de cette pétition par e-mail."
    );
    assert!(html.contains(&ledger[0].wording));
    let email = app.last_email_to("marie@example.org").await;
    assert_eq!(email.subject, "Confirmez votre signature : Sauvons le puits de Kpalimé");
    assert!(email.from.contains("Les Amis du Puits"));
    let link = link_in(&email, &app.url(&format!("/p/{slug}/confirm?token=")));
    let confirmed = visitor.get(&link).send().await.unwrap();
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert!(
        confirmed
            .text()
            .await
            .unwrap()
            .contains("votre signature est confirmée")
    );
    let figures: serde_json::Value = visitor
        .get(app.url(&format!("/p/{slug}.json")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(figures["counts"], serde_json::json!({"confirmed": 1, "pending": 0}));
    assert_eq!(
        figures["by_department"],
        serde_json::json!([{"code": "75", "count": 1}])
    );
    assert_eq!(figures["by_commune"][0]["name"], "Paris 11e Arrondissement");
    assert_eq!(
        visitor.get(&link).send().await.unwrap().status(),
        StatusCode::OK,
        "clicking twice is harmless"
    );

    // Signing again says so kindly.
    let again = visitor
        .post(app.url(&format!("/p/{slug}/sign")))
        .form(&signer("marie@example.org", "75011"))
        .send()
        .await
        .unwrap();
    assert!(location(&again).starts_with(&format!("/p/{slug}/thanks?s=confirmed")));
    let page = visitor
        .get(app.url(&format!("/p/{slug}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Marie — Paris 11e Arrondissement"),
        "recent signers who agreed"
    );
}

#[tokio::test]
async fn scripts_sign_with_json_as_the_contract_says() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let slug = setup(&app).await;
    let url = app.url(&format!("/p/{slug}/sign"));
    let body = serde_json::json!({
        "first_name": "Paul", "last_name": "Langevin", "email": "paul@example.org", "postcode": "69001",
        "country": "FR", "comment": "", "consent_updates": true, "consent_newsletter": false
    });
    let r = client().post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"status": "pending"})
    );
    let r = client().post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"status": "already_signed", "confirmed": false})
    );
    let form = client()
        .post(&url)
        .header("accept", "application/json")
        .form(&signer("form@example.org", "13001"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        form.status(),
        StatusCode::CREATED,
        "a form post asking for JSON gets JSON"
    );
    let bad = client()
        .post(&url)
        .json(&serde_json::json!({"email": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(v["status"], "invalid");
    let fields: Vec<_> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["first_name", "last_name", "email", "postcode"]);
    app.stop().await;
}

#[tokio::test]
async fn a_refused_signature_keeps_the_form_and_closed_or_hidden_petitions_say_so() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let slug = setup(&app).await;
    let mut bad = signer("pas-une-adresse", "750");
    bad[0].1 = "Jeanne".into();
    let r = sign_form(&app, &slug, &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("value=\"Jeanne\"")
            && html.contains("value=\"pas-une-adresse\"")
            && html.contains("value=\"750\"")
    );
    assert!(html.contains("id=\"email-error\"") && html.contains("id=\"postcode-error\""));
    assert_eq!(
        app.store
            .counts(app.store.petition_by_slug(&slug).await.unwrap().unwrap().id)
            .await
            .unwrap()
            .pending,
        0
    );
    assert_eq!(app.get("/p/nope").await.status(), StatusCode::NOT_FOUND);
    // A draft is not public.
    let page = app.get("/admin/petitions/new").await.text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    app.post(
        "/admin/petitions",
        &[
            ("csrf", csrf.as_str()),
            ("action", "save"),
            ("title", "Brouillon secret"),
            ("body", "x"),
            ("target_name", "X"),
        ],
    )
    .await;
    assert_eq!(
        client()
            .get(app.url("/p/brouillon-secret"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    // Closing stops signatures with a clear answer.
    let p = app.store.petition_by_slug(&slug).await.unwrap().unwrap();
    let r = app
        .post(
            &format!("/admin/petitions/{}/state", p.id),
            &[("csrf", csrf.as_str()), ("to", "closed")],
        )
        .await;
    assert_eq!(location(&r), format!("/admin/petitions/{}?done=state", p.id));
    let closed = client()
        .get(app.url(&format!("/p/{slug}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(closed.contains("Cette pétition est close") && !closed.contains("action=\"/p/"));
    let r = sign_form(&app, &slug, &signer("late@example.org", "75011")).await;
    assert_eq!(r.status(), StatusCode::GONE);
    app.stop().await;
}

#[tokio::test]
async fn signing_again_unconfirmed_offers_to_resend_the_email() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let slug = setup(&app).await;
    let visitor = client();
    visitor
        .post(app.url(&format!("/p/{slug}/sign")))
        .form(&signer("lea@example.org", "75011"))
        .send()
        .await
        .unwrap();
    let again = visitor
        .post(app.url(&format!("/p/{slug}/sign")))
        .form(&signer("lea@example.org", "75011"))
        .send()
        .await
        .unwrap();
    assert!(location(&again).contains("s=already"));
    let page = visitor
        .get(app.url(&location(&again)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Renvoyer l’e-mail de confirmation"));
    let token = hidden(&page, "t");
    let r = visitor
        .post(app.url(&format!("/p/{slug}/resend")))
        .form(&[("t", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), format!("/p/{slug}/thanks?s=resent"));
    app.drain().await;
    assert_eq!(app.emails().iter().filter(|e| e.to == "lea@example.org").count(), 2);
    app.stop().await;
}

#[tokio::test]
async fn an_english_speaker_confirms_from_an_email_rendered_when_it_leaves() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let slug = setup(&app).await;
    let visitor = client();
    let r = visitor
        .post(app.url(&format!("/p/{slug}/sign")))
        .header("accept-language", "en-GB,en;q=0.8")
        .form(&signer("ada@example.org", "75011"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let email = app.last_email_to("ada@example.org").await;
    assert_eq!(email.subject, "Confirm your signature: Sauvons le puits de Kpalimé");
    assert!(email.from.contains("Les Amis du Puits"));
    assert!(email.text.contains("14 days"), "{}", email.text);
    let link = link_in(&email, &app.url(&format!("/p/{slug}/confirm?token=")));
    let confirmed = visitor.get(&link).send().await.unwrap();
    assert_eq!(confirmed.status(), StatusCode::OK);
    let figures: serde_json::Value = visitor
        .get(app.url(&format!("/p/{slug}.json")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(figures["counts"], serde_json::json!({"confirmed": 1, "pending": 0}));
    app.stop().await;
}

#[tokio::test]
async fn bots_filling_the_hidden_field_are_thanked_and_ignored() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let slug = setup(&app).await;
    let mut bot = signer("bot@example.org", "75011");
    bot.last_mut().unwrap().1 = "http://spam.example".into();
    let r = sign_form(&app, &slug, &bot).await;
    assert_eq!(location(&r), format!("/p/{slug}/thanks?s=pending"));
    let p = app.store.petition_by_slug(&slug).await.unwrap().unwrap();
    assert_eq!(app.store.counts(p.id).await.unwrap().pending, 0);
    app.drain().await;
    assert!(app.emails().iter().all(|e| e.to != "bot@example.org"));
    app.stop().await;
}

#[tokio::test]
async fn one_address_signing_in_bulk_is_rate_limited() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let slug = setup(&app).await;
    let mut statuses = Vec::new();
    for i in 0..35 {
        let r = client()
            .post(app.url(&format!("/p/{slug}/sign")))
            .form(&signer(&format!("p{i}@example.org"), "75011"))
            .send()
            .await
            .unwrap();
        statuses.push(r.status());
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count(), 30);
    assert_eq!(*statuses.last().unwrap(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

#[tokio::test]
async fn viewers_read_petitions_but_cannot_write_them() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    setup(&app).await;
    let csrf = hidden(&app.get("/admin/staff").await.text().await.unwrap(), "csrf");
    app.post(
        "/admin/staff/invite",
        &[("csrf", csrf.as_str()), ("email", "v@amis.example"), ("role", "viewer")],
    )
    .await;
    let invite = app.last_email_to("v@amis.example").await;
    let viewer = client();
    viewer
        .get(link_in(&invite, &app.url("/admin/auth?token=")))
        .send()
        .await
        .unwrap();
    let list = viewer
        .get(app.url("/admin/petitions"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("Sauvons le puits") && !list.contains("/admin/petitions/new"));
    assert_eq!(
        viewer
            .get(app.url("/admin/petitions/new"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let vcsrf = hidden(&list, "csrf");
    let r = viewer
        .post(app.url("/admin/petitions"))
        .form(&[
            ("csrf", vcsrf.as_str()),
            ("title", "X"),
            ("body", "x"),
            ("target_name", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn staff_export_signatures_and_invalidate_a_burst_without_emailing_it() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let slug = setup(&app).await;
    let p = app.store.petition_by_slug(&slug).await.unwrap().unwrap();
    // Twelve signatures from one address (the test client's): a burst.
    for i in 0..12 {
        let mut s = signer(&format!("bot{i}@botnet.example"), "75011");
        s.push(("comment", format!("commentaire, \"{i}\"")));
        sign_form(&app, &slug, &s).await;
    }
    let csv = app.get(&format!("/admin/petitions/{}/signatures.csv", p.id)).await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let body = csv.text().await.unwrap();
    let lines: Vec<_> = body.lines().collect();
    assert_eq!(lines.len(), 13, "a header and twelve rows");
    assert!(lines[0].starts_with(
        "signed_at,status,first_name,last_name,email,postcode,commune,department,country,comment,consent_updates"
    ));
    assert!(lines[1].contains(",pending,Marie,Curie,bot0@botnet.example,75011,Paris 11e Arrondissement,75,FR,\"commentaire, \"\"0\"\"\",yes,no,yes,"), "{}", lines[1]);

    let page = app
        .get(&format!("/admin/petitions/{}/abuse?hours=1&min=10", p.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("botnet.example") && page.contains("Adresse IP"));
    let start = page
        .find("<input type=\"hidden\" name=\"kind\" value=\"ip\">")
        .expect("an IP burst");
    let form = &page[start..];
    let field = |name: &str| hidden(form, name);
    let csrf = hidden(&page, "csrf");
    let r = app
        .post(
            &format!("/admin/petitions/{}/invalidate", p.id),
            &[
                ("csrf", csrf.as_str()),
                ("kind", "ip"),
                ("key", &field("key")),
                ("from", &field("from")),
                ("to", &field("to")),
                ("reason", "robot"),
            ],
        )
        .await;
    assert_eq!(
        location(&r),
        format!("/admin/petitions/{}/abuse?done=invalidated&count=12", p.id)
    );
    assert_eq!(
        app.store.counts(p.id).await.unwrap(),
        relais_store::Counts {
            confirmed: 0,
            pending: 0
        }
    );
    app.drain().await;
    assert!(
        app.emails().iter().all(|e| !e.to.ends_with("@botnet.example")),
        "invalidated signers get no e-mail"
    );
    let body = app
        .get(&format!("/admin/petitions/{}/signatures.csv", p.id))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(body.matches(",invalidated,").count(), 12);
    assert!(body.lines().nth(1).unwrap().contains(",robot,"));
    app.stop().await;
}

#[tokio::test]
async fn throwaway_addresses_cannot_sign() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let slug = setup(&app).await;
    let r = sign_form(&app, &slug, &signer("x@yopmail.com", "75011")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("adresses jetables"));
    app.stop().await;
}

#[tokio::test]
async fn every_signer_gets_share_links_that_credit_them_and_name_the_channel() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let slug = setup(&app).await;
    let sharer = client();
    let r = sharer
        .post(app.url(&format!("/p/{slug}/sign")))
        .form(&signer("sharer@example.org", "75011"))
        .send()
        .await
        .unwrap();
    let thanks = sharer
        .get(app.url(&location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let code = location(&r).split("&r=").nth(1).unwrap().to_owned();
    assert_eq!(code.len(), 10);
    for (network, channel) in [
        ("facebook.com/sharer", "facebook"),
        ("wa.me", "whatsapp"),
        ("twitter.com/intent", "twitter"),
        ("t.me/share", "telegram"),
        ("linkedin.com", "linkedin"),
        ("mailto:", "email"),
    ] {
        let at = thanks.find(network).unwrap_or_else(|| panic!("no {network} link"));
        let href = &thanks[at..at + thanks[at..].find('"').unwrap()];
        assert!(
            href.contains(&format!("ref%3D{code}%26utm_source%3D{channel}")),
            "{href}"
        );
    }
    assert!(!thanks.contains("<script src=\"http"), "no third-party script");
    // A friend follows the WhatsApp link and signs: the page is the same for everyone
    // (cacheable); the link's code comes back with the form's Referer.
    let link = app.url(&format!("/p/{slug}?ref={code}&utm_source=whatsapp"));
    let page = client().get(&link).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains(&code), "the page does not vary with the link");
    client()
        .post(app.url(&format!("/p/{slug}/sign")))
        .header("referer", &link)
        .form(&signer("friend@example.org", "75011"))
        .send()
        .await
        .unwrap();
    // A stranger arrives from a news site with a made-up code: the signature still counts.
    let mut stranger = signer("stranger@example.org", "75011");
    stranger.push(("ref", "ffffffffff".into()));
    client()
        .post(app.url(&format!("/p/{slug}/sign")))
        .header("referer", "https://news.example/article")
        .form(&stranger)
        .send()
        .await
        .unwrap();
    let p = app.store.petition_by_slug(&slug).await.unwrap().unwrap();
    assert_eq!(app.store.counts(p.id).await.unwrap().pending, 3);
    let csv = app
        .get(&format!("/admin/petitions/{}/signatures.csv", p.id))
        .await
        .text()
        .await
        .unwrap();
    let rows: Vec<_> = csv.lines().collect();
    assert!(
        rows[2].contains("friend@example.org") && rows[2].ends_with(",whatsapp,,yes"),
        "{}",
        rows[2]
    );
    assert!(
        rows[3].contains("stranger@example.org") && rows[3].ends_with(",,news.example,no"),
        "{}",
        rows[3]
    );
    // Staff see where signatures came from: charts drawn on the server, tables beside.
    let sources = app.get(&format!("/admin/petitions/{}/sources", p.id)).await;
    assert_eq!(sources.status(), StatusCode::OK);
    let html = sources.text().await.unwrap();
    assert_eq!(html.matches("<svg").count(), 3, "over time, per channel, recruiters");
    assert!(
        html.contains("coefficient viral : 0,33"),
        "one signature brought by three signers"
    );
    assert!(
        html.contains("<th scope=\"row\">WhatsApp</th><td>1</td><td>1</td><td>0,33</td>"),
        "{html}"
    );
    assert!(html.contains("<th scope=\"row\">Accès direct</th><td>2</td><td>0</td><td>0,00</td>"));
    assert!(
        html.contains("<th scope=\"row\">Marie C.</th><td>1</td>"),
        "the sharer, first name and initial"
    );
    let s = app
        .store
        .sources(&app.store.operator_access("amis").await.unwrap(), p.id)
        .await
        .unwrap();
    assert_eq!((s.signatures, s.bucket_secs), (3, 3_600));
    app.stop().await;
}

#[tokio::test]
async fn staff_invalidate_a_domain_over_a_time_window_with_a_reason() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let slug = setup(&app).await;
    let p = app.store.petition_by_slug(&slug).await.unwrap().unwrap();
    for (i, domain) in ["farm.example", "farm.example", "honest.example"].iter().enumerate() {
        client()
            .post(app.url(&format!("/p/{slug}/sign")))
            .form(&signer(&format!("s{i}@{domain}"), "75011"))
            .send()
            .await
            .unwrap();
    }
    let paris = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
    let now = jiff::Timestamp::now().to_zoned(paris);
    let from = (&now - jiff::Span::new().hours(1))
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    let to = (&now + jiff::Span::new().hours(1))
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    let page = app
        .get(&format!("/admin/petitions/{}/abuse", p.id))
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let path = format!("/admin/petitions/{}/invalidate-by", p.id);
    let missing = app
        .post(
            &path,
            &[
                ("csrf", csrf.as_str()),
                ("kind", "domain"),
                ("key", "farm.example"),
                ("from_local", &from),
                ("to_local", &to),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = missing.text().await.unwrap();
    assert!(
        html.contains("id=\"reason-error\"") && html.contains("value=\"farm.example\""),
        "kept as typed"
    );
    let r = app
        .post(
            &path,
            &[
                ("csrf", csrf.as_str()),
                ("kind", "domain"),
                ("key", "Farm.Example"),
                ("from_local", &from),
                ("to_local", &to),
                ("reason", "ferme à clics"),
            ],
        )
        .await;
    assert_eq!(
        location(&r),
        format!("/admin/petitions/{}/abuse?done=invalidated&count=2", p.id)
    );
    assert_eq!(app.store.counts(p.id).await.unwrap().pending, 1);
    app.stop().await;
}

#[tokio::test]
async fn link_previews_get_a_share_image_with_the_live_count() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let slug = setup(&app).await;
    let html = client()
        .get(app.url(&format!("/p/{slug}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let image_url = app.url(&format!("/p/{slug}/share.png?l=fr"));
    assert!(
        html.contains(&format!("<meta property=\"og:image\" content=\"{image_url}\">")),
        "{html}"
    );
    assert!(html.contains("<meta name=\"twitter:card\" content=\"summary_large_image\">"));
    let r = client().get(&image_url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["cache-control"], "public, max-age=60");
    let png = r.bytes().await.unwrap();
    let img = image::load_from_memory(&png).unwrap();
    assert_eq!((img.width(), img.height()), (1200, 630));
    // Kept for a look: `target/share-image-test.png`.
    let _ = std::fs::write(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/share-image-test.png"),
        &png,
    );
    // Unknown petitions have no image.
    let r = client().get(app.url("/p/nope/share.png")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}
