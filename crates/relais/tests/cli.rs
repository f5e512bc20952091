//! The `relais` binary as an operator uses it: exit codes, one-line errors, the
//! demo, the data-folder lock, graceful stop, `kill -9`, and two servers on one
//! PostgreSQL database.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;

const BIN: &str = env!("CARGO_BIN_EXE_relais");

fn relais(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("RELAIS_DATABASE_URL")
        .env_remove("RELAIS_DATA");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run relais")
}

fn assert_one_line_error(out: &Output, code: i32, needle: &str) {
    assert_eq!(out.status.code(), Some(code), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    assert!(
        stderr.starts_with("relais: ") && stderr.contains(needle),
        "{stderr:?} should mention {needle:?}"
    );
}

#[test]
fn bad_usage_and_bad_settings_get_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    assert_one_line_error(&relais(&["--bogus"], &[]), 2, "--bogus");
    assert_one_line_error(&relais(&["serve"], &[("RELAIS_LISTEN", "nowhere")]), 2, "--listen");
    assert_one_line_error(
        &relais(&["migrate"], &[("RELAIS_DATABSE_URL", "x")]),
        2,
        "RELAIS_DATABSE_URL",
    );
    assert_one_line_error(&relais(&["migrate", "--base-url", "ftp://x"], &[]), 2, "--base-url");
    assert_one_line_error(&relais(&["migrate", "--smtp-url", "http://x"], &[]), 2, "--smtp-url");
    assert_one_line_error(
        &relais(
            &[
                "--data", data, "org", "create", "Bad Slug", "--name", "X", "--admin", "a@b.org",
            ],
            &[],
        ),
        2,
        "SLUG",
    );
    assert_one_line_error(
        &relais(
            &[
                "--data", data, "org", "create", "good", "--name", "X", "--admin", "nope",
            ],
            &[],
        ),
        2,
        "--admin",
    );
    let ok = relais(
        &[
            "--data", data, "org", "create", "good", "--name", "X", "--admin", "a@b.org",
        ],
        &[],
    );
    assert!(ok.status.success());
    assert_one_line_error(
        &relais(
            &[
                "--data", data, "org", "create", "good", "--name", "Y", "--admin", "a@b.org",
            ],
            &[],
        ),
        2,
        "already exists",
    );
    let help = relais(&["--help"], &[]);
    assert!(help.status.success() && String::from_utf8_lossy(&help.stdout).contains("RELAIS_DATABASE_URL"));
}

