//! [`crate::PostStore`] for both backends (see `orgs.rs` for why a macro): petition
//! posts, their fan-out to the outbox, milestones, consents and clicks.

macro_rules! impl_post_store {
    ($store:ty, claim_lock = $lock:literal, row_lock = $row_lock:literal) => {
        impl $store {
            async fn post_where(&self, clause: &str, a: i64, b: Option<i64>) -> $crate::StoreResult<Vec<$crate::Post>> {
                let sql = format!(
                    "SELECT {} FROM petition_posts WHERE {clause} ORDER BY id DESC",
                    $crate::post_model::POST_COLUMNS
                );
                let mut q = sqlx::query_as::<_, $crate::post_model::PostRow>(sqlx::AssertSqlSafe(sql)).bind(a);
                if let Some(b) = b {
                    q = q.bind(b);
                }
                q.fetch_all(&self.pool).await?.into_iter().map(TryInto::try_into).collect()
            }
        }

        #[async_trait::async_trait]
        impl $crate::PostStore for $store {
            async fn create_post(
                &self,
                access: &$crate::OrgAccess,
                post: &$crate::NewPost<'_>,
                now: i64,
            ) -> $crate::StoreResult<$crate::Post> {
                use relais_core::petition::PetitionState;
                use relais_core::post::PostKind;
                let mut tx = self.begin_write().await?;
                let state: Option<String> = sqlx::query_scalar("SELECT state FROM petitions WHERE id = $1 AND org_id = $2")
                    .bind(post.petition_id)
                    .bind(access.org_id())
                    .fetch_optional(&mut *tx)
                    .await?;
                let state = state
                    .as_deref()
                    .and_then(PetitionState::parse)
                    .ok_or($crate::StoreError::NotFound)?;
                match relais_core::post::post_allowed(post.draft.kind, state) {
                    Err(relais_core::post::PostRefused::VictoryTwice) => {
                        return Err($crate::StoreError::Conflict("victory"));
                    }
                    Err(relais_core::post::PostRefused::State) => return Err($crate::StoreError::Conflict("state")),
                    Ok(()) => {}
                }
                if post.draft.kind == PostKind::Victory {
                    // Compare-and-set under the write lock: one victory, whoever clicks first.
                    let done = sqlx::query(
                        "UPDATE petitions SET state = 'victory', updated_at = $3 WHERE id = $1 AND state = $2",
                    )
                    .bind(post.petition_id)
                    .bind(state.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err($crate::StoreError::Conflict("victory"));
                    }
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO petition_posts (org_id, petition_id, kind, body, image_path, document_path, \
                     document_name, responded_on, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(access.org_id())
                .bind(post.petition_id)
                .bind(post.draft.kind.as_str())
                .bind(&post.draft.body)
                .bind(post.image_path)
                .bind(post.document.map(|d| d.0))
                .bind(post.document.map(|d| d.1))
                .bind(post.draft.responded_on.map(|d| d.to_string()))
                .bind(post.created_by)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                // The worker fans it out; wake it rather than wait for its next poll.
                self.wakeup.notify_one();
                self.post_where("id = $1", id, None)
                    .await?
                    .pop()
                    .ok_or($crate::StoreError::NotFound)
            }

            async fn posts(&self, petition_id: i64) -> $crate::StoreResult<Vec<$crate::Post>> {
                self.post_where("petition_id = $1", petition_id, None).await
            }

            async fn post(&self, post_id: i64) -> $crate::StoreResult<Option<$crate::Post>> {
                Ok(self.post_where("id = $1", post_id, None).await?.pop())
            }

            async fn post_stats(
                &self,
                access: &$crate::OrgAccess,
                petition_id: i64,
            ) -> $crate::StoreResult<Vec<$crate::PostStats>> {
                let posts = self
                    .post_where("petition_id = $1 AND org_id = $2", petition_id, Some(access.org_id()))
                    .await?;
                let mut out = Vec::with_capacity(posts.len());
                for post in posts {
                    let topic = relais_core::post::post_topic(post.id);
                    let rows: Vec<(String, i64)> =
                        sqlx::query_as("SELECT status, COUNT(*) FROM outbox WHERE topic = $1 GROUP BY status")
                            .bind(&topic)
                            .fetch_all(&self.pool)
                            .await?;
                    let (clicks, clickers): (i64, i64) = sqlx::query_as(
                        "SELECT COUNT(*), COUNT(DISTINCT supporter_id) FROM message_clicks WHERE topic = $1",
                    )
                    .bind(&topic)
                    .fetch_one(&self.pool)
                    .await?;
                    let mut stats = $crate::PostStats {
                        // Recipients still in the post's queue wait like those in the outbox.
                        pending: post.queue_left,
                        post,
                        sent: 0,
                        failed: 0,
                        cancelled: 0,
                        clicks,
                        clickers,
                    };
                    for (status, n) in rows {
                        match status.as_str() {
                            "pending" | "sending" => stats.pending += n,
                            "sent" => stats.sent = n,
                            "dead" => stats.failed = n,
                            "cancelled" => stats.cancelled = n,
                            _ => {}
                        }
                    }
                    out.push(stats);
                }
                Ok(out)
            }

            async fn post_recipient(
                &self,
                post: &$crate::Post,
                signature_id: i64,
            ) -> $crate::StoreResult<Option<$crate::PostRecipient>> {
                Ok(sqlx::query_as(
                    "SELECT s.supporter_id, s.email, s.first_name, s.locale, s.ref_code, \
                     (s.status = 'confirmed' AND COALESCE((SELECT c.granted FROM consents c \
                       WHERE c.supporter_id = s.supporter_id AND c.channel = 'email' AND c.purpose = $3 \
                       ORDER BY c.id DESC LIMIT 1), FALSE)) AS deliverable \
                     FROM signatures s WHERE s.id = $1 AND s.petition_id = $2",
                )
                .bind(signature_id)
                .bind(post.petition_id)
                .bind(relais_core::post::updates_purpose(post.petition_id))
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn fan_out(&self, now: i64, limit: i64) -> $crate::StoreResult<Option<$crate::FanOut>> {
                // A read first: the worker asks each time it wakes, and a write turn
                // taken to find nothing would be taken from people signing.
                let waiting: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM petition_posts WHERE fanout_done_at IS NULL LIMIT 1")
                        .fetch_optional(&self.pool)
                        .await?;
                if waiting.is_none() {
                    return Ok(None);
                }
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "SELECT id, petition_id, fanout_cursor, created_at FROM petition_posts \
                     WHERE fanout_done_at IS NULL ORDER BY id LIMIT 1 {}",
                    $lock
                );
                let next: Option<(i64, i64, i64, i64)> =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_optional(&mut *tx).await?;
                let Some((post_id, petition_id, cursor, created_at)) = next else {
                    return Ok(None);
                };
                // The last signature of this chunk; none means the rest fits in it.
                let boundary: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM signatures WHERE petition_id = $1 AND status = 'confirmed' AND id > $2 \
                     ORDER BY id LIMIT 1 OFFSET $3",
                )
                .bind(petition_id)
                .bind(cursor)
                .bind(limit.max(1) - 1)
                .fetch_optional(&mut *tx)
                .await?;
                // One statement per chunk: the rows are built by the database, so a
                // million recipients cost a thousand statements, not a million. They go
                // to the narrow queue (see migration 0019), not the outbox.
                // Signers confirmed after the post was written see it on the page.
                let enqueued = sqlx::query(
                    "INSERT INTO post_queue (post_id, signature_id) \
                     SELECT $1, s.id FROM signatures s \
                     WHERE s.petition_id = $2 AND s.status = 'confirmed' AND s.id > $3 AND s.id <= $4 \
                     AND s.confirmed_at <= $5 \
                     AND (SELECT c.granted FROM consents c WHERE c.supporter_id = s.supporter_id \
                          AND c.channel = 'email' AND c.purpose = $6 ORDER BY c.id DESC LIMIT 1) \
                     ORDER BY s.id \
                     ON CONFLICT DO NOTHING",
                )
                .bind(post_id)
                .bind(petition_id)
                .bind(cursor)
                .bind(boundary.unwrap_or(i64::MAX))
                .bind(created_at)
                .bind(relais_core::post::updates_purpose(petition_id))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let done = boundary.is_none();
                let added = i64::try_from(enqueued).unwrap_or(i64::MAX);
                sqlx::query(
                    "UPDATE petition_posts SET fanout_cursor = $2, fanout_total = fanout_total + $3, \
                     queue_left = queue_left + $3, fanout_done_at = $4 WHERE id = $1",
                )
                .bind(post_id)
                .bind(boundary.unwrap_or(cursor))
                .bind(added)
                .bind(done.then_some(now))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Some($crate::FanOut {
                    post_id,
                    enqueued,
                    done,
                }))
            }

            async fn feed_outbox(&self, now: i64, limit: i64, backlog: i64) -> $crate::StoreResult<u64> {
                // Both reads on the pool, outside the write turn: most calls find the
                // outbox stocked enough, or nothing queued, and write nothing. Only
                // messages due count: those waiting to be retried later (a relay
                // refusing for an hour) must not hold the others back.
                let stocked: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM outbox \
                     WHERE status = 'pending' AND topic IS NOT NULL AND next_attempt_at <= $2 LIMIT $1) AS waiting",
                )
                .bind(backlog)
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
                if stocked >= backlog {
                    return Ok(0);
                }
                let queued: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM petition_posts WHERE queue_left > 0 ORDER BY id LIMIT 1")
                        .fetch_optional(&self.pool)
                        .await?;
                let Some(candidate) = queued else {
                    return Ok(0);
                };
                let mut tx = self.begin_write().await?;
                // Under the lock (PostgreSQL: several workers), the post may have been
                // fed meanwhile.
                let sql = format!(
                    "SELECT id FROM petition_posts WHERE id = $1 AND queue_left > 0 {}",
                    $lock
                );
                let locked: Option<i64> =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(candidate).fetch_optional(&mut *tx).await?;
                let Some(post_id) = locked else {
                    return Ok(0);
                };
                let boundary: Option<i64> = sqlx::query_scalar(
                    "SELECT signature_id FROM post_queue WHERE post_id = $1 \
                     ORDER BY signature_id LIMIT 1 OFFSET $2",
                )
                .bind(post_id)
                .bind(limit.max(1) - 1)
                .fetch_optional(&mut *tx)
                .await?;
                let last = boundary.unwrap_or(i64::MAX);
                // The recipient is read when the message is written: an address
                // corrected or erased since the post was queued is the one used.
                // Consent is checked again when the message is rendered.
                let payload_head = format!("{{\"deferred\":{{\"petition_post\":{{\"post\":{post_id},\"signature\":");
                sqlx::query(
                    "INSERT INTO outbox (org_id, channel, recipient, payload, idempotency_key, status, attempts, \
                     next_attempt_at, created_at, topic) \
                     SELECT s.org_id, 'email', s.email, CAST($1 AS TEXT) || s.id || '}}}', CAST($2 AS TEXT) || s.id, \
                     'pending', 0, $3, $3, $4 \
                     FROM post_queue q JOIN signatures s ON s.id = q.signature_id \
                     WHERE q.post_id = $5 AND q.signature_id <= $6 \
                     ORDER BY q.signature_id \
                     ON CONFLICT (idempotency_key) DO NOTHING",
                )
                .bind(payload_head)
                .bind(format!("{}:", relais_core::post::post_topic(post_id)))
                .bind(now)
                .bind(relais_core::post::post_topic(post_id))
                .bind(post_id)
                .bind(last)
                .execute(&mut *tx)
                .await?;
                let moved = sqlx::query("DELETE FROM post_queue WHERE post_id = $1 AND signature_id <= $2")
                    .bind(post_id)
                    .bind(last)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                // The last chunk empties the queue whatever the count said.
                sqlx::query(
                    "UPDATE petition_posts SET queue_left = CASE WHEN $3 OR queue_left <= $2 THEN 0 \
                     ELSE queue_left - $2 END WHERE id = $1",
                )
                .bind(post_id)
                .bind(i64::try_from(moved).unwrap_or(i64::MAX))
                .bind(boundary.is_none())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(moved)
            }

            async fn announce_milestones(&self, now: i64) -> $crate::StoreResult<Vec<$crate::Post>> {
                let candidates: Vec<(i64, i64, i64, Option<i64>, i64, Option<i64>)> = sqlx::query_as(
                    "SELECT id, org_id, confirmed_count, goal, milestone_announced, milestone_at FROM petitions \
                     WHERE state = 'published' AND confirmed_count > milestone_announced AND confirmed_count >= 100",
                )
                .fetch_all(&self.pool)
                .await?;
                let mut announced = Vec::new();
                for (petition_id, org_id, confirmed, goal, last, last_at) in candidates {
                    let Some((step, next)) = relais_core::post::milestone_due(confirmed, goal, last, last_at, now) else {
                        continue;
                    };
                    let mut tx = self.begin_write().await?;
                    // Compare-and-set: with several workers, one announces.
                    let won = sqlx::query(
                        "UPDATE petitions SET milestone_announced = $2, milestone_at = $3 \
                         WHERE id = $1 AND milestone_announced = $4",
                    )
                    .bind(petition_id)
                    .bind(step)
                    .bind(now)
                    .bind(last)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if won == 0 {
                        continue;
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO petition_posts (org_id, petition_id, kind, body, milestone, next_milestone, created_at) \
                         VALUES ($1, $2, 'milestone', '', $3, $4, $5) RETURNING id",
                    )
                    .bind(org_id)
                    .bind(petition_id)
                    .bind(step)
                    .bind(next)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    announced.extend(self.post(id).await?);
                }
                Ok(announced)
            }

            async fn record_consent(
                &self,
                change: &$crate::ConsentChange<'_>,
                now: i64,
            ) -> $crate::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                // The person must be the association's (the signed link names both;
                // a record merged since leads to the person it was merged into);
                // locking their row makes simultaneous clicks change the ledger once
                // (SQLite's write transactions are serial already).
                let sql = format!(
                    "SELECT id FROM supporters WHERE id = {} AND org_id = $2 {}",
                    $crate::merge::resolve_merged!("$1"),
                    $row_lock
                );
                let owned: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .bind(change.supporter_id)
                    .bind(change.org_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(supporter_id) = owned else {
                    return Err($crate::StoreError::NotFound);
                };
                let latest: Option<bool> = sqlx::query_scalar(
                    "SELECT granted FROM consents WHERE supporter_id = $1 AND org_id = $2 AND channel = $3 \
                     AND purpose = $4 ORDER BY id DESC LIMIT 1",
                )
                .bind(supporter_id)
                .bind(change.org_id)
                .bind(change.channel)
                .bind(change.purpose)
                .fetch_optional(&mut *tx)
                .await?;
                // The ledger records changes: a second click on "unsubscribe" adds nothing.
                if latest.unwrap_or(false) == change.granted {
                    return Ok(false);
                }
                sqlx::query(
                    "INSERT INTO consents (org_id, supporter_id, channel, purpose, granted, wording, source, ip_hash, \
                     created_at) VALUES ($2, $1, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(supporter_id)
                .bind(change.org_id)
                .bind(change.channel)
                .bind(change.purpose)
                .bind(change.granted)
                .bind(change.wording)
                .bind(change.source)
                .bind(change.ip_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn consent_granted(
                &self,
                org_id: i64,
                supporter_id: i64,
                channel: &str,
                purpose: &str,
            ) -> $crate::StoreResult<bool> {
                let latest: Option<bool> = sqlx::query_scalar(
                    "SELECT granted FROM consents WHERE supporter_id = $1 AND org_id = $2 AND channel = $3 \
                     AND purpose = $4 ORDER BY id DESC LIMIT 1",
                )
                .bind(supporter_id)
                .bind(org_id)
                .bind(channel)
                .bind(purpose)
                .fetch_optional(&self.pool)
                .await?;
                Ok(latest.unwrap_or(false))
            }

            async fn record_click(
                &self,
                org_id: i64,
                topic: &str,
                supporter_id: Option<i64>,
                url: &str,
                now: i64,
            ) -> $crate::StoreResult<()> {
                sqlx::query(concat!(
                    "INSERT INTO message_clicks (org_id, topic, supporter_id, url, created_at) \
                     SELECT id, $2, (SELECT s.id FROM supporters s WHERE s.id = ",
                    $crate::merge::resolve_merged!("$3"),
                    " AND s.org_id = $1), $4, $5 FROM orgs WHERE id = $1"
                ))
                .bind(org_id)
                .bind(topic)
                .bind(supporter_id)
                .bind(url)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_post_store;
