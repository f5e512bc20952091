//! Petition posts (updates, responses, victories, milestones) as the store returns
//! and accepts them, with their delivery figures.

use relais_core::post::{PostDraft, PostKind};

/// A post to record.
#[derive(Debug, Clone)]
pub struct NewPost<'a> {
    /// The petition it is about.
    pub petition_id: i64,
    /// Checked content.
    pub draft: &'a PostDraft,
    /// Image under `media/`.
    pub image_path: Option<&'a str>,
    /// Attached document under `media/` and the name it was uploaded with.
    pub document: Option<(&'a str, &'a str)>,
    /// Staff member who wrote it.
    pub created_by: Option<i64>,
}

/// A post on a petition.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// Row id.
    pub id: i64,
    /// Owning association.
    pub org_id: i64,
    /// The petition.
    pub petition_id: i64,
    /// What it is.
    pub kind: PostKind,
    /// Markdown text (empty for milestones: their wording is Relais's).
    pub body: String,
    /// Image under `media/`.
    pub image_path: Option<String>,
    /// Document under `media/`.
    pub document_path: Option<String>,
    /// The document's name as uploaded.
    pub document_name: Option<String>,
    /// When the decision maker answered, `YYYY-MM-DD`.
    pub responded_on: Option<String>,
    /// The step passed (milestones).
    pub milestone: Option<i64>,
    /// The next step to aim for (milestones).
    pub next_milestone: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Recipients queued so far (the post's recipients once the fan-out is done).
    pub fanout_total: i64,
    /// When every recipient was queued.
    pub fanout_done_at: Option<i64>,
    /// Recipients still in the post's queue, not yet moved to the outbox.
    pub queue_left: i64,
}

pub(crate) const POST_COLUMNS: &str = "id, org_id, petition_id, kind, body, image_path, document_path, document_name, \
     responded_on, milestone, next_milestone, created_at, fanout_total, fanout_done_at, queue_left";

#[derive(sqlx::FromRow)]
pub(crate) struct PostRow {
    id: i64,
    org_id: i64,
    petition_id: i64,
    kind: String,
    body: String,
    image_path: Option<String>,
    document_path: Option<String>,
    document_name: Option<String>,
    responded_on: Option<String>,
    milestone: Option<i64>,
    next_milestone: Option<i64>,
    created_at: i64,
    fanout_total: i64,
    fanout_done_at: Option<i64>,
    queue_left: i64,
}

impl TryFrom<PostRow> for Post {
    type Error = crate::StoreError;

    fn try_from(r: PostRow) -> Result<Self, Self::Error> {
        Ok(Self {
            kind: PostKind::parse(&r.kind)
                .ok_or_else(|| crate::StoreError::Corrupt(format!("post kind {}", r.kind)))?,
            id: r.id,
            org_id: r.org_id,
            petition_id: r.petition_id,
            body: r.body,
            image_path: r.image_path,
            document_path: r.document_path,
            document_name: r.document_name,
            responded_on: r.responded_on,
            milestone: r.milestone,
            next_milestone: r.next_milestone,
            created_at: r.created_at,
            fanout_total: r.fanout_total,
            fanout_done_at: r.fanout_done_at,
            queue_left: r.queue_left,
        })
    }
}

/// A post with what became of its messages, for the back office.
#[derive(Debug, Clone, PartialEq)]
pub struct PostStats {
    /// The post.
    pub post: Post,
    /// Messages waiting to leave (or being retried), recipients still in the
    /// post's queue included.
    pub pending: i64,
    /// Messages delivered.
    pub sent: i64,
    /// Messages given up on.
    pub failed: i64,
    /// Messages not sent because the recipient withdrew consent or the signature was invalidated.
    pub cancelled: i64,
    /// Clicks on the links of its messages.
    pub clicks: i64,
    /// Recipients who clicked at least once.
    pub clickers: i64,
}

/// What the renderer needs about one recipient of a post.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PostRecipient {
    /// The supporter (for the unsubscribe link and click counts).
    pub supporter_id: i64,
    /// Address.
    pub email: String,
    /// First name, for the greeting.
    pub first_name: String,
    /// Language of the signature.
    pub locale: String,
    /// Their referral code (personal share links).
    pub ref_code: String,
    /// Whether they may still be written to: the signature is confirmed and the
    /// consent ledger's latest word for this petition's updates is a yes.
    pub deliverable: bool,
}

/// One step of a post's fan-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanOut {
    /// The post.
    pub post_id: i64,
    /// Messages enqueued by this step.
    pub enqueued: u64,
    /// Whether every recipient now has a message.
    pub done: bool,
}

/// A consent given or withdrawn outside a form that records its own (an
/// unsubscribe link, its undo button), for the ledger.
#[derive(Debug, Clone)]
pub struct ConsentChange<'a> {
    /// The association the signed link names.
    pub org_id: i64,
    /// The person.
    pub supporter_id: i64,
    /// `email` or `sms`.
    pub channel: &'a str,
    /// What for (`petition:7:updates`, `newsletter`…).
    pub purpose: &'a str,
    /// Given (true) or withdrawn (false).
    pub granted: bool,
    /// The words the person acted on.
    pub wording: &'a str,
    /// Where it happened (page or header).
    pub source: &'a str,
    /// Keyed hash of the client address.
    pub ip_hash: &'a str,
}
