//! Delivery of outbox messages: e-mail (SMTP, or `.eml` files when no SMTP server
//! is configured) and SMS (an HTTP provider, or text files). The [`Worker`] claims
//! due messages with a lease, delivers them, and records success, a retry with
//! back-off, or a dead letter.

mod email;
mod sms;
mod worker;

use std::path::PathBuf;

pub use email::EmailChannel;
pub use sms::SmsChannel;
pub use worker::{DEFAULT_BULK_PER_SECOND, Worker, WorkerStats};

/// Renders messages whose content is made at delivery ([`relais_store::Deferred`]):
/// the web layer implements it, since it holds the templates and translations.
#[async_trait::async_trait]
pub trait Renderer: Send + Sync {
    /// The content of `message`, or `None` when it must not leave any more (the
    /// recipient withdrew consent, the signature was invalidated, the post is gone).
    async fn render(
        &self,
        message: &relais_store::OutboxMessage,
        deferred: relais_store::Deferred,
    ) -> Result<Option<relais_store::Payload>, DeliveryError>;
}

/// Why one delivery attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Will not succeed if retried (bad address, refused by the provider): dead-letter now.
    #[error("permanent failure: {0}")]
    Permanent(String),
    /// May succeed later (server down, timeout, rate limit): retry with back-off.
    #[error("temporary failure: {0}")]
    Transient(String),
}

/// Where messages go, from the configuration.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// The data folder; files go under `outbox/email` and `outbox/sms`.
    pub data_dir: PathBuf,
    /// `smtp://…` or `smtps://…`; `None` writes `.eml` files.
    pub smtp_url: Option<String>,
    /// The SMS provider's endpoint; `None` writes text files.
    pub sms_url: Option<String>,
    /// Envelope and `From:` address of every e-mail.
    pub from_address: String,
}

/// Both channels, built once from the configuration.
pub struct Deliverer {
    email: EmailChannel,
    sms: SmsChannel,
}

impl Deliverer {
    /// Builds the channels; fails on an unusable SMTP URL or sender address.
    pub fn new(config: &DeliveryConfig) -> Result<Self, DeliveryError> {
        Ok(Self {
            email: EmailChannel::new(config)?,
            sms: SmsChannel::new(config)?,
        })
    }

    /// Delivers one message on its channel.
    pub async fn deliver(&self, message: &relais_store::OutboxMessage) -> Result<(), DeliveryError> {
        match message.channel {
            relais_store::Channel::Email => self.email.send(message).await,
            relais_store::Channel::Sms => self.sms.send(message).await,
        }
    }

    /// A short description for the start-up log line (never includes credentials).
    pub fn describe(&self) -> String {
        format!("email: {}, sms: {}", self.email.describe(), self.sms.describe())
    }
}

/// Writes `contents` to `path` atomically (temporary file, then rename), so a
/// reader never sees half a message and a redelivery overwrites instead of duplicating.
pub(crate) async fn write_atomically(path: &std::path::Path, contents: Vec<u8>) -> Result<(), DeliveryError> {
    // One trip to the blocking pool for the three file operations: each trip is a
    // hand-over between threads, and under a signing rush these files are written
    // thousands of times a second on the cores that also answer the signers.
    let fail = |e: &dyn std::fmt::Display| DeliveryError::Transient(format!("{}: {e}", path.display()));
    let target = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = target.with_extension("tmp");
        std::fs::write(&tmp, contents)?;
        std::fs::rename(&tmp, &target)
    })
    .await
    .map_err(|e| fail(&e))?
    .map_err(|e| fail(&e))
}

/// A file name for a message: its id (so files sort in sending order) and a
/// fingerprint of its idempotency key.
pub(crate) fn file_stem(message: &relais_store::OutboxMessage) -> String {
    let key = relais_store::hash_secret(&message.idempotency_key);
    format!("{:010}-{}", message.id, &key[..12])
}
