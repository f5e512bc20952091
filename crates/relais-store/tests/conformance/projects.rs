//! Impact projects, their ledger, and the allocation of gifts to them, on both backends.

use super::*;
use relais_core::allocation::AllocationError;
use relais_core::gift::{CampaignInput, Frequency, GiftInput, MAX_GIFT, MIN_GIFT};
use relais_core::ledger::{ExpenseCategory, ExpenseInput};
use relais_core::money::Money;
use relais_core::project::{Figure, ProjectInput, Stage};

pub(super) const DAY: i64 = 86_400;

pub(super) async fn staff_of(store: &DynStore, slug: &str) -> (OrgAccess, User) {
    let (org, owner) = new_org(store, slug, &format!("chair@{slug}.example")).await;
    (store.authorise(owner.id, org.id).await.unwrap().unwrap(), owner)
}

async fn project_of(store: &DynStore, access: &OrgAccess, slug: &str) -> Project {
    let draft = ProjectInput {
        title: "Puits de Kpalimé".into(),
        slug: slug.into(),
        body: "Un forage de 40 m.".into(),
        budget: "12000".into(),
        place_label: "Kpalimé, Togo".into(),
        latitude: "6.9".into(),
        longitude: "0.63".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    store.create_project(access, &draft, None, NOW).await.unwrap()
}

pub(super) async fn campaign_for(store: &DynStore, access: &OrgAccess, slug: &str, project: Option<i64>) -> Campaign {
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

/// A gift of `euros` on `campaign`, paid at `paid_at`.
pub(super) async fn paid(store: &DynStore, campaign: &Campaign, reference: &str, euros: &str, paid_at: i64) -> Gift {
    paid_by(
        store,
        campaign,
        reference,
        &format!("{reference}@example.org"),
        euros,
        paid_at,
    )
    .await
}

/// A gift of `euros` on `campaign` by the person of address `email`, paid at `paid_at`.
pub(super) async fn paid_by(
    store: &DynStore,
    campaign: &Campaign,
    reference: &str,
    email: &str,
    euros: &str,
    paid_at: i64,
) -> Gift {
    let draft = GiftInput {
        amount: euros.into(),
        frequency: "once".into(),
        first_name: "Jeanne".into(),
        last_name: "Martin".into(),
        email: email.to_owned(),
        ..Default::default()
    }
    .parse(&[Frequency::Once], MIN_GIFT, MAX_GIFT, relais_core::Locale::Fr)
    .unwrap();
    let gift = store
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
    store.complete_gift_at(reference, paid_at, paid_at).await.unwrap();
    gift
}

pub(super) fn spring(campaign_id: Option<i64>) -> AllocationCriteria {
    AllocationCriteria {
        from: NOW,
        until: NOW + 90 * DAY,
        campaign_id,
    }
}

async fn allocate(
    store: &DynStore,
    access: &OrgAccess,
    project: i64,
    cents: i64,
    criteria: AllocationCriteria,
) -> Result<AllocationBatch, AllocationError> {
    let allocation = NewAllocation {
        amount: Money::from_cents(cents),
        label: "Dons du printemps",
        criteria,
    };
    store
        .allocate(access, project, &allocation, None, NOW + 100 * DAY)
        .await
        .unwrap()
}

conformance!(
    staff_describe_publish_and_illustrate_a_project,
    |store: DynStore| async move {
        let (access, _) = staff_of(&store, "amis").await;
        let p = project_of(&store, &access, "puits").await;
        assert_eq!(
            (p.state.as_str(), p.stage, p.budget.cents()),
            ("draft", Stage::Funded, 1_200_000)
        );
        assert_eq!(
            (p.place_label.as_str(), p.lat, p.lon),
            ("Kpalimé, Togo", Some(6.9), Some(0.63))
        );
        assert!(p.figures.is_empty() && p.published_at.is_none());
        assert!(
            store.public_project("puits").await.unwrap().is_none(),
            "drafts are not public"
        );
        assert!(store.published_project(p.id).await.unwrap().is_none());
        {
            let draft = ProjectInput {
                title: "Autre".into(),
                slug: "puits".into(),
                budget: "1".into(),
                ..Default::default()
            }
            .parse()
            .unwrap();
            let r = store.create_project(&access, &draft, None, NOW).await;
            assert!(matches!(r, Err(StoreError::Conflict("slug"))), "{r:?}");
        }
        let edit = ProjectInput {
            title: "Le puits de Kpalimé".into(),
            slug: "puits-kpalime".into(),
            budget: "12 500".into(),
            place_postcode: String::new(),
            place_label: "Kpalimé".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        let p = store.update_project(&access, p.id, &edit, NOW + 1).await.unwrap();
        assert_eq!(
            (p.slug.as_str(), p.budget.cents(), p.lat),
            ("puits-kpalime", 1_250_000, None)
        );
        assert_eq!(p.updated_at, NOW + 1);
        let p = store.publish_project(&access, p.id, true, NOW + 2).await.unwrap();
        assert_eq!((p.state.as_str(), p.published_at), ("published", Some(NOW + 2)));
        let p = store
            .set_project_stage(&access, p.id, Stage::UnderWay, NOW + 3)
            .await
            .unwrap();
        assert_eq!(p.stage, Stage::UnderWay);
        let figures = vec![
            Figure {
                label: "élèves".into(),
                value: 450,
                unit: String::new(),
            },
            Figure {
                label: "litres".into(),
                value: 3_000,
                unit: "par jour".into(),
            },
        ];
        let p = store
            .set_project_figures(&access, p.id, &figures, NOW + 4)
            .await
            .unwrap();
        assert_eq!(p.figures, figures);
        assert_eq!(store.project(&access, p.id).await.unwrap(), p);
        assert_eq!(store.published_project(p.id).await.unwrap(), Some(p.clone()));
        assert_eq!(store.projects(&access).await.unwrap(), std::slice::from_ref(&p));

        // Photos, oldest first; removing one returns it so its files can go.
        let first = store
            .add_project_photo(&access, p.id, "project-1-aaa", "Le chantier", NOW)
            .await
            .unwrap();
        let second = store
            .add_project_photo(&access, p.id, "project-1-bbb", "La pompe", NOW)
            .await
            .unwrap();
        let page = store.public_project("puits-kpalime").await.unwrap().unwrap();
        assert_eq!(page.photos, [first.clone(), second.clone()]);
        assert_eq!(
            store.remove_project_photo(&access, p.id, first.id).await.unwrap(),
            first
        );
        assert!(matches!(
            store.remove_project_photo(&access, p.id, first.id).await,
            Err(StoreError::NotFound)
        ));

        // The ledger: lines by date, totals by category, largest first.
        let today = jiff::civil::date(2027, 1, 15);
        let expense = |day: &str, category: &str, label: &str, amount: &str| ExpenseInput {
            spent_on: day.into(),
            category: category.into(),
            label: label.into(),
            amount: amount.into(),
        };
        let cement = expense("2027-01-10", "materials", "Ciment", "1 200")
            .parse(today, relais_core::Locale::Fr)
            .unwrap();
        let cement = store.add_expense(&access, p.id, &cement, None, NOW).await.unwrap();
        for (day, category, label, amount) in [
            ("2027-01-02", "labour", "Foreurs, 10 jours", "2 500"),
            ("2027-01-12", "materials", "Tuyaux", "300,50"),
            ("2027-01-13", "transport", "Camion", "99,99"),
        ] {
            let draft = expense(day, category, label, amount)
                .parse(today, relais_core::Locale::Fr)
                .unwrap();
            store.add_expense(&access, p.id, &draft, None, NOW).await.unwrap();
        }
        let typo = expense("2027-01-14", "other", "Erreur", "5")
            .parse(today, relais_core::Locale::Fr)
            .unwrap();
        let typo = store.add_expense(&access, p.id, &typo, None, NOW).await.unwrap();
        store.remove_expense(&access, p.id, typo.id).await.unwrap();
        assert!(matches!(
            store.remove_expense(&access, p.id, typo.id).await,
            Err(StoreError::NotFound)
        ));
        let page = store.project_page(&access, p.id).await.unwrap();
        let days: Vec<_> = page.expenses.iter().map(|e| e.spent_on.as_str()).collect();
        assert_eq!(days, ["2027-01-02", "2027-01-10", "2027-01-12", "2027-01-13"]);
        assert_eq!(page.expenses[1], cement);
        assert_eq!(page.totals.spent.cents(), 410_049);
        assert_eq!(
            page.totals.by_category,
            [
                (ExpenseCategory::Labour, Money::from_cents(250_000)),
                (ExpenseCategory::Materials, Money::from_cents(150_050)),
                (ExpenseCategory::Transport, Money::from_cents(9_999)),
            ]
        );
        assert_eq!(page.totals.received().cents(), 0);

        // Taken back to draft, it leaves the public eye but keeps its first publication date.
        let p = store.publish_project(&access, p.id, false, NOW + 5).await.unwrap();
        assert_eq!((p.state.as_str(), p.published_at), ("draft", Some(NOW + 2)));
        assert!(store.public_project("puits-kpalime").await.unwrap().is_none());
        assert!(store.published_project(p.id).await.unwrap().is_none());
    }
);

conformance!(
    restricted_and_allocated_gifts_reach_a_project_traced_to_the_cent,
    |store: DynStore| async move {
        let (access, _) = staff_of(&store, "amis").await;
        let well = project_of(&store, &access, "puits").await;
        store.publish_project(&access, well.id, true, NOW).await.unwrap();
        let school = project_of(&store, &access, "ecole").await;
        let restricted = campaign_for(&store, &access, "pour-le-puits", Some(well.id)).await;
        assert_eq!(restricted.project_id, Some(well.id));
        let general = campaign_for(&store, &access, "general", None).await;
        assert_eq!(general.project_id, None);
        let other_general = campaign_for(&store, &access, "noel", None).await;

        // Restricted gifts count as reaching the project and are never allocated.
        paid(&store, &restricted, "r-1", "100", NOW + DAY).await;
        paid(&store, &restricted, "r-2", "50,50", NOW + 2 * DAY).await;
        // Unrestricted spring gifts, listed out of order, one outside the period.
        let g3 = paid(&store, &general, "g-3", "300", NOW + 30 * DAY).await;
        let g1 = paid(&store, &general, "g-1", "100", NOW + 10 * DAY).await;
        let g2 = paid(&store, &other_general, "g-2", "200", NOW + 20 * DAY).await;
        paid(&store, &general, "g-late", "1000", NOW + 200 * DAY).await;
        // A gift not paid yet is nobody's money.
        store
            .start_gift(
                &NewGift {
                    campaign: &general,
                    draft: &GiftInput {
                        amount: "500".into(),
                        first_name: "A".into(),
                        last_name: "B".into(),
                        email: "pending@example.org".into(),
                        ..Default::default()
                    }
                    .parse(&[Frequency::Once], MIN_GIFT, MAX_GIFT, relais_core::Locale::Fr)
                    .unwrap(),
                    locale: "fr",
                    provider: "sandbox",
                    method: "card",
                    provider_ref: "pending",
                    newsletter_wording: "",
                    impact_wording: "",
                    pledge_ref: None,
                    tip_cents: 0,
                },
                NOW + 5 * DAY,
            )
            .await
            .unwrap();

        assert_eq!(
            store.allocatable(&access, &spring(None)).await.unwrap(),
            Allocatable {
                gifts: 3,
                available: Money::from_cents(60_000)
            }
        );
        // Oldest first: all of g1, all of g2, 50 € of g3.
        let batch = allocate(&store, &access, well.id, 35_000, spring(None)).await.unwrap();
        assert_eq!(
            (batch.amount_cents, batch.gifts_count, batch.label.as_str()),
            (35_000, 3, "Dons du printemps")
        );
        assert_eq!(
            (batch.gifts_from, batch.gifts_until, batch.campaign_id),
            (NOW, NOW + 90 * DAY, None)
        );
        assert_eq!(batch.created_at, NOW + 100 * DAY);
        let trace: Vec<(i64, i64)> = store
            .batch_allocations(&access, batch.id)
            .await
            .unwrap()
            .iter()
            .map(|a| (a.gift_id, a.cents))
            .collect();
        assert_eq!(trace, [(g1.id, 10_000), (g2.id, 20_000), (g3.id, 5_000)]);

        // More than is left: refused with exactly what is left, and nothing written.
        assert_eq!(
            allocate(&store, &access, school.id, 25_001, spring(None)).await,
            Err(AllocationError::Insufficient {
                requested_cents: 25_001,
                available_cents: 25_000
            })
        );
        assert!(store.allocation_batches(&access, school.id).await.unwrap().is_empty());
        // One campaign only: g3's 250 € left, not the other campaign's.
        assert_eq!(
            allocate(&store, &access, school.id, 30_000, spring(Some(other_general.id))).await,
            Err(AllocationError::Insufficient {
                requested_cents: 30_000,
                available_cents: 0
            })
        );
        let second = allocate(&store, &access, school.id, 25_000, spring(Some(general.id)))
            .await
            .unwrap();
        assert_eq!(second.campaign_id, Some(general.id));
        assert_eq!(
            store.allocatable(&access, &spring(None)).await.unwrap(),
            Allocatable::default()
        );
        // A restricted campaign's gifts are not in any pool, even asked for by name.
        let restricted_only = AllocationCriteria {
            from: 0,
            until: i64::MAX,
            campaign_id: Some(restricted.id),
        };
        assert_eq!(
            store.allocatable(&access, &restricted_only).await.unwrap(),
            Allocatable::default()
        );
        assert_eq!(
            allocate(&store, &access, school.id, 0, spring(None)).await,
            Err(AllocationError::NotPositive)
        );

        // Where g3 went: 50 € to the well, 250 € to the school — its whole amount.
        let g3_trace: Vec<(i64, i64)> = store
            .gift_allocations(&access, g3.id)
            .await
            .unwrap()
            .iter()
            .map(|a| (a.project_id, a.cents))
            .collect();
        assert_eq!(g3_trace, [(well.id, 5_000), (school.id, 25_000)]);
        let batches = store.allocation_batches(&access, well.id).await.unwrap();
        assert_eq!(batches, [batch]);

        // Received: restricted + allocated; the public page shows where to give.
        let page = store.public_project("puits").await.unwrap().unwrap();
        let t = &page.totals;
        assert_eq!((t.restricted.cents(), t.restricted_gifts), (15_050, 2));
        assert_eq!((t.allocated.cents(), t.allocated_gifts), (35_000, 3));
        assert_eq!(t.received().cents(), 50_050);
        assert_eq!(
            page.campaigns,
            [ProjectCampaign {
                slug: "pour-le-puits".into(),
                title: "Campagne pour-le-puits".into()
            }]
        );
        let school_page = store.project_page(&access, school.id).await.unwrap();
        assert_eq!(school_page.totals.received().cents(), 25_000);
    }
);

conformance!(
    refunded_gifts_are_neither_allocatable_nor_counted,
    |store: DynStore| async move {
        let (access, _) = staff_of(&store, "amis").await;
        let well = project_of(&store, &access, "puits").await;
        let general = campaign_for(&store, &access, "general", None).await;
        // Two SEPA gifts, collected on a run, settled at NOW + 10 days.
        for reference in ["s-1", "s-2"] {
            let draft = GiftInput {
                amount: "40".into(),
                first_name: "Jeanne".into(),
                last_name: "Martin".into(),
                email: format!("{reference}@example.org"),
                ..Default::default()
            }
            .parse(&[Frequency::Once], MIN_GIFT, MAX_GIFT, relais_core::Locale::Fr)
            .unwrap();
            let gift = NewGift {
                campaign: &general,
                draft: &draft,
                locale: "fr",
                provider: "sepa",
                method: "sepa",
                provider_ref: reference,
                newsletter_wording: "",
                impact_wording: "",
                pledge_ref: None,
                tip_cents: 0,
            };
            store.start_gift(&gift, NOW).await.unwrap();
            let mandate = NewMandate {
                reference: &format!("RUM-{reference}"),
                debtor_name: "Jeanne Martin",
                iban: "FR7630006000011234567890189",
                bic: "AGRIFRPP",
                wording: "En signant ce mandat…",
                ip_hash: "h",
            };
            store.sign_mandate(reference, &mandate, NOW).await.unwrap();
        }
        let (run, debits) = store
            .prepare_run(&access, "2027-01-07", "MSG-1", NOW)
            .await
            .unwrap()
            .unwrap();
        store.settle_run(&access, run.id, NOW + 10 * DAY).await.unwrap();
        // One is returned by the bank before any allocation: it is no longer allocatable.
        store
            .reject_debit(&access, debits[0].gift_id, "MD06", NOW + 11 * DAY)
            .await
            .unwrap();
        assert_eq!(
            allocate(&store, &access, well.id, 8_000, spring(None)).await,
            Err(AllocationError::Insufficient {
                requested_cents: 8_000,
                available_cents: 4_000
            })
        );
        allocate(&store, &access, well.id, 4_000, spring(None)).await.unwrap();
        assert_eq!(
            store
                .project_page(&access, well.id)
                .await
                .unwrap()
                .totals
                .allocated
                .cents(),
            4_000
        );
        // The other is returned after its allocation: its share stops counting.
        store
            .reject_debit(&access, debits[1].gift_id, "MD06", NOW + 12 * DAY)
            .await
            .unwrap();
        let totals = store.project_page(&access, well.id).await.unwrap().totals;
        assert_eq!((totals.allocated.cents(), totals.allocated_gifts), (0, 0));
        assert_eq!(
            store.gift_allocations(&access, debits[1].gift_id).await.unwrap().len(),
            1,
            "the trace stays"
        );
    }
);

conformance!(
    concurrent_allocations_never_over_allocate_a_gift,
    |store: DynStore| async move {
        let (access, _) = staff_of(&store, "amis").await;
        let general = campaign_for(&store, &access, "general", None).await;
        let mut projects = Vec::new();
        for i in 0..4 {
            projects.push(project_of(&store, &access, &format!("projet-{i}")).await.id);
        }
        for i in 0..5 {
            paid(&store, &general, &format!("g-{i}"), "20", NOW + i * DAY).await;
        }
        // Eight allocations of 30 € from 100 €, all at once, to four projects.
        let mut tasks = Vec::new();
        for i in 0..8 {
            let (store, access, project) = (store.clone(), access.clone(), projects[i % 4]);
            tasks.push(tokio::spawn(async move {
                allocate(&store, &access, project, 3_000, spring(None)).await
            }));
        }
        let mut done = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => done += 1,
                Err(AllocationError::Insufficient { available_cents, .. }) => {
                    assert_eq!(available_cents, 1_000, "refused only when less than 30 € is left")
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(done, 3);
        let mut per_gift = std::collections::HashMap::new();
        for project in &projects {
            for batch in store.allocation_batches(&access, *project).await.unwrap() {
                for a in store.batch_allocations(&access, batch.id).await.unwrap() {
                    *per_gift.entry(a.gift_id).or_insert(0) += a.cents;
                }
            }
        }
        assert_eq!(per_gift.values().sum::<i64>(), 9_000);
        assert!(per_gift.values().all(|c| *c <= 2_000), "{per_gift:?}");
        assert_eq!(
            store
                .allocatable(&access, &spring(None))
                .await
                .unwrap()
                .available
                .cents(),
            1_000
        );
    }
);

conformance!(
    one_association_never_sees_nor_spends_anothers_projects_or_gifts,
    |store: DynStore| async move {
        let (a, _) = staff_of(&store, "amis").await;
        let (b, _) = staff_of(&store, "autres").await;
        let mine = project_of(&store, &a, "puits").await;
        let theirs = project_of(&store, &b, "ecole").await;
        let their_campaign = campaign_for(&store, &b, "leurs-dons", None).await;
        paid(&store, &their_campaign, "b-1", "500", NOW + DAY).await;
        let their_gift = paid(&store, &their_campaign, "b-2", "10", NOW + DAY).await;

        // Their gifts are not in my pool, and I cannot allocate to their project.
        assert_eq!(
            store.allocatable(&a, &spring(None)).await.unwrap(),
            Allocatable::default()
        );
        assert_eq!(
            allocate(&store, &a, mine.id, 100, spring(Some(their_campaign.id))).await,
            Err(AllocationError::Insufficient {
                requested_cents: 100,
                available_cents: 0
            })
        );
        let allocation = NewAllocation {
            amount: Money::from_cents(100),
            label: "x",
            criteria: spring(None),
        };
        assert!(matches!(
            store.allocate(&a, theirs.id, &allocation, None, NOW).await,
            Err(StoreError::NotFound)
        ));
        // Their project is invisible and untouchable from my access.
        assert!(store.projects(&a).await.unwrap().iter().all(|p| p.id != theirs.id));
        assert!(matches!(store.project(&a, theirs.id).await, Err(StoreError::NotFound)));
        assert!(matches!(
            store.project_page(&a, theirs.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.publish_project(&a, theirs.id, true, NOW).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.set_project_stage(&a, theirs.id, Stage::Completed, NOW).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.set_project_figures(&a, theirs.id, &[], NOW).await,
            Err(StoreError::NotFound)
        ));
        let edit = ProjectInput {
            title: "Pris".into(),
            budget: "1".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert!(matches!(
            store.update_project(&a, theirs.id, &edit, NOW).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.add_project_photo(&a, theirs.id, "project-x", "", NOW).await,
            Err(StoreError::NotFound)
        ));
        let photo = store
            .add_project_photo(&b, theirs.id, "project-y", "", NOW)
            .await
            .unwrap();
        assert!(matches!(
            store.remove_project_photo(&a, theirs.id, photo.id).await,
            Err(StoreError::NotFound)
        ));
        let expense = ExpenseInput {
            spent_on: "2027-01-01".into(),
            category: "other".into(),
            label: "x".into(),
            amount: "1".into(),
        }
        .parse(jiff::civil::date(2027, 1, 2), relais_core::Locale::Fr)
        .unwrap();
        assert!(matches!(
            store.add_expense(&a, theirs.id, &expense, None, NOW).await,
            Err(StoreError::NotFound)
        ));
        let line = store.add_expense(&b, theirs.id, &expense, None, NOW).await.unwrap();
        assert!(matches!(
            store.remove_expense(&a, theirs.id, line.id).await,
            Err(StoreError::NotFound)
        ));
        // Their allocations and their campaign restriction stay theirs.
        let batch = allocate(&store, &b, theirs.id, 100, spring(None)).await.unwrap();
        assert!(store.allocation_batches(&a, theirs.id).await.unwrap().is_empty());
        assert!(store.batch_allocations(&a, batch.id).await.unwrap().is_empty());
        assert!(store.gift_allocations(&a, their_gift.id).await.unwrap().is_empty());
        let mut draft = CampaignInput {
            title: "Détournement".into(),
            once: "on".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        draft.project_id = Some(theirs.id);
        assert!(matches!(
            store.create_campaign(&a, &draft, true, NOW).await,
            Err(StoreError::NotFound)
        ));
    }
);
