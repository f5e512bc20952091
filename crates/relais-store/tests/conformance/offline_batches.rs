//! Batches of gifts received outside Relais (cheques, cash, transfers), on both backends.

use super::*;
use relais_core::gift::{CampaignInput, GiftDraft};
use relais_core::money::Money;

async fn org_with_campaign(store: &DynStore, slug: &str) -> (OrgAccess, Campaign) {
    let (org, owner) = new_org(store, slug, &format!("chair@{slug}.example")).await;
    let access = store.authorise(owner.id, org.id).await.unwrap().unwrap();
    let campaign = store
        .create_campaign(
            &access,
            &CampaignInput {
                title: format!("Remises {slug}"),
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

/// Three cheques as the batch parser hands them over: one with a receipt and an
/// address, one without e-mail, one without receipt.
fn cheques() -> Vec<GiftDraft> {
    let text = "50;Jeanne;Martin;jeanne@example.org;3 rue des Lilas;69003;Lyon;oui\n\
                20;Paul;Durand;offline-aaaa@no-email.invalid;1 place du Marché;38000;Grenoble;oui\n\
                15;Ana;Lopez;ana@example.org;;;;non\n";
    let checked = relais_core::offline_batch::check(
        text,
        relais_core::offline_batch::BatchDefaults {
            received_on: jiff::civil::Date::constant(2026, 11, 20),
            today: jiff::civil::Date::constant(2026, 11, 27),
            receipt: true,
            tax_eligible: true,
            max: Money::from_cents(10_000_000),
            locale: relais_core::Locale::Fr,
        },
    );
    assert!(checked.refused.is_empty(), "{:?}", checked.refused);
    checked.gifts.into_iter().map(|g| g.draft).collect()
}

fn batch<'a>(token: &'a str, campaign: &'a Campaign, drafts: &'a [GiftDraft]) -> NewOfflineBatch<'a> {
    NewOfflineBatch {
        token,
        campaign,
        method: "cheque",
        reference: "Remise 0042",
        received_on: "2026-11-20",
        locale: "fr",
        created_by: None,
        gifts: drafts.iter().map(|d| (d, NOW - 86_400)).collect(),
    }
}

conformance!(
    a_batch_is_recorded_whole_once_and_only_for_its_association,
    |store: DynStore| async move {
        let (access, campaign) = org_with_campaign(&store, "remise").await;
        let drafts = cheques();
        let before = store.outbox_counts().await.unwrap().pending;
        let recorded = store
            .record_offline_batch(&access, &batch("tok-1", &campaign, &drafts), NOW)
            .await
            .unwrap();
        let BatchRecorded::New(id) = recorded else {
            panic!("first submission records: {recorded:?}")
        };
        let after = store
            .campaigns(&access)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.id == campaign.id)
            .unwrap();
        assert_eq!(after.raised.cents(), 8500);
        assert_eq!(after.gifts_count, 3);

        let (b, gifts) = store.offline_batch(&access, id).await.unwrap();
        assert_eq!((b.gifts_count, b.total_cents), (3, 8500));
        assert_eq!(b.reference, "Remise 0042");
        assert_eq!(b.method, "cheque");
        let amounts: Vec<i64> = gifts.iter().map(|(g, _)| g.amount_cents).collect();
        assert_eq!(amounts, vec![5000, 2000, 1500], "in the order typed");
        assert!(
            gifts
                .iter()
                .all(|(g, _)| g.status == "paid" && g.method == "cheque" && g.provider == "offline")
        );
        assert!(gifts.iter().all(|(g, _)| g.paid_at == Some(NOW - 86_400)));
        // Receipts numbered in sequence for the two who asked; none for the third.
        let numbers: Vec<Option<String>> = gifts.iter().map(|(_, n)| n.clone()).collect();
        assert!(
            numbers[0].is_some() && numbers[1].is_some() && numbers[2].is_none(),
            "{numbers:?}"
        );
        let seq = |n: &Option<String>| {
            n.as_deref()
                .unwrap()
                .rsplit('-')
                .next()
                .unwrap()
                .parse::<i64>()
                .unwrap()
        };
        assert_eq!(seq(&numbers[1]), seq(&numbers[0]) + 1);
        // Thank-you e-mails for donors with an address, none for the placeholder.
        let pending = store.outbox_counts().await.unwrap().pending - before;
        assert_eq!(pending, 2, "two thank-you e-mails, none to the .invalid placeholder");

        // The same form submitted again (a double click, a reload): found, not doubled.
        let again = store
            .record_offline_batch(&access, &batch("tok-1", &campaign, &drafts), NOW + 5)
            .await
            .unwrap();
        assert_eq!(again, BatchRecorded::Already(id));
        let after = store
            .campaigns(&access)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.id == campaign.id)
            .unwrap();
        assert_eq!(after.raised.cents(), 8500);
        assert_eq!(store.offline_batches(&access, 10).await.unwrap().len(), 1);

        // Another association sees none of it and cannot record on this campaign.
        let (other, _) = org_with_campaign(&store, "voisins").await;
        assert!(matches!(
            store.offline_batch(&other, id).await,
            Err(StoreError::NotFound)
        ));
        assert!(store.offline_batches(&other, 10).await.unwrap().is_empty());
        assert!(matches!(
            store
                .record_offline_batch(&other, &batch("tok-2", &campaign, &drafts), NOW)
                .await,
            Err(StoreError::NotFound)
        ));
    }
);

conformance!(
    a_batch_that_fails_midway_leaves_nothing_behind,
    |store: DynStore| async move {
        let (access, campaign) = org_with_campaign(&store, "panne").await;
        let mut drafts = cheques();
        // The database refuses the third gift (amounts are positive): the first two go too.
        drafts[2].amount = Money::from_cents(0);
        assert!(
            store
                .record_offline_batch(&access, &batch("tok-x", &campaign, &drafts), NOW)
                .await
                .is_err()
        );
        let after = store
            .campaigns(&access)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.id == campaign.id)
            .unwrap();
        assert_eq!((after.raised.cents(), after.gifts_count), (0, 0));
        assert!(store.offline_batches(&access, 10).await.unwrap().is_empty());
        assert!(store.gifts(&access, 10).await.unwrap().is_empty());
        // The receipt numbers it took were given back: the next batch starts the year at 1.
        let drafts = cheques();
        let BatchRecorded::New(id) = store
            .record_offline_batch(&access, &batch("tok-y", &campaign, &drafts), NOW)
            .await
            .unwrap()
        else {
            panic!("recorded")
        };
        let (_, gifts) = store.offline_batch(&access, id).await.unwrap();
        assert!(gifts[0].1.as_deref().unwrap().ends_with("-000001"), "{:?}", gifts[0].1);
    }
);
