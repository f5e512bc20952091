//! Possible duplicates and merging two records of one person, on both backends.

use super::*;
use relais_core::merge::{DuplicateReason, MergeError};

/// A paid gift from `address` with a mobile number, in a campaign of `access` (made
/// on the first call).
pub(crate) async fn give(
    store: &DynStore,
    access: &OrgAccess,
    address: &str,
    last_name: &str,
    phone: &str,
    reference: &str,
) {
    let campaign = match store.campaigns(access).await.unwrap().into_iter().next() {
        Some(c) => c,
        None => store
            .create_campaign(
                access,
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
            .unwrap(),
    };
    let draft = relais_core::gift::GiftInput {
        amount: "25".into(),
        first_name: "Luc".into(),
        last_name: last_name.into(),
        email: address.into(),
        phone: phone.into(),
        ..Default::default()
    }
    .parse(
        &[relais_core::gift::Frequency::Once],
        relais_core::gift::MIN_GIFT,
        relais_core::gift::MAX_GIFT,
        relais_core::Locale::Fr,
    )
    .unwrap();
    store
        .start_gift(
            &NewGift {
                campaign: &campaign,
                draft: &draft,
                locale: "fr",
                provider: "sandbox",
                method: "card",
                provider_ref: reference,
                newsletter_wording: "",
                impact_wording: "",
                pledge_ref: None,
                tip_cents: 0,
            },
            NOW,
        )
        .await
        .unwrap();
    store.complete_gift_at(reference, NOW, NOW).await.unwrap().unwrap();
}

conformance!(
    merge_moves_every_action_and_keeps_the_counts,
    |store: DynStore| async move {
        use petitions_support::*;
        use posts_support::*;
        let (access, p) = published(&store, "fusion").await;
        // One person signed under two addresses (same names, same postcode); another
        // person elsewhere is no duplicate.
        let first = request(&p, "marie@example.org", "69003", (true, true));
        let second = request(&p, "m.curie@travail.example", "69003", (true, false));
        let third = request(&p, "autre@example.org", "75011", (true, false));
        store.sign_batch(&[first, second, third], NOW).await.unwrap();
        confirm_all(
            &store,
            &p,
            &["marie@example.org", "m.curie@travail.example", "autre@example.org"],
            NOW + 1,
        )
        .await;
        let keep = supporter_id(&store, &access, "marie@example.org").await;
        let other = supporter_id(&store, &access, "m.curie@travail.example").await;

        let groups = store.possible_duplicates(&access).await.unwrap();
        assert_eq!(groups.len(), 1, "{groups:?}");
        assert_eq!(groups[0].reason, DuplicateReason::SameNameAndPostcode);
        assert_eq!(
            groups[0].people.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![keep, other]
        );

        store.set_tag(&access, keep, "bénévole", true, NOW).await.unwrap();
        store.set_tag(&access, other, "bénévole", true, NOW).await.unwrap();
        store.set_tag(&access, other, "donateur", true, NOW).await.unwrap();
        store
            .add_note(&access, other, None, "Appelée le 3 mars", NOW)
            .await
            .unwrap();
        store.set_interest(&access, other, "eau", true, NOW).await.unwrap();
        store.set_interest(&access, keep, "eau", true, NOW).await.unwrap();
        store.set_interest(&access, other, "école", true, NOW).await.unwrap();
        // The other record knows the street and the channels; the kept one only a postcode.
        let record = relais_core::record::RecordInput {
            first_name: "Marie".into(),
            last_name: "Curie".into(),
            address: "3 rue des Lilas".into(),
            postcode: "69003".into(),
            country: "FR".into(),
            language: "fr".into(),
            channels: vec!["sms".into(), "email".into()],
            ..Default::default()
        }
        .parse()
        .unwrap();
        store.update_record(&access, other, &record).await.unwrap();
        let held = store.holdings(&access, other).await.unwrap();
        let before = store.counts(p.id).await.unwrap();

        let moved = store.merge_people(&access, keep, other, None, NOW + 10).await.unwrap();
        assert_eq!(moved, held, "what the page announced is what moved");
        assert_eq!((moved.signatures, moved.tags, moved.notes), (1, 2, 1));
        assert_eq!(
            store.counts(p.id).await.unwrap(),
            before,
            "the petition's counts do not move"
        );
        assert!(matches!(store.person(&access, other).await, Err(StoreError::NotFound)));
        let now_held = store.holdings(&access, keep).await.unwrap();
        assert_eq!(now_held.signatures, 2);
        assert_eq!(now_held.tags, 2, "a tag both had stays once");
        assert_eq!(store.tags(&access, keep).await.unwrap(), vec!["bénévole", "donateur"]);
        assert_eq!(store.notes(&access, keep).await.unwrap().len(), 1);
        assert_eq!(store.interests(&access, keep).await.unwrap(), vec!["eau", "école"]);
        let kept = store.person(&access, keep).await.unwrap();
        assert_eq!(
            (kept.postcode.as_str(), kept.address.as_str()),
            ("69003", ""),
            "the kept record had a postcode: its place stays whole"
        );
        assert!(kept.preferred_channels.contains("sms") && kept.preferred_channels.contains("email"));
        let signed = store
            .timeline(&access, keep)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "signed")
            .count();
        assert_eq!(signed, 2, "both signatures on one timeline");
        assert_eq!(
            store.merged_into(&access, keep).await.unwrap(),
            vec![("m.curie@travail.example".to_owned(), NOW + 10)]
        );
        assert!(
            store
                .audit_log(&access, 10)
                .await
                .unwrap()
                .iter()
                .any(|(_, _, action, subject)| action == "merge_people"
                    && subject == &format!("supporter:{other} into supporter:{keep}")),
            "the merge is in the audit log"
        );
        assert!(store.possible_duplicates(&access).await.unwrap().is_empty());

        // An unsubscribe link sent to the merged-away record reaches the kept one.
        let purpose = relais_core::post::updates_purpose(p.id);
        assert!(store.consent_granted(p.org_id, keep, "email", &purpose).await.unwrap());
        assert!(
            store
                .record_consent(&consent_change(p.org_id, other, &purpose, false), NOW + 20)
                .await
                .unwrap()
        );
        assert!(!store.consent_granted(p.org_id, keep, "email", &purpose).await.unwrap());
        // So does an old `/me` link.
        let me = store.self_access(p.org_id, other).await.unwrap().unwrap();
        assert_eq!(me.supporter_id(), keep);

        // Erasing the person also erases the address of the record merged into them.
        store.erase_person(&access, keep, None, NOW + 30).await.unwrap();
        assert_eq!(
            store.merged_into(&access, keep).await.unwrap(),
            vec![(String::new(), NOW + 10)]
        );
        assert!(store.self_access(p.org_id, other).await.unwrap().is_none());
    }
);

