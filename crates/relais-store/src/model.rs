//! What the store returns and accepts. Plain data: no SQL, no HTTP.

use relais_core::{Email, Locale, Role};
use serde::{Deserialize, Serialize};

/// An association, as pages and the back office see it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Org {
    /// Row id.
    pub id: i64,
    /// URL slug.
    pub slug: String,
    /// Public name.
    pub name: String,
    /// Contact address.
    pub contact_email: String,
    /// Main colour `#rrggbb`.
    pub primary_color: String,
    /// Accent colour `#rrggbb`.
    pub accent_color: String,
    /// Logo file name under `<data>/media/`, if uploaded.
    pub logo_path: Option<String>,
    /// Legal name (empty: same as name).
    pub legal_name: String,
    /// RNA number or empty.
    pub rna: String,
    /// SIREN number or empty.
    pub siren: String,
    /// Registered address.
    pub address: String,
    /// Purpose (objet).
    pub purpose: String,
    /// Gifts qualify for the French tax reduction.
    pub tax_eligible: bool,
    /// IANA time zone.
    pub timezone: String,
    /// Default language code.
    pub default_locale: String,
    /// Creation time (Unix seconds).
    pub created_at: i64,
    /// Last settings change (Unix seconds).
    pub updated_at: i64,
}

impl Org {
    /// The default language, falling back to French.
    pub fn locale(&self) -> Locale {
        Locale::parse(&self.default_locale).unwrap_or_default()
    }
}

/// A new association.
#[derive(Debug, Clone)]
pub struct NewOrg {
    /// URL slug.
    pub slug: relais_core::Slug,
    /// Public name.
    pub name: String,
    /// Contact address (often the first owner's).
    pub contact_email: Email,
}

/// A staff account (one per e-mail address, across associations).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Normalised address.
    pub email: String,
    /// argon2id PHC string, if the person set a password.
    pub password_hash: Option<String>,
    /// Language of e-mails to this person.
    pub locale: String,
    /// Creation time.
    pub created_at: i64,
    /// Last successful sign-in.
    pub last_login_at: Option<i64>,
}

/// A staff member of one association.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The account.
    pub user_id: i64,
    /// Its address.
    pub email: String,
    /// Role in this association.
    pub role: Role,
    /// Whether the person has ever signed in (an invitation not yet used otherwise).
    pub has_signed_in: bool,
}

/// One association a person belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// The association.
    pub org_id: i64,
    /// Its slug.
    pub org_slug: String,
    /// Its name.
    pub org_name: String,
    /// The person's role there.
    pub role: Role,
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Session {
    /// SHA-256 of the cookie value: a stolen database does not yield live cookies.
    pub id_hash: String,
    /// Who.
    pub user_id: i64,
    /// The association the person is working on.
    pub current_org_id: Option<i64>,
    /// Per-session CSRF token, echoed in every back-office form.
    pub csrf: String,
    /// Creation time.
    pub created_at: i64,
    /// Expiry.
    pub expires_at: i64,
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Sign in to the back office.
    Login,
    /// Choose a new password.
    PasswordReset,
}

impl LinkPurpose {
    /// Stable stored name, also the signed token's purpose.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::PasswordReset => "password-reset",
        }
    }
}

/// A one-time link to issue: the nonce is what the signed token carries.
#[derive(Debug, Clone)]
pub struct NewLoginToken {
    /// Random, unguessable.
    pub nonce: String,
    /// For whom.
    pub user_id: i64,
    /// What for.
    pub purpose: LinkPurpose,
    /// Association to open after sign-in, if any.
    pub org_id: Option<i64>,
    /// Expiry (Unix seconds).
    pub expires_at: i64,
}

/// A consumed one-time link.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumedToken {
    /// Whose.
    pub user_id: i64,
    /// Association to open, if any.
    pub org_id: Option<i64>,
}

/// Delivery channel of an outbox message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// E-mail.
    Email,
    /// SMS.
    Sms,
}

impl Channel {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Self::Email),
            "sms" => Some(Self::Sms),
            _ => None,
        }
    }
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    /// Waiting for its next attempt.
    Pending,
    /// Claimed by a worker whose lease has not expired.
    Sending,
    /// Delivered (handed to the SMTP server, SMS provider or file).
    Sent,
    /// Gave up after too many failures; staff can see and retry it.
    Dead,
    /// Withdrawn before delivery (its signature was invalidated as abuse).
    Cancelled,
}

impl OutboxStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Dead => "dead",
            Self::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "sending" => Some(Self::Sending),
            "sent" => Some(Self::Sent),
            "dead" => Some(Self::Dead),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// The content of a message; its shape depends on the channel.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// E-mail subject (empty for SMS).
    #[serde(default)]
    pub subject: String,
    /// Plain text body (the SMS text).
    #[serde(default)]
    pub text: String,
    /// HTML alternative, for e-mail.
    #[serde(default)]
    pub html: Option<String>,
    /// Sender display name (the association's name).
    #[serde(default)]
    pub from_name: Option<String>,
    /// Reply-To address.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// One-click unsubscribe URL (RFC 8058): sent as `List-Unsubscribe` with
    /// `List-Unsubscribe-Post`, so mail clients show their own "unsubscribe" button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_unsubscribe: Option<String>,
    /// Content rendered when the message is delivered rather than when it is
    /// enqueued: a post to a million signers is enqueued as a million small rows,
    /// and each message checks consent and carries the latest wording when it leaves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred: Option<Deferred>,
    /// Files attached to an e-mail (a tax receipt).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A file attached to an e-mail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    /// File name shown to the reader.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// Content.
    #[serde(with = "attachment_bytes")]
    pub bytes: Vec<u8>,
}

