//! `relais-bench`: drives the real Relais server over HTTP and prints one JSON object
//! of figures per run. Each scenario starts its own server (release binary, a fresh
//! data folder, a free loopback port), sets up an association and a published
//! petition through the same flow staff use, loads it, checks what was stored, and
//! stops the server. Only 127.0.0.1 is ever contacted.
//!
//! Exit codes: 0 figures printed and every correctness check held; 3 figures printed
//! but a check failed (a lost or uncounted signature, a wrong receipt, a 5xx, an unclean stop);
//! 1 the run could not be carried out.

mod broadcast;
mod http;
mod impact;
mod import;
mod load;
mod me;
mod messages;
mod people;
mod receipts;
mod server;
mod setup;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};

use crate::load::{Plan, Work};
use crate::server::{CpuMark, Server, Spec, round2, status_mib};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Time allowed for a clean stop after SIGTERM.
pub(crate) const STOP_GRACE: Duration = Duration::from_secs(30);
/// The worker is deemed idle when no e-mail file appears for this long.
const DRAIN_IDLE: Duration = Duration::from_secs(15);

#[derive(Parser)]
#[command(
    name = "relais-bench",
    about = "Load the real Relais server over HTTP and print JSON figures"
)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Args, Clone)]
pub(crate) struct Common {
    /// Simulated clients, each on its own kept-alive connection.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Run the server on PostgreSQL at this URL (a database made for the bench) instead of SQLite.
    #[arg(long)]
    database_url: Option<String>,
    /// The relais binary [default: `relais` beside this program, i.e. target/release/relais].
    #[arg(long)]
    server: Option<PathBuf>,
    /// Threads of the load generator (it shares the machine with the server it measures).
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// Keep the run's folder (data, server log) instead of deleting it; its path is printed.
    #[arg(long)]
    keep: bool,
    /// Before the load, wait up to this many seconds for the machine to be nearly idle
    /// (other work on the shared cores would skew the figures); 0 to start at once.
    #[arg(long, default_value_t = 120)]
    quiet_wait: u64,
    /// Free text copied into the JSON (e.g. which commit the server binary was built from).
    #[arg(long)]
    note: Option<String>,
}