conformance!(
    merge_refuses_other_associations_erased_people_and_itself,
    |store: DynStore| async move {
        use petitions_support::*;
        use posts_support::*;
        let (access, p) = published(&store, "fusion-a").await;
        let (access_b, p_b) = published(&store, "fusion-b").await;
        store
            .sign_batch(
                &[
                    request(&p, "x@example.org", "69003", (true, false)),
                    request(&p, "z@example.org", "69003", (true, false)),
                ],
                NOW,
            )
            .await
            .unwrap();
        store
            .sign_batch(&[request(&p_b, "y@example.org", "69003", (true, false))], NOW)
            .await
            .unwrap();
        let x = supporter_id(&store, &access, "x@example.org").await;
        let z = supporter_id(&store, &access, "z@example.org").await;
        let y = supporter_id(&store, &access_b, "y@example.org").await;
        // Another association's person cannot be named from here, either way round.
        assert!(matches!(
            store.merge_people(&access, x, y, None, NOW).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.merge_people(&access, y, x, None, NOW).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.merge_people(&access_b, y, x, None, NOW).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.mark_distinct(&access, x, y, None, NOW).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(store.holdings(&access, y).await, Err(StoreError::NotFound)));
        assert_eq!(
            store.holdings(&access_b, y).await.unwrap().signatures,
            1,
            "nothing moved"
        );
        assert!(matches!(
            store.merge_people(&access, x, x, None, NOW).await,
            Err(StoreError::Merge(MergeError::SamePerson))
        ));
        store.erase_person(&access, z, None, NOW).await.unwrap();
        assert!(matches!(
            store.merge_people(&access, x, z, None, NOW).await,
            Err(StoreError::Merge(MergeError::Erased))
        ));
        assert_eq!(store.holdings(&access, x).await.unwrap().signatures, 1);
    }
);

conformance!(
    duplicates_by_phone_dismissed_pairs_and_merge_chains,
    |store: DynStore| async move {
        let (org, owner) = new_org(&store, "fusion-tel", "chair@fusion-tel.example").await;
        let access = store.authorise(owner.id, org.id).await.unwrap().unwrap();
        // Three gifts with one mobile number under three addresses and names.
        give(&store, &access, "luc@example.org", "Roy", "06 12 34 56 78", "tel-1").await;
        give(
            &store,
            &access,
            "luc.roy@travail.example",
            "R.",
            "+33612345678",
            "tel-2",
        )
        .await;
        give(&store, &access, "lucas@example.net", "Leroy", "06 12 34 56 78", "tel-3").await;
        give(&store, &access, "seul@example.org", "Seul", "06 99 99 99 99", "tel-4").await;
        let id = |a: &'static str| {
            let store = store.clone();
            let access = access.clone();
            async move { posts_support::supporter_id(&store, &access, a).await }
        };
        let (a, b, c) = (
            id("luc@example.org").await,
            id("luc.roy@travail.example").await,
            id("lucas@example.net").await,
        );
        let groups = store.possible_duplicates(&access).await.unwrap();
        assert_eq!(groups.len(), 1, "{groups:?}");
        assert_eq!(groups[0].reason, DuplicateReason::SamePhone);
        assert_eq!(groups[0].people.iter().map(|p| p.id).collect::<Vec<_>>(), vec![a, b, c]);

        // Lucas is someone else (he shares a family phone): he leaves the group.
        store.mark_distinct(&access, c, a, None, NOW).await.unwrap();
        store.mark_distinct(&access, b, c, None, NOW).await.unwrap();
        store.mark_distinct(&access, c, b, None, NOW).await.unwrap();
        let groups = store.possible_duplicates(&access).await.unwrap();
        assert_eq!(groups[0].people.iter().map(|p| p.id).collect::<Vec<_>>(), vec![a, b]);

        // b into a, then a into c (staff changed their mind about which to keep): the
        // oldest links (b's) lead to the last survivor, and every gift is there.
        store.merge_people(&access, a, b, None, NOW + 1).await.unwrap();
        assert!(
            store.possible_duplicates(&access).await.unwrap().is_empty(),
            "a and c are distinct"
        );
        store.merge_people(&access, c, a, None, NOW + 2).await.unwrap();
        assert_eq!(store.holdings(&access, c).await.unwrap().gifts, 3);
        assert_eq!(store.self_access(org.id, b).await.unwrap().unwrap().supporter_id(), c);
        assert_eq!(store.self_access(org.id, a).await.unwrap().unwrap().supporter_id(), c);
        let mut aka: Vec<String> = store
            .merged_into(&access, c)
            .await
            .unwrap()
            .into_iter()
            .map(|(e, _)| e)
            .collect();
        aka.sort();
        assert_eq!(aka, vec!["luc.roy@travail.example", "luc@example.org"]);
        let kept = store.person(&access, c).await.unwrap();
        assert_eq!(kept.email, "lucas@example.net");
        assert_eq!(kept.phone.as_deref(), Some("+33612345678"));
    }
);

