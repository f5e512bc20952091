//! The back office in a real browser: headless Chromium, driven over WebDriver,
//! signs in through the e-mailed link and changes a setting, keyboard only where
//! it matters. Screenshots land in `target/tmp/screenshots/` for people to look at.
//!
//! Needs `chromium` and `chromedriver` (Debian: chromium, chromium-driver). Without
//! them the test skips loudly, unless `RELAIS_REQUIRE_BROWSER=1` (CI).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use fantoccini::{Client, ClientBuilder, Locator};

/// chromedriver, and the browser profile of its session: a fresh folder each time,
/// removed after the processes, so no cookie (such as a language chosen by another
/// test on 127.0.0.1) reaches the next session that happens to get the same port.
struct Driver(Child, tempfile::TempDir);

impl Drop for Driver {
    // chromedriver runs in its own process group with the browsers it starts: end
    // them all, also when a test panics before closing its session.
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn which(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

async fn browser() -> Option<(Driver, Client)> {
    if !which("chromedriver") || !which("chromium") {
        assert!(
            std::env::var("RELAIS_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "RELAIS_REQUIRE_BROWSER=1 but chromium or chromedriver is missing"
        );
        eprintln!("!!! SKIPPED: browser test (apt-get install chromium chromium-driver to run it)");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let profile = tempfile::Builder::new().prefix("relais-chromium-").tempdir().unwrap();
    let driver = Driver(child, profile);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            // A French supporter's browser.
            "prefs": { "intl.accept_languages": "fr-FR,fr" },
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--window-size=390,844", "--lang=fr-FR",
                format!("--user-data-dir={}", driver.1.path().display()),
            ]
        }),
    );
    // chromedriver listens before it can start a browser, and a busy machine (five
    // browsers starting at once on two cores) sometimes drops the first request:
    // retry the session a few times before calling it a failure.
    let mut attempt = 0;
    let client = loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => break client,
            Err(e) if attempt < 4 => {
                eprintln!("chromedriver session, attempt {}: {e}; retrying", attempt + 1);
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("chromedriver session: {e}"),
        }
    };
    Some((driver, client))
}

