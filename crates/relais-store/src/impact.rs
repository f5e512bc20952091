//! [`crate::ImpactStore`] for both backends (see `orgs.rs` for why a macro): the
//! fan-out of a project update to its contributors, outcome reports about one
//! gift, and what the messages need when they are rendered.

/// The supporters whose paid gifts reached project `$1`: gifts of its restricted
/// campaigns (those made before a campaign changed project stay with the project they
/// were given to: `project_model::GIFT_PROJECT`, read as two index lookups), and gifts
/// with allocation rows to it. A refunded gift no longer counts.
pub(crate) const CONTRIBUTORS: &str = "SELECT g.supporter_id FROM gifts g JOIN campaigns c ON c.id = g.campaign_id \
     WHERE c.project_id = $1 AND NOT g.project_fixed AND g.status = 'paid' \
     UNION SELECT g.supporter_id FROM gifts g WHERE g.fixed_project_id = $1 AND g.project_fixed AND g.status = 'paid' \
     UNION SELECT g.supporter_id FROM allocations a JOIN gifts g ON g.id = a.gift_id \
     WHERE a.project_id = $1 AND g.status = 'paid'";

/// The ledger's latest word on `impact` for supporter `s` on a channel.
macro_rules! latest_impact_consent {
    ($channel:literal) => {
        concat!(
            "COALESCE((SELECT c.granted FROM consents c WHERE c.supporter_id = s.id AND c.channel = '",
            $channel,
            "' AND c.purpose = 'impact' ORDER BY c.id DESC LIMIT 1), FALSE)"
        )
    };
}
pub(crate) use latest_impact_consent;

/// One `impact_messages` row per contributor of project `$1` who may be told,
/// for update `$2`, on the channel `relais_core::impact::choose_channel` picks
/// (this is that rule in SQL: SMS with a number and SMS consent, else e-mail with
/// e-mail consent and a real address). One statement for any number of
/// contributors; the unique `(update_id, supporter_id)` tells each one once.
pub(crate) fn record_update_messages_sql() -> String {
    format!(
        "INSERT INTO impact_messages (org_id, supporter_id, update_id, channel, idempotency_key, created_at) \
         SELECT r.org_id, r.id, $2, CASE WHEN r.texts THEN 'sms' ELSE 'email' END, CAST($4 AS TEXT) || r.id, $5 \
         FROM (SELECT s.org_id, s.id, (s.phone IS NOT NULL AND {sms}) AS texts, \
               ({email} AND s.email NOT LIKE '%.invalid') AS mails \
               FROM supporters s WHERE s.org_id = $3 AND s.id IN ({CONTRIBUTORS})) r \
         WHERE r.texts OR r.mails \
         ON CONFLICT (update_id, supporter_id) DO NOTHING",
        sms = latest_impact_consent!("sms"),
        email = latest_impact_consent!("email"),
    )
}

/// The outbox rows of update `$1`'s messages: a reference each (`deferred`), the
/// personal text is written when it leaves. Bulk (with a topic): they yield to
/// messages someone is waiting for.
pub(crate) const ENQUEUE_UPDATE_MESSAGES: &str = "INSERT INTO outbox (org_id, channel, recipient, payload, \
     idempotency_key, status, attempts, next_attempt_at, created_at, topic) \
     SELECT m.org_id, m.channel, CASE WHEN m.channel = 'sms' THEN s.phone ELSE s.email END, \
     CAST($2 AS TEXT) || m.supporter_id || '}}}', m.idempotency_key, 'pending', 0, $3, $3, $4 \
     FROM impact_messages m JOIN supporters s ON s.id = m.supporter_id \
     WHERE m.update_id = $1 \
     ON CONFLICT (idempotency_key) DO NOTHING";

