//! Impact messages on both backends: the fan-out of a project's news to its
//! contributors, outcome reports about one gift, and API keys.

use super::*;
use relais_core::gift::{CampaignInput, Frequency, GiftInput, MAX_GIFT, MIN_GIFT};
use relais_core::impact::{ImpactChannel, Outcome};
use relais_core::money::Money;
use relais_core::project::ProjectInput;

const DAY: i64 = 86_400;

async fn staff_of(store: &DynStore, slug: &str) -> OrgAccess {
    let (org, owner) = new_org(store, slug, &format!("chair@{slug}.example")).await;
    store.authorise(owner.id, org.id).await.unwrap().unwrap()
}

async fn published_project(store: &DynStore, access: &OrgAccess, slug: &str) -> Project {
    let draft = ProjectInput {
        title: "Puits de Kpalimé".into(),
        slug: slug.into(),
        budget: "12000".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    let p = store.create_project(access, &draft, None, NOW).await.unwrap();
    store.publish_project(access, p.id, true, NOW).await.unwrap()
}

async fn campaign(store: &DynStore, access: &OrgAccess, slug: &str, project: Option<i64>) -> Campaign {
    let mut draft = CampaignInput {
        title: format!("Campagne {slug}"),
        slug: slug.into(),
        once: "on".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    draft.project_id = project;
    store.create_campaign(access, &draft, true, NOW).await.unwrap()
}

/// How a donor filled in the impact part of the form.
#[derive(Clone, Copy)]
struct Asked<'a> {
    phone: &'a str,
    consent: bool,
}

const SILENT: Asked<'static> = Asked {
    phone: "",
    consent: false,
};
const BY_EMAIL: Asked<'static> = Asked {
    phone: "",
    consent: true,
};
const BY_SMS: Asked<'static> = Asked {
    phone: "06 12 34 56 78",
    consent: true,
};

/// A paid gift of `euros` by `email` on `campaign`.
async fn give(store: &DynStore, campaign: &Campaign, email: &str, euros: &str, asked: Asked<'_>, at: i64) -> Gift {
    let draft = GiftInput {
        amount: euros.into(),
        frequency: "once".into(),
        first_name: "Jeanne".into(),
        last_name: "Martin".into(),
        email: email.into(),
        phone: asked.phone.into(),
        consent_impact: if asked.consent { "on".into() } else { String::new() },
        ..Default::default()
    }
    .parse(&[Frequency::Once], MIN_GIFT, MAX_GIFT, relais_core::Locale::Fr)
    .unwrap();
    let reference = format!("ref-{email}-{at}-{euros}");
    store
        .start_gift(
            &NewGift {
                campaign,
                draft: &draft,
                locale: "fr",
                provider: "sandbox",
                method: "card",
                provider_ref: &reference,
                newsletter_wording: "",
                impact_wording: "Dites-moi ce que mon don a permis de réaliser",
                pledge_ref: None,
                tip_cents: 0,
            },
            at,
        )
        .await
        .unwrap();
    store.complete_gift_at(&reference, at, at).await.unwrap().unwrap().0
}

fn news(tell: bool) -> NewProjectUpdate<'static> {
    NewProjectUpdate {
        body: "L’eau coule !",
        photo: None,
        stage: None,
        figures: None,
        tell,
    }
}

/// The outbox rows of an update: `(channel, recipient)` by idempotency key order.
async fn told(store: &DynStore, update: i64, supporters: &[i64]) -> Vec<Option<(Channel, String)>> {
    let mut out = Vec::new();
    for s in supporters {
        let key = relais_core::impact::update_key(update, *s);
        out.push(store.message_by_key(&key).await.unwrap().map(|m| {
            assert_eq!(
                m.payload.deferred,
                Some(Deferred::ImpactUpdate { update, supporter: *s })
            );
            (m.channel, m.recipient)
        }));
    }
    out
}

