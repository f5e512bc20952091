//! Which ways to pay an association offers its donors, and the provider behind each.
//!
//! Cards go to Stripe when the association configured its keys, else to the
//! sandbox page when this installation allows it (demos, tests); direct debit
//! is offered when the association entered its SEPA creditor details. Monthly
//! giving needs a provider that collects every month: Stripe or SEPA.

use relais_core::gift::Frequency;
use relais_payments::Provider;
use relais_payments::provider::LocalPage;
use relais_payments::stripe::Stripe;
use relais_store::PaymentSettings;

use crate::{AppError, AppState};

/// Who takes card payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardVia {
    Stripe,
    Sandbox,
}

/// A way to pay, as the gift form names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Card,
    Sepa,
}

impl Method {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "card" => Some(Self::Card),
            "sepa" => Some(Self::Sepa),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::Sepa => "sepa",
        }
    }
}

/// What an association's donors can use.
#[derive(Debug, Clone)]
pub(crate) struct Offer {
    pub settings: PaymentSettings,
    pub card: Option<CardVia>,
    pub sepa: bool,
}

impl Offer {
    /// The methods that can take a gift of this frequency, cards first.
    pub(crate) fn methods(&self, frequency: Frequency) -> Vec<Method> {
        let mut out = Vec::new();
        let card_ok = match frequency {
            Frequency::Once => self.card.is_some(),
            // The sandbox cannot collect next month: it would be a promise nobody keeps.
            Frequency::Monthly => self.card == Some(CardVia::Stripe),
        };
        if card_ok {
            out.push(Method::Card);
        }
        if self.sepa {
            out.push(Method::Sepa);
        }
        out
    }

    /// Whether a frequency can be given at all.
    pub(crate) fn takes(&self, frequency: Frequency) -> bool {
        !self.methods(frequency).is_empty()
    }
}

/// The association's offer.
pub(crate) async fn offer(state: &AppState, org_id: i64) -> Result<Offer, AppError> {
    let settings = state.store.payment_settings(org_id).await?;
    let card = if settings.stripe_enabled() {
        Some(CardVia::Stripe)
    } else if state.config.sandbox_payments {
        Some(CardVia::Sandbox)
    } else {
        None
    };
    let sepa = settings.sepa_enabled();
    Ok(Offer { settings, card, sepa })
}

/// The association's Stripe account.
pub(crate) fn stripe(state: &AppState, settings: &PaymentSettings) -> Stripe {
    Stripe::new(
        &state.config.stripe_api_url,
        &settings.stripe_secret_key,
        state.http.clone(),
    )
}

/// The provider for a method, with the name stored on the gift.
pub(crate) fn provider(state: &AppState, offer: &Offer, method: Method, slug: &str) -> Box<dyn Provider> {
    match (method, offer.card) {
        (Method::Sepa, _) => Box::new(LocalPage::new("sepa", format!("/d/{slug}/mandat/"))),
        (Method::Card, Some(CardVia::Stripe)) => Box::new(stripe(state, &offer.settings)),
        (Method::Card, _) => Box::new(LocalPage::new("sandbox", format!("/d/{slug}/sandbox/"))),
    }
}

/// A fresh reference for a gift paid through `provider`. SEPA references are
/// end-to-end ids in the bank file: short, upper-case, within 35 characters.
pub(crate) fn gift_reference(provider: &str) -> String {
    let token = relais_store::random_token();
    match provider {
        "sepa" => format!("S{}", token[..20].to_uppercase()),
        "stripe" => format!("g_{}", &token[..32]),
        _ => format!("sandbox_{token}"),
    }
}

/// A fresh pledge reference (monthly SEPA collections append `-YYYYMM`).
pub(crate) fn pledge_reference() -> String {
    format!("P{}", relais_store::random_token()[..16].to_uppercase())
}
