//! The group-commit writer for signatures. Under load, thousands of requests a
//! second each want a small transaction; one transaction per request would make
//! the disk's fsync the bottleneck (SQLite) or flood the server with commits
//! (PostgreSQL). Requests queue here; one task takes everything queued — up to
//! [`MAX_BATCH`] — writes it in one transaction and answers each request only after
//! the commit, so an acknowledged signature is a durable one. With no load a batch
//! is a single request and nothing waits: batching costs no latency.

use tokio::sync::{mpsc, oneshot};

use crate::{DynStore, SignOutcome, SignRequest, StoreError, StoreResult};

/// Largest batch: bounds one transaction's duration, hence the p99 of the batch after it.
pub const MAX_BATCH: usize = 512;
/// Requests that may wait; beyond, callers wait for room (back-pressure, not memory growth).
const QUEUE: usize = 8_192;

type Job = (SignRequest, oneshot::Sender<StoreResult<SignOutcome>>);

/// Handle to submit signatures; clone it freely. The task ends, after writing what
/// was queued, when every handle is dropped.
#[derive(Clone)]
pub struct SignWriter {
    queue: mpsc::Sender<Job>,
}

impl SignWriter {
    /// Starts the writer task over `store`.
    pub fn spawn(store: DynStore) -> (Self, tokio::task::JoinHandle<()>) {
        let (queue, rx) = mpsc::channel(QUEUE);
        (Self { queue }, tokio::spawn(run(store, rx)))
    }

    /// Records one signature; returns after its transaction committed.
    pub async fn sign(&self, request: SignRequest) -> StoreResult<SignOutcome> {
        let (tx, rx) = oneshot::channel();
        self.queue
            .send((request, tx))
            .await
            .map_err(|_| StoreError::Unavailable("signature writer stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Unavailable("signature writer stopped".into()))?
    }
}

async fn run(store: DynStore, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let requests: Vec<SignRequest> = batch.iter().map(|(r, _)| r.clone()).collect();
        let now = jiff::Timestamp::now().as_second();
        match store.sign_batch(&requests, now).await {
            Ok(outcomes) => {
                for ((_, reply), outcome) in batch.drain(..).zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(error) => {
                // Nothing of the batch was written (one transaction): every caller hears so.
                tracing::error!(%error, size = batch.len(), "signature batch failed");
                let message = error.to_string();
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(StoreError::Unavailable(message.clone())));
                }
            }
        }
    }
}
