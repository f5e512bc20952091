//! The test harness: the real app, started through `relais::launch` on a random
//! port with a fresh database, and a browser-like HTTP client (cookies, no
//! automatic redirects, so each hop is checked).
#![allow(dead_code)]

use std::path::PathBuf;

use relais::{ServeOptions, Settings};
use relais_messaging::Worker;
use relais_store::DynStore;
pub use relais_store::testing::Backend;
use relais_store::testing::TestDatabase;
use reqwest::StatusCode;
use secrecy::SecretString;
use tokio::sync::oneshot;

pub struct TestApp {
    pub base: String,
    pub data: PathBuf,
    pub settings: Settings,
    pub client: reqwest::Client,
    pub store: DynStore,
    pub worker: Worker,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<Result<(), relais::RunError>>>,
    db: Option<TestDatabase>,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub fn settings_for(data: PathBuf, db_url: &str, port: u16) -> Settings {
    Settings {
        data,
        listen: format!("127.0.0.1:{port}").parse().expect("addr"),
        database_url: Some(SecretString::from(db_url.to_owned())),
        base_url: None,
        trusted_proxies: vec![],
        smtp_url: None,
        sms_url: None,
        email_from: None,
        signature_expiry_days: 14,
        bulk_per_second: relais_messaging::DEFAULT_BULK_PER_SECOND,
        stripe_api_url: "https://api.stripe.com".parse().expect("url"),
        sandbox_payments: true,
        tip_operator: None,
        log: "warn".into(),
        log_format: "text".into(),
    }
}

impl TestApp {
    /// Starts Relais; `None` when the backend is not available here (PostgreSQL
    /// without `RELAIS_TEST_DATABASE_URL`).
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts Relais with adjusted settings.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Option<Self> {
        let db = TestDatabase::create(backend).await?;
        let data = db.dir.path().join("data");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut settings = settings_for(data.clone(), &db.url, port);
        adjust(&mut settings);
        let (stop, stopped) = oneshot::channel::<()>();
        // Deliveries are drained by the test itself (`drain`), never by sleeping.
        let options = ServeOptions {
            demo: false,
            worker: false,
        };
        let server = tokio::spawn(relais::launch(listener, settings.clone(), options, async move {
            let _ = stopped.await;
        }));
        let base = format!("http://127.0.0.1:{port}");
        let c = client();
        for _ in 0..200 {
            if c.get(format!("{base}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == StatusCode::OK)
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let store = relais_store::open(&db.url)
            .await
            .expect("second handle on the test database");
        let worker = relais::worker_for(&settings, &store).expect("worker");
        Some(Self {
            base,
            data,
            settings,
            client: c,
            store,
            worker,
            stop: Some(stop),
            server: Some(server),
            db: Some(db),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(path)).form(form).send().await.expect("POST")
    }

    /// Delivers everything due, as the worker would.
    pub async fn drain(&self) {
        self.worker.drain().await.expect("drain outbox");
    }

    /// The `.eml` files written so far, oldest first, parsed as a mail client would.
    pub fn emails(&self) -> Vec<Email> {
        let dir = self.data.join("outbox/email");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.map(|e| e.expect("entry").path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|f| Email::parse(&std::fs::read(f).expect("read eml")))
            .collect()
    }

    /// Delivers the outbox and returns the last e-mail sent to `to`.
    pub async fn last_email_to(&self, to: &str) -> Email {
        self.drain().await;
        self.emails()
            .into_iter()
            .rev()
            .find(|e| e.to == to)
            .unwrap_or_else(|| panic!("no e-mail to {to}"))
    }

    /// Creates an association as the operator would (`relais org create`) and
    /// returns the printed login link.
    pub async fn create_org(&self, slug: &str, name: &str, admin: &str) -> String {
        relais::create_org(&self.settings, slug, name, admin)
            .await
            .expect("create org")
    }

    /// Signs this app's client in by following a link.
    pub async fn follow_login_link(&self, link: &str) {
        let r = self.client.get(link).send().await.expect("GET link");
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login link should redirect");
        assert_eq!(location(&r), "/admin");
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server ran cleanly");
        }
        self.store.close().await;
        if let Some(db) = self.db.take() {
            db.drop_database().await;
        }
    }
}

/// An e-mail as its recipient sees it: headers and bodies decoded.
#[derive(Debug, Clone)]
pub struct Email {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub raw: String,
    /// `(content type, bytes)` of each attached file.
    pub attachments: Vec<(String, Vec<u8>)>,
}

impl Email {
    pub fn parse(bytes: &[u8]) -> Self {
        use mailparse::MailHeaderMap;
        let mail = mailparse::parse_mail(bytes).expect("a valid MIME message");
        let header = |name: &str| mail.headers.get_first_value(name).unwrap_or_default();
        let mut text = String::new();
        let mut html = String::new();
        // Leaves of the MIME tree: mixed (message + attachments) holds alternative.
        fn leaves<'a>(m: &'a mailparse::ParsedMail<'a>, out: &mut Vec<&'a mailparse::ParsedMail<'a>>) {
            if m.subparts.is_empty() {
                out.push(m);
            }
            for p in &m.subparts {
                leaves(p, out);
            }
        }
        let mut parts = Vec::new();
        leaves(&mail, &mut parts);
        let mut attachments = Vec::new();
        for part in parts {
            match part.ctype.mimetype.as_str() {
                "text/plain" => text = part.get_body().expect("decodable body"),
                "text/html" => html = part.get_body().expect("decodable body"),
                other => attachments.push((other.to_owned(), part.get_body_raw().expect("decodable file"))),
            }
        }
        Self {
            from: header("From"),
            to: header("To"),
            subject: header("Subject"),
            text,
            html,
            raw: String::from_utf8_lossy(bytes).into_owned(),
            attachments,
        }
    }
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The first link in an e-mail's text part that starts with `prefix`.
pub fn link_in(email: &Email, prefix: &str) -> String {
    let text = &email.text;
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no link starting with {prefix} in:\n{text}"));
    text[start..]
        .split(char::is_whitespace)
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The value of the hidden `name` field in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no hidden field {name}")) + marker.len();
    html[start..].split('"').next().unwrap_or_default().to_owned()
}

/// Runs the story `async fn $name(app: &TestApp)` on a fresh app for each
/// backend, as the tests `$name::sqlite` and `$name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = TestApp::spawn(Backend::Sqlite).await {
                    super::$name(&app).await;
                    app.stop().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = TestApp::spawn(Backend::Postgres).await {
                    super::$name(&app).await;
                    app.stop().await;
                }
            }
        }
    };
}

/// An association eligible for receipts, signed in, with a campaign taking
/// one-off and monthly gifts.
pub async fn charity(app: &TestApp) {
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
    let csrf = hidden(&app.get("/admin/campaigns").await.text().await.unwrap(), "csrf");
    let r = app
        .post(
            "/admin/campaigns",
            &[
                ("csrf", csrf.as_str()),
                ("title", "Un puits pour Kpalimé"),
                ("slug", "puits"),
                ("amounts", "20, 50, 100"),
                ("once", "on"),
                ("monthly", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
