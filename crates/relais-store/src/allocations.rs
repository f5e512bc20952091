//! The money side of projects, for both backends: what reached a project and what
//! it spent, and the allocation of unrestricted gifts.
//!
//! An allocation reads what each gift has left, then writes shares of it: two
//! staff members allocating the same spring gifts at the same instant must not
//! both see them untouched. SQLite serialises writers already (`BEGIN IMMEDIATE`);
//! on PostgreSQL, whose default isolation would let both read before either
//! writes, `alloc_lock` takes a transaction-scoped advisory lock per association
//! first. A lock on the association's row would do too, but it would also queue
//! behind every signature and gift that references that row.

/// Names Relais's allocation locks among PostgreSQL advisory locks (`allo` in
/// ASCII, in the upper half), the association's id in the lower half.
pub(crate) fn allocation_lock_key(org_id: i64) -> i64 {
    (0x616c_6c6f_i64 << 32) | (org_id & 0xffff_ffff)
}

macro_rules! impl_allocations {
    ($store:ty, $conn:ty, alloc_lock = $lock:literal) => {
        impl $store {
            /// Paid, unrestricted gifts of the association matching `criteria`, each
            /// with what earlier allocations left of it, oldest first.
            async fn allocation_pool(
                conn: &mut $conn,
                org_id: i64,
                criteria: &$crate::AllocationCriteria,
            ) -> $crate::StoreResult<Vec<relais_core::allocation::Available>> {
                let campaign = if criteria.campaign_id.is_some() { "AND g.campaign_id = $4" } else { "" };
                let sql = format!(
                    "SELECT g.id, g.paid_at, g.amount_cents - CAST(COALESCE((SELECT SUM(a.cents) FROM allocations a \
                     WHERE a.gift_id = g.id), 0) AS BIGINT) AS unallocated \
                     FROM gifts g LEFT JOIN campaigns c ON c.id = g.campaign_id \
                     WHERE g.org_id = $1 AND g.status = 'paid' AND g.paid_at >= $2 AND g.paid_at < $3 \
                     AND {} IS NULL {campaign} ORDER BY g.paid_at, g.id",
                    $crate::project_model::GIFT_PROJECT
                );
                let mut query = sqlx::query_as::<_, (i64, i64, i64)>(sqlx::AssertSqlSafe(sql))
                    .bind(org_id)
                    .bind(criteria.from)
                    .bind(criteria.until);
                if let Some(campaign_id) = criteria.campaign_id {
                    query = query.bind(campaign_id);
                }
                let rows = query.fetch_all(&mut *conn).await?;
                Ok(rows
                    .into_iter()
                    .map(|(gift_id, received_at, unallocated_cents)| relais_core::allocation::Available {
                        gift_id,
                        received_at,
                        unallocated_cents,
                    })
                    .collect())
            }

            async fn allocate_in_one_transaction(
                &self,
                access: &$crate::OrgAccess,
                project_id: i64,
                allocation: &$crate::NewAllocation<'_>,
                created_by: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<Result<$crate::AllocationBatch, relais_core::allocation::AllocationError>> {
                use relais_core::allocation::{AllocationError, Rule, allocate};
                let org_id = access.org_id();
                let mut tx = self.begin_write().await?;
                if !$lock.is_empty() {
                    sqlx::query($lock)
                        .bind($crate::allocations::allocation_lock_key(org_id))
                        .execute(&mut *tx)
                        .await?;
                }
                let project: Option<i64> = sqlx::query_scalar("SELECT id FROM projects WHERE id = $1 AND org_id = $2")
                    .bind(project_id)
                    .bind(org_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                project.ok_or($crate::StoreError::NotFound)?;
                let pool = Self::allocation_pool(&mut *tx, org_id, &allocation.criteria).await?;
                // Oldest first: donors who gave earliest have waited longest to hear what it paid for.
                let shares = match allocate(allocation.amount.cents(), &pool, Rule::OldestFirst) {
                    Ok(shares) => shares,
                    Err(AllocationError::Invalid(fault)) => return Err($crate::StoreError::Corrupt(fault.to_string())),
                    // Dropping the transaction rolls it back: nothing was written.
                    Err(refusal) => return Ok(Err(refusal)),
                };
                let batch_id: i64 = sqlx::query_scalar(
                    "INSERT INTO allocation_batches (org_id, project_id, label, amount_cents, gifts_from, gifts_until, \
                     campaign_id, gifts_count, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(org_id)
                .bind(project_id)
                .bind(allocation.label)
                .bind(allocation.amount.cents())
                .bind(allocation.criteria.from)
                .bind(allocation.criteria.until)
                .bind(allocation.criteria.campaign_id)
                .bind(i64::try_from(shares.len()).unwrap_or(i64::MAX))
                .bind(created_by)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                for share in &shares {
                    sqlx::query(
                        "INSERT INTO allocations (org_id, project_id, batch_id, gift_id, cents, created_by, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(org_id)
                    .bind(project_id)
                    .bind(batch_id)
                    .bind(share.gift_id)
                    .bind(share.cents)
                    .bind(created_by)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                // The lock makes this impossible; one query turns a future mistake into
                // a failed request rather than a gift counted twice in public.
                let over: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM allocations a JOIN gifts g ON g.id = a.gift_id WHERE a.batch_id = $1 \
                     AND g.amount_cents < (SELECT SUM(b.cents) FROM allocations b WHERE b.gift_id = g.id)",
                )
                .bind(batch_id)
                .fetch_one(&mut *tx)
                .await?;
                if over > 0 {
                    return Err($crate::StoreError::Corrupt(format!(
                        "allocation {batch_id} would exceed {over} gifts"
                    )));
                }
                let sql = format!(
                    "SELECT {} FROM allocation_batches WHERE id = $1",
                    $crate::project_model::BATCH_COLUMNS
                );
                let batch: $crate::AllocationBatch =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(batch_id).fetch_one(&mut *tx).await?;
                tx.commit().await?;
                Ok(Ok(batch))
            }

            /// What reached a project (paid gifts only: a refunded gift's part no
            /// longer counts) and what it spent.
            async fn project_totals(&self, project: &$crate::Project) -> $crate::StoreResult<$crate::ProjectTotals> {
                // Two index paths rather than one CASE over every gift of the association:
                // gifts following their campaign, and gifts fixed to the project when their
                // campaign moved to another.
                let (restricted, restricted_gifts): (i64, i64) = sqlx::query_as(
                    "SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT), COUNT(*) FROM ( \
                     SELECT g.amount_cents FROM gifts g JOIN campaigns c ON c.id = g.campaign_id \
                     WHERE c.project_id = $1 AND g.org_id = $2 AND g.status = 'paid' AND NOT g.project_fixed \
                     UNION ALL SELECT g.amount_cents FROM gifts g \
                     WHERE g.fixed_project_id = $1 AND g.project_fixed AND g.org_id = $2 AND g.status = 'paid') r",
                )
                .bind(project.id)
                .bind(project.org_id)
                .fetch_one(&self.pool)
                .await?;
                let (allocated, allocated_gifts): (i64, i64) = sqlx::query_as(
                    "SELECT CAST(COALESCE(SUM(a.cents), 0) AS BIGINT), COUNT(DISTINCT a.gift_id) \
                     FROM allocations a JOIN gifts g ON g.id = a.gift_id \
                     WHERE a.project_id = $1 AND a.org_id = $2 AND g.status = 'paid'",
                )
                .bind(project.id)
                .bind(project.org_id)
                .fetch_one(&self.pool)
                .await?;
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT category, CAST(SUM(amount_cents) AS BIGINT) AS total FROM project_expenses \
                     WHERE project_id = $1 AND org_id = $2 GROUP BY category ORDER BY total DESC, category",
                )
                .bind(project.id)
                .bind(project.org_id)
                .fetch_all(&self.pool)
                .await?;
                let mut by_category = Vec::with_capacity(rows.len());
                for (category, cents) in rows {
                    let category = relais_core::ledger::ExpenseCategory::parse(&category)
                        .ok_or_else(|| $crate::StoreError::Corrupt(format!("expense category {category}")))?;
                    by_category.push((category, relais_core::money::Money::from_cents(cents)));
                }
                let spent = by_category.iter().map(|(_, m)| m.cents()).sum();
                Ok($crate::ProjectTotals {
                    restricted: relais_core::money::Money::from_cents(restricted),
                    restricted_gifts,
                    allocated: relais_core::money::Money::from_cents(allocated),
                    allocated_gifts,
                    spent: relais_core::money::Money::from_cents(spent),
                    by_category,
                })
            }
        }
    };
}

pub(crate) use impl_allocations;