macro_rules! impl_impact_store {
    ($store:ty, $conn:ty) => {
        impl $store {
            /// Records and enqueues one message per contributor of `project_id` for
            /// `update_id`, inside the caller's transaction; returns how many.
            pub(crate) async fn enqueue_update_messages(
                conn: &mut $conn,
                org_id: i64,
                project_id: i64,
                update_id: i64,
                now: i64,
            ) -> $crate::StoreResult<u64> {
                let recorded = sqlx::query(sqlx::AssertSqlSafe($crate::impact::record_update_messages_sql()))
                    .bind(project_id)
                    .bind(update_id)
                    .bind(org_id)
                    .bind(format!("{}:", relais_core::impact::update_topic(update_id)))
                    .bind(now)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                let payload_head =
                    format!("{{\"deferred\":{{\"impact_update\":{{\"update\":{update_id},\"supporter\":");
                sqlx::query($crate::impact::ENQUEUE_UPDATE_MESSAGES)
                    .bind(update_id)
                    .bind(payload_head)
                    .bind(now)
                    .bind(relais_core::impact::update_topic(update_id))
                    .execute(&mut *conn)
                    .await?;
                Ok(recorded)
            }

            async fn impact_recipient_in(
                conn: &mut $conn,
                supporter_id: i64,
            ) -> $crate::StoreResult<Option<$crate::ImpactRecipient>> {
                let sql = format!(
                    "SELECT s.id AS supporter_id, s.org_id, s.email, s.phone, s.first_name, s.locale, \
                     {} AS email_consent, {} AS sms_consent FROM supporters s WHERE s.id = {}",
                    $crate::impact::latest_impact_consent!("email"),
                    $crate::impact::latest_impact_consent!("sms"),
                    // A message queued before a merge reaches the person it was merged into.
                    $crate::merge::resolve_merged!("$1"),
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(supporter_id)
                    .fetch_optional(&mut *conn)
                    .await?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::ImpactStore for $store {
            async fn impact_counts(
                &self,
                access: &$crate::OrgAccess,
                project_id: i64,
            ) -> $crate::StoreResult<Vec<$crate::ImpactCount>> {
                // Messages withdrawn before they left (consent withdrawn, person
                // erased) told nobody.
                let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
                    "SELECT m.update_id, m.channel, COALESCE(o.status, 'sent'), COUNT(*) FROM impact_messages m \
                     JOIN project_updates u ON u.id = m.update_id \
                     LEFT JOIN outbox o ON o.idempotency_key = m.idempotency_key \
                     WHERE u.project_id = $1 AND m.org_id = $2 \
                     GROUP BY m.update_id, m.channel, COALESCE(o.status, 'sent')",
                )
                .bind(project_id)
                .bind(access.org_id())
                .fetch_all(&self.pool)
                .await?;
                let mut counts: Vec<$crate::ImpactCount> = Vec::new();
                for (update_id, channel, status, n) in rows {
                    if status == "cancelled" {
                        continue;
                    }
                    let i = match counts.iter().position(|c| c.update_id == update_id) {
                        Some(i) => i,
                        None => {
                            counts.push($crate::ImpactCount {
                                update_id,
                                ..Default::default()
                            });
                            counts.len() - 1
                        }
                    };
                    let count = &mut counts[i];
                    if channel == "sms" {
                        count.sms += n;
                    } else {
                        count.email += n;
                    }
                    if matches!(status.as_str(), "pending" | "sending") {
                        count.pending += n;
                    }
                }
                Ok(counts)
            }

            async fn impact_update_context(
                &self,
                update_id: i64,
            ) -> $crate::StoreResult<Option<($crate::ProjectUpdate, $crate::Project)>> {
                let sql = format!(
                    "SELECT {} FROM project_updates WHERE id = $1",
                    $crate::project_model::UPDATE_COLUMNS
                );
                let update: Option<$crate::project_model::UpdateRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(update_id)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(update) = update else { return Ok(None) };
                let update: $crate::ProjectUpdate = update.try_into()?;
                let sql = format!(
                    "SELECT {} FROM projects WHERE id = $1",
                    $crate::project_model::PROJECT_COLUMNS
                );
                let project: Option<$crate::project_model::ProjectRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(update.project_id)
                    .fetch_optional(&self.pool)
                    .await?;
                match project {
                    Some(p) => Ok(Some((update, p.try_into()?))),
                    None => Ok(None),
                }
            }

            async fn impact_recipient(
                &self,
                supporter_id: i64,
            ) -> $crate::StoreResult<Option<$crate::ImpactRecipient>> {
                let mut conn = self.pool.acquire().await?;
                Self::impact_recipient_in(&mut conn, supporter_id).await
            }

            async fn project_share(
                &self,
                project_id: i64,
                supporter_id: i64,
            ) -> $crate::StoreResult<Option<$crate::ProjectShare>> {
                let (cents, first, gifts): (Option<i64>, Option<i64>, i64) = sqlx::query_as(
                    "SELECT CAST(SUM(x.cents) AS BIGINT), MIN(x.at), COUNT(DISTINCT x.gift) FROM ( \
                     SELECT g.id AS gift, g.amount_cents AS cents, COALESCE(g.paid_at, g.created_at) AS at \
                     FROM gifts g JOIN campaigns c ON c.id = g.campaign_id \
                     WHERE g.supporter_id = $2 AND g.status = 'paid' \
                     AND (CASE WHEN g.project_fixed THEN g.fixed_project_id ELSE c.project_id END) = $1 \
                     UNION ALL SELECT g.id, a.cents, COALESCE(g.paid_at, g.created_at) \
                     FROM allocations a JOIN gifts g ON g.id = a.gift_id \
                     WHERE g.supporter_id = $2 AND a.project_id = $1 AND g.status = 'paid') x",
                )
                .bind(project_id)
                .bind(supporter_id)
                .fetch_one(&self.pool)
                .await?;
                Ok(match (cents, first) {
                    (Some(cents), Some(first_paid_at)) if gifts > 0 => Some($crate::ProjectShare {
                        cents,
                        first_paid_at,
                        gifts,
                    }),
                    _ => None,
                })
            }

            async fn report_outcome(
                &self,
                access: &$crate::OrgAccess,
                gift_id: i64,
                report: &$crate::OutcomeReport<'_>,
                now: i64,
            ) -> $crate::StoreResult<$crate::OutcomeReceipt> {
                use relais_core::impact::{ImpactChannel, choose_channel, outcome_key};
                let mut tx = self.begin_write().await?;
                // Another association's gift and no gift at all look the same.
                let gift: Option<(i64, String)> =
                    sqlx::query_as("SELECT supporter_id, status FROM gifts WHERE id = $1 AND org_id = $2")
                        .bind(gift_id)
                        .bind(access.org_id())
                        .fetch_optional(&mut *tx)
                        .await?;
                let (supporter_id, status) = gift.ok_or($crate::StoreError::NotFound)?;
                if status != "paid" {
                    return Err($crate::StoreError::Conflict("gift not paid"));
                }
                let key = outcome_key(gift_id, report.idempotency_key, report.outcome.used_on);
                let earlier: Option<(i64, Option<String>)> = sqlx::query_as(
                    "SELECT id, channel FROM impact_outcomes WHERE org_id = $1 AND idempotency_key = $2",
                )
                .bind(access.org_id())
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((outcome_id, channel)) = earlier {
                    return Ok($crate::OutcomeReceipt {
                        outcome_id,
                        channel: channel.as_deref().and_then(ImpactChannel::parse),
                        duplicate: true,
                    });
                }
                let who = Self::impact_recipient_in(&mut *tx, supporter_id)
                    .await?
                    .ok_or($crate::StoreError::NotFound)?;
                let channel = choose_channel(who.reach());
                let outcome_id: i64 = sqlx::query_scalar(
                    "INSERT INTO impact_outcomes (org_id, gift_id, supporter_id, message, used_on, idempotency_key, \
                     channel, api_key_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(access.org_id())
                .bind(gift_id)
                .bind(supporter_id)
                .bind(report.outcome.message.as_deref())
                .bind(report.outcome.used_on.to_string())
                .bind(&key)
                .bind(channel.map(ImpactChannel::as_str))
                .bind(report.api_key_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                if let Some(channel) = channel {
                    let recipient = match channel {
                        ImpactChannel::Sms => who.phone.clone().unwrap_or_default(),
                        ImpactChannel::Email => who.email.clone(),
                    };
                    let message = $crate::NewMessage {
                        org_id: Some(access.org_id()),
                        channel: match channel {
                            ImpactChannel::Sms => $crate::Channel::Sms,
                            ImpactChannel::Email => $crate::Channel::Email,
                        },
                        recipient,
                        payload: $crate::Payload {
                            deferred: Some($crate::Deferred::ImpactOutcome { outcome: outcome_id }),
                            ..Default::default()
                        },
                        idempotency_key: key.clone(),
                    };
                    Self::insert_message(&mut *tx, &message, now).await?;
                    sqlx::query(
                        "INSERT INTO impact_messages (org_id, supporter_id, gift_id, channel, idempotency_key, \
                         created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(access.org_id())
                    .bind(supporter_id)
                    .bind(gift_id)
                    .bind(channel.as_str())
                    .bind(&key)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                if channel.is_some() {
                    self.notify_enqueued();
                }
                Ok($crate::OutcomeReceipt {
                    outcome_id,
                    channel,
                    duplicate: false,
                })
            }

            async fn outcome(&self, id: i64) -> $crate::StoreResult<Option<$crate::StoredOutcome>> {
                Ok(sqlx::query_as(
                    "SELECT id, org_id, gift_id, supporter_id, message, used_on FROM impact_outcomes WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn impact_messages_of(
                &self,
                access: &$crate::OrgAccess,
                supporter_id: i64,
            ) -> $crate::StoreResult<Vec<(Option<i64>, Option<i64>, String)>> {
                Ok(sqlx::query_as(
                    "SELECT update_id, gift_id, channel FROM impact_messages WHERE org_id = $1 AND supporter_id = $2 \
                     ORDER BY id",
                )
                .bind(access.org_id())
                .bind(supporter_id)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}

pub(crate) use impl_impact_store;
