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
use relais_store::{Campaign, Gift, NewGift, Org};

use crate::extract::{ClientIp, Lang};
use crate::gift_mail::TAX_REDUCTION_PERCENT;
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
}

/// The frequencies a donor can choose: a campaign may ask for monthly giving, but
/// until a provider collects it every month (card subscriptions, SEPA runs) only
/// one-off gifts are taken, so nobody believes they give monthly when they do not.
fn offered(campaign: &Campaign) -> Vec<Frequency> {
    campaign
        .frequencies
        .iter()
        .copied()
        .filter(|f| *f == Frequency::Once)
        .collect()
}

impl DonateTemplate {
    fn offers(&self, f: &str) -> bool {
        offered(&self.campaign).iter().any(|x| x.as_str() == f)
    }

    fn chosen(&self, value: &str) -> bool {
        self.form.gift.amount == value
    }
}

/// A suggested amount as the form sends it back (`20`, `12,50`): what the
/// amount parser reads, without losing cents.
fn amount_value(m: Money) -> String {
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
    let mut form = GiftForm::default();
    form.gift.frequency = "once".into();
    form.gift.amount = middle_amount(&campaign).map_or_else(|| "other".to_owned(), amount_value);
    form.gift.receipt = if org.tax_eligible { "on".into() } else { String::new() };
    let page_ = donate_page(&state, campaign, org, lang, Errors::default(), form);
    Ok(crate::routes::public::public_page(page(&page_)?, "no-store"))
}

/// `POST /d/{slug}`: checks the gift, records it as pending and sends the donor to
/// the payment provider's page.
pub(crate) async fn give(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    Form(form): Form<GiftForm>,
) -> Result<Response, AppError> {
    let (campaign, org) = public_campaign(&state, &slug).await?;
    state.limits.signing(ip)?;
    let locale = lang.or(org.locale());
    let mut input = form.input();
    if !org.tax_eligible {
        // No receipt can be issued: the address stays optional.
        input.receipt = String::new();
    }
    let draft = match input.parse(&offered(&campaign), MIN_GIFT, MAX_GIFT, locale) {
        Ok(draft) => draft,
        Err(field_errors) => {
            let t = state.tr(locale);
            let errors = Errors::from_fields(&t, &field_errors);
            return refused(&donate_page(&state, campaign, org, lang, errors, form));
        }
    };
    let t = state.tr(locale);
    let provider_ref = format!("sandbox_{}", relais_store::random_token());
    let gift = state
        .store
        .start_gift(
            &NewGift {
                campaign: &campaign,
                draft: &draft,
                locale: locale.code(),
                provider: "sandbox",
                method: if draft.frequency == Frequency::Monthly {
                    "sepa"
                } else {
                    "card"
                },
                provider_ref: &provider_ref,
                newsletter_wording: &t.arg("sign-consent-newsletter", "org", &org.name),
            },
            crate::now(),
        )
        .await?;
    tracing::info!(org = org.id, gift = gift.id, "gift started");
    Ok(Redirect::to(&format!("/d/{}/sandbox/{}", campaign.slug, gift.provider_ref)).into_response())
}

#[derive(Template)]
#[template(path = "donate_sandbox.html")]
struct SandboxTemplate {
    c: Chrome,
    amount: String,
    monthly: bool,
    action: String,
}

async fn pending_gift(state: &AppState, slug: &str, reference: &str) -> Result<(Campaign, Org, Gift), AppError> {
    let (campaign, org) = public_campaign(state, slug).await?;
    let gift = state
        .store
        .gift_by_ref(reference)
        .await?
        .filter(|g| g.campaign_id == Some(campaign.id) && reference.starts_with("sandbox_"))
        .ok_or(AppError::NotFound)?;
    Ok((campaign, org, gift))
}

/// `GET /d/{slug}/sandbox/{ref}`: the demonstration provider's page.
pub(crate) async fn sandbox(
    State(state): State<Shared>,
    Path((slug, reference)): Path<(String, String)>,
    lang: Lang,
) -> Result<Response, AppError> {
    let (campaign, org, gift) = pending_gift(&state, &slug, &reference).await?;
    if gift.status != "pending" {
        return Ok(Redirect::to(&format!("/d/{}/merci/{}", campaign.slug, gift.provider_ref)).into_response());
    }
    let t = state.tr(lang.or(org.locale()));
    let c = Chrome::new(t.clone(), t.get("sandbox-title"), &format!("/d/{slug}"));
    let locale = t.locale;
    page(&SandboxTemplate {
        amount: Money::from_cents(gift.amount_cents).format(locale),
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
    let (campaign, _, gift) = pending_gift(&state, &slug, &reference).await?;
    match form.outcome.as_str() {
        "paid" => {
            if let Some((gift, receipt)) = state.store.complete_gift(&gift.provider_ref, crate::now()).await? {
                tracing::info!(gift = gift.id, receipt = receipt.map(|r| r.number), "gift paid");
            }
        }
        "failed" => {
            state.store.fail_gift(&gift.provider_ref).await?;
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
    paid: bool,
    text: String,
    receipt: Option<String>,
}

/// `GET /d/{slug}/merci/{ref}`.
pub(crate) async fn thanks(
    State(state): State<Shared>,
    Path((slug, reference)): Path<(String, String)>,
    lang: Lang,
) -> Result<Response, AppError> {
    let (campaign, org, gift) = pending_gift(&state, &slug, &reference).await?;
    let t = state.tr(lang.or(org.locale()));
    let paid = gift.status == "paid";
    let title = if paid {
        "donate-thanks-title"
    } else {
        "donate-failed-title"
    };
    let mut c = Chrome::new(t.clone(), t.get(title), &format!("/d/{slug}"));
    c.brand = Some(Brand::of(&org));
    let locale: Locale = t.locale;
    let text = if paid {
        t.args(
            "donate-thanks-text",
            &[
                ("amount", &Money::from_cents(gift.amount_cents).format(locale)),
                ("email", &gift.email),
            ],
        )
    } else {
        t.get("donate-failed-text")
    };
    let receipt = match state.store.receipt_of(gift.id).await? {
        Some(r) if paid => Some(t.arg("donate-thanks-receipt", "number", &r.number)),
        _ => None,
    };
    page(&ThanksTemplate {
        c,
        campaign,
        paid,
        text,
        receipt,
    })
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