conformance!(
    consent_filters_follow_the_ledger_through_merges_and_erasure,
    |store: DynStore| async move {
        use petitions_support::*;
        use posts_support::*;
        use relais_core::segment::SegmentInput;
        let (access, p) = published(&store, "fusion-accords").await;
        store
            .sign_batch(
                &[
                    request(&p, "lit@example.org", "69003", (false, true)),
                    request(&p, "rien@example.org", "69003", (false, false)),
                    request(&p, "maj@example.org", "69003", (true, false)),
                ],
                NOW,
            )
            .await
            .unwrap();
        let count = |consent: &'static str| {
            let store = store.clone();
            let access = access.clone();
            async move {
                let seg = SegmentInput {
                    consent: consent.into(),
                    ..Default::default()
                }
                .parse()
                .unwrap();
                let n = store.count_people(&access, &seg, NOW).await.unwrap();
                let listed = store.find_people(&access, &seg, 0, 100, NOW).await.unwrap();
                assert_eq!(listed.len() as i64, n, "{consent}: the list and its count agree");
                listed.into_iter().map(|p| p.email).collect::<Vec<_>>()
            }
        };
        assert_eq!(count("newsletter").await, vec!["lit@example.org"]);
        assert_eq!(count("none").await, vec!["rien@example.org"]);
        let lit = supporter_id(&store, &access, "lit@example.org").await;
        let rien = supporter_id(&store, &access, "rien@example.org").await;
        let maj = supporter_id(&store, &access, "maj@example.org").await;
        // A withdrawal, then a new yes, then a withdrawal again: the latest word counts.
        for (granted, at) in [(false, 1), (true, 2), (false, 3)] {
            store
                .record_consent(&consent_change(p.org_id, lit, "newsletter", granted), NOW + at)
                .await
                .unwrap();
        }
        assert!(count("newsletter").await.is_empty());
        assert_eq!(count("none").await, vec!["lit@example.org", "rien@example.org"]);
        store
            .record_consent(&consent_change(p.org_id, lit, "newsletter", true), NOW + 4)
            .await
            .unwrap();
        // The reader merged into the person who agreed to nothing: the survivor reads it.
        store.merge_people(&access, rien, lit, None, NOW + 5).await.unwrap();
        assert_eq!(count("newsletter").await, vec!["rien@example.org"]);
        assert!(count("none").await.is_empty());
        // The petition's news only: not "none", not the newsletter; erased: neither.
        store.erase_person(&access, rien, None, NOW + 6).await.unwrap();
        assert!(count("newsletter").await.is_empty());
        store
            .record_consent(
                &consent_change(p.org_id, maj, &relais_core::post::updates_purpose(p.id), false),
                NOW + 7,
            )
            .await
            .unwrap();
        assert_eq!(count("none").await, vec!["maj@example.org"]);
    }
);

