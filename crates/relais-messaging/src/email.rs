//! E-mail delivery: real MIME messages built with `lettre`, sent over SMTP or
//! written as `.eml` files.

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{DeliveryConfig, DeliveryError};
use relais_store::OutboxMessage;

/// How e-mails leave Relais.
pub enum EmailChannel {
    /// Through an SMTP server.
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: String,
        host: String,
    },
    /// As files under `<data>/outbox/email/`.
    Files { dir: std::path::PathBuf, from: String },
}

impl EmailChannel {
    /// Builds the channel from the configuration.
    pub fn new(config: &DeliveryConfig) -> Result<Self, DeliveryError> {
        config
            .from_address
            .parse::<lettre::Address>()
            .map_err(|e| DeliveryError::Permanent(format!("sender address {:?}: {e}", config.from_address)))?;
        let from = config.from_address.clone();
        match &config.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| DeliveryError::Permanent(format!("RELAIS_SMTP_URL: {e}")))?
                    .timeout(Some(std::time::Duration::from_secs(30)))
                    .build();
                let host = url::Url::parse(url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_owned))
                    .unwrap_or_default();
                Ok(Self::Smtp { transport, from, host })
            }
            None => Ok(Self::Files {
                dir: config.data_dir.join("outbox").join("email"),
                from,
            }),
        }
    }

    /// For the start-up log (host only: never the credentials of the URL).
    pub fn describe(&self) -> String {
        match self {
            Self::Smtp { host, .. } => format!("SMTP via {host}"),
            Self::Files { dir, .. } => format!(".eml files in {}", dir.display()),
        }
    }

    fn from(&self) -> &str {
        match self {
            Self::Smtp { from, .. } | Self::Files { from, .. } => from,
        }
    }

    /// Sends (or writes) one message.
    pub async fn send(&self, message: &OutboxMessage) -> Result<(), DeliveryError> {
        let email = build(message, self.from())?;
        match self {
            Self::Smtp { transport, .. } => transport.send(email).await.map(drop).map_err(classify),
            Self::Files { dir, .. } => {
                let path = dir.join(format!("{}.eml", crate::file_stem(message)));
                crate::write_atomically(&path, email.formatted()).await
            }
        }
    }
}

/// A 5xx answer will not change on retry; anything else (4xx, network) may.
fn classify(error: lettre::transport::smtp::Error) -> DeliveryError {
    if error.is_permanent() {
        DeliveryError::Permanent(error.to_string())
    } else {
        DeliveryError::Transient(error.to_string())
    }
}

fn build(message: &OutboxMessage, from: &str) -> Result<Message, DeliveryError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| DeliveryError::Permanent(format!("{what}: {e}"));
    let from_addr: lettre::Address = from.parse().map_err(|e| bad("sender", &e))?;
    let payload = &message.payload;
    let to: lettre::Address = message.recipient.parse().map_err(|e| bad("recipient", &e))?;
    // The Message-ID derives from the idempotency key: a message redelivered after a
    // crash carries the same id, so receiving servers and clients can drop the copy.
    let key = relais_store::hash_secret(&message.idempotency_key);
    let domain = from_addr.domain().to_owned();
    let mut builder = Message::builder()
        .from(Mailbox::new(payload.from_name.clone(), from_addr))
        .to(Mailbox::new(None, to))
        .subject(payload.subject.clone())
        .message_id(Some(format!("<{}@{domain}>", &key[..32])));
    if let Some(reply_to) = &payload.reply_to
        && let Ok(addr) = reply_to.parse::<lettre::Address>()
    {
        builder = builder.reply_to(Mailbox::new(None, addr));
    }
    if let Some(url) = &payload.list_unsubscribe {
        // RFC 8058: mail clients POST `List-Unsubscribe=One-Click` to the URL; the
        // header's value is a URL in angle brackets (RFC 2369).
        use lettre::message::header::{HeaderName, HeaderValue};
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(payload.text.clone());
    let body = match &payload.html {
        Some(html) => MultiPart::alternative()
            .singlepart(text)
            .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html.clone())),
        None => MultiPart::alternative().singlepart(text),
    };
    let result = if payload.attachments.is_empty() && payload.html.is_none() {
        builder.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(payload.text.clone()),
        )
    } else if payload.attachments.is_empty() {
        builder.multipart(body)
    } else {
        // multipart/mixed: the message, then each file (a tax receipt).
        let mut mixed = MultiPart::mixed().multipart(body);
        for file in &payload.attachments {
            let kind = ContentType::parse(&file.content_type).map_err(|e| bad("attachment type", &e))?;
            mixed =
                mixed.singlepart(lettre::message::Attachment::new(file.name.clone()).body(file.bytes.clone(), kind));
        }
        builder.multipart(mixed)
    };
    result.map_err(|e| bad("message", &e))
}
