//! Giving: the campaign page (`/d/{slug}`), the gift form, the sandbox payment
//! provider (served by Relais itself: no network, used by `serve --demo` and the
//! tests), and the thank-you page. A gift counts once its payment is confirmed;
//! the thank-you e-mail and the tax receipt follow from that confirmation.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::Locale;
use relais_core::gift::{Frequency, GiftInput, MAX_GIFT, MIN_GIFT};
use relais_core::money::{Money, cost_after_reduction};
use relais_payments::Checkout;
use relais_store::{Campaign, Gift, NewGift, Org};

use crate::extract::{ClientIp, Lang};
use crate::gift_mail::TAX_REDUCTION_PERCENT;
use crate::payments::{self, Method, Offer};
use crate::render::{Brand, Chrome, Errors, page, refused};
use crate::{AppError, AppState, Shared};

/// The form as sent: DESIGN's fields, plus the radio of suggested amounts whose
/// "other" choice points at `amount_other`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct GiftForm {
    #[serde(flatten)]
    pub gift: GiftInput,
    pub amount_other: String,
    /// `card` or `sepa` (direct debit); empty: the first the association offers.
    pub method: String,
    /// The tip for the platform's operator, in euros (empty or `0`: none).
    pub tip: String,
}

impl GiftForm {
    fn input(&self) -> GiftInput {
        let mut input = self.gift.clone();
        if input.amount == "other" || input.amount.is_empty() {
            input.amount = self.amount_other.clone();
        }
        input
    }
}

#[derive(Template)]
#[template(path = "donate.html")]
struct DonateTemplate {
    c: Chrome,
    campaign: Campaign,
    org: Org,
    body_html: String,
    raised: String,
    goal: Option<String>,
    percent: i64,
    amounts: Vec<(String, String)>,
    tax_note: Option<String>,
    errors: Errors,
    form: GiftForm,
    offer: Offer,
    /// The operator donors may tip, and the amounts offered (value, label).
    tip: Option<(String, Vec<(String, String)>)>,
    /// The published project every gift of this campaign goes to.
    project: Option<relais_store::Project>,
}

/// The frequencies a donor can choose: what the campaign asks for and a provider
/// of the association can collect (monthly giving needs card subscriptions or
/// SEPA runs), so nobody believes they give monthly when they do not.
fn offered(campaign: &Campaign, offer: &Offer) -> Vec<Frequency> {
    campaign
        .frequencies
        .iter()
        .copied()
        .filter(|f| offer.takes(*f))
        .collect()
}

impl DonateTemplate {
    fn offers(&self, f: &str) -> bool {
        offered(&self.campaign, &self.offer).iter().any(|x| x.as_str() == f)
    }

    /// The association takes gifts online at all.
    fn open(&self) -> bool {
        !offered(&self.campaign, &self.offer).is_empty()
    }

    fn card(&self) -> bool {
        self.offer.card.is_some()
    }

    fn tip_chosen(&self, value: &str) -> bool {
        self.form.tip == value || (value == "0" && self.form.tip.is_empty())
    }

    fn method_chosen(&self, m: &str) -> bool {
        self.form.method == m || (self.form.method.is_empty() && m == "card" && self.card())
    }

    fn chosen(&self, value: &str) -> bool {
        self.form.gift.amount == value
    }
}

/// A suggested amount as the form sends it back (`20`, `12,50`): what the
/// amount parser reads, without losing cents.
pub(crate) fn amount_value(m: Money) -> String {
    if m.cents() % 100 == 0 {
        (m.cents() / 100).to_string()
    } else {
        format!("{},{:02}", m.cents() / 100, m.cents() % 100)
    }
}

/// The middle suggested amount: chosen by default, and the page's tax example,
/// since most donors keep what is offered.
fn middle_amount(campaign: &Campaign) -> Option<Money> {
    campaign.amounts.get(campaign.amounts.len() / 2).copied()
}

