//! The feedback loop over HTTP, on both backends: a donor's `/me` tells where each
//! gift went and what happened since, with a map of Relais's own; staff undo an
//! allocation (with confirmation) and move a campaign to another project (earlier
//! gifts stay where they were given); the loyalty page compares told and untold
//! donors per cohort.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::*;
use reqwest::StatusCode;
use reqwest::multipart::Form;

async fn csrf(app: &TestApp, path: &str) -> String {
    hidden(&app.get(path).await.text().await.unwrap(), "csrf")
}

fn today() -> String {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Paris").unwrap())
        .date()
        .to_string()
}

/// Creates and publishes a project; returns its admin path.
async fn project(app: &TestApp, token: &str, slug: &str, title: &str, place: (&str, &str, &str)) -> String {
    let r = app
        .post(
            "/admin/projects",
            &[
                ("csrf", token),
                ("title", title),
                ("slug", slug),
                ("budget", "10 000"),
                ("place_label", place.0),
                ("latitude", place.1),
                ("longitude", place.2),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let base = location(&r).split('?').next().unwrap().to_owned();
    let r = app
        .post(&format!("{base}/state"), &[("csrf", token), ("publish", "yes")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    base
}

async fn campaign(app: &TestApp, token: &str, slug: &str, project_id: &str) {
    let r = app
        .post(
            "/admin/campaigns",
            &[
                ("csrf", token),
                ("title", &format!("Campagne {slug}")),
                ("slug", slug),
                ("amounts", "20, 50"),
                ("once", "on"),
                ("project", project_id),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
}

/// A donor gives `euros` on campaign `slug` and the sandbox confirms the payment.
async fn give(app: &TestApp, slug: &str, euros: &str, email: &str) {
    let form = [
        ("amount", "other"),
        ("amount_other", euros),
        ("frequency", "once"),
        ("first_name", "Jeanne"),
        ("last_name", "Martin"),
        ("email", email),
        ("country", "FR"),
    ];
    let r = client()
        .post(app.url(&format!("/d/{slug}")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let r = client()
        .post(app.url(&location(&r)))
        .form(&[("outcome", "paid")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// The first number after `prefix` in `html`.
fn id_after(html: &str, prefix: &str) -> String {
    let rest = html
        .split(prefix)
        .nth(1)
        .unwrap_or_else(|| panic!("no {prefix} in {html}"));
    rest.chars().take_while(char::is_ascii_digit).collect()
}

on_both_backends!(a_donor_reads_what_each_gift_did_and_staff_correct_where_money_went);

async fn a_donor_reads_what_each_gift_did_and_staff_correct_where_money_went(app: &TestApp) {
    let link = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    app.follow_login_link(&link).await;
    let token = csrf(app, "/admin/projects").await;
    let well = project(
        app,
        &token,
        "puits",
        "Puits de Kpalimé",
        ("Kpalimé, Togo", "6.9", "0.63"),
    )
    .await;
    let school = project(app, &token, "ecole", "École de Lomé", ("Lomé, Togo", "6.13", "1.22")).await;
    let well_id = well.rsplit('/').next().unwrap().to_owned();
    campaign(app, &token, "pour-le-puits", &well_id).await;
    campaign(app, &token, "general", "").await;
    let jeanne = "jeanne@example.org";
    give(app, "pour-le-puits", "30", jeanne).await;
    give(app, "general", "100", jeanne).await;
    let r = app
        .post(
            &format!("{school}/allocate"),
            &[
                ("csrf", token.as_str()),
                ("amount", "40"),
                ("from", &today()),
                ("to", &today()),
                ("campaign", ""),
                ("label", "Dons du jour"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let news = Form::new()
        .text("csrf", token.clone())
        .text("body", "Le forage a **commencé** : 12 mètres déjà.")
        .text("stage", "under_way");
    let r = app
        .client
        .post(app.url(&format!("{well}/updates")))
        .multipart(news)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Her space: each gift, where it went, what happened since, and the map.
    app.drain().await;
    let me = link_in(&app.last_email_to(jeanne).await, &app.url("/me/"));
    let me_page = || async { client().get(&me).send().await.unwrap().text().await.unwrap() };
    let html = me_page().await;
    for expected in [
        "Dons\u{a0}: 2 · Signatures\u{a0}: 0",
        "Pour\u{a0}: Campagne pour-le-puits",
        "La totalité pour <a href=\"/projects/puits\">Puits de Kpalimé</a>",
        "40,00\u{a0}€ pour <a href=\"/projects/ecole\">École de Lomé</a>",
        "60,00\u{a0}€ pas encore attribués",
        "Ce qui s’est passé depuis",
        "Nouvelle étape\u{a0}: En cours",
        "Le forage a commencé : 12 mètres déjà.",
        "class=\"map\"",
        "/static/world-land.svg",
        "role=\"img\"",
    ] {
        assert!(html.contains(expected), "{expected:?} missing in {html}");
    }
    assert!(!html.contains("https://"), "the map asks nothing of another site");
    let r = client().get(app.url("/static/world-land.svg")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let html = client()
        .get(app.url("/projects/puits"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("class=\"locator\"") && html.contains("Où se trouve le projet"),
        "{html}"
    );

    // Staff undo the allocation: a confirmation first, then the cents go back.
    let admin = app.get(&school).await.text().await.unwrap();
    let batch = id_after(&admin, "/allocations/");
    let undo = format!("{school}/allocations/{batch}/undo");
    let r = app.post(&undo, &[("csrf", token.as_str())]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "no confirmation, nothing undone");
    let r = app.post(&undo, &[("csrf", token.as_str()), ("confirm", "yes")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let admin = app.get(&location(&r)).await.text().await.unwrap();
    assert!(
        admin.contains("Attribution annulée") && admin.contains("Annulée le"),
        "{admin}"
    );
    let r = app.post(&undo, &[("csrf", token.as_str()), ("confirm", "yes")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = app
        .post(
            &format!("{well}/allocations/{batch}/undo"),
            &[("csrf", token.as_str()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "a decision of another project");
    let html = me_page().await;
    assert!(
        !html.contains("École de Lomé") && html.contains("Pas encore attribué à un projet précis"),
        "{html}"
    );

    // Staff move the general campaign to the well: her 100 € stay unrestricted, her
    // next gift goes to the well; the form explains it.
    let campaigns = app.get("/admin/campaigns").await.text().await.unwrap();
    assert!(campaigns.contains("Les dons déjà faits à cette campagne restent au projet"));
    let general = id_after(&campaigns, "action=\"/admin/campaigns/");
    let r = app
        .post(
            &format!("/admin/campaigns/{general}/project"),
            &[("csrf", token.as_str()), ("project", well_id.as_str())],
        )
        .await;
    assert_eq!(location(&r), "/admin/campaigns?done=campaign-moved");
    give(app, "general", "20", jeanne).await;
    let html = me_page().await;
    let newest = html.split("<article class=\"story\">").nth(1).unwrap();
    assert!(
        newest.contains("20,00") && newest.contains("La totalité pour"),
        "{newest}"
    );
    let earlier = html.split("<article class=\"story\">").nth(2).unwrap();
    assert!(
        earlier.contains("100,00") && earlier.contains("Pas encore attribué"),
        "{earlier}"
    );
    let r = app
        .post(
            &format!("/admin/campaigns/{general}/project"),
            &[("csrf", token.as_str()), ("project", "999999")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // The loyalty page: donors of an earlier year, told or not, side by side.
    let access = app.store.operator_access("amis").await.unwrap();
    let general_campaign = app.store.campaign_by_slug("general").await.unwrap().unwrap();
    let year = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).year();
    let june = |y: i16| {
        jiff::civil::date(y, 6, 15)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_second()
    };
    for (name, years) in [("ancien", [year - 2, year - 1]), ("fidele", [year - 2, year - 2])] {
        for (i, y) in years.iter().enumerate() {
            let draft = relais_core::gift::GiftInput {
                amount: "10".into(),
                frequency: "once".into(),
                first_name: "A".into(),
                last_name: "B".into(),
                email: format!("{name}@example.org"),
                ..Default::default()
            }
            .parse(
                &[relais_core::gift::Frequency::Once],
                relais_core::gift::MIN_GIFT,
                relais_core::gift::MAX_GIFT,
                relais_core::Locale::Fr,
            )
            .unwrap();
            let reference = format!("{name}-{i}");
            let new_gift = relais_store::NewGift {
                campaign: &general_campaign,
                draft: &draft,
                locale: "fr",
                provider: "sandbox",
                method: "card",
                provider_ref: &reference,
                newsletter_wording: "",
                impact_wording: "",
                pledge_ref: None,
                tip_cents: 0,
            };
            app.store.start_gift(&new_gift, june(*y)).await.unwrap();
            app.store
                .complete_gift_at(&reference, june(*y), june(*y))
                .await
                .unwrap();
        }
    }
    let _ = access;
    let r = app.get("/admin/projects/loop").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    for expected in [
        "C’est une comparaison, pas la preuve d’une cause",
        "Ont reçu des nouvelles de leur don",
        "<caption>Dons renouvelés selon l’année du premier don</caption>",
        "50\u{202f}% (1 sur 2)",
        "role=\"img\"",
    ] {
        assert!(html.contains(expected), "{expected:?} missing in {html}");
    }
    let projects = app.get("/admin/projects").await.text().await.unwrap();
    assert!(projects.contains("href=\"/admin/projects/loop\""));
}
