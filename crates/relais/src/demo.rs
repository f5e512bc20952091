//! `serve --demo`: a demo association to look around, seeded once into an empty
//! database.

use relais_core::petition::{PetitionInput, PetitionState};
use relais_core::settings::SettingsInput;
use relais_core::{Email, Slug};
use relais_store::{DynStore, NewOrg, OrgAccess, StoreResult};

/// The demo association's slug.
pub const SLUG: &str = "demo";
/// The demo owner's address.
pub const OWNER: &str = "demo@relais.invalid";
/// The demo project's slug.
pub const PROJECT: &str = "puits-kpalime";

const DAY: i64 = 86_400;

/// Seeds the demo association if the database has none; returns its owner's id
/// when it did (so the caller prints a login link), `None` when data existed.
pub async fn seed(store: &DynStore) -> StoreResult<Option<(i64, i64)>> {
    if !store.list_orgs().await?.is_empty() {
        return Ok(None);
    }
    let now = jiff::Timestamp::now().as_second();
    // These literals are valid; parse failures here would be a bug caught by tests.
    let (Ok(slug), Ok(owner)) = (Slug::parse(SLUG), Email::parse(OWNER)) else {
        return Ok(None);
    };
    let org = NewOrg {
        slug,
        name: "Les Amis du Puits".into(),
        contact_email: owner.clone(),
    };
    let (org, user) = store.create_org(&org, &owner, now).await?;
    let settings = SettingsInput {
        name: "Les Amis du Puits".into(),
        slug: SLUG.into(),
        contact_email: "contact@amis-du-puits.invalid".into(),
        primary_color: "#0f5f8a".into(),
        accent_color: "#9a3412".into(),
        legal_name: "Association Les Amis du Puits".into(),
        rna: "W751234567".into(),
        address: "12 rue de la Fontaine, 75011 Paris".into(),
        purpose: "Donner accès à l’eau potable aux villages du Togo, puits après puits.".into(),
        tax_eligible: Some("on".into()),
        timezone: "Europe/Paris".into(),
        default_locale: "fr".into(),
        ..Default::default()
    };
    let access = store.operator_access(SLUG).await?;
    if let Ok(valid) = settings.parse() {
        store.update_settings(&access, &valid, now).await?;
    }
    let petition = PetitionInput {
        title: "Un puits pour l’école de Kpalimé".into(),
        slug: "puits-kpalime".into(),
        body: "Les 450 élèves de l’école primaire de Kpalimé marchent chaque jour **deux heures** pour \
               chercher de l’eau.\n\nNous demandons à la préfecture d’autoriser le forage d’un puits sur le \
               terrain de l’école, financé par nos donateurs.\n\n- un puits de 40 mètres\n- une pompe à main\n\
               - un comité de l’eau formé par les parents"
            .into(),
        target_name: "M. le Préfet".into(),
        target_role: "Préfet de la région des Plateaux".into(),
        goal: "1000".into(),
        tags: "eau, éducation".into(),
        ..Default::default()
    };
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    if let Ok(draft) = petition.parse(today) {
        store
            .create_petition(&access, &draft, PetitionState::Published, Some(user.id), now)
            .await?;
    }
    // A campaign the sandbox provider pays: the whole gift flow works offline.
    let campaign = relais_core::gift::CampaignInput {
        title: "Financer le forage du puits de Kpalimé".into(),
        slug: "puits".into(),
        body: "Le forage et la pompe coûtent **12 000 €**. Chaque don rapproche l’eau de l’école.".into(),
        goal: "12000".into(),
        amounts: "20, 50, 100".into(),
        once: "on".into(),
        monthly: "on".into(),
        thanks: "Grâce à vous, 450 élèves auront de l’eau potable à l’école.".into(),
    };
    let project = seed_project(store, &access, user.id, now).await?;
    if let Ok(mut draft) = campaign.parse() {
        // Every gift to the demo campaign funds the demo project.
        draft.project_id = project;
        let campaign = store.create_campaign(&access, &draft, true, now).await?;
        seed_gifts(
            store,
            &campaign,
            &[("2500", 50), ("1000", 21), ("500", 9), ("100", 6), ("50", 3), ("20", 1)],
            now,
        )
        .await?;
    }
    // Unrestricted gifts, part of which staff allocated to the project: the
    // allocation form has something left to work with.
    let general = relais_core::gift::CampaignInput {
        title: "Soutenir Les Amis du Puits".into(),
        slug: "soutenir".into(),
        body: "Vos dons libres financent les puits là où le besoin est le plus grand.".into(),
        amounts: "20, 50, 100".into(),
        once: "on".into(),
        ..Default::default()
    };
    if let (Ok(draft), Some(project)) = (general.parse(), project) {
        let campaign = store.create_campaign(&access, &draft, true, now).await?;
        seed_gifts(
            store,
            &campaign,
            &[("1500", 45), ("2000", 30), ("500", 20), ("80", 2)],
            now,
        )
        .await?;
        let allocation = relais_store::NewAllocation {
            amount: relais_core::money::Money::from_cents(300_000),
            label: "Dons de l’hiver",
            criteria: relais_store::AllocationCriteria {
                from: now - 60 * DAY,
                until: now,
                campaign_id: Some(campaign.id),
            },
        };
        // The demo's own gifts cover it; a refusal would only leave the project without it.
        let _ = store
            .allocate(&access, project, &allocation, Some(user.id), now)
            .await?;
    }
    // Direct debit with the example creditor identifier and account of the SEPA
    // documentation: donors sign mandates, staff prepare a bank file to look at.
    let payments = relais_store::PaymentSettings {
        sepa_creditor_id: "FR72ZZZ123456".into(),
        sepa_iban: "FR7630006000011234567890189".into(),
        sepa_bic: "AGRIFRPP".into(),
        ..Default::default()
    };
    store.save_payment_settings(&access, &payments, now).await?;
    Ok(Some((user.id, org.id)))
}

