//! [`crate::GiftSearchStore`] for both backends: the gifts list with filters and
//! its totals by month, campaign and method. Filters are bound parameters where
//! NULL means "any", so one statement serves every combination.

macro_rules! impl_gift_search_store {
    ($store:ty) => {
        impl $store {
            /// The WHERE clause shared by the list and the totals ($1 is the association).
            const GIFT_FILTER: &'static str = "g.org_id = $1 \
                AND ($2 IS NULL OR g.campaign_id = $2) \
                AND ($3 IS NULL OR g.status = $3) \
                AND ($4 IS NULL OR g.method = $4) \
                AND ($5 IS NULL OR COALESCE(g.paid_at, g.created_at) >= $5) \
                AND ($6 IS NULL OR COALESCE(g.paid_at, g.created_at) < $6)";

            async fn gift_groups(
                &self,
                access: &$crate::OrgAccess,
                f: &$crate::GiftFilter,
                key: &str,
                join: &str,
            ) -> $crate::StoreResult<Vec<$crate::GiftGroup>> {
                let sql = format!(
                    "SELECT {key} AS label, COUNT(*) AS gifts, CAST(COALESCE(SUM(g.amount_cents), 0) AS BIGINT) AS cents \
                     FROM gifts g {join} WHERE {} GROUP BY {key} ORDER BY {key}",
                    Self::GIFT_FILTER
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(f.campaign_id)
                    .bind(f.status.as_deref())
                    .bind(f.method.as_deref())
                    .bind(f.from)
                    .bind(f.to)
                    .fetch_all(&self.pool)
                    .await?)
            }
        }

        impl $store {
            /// A `CASE` naming each gift's month (`YYYY-MM`) in the filter's time zone:
            /// neither SQLite nor a portable SQL knows time zones, so the month
            /// boundaries are computed here, from the first to the last gift.
            async fn month_case(&self, access: &$crate::OrgAccess, f: &$crate::GiftFilter) -> $crate::StoreResult<Option<String>> {
                let sql = format!(
                    "SELECT MIN(COALESCE(g.paid_at, g.created_at)), MAX(COALESCE(g.paid_at, g.created_at)) \
                     FROM gifts g WHERE {}",
                    Self::GIFT_FILTER
                );
                let (lo, hi): (Option<i64>, Option<i64>) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(f.campaign_id)
                    .bind(f.status.as_deref())
                    .bind(f.method.as_deref())
                    .bind(f.from)
                    .bind(f.to)
                    .fetch_one(&self.pool)
                    .await?;
                let (Some(lo), Some(hi)) = (lo, hi) else { return Ok(None) };
                let zone = jiff::tz::TimeZone::get(&f.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
                let corrupt = |e: jiff::Error| $crate::StoreError::Corrupt(e.to_string());
                let first = jiff::Timestamp::from_second(lo).map_err(corrupt)?.to_zoned(zone.clone()).date().first_of_month();
                let mut case = String::from("CASE");
                let mut month = first;
                // Twenty years of months at most: older gifts fall in the last label.
                for _ in 0..240 {
                    let next = month.checked_add(jiff::Span::new().months(1)).map_err(corrupt)?;
                    let end = next.to_zoned(zone.clone()).map_err(corrupt)?.timestamp().as_second();
                    case.push_str(&format!(
                        " WHEN COALESCE(g.paid_at, g.created_at) < {end} THEN '{}'",
                        month.strftime("%Y-%m")
                    ));
                    if end > hi {
                        break;
                    }
                    month = next;
                }
                case.push_str(&format!(" ELSE '{}' END", month.strftime("%Y-%m")));
                Ok(Some(case))
            }
        }

        #[async_trait::async_trait]
        impl $crate::GiftSearchStore for $store {
            async fn search_gifts(
                &self,
                access: &$crate::OrgAccess,
                f: &$crate::GiftFilter,
                before_id: i64,
                limit: i64,
            ) -> $crate::StoreResult<Vec<$crate::Gift>> {
                let sql = format!(
                    "SELECT {} FROM gifts g WHERE {} AND g.id < $7 ORDER BY g.id DESC LIMIT $8",
                    $crate::donation_model::gift_columns_of("g"),
                    Self::GIFT_FILTER
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(f.campaign_id)
                    .bind(f.status.as_deref())
                    .bind(f.method.as_deref())
                    .bind(f.from)
                    .bind(f.to)
                    .bind(before_id)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn gift_totals(
                &self,
                access: &$crate::OrgAccess,
                f: &$crate::GiftFilter,
            ) -> $crate::StoreResult<$crate::GiftTotals> {
                let sql = format!(
                    "SELECT COUNT(*), CAST(COALESCE(SUM(g.amount_cents), 0) AS BIGINT), \
                     CAST(COALESCE(SUM(g.tip_cents), 0) AS BIGINT) FROM gifts g WHERE {}",
                    Self::GIFT_FILTER
                );
                let (gifts, cents, tips_cents): (i64, i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(f.campaign_id)
                    .bind(f.status.as_deref())
                    .bind(f.method.as_deref())
                    .bind(f.from)
                    .bind(f.to)
                    .fetch_one(&self.pool)
                    .await?;
                Ok($crate::GiftTotals {
                    gifts,
                    cents,
                    tips_cents,
                    by_month: match Self::month_case(self, access, f).await? {
                        Some(case) => self.gift_groups(access, f, &case, "").await?,
                        None => Vec::new(),
                    },
                    by_campaign: self
                        .gift_groups(access, f, "COALESCE(c.title, '')", "LEFT JOIN campaigns c ON c.id = g.campaign_id")
                        .await?,
                    by_method: self.gift_groups(access, f, "g.method", "").await?,
                })
            }
        }
    };
}

pub(crate) use impl_gift_search_store;
