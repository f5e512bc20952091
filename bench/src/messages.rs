//! `relais-bench messages`: a message to every supporter of an association who
//! agreed to its newsletter. Seeds N supporters straight into the database (nine in
//! ten agreed, one in ten of those withdrew later, one in twenty has the tag
//! `bénévole`), writes the message through the back office, times the confirmation
//! page (which counts the people who agreed), then sends it and times the worker's
//! fan-out until every copy is in the outbox, for everyone who agreed and for a
//! tagged segment. Checks the copies are exactly the people SQL says agreed.

use std::time::{Duration, Instant};

use hyper::Method;
use hyper::body::Bytes;
use hyper::header::{COOKIE, HeaderName, HeaderValue, LOCATION};
use serde_json::{Value, json};

use crate::receipts::{Db, csrf, on_pool, unix_now};
use crate::server::{Spec, round2};
use crate::{Bench, BoxError, Common, STOP_GRACE, http, setup, stop_json};

impl Db {
    /// `n` supporters of `org` with their newsletter consents and withdrawals.
    async fn seed_subscribers(&self, org: i64, n: i64, now: i64) -> Result<(), BoxError> {
        let (with_n, from_n) = if self.is_postgres() {
            ("", "generate_series(1, $2) AS n(i)")
        } else {
            (
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2) ",
                "n",
            )
        };
        let supporters = format!(
            "{with_n}INSERT INTO supporters (org_id, email, first_name, last_name, postcode, country, locale, \
             created_at, updated_at) SELECT $1, 'm' || i || '@example.org', 'Prénom' || (i % 997), 'Martin', \
             '69003', 'FR', CASE WHEN i % 7 = 0 THEN 'en' ELSE 'fr' END, $3, $3 FROM {from_n}"
        );
        let person = "FROM supporters s WHERE s.org_id = $1";
        let granted = format!(
            "INSERT INTO consents (org_id, supporter_id, channel, purpose, granted, wording, source, created_at) \
             SELECT $1, s.id, 'email', 'newsletter', TRUE, 'Je m''abonne', 'bench', $2 {person} AND s.id % 10 <> 0"
        );
        let withdrawn = format!(
            "INSERT INTO consents (org_id, supporter_id, channel, purpose, granted, wording, source, created_at) \
             SELECT $1, s.id, 'email', 'newsletter', FALSE, 'Désinscription', 'bench', $2 + 60 {person} \
             AND s.id % 10 = 1"
        );
        let tags = format!(
            "INSERT INTO supporter_tags (org_id, supporter_id, tag, created_at) SELECT $1, s.id, 'bénévole', $2 \
             {person} AND s.id % 20 = 3"
        );
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(sqlx::AssertSqlSafe(supporters))
                .bind(org)
                .bind(n)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            for sql in [granted, withdrawn, tags] {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(org)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

/// A back-office POST as staff; returns the status and the redirect's target.
async fn post(spec: &Spec, session: &str, path: &str, fields: &[(&str, &str)]) -> Result<(u16, String), BoxError> {
    let headers = [
        (COOKIE, HeaderValue::from_str(session)?),
        (
            HeaderName::from_static("content-type"),
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        ),
    ];
    let reply = http::once(spec.addr, Method::POST, path, &headers, Bytes::from(http::form(fields))).await?;
    let to = reply
        .headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok((reply.status, to))
}

/// One message sent to `segment`: `(figures, copies as expected)`.
async fn send_one(
    bench: &Bench,
    db: &Db,
    session: &str,
    (name, segment, expected_sql): (&str, &str, &str),
    org: i64,
) -> Result<(Value, bool), BoxError> {
    let token = csrf(&bench.spec, session).await?;
    let (status, to) = post(
        &bench.spec,
        session,
        "/admin/messages",
        &[
            ("csrf", &token),
            ("segment", segment),
            ("purpose", "newsletter"),
            ("subject", "{{first_name}}, des nouvelles du puits"),
            (
                "body",
                "Bonjour {{first_name}},\n\nLe puits de Kpalimé coule. [Voir les photos](https://example.org/photos).",
            ),
            ("html", "on"),
        ],
    )
    .await?;
    let path = to.split('?').next().unwrap_or_default().to_owned();
    if status != 303 || !path.starts_with("/admin/messages/") {
        return Err(format!("saving the message answered {status} ({to})").into());
    }
    let id: i64 = path.rsplit('/').next().unwrap_or_default().parse()?;
    // The confirmation page counts the people who agreed.
    let asked = Instant::now();
    let (status, _) = post(&bench.spec, session, &format!("{path}/send"), &[("csrf", &token)]).await?;
    let confirm_s = asked.elapsed().as_secs_f64();
    if status != 200 {
        return Err(format!("the confirmation page answered {status}").into());
    }
    let sent = Instant::now();
    let (status, _) = post(
        &bench.spec,
        session,
        &format!("{path}/send"),
        &[("csrf", &token), ("confirm", "yes")],
    )
    .await?;
    if status != 303 {
        return Err(format!("sending answered {status}").into());
    }
    let mut enqueue_s = None;
    while sent.elapsed() < Duration::from_secs(900) {
        let done = db
            .int(
                "SELECT COUNT(*) FROM messages WHERE id = $1 AND fanout_done_at IS NOT NULL",
                &[id],
            )
            .await?;
        if done == 1 {
            enqueue_s = Some(sent.elapsed().as_secs_f64());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expected = db.int(expected_sql, &[org]).await?;
    let copies = db
        .int(
            "SELECT COUNT(*) FROM outbox WHERE topic = 'message:' || CAST($1 AS TEXT)",
            &[id],
        )
        .await?;
    let total = db.int("SELECT fanout_total FROM messages WHERE id = $1", &[id]).await?;
    let ok = enqueue_s.is_some() && copies == expected && total == expected;
    eprintln!("relais-bench: {name}: {copies} copies (expected {expected}) in {enqueue_s:?} s");
    Ok((
        json!({
            "segment": name,
            "confirmation_page_s": round2(confirm_s),
            "recipients_expected": expected,
            "copies_enqueued": copies,
            "enqueue_s": enqueue_s.map(round2),
            "enqueued_per_s": enqueue_s.map(|s| round2(copies as f64 / s)),
        }),
        ok,
    ))
}

pub async fn messages(common: &Common, recipients: i64) -> Result<(Value, bool), BoxError> {
    let bench = Bench::new(common)?;
    let server = bench.spec.start().await?;
    let session = setup::signed_in(&bench.spec, &bench.tag).await?;
    let db = Db::open(&bench).await?;
    // The association just created: the newest (a PostgreSQL database may hold earlier runs').
    let org = db.int("SELECT MAX(id) FROM orgs", &[]).await?;
    eprintln!("relais-bench: seeding {recipients} supporters");
    let seeding = Instant::now();
    db.seed_subscribers(org, recipients, unix_now()).await?;
    let seed_s = seeding.elapsed().as_secs_f64();
    eprintln!("relais-bench: seeded in {seed_s:.1} s");
    let quiet = crate::wait_quiet(common).await;
    let agreed = "SELECT COUNT(*) FROM supporters s WHERE s.org_id = $1 AND s.id % 10 NOT IN (0, 1)";
    let tagged = "SELECT COUNT(*) FROM supporters s WHERE s.org_id = $1 AND s.id % 10 NOT IN (0, 1) \
                  AND s.id % 20 = 3";
    let (everyone, ok_everyone) = send_one(&bench, &db, &session, ("everyone_who_agreed", "", agreed), org).await?;
    let (volunteers, ok_tagged) = send_one(
        &bench,
        &db,
        &session,
        ("tag_benevole", "query:tag=b%C3%A9n%C3%A9vole", tagged),
        org,
    )
    .await?;
    db.close().await;
    let stopped = server.terminate(STOP_GRACE).await?;
    let passed = ok_everyone && ok_tagged && stopped.exit_code == Some(0) && !stopped.killed;
    let mut m = bench.header("messages");
    m.insert("machine_before_load".into(), quiet);
    m.insert("supporters".into(), recipients.into());
    m.insert("seed_s".into(), round2(seed_s).into());
    m.insert("messages".into(), json!([everyone, volunteers]));
    m.insert("shutdown".into(), stop_json(&stopped));
    m.insert("checks_passed".into(), passed.into());
    bench.finish();
    Ok((Value::Object(m), passed))
}
