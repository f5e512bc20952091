//! The load loop: `connections` simulated clients, each on its own kept-alive
//! connection, sending requests back to back until the deadline (closed loop: the
//! offered load is what the server can answer, as with a reverse proxy in front).
//!
//! Every simulated visitor is a distinct client address, sent as the one
//! `X-Forwarded-For` hop the server believes from its loopback "proxy", so the
//! per-address rate limits stay on and are met as production traffic meets them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hyper::Method;
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};

use crate::http::Conn;
use crate::server::round2;

/// A request that gets no answer in this time counts as a timeout (and the
/// connection is replaced): it bounds how long a client can outlive the deadline.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause before reconnecting after a refused connection (server down in the crash
/// scenario): keeps a dead server from turning the generator into a busy loop.
const RECONNECT_PAUSE: Duration = Duration::from_millis(20);
/// Postcodes signers give: real French ones, so the server does its gazetteer look-up.
const POSTCODES: [&str; 8] = ["75011", "69003", "13001", "31000", "33000", "44000", "59000", "67000"];

/// Signer numbers, unique within this process; with the run's tag in the e-mail they
/// are unique across runs sharing one PostgreSQL database.
static NEXT_SIGNER: AtomicU64 = AtomicU64::new(1);
/// Visitor numbers, mapped to client addresses; one per request.
static NEXT_VISITOR: AtomicU64 = AtomicU64::new(1);

/// The e-mail address of signer `n` in run `tag`.
pub fn email(tag: &str, n: u64) -> String {
    format!("s{n}.{tag}@bench.example.org")
}

/// The address of visitor `n`: 10.0.0.1, 10.0.0.2, … (16.7 million before reuse).
/// It only travels in a header: no packet is sent to it.
fn visitor_address(n: u64) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

fn sign_body(tag: &str, n: u64) -> String {
    format!(
        r#"{{"first_name":"Camille","last_name":"Martin","email":"{}","postcode":"{}","country":"FR","consent_updates":true,"consent_newsletter":false}}"#,
        email(tag, n),
        POSTCODES[(n % POSTCODES.len() as u64) as usize]
    )
}

/// What the clients do.
#[derive(Clone)]
pub enum Work {
    /// Sign with a new signer each time.
    Sign,
    /// Sign again as each of these signers (checks they were kept: the server must
    /// answer `already_signed`; a 201 means the signature had been lost).
    Resign(Arc<Vec<u64>>),
    /// Read the petition page.
    View,
}

pub struct Plan {
    pub addr: SocketAddr,
    pub slug: String,
    pub tag: String,
    pub connections: usize,
    pub duration: Duration,
    /// Stop once this many signatures were accepted (a fixed-size run).
    pub max_accepted: Option<u64>,
    pub work: Work,
    /// Successes so far (201 when signing, 200 when viewing), readable while the load
    /// runs: progress lines, and the crash scenario's count before the kill.
    pub successes: Arc<AtomicU64>,
}

struct Shared {
    plan: Plan,
    start: Instant,
    deadline: Instant,
    stop: AtomicBool,
    next_index: AtomicUsize,
    /// Successful answers per second of the run (201 when signing, 200 when viewing).
    timeline: Vec<AtomicU64>,
}

