//! `relais-bench impact`: a project's news told to N contributors. Sets the project
//! up as staff do (a published project, a campaign restricted to it) through the
//! back-office forms, seeds N donors straight into the database (paid gifts on the
//! campaign, a second gift for one in four, a mobile number and SMS consent for one
//! in three, the e-mail impact consent for the others but one in ten who ticked
//! nothing), posts the news with "tell the donors" as staff do, and measures the
//! request: it enqueues every personal message in its transaction. Then checks the
//! outbox: one message per donor who asked, on their channel, none for the others.

use std::time::Instant;

use hyper::Method;
use hyper::body::Bytes;
use hyper::header::{COOKIE, HeaderName, HeaderValue};
use serde_json::{Value, json};

use crate::receipts::{Db, csrf, on_pool, post_form, unix_now};
use crate::server::{CpuMark, round2};
use crate::{Bench, BoxError, Common, STOP_GRACE, http, setup, stop_json};

/// Contributors with a number and SMS consent: one in three.
const SMS_EVERY: i64 = 3;
/// Contributors who ticked nothing: one in ten (not texted ones).
const SILENT_EVERY: i64 = 10;
/// Contributors with a second gift: one in four.
const SECOND_GIFT_EVERY: i64 = 4;

impl Db {
    /// A single integer from `sql`, whose one parameter is the text `arg`.
    async fn int_text(&self, sql: &str, arg: &str) -> Result<i64, BoxError> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        Ok(on_pool!(self, |p| sqlx::query_scalar::<_, i64>(sql)
            .bind(arg)
            .fetch_one(p)
            .await?))
    }
}

/// Seeds `n` contributors of `campaign`, their gifts and consents.
async fn seed(db: &Db, org: i64, campaign: i64, n: i64, tag: &str) -> Result<(), BoxError> {
    let postgres = matches!(db, Db::Postgres(_));
    let series = if postgres {
        "generate_series(1, $3) AS n(i)"
    } else {
        "n"
    };
    let with_n = if postgres {
        ""
    } else {
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $3) "
    };
    let supporters = format!(
        "{with_n}INSERT INTO supporters (org_id, email, first_name, last_name, postcode, country, locale, phone, \
         created_at, updated_at) SELECT $1, 'donor-{tag}-' || i || '@example.org', 'Zoé', 'Lefèvre', '69003', \
         'FR', CASE WHEN i % 5 = 0 THEN 'en' ELSE 'fr' END, \
         CASE WHEN i % {SMS_EVERY} = 0 THEN '+336' || (10000000 + i) ELSE NULL END, $2, $2 FROM {series}"
    );
    let gifts = "INSERT INTO gifts (org_id, campaign_id, supporter_id, amount_cents, frequency, status, method, \
         provider, provider_ref, wants_receipt, first_name, last_name, email, locale, created_at, paid_at) \
         SELECT $1, $2, s.id, 1000 + (s.id % 97) * 100, 'once', 'paid', 'card', 'sandbox', \
         'bench-' || $3 || '-' || s.id || '-' || k.j, FALSE, s.first_name, s.last_name, s.email, s.locale, $4, $4 \
         FROM supporters s JOIN (SELECT 1 AS j UNION ALL SELECT 2) k \
         ON k.j = 1 OR s.id % $5 = 0 WHERE s.org_id = $1 AND s.email LIKE 'donor-%'";
    let consents = format!(
        "INSERT INTO consents (org_id, supporter_id, channel, purpose, granted, wording, source, created_at) \
         SELECT $1, s.id, c.channel, 'impact', TRUE, 'Dites-moi ce que mon don a permis de réaliser', '/d/bench', $2 \
         FROM supporters s JOIN (SELECT 'email' AS channel UNION ALL SELECT 'sms') c \
         ON c.channel = 'email' OR s.phone IS NOT NULL \
         WHERE s.org_id = $1 AND s.email LIKE 'donor-%' AND (s.phone IS NOT NULL OR s.id % {SILENT_EVERY} <> 0)"
    );
    let now = unix_now();
    on_pool!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query(sqlx::AssertSqlSafe(supporters))
            .bind(org)
            .bind(now)
            .bind(n)
            .execute(&mut *tx)
            .await?;
        sqlx::query(gifts)
            .bind(org)
            .bind(campaign)
            .bind(tag)
            .bind(now - 30 * 86_400)
            .bind(SECOND_GIFT_EVERY)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(consents))
            .bind(org)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    });
    Ok(())
}

/// A multipart body of text fields, as a browser sends the news form.
fn multipart(fields: &[(&str, &str)], boundary: &str) -> String {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    body
}

