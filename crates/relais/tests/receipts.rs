//! Tax receipts beyond the one that comes with a gift: an association that sends
//! one receipt per donor and year, the totals it declares, a receipt replaced
//! after a wrong address, and the cap on gifts taken online.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::*;
use reqwest::StatusCode;

/// The text of a PDF (poppler's `pdftotext`), or `None` where it is not installed.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn settings(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = hidden(&app.get("/admin/payments").await.text().await.unwrap(), "csrf");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    app.post("/admin/payments", &form).await
}

/// A cheque received on `date`, entered by staff.
async fn cheque(app: &TestApp, date: &str, amount: &str, email: &str) {
    let page = app.get("/admin/campaigns").await.text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let campaign = page
        .split("<option value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = app
        .post(
            "/admin/gifts/offline",
            &[
                ("csrf", csrf.as_str()),
                ("campaign", campaign.as_str()),
                ("method", "cheque"),
                ("received_on", date),
                ("amount", amount),
                ("first_name", "Jeanne"),
                ("last_name", "Martin"),
                ("email", email),
                ("address", "12 rue des Lilas"),
                ("postcode", "69001"),
                ("city", "Lyon"),
                ("receipt", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

on_both_backends!(annual_receipts_sum_a_donors_year_and_can_be_replaced);

async fn annual_receipts_sum_a_donors_year_and_can_be_replaced(app: &TestApp) {
    charity(app).await;
    let r = settings(app, &[("receipt_mode", "annual"), ("max_gift", "douze")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("entre 1"));
    let r = settings(app, &[("receipt_mode", "annual"), ("max_gift", "500")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The association's cap, at the field, the form kept.
    let mut over = vec![
        ("amount", "other"),
        ("amount_other", "600"),
        ("frequency", "once"),
        ("first_name", "Jeanne"),
        ("last_name", "Martin"),
        ("email", "jeanne@example.org"),
        ("address", "12 rue des Lilas"),
        ("postcode", "69001"),
        ("city", "Lyon"),
        ("receipt", "on"),
    ];
    let r = client().post(app.url("/d/puits")).form(&over).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"amount-error\"") && html.contains("value=\"600\""),
        "{html}"
    );
    over[1].1 = "50";

    // Three cheques last year (no receipt when paid: it comes in January), one this year.
    let last_year = i64::from(jiff::Zoned::now().year()) - 1;
    for (day, amount) in [("03-15", "20"), ("06-01", "30"), ("11-30", "70")] {
        cheque(app, &format!("{last_year}-{day}"), amount, "jeanne@example.org").await;
    }
    app.drain().await;
    let thanks = app.last_email_to("jeanne@example.org").await;
    assert!(thanks.attachments.is_empty(), "no receipt with each gift");

    let page = app.get("/admin/receipts").await.text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let this_year = (last_year + 1).to_string();
    let r = app
        .post(
            "/admin/receipts/annual",
            &[("csrf", csrf.as_str()), ("year", this_year.as_str())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "only a finished year");
    let year = last_year.to_string();
    let r = app
        .post(
            "/admin/receipts/annual",
            &[("csrf", csrf.as_str()), ("year", year.as_str())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The job runs in the background: wait for its receipt (a few milliseconds).
    let access = app.store.operator_access("amis").await.unwrap();
    let mut receipts = Vec::new();
    for _ in 0..200 {
        receipts = app.store.receipts(&access, last_year, 10).await.unwrap();
        if !receipts.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(receipts.len(), 1, "one receipt for the donor's year");
    let annual = &receipts[0];
    assert_eq!((annual.amount_cents, annual.kind.as_str()), (12_000, "annual"));
    let mail = app.last_email_to("jeanne@example.org").await;
    assert!(mail.subject.contains(&annual.number), "{}", mail.subject);
    assert!(mail.text.contains("vos 3 dons de"), "{}", mail.text);
    let (_, pdf) = mail.attachments.iter().find(|(t, _)| t == "application/pdf").unwrap();
    if let Some(text) = pdf_text(pdf) {
        assert!(
            text.contains(&format!("du 01/01/{last_year} au 31/12/{last_year}")),
            "{text}"
        );
        assert!(text.contains("cent vingt euros"), "{text}");
    }
    // The totals to declare.
    let page = app.get("/admin/receipts").await.text().await.unwrap();
    assert!(
        page.contains(&format!(
            "<a href=\"/admin/receipts?year={last_year}\">{last_year}</a></th><td>1</td>"
        )),
        "{page}"
    );

    // The donor moved: staff correct the address; the new receipt replaces the old one.
    let r = app
        .post(
            &format!("/admin/receipts/{}/replace", annual.id),
            &[
                ("csrf", csrf.as_str()),
                ("first_name", "Jeanne"),
                ("last_name", "Martin"),
                ("address", "4 quai Saint-Antoine"),
                ("postcode", "69002"),
                ("city", "Lyon"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.get(&location(&r)).await.text().await.unwrap();
    assert!(
        page.contains(&annual.number),
        "the link to the replaced receipt: {page}"
    );
    let mail = app.last_email_to("jeanne@example.org").await;
    assert!(
        mail.text
            .contains(&format!("annule et remplace le reçu n°\u{a0}{}", annual.number)),
        "{}",
        mail.text
    );
    let (_, pdf) = mail.attachments.iter().find(|(t, _)| t == "application/pdf").unwrap();
    if let Some(text) = pdf_text(pdf) {
        assert!(
            text.contains("4 quai Saint-Antoine") && text.contains("annule et remplace"),
            "{text}"
        );
    }
    // The donor finds it in their space; the cancelled one is gone from there.
    let me = mail.text.split_whitespace().find(|w| w.contains("/me/")).unwrap();
    let page = client().get(me).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains(&format!("{last_year}-000002")) && !page.contains(&annual.number),
        "{page}"
    );
    let r = client()
        .get(format!("{me}/receipts/{last_year}-000002.pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/pdf");
    // The gifts list: filtered, totalled by month in the association's time zone.
    let url = format!("/admin/gifts?method=cheque&from={last_year}-01-01&to={last_year}-12-31");
    let page = app.get(&url).await.text().await.unwrap();
    assert!(page.contains("3 dons, 120,00"), "{page}");
    for month in ["03", "06", "11"] {
        assert!(
            page.contains(&format!("<th scope=\"row\">{last_year}-{month}</th>")),
            "{month}: {page}"
        );
    }
    let page = app.get("/admin/gifts?method=card").await.text().await.unwrap();
    assert!(page.contains("0 dons"), "{page}");
    // An emptied year field shows this year rather than an error.
    assert_eq!(app.get("/admin/receipts?year=").await.status(), StatusCode::OK);
}

on_both_backends!(a_deposit_of_cheques_is_checked_then_recorded_whole_once);

/// The form fields of the batch page, with `lines` and `step`.
fn batch_form(page: &str, lines: &str, step: &str, expected_total: &str) -> Vec<(&'static str, String)> {
    let campaign = page
        .split("<option value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    vec![
        ("csrf", hidden(page, "csrf")),
        ("token", hidden(page, "token")),
        ("campaign", campaign),
        ("method", "cheque".into()),
        ("received_on", "2026-01-15".into()),
        ("reference", "Remise 0042".into()),
        ("expected_total", expected_total.into()),
        ("receipt", "on".into()),
        ("lines", lines.into()),
        ("step", step.into()),
    ]
}

async fn a_deposit_of_cheques_is_checked_then_recorded_whole_once(app: &TestApp) {
    charity(app).await;
    let page = app.get("/admin/gifts/batch").await.text().await.unwrap();
    assert!(page.contains("name=\"lines\""));
    let raised = || async {
        app.store
            .campaign_by_slug("puits")
            .await
            .unwrap()
            .unwrap()
            .raised
            .cents()
    };
    let before = raised().await;

    // Pasted from a spreadsheet with a header, one line wrong in two ways and one
    // cheque without receipt address: every reason, line by line, nothing recorded.
    let bad = "Montant\tPrénom\tNom\tE-mail\tAdresse\tCode postal\tVille\tReçu\n\
               50\tJeanne\tMartin\tjeanne@example.org\t3 rue des Lilas\t69003\tLyon\toui\n\
               abc\tPaul\t\t\t\t\t\tnon\n\
               30\tLuc\tRoy\t\t\t\t\toui\n";
    let r = app
        .client
        .post(app.url("/admin/gifts/batch"))
        .form(&batch_form(&page, bad, "record", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Ligne 3"), "{html}");
    assert!(html.contains("Ligne 4"));
    assert!(!html.contains("Ligne 2"), "the good line is not reported");
    assert!(html.contains("Rien n’a été enregistré"));
    assert!(html.contains("rue des Lilas"), "the pasted text is kept");
    assert_eq!(raised().await, before);

    // Corrected, but the slip says 100 €: the lines add up to 110 €.
    let good = "Montant\tPrénom\tNom\tE-mail\tAdresse\tCode postal\tVille\tReçu\tN° chèque\n\
                50\tJeanne\tMartin\tjeanne@example.org\t3 rue des Lilas\t69003\tLyon\toui\t001\n\
                30\tPaul\tDurand\t\t\t\t\tnon\t002\n\
                30\tLuc\tRoy\t\t8 quai Gailleton\t69002\tLyon\toui\t003\n";
    let r = app
        .client
        .post(app.url("/admin/gifts/batch"))
        .form(&batch_form(&page, good, "check", "100"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("110,00"));
    assert!(
        !html.contains("value=\"record\""),
        "no recording while the total is wrong"
    );

    // Checked against the right total: a preview, nothing recorded yet.
    let r = app
        .client
        .post(app.url("/admin/gifts/batch"))
        .form(&batch_form(&page, good, "check", "110"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let preview = r.text().await.unwrap();
    assert!(preview.contains("3 dons, 110,00"), "{preview}");
    assert!(preview.contains("N° chèque"), "the ignored column is named");
    assert!(preview.contains("value=\"record\""));
    assert_eq!(raised().await, before);

    // Recorded; the same form sent again (a double click) changes nothing.
    let emails_before = app.emails().len();
    let form = batch_form(&page, good, "record", "110");
    let r = app
        .client
        .post(app.url("/admin/gifts/batch"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("done=batch-recorded"), "{location}");
    assert_eq!(raised().await, before + 11_000);
    let r = app
        .client
        .post(app.url("/admin/gifts/batch"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(r.headers()["location"].to_str().unwrap().contains("done=batch-already"));
    assert_eq!(raised().await, before + 11_000);

    // The batch page: each gift, the receipts to post for donors without e-mail.
    let html = app.get(location.split('?').next().unwrap()).await.text().await.unwrap();
    assert!(html.contains("Remise 0042"));
    assert!(html.contains("3 dons, 110,00"));
    let receipt_links = html.matches("/receipt.pdf\"").count();
    assert_eq!(receipt_links, 2, "Jeanne's and Luc's receipts, not Paul's");
    let luc = html.split("Roy").nth(1).unwrap();
    let pdf_path = format!(
        "/admin/gifts/{}",
        luc.split("/admin/gifts/").nth(1).unwrap().split('"').next().unwrap()
    );
    let pdf = app.get(&pdf_path).await.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    if let Some(text) = pdf_text(&pdf) {
        assert!(text.contains("trente euros"), "{text}");
        assert!(
            text.contains("15/01/2026") || text.contains("15 janvier 2026"),
            "{text}"
        );
        assert!(text.contains("Chèque") || text.contains("chèque"), "{text}");
    }
    // Only Jeanne had an address: one thank-you e-mail, with her receipt.
    app.drain().await;
    let emails = app.emails();
    let new: Vec<_> = emails[emails_before..]
        .iter()
        .filter(|e| e.to == "jeanne@example.org")
        .collect();
    assert_eq!(emails.len() - emails_before, 1);
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].attachments.len(), 1);
}
