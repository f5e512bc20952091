//! The provider trait: what the giving pages ask of a payment provider. A gift is
//! recorded as pending by Relais first; the provider then gives the page where
//! the donor pays, and its confirmation (a webhook, a bank file, a form) later
//! turns the pending gift into a paid one.

/// What the donor is about to pay, as the provider needs to know it.
#[derive(Debug, Clone)]
pub struct Checkout<'a> {
    /// Relais's own reference for the gift (unique; sent back by the provider).
    pub reference: &'a str,
    /// Relais's reference for the monthly pledge this first payment opens.
    pub pledge: Option<&'a str>,
    /// The amount in cents of euros.
    pub amount_cents: i64,
    /// A tip for the platform's operator paid with it (0: none), on its own line.
    pub tip_cents: i64,
    /// What the tip's line says.
    pub tip_label: &'a str,
    /// What the donor sees on the provider's page: the campaign's title.
    pub description: &'a str,
    pub email: &'a str,
    /// `fr` or `en`: the provider's page speaks the donor's language.
    pub locale: &'a str,
    /// Where the provider sends the donor after paying (absolute URL).
    pub success_url: &'a str,
    /// Where the provider sends the donor who gives up (absolute URL).
    pub cancel_url: &'a str,
}

/// Where the donor goes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// The provider's page (absolute for external providers).
    pub url: String,
    /// The provider's id for this payment attempt (a Checkout Session id), when it has one.
    pub session: Option<String>,
}

/// Why a provider could not start or stop a payment.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The association has not configured this provider.
    #[error("this payment method is not configured")]
    NotConfigured,
    /// The provider answered with an error (its message, safe to log: no secret in it).
    #[error("the payment provider refused: {0}")]
    Refused(String),
    /// The provider could not be reached or answered something unreadable.
    #[error("the payment provider is unreachable: {0}")]
    Unreachable(String),
}

/// A payment provider.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// The name stored with each gift (`stripe`, `sepa`, `sandbox`).
    fn name(&self) -> &'static str;

    /// Opens a payment (one-off, or the first of a monthly pledge) and says where the donor goes.
    async fn start(&self, checkout: &Checkout<'_>) -> Result<Started, PaymentError>;

    /// Stops a monthly pledge at the provider, at once: no further collection.
    /// Idempotent: stopping a stopped pledge succeeds.
    async fn cancel_recurring(&self, provider_id: &str) -> Result<(), PaymentError>;
}

/// A provider whose page Relais serves itself (the sandbox, the SEPA mandate
/// form): nothing to call, the donor goes to a page of ours.
pub struct LocalPage {
    name: &'static str,
    url: String,
}

impl LocalPage {
    /// A local provider named `name` whose page for a gift is `url_prefix` + the gift's reference.
    pub fn new(name: &'static str, url_prefix: impl Into<String>) -> Self {
        Self {
            name,
            url: url_prefix.into(),
        }
    }
}

#[async_trait::async_trait]
impl Provider for LocalPage {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn start(&self, checkout: &Checkout<'_>) -> Result<Started, PaymentError> {
        Ok(Started {
            url: format!("{}{}", self.url, checkout.reference),
            session: None,
        })
    }

    async fn cancel_recurring(&self, _provider_id: &str) -> Result<(), PaymentError> {
        // Nothing runs outside Relais: a cancelled pledge is simply never collected again.
        Ok(())
    }
}
