//! Rows of monthly giving and SEPA direct debit: the association's payment
//! settings, pledges, mandates and collection runs.

/// How an association takes payments. Empty strings mean "not configured".
#[derive(Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentSettings {
    /// Stripe secret key (`sk_live_…`, `sk_test_…`, or a restricted `rk_…`).
    pub stripe_secret_key: String,
    /// The signing secret of the association's Stripe webhook endpoint (`whsec_…`).
    pub stripe_webhook_secret: String,
    /// SEPA creditor identifier (ICS in France).
    pub sepa_creditor_id: String,
    /// The account collections are paid into.
    pub sepa_iban: String,
    /// Its bank's BIC.
    pub sepa_bic: String,
    /// `per_gift` (a receipt with each gift) or `annual` (one per donor and year, in January).
    pub receipt_mode: String,
    /// The largest gift the form takes, when the association sets one.
    pub max_gift_cents: Option<i64>,
}

impl std::fmt::Debug for PaymentSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach a log line.
        f.debug_struct("PaymentSettings")
            .field("stripe", &self.stripe_enabled())
            .field("sepa", &self.sepa_enabled())
            .finish()
    }
}

impl PaymentSettings {
    /// One receipt per donor and year rather than one per gift.
    pub fn annual_receipts(&self) -> bool {
        self.receipt_mode == "annual"
    }

    /// Card payments through Stripe are configured.
    pub fn stripe_enabled(&self) -> bool {
        !self.stripe_secret_key.is_empty() && !self.stripe_webhook_secret.is_empty()
    }

    /// SEPA direct debit is configured.
    pub fn sepa_enabled(&self) -> bool {
        !self.sepa_creditor_id.is_empty() && !self.sepa_iban.is_empty() && !self.sepa_bic.is_empty()
    }
}

pub(crate) const PLEDGE_COLUMNS: &str = "id, org_id, campaign_id, supporter_id, reference, amount_cents, method, \
     provider, provider_id, status, wants_receipt, first_name, last_name, email, address, postcode, city, country, \
     locale, created_at, activated_at, cancelled_at, cancelled_by";

/// A monthly gift: a promise collected every month until cancelled.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Pledge {
    /// Row id.
    pub id: i64,
    /// Association.
    pub org_id: i64,
    /// Campaign it was made on.
    pub campaign_id: Option<i64>,
    /// Donor.
    pub supporter_id: i64,
    /// Relais's reference (in the provider's metadata, in cancellation links).
    pub reference: String,
    /// Cents a month.
    pub amount_cents: i64,
    /// `card` or `sepa`.
    pub method: String,
    /// `stripe`, `sepa`, `sandbox`.
    pub provider: String,
    /// The provider's id: a Stripe subscription, a SEPA mandate reference.
    pub provider_id: Option<String>,
    /// `pending` (not paid yet), `active`, `cancelled`.
    pub status: String,
    /// Receipts asked for.
    pub wants_receipt: bool,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Address.
    pub email: String,
    /// Street address.
    pub address: String,
    /// Postcode.
    pub postcode: String,
    /// City.
    pub city: String,
    /// Country.
    pub country: String,
    /// Language.
    pub locale: String,
    /// Created.
    pub created_at: i64,
    /// First payment confirmed.
    pub activated_at: Option<i64>,
    /// Cancelled.
    pub cancelled_at: Option<i64>,
    /// Who cancelled: `donor`, `staff`, `provider`.
    pub cancelled_by: String,
}

/// A SEPA mandate signed online.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Mandate {
    /// Row id.
    pub id: i64,
    /// Association.
    pub org_id: i64,
    /// Debtor.
    pub supporter_id: i64,
    /// The monthly pledge it pays, if any.
    pub pledge_id: Option<i64>,
    /// Unique mandate reference (RUM).
    pub reference: String,
    /// Account holder.
    pub debtor_name: String,
    /// Debtor's IBAN (compact).
    pub iban: String,
    /// Debtor's BIC, or empty.
    pub bic: String,
    /// The mandate text the debtor accepted.
    pub wording: String,
    /// Signed (Unix seconds).
    pub signed_at: i64,
    /// `active` or `revoked`.
    pub status: String,
    /// Collections paid on it.
    pub collected: i64,
    /// The next collection is the last one (`FNAL`).
    pub final_requested: bool,
}

pub(crate) const MANDATE_COLUMNS: &str = "id, org_id, supporter_id, pledge_id, reference, debtor_name, iban, bic, \
     wording, signed_at, status, collected, final_requested";

/// A mandate to record, once the debtor has accepted it.
#[derive(Debug, Clone)]
pub struct NewMandate<'a> {
    /// Unique reference chosen by the caller.
    pub reference: &'a str,
    /// Account holder.
    pub debtor_name: &'a str,
    /// Checked IBAN, compact.
    pub iban: &'a str,
    /// Checked BIC, or empty.
    pub bic: &'a str,
    /// The exact mandate text shown.
    pub wording: &'a str,
    /// Keyed hash of the signer's address.
    pub ip_hash: &'a str,
}

/// A collection run: one pain.008 file sent to the bank.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SepaRun {
    /// Row id.
    pub id: i64,
    /// Association.
    pub org_id: i64,
    /// The file's message id.
    pub message_id: String,
    /// Requested collection date, `YYYY-MM-DD`.
    pub collection_date: String,
    /// `prepared` or `settled`.
    pub status: String,
    /// Debits in the file.
    pub debits: i64,
    /// Their total.
    pub total_cents: i64,
    /// Created.
    pub created_at: i64,
    /// Settled.
    pub settled_at: Option<i64>,
}

pub(crate) const RUN_COLUMNS: &str =
    "id, org_id, message_id, collection_date, status, debits, total_cents, created_at, settled_at";

/// One debit of a run, with what the pain.008 file needs.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RunDebit {
    /// The gift collected.
    pub gift_id: i64,
    /// End-to-end id (the gift's reference).
    pub provider_ref: String,
    /// Cents debited: the gift and its tip, if any.
    pub amount_cents: i64,
    /// `FRST`, `RCUR`, `OOFF`, `FNAL`.
    pub sequence: String,
    /// Mandate reference.
    pub mandate_reference: String,
    /// Mandate signature time.
    pub signed_at: i64,
    /// Account holder.
    pub debtor_name: String,
    /// IBAN.
    pub iban: String,
    /// BIC or empty.
    pub bic: String,
    /// The campaign's title (remittance information).
    pub campaign: String,
    /// `pending`, `paid`, `failed`, `refunded`.
    pub status: String,
    /// Reject reason, if any.
    pub failure: String,
}
