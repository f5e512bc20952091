//! The SEPA direct-debit mandate a donor signs online (`/d/{slug}/mandat/{ref}`):
//! the association's creditor details, the regulated mandate text, the donor's
//! account. Once signed, the gift waits for the association's next collection run.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::iban::{Bic, Iban, SepaError};
use relais_core::money::Money;
use relais_store::{Campaign, Gift, NewMandate, Org, StoreError};

use crate::extract::{ClientIp, Lang};
use crate::i18n::Tr;
use crate::render::{Brand, Chrome, Errors, page, refused};
use crate::routes::donate::gift_of;
use crate::{AppError, AppState, Shared};

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct MandateForm {
    pub account_holder: String,
    pub iban: String,
    pub bic: String,
    pub accept: String,
}

#[derive(Template)]
#[template(path = "donate_mandate.html")]
struct MandateTemplate {
    c: Chrome,
    action: String,
    creditor: String,
    creditor_address: String,
    creditor_id: String,
    amount: String,
    monthly: bool,
    wording: String,
    errors: Errors,
    form: MandateForm,
}

/// The creditor's name as the bank and the debtor see it.
fn creditor_name(org: &Org) -> &str {
    if org.legal_name.is_empty() {
        &org.name
    } else {
        &org.legal_name
    }
}

/// The mandate text (the EPC's regulated wording), as shown and as recorded.
fn wording(t: &Tr, org: &Org) -> String {
    t.arg("mandate-wording", "creditor", creditor_name(org))
}

/// A SEPA gift still waiting for its mandate.
async fn unsigned(state: &AppState, slug: &str, reference: &str) -> Result<(Campaign, Org, Gift), AppError> {
    let found = gift_of(state, slug, reference).await?;
    if found.2.provider != "sepa" {
        return Err(AppError::NotFound);
    }
    Ok(found)
}

async fn mandate_page(
    state: &AppState,
    org: &Org,
    campaign: &Campaign,
    gift: &Gift,
    lang: Lang,
    errors: Errors,
    form: MandateForm,
) -> Result<MandateTemplate, AppError> {
    let t = state.tr(lang.or(org.locale()));
    let settings = state.store.payment_settings(org.id).await?;
    let mut c = Chrome::new(t.clone(), t.get("mandate-title"), &format!("/d/{}", campaign.slug));
    c.brand = Some(Brand::of(org));
    Ok(MandateTemplate {
        action: format!("/d/{}/mandat/{}", campaign.slug, gift.provider_ref),
        creditor: creditor_name(org).to_owned(),
        creditor_address: org.address.clone(),
        creditor_id: settings.sepa_creditor_id,
        amount: Money::from_cents(gift.amount_cents).format(t.locale),
        monthly: gift.pledge_id.is_some(),
        wording: wording(&t, org),
        errors,
        form,
        c,
    })
}

/// `GET /d/{slug}/mandat/{ref}`.
pub(crate) async fn show(
    State(state): State<Shared>,
    Path((slug, reference)): Path<(String, String)>,
    lang: Lang,
) -> Result<Response, AppError> {
    let (campaign, org, gift) = unsigned(&state, &slug, &reference).await?;
    if gift.status != "pending" || state.store.mandate_of_gift(gift.id).await?.is_some() {
        return Ok(Redirect::to(&format!("/d/{}/merci/{}", campaign.slug, gift.provider_ref)).into_response());
    }
    let form = MandateForm {
        account_holder: format!("{} {}", gift.first_name, gift.last_name),
        ..Default::default()
    };
    let template = mandate_page(&state, &org, &campaign, &gift, lang, Errors::default(), form).await?;
    Ok(crate::routes::public::public_page(page(&template)?, "no-store"))
}

fn sepa_message(t: &Tr, e: &SepaError) -> String {
    t.get(match e {
        SepaError::Checksum => "mandate-iban-checksum",
        SepaError::UnknownCountry(_) => "mandate-iban-country",
        SepaError::WrongLength { .. } => "mandate-iban-length",
        SepaError::BadBic => "mandate-bic-invalid",
        _ => "mandate-iban-invalid",
    })
}

/// `POST /d/{slug}/mandat/{ref}`: checks the account and records the mandate.
pub(crate) async fn sign(
    State(state): State<Shared>,
    Path((slug, reference)): Path<(String, String)>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    Form(form): Form<MandateForm>,
) -> Result<Response, AppError> {
    let (campaign, org, gift) = unsigned(&state, &slug, &reference).await?;
    state.limits.signing(ip)?;
    let t = state.tr(lang.or(org.locale()));
    let mut errors = Errors::default();
    let holder = form.account_holder.trim();
    if holder.is_empty() || holder.chars().count() > 70 {
        errors = errors.with("account_holder", t.get("mandate-holder-required"));
    }
    let iban = Iban::parse(&form.iban);
    if let Err(e) = &iban {
        errors = errors.with("iban", sepa_message(&t, e));
    }
    let bic = if form.bic.trim().is_empty() {
        Ok(None)
    } else {
        Bic::parse(&form.bic).map(Some)
    };
    if let Err(e) = &bic {
        errors = errors.with("bic", sepa_message(&t, e));
    }
    if form.accept.is_empty() {
        errors = errors.with("accept", t.get("mandate-accept-required"));
    }
    let (Ok(iban), Ok(bic)) = (iban, bic) else {
        return refused(&mandate_page(&state, &org, &campaign, &gift, lang, errors, form).await?);
    };
    if !errors.is_empty() {
        return refused(&mandate_page(&state, &org, &campaign, &gift, lang, errors, form).await?);
    }
    let reference_ = format!("RLS{}", relais_store::random_token()[..16].to_uppercase());
    let signed = state
        .store
        .sign_mandate(
            &gift.provider_ref,
            &NewMandate {
                reference: &reference_,
                debtor_name: holder,
                iban: iban.as_str(),
                bic: bic.as_ref().map_or("", |b| b.as_str()),
                wording: &wording(&t, &org),
                ip_hash: &state.signer.fingerprint(&ip.to_string()),
            },
            crate::now(),
        )
        .await;
    match signed {
        Ok(m) => tracing::info!(org = org.id, gift = gift.id, mandate = m.id, "mandate signed"),
        // Signed already (a second tab, a double click): the thank-you page says so.
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("/d/{}/merci/{}", campaign.slug, gift.provider_ref)).into_response())
}
