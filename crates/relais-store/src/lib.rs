//! The Relais store: one trait per aggregate ([`OrgStore`], [`StaffStore`],
//! [`OutboxStore`]), implemented for SQLite ([`SqliteStore`]) and PostgreSQL
//! ([`PgStore`]). Both implementations expand the same SQL from one macro per
//! aggregate, so the backends cannot drift; only the statements whose dialects
//! really differ (claiming outbox rows) are written twice.

mod access;
mod allocations;
mod api_keys;
mod cohorts;
pub mod donation_model;
mod donations;
mod error;
mod funding_changes;
mod gift_search;
mod giving;
pub mod giving_model;
mod impact;
pub mod impact_model;
pub mod import_model;
mod imports;
mod me;
pub mod me_model;
mod merge;
pub mod message_model;
mod messages;
mod migrate;
pub mod model;
mod orgs;
mod outbox;
mod people;
pub mod people_model;
pub mod petition_model;
mod petitions;
pub mod post_model;
mod postgres;
mod posts;
pub mod project_model;
mod project_updates;
mod projects;
mod receipts;
mod retention;
mod segments;
mod sepa;
mod sign_batch;
mod sqlite;
mod staff;
mod store_impl;
mod supporters;
#[cfg(feature = "test-support")]
pub mod testing;
mod write_tx;
mod writer;

use std::sync::Arc;

use async_trait::async_trait;
use relais_core::backoff::Retry;
use relais_core::settings::Settings;
use relais_core::{Email, Role};

pub use access::{OrgAccess, SelfAccess};
pub use donation_model::{
    BatchRecorded, Campaign, DonorCorrection, Gift, GiftFilter, GiftGroup, GiftTotals, MyGift, MySignature, NewGift,
    NewOfflineBatch, OfflineBatch, Receipt, ReceiptTotal,
};
pub use error::{StoreError, StoreResult};
pub use giving_model::{Mandate, NewMandate, PaymentSettings, Pledge, RunDebit, SepaRun};
pub use impact_model::{
    ApiKey, ImpactCount, ImpactRecipient, OutcomeReceipt, OutcomeReport, ProjectShare, StoredOutcome,
};
pub use import_model::{ChunkCounts, Import, ImportChunk, ImportPlan, NewImport, Refusal};
pub use me_model::{MyAllocation, MyPetitionPost};
pub use message_model::{Message, MessageFanOut, MessageRecipient, MessageSegment, MessageStats};
pub use model::*;
pub use people_model::{DuplicateGroup, PersonHoldings, PersonRow, PersonSignature, SavedSegment, TimelineEntry};
pub use petition_model::{
    Breakdown, Burst, BurstKind, Consent, Counts, InvalidationFilter, Petition, RecentSigner, SignOutcome, SignRequest,
    SignatureRecord, Sources, Supporter, confirmation_key,
};
pub use post_model::{ConsentChange, FanOut, NewPost, Post, PostRecipient, PostStats};
pub use postgres::PgStore;
pub use project_model::{
    Allocatable, Allocation, AllocationBatch, AllocationCriteria, Expense, NewAllocation, NewProjectUpdate, Project,
    ProjectCampaign, ProjectPage, ProjectPhoto, ProjectTotals, ProjectUpdate,
};
pub use sqlite::SqliteStore;
pub use writer::{MAX_BATCH, SignWriter};

/// Associations.
#[async_trait]
pub trait OrgStore: Send + Sync {
    /// Creates an association with `owner` as its first owner, in one transaction.
    async fn create_org(&self, org: &NewOrg, owner: &Email, now: i64) -> StoreResult<(Org, User)>;
    /// Public lookup by slug (public pages).
    async fn org_by_slug(&self, slug: &str) -> StoreResult<Option<Org>>;
    /// Public lookup by id (a petition's association, for its page).
    async fn org_by_id(&self, id: i64) -> StoreResult<Option<Org>>;
    /// The association an access is for.
    async fn org(&self, access: &OrgAccess) -> StoreResult<Org>;
    /// Every association, by name (the home page of a multi-association install).
    async fn list_orgs(&self) -> StoreResult<Vec<Org>>;
    /// Saves edited settings; [`StoreError::Conflict`] when the slug is taken.
    async fn update_settings(&self, access: &OrgAccess, settings: &Settings, now: i64) -> StoreResult<Org>;
    /// Records the logo file (under the data folder's `media/`), or removes it.
    async fn set_logo(&self, access: &OrgAccess, logo_path: Option<&str>, now: i64) -> StoreResult<()>;
}

/// Staff accounts, memberships, one-time links and sessions.
#[async_trait]
pub trait StaffStore: Send + Sync {
    /// Finds the account of `email`, creating it when new.
    async fn upsert_user(&self, email: &Email, now: i64) -> StoreResult<User>;
    /// Account by address.
    async fn user_by_email(&self, email: &Email) -> StoreResult<Option<User>>;
    /// Account by id.
    async fn user(&self, user_id: i64) -> StoreResult<Option<User>>;
    /// Sets (or clears) the password hash and signs the person out everywhere else.
    async fn set_password_hash(&self, user_id: i64, hash: Option<&str>) -> StoreResult<()>;
    /// Records a successful sign-in.
    async fn record_login(&self, user_id: i64, now: i64) -> StoreResult<()>;
    /// The tenancy guard: an [`OrgAccess`] when `user_id` is staff of `org_id`.
    async fn authorise(&self, user_id: i64, org_id: i64) -> StoreResult<Option<OrgAccess>>;
    /// Owner-level access for the operator (command line, demo seeding).
    async fn operator_access(&self, org_slug: &str) -> StoreResult<OrgAccess>;
    /// Every association a person belongs to, by name.
    async fn memberships(&self, user_id: i64) -> StoreResult<Vec<Membership>>;
    /// Staff of the association.
    async fn members(&self, access: &OrgAccess) -> StoreResult<Vec<Member>>;
    /// Adds `email` as staff with `role` (or changes the role of existing staff), issues
    /// a sign-in link and enqueues the invitation, all in one transaction.
    async fn invite(
        &self,
        access: &OrgAccess,
        email: &Email,
        role: Role,
        link: &NewLoginToken,
        message: &NewMessage,
        now: i64,
    ) -> StoreResult<User>;
    /// Changes a member's role; refuses to demote the last owner.
    async fn set_role(&self, access: &OrgAccess, user_id: i64, role: Role) -> StoreResult<()>;
    /// Removes a member; refuses to remove the last owner.
    async fn remove_member(&self, access: &OrgAccess, user_id: i64) -> StoreResult<()>;
    /// Stores a one-time link and, when given, the message carrying it, in one transaction.
    async fn issue_link(&self, link: &NewLoginToken, message: Option<&NewMessage>, now: i64) -> StoreResult<()>;
    /// Uses a one-time link: succeeds once, before expiry, for the right purpose.
    async fn consume_link(&self, nonce: &str, purpose: LinkPurpose, now: i64) -> StoreResult<Option<ConsumedToken>>;
    /// Opens a session.
    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    /// A live session by the hash of its cookie.
    async fn session(&self, id_hash: &str, now: i64) -> StoreResult<Option<Session>>;
    /// Switches the association a session works on.
    async fn set_session_org(&self, id_hash: &str, org_id: i64) -> StoreResult<()>;
    /// Signs out one browser.
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Deletes expired sessions and links; returns how many rows went.
    async fn purge_expired(&self, now: i64) -> StoreResult<u64>;
}

