//! The people list's filters, their counts and saved segments, on both backends.

use super::*;
use relais_core::segment::SegmentInput;

async fn count(store: &DynStore, access: &OrgAccess, input: SegmentInput, now: i64) -> (i64, Vec<String>) {
    let seg = input.parse().unwrap();
    let n = store.count_people(access, &seg, now).await.unwrap();
    let people = store.find_people(access, &seg, 0, 100, now).await.unwrap();
    assert_eq!(people.len() as i64, n, "the list and its count agree");
    let mut emails: Vec<String> = people.into_iter().map(|p| p.email).collect();
    emails.sort();
    (n, emails)
}

conformance!(segments_filter_count_and_save, |store: DynStore| async move {
    use petitions_support::*;
    let (access, p) = published(&store, "filtres").await;
    // Marie (Lyon 3e) and Paul (Lyon 1er) sign; Jeanne (Paris) signs without confirming.
    let marie = request(&p, "marie@example.org", "69003", (true, true));
    let paul = request(&p, "paul@example.org", "69001", (false, false));
    let jeanne = request(&p, "jeanne@example.org", "75011", (false, true));
    store.sign_batch(&[marie, paul, jeanne], NOW).await.unwrap();
    posts_support::confirm_all(&store, &p, &["marie@example.org", "paul@example.org"], NOW + 1).await;
    // Luc gives 80 € in 2027 (NOW is January 2027), long after; nobody else gives.
    let campaign = store
        .create_campaign(
            &access,
            &relais_core::gift::CampaignInput {
                title: "Le puits".into(),
                once: "on".into(),
                ..Default::default()
            }
            .parse()
            .unwrap(),
            true,
            NOW,
        )
        .await
        .unwrap();
    let draft = relais_core::gift::GiftInput {
        amount: "80".into(),
        first_name: "Luc".into(),
        last_name: "Roy".into(),
        email: "luc@example.org".into(),
        phone: "06 12 34 56 78".into(),
        ..Default::default()
    }
    .parse(
        &[relais_core::gift::Frequency::Once],
        relais_core::gift::MIN_GIFT,
        relais_core::gift::MAX_GIFT,
        relais_core::Locale::Fr,
    )
    .unwrap();
    let later = NOW + 200 * 86_400;
    store
        .start_gift(
            &NewGift {
                campaign: &campaign,
                draft: &draft,
                locale: "fr",
                provider: "sandbox",
                method: "card",
                provider_ref: "seg-1",
                newsletter_wording: "",
                impact_wording: "",
                pledge_ref: None,
                tip_cents: 0,
            },
            later,
        )
        .await
        .unwrap();
    store.complete_gift_at("seg-1", later, later).await.unwrap().unwrap();
    let paul_id = posts_support::supporter_id(&store, &access, "paul@example.org").await;
    store.set_tag(&access, paul_id, "bénévole", true, NOW).await.unwrap();
    // Marie withdraws her newsletter consent; Jeanne's stays (given when signing).
    let marie_id = posts_support::supporter_id(&store, &access, "marie@example.org").await;
    store
        .record_consent(
            &posts_support::consent_change(p.org_id, marie_id, "newsletter", false),
            NOW + 2,
        )
        .await
        .unwrap();
    let now = later + 10;
    let all = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();

    assert_eq!(count(&store, &access, SegmentInput::default(), now).await.0, 4);
    assert_eq!(
        count(
            &store,
            &access,
            SegmentInput {
                tag: "Bénévole".into(),
                ..Default::default()
            },
            now
        )
        .await
        .1,
        all(&["paul@example.org"])
    );
    assert_eq!(
        count(
            &store,
            &access,
            SegmentInput {
                q: "#bénévole".into(),
                ..Default::default()
            },
            now
        )
        .await
        .0,
        1
    );
    for q in ["06 12 34 56 78", "+33612345678", "luc@", "Roy", "roy"] {
        let found = SegmentInput {
            q: q.into(),
            ..Default::default()
        };
        assert_eq!(
            count(&store, &access, found, now).await.1,
            all(&["luc@example.org"]),
            "{q}"
        );
    }
    assert_eq!(
        count(
            &store,
            &access,
            SegmentInput {
                petition: p.id.to_string(),
                ..Default::default()
            },
            now
        )
        .await
        .1,
        all(&["marie@example.org", "paul@example.org"]),
        "confirmed signers only"
    );
    let gave = |min: &str, year: &str| SegmentInput {
        gave_min: min.into(),
        gave_year: year.into(),
        ..Default::default()
    };
    let gift_year = jiff::Timestamp::from_second(later)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .year()
        .to_string();
    assert_eq!(
        count(&store, &access, gave("50", &gift_year), now).await.1,
        all(&["luc@example.org"])
    );
    assert_eq!(count(&store, &access, gave("100", ""), now).await.0, 0);
    assert_eq!(count(&store, &access, gave("", "2020"), now).await.0, 0);
    assert_eq!(
        count(
            &store,
            &access,
            SegmentInput {
                consent: "newsletter".into(),
                ..Default::default()
            },
            now
        )
        .await
        .1,
        all(&["jeanne@example.org"]),
        "Marie withdrew, Paul never agreed"
    );
    assert_eq!(
        count(
            &store,
            &access,
            SegmentInput {
                consent: "none".into(),
                ..Default::default()
            },
            now
        )
        .await
        .1,
        all(&["luc@example.org", "paul@example.org"]),
        "Marie still agrees to the petition's updates"
    );
    let near = |code: &str, km: &str| SegmentInput {
        near: code.into(),
        km: km.into(),
        ..Default::default()
    };
    assert_eq!(
        count(&store, &access, near("69002", "10"), now).await.1,
        all(&["marie@example.org", "paul@example.org"])
    );
    assert_eq!(
        count(&store, &access, near("75001", "10"), now).await.1,
        all(&["jeanne@example.org"])
    );
    // Luc gave 200 days after the others signed.
    let active = SegmentInput {
        active_days: "30".into(),
        ..Default::default()
    };
    assert_eq!(count(&store, &access, active, now).await.1, all(&["luc@example.org"]));
    let inactive = SegmentInput {
        inactive_days: "100".into(),
        ..Default::default()
    };
    assert_eq!(count(&store, &access, inactive, now).await.0, 3);
    // Filters add up: signed, in Lyon, tagged.
    let both = SegmentInput {
        petition: p.id.to_string(),
        near: "69001".into(),
        km: "5".into(),
        tag: "bénévole".into(),
        ..Default::default()
    };
    assert_eq!(count(&store, &access, both, now).await.1, all(&["paul@example.org"]));
    // With a consent or a place, the list filters are checked per person (`EXISTS`)
    // instead of driving the query: the same people either way.
    let with = |petition: bool, tag: &str, gave_min: &str, consent: &str, near: &str| SegmentInput {
        petition: if petition { p.id.to_string() } else { String::new() },
        tag: tag.into(),
        gave_min: gave_min.into(),
        consent: consent.into(),
        near: near.into(),
        km: if near.is_empty() { String::new() } else { "10".into() },
        ..Default::default()
    };
    for (input, expected) in [
        (with(true, "", "", "none", ""), vec!["paul@example.org"]),
        (
            with(true, "", "", "", "69002"),
            vec!["marie@example.org", "paul@example.org"],
        ),
        (with(false, "bénévole", "", "none", ""), vec!["paul@example.org"]),
        (with(false, "", "50", "none", ""), vec!["luc@example.org"]),
        (with(false, "", "50", "newsletter", ""), vec![]),
        (with(true, "bénévole", "", "", "69002"), vec!["paul@example.org"]),
        (with(true, "", "", "newsletter", "69002"), vec![]),
    ] {
        let shown = format!("{input:?}");
        assert_eq!(count(&store, &access, input, now).await.1, all(&expected), "{shown}");
    }

    // Saved segments: by name, unique per association, deleted.
    let s = store
        .save_segment(&access, "Bénévoles", "tag=b%C3%A9n%C3%A9vole", None, NOW)
        .await
        .unwrap();
    assert!(matches!(
        store.save_segment(&access, "Bénévoles", "q=x", None, NOW).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.segments(&access).await.unwrap(), vec![s.clone()]);
    // Another association sees neither the segment nor these people.
    let (other_org, other_owner) = new_org(&store, "ailleurs", "chair@ailleurs.example").await;
    let other = store.authorise(other_owner.id, other_org.id).await.unwrap().unwrap();
    assert!(store.segments(&other).await.unwrap().is_empty());
    assert!(matches!(
        store.delete_segment(&other, s.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(count(&store, &other, SegmentInput::default(), now).await.0, 0);
    store.delete_segment(&access, s.id).await.unwrap();
    assert!(store.segments(&access).await.unwrap().is_empty());
});

conformance!(
    retention_erases_only_the_inactive_without_consent,
    |store: DynStore| async move {
        use petitions_support::*;
        let (access, p) = published(&store, "oubli").await;
        let (_, other_p) = published(&store, "garde").await;
        let year = 365 * 86_400;
        // Signed two years ago: Anna agreed to nothing, Bruno to the newsletter, Chloé
        // agreed then withdrew; Dan signs today. In the other association, Eve, same as Anna.
        let old = NOW - 2 * year;
        let anna = request(&p, "anna@example.org", "69003", (false, false));
        let bruno = request(&p, "bruno@example.org", "69003", (false, true));
        let chloe = request(&p, "chloe@example.org", "69003", (false, true));
        store.sign_batch(&[anna, bruno, chloe], old).await.unwrap();
        let eve = request(&other_p, "eve@example.org", "69003", (false, false));
        store.sign_batch(&[eve], old).await.unwrap();
        let chloe_id = posts_support::supporter_id(&store, &access, "chloe@example.org").await;
        store
            .record_consent(
                &posts_support::consent_change(p.org_id, chloe_id, "newsletter", false),
                old + 60,
            )
            .await
            .unwrap();
        store
            .sign_batch(&[request(&p, "dan@example.org", "69003", (false, false))], NOW)
            .await
            .unwrap();

        assert_eq!(store.retention_months(&access).await.unwrap(), None);
        assert_eq!(store.retention_due(&access, NOW).await.unwrap(), 0, "no policy: nobody");
        store.set_retention_months(&access, Some(12), None, NOW).await.unwrap();
        assert_eq!(store.retention_months(&access).await.unwrap(), Some(12));
        assert_eq!(store.retention_due(&access, NOW).await.unwrap(), 2, "Anna and Chloé");

        assert_eq!(store.apply_retention(NOW, 500).await.unwrap(), 2);
        let people = store
            .find_people(&access, &Default::default(), 0, 100, NOW)
            .await
            .unwrap();
        let mut left: Vec<String> = people.into_iter().map(|p| p.email).collect();
        left.sort();
        assert_eq!(left, vec!["bruno@example.org".to_owned(), "dan@example.org".to_owned()]);
        assert_eq!(
            store.count_people(&access, &Default::default(), NOW).await.unwrap(),
            2,
            "the erased are not counted"
        );
        let old_ones = relais_core::segment::SegmentInput {
            inactive_days: "365".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(
            store.count_people(&access, &old_ones, NOW).await.unwrap(),
            1,
            "Bruno, not the erased"
        );
        assert_eq!(store.counts(p.id).await.unwrap().pending, 4, "signatures still count");
        assert_eq!(store.retention_due(&access, NOW).await.unwrap(), 0);
        assert_eq!(store.apply_retention(NOW, 500).await.unwrap(), 0, "erased once");
        let log = store.audit_log(&access, 20).await.unwrap();
        assert_eq!(
            log.iter().filter(|(_, _, action, _)| action == "erase_person").count(),
            2
        );
        assert!(
            log.iter()
                .any(|(_, _, action, subject)| action == "set_retention" && subject == "months:12")
        );
        // The other association has no policy: Eve stays.
        let other = store.operator_access("garde").await.unwrap();
        assert_eq!(store.count_people(&other, &Default::default(), NOW).await.unwrap(), 1);
    }
);

conformance!(
    search_by_prefix_reads_text_as_typed_on_both_backends,
    |store: DynStore| async move {
        use relais_core::segment::SegmentInput;
        let (org, owner) = new_org(&store, "prefixes", "chair@prefixes.example").await;
        let access = store.authorise(owner.id, org.id).await.unwrap().unwrap();
        let give = super::merge::give;
        give(
            &store,
            &access,
            "d.durand@example.org",
            "Durand",
            "06 11 11 11 11",
            "pre-1",
        )
        .await;
        give(&store, &access, "durr@example.org", "Dürr", "06 22 22 22 22", "pre-2").await;
        give(
            &store,
            &access,
            "dupont@example.org",
            "Du-Rand",
            "06 33 33 33 33",
            "pre-3",
        )
        .await;
        give(&store, &access, "eric@example.org", "Éric", "06 44 44 44 44", "pre-4").await;
        // PostgreSQL compares text in the database's collation (here French): the
        // prefix ranges are read byte by byte there too, as SQLite does, so both
        // backends find the same people and a linguistic order cannot hide anyone.
        for (q, expected) in [
            ("dur", vec!["d.durand@example.org", "durr@example.org"]),
            ("Dur", vec!["d.durand@example.org", "durr@example.org"]),
            ("Dür", vec!["durr@example.org"]),
            ("DÜRR", vec!["durr@example.org"]),
            ("du-", vec!["dupont@example.org"]),
            ("Éri", vec!["eric@example.org"]),
            ("eri", vec!["eric@example.org"]),
        ] {
            let seg = SegmentInput {
                q: q.into(),
                ..Default::default()
            }
            .parse()
            .unwrap();
            let mut found: Vec<String> = store
                .find_people(&access, &seg, 0, 50, NOW)
                .await
                .unwrap()
                .into_iter()
                .map(|p| p.email)
                .collect();
            found.sort();
            assert_eq!(found, expected, "q={q}");
            assert_eq!(
                store.count_people(&access, &seg, NOW).await.unwrap(),
                expected.len() as i64,
                "q={q}"
            );
        }
    }
);
