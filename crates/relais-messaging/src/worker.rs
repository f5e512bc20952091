//! The delivery worker: claim, deliver, record. Runs inside `relais serve` or alone
//! as `relais worker`; several may run against one PostgreSQL database.

use std::sync::Arc;
use std::time::Duration;

use relais_core::backoff::{self, Retry};
use relais_store::{DynStore, StoreResult};
use tokio::sync::watch;

use crate::{Deliverer, DeliveryError};

/// How long a claimed message is reserved for this worker. A worker that dies
/// mid-delivery loses it after this, and another worker picks the message up.
const LEASE_SECS: i64 = 120;
/// Messages claimed at once.
const BATCH: i64 = 200;
/// Deliveries in flight at once: an SMTP server answers in milliseconds, so one at a
/// time would cap a worker far below what a mobilisation needs.
const CONCURRENCY: usize = 8;
/// Longest sleep when idle: other processes' messages are found at most this late.
const POLL: Duration = Duration::from_secs(1);
/// How often expired sessions and sign-in links are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Counters the web layer exports on `/metrics`.
#[derive(Debug, Default)]
pub struct WorkerStats {
    /// Messages delivered.
    pub sent: std::sync::atomic::AtomicU64,
    /// Failed attempts (retried or dead-lettered).
    pub failed: std::sync::atomic::AtomicU64,
}

/// Delivers outbox messages.
pub struct Worker {
    store: DynStore,
    deliverer: Arc<Deliverer>,
    stats: Arc<WorkerStats>,
    /// Unconfirmed petition signatures older than this are deleted (housekeeping).
    signature_expiry_days: Option<i64>,
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl Worker {
    /// A worker over `store`, delivering through `deliverer`.
    pub fn new(store: DynStore, deliverer: Arc<Deliverer>) -> Self {
        Self {
            store,
            deliverer,
            stats: Arc::default(),
            signature_expiry_days: None,
        }
    }

    /// Also deletes petition signatures left unconfirmed for `days`, during housekeeping.
    pub fn expire_signatures_after(mut self, days: i64) -> Self {
        self.signature_expiry_days = Some(days);
        self
    }

    /// Deletes expired sessions, links and unconfirmed signatures.
    pub async fn housekeeping(&self) -> StoreResult<u64> {
        let mut n = self.store.purge_expired(now()).await?;
        if let Some(days) = self.signature_expiry_days {
            n += self.store.expire_unconfirmed(now() - days * 86_400).await?;
        }
        Ok(n)
    }

    /// Shared counters (sent, failed) for metrics.
    pub fn stats(&self) -> Arc<WorkerStats> {
        Arc::clone(&self.stats)
    }

    /// Claims one batch and delivers it; returns how many messages were attempted.
    pub async fn run_once(&self) -> StoreResult<usize> {
        use futures_util::StreamExt;
        let batch = self.store.claim(now(), LEASE_SECS, BATCH).await?;
        let count = batch.len();
        // Owned messages and a cloned handle: the futures must not borrow from the
        // worker, or the task running it would not be `Send + 'static`.
        let results: Vec<_> = futures_util::stream::iter(batch)
            .map(|message| {
                let deliverer = Arc::clone(&self.deliverer);
                async move {
                    let result = deliverer.deliver(&message).await;
                    (message, result)
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut sent = Vec::with_capacity(results.len());
        for (message, result) in results {
            match result {
                Ok(()) => {
                    sent.push(message.id);
                    self.stats.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Err(error) => {
                    self.stats.failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let attempt = u32::try_from(message.attempts).unwrap_or(u32::MAX);
                    let retry = match &error {
                        DeliveryError::Permanent(_) => Retry::GiveUp,
                        DeliveryError::Transient(_) => backoff::after_failure(attempt, rand::random::<f64>()),
                    };
                    // The recipient is personal data: log the message id, not the address.
                    tracing::warn!(id = message.id, attempt, %error, dead = matches!(retry, Retry::GiveUp), "delivery failed");
                    self.store
                        .mark_failed(message.id, &error.to_string(), retry, now())
                        .await?;
                }
            }
        }
        self.store.mark_sent(&sent, now()).await?;
        Ok(count)
    }

    /// Delivers until nothing is due: what tests and `relais worker --once` use
    /// instead of sleeping.
    pub async fn drain(&self) -> StoreResult<usize> {
        let mut total = 0;
        loop {
            let n = self.run_once().await?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    }

    /// Runs until `shutdown` turns true, then returns after the current batch.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let wakeup = self.store.wakeup();
        tracing::info!(channels = %self.deliverer.describe(), "delivery worker started");
        let mut next_purge = std::time::Instant::now();
        loop {
            if *shutdown.borrow() {
                break;
            }
            if std::time::Instant::now() >= next_purge {
                next_purge += PURGE_EVERY;
                // Housekeeping rides on the worker: every installation runs at least one.
                match self.housekeeping().await {
                    Ok(n) => tracing::debug!(rows = n, "expired sessions, links and signatures deleted"),
                    Err(error) => tracing::warn!(%error, "housekeeping failed"),
                }
            }
            let delivered = match self.run_once().await {
                Ok(n) => n,
                Err(error) => {
                    tracing::error!(%error, "delivery worker could not reach the database");
                    0
                }
            };
            if delivered > 0 {
                continue;
            }
            tokio::select! {
                () = wakeup.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("delivery worker stopped");
    }
}
