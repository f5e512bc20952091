//! [`crate::MeStore`] for both backends (see `orgs.rs` for why a macro): what a
//! person sees of themselves in `/me`.

macro_rules! impl_me_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::MeStore for $store {
            async fn self_access(
                &self,
                org_id: i64,
                supporter_id: i64,
            ) -> $crate::StoreResult<Option<$crate::SelfAccess>> {
                // An erased person's old links open nothing.
                let found: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM supporters WHERE id = $1 AND org_id = $2 AND email NOT LIKE 'erased-%'",
                )
                .bind(supporter_id)
                .bind(org_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(found.map(|_| $crate::SelfAccess::new(org_id, supporter_id)))
            }

            async fn me(&self, who: &$crate::SelfAccess) -> $crate::StoreResult<$crate::Supporter> {
                sqlx::query_as(
                    "SELECT id, email, first_name, last_name, postcode, country, locale, created_at FROM supporters \
                     WHERE org_id = $1 AND id = $2",
                )
                .bind(who.org_id())
                .bind(who.supporter_id())
                .fetch_optional(&self.pool)
                .await?
                .ok_or($crate::StoreError::NotFound)
            }

            async fn my_gifts(&self, who: &$crate::SelfAccess) -> $crate::StoreResult<Vec<$crate::MyGift>> {
                Ok(sqlx::query_as(
                    "SELECT g.id, g.amount_cents, g.frequency, g.status, g.created_at, g.paid_at, \
                     COALESCE(c.title, '') AS campaign, \
                     (SELECT r.number FROM receipts r WHERE r.gift_id = g.id AND r.cancelled_at IS NULL \
                      ORDER BY r.id DESC LIMIT 1) AS receipt \
                     FROM gifts g LEFT JOIN campaigns c ON c.id = g.campaign_id \
                     WHERE g.org_id = $1 AND g.supporter_id = $2 AND g.status IN ('paid', 'refunded') \
                     ORDER BY g.id DESC",
                )
                .bind(who.org_id())
                .bind(who.supporter_id())
                .fetch_all(&self.pool)
                .await?)
            }

            async fn my_signatures(
                &self,
                who: &$crate::SelfAccess,
            ) -> $crate::StoreResult<Vec<$crate::MySignature>> {
                Ok(sqlx::query_as(
                    "SELECT p.id AS petition_id, p.slug, p.title, p.state, s.status, s.created_at \
                     FROM signatures s JOIN petitions p ON p.id = s.petition_id \
                     WHERE s.org_id = $1 AND s.supporter_id = $2 AND s.status <> 'invalidated' ORDER BY s.id DESC",
                )
                .bind(who.org_id())
                .bind(who.supporter_id())
                .fetch_all(&self.pool)
                .await?)
            }

            async fn my_receipt(
                &self,
                who: &$crate::SelfAccess,
                number: &str,
            ) -> $crate::StoreResult<Option<($crate::Receipt, Vec<$crate::Gift>)>> {
                let sql = format!(
                    "SELECT {} FROM receipts WHERE org_id = $1 AND supporter_id = $2 AND number = $3 \
                     AND cancelled_at IS NULL",
                    $crate::donation_model::RECEIPT_COLUMNS
                );
                let receipt: Option<$crate::Receipt> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(who.org_id())
                    .bind(who.supporter_id())
                    .bind(number)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(receipt) = receipt else { return Ok(None) };
                let gifts = $crate::ReceiptStore::receipt_gifts(self, &receipt).await?;
                Ok(Some((receipt, gifts)))
            }

            async fn audit_self(&self, who: &$crate::SelfAccess, action: &str, now: i64) -> $crate::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO audit_log (org_id, user_id, action, subject, created_at) VALUES ($1, NULL, $2, $3, $4)",
                )
                .bind(who.org_id())
                .bind(action)
                .bind(format!("supporter:{}", who.supporter_id()))
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn my_consents(&self, who: &$crate::SelfAccess) -> $crate::StoreResult<Vec<$crate::Consent>> {
                Ok(sqlx::query_as(
                    "SELECT channel, purpose, granted, wording, source, created_at FROM consents \
                     WHERE org_id = $1 AND supporter_id = $2 ORDER BY id",
                )
                .bind(who.org_id())
                .bind(who.supporter_id())
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}

pub(crate) use impl_me_store;
