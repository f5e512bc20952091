//! `relais-bench me`: how long `/me` takes for a person with many contributions.
//! Sets the association up as staff do (projects with places, a campaign restricted
//! to each, a general campaign, petitions) through the back-office forms, signs the
//! petitions through the public form, seeds the person's paid gifts straight into the
//! database (typing hundreds of gifts into a sandbox page would measure the page),
//! allocates the general gifts to projects through the allocation form, and seeds
//! project news and petition posts since. Then asks for the person's `/me` page,
//! one request after the other on a kept-alive connection, and reports the
//! latencies; every answer must tell the story of every gift and signature.

use std::time::Instant;

use hyper::Method;
use hyper::body::Bytes;
use hyper::header::{COOKIE, HeaderName, HeaderValue, LOCATION};
use serde_json::{Value, json};

use crate::receipts::{Db, csrf, post_form, unix_now};
use crate::server::{Spec, round2};
use crate::{Bench, BoxError, Common, STOP_GRACE, http, setup, stop_json};

const DAY: i64 = 86_400;
/// Projects the person's money reached.
const PROJECTS: usize = 5;
/// News per project, spread over the person's giving years.
const NEWS_PER_PROJECT: i64 = 40;
/// Posts per petition after the person signed.
const POSTS_PER_PETITION: i64 = 3;
/// Requests made before measuring (caches, connection pool).
const WARM_UP: usize = 20;

