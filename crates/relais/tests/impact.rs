//! The feedback loop end to end: donors ask on the gift form to be told what their
//! gift achieved (by SMS with a mobile number, else e-mail); staff post a
//! project's news and each contributor who asked gets one personal message; an
//! association's own software reports with an API key that one gift was used, and
//! its donor gets a text at once. Keys are checked, another association's gifts
//! answer like unknown ones.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::*;
use reqwest::StatusCode;
use reqwest::multipart::Form;

async fn csrf(app: &TestApp, path: &str) -> String {
    hidden(&app.get(path).await.text().await.unwrap(), "csrf")
}

/// The text messages written so far: `(to, text)`, oldest first.
fn texts(app: &TestApp) -> Vec<(String, String)> {
    let dir = app.data.join("outbox/sms");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|f| {
            let raw = std::fs::read_to_string(f).unwrap();
            let to = raw.lines().next().unwrap().trim_start_matches("To: ").to_owned();
            let text = raw.split_once("\n\n").unwrap().1.trim().to_owned();
            (to, text)
        })
        .collect()
}

/// A donor gives `euros` on `slug` with the impact part of the form as given;
/// returns the gift's id once the sandbox has confirmed the payment.
async fn give(app: &TestApp, slug: &str, euros: &str, email: &str, phone: &str, consent: bool) -> i64 {
    let mut form = vec![
        ("amount", "other"),
        ("amount_other", euros),
        ("frequency", "once"),
        ("first_name", "Jeanne"),
        ("last_name", "Martin"),
        ("email", email),
        ("phone", phone),
        ("country", "FR"),
    ];
    if consent {
        form.push(("consent_impact", "on"));
    }
    let r = client()
        .post(app.url(&format!("/d/{slug}")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let sandbox = location(&r);
    let r = client()
        .post(app.url(&sandbox))
        .form(&[("outcome", "paid")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let reference = sandbox.rsplit('/').next().unwrap();
    app.store.gift_by_ref(reference).await.unwrap().unwrap().id
}

/// Creates and publishes a project, and a campaign restricted to it; returns the
/// project's back-office path.
async fn project_with_campaign(app: &TestApp) -> String {
    let token = csrf(app, "/admin/projects").await;
    let r = app
        .post(
            "/admin/projects",
            &[
                ("csrf", token.as_str()),
                ("title", "Puits de Kpalimé"),
                ("slug", "puits"),
                ("budget", "12000"),
                ("place_label", "Kpalimé, Togo"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let path = location(&r).split('?').next().unwrap().to_owned();
    let id = path.rsplit('/').next().unwrap().to_owned();
    let r = app
        .post(
            &format!("{path}/state"),
            &[("csrf", token.as_str()), ("publish", "yes")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let token = csrf(app, "/admin/campaigns").await;
    let r = app
        .post(
            "/admin/campaigns",
            &[
                ("csrf", token.as_str()),
                ("title", "Un puits pour Kpalimé"),
                ("slug", "puits-don"),
                ("amounts", "20, 50"),
                ("once", "on"),
                ("project", id.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    path
}

async fn post_news(app: &TestApp, path: &str, body: &str, tell: bool) {
    let token = csrf(app, path).await;
    let mut form = Form::new()
        .text("csrf", token)
        .text("body", body.to_owned())
        .text("stage", "")
        .text("figure_value", "450")
        .text("figure_label", "élèves ont l’eau à l’école")
        .text("figure_unit", "");
    if tell {
        form = form.text("tell", "on");
    }
    let r = app
        .client
        .post(app.url(&format!("{path}/updates")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
}

async fn report(app: &TestApp, key: Option<&str>, gift: &str, body: &str) -> (StatusCode, serde_json::Value) {
    let mut request = client()
        .post(app.url(&format!("/api/v1/donations/{gift}/outcomes")))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let r = request.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

on_both_backends!(contributors_are_told_what_their_gift_achieved);

async fn contributors_are_told_what_their_gift_achieved(app: &TestApp) {
    let link = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    app.follow_login_link(&link).await;
    let project = project_with_campaign(app).await;

    // The form offers the box unticked and an optional mobile number.
    let html = app.get("/d/puits-don").await.text().await.unwrap();
    assert!(html.contains("name=\"consent_impact\" type=\"checkbox\" aria-describedby=\"consent_impact-hint\">"));
    assert!(html.contains("Dites-moi ce que mon don a permis de réaliser") && html.contains("type=\"tel\""));
    // A number that is none is refused at its field, the form kept.
    let r = client()
        .post(app.url("/d/puits-don"))
        .form(&[
            ("amount", "other"),
            ("amount_other", "30"),
            ("frequency", "once"),
            ("first_name", "Jeanne"),
            ("last_name", "Martin"),
            ("email", "jeanne@example.org"),
            ("phone", "06 12"),
            ("consent_impact", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"phone-error\"")
            && html.contains("value=\"06 12\"")
            && html.contains("value=\"jeanne@example.org\""),
        "{html}"
    );

    let jeanne = give(app, "puits-don", "30", "jeanne@example.org", "06 12 34 56 78", true).await;
    give(app, "puits-don", "20", "jeanne@example.org", "06 12 34 56 78", true).await;
    let paul = give(app, "puits-don", "50", "paul@example.org", "", true).await;
    let anne = give(app, "puits-don", "10", "anne@example.org", "", false).await;
    app.drain().await;
    assert!(texts(app).is_empty(), "nothing but thanks so far");

    // News with "tell the donors": one message each, on their channel.
    post_news(app, &project, "La pompe est installée : **l’eau coule**.", true).await;
    app.drain().await;
    let sms = texts(app);
    assert_eq!(sms.len(), 1, "Jeanne is told once for her two gifts: {sms:?}");
    let (to, text) = &sms[0];
    assert_eq!(to, "+33612345678");
    assert!(
        text.starts_with("Les Amis du Puits : Vos 2 dons, 50,00\u{a0}€ depuis le ",)
            && text.contains("ont aidé « Puits de Kpalimé »\u{a0}: désormais 450 élèves ont l’eau à l’école."),
        "{text}"
    );
    assert!(text.contains("/projects/puits Stop SMS : http"), "{text}");
    let told: Vec<Email> = app
        .emails()
        .into_iter()
        .filter(|e| e.subject.starts_with("Ce que votre don a permis"))
        .collect();
    assert_eq!(told.len(), 1, "only Paul by e-mail; Anne did not ask");
    let mail = &told[0];
    assert_eq!(mail.to, "paul@example.org");
    assert!(mail.text.contains("Vos 50,00\u{a0}€ du "), "{}", mail.text);
    assert!(
        mail.text.contains("l’eau coule") && mail.raw.contains("List-Unsubscribe"),
        "{}",
        mail.text
    );
    let page = app.get(&project).await.text().await.unwrap();
    assert!(page.contains("Donateurs prévenus : 1 par e-mail, 1 par SMS"), "{page}");

    // News without telling tells nobody.
    post_news(app, &project, "Le comité de l’eau s’est réuni.", false).await;
    app.drain().await;
    assert_eq!(texts(app).len(), 1);

    // Jeanne stops the texts from her SMS's link: the next news reaches her by e-mail.
    let stop = text.rsplit(' ').next().unwrap().to_owned();
    let r = client().get(&stop).send().await.unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("par SMS"), "{html}");
    let r = client()
        .post(&stop)
        .form(&[("action", "unsubscribe")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    post_news(app, &project, "La fête de l’eau aura lieu samedi.", true).await;
    app.drain().await;
    assert_eq!(texts(app).len(), 1, "no more texts");
    let mail = app.last_email_to("jeanne@example.org").await;
    assert!(
        mail.subject.starts_with("Ce que votre don a permis"),
        "{}",
        mail.subject
    );

    // An API key, made by staff and shown once.
    let token = csrf(app, "/admin/api-keys").await;
    let r = app
        .post(
            "/admin/api-keys",
            &[("csrf", token.as_str()), ("name", "Logiciel de collecte")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let start = html.find("value=\"rls_").unwrap() + "value=\"".len();
    let key = html[start..].split('"').next().unwrap().to_owned();
    assert_eq!(key.len(), 4 + 64);
    let listing = app.get("/admin/api-keys").await.text().await.unwrap();
    assert!(
        listing.contains("Logiciel de collecte") && !listing.contains(&key),
        "shown once only"
    );

    // Jeanne texts again (a new number and the box ticked on her next gift): the
    // outcome of her gift reaches her by SMS at once.
    give(app, "puits-don", "5", "jeanne@example.org", "+33 6 98 76 54 32", true).await;
    let body = r#"{"message": "Votre don a servi aujourd’hui : la pompe est réparée.", "used_on": "2026-01-15"}"#;
    let (status, answer) = report(app, Some(&key), &jeanne.to_string(), body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(
        (answer["status"].as_str(), answer["channel"].as_str()),
        (Some("queued"), Some("sms"))
    );
    app.drain().await;
    let (to, text) = texts(app).pop().unwrap();
    assert_eq!(to, "+33698765432");
    assert!(
        text.contains("Votre don a servi aujourd’hui : la pompe est réparée.") && text.contains("Stop SMS"),
        "{text}"
    );
    // The same report again: recorded once, told once.
    let (status, again) = report(app, Some(&key), &jeanne.to_string(), body).await;
    assert_eq!((status, again["duplicate"].as_bool()), (StatusCode::OK, Some(true)));
    assert_eq!(again["outcome"], answer["outcome"]);
    app.drain().await;
    assert_eq!(texts(app).len(), 2);
    // A donor who asked for nothing is told nothing, and the caller knows.
    let (status, answer) = report(app, Some(&key), &anne.to_string(), "{}").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        (answer["status"].as_str(), answer["reason"].as_str()),
        (Some("not_sent"), Some("no_consent"))
    );
    // Paul, by e-mail, in Relais's words.
    let (status, answer) = report(app, Some(&key), &paul.to_string(), "").await;
    assert_eq!(
        (status, answer["channel"].as_str()),
        (StatusCode::ACCEPTED, Some("email"))
    );
    let mail = app.last_email_to("paul@example.org").await;
    assert!(
        mail.text.contains("Votre don de 50,00\u{a0}€ du ") && mail.text.contains("a été utilisé le "),
        "{}",
        mail.text
    );

    // Bad requests say why.
    let (status, answer) = report(app, Some(&key), &paul.to_string(), "{\"used_on\": ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["message"].as_str().unwrap().contains("JSON"), "{answer}");
    let (status, answer) = report(app, Some(&key), &paul.to_string(), r#"{"used_on": "2099-01-01"}"#).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );

    // Another association's gift answers exactly like a gift that does not exist.
    app.create_org("autres", "Les Autres", "chair@autres.example").await;
    let other = app.store.operator_access("autres").await.unwrap();
    let mut draft = relais_core::gift::CampaignInput {
        title: "Leur campagne".into(),
        slug: "leur-campagne".into(),
        once: "on".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    draft.project_id = None;
    app.store.create_campaign(&other, &draft, true, 0).await.unwrap();
    let foreign = give(app, "leur-campagne", "10", "jeanne@example.org", "06 12 34 56 78", true).await;
    let (status, theirs) = report(app, Some(&key), &foreign.to_string(), "{}").await;
    let (unknown_status, unknown) = report(app, Some(&key), "987654321", "{}").await;
    assert_eq!((status, unknown_status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(theirs, unknown, "the same body either way");

    // No key, a wrong key, a revoked key: 401.
    assert_eq!(
        report(app, None, &jeanne.to_string(), "{}").await.0,
        StatusCode::UNAUTHORIZED
    );
    let wrong = format!("rls_{}", "0".repeat(64));
    assert_eq!(
        report(app, Some(&wrong), &jeanne.to_string(), "{}").await.0,
        StatusCode::UNAUTHORIZED
    );
    let html = app.get("/admin/api-keys").await.text().await.unwrap();
    let start = html.find("action=\"/admin/api-keys/").unwrap() + "action=\"".len();
    let revoke = html[start..].split('"').next().unwrap().to_owned();
    let token = hidden(&html, "csrf");
    let r = app.post(&revoke, &[("csrf", token.as_str())]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, answer) = report(app, Some(&key), &jeanne.to_string(), "{}").await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
}
