//! `relais-bench receipts`: the annual tax receipts job. Sets the association up as
//! staff do (legal identity for receipts, annual receipts, a campaign) through the
//! back-office forms, seeds N donors with G paid gifts of last year straight into
//! the database (typing 30,000 cheques into a form would measure the form), starts
//! the job with `POST /admin/receipts/annual`, and measures the time until every
//! receipt is issued and until every e-mail, its PDF attached, is written. Then checks
//! the receipts: one per donor, numbered without gap, each the sum of its gifts.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use hyper::Method;
use hyper::body::Bytes;
use hyper::header::{COOKIE, HeaderName, HeaderValue};
use serde_json::{Value, json};

use crate::server::{CpuMark, Spec, round2};
use crate::{Bench, BoxError, Common, STOP_GRACE, http, setup, stop_json};

/// The job is deemed stuck when neither receipts nor e-mails progress for this long
/// (a batch of 500 donors can take minutes where the selection of donors is slow).
const STALL: Duration = Duration::from_secs(180);
/// E-mail files opened to check that the receipt is attached.
const SAMPLE: usize = 20;
/// Receipts downloaded one after the other to time the PDF alone.
const PROBE: usize = 200;

/// Annual receipts of an association's year (`$1`, `$2`).
const COUNT_RECEIPTS: &str = "SELECT COUNT(*) FROM receipts WHERE org_id = $1 AND year = $2 AND kind = 'annual'";

/// Counts checked after the job: name, query, and how many of (org, year, first
/// second of the year, first second of the next) it takes.
const CHECKS: &[(&str, &str, usize)] = &[
    (
        "donors_with_a_receipt",
        "SELECT COUNT(DISTINCT supporter_id) FROM receipts WHERE org_id = $1 AND year = $2 AND kind = 'annual'",
        2,
    ),
    (
        "amount_not_sum_of_its_gifts",
        "SELECT COUNT(*) FROM receipts r WHERE r.org_id = $1 AND r.year = $2 AND r.kind = 'annual' AND \
         r.amount_cents <> (SELECT COALESCE(SUM(g.amount_cents), 0) FROM receipt_gifts rg \
         JOIN gifts g ON g.id = rg.gift_id WHERE rg.receipt_id = r.id)",
        2,
    ),
    (
        "amount_not_sum_of_donor_gifts_of_year",
        "SELECT COUNT(*) FROM receipts r WHERE r.org_id = $1 AND r.year = $2 AND r.kind = 'annual' AND \
         r.amount_cents <> (SELECT COALESCE(SUM(g.amount_cents), 0) FROM gifts g WHERE g.org_id = $1 \
         AND g.supporter_id = r.supporter_id AND g.status = 'paid' AND g.wants_receipt \
         AND g.paid_at >= $3 AND g.paid_at < $4)",
        4,
    ),
    (
        "gifts_covered",
        "SELECT COUNT(DISTINCT rg.gift_id) FROM receipt_gifts rg JOIN receipts r ON r.id = rg.receipt_id \
         WHERE r.org_id = $1 AND r.year = $2",
        2,
    ),
    (
        "gifts_in_two_receipts",
        "SELECT COUNT(*) FROM (SELECT rg.gift_id FROM receipt_gifts rg JOIN receipts r ON r.id = rg.receipt_id \
         WHERE r.org_id = $1 AND r.cancelled_at IS NULL GROUP BY rg.gift_id HAVING COUNT(*) > 1) AS d",
        1,
    ),
    (
        "gifts_of_another_donor",
        "SELECT COUNT(*) FROM receipt_gifts rg JOIN receipts r ON r.id = rg.receipt_id \
         JOIN gifts g ON g.id = rg.gift_id WHERE r.org_id = $1 AND r.year = $2 AND g.supporter_id <> r.supporter_id",
        2,
    ),
];

/// The database, opened beside the server.
pub(crate) enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// Runs `$body` with `$p` bound to whichever pool `$db` holds.
macro_rules! on_pool {
    ($db:expr, |$p:ident| $body:expr) => {
        match $db {
            Db::Sqlite($p) => $body,
            Db::Postgres($p) => $body,
        }
    };
}
pub(crate) use on_pool;