/// A published campaign and its association.
async fn public_campaign(state: &AppState, slug: &str) -> Result<(Campaign, Org), AppError> {
    let campaign = state
        .store
        .campaign_by_slug(slug)
        .await?
        .filter(|c| c.state == "published")
        .ok_or(AppError::NotFound)?;
    let org = state
        .store
        .org_by_id(campaign.org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((campaign, org))
}

fn donate_page(
    state: &AppState,
    campaign: Campaign,
    org: Org,
    lang: Lang,
    errors: Errors,
    form: GiftForm,
    offer: Offer,
) -> DonateTemplate {
    let t = state.tr(lang.or(org.locale()));
    let mut c = Chrome::new(t.clone(), campaign.title.clone(), &format!("/d/{}", campaign.slug));
    c.brand = Some(Brand::of(&org));
    let locale = t.locale;
    let percent = campaign
        .goal
        .filter(|g| g.cents() > 0)
        .map_or(0, |g| (campaign.raised.cents() * 100 / g.cents()).min(100));
    // The example the page gives: the middle suggested amount, or 50 €.
    let example = middle_amount(&campaign).unwrap_or(Money::from_cents(5_000));
    let tax_note = org.tax_eligible.then(|| {
        t.args(
            "donate-tax-note",
            &[
                ("amount", &example.format(locale)),
                (
                    "cost",
                    &cost_after_reduction(example, TAX_REDUCTION_PERCENT).format(locale),
                ),
                ("rate", &TAX_REDUCTION_PERCENT.to_string()),
            ],
        )
    });
    DonateTemplate {
        body_html: relais_core::markdown::to_safe_html(&campaign.body),
        raised: campaign.raised.format(locale),
        goal: campaign.goal.map(|g| g.format(locale)),
        percent,
        amounts: campaign
            .amounts
            .iter()
            .map(|m| (amount_value(*m), m.format(locale)))
            .collect(),
        tax_note,
        errors,
        form,
        offer,
        tip: state.config.tip_operator.clone().map(|operator| {
            let choices = relais_core::gift::TIP_CHOICES
                .iter()
                .map(|c| ((c / 100).to_string(), Money::from_cents(*c).format(locale)))
                .collect();
            (operator, choices)
        }),
        project: None,
        c,
        campaign,
        org,
    }
}

/// `GET /d/{slug}`.
pub(crate) async fn show(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
) -> Result<Response, AppError> {
    let (campaign, org) = public_campaign(&state, &slug).await?;
    let offer = payments::offer(&state, org.id).await?;
    let mut form = GiftForm::default();
    form.gift.frequency = offered(&campaign, &offer).first().map_or("once", |f| f.as_str()).into();
    form.gift.amount = middle_amount(&campaign).map_or_else(|| "other".to_owned(), amount_value);
    form.gift.receipt = if org.tax_eligible { "on".into() } else { String::new() };
    let project = crate::routes::project::of_campaign(&state, &campaign).await?;
    let mut page_ = donate_page(&state, campaign, org, lang, Errors::default(), form, offer);
    page_.project = project;
    Ok(crate::routes::public::public_page(page(&page_)?, "no-store"))
}

/// `POST /d/{slug}`: checks the gift, records it as pending and sends the donor to
/// the payment provider's page (Stripe Checkout, the SEPA mandate form, the sandbox).
pub(crate) async fn give(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    Form(form): Form<GiftForm>,
) -> Result<Response, AppError> {
    let (campaign, org) = public_campaign(&state, &slug).await?;
    state.limits.signing(ip)?;
    let offer = payments::offer(&state, org.id).await?;
    let locale = lang.or(org.locale());
    let t = state.tr(locale);
    let mut input = form.input();
    if !org.tax_eligible {
        // No receipt can be issued: the address stays optional.
        input.receipt = String::new();
    }
    let project = crate::routes::project::of_campaign(&state, &campaign).await?;
    let refuse = |errors: Errors, form: GiftForm, offer: Offer| {
        let mut page_ = donate_page(&state, campaign.clone(), org.clone(), lang, errors, form, offer);
        page_.project = project.clone();
        refused(&page_)
    };
    // The association's cap, if it set one, else Relais's.
    let max = offer.settings.max_gift_cents.map_or(MAX_GIFT, Money::from_cents);
    let draft = match input.parse(&offered(&campaign, &offer), MIN_GIFT, max, locale) {
        Ok(draft) => draft,
        Err(field_errors) => return refuse(Errors::from_fields(&t, &field_errors), form, offer),
    };
    // The tip: only where the operator asks for one, only with a one-off gift.
    let tip = match relais_core::gift::parse_tip(&form.tip) {
        Some(none) if none.cents() == 0 => none,
        Some(tip) if state.config.tip_operator.is_some() && draft.frequency == Frequency::Once => tip,
        Some(_) => return refuse(Errors::one("tip", t.get("donate-tip-once-only")), form, offer),
        None => return refuse(Errors::one("tip", t.get("donate-tip-invalid")), form, offer),
    };
    let methods = offer.methods(draft.frequency);
    let method = match Method::parse(&form.method) {
        Some(m) if methods.contains(&m) => m,
        None if form.method.is_empty() && !methods.is_empty() => methods[0],
        _ => return refuse(Errors::one("method", t.get("donate-method-unavailable")), form, offer),
    };
    let provider = payments::provider(&state, &offer, method, &campaign.slug);
    let provider_ref = payments::gift_reference(provider.name());
    let pledge_ref = (draft.frequency == Frequency::Monthly).then(payments::pledge_reference);
    // The ledger keeps the exact words next to the box: the label and what it promises.
    let impact_wording = format!(
        "{} — {}",
        t.get("donate-consent-impact"),
        t.get("donate-consent-impact-hint")
    );
    let gift = state
        .store
        .start_gift(
            &NewGift {
                campaign: &campaign,
                draft: &draft,
                locale: locale.code(),
                provider: provider.name(),
                method: method.as_str(),
                provider_ref: &provider_ref,
                newsletter_wording: &t.arg("sign-consent-newsletter", "org", &org.name),
                impact_wording: &impact_wording,
                pledge_ref: pledge_ref.as_deref(),
                tip_cents: tip.cents(),
            },
            crate::now(),
        )
        .await?;
    tracing::info!(org = org.id, gift = gift.id, provider = provider.name(), "gift started");
    let success = state
        .config
        .link(&format!("/d/{}/merci/{}", campaign.slug, gift.provider_ref));
    let cancel = state.config.link(&format!("/d/{}", campaign.slug));
    let tip_label = state
        .config
        .tip_operator
        .as_deref()
        .map(|operator| t.arg("donate-tip-line", "operator", operator))
        .unwrap_or_default();
    let checkout = Checkout {
        reference: &gift.provider_ref,
        pledge: pledge_ref.as_deref(),
        amount_cents: gift.amount_cents,
        tip_cents: gift.tip_cents,
        tip_label: &tip_label,
        description: &campaign.title,
        email: &gift.email,
        locale: locale.code(),
        success_url: &success,
        cancel_url: &cancel,
    };
    match provider.start(&checkout).await {
        Ok(started) => Ok(Redirect::to(&started.url).into_response()),
        Err(e) => {
            // Nothing was charged: the gift is marked failed and the form comes back filled in.
            tracing::warn!(org = org.id, gift = gift.id, error = %e, "payment provider refused to start");
            state
                .store
                .fail_gift(&gift.provider_ref, "provider unavailable")
                .await?;
            refuse(Errors::one("method", t.get("donate-provider-down")), form, offer)
        }
    }
}

#[derive(Template)]
#[template(path = "donate_sandbox.html")]
struct SandboxTemplate {
    c: Chrome,
    amount: String,
    monthly: bool,
    action: String,
}

/// A gift made on this campaign (its reference is an unguessable token).
pub(crate) async fn gift_of(state: &AppState, slug: &str, reference: &str) -> Result<(Campaign, Org, Gift), AppError> {
    let (campaign, org) = public_campaign(state, slug).await?;
    let gift = state
        .store
        .gift_by_ref(reference)
        .await?
        .filter(|g| g.campaign_id == Some(campaign.id))
        .ok_or(AppError::NotFound)?;
    Ok((campaign, org, gift))
}

/// A gift the sandbox may settle: made through it, on an installation that allows it.
async fn sandbox_gift(state: &AppState, slug: &str, reference: &str) -> Result<(Campaign, Org, Gift), AppError> {
    let found = gift_of(state, slug, reference).await?;
    if found.2.provider != "sandbox" || !state.config.sandbox_payments {
        return Err(AppError::NotFound);
    }
    Ok(found)
}

/// `GET /d/{slug}/sandbox/{ref}`: the demonstration provider's page.
pub(crate) async fn sandbox(
    State(state): State<Shared>,
    Path((slug, reference)): Path<(String, String)>,
    lang: Lang,
) -> Result<Response, AppError> {
    let (campaign, org, gift) = sandbox_gift(&state, &slug, &reference).await?;
    if gift.status != "pending" {
        return Ok(Redirect::to(&format!("/d/{}/merci/{}", campaign.slug, gift.provider_ref)).into_response());
    }
    let t = state.tr(lang.or(org.locale()));
    let c = Chrome::new(t.clone(), t.get("sandbox-title"), &format!("/d/{slug}"));
    let locale = t.locale;
    page(&SandboxTemplate {
        amount: if gift.tip_cents > 0 {
            t.args(
                "sandbox-amount-tip",
                &[
                    (
                        "total",
                        &Money::from_cents(gift.amount_cents + gift.tip_cents).format(locale),
                    ),
                    ("tip", &Money::from_cents(gift.tip_cents).format(locale)),
                ],
            )
        } else {
            Money::from_cents(gift.amount_cents).format(locale)
        },
        monthly: gift.frequency == "monthly",
        action: format!("/d/{}/sandbox/{}", campaign.slug, gift.provider_ref),
        c,
    })
}

#[derive(serde::Deserialize)]
pub(crate) struct SandboxForm {
    outcome: String,
}

/// `POST /d/{slug}/sandbox/{ref}` (`outcome=paid|failed`): what a provider's
/// confirmation does. Repeating it changes nothing.
pub(crate) async fn sandbox_outcome(
    State(state): State<Shared>,
    Path((slug, reference)): Path<(String, String)>,
    Form(form): Form<SandboxForm>,
) -> Result<Response, AppError> {
    let (campaign, _, gift) = sandbox_gift(&state, &slug, &reference).await?;
    match form.outcome.as_str() {
        "paid" => {
            if let Some((gift, receipt)) = state.store.complete_gift(&gift.provider_ref, crate::now()).await? {
                tracing::info!(gift = gift.id, receipt = receipt.map(|r| r.number), "gift paid");
            }
        }
        "failed" => {
            state
                .store
                .fail_gift(&gift.provider_ref, "declined on the sandbox page")
                .await?;
        }
        _ => return Err(AppError::BadRequest("outcome must be paid or failed".into())),
    }
    Ok(Redirect::to(&format!("/d/{}/merci/{}", campaign.slug, gift.provider_ref)).into_response())
}

#[derive(Template)]
#[template(path = "donate_thanks.html")]
struct ThanksTemplate {
    c: Chrome,
    campaign: Campaign,
    /// `paid`, `failed` or `pending` (waiting for the provider or the next SEPA run).
    status: &'static str,
    text: String,
    receipt: Option<String>,
    monthly: Option<String>,
    /// Reload link while a card payment is being confirmed.
    reload: Option<String>,
}

/// `GET /d/{slug}/merci/{ref}`: where providers send the donor back.
pub(crate) async fn thanks(
    State(state): State<Shared>,
    Path((slug, reference)): Path<(String, String)>,
    lang: Lang,
) -> Result<Response, AppError> {
    let (campaign, org, gift) = gift_of(&state, &slug, &reference).await?;
    let t = state.tr(lang.or(org.locale()));
    let locale: Locale = t.locale;
    let amount = Money::from_cents(gift.amount_cents).format(locale);
    let mandate = if gift.provider == "sepa" {
        state.store.mandate_of_gift(gift.id).await?
    } else {
        None
    };
    let (status, title, text) = match (gift.status.as_str(), &mandate) {
        ("paid", _) => (
            "paid",
            "donate-thanks-title",
            t.args("donate-thanks-text", &[("amount", &amount), ("email", &gift.email)]),
        ),
        ("pending", Some(m)) => (
            "pending",
            "donate-mandate-title",
            t.args(
                "donate-mandate-text",
                &[
                    ("amount", &amount),
                    ("reference", &m.reference),
                    (
                        "account",
                        &relais_core::iban::Iban::parse(&m.iban).map_or_else(|_| String::new(), |i| i.masked()),
                    ),
                    ("email", &gift.email),
                ],
            ),
        ),
        // The donor has not signed the mandate yet: back to the form.
        ("pending", None) if gift.provider == "sepa" => {
            return Ok(Redirect::to(&format!("/d/{}/mandat/{}", campaign.slug, gift.provider_ref)).into_response());
        }
        ("pending", None) => ("pending", "donate-confirming-title", t.get("donate-confirming-text")),
        _ => ("failed", "donate-failed-title", t.get("donate-failed-text")),
    };
    let text = match (&state.config.tip_operator, gift.tip_cents) {
        (Some(operator), tip) if tip > 0 && status != "failed" => format!(
            "{text} {}",
            t.args(
                "donate-tip-thanks",
                &[("tip", &Money::from_cents(tip).format(locale)), ("operator", operator)]
            )
        ),
        _ => text,
    };
    let mut c = Chrome::new(t.clone(), t.get(title), &format!("/d/{slug}"));
    c.brand = Some(Brand::of(&org));
    let receipt = match state.store.receipt_of(gift.id).await? {
        Some(r) if status == "paid" => Some(t.arg("donate-thanks-receipt", "number", &r.number)),
        _ => None,
    };
    let monthly =
        (gift.pledge_id.is_some() && status != "failed").then(|| t.arg("donate-monthly-note", "amount", &amount));
    let reload =
        (status == "pending" && mandate.is_none()).then(|| format!("/d/{}/merci/{}", campaign.slug, gift.provider_ref));
    Ok(crate::routes::public::public_page(
        page(&ThanksTemplate {
            c,
            campaign,
            status,
            text,
            receipt,
            monthly,
            reload,
        })?,
        "no-store",
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggested_amounts_keep_their_cents() {
        use relais_core::money::{Money, parse_amount};
        for cents in [2_000, 1_250, 5, 100_000] {
            let m = Money::from_cents(cents);
            assert_eq!(parse_amount(&super::amount_value(m)), Ok(m));
        }
    }
}
