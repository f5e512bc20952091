//! Projects end to end: staff describe a project and restrict a campaign to it,
//! donors give through the sandbox, staff allocate unrestricted gifts by period
//! (more than is left is refused with what is left, the form kept), and the public
//! page shows what was received and spent, line by line. Another association
//! neither sees the project nor spends the gifts.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

/// An association in Paris time, its staff signed in.
async fn setup(app: &TestApp) {
    let link = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    app.follow_login_link(&link).await;
}

async fn csrf(app: &TestApp, path: &str) -> String {
    hidden(&app.get(path).await.text().await.unwrap(), "csrf")
}

fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Paris").unwrap())
        .date()
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(1600, 900, image::Rgb([30, 80, 160]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
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
    let sandbox = location(&r);
    let r = client()
        .post(app.url(&sandbox))
        .form(&[("outcome", "paid")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn create_campaign(app: &TestApp, slug: &str, project: &str) {
    let token = csrf(app, "/admin/campaigns").await;
    let r = app
        .post(
            "/admin/campaigns",
            &[
                ("csrf", token.as_str()),
                ("title", &format!("Campagne {slug}")),
                ("slug", slug),
                ("amounts", "20, 50"),
                ("once", "on"),
                ("project", project),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
}

/// Staff allocate `amount` euros of the unrestricted gifts received from `from` to `to`.
async fn allocate(app: &TestApp, project: &str, amount: &str, from: &str, to: &str) -> reqwest::Response {
    let token = csrf(app, project).await;
    app.post(
        &format!("{project}/allocate"),
        &[
            ("csrf", token.as_str()),
            ("amount", amount),
            ("from", from),
            ("to", to),
            ("campaign", ""),
            ("label", "Dons du printemps"),
        ],
    )
    .await
}

on_both_backends!(staff_fund_a_project_and_donors_see_where_the_money_went);

async fn staff_fund_a_project_and_donors_see_where_the_money_went(app: &TestApp) {
    setup(app).await;
    let token = csrf(app, "/admin/projects").await;

    // A refused project keeps what was typed, each problem at its field.
    let r = app
        .post(
            "/admin/projects",
            &[("csrf", token.as_str()), ("title", ""), ("budget", "douze mille")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("value=\"douze mille\"") && html.contains("Ce champ est obligatoire"),
        "{html}"
    );

    let r = app
        .post(
            "/admin/projects",
            &[
                ("csrf", token.as_str()),
                ("title", "Puits de Kpalimé"),
                ("slug", "puits"),
                ("budget", "12 000"),
                ("place_label", "Kpalimé, Togo"),
                ("latitude", "6,9"),
                ("longitude", "0.633"),
                ("body", "Un forage de **40 mètres**."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = location(&r);
    assert!(
        page.starts_with("/admin/projects/") && page.ends_with("?done=saved"),
        "{page}"
    );
    let base = page.split('?').next().unwrap().to_owned();
    assert_eq!(
        client().get(app.url("/projects/puits")).send().await.unwrap().status(),
        StatusCode::NOT_FOUND,
        "a draft is not public"
    );

    // Describe it: figures, stage, a photo, publication.
    let r = app
        .post(
            &format!("{base}/figures"),
            &[
                ("csrf", token.as_str()),
                ("figure_value", "450"),
                ("figure_label", "élèves"),
                ("figure_unit", ""),
                ("figure_value", "beaucoup"),
                ("figure_label", "litres"),
                ("figure_unit", "par jour"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("value=\"beaucoup\"") && html.contains("«\u{a0}litres\u{a0}»"),
        "{html}"
    );
    let r = app
        .post(
            &format!("{base}/figures"),
            &[
                ("csrf", token.as_str()),
                ("figure_value", "450"),
                ("figure_label", "élèves"),
                ("figure_unit", ""),
                ("figure_value", "3 000"),
                ("figure_label", "litres"),
                ("figure_unit", "par jour"),
                ("figure_value", ""),
                ("figure_label", ""),
                ("figure_unit", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post(
            &format!("{base}/stage"),
            &[("csrf", token.as_str()), ("stage", "under_way")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let photo = |bytes: Vec<u8>, name: &str| {
        Form::new()
            .text("csrf", token.clone())
            .text("alt", "Le chantier du forage")
            .part("photo", Part::bytes(bytes).file_name(name.to_owned()))
    };
    let upload = |form: Form| {
        app.client
            .post(app.url(&format!("{base}/photos")))
            .multipart(form)
            .send()
    };
    let r = upload(photo(b"<svg/>".to_vec(), "x.svg")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "not a photo");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("n’est pas une image") && html.contains("Le chantier du forage"),
        "{html}"
    );
    let r = upload(photo(vec![0; 13 * 1024 * 1024], "huge.jpg")).await.unwrap();
    assert!(
        matches!(
            r.status(),
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNPROCESSABLE_ENTITY
        ),
        "{}",
        r.status()
    );
    let r = upload(photo(png(), "chantier.png")).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post(
            &format!("{base}/state"),
            &[("csrf", token.as_str()), ("publish", "yes")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The ledger: a future expense is refused, two real ones recorded.
    let tomorrow = today().tomorrow().unwrap().to_string();
    let r = app
        .post(
            &format!("{base}/expenses"),
            &[
                ("csrf", token.as_str()),
                ("spent_on", &tomorrow),
                ("category", "materials"),
                ("label", "Ciment"),
                ("amount", "1200"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"expense-spent_on\""));
    for (category, label, amount) in [
        ("materials", "Ciment et tubage", "1 350,50"),
        ("studies", "Étude du sol", "850"),
    ] {
        let r = app
            .post(
                &format!("{base}/expenses"),
                &[
                    ("csrf", token.as_str()),
                    ("spent_on", &today().to_string()),
                    ("category", category),
                    ("label", label),
                    ("amount", amount),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }

    // A campaign restricted to the project, and one that is not.
    let id = base.rsplit('/').next().unwrap().to_owned();
    let campaigns = app.get("/admin/campaigns").await.text().await.unwrap();
    assert!(campaigns.contains(&format!("<option value=\"{id}\">Puits de Kpalimé</option>")));
    create_campaign(app, "pour-le-puits", &id).await;
    create_campaign(app, "general", "").await;
    let donate = client()
        .get(app.url("/d/pour-le-puits"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        donate.contains("href=\"/projects/puits\""),
        "the campaign links to its project"
    );
    give(app, "pour-le-puits", "50", "a@example.org").await;
    give(app, "pour-le-puits", "100", "b@example.org").await;
    for (euros, email) in [
        ("20", "c@example.org"),
        ("30", "d@example.org"),
        ("200", "e@example.org"),
    ] {
        give(app, "general", euros, email).await;
    }

    // Allocating more than the period's unrestricted gifts hold is refused with what they hold.
    let (from, to) = (today().yesterday().unwrap().to_string(), today().to_string());
    let r = allocate(app, &base, "300", &from, &to).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Il ne reste que 250,00\u{a0}€ non attribués"), "{html}");
    assert!(
        html.contains("value=\"300\"") && html.contains("value=\"Dons du printemps\""),
        "the form is kept"
    );
    let long_ago = today().checked_sub(jiff::Span::new().days(30)).unwrap();
    let r = allocate(app, &base, "10", &long_ago.to_string(), &long_ago.to_string()).await;
    assert!(
        r.text().await.unwrap().contains("Il ne reste que 0,00\u{a0}€"),
        "no gift that day"
    );
    let r = allocate(app, &base, "240", &from, &to).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = app.get(&location(&r)).await.text().await.unwrap();
    assert!(html.contains("240,00\u{a0}€ pris sur 3 dons"), "{html}");

    // News: a refused one keeps what was typed; a published one moves the project along.
    let news = |body: &str, figure: &str| {
        Form::new()
            .text("csrf", token.clone())
            .text("body", body.to_owned())
            .text("stage", "completed")
            .text("figure_value", "450")
            .text("figure_label", "élèves")
            .text("figure_unit", "")
            .text("figure_value", figure.to_owned())
            .text("figure_label", "litres")
            .text("figure_unit", "par jour")
            .text("alt", "La pompe")
            .part("photo", Part::bytes(png()).file_name("pompe.png"))
    };
    let post_news = |form: Form| {
        app.client
            .post(app.url(&format!("{base}/updates")))
            .multipart(form)
            .send()
    };
    let r = post_news(news("", "3 500")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"update-body-error\"") && html.contains("value=\"3 500\""),
        "{html}"
    );
    let r = post_news(news("L’eau coule **enfin** !", "3 500")).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The public page: received (150 € restricted + 240 € allocated), spent, the ledger.
    let r = client().get(app.url("/projects/puits")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cache = r.headers().get("cache-control").unwrap().to_str().unwrap().to_owned();
    assert!(cache.starts_with("public"), "{cache}");
    let html = r.text().await.unwrap();
    for expected in [
        "Puits de Kpalimé",
        "Kpalimé, Togo",
        "<strong class=\"count\">390,00\u{a0}€</strong>",
        "390,00\u{a0}€ reçus sur un budget de 12\u{202f}000,00\u{a0}€ (3\u{a0}%)",
        "150,00\u{a0}€ donnés pour ce projet, 240,00\u{a0}€ de dons libres",
        "2\u{202f}200,50\u{a0}€",
        "Ciment et tubage",
        "Études et autorisations",
        "aria-current=\"step\"><span class=\"step-mark\" aria-hidden=\"true\">3</span> Terminé",
        "Nouvelle étape\u{a0}: Terminé",
        "L’eau coule <strong>enfin</strong> !",
        "3\u{202f}500 litres par jour",
        "alt=\"La pompe\"",
        "https://www.openstreetmap.org/?mlat=6.90000&#38;mlon=0.63300",
        "alt=\"Le chantier du forage\"",
        "href=\"/d/pour-le-puits\"",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in:\n{html}");
    }
    // No request to any other site: every src is our own.
    assert!(!html.contains("src=\"http") && !html.contains("<iframe"), "{html}");

    // Another association sees nothing of it and cannot spend these gifts.
    let link = app.create_org("autres", "Les Autres", "chair@autres.example").await;
    let other = client();
    assert_eq!(other.get(&link).send().await.unwrap().status(), StatusCode::SEE_OTHER);
    let page = other
        .get(app.url("/admin/projects"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Puits de Kpalimé"));
    let other_csrf = hidden(&page, "csrf");
    assert_eq!(
        other.get(app.url(&base)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let steal = [
        ("csrf", other_csrf.as_str()),
        ("amount", "10"),
        ("from", "2000-01-01"),
        ("to", "2100-01-01"),
    ];
    let r = other
        .post(app.url(&format!("{base}/allocate")))
        .form(&steal)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = other
        .post(app.url("/admin/projects"))
        .form(&[
            ("csrf", other_csrf.as_str()),
            ("title", "École"),
            ("slug", "ecole"),
            ("budget", "1000"),
        ])
        .send()
        .await
        .unwrap();
    let own = location(&r).split('?').next().unwrap().to_owned();
    let r = other
        .post(app.url(&format!("{own}/allocate")))
        .form(&steal)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().await.unwrap().contains("Il ne reste que 0,00\u{a0}€"),
        "our gifts are not theirs"
    );
}
