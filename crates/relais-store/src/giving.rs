//! [`crate::GivingStore`] for both backends: payment settings and monthly pledges.

macro_rules! impl_giving_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::GivingStore for $store {
            async fn payment_settings(&self, org_id: i64) -> $crate::StoreResult<$crate::PaymentSettings> {
                let row: Option<$crate::PaymentSettings> = sqlx::query_as(
                    "SELECT stripe_secret_key, stripe_webhook_secret, sepa_creditor_id, sepa_iban, sepa_bic, \
                     receipt_mode, max_gift_cents FROM payment_settings WHERE org_id = $1",
                )
                .bind(org_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.unwrap_or_else(|| $crate::PaymentSettings {
                    receipt_mode: "per_gift".into(),
                    ..Default::default()
                }))
            }

            async fn save_payment_settings(
                &self,
                access: &$crate::OrgAccess,
                s: &$crate::PaymentSettings,
                now: i64,
            ) -> $crate::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO payment_settings (org_id, stripe_secret_key, stripe_webhook_secret, \
                     sepa_creditor_id, sepa_iban, sepa_bic, receipt_mode, max_gift_cents, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (org_id) DO UPDATE SET stripe_secret_key = excluded.stripe_secret_key, \
                     stripe_webhook_secret = excluded.stripe_webhook_secret, sepa_creditor_id = excluded.sepa_creditor_id, \
                     sepa_iban = excluded.sepa_iban, sepa_bic = excluded.sepa_bic, receipt_mode = excluded.receipt_mode, \
                     max_gift_cents = excluded.max_gift_cents, updated_at = excluded.updated_at",
                )
                .bind(access.org_id())
                .bind(&s.stripe_secret_key)
                .bind(&s.stripe_webhook_secret)
                .bind(&s.sepa_creditor_id)
                .bind(&s.sepa_iban)
                .bind(&s.sepa_bic)
                .bind(if s.receipt_mode == "annual" { "annual" } else { "per_gift" })
                .bind(s.max_gift_cents)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn refund_gift(
                &self,
                access: &$crate::OrgAccess,
                gift_id: i64,
                reason: &str,
                now: i64,
            ) -> $crate::StoreResult<$crate::Gift> {
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "SELECT {} FROM gifts WHERE id = $1 AND org_id = $2",
                    $crate::donation_model::GIFT_COLUMNS
                );
                let gift: $crate::Gift = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(gift_id)
                    .bind(access.org_id())
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or($crate::StoreError::NotFound)?;
                Self::refund_in_tx(&mut tx, &gift, reason, now).await?;
                let sql = format!("SELECT {} FROM gifts WHERE id = $1", $crate::donation_model::GIFT_COLUMNS);
                let gift: $crate::Gift = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(gift_id).fetch_one(&mut *tx).await?;
                tx.commit().await?;
                self.wakeup.notify_one();
                Ok(gift)
            }

            async fn note_payment(&self, provider_ref: &str, payment: &str) -> $crate::StoreResult<()> {
                sqlx::query("UPDATE gifts SET provider_payment = $2 WHERE provider_ref = $1 AND provider_payment IS NULL")
                    .bind(provider_ref)
                    .bind(payment)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn pledge(&self, id: i64) -> $crate::StoreResult<Option<$crate::Pledge>> {
                let sql = format!("SELECT {} FROM pledges WHERE id = $1", $crate::giving_model::PLEDGE_COLUMNS);
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?)
            }

            async fn pledge_by_ref(&self, reference: &str) -> $crate::StoreResult<Option<$crate::Pledge>> {
                let sql = format!("SELECT {} FROM pledges WHERE reference = $1", $crate::giving_model::PLEDGE_COLUMNS);
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(reference).fetch_optional(&self.pool).await?)
            }

            async fn pledge_by_provider_id(
                &self,
                provider: &str,
                provider_id: &str,
            ) -> $crate::StoreResult<Option<$crate::Pledge>> {
                let sql = format!(
                    "SELECT {} FROM pledges WHERE provider = $1 AND provider_id = $2",
                    $crate::giving_model::PLEDGE_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(provider)
                    .bind(provider_id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn link_pledge(&self, reference: &str, provider_id: &str) -> $crate::StoreResult<()> {
                // The first event to arrive links; later ones (or a replay) change nothing.
                sqlx::query("UPDATE pledges SET provider_id = $2 WHERE reference = $1 AND provider_id IS NULL")
                    .bind(reference)
                    .bind(provider_id)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::error::conflict_on_unique("provider id"))?;
                Ok(())
            }

            async fn record_collection(
                &self,
                pledge: &$crate::Pledge,
                provider_ref: &str,
                amount_cents: i64,
                now: i64,
            ) -> $crate::StoreResult<$crate::Gift> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO gifts (org_id, campaign_id, supporter_id, amount_cents, frequency, status, method, \
                     provider, provider_ref, wants_receipt, first_name, last_name, email, address, postcode, city, \
                     country, locale, created_at, pledge_id) \
                     SELECT org_id, campaign_id, supporter_id, $2, 'monthly', 'pending', method, provider, $3, \
                     wants_receipt, first_name, last_name, email, address, postcode, city, country, locale, $4, id \
                     FROM pledges WHERE id = $1 ON CONFLICT (provider_ref) DO NOTHING",
                )
                .bind(pledge.id)
                .bind(amount_cents)
                .bind(provider_ref)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                // A collection that failed and is retried by the provider may still be paid.
                sqlx::query("UPDATE gifts SET status = 'pending', failure = '' WHERE provider_ref = $1 AND status = 'failed'")
                    .bind(provider_ref)
                    .execute(&mut *tx)
                    .await?;
                let sql = format!(
                    "SELECT {} FROM gifts WHERE provider_ref = $1 AND pledge_id = $2",
                    $crate::donation_model::GIFT_COLUMNS
                );
                let gift: Option<$crate::Gift> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(provider_ref)
                    .bind(pledge.id)
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.commit().await?;
                // Another pledge's reference: never attach a payment to the wrong donor.
                gift.ok_or($crate::StoreError::Conflict("payment reference"))
            }

            async fn cancel_pledge(
                &self,
                reference: &str,
                by: &str,
                now: i64,
            ) -> $crate::StoreResult<Option<$crate::Pledge>> {
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "UPDATE pledges SET status = 'cancelled', cancelled_at = $2, cancelled_by = $3 \
                     WHERE reference = $1 AND status IN ('pending', 'active') RETURNING {}",
                    $crate::giving_model::PLEDGE_COLUMNS
                );
                let pledge: Option<$crate::Pledge> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(reference)
                    .bind(now)
                    .bind(by)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(p) = &pledge {
                    // Nothing more is taken: its mandate ends, and a collection not yet
                    // sent to the bank is dropped.
                    sqlx::query("UPDATE mandates SET status = 'revoked' WHERE pledge_id = $1")
                        .bind(p.id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "UPDATE gifts SET status = 'failed', failure = 'cancelled' WHERE pledge_id = $1 \
                         AND status = 'pending' AND provider = 'sepa' AND sepa_run_id IS NULL",
                    )
                    .bind(p.id)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(pledge)
            }

            async fn pledges(&self, access: &$crate::OrgAccess, limit: i64) -> $crate::StoreResult<Vec<$crate::Pledge>> {
                let sql = format!(
                    "SELECT {} FROM pledges WHERE org_id = $1 AND status <> 'pending' ORDER BY id DESC LIMIT $2",
                    $crate::giving_model::PLEDGE_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn my_pledges(&self, who: &$crate::SelfAccess) -> $crate::StoreResult<Vec<$crate::Pledge>> {
                let sql = format!(
                    "SELECT {} FROM pledges WHERE org_id = $1 AND supporter_id = $2 AND status <> 'pending' \
                     ORDER BY id DESC",
                    $crate::giving_model::PLEDGE_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(who.org_id())
                    .bind(who.supporter_id())
                    .fetch_all(&self.pool)
                    .await?)
            }
        }
    };
}

pub(crate) use impl_giving_store;