#[derive(Subcommand)]
enum Scenario {
    /// New signers as fast as the server takes them; checks every 201 is counted.
    Sign {
        /// Seconds of load.
        #[arg(long, default_value_t = 60)]
        duration: u64,
        /// Stop once this many signatures were accepted (e.g. 1000000 for the memory figure).
        #[arg(long)]
        max_signatures: Option<u64>,
        /// Longest wait, after the load, for the worker to write the remaining e-mails.
        #[arg(long, default_value_t = 120)]
        drain_timeout: u64,
        #[command(flatten)]
        common: Common,
    },
    /// Petition page views (`GET /p/{slug}`).
    Views {
        /// Seconds of load.
        #[arg(long, default_value_t = 30)]
        duration: u64,
        /// Signatures made before the views, so the page shows a live count.
        #[arg(long, default_value_t = 1000)]
        prefill: u64,
        #[command(flatten)]
        common: Common,
    },
    /// A post to N signers (seeded in the database) while the petition is being
    /// signed: time to enqueue every message, and signing throughput alone and during.
    Broadcast {
        /// Confirmed signers who agreed to updates.
        #[arg(long, default_value_t = 1_000_000)]
        signers: i64,
        /// Seconds of signing load, alone then during the fan-out.
        #[arg(long, default_value_t = 30)]
        duration: u64,
        /// Post nothing: the same three phases of signing, to tell what the broadcast
        /// costs from what a longer run on a growing database costs anyway.
        #[arg(long)]
        control: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Signing load with `kill -9` of the server midway, a restart on the same data,
    /// then a check that every acknowledged signature is still there.
    Crash {
        /// Seconds of load, across the crash.
        #[arg(long, default_value_t = 20)]
        duration: u64,
        /// Seconds into the load at which the server is killed [default: half the duration].
        #[arg(long)]
        kill_at: Option<f64>,
        /// Longest wait, after the checks, for the worker to write the remaining e-mails.
        #[arg(long, default_value_t = 60)]
        drain_timeout: u64,
        #[command(flatten)]
        common: Common,
    },
    /// A project's news told to N contributors (seeded in the database): time of the
    /// request that enqueues one personal message per contributor.
    Impact {
        /// Contributors of the project (gifts restricted to it), most of whom asked to be told.
        #[arg(long, default_value_t = 100_000)]
        contributors: i64,
        #[command(flatten)]
        common: Common,
    },
    /// Annual tax receipts for N donors (seeded in the database): time until the job
    /// has issued every receipt, and until every e-mail with its PDF is written.
    Receipts {
        /// Donors, each with paid gifts of last year that asked for a receipt.
        #[arg(long, default_value_t = 10_000)]
        donors: i64,
        /// Paid gifts of each donor, all on one annual receipt.
        #[arg(long, default_value_t = 3)]
        gifts_per_donor: i64,
        /// Longest wait, from the start of the job, for every e-mail.
        #[arg(long, default_value_t = 900)]
        timeout: u64,
        #[command(flatten)]
        common: Common,
    },
    /// The people list of an association with N supporters (seeded in the database):
    /// time of `GET /admin/people` for each kind of filter, its count checked.
    People {
        /// Supporters, with tags, signatures, consents and gifts.
        #[arg(long, default_value_t = 1_000_000)]
        supporters: i64,
        #[command(flatten)]
        common: Common,
    },
    /// A message to the supporters of an association who agreed to its newsletter
    /// (N supporters seeded in the database): time of the confirmation page that counts
    /// them, and of the fan-out until every copy is in the outbox.
    Messages {
        /// Supporters of the association (about 80 % of them agreed).
        #[arg(long, default_value_t = 100_000)]
        recipients: i64,
        #[command(flatten)]
        common: Common,
    },
    /// A CSV of N supporters imported as staff do it (upload, mapping, validation of
    /// the whole file, confirmation): time of each step until the import is done.
    Import {
        /// Rows of the file (one bad address and one duplicate in every 10,000).
        #[arg(long, default_value_t = 1_000_000)]
        rows: i64,
        #[command(flatten)]
        common: Common,
    },
    /// A person's `/me` page with N contributions (gifts with allocations and project
    /// news, signatures with posts): latency of the page, one request after another.
    Me {
        /// Gifts plus signatures of the person.
        #[arg(long, default_value_t = 500)]
        actions: i64,
        /// How many of the actions are signatures (one petition each).
        #[arg(long, default_value_t = 100)]
        signatures: i64,
        /// Requests measured (after a warm-up).
        #[arg(long, default_value_t = 200)]
        requests: usize,
        #[command(flatten)]
        common: Common,
    },
}

impl Scenario {
    fn common(&self) -> &Common {
        match self {
            Self::Sign { common, .. }
            | Self::Views { common, .. }
            | Self::Crash { common, .. }
            | Self::Broadcast { common, .. }
            | Self::Receipts { common, .. }
            | Self::People { common, .. }
            | Self::Impact { common, .. }
            | Self::Messages { common, .. }
            | Self::Import { common, .. }
            | Self::Me { common, .. } => common,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let threads = cli.scenario.common().client_threads.max(1);
    // One thread by default: the generator should take as little as possible from
    // the two cores the server needs; `generator_pct_of_one_core` shows if it saturates.
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("relais-bench: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli.scenario)) {
        Ok((figures, passed)) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&figures).unwrap_or_else(|_| figures.to_string())
            );
            if passed { ExitCode::SUCCESS } else { ExitCode::from(3) }
        }
        Err(e) => {
            eprintln!("relais-bench: {e}");
            ExitCode::from(1)
        }
    }
}

/// A run's folder, server settings and identity.
pub(crate) struct Bench {
    spec: Spec,
    tag: String,
    dir: tempfile::TempDir,
    common: Common,
}

