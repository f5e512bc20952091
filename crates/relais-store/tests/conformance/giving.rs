//! Payment settings, monthly pledges and SEPA direct debit, on both backends.

use super::*;
use relais_core::gift::{CampaignInput, Frequency, GiftInput, MAX_GIFT, MIN_GIFT};

async fn campaign_of(store: &DynStore, slug: &str) -> (OrgAccess, Campaign) {
    let (org, owner) = new_org(store, slug, &format!("chair@{slug}.example")).await;
    let access = store.authorise(owner.id, org.id).await.unwrap().unwrap();
    let campaign = store
        .create_campaign(
            &access,
            &CampaignInput {
                title: format!("Un puits {slug}"),
                once: "on".into(),
                monthly: "on".into(),
                ..Default::default()
            }
            .parse()
            .unwrap(),
            true,
            NOW,
        )
        .await
        .unwrap();
    (access, campaign)
}

async fn give(
    store: &DynStore,
    campaign: &Campaign,
    email: &str,
    provider: &str,
    reference: &str,
    pledge: Option<&str>,
) -> Gift {
    let draft = GiftInput {
        amount: "15".into(),
        frequency: if pledge.is_some() { "monthly" } else { "once" }.into(),
        first_name: "Jeanne".into(),
        last_name: "Martin".into(),
        email: email.into(),
        address: "12 rue des Lilas".into(),
        postcode: "69001".into(),
        city: "Lyon".into(),
        receipt: "on".into(),
        ..Default::default()
    }
    .parse(
        &[Frequency::Once, Frequency::Monthly],
        MIN_GIFT,
        MAX_GIFT,
        relais_core::Locale::Fr,
    )
    .unwrap();
    store
        .start_gift(
            &NewGift {
                campaign,
                draft: &draft,
                locale: "fr",
                provider,
                method: if provider == "sepa" { "sepa" } else { "card" },
                provider_ref: reference,
                newsletter_wording: "",
                impact_wording: "",
                pledge_ref: pledge,
                tip_cents: 0,
            },
            NOW,
        )
        .await
        .unwrap()
}

fn mandate<'a>(reference: &'a str) -> NewMandate<'a> {
    NewMandate {
        reference,
        debtor_name: "Jeanne Martin",
        iban: "FR7630006000011234567890189",
        bic: "AGRIFRPP",
        wording: "En signant ce mandat…",
        ip_hash: "h",
    }
}

conformance!(payment_settings_are_per_association, |store: DynStore| async move {
    let (access, _) = campaign_of(&store, "amis").await;
    let (other, _) = campaign_of(&store, "autres").await;
    let empty = store.payment_settings(access.org_id()).await.unwrap();
    assert!(!empty.stripe_enabled() && !empty.sepa_enabled());
    let settings = PaymentSettings {
        stripe_secret_key: "sk_test_1".into(),
        stripe_webhook_secret: "whsec_1".into(),
        sepa_creditor_id: "FR72ZZZ123456".into(),
        sepa_iban: "FR7630006000011234567890189".into(),
        sepa_bic: "AGRIFRPP".into(),
        receipt_mode: "annual".into(),
        max_gift_cents: Some(100_000),
    };
    store.save_payment_settings(&access, &settings, NOW).await.unwrap();
    assert_eq!(store.payment_settings(access.org_id()).await.unwrap(), settings);
    assert!(!format!("{settings:?}").contains("sk_test_1"), "secrets never print");
    // Saving again replaces.
    let cleared = PaymentSettings {
        stripe_secret_key: String::new(),
        ..settings.clone()
    };
    store.save_payment_settings(&access, &cleared, NOW + 1).await.unwrap();
    let read = store.payment_settings(access.org_id()).await.unwrap();
    assert!(!read.stripe_enabled() && read.sepa_enabled());
    assert_eq!(
        store.payment_settings(other.org_id()).await.unwrap(),
        PaymentSettings {
            receipt_mode: "per_gift".into(),
            ..Default::default()
        }
    );
});