impl Db {
    pub(crate) async fn open(bench: &Bench) -> Result<Self, BoxError> {
        Ok(match &bench.common.database_url {
            Some(url) => Self::Postgres(sqlx::PgPool::connect(url).await?),
            None => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(bench.spec.data.join("relais.db"))
                    .busy_timeout(Duration::from_secs(60));
                Self::Sqlite(sqlx::SqlitePool::connect_with(options).await?)
            }
        })
    }

    /// Runs a statement whose parameters are `args`; returns the rows it changed.
    pub(crate) async fn exec(&self, sql: &str, args: &[i64]) -> Result<u64, BoxError> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        Ok(on_pool!(self, |p| {
            let mut q = sqlx::query(sql);
            for a in args {
                q = q.bind(*a);
            }
            q.execute(p).await?.rows_affected()
        }))
    }

    /// Whether this is PostgreSQL (for the few statements whose dialects differ).
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    /// A count (or any single integer) from `sql`, whose parameters are `args`.
    pub(crate) async fn int(&self, sql: &str, args: &[i64]) -> Result<i64, BoxError> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        Ok(on_pool!(self, |p| {
            let mut q = sqlx::query_scalar::<_, i64>(sql);
            for a in args {
                q = q.bind(*a);
            }
            q.fetch_one(p).await?
        }))
    }

    /// `n` donors of association `org`, each with `g` paid gifts on `campaign` during
    /// the year starting at `start`, all asking for a receipt.
    async fn seed(&self, org: i64, campaign: i64, n: i64, g: i64, start: i64, tag: &str) -> Result<(), BoxError> {
        let postgres = matches!(self, Self::Postgres(_));
        let (donors, gifts_from) = if postgres {
            (
                "generate_series(1, $3) AS n(i)",
                "CROSS JOIN generate_series(1, $4) AS k(j)",
            )
        } else {
            ("n", ", k")
        };
        let sqlite_n = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $3) ";
        let sqlite_k = "WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < $4) ";
        let (with_n, with_k) = if postgres { ("", "") } else { (sqlite_n, sqlite_k) };
        let supporters = format!(
            "{with_n}INSERT INTO supporters (org_id, email, first_name, last_name, postcode, country, locale, \
             created_at, updated_at) SELECT $1, 'donor-{tag}-' || i || '@example.org', 'Zoé', 'Lefèvre', '69003', \
             'FR', 'fr', $2, $2 FROM {donors}"
        );
        // Amounts and days vary by donor and gift, so that a wrong grouping shows in the sums.
        let gifts = format!(
            "{with_k}INSERT INTO gifts (org_id, campaign_id, supporter_id, amount_cents, frequency, status, method, \
             provider, provider_ref, wants_receipt, first_name, last_name, email, address, postcode, city, country, \
             locale, created_at, paid_at) \
             SELECT $1, $2, s.id, 1000 + 500 * j + (s.id % 97) * 100, 'once', 'paid', 'cheque', 'offline', \
             'bench-{tag}-' || s.id || '-' || j, TRUE, s.first_name, s.last_name, s.email, '12 rue des Lilas', \
             s.postcode, 'Lyon', 'FR', 'fr', $3, $3 + (((j - 1) * 113 + s.id % 97) % 360) * 86400 + 36000 \
             FROM supporters s {gifts_from} WHERE s.org_id = $1 AND s.email LIKE 'donor-%'"
        );
        let totals = "UPDATE campaigns SET \
             raised_cents = (SELECT COALESCE(SUM(amount_cents), 0) FROM gifts WHERE campaign_id = $1), \
             gifts_count = (SELECT COUNT(*) FROM gifts WHERE campaign_id = $1) WHERE id = $1";
        let now = unix_now();
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(sqlx::AssertSqlSafe(supporters))
                .bind(org)
                .bind(now)
                .bind(n)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(gifts))
                .bind(org)
                .bind(campaign)
                .bind(start)
                .bind(g)
                .execute(&mut *tx)
                .await?;
            sqlx::query(totals).bind(campaign).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// What the database holds after the job, and whether it is right: one receipt per
    /// donor, numbered 1…N without gap, each the sum of its donor's gifts of the year.
    async fn check(&self, job: &Job) -> Result<(Value, bool), BoxError> {
        let (year, donors) = (job.year, job.donors);
        let receipts = self.int(COUNT_RECEIPTS, &[job.org, year]).await?;
        let mut seqs: Vec<i64> = self
            .numbers(job.org, year)
            .await?
            .iter()
            .map(|n| {
                n.strip_prefix(&format!("{year}-"))
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(-1)
            })
            .collect();
        seqs.sort_unstable();
        let malformed = seqs.iter().filter(|&&s| s < 1).count();
        let distinct: BTreeSet<i64> = seqs.iter().copied().filter(|&s| s >= 1).collect();
        let duplicated = seqs.len() - malformed - distinct.len();
        let missing = (1..=donors).filter(|s| !distinct.contains(s)).count();
        let beyond = distinct.iter().filter(|&&s| s > donors).count();
        let args = [job.org, year, job.start, job.end];
        let mut counts = serde_json::Map::new();
        for (name, sql, n) in CHECKS {
            counts.insert((*name).into(), self.int(sql, &args[..*n]).await?.into());
        }
        let count = |name: &str| counts.get(name).and_then(Value::as_i64).unwrap_or(-1);
        let ok = receipts == donors
            && count("donors_with_a_receipt") == donors
            && malformed + duplicated + missing + beyond == 0
            && count("gifts_covered") == donors * job.per_donor
            && [
                "amount_not_sum_of_its_gifts",
                "amount_not_sum_of_donor_gifts_of_year",
                "gifts_in_two_receipts",
                "gifts_of_another_donor",
            ]
            .iter()
            .all(|n| count(n) == 0);
        let mut report = json!({
            "receipts": receipts,
            "numbers_malformed": malformed,
            "numbers_duplicated": duplicated,
            "numbers_missing_in_1_to_n": missing,
            "numbers_beyond_n": beyond,
            "outbox_by_status": self.outbox(&format!("receipts:{}:{year}", job.org)).await?,
        });
        if let Some(r) = report.as_object_mut() {
            r.extend(counts);
        }
        Ok((report, ok))
    }

    async fn numbers(&self, org: i64, year: i64) -> Result<Vec<String>, BoxError> {
        let sql = "SELECT number FROM receipts WHERE org_id = $1 AND year = $2 AND kind = 'annual'";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(org)
            .bind(year)
            .fetch_all(p)
            .await?))
    }

    async fn outbox(&self, topic: &str) -> Result<Value, BoxError> {
        let sql = "SELECT status, COUNT(*) FROM outbox WHERE topic = $1 GROUP BY status";
        let rows: Vec<(String, i64)> = on_pool!(self, |p| sqlx::query_as(sql).bind(topic).fetch_all(p).await?);
        Ok(rows.into_iter().map(|(s, n)| (s, Value::from(n))).collect())
    }

    async fn first_ids(&self, org: i64, year: i64, n: usize) -> Result<Vec<i64>, BoxError> {
        let sql = "SELECT id FROM receipts WHERE org_id = $1 AND year = $2 ORDER BY id LIMIT $3";
        let n = i64::try_from(n)?;
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(org)
            .bind(year)
            .bind(n)
            .fetch_all(p)
            .await?))
    }

    pub(crate) async fn close(self) {
        on_pool!(self, |p| p.close().await);
    }
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// The UTC year of a Unix time.
pub(crate) fn year_of(secs: i64) -> i64 {
    let mut y = 1970 + secs.div_euclid(31_556_952);
    while days_from_civil(y + 1, 1, 1) * 86_400 <= secs {
        y += 1;
    }
    while days_from_civil(y, 1, 1) * 86_400 > secs {
        y -= 1;
    }
    y
}