impl Bench {
    fn new(common: &Common) -> Result<Self, BoxError> {
        let bin = match &common.server {
            Some(p) => p.clone(),
            None => std::env::current_exe()?
                .parent()
                .ok_or("no folder for the bench executable")?
                .join("relais"),
        };
        if !bin.is_file() {
            return Err(format!(
                "no server binary at {} (build it: cargo build --release -p relais, or pass --server)",
                bin.display()
            )
            .into());
        }
        let dir = tempfile::Builder::new().prefix("relais-bench-").tempdir()?;
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis();
        Ok(Self {
            spec: Spec {
                bin,
                data: dir.path().join("data"),
                log: dir.path().join("server.log"),
                addr: server::free_addr()?,
                database_url: common.database_url.clone(),
            },
            // Slugs and e-mails carry it, so runs sharing a PostgreSQL database never collide.
            tag: format!("{millis:x}"),
            dir,
            common: common.clone(),
        })
    }

    fn plan(&self, slug: &str, work: Work, duration: Duration, max_accepted: Option<u64>) -> Plan {
        Plan {
            addr: self.spec.addr,
            slug: slug.to_owned(),
            tag: self.tag.clone(),
            connections: self.common.connections,
            duration,
            max_accepted,
            work,
            successes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The fields every report starts with.
    fn header(&self, scenario: &str) -> serde_json::Map<String, Value> {
        let cmd = |program: &str, args: &[&str]| {
            std::process::Command::new(program)
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        };
        let mut m = serde_json::Map::new();
        m.insert("scenario".into(), scenario.into());
        m.insert(
            "backend".into(),
            if self.common.database_url.is_some() {
                "postgresql"
            } else {
                "sqlite"
            }
            .into(),
        );
        m.insert("date".into(), cmd("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]).into());
        m.insert("commit".into(), cmd("git", &["rev-parse", "--short", "HEAD"]).into());
        m.insert(
            "tree_dirty".into(),
            cmd("git", &["status", "--porcelain", "--untracked-files=no"])
                .map(|s| !s.is_empty())
                .into(),
        );
        m.insert("note".into(), self.common.note.clone().into());
        m.insert("server_binary".into(), self.spec.bin.display().to_string().into());
        m.insert("connections".into(), self.common.connections.into());
        m.insert("client_threads".into(), self.common.client_threads.max(1).into());
        m
    }

    /// Deletes the run's folder, or keeps it and says where.
    fn finish(self) {
        if self.common.keep {
            let path = self.dir.keep();
            eprintln!("relais-bench: run folder kept at {}", path.display());
        }
    }
}

async fn run(scenario: Scenario) -> Result<(Value, bool), BoxError> {
    match scenario {
        Scenario::Sign {
            duration,
            max_signatures,
            drain_timeout,
            common,
        } => sign(&common, duration, max_signatures, drain_timeout).await,
        Scenario::Views {
            duration,
            prefill,
            common,
        } => views(&common, duration, prefill).await,
        Scenario::Crash {
            duration,
            kill_at,
            drain_timeout,
            common,
        } => crash(&common, duration, kill_at, drain_timeout).await,
        Scenario::Broadcast {
            signers,
            duration,
            control,
            common,
        } => broadcast::broadcast(&common, signers, duration, control).await,
        Scenario::Receipts {
            donors,
            gifts_per_donor,
            timeout,
            common,
        } => receipts::receipts(&common, donors, gifts_per_donor, timeout).await,
        Scenario::People { supporters, common } => people::people(&common, supporters).await,
        Scenario::Import { rows, common } => import::import(&common, rows).await,
        Scenario::Impact { contributors, common } => impact::impact(&common, contributors).await,
        Scenario::Messages { recipients, common } => messages::messages(&common, recipients).await,
        Scenario::Me {
            actions,
            signatures,
            requests,
            common,
        } => me::me(&common, actions, signatures, requests).await,
    }
}

/// Starts the server and publishes the petition; returns both.
async fn start(bench: &Bench) -> Result<(Server, String), BoxError> {
    eprintln!(
        "relais-bench: starting {} on {} ({})",
        bench.spec.bin.display(),
        bench.spec.addr,
        if bench.common.database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    let server = bench.spec.start().await?;
    let slug = setup::published_petition(&bench.spec, &bench.tag).await?;
    eprintln!("relais-bench: petition /p/{slug} published");
    Ok((server, slug))
}

/// Waits (bounded by `--quiet-wait`) until the machine's CPU use over one second is
/// below a third of a core; returns the last measured use and the seconds waited.
pub(crate) async fn wait_quiet(common: &Common) -> Value {
    let start = Instant::now();
    let mut busy_pct = None;
    let mut rounds = 0u32;
    while let Some((b0, _)) = server::machine_seconds() {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Some((b1, _)) = server::machine_seconds() else {
            break;
        };
        let pct = round2((b1 - b0) * 100.0);
        busy_pct = Some(pct);
        if pct < 33.0 || start.elapsed() >= Duration::from_secs(common.quiet_wait) {
            break;
        }
        rounds += 1;
        if rounds % 10 == 1 {
            eprintln!("relais-bench: machine busy ({pct}% of one core), waiting for it to calm down");
        }
    }
    json!({"busy_pct_of_one_core_before_load": busy_pct, "waited_s": round2(start.elapsed().as_secs_f64())})
}

/// Runs a load phase, printing progress on stderr every five seconds.
pub(crate) async fn run_load(label: &str, plan: Plan) -> load::Outcome {
    let successes = plan.successes.clone();
    let label = label.to_owned();
    let ticker = tokio::spawn(async move {
        let start = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        tick.tick().await;
        loop {
            tick.tick().await;
            eprintln!(
                "relais-bench: {label} {:>4.0}s, {} ok",
                start.elapsed().as_secs_f64(),
                successes.load(Ordering::Relaxed)
            );
        }
    });
    let outcome = load::run(plan).await;
    ticker.abort();
    outcome
}

pub(crate) fn rss(pid: u32) -> Value {
    json!({
        "rss_mib": status_mib(pid, "VmRSS").map(round2),
        "peak_rss_mib": status_mib(pid, "VmHWM").map(round2),
    })
}

fn errors_json(tally: &load::Tally) -> Value {
    json!({
        "request_errors": tally.request_errors,
        "connect_errors": tally.connect_errors,
        "timeouts": tally.timeouts,
        "samples": tally.error_samples,
    })
}

/// Number of `.eml` files the delivery worker wrote.
pub(crate) async fn count_emails(data: &Path) -> u64 {
    let dir = data.join("outbox").join("email");
    tokio::task::spawn_blocking(move || {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                .count() as u64
        })
    })
    .await
    .unwrap_or(0)
}

/// Waits for the worker to write `target` e-mails, or to stop making progress.
async fn drain(data: &Path, target: u64, timeout: Duration) -> (u64, f64) {
    let start = Instant::now();
    let mut last = count_emails(data).await;
    let mut last_change = Instant::now();
    // Bounded by `timeout` and by DRAIN_IDLE without progress.
    while last < target && start.elapsed() < timeout && last_change.elapsed() < DRAIN_IDLE {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let n = count_emails(data).await;
        if n != last {
            last = n;
            last_change = Instant::now();
        }
    }
    (last, round2(start.elapsed().as_secs_f64()))
}

/// Error and warning lines of the server's log, with a few samples.
pub(crate) fn log_summary(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut samples: Vec<String> = Vec::new();
    let (mut errors, mut warnings) = (0u64, 0u64);
    for line in text.lines() {
        let is_error = line.contains("ERROR");
        let is_warn = line.contains("WARN");
        errors += u64::from(is_error);
        warnings += u64::from(is_warn);
        if (is_error || is_warn) && samples.len() < 5 {
            samples.push(strip_ansi(line).chars().take(400).collect());
        }
    }
    json!({"error_lines": errors, "warn_lines": warnings, "samples": samples})
}

/// The line without terminal colour codes (the server colours its log even into a file).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI sequences end with a letter: `ESC [ 2 m`.
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn stop_json(stopped: &server::Stopped) -> Value {
    json!({
        "signal": "SIGTERM",
        "exit_code": stopped.exit_code,
        "clean": stopped.exit_code == Some(0) && !stopped.killed,
        "seconds": round2(stopped.seconds),
    })
}

fn server_errors(tally: &load::Tally) -> u64 {
    tally.status.iter().filter(|(s, _)| **s >= 500).map(|(_, n)| n).sum()
}

async fn sign(
    common: &Common,
    duration: u64,
    max_signatures: Option<u64>,
    drain_timeout: u64,
) -> Result<(Value, bool), BoxError> {
    let bench = Bench::new(common)?;
    let (server, slug) = start(&bench).await?;
    let pid = server.pid;
    let db_port = common.database_url.as_deref().and_then(server::postgres_port);
    let quiet = wait_quiet(common).await;
    let before = CpuMark::now(pid, db_port);
    let plan = bench.plan(&slug, Work::Sign, Duration::from_secs(duration), max_signatures);
    let mut outcome = run_load("sign", plan).await;
    let after = CpuMark::now(pid, db_port);
    let rss_end = rss(pid);
    let emails_during = count_emails(&bench.spec.data).await;
    let elapsed = outcome.elapsed.as_secs_f64();
    let tally = &outcome.tally;
    let accepted = tally.count(201);
    let (pending, confirmed) = setup::counts(&bench.spec, &slug).await?;
    let stored = pending + confirmed;
    eprintln!("relais-bench: load done, {accepted} accepted, {stored} stored; waiting for the e-mails");
    let (emails_after, drain_s) = drain(&bench.spec.data, stored, Duration::from_secs(drain_timeout)).await;
    let rss_drained = rss(pid);
    let stopped = server.terminate(STOP_GRACE).await?;
    let unanswered = tally.request_errors + tally.timeouts;
    let exact = stored == accepted;
    let fivexx = server_errors(tally);
    let passed = exact && fivexx == 0 && stopped.exit_code == Some(0) && !stopped.killed;

    let mut m = bench.header("sign");
    m.insert("machine_before_load".into(), quiet);
    m.insert("duration_s".into(), duration.into());
    m.insert("max_signatures".into(), max_signatures.into());
    m.insert("elapsed_s".into(), round2(elapsed).into());
    m.insert("accepted".into(), accepted.into());
    m.insert("already_signed".into(), tally.count(200).into());
    m.insert("rate_limited".into(), tally.count(429).into());
    m.insert("other_statuses".into(), tally.other_statuses(&[200, 201, 429]));
    m.insert("errors".into(), errors_json(tally));
    m.insert("accepted_per_s".into(), round2(accepted as f64 / elapsed).into());
    m.insert("accepted_per_whole_second".into(), outcome.per_second());
    m.insert("timeline".into(), json!(outcome.timeline));
    m.insert("latency_ms".into(), outcome.tally.latency_report());
    m.insert("cpu_during_load".into(), before.report(&after));
    m.insert(
        "server_memory".into(),
        json!({"end_of_load": rss_end, "after_drain": rss_drained, "signatures_stored": stored}),
    );
    m.insert(
        "emails".into(),
        json!({
            "written_during_load": emails_during,
            "per_s_during_load": round2(emails_during as f64 / elapsed),
            "written_after_drain": emails_after,
            "drain_s": drain_s,
            "per_s_during_drain": round2(emails_after.saturating_sub(emails_during) as f64 / drain_s.max(0.01)),
            "missing_after_drain": stored.saturating_sub(emails_after),
        }),
    );
    m.insert(
        "counts".into(),
        json!({"pending": pending, "confirmed": confirmed, "stored": stored, "acknowledged_201": accepted, "unanswered_requests": unanswered}),
    );
    m.insert("exact".into(), exact.into());
    m.insert("shutdown".into(), stop_json(&stopped));
    m.insert("server_log".into(), log_summary(&bench.spec.log));
    m.insert("checks_passed".into(), passed.into());
    bench.finish();
    Ok((Value::Object(m), passed))
}

async fn views(common: &Common, duration: u64, prefill: u64) -> Result<(Value, bool), BoxError> {
    let bench = Bench::new(common)?;
    let (server, slug) = start(&bench).await?;
    let pid = server.pid;
    let db_port = common.database_url.as_deref().and_then(server::postgres_port);
    let mut filled = 0;
    if prefill > 0 {
        // Bounded by time too, in case the server accepts fewer than asked.
        let plan = bench.plan(&slug, Work::Sign, Duration::from_secs(120), Some(prefill));
        filled = run_load("prefill", plan).await.tally.count(201);
    }
    let quiet = wait_quiet(common).await;
    let before = CpuMark::now(pid, db_port);
    let plan = bench.plan(&slug, Work::View, Duration::from_secs(duration), None);
    let mut outcome = run_load("views", plan).await;
    let after = CpuMark::now(pid, db_port);
    let rss_end = rss(pid);
    let stopped = server.terminate(STOP_GRACE).await?;
    let elapsed = outcome.elapsed.as_secs_f64();
    let ok = outcome.tally.count(200);
    let fivexx = server_errors(&outcome.tally);
    let passed = fivexx == 0 && stopped.exit_code == Some(0) && !stopped.killed;

    let mut m = bench.header("views");
    m.insert("machine_before_load".into(), quiet);
    m.insert("duration_s".into(), duration.into());
    m.insert("signatures_before".into(), filled.into());
    m.insert("elapsed_s".into(), round2(elapsed).into());
    m.insert("views_200".into(), ok.into());
    m.insert("other_statuses".into(), outcome.tally.other_statuses(&[200]));
    m.insert("errors".into(), errors_json(&outcome.tally));
    m.insert("views_per_s".into(), round2(ok as f64 / elapsed).into());
    m.insert("views_per_whole_second".into(), outcome.per_second());
    m.insert(
        "page_bytes".into(),
        (outcome.tally.response_bytes / outcome.tally.latencies_us.len().max(1) as u64).into(),
    );
    m.insert("latency_ms".into(), outcome.tally.latency_report());
    m.insert("cpu_during_load".into(), before.report(&after));
    m.insert("server_memory".into(), rss_end);
    m.insert("shutdown".into(), stop_json(&stopped));
    m.insert("server_log".into(), log_summary(&bench.spec.log));
    m.insert("checks_passed".into(), passed.into());
    bench.finish();
    Ok((Value::Object(m), passed))
}

async fn crash(
    common: &Common,
    duration: u64,
    kill_at: Option<f64>,
    drain_timeout: u64,
) -> Result<(Value, bool), BoxError> {
    let bench = Bench::new(common)?;
    let (mut server, slug) = start(&bench).await?;
    let quiet = wait_quiet(common).await;
    let kill_at = Duration::from_secs_f64(kill_at.unwrap_or(duration as f64 / 2.0).max(0.0));
    let plan = bench.plan(&slug, Work::Sign, Duration::from_secs(duration), None);
    let accepted = plan.successes.clone();
    let load = tokio::spawn(run_load("crash", plan));

    tokio::time::sleep(kill_at).await;
    let acked_before_kill = accepted.load(Ordering::Relaxed);
    let first_pid = server.pid;
    let first_rss = rss(first_pid);
    server.kill9();
    let killed = Instant::now();
    eprintln!("relais-bench: kill -9 {first_pid} after {acked_before_kill} accepted; restarting on the same data");
    drop(server);
    let server = bench.spec.start().await?;
    let downtime = killed.elapsed().as_secs_f64();
    eprintln!("relais-bench: restarted as {} after {downtime:.2}s", server.pid);

    let outcome = load.await?;
    let tally = &outcome.tally;
    let acked = tally.acked.len() as u64;
    let (pending, confirmed) = setup::counts(&bench.spec, &slug).await?;
    let stored = pending + confirmed;

    // The stronger check, one acknowledged signer at a time: signing again must
    // answer "already signed"; a 201 means the first signature had been lost.
    eprintln!("relais-bench: checking each of the {acked} acknowledged signers");
    let ids = Arc::new(tally.acked.clone());
    let check_plan = bench.plan(&slug, Work::Resign(ids), Duration::from_secs(300), None);
    let check_started = Instant::now();
    let mut check = load::run(check_plan).await;
    let check_s = check_started.elapsed().as_secs_f64();
    let present = check.tally.count(200);
    let lost_verified = check.tally.count(201);
    let unchecked = acked.saturating_sub(present + lost_verified);

    let check_latency = check.tally.latency_report();
    let (final_pending, final_confirmed) = setup::counts(&bench.spec, &slug).await?;
    let final_stored = final_pending + final_confirmed;
    let (emails_after, drain_s) = drain(&bench.spec.data, final_stored, Duration::from_secs(drain_timeout)).await;
    let rss_end = rss(server.pid);
    let stopped = server.terminate(STOP_GRACE).await?;

    let lost = acked.saturating_sub(stored);
    let fivexx = server_errors(tally) + server_errors(&check.tally);
    let passed = lost == 0 && lost_verified == 0 && unchecked == 0 && stopped.exit_code == Some(0) && !stopped.killed;
    let elapsed = outcome.elapsed.as_secs_f64();

    let mut m = bench.header("crash");
    m.insert("machine_before_load".into(), quiet);
    m.insert("duration_s".into(), duration.into());
    m.insert("kill_at_s".into(), round2(kill_at.as_secs_f64()).into());
    m.insert("elapsed_s".into(), round2(elapsed).into());
    m.insert("downtime_s".into(), round2(downtime).into());
    m.insert(
        "first_server".into(),
        json!({"pid": first_pid, "memory_before_kill": first_rss}),
    );
    m.insert("acknowledged_before_kill".into(), acked_before_kill.into());
    m.insert(
        "acknowledged_after_kill".into(),
        acked.saturating_sub(acked_before_kill).into(),
    );
    m.insert("acknowledged".into(), acked.into());
    m.insert("already_signed".into(), tally.count(200).into());
    m.insert("rate_limited".into(), tally.count(429).into());
    m.insert("other_statuses".into(), tally.other_statuses(&[200, 201, 429]));
    m.insert("server_5xx".into(), fivexx.into());
    m.insert("errors".into(), errors_json(tally));
    m.insert("accepted_per_s".into(), round2(acked as f64 / elapsed).into());
    m.insert("timeline".into(), json!(outcome.timeline));
    m.insert(
        "counts_after_restart".into(),
        json!({"pending": pending, "confirmed": confirmed, "stored": stored}),
    );
    // In-flight requests at the kill may have committed without an answer.
    m.insert("stored_without_answer".into(), stored.saturating_sub(acked).into());
    m.insert("lost".into(), lost.into());
    m.insert(
        "per_signer_check".into(),
        json!({
            "checked": present + lost_verified,
            "still_signed": present,
            "lost": lost_verified,
            "unchecked": unchecked,
            "other_statuses": check.tally.other_statuses(&[200, 201]),
            "errors": errors_json(&check.tally),
            "seconds": round2(check_s),
            "latency_ms": check_latency,
        }),
    );
    m.insert(
        "emails".into(),
        json!({
            "stored_signatures": final_stored,
            "written_after_drain": emails_after,
            "drain_s": drain_s,
            // Messages the killed worker had claimed come back when their 120 s lease ends.
            "missing_after_drain": final_stored.saturating_sub(emails_after),
        }),
    );
    m.insert("server_memory".into(), rss_end);
    m.insert("shutdown".into(), stop_json(&stopped));
    m.insert("server_log".into(), log_summary(&bench.spec.log));
    m.insert("checks_passed".into(), passed.into());
    bench.finish();
    Ok((Value::Object(m), passed))
}
