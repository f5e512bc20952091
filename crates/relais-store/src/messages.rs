//! [`crate::MessageStore`] for both backends (see `orgs.rs` for why a macro):
//! messages to a segment, their fan-out to the outbox and their figures.
//!
//! Who receives a message is decided when its chunk is enqueued, by the database:
//! the segment's filters (the people list's, `segments.rs`), the consent ledger's
//! latest word for e-mail and the message's purpose, never an erased person. The
//! copies carry only a reference (`deferred`); the renderer asks the ledger again
//! when each one leaves.

macro_rules! impl_message_store {
    ($store:ty, $db:ty, claim_lock = $lock:literal, prepare = $prepare:literal) => {
        impl $store {
            async fn message_where(
                &self,
                clause: &str,
                a: i64,
                b: Option<i64>,
            ) -> $crate::StoreResult<Vec<$crate::Message>> {
                let sql = format!(
                    "SELECT {} FROM messages WHERE {clause} ORDER BY id DESC",
                    $crate::message_model::MESSAGE_COLUMNS
                );
                let mut q =
                    sqlx::query_as::<_, $crate::message_model::MessageRow>(sqlx::AssertSqlSafe(sql)).bind(a);
                if let Some(b) = b {
                    q = q.bind(b);
                }
                q.fetch_all(&self.pool).await?.into_iter().map(TryInto::try_into).collect()
            }

            /// Appends the people a message for `purpose` may reach: not erased, and
            /// the ledger's latest word is a yes (the purpose's rows of the
            /// association in one pass of its covering index), then the segment's filters.
            /// A ledger row `c` that counts: given on its own (a newsletter sign-up, a
            /// link) or with a signature whose address was confirmed. A box ticked on
            /// a signature never confirmed proves nothing about the address. A scalar
            /// subquery, looked up by primary key: PostgreSQL turns an `EXISTS` under
            /// `OR` into a hash of every confirmed signature, built again per chunk.
            const VERIFIED: &'static str = "(c.signature_id IS NULL OR (SELECT v.status FROM signatures v \
                WHERE v.id = c.signature_id) = 'confirmed')";

            /// Appends ` AND` the ledger's latest word that counts, for e-mail and
            /// `purpose`, about person `s`, is a yes: looked up per person by their
            /// index, so the cost follows the people considered (a segment, a chunk)
            /// rather than the association's whole ledger.
            fn push_consented(qb: &mut sqlx::QueryBuilder<$db>, purpose: &str) {
                qb.push(
                    " AND (SELECT c.granted FROM consents c WHERE c.supporter_id = s.id AND c.channel = 'email' \
                     AND c.purpose = ",
                )
                .push_bind(purpose.to_owned())
                .push(" AND ")
                .push(Self::VERIFIED)
                .push(" ORDER BY c.id DESC LIMIT 1)");
            }

            /// Moves a message of the association from one of `from` to `to`, or says why not.
            async fn move_message(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                set: (&str, Option<i64>),
                from: &str,
                now: i64,
            ) -> $crate::StoreResult<$crate::Message> {
                let sql = format!(
                    "UPDATE messages SET state = $3, scheduled_at = COALESCE($4, scheduled_at), updated_at = $5 \
                     WHERE id = $1 AND org_id = $2 AND state IN ({from})"
                );
                let done = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .bind(access.org_id())
                    .bind(set.0)
                    .bind(set.1)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                let message = $crate::MessageStore::message(self, access, id).await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::Conflict("state"));
                }
                if set.0 == "scheduled" {
                    // The worker may be asleep; a message sent now should not wait a poll.
                    self.wakeup.notify_one();
                }
                Ok(message)
            }
        }

        #[async_trait::async_trait]
        impl $crate::MessageStore for $store {
            async fn create_message(
                &self,
                access: &$crate::OrgAccess,
                draft: &relais_core::message::MessageDraft,
                segment: $crate::MessageSegment<'_>,
                created_by: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<$crate::Message> {
                let sql = format!(
                    "INSERT INTO messages (org_id, subject, body, send_html, purpose, segment_query, segment_name, \
                     state, created_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, $9, $9) RETURNING {}",
                    $crate::message_model::MESSAGE_COLUMNS
                );
                sqlx::query_as::<_, $crate::message_model::MessageRow>(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(&draft.subject)
                    .bind(&draft.body)
                    .bind(draft.html)
                    .bind(&draft.purpose)
                    .bind(segment.query)
                    .bind(segment.name)
                    .bind(created_by)
                    .bind(now)
                    .fetch_one(&self.pool)
                    .await?
                    .try_into()
            }

            async fn update_message(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                draft: &relais_core::message::MessageDraft,
                segment: $crate::MessageSegment<'_>,
                now: i64,
            ) -> $crate::StoreResult<$crate::Message> {
                let done = sqlx::query(
                    "UPDATE messages SET subject = $3, body = $4, send_html = $5, purpose = $6, segment_query = $7, \
                     segment_name = $8, updated_at = $9 WHERE id = $1 AND org_id = $2 AND state = 'draft'",
                )
                .bind(id)
                .bind(access.org_id())
                .bind(&draft.subject)
                .bind(&draft.body)
                .bind(draft.html)
                .bind(&draft.purpose)
                .bind(segment.query)
                .bind(segment.name)
                .bind(now)
                .execute(&self.pool)
                .await?;
                let message = $crate::MessageStore::message(self, access, id).await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::Conflict("state"));
                }
                Ok(message)
            }

            async fn messages(&self, access: &$crate::OrgAccess) -> $crate::StoreResult<Vec<$crate::Message>> {
                self.message_where("org_id = $1", access.org_id(), None).await
            }

            async fn message(&self, access: &$crate::OrgAccess, id: i64) -> $crate::StoreResult<$crate::Message> {
                self.message_where("id = $1 AND org_id = $2", id, Some(access.org_id()))
                    .await?
                    .pop()
                    .ok_or($crate::StoreError::NotFound)
            }

            async fn message_by_id(&self, id: i64) -> $crate::StoreResult<Option<$crate::Message>> {
                Ok(self.message_where("id = $1", id, None).await?.pop())
            }

            async fn schedule_message(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                at: i64,
                now: i64,
            ) -> $crate::StoreResult<$crate::Message> {
                self.move_message(access, id, ("scheduled", Some(at)), "'draft', 'scheduled'", now)
                    .await
            }

            async fn cancel_message(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                now: i64,
            ) -> $crate::StoreResult<$crate::Message> {
                self.move_message(access, id, ("cancelled", None), "'draft', 'scheduled'", now)
                    .await
            }

            async fn fan_out_messages(
                &self,
                now: i64,
                limit: i64,
            ) -> $crate::StoreResult<Option<$crate::MessageFanOut>> {
                // A read first, as for posts: most looks find nothing due, and a write
                // turn taken to find nothing would be taken from people signing.
                let due: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM messages WHERE state IN ('scheduled', 'sending') AND scheduled_at <= $1 LIMIT 1",
                )
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                if due.is_none() {
                    return Ok(None);
                }
                let mut tx = self.begin_write().await?;
                if !$prepare.is_empty() {
                    sqlx::query($prepare).execute(&mut *tx).await?;
                }
                let sql = format!(
                    "SELECT id, org_id, purpose, segment_query, fanout_cursor FROM messages \
                     WHERE state IN ('scheduled', 'sending') AND scheduled_at <= $1 \
                     ORDER BY scheduled_at, id LIMIT 1 {}",
                    $lock
                );
                let next: Option<(i64, i64, String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((message_id, org_id, purpose, query, cursor)) = next else {
                    return Ok(None);
                };
                let Ok(seg) = relais_core::segment::SegmentInput::from_query_string(&query).parse() else {
                    // Saved before a filter changed meaning: sending to a guess is worse
                    // than not sending. Staff see it cancelled.
                    tracing::warn!(message = message_id, "message segment no longer parses; cancelled");
                    sqlx::query("UPDATE messages SET state = 'cancelled', updated_at = $2 WHERE id = $1")
                        .bind(message_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    return Ok(Some($crate::MessageFanOut {
                        message_id,
                        enqueued: 0,
                        done: true,
                    }));
                };
                let tz: String = sqlx::query_scalar("SELECT timezone FROM orgs WHERE id = $1")
                    .bind(org_id)
                    .fetch_one(&mut *tx)
                    .await?;
                // The last person of the segment in this chunk; none means the rest
                // fits in it. Counting the segment's people rather than everyone's keeps
                // a small segment of a large association to a few chunks (each of which
                // evaluates the segment's filters once). `+org_id`: walk ids in order
                // rather than the association's index.
                let mut boundary = sqlx::QueryBuilder::<$db>::new("SELECT s.id FROM supporters s WHERE +s.org_id = ");
                boundary.push_bind(org_id).push(" AND s.id > ").push_bind(cursor);
                Self::push_segment_filters(&mut boundary, org_id, &seg, (now, &tz));
                boundary.push(" ORDER BY s.id LIMIT 1 OFFSET ").push_bind(limit.max(1) - 1);
                let boundary: Option<i64> = boundary.build_query_scalar().fetch_optional(&mut *tx).await?;
                // One statement per chunk, rows built by the database. The segment's
                // filters narrow the chunk first (a materialised CTE, so no planner
                // checks the consent of people outside the segment); then the consent,
                // the ledger's latest word per person, by the person's index.
                let topic = relais_core::message::topic(message_id);
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "WITH chunk AS MATERIALIZED (SELECT s.id, s.org_id, s.email FROM supporters s WHERE +s.org_id = ",
                );
                qb.push_bind(org_id)
                    .push(" AND s.id > ")
                    .push_bind(cursor)
                    .push(" AND s.id <= ")
                    .push_bind(boundary.unwrap_or(i64::MAX))
                    .push(" AND s.email NOT LIKE 'erased-%'");
                Self::push_segment_filters(&mut qb, org_id, &seg, (now, &tz));
                qb.push(
                    ") INSERT INTO outbox (org_id, channel, recipient, payload, idempotency_key, status, attempts, \
                     next_attempt_at, created_at, topic) SELECT s.org_id, 'email', s.email, CAST(",
                )
                .push_bind(format!(
                    "{{\"deferred\":{{\"message\":{{\"message\":{message_id},\"supporter\":"
                ))
                .push(" AS TEXT) || s.id || '}}}', CAST(")
                .push_bind(format!("{topic}:"))
                .push(" AS TEXT) || s.id, 'pending', 0, ")
                .push_bind(now)
                .push(", ")
                .push_bind(now)
                .push(", ")
                .push_bind(topic.clone())
                .push(" FROM chunk s WHERE TRUE");
                Self::push_consented(&mut qb, &purpose);
                qb.push(" ORDER BY s.id ON CONFLICT (idempotency_key) DO NOTHING");
                let enqueued = qb.build().execute(&mut *tx).await?.rows_affected();
                let done = boundary.is_none();
                sqlx::query(
                    "UPDATE messages SET state = $2, fanout_cursor = $3, fanout_total = fanout_total + $4, \
                     fanout_done_at = $5, updated_at = $6 WHERE id = $1",
                )
                .bind(message_id)
                .bind(if done { "sent" } else { "sending" })
                .bind(boundary.unwrap_or(cursor))
                .bind(i64::try_from(enqueued).unwrap_or(i64::MAX))
                .bind(done.then_some(now))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Some($crate::MessageFanOut {
                    message_id,
                    enqueued,
                    done,
                }))
            }

            async fn message_stats(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
            ) -> $crate::StoreResult<$crate::MessageStats> {
                let message = $crate::MessageStore::message(self, access, id).await?;
                let topic = relais_core::message::topic(id);
                let rows: Vec<(String, i64)> =
                    sqlx::query_as("SELECT status, COUNT(*) FROM outbox WHERE topic = $1 GROUP BY status")
                        .bind(&topic)
                        .fetch_all(&self.pool)
                        .await?;
                let (clicks, clickers): (i64, i64) = sqlx::query_as(
                    "SELECT COUNT(*), COUNT(DISTINCT supporter_id) FROM message_clicks WHERE topic = $1 AND org_id = $2",
                )
                .bind(&topic)
                .bind(access.org_id())
                .fetch_one(&self.pool)
                .await?;
                let unsubscribes: i64 = sqlx::query_scalar(
                    "SELECT COUNT(DISTINCT supporter_id) FROM consents \
                     WHERE source IN ($1, $2) AND granted = FALSE AND org_id = $3",
                )
                .bind(relais_core::message::unsubscribe_source(id, true))
                .bind(relais_core::message::unsubscribe_source(id, false))
                .bind(access.org_id())
                .fetch_one(&self.pool)
                .await?;
                let mut stats = $crate::MessageStats {
                    recipients: message.fanout_total,
                    unsubscribes,
                    clicks,
                    clickers,
                    ..Default::default()
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
                Ok(stats)
            }

            async fn message_recipient(
                &self,
                message: &$crate::Message,
                supporter_id: i64,
            ) -> $crate::StoreResult<Option<$crate::MessageRecipient>> {
                let sql = format!(
                    "SELECT s.id AS supporter_id, s.email, s.first_name, s.last_name, s.postcode, s.locale, \
                     (s.email NOT LIKE 'erased-%' AND COALESCE((SELECT c.granted FROM consents c \
                       WHERE c.supporter_id = s.id AND c.channel = 'email' AND c.purpose = $3 AND {} \
                       ORDER BY c.id DESC LIMIT 1), FALSE)) AS deliverable \
                     FROM supporters s WHERE s.id = {} AND s.org_id = $2",
                    Self::VERIFIED,
                    // A copy queued before a merge reaches the person it was merged into.
                    $crate::merge::resolve_merged!("$1"),
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(supporter_id)
                .bind(message.org_id)
                .bind(&message.draft.purpose)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn count_recipients(
                &self,
                access: &$crate::OrgAccess,
                seg: &relais_core::segment::Segment,
                purpose: &str,
                now: i64,
            ) -> $crate::StoreResult<i64> {
                let tz = self.org_timezone(access.org_id()).await?;
                // The segment first (materialised, so no planner walks the ledger
                // first and joins the segment after), then each person's consent.
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "WITH seg AS MATERIALIZED (SELECT s.id FROM supporters s WHERE s.org_id = ",
                );
                qb.push_bind(access.org_id()).push(" AND s.email NOT LIKE 'erased-%'");
                Self::push_segment_filters(&mut qb, access.org_id(), seg, (now, &tz));
                qb.push(") SELECT COUNT(*) FROM seg s WHERE TRUE");
                Self::push_consented(&mut qb, purpose);
                let mut tx = self.pool.begin().await?;
                if !$prepare.is_empty() {
                    sqlx::query($prepare).execute(&mut *tx).await?;
                }
                let count = qb.build_query_scalar().fetch_one(&mut *tx).await?;
                tx.commit().await?;
                Ok(count)
            }

            async fn sample_recipients(
                &self,
                access: &$crate::OrgAccess,
                seg: &relais_core::segment::Segment,
                purpose: &str,
                limit: i64,
                now: i64,
            ) -> $crate::StoreResult<Vec<$crate::PersonRow>> {
                let tz = self.org_timezone(access.org_id()).await?;
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT s.id, s.email, s.first_name, s.last_name, s.postcode, s.created_at, s.phone \
                     FROM supporters s WHERE +s.org_id = ",
                );
                // Ids in order, stopping at the first people who qualify.
                qb.push_bind(access.org_id()).push(" AND s.email NOT LIKE 'erased-%'");
                Self::push_segment_filters(&mut qb, access.org_id(), seg, (now, &tz));
                Self::push_consented(&mut qb, purpose);
                qb.push(" ORDER BY s.id LIMIT ").push_bind(limit);
                Ok(qb.build_query_as().fetch_all(&self.pool).await?)
            }
        }
    };
}

pub(crate) use impl_message_store;