/// A back-office form posted as staff; anything but the redirect of a success is an error.
pub(crate) async fn post_form(spec: &Spec, session: &str, path: &str, fields: &[(&str, &str)]) -> Result<(), BoxError> {
    let headers = [
        (COOKIE, HeaderValue::from_str(session)?),
        (
            HeaderName::from_static("content-type"),
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        ),
    ];
    let body = Bytes::from(http::form(fields));
    let reply = http::once(spec.addr, Method::POST, path, &headers, body).await?;
    if reply.status != 303 {
        let text: String = reply.text().chars().take(600).collect();
        return Err(format!("POST {path} answered {}: {text}", reply.status).into());
    }
    Ok(())
}

/// The session's CSRF token, from a back-office page's hidden field.
pub(crate) async fn csrf(spec: &Spec, session: &str) -> Result<String, BoxError> {
    let cookie = [(COOKIE, HeaderValue::from_str(session)?)];
    let reply = http::once(spec.addr, Method::GET, "/admin/settings", &cookie, Bytes::new()).await?;
    let page = reply.text();
    let marker = "name=\"csrf\" value=\"";
    page.find(marker)
        .and_then(|i| page[i + marker.len()..].split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| format!("no CSRF token on /admin/settings (status {})", reply.status).into())
}

/// Legal identity (receipts need it), annual receipts, and a campaign; returns the campaign's slug.
async fn set_up(spec: &Spec, session: &str, tag: &str) -> Result<String, BoxError> {
    let csrf = csrf(spec, session).await?;
    let csrf = csrf.as_str();
    let (slug, contact) = (format!("bench-{tag}"), format!("contact-{tag}@example.org"));
    post_form(
        spec,
        session,
        "/admin/settings",
        &[
            ("csrf", csrf),
            ("name", "Banc d'essai"),
            ("slug", &slug),
            ("contact_email", &contact),
            ("primary_color", "#1d4ed8"),
            ("accent_color", "#9a3412"),
            ("legal_name", "Association Banc d'essai"),
            ("rna", "W691234567"),
            ("address", "3 place Bellecour\n69002 Lyon"),
            ("purpose", "Accès à l’eau potable au Togo"),
            ("tax_eligible", "on"),
            ("timezone", "Europe/Paris"),
            ("default_locale", "fr"),
        ],
    )
    .await?;
    post_form(
        spec,
        session,
        "/admin/payments",
        &[("csrf", csrf), ("receipt_mode", "annual")],
    )
    .await?;
    let campaign = format!("dons-{tag}");
    post_form(
        spec,
        session,
        "/admin/campaigns",
        &[
            ("csrf", csrf),
            ("title", "Un puits pour Kpalimé"),
            ("slug", &campaign),
            ("amounts", "20, 50, 100"),
            ("once", "on"),
        ],
    )
    .await?;
    Ok(campaign)
}

