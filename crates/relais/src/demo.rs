//! `serve --demo`: a demo association to look around, seeded once into an empty
//! database.

use relais_core::petition::{PetitionInput, PetitionState};
use relais_core::settings::SettingsInput;
use relais_core::{Email, Slug};
use relais_store::{DynStore, NewOrg, StoreResult};

/// The demo association's slug.
pub const SLUG: &str = "demo";
/// The demo owner's address.
pub const OWNER: &str = "demo@relais.invalid";

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
    if let Ok(draft) = campaign.parse() {
        store.create_campaign(&access, &draft, true, now).await?;
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
