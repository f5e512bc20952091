//! Importing people from a spreadsheet: a broken Excel file (Windows-1252, `;`, an
//! unclosed quote, a bad address, a duplicate row) gets a report line by line and
//! nothing is written until staff confirm; a file without an e-mail column is
//! stopped at the mapping step.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::*;
use reqwest::StatusCode;

/// Text as Excel saves it on a French Windows (every character here is Latin-1).
fn windows_1252(text: &str) -> Vec<u8> {
    text.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect()
}

async fn upload(app: &TestApp, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let page = app.get("/admin/people/import").await.text().await.unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf", hidden(&page, "csrf"))
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    app.client
        .post(app.url("/admin/people/import"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn person(app: &TestApp, email: &str) -> Option<relais_store::Supporter> {
    let access = app.store.operator_access("amis").await.unwrap();
    app.store
        .supporter_by_email(&access, &relais_core::Email::parse(email).unwrap())
        .await
        .unwrap()
}

on_both_backends!(a_broken_excel_file_gets_a_report_and_nothing_is_written_until_confirmed);

async fn a_broken_excel_file_gets_a_report_and_nothing_is_written_until_confirmed(app: &TestApp) {
    let link = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    app.follow_login_link(&link).await;
    let people = app.get("/admin/people").await.text().await.unwrap();
    assert!(
        people.contains("href=\"/admin/people/import\""),
        "linked from the people list"
    );

    let file = windows_1252(
        "Courriel;Prénom;Nom;Code postal;Téléphone\r\n\
         awa@example.org;Awa;Mensah;75011;06 12 34 56 78\r\n\
         marc@example.org;Marc;\"Durand;69001;\r\n\
         pas-une-adresse;Zoé;Martin;13001;\r\n\
         AWA@example.org;Awa;Mensah;75011;\r\n\
         lea@example.org;Léa;Côté;69003;\r\n",
    );
    let r = upload(app, "adhérents.csv", file).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let import_page = location(&r);
    let page = app.get(&import_page).await.text().await.unwrap();
    assert!(page.contains("Windows-1252"), "the page says how the file was read");
    assert!(page.contains("points-virgules"));
    // The columns were guessed from the French headers, and the samples read right.
    assert!(page.contains("<option value=\"email\" selected>"));
    assert!(page.contains("<option value=\"first_name\" selected>"));
    assert!(page.contains("<option value=\"phone\" selected>"));
    assert!(page.contains("Prénom") && page.contains("Léa"));

    let csrf = hidden(&page, "csrf");
    let check = |tags: &'static str, wording: &'static str| {
        let csrf = csrf.clone();
        let import_page = import_page.clone();
        async move {
            app.post(
                &format!("{import_page}/check"),
                &[
                    ("csrf", csrf.as_str()),
                    ("col_0", "email"),
                    ("col_1", "first_name"),
                    ("col_2", "last_name"),
                    ("col_3", "postcode"),
                    ("col_4", "phone"),
                    ("tags", tags),
                    ("merge", "fill"),
                    ("consent", "on"),
                    ("consent_wording", wording),
                ],
            )
            .await
        }
    };
    // Options are checked first: a consent without its words is refused, kept as typed.
    let r = check("salon 2026", "").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Saisissez les mots"));
    assert!(html.contains("value=\"salon 2026\""));

    let r = check("salon 2026", "J’accepte la lettre d’information").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let report = app.get(&import_page).await.text().await.unwrap();
    assert!(report.contains("5 lignes vérifiées"), "{report}");
    assert!(report.contains("nouvelles personnes : 2"));
    assert!(report.contains("lignes refusées : 3"));
    assert!(
        report.contains("<th scope=\"row\">3</th><td>un guillemet"),
        "unclosed quote on line 3"
    );
    assert!(report.contains("<th scope=\"row\">4</th><td>adresse e-mail invalide : « pas-une-adresse »"));
    assert!(report.contains("la ligne 2"), "the duplicate names its first line");
    // Nothing is written before the confirmation.
    for email in ["awa@example.org", "lea@example.org", "marc@example.org"] {
        assert!(person(app, email).await.is_none(), "{email} not written yet");
    }
    let csv = app
        .get(&format!("{import_page}/refused.csv"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 4, "a header and every refused line: {csv}");

    // Confirmed: the two good rows land, with the batch's tag and the consent's words.
    let r = app
        .post(&format!("{import_page}/run"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut done = String::new();
    for _ in 0..100 {
        done = app.get(&import_page).await.text().await.unwrap();
        if done.contains("import est terminé") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(done.contains("import est terminé"), "{done}");
    assert!(done.contains("créées : 2"));
    assert!(done.contains("lignes refusées : 3"), "the report stays readable");
    let awa = person(app, "awa@example.org").await.unwrap();
    assert_eq!((awa.first_name.as_str(), awa.postcode.as_str()), ("Awa", "75011"));
    let access = app.store.operator_access("amis").await.unwrap();
    let fields = app
        .store
        .known_people(&access, &["awa@example.org"])
        .await
        .unwrap()
        .remove(0)
        .1;
    assert_eq!(fields.phone.as_deref(), Some("+33612345678"));
    assert_eq!(
        fields.commune, "Paris 11e Arrondissement",
        "the commune from the postcode"
    );
    let lea = person(app, "lea@example.org").await.unwrap();
    assert_eq!(lea.last_name, "Côté", "Windows-1252 read right");
    assert!(
        person(app, "marc@example.org").await.is_none(),
        "the broken line is not half-imported"
    );
    assert_eq!(
        app.store.tags(&access, awa.id).await.unwrap(),
        vec!["salon 2026".to_owned()]
    );
    let consents = app.store.consents(&access, awa.id).await.unwrap();
    assert_eq!(consents[0].wording, "J’accepte la lettre d’information");
    let tagged = app.get("/admin/people?tag=salon+2026").await.text().await.unwrap();
    assert!(tagged.contains("awa@example.org") && tagged.contains("lea@example.org"));
    // Confirming twice imports nothing more.
    let r = app
        .post(&format!("{import_page}/run"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let list = app.get("/admin/people/imports").await.text().await.unwrap();
    assert!(list.contains("adhérents.csv") && list.contains("2 créées"));

    // Another file has no e-mail column: stopped at the mapping step, nothing written.
    let r = upload(app, "noms.csv", "Prénom,Nom\nJean,Valjean\n".as_bytes().to_vec()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let other = location(&r);
    let page = app.get(&other).await.text().await.unwrap();
    assert!(page.contains("virgules") && page.contains("UTF-8"));
    let r = app
        .post(
            &format!("{other}/check"),
            &[
                ("csrf", csrf.as_str()),
                ("col_0", "first_name"),
                ("col_1", "last_name"),
                ("merge", "fill"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Choisissez la colonne qui contient"));
    // And an empty file is refused at once.
    let r = upload(app, "vide.csv", b"\r\n\r\n".to_vec()).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

on_both_backends!(staff_edit_the_fuller_record_and_find_people_by_interest);

async fn staff_edit_the_fuller_record_and_find_people_by_interest(app: &TestApp) {
    let link = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    app.follow_login_link(&link).await;
    let r = upload(
        app,
        "a.csv",
        "email,first name\nawa@example.org,Awa\nmarc@example.org,Marc\n".into(),
    )
    .await;
    let import_page = location(&r);
    let csrf = hidden(&app.get(&import_page).await.text().await.unwrap(), "csrf");
    let r = app
        .post(
            &format!("{import_page}/check"),
            &[
                ("csrf", csrf.as_str()),
                ("col_0", "email"),
                ("col_1", "first_name"),
                ("merge", "fill"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.post(&format!("{import_page}/run"), &[("csrf", csrf.as_str())])
        .await;
    let mut awa = None;
    for _ in 0..100 {
        awa = person(app, "awa@example.org").await;
        if awa.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let id = awa.unwrap().id;
    let path = format!("/admin/people/{id}");
    let record = |phone: &'static str| {
        let csrf = csrf.clone();
        let path = path.clone();
        async move {
            app.post(
                &format!("{path}/record"),
                &[
                    ("csrf", csrf.as_str()),
                    ("first_name", "Awa"),
                    ("last_name", "Mensah"),
                    ("phone", phone),
                    ("address", "3 rue de la Roquette"),
                    ("postcode", "75011"),
                    ("commune", ""),
                    ("country", "FR"),
                    ("language", "fr"),
                    ("channels", "email"),
                    ("channels", "sms"),
                ],
            )
            .await
        }
    };
    // A bad number is refused beside its field, the rest kept as typed.
    let r = record("12").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"phone-error\""));
    assert!(html.contains("value=\"3 rue de la Roquette\""));
    let r = record("06 12 34 56 78").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.get(&path).await.text().await.unwrap();
    assert!(
        page.contains("Paris 11e Arrondissement"),
        "the commune from the postcode"
    );
    assert!(page.contains("value=\"+33612345678\""), "stored E.164");
    assert!(page.contains("id=\"channel-sms\" name=\"channels\" value=\"sms\" checked"));
    let r = app
        .post(
            &format!("{path}/interests"),
            &[("csrf", csrf.as_str()), ("interest", "Eau potable")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let list = app
        .get("/admin/people?interest=eau+potable")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("awa@example.org") && !list.contains("marc@example.org"));
    let export: serde_json::Value = app.get(&format!("{path}/export.json")).await.json().await.unwrap();
    assert_eq!(export["person"]["address"], "3 rue de la Roquette");
    assert_eq!(export["person"]["preferred_channels"], "email,sms");
    assert_eq!(export["interests"][0], "eau potable");
    let csv = app.get("/admin/people.csv").await.text().await.unwrap();
    assert!(
        csv.lines().next().unwrap().ends_with(",phone,commune,source"),
        "new columns at the end"
    );
}
