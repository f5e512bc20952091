//! Annual receipts, replacements and yearly totals, on both backends.

use super::*;
use relais_core::gift::{CampaignInput, Frequency, GiftInput, MAX_GIFT, MIN_GIFT};

/// 2025-06-01 UTC: the gifts below are all of 2025.
const JUNE_2025: i64 = 1_748_736_000;

async fn annual_org(store: &DynStore, slug: &str) -> (OrgAccess, Campaign) {
    let (org, owner) = new_org(store, slug, &format!("chair@{slug}.example")).await;
    let access = store.authorise(owner.id, org.id).await.unwrap().unwrap();
    store
        .save_payment_settings(
            &access,
            &PaymentSettings {
                receipt_mode: "annual".into(),
                ..Default::default()
            },
            NOW,
        )
        .await
        .unwrap();
    let campaign = store
        .create_campaign(
            &access,
            &CampaignInput {
                title: format!("Un puits {slug}"),
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
    (access, campaign)
}

/// A paid gift of `cents` from `email` at `paid_at`.
async fn paid(store: &DynStore, campaign: &Campaign, email: &str, reference: &str, euros: &str, paid_at: i64) -> Gift {
    let draft = GiftInput {
        amount: euros.into(),
        first_name: "Jeanne".into(),
        last_name: "Martin".into(),
        email: email.into(),
        address: "12 rue des Lilas".into(),
        postcode: "69001".into(),
        city: "Lyon".into(),
        receipt: "on".into(),
        ..Default::default()
    }
    .parse(&[Frequency::Once], MIN_GIFT, MAX_GIFT, relais_core::Locale::Fr)
    .unwrap();
    store
        .start_gift(
            &NewGift {
                campaign,
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
            paid_at,
        )
        .await
        .unwrap();
    let (gift, receipt) = store
        .complete_gift_at(reference, paid_at, paid_at)
        .await
        .unwrap()
        .unwrap();
    assert!(receipt.is_none(), "annual associations number receipts in January");
    gift
}

conformance!(
    annual_receipts_cover_each_donors_year_once,
    |store: DynStore| async move {
        let (access, campaign) = annual_org(&store, "amis").await;
        let (other, other_campaign) = annual_org(&store, "autres").await;
        // Jeanne gives three times in 2025 and once in 2026; Paul once; a foreign gift.
        paid(&store, &campaign, "jeanne@example.org", "a", "20", JUNE_2025).await;
        paid(&store, &campaign, "jeanne@example.org", "b", "30", JUNE_2025 + 86_400).await;
        paid(
            &store,
            &campaign,
            "jeanne@example.org",
            "c",
            "50",
            JUNE_2025 + 2 * 86_400,
        )
        .await;
        paid(
            &store,
            &campaign,
            "jeanne@example.org",
            "d",
            "10",
            JUNE_2025 + 365 * 86_400,
        )
        .await;
        paid(&store, &campaign, "paul@example.org", "e", "15", JUNE_2025).await;
        paid(&store, &other_campaign, "zoe@example.org", "f", "99", JUNE_2025).await;
        // Two runs at once, one donor per batch: every donor once, numbers without gaps.
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let store = store.clone();
                let access = access.clone();
                tokio::spawn(async move {
                    let mut all = Vec::new();
                    loop {
                        let batch = store.issue_annual_receipts(&access, 2025, 1, NOW).await.unwrap();
                        if batch.is_empty() {
                            return all;
                        }
                        all.extend(batch);
                    }
                })
            })
            .collect();
        let mut issued = Vec::new();
        for r in runs {
            issued.extend(r.await.unwrap());
        }
        let mut numbers: Vec<&str> = issued.iter().map(|r| r.number.as_str()).collect();
        numbers.sort_unstable();
        assert_eq!(numbers, ["2025-000001", "2025-000002"]);
        let jeanne = issued.iter().find(|r| r.amount_cents == 10_000).unwrap();
        assert_eq!((jeanne.kind.as_str(), jeanne.gift_id), ("annual", None));
        let gifts = store.receipt_gifts(jeanne).await.unwrap();
        assert_eq!(
            gifts.iter().map(|g| g.provider_ref.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(store.receipt_of(gifts[1].id).await.unwrap().unwrap().id, jeanne.id);
        assert!(
            store
                .message_by_key(&format!("receipt:{}", jeanne.id))
                .await
                .unwrap()
                .is_some()
        );
        // Nothing left for 2025; another association's gifts were never touched.
        assert!(
            store
                .issue_annual_receipts(&access, 2025, 100, NOW)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.receipt_totals(&other).await.unwrap(), vec![]);
        assert_eq!(
            store.receipt_totals(&access).await.unwrap(),
            vec![ReceiptTotal {
                year: 2025,
                receipts: 2,
                amount_cents: 11_500
            }]
        );
        assert_eq!(store.receipts(&access, 2025, 10).await.unwrap().len(), 2);
        assert!(
            store.receipt(&other, jeanne.id).await.unwrap().is_none(),
            "tenant isolation"
        );
        // The person sees it in their space.
        let me = store
            .self_access(access.org_id(), gifts[0].supporter_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(store.my_receipts(&me).await.unwrap()[0].id, jeanne.id);
        let (found, covered) = store.my_receipt(&me, &jeanne.number).await.unwrap().unwrap();
        assert_eq!((found.id, covered.len()), (jeanne.id, 3));
    }
);

conformance!(
    a_replaced_receipt_keeps_its_link_and_the_totals,
    |store: DynStore| async move {
        let (access, campaign) = annual_org(&store, "amis").await;
        let (other, _) = annual_org(&store, "autres").await;
        paid(&store, &campaign, "jeanne@example.org", "a", "20", JUNE_2025).await;
        paid(&store, &campaign, "jeanne@example.org", "b", "30", JUNE_2025 + 60).await;
        let old = store
            .issue_annual_receipts(&access, 2025, 10, NOW)
            .await
            .unwrap()
            .remove(0);
        let fixed = DonorCorrection {
            first_name: "Jeanne".into(),
            last_name: "Martin-Durand".into(),
            address: "4 quai Saint-Antoine".into(),
            postcode: "69002".into(),
            city: "Lyon".into(),
        };
        assert!(matches!(
            store.replace_receipt(&other, old.id, Some(&fixed), NOW).await,
            Err(StoreError::NotFound)
        ));
        let new = store
            .replace_receipt(&access, old.id, Some(&fixed), NOW + 1)
            .await
            .unwrap();
        assert_eq!(
            (new.replaces_id, new.number.as_str(), new.amount_cents),
            (Some(old.id), "2025-000002", 5_000)
        );
        assert!(
            store
                .receipt(&access, old.id)
                .await
                .unwrap()
                .unwrap()
                .cancelled_at
                .is_some()
        );
        let gifts = store.receipt_gifts(&new).await.unwrap();
        assert!(
            gifts
                .iter()
                .all(|g| g.last_name == "Martin-Durand" && g.address == "4 quai Saint-Antoine")
        );
        // A cancelled receipt cannot be replaced twice; the totals count the valid one only.
        assert!(matches!(
            store.replace_receipt(&access, old.id, None, NOW + 2).await,
            Err(StoreError::NotFound)
        ));
        let totals = store.receipt_totals(&access).await.unwrap();
        assert_eq!((totals[0].receipts, totals[0].amount_cents), (1, 5_000));
        assert!(
            store
                .message_by_key(&format!("receipt:{}", new.id))
                .await
                .unwrap()
                .is_some()
        );
        // A per-gift receipt is replaced the same way.
        store
            .save_payment_settings(&access, &PaymentSettings::default(), NOW)
            .await
            .unwrap();
        let draft_ref = "c";
        let gift = {
            let draft = GiftInput {
                amount: "40".into(),
                first_name: "Paul".into(),
                last_name: "Dupont".into(),
                email: "paul@example.org".into(),
                address: "1 rue Neuve".into(),
                postcode: "69003".into(),
                city: "Lyon".into(),
                receipt: "on".into(),
                ..Default::default()
            }
            .parse(&[Frequency::Once], MIN_GIFT, MAX_GIFT, relais_core::Locale::Fr)
            .unwrap();
            store
                .start_gift(
                    &NewGift {
                        campaign: &campaign,
                        draft: &draft,
                        locale: "fr",
                        provider: "sandbox",
                        method: "card",
                        provider_ref: draft_ref,
                        newsletter_wording: "",
                        impact_wording: "",
                        pledge_ref: None,
                        tip_cents: 0,
                    },
                    JUNE_2025,
                )
                .await
                .unwrap()
        };
        let (_, receipt) = store
            .complete_gift_at(draft_ref, JUNE_2025, JUNE_2025)
            .await
            .unwrap()
            .unwrap();
        let receipt = receipt.unwrap();
        assert_eq!(receipt.supporter_id, Some(gift.supporter_id));
        let again = store.replace_receipt(&access, receipt.id, None, NOW + 3).await.unwrap();
        assert_eq!(again.gift_id, Some(gift.id));
        assert_eq!(store.receipt_of(gift.id).await.unwrap().unwrap().id, again.id);
    }
);

conformance!(
    a_refund_cancels_or_reissues_the_receipts_covering_the_gift,
    |store: DynStore| async move {
        let (access, campaign) = annual_org(&store, "amis").await;
        let (other, _) = annual_org(&store, "autres").await;
        let a = paid(&store, &campaign, "jeanne@example.org", "a", "20", JUNE_2025).await;
        let b = paid(&store, &campaign, "jeanne@example.org", "b", "30", JUNE_2025 + 60).await;
        let old = store
            .issue_annual_receipts(&access, 2025, 10, NOW)
            .await
            .unwrap()
            .remove(0);
        store.note_payment("a", "pi_1").await.unwrap();
        store.note_payment("a", "pi_other").await.unwrap();
        assert_eq!(
            store.gift(a.id).await.unwrap().unwrap().provider_payment.as_deref(),
            Some("pi_1")
        );
        assert!(matches!(
            store.refund_gift(&other, a.id, "x", NOW).await,
            Err(StoreError::NotFound)
        ));
        let refunded = store.refund_gift(&access, a.id, "requested", NOW + 1).await.unwrap();
        assert_eq!(
            (refunded.status.as_str(), refunded.failure.as_str()),
            ("refunded", "requested")
        );
        assert!(matches!(
            store.refund_gift(&access, a.id, "again", NOW + 2).await,
            Err(StoreError::Conflict(_))
        ));
        // The annual receipt is reissued for what was kept, naming the one it replaces.
        assert!(
            store
                .receipt(&access, old.id)
                .await
                .unwrap()
                .unwrap()
                .cancelled_at
                .is_some()
        );
        let now_valid = store.receipt_of(b.id).await.unwrap().unwrap();
        assert_eq!((now_valid.amount_cents, now_valid.replaces_id), (3_000, Some(old.id)));
        assert!(store.receipt_of(a.id).await.unwrap().is_none());
        let c = store.campaign_by_slug(&campaign.slug).await.unwrap().unwrap();
        assert_eq!((c.raised.cents(), c.gifts_count), (3_000, 1));
        // Refunding the last gift leaves no receipt at all.
        store.refund_gift(&access, b.id, "requested", NOW + 3).await.unwrap();
        assert!(store.receipt_of(b.id).await.unwrap().is_none());
        assert_eq!(store.receipt_totals(&access).await.unwrap(), vec![]);
    }
);
