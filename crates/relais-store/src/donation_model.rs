//! Campaigns, gifts and tax receipts as the store returns and accepts them.

use relais_core::gift::Frequency;
use relais_core::money::Money;

/// A donation campaign (`/d/{slug}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    /// Row id.
    pub id: i64,
    /// Owning association.
    pub org_id: i64,
    /// URL slug, unique across the installation.
    pub slug: String,
    /// `draft`, `published` or `closed`.
    pub state: String,
    /// Title.
    pub title: String,
    /// Markdown text.
    pub body: String,
    /// Goal.
    pub goal: Option<Money>,
    /// Suggested amounts, ascending.
    pub amounts: Vec<Money>,
    /// Frequencies offered.
    pub frequencies: Vec<Frequency>,
    /// Thank-you message.
    pub thanks: String,
    /// Paid gifts so far.
    pub raised: Money,
    /// Number of paid gifts.
    pub gifts_count: i64,
    /// The project every gift of this campaign goes to (a restricted campaign).
    pub project_id: Option<i64>,
}

pub(crate) const CAMPAIGN_COLUMNS: &str = "id, org_id, slug, state, title, body, goal_cents, amounts, frequencies, thanks, raised_cents, gifts_count, \
     project_id";

#[derive(sqlx::FromRow)]
pub(crate) struct CampaignRow {
    id: i64,
    org_id: i64,
    slug: String,
    state: String,
    title: String,
    body: String,
    goal_cents: Option<i64>,
    amounts: String,
    frequencies: String,
    thanks: String,
    raised_cents: i64,
    gifts_count: i64,
    project_id: Option<i64>,
}

impl From<CampaignRow> for Campaign {
    fn from(r: CampaignRow) -> Self {
        Self {
            id: r.id,
            org_id: r.org_id,
            slug: r.slug,
            state: r.state,
            title: r.title,
            body: r.body,
            goal: r.goal_cents.map(Money::from_cents),
            amounts: r
                .amounts
                .split(',')
                .filter_map(|c| c.parse().ok())
                .map(Money::from_cents)
                .collect(),
            frequencies: r.frequencies.split(',').filter_map(Frequency::parse).collect(),
            thanks: r.thanks,
            raised: Money::from_cents(r.raised_cents),
            gifts_count: r.gifts_count,
            project_id: r.project_id,
        }
    }
}

/// A gift to record before the donor pays.
#[derive(Debug, Clone)]
pub struct NewGift<'a> {
    /// The campaign (already checked to be published).
    pub campaign: &'a Campaign,
    /// The checked form.
    pub draft: &'a relais_core::gift::GiftDraft,
    /// The donor's language.
    pub locale: &'a str,
    /// `sandbox`, `stripe`…
    pub provider: &'a str,
    /// How the donor pays (`card`, `sepa`…), as the receipt says it.
    pub method: &'a str,
    /// The provider's reference of the payment, unique.
    pub provider_ref: &'a str,
    /// The exact wording of the newsletter box, if ticked.
    pub newsletter_wording: &'a str,
    /// The exact wording of the impact box ("tell me what my gift achieved"), if ticked.
    pub impact_wording: &'a str,
    /// For a monthly gift: the reference of the pledge it opens (this gift is its first collection).
    pub pledge_ref: Option<&'a str>,
    /// The optional tip for the platform's operator, paid with the gift.
    pub tip_cents: i64,
}

/// A gift.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Gift {
    /// Row id.
    pub id: i64,
    /// Association.
    pub org_id: i64,
    /// Campaign.
    pub campaign_id: Option<i64>,
    /// Donor.
    pub supporter_id: i64,
    /// Cents.
    pub amount_cents: i64,
    /// `once` or `monthly`.
    pub frequency: String,
    /// `pending`, `paid`, `failed` or `refunded`.
    pub status: String,
    /// How it was paid.
    pub method: String,
    /// Provider's reference.
    pub provider_ref: String,
    /// Asked for a tax receipt.
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
    /// Paid.
    pub paid_at: Option<i64>,
    /// `sandbox`, `stripe`, `sepa`, `offline`.
    pub provider: String,
    /// The monthly pledge this gift is one collection of.
    pub pledge_id: Option<i64>,
    /// SEPA sequence type of its collection (`FRST`, `RCUR`, `OOFF`, `FNAL`), else empty.
    pub sequence: String,
    /// Why it failed or was returned (a bank's reject code, a provider's reason), else empty.
    pub failure: String,
    /// The provider's id of the payment itself (a Stripe payment intent), for refunds.
    pub provider_payment: Option<String>,
    /// The tip for the platform's operator paid with it: not part of the gift
    /// (not counted, not receipted).
    pub tip_cents: i64,
}

pub(crate) const GIFT_COLUMNS: &str = "id, org_id, campaign_id, supporter_id, amount_cents, frequency, status, method, \
     provider_ref, wants_receipt, first_name, last_name, email, address, postcode, city, country, locale, created_at, \
     paid_at, provider, pledge_id, sequence, failure, provider_payment, tip_cents";

