//! Messages to a segment as the store returns and accepts them, with their figures.

use relais_core::message::{MessageDraft, MessageState};

/// The segment a message goes to, as saved with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageSegment<'a> {
    /// The people list's query string (empty: everyone who agreed).
    pub query: &'a str,
    /// The saved segment's name, if it came from one.
    pub name: &'a str,
}

/// A message to a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Row id.
    pub id: i64,
    /// Owning association.
    pub org_id: i64,
    /// Subject, text, HTML part and purpose.
    pub draft: MessageDraft,
    /// The people list's query string it goes to.
    pub segment_query: String,
    /// The saved segment's name, if any.
    pub segment_name: String,
    /// Where it is.
    pub state: MessageState,
    /// When it leaves (or left).
    pub scheduled_at: Option<i64>,
    /// Copies enqueued so far.
    pub fanout_total: i64,
    /// When every recipient had a copy in the outbox.
    pub fanout_done_at: Option<i64>,
    /// Staff member who wrote it.
    pub created_by: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

pub(crate) const MESSAGE_COLUMNS: &str = "id, org_id, subject, body, send_html, purpose, segment_query, segment_name, \
     state, scheduled_at, fanout_total, fanout_done_at, created_by, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    id: i64,
    org_id: i64,
    subject: String,
    body: String,
    send_html: bool,
    purpose: String,
    segment_query: String,
    segment_name: String,
    state: String,
    scheduled_at: Option<i64>,
    fanout_total: i64,
    fanout_done_at: Option<i64>,
    created_by: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<MessageRow> for Message {
    type Error = crate::StoreError;

    fn try_from(r: MessageRow) -> Result<Self, Self::Error> {
        Ok(Self {
            state: MessageState::parse(&r.state)
                .ok_or_else(|| crate::StoreError::Corrupt(format!("message state {}", r.state)))?,
            id: r.id,
            org_id: r.org_id,
            draft: MessageDraft {
                subject: r.subject,
                body: r.body,
                html: r.send_html,
                purpose: r.purpose,
            },
            segment_query: r.segment_query,
            segment_name: r.segment_name,
            scheduled_at: r.scheduled_at,
            fanout_total: r.fanout_total,
            fanout_done_at: r.fanout_done_at,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// What became of a message's copies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageStats {
    /// Copies enqueued (people of the segment who agreed when it left).
    pub recipients: i64,
    /// Copies delivered.
    pub sent: i64,
    /// Copies given up on.
    pub failed: i64,
    /// Copies waiting to leave (or being retried).
    pub pending: i64,
    /// Copies not sent: consent withdrawn or person erased after enqueuing.
    pub cancelled: i64,
    /// People who withdrew their consent from this message's links.
    pub unsubscribes: i64,
    /// Clicks on its links.
    pub clicks: i64,
    /// People who clicked at least once.
    pub clickers: i64,
}

/// What the renderer needs about one recipient of a message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MessageRecipient {
    /// The supporter.
    pub supporter_id: i64,
    /// Address.
    pub email: String,
    /// Merge fields.
    pub first_name: String,
    /// Merge fields.
    pub last_name: String,
    /// Merge fields.
    pub postcode: String,
    /// Their language.
    pub locale: String,
    /// Whether they may still be written to: not erased, and the ledger's latest
    /// word for e-mail and the message's purpose is a yes.
    pub deliverable: bool,
}

/// One step of a message's fan-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageFanOut {
    /// The message.
    pub message_id: i64,
    /// Copies enqueued by this step.
    pub enqueued: u64,
    /// Whether every recipient now has a copy.
    pub done: bool,
}