conformance!(
    each_contributor_is_told_once_per_update_on_the_channel_they_chose,
    |store: DynStore| async move {
        let access = staff_of(&store, "amis").await;
        let p = published_project(&store, &access, "puits").await;
        let restricted = campaign(&store, &access, "puits-don", Some(p.id)).await;
        let general = campaign(&store, &access, "general", None).await;

        // Jeanne: two restricted gifts and one allocated, by SMS.
        let j1 = give(&store, &restricted, "jeanne@example.org", "30", BY_SMS, NOW + DAY).await;
        give(&store, &restricted, "jeanne@example.org", "20", BY_SMS, NOW + 2 * DAY).await;
        give(&store, &general, "jeanne@example.org", "100", BY_SMS, NOW + 3 * DAY).await;
        // Paul: allocated only, by e-mail.
        let paul = give(&store, &general, "paul@example.org", "50", BY_EMAIL, NOW + 4 * DAY).await;
        // Anne gave but ticked nothing; Marc withdrew; Lise was refunded.
        let anne = give(&store, &restricted, "anne@example.org", "10", SILENT, NOW + 5 * DAY).await;
        let marc = give(&store, &restricted, "marc@example.org", "10", BY_EMAIL, NOW + 6 * DAY).await;
        let lise = give(&store, &restricted, "lise@example.org", "10", BY_EMAIL, NOW + 7 * DAY).await;
        // Théo gave to the general campaign, but nothing of his reached the project.
        let theo = give(&store, &general, "theo@example.org", "10", BY_EMAIL, NOW + 80 * DAY).await;
        store
            .record_consent(
                &ConsentChange {
                    org_id: access.org_id(),
                    supporter_id: marc.supporter_id,
                    channel: "email",
                    purpose: "impact",
                    granted: false,
                    wording: "Me désabonner",
                    source: "/u",
                    ip_hash: "",
                },
                NOW + 8 * DAY,
            )
            .await
            .unwrap();
        store
            .refund_gift(&access, lise.id, "erreur", NOW + 8 * DAY)
            .await
            .unwrap();
        let allocation = NewAllocation {
            amount: Money::from_cents(12_000),
            label: "Dons du printemps",
            criteria: AllocationCriteria {
                from: NOW,
                until: NOW + 10 * DAY,
                campaign_id: Some(general.id),
            },
        };
        store
            .allocate(&access, p.id, &allocation, None, NOW + 9 * DAY)
            .await
            .unwrap()
            .unwrap();

        let first = store
            .add_project_update(&access, p.id, &news(true), None, NOW + 10 * DAY)
            .await
            .unwrap();
        let people = [
            j1.supporter_id,
            paul.supporter_id,
            anne.supporter_id,
            marc.supporter_id,
            lise.supporter_id,
            theo.supporter_id,
        ];
        assert_eq!(
            told(&store, first.id, &people).await,
            [
                Some((Channel::Sms, "+33612345678".to_owned())),
                Some((Channel::Email, "paul@example.org".to_owned())),
                None,
                None,
                None,
                None,
            ]
        );
        let counts = store.impact_counts(&access, p.id).await.unwrap();
        assert_eq!(
            counts,
            [ImpactCount {
                update_id: first.id,
                email: 1,
                sms: 1,
                pending: 2
            }]
        );

        // What each is told: their own share, from their first gift.
        let share = store.project_share(p.id, j1.supporter_id).await.unwrap().unwrap();
        assert_eq!(
            share,
            ProjectShare {
                cents: 3_000 + 2_000 + 10_000,
                first_paid_at: NOW + DAY,
                gifts: 3
            }
        );
        let share = store.project_share(p.id, paul.supporter_id).await.unwrap().unwrap();
        assert_eq!(
            (share.cents, share.gifts),
            (2_000, 1),
            "what the allocation left of 120 €"
        );
        assert_eq!(store.project_share(p.id, lise.supporter_id).await.unwrap(), None);
        let who = store.impact_recipient(j1.supporter_id).await.unwrap().unwrap();
        assert_eq!(
            relais_core::impact::choose_channel(who.reach()),
            Some(ImpactChannel::Sms)
        );
        assert!(who.may_receive(ImpactChannel::Sms, "+33612345678"));
        assert!(!who.may_receive(ImpactChannel::Sms, "+33600000000"));
        let (update, project) = store.impact_update_context(first.id).await.unwrap().unwrap();
        assert_eq!((update.id, project.id), (first.id, p.id));

        // News without telling tells nobody; the next news tells everyone again, once.
        let quiet = store
            .add_project_update(&access, p.id, &news(false), None, NOW + 11 * DAY)
            .await
            .unwrap();
        assert_eq!(told(&store, quiet.id, &people).await, vec![None; 6]);
        let second = store
            .add_project_update(&access, p.id, &news(true), None, NOW + 12 * DAY)
            .await
            .unwrap();
        assert_eq!(told(&store, second.id, &people).await.iter().flatten().count(), 2);
        assert_eq!(
            store.impact_messages_of(&access, j1.supporter_id).await.unwrap(),
            [
                (Some(first.id), None, "sms".to_owned()),
                (Some(second.id), None, "sms".to_owned())
            ]
        );

        // Jeanne stops the texts: she is told by e-mail, which she still agreed to.
        store
            .record_consent(
                &ConsentChange {
                    org_id: access.org_id(),
                    supporter_id: j1.supporter_id,
                    channel: "sms",
                    purpose: "impact",
                    granted: false,
                    wording: "Stop SMS",
                    source: "/u",
                    ip_hash: "",
                },
                NOW + 13 * DAY,
            )
            .await
            .unwrap();
        let third = store
            .add_project_update(&access, p.id, &news(true), None, NOW + 14 * DAY)
            .await
            .unwrap();
        assert_eq!(
            told(&store, third.id, &people[..1]).await,
            [Some((Channel::Email, "jeanne@example.org".to_owned()))]
        );

        // A draft project's news tells nobody: its page cannot be opened.
        store
            .publish_project(&access, p.id, false, NOW + 15 * DAY)
            .await
            .unwrap();
        let draft_news = store
            .add_project_update(&access, p.id, &news(true), None, NOW + 16 * DAY)
            .await
            .unwrap();
        assert_eq!(told(&store, draft_news.id, &people).await, vec![None; 6]);
    }
);