pub async fn impact(common: &Common, contributors: i64) -> Result<(Value, bool), BoxError> {
    let bench = Bench::new(common)?;
    let server = bench.spec.start().await?;
    let pid = server.pid;
    let db_port = common.database_url.as_deref().and_then(crate::server::postgres_port);
    let session = setup::signed_in(&bench.spec, &bench.tag).await?;
    let token = csrf(&bench.spec, &session).await?;
    let (project_slug, campaign_slug) = (format!("puits-{}", bench.tag), format!("dons-{}", bench.tag));
    post_form(
        &bench.spec,
        &session,
        "/admin/projects",
        &[
            ("csrf", &token),
            ("title", "Puits de Kpalimé"),
            ("slug", &project_slug),
            ("budget", "12000"),
        ],
    )
    .await?;
    let db = Db::open(&bench).await?;
    let project: (i64, i64) = on_pool!(&db, |p| sqlx::query_as(
        "SELECT id, org_id FROM projects WHERE slug = $1"
    )
    .bind(&project_slug)
    .fetch_one(p)
    .await?);
    let (project_id, org) = project;
    let base = format!("/admin/projects/{project_id}");
    post_form(
        &bench.spec,
        &session,
        &format!("{base}/state"),
        &[("csrf", &token), ("publish", "yes")],
    )
    .await?;
    post_form(
        &bench.spec,
        &session,
        "/admin/campaigns",
        &[
            ("csrf", &token),
            ("title", "Un puits pour Kpalimé"),
            ("slug", &campaign_slug),
            ("amounts", "20, 50"),
            ("once", "on"),
            ("project", &project_id.to_string()),
        ],
    )
    .await?;
    let campaign = db
        .int_text("SELECT id FROM campaigns WHERE slug = $1", &campaign_slug)
        .await?;
    eprintln!("relais-bench: seeding {contributors} contributors of the project");
    let seeding = Instant::now();
    seed(&db, org, campaign, contributors, &bench.tag).await?;
    let seed_s = seeding.elapsed().as_secs_f64();
    eprintln!("relais-bench: seeded in {seed_s:.1} s");
    let quiet = crate::wait_quiet(common).await;

    // The news, as staff post it: the request returns once every message is enqueued.
    let boundary = format!("relais-bench-{}", bench.tag);
    let body = multipart(
        &[
            ("csrf", &token),
            ("body", "La pompe est installée : l’eau coule."),
            ("stage", "completed"),
            ("figure_value", "450"),
            ("figure_label", "élèves ont l’eau à l’école"),
            ("figure_unit", ""),
            ("tell", "on"),
        ],
        &boundary,
    );
    let headers = [
        (COOKIE, HeaderValue::from_str(&session)?),
        (
            HeaderName::from_static("content-type"),
            HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}"))?,
        ),
    ];
    let cpu_start = CpuMark::now(pid, db_port);
    let started = Instant::now();
    let reply = http::once(
        bench.spec.addr,
        Method::POST,
        &format!("{base}/updates"),
        &headers,
        Bytes::from(body),
    )
    .await?;
    let post_s = started.elapsed().as_secs_f64();
    let cpu = cpu_start.report(&CpuMark::now(pid, db_port));
    if reply.status != 303 {
        let text: String = reply.text().chars().take(600).collect();
        return Err(format!("POST {base}/updates answered {}: {text}", reply.status).into());
    }
    eprintln!("relais-bench: news posted and messages enqueued in {post_s:.2} s");

    let update = db
        .int(
            "SELECT MAX(id) FROM project_updates WHERE project_id = $1",
            &[project_id],
        )
        .await?;
    let by_channel =
        |channel: &str| format!("SELECT COUNT(*) FROM impact_messages WHERE update_id = $1 AND channel = '{channel}'");
    let sms = db.int(&by_channel("sms"), &[update]).await?;
    let email = db.int(&by_channel("email"), &[update]).await?;
    let outbox = db
        .int_text(
            "SELECT COUNT(*) FROM outbox WHERE topic = $1",
            &format!("impact:{update}"),
        )
        .await?;
    let duplicates = db
        .int(
            "SELECT COUNT(*) FROM (SELECT supporter_id FROM impact_messages WHERE update_id = $1 \
             GROUP BY supporter_id HAVING COUNT(*) > 1) AS d",
            &[update],
        )
        .await?;
    // What the seed asked for: texts for one in three, e-mail for the rest but the
    // one in ten who ticked nothing.
    let expected_sms = contributors / SMS_EVERY;
    let expected_email = (1..=contributors)
        .filter(|i| i % SMS_EVERY != 0 && i % SILENT_EVERY != 0)
        .count() as i64;
    db.close().await;
    let stopped = server.terminate(STOP_GRACE).await?;
    let correct = sms == expected_sms && email == expected_email && outbox == sms + email && duplicates == 0;
    let passed = correct && stopped.exit_code == Some(0) && !stopped.killed;

    let mut m = bench.header("impact");
    m.insert("machine_before_load".into(), quiet);
    m.insert("contributors".into(), contributors.into());
    m.insert("seed_s".into(), round2(seed_s).into());
    m.insert(
        "enqueue".into(),
        json!({
            "post_request_s": round2(post_s),
            "messages": sms + email,
            "messages_per_s": round2((sms + email) as f64 / post_s.max(1e-9)),
            "cpu": cpu,
        }),
    );
    m.insert(
        "checks".into(),
        json!({
            "sms": sms,
            "expected_sms": expected_sms,
            "email": email,
            "expected_email": expected_email,
            "outbox_rows": outbox,
            "contributors_told_twice": duplicates,
        }),
    );
    m.insert("server_memory".into(), crate::rss(pid));
    m.insert("shutdown".into(), stop_json(&stopped));
    m.insert("server_log".into(), crate::log_summary(&bench.spec.log));
    m.insert("checks_passed".into(), passed.into());
    bench.finish();
    Ok((Value::Object(m), passed))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_news_form_is_sent_as_a_browser_sends_it() {
        let body = super::multipart(&[("csrf", "x"), ("tell", "on")], "b");
        assert_eq!(
            body,
            "--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nx\r\n\
             --b\r\nContent-Disposition: form-data; name=\"tell\"\r\n\r\non\r\n--b--\r\n"
        );
    }
}
