//! The delivery worker: claim, deliver, record. Runs inside `relais serve` or alone
//! as `relais worker`; several may run against one PostgreSQL database.

use std::sync::Arc;
use std::time::Duration;

use relais_core::backoff::{self, Retry};
use relais_store::{DynStore, StoreResult};
use tokio::sync::watch;

use crate::{Deliverer, DeliveryError, Renderer};

/// How long the worker lets messages gather after a partial batch.
const GATHER: Duration = Duration::from_millis(50);
/// How long a claimed message is reserved for this worker. A worker that dies
/// mid-delivery loses it after this, and another worker picks the message up.
const LEASE_SECS: i64 = 120;
/// Messages claimed at once.
const BATCH: i64 = 500;
/// Deliveries in flight at once: an SMTP server answers in milliseconds, so one at a
/// time would cap a worker far below what a mobilisation needs.
const CONCURRENCY: usize = 8;
/// Longest sleep when idle: other processes' messages are found at most this late.
const POLL: Duration = Duration::from_secs(1);
/// How often expired sessions and sign-in links are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// How often the database is checkpointed (SQLite).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// How often petitions are checked for a milestone passed.
const MILESTONES_EVERY: Duration = Duration::from_secs(30);
/// Recipients queued (or moved from a post's queue to the outbox) per fan-out
/// transaction: small enough that the signature writer, waiting its turn behind a
/// chunk, never waits long, large enough that a million recipients take only 1,000
/// statements. Into the outbox, 2,000 made signing lose 30 % during a fan-out and
/// 1,000 about 16 %; into the narrow post queue a chunk holds the turn a few
/// milliseconds (`relais-bench broadcast`).
const FANOUT_CHUNK: i64 = 1_000;
/// Shortest time between two chunks: 50,000 recipients a second at most, a million
/// in 20 s, which is all a post needs; going faster would only take the write lock
/// and the cores from people signing.
const FANOUT_INTERVAL: Duration = Duration::from_millis(20);
/// Longest time between two chunks while a chunk takes less: 37,000 recipients a
/// second at least, a million within half a minute even when a signing rush makes
/// each chunk wait longer for its turn (the pause is cut short to keep this pace).
const FANOUT_PACE: Duration = Duration::from_millis(27);

/// How often the fan-out task looks for a post or a message to fan out, and for
/// queued recipients to move to the outbox, when it has nothing to do: a post
/// starts within a quarter of a second, and four seconds of bulk delivery are kept
/// ready in the outbox.
const FANOUT_IDLE: Duration = Duration::from_millis(250);

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
    /// Renders messages made at delivery.
    renderer: Option<Arc<dyn Renderer>>,
    /// Bulk messages (posts to signers) sent per second at most, and the allowance
    /// accumulated so far: a broadcast must leave the machine (and the SMTP relay's
    /// quota) to the people signing and to the messages someone is waiting for.
    bulk_per_second: f64,
    bulk_allowance: std::sync::Mutex<(f64, std::time::Instant)>,
    /// Set while this process's fan-out task has chunks left to enqueue: bulk
    /// messages wait meanwhile (half a minute for a million recipients), so that the
    /// fan-out and their delivery never take write turns from signing together.
    fanning_out: Arc<std::sync::atomic::AtomicBool>,
}

/// Default of [`Worker::bulk_per_second`]: a million messages in about half an hour.
pub const DEFAULT_BULK_PER_SECOND: u32 = 500;

/// What became of one claimed message.
enum Outcome {
    Sent,
    Failed(DeliveryError),
    /// Not to be sent any more (consent withdrawn…).
    Cancelled,
}