/// [`GIFT_COLUMNS`] qualified by a table alias (`g.id, g.org_id, …`), for joins.
pub(crate) fn gift_columns_of(alias: &str) -> String {
    GIFT_COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A gift and the number of its valid receipt (the accountant's export).
#[derive(sqlx::FromRow)]
pub(crate) struct GiftWithReceipt {
    #[sqlx(flatten)]
    pub gift: Gift,
    pub receipt_number: Option<String>,
}

/// A tax receipt.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Receipt {
    /// Row id.
    pub id: i64,
    /// Association.
    pub org_id: i64,
    /// Year of the gift.
    pub year: i64,
    /// `YYYY-NNNNNN`, sequential without gaps per association and year.
    pub number: String,
    /// The gift.
    pub gift_id: Option<i64>,
    /// Cents receipted.
    pub amount_cents: i64,
    /// Issued.
    pub issued_at: i64,
    /// The donor.
    pub supporter_id: Option<i64>,
    /// `gift` (one gift) or `annual` (every receipted gift of a donor's year).
    pub kind: String,
    /// Cancelled (by a replacement, a refund, a returned debit).
    pub cancelled_at: Option<i64>,
    /// The cancelled receipt this one replaces.
    pub replaces_id: Option<i64>,
}

pub(crate) const RECEIPT_COLUMNS: &str =
    "id, org_id, year, number, gift_id, amount_cents, issued_at, supporter_id, kind, cancelled_at, replaces_id";

/// Corrected donor details, printed on a replacement receipt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DonorCorrection {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Street address.
    pub address: String,
    /// Postcode.
    pub postcode: String,
    /// City.
    pub city: String,
}

/// What an association declares for a year: receipts issued and their total.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReceiptTotal {
    /// Year of the gifts.
    pub year: i64,
    /// Valid receipts (not cancelled).
    pub receipts: i64,
    /// Their total, in cents.
    pub amount_cents: i64,
}

/// Which gifts the back office lists and totals; `None` is "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GiftFilter {
    /// One campaign.
    pub campaign_id: Option<i64>,
    /// `paid`, `pending`, `failed`, `refunded`.
    pub status: Option<String>,
    /// `card`, `sepa`, `cheque`, `cash`, `transfer`.
    pub method: Option<String>,
    /// Paid (or made) at or after (Unix seconds).
    pub from: Option<i64>,
    /// Paid (or made) before (Unix seconds).
    pub to: Option<i64>,
    /// The IANA time zone months are counted in (the association's; empty: UTC).
    pub timezone: String,
}

/// A total of gifts under one label (a month `YYYY-MM`, a campaign, a method).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GiftGroup {
    /// The month, campaign title or method.
    pub label: String,
    /// How many gifts.
    pub gifts: i64,
    /// Their amount.
    pub cents: i64,
}

/// The totals of the filtered gifts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GiftTotals {
    /// How many gifts.
    pub gifts: i64,
    /// Their amount.
    pub cents: i64,
    /// Tips for the platform's operator paid with them (not included in `cents`).
    pub tips_cents: i64,
    /// By month in the filter's time zone, oldest first.
    pub by_month: Vec<GiftGroup>,
    /// By campaign title.
    pub by_campaign: Vec<GiftGroup>,
    /// By payment method.
    pub by_method: Vec<GiftGroup>,
}

/// One of a person's gifts, as their `/me` space lists it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MyGift {
    /// Gift id.
    pub id: i64,
    /// Cents.
    pub amount_cents: i64,
    /// `once` or `monthly`.
    pub frequency: String,
    /// `paid` or `refunded`.
    pub status: String,
    /// Created.
    pub created_at: i64,
    /// Paid.
    pub paid_at: Option<i64>,
    /// The campaign's title.
    pub campaign: String,
    /// Its valid receipt's number.
    pub receipt: Option<String>,
    /// The project it was given to (its campaign's, or the one fixed on it when the
    /// campaign moved since); `None`: unrestricted.
    pub project_id: Option<i64>,
}

/// One of a person's signatures, as their `/me` space lists it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MySignature {
    /// The petition.
    pub petition_id: i64,
    /// Its slug.
    pub slug: String,
    /// Its title.
    pub title: String,
    /// Its state (a victory shows).
    pub state: String,
    /// `pending` or `confirmed`.
    pub status: String,
    /// When.
    pub created_at: i64,
}

/// A batch of gifts received outside Relais, to record whole.
#[derive(Debug, Clone)]
pub struct NewOfflineBatch<'a> {
    /// The form's token: a second submission of the same batch finds the first.
    pub token: &'a str,
    /// The campaign every gift counts on (the association's own).
    pub campaign: &'a Campaign,
    /// `cheque`, `cash` or `transfer`.
    pub method: &'a str,
    /// The deposit slip's number, or empty.
    pub reference: &'a str,
    /// The day the batch was received (`YYYY-MM-DD`).
    pub received_on: &'a str,
    /// The donors' language, for their thank-you e-mails.
    pub locale: &'a str,
    /// The staff member who entered it.
    pub created_by: Option<i64>,
    /// The gifts, each with the time it counts as paid (its receipt's date and year).
    pub gifts: Vec<(&'a relais_core::gift::GiftDraft, i64)>,
}

/// What became of a batch submitted for recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchRecorded {
    /// Recorded now, with this id.
    New(i64),
    /// This very batch (same token) had been recorded before, with this id: nothing changed.
    Already(i64),
}

/// A recorded batch of offline gifts.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OfflineBatch {
    /// Row id.
    pub id: i64,
    /// The campaign its gifts count on.
    pub campaign_id: Option<i64>,
    /// `cheque`, `cash` or `transfer`.
    pub method: String,
    /// The deposit slip's number, or empty.
    pub reference: String,
    /// The day it was received (`YYYY-MM-DD`).
    pub received_on: String,
    /// How many gifts.
    pub gifts_count: i64,
    /// Their total.
    pub total_cents: i64,
    /// Who entered it.
    pub created_by: Option<i64>,
    /// When.
    pub created_at: i64,
}

pub(crate) const OFFLINE_BATCH_COLUMNS: &str =
    "id, campaign_id, method, reference, received_on, gifts_count, total_cents, created_by, created_at";
