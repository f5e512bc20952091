//! [`crate::ReceiptStore`] for both backends: receipt numbers, annual receipts,
//! replacements and the yearly totals an association declares.

/// The association's zone, UTC when unknown.
fn zone(tz: &str) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC)
}

/// The calendar year a payment at `ts` belongs to, in the association's time zone:
/// a gift made at 00:30 on 1 January in Paris is of the new year, though it is
/// still 31 December in UTC. The receipt's year and numbering follow it.
pub(crate) fn year_of(ts: i64, tz: &str) -> i64 {
    jiff::Timestamp::from_second(ts)
        .map(|t| i64::from(t.to_zoned(zone(tz)).year()))
        .unwrap_or(1970)
}

/// `[start, end)` of a calendar year in the association's time zone, as Unix seconds.
pub(crate) fn year_span(year: i64, tz: &str) -> Option<(i64, i64)> {
    let at = |y: i64| -> Option<i64> {
        let y = i16::try_from(y).ok()?;
        Some(
            jiff::civil::date(y, 1, 1)
                .to_zoned(zone(tz))
                .ok()?
                .timestamp()
                .as_second(),
        )
    };
    Some((at(year)?, at(year + 1)?))
}

macro_rules! impl_receipt_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// The next receipt number of an association's year. The counter row is
            /// the lock: numbers come out one at a time, without gaps, and a rolled-back
            /// transaction gives its number back.
            pub(crate) async fn next_receipt_number(
                tx: &mut $crate::write_tx::WriteTx<$db>,
                org_id: i64,
                year: i64,
            ) -> $crate::StoreResult<String> {
                let seq: i64 = sqlx::query_scalar(
                    "INSERT INTO receipt_counters (org_id, year, last_number) VALUES ($1, $2, 1) \
                     ON CONFLICT (org_id, year) DO UPDATE SET last_number = receipt_counters.last_number + 1 \
                     RETURNING last_number",
                )
                .bind(org_id)
                .bind(year)
                .fetch_one(&mut **tx)
                .await?;
                Ok(format!("{year}-{seq:06}"))
            }

            /// Marks a paid gift refunded (or returned by the bank) inside `tx`: it no
            /// longer counts on its campaign or its mandate, its own receipt is
            /// cancelled, and an annual receipt covering it is replaced by one
            /// without it. [`crate::StoreError::Conflict`] when it was not paid.
            pub(crate) async fn refund_in_tx(
                tx: &mut $crate::write_tx::WriteTx<$db>,
                gift: &$crate::Gift,
                reason: &str,
                now: i64,
            ) -> $crate::StoreResult<()> {
                let done = sqlx::query("UPDATE gifts SET status = 'refunded', failure = $2 WHERE id = $1 AND status = 'paid'")
                    .bind(gift.id)
                    .bind(reason)
                    .execute(&mut **tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::Conflict("refund of a gift that is not paid"));
                }
                sqlx::query(
                    "UPDATE campaigns SET raised_cents = raised_cents - $2, gifts_count = gifts_count - 1 WHERE id = $1",
                )
                .bind(gift.campaign_id)
                .bind(gift.amount_cents)
                .execute(&mut **tx)
                .await?;
                sqlx::query(
                    "UPDATE mandates SET collected = collected - 1 \
                     WHERE id = (SELECT mandate_id FROM gifts WHERE id = $1) AND collected > 0",
                )
                .bind(gift.id)
                .execute(&mut **tx)
                .await?;
                sqlx::query("UPDATE receipts SET cancelled_at = $2 WHERE gift_id = $1 AND cancelled_at IS NULL")
                    .bind(gift.id)
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
                let sql = format!(
                    "UPDATE receipts SET cancelled_at = $2 WHERE cancelled_at IS NULL AND id IN \
                     (SELECT receipt_id FROM receipt_gifts WHERE gift_id = $1) RETURNING {}",
                    $crate::donation_model::RECEIPT_COLUMNS
                );
                let annual: Vec<$crate::Receipt> =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(gift.id).bind(now).fetch_all(&mut **tx).await?;
                for old in annual {
                    let remaining: Vec<(i64, i64, String)> = sqlx::query_as(
                        "SELECT g.id, g.amount_cents, g.email FROM receipt_gifts rg JOIN gifts g ON g.id = rg.gift_id \
                         WHERE rg.receipt_id = $1 AND g.id <> $2 AND g.status = 'paid' ORDER BY g.id",
                    )
                    .bind(old.id)
                    .bind(gift.id)
                    .fetch_all(&mut **tx)
                    .await?;
                    if remaining.is_empty() {
                        continue;
                    }
                    let number = Self::next_receipt_number(tx, old.org_id, old.year).await?;
                    let sql = format!(
                        "INSERT INTO receipts (org_id, year, number, gift_id, amount_cents, issued_at, supporter_id, \
                         kind, replaces_id) VALUES ($1, $2, $3, NULL, $4, $5, $6, 'annual', $7) RETURNING {}",
                        $crate::donation_model::RECEIPT_COLUMNS
                    );
                    let new: $crate::Receipt = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(old.org_id)
                        .bind(old.year)
                        .bind(&number)
                        .bind(remaining.iter().map(|g| g.1).sum::<i64>())
                        .bind(now)
                        .bind(old.supporter_id)
                        .bind(old.id)
                        .fetch_one(&mut **tx)
                        .await?;
                    for g in &remaining {
                        sqlx::query("INSERT INTO receipt_gifts (receipt_id, gift_id) VALUES ($1, $2)")
                            .bind(new.id)
                            .bind(g.0)
                            .execute(&mut **tx)
                            .await?;
                    }
                    let email = remaining.last().map(|g| g.2.as_str()).unwrap_or_default();
                    Self::enqueue_receipt_mail(tx, &new, email, None, now).await?;
                }
                Ok(())
            }

            /// Enqueues the e-mail that carries a receipt issued outside a payment,
            /// rendered when it leaves: annual summaries go out as bulk mail (`topic`),
            /// after the messages people wait for; a replacement goes at once.
            async fn enqueue_receipt_mail(
                tx: &mut $crate::write_tx::WriteTx<$db>,
                receipt: &$crate::Receipt,
                email: &str,
                topic: Option<&str>,
                now: i64,
            ) -> $crate::StoreResult<()> {
                if email.ends_with(".invalid") {
                    return Ok(());
                }
                let payload = serde_json::to_string(&$crate::Payload {
                    deferred: Some($crate::Deferred::Receipt { receipt: receipt.id }),
                    ..Default::default()
                })
                .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
                sqlx::query(
                    "INSERT INTO outbox (org_id, channel, recipient, payload, idempotency_key, status, attempts, \
                     next_attempt_at, created_at, topic) VALUES ($1, 'email', $2, $3, $4, 'pending', 0, $5, $5, $6) \
                     ON CONFLICT (idempotency_key) DO NOTHING",
                )
                .bind(receipt.org_id)
                .bind(email)
                .bind(payload)
                .bind(format!("receipt:{}", receipt.id))
                .bind(now)
                .bind(topic)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::ReceiptStore for $store {
            async fn issue_annual_receipts(
                &self,
                access: &$crate::OrgAccess,
                year: i64,
                donors: i64,
                now: i64,
            ) -> $crate::StoreResult<Vec<$crate::Receipt>> {
                let mut tx = self.begin_write().await?;
                let tz: String = sqlx::query_scalar("SELECT timezone FROM orgs WHERE id = $1")
                    .bind(access.org_id())
                    .fetch_one(&mut *tx)
                    .await?;
                let (start, end) = $crate::receipts::year_span(year, &tz).ok_or($crate::StoreError::NotFound)?;
                // Take the year's counter row first: a second run waits here, then sees
                // what this one receipted and issues nothing twice.
                sqlx::query(
                    "INSERT INTO receipt_counters (org_id, year, last_number) VALUES ($1, $2, 0) \
                     ON CONFLICT (org_id, year) DO UPDATE SET last_number = receipt_counters.last_number",
                )
                .bind(access.org_id())
                .bind(year)
                .execute(&mut *tx)
                .await?;
                // The gifts of the year no valid receipt covers, computed once; each
                // "covered" test is an index probe (an OR across both links made
                // PostgreSQL rescan every receipt for every gift: seconds per batch).
                let gifts: Vec<(i64, i64, i64, String)> = sqlx::query_as(
                    "WITH uncovered AS (SELECT g.id, g.supporter_id, g.amount_cents, g.email FROM gifts g \
                         WHERE g.org_id = $1 AND g.status = 'paid' AND g.wants_receipt \
                         AND g.paid_at >= $2 AND g.paid_at < $3 \
                         AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.gift_id = g.id AND r.cancelled_at IS NULL) \
                         AND NOT EXISTS (SELECT 1 FROM receipt_gifts rg JOIN receipts r ON r.id = rg.receipt_id \
                             WHERE rg.gift_id = g.id AND r.cancelled_at IS NULL)), \
                     donors AS (SELECT DISTINCT supporter_id FROM uncovered ORDER BY supporter_id LIMIT $4) \
                     SELECT u.id, u.supporter_id, u.amount_cents, u.email FROM uncovered u \
                     WHERE u.supporter_id IN (SELECT supporter_id FROM donors) ORDER BY u.supporter_id, u.id",
                )
                .bind(access.org_id())
                .bind(start)
                .bind(end)
                .bind(donors)
                .fetch_all(&mut *tx)
                .await?;
                let mut issued = Vec::new();
                let mut i = 0;
                while i < gifts.len() {
                    let supporter = gifts[i].1;
                    let group: Vec<&(i64, i64, i64, String)> =
                        gifts[i..].iter().take_while(|g| g.1 == supporter).collect();
                    i += group.len();
                    let total: i64 = group.iter().map(|g| g.2).sum();
                    let number = Self::next_receipt_number(&mut tx, access.org_id(), year).await?;
                    let sql = format!(
                        "INSERT INTO receipts (org_id, year, number, gift_id, amount_cents, issued_at, supporter_id, kind) \
                         VALUES ($1, $2, $3, NULL, $4, $5, $6, 'annual') RETURNING {}",
                        $crate::donation_model::RECEIPT_COLUMNS
                    );
                    let receipt: $crate::Receipt = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(access.org_id())
                        .bind(year)
                        .bind(&number)
                        .bind(total)
                        .bind(now)
                        .bind(supporter)
                        .fetch_one(&mut *tx)
                        .await?;
                    for g in &group {
                        sqlx::query("INSERT INTO receipt_gifts (receipt_id, gift_id) VALUES ($1, $2)")
                            .bind(receipt.id)
                            .bind(g.0)
                            .execute(&mut *tx)
                            .await?;
                    }
                    // The latest address the donor gave.
                    let email = group.last().map(|g| g.3.as_str()).unwrap_or_default();
                    let topic = format!("receipts:{}:{year}", access.org_id());
                    Self::enqueue_receipt_mail(&mut tx, &receipt, email, Some(&topic), now).await?;
                    issued.push(receipt);
                }
                tx.commit().await?;
                if !issued.is_empty() {
                    self.wakeup.notify_one();
                }
                Ok(issued)
            }

            async fn receipt(&self, access: &$crate::OrgAccess, id: i64) -> $crate::StoreResult<Option<$crate::Receipt>> {
                let sql = format!(
                    "SELECT {} FROM receipts WHERE id = $1 AND org_id = $2",
                    $crate::donation_model::RECEIPT_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .bind(access.org_id())
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn receipt_by_id(&self, id: i64) -> $crate::StoreResult<Option<$crate::Receipt>> {
                let sql = format!("SELECT {} FROM receipts WHERE id = $1", $crate::donation_model::RECEIPT_COLUMNS);
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?)
            }

            async fn receipt_gifts(&self, receipt: &$crate::Receipt) -> $crate::StoreResult<Vec<$crate::Gift>> {
                // Ids first, then the rows by primary key: an OR beside org_id made the
                // planners walk every gift of the association for each receipt.
                let sql = format!(
                    "SELECT {} FROM gifts WHERE org_id = $1 AND id IN (SELECT CAST($2 AS BIGINT) \
                     UNION ALL SELECT gift_id FROM receipt_gifts WHERE receipt_id = $3) ORDER BY paid_at, id",
                    $crate::donation_model::GIFT_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(receipt.org_id)
                    .bind(receipt.gift_id.unwrap_or(0))
                    .bind(receipt.id)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn receipts(
                &self,
                access: &$crate::OrgAccess,
                year: i64,
                limit: i64,
            ) -> $crate::StoreResult<Vec<$crate::Receipt>> {
                let sql = format!(
                    "SELECT {} FROM receipts WHERE org_id = $1 AND year = $2 ORDER BY id DESC LIMIT $3",
                    $crate::donation_model::RECEIPT_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(year)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn replace_receipt(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                correction: Option<&$crate::DonorCorrection>,
                now: i64,
            ) -> $crate::StoreResult<$crate::Receipt> {
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "UPDATE receipts SET cancelled_at = $3 WHERE id = $1 AND org_id = $2 AND cancelled_at IS NULL \
                     RETURNING {}",
                    $crate::donation_model::RECEIPT_COLUMNS
                );
                let old: $crate::Receipt = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .bind(access.org_id())
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or($crate::StoreError::NotFound)?;
                let covered = "(id = $2 OR id IN (SELECT gift_id FROM receipt_gifts WHERE receipt_id = $3))";
                if let Some(c) = correction {
                    let sql = format!(
                        "UPDATE gifts SET first_name = $4, last_name = $5, address = $6, postcode = $7, city = $8 \
                         WHERE org_id = $1 AND {covered}"
                    );
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(old.org_id)
                        .bind(old.gift_id.unwrap_or(0))
                        .bind(old.id)
                        .bind(&c.first_name)
                        .bind(&c.last_name)
                        .bind(&c.address)
                        .bind(&c.postcode)
                        .bind(&c.city)
                        .execute(&mut *tx)
                        .await?;
                }
                let number = Self::next_receipt_number(&mut tx, old.org_id, old.year).await?;
                let sql = format!(
                    "INSERT INTO receipts (org_id, year, number, gift_id, amount_cents, issued_at, supporter_id, kind, \
                     replaces_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {}",
                    $crate::donation_model::RECEIPT_COLUMNS
                );
                let new: $crate::Receipt = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(old.org_id)
                    .bind(old.year)
                    .bind(&number)
                    .bind(old.gift_id)
                    .bind(old.amount_cents)
                    .bind(now)
                    .bind(old.supporter_id)
                    .bind(&old.kind)
                    .bind(old.id)
                    .fetch_one(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO receipt_gifts (receipt_id, gift_id) SELECT $1, gift_id FROM receipt_gifts \
                     WHERE receipt_id = $2",
                )
                .bind(new.id)
                .bind(old.id)
                .execute(&mut *tx)
                .await?;
                let sql = format!("SELECT email FROM gifts WHERE org_id = $1 AND {covered} ORDER BY id DESC LIMIT 1");
                let email: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .bind(old.org_id)
                    .bind(old.gift_id.unwrap_or(0))
                    .bind(old.id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(email) = email {
                    Self::enqueue_receipt_mail(&mut tx, &new, &email, None, now).await?;
                }
                tx.commit().await?;
                self.wakeup.notify_one();
                Ok(new)
            }

            async fn receipt_totals(&self, access: &$crate::OrgAccess) -> $crate::StoreResult<Vec<$crate::ReceiptTotal>> {
                Ok(sqlx::query_as(
                    "SELECT year, COUNT(*) AS receipts, CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) AS amount_cents \
                     FROM receipts WHERE org_id = $1 AND cancelled_at IS NULL GROUP BY year ORDER BY year DESC",
                )
                .bind(access.org_id())
                .fetch_all(&self.pool)
                .await?)
            }

            async fn my_receipts(&self, who: &$crate::SelfAccess) -> $crate::StoreResult<Vec<$crate::Receipt>> {
                let sql = format!(
                    "SELECT {} FROM receipts WHERE org_id = $1 AND supporter_id = $2 AND cancelled_at IS NULL \
                     ORDER BY id DESC",
                    $crate::donation_model::RECEIPT_COLUMNS
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

pub(crate) use impl_receipt_store;

#[cfg(test)]
mod tests {
    use super::{year_of, year_span};

    #[test]
    fn the_year_is_the_associations_not_utcs() {
        // 2026-12-31T23:30:00Z is 00:30 on 1 January 2027 in Paris.
        let new_year_in_paris = 1_798_759_800;
        assert_eq!(year_of(new_year_in_paris, "Europe/Paris"), 2027);
        assert_eq!(year_of(new_year_in_paris, "UTC"), 2026);
        assert_eq!(year_of(new_year_in_paris, "nowhere/unknown"), 2026, "unknown zone: UTC");
        let (start, end) = year_span(2027, "Europe/Paris").unwrap();
        assert!(start <= new_year_in_paris && new_year_in_paris < end);
        assert_eq!(end - start, 365 * 86_400);
        let (start, end) = year_span(2028, "Europe/Paris").unwrap();
        assert_eq!(end - start, 366 * 86_400, "leap year");
    }
}
