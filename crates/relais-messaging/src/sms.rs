//! SMS delivery: an HTTP provider, or one text file per message.
//!
//! The HTTP contract (documented in `docs/operations.md`): `POST <RELAIS_SMS_URL>`
//! with JSON `{"to": "+33…", "text": "…", "sender": "…"}` and an `Idempotency-Key`
//! header. 2xx means accepted; 4xx other than 408/429 is permanent; the rest is retried.

use std::time::Duration;

use crate::{DeliveryConfig, DeliveryError};
use relais_store::OutboxMessage;

/// How SMS leave Relais.
pub enum SmsChannel {
    /// Through an HTTP provider.
    Http { client: reqwest::Client, url: reqwest::Url },
    /// As files under `<data>/outbox/sms/`.
    Files { dir: std::path::PathBuf },
}

impl SmsChannel {
    /// Builds the channel from the configuration.
    pub fn new(config: &DeliveryConfig) -> Result<Self, DeliveryError> {
        match &config.sms_url {
            Some(url) => {
                let url =
                    reqwest::Url::parse(url).map_err(|e| DeliveryError::Permanent(format!("RELAIS_SMS_URL: {e}")))?;
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .map_err(|e| DeliveryError::Permanent(format!("HTTP client: {e}")))?;
                Ok(Self::Http { client, url })
            }
            None => Ok(Self::Files {
                dir: config.data_dir.join("outbox").join("sms"),
            }),
        }
    }

    /// For the start-up log (host only: never a token in the URL).
    pub fn describe(&self) -> String {
        match self {
            Self::Http { url, .. } => format!("HTTP provider at {}", url.host_str().unwrap_or("?")),
            Self::Files { dir } => format!("files in {}", dir.display()),
        }
    }

    /// Sends (or writes) one SMS.
    pub async fn send(&self, message: &OutboxMessage) -> Result<(), DeliveryError> {
        let sender = message.payload.from_name.clone().unwrap_or_default();
        match self {
            Self::Http { client, url } => {
                let body =
                    serde_json::json!({ "to": message.recipient, "text": message.payload.text, "sender": sender });
                let response = client
                    .post(url.clone())
                    .header("Idempotency-Key", &message.idempotency_key)
                    .json(&body)
                    .send()
                    .await
                    .map_err(|e| DeliveryError::Transient(format!("SMS provider unreachable: {e}")))?;
                let status = response.status();
                if status.is_success() {
                    return Ok(());
                }
                let text: String = response.text().await.unwrap_or_default().chars().take(200).collect();
                let detail = format!("SMS provider answered {status}: {text}");
                if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 {
                    Err(DeliveryError::Permanent(detail))
                } else {
                    Err(DeliveryError::Transient(detail))
                }
            }
            Self::Files { dir } => {
                let path = dir.join(format!("{}.txt", crate::file_stem(message)));
                let contents = format!(
                    "To: {}\nFrom: {sender}\n\n{}\n",
                    message.recipient, message.payload.text
                );
                crate::write_atomically(&path, contents.into_bytes()).await
            }
        }
    }
}
