//! `relais-bench broadcast`: a post to a petition's signers while the petition is
//! being signed. Seeds N confirmed signers who agreed to updates straight into the
//! database (signing a million people over HTTP would take the bench longer than
//! the thing it measures), measures signing alone, then posts an update through
//! the back office and measures signing again while the worker fans the post out,
//! and how long the fan-out takes to have every message in the outbox.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::load::Work;
use crate::server::round2;
use crate::{Bench, BoxError, Common, STOP_GRACE, run_load, setup, stop_json};

/// The database, opened beside the server.
enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Db {
    async fn open(bench: &Bench) -> Result<Self, BoxError> {
        Ok(match &bench.common.database_url {
            Some(url) => Self::Postgres(sqlx::PgPool::connect(url).await?),
            None => {
                let path = bench.spec.data.join("relais.db");
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .busy_timeout(Duration::from_secs(60));
                Self::Sqlite(sqlx::SqlitePool::connect_with(options).await?)
            }
        })
    }

    async fn ids(&self, slug: &str) -> Result<(i64, i64), BoxError> {
        let sql = "SELECT id, org_id FROM petitions WHERE slug = $1";
        Ok(match self {
            Self::Sqlite(p) => sqlx::query_as(sql).bind(slug).fetch_one(p).await?,
            Self::Postgres(p) => sqlx::query_as(sql).bind(slug).fetch_one(p).await?,
        })
    }

    /// `n` supporters, their confirmed signatures and their consent to updates.
    async fn seed(&self, org: i64, petition: i64, n: i64, tag: &str) -> Result<(), BoxError> {
        let now = jiff_now();
        let purpose = format!("petition:{petition}:updates");
        let email = format!("'seed-{tag}-' || i || '@example.org'");
        let (supporters, ref_code) = match self {
            Self::Sqlite(_) => (
                format!(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $3) \
                     INSERT INTO supporters (org_id, email, first_name, last_name, postcode, country, locale, \
                     created_at, updated_at) SELECT $1, {email}, 'Awa', 'Mensah', '75011', 'FR', 'fr', $2, $2 FROM n"
                ),
                "printf('%010x', id)",
            ),
            Self::Postgres(_) => (
                format!(
                    "INSERT INTO supporters (org_id, email, first_name, last_name, postcode, country, locale, \
                     created_at, updated_at) SELECT $1, {email}, 'Awa', 'Mensah', '75011', 'FR', 'fr', $2, $2 \
                     FROM generate_series(1, $3) AS i"
                ),
                "lpad(to_hex(id), 10, '0')",
            ),
        };
        let signatures = format!(
            "INSERT INTO signatures (petition_id, org_id, supporter_id, email, email_domain, first_name, last_name, \
             postcode, country, status, locale, ref_code, created_at, confirmed_at) \
             SELECT $1, org_id, id, email, 'example.org', first_name, last_name, postcode, 'FR', 'confirmed', 'fr', \
             {ref_code}, $2, $2 FROM supporters WHERE org_id = $3 AND email LIKE 'seed-%'"
        );
        let consents = "INSERT INTO consents (org_id, supporter_id, signature_id, channel, purpose, granted, wording, \
             source, ip_hash, created_at) SELECT org_id, supporter_id, id, 'email', $1, TRUE, 'seed', 'bench', '', $2 \
             FROM signatures WHERE petition_id = $3";
        // The milestone of a million would be a second broadcast: mark it announced.
        let counts = "UPDATE petitions SET confirmed_count = confirmed_count + $1, milestone_announced = 1000000000, \
             milestone_at = $2 WHERE id = $3";
        macro_rules! run {
            ($pool:expr) => {{
                let mut tx = $pool.begin().await?;
                sqlx::query(sqlx::AssertSqlSafe(supporters.clone()))
                    .bind(org)
                    .bind(now)
                    .bind(n)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(sqlx::AssertSqlSafe(signatures.clone()))
                    .bind(petition)
                    .bind(now)
                    .bind(org)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(consents)
                    .bind(&purpose)
                    .bind(now)
                    .bind(petition)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(counts)
                    .bind(n)
                    .bind(now)
                    .bind(petition)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }};
        }
        match self {
            Self::Sqlite(p) => run!(p),
            Self::Postgres(p) => run!(p),
        }
        Ok(())
    }

    /// `(enqueued, done)` of the petition's latest post.
    async fn fan_out(&self, petition: i64) -> Result<Option<(i64, bool)>, BoxError> {
        let sql = "SELECT fanout_total, fanout_done_at FROM petition_posts WHERE petition_id = $1 \
                   ORDER BY id DESC LIMIT 1";
        let row: Option<(i64, Option<i64>)> = match self {
            Self::Sqlite(p) => sqlx::query_as(sql).bind(petition).fetch_optional(p).await?,
            Self::Postgres(p) => sqlx::query_as(sql).bind(petition).fetch_optional(p).await?,
        };
        Ok(row.map(|(n, done)| (n, done.is_some())))
    }

    async fn close(self) {
        match self {
            Self::Sqlite(p) => p.close().await,
            Self::Postgres(p) => p.close().await,
        }
    }
}

