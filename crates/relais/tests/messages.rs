//! Writing to a segment: staff compose a message with merge fields, preview it,
//! send themselves a test, schedule it, send it; only the people who agreed receive
//! it, each with their own way out (visible and RFC 8058), and a withdrawal stops
//! the next message.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::*;
use reqwest::StatusCode;

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// An association with three people on its list: Awa and a person without a first
/// name agree to the newsletter; Carl withdrew.
async fn setup(app: &TestApp) -> (i64, i64) {
    let link = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    app.follow_login_link(&link).await;
    let org = app.store.org_by_slug("amis").await.unwrap().unwrap();
    let access = app.store.operator_access("amis").await.unwrap();
    for (address, first) in [
        ("awa@example.org", "Awa"),
        ("anon@example.org", ""),
        ("carl@example.org", "Carl"),
    ] {
        let email = relais_core::Email::parse(address).unwrap();
        app.store
            .subscribe_newsletter(org.id, &email, first, "fr", "Je m'abonne", "ip", now())
            .await
            .unwrap();
    }
    let mut ids = Vec::new();
    for address in ["awa@example.org", "carl@example.org"] {
        let email = relais_core::Email::parse(address).unwrap();
        ids.push(app.store.supporter_by_email(&access, &email).await.unwrap().unwrap().id);
    }
    let (awa, carl) = (ids[0], ids[1]);
    app.store
        .record_consent(
            &relais_store::ConsentChange {
                org_id: org.id,
                supporter_id: carl,
                channel: "email",
                purpose: "newsletter",
                granted: false,
                wording: "Me désabonner",
                source: "/me",
                ip_hash: "ip",
            },
            now(),
        )
        .await
        .unwrap();
    (org.id, awa)
}

