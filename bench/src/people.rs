//! `relais-bench people`: the people list of a large association. Seeds N supporters
//! straight into the database (with tags, signatures of a petition, newsletter
//! consents and withdrawals, gifts over two years, activity spread over three years,
//! postcodes across France), then times `GET /admin/people` as staff for each kind of
//! filter: the page runs the filtered query for its 50 rows and the count of everyone
//! matching. Checks each answer is a 200 whose count is the one SQL gives directly.

use std::time::Instant;

use hyper::Method;
use hyper::body::Bytes;
use hyper::header::{COOKIE, HeaderValue};
use serde_json::{Value, json};

use crate::receipts::{Db, csrf, on_pool, post_form, unix_now};
use crate::server::round2;
use crate::{Bench, BoxError, Common, STOP_GRACE, http, setup, stop_json};

/// Requests per filter; the first warms the caches like a staff member's first search.
const RUNS: usize = 7;
/// Postcodes handed out in turn: Lyon, Paris, Marseille, Lille, Toulouse, Nantes, and villages.
const POSTCODES: [&str; 20] = [
    "69001", "69003", "69007", "69100", "75011", "75018", "75015", "13001", "13008", "59000", "31000", "44000",
    "38000", "67000", "33000", "35000", "06000", "34000", "21000", "63000",
];
const LAST_NAMES: [&str; 10] = [
    "Durand", "Martin", "Bernard", "Petit", "Dubois", "Moreau", "Laurent", "Simon", "Michel", "Lefèvre",
];

/// SQL `CASE` picking `values[i % len]`.
fn pick(values: &[&str], i: &str) -> String {
    let arms: String = values
        .iter()
        .enumerate()
        .map(|(k, v)| format!(" WHEN {k} THEN '{v}'"))
        .collect();
    format!("(CASE {i} % {}{arms} END)", values.len())
}

