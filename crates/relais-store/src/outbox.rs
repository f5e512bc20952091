//! [`crate::OutboxStore`] for both backends, plus the helpers other aggregates use
//! to enqueue a message inside their own transaction.

pub(crate) const OUTBOX_COLUMNS: &str =
    "id, org_id, channel, recipient, payload, idempotency_key, status, attempts, last_error, created_at";

macro_rules! impl_outbox_store {
    ($store:ty, $conn:ty, claim_lock = $lock:literal) => {
        impl $store {
            async fn insert_message(conn: &mut $conn, m: &$crate::NewMessage, now: i64) -> $crate::StoreResult<bool> {
                let payload = serde_json::to_string(&m.payload)
                    .map_err(|e| $crate::StoreError::Corrupt(format!("payload: {e}")))?;
                let done = sqlx::query(
                    "INSERT INTO outbox (org_id, channel, recipient, payload, idempotency_key, status, attempts, \
                     next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6) \
                     ON CONFLICT (idempotency_key) DO NOTHING",
                )
                .bind(m.org_id)
                .bind(m.channel.as_str())
                .bind(&m.recipient)
                .bind(payload)
                .bind(&m.idempotency_key)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_link(conn: &mut $conn, l: &$crate::NewLoginToken, now: i64) -> $crate::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO login_tokens (nonce, user_id, purpose, org_id, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&l.nonce)
                .bind(l.user_id)
                .bind(l.purpose.as_str())
                .bind(l.org_id)
                .bind(l.expires_at)
                .bind(now)
                .execute(&mut *conn)
                .await
                .map_err($crate::error::conflict_on_unique("link"))?;
                Ok(())
            }

            /// Ends `qb` (an `UPDATE outbox SET …`) with `WHERE id IN (ids)` and runs it
            /// in a transaction of its own, only to take the write turn (SQLite).
            async fn update_ids(
                &self,
                mut qb: sqlx::QueryBuilder<<$conn as sqlx::Connection>::Database>,
                ids: &[i64],
            ) -> $crate::StoreResult<()> {
                qb.push(" WHERE id IN (");
                let mut list = qb.separated(", ");
                for id in ids {
                    list.push_bind(*id);
                }
                qb.push(")");
                let mut tx = self.begin_write().await?;
                qb.build().execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            /// Wakes this process's worker at once instead of at its next poll.
            fn notify_enqueued(&self) {
                self.wakeup.notify_one();
            }
        }

        #[async_trait::async_trait]
        impl $crate::OutboxStore for $store {
            async fn enqueue(&self, m: &$crate::NewMessage, now: i64) -> $crate::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let inserted = Self::insert_message(&mut tx, m, now).await?;
                tx.commit().await?;
                self.notify_enqueued();
                Ok(inserted)
            }

            async fn claim_classes(
                &self,
                now: i64,
                lease_secs: i64,
                limit: i64,
                bulk_limit: i64,
            ) -> $crate::StoreResult<Vec<$crate::OutboxMessage>> {
                // Three claims, each a range scan of its own partial index, so that a
                // million queued messages cost nothing to the next claim: messages of a
                // worker that died (lease run out), then messages someone is waiting
                // for (a confirmation, a sign-in link), then bulk messages (with a
                // topic: a post to a million signers) in what is left of the batch.
                // One transaction for the three: on SQLite every commit is a turn of the
                // single write lock (and an fsync) taken from the signature writer.
                let mut tx = self.begin_write().await?;
                let mut rows: Vec<$crate::model::OutboxRow> = Vec::new();
                let claims = [
                    "status = 'sending' AND lease_until < $1",
                    "status = 'pending' AND topic IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, id",
                    "status = 'pending' AND topic IS NOT NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, id",
                ];
                for (i, due) in claims.iter().enumerate() {
                    let taken = i64::try_from(rows.len()).unwrap_or(i64::MAX);
                    let room = if i == 2 {
                        (limit - taken).min(bulk_limit)
                    } else {
                        limit - taken
                    };
                    if room <= 0 {
                        continue;
                    }
                    let sql = format!(
                        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, lease_until = $1 + $2 \
                         WHERE id IN (SELECT id FROM outbox WHERE {due} LIMIT $3 {}) RETURNING {}",
                        $lock,
                        $crate::outbox::OUTBOX_COLUMNS
                    );
                    let claimed: Vec<$crate::model::OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(now)
                        .bind(lease_secs)
                        .bind(room)
                        .fetch_all(&mut *tx)
                        .await?;
                    rows.extend(claimed);
                }
                tx.commit().await?;
                let mut messages: Vec<$crate::OutboxMessage> = rows
                    .into_iter()
                    .map(TryInto::try_into)
                    .collect::<Result<_, _>>()?;
                messages.sort_by_key(|m| m.id);
                Ok(messages)
            }

            async fn mark_sent(&self, ids: &[i64], now: i64) -> $crate::StoreResult<()> {
                if ids.is_empty() {
                    return Ok(());
                }
                // One statement for a whole batch: on SQLite each write transaction
                // competes with the signature writer for the single write lock.
                let mut qb = sqlx::QueryBuilder::new(
                    "UPDATE outbox SET status = 'sent', lease_until = NULL, last_error = NULL, sent_at = ",
                );
                qb.push_bind(now);
                self.update_ids(qb, ids).await
            }

            async fn mark_cancelled(&self, ids: &[i64], reason: &str) -> $crate::StoreResult<()> {
                if ids.is_empty() {
                    return Ok(());
                }
                let mut qb = sqlx::QueryBuilder::new(
                    "UPDATE outbox SET status = 'cancelled', lease_until = NULL, last_error = ",
                );
                qb.push_bind(reason);
                self.update_ids(qb, ids).await
            }

            async fn mark_failed(
                &self,
                id: i64,
                error: &str,
                retry: relais_core::backoff::Retry,
                now: i64,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let (status, next) = match retry {
                    relais_core::backoff::Retry::After(secs) => ("pending", now + secs),
                    relais_core::backoff::Retry::GiveUp => ("dead", now),
                };
                sqlx::query(
                    "UPDATE outbox SET status = $2, next_attempt_at = $3, lease_until = NULL, last_error = $4 \
                     WHERE id = $1",
                )
                .bind(id)
                .bind(status)
                .bind(next)
                .bind(error)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn dead_letters(
                &self,
                access: &$crate::OrgAccess,
            ) -> $crate::StoreResult<Vec<$crate::OutboxMessage>> {
                let sql = format!(
                    "SELECT {} FROM outbox WHERE org_id = $1 AND status = 'dead' ORDER BY id DESC LIMIT 500",
                    $crate::outbox::OUTBOX_COLUMNS
                );
                let rows: Vec<$crate::model::OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn retry_dead(&self, access: &$crate::OrgAccess, id: i64, now: i64) -> $crate::StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $3 \
                     WHERE id = $1 AND org_id = $2 AND status = 'dead'",
                )
                .bind(id)
                .bind(access.org_id())
                .bind(now)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                self.notify_enqueued();
                Ok(())
            }

            async fn outbox_counts(&self) -> $crate::StoreResult<$crate::OutboxCounts> {
                let rows: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status")
                    .fetch_all(&self.pool)
                    .await?;
                let mut counts = $crate::OutboxCounts::default();
                for (status, n) in rows {
                    match status.as_str() {
                        "pending" => counts.pending = n,
                        "sending" => counts.sending = n,
                        "sent" => counts.sent = n,
                        "dead" => counts.dead = n,
                        _ => {}
                    }
                }
                Ok(counts)
            }

            async fn message_by_key(&self, key: &str) -> $crate::StoreResult<Option<$crate::OutboxMessage>> {
                let sql = format!(
                    "SELECT {} FROM outbox WHERE idempotency_key = $1",
                    $crate::outbox::OUTBOX_COLUMNS
                );
                let row: Option<$crate::model::OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }
        }
    };
}

pub(crate) use impl_outbox_store;
