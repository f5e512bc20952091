//! Giving end to end: staff publish a campaign, a donor gives through the sandbox
//! provider, the gift counts once however often the confirmation comes, and the
//! thank-you e-mail carries a numbered tax receipt as a PDF.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::*;
use reqwest::StatusCode;

/// An association eligible for tax receipts, its staff signed in, a campaign published.
async fn setup(app: &TestApp) {
    let link = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    app.follow_login_link(&link).await;
    let access = app.store.operator_access("amis").await.unwrap();
    let settings = relais_core::settings::SettingsInput {
        name: "Les Amis du Puits".into(),
        slug: "amis".into(),
        contact_email: "contact@amis.example".into(),
        primary_color: "#1d4ed8".into(),
        accent_color: "#9a3412".into(),
        legal_name: "Association Les Amis du Puits".into(),
        rna: "W691234567".into(),
        address: "3 place Bellecour\n69002 Lyon".into(),
        purpose: "Accès à l’eau potable au Togo".into(),
        tax_eligible: Some("on".into()),
        timezone: "Europe/Paris".into(),
        default_locale: "fr".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    app.store.update_settings(&access, &settings, 0).await.unwrap();
    let page = app.get("/admin/campaigns").await.text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    // A refused campaign keeps what was typed.
    let r = app
        .post(
            "/admin/campaigns",
            &[
                ("csrf", csrf.as_str()),
                ("title", "Un puits"),
                ("amounts", "20, douze"),
                ("once", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("20, douze"));
    let r = app
        .post(
            "/admin/campaigns",
            &[
                ("csrf", csrf.as_str()),
                ("title", "Un puits pour Kpalimé"),
                ("slug", "puits"),
                ("body", "Le forage coûte **12 000 €**."),
                ("goal", "12000"),
                ("amounts", "20, 50, 100"),
                ("once", "on"),
                ("monthly", "on"),
                ("thanks", "Grâce à vous, 450 familles auront de l’eau."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

fn donor(amount: &str) -> Vec<(&'static str, String)> {
    vec![
        ("amount", amount.into()),
        ("amount_other", String::new()),
        ("frequency", "once".into()),
        ("first_name", "Jeanne".into()),
        ("last_name", "Martin".into()),
        ("email", "jeanne@example.org".into()),
        ("address", "12 rue des Lilas".into()),
        ("postcode", "69001".into()),
        ("city", "Lyon".into()),
        ("country", "FR".into()),
        ("receipt", "on".into()),
        ("consent_newsletter", "on".into()),
    ]
}

on_both_backends!(a_donor_gives_through_the_sandbox_and_gets_a_receipt_once);

async fn a_donor_gives_through_the_sandbox_and_gets_a_receipt_once(app: &TestApp) {
    setup(app).await;
    let page = client()
        .get(app.url("/d/puits"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Un puits pour Kpalimé") && page.contains("<strong>12 000 €</strong>"));
    assert!(
        page.contains("ne vous coûte que 17,00\u{a0}€"),
        "the tax cost of the middle amount"
    );

    // Bad input: the form comes back with each problem at its field, as typed.
    let mut bad = donor("other");
    bad[1].1 = "0".into();
    bad[6].1 = String::new();
    let r = client().post(app.url("/d/puits")).form(&bad).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Le montant doit être supérieur à zéro.") || html.contains("Le montant minimum"),
        "{html}"
    );
    assert!(html.contains("id=\"address-error\""));
    assert!(html.contains("value=\"jeanne@example.org\""));

    // A real gift: the sandbox provider's page, then its confirmation.
    let r = client()
        .post(app.url("/d/puits"))
        .form(&donor("50"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let sandbox = location(&r);
    assert!(sandbox.starts_with("/d/puits/sandbox/sandbox_"), "{sandbox}");
    let html = client()
        .get(app.url(&sandbox))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("50,00\u{a0}€"));
    // Confirmed three times (a provider's webhook delivered again): counted once.
    let mut thanks_at = String::new();
    for _ in 0..3 {
        let r = client()
            .post(app.url(&sandbox))
            .form(&[("outcome", "paid")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        thanks_at = location(&r);
    }
    let thanks = client()
        .get(app.url(&thanks_at))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let year = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).year();
    assert!(thanks.contains("Merci pour votre don !"), "{thanks}");
    assert!(
        thanks.contains(&format!("{year}-000001")),
        "the first receipt of the year: {thanks}"
    );
    let campaign = app.store.campaign_by_slug("puits").await.unwrap().unwrap();
    assert_eq!((campaign.raised.cents(), campaign.gifts_count), (5_000, 1));

    // The thank-you e-mail, with the receipt attached.
    let mail = app.last_email_to("jeanne@example.org").await;
    assert_eq!(mail.subject, "Merci pour votre don à Les Amis du Puits");
    assert!(
        mail.text.contains("50,00\u{a0}€") && mail.text.contains("Grâce à vous"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("ce don vous coûte en réalité 17,00\u{a0}€"));
    let (kind, pdf) = &mail.attachments[0];
    assert_eq!(kind, "application/pdf", "the receipt is attached");
    assert!(
        pdf.starts_with(b"%PDF-") && pdf.len() > 5_000 && pdf.len() < 200_000,
        "{}",
        pdf.len()
    );
    // Kept for a look: `target/receipt-test.pdf` (pdftotext shows its text).
    let _ = std::fs::write(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/receipt-test.pdf"),
        pdf,
    );
    assert!(mail.raw.contains("recu-fiscal-"));
    assert_eq!(
        app.emails()
            .iter()
            .filter(|e| e.subject.starts_with("Merci pour votre don"))
            .count(),
        1
    );

    // The e-mail's link opens the donor's own space: the gift, its receipt, consents.
    let me = link_in(&mail, &app.url("/me/"));
    let html = client().get(&me).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("Bonjour Jeanne") && html.contains("Un puits pour Kpalimé"),
        "{html}"
    );
    // The newsletter ticked on the form can be switched off here, at once.
    assert!(html.contains("Lettre d’information de Les Amis du Puits par e-mail"));
    let r = client()
        .post(format!("{me}/consents"))
        .form(&[("purpose", "newsletter"), ("action", "withdraw")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = client()
        .get(app.url(&location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("effectif immédiatement") && html.contains("Recevoir à nouveau"),
        "{html}"
    );
    assert!(html.contains("50,00\u{a0}€"));
    let receipt_href = html
        .split("href=\"")
        .map(|h| h.split('"').next().unwrap())
        .find(|h| h.contains("/receipts/"))
        .unwrap()
        .to_owned();
    let r = client().get(app.url(&receipt_href)).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
    // Another receipt number, or an altered link, opens nothing.
    let other = receipt_href.replace("-000001", "-000002");
    assert_eq!(
        client().get(app.url(&other)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client().get(format!("{me}x")).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    // Asking for erasure tells the association.
    let r = client().post(format!("{me}/erase")).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("Votre demande est transmise"));
    let staff_mail = app.last_email_to("contact@amis.example").await;
    assert!(staff_mail.subject.contains("effacement"), "{}", staff_mail.subject);

    // A refused payment counts nothing and offers to try again.
    let r = client()
        .post(app.url("/d/puits"))
        .form(&donor("20"))
        .send()
        .await
        .unwrap();
    let sandbox = location(&r);
    let r = client()
        .post(app.url(&sandbox))
        .form(&[("outcome", "failed")])
        .send()
        .await
        .unwrap();
    let html = client()
        .get(app.url(&location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Le paiement n’a pas abouti"));
    let campaign = app.store.campaign_by_slug("puits").await.unwrap().unwrap();
    assert_eq!(campaign.raised.cents(), 5_000);
    // A paid gift cannot be failed afterwards, nor a failed one paid.
    let r = client()
        .post(app.url(&sandbox))
        .form(&[("outcome", "paid")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.store
            .campaign_by_slug("puits")
            .await
            .unwrap()
            .unwrap()
            .raised
            .cents(),
        5_000
    );

    // A cheque received by post, from a donor without e-mail: counted, receipted,
    // its receipt downloaded by staff to post it; nobody is e-mailed.
    let page = app.get("/admin/campaigns").await.text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let campaign_id = campaign.id.to_string();
    let cheque = |date: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("campaign", campaign_id.clone()),
            ("method", "cheque".to_owned()),
            ("received_on", date.to_owned()),
            ("amount", "120".to_owned()),
            ("first_name", "Paul".to_owned()),
            ("last_name", "Girard".to_owned()),
            ("email", String::new()),
            ("address", "4 rue Neuve".to_owned()),
            ("postcode", "69003".to_owned()),
            ("city", "Lyon".to_owned()),
            ("receipt", "on".to_owned()),
        ]
    };
    let r = app
        .client
        .post(app.url("/admin/gifts/offline"))
        .form(&cheque("2099-01-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "not received in the future"
    );
    assert!(r.text().await.unwrap().contains("value=\"Girard\""));
    let before = app.emails().len();
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Paris").unwrap())
        .date()
        .to_string();
    let r = app
        .client
        .post(app.url("/admin/gifts/offline"))
        .form(&cheque(&today))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.drain().await;
    assert_eq!(app.emails().len(), before, "no address, no e-mail");
    assert_eq!(
        app.store
            .campaign_by_slug("puits")
            .await
            .unwrap()
            .unwrap()
            .raised
            .cents(),
        17_000
    );
    let gifts = app
        .store
        .gifts(&app.store.operator_access("amis").await.unwrap(), 10)
        .await
        .unwrap();
    let paul = gifts.iter().find(|g| g.last_name == "Girard").unwrap();
    assert_eq!((paul.method.as_str(), paul.status.as_str()), ("cheque", "paid"));
    let r = app.get(&format!("/admin/gifts/{}/receipt.pdf", paul.id)).await;
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(
        r.headers()["content-disposition"].to_str().unwrap().contains("-000002"),
        "the second receipt"
    );

    // The accountant's export: every paid gift with its receipt, French-spreadsheet style.
    let csv = app.get("/admin/gifts.csv").await.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("date;receipt;first_name;"), "{csv}");
    assert_eq!(lines.len(), 3, "two paid gifts (the failed one is not there): {csv}");
    assert!(lines[1].contains("-000001;Jeanne;Martin;jeanne@example.org;") && lines[1].contains(";50,00;card;"));
    assert!(
        lines[2].contains(";Paul;Girard;;") && lines[2].contains(";120,00;cheque;"),
        "no placeholder address"
    );

    // Staff see the gift; the donor is a person with their story.
    let admin = app.get("/admin/campaigns").await.text().await.unwrap();
    assert!(admin.contains("Jeanne Martin") && admin.contains("payé"));
}