conformance!(
    a_monthly_card_pledge_collects_each_invoice_once,
    |store: DynStore| async move {
        let (access, campaign) = campaign_of(&store, "amis").await;
        let first = give(&store, &campaign, "jeanne@example.org", "stripe", "g-1", Some("p-1")).await;
        let pledge = store.pledge_by_ref("p-1").await.unwrap().unwrap();
        assert_eq!((pledge.status.as_str(), pledge.amount_cents), ("pending", 1_500));
        assert_eq!(first.pledge_id, Some(pledge.id));
        assert_eq!(store.pledge(pledge.id).await.unwrap(), Some(pledge.clone()));
        assert!(
            store.pledges(&access, 10).await.unwrap().is_empty(),
            "unpaid pledges are not listed"
        );
        // The first payment activates the pledge; the subscription is linked once.
        store.complete_gift("g-1", NOW + 5).await.unwrap().unwrap();
        store.link_pledge("p-1", "sub_1").await.unwrap();
        store.link_pledge("p-1", "sub_other").await.unwrap();
        let pledge = store.pledge_by_provider_id("stripe", "sub_1").await.unwrap().unwrap();
        assert_eq!(
            (pledge.status.as_str(), pledge.provider_id.as_deref()),
            ("active", Some("sub_1"))
        );
        assert!(
            store
                .pledge_by_provider_id("stripe", "sub_other")
                .await
                .unwrap()
                .is_none()
        );
        // Next month's invoice, delivered twice: one gift.
        let a = store
            .record_collection(&pledge, "in_2", 1_500, NOW + 100)
            .await
            .unwrap();
        let b = store
            .record_collection(&pledge, "in_2", 1_500, NOW + 101)
            .await
            .unwrap();
        assert_eq!(a.id, b.id);
        assert_eq!((a.frequency.as_str(), a.status.as_str()), ("monthly", "pending"));
        assert!(store.complete_gift("in_2", NOW + 102).await.unwrap().is_some());
        assert!(store.complete_gift("in_2", NOW + 103).await.unwrap().is_none());
        // A failed invoice that the provider retries successfully later is paid.
        store
            .record_collection(&pledge, "in_3", 1_500, NOW + 200)
            .await
            .unwrap();
        assert!(store.fail_gift("in_3", "card_declined").await.unwrap());
        assert_eq!(
            store.gift_by_ref("in_3").await.unwrap().unwrap().failure,
            "card_declined"
        );
        let retried = store
            .record_collection(&pledge, "in_3", 1_500, NOW + 300)
            .await
            .unwrap();
        assert_eq!(retried.status, "pending");
        assert!(store.complete_gift("in_3", NOW + 301).await.unwrap().is_some());
        // Another pledge's invoice id is never attached to this donor.
        give(&store, &campaign, "paul@example.org", "stripe", "g-2", Some("p-2")).await;
        let other = store.pledge_by_ref("p-2").await.unwrap().unwrap();
        assert!(matches!(
            store.record_collection(&other, "in_2", 1_500, NOW).await,
            Err(StoreError::Conflict(_))
        ));
        let c = store.campaign_by_slug(&campaign.slug).await.unwrap().unwrap();
        assert_eq!((c.raised.cents(), c.gifts_count), (4_500, 3));
        // Cancelled once; the person sees it.
        let cancelled = store.cancel_pledge("p-1", "donor", NOW + 400).await.unwrap().unwrap();
        assert_eq!(
            (cancelled.status.as_str(), cancelled.cancelled_by.as_str()),
            ("cancelled", "donor")
        );
        assert!(store.cancel_pledge("p-1", "donor", NOW + 401).await.unwrap().is_none());
        let listed = store.pledges(&access, 10).await.unwrap();
        assert_eq!(listed.len(), 1);
        let me = store
            .self_access(access.org_id(), pledge.supporter_id)
            .await
            .unwrap()
            .unwrap();
        let mine = store.my_pledges(&me).await.unwrap();
        assert_eq!(mine.iter().map(|p| p.reference.as_str()).collect::<Vec<_>>(), ["p-1"]);
    }
);