impl Db {
    /// `n` supporters of `org`, and what they did; `now` is the bench's clock.
    async fn seed_people(&self, org: i64, petition: i64, campaign: i64, n: i64, now: i64) -> Result<(), BoxError> {
        let postgres = matches!(self, Self::Postgres(_));
        let (with_n, from_n) = if postgres {
            ("", "generate_series(1, $2) AS n(i)")
        } else {
            (
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2) ",
                "n",
            )
        };
        let day = 86_400;
        let supporters = format!(
            "{with_n}INSERT INTO supporters (org_id, email, first_name, last_name, postcode, country, locale, \
             created_at, updated_at) SELECT $1, 'p' || i || '@example.org', 'Prénom' || (i % 997), \
             {last} || '-' || (i % 1000), {postcode}, 'FR', 'fr', $3 - (i % 1095) * {day}, \
             $3 - (i % 1095) * {day} FROM {from_n}",
            last = pick(&LAST_NAMES, "i"),
            postcode = pick(&POSTCODES, "i"),
        );
        let person = "FROM supporters s WHERE s.org_id = $1";
        let tags = format!(
            "INSERT INTO supporter_tags (org_id, supporter_id, tag, created_at) SELECT $1, s.id, 'bénévole', $2 {person} AND s.id % 20 = 0"
        );
        let signatures = format!(
            "INSERT INTO signatures (petition_id, org_id, supporter_id, email, first_name, last_name, postcode, \
             status, created_at, confirmed_at) SELECT $2, $1, s.id, s.email, s.first_name, s.last_name, s.postcode, \
             'confirmed', s.updated_at, s.updated_at {person} AND s.id % 10 < 3"
        );
        // 40 % agree to the newsletter; one in ten of them withdrew later.
        let granted = format!(
            "INSERT INTO consents (org_id, supporter_id, channel, purpose, granted, wording, source, created_at) \
             SELECT $1, s.id, 'email', 'newsletter', TRUE, 'Je m''abonne', 'bench', s.created_at {person} \
             AND s.id % 5 < 2"
        );
        let withdrawn = format!(
            "INSERT INTO consents (org_id, supporter_id, channel, purpose, granted, wording, source, created_at) \
             SELECT $1, s.id, 'email', 'newsletter', FALSE, 'Désinscription', 'bench', s.created_at + 60 {person} \
             AND s.id % 50 = 0"
        );
        // One donor in ten gave last year, one in thirty this year too.
        let gifts = format!(
            "INSERT INTO gifts (org_id, campaign_id, supporter_id, amount_cents, frequency, status, method, provider, \
             provider_ref, wants_receipt, first_name, last_name, email, address, postcode, city, country, locale, \
             created_at, paid_at) SELECT $1, $2, s.id, 2000 + (s.id % 7) * 2500, 'once', 'paid', 'cheque', \
             'offline', 'bench-' || s.id || '-' || $4, FALSE, s.first_name, s.last_name, s.email, '', s.postcode, \
             '', 'FR', 'fr', $3, $3 {person} AND s.id % $5 = 7"
        );
        // Last year's gifts are 400 days old: a calendar year apart from this year's.
        let last_year = now - 400 * day;
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(sqlx::AssertSqlSafe(supporters))
                .bind(org)
                .bind(n)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(tags))
                .bind(org)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(signatures))
                .bind(org)
                .bind(petition)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(granted))
                .bind(org)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(withdrawn))
                .bind(org)
                .execute(&mut *tx)
                .await?;
            for (paid_at, label, every) in [(last_year, "a", 10_i64), (now - 10 * day, "b", 30)] {
                sqlx::query(sqlx::AssertSqlSafe(gifts.clone()))
                    .bind(org)
                    .bind(campaign)
                    .bind(paid_at)
                    .bind(label)
                    .bind(every)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

/// The count the page shows (`<strong>1 234 people</strong>`, any thousands separator).
fn shown_count(page: &str) -> Option<i64> {
    let marker = "role=\"status\"><strong>";
    let i = page.find(marker)?;
    let digits: String = page[i + marker.len()..]
        .chars()
        .take_while(|c| !c.is_alphabetic() && *c != '<')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// `(name, query string, SQL giving the expected count of org $1)`.
fn filters(petition: i64, year: i64) -> Vec<(&'static str, String, String)> {
    let base = "SELECT COUNT(*) FROM supporters s WHERE s.org_id = $1";
    vec![
        ("everyone", String::new(), base.to_owned()),
        (
            "name_prefix",
            "q=dur".into(),
            format!("{base} AND s.last_name LIKE 'Durand%'"),
        ),
        (
            "email_prefix",
            "q=p12345".into(),
            format!("{base} AND s.email LIKE 'p12345%'"),
        ),
        ("postcode", "q=69003".into(), format!("{base} AND s.postcode = '69003'")),
        (
            "tag",
            "tag=b%C3%A9n%C3%A9vole".into(),
            format!("{base} AND s.id IN (SELECT supporter_id FROM supporter_tags WHERE tag = 'bénévole')"),
        ),
        (
            "signed_petition",
            format!("petition={petition}"),
            format!("{base} AND s.id IN (SELECT supporter_id FROM signatures WHERE petition_id = {petition})"),
        ),
        (
            "gave_50_last_year",
            format!("gave_min=50&gave_year={year}"),
            format!(
                "{base} AND s.id IN (SELECT supporter_id FROM gifts WHERE provider_ref LIKE '%-a' \
                 GROUP BY supporter_id HAVING SUM(amount_cents) >= 5000)"
            ),
        ),
        (
            "newsletter_consent",
            "consent=newsletter".into(),
            format!("{base} AND s.id % 5 < 2 AND s.id % 50 <> 0"),
        ),
        (
            "no_consent",
            "consent=none".into(),
            format!("{base} AND NOT (s.id % 5 < 2 AND s.id % 50 <> 0)"),
        ),
        (
            "within_20_km_of_lyon",
            "near=69002&km=20".into(),
            format!("{base} AND s.postcode IN ('69001', '69003', '69007', '69100')"),
        ),
        (
            "active_30_days",
            "active_days=30".into(),
            // The server's clock runs a little after the seed's: the boundary day is out.
            format!("{base} AND s.updated_at > $2 - 30 * 86400"),
        ),
        (
            "inactive_2_years",
            "inactive_days=730".into(),
            format!("{base} AND s.updated_at <= $2 - 730 * 86400"),
        ),
        (
            "signed_near_lyon_newsletter",
            format!("petition={petition}&near=69002&km=20&consent=newsletter"),
            format!(
                "{base} AND s.id % 10 < 3 AND s.postcode IN ('69001', '69003', '69007', '69100') \
                 AND s.id % 5 < 2 AND s.id % 50 <> 0"
            ),
        ),
    ]
}

pub async fn people(common: &Common, supporters: i64) -> Result<(Value, bool), BoxError> {
    let bench = Bench::new(common)?;
    let server = bench.spec.start().await?;
    let session = setup::signed_in(&bench.spec, &bench.tag).await?;
    let slug = setup::publish(&bench.spec, &session, &bench.tag).await?;
    let token = csrf(&bench.spec, &session).await?;
    let campaign = format!("dons-{}", bench.tag);
    post_form(
        &bench.spec,
        &session,
        "/admin/campaigns",
        &[("csrf", &token), ("title", "Dons"), ("slug", &campaign), ("once", "on")],
    )
    .await?;
    let db = Db::open(&bench).await?;
    let ids = "SELECT p.id, p.org_id, c.id FROM petitions p JOIN campaigns c ON c.org_id = p.org_id \
               WHERE p.slug = $1 AND c.slug = $2";
    let (petition, org, campaign_id): (i64, i64, i64) = on_pool!(&db, |p| sqlx::query_as(ids)
        .bind(&slug)
        .bind(&campaign)
        .fetch_one(p)
        .await?);
    let now = unix_now();
    eprintln!("relais-bench: seeding {supporters} supporters");
    let seeding = Instant::now();
    db.seed_people(org, petition, campaign_id, supporters, now).await?;
    let seed_s = seeding.elapsed().as_secs_f64();
    eprintln!("relais-bench: seeded in {seed_s:.1} s");
    let quiet = crate::wait_quiet(common).await;

    // The year of the "last year" gifts, as the association counts it (Europe/Paris).
    let year = jiff_free_year(now - 400 * 86_400);
    // Right after the load, the planner has no statistics yet (they are refreshed
    // at start and hourly); after a restart it has them, as an installation does
    // within the hour.
    let (fresh, fresh_ok, fresh_worst) = measure(&bench, &session, &db, (org, petition, now, year)).await?;
    let _ = server.terminate(STOP_GRACE).await?;
    let server = bench.spec.start().await?;
    let (results, all_ok, worst) = measure(&bench, &session, &db, (org, petition, now, year)).await?;
    db.close().await;
    let stopped = server.terminate(STOP_GRACE).await?;
    let passed = all_ok && fresh_ok && stopped.exit_code == Some(0) && !stopped.killed;
    let mut m = bench.header("people");
    m.insert("machine_before_load".into(), quiet);
    m.insert("supporters".into(), supporters.into());
    m.insert("seed_s".into(), round2(seed_s).into());
    m.insert("runs_per_filter".into(), RUNS.into());
    m.insert("target_ms".into(), 200.into());
    m.insert("worst_median_ms".into(), round2(worst).into());
    m.insert("filters".into(), Value::Object(results));
    m.insert(
        "right_after_the_bulk_load".into(),
        json!({"worst_median_ms": round2(fresh_worst), "all_ok": fresh_ok, "filters": Value::Object(fresh)}),
    );
    m.insert("shutdown".into(), stop_json(&stopped));
    m.insert("server_log".into(), crate::log_summary(&bench.spec.log));
    m.insert("checks_passed".into(), passed.into());
    bench.finish();
    Ok((Value::Object(m), passed))
}

/// Times `GET /admin/people` for every filter; checks each count against SQL.
async fn measure(
    bench: &Bench,
    session: &str,
    db: &Db,
    (org, petition, now, year): (i64, i64, i64, i64),
) -> Result<(serde_json::Map<String, Value>, bool, f64), BoxError> {
    let cookie = [(COOKIE, HeaderValue::from_str(session)?)];
    let mut conn = http::Conn::open(bench.spec.addr).await?;
    let mut results = serde_json::Map::new();
    let mut all_ok = true;
    let mut worst: f64 = 0.0;
    for (name, query, sql) in filters(petition, year) {
        let args: Vec<i64> = if sql.contains("$2") { vec![org, now] } else { vec![org] };
        let expected = db.int(&sql, &args).await?;
        let path = if query.is_empty() {
            "/admin/people".to_owned()
        } else {
            format!("/admin/people?{query}")
        };
        let mut ms = Vec::with_capacity(RUNS);
        let mut shown = None;
        let mut status = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            let reply = conn.send(Method::GET, &path, &cookie, Bytes::new()).await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            status = reply.status;
            shown = shown_count(&reply.text());
        }
        let first = ms[0];
        ms.sort_by(f64::total_cmp);
        let (median, max) = (ms[RUNS / 2], ms[RUNS - 1]);
        let ok = status == 200 && shown == Some(expected);
        all_ok &= ok;
        worst = worst.max(median);
        eprintln!("relais-bench: {name:<28} {expected:>8} people  median {median:>7.1} ms  first {first:>7.1} ms");
        results.insert(
            name.into(),
            json!({
                "path": path,
                "people": expected,
                "shown": shown,
                "status": status,
                "ms_first": round2(first),
                "ms_median": round2(median),
                "ms_max": round2(max),
                "ok": ok,
            }),
        );
    }
    Ok((results, all_ok, worst))
}

/// The calendar year of a Unix time in Paris, near enough for a date 400 days ago:
/// the bench has no time-zone database, and the gifts are seeded far from New Year.
fn jiff_free_year(secs: i64) -> i64 {
    crate::receipts::year_of(secs + 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_is_read_from_the_status_line() {
        let page = "<p role=\"status\"><strong>1\u{202f}234\u{a0}567 personnes</strong> · <a";
        assert_eq!(shown_count(page), Some(1_234_567));
        assert_eq!(shown_count("<p role=\"status\"><strong>0 people</strong>"), Some(0));
        assert_eq!(shown_count("nothing"), None);
    }

    #[test]
    fn sql_picks_cycle_through_the_list() {
        assert_eq!(
            pick(&["a", "b"], "i"),
            "(CASE i % 2 WHEN 0 THEN 'a' WHEN 1 THEN 'b' END)"
        );
    }
}
