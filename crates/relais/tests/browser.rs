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

struct Driver(Child);

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
    let driver = Driver(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let profile = std::env::temp_dir().join(format!("relais-chromium-{port}"));
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
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("chromedriver session");
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
