//! Imports of supporters: the validation's report kept, chunks merged by e-mail
//! (filling or overwriting as chosen), tags, interests and newsletter consents
//! applied, another association untouched, and the progress an interruption leaves.

use super::*;
use relais_core::import::records::Record;
use relais_core::import::row::{ImportRow, check_row};
use relais_core::import::{Field, MergePolicy};

const MAPPING: [Option<Field>; 6] = [
    Some(Field::Email),
    Some(Field::FirstName),
    Some(Field::LastName),
    Some(Field::Postcode),
    Some(Field::Tags),
    Some(Field::Interests),
];

fn row(line: usize, cells: [&str; 6]) -> ImportRow {
    let record = Record {
        line,
        cells: cells.iter().map(|c| (*c).to_owned()).collect(),
    };
    check_row(&record, &MAPPING, MAPPING.len()).unwrap()
}

async fn validated(store: &DynStore, access: &OrgAccess, policy: MergePolicy, consent: Option<&str>) -> Import {
    let new = NewImport {
        file_name: "adherents.csv",
        file_path: "imports/x.csv",
        file_bytes: 120,
        encoding: "utf-8",
        separator: ";",
        mapping: "email,first_name,last_name,postcode,tags,interests",
        created_by: None,
    };
    let import = store.create_import(access, &new, NOW).await.unwrap();
    assert_eq!(import.state, "uploaded");
    let plan = ImportPlan {
        mapping: new.mapping,
        tags: "salon 2026",
        policy,
        consent_wording: consent,
        total_rows: 3,
        to_create: 2,
        to_update: 0,
        to_keep: 0,
        refused_rows: 1,
        last_line: 4,
    };
    let refusals = [Refusal {
        line: 4,
        reason: "bad-email".into(),
        detail: "paul@@x".into(),
    }];
    store
        .save_validation(access, import.id, &plan, &refusals)
        .await
        .unwrap();
    assert!(store.start_import(access, import.id, NOW - 60, NOW).await.unwrap());
    // A second click finds it taken, while its task is alive.
    assert!(!store.start_import(access, import.id, NOW - 60, NOW).await.unwrap());
    store.import(access, import.id).await.unwrap()
}

fn chunk<'a>(
    rows: &'a [ImportRow],
    policy: MergePolicy,
    tags: &'a [String],
    consent: Option<&'a str>,
) -> ImportChunk<'a> {
    ImportChunk {
        rows,
        policy,
        batch_tags: tags,
        consent_wording: consent,
        default_locale: relais_core::Locale::Fr,
        last_line: rows.last().map_or(0, |r| r.line as i64),
    }
}

