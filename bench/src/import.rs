//! `relais-bench import`: a spreadsheet of N supporters imported through the back
//! office as staff do it: upload (multipart), mapping and options, the validation of
//! the whole file, confirmation, then the import task until it is done. The file has
//! French headers, `;`, a byte-order mark, one bad address and one duplicate row in
//! every 10,000. Prints each step's time; checks the report and the people written
//! against the database.

use std::io::Write;
use std::time::{Duration, Instant};

use hyper::Method;
use hyper::body::Bytes;
use hyper::header::{COOKIE, HeaderName, HeaderValue, LOCATION};
use serde_json::Value;

use crate::receipts::{Db, csrf, post_form};
use crate::server::{CpuMark, round2, status_mib};
use crate::{Bench, BoxError, Common, STOP_GRACE, http, setup, stop_json};

const POSTCODES: [&str; 8] = ["69001", "69003", "75011", "75018", "13001", "59000", "31000", "44000"];
/// Longest wait for the import task, after the confirmation.
const IMPORT_TIMEOUT: Duration = Duration::from_secs(1800);

/// Writes the file; returns `(bytes, rows refused by design)`.
fn write_csv(path: &std::path::Path, rows: i64) -> Result<(u64, i64), BoxError> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    out.write_all(b"\xEF\xBB\xBF")?;
    writeln!(out, "Courriel;Prénom;Nom;Code postal;Téléphone;Centres d'intérêt")?;
    let mut refused = 0;
    for i in 1..=rows {
        let postcode = POSTCODES[(i % 8) as usize];
        let phone = format!(
            "06 {:02} {:02} {:02} {:02}",
            i % 100,
            (i / 100) % 100,
            (i / 10_000) % 100,
            i % 97
        );
        if i % 10_000 == 5_000 {
            refused += 1;
            writeln!(
                out,
                "pas-une-adresse-{i};Prénom{};Durand;{postcode};{phone};eau",
                i % 997
            )?;
        } else if i % 10_000 == 5_001 {
            // The previous good row again.
            refused += 1;
            writeln!(out, "p{}@example.org;Prénom;Durand;{postcode};;", i - 2)?;
        } else {
            writeln!(
                out,
                "p{i}@example.org;Prénom{};\"Durand; fils\";{postcode};{phone};eau, santé",
                i % 997
            )?;
        }
    }
    out.flush()?;
    Ok((std::fs::metadata(path)?.len(), refused))
}

/// Uploads the file as the browser's form does; returns the import's page.
async fn upload(bench: &Bench, session: &str, token: &str, file: &[u8]) -> Result<String, BoxError> {
    let boundary = "relaisbenchimport5e1b";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"adherents.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let headers = [
        (COOKIE, HeaderValue::from_str(session)?),
        (
            HeaderName::from_static("content-type"),
            HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}"))?,
        ),
    ];
    let reply = http::once(
        bench.spec.addr,
        Method::POST,
        "/admin/people/import",
        &headers,
        Bytes::from(body),
    )
    .await?;
    if reply.status != 303 {
        return Err(format!("the upload answered {}: {}", reply.status, reply.text()).into());
    }
    Ok(reply
        .headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("no Location after the upload")?
        .to_owned())
}

