//! Starting, stopping and observing the real `relais` binary, and reading `/proc`.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hyper::Method;
use hyper::body::Bytes;

use crate::{BoxError, http};

/// How to start the server; kept so that a killed server can be started again alike.
#[derive(Clone)]
pub struct Spec {
    pub bin: PathBuf,
    pub data: PathBuf,
    pub log: PathBuf,
    pub addr: SocketAddr,
    pub database_url: Option<String>,
}

impl Spec {
    /// A `relais` command with the benchmark's environment: behind a (simulated)
    /// loopback reverse proxy, quiet logs, and no `RELAIS_*` leaking in from the
    /// caller's shell (the server refuses unknown ones, and a stray one would skew
    /// the figures).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("RELAIS_") {
                cmd.env_remove(name);
            }
        }
        cmd.env("RELAIS_TRUSTED_PROXIES", "127.0.0.0/8")
            .env("RELAIS_LOG", "warn");
        if let Some(url) = &self.database_url {
            cmd.env("RELAIS_DATABASE_URL", url);
        }
        cmd.arg("--data").arg(&self.data);
        cmd
    }

    fn log_file(&self) -> Result<File, BoxError> {
        Ok(OpenOptions::new().create(true).append(true).open(&self.log)?)
    }

    /// Starts `relais serve` and waits until `/healthz` answers 200.
    pub async fn start(&self) -> Result<Server, BoxError> {
        let log = self.log_file()?;
        let child = self
            .command()
            .arg("--listen")
            .arg(self.addr.to_string())
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
        let mut server = Server { pid: child.id(), child };
        let started = Instant::now();
        // Bounded: a server that is not up in 60 s is a failure to report, not to wait for.
        while started.elapsed() < Duration::from_secs(60) {
            if let Some(status) = server.child.try_wait()? {
                return Err(format!("the server exited at start ({status}); log: {}", tail(&self.log, 20)).into());
            }
            if let Ok(reply) = http::once(self.addr, Method::GET, "/healthz", &[], Bytes::new()).await
                && reply.status == 200
            {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server.kill9();
        Err(format!(
            "the server did not answer /healthz within 60 s; log: {}",
            tail(&self.log, 20)
        )
        .into())
    }

    /// `relais org create`, returning the one-time login URL it prints.
    pub fn create_org(&self, slug: &str, admin: &str) -> Result<String, BoxError> {
        let out = self
            .command()
            .arg("--base-url")
            .arg(format!("http://{}", self.addr))
            .args(["org", "create", slug, "--name", "Banc d'essai", "--admin", admin])
            .stdin(Stdio::null())
            .output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(format!(
                "relais org create failed ({}): {stdout} {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        stdout
            .lines()
            .filter(|l| l.contains("login"))
            .find_map(|l| l.split_whitespace().find(|w| w.starts_with("http://")))
            .map(str::to_owned)
            .ok_or_else(|| format!("no login link in the output of relais org create: {stdout}").into())
    }
}

/// A running server process.
pub struct Server {
    pub pid: u32,
    child: Child,
}

/// How a server stopped after SIGTERM.
pub struct Stopped {
    pub exit_code: Option<i32>,
    pub seconds: f64,
    /// It had to be killed because it did not stop within the time allowed.
    pub killed: bool,
}

impl Server {
    /// `kill -9`: the crash scenario, and the last resort.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits up to `grace` for a clean exit (SIGKILL after that).
    pub async fn terminate(mut self, grace: Duration) -> Result<Stopped, BoxError> {
        // std offers only SIGKILL and the workspace forbids `unsafe` (libc::kill): use kill(1).
        let status = Command::new("kill").args(["-TERM", &self.pid.to_string()]).status()?;
        if !status.success() {
            return Err(format!("kill -TERM {} failed", self.pid).into());
        }
        let start = Instant::now();
        while start.elapsed() < grace {
            if let Some(status) = self.child.try_wait()? {
                return Ok(Stopped {
                    exit_code: status.code(),
                    seconds: start.elapsed().as_secs_f64(),
                    killed: false,
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.kill9();
        Ok(Stopped {
            exit_code: None,
            seconds: start.elapsed().as_secs_f64(),
            killed: true,
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Never leave a server running behind an early return.
        if let Ok(None) = self.child.try_wait() {
            self.kill9();
        }
    }
}

/// A free loopback port (the OS picks it; released for the server to take).
pub fn free_addr() -> Result<SocketAddr, BoxError> {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?)
}

/// The last `n` lines of a log file, for error messages.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A `kB` field of `/proc/PID/status` (VmRSS, VmHWM), in MiB.
pub fn status_mib(pid: u32, field: &str) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// User plus system CPU time of a process (all its threads), in seconds.
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces: fields are counted after its closing ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat(5), i.e. 11 and 12 after the name and state.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux architecture this runs on (it is fixed for /proc).
    Some(ticks / 100.0)
}

/// Busy and total CPU seconds of the whole machine since boot (all cores).
pub fn machine_seconds() -> Option<(f64, f64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?;
    let v: Vec<f64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    let total: f64 = v.iter().take(8).sum();
    // idle and iowait are fields 4 and 5.
    let idle = v.get(3)? + v.get(4)?;
    Some(((total - idle) / 100.0, total / 100.0))
}

/// CPU seconds of each thread of `pid`, summed by thread name (tokio workers,
/// sqlx's SQLite connection threads…): shows which part of the server is busy.
pub fn thread_seconds(pid: u32) -> BTreeMap<String, f64> {
    let mut by_name = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return by_name;
    };
    for task in tasks.filter_map(Result::ok) {
        let tid = task.file_name().to_string_lossy().into_owned();
        let name = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm")).unwrap_or_default();
        if let Some(secs) = cpu_seconds(&format!("{pid}/task/{tid}")) {
            *by_name.entry(name.trim().to_owned()).or_insert(0.0) += secs;
        }
    }
    by_name
}

/// Bytes a process caused to be written to storage (`write_bytes` of `/proc/PID/io`).
pub fn written_bytes(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    let line = text.lines().find(|l| l.starts_with("write_bytes:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU seconds of the PostgreSQL cluster listening on `port`: its postmaster and
/// the postmaster's children (backends, WAL writer, checkpointer). Found by command
/// line so that other clusters on the machine (another engineer's tests) are left out.
pub fn postgres_seconds(port: u16) -> f64 {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    let mut postmaster = None;
    let mut parents: Vec<(String, u32)> = Vec::new();
    for entry in procs.filter_map(Result::ok) {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if !stat.contains("(postgres)") {
            continue;
        }
        let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<&str> = cmdline.split('\0').collect();
        if args.windows(2).any(|w| w[0] == "-p" && w[1] == port.to_string()) {
            postmaster = Some(pid.clone());
        }
        let ppid = stat
            .rfind(')')
            .and_then(|i| stat[i + 2..].split_whitespace().nth(1))
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        parents.push((pid, ppid));
    }
    let Some(postmaster) = postmaster else { return 0.0 };
    let master: u32 = postmaster.parse().unwrap_or(0);
    parents
        .iter()
        .filter(|(pid, ppid)| *pid == postmaster || *ppid == master)
        .filter_map(|(pid, _)| cpu_seconds(pid))
        .sum()
}

/// The port of a `postgres://user@host:port/db` URL (5432 when absent).
pub fn postgres_port(url: &str) -> Option<u16> {
    let after_at = url.rsplit_once('@').map_or(url.split_once("://")?.1, |(_, rest)| rest);
    let host_port = after_at.split(['/', '?']).next()?;
    match host_port.rsplit_once(':') {
        Some((_, port)) => port.parse().ok(),
        None => Some(5432),
    }
}

/// A snapshot of CPU counters, to turn into percentages over an interval.
#[derive(Clone)]
pub struct CpuMark {
    at: Instant,
    server: f64,
    generator: f64,
    machine_busy: f64,
    threads: BTreeMap<String, f64>,
    written: u64,
    /// CPU of the PostgreSQL cluster, when the server uses one.
    database: Option<f64>,
    database_port: Option<u16>,
}

impl CpuMark {
    pub fn now(server_pid: u32, database_port: Option<u16>) -> Self {
        let (machine_busy, _) = machine_seconds().unwrap_or_default();
        Self {
            at: Instant::now(),
            server: cpu_seconds(&server_pid.to_string()).unwrap_or_default(),
            generator: cpu_seconds("self").unwrap_or_default(),
            machine_busy,
            threads: thread_seconds(server_pid),
            written: written_bytes(server_pid).unwrap_or_default(),
            database: database_port.map(postgres_seconds),
            database_port,
        }
    }

    /// CPU use between `self` and `later`, in percent of one core (200 % = both cores).
    pub fn report(&self, later: &CpuMark) -> serde_json::Value {
        let wall = later.at.duration_since(self.at).as_secs_f64().max(1e-9);
        let pct = |v: f64| (v / wall * 1000.0).round() / 10.0;
        let server = later.server - self.server;
        let generator = later.generator - self.generator;
        let busy = later.machine_busy - self.machine_busy;
        // Threads that appeared during the interval count from zero.
        let threads: serde_json::Map<String, serde_json::Value> = later
            .threads
            .iter()
            .map(|(name, secs)| {
                (
                    name.clone(),
                    pct(secs - self.threads.get(name).copied().unwrap_or(0.0)).into(),
                )
            })
            .collect();
        let database = match (self.database, later.database) {
            (Some(a), Some(b)) => b - a,
            _ => 0.0,
        };
        serde_json::json!({
            "postgres_pct_of_one_core": self.database_port.map(|_| pct(database)),
            "server_threads_pct_of_one_core": threads,
            "server_disk_write_mib": round2(later.written.saturating_sub(self.written) as f64 / 1_048_576.0),
            "wall_s": round2(wall),
            "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "server_cpu_s": round2(server),
            "server_pct_of_one_core": pct(server),
            "generator_cpu_s": round2(generator),
            "generator_pct_of_one_core": pct(generator),
            "machine_busy_pct_of_one_core": pct(busy),
            // Everything else on the machine: the kernel's softirq
            // work for loopback traffic, and whatever else shares it.
            "other_pct_of_one_core": pct((busy - server - generator - database).max(0.0)),
        })
    }
}

pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_figures_are_readable() {
        assert!(cpu_seconds("self").is_some());
        assert!(status_mib(std::process::id(), "VmRSS").is_some_and(|m| m > 0.0));
        let (busy, total) = machine_seconds().unwrap();
        assert!(total >= busy && busy > 0.0);
    }

    #[test]
    fn postgres_ports_are_read_from_urls() {
        assert_eq!(postgres_port("postgres://postgres@127.0.0.1:51955/bench"), Some(51955));
        assert_eq!(postgres_port("postgres://u:p@db.example/relais"), Some(5432));
        assert_eq!(postgres_port("postgres://127.0.0.1:6000/x?sslmode=disable"), Some(6000));
    }
}