/// Writes a draft through the form; returns its page's path.
async fn compose(app: &TestApp, subject: &str, body: &str) -> String {
    let csrf = hidden(&app.get("/admin/messages/new").await.text().await.unwrap(), "csrf");
    let r = app
        .post(
            "/admin/messages",
            &[
                ("csrf", csrf.as_str()),
                ("segment", ""),
                ("purpose", "newsletter"),
                ("subject", subject),
                ("body", body),
                ("html", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    assert!(to.ends_with("?done=message-saved"), "{to}");
    to.split('?').next().unwrap().to_owned()
}

fn mails_with(app: &TestApp, to: &str, subject: &str) -> Vec<Email> {
    app.emails()
        .into_iter()
        .filter(|e| e.to == to && e.subject.contains(subject))
        .collect()
}

async fn message_story(app: &TestApp) {
    let (_org, awa) = setup(app).await;
    // The list links to writing; an unknown merge field is refused by name, the form kept.
    let list = app.get("/admin/messages").await.text().await.unwrap();
    assert!(list.contains("/admin/messages/new"));
    let people = app.get("/admin/people?consent=newsletter").await.text().await.unwrap();
    assert!(
        people.contains("/admin/messages/new?segment=query%3Aconsent%3Dnewsletter"),
        "{people}"
    );
    let csrf = hidden(&app.get("/admin/messages/new").await.text().await.unwrap(), "csrf");
    let r = app
        .post(
            "/admin/messages",
            &[
                ("csrf", csrf.as_str()),
                ("subject", "Bonjour {{prenom}}"),
                ("body", "Le puits coule."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("Champ de fusion inconnu : {{prenom}}"), "{page}");
    assert!(page.contains("value=\"Bonjour {{prenom}}\"") && page.contains("Le puits coule."));
    // Without the CSRF token nothing is saved.
    let r = app.post("/admin/messages", &[("subject", "x"), ("body", "y")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let path = compose(
        app,
        "{{first_name}}, le puits coule",
        "Bonjour {{first_name}},\n\nLe puits de Kpalimé coule. [Voir les photos](https://amis.example/photos).",
    )
    .await;
    let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    // The preview is written for a real person who agreed, with the count.
    let page = app.get(&path).await.text().await.unwrap();
    assert!(
        page.contains("Sera envoyé à 2 personnes qui ont accepté de le recevoir."),
        "{page}"
    );
    assert!(
        page.contains("Awa, le puits coule") && page.contains("<p>Bonjour Awa,</p>"),
        "{page}"
    );

    // A test to the staff member's own address, marked, without anyone's way out.
    let csrf = hidden(&app.get(&path).await.text().await.unwrap(), "csrf");
    let r = app.post(&format!("{path}/test"), &[("csrf", csrf.as_str())]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let test = app.last_email_to("chair@amis.example").await;
    assert_eq!(test.subject, "[TEST] Camille, le puits coule");
    assert!(
        !test.raw.contains("List-Unsubscribe:"),
        "a test has nobody to unsubscribe"
    );
    assert_eq!(
        app.store
            .message_stats(&app.store.operator_access("amis").await.unwrap(), id)
            .await
            .unwrap()
            .recipients,
        0
    );

    // Scheduling: refused in the past (422, at its field), accepted ahead; nothing leaves before.
    let r = app
        .post(
            &format!("{path}/schedule"),
            &[("csrf", csrf.as_str()), ("at", "2020-01-01T10:00")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("Choisissez une date et une heure à venir.") && page.contains("value=\"2020-01-01T10:00\""));
    let r = app
        .post(
            &format!("{path}/schedule"),
            &[("csrf", csrf.as_str()), ("at", "2099-06-01T09:30")],
        )
        .await;
    assert_eq!(location(&r), format!("{path}?done=message-scheduled"));
    app.drain().await;
    assert!(
        mails_with(app, "awa@example.org", "le puits coule").is_empty(),
        "not before its time"
    );
    let page = app.get(&path).await.text().await.unwrap();
    assert!(
        page.contains("Programmé") && page.contains("2099-06-01 09:30"),
        "{page}"
    );

    // Sending now asks first, with the number of people who agreed.
    let r = app.post(&format!("{path}/send"), &[("csrf", csrf.as_str())]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let confirm = r.text().await.unwrap();
    assert!(
        confirm.contains("Envoyer ce message maintenant à 2 personnes"),
        "{confirm}"
    );
    let r = app
        .post(&format!("{path}/send"), &[("csrf", csrf.as_str()), ("confirm", "yes")])
        .await;
    assert_eq!(location(&r), format!("{path}?done=message-sending"));
    app.drain().await;
    assert!(
        mails_with(app, "carl@example.org", "le puits coule").is_empty(),
        "Carl withdrew"
    );
    let anon = &mails_with(app, "anon@example.org", "le puits coule")[0];
    assert_eq!(anon.subject, "ami·e, le puits coule");
    let mail = &mails_with(app, "awa@example.org", "le puits coule")[0];
    assert_eq!(mail.subject, "Awa, le puits coule");
    assert!(mail.text.starts_with("Bonjour Awa,"), "{}", mail.text);
    assert!(mail.from.contains("Les Amis du Puits"));
    // The visible way out is the RFC 8058 one.
    let unsubscribe = link_in(mail, &app.url("/u/"));
    assert!(
        mail.raw.contains(&format!("List-Unsubscribe: <{unsubscribe}>")),
        "{}",
        mail.raw
    );
    assert!(mail.raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    assert!(mail.html.contains("Se désabonner"));
    // Its link is counted, then leads where the author pointed.
    let tracked = mail
        .html
        .split("href=\"")
        .map(|s| s.split('"').next().unwrap())
        .find(|h| h.contains("/r/"))
        .unwrap()
        .replace("&#38;", "&");
    let r = client().get(&tracked).send().await.unwrap();
    assert_eq!(location(&r), "https://amis.example/photos");
    // Awa's mail client unsubscribes her in one click.
    let r = client()
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // The figures: two sent, one unsubscribe, one click; the message can no longer be cancelled.
    let page = app.get(&path).await.text().await.unwrap();
    assert!(page.contains("Envoyé"), "{page}");
    let stats = app
        .store
        .message_stats(&app.store.operator_access("amis").await.unwrap(), id)
        .await
        .unwrap();
    assert_eq!(
        (stats.recipients, stats.sent, stats.unsubscribes, stats.clicks),
        (2, 2, 1, 1)
    );
    let r = app.post(&format!("{path}/cancel"), &[("csrf", csrf.as_str())]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let list = app.get("/admin/messages").await.text().await.unwrap();
    assert!(
        list.contains("{{first_name}}, le puits coule") && list.contains("Envoyé"),
        "{list}"
    );

    // Her page says she received it.
    let person = app.get(&format!("/admin/people/{awa}")).await.text().await.unwrap();
    assert!(
        person.contains("Message reçu") && person.contains("{{first_name}}, le puits coule"),
        "{person}"
    );

    // The next message is not sent to her.
    let next = compose(app, "Deuxième nouvelle", "Encore du nouveau, {{first_name|à vous}}.").await;
    let r = app
        .post(&format!("{next}/send"), &[("csrf", csrf.as_str()), ("confirm", "yes")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.drain().await;
    assert!(
        mails_with(app, "awa@example.org", "Deuxième").is_empty(),
        "Awa unsubscribed"
    );
    let anon = &mails_with(app, "anon@example.org", "Deuxième")[0];
    assert!(anon.text.starts_with("Encore du nouveau, à vous."), "{}", anon.text);
}
on_both_backends!(message_story);

async fn other_associations_messages_are_out_of_reach(app: &TestApp) {
    setup(app).await;
    let path = compose(app, "Privé", "Pour nos soutiens.").await;
    // Another association's staff member finds nothing there.
    let link = app.create_org("voisins", "Les Voisins", "chair@voisins.example").await;
    let other = client();
    let r = other.get(&link).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        other.get(app.url(&path)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let list = other
        .get(app.url("/admin/messages"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains("Privé"));
}
on_both_backends!(other_associations_messages_are_out_of_reach);