/// Names of the `.eml` files in the outbox folder.
async fn email_files(spec: &Spec) -> BTreeSet<String> {
    let dir = spec.data.join("outbox").join("email");
    tokio::task::spawn_blocking(move || {
        std::fs::read_dir(dir).map_or_else(
            |_| BTreeSet::new(),
            |entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".eml"))
                    .collect()
            },
        )
    })
    .await
    .unwrap_or_default()
}

/// Opens `SAMPLE` of the new e-mails, spread over the run; returns `(opened, with the PDF)`.
async fn sample_attachments(spec: &Spec, before: &BTreeSet<String>, year: i64) -> (usize, usize) {
    let new: Vec<String> = email_files(spec).await.difference(before).cloned().collect();
    let step = (new.len() / SAMPLE).max(1);
    let dir = spec.data.join("outbox").join("email");
    let pdf_name = format!("recu-fiscal-{year}-");
    let (mut opened, mut attached) = (0, 0);
    for name in new.iter().step_by(step).take(SAMPLE) {
        opened += 1;
        let text = tokio::fs::read_to_string(dir.join(name)).await.unwrap_or_default();
        attached += usize::from(text.contains("application/pdf") && pdf_attached(&text, &pdf_name));
    }
    (opened, attached)
}

/// Whether the e-mail carries an attachment named `recu-fiscal-{year}-…` whose content
/// is a PDF: base64 of `%PDF-` is `JVBERi0`.
fn pdf_attached(email: &str, name: &str) -> bool {
    email
        .find(&format!("filename=\"{name}"))
        .map(|i| &email[i..])
        .and_then(|part| part.split_once("\r\n\r\n").or_else(|| part.split_once("\n\n")))
        .is_some_and(|(_, body)| body.starts_with("JVBERi0"))
}