conformance!(
    another_associations_contributors_and_gifts_stay_out_of_reach,
    |store: DynStore| async move {
        let access = staff_of(&store, "amis").await;
        let other = staff_of(&store, "autres").await;
        let p = published_project(&store, &access, "puits").await;
        let theirs = published_project(&store, &other, "ecole").await;
        let restricted = campaign(&store, &access, "puits-don", Some(p.id)).await;
        let their_campaign = campaign(&store, &other, "ecole-don", Some(theirs.id)).await;
        let mine = give(&store, &restricted, "jeanne@example.org", "30", BY_SMS, NOW + DAY).await;
        let foreign = give(&store, &their_campaign, "jeanne@example.org", "40", BY_SMS, NOW + DAY).await;
        assert_ne!(mine.supporter_id, foreign.supporter_id, "one person per association");

        // Their news tells their donors only.
        let u = store
            .add_project_update(&other, theirs.id, &news(true), None, NOW + 2 * DAY)
            .await
            .unwrap();
        assert!(
            store
                .message_by_key(&relais_core::impact::update_key(u.id, mine.supporter_id))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .message_by_key(&relais_core::impact::update_key(u.id, foreign.supporter_id))
                .await
                .unwrap()
                .is_some()
        );
        // Nobody posts news on another association's project, nor reads its figures.
        assert!(matches!(
            store
                .add_project_update(&access, theirs.id, &news(true), None, NOW)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(store.impact_counts(&access, theirs.id).await.unwrap().is_empty());

        // An outcome for another association's gift is as unknown as a missing one.
        let outcome = Outcome {
            message: None,
            used_on: jiff::civil::date(2027, 1, 15),
        };
        let report = OutcomeReport {
            outcome: &outcome,
            idempotency_key: None,
            api_key_id: None,
        };
        for gift in [foreign.id, foreign.id + 1_000] {
            assert!(matches!(
                store.report_outcome(&access, gift, &report, NOW).await,
                Err(StoreError::NotFound)
            ));
        }
        assert!(
            store
                .impact_messages_of(&other, foreign.supporter_id)
                .await
                .unwrap()
                .len()
                == 1
        );
    }
);

conformance!(
    an_outcome_reaches_the_donor_once_on_their_channel_or_not_at_all,
    |store: DynStore| async move {
        let access = staff_of(&store, "sang").await;
        let general = campaign(&store, &access, "collecte", None).await;
        let texted = give(&store, &general, "jeanne@example.org", "30", BY_SMS, NOW + DAY).await;
        let mailed = give(&store, &general, "paul@example.org", "30", BY_EMAIL, NOW + DAY).await;
        let silent = give(&store, &general, "anne@example.org", "30", SILENT, NOW + DAY).await;
        let outcome = Outcome {
            message: Some("Votre don de sang a servi aujourd’hui à l’hôpital.".into()),
            used_on: jiff::civil::date(2027, 1, 15),
        };
        let report = OutcomeReport {
            outcome: &outcome,
            idempotency_key: None,
            api_key_id: None,
        };
        let first = store
            .report_outcome(&access, texted.id, &report, NOW + 2 * DAY)
            .await
            .unwrap();
        assert_eq!((first.channel, first.duplicate), (Some(ImpactChannel::Sms), false));
        let key = relais_core::impact::outcome_key(texted.id, None, outcome.used_on);
        let message = store.message_by_key(&key).await.unwrap().unwrap();
        assert_eq!(
            (message.channel, message.recipient.as_str(), message.payload.deferred),
            (
                Channel::Sms,
                "+33612345678",
                Some(Deferred::ImpactOutcome {
                    outcome: first.outcome_id
                })
            )
        );
        let stored = store.outcome(first.outcome_id).await.unwrap().unwrap();
        assert_eq!(
            (stored.gift_id, stored.used_on.as_str(), stored.message.as_deref()),
            (texted.id, "2027-01-15", outcome.message.as_deref())
        );

        // The same report again (same day, no key) records nothing new.
        let again = store
            .report_outcome(&access, texted.id, &report, NOW + 3 * DAY)
            .await
            .unwrap();
        assert_eq!(
            again,
            OutcomeReceipt {
                duplicate: true,
                ..first.clone()
            }
        );
        // With keys, each key is one report.
        let keyed = |k| OutcomeReport {
            idempotency_key: Some(k),
            ..report.clone()
        };
        let a = store
            .report_outcome(&access, texted.id, &keyed("a"), NOW)
            .await
            .unwrap();
        let a2 = store
            .report_outcome(&access, texted.id, &keyed("a"), NOW)
            .await
            .unwrap();
        let b = store
            .report_outcome(&access, texted.id, &keyed("b"), NOW)
            .await
            .unwrap();
        assert!(!a.duplicate && a2.duplicate && !b.duplicate && a.outcome_id == a2.outcome_id);
        assert_eq!(
            store
                .impact_messages_of(&access, texted.supporter_id)
                .await
                .unwrap()
                .len(),
            3
        );

        let by_mail = store.report_outcome(&access, mailed.id, &report, NOW).await.unwrap();
        assert_eq!(by_mail.channel, Some(ImpactChannel::Email));

        // Without consent the outcome is recorded and nobody is written to.
        let quiet = store.report_outcome(&access, silent.id, &report, NOW).await.unwrap();
        assert_eq!((quiet.channel, quiet.duplicate), (None, false));
        let key = relais_core::impact::outcome_key(silent.id, None, outcome.used_on);
        assert!(store.message_by_key(&key).await.unwrap().is_none());
        assert!(
            store
                .impact_messages_of(&access, silent.supporter_id)
                .await
                .unwrap()
                .is_empty()
        );

        // A gift not paid (refunded) cannot have been used.
        store.refund_gift(&access, mailed.id, "erreur", NOW).await.unwrap();
        let later = Outcome {
            used_on: jiff::civil::date(2027, 1, 16),
            ..outcome.clone()
        };
        assert!(matches!(
            store
                .report_outcome(
                    &access,
                    mailed.id,
                    &OutcomeReport {
                        outcome: &later,
                        ..report.clone()
                    },
                    NOW
                )
                .await,
            Err(StoreError::Conflict(_))
        ));
    }
);

conformance!(
    api_keys_open_their_association_until_revoked,
    |store: DynStore| async move {
        let access = staff_of(&store, "amis").await;
        let other = staff_of(&store, "autres").await;
        let key = store
            .create_api_key(
                &access,
                "Logiciel de collecte",
                &hash_secret("rls_secret"),
                "rls_sec",
                None,
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(
            (key.name.as_str(), key.last_used_at, key.revoked_at),
            ("Logiciel de collecte", None, None)
        );
        assert!(matches!(
            store
                .create_api_key(&other, "copie", &hash_secret("rls_secret"), "rls_sec", None, NOW)
                .await,
            Err(StoreError::Conflict(_))
        ));
        let (opened, id) = store
            .api_access(&hash_secret("rls_secret"), NOW + 5)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((opened.org_id(), id), (access.org_id(), key.id));
        assert!(
            !opened.allows(relais_core::role::Permission::ManageSettings),
            "a key is no admin"
        );
        assert!(
            store
                .api_access(&hash_secret("rls_other"), NOW)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(store.api_keys(&access).await.unwrap()[0].last_used_at, Some(NOW + 5));
        assert!(store.api_keys(&other).await.unwrap().is_empty());

        // Only its association revokes it; then it opens nothing.
        assert!(matches!(
            store.revoke_api_key(&other, key.id, NOW).await,
            Err(StoreError::NotFound)
        ));
        store.revoke_api_key(&access, key.id, NOW + 10).await.unwrap();
        store.revoke_api_key(&access, key.id, NOW + 20).await.unwrap();
        assert_eq!(store.api_keys(&access).await.unwrap()[0].revoked_at, Some(NOW + 10));
        assert!(
            store
                .api_access(&hash_secret("rls_secret"), NOW + 30)
                .await
                .unwrap()
                .is_none()
        );
    }
);

conformance!(
    erasing_a_donor_removes_their_number_and_stops_their_texts,
    |store: DynStore| async move {
        let access = staff_of(&store, "amis").await;
        let p = published_project(&store, &access, "puits").await;
        let restricted = campaign(&store, &access, "puits-don", Some(p.id)).await;
        let gift = give(&store, &restricted, "jeanne@example.org", "30", BY_SMS, NOW + DAY).await;
        let u = store
            .add_project_update(&access, p.id, &news(true), None, NOW + 2 * DAY)
            .await
            .unwrap();
        let key = relais_core::impact::update_key(u.id, gift.supporter_id);
        assert_eq!(
            store.message_by_key(&key).await.unwrap().unwrap().status,
            OutboxStatus::Pending
        );
        store
            .erase_person(&access, gift.supporter_id, None, NOW + 3 * DAY)
            .await
            .unwrap();
        let message = store.message_by_key(&key).await.unwrap().unwrap();
        assert_eq!(message.status, OutboxStatus::Cancelled);
        assert!(!message.recipient.starts_with('+'), "{}", message.recipient);
        let who = store.impact_recipient(gift.supporter_id).await.unwrap().unwrap();
        assert_eq!((who.phone, who.sms_consent, who.email_consent), (None, false, false));
    }
);