/// Attachment content as base64 in the stored JSON.
mod attachment_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    pub(super) fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// What a message rendered at delivery is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deferred {
    /// A petition post (update, response, victory, milestone) to one signature's author.
    PetitionPost {
        /// The post.
        post: i64,
        /// The recipient's signature.
        signature: i64,
    },
    /// The e-mail asking a new signer to confirm their signature. Enqueued in the
    /// signature's own transaction as a row of about a hundred bytes: rendered there,
    /// its two kilobytes of text and HTML filled a database page per signature,
    /// which the worker's claim and its "sent" mark each wrote again (measured under
    /// a signing rush: 29 and 15 µs of SQLite's write turn a message, more in all
    /// than a post's fan-out to a million signers).
    SignatureConfirmation {
        /// The petition signed.
        petition: i64,
        /// The signer's language.
        #[serde(with = "locale_code")]
        locale: relais_core::Locale,
        /// When the confirmation link stops working (the unconfirmed signature is
        /// deleted then), fixed at signing.
        expires: i64,
    },
    /// The thank-you e-mail of a paid gift, with its tax receipt when asked.
    GiftThanks {
        /// The gift.
        gift: i64,
    },
    /// A tax receipt issued on its own (an annual summary, a replacement), as a PDF.
    Receipt {
        /// The receipt.
        receipt: i64,
    },
    /// The confirmation of a SEPA mandate just signed: its reference, the creditor,
    /// what will be taken.
    MandateSigned {
        /// The mandate.
        mandate: i64,
    },
    /// Advance notice of a direct debit in a prepared collection: amount and date.
    DebitNotice {
        /// The gift collected.
        gift: i64,
    },
    /// News of a project to one of its contributors, with their own share of it.
    ImpactUpdate {
        /// The project update.
        update: i64,
        /// The contributor.
        supporter: i64,
    },
    /// A message staff wrote to a segment, to one of its people.
    Message {
        /// The message.
        message: i64,
        /// The recipient.
        supporter: i64,
    },
    /// What became of one gift, reported by the association's own system.
    ImpactOutcome {
        /// The recorded outcome.
        outcome: i64,
    },
}

/// A message to enqueue in the same transaction as what causes it.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Association it is sent for, if any (staff sign-in links have none).
    pub org_id: Option<i64>,
    /// Channel.
    pub channel: Channel,
    /// E-mail address or E.164 phone number.
    pub recipient: String,
    /// Content.
    pub payload: Payload,
    /// Stable key: enqueuing the same key twice sends once.
    pub idempotency_key: String,
}

/// A message in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    /// Row id.
    pub id: i64,
    /// Association, if any.
    pub org_id: Option<i64>,
    /// Channel.
    pub channel: Channel,
    /// Address or phone.
    pub recipient: String,
    /// Content.
    pub payload: Payload,
    /// Idempotency key.
    pub idempotency_key: String,
    /// State.
    pub status: OutboxStatus,
    /// Attempts made (including the current one when claimed).
    pub attempts: i64,
    /// Last delivery error.
    pub last_error: Option<String>,
    /// Enqueue time.
    pub created_at: i64,
}

/// How many messages are in each state, for `/metrics` and the back office.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Waiting.
    pub pending: i64,
    /// Being delivered.
    pub sending: i64,
    /// Delivered.
    pub sent: i64,
    /// Gave up.
    pub dead: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct OutboxRow {
    pub id: i64,
    pub org_id: Option<i64>,
    pub channel: String,
    pub recipient: String,
    pub payload: String,
    pub idempotency_key: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
}

impl TryFrom<OutboxRow> for OutboxMessage {
    type Error = crate::StoreError;

    fn try_from(r: OutboxRow) -> Result<Self, Self::Error> {
        let corrupt = |what: &str| crate::StoreError::Corrupt(format!("outbox {}: {what}", r.id));
        Ok(Self {
            id: r.id,
            org_id: r.org_id,
            channel: Channel::parse(&r.channel).ok_or_else(|| corrupt("channel"))?,
            recipient: r.recipient.clone(),
            payload: serde_json::from_str(&r.payload).map_err(|_| corrupt("payload"))?,
            idempotency_key: r.idempotency_key.clone(),
            status: OutboxStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    pub user_id: i64,
    pub email: String,
    pub role: String,
    pub last_login_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct MembershipRow {
    pub org_id: i64,
    pub slug: String,
    pub name: String,
    pub role: String,
}

pub(crate) fn parse_role(s: &str) -> Result<Role, crate::StoreError> {
    Role::parse(s).map_err(|e| crate::StoreError::Corrupt(e.to_string()))
}

/// A language as its code (`fr`, `en`) in a deferred message.
mod locale_code {
    use relais_core::Locale;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(locale: &Locale, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(locale.code())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Locale, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(Locale::parse(&code).unwrap_or_default())
    }
}