/// The transactional outbox of messages to deliver.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Enqueues a message on its own; `false` when its idempotency key was already queued.
    async fn enqueue(&self, message: &NewMessage, now: i64) -> StoreResult<bool>;
    /// Claims up to `limit` due messages for `lease_secs`: pending ones whose time has
    /// come, and ones whose previous worker's lease ran out (it crashed).
    async fn claim(&self, now: i64, lease_secs: i64, limit: i64) -> StoreResult<Vec<OutboxMessage>> {
        self.claim_classes(now, lease_secs, limit, limit).await
    }
    /// Like [`OutboxStore::claim`], with at most `bulk_limit` of the `limit` being bulk
    /// messages (those with a topic); messages someone waits for always come first.
    async fn claim_classes(
        &self,
        now: i64,
        lease_secs: i64,
        limit: i64,
        bulk_limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>>;
    /// Marks a claimed message delivered.
    async fn mark_sent(&self, ids: &[i64], now: i64) -> StoreResult<()>;
    /// Withdraws claimed messages that must not leave any more (consent withdrawn,
    /// signature invalidated since they were enqueued), saying why.
    async fn mark_cancelled(&self, ids: &[i64], reason: &str) -> StoreResult<()>;
    /// Records a failed attempt: retry later or give up (dead letter).
    async fn mark_failed(&self, id: i64, error: &str, retry: Retry, now: i64) -> StoreResult<()>;
    /// The association's dead letters, newest first.
    async fn dead_letters(&self, access: &OrgAccess) -> StoreResult<Vec<OutboxMessage>>;
    /// Puts a dead letter of the association back in the queue.
    async fn retry_dead(&self, access: &OrgAccess, id: i64, now: i64) -> StoreResult<()>;
    /// Messages per state, across the installation.
    async fn outbox_counts(&self) -> StoreResult<OutboxCounts>;
    /// One message by idempotency key (tests, support).
    async fn message_by_key(&self, key: &str) -> StoreResult<Option<OutboxMessage>>;
}