pub async fn import(common: &Common, rows: i64) -> Result<(Value, bool), BoxError> {
    let bench = Bench::new(common)?;
    let server = bench.spec.start().await?;
    let pid = server.pid;
    let session = setup::signed_in(&bench.spec, &bench.tag).await?;
    let token = csrf(&bench.spec, &session).await?;
    let path = bench.dir.path().join("adherents.csv");
    eprintln!("relais-bench: writing a CSV of {rows} rows");
    let (bytes, refused) = write_csv(&path, rows)?;
    let file = std::fs::read(&path)?;
    let quiet = crate::wait_quiet(common).await;
    let db_port = common.database_url.as_deref().and_then(crate::server::postgres_port);
    let before = CpuMark::now(pid, db_port);
    let start = Instant::now();

    let page = upload(&bench, &session, &token, &file).await?;
    drop(file);
    let upload_s = start.elapsed().as_secs_f64();
    let id: i64 = page
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("odd import page")?;
    eprintln!("relais-bench: uploaded {:.1} MB in {upload_s:.1} s", bytes as f64 / 1e6);

    let t = Instant::now();
    let mapping = [
        ("col_0", "email"),
        ("col_1", "first_name"),
        ("col_2", "last_name"),
        ("col_3", "postcode"),
        ("col_4", "phone"),
        ("col_5", "interests"),
    ];
    let mut fields = vec![("csrf", token.as_str()), ("tags", "bench"), ("merge", "fill")];
    fields.extend(mapping);
    post_form(&bench.spec, &session, &format!("{page}/check"), &fields).await?;
    let validate_s = t.elapsed().as_secs_f64();
    eprintln!("relais-bench: validated in {validate_s:.1} s");

    let t = Instant::now();
    post_form(&bench.spec, &session, &format!("{page}/run"), &[("csrf", &token)]).await?;
    let db = Db::open(&bench).await?;
    // 1 done, 2 failed, 0 still going.
    let state = "SELECT CAST(CASE state WHEN 'done' THEN 1 WHEN 'failed' THEN 2 ELSE 0 END AS BIGINT) FROM imports WHERE id = $1";
    let mut peak_rss = 0.0_f64;
    let outcome = loop {
        peak_rss = peak_rss.max(status_mib(pid, "VmRSS").unwrap_or(0.0));
        let s = db.int(state, &[id]).await?;
        if s != 0 || t.elapsed() > IMPORT_TIMEOUT {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let import_s = t.elapsed().as_secs_f64();
    let total_s = start.elapsed().as_secs_f64();
    let after = CpuMark::now(pid, db_port);
    eprintln!("relais-bench: imported in {import_s:.1} s (state {outcome})");

    let figure = |col: &str| format!("SELECT {col} FROM imports WHERE id = $1");
    let created = db.int(&figure("created_rows"), &[id]).await?;
    let shown_refused = db.int(&figure("refused_rows"), &[id]).await?;
    let org = db.int("SELECT org_id FROM imports WHERE id = $1", &[id]).await?;
    let people = db
        .int("SELECT COUNT(*) FROM supporters WHERE org_id = $1", &[org])
        .await?;
    let tagged = db
        .int(
            "SELECT COUNT(*) FROM supporter_tags WHERE org_id = $1 AND tag = 'bench'",
            &[org],
        )
        .await?;
    let interested = db
        .int(
            "SELECT COUNT(*) FROM supporter_interests WHERE org_id = $1 AND tag = 'santé'",
            &[org],
        )
        .await?;
    db.close().await;
    let stopped = server.terminate(STOP_GRACE).await?;
    let expected = rows - refused;
    let checks = [
        ("import_done", outcome == 1),
        ("refused_as_planted", shown_refused == refused),
        ("created_every_good_row", created == expected && people == expected),
        ("tagged_everyone", tagged == expected),
        ("interests_recorded", interested == expected),
        ("clean_stop", stopped.exit_code == Some(0) && !stopped.killed),
    ];
    let passed = checks.iter().all(|(_, ok)| *ok);
    let mut m = bench.header("import");
    m.insert("machine_before_load".into(), quiet);
    m.insert("rows".into(), rows.into());
    m.insert("file_mb".into(), round2(bytes as f64 / 1e6).into());
    m.insert("refused_rows".into(), shown_refused.into());
    m.insert("created".into(), created.into());
    m.insert("upload_s".into(), round2(upload_s).into());
    m.insert("validate_s".into(), round2(validate_s).into());
    m.insert("import_s".into(), round2(import_s).into());
    m.insert("total_s".into(), round2(total_s).into());
    m.insert("target_s".into(), 120.into());
    m.insert("rows_per_s".into(), round2(rows as f64 / total_s).into());
    m.insert("server_peak_rss_mib".into(), round2(peak_rss).into());
    m.insert("cpu".into(), before.report(&after));
    m.insert(
        "checks".into(),
        checks
            .iter()
            .map(|(k, ok)| ((*k).to_owned(), Value::Bool(*ok)))
            .collect(),
    );
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
    fn the_file_plants_one_bad_address_and_one_duplicate_in_ten_thousand() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        let (_, refused) = write_csv(&path, 20_000).unwrap();
        assert_eq!(refused, 4);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 20_001);
        assert!(text.contains("pas-une-adresse-5000;"));
        assert!(text.contains("\np4999@example.org;Prénom;Durand"));
    }
}
