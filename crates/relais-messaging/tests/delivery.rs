//! Delivery through real channels: files, a real SMTP server on loopback
//! (Python's aiosmtpd), and an HTTP SMS provider served locally.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use relais_messaging::{Deliverer, DeliveryConfig, Worker};
use relais_store::{Channel, DynStore, NewMessage, OutboxStatus, Payload};

const NOW: i64 = 1_700_000_000;

async fn store(dir: &Path) -> DynStore {
    relais_store::open(&format!("sqlite://{}", dir.join("t.db").display()))
        .await
        .expect("open")
}

fn config(dir: &Path) -> DeliveryConfig {
    DeliveryConfig {
        data_dir: dir.to_path_buf(),
        smtp_url: None,
        sms_url: None,
        from_address: "relais@asso.example".into(),
    }
}

fn email(key: &str, to: &str) -> NewMessage {
    NewMessage {
        org_id: None,
        channel: Channel::Email,
        recipient: to.into(),
        payload: Payload {
            subject: "Votre lien de connexion".into(),
            text: "Bonjour, voici le lien : https://relais.example/x".into(),
            html: Some("<p>Bonjour, voici <a href=\"https://relais.example/x\">le lien</a></p>".into()),
            from_name: Some("Les Amis du Puits".into()),
            reply_to: Some("contact@amis.example".into()),
            ..Default::default()
        },
        idempotency_key: key.into(),
    }
}

fn sms(key: &str) -> NewMessage {
    NewMessage {
        org_id: None,
        channel: Channel::Sms,
        recipient: "+33612345678".into(),
        payload: Payload {
            subject: String::new(),
            text: "Merci !".into(),
            html: None,
            from_name: Some("AMIS".into()),
            reply_to: None,
            ..Default::default()
        },
        idempotency_key: key.into(),
    }
}

fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.expect("entry").path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[tokio::test]
async fn without_smtp_each_email_is_one_mime_file_and_each_sms_a_text_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    store.enqueue(&email("e1", "marie@example.org"), NOW).await.unwrap();
    store.enqueue(&sms("s1"), NOW).await.unwrap();
    let worker = Worker::new(store.clone(), Arc::new(Deliverer::new(&config(dir.path())).unwrap()));
    assert_eq!(worker.drain().await.unwrap(), 2);
    let emails = files_in(&dir.path().join("outbox/email"));
    assert_eq!(emails.len(), 1);
    let eml = std::fs::read_to_string(&emails[0]).unwrap();
    assert!(eml.contains("To: marie@example.org"), "{eml}");
    assert!(
        eml.contains("From: \"Les Amis du Puits\" <relais@asso.example>"),
        "{eml}"
    );
    assert!(eml.contains("Reply-To: contact@amis.example"), "{eml}");
    assert!(eml.contains("Message-ID: <"), "{eml}");
    assert!(eml.contains("multipart/alternative"), "{eml}");
    assert!(eml.contains("Content-Type: text/html"), "{eml}");
    let texts = files_in(&dir.path().join("outbox/sms"));
    assert_eq!(
        std::fs::read_to_string(&texts[0]).unwrap(),
        "To: +33612345678\nFrom: AMIS\n\nMerci !\n"
    );
    assert_eq!(
        store.message_by_key("e1").await.unwrap().unwrap().status,
        OutboxStatus::Sent
    );
    assert_eq!(worker.drain().await.unwrap(), 0, "nothing sent twice");
}

#[tokio::test]
async fn an_invalid_recipient_is_dead_lettered_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    store.enqueue(&email("bad", "not an address"), NOW).await.unwrap();
    let worker = Worker::new(store.clone(), Arc::new(Deliverer::new(&config(dir.path())).unwrap()));
    worker.drain().await.unwrap();
    let m = store.message_by_key("bad").await.unwrap().unwrap();
    assert_eq!(m.status, OutboxStatus::Dead);
    assert!(m.last_error.unwrap().contains("recipient"));
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn an_unreachable_smtp_server_means_retry_later_not_loss() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    store.enqueue(&email("later", "marie@example.org"), NOW).await.unwrap();
    let config = DeliveryConfig {
        smtp_url: Some(format!("smtp://127.0.0.1:{}", free_port())),
        ..config(dir.path())
    };
    let worker = Worker::new(store.clone(), Arc::new(Deliverer::new(&config).unwrap()));
    assert_eq!(worker.drain().await.unwrap(), 1);
    let m = store.message_by_key("later").await.unwrap().unwrap();
    assert_eq!((m.status, m.attempts), (OutboxStatus::Pending, 1));
    assert!(m.last_error.is_some());
}