/// Petitions and their signatures.
#[async_trait]
pub trait PetitionStore: Send + Sync {
    /// Creates a petition; [`StoreError::Conflict`] when the slug is taken.
    async fn create_petition(
        &self,
        access: &OrgAccess,
        petition: &relais_core::petition::PetitionDraft,
        state: relais_core::petition::PetitionState,
        created_by: Option<i64>,
        now: i64,
    ) -> StoreResult<Petition>;
    /// Saves an edit; marks a published petition as edited when its text changes.
    async fn update_petition(
        &self,
        access: &OrgAccess,
        id: i64,
        petition: &relais_core::petition::PetitionDraft,
        now: i64,
    ) -> StoreResult<Petition>;
    /// Moves a petition from `from` to `to`; [`StoreError::Conflict`] when it is no longer in `from`.
    async fn set_petition_state(
        &self,
        access: &OrgAccess,
        id: i64,
        from: relais_core::petition::PetitionState,
        to: relais_core::petition::PetitionState,
        now: i64,
    ) -> StoreResult<Petition>;
    /// The association's petitions, newest first.
    async fn petitions(&self, access: &OrgAccess) -> StoreResult<Vec<Petition>>;
    /// One of the association's petitions.
    async fn petition(&self, access: &OrgAccess, id: i64) -> StoreResult<Petition>;
    /// Lookup by id for the delivery worker, which renders messages for every association.
    async fn petition_by_id(&self, id: i64) -> StoreResult<Option<Petition>>;
    /// Public lookup by slug (the caller checks the state).
    async fn petition_by_slug(&self, slug: &str) -> StoreResult<Option<Petition>>;
    /// Records signatures in one transaction (the group-commit unit): supporter,
    /// signature, consents, confirmation e-mail and counters, or nothing.
    async fn sign_batch(&self, requests: &[SignRequest], now: i64) -> StoreResult<Vec<SignOutcome>>;
    /// Confirms a pending signature: `Some(true)` now confirmed, `Some(false)` it already
    /// was, `None` no such (valid) signature.
    async fn confirm_signature(&self, petition_id: i64, email: &Email, now: i64) -> StoreResult<Option<bool>>;
    /// Whether `email` signed (`Some(confirmed)`), ignoring invalidated signatures.
    async fn signature_confirmed(&self, petition_id: i64, email: &Email) -> StoreResult<Option<bool>>;
    /// The referral code of `email`'s signature (for the share links on the confirmation page).
    async fn referral_code(&self, petition_id: i64, email: &Email) -> StoreResult<Option<String>>;
    /// Confirmed and pending counts.
    async fn counts(&self, petition_id: i64) -> StoreResult<Counts>;
    /// Confirmed signatures by country, department and commune.
    async fn breakdown(&self, petition_id: i64) -> StoreResult<Breakdown>;
    /// Where the petition's valid signatures came from: channels over time, per
    /// channel with how many a signer's link brought, and the top recruiters.
    async fn sources(&self, access: &OrgAccess, petition_id: i64) -> StoreResult<Sources>;
    /// The latest confirmed signers who agreed to be shown.
    async fn recent_signers(&self, petition_id: i64, limit: i64) -> StoreResult<Vec<RecentSigner>>;
    /// Records a citizen's proposal for the association `org_id` (a public page found
    /// it by slug) in the moderation queue, with the e-mails it causes.
    async fn propose_petition(
        &self,
        org_id: i64,
        proposal: &relais_core::petition::Proposal,
        messages: &[NewMessage],
        now: i64,
    ) -> StoreResult<Petition>;
    /// Publishes or rejects (with a reason) a proposal waiting for moderation, and
    /// enqueues the author's e-mail in the same transaction.
    async fn moderate_petition(
        &self,
        access: &OrgAccess,
        id: i64,
        approve: bool,
        reason: Option<&str>,
        message: Option<&NewMessage>,
        now: i64,
    ) -> StoreResult<Petition>;
    /// Records the petition's image (files under the data folder's `media/`), or removes it.
    async fn set_petition_image(
        &self,
        access: &OrgAccess,
        id: i64,
        image_path: Option<&str>,
        now: i64,
    ) -> StoreResult<()>;
    /// Up to `limit` signatures of a petition with ids above `after_id`, in id order
    /// (keyset paging: an export of a million rows holds one page at a time).
    async fn signatures_page(
        &self,
        access: &OrgAccess,
        petition_id: i64,
        after_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<SignatureRecord>>;
    /// Values shared by at least `min_count` valid signatures made since `since`:
    /// the same address, network, e-mail domain or postcode.
    async fn signature_bursts(
        &self,
        access: &OrgAccess,
        petition_id: i64,
        since: i64,
        min_count: i64,
    ) -> StoreResult<Vec<Burst>>;
    /// Invalidates the matching signatures with `reason`, fixes the counts and
    /// withdraws their queued confirmation e-mails; returns how many were invalidated.
    async fn invalidate_signatures(
        &self,
        access: &OrgAccess,
        petition_id: i64,
        filter: &InvalidationFilter,
        reason: &str,
        now: i64,
    ) -> StoreResult<u64>;
    /// Deletes signatures still unconfirmed that were made before `created_before`,
    /// with their unverified consents, and fixes the counts.
    async fn expire_unconfirmed(&self, created_before: i64) -> StoreResult<u64>;
}

/// Supporters and their consent ledger (the supporter base grows on this).
#[async_trait]
pub trait SupporterStore: Send + Sync {
    /// The association's supporter with this address.
    async fn supporter_by_email(&self, access: &OrgAccess, email: &Email) -> StoreResult<Option<Supporter>>;
    /// A supporter's consent ledger, oldest first.
    async fn consents(&self, access: &OrgAccess, supporter_id: i64) -> StoreResult<Vec<Consent>>;
    /// A confirmed newsletter sign-up (double opt-in): the person, then the consent
    /// with its wording if it was not given already; `true` when it was new.
    #[allow(clippy::too_many_arguments)]
    async fn subscribe_newsletter(
        &self,
        org_id: i64,
        email: &Email,
        first_name: &str,
        locale: &str,
        wording: &str,
        ip_hash: &str,
        now: i64,
    ) -> StoreResult<bool>;
}

/// Posts on petitions, their fan-out to signers, the consent changes made from
/// links in messages, and the clicks on those links.
#[async_trait]
pub trait PostStore: Send + Sync {
    /// Records a post and schedules its fan-out. A victory also moves the petition
    /// to `victory`: [`StoreError::Conflict`]`("victory")` when it already is there,
    /// `("state")` when the petition is not public.
    async fn create_post(&self, access: &OrgAccess, post: &NewPost<'_>, now: i64) -> StoreResult<Post>;
    /// A petition's posts, newest first (public page).
    async fn posts(&self, petition_id: i64) -> StoreResult<Vec<Post>>;
    /// One post, for the delivery worker.
    async fn post(&self, post_id: i64) -> StoreResult<Option<Post>>;
    /// A petition's posts with delivery and click figures, newest first.
    async fn post_stats(&self, access: &OrgAccess, petition_id: i64) -> StoreResult<Vec<PostStats>>;
    /// The recipient of a post's message, with whether they may still receive it.
    async fn post_recipient(&self, post: &Post, signature_id: i64) -> StoreResult<Option<PostRecipient>>;
    /// Queues the next chunk (up to `limit` recipients) of the oldest post not
    /// fully fanned out; `None` when there is nothing to do. Queued recipients
    /// reach the outbox through [`PostStore::feed_outbox`].
    async fn fan_out(&self, now: i64, limit: i64) -> StoreResult<Option<FanOut>>;
    /// Moves up to `limit` queued recipients of the oldest post that has some to
    /// the outbox, unless `backlog` bulk messages already wait there; returns how
    /// many left the queue (0: nothing to do).
    async fn feed_outbox(&self, now: i64, limit: i64, backlog: i64) -> StoreResult<u64>;
    /// Writes a milestone post for each published petition that passed a step of its
    /// ladder (at most one a day per petition); returns them.
    async fn announce_milestones(&self, now: i64) -> StoreResult<Vec<Post>>;
    /// Appends a consent change to the ledger; `false` when it changes nothing.
    /// [`StoreError::NotFound`] when the person is not the association's.
    async fn record_consent(&self, change: &ConsentChange<'_>, now: i64) -> StoreResult<bool>;
    /// The ledger's latest word for this person, channel and purpose (no entry: no).
    async fn consent_granted(&self, org_id: i64, supporter_id: i64, channel: &str, purpose: &str) -> StoreResult<bool>;
    /// Counts a click on a link of a message about `topic`.
    async fn record_click(
        &self,
        org_id: i64,
        topic: &str,
        supporter_id: Option<i64>,
        url: &str,
        now: i64,
    ) -> StoreResult<()>;
}

/// Messages staff write to a segment: drafts, their schedule, the fan-out to the
/// people of the segment who agreed, and their figures.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Saves a new draft.
    async fn create_message(
        &self,
        access: &OrgAccess,
        draft: &relais_core::message::MessageDraft,
        segment: MessageSegment<'_>,
        created_by: Option<i64>,
        now: i64,
    ) -> StoreResult<Message>;
    /// Changes a draft; [`StoreError::Conflict`]`("state")` once it is scheduled or sent.
    async fn update_message(
        &self,
        access: &OrgAccess,
        id: i64,
        draft: &relais_core::message::MessageDraft,
        segment: MessageSegment<'_>,
        now: i64,
    ) -> StoreResult<Message>;
    /// The association's messages, newest first.
    async fn messages(&self, access: &OrgAccess) -> StoreResult<Vec<Message>>;
    /// One message of the association.
    async fn message(&self, access: &OrgAccess, id: i64) -> StoreResult<Message>;
    /// One message, for the delivery worker.
    async fn message_by_id(&self, id: i64) -> StoreResult<Option<Message>>;
    /// Schedules a draft (or moves a scheduled message) to leave at `at` (`now`: at
    /// once); [`StoreError::Conflict`]`("state")` once its fan-out has started.
    async fn schedule_message(&self, access: &OrgAccess, id: i64, at: i64, now: i64) -> StoreResult<Message>;
    /// Stops a draft or scheduled message; [`StoreError::Conflict`]`("state")` once
    /// its fan-out has started.
    async fn cancel_message(&self, access: &OrgAccess, id: i64, now: i64) -> StoreResult<Message>;
    /// Enqueues the next chunk (up to `limit` people of the segment) of the oldest
    /// message whose time has come: the segment's people whose consent ledger's
    /// latest word for e-mail and the message's purpose is a yes, never erased ones,
    /// one copy each; `None` when there is nothing to do.
    async fn fan_out_messages(&self, now: i64, limit: i64) -> StoreResult<Option<MessageFanOut>>;
    /// What became of a message's copies.
    async fn message_stats(&self, access: &OrgAccess, id: i64) -> StoreResult<MessageStats>;
    /// The recipient of a message's copy, with whether they may still receive it.
    async fn message_recipient(&self, message: &Message, supporter_id: i64) -> StoreResult<Option<MessageRecipient>>;
    /// How many people a message to `segment` for `purpose` would reach now.
    async fn count_recipients(
        &self,
        access: &OrgAccess,
        segment: &relais_core::segment::Segment,
        purpose: &str,
        now: i64,
    ) -> StoreResult<i64>;
    /// The first people a message to `segment` for `purpose` would reach (previews).
    async fn sample_recipients(
        &self,
        access: &OrgAccess,
        segment: &relais_core::segment::Segment,
        purpose: &str,
        limit: i64,
        now: i64,
    ) -> StoreResult<Vec<PersonRow>>;
}

/// How long an association keeps people who do nothing and agree to nothing.
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Months without activity or consent after which people are erased; `None`: kept.
    async fn retention_months(&self, access: &OrgAccess) -> StoreResult<Option<i64>>;
    /// Sets (or clears) the retention, audited.
    async fn set_retention_months(
        &self,
        access: &OrgAccess,
        months: Option<i64>,
        by_user: Option<i64>,
        now: i64,
    ) -> StoreResult<()>;
    /// How many people the next housekeeping would erase.
    async fn retention_due(&self, access: &OrgAccess, now: i64) -> StoreResult<i64>;
    /// Erases, in every association with a retention, up to `limit` people each who
    /// had no activity for that long and have no consent and no active monthly gift
    /// (each erasure as [`PeopleStore::erase_person`] does it, audited); how many.
    async fn apply_retention(&self, now: i64, limit: i64) -> StoreResult<u64>;
}

/// Segments: the people list's filters, their counts, and the ones saved by name.
#[async_trait]
pub trait SegmentStore: Send + Sync {
    /// The association's people matching every filter, by id after `after_id`
    /// (keyset paging); `now` anchors the activity windows.
    async fn find_people(
        &self,
        access: &OrgAccess,
        segment: &relais_core::segment::Segment,
        after_id: i64,
        limit: i64,
        now: i64,
    ) -> StoreResult<Vec<PersonRow>>;
    /// How many people match.
    async fn count_people(
        &self,
        access: &OrgAccess,
        segment: &relais_core::segment::Segment,
        now: i64,
    ) -> StoreResult<i64>;
    /// Saves a filter (a query string) under a name; [`StoreError::Conflict`] when the name is taken.
    async fn save_segment(
        &self,
        access: &OrgAccess,
        name: &str,
        query: &str,
        created_by: Option<i64>,
        now: i64,
    ) -> StoreResult<SavedSegment>;
    /// The association's saved segments, by name.
    async fn segments(&self, access: &OrgAccess) -> StoreResult<Vec<SavedSegment>>;
    /// Deletes a saved segment (the people stay).
    async fn delete_segment(&self, access: &OrgAccess, id: i64) -> StoreResult<()>;
}

/// People: the list staff search, a person's timeline, privacy rights.
#[async_trait]
pub trait PeopleStore: Send + Sync {
    /// The association's people matching `query` (prefix of address or name, or a
    /// postcode; empty: everyone), by id after `after_id` (keyset paging).
    async fn search_people(
        &self,
        access: &OrgAccess,
        query: &str,
        after_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<PersonRow>>;
    /// One person of the association.
    async fn person(&self, access: &OrgAccess, id: i64) -> StoreResult<Supporter>;
    /// The person's signatures, for their export.
    async fn signatures_of(&self, access: &OrgAccess, id: i64) -> StoreResult<Vec<PersonSignature>>;
    /// What the person did and received, newest first.
    async fn timeline(&self, access: &OrgAccess, id: i64) -> StoreResult<Vec<TimelineEntry>>;
    /// Erases the person: personal data gone (names, address, consents, message
    /// addresses), counts kept (signatures stay, anonymous), an audit entry left.
    async fn erase_person(&self, access: &OrgAccess, id: i64, by_user: Option<i64>, now: i64) -> StoreResult<()>;
    /// The person's tags, alphabetical.
    async fn tags(&self, access: &OrgAccess, id: i64) -> StoreResult<Vec<String>>;
    /// Puts (`on`) or takes off a tag.
    async fn set_tag(&self, access: &OrgAccess, id: i64, tag: &str, on: bool, now: i64) -> StoreResult<()>;
    /// The person's interests (causes they care about), alphabetical.
    async fn interests(&self, access: &OrgAccess, id: i64) -> StoreResult<Vec<String>>;
    /// Adds (`on`) or removes an interest.
    async fn set_interest(&self, access: &OrgAccess, id: i64, tag: &str, on: bool, now: i64) -> StoreResult<()>;
    /// Saves the record staff edited (names, phone, address, place, language, channels).
    async fn update_record(&self, access: &OrgAccess, id: i64, record: &relais_core::record::Record)
    -> StoreResult<()>;
    /// Staff notes on the person, newest first: `(time, author's address, text)`.
    async fn notes(&self, access: &OrgAccess, id: i64) -> StoreResult<Vec<(i64, Option<String>, String)>>;
    /// Adds a staff note.
    async fn add_note(
        &self,
        access: &OrgAccess,
        id: i64,
        user_id: Option<i64>,
        body: &str,
        now: i64,
    ) -> StoreResult<()>;
    /// Records what staff did to personal data (an export, for instance).
    async fn audit(
        &self,
        access: &OrgAccess,
        user_id: Option<i64>,
        action: &str,
        subject: &str,
        now: i64,
    ) -> StoreResult<()>;
    /// The latest audit entries: `(time, user, action, subject)`.
    async fn audit_log(&self, access: &OrgAccess, limit: i64) -> StoreResult<Vec<(i64, Option<i64>, String, String)>>;
}

/// Records of one person found twice, and merging them.
#[async_trait]
pub trait MergeStore: Send + Sync {
    /// Groups of the association's people who may be one person (the same mobile
    /// number; the same names, whatever the case, and postcode), at most 100 groups of
    /// each kind, leaving out pairs staff said are different people.
    async fn possible_duplicates(&self, access: &OrgAccess) -> StoreResult<Vec<DuplicateGroup>>;
    /// What the person's record holds.
    async fn holdings(&self, access: &OrgAccess, id: i64) -> StoreResult<PersonHoldings>;
    /// Merges `other` into `keep` in one transaction: every signature, gift, pledge,
    /// mandate, receipt, consent, note, click and impact message moves to `keep`, tags
    /// are united, `keep`'s values win and `other`'s fill its gaps; `other` is deleted
    /// and its id keeps leading to `keep` (links already sent still work); an audit
    /// entry is left. Returns what moved. Another association's person is
    /// [`StoreError::NotFound`]; the same or an erased person is [`StoreError::Merge`].
    async fn merge_people(
        &self,
        access: &OrgAccess,
        keep: i64,
        other: i64,
        by_user: Option<i64>,
        now: i64,
    ) -> StoreResult<PersonHoldings>;
    /// Records that two people are different: they leave the duplicates list.
    async fn mark_distinct(
        &self,
        access: &OrgAccess,
        a: i64,
        b: i64,
        by_user: Option<i64>,
        now: i64,
    ) -> StoreResult<()>;
    /// The addresses of the records merged into this person, with when.
    async fn merged_into(&self, access: &OrgAccess, id: i64) -> StoreResult<Vec<(String, i64)>>;
}

/// Donation campaigns, gifts and tax receipts.
#[async_trait]
pub trait DonationStore: Send + Sync {
    /// Creates a campaign (a draft, or published at once); [`StoreError::Conflict`] when the slug is taken.
    async fn create_campaign(
        &self,
        access: &OrgAccess,
        campaign: &relais_core::gift::CampaignDraft,
        publish: bool,
        now: i64,
    ) -> StoreResult<Campaign>;
    /// The association's campaigns, newest first.
    async fn campaigns(&self, access: &OrgAccess) -> StoreResult<Vec<Campaign>>;
    /// One campaign by id (the delivery worker).
    async fn campaign(&self, id: i64) -> StoreResult<Option<Campaign>>;
    /// Public lookup (the caller checks the state).
    async fn campaign_by_slug(&self, slug: &str) -> StoreResult<Option<Campaign>>;
    /// Records a gift waiting for payment, with its donor as a supporter.
    async fn start_gift(&self, gift: &NewGift<'_>, now: i64) -> StoreResult<Gift>;
    /// Marks a pending gift paid, numbers its receipt when asked, counts it on its
    /// campaign and enqueues the thank-you e-mail, in one transaction; `None` when
    /// it was not pending (a repeated or late confirmation).
    async fn complete_gift(&self, provider_ref: &str, now: i64) -> StoreResult<Option<(Gift, Option<Receipt>)>> {
        self.complete_gift_at(provider_ref, now, now).await
    }
    /// Like [`DonationStore::complete_gift`] for a gift received at `paid_at` (a cheque
    /// entered by staff days later): the receipt carries the gift's date and year.
    async fn complete_gift_at(
        &self,
        provider_ref: &str,
        paid_at: i64,
        now: i64,
    ) -> StoreResult<Option<(Gift, Option<Receipt>)>>;
    /// Records a batch of gifts received outside Relais, each paid at its own time,
    /// with its receipt and thank-you e-mail as if entered one by one, in one
    /// transaction. A batch whose token was recorded before is not recorded again:
    /// [`BatchRecorded::Already`]. [`StoreError::NotFound`] for another association's campaign.
    async fn record_offline_batch(
        &self,
        access: &OrgAccess,
        batch: &NewOfflineBatch<'_>,
        now: i64,
    ) -> StoreResult<BatchRecorded>;
    /// The association's latest offline batches, newest first.
    async fn offline_batches(&self, access: &OrgAccess, limit: i64) -> StoreResult<Vec<OfflineBatch>>;
    /// One batch of the association, with its gifts and their receipt numbers.
    async fn offline_batch(
        &self,
        access: &OrgAccess,
        id: i64,
    ) -> StoreResult<(OfflineBatch, Vec<(Gift, Option<String>)>)>;
    /// Marks a pending gift failed, saying why (a provider's or bank's reason);
    /// `false` when it was not pending.
    async fn fail_gift(&self, provider_ref: &str, reason: &str) -> StoreResult<bool>;
    /// One gift, for the worker and the thank-you page.
    async fn gift(&self, id: i64) -> StoreResult<Option<Gift>>;
    /// One gift by the provider's reference.
    async fn gift_by_ref(&self, provider_ref: &str) -> StoreResult<Option<Gift>>;
    /// The valid receipt of a gift.
    async fn receipt_of(&self, gift_id: i64) -> StoreResult<Option<Receipt>>;
    /// The association's latest gifts.
    async fn gifts(&self, access: &OrgAccess, limit: i64) -> StoreResult<Vec<Gift>>;
    /// Paid and refunded gifts with their receipt numbers, by id after `after_id`
    /// (keyset paging, for the accountant's export).
    async fn gifts_page(
        &self,
        access: &OrgAccess,
        after_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<(Gift, Option<String>)>>;
}

/// How an association is paid, and monthly pledges.
#[async_trait]
pub trait GivingStore: Send + Sync {
    /// The association's payment settings (empty when never saved).
    async fn payment_settings(&self, org_id: i64) -> StoreResult<PaymentSettings>;
    /// Saves them.
    async fn save_payment_settings(&self, access: &OrgAccess, settings: &PaymentSettings, now: i64) -> StoreResult<()>;
    /// Refunds a paid gift (staff, or the provider's notice): it no longer counts,
    /// its receipt is cancelled (an annual one is reissued without it).
    /// [`StoreError::Conflict`] when it is not paid.
    async fn refund_gift(&self, access: &OrgAccess, gift_id: i64, reason: &str, now: i64) -> StoreResult<Gift>;
    /// Records the provider's id of a gift's payment (a Stripe payment intent), once.
    async fn note_payment(&self, provider_ref: &str, payment: &str) -> StoreResult<()>;
    /// A pledge by id (the worker, for the thank-you e-mail's stop link).
    async fn pledge(&self, id: i64) -> StoreResult<Option<Pledge>>;
    /// A pledge by Relais's reference (webhooks, cancellation links; the caller checks the association).
    async fn pledge_by_ref(&self, reference: &str) -> StoreResult<Option<Pledge>>;
    /// A pledge by the provider's id (a Stripe subscription, a mandate reference).
    async fn pledge_by_provider_id(&self, provider: &str, provider_id: &str) -> StoreResult<Option<Pledge>>;
    /// Records the provider's id of a pledge, once (later calls change nothing).
    async fn link_pledge(&self, reference: &str, provider_id: &str) -> StoreResult<()>;
    /// The gift of one monthly collection, created pending on first sight of
    /// `provider_ref` (an invoice id), reopened if it had failed and is retried.
    async fn record_collection(
        &self,
        pledge: &Pledge,
        provider_ref: &str,
        amount_cents: i64,
        now: i64,
    ) -> StoreResult<Gift>;
    /// Stops a pledge at once (`by`: `donor`, `staff`, `provider`); `None` when it was already stopped.
    async fn cancel_pledge(&self, reference: &str, by: &str, now: i64) -> StoreResult<Option<Pledge>>;
    /// The association's pledges, newest first (confirmed ones: active or cancelled).
    async fn pledges(&self, access: &OrgAccess, limit: i64) -> StoreResult<Vec<Pledge>>;
    /// A person's own pledges (`/me`).
    async fn my_pledges(&self, who: &SelfAccess) -> StoreResult<Vec<Pledge>>;
}

/// SEPA direct debit run by the association with its own bank.
#[async_trait]
pub trait SepaStore: Send + Sync {
    /// Records the mandate a donor signed for a pending SEPA gift (and its
    /// pledge, which becomes active); [`StoreError::NotFound`] when the gift is
    /// not waiting for a mandate.
    async fn sign_mandate(&self, gift_ref: &str, mandate: &NewMandate<'_>, now: i64) -> StoreResult<Mandate>;
    /// A mandate by id (the worker, for its confirmation e-mail).
    async fn mandate_by_id(&self, id: i64) -> StoreResult<Option<Mandate>>;
    /// The gift a mandate was signed for (the worker, for its confirmation).
    async fn first_gift_of_mandate(&self, mandate_id: i64) -> StoreResult<Option<Gift>>;
    /// The collection run a gift is in (the worker, for its advance notice).
    async fn run_of_gift(&self, gift_id: i64) -> StoreResult<Option<SepaRun>>;
    /// The mandate a gift is collected on.
    async fn mandate_of_gift(&self, gift_id: i64) -> StoreResult<Option<Mandate>>;
    /// The association's mandates, newest first.
    async fn mandates(&self, access: &OrgAccess, limit: i64) -> StoreResult<Vec<Mandate>>;
    /// Makes the next collection on a mandate its last (`FNAL`).
    async fn request_final(&self, access: &OrgAccess, mandate_id: i64) -> StoreResult<()>;
    /// Gathers every collection due (signed one-off gifts, this month's instalment
    /// of each active pledge) into a new run dated `collection_date`
    /// (`YYYY-MM-DD`), with their sequence types; `None` when nothing is due.
    async fn prepare_run(
        &self,
        access: &OrgAccess,
        collection_date: &str,
        message_id: &str,
        now: i64,
    ) -> StoreResult<Option<(SepaRun, Vec<RunDebit>)>>;
    /// Stores the pain.008 file generated for a run.
    async fn set_run_file(&self, access: &OrgAccess, run_id: i64, xml: &str) -> StoreResult<()>;
    /// The association's runs, newest first.
    async fn sepa_runs(&self, access: &OrgAccess) -> StoreResult<Vec<SepaRun>>;
    /// One run with its debits.
    async fn sepa_run(&self, access: &OrgAccess, run_id: i64) -> StoreResult<Option<(SepaRun, Vec<RunDebit>)>>;
    /// A run's pain.008 file.
    async fn run_file(&self, access: &OrgAccess, run_id: i64) -> StoreResult<Option<String>>;
    /// The bank has collected the run: every debit not rejected is paid (receipt,
    /// thank-you e-mail); final collections end their pledges. Returns how many were paid now.
    async fn settle_run(&self, access: &OrgAccess, run_id: i64, now: i64) -> StoreResult<i64>;
    /// Records a bank reject (before settlement: the gift failed) or return (after:
    /// refunded, receipt cancelled) with its reason code.
    async fn reject_debit(&self, access: &OrgAccess, gift_id: i64, reason: &str, now: i64) -> StoreResult<Gift>;
}

/// The back office's gifts list: filters and totals.
#[async_trait]
pub trait GiftSearchStore: Send + Sync {
    /// Gifts matching `filter`, newest first, with ids below `before_id` (keyset paging).
    async fn search_gifts(
        &self,
        access: &OrgAccess,
        filter: &GiftFilter,
        before_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<Gift>>;
    /// Count and amount of the gifts matching `filter`, overall and by month, campaign and method.
    async fn gift_totals(&self, access: &OrgAccess, filter: &GiftFilter) -> StoreResult<GiftTotals>;
}

/// Tax receipts beyond the one a payment issues.
#[async_trait]
pub trait ReceiptStore: Send + Sync {
    /// Issues the annual receipts of `year` for up to `donors` donors who have
    /// receipted gifts not covered yet (one receipt per donor: every such gift of
    /// the year), numbered in sequence, each e-mailed as a PDF. Call again until
    /// it returns nothing; two runs at once never receipt a gift twice.
    async fn issue_annual_receipts(
        &self,
        access: &OrgAccess,
        year: i64,
        donors: i64,
        now: i64,
    ) -> StoreResult<Vec<Receipt>>;
    /// One receipt of the association (cancelled ones too).
    async fn receipt(&self, access: &OrgAccess, id: i64) -> StoreResult<Option<Receipt>>;
    /// One receipt by id (the worker rendering its e-mail).
    async fn receipt_by_id(&self, id: i64) -> StoreResult<Option<Receipt>>;
    /// The gifts a receipt covers, oldest first.
    async fn receipt_gifts(&self, receipt: &Receipt) -> StoreResult<Vec<Gift>>;
    /// The association's receipts of a year, newest first.
    async fn receipts(&self, access: &OrgAccess, year: i64, limit: i64) -> StoreResult<Vec<Receipt>>;
    /// Cancels a receipt and issues its replacement under a new number (linked to
    /// the old one), with the donor's details corrected if given; e-mails it.
    async fn replace_receipt(
        &self,
        access: &OrgAccess,
        id: i64,
        correction: Option<&DonorCorrection>,
        now: i64,
    ) -> StoreResult<Receipt>;
    /// Valid receipts and their total per year, newest year first.
    async fn receipt_totals(&self, access: &OrgAccess) -> StoreResult<Vec<ReceiptTotal>>;
    /// A person's valid receipts, newest first (`/me`).
    async fn my_receipts(&self, who: &SelfAccess) -> StoreResult<Vec<Receipt>>;
}

/// Impact projects: what they are, their photos, the public ledger of what they
/// spent, and the allocations of unrestricted gifts that fund them.
#[async_trait]
pub trait ProjectStore: Send + Sync {
    /// Creates a draft project; [`StoreError::Conflict`] when the slug is taken.
    async fn create_project(
        &self,
        access: &OrgAccess,
        project: &relais_core::project::ProjectDraft,
        created_by: Option<i64>,
        now: i64,
    ) -> StoreResult<Project>;
    /// Saves an edit of the description, place and budget.
    async fn update_project(
        &self,
        access: &OrgAccess,
        id: i64,
        project: &relais_core::project::ProjectDraft,
        now: i64,
    ) -> StoreResult<Project>;
    /// Publishes a project, or takes it back to draft.
    async fn publish_project(&self, access: &OrgAccess, id: i64, published: bool, now: i64) -> StoreResult<Project>;
    /// Moves a project to a stage.
    async fn set_project_stage(
        &self,
        access: &OrgAccess,
        id: i64,
        stage: relais_core::project::Stage,
        now: i64,
    ) -> StoreResult<Project>;
    /// Replaces a project's impact figures.
    async fn set_project_figures(
        &self,
        access: &OrgAccess,
        id: i64,
        figures: &[relais_core::project::Figure],
        now: i64,
    ) -> StoreResult<Project>;
    /// The association's projects, newest first.
    async fn projects(&self, access: &OrgAccess) -> StoreResult<Vec<Project>>;
    /// One of the association's projects.
    async fn project(&self, access: &OrgAccess, id: i64) -> StoreResult<Project>;
    /// One of the association's projects with everything its page shows (drafts too).
    async fn project_page(&self, access: &OrgAccess, id: i64) -> StoreResult<ProjectPage>;
    /// A published project's page, by slug (public); `None` for drafts.
    async fn public_project(&self, slug: &str) -> StoreResult<Option<ProjectPage>>;
    /// A published project by id (the page of a campaign restricted to it); `None` for drafts.
    async fn published_project(&self, id: i64) -> StoreResult<Option<Project>>;
    /// Records a photo of a project (files already under `media/`).
    async fn add_project_photo(
        &self,
        access: &OrgAccess,
        project_id: i64,
        file_base: &str,
        alt: &str,
        now: i64,
    ) -> StoreResult<ProjectPhoto>;
    /// Removes a photo and returns it, so its files can be deleted.
    async fn remove_project_photo(
        &self,
        access: &OrgAccess,
        project_id: i64,
        photo_id: i64,
    ) -> StoreResult<ProjectPhoto>;
    /// Adds a line to a project's ledger.
    async fn add_expense(
        &self,
        access: &OrgAccess,
        project_id: i64,
        expense: &relais_core::ledger::ExpenseDraft,
        created_by: Option<i64>,
        now: i64,
    ) -> StoreResult<Expense>;
    /// Removes a ledger line entered by mistake.
    async fn remove_expense(&self, access: &OrgAccess, project_id: i64, expense_id: i64) -> StoreResult<()>;
    /// Publishes news of a project; the stage and figures it announces become the
    /// project's, in the same transaction.
    async fn add_project_update(
        &self,
        access: &OrgAccess,
        project_id: i64,
        update: &NewProjectUpdate<'_>,
        created_by: Option<i64>,
        now: i64,
    ) -> StoreResult<ProjectUpdate>;
    /// Removes news and returns it, so its photo's files can be deleted (the stage and
    /// figures it set stay: they describe the project now).
    async fn remove_project_update(
        &self,
        access: &OrgAccess,
        project_id: i64,
        update_id: i64,
    ) -> StoreResult<ProjectUpdate>;
    /// What the association's gifts matching `criteria` have left to allocate.
    async fn allocatable(&self, access: &OrgAccess, criteria: &AllocationCriteria) -> StoreResult<Allocatable>;
    /// Allocates unrestricted gifts to a project, oldest first, in one write
    /// transaction that no other allocation of the association interleaves with.
    /// The inner error refuses the request (more than the gifts have left, with
    /// the exact amount available); nothing is written then.
    async fn allocate(
        &self,
        access: &OrgAccess,
        project_id: i64,
        allocation: &NewAllocation<'_>,
        created_by: Option<i64>,
        now: i64,
    ) -> StoreResult<Result<AllocationBatch, relais_core::allocation::AllocationError>>;
    /// A project's allocation decisions, newest first.
    async fn allocation_batches(&self, access: &OrgAccess, project_id: i64) -> StoreResult<Vec<AllocationBatch>>;
    /// The trace of one decision: each gift and how much of it, oldest gift first
    /// (an undone decision keeps its trace).
    async fn batch_allocations(&self, access: &OrgAccess, batch_id: i64) -> StoreResult<Vec<Allocation>>;
    /// Undoes an allocation decision: its gifts' cents return to the unallocated pool,
    /// the decision stays listed as undone with its trace, and the audit log says who
    /// undid it. [`StoreError::Conflict`]`("undone")` when it already was.
    async fn undo_allocation(
        &self,
        access: &OrgAccess,
        batch_id: i64,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<AllocationBatch>;
    /// Restricts a campaign to another of the association's projects, or to none
    /// ([`StoreError::NotFound`] for a project of another association). Gifts made
    /// before keep the project they were given to; later gifts go to the new one.
    /// Audit-logged.
    async fn set_campaign_project(
        &self,
        access: &OrgAccess,
        campaign_id: i64,
        project_id: Option<i64>,
        by: Option<i64>,
        now: i64,
    ) -> StoreResult<Campaign>;
    /// Where one gift went: its allocations to projects.
    async fn gift_allocations(&self, access: &OrgAccess, gift_id: i64) -> StoreResult<Vec<Allocation>>;
}

/// Impact messages: what each contributor is told about the projects their gifts
/// reached, and the outcomes an association's system reports about one gift.
#[async_trait]
pub trait ImpactStore: Send + Sync {
    /// How many contributors each update of a project told, by channel.
    async fn impact_counts(&self, access: &OrgAccess, project_id: i64) -> StoreResult<Vec<ImpactCount>>;
    /// An update and its project, for the worker rendering its messages.
    async fn impact_update_context(&self, update_id: i64) -> StoreResult<Option<(ProjectUpdate, Project)>>;
    /// The person a message is for, with the ledger's word on each channel now.
    async fn impact_recipient(&self, supporter_id: i64) -> StoreResult<Option<ImpactRecipient>>;
    /// What of a person's paid gifts reached a project; `None` when nothing does any more.
    async fn project_share(&self, project_id: i64, supporter_id: i64) -> StoreResult<Option<ProjectShare>>;
    /// Records that one of the association's paid gifts was used and, in the same
    /// transaction, the message telling its donor on the channel they prefer (none
    /// without consent). The same key twice records once. [`StoreError::NotFound`]
    /// for a gift that is not the association's; [`StoreError::Conflict`] when it is not paid.
    async fn report_outcome(
        &self,
        access: &OrgAccess,
        gift_id: i64,
        report: &OutcomeReport<'_>,
        now: i64,
    ) -> StoreResult<OutcomeReceipt>;
    /// One recorded outcome, for the worker.
    async fn outcome(&self, id: i64) -> StoreResult<Option<StoredOutcome>>;
    /// The impact messages a person received: `(update, gift, channel)`, oldest first.
    async fn impact_messages_of(
        &self,
        access: &OrgAccess,
        supporter_id: i64,
    ) -> StoreResult<Vec<(Option<i64>, Option<i64>, String)>>;
}

/// Keys of an association's own systems for the JSON API.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Records a key by the SHA-256 of its secret (see [`hash_secret`]).
    async fn create_api_key(
        &self,
        access: &OrgAccess,
        name: &str,
        secret_hash: &str,
        prefix: &str,
        created_by: Option<i64>,
        now: i64,
    ) -> StoreResult<ApiKey>;
    /// The association's keys, newest first (revoked ones too).
    async fn api_keys(&self, access: &OrgAccess) -> StoreResult<Vec<ApiKey>>;
    /// Revokes a key at once (a second revocation keeps the first date).
    async fn revoke_api_key(&self, access: &OrgAccess, id: i64, now: i64) -> StoreResult<()>;
    /// The access a live key's secret opens (editor rights on its association) and
    /// the key's id; notes when it was last used. `None` for unknown or revoked keys.
    async fn api_access(&self, secret_hash: &str, now: i64) -> StoreResult<Option<(OrgAccess, i64)>>;
}

/// What a person sees of themselves (`/me`), through a [`SelfAccess`].
#[async_trait]
pub trait MeStore: Send + Sync {
    /// The access of a signed link's person, if they still exist in that association.
    async fn self_access(&self, org_id: i64, supporter_id: i64) -> StoreResult<Option<SelfAccess>>;
    /// The person.
    async fn me(&self, who: &SelfAccess) -> StoreResult<Supporter>;
    /// Their paid gifts, newest first, with their receipts' numbers.
    async fn my_gifts(&self, who: &SelfAccess) -> StoreResult<Vec<MyGift>>;
    /// Their valid signatures, newest first.
    async fn my_signatures(&self, who: &SelfAccess) -> StoreResult<Vec<MySignature>>;
    /// The shares of their paid gifts allocated to projects, newest gift first.
    async fn my_allocations(&self, who: &SelfAccess) -> StoreResult<Vec<MyAllocation>>;
    /// The published projects their paid gifts reached (restricted or allocated), oldest first.
    async fn my_projects(&self, who: &SelfAccess) -> StoreResult<Vec<Project>>;
    /// News of those projects since their first paid gift, newest first.
    async fn my_project_news(&self, who: &SelfAccess) -> StoreResult<Vec<ProjectUpdate>>;
    /// Posts on the petitions they signed, each since their signature, newest first.
    async fn my_petition_news(&self, who: &SelfAccess) -> StoreResult<Vec<MyPetitionPost>>;
    /// One of their valid receipts, with the gifts it covers.
    async fn my_receipt(&self, who: &SelfAccess, number: &str) -> StoreResult<Option<(Receipt, Vec<Gift>)>>;
    /// Records what the person asked for (an erasure) in the association's audit log.
    async fn audit_self(&self, who: &SelfAccess, action: &str, now: i64) -> StoreResult<()>;
    /// Their consent ledger, oldest first.
    async fn my_consents(&self, who: &SelfAccess) -> StoreResult<Vec<Consent>>;
}

/// Measures of the feedback loop for the back office.
#[async_trait]
pub trait LoopStore: Send + Sync {
    /// Per cohort of donors (the year, in the association's time zone, of their first
    /// paid gift), how many gave again a later year, among those who received at least
    /// one impact message and those who did not; this year's cohort is left out.
    async fn repeat_giving_cohorts(
        &self,
        access: &OrgAccess,
        now: i64,
    ) -> StoreResult<Vec<relais_core::cohort::CohortRate>>;
}

/// Imports of supporters from a spreadsheet: the upload, its validation report and
/// refused rows, and the import committed chunk by chunk.
#[async_trait]
pub trait ImportStore: Send + Sync {
    /// Records an uploaded file (state `uploaded`).
    async fn create_import(&self, access: &OrgAccess, new: &NewImport<'_>, now: i64) -> StoreResult<Import>;
    /// One import of the association.
    async fn import(&self, access: &OrgAccess, id: i64) -> StoreResult<Import>;
    /// The association's imports, newest first.
    async fn imports(&self, access: &OrgAccess, limit: i64) -> StoreResult<Vec<Import>>;
    /// The association's people among `emails` (normalised), with the fields an import may set.
    async fn known_people(
        &self,
        access: &OrgAccess,
        emails: &[&str],
    ) -> StoreResult<Vec<(String, relais_core::import::row::PersonFields)>>;
    /// Saves the mapping, options, figures and refused rows of a validation (state
    /// `validated`), replacing an earlier one; [`StoreError::Conflict`] once the import started.
    async fn save_validation(
        &self,
        access: &OrgAccess,
        id: i64,
        plan: &ImportPlan<'_>,
        refusals: &[Refusal],
    ) -> StoreResult<()>;
    /// The refused rows' reasons, by line.
    async fn refusals(&self, access: &OrgAccess, id: i64, limit: i64) -> StoreResult<Vec<Refusal>>;
    /// The refused lines, each once, in order.
    async fn refused_lines(&self, access: &OrgAccess, id: i64) -> StoreResult<Vec<i64>>;
    /// Marks a validated import running, or takes over a running one whose task gave
    /// no sign of life since `stale_before`; `false` when neither applies.
    async fn start_import(&self, access: &OrgAccess, id: i64, stale_before: i64, now: i64) -> StoreResult<bool>;
    /// Commits one chunk of rows and the import's progress in one transaction.
    async fn import_chunk(
        &self,
        access: &OrgAccess,
        id: i64,
        chunk: &ImportChunk<'_>,
        now: i64,
    ) -> StoreResult<ChunkCounts>;
    /// Ends a running import: `done`, or `failed` with the reason.
    async fn finish_import(&self, access: &OrgAccess, id: i64, error: Option<&str>, now: i64) -> StoreResult<()>;
}

/// Everything the application needs from storage.
#[async_trait]
pub trait Store:
    OrgStore
    + StaffStore
    + OutboxStore
    + PetitionStore
    + SupporterStore
    + PostStore
    + PeopleStore
    + DonationStore
    + MeStore
    + GivingStore
    + SepaStore
    + ReceiptStore
    + GiftSearchStore
    + ProjectStore
    + SegmentStore
    + MessageStore
    + RetentionStore
    + MergeStore
    + ImpactStore
    + ApiKeyStore
    + LoopStore
    + ImportStore
{
    /// Copies what the write-ahead log holds into the database file without
    /// blocking writers (SQLite; nothing to do on PostgreSQL). The worker calls it
    /// every second so the signature writer never pays for a checkpoint.
    async fn checkpoint(&self) -> StoreResult<()> {
        Ok(())
    }
    /// Refreshes the query planner's statistics where the database does not do it by
    /// itself (SQLite's `PRAGMA optimize`; PostgreSQL's autovacuum analyses). Without
    /// them SQLite takes `org_id = ?` for selective and scans a million people.
    async fn optimize(&self) -> StoreResult<()> {
        Ok(())
    }
    /// `sqlite` or `postgres`, for logs and `/healthz`.
    fn backend(&self) -> &'static str;
    /// Notified whenever this process enqueues a message, so its worker wakes at once.
    fn wakeup(&self) -> Arc<tokio::sync::Notify>;
    /// A cheap round trip, for `/healthz`.
    async fn ping(&self) -> StoreResult<()>;
    /// Waits for in-flight writes and closes connections (graceful shutdown).
    async fn close(&self);
}

/// Shared handle to a store.
pub type DynStore = Arc<dyn Store>;

/// Opens the database at `url` (`sqlite://…` or `postgres://…`) and applies migrations.
pub async fn open(url: &str) -> StoreResult<DynStore> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    }
}

/// A random URL-safe identifier (nonces, session ids): 32 bytes of OS randomness, hex.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// SHA-256 hex of a secret, so the database never holds a usable session cookie.
pub fn hash_secret(secret: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}