/// What the clients saw.
#[derive(Default)]
pub struct Tally {
    /// Latency of every answered request, in microseconds.
    pub latencies_us: Vec<u32>,
    pub status: BTreeMap<u16, u64>,
    /// Requests sent on an open connection that got no answer (reset, closed).
    pub request_errors: u64,
    /// Connections that could not be opened.
    pub connect_errors: u64,
    pub timeouts: u64,
    /// Signers whose signature was acknowledged with 201.
    pub acked: Vec<u64>,
    pub response_bytes: u64,
    pub error_samples: Vec<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        for (k, v) in other.status {
            *self.status.entry(k).or_default() += v;
        }
        self.request_errors += other.request_errors;
        self.connect_errors += other.connect_errors;
        self.timeouts += other.timeouts;
        self.acked.extend(other.acked);
        self.response_bytes += other.response_bytes;
        for s in other.error_samples {
            if self.error_samples.len() < 5 && !self.error_samples.contains(&s) {
                self.error_samples.push(s);
            }
        }
    }

    pub fn count(&self, status: u16) -> u64 {
        self.status.get(&status).copied().unwrap_or(0)
    }

    /// Latency percentiles in milliseconds (sorts the samples).
    pub fn latency_report(&mut self) -> serde_json::Value {
        let v = &mut self.latencies_us;
        if v.is_empty() {
            return serde_json::Value::Null;
        }
        v.sort_unstable();
        let at = |q: f64| {
            let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
            round2(f64::from(v[i]) / 1000.0)
        };
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64 / 1000.0;
        serde_json::json!({
            "samples": v.len(),
            "mean": round2(mean),
            "p50": at(0.50),
            "p90": at(0.90),
            "p99": at(0.99),
            "p999": at(0.999),
            "max": at(1.0),
        })
    }

    /// Statuses other than the expected ones, as `{"500": n, …}`.
    pub fn other_statuses(&self, expected: &[u16]) -> serde_json::Value {
        let map: serde_json::Map<String, serde_json::Value> = self
            .status
            .iter()
            .filter(|(k, _)| !expected.contains(k))
            .map(|(k, v)| (k.to_string(), (*v).into()))
            .collect();
        map.into()
    }
}

/// The result of one load phase.
pub struct Outcome {
    pub tally: Tally,
    pub elapsed: Duration,
    /// Successful answers in each whole second.
    pub timeline: Vec<u64>,
}

impl Outcome {
    /// min / median / max of the per-second counts over the whole seconds of the run.
    pub fn per_second(&self) -> serde_json::Value {
        let whole = (self.elapsed.as_secs() as usize).min(self.timeline.len());
        let mut v: Vec<u64> = self.timeline[..whole].to_vec();
        if v.is_empty() {
            return serde_json::Value::Null;
        }
        v.sort_unstable();
        serde_json::json!({"min": v[0], "median": v[v.len() / 2], "max": v[v.len() - 1]})
    }
}

/// Runs `plan` to its deadline (or its signature count) and gathers the figures.
pub async fn run(plan: Plan) -> Outcome {
    let start = Instant::now();
    let seconds = plan.duration.as_secs() as usize + 1;
    let shared = Arc::new(Shared {
        deadline: start + plan.duration,
        start,
        stop: AtomicBool::new(false),
        next_index: AtomicUsize::new(0),
        timeline: (0..seconds).map(|_| AtomicU64::new(0)).collect(),
        plan,
    });
    let clients: Vec<_> = (0..shared.plan.connections)
        .map(|_| tokio::spawn(client(shared.clone())))
        .collect();
    let mut tally = Tally::default();
    for c in clients {
        match c.await {
            Ok(t) => tally.merge(t),
            Err(e) => tally.error_samples.push(format!("client task failed: {e}")),
        }
    }
    Outcome {
        tally,
        elapsed: start.elapsed(),
        timeline: shared.timeline.iter().map(|c| c.load(Ordering::Relaxed)).collect(),
    }
}