/// Waits (up to 10 s) for the page to contain `text`: clicks return before the
/// navigation they start has finished.
async fn wait_for(client: &Client, text: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let source = client.source().await.unwrap();
        if source.contains(text) {
            return source;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "page never showed {text:?}:\n{source}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn screenshot(client: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_member_signs_in_from_the_emailed_link_and_changes_a_setting() {
    let Some((_driver, b)) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;

    b.goto(&app.url("/")).await.unwrap();
    screenshot(&b, "public-home").await;
    // The first Tab reaches the skip link: keyboard users are not trapped in the header.
    b.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("\u{E004}")
        .await
        .unwrap();
    let focused = b.active_element().await.unwrap();
    assert_eq!(focused.attr("class").await.unwrap().as_deref(), Some("skip"));

    b.goto(&app.url("/admin/login")).await.unwrap();
    screenshot(&b, "login").await;
    b.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("chair@amis.example")
        .await
        .unwrap();
    b.find(Locator::XPath("//form[@action='/admin/login']//button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "Vérifiez votre boîte mail").await;

    let email = app.last_email_to("chair@amis.example").await;
    b.goto(&link_in(&email, &app.url("/admin/auth?token="))).await.unwrap();
    wait_for(&b, "Tableau de bord").await;
    assert_eq!(b.current_url().await.unwrap().path(), "/admin");
    screenshot(&b, "dashboard").await;

    b.find(Locator::LinkText("Paramètres"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "Paramètres de l’association").await;
    let name = b.find(Locator::Id("name")).await.unwrap();
    name.clear().await.unwrap();
    name.send_keys("Les Amis de l’Eau").await.unwrap();
    b.find(Locator::XPath(
        "//form[@action='/admin/settings']//button[@type='submit']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let page = wait_for(&b, "Modifications enregistrées.").await;
    let url = b.current_url().await.unwrap();
    assert_eq!((url.path(), url.query()), ("/admin/settings", Some("done=saved")));
    assert!(page.contains("value=\"Les Amis de l’Eau\""));
    screenshot(&b, "settings-saved").await;

    // A refused value shows its message next to the field, with the form as typed.
    let email_field = b.find(Locator::Id("contact_email")).await.unwrap();
    email_field.clear().await.unwrap();
    email_field.send_keys("pas-une-adresse").await.unwrap();
    b.find(Locator::XPath(
        "//form[@action='/admin/settings']//button[@type='submit']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_for(&b, "id=\"contact_email-error\"").await;
    let error = b
        .find(Locator::Id("contact_email-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(error.contains("n’est pas valide"), "{error}");
    screenshot(&b, "settings-error").await;

    b.find(Locator::LinkText("English"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "Association settings").await;
    b.goto(&app.url("/o/amis")).await.unwrap();
    wait_for(&b, "Les Amis de l’Eau").await;
    screenshot(&b, "public-org-en").await;
    b.close().await.unwrap();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_count_moves_while_signatures_arrive() {
    use relais_core::petition::{PetitionInput, PetitionState};
    let Some((_driver, b)) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    let access = app.store.operator_access("amis").await.unwrap();
    let draft = PetitionInput {
        title: "Un puits".into(),
        body: "Texte".into(),
        target_name: "Le préfet".into(),
        ..Default::default()
    }
    .parse(jiff::civil::date(2026, 1, 1))
    .unwrap();
    let p = app
        .store
        .create_petition(&access, &draft, PetitionState::Published, None, 0)
        .await
        .unwrap();
    b.goto(&app.url(&format!("/p/{}", p.slug))).await.unwrap();
    let count = || async {
        b.find(Locator::Css("[data-count]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert_eq!(count().await, "0");
    // Three people sign and confirm while the page stays open.
    for i in 0..3 {
        let email = format!("p{i}@example.org");
        let form = [
            ("first_name", "Ana"),
            ("last_name", "B"),
            ("email", email.as_str()),
            ("postcode", "75011"),
            ("country", "FR"),
        ];
        client()
            .post(app.url(&format!("/p/{}/sign", p.slug)))
            .form(&form)
            .send()
            .await
            .unwrap();
        app.store
            .confirm_signature(p.id, &relais_core::Email::parse(&email).unwrap(), 1)
            .await
            .unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(25);
    while count().await != "3" {
        assert!(
            std::time::Instant::now() < deadline,
            "the count never moved to 3 (shows {})",
            count().await
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let progress = b.find(Locator::Css("[data-progress]")).await.unwrap();
    assert_eq!(progress.attr("value").await.unwrap().as_deref(), Some("3"));
    screenshot(&b, "petition-live").await;
    b.close().await.unwrap();
    app.stop().await;
}

/// Serves one HTML page on a loopback port: the association's own website, on
/// another origin than Relais.
async fn host_site(html: String) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let html = html.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = socket.read(&mut buf).await;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{html}",
                    html.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_newsletter_snippet_subscribes_from_a_page_on_another_origin() {
    let Some((_driver, b)) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    let page = format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Les Amis du Puits</title></head>\
         <body><h1>Nos nouvelles</h1>\
         <script src=\"{}\" data-relais-newsletter=\"amis\" async></script></body></html>",
        app.url("/widget.js"),
    );
    let port = host_site(page).await;
    b.goto(&format!("http://localhost:{port}/")).await.unwrap();
    let frame = b.wait().for_element(Locator::Css("iframe")).await.unwrap();
    assert!(
        frame
            .attr("src")
            .await
            .unwrap()
            .unwrap()
            .ends_with("/o/amis/newsletter/widget")
    );
    b.enter_frame(0).await.unwrap();
    wait_for(&b, "Recevoir la lettre d’information").await;
    // A typing mistake is refused in place, the field keeps what was typed.
    b.find(Locator::Id("nl-email"))
        .await
        .unwrap()
        .send_keys("awa@example")
        .await
        .unwrap();
    b.find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "adresse").await;
    let email = b.find(Locator::Id("nl-email")).await.unwrap();
    assert_eq!(email.prop("value").await.unwrap().as_deref(), Some("awa@example"));
    b.enter_parent_frame().await.unwrap();
    screenshot(&b, "newsletter-widget-refused-on-another-site").await;
    b.enter_frame(0).await.unwrap();
    let email = b.find(Locator::Id("nl-email")).await.unwrap();
    email.clear().await.unwrap();
    email.send_keys("awa@example.org").await.unwrap();
    b.find(Locator::Id("nl-first-name"))
        .await
        .unwrap()
        .send_keys("Awa")
        .await
        .unwrap();
    b.find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "cliquez sur le lien").await;
    assert!(
        b.get_all_cookies().await.unwrap().is_empty(),
        "no cookie for the host page or the frame"
    );
    b.enter_parent_frame().await.unwrap();
    screenshot(&b, "newsletter-widget-on-another-site").await;
    // Nothing is kept before the click in the e-mail (double opt-in), then the consent is.
    let access = app.store.operator_access("amis").await.unwrap();
    let awa = relais_core::Email::parse("awa@example.org").unwrap();
    assert!(app.store.supporter_by_email(&access, &awa).await.unwrap().is_none());
    let mail = app.last_email_to("awa@example.org").await;
    let confirm = link_in(&mail, &app.url("/o/amis/newsletter/confirm"));
    b.goto(&confirm).await.unwrap();
    wait_for(&b, "C’est confirmé").await;
    let person = app.store.supporter_by_email(&access, &awa).await.unwrap().unwrap();
    assert_eq!(person.first_name, "Awa");
    assert!(
        app.store
            .consent_granted(person_org(&app).await, person.id, "email", "newsletter")
            .await
            .unwrap()
    );
    b.close().await.unwrap();
    app.stop().await;
}

async fn person_org(app: &TestApp) -> i64 {
    app.store.org_by_slug("amis").await.unwrap().unwrap().id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_signs_from_a_page_on_another_origin() {
    use relais_core::petition::{PetitionInput, PetitionState};
    let Some((_driver, b)) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    let access = app.store.operator_access("amis").await.unwrap();
    let draft = PetitionInput {
        title: "Un puits pour Kpalimé".into(),
        body: "Le puits est à sec.".into(),
        target_name: "Mme la Maire".into(),
        ..Default::default()
    }
    .parse(jiff::civil::date(2026, 1, 1))
    .unwrap();
    let p = app
        .store
        .create_petition(&access, &draft, PetitionState::Published, None, 0)
        .await
        .unwrap();
    // The association's site pastes the script snippet; `localhost` is another
    // site than `127.0.0.1`, so the iframe is a third-party frame.
    let page = format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Les Amis du Puits</title></head>\
         <body><h1>Notre campagne</h1><p>Signez ici :</p>\
         <script src=\"{}\" data-relais-petition=\"{}\" async></script></body></html>",
        app.url("/widget.js"),
        p.slug
    );
    let port = host_site(page).await;
    b.goto(&format!("http://localhost:{port}/")).await.unwrap();
    let frame = b.wait().for_element(Locator::Css("iframe")).await.unwrap();
    assert!(
        frame
            .attr("src")
            .await
            .unwrap()
            .unwrap()
            .ends_with("/widget?site=localhost")
    );
    // The snippet fits the iframe to its content (no inner scrollbar, no runaway growth).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let height: f64 = b
            .execute(
                "return document.querySelector('iframe').getBoundingClientRect().height",
                vec![],
            )
            .await
            .unwrap()
            .as_f64()
            .unwrap();
        if height != 640.0 {
            assert!((400.0..1600.0).contains(&height), "iframe height {height}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the iframe never got its content's height"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(&b, "widget-form-on-another-site").await;
    b.enter_frame(0).await.unwrap();
    wait_for(&b, "Un puits pour Kpalimé").await;
    for (id, value) in [
        ("first_name", "Awa"),
        ("last_name", "Mensah"),
        ("email", "awa@example.org"),
        ("postcode", "75011"),
    ] {
        b.find(Locator::Id(id)).await.unwrap().send_keys(value).await.unwrap();
    }
    b.find(Locator::Id("consent_updates"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.find(Locator::Css(".sign-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "confirmez-la avec le lien").await;
    // Nothing was stored in the browser for the host page or the widget.
    assert!(b.get_all_cookies().await.unwrap().is_empty());
    b.enter_parent_frame().await.unwrap();
    b.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    screenshot(&b, "widget-signed-on-another-site").await;

    let rows = app.store.signatures_page(&access, p.id, 0, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].source_channel.as_str(), rows[0].referrer_site.as_str()),
        ("widget", "localhost")
    );
    assert!(rows[0].consent_updates);
    // The same confirmation as on the petition page.
    let mail = app.last_email_to("awa@example.org").await;
    assert!(mail.subject.contains("Un puits pour Kpalimé"), "{}", mail.subject);
    b.close().await.unwrap();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn news_sources_and_unsubscribing_read_well_in_a_browser() {
    use relais_core::petition::{PetitionInput, PetitionState};
    use relais_core::post::{PostInput, PostKind};
    let Some((_driver, b)) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let link = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    let access = app.store.operator_access("amis").await.unwrap();
    let draft = PetitionInput {
        title: "Un puits pour Kpalimé".into(),
        body: "Le puits du quartier est à sec depuis mars.".into(),
        target_name: "Mme la Maire".into(),
        ..Default::default()
    }
    .parse(jiff::civil::date(2026, 1, 1))
    .unwrap();
    let p = app
        .store
        .create_petition(&access, &draft, PetitionState::Published, None, 0)
        .await
        .unwrap();
    // A sharer, then friends through their links.
    let sign = |email: String, referer: Option<String>| {
        let app = &app;
        let slug = p.slug.clone();
        async move {
            let mut req = client().post(app.url(&format!("/p/{slug}/sign"))).form(&[
                ("first_name", "Awa"),
                ("last_name", "Mensah"),
                ("email", email.as_str()),
                ("postcode", "75011"),
                ("country", "FR"),
                ("consent_updates", "on"),
            ]);
            if let Some(r) = referer {
                req = req.header("referer", r);
            }
            let r = req.send().await.unwrap();
            let email = relais_core::Email::parse(&email).unwrap();
            app.store.confirm_signature(p.id, &email, 1).await.unwrap();
            location(&r)
        }
    };
    let thanks = sign("awa@example.org".into(), None).await;
    let code = thanks.split("&r=").nth(1).unwrap().to_owned();
    for (i, channel) in ["whatsapp", "whatsapp", "facebook", "email"].iter().enumerate() {
        let referer = app.url(&format!("/p/{}?ref={code}&utm_source={channel}", p.slug));
        sign(format!("ami{i}@example.org"), Some(referer)).await;
    }
    let update = PostInput {
        body: "Nous avons été reçus à la mairie mardi. **Merci** à toutes et tous !".into(),
        ..Default::default()
    }
    .parse(PostKind::Update, jiff::civil::date(2026, 11, 27))
    .unwrap();
    app.store
        .create_post(
            &access,
            &relais_store::NewPost {
                petition_id: p.id,
                draft: &update,
                image_path: None,
                document: None,
                created_by: None,
            },
            jiff::Timestamp::now().as_second(),
        )
        .await
        .unwrap();
    app.drain().await;

    b.goto(&app.url(&format!("/p/{}", p.slug))).await.unwrap();
    wait_for(&b, "Nous avons été reçus à la mairie").await;
    screenshot(&b, "petition-with-news").await;

    // Staff work at a desk.
    b.set_window_size(1280, 1500).await.unwrap();
    b.goto(&link).await.unwrap();
    b.goto(&app.url(&format!("/admin/petitions/{}/posts", p.id)))
        .await
        .unwrap();
    let html = wait_for(&b, "Ce que sont devenus les messages").await;
    assert!(html.contains("Donner des nouvelles"));
    screenshot(&b, "admin-posts").await;
    b.goto(&app.url(&format!("/admin/petitions/{}/sources", p.id)))
        .await
        .unwrap();
    let html = wait_for(&b, "Provenance des signatures").await;
    assert_eq!(html.matches("<svg").count(), 3);
    screenshot(&b, "admin-sources").await;
    b.goto(&app.url("/admin/people?q=awa")).await.unwrap();
    wait_for(&b, "awa@example.org").await;
    screenshot(&b, "admin-people").await;
    b.find(Locator::LinkText("Awa Mensah"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "Historique").await;
    screenshot(&b, "admin-person").await;
    b.set_window_size(390, 844).await.unwrap();

    // The e-mail as a mail client shows it, then its unsubscribe page.
    let mail = app.last_email_to("awa@example.org").await;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("email-update.html");
    std::fs::write(&file, &mail.html).unwrap();
    b.goto(&format!("file://{}", file.display())).await.unwrap();
    screenshot(&b, "email-update").await;
    let unsubscribe = link_in(&mail, &app.url("/u/"));
    b.goto(&unsubscribe).await.unwrap();
    wait_for(&b, "Me désabonner").await;
    screenshot(&b, "unsubscribe").await;
    b.find(Locator::Css("form.card button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "vous ne recevrez plus ces messages").await;
    screenshot(&b, "unsubscribed").await;
    b.close().await.unwrap();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_donor_gives_from_a_phone_and_finds_the_receipt_in_their_space() {
    let Some((_driver, b)) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    let access = app.store.operator_access("amis").await.unwrap();
    let settings = relais_core::settings::SettingsInput {
        name: "Les Amis du Puits".into(),
        slug: "amis".into(),
        contact_email: "contact@amis.example".into(),
        primary_color: "#1d4ed8".into(),
        accent_color: "#9a3412".into(),
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
    let campaign = relais_core::gift::CampaignInput {
        title: "Un puits pour Kpalimé".into(),
        slug: "puits".into(),
        body: "Le forage coûte **12 000 €**.".into(),
        goal: "12000".into(),
        amounts: "20, 50, 100".into(),
        once: "on".into(),
        monthly: "on".into(),
        thanks: "Grâce à vous, 450 familles auront de l’eau.".into(),
    }
    .parse()
    .unwrap();
    app.store.create_campaign(&access, &campaign, true, 0).await.unwrap();

    b.goto(&app.url("/d/puits")).await.unwrap();
    wait_for(&b, "Un puits pour Kpalimé").await;
    screenshot(&b, "donate").await;
    // The middle amount is chosen already; the donor fills in who they are.
    for (id, value) in [
        ("first_name", "Jeanne"),
        ("last_name", "Martin"),
        ("email", "jeanne@example.org"),
        ("address", "12 rue des Lilas"),
        ("postcode", "69001"),
        ("city", "Lyon"),
    ] {
        b.find(Locator::Id(id)).await.unwrap().send_keys(value).await.unwrap();
    }
    b.find(Locator::Css(".sign-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "Paiement de démonstration").await;
    screenshot(&b, "donate-sandbox").await;
    b.find(Locator::XPath("//input[@value='paid']/../button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "Merci pour votre don").await;
    screenshot(&b, "donate-thanks").await;

    let mail = app.last_email_to("jeanne@example.org").await;
    b.goto(&link_in(&mail, &app.url("/me/"))).await.unwrap();
    let html = wait_for(&b, "Mes dons").await;
    assert!(html.contains("50,00") && html.contains("Télécharger le reçu"), "{html}");
    screenshot(&b, "me").await;
    b.close().await.unwrap();
    app.stop().await;
}

/// Takes a screenshot of the whole page at `width` CSS pixels.
async fn full_page(client: &Client, name: &str, width: u32) {
    client.set_window_size(width, 900).await.unwrap();
    let height = client
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap_or(900);
    let height = u32::try_from(height.clamp(600, 6000)).unwrap_or(900);
    client.set_window_size(width, height).await.unwrap();
    screenshot(client, name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gifts_story_reaches_the_donor_from_the_project_it_funded() {
    use relais_core::money::Money;
    use relais_store::{AllocationCriteria, NewAllocation, NewProjectUpdate};
    let Some((_driver, b)) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let login = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    let access = app.store.operator_access("amis").await.unwrap();
    let project = |title: &str, slug: &str, place: &str, lat: &str, lon: &str| relais_core::project::ProjectInput {
        title: title.into(),
        slug: slug.into(),
        body: "Un forage de 40 mètres pour l’école du village.".into(),
        budget: "12000".into(),
        place_label: place.into(),
        latitude: lat.into(),
        longitude: lon.into(),
        ..Default::default()
    };
    let mut ids = Vec::new();
    for (title, slug, place, lat, lon) in [
        ("Puits de Kpalimé", "puits", "Kpalimé, Togo", "6.9", "0.63"),
        ("École de Sokodé", "ecole", "Sokodé, Togo", "8.98", "1.13"),
    ] {
        let draft = project(title, slug, place, lat, lon).parse().unwrap();
        let p = app.store.create_project(&access, &draft, None, 0).await.unwrap();
        app.store.publish_project(&access, p.id, true, 0).await.unwrap();
        ids.push(p.id);
    }
    let (well, school) = (ids[0], ids[1]);
    let mut restricted = relais_core::gift::CampaignInput {
        title: "Un puits pour Kpalimé".into(),
        slug: "puits".into(),
        amounts: "20, 50, 100".into(),
        once: "on".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    restricted.project_id = Some(well);
    app.store.create_campaign(&access, &restricted, true, 0).await.unwrap();
    let general = relais_core::gift::CampaignInput {
        title: "Soutenir l’association".into(),
        slug: "soutenir".into(),
        amounts: "20, 50, 100".into(),
        once: "on".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    app.store.create_campaign(&access, &general, true, 0).await.unwrap();

    // She gives twice from her phone: for the well, and to the association.
    let give = |slug: &'static str| {
        let b = b.clone();
        let url = app.url(&format!("/d/{slug}"));
        async move {
            b.goto(&url).await.unwrap();
            wait_for(&b, "Faire un don").await;
            for (id, value) in [
                ("first_name", "Jeanne"),
                ("last_name", "Martin"),
                ("email", "jeanne@example.org"),
            ] {
                let field = b.find(Locator::Id(id)).await.unwrap();
                field.clear().await.unwrap();
                field.send_keys(value).await.unwrap();
            }
            b.find(Locator::Css(".sign-form button[type=submit]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            wait_for(&b, "Paiement de démonstration").await;
            b.find(Locator::XPath("//input[@value='paid']/../button"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            wait_for(&b, "Merci pour votre don").await;
        }
    };
    give("puits").await;
    give("soutenir").await;

    // Staff allocate part of the free gift to the school; the well's news arrives.
    let now = jiff::Timestamp::now().as_second();
    let allocation = NewAllocation {
        amount: Money::from_cents(2_000),
        label: "Dons de la semaine",
        criteria: AllocationCriteria {
            from: now - 86_400,
            until: now + 86_400,
            campaign_id: None,
        },
    };
    app.store
        .allocate(&access, school, &allocation, None, now)
        .await
        .unwrap()
        .unwrap();
    let figures = [relais_core::project::Figure {
        label: "litres d’eau par jour".into(),
        value: 3_000,
        unit: String::new(),
    }];
    let news = NewProjectUpdate {
        body: "Le forage a atteint la nappe à **38 mètres** : l’eau coule.",
        photo: None,
        stage: Some(relais_core::project::Stage::UnderWay),
        figures: Some(&figures),
        tell: false,
    };
    app.store
        .add_project_update(&access, well, &news, None, now + 1)
        .await
        .unwrap();

    // Her space tells the story of each gift, in words, with the map.
    let mail = app.last_email_to("jeanne@example.org").await;
    b.goto(&link_in(&mail, &app.url("/me/"))).await.unwrap();
    // The browser writes no-break spaces back as entities.
    let html = wait_for(&b, "Où est allé votre argent")
        .await
        .replace("&nbsp;", "\u{a0}");
    for expected in [
        "La totalité pour <a href=\"/projects/puits\">Puits de Kpalimé</a>",
        "20,00\u{a0}€ pour <a href=\"/projects/ecole\">École de Sokodé</a>",
        "Ce qui s’est passé depuis",
        "Nouvelle étape\u{a0}: En cours",
        "Le forage a atteint la nappe à 38 mètres",
        "3\u{202f}000 litres d’eau par jour",
    ] {
        assert!(html.contains(expected), "{expected:?} missing in {html}");
    }
    let map = b.find(Locator::Css("svg.map")).await.unwrap();
    assert_eq!(map.attr("role").await.unwrap().as_deref(), Some("img"));
    let places = b.find_all(Locator::Css("ol.places li")).await.unwrap();
    assert_eq!(places.len(), 2);
    full_page(&b, "me-story-phone", 390).await;
    full_page(&b, "me-story-desktop", 1280).await;

    // From her story to the project's page, which shows where it is.
    b.set_window_size(390, 844).await.unwrap();
    b.find(Locator::Css("ol.places a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "Où se trouve le projet").await;
    assert_eq!(b.current_url().await.unwrap().path(), "/projects/puits");
    full_page(&b, "project-locator", 390).await;

    // Staff read whether told donors come back (an earlier cohort, one told).
    let year = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).year();
    let june = |y: i16| {
        jiff::civil::date(y, 6, 15)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_second()
    };
    let soutenir = app.store.campaign_by_slug("soutenir").await.unwrap().unwrap();
    for (i, (name, y)) in [
        ("ana", year - 2),
        ("ana", year - 1),
        ("bob", year - 2),
        ("cyd", year - 1),
    ]
    .into_iter()
    .enumerate()
    {
        let draft = relais_core::gift::GiftInput {
            amount: "25".into(),
            frequency: "once".into(),
            first_name: name.into(),
            last_name: "Donor".into(),
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
        let reference = format!("old-{i}");
        let gift = relais_store::NewGift {
            campaign: &soutenir,
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
        app.store.start_gift(&gift, june(y)).await.unwrap();
        app.store.complete_gift_at(&reference, june(y), june(y)).await.unwrap();
    }
    b.set_window_size(1280, 900).await.unwrap();
    b.goto(&login).await.unwrap();
    wait_for(&b, "Tableau de bord").await;
    b.goto(&app.url("/admin/projects")).await.unwrap();
    b.find(Locator::Css("a[href='/admin/projects/loop']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "pas la preuve d’une cause").await;
    assert!(b.find(Locator::Css("svg[role=img]")).await.is_ok());
    full_page(&b, "loop-desktop", 1280).await;
    full_page(&b, "loop-phone", 390).await;
    b.close().await.unwrap();
    app.stop().await;
}