#[test]
fn an_unreachable_database_is_a_clear_runtime_failure_without_its_password() {
    let out = relais(
        &[
            "migrate",
            "--database-url",
            "postgres://relais:hunter2@127.0.0.1:1/relais",
        ],
        &[],
    );
    assert_one_line_error(
        &out,
        1,
        "cannot open the database postgres://relais:***@127.0.0.1:1/relais",
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2"));
}

struct Server {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    /// Every stdout line read so far.
    seen: std::cell::RefCell<Vec<String>>,
    base: String,
}

impl Server {
    fn start(data: &str, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen = format!("127.0.0.1:{port}");
        let mut cmd = Command::new(BIN);
        cmd.args(["--data", data, "--listen", &listen, "serve"])
            .args(extra)
            .env_remove("RELAIS_DATABASE_URL");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let server = Self {
            child,
            lines,
            seen: std::cell::RefCell::default(),
            base: format!("http://{listen}"),
        };
        server.wait_for_line("listening");
        server
    }

    fn wait_for_line(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(line) = self.seen.borrow().iter().find(|l| l.contains(needle)) {
                return line.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no line containing {needle:?} in {:?}",
                self.seen.borrow()
            );
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
                self.seen.borrow_mut().push(line);
            }
        }
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args([signal, &pid]).status().unwrap().success());
    }

    fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn link_from(line: &str) -> String {
    line.split_whitespace()
        .find(|w| w.starts_with("http"))
        .expect("a link on the line")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_prints_a_login_link_refuses_a_second_server_and_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let started = Instant::now();
    let mut server = Server::start(data, &["--demo"], &[]);
    let line = server.wait_for_line("login");
    assert!(started.elapsed() < Duration::from_secs(5), "starts fast");
    let http = client();
    let home = http.get(&server.base).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.text().await.unwrap().contains("Les Amis du Puits"));
    let r = http.get(link_from(&line)).send().await.unwrap();
    assert_eq!((r.status(), location(&r).as_str()), (StatusCode::SEE_OTHER, "/admin"));
    assert_eq!(
        http.get(format!("{}/admin/settings", server.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let petition = http
        .get(format!("{}/p/puits-kpalime", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(petition.status(), StatusCode::OK, "the demo has a published petition");
    let campaign = http.get(format!("{}/d/puits", server.base)).send().await.unwrap();
    assert_eq!(
        campaign.status(),
        StatusCode::OK,
        "the demo has a campaign the sandbox pays"
    );

    // A second server on the same folder is refused with a clear message.
    let second = relais(&["--data", data, "--listen", "127.0.0.1:0", "serve"], &[]);
    assert_one_line_error(&second, 1, "already using the data folder");

    // `org create` works beside the running server, and its link works there.
    // Same settings as the server (an operator exports them once).
    let out = relais(
        &[
            "--data",
            data,
            "--base-url",
            &server.base,
            "org",
            "create",
            "velo",
            "--name",
            "Vélo Cité",
            "--admin",
            "v@velo.example",
        ],
        &[],
    );
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let line = stdout.lines().find(|l| l.contains("login")).expect("login line");
    let other = client();
    let r = other.get(link_from(line)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        other
            .get(format!("{}/admin", server.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("Vélo Cité")
    );

    // A restart does not seed the demo again.
    server.signal("-TERM");
    assert!(server.wait_exit().success(), "SIGTERM is a clean stop");
    let again = Server::start(data, &["--demo"], &[]);
    assert!(
        !again.seen.borrow().iter().any(|l| l.contains("login")),
        "{:?}",
        again.seen.borrow()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_request_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = relais(
        &[
            "--data",
            data,
            "org",
            "create",
            "amis",
            "--name",
            "Amis",
            "--admin",
            "chair@amis.example",
        ],
        &[],
    );
    assert!(out.status.success());
    // No worker: the e-mail stays queued, as if the crash came before delivery.
    let mut server = Server::start(data, &["--no-worker"], &[]);
    let r = client()
        .post(format!("{}/admin/login", server.base))
        .form(&[("email", "chair@amis.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    server.signal("-KILL");
    server.wait_exit();
    let out = relais(&["--data", data, "worker", "--once"], &[]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 message(s) attempted"),
        "{out:?}"
    );
    let emails: Vec<_> = std::fs::read_dir(dir.path().join("outbox/email")).unwrap().collect();
    assert_eq!(
        emails.len(),
        1,
        "the sign-in e-mail was kept and delivered after the crash"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_one_postgresql_database() {
    let Some(db) = relais_store::testing::TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let data = db.dir.path().join("data");
    let data = data.to_str().unwrap();
    let env = [("RELAIS_DATABASE_URL", db.url.as_str())];
    let a = Server::start(data, &[], &env);
    let b = Server::start(data, &[], &env);
    let mut cmd = Command::new(BIN);
    let out = cmd
        .args([
            "--data",
            data,
            "org",
            "create",
            "amis",
            "--name",
            "Amis",
            "--admin",
            "chair@amis.example",
        ])
        .env("RELAIS_DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // A link issued by one process signs in on another.
    let link = link_from(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find(|l| l.contains("login"))
            .unwrap(),
    );
    let link_on_b = link.replacen(&link[..link.find("/admin").unwrap()], &b.base, 1);
    let browser = client();
    assert_eq!(
        browser.get(&link_on_b).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert!(
        browser
            .get(format!("{}/admin", a.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("Amis"),
        "session seen by A"
    );
    // Both workers run; each message is delivered once.
    for server in [&a, &b, &a] {
        client()
            .post(format!("{}/admin/login", server.base))
            .form(&[("email", "chair@amis.example")])
            .send()
            .await
            .unwrap();
    }
    let outbox = db.dir.path().join("data/outbox/email");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut n = 0;
    while Instant::now() < deadline {
        n = std::fs::read_dir(&outbox).map(|d| d.count()).unwrap_or(0);
        if n >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        std::fs::read_dir(&outbox).unwrap().count(),
        3,
        "three requests, three e-mails (saw {n})"
    );
    drop((a, b));
    db.drop_database().await;
}