/// One simulated client: loops until the deadline, the signature count, or (when
/// re-signing) the end of the list. Never runs past `deadline + REQUEST_TIMEOUT`.
async fn client(shared: Arc<Shared>) -> Tally {
    let plan = &shared.plan;
    let mut tally = Tally::default();
    let mut conn: Option<Conn> = None;
    let sign_path = format!("/p/{}/sign", plan.slug);
    let view_path = format!("/p/{}", plan.slug);
    let json = HeaderValue::from_static("application/json");
    let xff = HeaderName::from_static("x-forwarded-for");
    while Instant::now() < shared.deadline && !shared.stop.load(Ordering::Relaxed) {
        // A connection first, so that a refused one consumes no work item.
        let mut c = match conn.take() {
            Some(c) if !c.is_closed() => c,
            _ => match tokio::time::timeout(REQUEST_TIMEOUT, Conn::open(plan.addr)).await {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => {
                    tally.connect_errors += 1;
                    note(&mut tally, format!("connect: {e}"));
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                    continue;
                }
                Err(_) => {
                    tally.connect_errors += 1;
                    continue;
                }
            },
        };
        let visitor = NEXT_VISITOR.fetch_add(1, Ordering::Relaxed);
        let address = HeaderValue::from_str(&visitor_address(visitor)).unwrap_or(HeaderValue::from_static("10.0.0.1"));
        let (method, path, headers, body, signer) = match &plan.work {
            Work::Sign => {
                let n = NEXT_SIGNER.fetch_add(1, Ordering::Relaxed);
                let body = Bytes::from(sign_body(&plan.tag, n));
                (
                    Method::POST,
                    &sign_path,
                    vec![(CONTENT_TYPE, json.clone()), (xff.clone(), address)],
                    body,
                    n,
                )
            }
            Work::Resign(ids) => {
                let i = shared.next_index.fetch_add(1, Ordering::Relaxed);
                let Some(&n) = ids.get(i) else { break };
                let body = Bytes::from(sign_body(&plan.tag, n));
                (
                    Method::POST,
                    &sign_path,
                    vec![(CONTENT_TYPE, json.clone()), (xff.clone(), address)],
                    body,
                    n,
                )
            }
            Work::View => (Method::GET, &view_path, vec![(xff.clone(), address)], Bytes::new(), 0),
        };
        let sent = Instant::now();
        match tokio::time::timeout(REQUEST_TIMEOUT, c.send(method, path, &headers, body)).await {
            Ok(Ok(reply)) => {
                let micros = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                tally.latencies_us.push(micros);
                *tally.status.entry(reply.status).or_default() += 1;
                tally.response_bytes += reply.body.len() as u64;
                let success = match plan.work {
                    Work::View => reply.status == 200,
                    _ => reply.status == 201,
                };
                if success {
                    let second = (sent.duration_since(shared.start).as_secs() as usize).min(shared.timeline.len() - 1);
                    shared.timeline[second].fetch_add(1, Ordering::Relaxed);
                    let total = plan.successes.fetch_add(1, Ordering::Relaxed) + 1;
                    if plan.max_accepted.is_some_and(|max| total >= max) {
                        shared.stop.store(true, Ordering::Relaxed);
                    }
                }
                if reply.status == 201 {
                    tally.acked.push(signer);
                }
                if reply.status >= 500 || (reply.status >= 400 && reply.status != 429) {
                    note(&mut tally, format!("{}: {}", reply.status, snippet(&reply.body)));
                }
                conn = Some(c);
            }
            Ok(Err(e)) => {
                tally.request_errors += 1;
                note(&mut tally, format!("request: {e}"));
            }
            Err(_) => tally.timeouts += 1,
        }
    }
    tally
}

fn note(tally: &mut Tally, message: String) {
    if tally.error_samples.len() < 5 && !tally.error_samples.contains(&message) {
        tally.error_samples.push(message);
    }
}

fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visitors_get_distinct_private_addresses() {
        assert_eq!(visitor_address(1), "10.0.0.1");
        assert_eq!(visitor_address(65_536 + 256 + 7), "10.1.1.7");
        assert!(visitor_address(3).parse::<std::net::Ipv4Addr>().is_ok());
    }

    #[test]
    fn sign_body_is_json_with_a_unique_email() {
        let v: serde_json::Value = serde_json::from_str(&sign_body("t1", 42)).unwrap();
        assert_eq!(v["email"], "s42.t1@bench.example.org");
        assert_eq!(v["country"], "FR");
    }

    #[test]
    fn percentiles_pick_the_right_samples() {
        let mut t = Tally {
            latencies_us: (1..=1000).map(|i| i * 1000).collect(),
            ..Tally::default()
        };
        let r = t.latency_report();
        assert_eq!(r["p50"], 500.0);
        assert_eq!(r["p99"], 990.0);
        assert_eq!(r["max"], 1000.0);
    }
}
