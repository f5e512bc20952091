//! Petition, signature and consent data as the store returns and accepts it.

use relais_core::petition::PetitionState;
use relais_core::signature::SignatureDraft;

use crate::NewMessage;

/// A petition.
#[derive(Debug, Clone, PartialEq)]
pub struct Petition {
    /// Row id.
    pub id: i64,
    /// Owning association.
    pub org_id: i64,
    /// URL slug (`/p/{slug}`), unique across the installation.
    pub slug: String,
    /// Life-cycle state.
    pub state: PetitionState,
    /// Title.
    pub title: String,
    /// Markdown text.
    pub body: String,
    /// Decision maker.
    pub target_name: String,
    /// Their role.
    pub target_role: String,
    /// Staff goal.
    pub goal: Option<i64>,
    /// Cause tags.
    pub tags: Vec<String>,
    /// Closing date `YYYY-MM-DD`.
    pub closes_on: Option<String>,
    /// Image file under `media/`.
    pub image_path: Option<String>,
    /// Where it happens: postcode, place name and coordinates, when given.
    pub place: Option<relais_core::petition::PetitionPlace>,
    /// A citizen author's name (proposals from the public).
    pub author_name: Option<String>,
    /// A citizen author's e-mail.
    pub author_email: Option<String>,
    /// Why staff rejected the proposal.
    pub rejection_reason: Option<String>,
    /// Confirmed signatures.
    pub confirmed_count: i64,
    /// Signatures waiting for e-mail confirmation.
    pub pending_count: i64,
    /// Creation time.
    pub created_at: i64,
    /// First publication.
    pub published_at: Option<i64>,
    /// Last edit after publication (the page says so).
    pub edited_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct PetitionRow {
    pub id: i64,
    pub org_id: i64,
    pub slug: String,
    pub state: String,
    pub title: String,
    pub body: String,
    pub target_name: String,
    pub target_role: String,
    pub goal: Option<i64>,
    pub tags: String,
    pub closes_on: Option<String>,
    pub image_path: Option<String>,
    pub place_postcode: Option<String>,
    pub place_name: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub rejection_reason: Option<String>,
    pub confirmed_count: i64,
    pub pending_count: i64,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub edited_at: Option<i64>,
}

pub(crate) const PETITION_COLUMNS: &str = "id, org_id, slug, state, title, body, target_name, target_role, goal, tags, \
     closes_on, image_path, place_postcode, place_name, lat, lon, author_name, author_email, rejection_reason, \
     confirmed_count, pending_count, created_at, published_at, edited_at";

impl TryFrom<PetitionRow> for Petition {
    type Error = crate::StoreError;

    fn try_from(r: PetitionRow) -> Result<Self, Self::Error> {
        let state = PetitionState::parse(&r.state)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("petition {} state", r.id)))?;
        Ok(Self {
            id: r.id,
            org_id: r.org_id,
            slug: r.slug,
            state,
            title: r.title,
            body: r.body,
            target_name: r.target_name,
            target_role: r.target_role,
            goal: r.goal,
            tags: r.tags.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect(),
            closes_on: r.closes_on,
            image_path: r.image_path,
            place: (r.place_postcode.is_some() || r.lat.is_some()).then(|| relais_core::petition::PetitionPlace {
                postcode: r.place_postcode.unwrap_or_default(),
                name: r.place_name.unwrap_or_default(),
                lat: r.lat,
                lon: r.lon,
            }),
            author_name: r.author_name,
            author_email: r.author_email,
            rejection_reason: r.rejection_reason,
            confirmed_count: r.confirmed_count,
            pending_count: r.pending_count,
            created_at: r.created_at,
            published_at: r.published_at,
            edited_at: r.edited_at,
        })
    }
}

/// One signature to record, as the group-commit writer receives it.
#[derive(Debug, Clone)]
pub struct SignRequest {
    /// The petition (already checked to accept signatures).
    pub petition_id: i64,
    /// Its association.
    pub org_id: i64,
    /// The checked fields.
    pub draft: SignatureDraft,
    /// Commune name resolved from the postcode, if any.
    pub commune: String,
    /// Department code, if known.
    pub department: String,
    /// Whether the signer agreed to show their first name and town.
    pub show_name: bool,
    /// Keyed hash of the client address (abuse views without storing the address).
    pub ip_hash: String,
    /// Keyed hash of its network (/24 or /48).
    pub network_hash: String,
    /// Language of the signer.
    pub locale: String,
    /// Exact wording of the updates consent box, recorded when ticked.
    pub updates_wording: String,
    /// Exact wording of the newsletter consent box.
    pub newsletter_wording: String,
    /// The page signed on (consent source).
    pub source: String,
    /// The confirmation e-mail, enqueued only when the signature is new.
    pub confirmation: NewMessage,
    /// This signer's own referral code, for the links they share.
    pub ref_code: String,
    /// How the signer arrived: `facebook`, `whatsapp`, `email`, `widget`… (link or `utm_source`).
    pub source_channel: String,
    /// The site that sent them (`Referer` host), when not ours.
    pub referrer_site: String,
    /// The referral code in the link they followed; unknown codes are ignored.
    pub referred_by_code: Option<String>,
}

/// What became of a sign request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignOutcome {
    /// Recorded; waiting for e-mail confirmation.
    Pending,
    /// This address had signed already (confirmed or not).
    AlreadySigned {
        /// Whether that earlier signature is confirmed.
        confirmed: bool,
        /// The referral code of that earlier signature (for its share links).
        ref_code: String,
    },
}

/// Signature counts of a petition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Confirmed signatures.
    pub confirmed: i64,
    /// Awaiting confirmation.
    pub pending: i64,
}