/// A back-office form whose success is a redirect; returns where it leads.
async fn post_for_location(
    spec: &Spec,
    session: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> Result<String, BoxError> {
    let headers = [
        (COOKIE, HeaderValue::from_str(session)?),
        (
            HeaderName::from_static("content-type"),
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        ),
    ];
    let reply = http::once(spec.addr, Method::POST, path, &headers, Bytes::from(http::form(fields))).await?;
    match (reply.status, reply.headers.get(LOCATION).and_then(|v| v.to_str().ok())) {
        (303, Some(to)) => Ok(to.to_owned()),
        (status, _) => {
            let text: String = reply.text().chars().take(600).collect();
            Err(format!("POST {path} answered {status}: {text}").into())
        }
    }
}

/// `YYYY-MM-DD` of a Unix time (UTC).
fn day(secs: i64) -> String {
    let days = secs.div_euclid(DAY);
    // H. Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// What was set up for the person.
struct Person {
    org: i64,
    supporter: i64,
    gifts: i64,
    signatures: i64,
}

/// Projects, campaigns and petitions through the back office; signatures through the
/// public form; gifts, news and posts in the database; allocations through the form.
async fn set_up(bench: &Bench, session: &str, db: &Db, gifts: i64, signatures: i64) -> Result<Person, BoxError> {
    let spec = &bench.spec;
    let tag = &bench.tag;
    let token = csrf(spec, session).await?;
    let token = token.as_str();
    let places = [
        ("Kpalimé, Togo", "6.9", "0.63"),
        ("Sokodé, Togo", "8.98", "1.13"),
        ("Dapaong, Togo", "10.86", "0.2"),
        ("Parakou, Bénin", "9.34", "2.63"),
        ("Lyon, France", "45.76", "4.83"),
    ];
    let mut projects = Vec::new();
    for (i, (place, lat, lon)) in places.iter().enumerate().take(PROJECTS) {
        let (title, slug) = (format!("Projet {i} à {place}"), format!("projet-{tag}-{i}"));
        let fields = [
            ("csrf", token),
            ("title", title.as_str()),
            ("slug", slug.as_str()),
            ("budget", "12000"),
            ("place_label", place),
            ("latitude", lat),
            ("longitude", lon),
            ("body", "Un forage de **40 mètres** pour l’école du village."),
        ];
        let page = post_for_location(spec, session, "/admin/projects", &fields).await?;
        let base = page.split('?').next().unwrap_or_default().to_owned();
        post_form(
            spec,
            session,
            &format!("{base}/state"),
            &[("csrf", token), ("publish", "yes")],
        )
        .await?;
        let id: i64 = base.rsplit('/').next().unwrap_or_default().parse()?;
        let campaign = format!("pour-{tag}-{i}");
        post_form(
            spec,
            session,
            "/admin/campaigns",
            &[
                ("csrf", token),
                ("title", &format!("Pour le projet {i}")),
                ("slug", &campaign),
                ("amounts", "20, 50"),
                ("once", "on"),
                ("project", &id.to_string()),
            ],
        )
        .await?;
        projects.push((base, id));
    }
    let general = format!("general-{tag}");
    post_form(
        spec,
        session,
        "/admin/campaigns",
        &[
            ("csrf", token),
            ("title", "Soutenir l’association"),
            ("slug", &general),
            ("amounts", "20, 50"),
            ("once", "on"),
            ("project", ""),
        ],
    )
    .await?;

    // Petitions, each signed by the person through the public form.
    let email = format!("me-{tag}@example.org");
    eprintln!("relais-bench: {signatures} petitions and signatures");
    for i in 0..signatures {
        let slug = setup::publish_as(spec, session, &format!("petition-{tag}-{i}")).await?;
        let fields = [
            ("first_name", "Jeanne"),
            ("last_name", "Martin"),
            ("email", email.as_str()),
            ("postcode", "69001"),
            ("country", "FR"),
            ("consent_updates", "on"),
        ];
        // Each from its own address, as behind a proxy: the per-address limit is not the subject.
        let headers = [
            (
                HeaderName::from_static("content-type"),
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            ),
            (
                HeaderName::from_static("x-forwarded-for"),
                HeaderValue::from_str(&format!("10.7.{}.{}", i / 250, i % 250 + 1))?,
            ),
        ];
        let body = Bytes::from(http::form(&fields));
        let reply = http::once(spec.addr, Method::POST, &format!("/p/{slug}/sign"), &headers, body).await?;
        if reply.status != 303 {
            return Err(format!("signing {slug} answered {}", reply.status).into());
        }
    }
    let (org, supporter) = ids(db).await?;

    // Gifts over the last two years: every other one for a project, the rest general.
    eprintln!("relais-bench: seeding {gifts} paid gifts");
    let now = unix_now();
    let first = now - 720 * DAY;
    let seed = format!(
        "{}INSERT INTO gifts (org_id, campaign_id, supporter_id, amount_cents, frequency, status, method, \
         provider, provider_ref, wants_receipt, first_name, last_name, email, address, postcode, city, country, \
         locale, created_at, paid_at) \
         SELECT $1, CASE WHEN i % 2 = 0 THEN r.id ELSE g.id END, $2, 1000 + (i % 9) * 500, 'once', 'paid', \
         'cheque', 'offline', 'bench-me-' || i, FALSE, 'Jeanne', 'Martin', '{email}', '12 rue des Lilas', '69001', \
         'Lyon', 'FR', 'fr', $3 + i * (720 * 86400 / $4), $3 + i * (720 * 86400 / $4) \
         FROM {} JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k FROM campaigns \
         WHERE org_id = $1 AND project_id IS NOT NULL) r ON r.k = (i / 2) % {PROJECTS} \
         CROSS JOIN (SELECT id FROM campaigns WHERE org_id = $1 AND project_id IS NULL) g",
        with_numbers(db, 4),
        numbers(db, 4)
    );
    db.exec(&seed, &[org, supporter, first, gifts]).await?;
    db.exec(
        "UPDATE campaigns SET raised_cents = (SELECT COALESCE(SUM(amount_cents), 0) FROM gifts g WHERE g.campaign_id = \
         campaigns.id AND g.status = 'paid'), gifts_count = (SELECT COUNT(*) FROM gifts g WHERE g.campaign_id = \
         campaigns.id AND g.status = 'paid') WHERE org_id = $1",
        &[org],
    )
    .await?;

    // Staff allocate the general gifts, a part to each of four projects, by the form.
    let general_cents = db
        .int(
            "SELECT CAST(COALESCE(SUM(g.amount_cents), 0) AS BIGINT) FROM gifts g JOIN campaigns c ON c.id = \
             g.campaign_id WHERE g.org_id = $1 AND c.project_id IS NULL",
            &[org],
        )
        .await?;
    let (from, to) = (day(first), day(now));
    for (base, _) in projects.iter().take(4) {
        let euros = (general_cents / 5 / 100).to_string();
        post_form(
            spec,
            session,
            &format!("{base}/allocate"),
            &[
                ("csrf", token),
                ("amount", &euros),
                ("from", &from),
                ("to", &to),
                ("campaign", ""),
                ("label", "Dons libres"),
            ],
        )
        .await?;
    }

    // News on every project over the two years, and posts on every petition since she signed.
    for (_, id) in &projects {
        let news = format!(
            "{}INSERT INTO project_updates (org_id, project_id, body, stage, figures, created_at) \
             SELECT $1, $2, 'Le chantier avance : **' || i || '** mètres forés.', \
             CASE WHEN i % 10 = 0 THEN 'under_way' END, \
             CASE WHEN i % 7 = 0 THEN '[{{\"label\":\"personnes servies\",\"value\":450,\"unit\":\"\"}}]' END, \
             $3 + i * (720 * 86400 / $4) FROM {}",
            with_numbers(db, 4),
            numbers(db, 4)
        );
        db.exec(&news, &[org, *id, first, NEWS_PER_PROJECT]).await?;
    }
    let posts = format!(
        "{}INSERT INTO petition_posts (org_id, petition_id, kind, body, created_at, fanout_done_at) \
         SELECT p.org_id, p.id, 'update', 'Nous avons remis les signatures : merci.', $2 + i, $2 + i \
         FROM petitions p CROSS JOIN {} WHERE p.org_id = $1",
        with_numbers(db, 3),
        numbers(db, 3)
    );
    db.exec(&posts, &[org, now + 60, POSTS_PER_PETITION]).await?;
    db.exec(
        "UPDATE petitions SET state = 'victory' WHERE org_id = $1 AND id % 10 = 0",
        &[org],
    )
    .await?;
    let signed = db
        .int(
            "SELECT COUNT(*) FROM signatures WHERE org_id = $1 AND supporter_id = $2",
            &[org, supporter],
        )
        .await?;
    Ok(Person {
        org,
        supporter,
        gifts,
        signatures: signed,
    })
}

/// The association and the person: the newest association (this run's), whose only
/// supporter is the person (she signed every petition; the gifts are hers).
async fn ids(db: &Db) -> Result<(i64, i64), BoxError> {
    let org = db.int("SELECT MAX(id) FROM orgs", &[]).await?;
    let supporter = db
        .int("SELECT MAX(id) FROM supporters WHERE org_id = $1", &[org])
        .await?;
    Ok((org, supporter))
}

/// The numbers 1..=`$n` as a table `n(i)`: what follows `FROM`.
fn numbers(db: &Db, n: usize) -> String {
    if db.is_postgres() {
        format!("generate_series(1, ${n}) AS n(i)")
    } else {
        "n".to_owned()
    }
}

/// SQLite's counterpart of `generate_series`, put before the statement.
fn with_numbers(db: &Db, n: usize) -> String {
    if db.is_postgres() {
        String::new()
    } else {
        format!("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n}) ")
    }
}

/// The person's `/me` link, signed with the installation's secret like its e-mails' links.
fn me_path(spec: &Spec, org: i64, supporter: i64) -> Result<String, BoxError> {
    let hex_key = std::fs::read_to_string(spec.data.join("secret.key"))?;
    let signer = relais_core::token::LinkSigner::new(hex::decode(hex_key.trim())?);
    let token = signer.sign("me", &format!("{org}:{supporter}"), unix_now() + 3_600);
    Ok(format!("/me/{token}"))
}

pub async fn me(common: &Common, actions: i64, signatures: i64, requests: usize) -> Result<(Value, bool), BoxError> {
    let bench = Bench::new(common)?;
    let server = bench.spec.start().await?;
    let session = setup::signed_in(&bench.spec, &bench.tag).await?;
    let db = Db::open(&bench).await?;
    let signatures = signatures.min(actions);
    let started = Instant::now();
    let person = set_up(&bench, &session, &db, actions - signatures, signatures).await?;
    let setup_s = started.elapsed().as_secs_f64();
    let allocations = db
        .int(
            "SELECT COUNT(*) FROM allocations a JOIN gifts g ON g.id = a.gift_id WHERE g.supporter_id = $1",
            &[person.supporter],
        )
        .await?;
    let news = db
        .int("SELECT COUNT(*) FROM project_updates WHERE org_id = $1", &[person.org])
        .await?;
    let posts = db
        .int("SELECT COUNT(*) FROM petition_posts WHERE org_id = $1", &[person.org])
        .await?;
    db.close().await;
    let path = me_path(&bench.spec, person.org, person.supporter)?;
    let quiet = crate::wait_quiet(common).await;

    let mut conn = http::Conn::open(bench.spec.addr).await?;
    let expected = person.gifts + person.signatures;
    let (mut ok, mut bytes, mut ms) = (0usize, 0usize, Vec::with_capacity(requests));
    for i in 0..WARM_UP + requests {
        let t = Instant::now();
        let reply = conn.send(Method::GET, &path, &[], Bytes::new()).await?;
        let elapsed = t.elapsed().as_secs_f64() * 1000.0;
        let stories = i64::try_from(reply.text().matches("<article class=\"story\">").count())?;
        if reply.status == 200 && stories == expected {
            ok += 1;
        } else if i == 0 {
            eprintln!(
                "relais-bench: /me answered {} with {stories} stories of {expected}",
                reply.status
            );
        }
        if i >= WARM_UP {
            ms.push(elapsed);
            bytes = reply.body.len();
        }
    }
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| {
        ms.get(((ms.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .map(round2)
    };
    let stopped = server.terminate(STOP_GRACE).await?;
    let passed = ok == WARM_UP + requests;
    let mut report = bench.header("me");
    report.extend(
        json!({
            "person": {
                "actions": person.gifts + person.signatures,
                "gifts": person.gifts,
                "signatures": person.signatures,
                "allocation_rows": allocations,
                "projects": PROJECTS,
                "project_news": news,
                "petition_posts": posts,
            },
            "setup_s": round2(setup_s),
            "quiet_wait": quiet,
            "requests": requests,
            "complete_pages": ok,
            "page_bytes": bytes,
            "ms_p50": at(0.5),
            "ms_p95": at(0.95),
            "ms_p99": at(0.99),
            "ms_max": at(1.0),
            "target_ms": 50,
            "server_stop": stop_json(&stopped),
            "passed": passed,
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    );
    bench.finish();
    Ok((Value::Object(report), passed))
}
