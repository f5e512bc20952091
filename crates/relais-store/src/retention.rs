//! [`crate::RetentionStore`] for both backends: how long an association keeps people
//! who neither act nor agree to anything, and the housekeeping that erases them.

/// Months are counted as 30.44 days: a retention is a policy, not a calendar date.
pub(crate) const MONTH_SECONDS: i64 = 2_629_746;

/// The supporters of org `$1` the retention would erase at cutoff `$2`: not erased yet,
/// no activity since, no consent whose latest word is a yes, no active monthly gift.
pub(crate) const CANDIDATES: &str = "FROM supporters s WHERE s.org_id = $1 AND s.updated_at < $2 \
     AND s.email NOT LIKE 'erased-%' \
     AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.supporter_id = s.id AND c.granted \
         AND NOT EXISTS (SELECT 1 FROM consents w WHERE w.supporter_id = c.supporter_id \
         AND w.channel = c.channel AND w.purpose = c.purpose AND w.id > c.id)) \
     AND NOT EXISTS (SELECT 1 FROM pledges p WHERE p.supporter_id = s.id AND p.status IN ('pending', 'active'))";

macro_rules! impl_retention_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::RetentionStore for $store {
            async fn retention_months(&self, access: &$crate::OrgAccess) -> $crate::StoreResult<Option<i64>> {
                Ok(
                    sqlx::query_scalar("SELECT retention_months FROM orgs WHERE id = $1")
                        .bind(access.org_id())
                        .fetch_one(&self.pool)
                        .await?,
                )
            }

            async fn set_retention_months(
                &self,
                access: &$crate::OrgAccess,
                months: Option<i64>,
                by_user: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("UPDATE orgs SET retention_months = $2 WHERE id = $1")
                    .bind(access.org_id())
                    .bind(months)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO audit_log (org_id, user_id, action, subject, created_at) \
                     VALUES ($1, $2, 'set_retention', $3, $4)",
                )
                .bind(access.org_id())
                .bind(by_user)
                .bind(months.map_or_else(|| "keep".to_owned(), |m| format!("months:{m}")))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn retention_due(&self, access: &$crate::OrgAccess, now: i64) -> $crate::StoreResult<i64> {
                let Some(months) = self.retention_months(access).await? else {
                    return Ok(0);
                };
                let sql = format!("SELECT COUNT(*) {}", $crate::retention::CANDIDATES);
                Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(now - months * $crate::retention::MONTH_SECONDS)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn apply_retention(&self, now: i64, limit: i64) -> $crate::StoreResult<u64> {
                let orgs: Vec<(i64, i64)> =
                    sqlx::query_as("SELECT id, retention_months FROM orgs WHERE retention_months IS NOT NULL")
                        .fetch_all(&self.pool)
                        .await?;
                let mut erased = 0;
                for (org_id, months) in orgs {
                    let sql = format!(
                        "SELECT s.id {} ORDER BY s.id LIMIT $3",
                        $crate::retention::CANDIDATES
                    );
                    let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                        .bind(org_id)
                        .bind(now - months * $crate::retention::MONTH_SECONDS)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                    // The association's own policy acts for it, as its owner would.
                    let access = $crate::OrgAccess::new(org_id, relais_core::Role::Owner);
                    for id in ids {
                        $crate::PeopleStore::erase_person(self, &access, id, None, now).await?;
                        erased += 1;
                    }
                }
                Ok(erased)
            }
        }
    };
}

pub(crate) use impl_retention_store;