/// Starts aiosmtpd writing to a maildir; `None` (and a loud message) when Python's
/// aiosmtpd is missing, unless `RELAIS_REQUIRE_SMTP=1` (CI), where that fails.
fn start_smtp(maildir: &Path) -> Option<(std::process::Child, u16)> {
    let port = free_port();
    let child = std::process::Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(maildir)
        .stderr(std::process::Stdio::null())
        .spawn();
    let available = std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !available || child.is_err() {
        if let Ok(mut c) = child {
            c.kill().ok();
        }
        if std::env::var("RELAIS_REQUIRE_SMTP").as_deref() == Ok("1") {
            panic!("RELAIS_REQUIRE_SMTP=1 but python3 -m aiosmtpd is not available");
        }
        eprintln!("!!! SKIPPED: SMTP test (pip install aiosmtpd to run it)");
        return None;
    }
    let child = child.ok()?;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((child, port));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("aiosmtpd did not start on port {port}");
}

#[tokio::test]
async fn emails_reach_a_real_smtp_server() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let Some((mut server, port)) = start_smtp(&maildir) else {
        return;
    };
    let store = store(dir.path()).await;
    store.enqueue(&email("smtp-1", "marie@example.org"), NOW).await.unwrap();
    let config = DeliveryConfig {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        ..config(dir.path())
    };
    let worker = Worker::new(store.clone(), Arc::new(Deliverer::new(&config).unwrap()));
    worker.drain().await.unwrap();
    server.kill().ok();
    assert_eq!(
        store.message_by_key("smtp-1").await.unwrap().unwrap().status,
        OutboxStatus::Sent
    );
    let delivered = files_in(&maildir.join("new"));
    assert_eq!(delivered.len(), 1);
    let raw = std::fs::read_to_string(&delivered[0]).unwrap();
    assert!(raw.contains("Subject: Votre lien de connexion"), "{raw}");
    assert!(raw.contains("https://relais.example/x"), "{raw}");
}

type Seen = Arc<Mutex<Vec<(Option<String>, serde_json::Value)>>>;

/// A local SMS provider: answers the statuses in `script` in turn, then 200.
async fn sms_provider(script: Vec<u16>) -> (String, Seen) {
    use axum::http::{HeaderMap, StatusCode};
    let seen: Seen = Arc::default();
    let script = Arc::new(Mutex::new(script.into_iter()));
    let seen2 = seen.clone();
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |headers: HeaderMap, body: axum::Json<serde_json::Value>| {
            let seen = seen2.clone();
            let script = script.clone();
            async move {
                let key = headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                seen.lock().unwrap().push((key, body.0));
                let code = script.lock().unwrap().next().unwrap_or(200);
                StatusCode::from_u16(code).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[tokio::test]
async fn sms_go_to_the_http_provider_with_retries_on_server_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let (url, seen) = sms_provider(vec![503, 400]).await;
    store.enqueue(&sms("sms-1"), NOW).await.unwrap();
    let config = DeliveryConfig {
        sms_url: Some(url),
        ..config(dir.path())
    };
    let worker = Worker::new(store.clone(), Arc::new(Deliverer::new(&config).unwrap()));
    worker.drain().await.unwrap();
    let m = store.message_by_key("sms-1").await.unwrap().unwrap();
    assert_eq!(m.status, OutboxStatus::Pending, "503 is retried");
    assert!(m.last_error.unwrap().contains("503"));
    store.enqueue(&sms("sms-2"), NOW).await.unwrap();
    worker.drain().await.unwrap();
    assert_eq!(
        store.message_by_key("sms-2").await.unwrap().unwrap().status,
        OutboxStatus::Dead,
        "400 is permanent"
    );
    store.enqueue(&sms("sms-3"), NOW).await.unwrap();
    worker.drain().await.unwrap();
    assert_eq!(
        store.message_by_key("sms-3").await.unwrap().unwrap().status,
        OutboxStatus::Sent
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2].0.as_deref(), Some("sms-3"));
    assert_eq!(
        seen[2].1,
        serde_json::json!({"to": "+33612345678", "text": "Merci !", "sender": "AMIS"})
    );
}
