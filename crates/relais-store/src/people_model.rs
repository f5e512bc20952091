//! People as the back office finds, reads, exports and erases them.

/// One event of a person's timeline, newest first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TimelineEntry {
    /// When.
    pub at: i64,
    /// What: `signed`, `confirmed`, `consent_given`, `consent_withdrawn`, `message`, `click`.
    pub kind: String,
    /// About what (a petition's title, a consent's purpose, a message's subject or topic, a link).
    pub subject: String,
    /// More (a signature's status, a consent's wording, a message's status).
    pub detail: String,
}

/// A row of the people list.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct PersonRow {
    /// Supporter id.
    pub id: i64,
    /// Address.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Postcode.
    pub postcode: String,
    /// First contact.
    pub created_at: i64,
    /// Mobile number (E.164), read by the filtered list and its export.
    #[sqlx(default)]
    pub phone: Option<String>,
    /// City, read by the filtered list and its export.
    #[sqlx(default)]
    pub commune: String,
    /// Where the person first came from, read by the filtered list and its export.
    #[sqlx(default)]
    pub source: String,
}

/// One of a person's signatures, as their export shows it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct PersonSignature {
    /// The petition's title.
    pub petition: String,
    /// `pending`, `confirmed` or `invalidated`.
    pub status: String,
    /// Their comment.
    pub comment: Option<String>,
    /// Postcode given.
    pub postcode: String,
    /// Country given.
    pub country: String,
    /// Agreed to news about the petition (as the form said).
    pub consent_updates: bool,
    /// Agreed to the newsletter.
    pub consent_newsletter: bool,
    /// Agreed to appear among recent signers.
    pub show_name: bool,
    /// Channel of the link followed.
    pub source_channel: String,
    /// Site they came from.
    pub referrer_site: String,
    /// When.
    pub created_at: i64,
    /// When confirmed.
    pub confirmed_at: Option<i64>,
}

/// A filter of the people list saved under a name.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SavedSegment {
    /// Row id.
    pub id: i64,
    /// What staff call it ("Bénévoles lyonnais").
    pub name: String,
    /// The people list's query string (`relais_core::segment::SegmentInput`).
    pub query: String,
    /// Who saved it.
    pub created_by: Option<i64>,
    /// When.
    pub created_at: i64,
}

/// Records that may be one person, as the possible-duplicates list shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateGroup {
    /// What they share.
    pub reason: relais_core::merge::DuplicateReason,
    /// Two or more people, oldest record first.
    pub people: Vec<PersonRow>,
}

/// What a person's record holds, as the merge page says before moving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow, serde::Serialize)]
pub struct PersonHoldings {
    /// Signatures.
    pub signatures: i64,
    /// Gifts (any state).
    pub gifts: i64,
    /// Entries of the consent ledger.
    pub consents: i64,
    /// Tags.
    pub tags: i64,
    /// Staff notes.
    pub notes: i64,
}

pub(crate) const SEGMENT_COLUMNS: &str = "id, name, query, created_by, created_at";