fn jiff_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Mean of the per-second counts over the first `seconds` whole seconds.
fn mean_rate(timeline: &[u64], seconds: usize) -> f64 {
    let n = seconds.min(timeline.len()).max(1);
    timeline[..n].iter().sum::<u64>() as f64 / n as f64
}

pub async fn broadcast(common: &Common, signers: i64, duration: u64, control: bool) -> Result<(Value, bool), BoxError> {
    let bench = Bench::new(common)?;
    let server = bench.spec.start().await?;
    let session = setup::signed_in(&bench.spec, &bench.tag).await?;
    let slug = setup::publish(&bench.spec, &session, &bench.tag).await?;
    let db = Db::open(&bench).await?;
    let (petition, org) = db.ids(&slug).await?;
    eprintln!("relais-bench: seeding {signers} confirmed signers who agreed to updates");
    let seeding = Instant::now();
    db.seed(org, petition, signers, &bench.tag).await?;
    let seed_s = seeding.elapsed().as_secs_f64();
    eprintln!("relais-bench: seeded in {seed_s:.1} s");
    let quiet = crate::wait_quiet(common).await;

    // Signing alone.
    let plan = bench.plan(&slug, Work::Sign, Duration::from_secs(duration), None);
    let alone = run_load("sign (alone)", plan).await;

    // Signing while the update fans out (a control run posts nothing).
    let posted = Instant::now();
    if !control {
        setup::post_update(
            &bench.spec,
            &session,
            petition,
            "Nous avons été reçus au ministère. Merci à chacune et chacun : la suite dans quelques jours.",
        )
        .await?;
    }
    let post_s = posted.elapsed().as_secs_f64();
    let mut plan = bench.plan(&slug, Work::Sign, Duration::from_secs(duration), None);
    plan.tag = format!("{}b", bench.tag);
    let load = tokio::spawn(run_load("sign (during the fan-out)", plan));
    let mut enqueued_s = None;
    let mut enqueued = 0;
    let watch_until = posted + Duration::from_secs(duration.max(120));
    while !control && Instant::now() < watch_until {
        if let Some((n, done)) = db.fan_out(petition).await? {
            enqueued = n;
            if done {
                enqueued_s = Some(posted.elapsed().as_secs_f64());
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let during = load.await?;
    let emails_after_fan_out = crate::count_emails(&bench.spec.data).await;

    // Signing while the worker delivers the post's messages (confirmations first).
    let mut plan = bench.plan(&slug, Work::Sign, Duration::from_secs(duration), None);
    plan.tag = format!("{}c", bench.tag);
    let delivering_from = crate::count_emails(&bench.spec.data).await;
    let delivery = run_load("sign (during delivery)", plan).await;
    let delivered = crate::count_emails(&bench.spec.data).await - delivering_from;
    db.close().await;
    let stopped = server.terminate(STOP_GRACE).await?;

    let alone_rate = mean_rate(&alone.timeline, alone.elapsed.as_secs() as usize);
    // Whole seconds of the signing load that the fan-out fully covered.
    let covered = if control {
        during.elapsed.as_secs() as usize
    } else {
        enqueued_s
            .map(|s| (s - post_s).floor().max(1.0) as usize)
            .unwrap_or(0)
            .min(during.elapsed.as_secs() as usize)
    };
    let during_rate = mean_rate(&during.timeline, covered);
    let drop_pct = 100.0 * (1.0 - during_rate / alone_rate.max(1.0));
    let delivery_rate = mean_rate(&delivery.timeline, delivery.elapsed.as_secs() as usize);
    let complete = control || (enqueued == signers && enqueued_s.is_some());
    let passed = complete && stopped.exit_code == Some(0) && !stopped.killed;

    let mut m = bench.header("broadcast");
    m.insert("machine_before_load".into(), quiet);
    m.insert("signers".into(), signers.into());
    m.insert("control".into(), control.into());
    m.insert("seed_s".into(), round2(seed_s).into());
    m.insert("post_request_s".into(), round2(post_s).into());
    m.insert("enqueued".into(), enqueued.into());
    m.insert("enqueue_s".into(), enqueued_s.map(round2).into());
    m.insert(
        "enqueued_per_s".into(),
        enqueued_s.map(|s| round2(enqueued as f64 / s)).into(),
    );
    m.insert(
        "signing".into(),
        json!({
            "alone_per_s": round2(alone_rate),
            "alone_timeline": alone.timeline,
            "during_fan_out_per_s": round2(during_rate),
            "during_fan_out_seconds": covered,
            "during_timeline": during.timeline,
            "drop_pct": round2(drop_pct),
            "during_delivery_per_s": round2(delivery_rate),
            "during_delivery_timeline": delivery.timeline,
            "delivery_drop_pct": round2(100.0 * (1.0 - delivery_rate / alone_rate.max(1.0))),
        }),
    );
    m.insert(
        "emails".into(),
        json!({
            "written_by_end_of_fan_out": emails_after_fan_out,
            "written_during_delivery_phase": delivered,
            "per_s_during_delivery_phase": round2(delivered as f64 / delivery.elapsed.as_secs_f64()),
        }),
    );
    m.insert("shutdown".into(), stop_json(&stopped));
    m.insert("checks_passed".into(), passed.into());
    bench.finish();
    Ok((Value::Object(m), passed))
}