conformance!(imports_merge_by_email_and_report, |store: DynStore| async move {
    let (org, _) = new_org(&store, "amis", "chair@amis.example").await;
    let (_other, _) = new_org(&store, "voisins", "chair@voisins.example").await;
    let access = store.operator_access(&org.slug).await.unwrap();
    let other = store.operator_access("voisins").await.unwrap();
    let batch = vec!["salon 2026".to_owned()];

    // The other association knows Awa already: its record must not move.
    let theirs = validated(&store, &other, MergePolicy::Overwrite, None).await;
    let awa_theirs = [row(2, ["awa@example.org", "Awa", "Autre", "13001", "", ""])];
    store
        .import_chunk(
            &other,
            theirs.id,
            &chunk(&awa_theirs, MergePolicy::Overwrite, &[], None),
            NOW,
        )
        .await
        .unwrap();

    let wording = "J'accepte de recevoir la lettre d'information.";
    let first = validated(&store, &access, MergePolicy::FillEmpty, Some(wording)).await;
    let stored = store.refusals(&access, first.id, 100).await.unwrap();
    assert_eq!(stored[0].line, 4);
    assert_eq!(stored[0].reason, "bad-email");
    assert_eq!(store.refused_lines(&access, first.id).await.unwrap(), vec![4]);
    let rows = [
        row(2, ["awa@example.org", "Awa", "", "75011", "bénévole", "eau, santé"]),
        row(3, ["marc@example.org", "Marc", "Durand", "", "", ""]),
    ];
    let counts = store
        .import_chunk(
            &access,
            first.id,
            &chunk(&rows, MergePolicy::FillEmpty, &batch, Some(wording)),
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(
        (counts.created, counts.updated, counts.unchanged, counts.consents_added),
        (2, 0, 0, 2)
    );
    store.finish_import(&access, first.id, None, NOW + 1).await.unwrap();
    let first = store.import(&access, first.id).await.unwrap();
    assert_eq!(
        (first.state.as_str(), first.created_rows, first.committed_line),
        ("done", 2, 3)
    );
    // A finished import keeps its report: no second validation.
    assert!(
        store
            .save_validation(
                &access,
                first.id,
                &ImportPlan {
                    mapping: "",
                    tags: "",
                    policy: MergePolicy::FillEmpty,
                    consent_wording: None,
                    total_rows: 0,
                    to_create: 0,
                    to_update: 0,
                    to_keep: 0,
                    refused_rows: 0,
                    last_line: 0,
                },
                &[]
            )
            .await
            .is_err()
    );

    let awa = store
        .supporter_by_email(&access, &email("awa@example.org"))
        .await
        .unwrap()
        .unwrap();
    let known = store
        .known_people(&access, &["awa@example.org", "nobody@example.org"])
        .await
        .unwrap();
    assert_eq!(known.len(), 1);
    let fields = &known[0].1;
    assert_eq!(fields.commune, "Paris 11e Arrondissement");
    assert!(fields.latitude.is_some(), "coordinates from the postcode");
    let mut tags = store.tags(&access, awa.id).await.unwrap();
    tags.sort();
    assert_eq!(tags, vec!["bénévole".to_owned(), "salon 2026".to_owned()]);
    let consents = store.consents(&access, awa.id).await.unwrap();
    assert_eq!(consents.len(), 1);
    assert_eq!(
        (consents[0].wording.as_str(), consents[0].source.as_str()),
        (wording, &*format!("import:{}", first.id))
    );
    // The interest filter finds her.
    let seg = relais_core::segment::SegmentInput {
        interest: "Santé".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    let found = store.find_people(&access, &seg, 0, 10, NOW).await.unwrap();
    assert_eq!(
        found.iter().map(|p| p.email.as_str()).collect::<Vec<_>>(),
        vec!["awa@example.org"]
    );
    assert_eq!(store.count_people(&access, &seg, NOW).await.unwrap(), 1);

    // Marc withdraws from the newsletter; a second file says everyone agrees.
    let marc = store
        .supporter_by_email(&access, &email("marc@example.org"))
        .await
        .unwrap()
        .unwrap();
    store
        .record_consent(
            &ConsentChange {
                org_id: org.id,
                supporter_id: marc.id,
                channel: "email",
                purpose: "newsletter",
                granted: false,
                wording: "Se désinscrire",
                source: "unsubscribe",
                ip_hash: "",
            },
            NOW + 2,
        )
        .await
        .unwrap();

    // Filling: Awa's first name stays, her empty last name is filled; Marc is unchanged.
    let second = validated(&store, &access, MergePolicy::FillEmpty, Some(wording)).await;
    let rows = [
        row(2, ["AWA@example.org", "Aïssata", "Mensah", "69001", "", ""]),
        row(3, ["marc@example.org", "Marc", "Durand", "", "", ""]),
    ];
    let counts = store
        .import_chunk(
            &access,
            second.id,
            &chunk(&rows, MergePolicy::FillEmpty, &batch, Some(wording)),
            NOW + 3,
        )
        .await
        .unwrap();
    assert_eq!((counts.created, counts.updated, counts.unchanged), (0, 1, 1));
    assert_eq!(
        (counts.consents_added, counts.consents_withdrawn),
        (0, 1),
        "a withdrawal outranks a file"
    );
    let awa_now = store
        .supporter_by_email(&access, &email("awa@example.org"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            awa_now.first_name.as_str(),
            awa_now.last_name.as_str(),
            awa_now.postcode.as_str()
        ),
        ("Awa", "Mensah", "75011")
    );
    let marc_consents = store.consents(&access, marc.id).await.unwrap();
    assert!(!marc_consents.last().unwrap().granted, "still withdrawn");

    // Overwriting: the file's values win, and the commune follows the postcode.
    let third = validated(&store, &access, MergePolicy::Overwrite, None).await;
    let rows = [row(2, ["awa@example.org", "Aïssata", "", "69001", "", ""])];
    let counts = store
        .import_chunk(
            &access,
            third.id,
            &chunk(&rows, MergePolicy::Overwrite, &[], None),
            NOW + 4,
        )
        .await
        .unwrap();
    assert_eq!(counts.updated, 1);
    let awa_now = store
        .supporter_by_email(&access, &email("awa@example.org"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            awa_now.first_name.as_str(),
            awa_now.last_name.as_str(),
            awa_now.postcode.as_str()
        ),
        ("Aïssata", "Mensah", "69001")
    );
    let fields = store
        .known_people(&access, &["awa@example.org"])
        .await
        .unwrap()
        .remove(0)
        .1;
    assert_eq!(fields.commune, "Lyon 1er Arrondissement");

    // The other association's Awa is as it was.
    let awa_other = store
        .supporter_by_email(&other, &email("awa@example.org"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            awa_other.first_name.as_str(),
            awa_other.last_name.as_str(),
            awa_other.postcode.as_str()
        ),
        ("Awa", "Autre", "13001")
    );
    assert!(
        store.import(&other, first.id).await.is_err(),
        "another association's import is not found"
    );
    assert!(store.tags(&other, awa_other.id).await.unwrap().is_empty());

    let listed = store.imports(&access, 10).await.unwrap();
    assert_eq!(
        listed.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![third.id, second.id, first.id]
    );
});

conformance!(
    an_interrupted_import_says_how_far_it_got_and_resumes,
    |store: DynStore| async move {
        let (org, _) = new_org(&store, "amis", "chair@amis.example").await;
        let access = store.operator_access(&org.slug).await.unwrap();
        let import = validated(&store, &access, MergePolicy::FillEmpty, None).await;
        let rows = [row(2, ["a@example.org", "A", "", "", "", ""])];
        store
            .import_chunk(
                &access,
                import.id,
                &chunk(&rows, MergePolicy::FillEmpty, &[], None),
                NOW + 5,
            )
            .await
            .unwrap();
        // The process stops here: no more heartbeats.
        let seen = store.import(&access, import.id).await.unwrap();
        assert!(!seen.is_interrupted(NOW - 60));
        assert!(seen.is_interrupted(NOW + 100));
        assert_eq!((seen.committed_rows(), seen.committed_line), (1, 2));
        // Another task takes over once it is stale, and goes on from the next line.
        assert!(
            store
                .start_import(&access, import.id, NOW + 100, NOW + 101)
                .await
                .unwrap()
        );
        let rows = [row(3, ["b@example.org", "B", "", "", "", ""])];
        store
            .import_chunk(
                &access,
                import.id,
                &chunk(&rows, MergePolicy::FillEmpty, &[], None),
                NOW + 102,
            )
            .await
            .unwrap();
        store
            .finish_import(&access, import.id, Some("disk full"), NOW + 103)
            .await
            .unwrap();
        let end = store.import(&access, import.id).await.unwrap();
        assert_eq!(
            (end.state.as_str(), end.created_rows, end.error.as_deref()),
            ("failed", 2, Some("disk full"))
        );
        // A chunk for an import that is not running writes nothing.
        let rows = [row(4, ["c@example.org", "C", "", "", "", ""])];
        assert!(
            store
                .import_chunk(
                    &access,
                    import.id,
                    &chunk(&rows, MergePolicy::FillEmpty, &[], None),
                    NOW + 104
                )
                .await
                .is_err()
        );
        assert!(
            store
                .supporter_by_email(&access, &email("c@example.org"))
                .await
                .unwrap()
                .is_none()
        );
    }
);

conformance!(
    the_fuller_record_is_edited_and_erase_clears_it,
    |store: DynStore| async move {
        let (org, _) = new_org(&store, "amis", "chair@amis.example").await;
        let access = store.operator_access(&org.slug).await.unwrap();
        let import = validated(&store, &access, MergePolicy::FillEmpty, None).await;
        let rows = [row(2, ["awa@example.org", "Awa", "", "", "", "eau"])];
        store
            .import_chunk(
                &access,
                import.id,
                &chunk(&rows, MergePolicy::FillEmpty, &[], None),
                NOW,
            )
            .await
            .unwrap();
        let id = store
            .supporter_by_email(&access, &email("awa@example.org"))
            .await
            .unwrap()
            .unwrap()
            .id;
        let record = relais_core::record::RecordInput {
            first_name: "Awa".into(),
            last_name: "Mensah".into(),
            phone: "06 12 34 56 78".into(),
            address: "3 rue de la Roquette".into(),
            postcode: "75011".into(),
            language: "en".into(),
            channels: vec!["email".into(), "sms".into()],
            ..Default::default()
        }
        .parse()
        .unwrap();
        store.update_record(&access, id, &record).await.unwrap();
        let p = store.person(&access, id).await.unwrap();
        assert_eq!(
            (p.address.as_str(), p.commune.as_str()),
            ("3 rue de la Roquette", "Paris 11e Arrondissement")
        );
        assert_eq!((p.phone.as_deref(), p.locale.as_str()), (Some("+33612345678"), "en"));
        assert!(p.latitude.is_some() && p.longitude.is_some());
        assert_eq!(p.source, format!("import:{}", import.id));
        assert_eq!(p.preferred_channels, "email,sms");
        // Interests, edited like tags.
        store.set_interest(&access, id, "santé", true, NOW).await.unwrap();
        store.set_interest(&access, id, "santé", true, NOW).await.unwrap();
        assert_eq!(
            store.interests(&access, id).await.unwrap(),
            vec!["eau".to_owned(), "santé".to_owned()]
        );
        store.set_interest(&access, id, "eau", false, NOW).await.unwrap();
        assert_eq!(store.interests(&access, id).await.unwrap(), vec!["santé".to_owned()]);
        // Another association cannot touch her.
        let (_, _) = new_org(&store, "voisins", "chair@voisins.example").await;
        let other = store.operator_access("voisins").await.unwrap();
        assert!(store.update_record(&other, id, &record).await.is_err());
        assert!(store.set_interest(&other, id, "x", true, NOW).await.is_err());
        assert!(store.interests(&other, id).await.unwrap().is_empty());
        // Erased: every personal field goes, interests too.
        store.erase_person(&access, id, None, NOW + 1).await.unwrap();
        let p = store.person(&access, id).await.unwrap();
        assert_eq!(
            (p.address.as_str(), p.commune.as_str(), p.preferred_channels.as_str()),
            ("", "", "")
        );
        assert_eq!((p.phone, p.latitude, p.longitude), (None, None, None));
        assert!(store.interests(&access, id).await.unwrap().is_empty());
        assert!(
            store.update_record(&access, id, &record).await.is_err(),
            "an erased person stays erased"
        );
    }
);
