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
    pub confirmed_count: i64,
    pub pending_count: i64,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub edited_at: Option<i64>,
}

pub(crate) const PETITION_COLUMNS: &str = "id, org_id, slug, state, title, body, target_name, target_role, goal, tags, \
     closes_on, image_path, confirmed_count, pending_count, created_at, published_at, edited_at";

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
}

/// What became of a sign request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOutcome {
    /// Recorded; waiting for e-mail confirmation.
    Pending,
    /// This address had signed already (confirmed or not).
    AlreadySigned {
        /// Whether that earlier signature is confirmed.
        confirmed: bool,
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
