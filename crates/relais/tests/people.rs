//! People in the back office: staff find a supporter, read their timeline and
//! consents, export everything about them, and erase them while counts stay.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::*;
use reqwest::StatusCode;

async fn setup(app: &TestApp) -> relais_store::Petition {
    let link = app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    app.follow_login_link(&link).await;
    let page = app.get("/admin/petitions/new").await.text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let r = app
        .post(
            "/admin/petitions",
            &[
                ("csrf", csrf.as_str()),
                ("action", "publish"),
                ("title", "Un puits pour Kpalimé"),
                ("body", "Le puits est à sec."),
                ("target_name", "Mme la Maire"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.store
        .petition_by_slug("un-puits-pour-kpalime")
        .await
        .unwrap()
        .unwrap()
}

async fn sign(app: &TestApp, slug: &str, first: &str, last: &str, email: &str, postcode: &str) {
    let r = client()
        .post(app.url(&format!("/p/{slug}/sign")))
        .form(&[
            ("first_name", first),
            ("last_name", last),
            ("email", email),
            ("postcode", postcode),
            ("country", "FR"),
            ("consent_updates", "on"),
            ("consent_newsletter", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

on_both_backends!(staff_find_a_person_read_their_story_export_and_erase_them);

async fn staff_find_a_person_read_their_story_export_and_erase_them(app: &TestApp) {
    let p = setup(app).await;
    sign(app, &p.slug, "Awa", "Mensah", "awa@example.org", "75011").await;
    sign(app, &p.slug, "Marc", "Durand", "marc@example.org", "69001").await;
    // Awa confirms, then unsubscribes from the petition's news from an e-mail.
    let mail = app.last_email_to("awa@example.org").await;
    let confirm = link_in(&mail, &app.url(&format!("/p/{}/confirm", p.slug)));
    assert_eq!(client().get(&confirm).send().await.unwrap().status(), StatusCode::OK);

    // Search by name prefix (as typed or not), e-mail prefix, postcode.
    for q in ["awa", "Mens", "awa@ex", "75011"] {
        let html = app.get(&format!("/admin/people?q={q}")).await.text().await.unwrap();
        assert!(html.contains("awa@example.org"), "{q}");
        assert!(!html.contains("marc@example.org"), "{q}");
    }
    let everyone = app.get("/admin/people").await.text().await.unwrap();
    assert!(everyone.contains("awa@example.org") && everyone.contains("marc@example.org"));
    let id = app
        .store
        .search_people(&app.store.operator_access("amis").await.unwrap(), "awa@", 0, 10)
        .await
        .unwrap()[0]
        .id;

    let page = app.get(&format!("/admin/people/{id}")).await.text().await.unwrap();
    for expected in [
        "Awa Mensah",
        "A signé",
        "A confirmé sa signature",
        "A donné son accord",
        "Message reçu",
        "Lettre d’information",
        "Un puits pour Kpalimé",
    ] {
        assert!(page.contains(expected), "{expected} missing:\n{page}");
    }

    // Tags and notes: a tag is written one way and found with `#`.
    let csrf = hidden(&page, "csrf");
    let r = app
        .post(
            &format!("/admin/people/{id}/tags"),
            &[("csrf", csrf.as_str()), ("tag", " Bénévole ")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post(
            &format!("/admin/people/{id}/tags"),
            &[("csrf", csrf.as_str()), ("tag", "a,b")],
        )
        .await;
    assert!(location(&r).ends_with("done=tag-refused"));
    app.post(
        &format!("/admin/people/{id}/notes"),
        &[
            ("csrf", csrf.as_str()),
            ("body", "Rencontrée au forum des associations."),
        ],
    )
    .await;
    let tagged = app
        .get("/admin/people?q=%23b%C3%A9n%C3%A9vole")
        .await
        .text()
        .await
        .unwrap();
    assert!(tagged.contains("awa@example.org") && !tagged.contains("marc@example.org"));
    let page = app.get(&format!("/admin/people/{id}")).await.text().await.unwrap();
    assert!(page.contains("#bénévole") && page.contains("Rencontrée au forum des associations."));
    // The list exports as CSV, streamed, and the export is logged.
    let csv = app.get("/admin/people.csv?q=").await.text().await.unwrap();
    assert!(
        csv.starts_with("id,email,first_name,last_name,postcode,created_at,phone,commune,source\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3);

    // The export holds everything, and is logged.
    let r = app.get(&format!("/admin/people/{id}/export.json")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let json: serde_json::Value = r.json().await.unwrap();
    assert_eq!(json["person"]["email"], "awa@example.org");
    assert_eq!(json["signatures"][0]["petition"], "Un puits pour Kpalimé");
    assert_eq!(json["signatures"][0]["status"], "confirmed");
    assert_eq!(json["consents"].as_array().unwrap().len(), 2);
    assert_eq!(json["tags"][0], "bénévole");
    assert_eq!(json["staff_notes"][0]["text"], "Rencontrée au forum des associations.");
    // The same as a page the person can read, with the exact words they agreed to.
    let r = app.get(&format!("/admin/people/{id}/export.html")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let dossier = r.text().await.unwrap();
    for expected in [
        "Ce que Les Amis du Puits sait de vous",
        "awa@example.org",
        "Awa Mensah",
        "Un puits pour Kpalimé",
        "confirmée",
        "Je souhaite recevoir la lettre d’information de Les Amis du Puits par e-mail.",
        "Confirmez votre signature",
        "bénévole",
        "Rencontrée au forum des associations.",
    ] {
        assert!(dossier.contains(expected), "{expected} missing:\n{dossier}");
    }
    let access = app.store.operator_access("amis").await.unwrap();
    let exports = app
        .store
        .audit_log(&access, 20)
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, _, action, _)| action == "export_person")
        .count();
    assert_eq!(exports, 2, "both exports are in the audit log");

    // Erasure needs the box ticked, then removes the person and keeps the count.
    let csrf = hidden(&page, "csrf");
    let r = app
        .post(&format!("/admin/people/{id}/erase"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app
        .post(
            &format!("/admin/people/{id}/erase"),
            &[("csrf", csrf.as_str()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let access = app.store.operator_access("amis").await.unwrap();
    let person = app.store.person(&access, id).await.unwrap();
    assert!(person.email.starts_with("erased-") && person.first_name.is_empty());
    assert!(app.store.consents(&access, id).await.unwrap().is_empty());
    let counts = app.store.counts(p.id).await.unwrap();
    assert_eq!(
        (counts.confirmed, counts.pending),
        (1, 1),
        "the erased signature still counts"
    );
    let csv = app
        .get(&format!("/admin/petitions/{}/signatures.csv", p.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("awa@example.org") && !csv.contains("Mensah"), "{csv}");
    let log = app.store.audit_log(&access, 10).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|(_, _, a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        ["erase_person", "export_person", "export_person", "export_people"]
    );
    assert!(
        app.store.tags(&access, id).await.unwrap().is_empty(),
        "tags go with the person"
    );
    assert!(app.store.notes(&access, id).await.unwrap().is_empty(), "and notes too");
    // Gone from the list; the same address can sign again as a new person.
    assert!(
        !app.get("/admin/people?q=awa")
            .await
            .text()
            .await
            .unwrap()
            .contains("awa@example.org")
    );
    sign(app, &p.slug, "Awa", "Mensah", "awa@example.org", "75011").await;

    // Another association's staff cannot see or erase them.
    let other = app.create_org("autre", "Autre", "chair@autre.example").await;
    let stranger = client();
    stranger.get(&other).send().await.unwrap();
    let r = stranger
        .get(app.url(&format!("/admin/people/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

on_both_backends!(the_newsletter_needs_a_click_in_the_email_before_anything_is_kept);

async fn the_newsletter_needs_a_click_in_the_email_before_anything_is_kept(app: &TestApp) {
    app.create_org("amis", "Les Amis du Puits", "chair@amis.example").await;
    let access = app.store.operator_access("amis").await.unwrap();
    let page = client()
        .get(app.url("/o/amis"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("action=\"/o/amis/newsletter\""),
        "the form is on the association's page"
    );
    // A bad address comes back with the form as typed.
    let r = client()
        .post(app.url("/o/amis/newsletter"))
        .form(&[("email", "pas-une-adresse"), ("first_name", "Léa")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"pas-une-adresse\"") && html.contains("value=\"Léa\""));

    let r = client()
        .post(app.url("/o/amis/newsletter"))
        .form(&[("email", "Lea@Example.org"), ("first_name", "Léa")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/o/amis/newsletter?s=sent");
    // Nothing is kept before the click.
    let lea = relais_core::Email::parse("lea@example.org").unwrap();
    assert!(app.store.supporter_by_email(&access, &lea).await.unwrap().is_none());
    let mail = app.last_email_to("lea@example.org").await;
    assert!(mail.subject.contains("Confirmez votre inscription"), "{}", mail.subject);
    let link = link_in(&mail, &app.url("/o/amis/newsletter/confirm"));
    let html = client().get(&link).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("C’est confirmé"), "{html}");
    let person = app.store.supporter_by_email(&access, &lea).await.unwrap().unwrap();
    assert_eq!(person.first_name, "Léa");
    let ledger = app.store.consents(&access, person.id).await.unwrap();
    assert_eq!(ledger.len(), 1);
    assert!(
        ledger[0].granted && ledger[0].purpose == "newsletter" && ledger[0].wording.contains("lettre d’information")
    );
    // Clicking again records nothing more; an altered link is refused.
    client().get(&link).send().await.unwrap();
    assert_eq!(app.store.consents(&access, person.id).await.unwrap().len(), 1);
    let html = client()
        .get(format!("{link}x"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("n’est pas valide"));
}

on_both_backends!(staff_filter_people_save_a_segment_and_export_it);

async fn staff_filter_people_save_a_segment_and_export_it(app: &TestApp) {
    let p = setup(app).await;
    sign(app, &p.slug, "Awa", "Mensah", "awa@example.org", "69003").await;
    sign(app, &p.slug, "Marc", "Durand", "marc@example.org", "69001").await;
    sign(app, &p.slug, "Léa", "Petit", "lea@example.org", "75011").await;
    // Within 15 km of Lyon 2e: Awa and Marc, not Léa.
    let r = app.get("/admin/people?near=69002&km=15").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("2 personnes"), "{html}");
    assert!(html.contains("awa@example.org") && html.contains("marc@example.org"));
    assert!(!html.contains("lea@example.org"));

    // A refused filter: 422, the message at the field, what was typed kept.
    let r = app.get("/admin/people?near=69002&km=9000").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Un rayon entre 1 et 300 km"));
    assert!(html.contains("value=\"9000\""));

    // Saved under a name: listed with its live count, which follows new signers.
    let page = app.get("/admin/people?near=69002&km=15").await.text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let query = hidden(&page, "query").replace("&#38;", "&");
    assert_eq!(query, "near=69002&km=15");
    let r = app
        .post(
            "/admin/segments",
            &[("csrf", csrf.as_str()), ("name", "Lyonnais"), ("query", query.as_str())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let again = app
        .post(
            "/admin/segments",
            &[("csrf", csrf.as_str()), ("name", "Lyonnais"), ("query", query.as_str())],
        )
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().await.unwrap().contains("Un segment porte déjà ce nom"));
    let everyone = app
        .post(
            "/admin/segments",
            &[("csrf", csrf.as_str()), ("name", "Tous"), ("query", "")],
        )
        .await;
    assert_eq!(everyone.status(), StatusCode::UNPROCESSABLE_ENTITY);
    sign(app, &p.slug, "Jo", "Roy", "jo@example.org", "69007").await;
    let html = app.get("/admin/people").await.text().await.unwrap();
    let row = html.split("Lyonnais</a>").nth(1).unwrap();
    assert!(row.trim_start().starts_with("</th><td>3</td>"), "{row}");

    // The segment's CSV export: the same three people, and the export is audited.
    let csv = app
        .get("/admin/people.csv?near=69002&km=15")
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(!csv.contains("lea@example.org"));
    let bad = app.get("/admin/people.csv?km=abc&near=69002").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    // Deleted: the people stay.
    let id = html
        .split("/admin/segments/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let r = app
        .post(&format!("/admin/segments/{id}/delete"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = app.get("/admin/people").await.text().await.unwrap();
    assert!(!html.contains("Lyonnais"));
    assert!(html.contains("4 personnes"));
}

on_both_backends!(the_retention_policy_is_chosen_by_admins_and_applied_by_the_worker);

async fn the_retention_policy_is_chosen_by_admins_and_applied_by_the_worker(app: &TestApp) {
    let p = setup(app).await;
    sign(app, &p.slug, "Awa", "Mensah", "awa@example.org", "75011").await;
    let page = app.get("/admin/people/retention").await.text().await.unwrap();
    assert!(page.contains("Ne jamais effacer automatiquement"));
    let csrf = hidden(&page, "csrf");
    let r = app
        .post("/admin/people/retention", &[("csrf", csrf.as_str()), ("months", "7")])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "only the offered durations"
    );
    let r = app
        .post("/admin/people/retention", &[("csrf", csrf.as_str()), ("months", "12")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.get("/admin/people/retention").await.text().await.unwrap();
    assert!(page.contains("value=\"12\" selected"));
    // Awa just signed and agreed to the petition's news: nobody is due.
    assert!(page.contains("0 personnes seraient effacées"), "{page}");
    let access = app.store.operator_access("amis").await.unwrap();
    assert_eq!(app.store.retention_months(&access).await.unwrap(), Some(12));
    // Back to keeping everyone.
    let r = app
        .post("/admin/people/retention", &[("csrf", csrf.as_str()), ("months", "")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.store.retention_months(&access).await.unwrap(), None);
}

on_both_backends!(staff_find_duplicates_and_merge_two_records_of_one_person);

async fn staff_find_duplicates_and_merge_two_records_of_one_person(app: &TestApp) {
    let p = setup(app).await;
    // Awa signed twice under two addresses; Awa Diallo elsewhere is someone else.
    sign(app, &p.slug, "Awa", "Mensah", "awa@example.org", "75011").await;
    sign(app, &p.slug, "awa", "MENSAH", "a.mensah@travail.example", "75011").await;
    sign(app, &p.slug, "Awa", "Diallo", "diallo@example.org", "69001").await;
    let access = app.store.operator_access("amis").await.unwrap();
    let access = &access;
    let id_of = |email: &'static str| async move {
        app.store
            .supporter_by_email(access, &relais_core::Email::parse(email).unwrap())
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let (keep, other) = (id_of("awa@example.org").await, id_of("a.mensah@travail.example").await);

    let list = app.get("/admin/people").await.text().await.unwrap();
    assert!(list.contains("href=\"/admin/people/duplicates\""));
    let page = app.get("/admin/people/duplicates").await.text().await.unwrap();
    assert!(page.contains("Mêmes prénom, nom et code postal"), "{page}");
    assert!(page.contains("a.mensah@travail.example") && !page.contains("diallo@example.org"));
    let compare = format!("/admin/people/merge?keep={keep}&amp;other={other}");
    assert!(page.contains(&compare), "{page}");

    let page = app
        .get(&format!("/admin/people/merge?keep={keep}&other={other}"))
        .await
        .text()
        .await
        .unwrap();
    for expected in [
        "Fiche conservée",
        "1 signature(s)",
        "La fiche après la fusion",
        "Fusionner les deux fiches",
    ] {
        assert!(page.contains(expected), "{expected} missing:\n{page}");
    }
    // A typed address nobody has: the field says so and keeps what was typed.
    let r = app
        .get(&format!(
            "/admin/people/merge?keep={keep}&other_email=personne%40example.org"
        ))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Aucune personne de l’association") && html.contains("value=\"personne@example.org\""));
    // The same record on both sides is refused with a reason.
    let r = app.get(&format!("/admin/people/merge?keep={keep}&other={keep}")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let csrf = hidden(&page, "csrf");
    let forged = app
        .post(
            "/admin/people/merge",
            &[
                ("csrf", "forged"),
                ("keep", &keep.to_string()),
                ("other", &other.to_string()),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let r = app
        .post(
            "/admin/people/merge",
            &[
                ("csrf", csrf.as_str()),
                ("keep", &keep.to_string()),
                ("other", &other.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("/admin/people/{keep}?done=merged")
    );
    let page = app
        .get(&format!("/admin/people/{keep}?done=merged"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Fiches fusionnées"), "{page}");
    assert_eq!(
        page.matches("Confirmez votre signature").count(),
        2,
        "the messages to both addresses are on the timeline:\n{page}"
    );
    assert!(page.contains("A aussi utilisé : a.mensah@travail.example"), "{page}");
    assert_eq!(
        page.matches("A signé").count(),
        2,
        "both signatures on the timeline:\n{page}"
    );
    assert_eq!(
        app.get(&format!("/admin/people/{other}")).await.status(),
        StatusCode::NOT_FOUND
    );
    // The petition still counts two signatures from them (three in all).
    assert_eq!(app.store.counts(p.id).await.unwrap().pending, 3);
    let json: serde_json::Value = app
        .get(&format!("/admin/people/{keep}/export.json"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["merged_from"][0]["email"], "a.mensah@travail.example");
    assert!(
        app.get("/admin/people/duplicates")
            .await
            .text()
            .await
            .unwrap()
            .contains("Aucun doublon possible")
    );

    // Another association's person cannot be named.
    let link = app.create_org("voisins", "Les Voisins", "chair@voisins.example").await;
    let _ = link;
    let theirs = app
        .store
        .create_petition(
            &app.store.operator_access("voisins").await.unwrap(),
            &relais_core::petition::PetitionInput {
                title: "Ailleurs".into(),
                body: "Texte.".into(),
                target_name: "M. le Préfet".into(),
                ..Default::default()
            }
            .parse(jiff::civil::date(2026, 1, 1))
            .unwrap(),
            relais_core::petition::PetitionState::Published,
            None,
            1,
        )
        .await
        .unwrap();
    sign(app, &theirs.slug, "Awa", "Mensah", "awa.v@example.org", "75011").await;
    let foreign = app
        .store
        .supporter_by_email(
            &app.store.operator_access("voisins").await.unwrap(),
            &relais_core::Email::parse("awa.v@example.org").unwrap(),
        )
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = app
        .get(&format!("/admin/people/merge?keep={keep}&other={foreign}"))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .post(
            "/admin/people/merge",
            &[
                ("csrf", csrf.as_str()),
                ("keep", &keep.to_string()),
                ("other", &foreign.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