/// Downloads receipts one after the other as staff (`GET /admin/receipts/{id}/pdf`) on
/// an otherwise idle server: the cost of one PDF, its two queries and HTTP included.
async fn pdf_probe(spec: &Spec, session: &str, ids: &[i64]) -> Result<Value, BoxError> {
    let cookie = [(COOKIE, HeaderValue::from_str(session)?)];
    let mut conn = http::Conn::open(spec.addr).await?;
    let mut ms = Vec::with_capacity(ids.len());
    let (mut ok, mut bytes) = (0u64, 0usize);
    let started = Instant::now();
    for id in ids {
        let t = Instant::now();
        let reply = conn
            .send(Method::GET, &format!("/admin/receipts/{id}/pdf"), &cookie, Bytes::new())
            .await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if reply.status == 200 && reply.body.starts_with(b"%PDF-") {
            ok += 1;
            bytes += reply.body.len();
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| {
        ms.get(((ms.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .map(round2)
    };
    Ok(json!({
        "downloads": ids.len(),
        "pdf_200": ok,
        "per_s": round2(ids.len() as f64 / elapsed.max(1e-9)),
        "ms_p50": at(0.5),
        "ms_p99": at(0.99),
        "ms_max": at(1.0),
        "mean_pdf_bytes": bytes / usize::try_from(ok.max(1))?,
    }))
}

/// Per-second increments of cumulative counts taken at each whole second.
fn per_second(cumulative: &[i64]) -> Vec<i64> {
    let mut last = 0;
    cumulative
        .iter()
        .map(|&c| {
            let d = c - last;
            last = c;
            d
        })
        .collect()
}

/// The association's year being receipted.
struct Job {
    org: i64,
    year: i64,
    donors: i64,
    per_donor: i64,
    /// The year's first and last-plus-one second.
    start: i64,
    end: i64,
}

/// What was seen while the job ran; times in seconds from the request that started it.
struct Run {
    /// The e-mail files written before the job.
    before: BTreeSet<String>,
    post_s: f64,
    issued_s: Option<f64>,
    first_email_s: Option<f64>,
    done_s: Option<f64>,
    waited_s: f64,
    /// New e-mail files when the last receipt was issued.
    emails_when_issued: u64,
    cpu_start: CpuMark,
    cpu_issued: Option<CpuMark>,
    cpu_end: CpuMark,
    /// Receipts and new e-mails at the end of each whole second.
    receipts_by_second: Vec<i64>,
    emails_by_second: Vec<i64>,
}

/// Starts the job as staff, then counts receipts and new e-mail files every 100 ms
/// until every e-mail is written; bounded by `timeout` and by STALL without progress.
async fn run_job(bench: &Bench, session: &str, db: &Db, job: &Job, pid: u32, timeout: u64) -> Result<Run, BoxError> {
    let db_port = bench
        .common
        .database_url
        .as_deref()
        .and_then(crate::server::postgres_port);
    let before = email_files(&bench.spec).await;
    let old = before.len() as u64;
    let csrf = csrf(&bench.spec, session).await?;
    let cpu_start = CpuMark::now(pid, db_port);
    let started = Instant::now();
    let year = job.year.to_string();
    post_form(
        &bench.spec,
        session,
        "/admin/receipts/annual",
        &[("csrf", &csrf), ("year", &year)],
    )
    .await?;
    let post_s = started.elapsed().as_secs_f64();
    eprintln!("relais-bench: annual receipts of {year} started");
    let (mut issued_s, mut first_email_s, mut done_s, mut cpu_issued) = (None, None, None, None);
    let mut emails_when_issued = 0;
    let (mut receipts_by_second, mut emails_by_second) = (Vec::new(), Vec::new());
    let (mut last, mut last_change, mut next_report) = ((0, 0), Instant::now(), 10.0);
    while started.elapsed() < Duration::from_secs(timeout) && last_change.elapsed() < STALL {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let receipts = db.int(COUNT_RECEIPTS, &[job.org, job.year]).await?;
        let emails = crate::count_emails(&bench.spec.data).await.saturating_sub(old);
        let t = started.elapsed().as_secs_f64();
        if (receipts, emails) != last {
            last = (receipts, emails);
            last_change = Instant::now();
        }
        if first_email_s.is_none() && emails > 0 {
            first_email_s = Some(t);
        }
        if issued_s.is_none() && receipts >= job.donors {
            issued_s = Some(t);
            cpu_issued = Some(CpuMark::now(pid, db_port));
            emails_when_issued = emails;
        }
        while receipts_by_second.len() < t.floor() as usize {
            receipts_by_second.push(receipts);
            emails_by_second.push(i64::try_from(emails)?);
        }
        if i64::try_from(emails)? >= job.donors {
            done_s = Some(t);
            break;
        }
        if t >= next_report {
            next_report += 10.0;
            eprintln!("relais-bench: {t:>5.0}s, {receipts} receipts, {emails} e-mails");
        }
    }
    Ok(Run {
        before,
        post_s,
        issued_s,
        first_email_s,
        done_s,
        waited_s: started.elapsed().as_secs_f64(),
        emails_when_issued,
        cpu_start,
        cpu_issued,
        cpu_end: CpuMark::now(pid, db_port),
        receipts_by_second,
        emails_by_second,
    })
}

pub async fn receipts(common: &Common, donors: i64, per_donor: i64, timeout: u64) -> Result<(Value, bool), BoxError> {
    let bench = Bench::new(common)?;
    let server = bench.spec.start().await?;
    let pid = server.pid;
    let session = setup::signed_in(&bench.spec, &bench.tag).await?;
    let campaign = set_up(&bench.spec, &session, &bench.tag).await?;
    let db = Db::open(&bench).await?;
    let ids = "SELECT id, org_id FROM campaigns WHERE slug = $1";
    let (campaign_id, org): (i64, i64) = on_pool!(&db, |p| sqlx::query_as(ids).bind(&campaign).fetch_one(p).await?);
    let year = year_of(unix_now()) - 1;
    let (start, end) = (
        days_from_civil(year, 1, 1) * 86_400,
        days_from_civil(year + 1, 1, 1) * 86_400,
    );
    eprintln!("relais-bench: seeding {donors} donors × {per_donor} paid gifts of {year}");
    let seeding = Instant::now();
    db.seed(org, campaign_id, donors, per_donor, start, &bench.tag).await?;
    let seed_s = seeding.elapsed().as_secs_f64();
    eprintln!("relais-bench: seeded in {seed_s:.1} s");
    let quiet = crate::wait_quiet(common).await;

    let job = Job {
        org,
        year,
        donors,
        per_donor,
        start,
        end,
    };
    let run = run_job(&bench, &session, &db, &job, pid, timeout).await?;
    let rss_end = crate::rss(pid);
    let emails_end = crate::count_emails(&bench.spec.data)
        .await
        .saturating_sub(run.before.len() as u64);

    eprintln!("relais-bench: checking the receipts");
    let (mut checks, stored_ok) = db.check(&job).await?;
    let (opened, attached) = sample_attachments(&bench.spec, &run.before, year).await;
    let probe_ids = db.first_ids(org, year, PROBE).await?;
    let probe = pdf_probe(&bench.spec, &session, &probe_ids).await?;
    db.close().await;
    let stopped = server.terminate(STOP_GRACE).await?;

    let probe_ok = probe["pdf_200"].as_u64() == Some(probe_ids.len() as u64);
    checks["emails_written"] = emails_end.into();
    checks["sampled_emails"] = opened.into();
    checks["sampled_with_pdf_attached"] = attached.into();
    let correct = stored_ok && emails_end == u64::try_from(donors)? && opened > 0 && attached == opened && probe_ok;
    let passed = correct && stopped.exit_code == Some(0) && !stopped.killed;

    let rate = |n: i64, s: Option<f64>| s.map(|s| round2(n as f64 / s.max(1e-9)));
    // Once every receipt is issued, only the worker runs: e-mails rendered with their PDF.
    let delivery_alone = match (run.issued_s, run.done_s) {
        (Some(a), Some(b)) if b > a + 1.0 => Some(round2((donors as f64 - run.emails_when_issued as f64) / (b - a))),
        _ => None,
    };
    let mut m = bench.header("receipts");
    m.insert("machine_before_load".into(), quiet);
    m.insert("donors".into(), donors.into());
    m.insert("gifts_per_donor".into(), per_donor.into());
    m.insert("gifts".into(), (donors * per_donor).into());
    m.insert("year".into(), year.into());
    m.insert("seed_s".into(), round2(seed_s).into());
    m.insert(
        "bulk_per_second".into(),
        json!({"server_setting": 500, "source": "default (the bench passes no RELAIS_BULK_PER_SECOND)"}),
    );
    m.insert("post_request_s".into(), round2(run.post_s).into());
    m.insert(
        "issuance".into(),
        json!({"seconds": run.issued_s.map(round2), "receipts_per_s": rate(donors, run.issued_s)}),
    );
    m.insert(
        "end_to_end".into(),
        json!({
            "seconds": run.done_s.map(round2),
            "receipts_per_s": rate(donors, run.done_s),
            "first_email_s": run.first_email_s.map(round2),
            "emails_written_when_issuance_ended": run.emails_when_issued,
            "emails_per_s_after_issuance": delivery_alone,
        }),
    );
    m.insert("pdf_download_one_at_a_time".into(), probe);
    m.insert("waited_s".into(), round2(run.waited_s).into());
    m.insert(
        "per_second".into(),
        json!({"receipts": per_second(&run.receipts_by_second), "emails": per_second(&run.emails_by_second)}),
    );
    m.insert(
        "cpu_during_issuance".into(),
        run.cpu_issued.as_ref().map(|b| run.cpu_start.report(b)).into(),
    );
    m.insert(
        "cpu_after_issuance".into(),
        run.cpu_issued.as_ref().map(|b| b.report(&run.cpu_end)).into(),
    );
    m.insert("cpu_whole_job".into(), run.cpu_start.report(&run.cpu_end));
    m.insert("server_memory".into(), rss_end);
    m.insert("checks".into(), checks);
    m.insert("shutdown".into(), stop_json(&stopped));
    m.insert("server_log".into(), crate::log_summary(&bench.spec.log));
    m.insert("checks_passed".into(), passed.into());
    bench.finish();
    Ok((Value::Object(m), passed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_start_on_the_right_day() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2026, 1, 1), 20_454);
        assert_eq!(days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 1), 29);
        assert_eq!(year_of(20_454 * 86_400), 2026);
        assert_eq!(year_of(20_454 * 86_400 - 1), 2025);
    }

    #[test]
    fn a_receipt_attachment_is_recognised_by_its_name_and_pdf_header() {
        let mail = "Content-Disposition: attachment; filename=\"recu-fiscal-2025-000001.pdf\"\r\n\
                    Content-Type: application/pdf\r\n\r\nJVBERi0xLjcK\r\n";
        assert!(pdf_attached(mail, "recu-fiscal-2025-"));
        assert!(!pdf_attached(mail, "recu-fiscal-2024-"));
        assert!(!pdf_attached(&mail.replace("JVBERi0", "SGVsbG8"), "recu-fiscal-2025-"));
    }

    #[test]
    fn cumulative_counts_become_per_second_counts() {
        assert_eq!(per_second(&[3, 3, 10]), vec![3, 0, 7]);
    }
}