conformance!(sepa_runs_follow_the_sequence_rules, |store: DynStore| async move {
    let (access, campaign) = campaign_of(&store, "amis").await;
    let (other, _) = campaign_of(&store, "autres").await;
    let once = give(&store, &campaign, "once@example.org", "sepa", "s-once", None).await;
    let monthly = give(&store, &campaign, "month@example.org", "sepa", "s-first", Some("p-m")).await;
    // A gift without a mandate is not collected.
    give(&store, &campaign, "late@example.org", "sepa", "s-unsigned", None).await;
    let m1 = store.sign_mandate("s-once", &mandate("RUM-1"), NOW).await.unwrap();
    let m2 = store.sign_mandate("s-first", &mandate("RUM-2"), NOW).await.unwrap();
    assert!(matches!(
        store.sign_mandate("s-once", &mandate("RUM-3"), NOW).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.mandate_of_gift(once.id).await.unwrap().unwrap().id, m1.id);
    assert_eq!(store.mandate_by_id(m1.id).await.unwrap(), Some(m1.clone()));
    assert_eq!(
        store.first_gift_of_mandate(m2.id).await.unwrap().unwrap().id,
        monthly.id
    );
    assert!(
        store
            .message_by_key(&format!("mandate:{}", m1.id))
            .await
            .unwrap()
            .is_some(),
        "confirmation"
    );
    let pledge = store.pledge_by_ref("p-m").await.unwrap().unwrap();
    assert_eq!(
        (pledge.status.as_str(), pledge.provider_id.as_deref()),
        ("active", Some("RUM-2"))
    );
    assert_eq!(store.mandates(&access, 10).await.unwrap().len(), 2);
    assert!(store.mandates(&other, 10).await.unwrap().is_empty());

    // December: the one-off gift and the pledge's first collection.
    let (run, debits) = store
        .prepare_run(&access, "2026-12-07", "MSG-1", NOW + 10)
        .await
        .unwrap()
        .unwrap();
    let seq: Vec<(&str, &str)> = debits
        .iter()
        .map(|d| (d.provider_ref.as_str(), d.sequence.as_str()))
        .collect();
    assert_eq!(seq, [("s-once", "OOFF"), ("s-first", "FRST")]);
    assert_eq!((run.debits, run.total_cents), (2, 3_000));
    assert_eq!(debits[1].mandate_reference, "RUM-2");
    assert_eq!(store.run_of_gift(monthly.id).await.unwrap().unwrap().id, run.id);
    assert!(store.run_of_gift(once.id + 1_000).await.unwrap().is_none());
    for d in &debits {
        let notice = format!("debit-notice:{}", d.gift_id);
        assert!(store.message_by_key(&notice).await.unwrap().is_some(), "advance notice");
    }
    assert!(
        store
            .prepare_run(&access, "2026-12-20", "MSG-2", NOW + 11)
            .await
            .unwrap()
            .is_none(),
        "nothing due"
    );
    assert!(
        store.sepa_run(&other, run.id).await.unwrap().is_none(),
        "tenant isolation"
    );
    store.set_run_file(&access, run.id, "<Document/>").await.unwrap();
    assert_eq!(
        store.run_file(&access, run.id).await.unwrap().as_deref(),
        Some("<Document/>")
    );
    assert_eq!(store.run_file(&other, run.id).await.unwrap(), None);
    assert_eq!(store.settle_run(&access, run.id, NOW + 20).await.unwrap(), 2);
    assert_eq!(
        store.settle_run(&access, run.id, NOW + 21).await.unwrap(),
        0,
        "settling twice pays once"
    );
    assert!(store.receipt_of(monthly.id).await.unwrap().is_some());
    assert_eq!(store.sepa_runs(&access).await.unwrap()[0].status, "settled");

    // January: the second instalment is recurrent; the bank rejects it before settlement.
    let (jan, debits) = store
        .prepare_run(&access, "2027-01-07", "MSG-3", NOW + 30)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(debits.len(), 1);
    assert_eq!(
        (debits[0].provider_ref.as_str(), debits[0].sequence.as_str()),
        ("p-m-202701", "RCUR")
    );
    assert!(matches!(
        store.reject_debit(&other, debits[0].gift_id, "AM04", NOW).await,
        Err(StoreError::NotFound)
    ));
    let rejected = store
        .reject_debit(&access, debits[0].gift_id, "AM04", NOW + 31)
        .await
        .unwrap();
    assert_eq!(
        (rejected.status.as_str(), rejected.failure.as_str()),
        ("failed", "AM04")
    );
    assert!(matches!(
        store.reject_debit(&access, debits[0].gift_id, "AM04", NOW).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.settle_run(&access, jan.id, NOW + 32).await.unwrap(), 0);

    // The December collection is returned after settlement: refunded, receipt cancelled.
    let returned = store.reject_debit(&access, monthly.id, "MD06", NOW + 40).await.unwrap();
    assert_eq!(returned.status, "refunded");
    assert!(store.receipt_of(monthly.id).await.unwrap().is_none());
    let c = store.campaign_by_slug(&campaign.slug).await.unwrap().unwrap();
    assert_eq!((c.raised.cents(), c.gifts_count), (1_500, 1));

    // February: staff ask for a final collection.
    store.request_final(&access, m2.id).await.unwrap();
    assert!(matches!(
        store.request_final(&other, m2.id).await,
        Err(StoreError::NotFound)
    ));
    let (feb, debits) = store
        .prepare_run(&access, "2027-02-07", "MSG-4", NOW + 50)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(debits[0].sequence, "FNAL");
    store.settle_run(&access, feb.id, NOW + 51).await.unwrap();
    let pledge = store.pledge_by_ref("p-m").await.unwrap().unwrap();
    assert_eq!(
        (pledge.status.as_str(), pledge.cancelled_by.as_str()),
        ("cancelled", "final")
    );
    assert!(
        store
            .prepare_run(&access, "2027-03-07", "MSG-5", NOW + 60)
            .await
            .unwrap()
            .is_none()
    );
    // Message ids are unique.
    give(&store, &campaign, "again@example.org", "sepa", "s-again", None).await;
    store.sign_mandate("s-again", &mandate("RUM-9"), NOW).await.unwrap();
    assert!(matches!(
        store.prepare_run(&access, "2027-03-07", "MSG-4", NOW + 70).await,
        Err(StoreError::Conflict(_))
    ));
});

conformance!(
    a_rejected_first_collection_is_first_again,
    |store: DynStore| async move {
        let (access, campaign) = campaign_of(&store, "amis").await;
        give(&store, &campaign, "month@example.org", "sepa", "s-first", Some("p-m")).await;
        store.sign_mandate("s-first", &mandate("RUM-1"), NOW).await.unwrap();
        let (_, debits) = store
            .prepare_run(&access, "2026-12-07", "M1", NOW)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(debits[0].sequence, "FRST");
        store
            .reject_debit(&access, debits[0].gift_id, "AC04", NOW + 1)
            .await
            .unwrap();
        let (_, debits) = store
            .prepare_run(&access, "2027-01-07", "M2", NOW + 2)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(debits[0].sequence, "FRST");
        // Cancelling drops what was not sent to the bank yet and stops the runs.
        store.cancel_pledge("p-m", "donor", NOW + 3).await.unwrap().unwrap();
        assert!(
            store
                .prepare_run(&access, "2027-02-07", "M3", NOW + 4)
                .await
                .unwrap()
                .is_none()
        );
    }
);

conformance!(
    gifts_are_listed_and_totalled_by_month_campaign_and_method,
    |store: DynStore| async move {
        let (access, campaign) = campaign_of(&store, "amis").await;
        let (other, other_campaign) = campaign_of(&store, "autres").await;
        // January and February 2027 (UTC), card and direct debit; one failed; one elsewhere.
        let jan = 1_798_761_600; // 2027-01-01
        let feb = jan + 31 * 86_400;
        for (i, (provider, at)) in [("stripe", jan), ("stripe", feb - 1_800), ("sepa", feb), ("stripe", feb)]
            .into_iter()
            .enumerate()
        {
            give(
                &store,
                &campaign,
                &format!("d{i}@example.org"),
                provider,
                &format!("r{i}"),
                None,
            )
            .await;
            if i < 3 {
                store.complete_gift_at(&format!("r{i}"), at, at).await.unwrap();
            } else {
                store.fail_gift(&format!("r{i}"), "declined").await.unwrap();
            }
        }
        give(&store, &other_campaign, "x@example.org", "stripe", "x", None).await;
        store.complete_gift_at("x", jan, jan).await.unwrap();
        let paid = GiftFilter {
            status: Some("paid".into()),
            ..Default::default()
        };
        let totals = store.gift_totals(&access, &paid).await.unwrap();
        assert_eq!((totals.gifts, totals.cents), (3, 4_500));
        let months: Vec<(&str, i64)> = totals.by_month.iter().map(|g| (g.label.as_str(), g.gifts)).collect();
        assert_eq!(months, [("2027-01", 2), ("2027-02", 1)]);
        // 31 January 23:30 UTC is already February in Paris.
        let paris = GiftFilter {
            timezone: "Europe/Paris".into(),
            ..paid.clone()
        };
        let totals_paris = store.gift_totals(&access, &paris).await.unwrap();
        let months: Vec<(&str, i64)> = totals_paris
            .by_month
            .iter()
            .map(|g| (g.label.as_str(), g.gifts))
            .collect();
        assert_eq!(months, [("2027-01", 1), ("2027-02", 2)]);
        let methods: Vec<(&str, i64)> = totals.by_method.iter().map(|g| (g.label.as_str(), g.cents)).collect();
        assert_eq!(methods, [("card", 3_000), ("sepa", 1_500)]);
        assert_eq!(totals.by_campaign[0].label, campaign.title);
        // Filters combine; paging goes backwards by id.
        // After 11 January: the failed gift (made on the 15th) and the card gift paid on the 31st.
        let later_cards = GiftFilter {
            method: Some("card".into()),
            from: Some(jan + 10 * 86_400),
            ..Default::default()
        };
        let found = store.search_gifts(&access, &later_cards, i64::MAX, 10).await.unwrap();
        assert_eq!(
            found.iter().map(|g| g.provider_ref.as_str()).collect::<Vec<_>>(),
            ["r3", "r1"]
        );
        let first = store.search_gifts(&access, &paid, i64::MAX, 2).await.unwrap();
        let next = store.search_gifts(&access, &paid, first[1].id, 2).await.unwrap();
        assert_eq!((first.len(), next.len()), (2, 1));
        let by_campaign = GiftFilter {
            campaign_id: Some(campaign.id),
            status: Some("paid".into()),
            to: Some(jan + 1),
            ..Default::default()
        };
        assert_eq!(store.gift_totals(&access, &by_campaign).await.unwrap().gifts, 1);
        // Another association's gifts never count here.
        assert_eq!(store.gift_totals(&other, &paid).await.unwrap().cents, 1_500);
        let foreign = GiftFilter {
            campaign_id: Some(other_campaign.id),
            ..Default::default()
        };
        assert_eq!(store.gift_totals(&access, &foreign).await.unwrap().gifts, 0);
    }
);

conformance!(
    a_tip_is_paid_with_the_gift_but_never_counted_as_one,
    |store: DynStore| async move {
        let (access, campaign) = campaign_of(&store, "amis").await;
        let draft = GiftInput {
            amount: "30".into(),
            first_name: "Jeanne".into(),
            last_name: "Martin".into(),
            email: "jeanne@example.org".into(),
            address: "12 rue des Lilas".into(),
            postcode: "69001".into(),
            city: "Lyon".into(),
            receipt: "on".into(),
            ..Default::default()
        }
        .parse(&[Frequency::Once], MIN_GIFT, MAX_GIFT, relais_core::Locale::Fr)
        .unwrap();
        for (reference, provider) in [("t-card", "sandbox"), ("t-sepa", "sepa")] {
            store
                .start_gift(
                    &NewGift {
                        campaign: &campaign,
                        draft: &draft,
                        locale: "fr",
                        provider,
                        method: if provider == "sepa" { "sepa" } else { "card" },
                        provider_ref: reference,
                        newsletter_wording: "",
                        impact_wording: "",
                        pledge_ref: None,
                        tip_cents: 200,
                    },
                    NOW,
                )
                .await
                .unwrap();
        }
        let (gift, receipt) = store.complete_gift("t-card", NOW).await.unwrap().unwrap();
        assert_eq!((gift.amount_cents, gift.tip_cents), (3_000, 200));
        assert_eq!(receipt.unwrap().amount_cents, 3_000, "the tip is not receipted");
        let c = store.campaign_by_slug(&campaign.slug).await.unwrap().unwrap();
        assert_eq!(c.raised.cents(), 3_000, "nor counted");
        let totals = store.gift_totals(&access, &GiftFilter::default()).await.unwrap();
        assert_eq!((totals.cents, totals.tips_cents), (6_000, 400));
        // A direct debit takes the gift and the tip together.
        store.sign_mandate("t-sepa", &mandate("RUM-T"), NOW).await.unwrap();
        let (run, debits) = store
            .prepare_run(&access, "2027-02-01", "MSG-T", NOW)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((run.total_cents, debits[0].amount_cents), (3_200, 3_200));
    }
);
