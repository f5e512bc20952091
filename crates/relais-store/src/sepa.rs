//! [`crate::SepaStore`] for both backends: mandates, collection runs, rejects.

macro_rules! impl_sepa_store {
    ($store:ty) => {
        impl $store {
            async fn run_debits(&self, run_id: i64) -> $crate::StoreResult<Vec<$crate::RunDebit>> {
                Ok(sqlx::query_as(
                    "SELECT g.id AS gift_id, g.provider_ref, g.amount_cents + g.tip_cents AS amount_cents, g.sequence, m.reference AS mandate_reference, \
                     m.signed_at, m.debtor_name, m.iban, m.bic, COALESCE(c.title, '') AS campaign, g.status, g.failure \
                     FROM gifts g JOIN mandates m ON m.id = g.mandate_id LEFT JOIN campaigns c ON c.id = g.campaign_id \
                     WHERE g.sepa_run_id = $1 ORDER BY g.id",
                )
                .bind(run_id)
                .fetch_all(&self.pool)
                .await?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::SepaStore for $store {
            async fn sign_mandate(
                &self,
                gift_ref: &str,
                m: &$crate::NewMandate<'_>,
                now: i64,
            ) -> $crate::StoreResult<$crate::Mandate> {
                let mut tx = self.begin_write().await?;
                let gift: Option<(i64, i64, i64, Option<i64>)> = sqlx::query_as(
                    "SELECT id, org_id, supporter_id, pledge_id FROM gifts WHERE provider_ref = $1 AND provider = 'sepa' \
                     AND status = 'pending' AND mandate_id IS NULL",
                )
                .bind(gift_ref)
                .fetch_optional(&mut *tx)
                .await?;
                let (gift_id, org_id, supporter_id, pledge_id) = gift.ok_or($crate::StoreError::NotFound)?;
                let sql = format!(
                    "INSERT INTO mandates (org_id, supporter_id, pledge_id, reference, debtor_name, iban, bic, wording, \
                     signed_at, ip_hash, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active') RETURNING {}",
                    $crate::giving_model::MANDATE_COLUMNS
                );
                let mandate: $crate::Mandate = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(org_id)
                    .bind(supporter_id)
                    .bind(pledge_id)
                    .bind(m.reference)
                    .bind(m.debtor_name)
                    .bind(m.iban)
                    .bind(m.bic)
                    .bind(m.wording)
                    .bind(now)
                    .bind(m.ip_hash)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err($crate::error::conflict_on_unique("mandate reference"))?;
                sqlx::query("UPDATE gifts SET mandate_id = $2 WHERE id = $1")
                    .bind(gift_id)
                    .bind(mandate.id)
                    .execute(&mut *tx)
                    .await?;
                // The debtor gets the mandate's reference and terms at once.
                let email: String = sqlx::query_scalar("SELECT email FROM gifts WHERE id = $1")
                    .bind(gift_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if !email.ends_with(".invalid") {
                    let payload = serde_json::to_string(&$crate::Payload {
                        deferred: Some($crate::Deferred::MandateSigned { mandate: mandate.id }),
                        ..Default::default()
                    })
                    .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
                    sqlx::query(
                        "INSERT INTO outbox (org_id, channel, recipient, payload, idempotency_key, status, attempts, \
                         next_attempt_at, created_at) VALUES ($1, 'email', $2, $3, $4, 'pending', 0, $5, $5) \
                         ON CONFLICT (idempotency_key) DO NOTHING",
                    )
                    .bind(org_id)
                    .bind(&email)
                    .bind(payload)
                    .bind(format!("mandate:{}", mandate.id))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                // A signed mandate is a promise the association collects from now on.
                sqlx::query(
                    "UPDATE pledges SET provider_id = $2, status = 'active', activated_at = $3 \
                     WHERE id = $1 AND status = 'pending'",
                )
                .bind(pledge_id)
                .bind(&mandate.reference)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                self.wakeup.notify_one();
                Ok(mandate)
            }

            async fn mandate_by_id(&self, id: i64) -> $crate::StoreResult<Option<$crate::Mandate>> {
                let sql = format!("SELECT {} FROM mandates WHERE id = $1", $crate::giving_model::MANDATE_COLUMNS);
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?)
            }

            async fn first_gift_of_mandate(&self, mandate_id: i64) -> $crate::StoreResult<Option<$crate::Gift>> {
                let sql = format!(
                    "SELECT {} FROM gifts WHERE mandate_id = $1 ORDER BY id LIMIT 1",
                    $crate::donation_model::GIFT_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(mandate_id).fetch_optional(&self.pool).await?)
            }

            async fn run_of_gift(&self, gift_id: i64) -> $crate::StoreResult<Option<$crate::SepaRun>> {
                let sql = format!(
                    "SELECT {} FROM sepa_runs WHERE id = (SELECT sepa_run_id FROM gifts WHERE id = $1)",
                    $crate::giving_model::RUN_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(gift_id).fetch_optional(&self.pool).await?)
            }

            async fn mandate_of_gift(&self, gift_id: i64) -> $crate::StoreResult<Option<$crate::Mandate>> {
                let sql = format!(
                    "SELECT {} FROM mandates WHERE id = (SELECT mandate_id FROM gifts WHERE id = $1)",
                    $crate::giving_model::MANDATE_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(gift_id).fetch_optional(&self.pool).await?)
            }

            async fn mandates(&self, access: &$crate::OrgAccess, limit: i64) -> $crate::StoreResult<Vec<$crate::Mandate>> {
                let sql = format!(
                    "SELECT {} FROM mandates WHERE org_id = $1 ORDER BY id DESC LIMIT $2",
                    $crate::giving_model::MANDATE_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn request_final(&self, access: &$crate::OrgAccess, mandate_id: i64) -> $crate::StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE mandates SET final_requested = TRUE WHERE id = $1 AND org_id = $2 AND status = 'active'",
                )
                .bind(mandate_id)
                .bind(access.org_id())
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                Ok(())
            }

            async fn prepare_run(
                &self,
                access: &$crate::OrgAccess,
                collection_date: &str,
                message_id: &str,
                now: i64,
            ) -> $crate::StoreResult<Option<($crate::SepaRun, Vec<$crate::RunDebit>)>> {
                let month = collection_date.get(..7).ok_or($crate::StoreError::Corrupt("collection date".into()))?;
                let mut tx = self.begin_write().await?;
                // This month's collection of every active monthly pledge that has none yet
                // (its reference makes a second one for the same month impossible).
                sqlx::query(
                    "INSERT INTO gifts (org_id, campaign_id, supporter_id, amount_cents, frequency, status, method, \
                     provider, provider_ref, wants_receipt, first_name, last_name, email, address, postcode, city, \
                     country, locale, created_at, pledge_id, mandate_id) \
                     SELECT p.org_id, p.campaign_id, p.supporter_id, p.amount_cents, 'monthly', 'pending', 'sepa', 'sepa', \
                     p.reference || '-' || $2, p.wants_receipt, p.first_name, p.last_name, p.email, p.address, \
                     p.postcode, p.city, p.country, p.locale, $3, p.id, m.id \
                     FROM pledges p JOIN mandates m ON m.pledge_id = p.id AND m.status = 'active' \
                     WHERE p.org_id = $1 AND p.provider = 'sepa' AND p.status = 'active' \
                     AND NOT EXISTS (SELECT 1 FROM gifts w WHERE w.pledge_id = p.id AND w.status = 'pending' \
                         AND w.sepa_run_id IS NULL) \
                     AND NOT EXISTS (SELECT 1 FROM gifts g JOIN sepa_runs r ON r.id = g.sepa_run_id \
                         WHERE g.pledge_id = p.id AND substr(r.collection_date, 1, 7) = $4) \
                     ON CONFLICT (provider_ref) DO NOTHING",
                )
                .bind(access.org_id())
                .bind(month.replace('-', ""))
                .bind(now)
                .bind(month)
                .execute(&mut *tx)
                .await?;
                let run_id: i64 = sqlx::query_scalar(
                    "INSERT INTO sepa_runs (org_id, message_id, collection_date, status, created_at) \
                     VALUES ($1, $2, $3, 'prepared', $4) RETURNING id",
                )
                .bind(access.org_id())
                .bind(message_id)
                .bind(collection_date)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err($crate::error::conflict_on_unique("message id"))?;
                // The sequence type follows the mandate's history: one-off gifts are OOFF;
                // a mandate's first collection (or the first after a rejected one) is FRST.
                sqlx::query(
                    "UPDATE gifts SET sepa_run_id = $2, sequence = CASE \
                     WHEN pledge_id IS NULL THEN 'OOFF' \
                     WHEN (SELECT final_requested FROM mandates m WHERE m.id = gifts.mandate_id) THEN 'FNAL' \
                     WHEN EXISTS (SELECT 1 FROM gifts e WHERE e.mandate_id = gifts.mandate_id \
                         AND e.sepa_run_id IS NOT NULL AND e.sepa_run_id <> $2 AND e.status IN ('pending', 'paid')) \
                         THEN 'RCUR' \
                     ELSE 'FRST' END \
                     WHERE org_id = $1 AND provider = 'sepa' AND status = 'pending' AND sepa_run_id IS NULL \
                     AND mandate_id IS NOT NULL",
                )
                .bind(access.org_id())
                .bind(run_id)
                .execute(&mut *tx)
                .await?;
                let (debits, total): (i64, i64) = sqlx::query_as(
                    "SELECT COUNT(*), CAST(COALESCE(SUM(amount_cents + tip_cents), 0) AS BIGINT) FROM gifts \
                     WHERE sepa_run_id = $1",
                )
                .bind(run_id)
                .fetch_one(&mut *tx)
                .await?;
                if debits == 0 {
                    tx.rollback().await?;
                    return Ok(None);
                }
                // Each debtor is told the amount and the date before the bank file leaves.
                sqlx::query(
                    "INSERT INTO outbox (org_id, channel, recipient, payload, idempotency_key, status, attempts, \
                     next_attempt_at, created_at, topic) \
                     SELECT g.org_id, 'email', g.email, '{\"deferred\":{\"debit_notice\":{\"gift\":' || g.id || '}}}', \
                     'debit-notice:' || g.id, 'pending', 0, $2, $2, $3 \
                     FROM gifts g WHERE g.sepa_run_id = $1 AND g.email NOT LIKE '%.invalid' \
                     ON CONFLICT (idempotency_key) DO NOTHING",
                )
                .bind(run_id)
                .bind(now)
                .bind(format!("sepa-run:{run_id}"))
                .execute(&mut *tx)
                .await?;
                let sql = format!(
                    "UPDATE sepa_runs SET debits = $2, total_cents = $3 WHERE id = $1 RETURNING {}",
                    $crate::giving_model::RUN_COLUMNS
                );
                let run: $crate::SepaRun = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(run_id)
                    .bind(debits)
                    .bind(total)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                self.wakeup.notify_one();
                Ok(Some((run, self.run_debits(run_id).await?)))
            }

            async fn set_run_file(&self, access: &$crate::OrgAccess, run_id: i64, xml: &str) -> $crate::StoreResult<()> {
                sqlx::query("UPDATE sepa_runs SET xml = $3 WHERE id = $1 AND org_id = $2")
                    .bind(run_id)
                    .bind(access.org_id())
                    .bind(xml)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn sepa_runs(&self, access: &$crate::OrgAccess) -> $crate::StoreResult<Vec<$crate::SepaRun>> {
                let sql = format!(
                    "SELECT {} FROM sepa_runs WHERE org_id = $1 ORDER BY id DESC",
                    $crate::giving_model::RUN_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(access.org_id()).fetch_all(&self.pool).await?)
            }

            async fn sepa_run(
                &self,
                access: &$crate::OrgAccess,
                run_id: i64,
            ) -> $crate::StoreResult<Option<($crate::SepaRun, Vec<$crate::RunDebit>)>> {
                let sql = format!(
                    "SELECT {} FROM sepa_runs WHERE id = $1 AND org_id = $2",
                    $crate::giving_model::RUN_COLUMNS
                );
                let run: Option<$crate::SepaRun> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(run_id)
                    .bind(access.org_id())
                    .fetch_optional(&self.pool)
                    .await?;
                match run {
                    Some(run) => Ok(Some((run, self.run_debits(run_id).await?))),
                    None => Ok(None),
                }
            }

            async fn run_file(&self, access: &$crate::OrgAccess, run_id: i64) -> $crate::StoreResult<Option<String>> {
                Ok(sqlx::query_scalar("SELECT xml FROM sepa_runs WHERE id = $1 AND org_id = $2")
                    .bind(run_id)
                    .bind(access.org_id())
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn settle_run(&self, access: &$crate::OrgAccess, run_id: i64, now: i64) -> $crate::StoreResult<i64> {
                let refs: Vec<String> = sqlx::query_scalar(
                    "SELECT g.provider_ref FROM gifts g JOIN sepa_runs r ON r.id = g.sepa_run_id \
                     WHERE r.id = $1 AND r.org_id = $2 AND g.status = 'pending' ORDER BY g.id",
                )
                .bind(run_id)
                .bind(access.org_id())
                .fetch_all(&self.pool)
                .await?;
                // Each gift in its own transaction (receipt number, thank-you e-mail):
                // settling again after a crash finishes what was left.
                let mut paid = 0;
                for r in &refs {
                    if $crate::DonationStore::complete_gift(self, r, now).await?.is_some() {
                        paid += 1;
                    }
                }
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE sepa_runs SET status = 'settled', settled_at = $3 WHERE id = $1 AND org_id = $2",
                )
                .bind(run_id)
                .bind(access.org_id())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                // A final collection ends its pledge and its mandate.
                sqlx::query(
                    "UPDATE pledges SET status = 'cancelled', cancelled_at = $2, cancelled_by = 'final' \
                     WHERE status = 'active' AND id IN (SELECT pledge_id FROM gifts WHERE sepa_run_id = $1 \
                     AND sequence = 'FNAL' AND status = 'paid')",
                )
                .bind(run_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE mandates SET status = 'revoked' WHERE id IN (SELECT mandate_id FROM gifts \
                     WHERE sepa_run_id = $1 AND sequence = 'FNAL' AND status = 'paid')",
                )
                .bind(run_id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(paid)
            }

            async fn reject_debit(
                &self,
                access: &$crate::OrgAccess,
                gift_id: i64,
                reason: &str,
                now: i64,
            ) -> $crate::StoreResult<$crate::Gift> {
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "SELECT {} FROM gifts WHERE id = $1 AND org_id = $2 AND provider = 'sepa' AND sepa_run_id IS NOT NULL",
                    $crate::donation_model::GIFT_COLUMNS
                );
                let gift: $crate::Gift = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(gift_id)
                    .bind(access.org_id())
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or($crate::StoreError::NotFound)?;
                match gift.status.as_str() {
                    "pending" => {
                        sqlx::query("UPDATE gifts SET status = 'failed', failure = $2 WHERE id = $1")
                            .bind(gift.id)
                            .bind(reason)
                            .execute(&mut *tx)
                            .await?;
                    }
                    // Returned after settlement: the money went back, so the gift no
                    // longer counts and its receipt is cancelled.
                    "paid" => Self::refund_in_tx(&mut tx, &gift, reason, now).await?,
                    _ => return Err($crate::StoreError::Conflict("rejected collection")),
                }
                let sql = format!("SELECT {} FROM gifts WHERE id = $1", $crate::donation_model::GIFT_COLUMNS);
                let gift: $crate::Gift = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(gift.id).fetch_one(&mut *tx).await?;
                tx.commit().await?;
                Ok(gift)
            }
        }
    };
}

pub(crate) use impl_sepa_store;