/// Confirmed signatures by place, largest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Breakdown {
    /// `(country code, count)`.
    pub by_country: Vec<(String, i64)>,
    /// `(department code, count)`, France only.
    pub by_department: Vec<(String, i64)>,
    /// `(postcode, commune, count)`, France only.
    pub by_commune: Vec<(String, String, i64)>,
}

/// The idempotency key of a signature's confirmation e-mail (resends add `:{suffix}`),
/// so invalidation can withdraw the ones still queued.
pub fn confirmation_key(petition_id: i64, email: &str) -> String {
    format!("confirm:{petition_id}:{email}")
}

/// One signature as staff export it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SignatureRecord {
    /// Row id (export order and paging key).
    pub id: i64,
    /// Normalised address.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Postcode.
    pub postcode: String,
    /// Commune, when the postcode names one.
    pub commune: String,
    /// Department code.
    pub department: String,
    /// Country code.
    pub country: String,
    /// Comment.
    pub comment: Option<String>,
    /// Agreed to updates about the petition.
    pub consent_updates: bool,
    /// Agreed to the newsletter.
    pub consent_newsletter: bool,
    /// Agreed to be shown among signers.
    pub show_name: bool,
    /// `pending`, `confirmed` or `invalidated`.
    pub status: String,
    /// Why it was invalidated.
    pub invalidation_reason: Option<String>,
    /// How the signer arrived (channel).
    pub source_channel: String,
    /// The site that sent them.
    pub referrer_site: String,
    /// Whether another signer's link brought them.
    pub referred: bool,
    /// Signing time.
    pub created_at: i64,
    /// Confirmation time.
    pub confirmed_at: Option<i64>,
}

/// What a group of suspicious signatures shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BurstKind {
    /// The same client address (keyed hash).
    Ip,
    /// The same network, /24 or /48 (keyed hash).
    Network,
    /// The same e-mail domain.
    Domain,
    /// The same postcode.
    Postcode,
}

impl BurstKind {
    /// Every kind, in display order.
    pub const ALL: [BurstKind; 4] = [
        BurstKind::Ip,
        BurstKind::Network,
        BurstKind::Domain,
        BurstKind::Postcode,
    ];

    /// Stable name (forms, URLs).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ip => "ip",
            Self::Network => "network",
            Self::Domain => "domain",
            Self::Postcode => "postcode",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The column holding the grouped value (a fixed list: never user input in SQL).
    pub(crate) fn column(self) -> &'static str {
        match self {
            Self::Ip => "ip_hash",
            Self::Network => "network_hash",
            Self::Domain => "email_domain",
            Self::Postcode => "postcode",
        }
    }
}

/// Many signatures sharing one value in a short window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    /// What they share.
    pub kind: BurstKind,
    /// The shared value.
    pub key: String,
    /// How many (not yet invalidated).
    pub count: i64,
    /// First of them.
    pub first_at: i64,
    /// Last of them.
    pub last_at: i64,
}

/// Which signatures to invalidate: sharing `key` as `kind`, made in `[from, to]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidationFilter {
    /// What they share.
    pub kind: BurstKind,
    /// The shared value.
    pub key: String,
    /// Window start (Unix seconds, inclusive).
    pub from: i64,
    /// Window end (inclusive).
    pub to: i64,
}

/// A supporter: one person per e-mail address per association.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Supporter {
    /// Row id.
    pub id: i64,
    /// Normalised address.
    pub email: String,
    /// First name (as first given).
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Postcode.
    pub postcode: String,
    /// Country code.
    pub country: String,
    /// Language.
    pub locale: String,
    /// First contact.
    pub created_at: i64,
    /// Mobile number (E.164), when the person gave one; read by the queries that need it.
    #[sqlx(default)]
    pub phone: Option<String>,
    /// Street address (the person's page reads it; lists do not).
    #[sqlx(default)]
    pub address: String,
    /// City.
    #[sqlx(default)]
    pub commune: String,
    /// Latitude (WGS84), from the postcode.
    #[sqlx(default)]
    pub latitude: Option<f64>,
    /// Longitude (WGS84).
    #[sqlx(default)]
    pub longitude: Option<f64>,
    /// Where the person first came from: `petition`, `gift`, `newsletter`, `import:<id>`.
    #[sqlx(default)]
    pub source: String,
    /// How they like to be reached (`email,sms`).
    #[sqlx(default)]
    pub preferred_channels: String,
}

/// One entry of the consent ledger.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Consent {
    /// `email`, `sms`…
    pub channel: String,
    /// `newsletter`, `petition:{id}:updates`…
    pub purpose: String,
    /// Given (true) or withdrawn (false).
    pub granted: bool,
    /// The exact words the person agreed to.
    pub wording: String,
    /// The page it was given on.
    pub source: String,
    /// When.
    pub created_at: i64,
}

/// A recent signer who agreed to be shown.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecentSigner {
    /// First name.
    pub first_name: String,
    /// Town, if known.
    pub commune: String,
    /// When they signed.
    pub created_at: i64,
}

/// Where a petition's valid signatures came from, for the back office's charts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sources {
    /// Width of the time buckets, seconds (an hour for a young petition, else a day).
    pub bucket_secs: i64,
    /// `(bucket start, channel, signatures)`, oldest first; `""` is no channel (direct).
    pub over_time: Vec<(i64, String, i64)>,
    /// `(channel, signatures, of which brought by a signer's link)`, largest first.
    pub by_channel: Vec<(String, i64, i64)>,
    /// `(first name, last name, signatures brought)`: the ten best recruiters.
    pub recruiters: Vec<(String, String, i64)>,
    /// Valid (not invalidated) signatures.
    pub signatures: i64,
}
