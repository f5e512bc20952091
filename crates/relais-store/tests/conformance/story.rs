//! The feedback loop on both backends: what a person's `/me` space tells of each gift
//! and signature, staff undoing an allocation or moving a campaign to another project,
//! and the repeat-giving cohorts.

use super::petitions_support::{draft as petition_draft, request};
use super::posts_support::{new_post, post_draft};
use super::projects::{DAY, campaign_for, paid, paid_by, spring, staff_of};
use super::*;
use relais_core::allocation::AllocationError;
use relais_core::money::Money;
use relais_core::petition::PetitionState;
use relais_core::post::PostKind;
use relais_core::project::{Figure, ProjectInput, Stage};

/// A cohort as `(year, (told, came back), (not told, came back), partial)`.
type CohortRow = (i32, (u64, u64), (u64, u64), bool);

async fn project_named(store: &DynStore, access: &OrgAccess, slug: &str, title: &str, published: bool) -> Project {
    let draft = ProjectInput {
        title: title.into(),
        slug: slug.into(),
        budget: "10000".into(),
        place_label: "Kpalimé, Togo".into(),
        latitude: "6.9".into(),
        longitude: "0.63".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    let p = store.create_project(access, &draft, None, NOW).await.unwrap();
    store.publish_project(access, p.id, published, NOW).await.unwrap()
}

async fn news(
    store: &DynStore,
    access: &OrgAccess,
    project: &Project,
    body: &str,
    stage: Option<Stage>,
    at: i64,
) -> i64 {
    let figures = [Figure {
        label: "personnes servies".into(),
        value: 450,
        unit: String::new(),
    }];
    let update = NewProjectUpdate {
        body,
        photo: None,
        stage,
        figures: stage.is_none().then_some(&figures[..]),
        tell: false,
    };
    store
        .add_project_update(access, project.id, &update, None, at)
        .await
        .unwrap()
        .id
}

async fn allocate(store: &DynStore, access: &OrgAccess, project: i64, cents: i64, at: i64) -> AllocationBatch {
    let allocation = NewAllocation {
        amount: Money::from_cents(cents),
        label: "Dons du printemps",
        criteria: spring(None),
    };
    store
        .allocate(access, project, &allocation, None, at)
        .await
        .unwrap()
        .unwrap()
}

async fn available(store: &DynStore, access: &OrgAccess) -> i64 {
    store
        .allocatable(access, &spring(None))
        .await
        .unwrap()
        .available
        .cents()
}

conformance!(
    a_persons_gifts_and_signatures_tell_what_happened_since,
    |store: DynStore| async move {
        let (access, _) = staff_of(&store, "amis").await;
        let well = project_named(&store, &access, "puits", "Puits de Kpalimé", true).await;
        let school = project_named(&store, &access, "ecole", "École de Lomé", true).await;
        let hidden = project_named(&store, &access, "brouillon", "Projet en préparation", false).await;
        let for_well = campaign_for(&store, &access, "pour-le-puits", Some(well.id)).await;
        let for_hidden = campaign_for(&store, &access, "pour-plus-tard", Some(hidden.id)).await;
        let general = campaign_for(&store, &access, "general", None).await;
        let jeanne = "jeanne@example.org";

        // News before her first gift is the project's history, not her story.
        news(&store, &access, &well, "Étude du sol.", None, NOW).await;
        let restricted = paid_by(&store, &for_well, "j-1", jeanne, "30", NOW + DAY).await;
        let spring_gift = paid_by(&store, &general, "j-2", jeanne, "100", NOW + 10 * DAY).await;
        paid_by(&store, &for_hidden, "j-3", jeanne, "5", NOW + 11 * DAY).await;
        paid(&store, &general, "someone-else", "50", NOW + 12 * DAY).await;
        let under_way = news(
            &store,
            &access,
            &well,
            "Le forage a commencé.",
            Some(Stage::UnderWay),
            NOW + 5 * DAY,
        )
        .await;
        let batch = allocate(&store, &access, school.id, 4_000, NOW + 100 * DAY).await;
        let served = news(
            &store,
            &access,
            &school,
            "La classe est ouverte.",
            None,
            NOW + 101 * DAY,
        )
        .await;
        news(&store, &access, &hidden, "Pas encore public.", None, NOW + 102 * DAY).await;

        // Her signature, and the petition's posts before and after it.
        let petition = store
            .create_petition(
                &access,
                &petition_draft("Sauvons le puits"),
                PetitionState::Published,
                None,
                NOW,
            )
            .await
            .unwrap();
        let before = post_draft(PostKind::Update, "Avant votre signature.");
        store
            .create_post(&access, &new_post(petition.id, &before), NOW + DAY)
            .await
            .unwrap();
        store
            .sign_batch(&[request(&petition, jeanne, "75011", (true, false))], NOW + 2 * DAY)
            .await
            .unwrap();
        let update = post_draft(PostKind::Update, "Remise à la mairie.");
        let update = store
            .create_post(&access, &new_post(petition.id, &update), NOW + 3 * DAY)
            .await
            .unwrap();
        let victory = post_draft(PostKind::Victory, "Le puits sera réparé.");
        let victory = store
            .create_post(&access, &new_post(petition.id, &victory), NOW + 4 * DAY)
            .await
            .unwrap();

        let who = store
            .self_access(access.org_id(), restricted.supporter_id)
            .await
            .unwrap()
            .unwrap();
        let gifts = store.my_gifts(&who).await.unwrap();
        let given_to: Vec<(i64, Option<i64>)> = gifts.iter().map(|g| (g.amount_cents, g.project_id)).collect();
        assert_eq!(
            given_to,
            [(500, Some(hidden.id)), (10_000, None), (3_000, Some(well.id))],
            "newest first, each with the project it was given to"
        );
        assert_eq!(
            store.my_allocations(&who).await.unwrap(),
            [MyAllocation {
                gift_id: spring_gift.id,
                project_id: school.id,
                cents: 4_000,
                created_at: batch.created_at
            }]
        );
        let projects: Vec<i64> = store.my_projects(&who).await.unwrap().iter().map(|p| p.id).collect();
        assert_eq!(projects, [well.id, school.id], "published projects only, oldest first");
        let news_ids: Vec<i64> = store
            .my_project_news(&who)
            .await
            .unwrap()
            .iter()
            .map(|u| u.id)
            .collect();
        assert_eq!(
            news_ids,
            [served, under_way],
            "newest first, since her first gift, published projects"
        );
        let stage = store.my_project_news(&who).await.unwrap()[1].stage;
        assert_eq!(stage, Some(Stage::UnderWay));

        let signatures = store.my_signatures(&who).await.unwrap();
        assert_eq!(signatures.len(), 1);
        assert_eq!(signatures[0].state, "victory");
        let posts: Vec<(i64, &str)> = store
            .my_petition_news(&who)
            .await
            .unwrap()
            .iter()
            .map(|p| (p.id, if p.kind == "victory" { "victory" } else { "update" }))
            .collect();
        assert_eq!(
            posts,
            [(victory.id, "victory"), (update.id, "update")],
            "since her signature"
        );

        // Another donor's space holds none of hers; another association's none at all.
        let other = store
            .supporter_by_email(&access, &email("someone-else@example.org"))
            .await
            .unwrap()
            .unwrap();
        let them = store.self_access(access.org_id(), other.id).await.unwrap().unwrap();
        assert!(store.my_allocations(&them).await.unwrap().is_empty());
        assert!(store.my_petition_news(&them).await.unwrap().is_empty());
        assert!(
            store.my_projects(&them).await.unwrap().is_empty(),
            "nothing allocated of theirs"
        );
        let (elsewhere, _) = staff_of(&store, "voisins").await;
        assert!(
            store
                .self_access(elsewhere.org_id(), restricted.supporter_id)
                .await
                .unwrap()
                .is_none()
        );
    }
);

conformance!(
    undoing_an_allocation_returns_every_cent_to_the_pool,
    |store: DynStore| async move {
        let (access, owner) = staff_of(&store, "amis").await;
        let well = project_named(&store, &access, "puits", "Puits", true).await;
        let school = project_named(&store, &access, "ecole", "École", true).await;
        let general = campaign_for(&store, &access, "general", None).await;
        let mut gifts = Vec::new();
        for (i, euros) in ["100", "200", "300", "45,67"].iter().enumerate() {
            gifts.push(paid(&store, &general, &format!("g-{i}"), euros, NOW + (i as i64 + 1) * DAY).await);
        }
        let total: i64 = gifts.iter().map(|g| g.amount_cents).sum();
        assert_eq!(available(&store, &access).await, total);

        let first = allocate(&store, &access, well.id, 25_000, NOW + 100 * DAY).await;
        let second = allocate(&store, &access, school.id, 30_000, NOW + 101 * DAY).await;
        assert_eq!(available(&store, &access).await, total - 55_000);
        let trace = store.batch_allocations(&access, first.id).await.unwrap();

        let undone = store
            .undo_allocation(&access, first.id, Some(owner.id), NOW + 102 * DAY)
            .await
            .unwrap();
        assert_eq!(
            (undone.undone_at, undone.undone_by),
            (Some(NOW + 102 * DAY), Some(owner.id))
        );
        assert!(undone.is_undone() && !second.is_undone());
        assert_eq!(
            available(&store, &access).await,
            total - 30_000,
            "the well's cents are back"
        );
        let well_page = store.project_page(&access, well.id).await.unwrap();
        assert_eq!(
            (well_page.totals.allocated.cents(), well_page.totals.allocated_gifts),
            (0, 0)
        );
        let school_page = store.project_page(&access, school.id).await.unwrap();
        assert_eq!(
            school_page.totals.allocated.cents(),
            30_000,
            "the other decision stands"
        );
        assert_eq!(
            store.batch_allocations(&access, first.id).await.unwrap(),
            trace,
            "the undone decision keeps its trace"
        );
        assert!(
            store
                .gift_allocations(&access, gifts[0].id)
                .await
                .unwrap()
                .iter()
                .all(|a| a.project_id != well.id),
            "the gift no longer counts for the well"
        );
        assert_eq!(
            store.allocation_batches(&access, well.id).await.unwrap(),
            std::slice::from_ref(&undone)
        );
        let log = store.audit_log(&access, 10).await.unwrap();
        assert!(
            log.iter().any(|(_, by, action, subject)| action == "allocation_undone"
                && *by == Some(owner.id)
                && *subject == format!("allocation:{}", first.id)),
            "{log:?}"
        );

        // Once only; another association's staff cannot even find it.
        let again = store.undo_allocation(&access, first.id, None, NOW + 103 * DAY).await;
        assert!(matches!(again, Err(StoreError::Conflict("undone"))), "{again:?}");
        let (other, _) = staff_of(&store, "voisins").await;
        let foreign = store.undo_allocation(&other, second.id, None, NOW + 103 * DAY).await;
        assert!(matches!(foreign, Err(StoreError::NotFound)), "{foreign:?}");

        // Conservation through allocations and undos: what is allocated plus what is left
        // is always every paid cent, and no gift is ever allocated beyond its amount.
        let mut live = vec![second];
        for (i, cents) in [12_345, 7_000, 1, 20_000, 4_000].iter().enumerate() {
            let at = NOW + (110 + i as i64) * DAY;
            match store
                .allocate(
                    &access,
                    well.id,
                    &NewAllocation {
                        amount: Money::from_cents(*cents),
                        label: "x",
                        criteria: spring(None),
                    },
                    None,
                    at,
                )
                .await
                .unwrap()
            {
                Ok(batch) => live.push(batch),
                Err(AllocationError::Insufficient { available_cents, .. }) => {
                    assert_eq!(available_cents, available(&store, &access).await);
                }
                Err(e) => panic!("{e:?}"),
            }
            if i % 2 == 1 {
                let batch = live.remove(0);
                store.undo_allocation(&access, batch.id, None, at).await.unwrap();
            }
            let allocated: i64 = live.iter().map(|b| b.amount_cents).sum();
            let left = available(&store, &access).await;
            assert!(left >= 0);
            assert_eq!(allocated + left, total, "step {i}");
            for g in &gifts {
                let shares: i64 = store
                    .gift_allocations(&access, g.id)
                    .await
                    .unwrap()
                    .iter()
                    .map(|a| a.cents)
                    .sum();
                assert!((0..=g.amount_cents).contains(&shares), "gift {} step {i}", g.id);
            }
        }
    }
);

conformance!(
    a_campaign_moved_to_another_project_leaves_its_past_gifts_where_they_were_given,
    |store: DynStore| async move {
        let (access, owner) = staff_of(&store, "amis").await;
        let well = project_named(&store, &access, "puits", "Puits", true).await;
        let school = project_named(&store, &access, "ecole", "École", true).await;
        let restricted = campaign_for(&store, &access, "pour-le-puits", Some(well.id)).await;
        let general = campaign_for(&store, &access, "general", None).await;
        paid(&store, &restricted, "r-1", "100", NOW + DAY).await;
        paid(&store, &restricted, "r-2", "50", NOW + 2 * DAY).await;
        paid(&store, &general, "u-1", "80", NOW + 3 * DAY).await;
        allocate(&store, &access, well.id, 3_000, NOW + 4 * DAY).await;

        let moved = store
            .set_campaign_project(&access, restricted.id, Some(school.id), Some(owner.id), NOW + 5 * DAY)
            .await
            .unwrap();
        assert_eq!(moved.project_id, Some(school.id));
        paid(&store, &restricted, "r-3", "20", NOW + 6 * DAY).await;
        // The unrestricted campaign now goes to the school too; its gift already part
        // allocated stays unrestricted, with its 50 € left still allocatable.
        store
            .set_campaign_project(&access, general.id, Some(school.id), None, NOW + 7 * DAY)
            .await
            .unwrap();
        paid(&store, &general, "u-2", "10", NOW + 8 * DAY).await;
        assert_eq!(available(&store, &access).await, 5_000);

        let received = |page: ProjectPage| (page.totals.restricted.cents(), page.totals.restricted_gifts);
        assert_eq!(
            received(store.project_page(&access, well.id).await.unwrap()),
            (15_000, 2)
        );
        assert_eq!(
            received(store.project_page(&access, school.id).await.unwrap()),
            (3_000, 2)
        );
        assert_eq!(
            store
                .project_page(&access, well.id)
                .await
                .unwrap()
                .totals
                .allocated
                .cents(),
            3_000
        );

        // Back to no project: later gifts are unrestricted, earlier ones stay fixed.
        store
            .set_campaign_project(&access, restricted.id, None, None, NOW + 9 * DAY)
            .await
            .unwrap();
        paid(&store, &restricted, "r-4", "7", NOW + 10 * DAY).await;
        assert_eq!(available(&store, &access).await, 5_700);
        assert_eq!(
            received(store.project_page(&access, school.id).await.unwrap()),
            (3_000, 2)
        );
        let donor = store
            .supporter_by_email(&access, &email("r-3@example.org"))
            .await
            .unwrap()
            .unwrap();
        let who = store.self_access(access.org_id(), donor.id).await.unwrap().unwrap();
        assert_eq!(store.my_gifts(&who).await.unwrap()[0].project_id, Some(school.id));

        // Same project again changes nothing and logs nothing; other associations' are refused.
        store
            .set_campaign_project(&access, restricted.id, None, None, NOW + 11 * DAY)
            .await
            .unwrap();
        let log = store.audit_log(&access, 20).await.unwrap();
        let changes: Vec<&str> = log
            .iter()
            .filter(|(_, _, action, _)| action == "campaign_project_changed")
            .map(|(_, _, _, subject)| subject.as_str())
            .collect();
        assert_eq!(changes.len(), 3, "{log:?}");
        assert!(changes.contains(&format!("campaign:{} project:{}->{}", restricted.id, well.id, school.id).as_str()));
        assert!(changes.contains(&format!("campaign:{} project:{}->none", restricted.id, school.id).as_str()));
        let (other, _) = staff_of(&store, "voisins").await;
        let foreign_project = project_named(&store, &other, "ailleurs", "Ailleurs", true).await;
        let r = store
            .set_campaign_project(&access, restricted.id, Some(foreign_project.id), None, NOW)
            .await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        let r = store.set_campaign_project(&other, restricted.id, None, None, NOW).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    }
);

conformance!(
    repeat_giving_is_compared_between_told_and_untold_donors,
    |store: DynStore| async move {
        let (access, _) = staff_of(&store, "amis").await;
        let general = campaign_for(&store, &access, "general", None).await;
        // Mid-June of each year, far from any time zone's new year.
        let june = |year: i32| {
            jiff::civil::date(i16::try_from(year).unwrap(), 6, 15)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .unwrap()
                .timestamp()
                .as_second()
        };
        let now = june(2027);
        let give = |name: &'static str, years: &'static [i32]| {
            let (store, general) = (store.clone(), general.clone());
            async move {
                for (i, year) in years.iter().enumerate() {
                    paid_by(
                        &store,
                        &general,
                        &format!("{name}-{i}"),
                        &format!("{name}@example.org"),
                        "10",
                        june(*year),
                    )
                    .await;
                }
            }
        };
        give("anne", &[2024, 2025]).await; // told, came back
        give("bruno", &[2024, 2024]).await; // told, twice the same year: not a repeat
        give("chloe", &[2024, 2026]).await; // not told (she agreed to no impact message)
        give("david", &[2025]).await; // not told (only the newsletter reached him)
        give("emma", &[2026, 2027]).await; // told; last year's cohort, partial
        give("felix", &[2027]).await; // this year's cohort: left out

        // Anne, Bruno and Emma asked to hear what their gift did; the association's
        // system reports each one's first gift used. Chloé's report reaches nobody.
        let gifts = store.gifts(&access, 100).await.unwrap();
        let first_gift = |name: &str| {
            gifts
                .iter()
                .filter(|g| g.email == format!("{name}@example.org"))
                .map(|g| (g.id, g.supporter_id))
                .min()
                .unwrap()
        };
        let outcome = relais_core::impact::Outcome {
            message: None,
            used_on: jiff::civil::date(2027, 6, 1),
        };
        for (name, consents) in [("anne", true), ("bruno", true), ("chloe", false), ("emma", true)] {
            let (gift, supporter) = first_gift(name);
            if consents {
                store
                    .record_consent(
                        &ConsentChange {
                            org_id: access.org_id(),
                            supporter_id: supporter,
                            channel: "email",
                            purpose: "impact",
                            granted: true,
                            wording: "Dites-moi ce que mon don a permis",
                            source: "/d/general",
                            ip_hash: "",
                        },
                        now,
                    )
                    .await
                    .unwrap();
            }
            let report = OutcomeReport {
                outcome: &outcome,
                idempotency_key: Some(name),
                api_key_id: None,
            };
            let receipt = store.report_outcome(&access, gift, &report, now).await.unwrap();
            assert_eq!(receipt.channel.is_some(), consents, "{name}");
        }
        // A newsletter is not an impact message.
        store
            .enqueue(
                &NewMessage {
                    org_id: Some(access.org_id()),
                    channel: Channel::Email,
                    recipient: "david@example.org".into(),
                    payload: message(None, "newsletter:1:d").payload,
                    idempotency_key: "newsletter:1:d".into(),
                },
                now,
            )
            .await
            .unwrap();

        let cohorts = store.repeat_giving_cohorts(&access, now).await.unwrap();
        let rows: Vec<CohortRow> = cohorts
            .iter()
            .map(|c| {
                (
                    c.year,
                    (c.told_donors, c.told_repeat),
                    (c.untold_donors, c.untold_repeat),
                    c.partial,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (2024, (2, 1), (1, 1), false),
                (2025, (0, 0), (1, 0), false),
                (2026, (1, 1), (0, 0), true),
            ]
        );
        let (other, _) = staff_of(&store, "voisins").await;
        assert!(store.repeat_giving_cohorts(&other, now).await.unwrap().is_empty());
    }
);