/// Queues one chunk of the oldest post still being fanned out, else enqueues one
/// chunk of the oldest message to a segment whose time has come, saying when one
/// has reached every recipient; how many it took, `None` when nothing was waiting.
async fn fan_out_chunk(store: &DynStore) -> StoreResult<Option<u64>> {
    if let Some(step) = store.fan_out(now(), FANOUT_CHUNK).await? {
        if step.done {
            tracing::info!(post = step.post_id, "post fanned out to every recipient");
        }
        return Ok(Some(step.enqueued));
    }
    let step = store.fan_out_messages(now(), FANOUT_CHUNK).await?;
    if let Some(step) = step.filter(|s| s.done) {
        tracing::info!(message = step.message_id, "message fanned out to every recipient");
    }
    Ok(step.map(|s| s.enqueued))
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
            renderer: None,
            bulk_per_second: f64::from(DEFAULT_BULK_PER_SECOND),
            bulk_allowance: std::sync::Mutex::new((0.0, std::time::Instant::now())),
            fanning_out: Arc::default(),
        }
    }

    /// Sends at most `rate` bulk messages a second (0: no limit).
    pub fn bulk_per_second(mut self, rate: u32) -> Self {
        self.bulk_per_second = if rate == 0 { f64::INFINITY } else { f64::from(rate) };
        self
    }

    /// How many bulk messages this batch may carry (a token bucket holding a second's
    /// worth, at least one batch).
    fn bulk_budget(&self) -> i64 {
        let Ok(mut bucket) = self.bulk_allowance.lock() else {
            return BATCH;
        };
        let (tokens, since) = *bucket;
        #[allow(clippy::cast_precision_loss)]
        let tokens =
            (tokens + since.elapsed().as_secs_f64() * self.bulk_per_second).min(self.bulk_per_second.max(BATCH as f64));
        *bucket = (tokens, std::time::Instant::now());
        if self.fanning_out.load(std::sync::atomic::Ordering::Relaxed) {
            return 0;
        }
        #[allow(clippy::cast_possible_truncation)]
        let budget = tokens.floor().min(BATCH as f64) as i64;
        budget
    }

    /// How many bulk messages the outbox is kept stocked with from the posts'
    /// queues: four seconds of delivery at the configured rate, at least two
    /// batches. More would only spend write turns early, on messages that wait.
    fn feed_backlog(&self) -> i64 {
        if self.bulk_per_second.is_finite() {
            #[allow(clippy::cast_possible_truncation)]
            let rate = self.bulk_per_second as i64;
            (4 * rate).max(2 * BATCH)
        } else {
            10 * BATCH
        }
    }

    /// Spends the bulk allowance used by a batch.
    fn spend_bulk(&self, used: usize) {
        if let Ok(mut bucket) = self.bulk_allowance.lock() {
            #[allow(clippy::cast_precision_loss)]
            let used = used as f64;
            bucket.0 = (bucket.0 - used).max(0.0);
        }
    }

    /// Renders deferred messages (petition posts) with `renderer`.
    pub fn with_renderer(mut self, renderer: Arc<dyn Renderer>) -> Self {
        self.renderer = Some(renderer);
        self
    }

    /// Enqueues one chunk of the oldest post (else message to a segment) still being
    /// fanned out; returns how many copies it enqueued, `None` when none is waiting.
    pub async fn fan_out_step(&self) -> StoreResult<Option<u64>> {
        let step = fan_out_chunk(&self.store).await?;
        if step.is_some() {
            self.store.wakeup().notify_one();
        }
        Ok(step)
    }

    /// Writes the milestone posts that are due; returns how many.
    pub async fn announce_milestones(&self) -> StoreResult<usize> {
        let posts = self.store.announce_milestones(now()).await?;
        for post in &posts {
            tracing::info!(
                petition = post.petition_id,
                milestone = post.milestone,
                "milestone passed"
            );
        }
        Ok(posts.len())
    }

    /// Delivers one message, rendering it first when its content is deferred.
    async fn attempt(
        deliverer: Arc<Deliverer>,
        renderer: Option<Arc<dyn Renderer>>,
        mut message: relais_store::OutboxMessage,
    ) -> (relais_store::OutboxMessage, Outcome) {
        if let Some(deferred) = message.payload.deferred {
            let Some(renderer) = renderer else {
                let error = DeliveryError::Permanent("no renderer for a deferred message".into());
                return (message, Outcome::Failed(error));
            };
            match renderer.render(&message, deferred).await {
                Ok(Some(payload)) => message.payload = payload,
                Ok(None) => return (message, Outcome::Cancelled),
                Err(error) => return (message, Outcome::Failed(error)),
            }
        }
        let outcome = match deliverer.deliver(&message).await {
            Ok(()) => Outcome::Sent,
            Err(error) => Outcome::Failed(error),
        };
        (message, outcome)
    }

    /// Also deletes petition signatures left unconfirmed for `days`, during housekeeping.
    pub fn expire_signatures_after(mut self, days: i64) -> Self {
        self.signature_expiry_days = Some(days);
        self
    }

    /// Deletes expired sessions, links and unconfirmed signatures, and erases the
    /// people each association's retention policy no longer keeps.
    pub async fn housekeeping(&self) -> StoreResult<u64> {
        let mut n = self.store.purge_expired(now()).await?;
        if let Some(days) = self.signature_expiry_days {
            n += self.store.expire_unconfirmed(now() - days * 86_400).await?;
        }
        // Each association's retention policy, a few hundred people per round so that
        // a first run on a large base never holds the writer for long.
        n += self.store.apply_retention(now(), 500).await?;
        self.store.optimize().await?;
        Ok(n)
    }

    /// Shared counters (sent, failed) for metrics.
    pub fn stats(&self) -> Arc<WorkerStats> {
        Arc::clone(&self.stats)
    }

    /// Claims one batch and delivers it; returns how many messages were attempted.
    pub async fn run_once(&self) -> StoreResult<usize> {
        let budget = self.bulk_budget();
        self.deliver_batch(budget).await
    }

    /// Claims one batch with at most `bulk_limit` bulk messages and delivers it.
    async fn deliver_batch(&self, bulk_limit: i64) -> StoreResult<usize> {
        use futures_util::StreamExt;
        let batch = self.store.claim_classes(now(), LEASE_SECS, BATCH, bulk_limit).await?;
        // Bulk messages are the posts to signers and the messages to segments; a
        // thank-you is someone's own message.
        let bulk = batch
            .iter()
            .filter(|m| {
                matches!(
                    m.payload.deferred,
                    Some(relais_store::Deferred::PetitionPost { .. } | relais_store::Deferred::Message { .. })
                )
            })
            .count();
        self.spend_bulk(bulk);
        let count = batch.len();
        // Owned messages and a cloned handle: the futures must not borrow from the
        // worker, or the task running it would not be `Send + 'static`.
        let results: Vec<_> = futures_util::stream::iter(batch)
            .map(|message| Self::attempt(Arc::clone(&self.deliverer), self.renderer.clone(), message))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut sent = Vec::with_capacity(results.len());
        let mut cancelled = Vec::new();
        for (message, outcome) in results {
            match outcome {
                Outcome::Sent => {
                    sent.push(message.id);
                    self.stats.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Outcome::Cancelled => cancelled.push(message.id),
                Outcome::Failed(error) => {
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
        self.store
            .mark_cancelled(
                &cancelled,
                "no longer wanted: consent withdrawn or signature invalidated",
            )
            .await?;
        Ok(count)
    }

    /// Announces milestones, fans posts out and delivers until nothing is due:
    /// what tests and `relais worker --once` use instead of sleeping.
    pub async fn drain(&self) -> StoreResult<usize> {
        self.announce_milestones().await?;
        while self.fan_out_step().await?.is_some() {}
        while self.store.feed_outbox(now(), FANOUT_CHUNK, i64::MAX).await? > 0 {}
        let mut total = 0;
        loop {
            // Draining is for tests and `worker --once`: no rate to keep.
            let n = self.deliver_batch(BATCH).await?;
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
        let mut next_milestones = std::time::Instant::now();
        let fan_out = tokio::spawn(Self::fan_out_loop(
            self.store.clone(),
            Arc::clone(&self.fanning_out),
            self.feed_backlog(),
            shutdown.clone(),
        ));
        let checkpoints = tokio::spawn(Self::checkpoint_loop(self.store.clone(), shutdown.clone()));
        loop {
            if *shutdown.borrow() {
                break;
            }
            if std::time::Instant::now() >= next_milestones {
                next_milestones += MILESTONES_EVERY;
                if let Err(error) = self.announce_milestones().await {
                    tracing::warn!(%error, "milestone check failed");
                }
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
            if usize::try_from(BATCH).is_ok_and(|full| delivered >= full) {
                continue;
            }
            if delivered > 0 {
                // A partial batch: let the next one gather for a moment instead of
                // claiming each message as it arrives. Under a signing rush every
                // claim and every "sent" mark is a write transaction competing with
                // the signature writer; a twentieth of a second of gathering bounds
                // them to about twenty of each a second, and a full batch goes on at once.
                tokio::select! {
                    () = tokio::time::sleep(GATHER) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            tokio::select! {
                () = wakeup.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => {}
            }
        }
        let _ = fan_out.await;
        let _ = checkpoints.await;
        tracing::info!("delivery worker stopped");
    }

    /// Checkpoints the database every second (SQLite's write-ahead log), so the
    /// signature writer's commits never stop to do it.
    async fn checkpoint_loop(store: DynStore, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(CHECKPOINT_EVERY) => {}
                _ = shutdown.changed() => return,
            }
            if *shutdown.borrow() {
                return;
            }
            if let Err(error) = store.checkpoint().await {
                tracing::warn!(%error, "checkpoint failed");
            }
        }
    }

    /// Fans posts out beside delivery, at most one chunk per [`FANOUT_INTERVAL`] and
    /// pausing after each chunk three quarters of the time it took (waiting for its
    /// turn included), cut short to keep [`FANOUT_PACE`]: on a loaded machine the
    /// signature writer keeps most of the write turns, and a million recipients are
    /// still queued within half a minute (23–26 s under a signing rush). A post's
    /// recipients go to its narrow queue; when nothing is left to queue, the same
    /// loop moves them to the outbox a chunk at a time, only while fewer than
    /// `backlog` bulk messages wait there, so the outbox rows are written at the
    /// delivery's pace (500 a second by default) rather than all at once. Bulk
    /// messages wait while chunks are left to queue: queuing and a bulk delivery at
    /// once would take write turns from signing together.
    async fn fan_out_loop(
        store: DynStore,
        fanning_out: Arc<std::sync::atomic::AtomicBool>,
        backlog: i64,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let wakeup = store.wakeup();
        loop {
            if *shutdown.borrow() {
                return;
            }
            let started = std::time::Instant::now();
            let step = fan_out_chunk(&store).await;
            // Bulk delivery waits while chunks are left (see `Worker::fanning_out`);
            // a failing fan-out must not hold it.
            fanning_out.store(matches!(step, Ok(Some(_))), std::sync::atomic::Ordering::Relaxed);
            // Nothing left to queue: keep the outbox stocked for bulk delivery from
            // the posts' queues, a chunk at a time and at the same pace.
            let step = match step {
                Ok(None) => match store.feed_outbox(now(), FANOUT_CHUNK, backlog).await {
                    Ok(0) => Ok(None),
                    Ok(moved) => Ok(Some(moved)),
                    Err(error) => Err(error),
                },
                other => other,
            };
            let pause = match step {
                Ok(Some(_)) => {
                    // New messages: the delivery loop may be asleep.
                    wakeup.notify_waiters();
                    let took = started.elapsed();
                    Some(
                        (took * 3 / 4)
                            .min(FANOUT_PACE.saturating_sub(took))
                            .max(FANOUT_INTERVAL.saturating_sub(took)),
                    )
                }
                Ok(None) => None,
                Err(error) => {
                    tracing::warn!(%error, "fan-out failed");
                    Some(POLL)
                }
            };
            if let Some(pause) = pause {
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            // A timer, not the store's wake-up: that one fires on every signature
            // batch, and each look here is a few queries (on PostgreSQL, signing
            // lost 43 % during a delivery when this loop answered every wake-up,
            // 14–18 % with the timer; `relais-bench broadcast`).
            tokio::select! {
                () = tokio::time::sleep(FANOUT_IDLE) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bulk_messages_wait_while_a_fan_out_has_chunks_left() {
        let dir = tempfile::tempdir().unwrap();
        let store = relais_store::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap();
        let config = crate::DeliveryConfig {
            data_dir: dir.path().to_path_buf(),
            smtp_url: None,
            sms_url: None,
            from_address: "relais@asso.example".into(),
        };
        let worker = Worker::new(store, Arc::new(Deliverer::new(&config).unwrap())).bulk_per_second(0);
        assert_eq!(worker.bulk_budget(), BATCH, "no rate: a whole batch");
        worker.fanning_out.store(true, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(worker.bulk_budget(), 0, "held while chunks are left");
        worker.fanning_out.store(false, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(worker.bulk_budget(), BATCH, "and let go after");
    }
}
