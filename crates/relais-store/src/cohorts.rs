//! [`crate::LoopStore`] for both backends (see `orgs.rs` for why a macro): does
//! telling donors what their gift did bring them back?

/// The association's donors who received at least one impact message: one column,
/// `supporter_id`, for the association `$1`.
///
/// Every impact message is recorded in `impact_messages` when it is enqueued (project
/// news and outcome reports, by e-mail or SMS); this is the only place that decides
/// what "told" means.
pub(crate) const TOLD_SUPPORTERS: &str = "SELECT supporter_id FROM impact_messages WHERE org_id = $1";

macro_rules! impl_loop_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::LoopStore for $store {
            async fn repeat_giving_cohorts(
                &self,
                access: &$crate::OrgAccess,
                now: i64,
            ) -> $crate::StoreResult<Vec<relais_core::cohort::CohortRate>> {
                let timezone: String = sqlx::query_scalar("SELECT timezone FROM orgs WHERE id = $1")
                    .bind(access.org_id())
                    .fetch_one(&self.pool)
                    .await?;
                let zone = jiff::tz::TimeZone::get(&timezone).unwrap_or(jiff::tz::TimeZone::UTC);
                let year = |ts: i64| {
                    jiff::Timestamp::from_second(ts)
                        .map(|t| i32::from(t.to_zoned(zone.clone()).year()))
                        .map_err(|e| $crate::StoreError::Corrupt(format!("gift time {ts}: {e}")))
                };
                // One row per donor: the first and last paid gift are enough to place
                // them in a cohort and to tell whether they came back a later year
                // (years are monotonic in time); the rule itself lives in relais-core.
                let sql = format!(
                    "SELECT g.supporter_id, MIN(g.paid_at), MAX(g.paid_at), \
                     CAST(CASE WHEN t.supporter_id IS NULL THEN 0 ELSE 1 END AS BIGINT) \
                     FROM gifts g LEFT JOIN (SELECT DISTINCT supporter_id FROM ({}) told) t \
                     ON t.supporter_id = g.supporter_id \
                     WHERE g.org_id = $1 AND g.status = 'paid' AND g.paid_at IS NOT NULL \
                     GROUP BY g.supporter_id, t.supporter_id",
                    $crate::cohorts::TOLD_SUPPORTERS
                );
                let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .fetch_all(&self.pool)
                    .await?;
                let mut donors = Vec::with_capacity(rows.len());
                for (donor_id, first, last, told) in rows {
                    donors.push(relais_core::cohort::DonorYears {
                        donor_id,
                        first_gift_year: year(first)?,
                        last_gift_year: year(last)?,
                        told: told == 1,
                    });
                }
                Ok(relais_core::cohort::repeat_rates(&donors, year(now)?))
            }
        }
    };
}

pub(crate) use impl_loop_store;