/// The well the demo association is digging: published, under way, with its
/// figures and the first lines of its ledger. Returns its id.
async fn seed_project(store: &DynStore, access: &OrgAccess, user_id: i64, now: i64) -> StoreResult<Option<i64>> {
    use relais_core::ledger::ExpenseInput;
    use relais_core::project::{ProjectInput, Stage, parse_figures};
    let input = ProjectInput {
        title: "Puits de Kpalimé".into(),
        slug: PROJECT.into(),
        body: "Un forage de **40 mètres** et une pompe à main sur le terrain de l’école primaire de Kpalimé, \
               au Togo. Un comité de l’eau formé par les parents en assure l’entretien.\n\nChaque dépense est \
               publiée ci-dessous, ligne par ligne."
            .into(),
        budget: "12000".into(),
        place_label: "Kpalimé, Togo".into(),
        latitude: "6.9".into(),
        longitude: "0.633".into(),
        ..Default::default()
    };
    let Ok(draft) = input.parse() else { return Ok(None) };
    let project = store.create_project(access, &draft, Some(user_id), now).await?;
    store.publish_project(access, project.id, true, now).await?;
    let news = relais_store::NewProjectUpdate {
        body: "La foreuse est arrivée à Kpalimé\u{a0}: le forage a commencé. Les parents d’élèves ont formé le \
               comité de l’eau qui entretiendra la pompe.",
        photo: None,
        stage: Some(Stage::UnderWay),
        figures: None,
        tell: false,
    };
    store
        .add_project_update(access, project.id, &news, Some(user_id), now)
        .await?;
    let row = |label: &str, value: &str, unit: &str| (label.to_owned(), value.to_owned(), unit.to_owned());
    if let Ok(figures) = parse_figures(&[
        row("élèves auront l’eau à l’école", "450", ""),
        row("litres d’eau potable", "3000", "par jour"),
        row("mètres de forage", "40", ""),
    ]) {
        store.set_project_figures(access, project.id, &figures, now).await?;
    }
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    for (days_ago, category, label, amount) in [
        (40, "studies", "Étude hydrogéologique du terrain", "850"),
        (12, "equipment", "Location de la foreuse, 10 jours", "2400"),
        (5, "materials", "Ciment et tubage PVC", "1350,50"),
    ] {
        let spent_on = today.checked_sub(jiff::Span::new().days(days_ago)).unwrap_or(today);
        let expense = ExpenseInput {
            spent_on: spent_on.to_string(),
            category: category.into(),
            label: label.into(),
            amount: amount.into(),
        };
        if let Ok(draft) = expense.parse(today, relais_core::Locale::Fr) {
            store
                .add_expense(access, project.id, &draft, Some(user_id), now)
                .await?;
        }
    }
    Ok(Some(project.id))
}

/// Paid gifts of `(euros, days ago)` from demo donors on a `.invalid` address, so
/// nothing is ever sent to them.
async fn seed_gifts(
    store: &DynStore,
    campaign: &relais_store::Campaign,
    gifts: &[(&str, i64)],
    now: i64,
) -> StoreResult<()> {
    use relais_core::gift::{Frequency, GiftInput, MAX_GIFT, MIN_GIFT};
    for (i, (euros, days_ago)) in gifts.iter().enumerate() {
        let input = GiftInput {
            amount: (*euros).into(),
            frequency: "once".into(),
            first_name: "Donateur".into(),
            last_name: format!("de démonstration {}", i + 1),
            email: format!("donateur-{}-{i}@demo.invalid", campaign.slug),
            ..Default::default()
        };
        let Ok(draft) = input.parse(&[Frequency::Once], MIN_GIFT, MAX_GIFT, relais_core::Locale::Fr) else {
            continue;
        };
        let reference = format!("demo_{}_{i}", campaign.slug);
        let paid_at = now - days_ago * DAY;
        let gift = relais_store::NewGift {
            campaign,
            draft: &draft,
            locale: "fr",
            provider: "offline",
            method: "cheque",
            provider_ref: &reference,
            newsletter_wording: "",
            impact_wording: "",
            pledge_ref: None,
            tip_cents: 0,
        };
        store.start_gift(&gift, paid_at).await?;
        store.complete_gift_at(&reference, paid_at, now).await?;
    }
    Ok(())
}