conformance!(
    opposite_merges_of_one_pair_at_once_end_with_one_record,
    |store: DynStore| async move {
        use petitions_support::*;
        use posts_support::*;
        let (access, p) = published(&store, "fusion-croisee").await;
        let mut pairs = Vec::new();
        for i in 0..20 {
            let (a, b) = (format!("a{i}@example.org"), format!("b{i}@example.org"));
            store
                .sign_batch(
                    &[
                        request(&p, &a, "69003", (true, false)),
                        request(&p, &b, "69003", (true, false)),
                    ],
                    NOW,
                )
                .await
                .unwrap();
            pairs.push((
                supporter_id(&store, &access, &a).await,
                supporter_id(&store, &access, &b).await,
            ));
        }
        // Two staff merge each pair at the same moment, the opposite way round. Rows
        // locked in the order given would deadlock on PostgreSQL; in id order one
        // merge waits for the other, then finds its other record gone.
        let jobs: Vec<_> = pairs
            .iter()
            .flat_map(|&(a, b)| [(a, b), (b, a)])
            .map(|(keep, other)| {
                let (store, access) = (store.clone(), access.clone());
                tokio::spawn(async move { store.merge_people(&access, keep, other, None, NOW).await })
            })
            .collect();
        let mut merged = 0;
        for job in jobs {
            match job.await.unwrap() {
                Ok(_) => merged += 1,
                Err(StoreError::NotFound) => {}
                Err(other) => panic!("a merge failed otherwise than \"not found\": {other:?}"),
            }
        }
        assert_eq!(merged, 20, "one merge of each pair");
        for (a, b) in pairs {
            let a_left = store.holdings(&access, a).await.is_ok();
            let b_left = store.holdings(&access, b).await.is_ok();
            assert!(a_left != b_left, "exactly one record of {a} and {b} is left");
        }
    }
);
