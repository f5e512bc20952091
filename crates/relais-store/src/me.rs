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
                // An erased person's old links open nothing; a merged record's lead
                // to the person it was merged into.
                let found: Option<i64> = sqlx::query_scalar(concat!(
                    "SELECT id FROM supporters WHERE id = ",
                    $crate::merge::resolve_merged!("$1"),
                    " AND org_id = $2 AND email NOT LIKE 'erased-%'"
                ))
                .bind(supporter_id)
                .bind(org_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(found.map(|id| $crate::SelfAccess::new(org_id, id)))
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
                      ORDER BY r.id DESC LIMIT 1) AS receipt, \
                     (CASE WHEN g.project_fixed THEN g.fixed_project_id ELSE c.project_id END) AS project_id \
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

            async fn my_allocations(
                &self,
                who: &$crate::SelfAccess,
            ) -> $crate::StoreResult<Vec<$crate::MyAllocation>> {
                Ok(sqlx::query_as(
                    "SELECT a.gift_id, a.project_id, a.cents, a.created_at FROM allocations a \
                     JOIN gifts g ON g.id = a.gift_id \
                     WHERE g.org_id = $1 AND g.supporter_id = $2 AND g.status = 'paid' ORDER BY a.gift_id DESC, a.id",
                )
                .bind(who.org_id())
                .bind(who.supporter_id())
                .fetch_all(&self.pool)
                .await?)
            }

            async fn my_projects(&self, who: &$crate::SelfAccess) -> $crate::StoreResult<Vec<$crate::Project>> {
                let sql = format!(
                    "SELECT {} FROM projects WHERE org_id = $1 AND state = 'published' AND id IN ({}) ORDER BY id",
                    $crate::project_model::PROJECT_COLUMNS,
                    $crate::me_model::MY_PROJECT_IDS
                );
                let rows: Vec<$crate::project_model::ProjectRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(who.org_id())
                    .bind(who.supporter_id())
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn my_project_news(
                &self,
                who: &$crate::SelfAccess,
            ) -> $crate::StoreResult<Vec<$crate::ProjectUpdate>> {
                // Since the first gift: news from before it is the project's history,
                // not what happened with this person's money.
                let sql = format!(
                    "SELECT {} FROM project_updates WHERE org_id = $1 \
                     AND project_id IN (SELECT id FROM projects WHERE org_id = $1 AND state = 'published' AND id IN ({})) \
                     AND created_at >= (SELECT MIN(paid_at) FROM gifts WHERE org_id = $1 AND supporter_id = $2 \
                     AND status = 'paid') ORDER BY created_at DESC, id DESC",
                    $crate::project_model::UPDATE_COLUMNS,
                    $crate::me_model::MY_PROJECT_IDS
                );
                let rows: Vec<$crate::project_model::UpdateRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(who.org_id())
                    .bind(who.supporter_id())
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn my_petition_news(
                &self,
                who: &$crate::SelfAccess,
            ) -> $crate::StoreResult<Vec<$crate::MyPetitionPost>> {
                Ok(sqlx::query_as(
                    "SELECT s.petition_id, p.id, p.kind, p.body, p.milestone, p.created_at \
                     FROM signatures s JOIN petition_posts p ON p.petition_id = s.petition_id \
                     AND p.created_at >= s.created_at \
                     WHERE s.org_id = $1 AND s.supporter_id = $2 AND s.status <> 'invalidated' \
                     ORDER BY p.created_at DESC, p.id DESC",
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
