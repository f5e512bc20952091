//! Staff changing where money went, for both backends: undoing an allocation, and
//! moving a campaign to another project.
//!
//! Both change what the allocation pool holds (an undone allocation gives cents back;
//! a campaign leaving or joining a project changes which gifts are unrestricted), so
//! both take the association's allocation lock, like `allocations.rs`.
//!
//! Undoing keeps the trace: the allocation rows move to `undone_allocations` rather
//! than being deleted or reversed by negative rows, so every query summing
//! `allocations` (totals, what a gift has left, who hears of a project's news) stays
//! right without knowing that undoing exists.
//!
//! A campaign changing project leaves its gifts made so far with the project they were
//! given to (a donor who gave "for the well" gave for the well, and an allocation
//! already drawn on a gift that was unrestricted stays valid): they are fixed on the
//! gift before the campaign changes. Gifts made afterwards follow the campaign.

macro_rules! impl_funding_changes {
    ($store:ty, alloc_lock = $lock:literal) => {
        impl $store {
            async fn undo_allocation_in_one_transaction(
                &self,
                access: &$crate::OrgAccess,
                batch_id: i64,
                by: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<$crate::AllocationBatch> {
                let org_id = access.org_id();
                let mut tx = self.begin_write().await?;
                if !$lock.is_empty() {
                    sqlx::query($lock)
                        .bind($crate::allocations::allocation_lock_key(org_id))
                        .execute(&mut *tx)
                        .await?;
                }
                let undone: Option<Option<i64>> =
                    sqlx::query_scalar("SELECT undone_at FROM allocation_batches WHERE id = $1 AND org_id = $2")
                        .bind(batch_id)
                        .bind(org_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                match undone {
                    None => return Err($crate::StoreError::NotFound),
                    Some(Some(_)) => return Err($crate::StoreError::Conflict("undone")),
                    Some(None) => {}
                }
                sqlx::query(
                    "INSERT INTO undone_allocations (id, org_id, project_id, batch_id, gift_id, cents, created_by, \
                     created_at, undone_at) SELECT id, org_id, project_id, batch_id, gift_id, cents, created_by, \
                     created_at, $2 FROM allocations WHERE batch_id = $1",
                )
                .bind(batch_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM allocations WHERE batch_id = $1")
                    .bind(batch_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE allocation_batches SET undone_at = $2, undone_by = $3 WHERE id = $1")
                    .bind(batch_id)
                    .bind(now)
                    .bind(by)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO audit_log (org_id, user_id, action, subject, created_at) \
                     VALUES ($1, $2, 'allocation_undone', $3, $4)",
                )
                .bind(org_id)
                .bind(by)
                .bind(format!("allocation:{batch_id}"))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let sql = format!(
                    "SELECT {} FROM allocation_batches WHERE id = $1",
                    $crate::project_model::BATCH_COLUMNS
                );
                let batch = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(batch_id)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(batch)
            }

            async fn move_campaign_in_one_transaction(
                &self,
                access: &$crate::OrgAccess,
                campaign_id: i64,
                project_id: Option<i64>,
                by: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<$crate::Campaign> {
                let org_id = access.org_id();
                let mut tx = self.begin_write().await?;
                if !$lock.is_empty() {
                    sqlx::query($lock)
                        .bind($crate::allocations::allocation_lock_key(org_id))
                        .execute(&mut *tx)
                        .await?;
                }
                let before: Option<Option<i64>> =
                    sqlx::query_scalar("SELECT project_id FROM campaigns WHERE id = $1 AND org_id = $2")
                        .bind(campaign_id)
                        .bind(org_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let before = before.ok_or($crate::StoreError::NotFound)?;
                if let Some(id) = project_id {
                    // Only a project of the same association.
                    let found: Option<i64> =
                        sqlx::query_scalar("SELECT id FROM projects WHERE id = $1 AND org_id = $2")
                            .bind(id)
                            .bind(org_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    found.ok_or($crate::StoreError::NotFound)?;
                }
                if before != project_id {
                    sqlx::query(
                        "UPDATE gifts SET project_fixed = TRUE, fixed_project_id = $2 \
                         WHERE campaign_id = $1 AND NOT project_fixed",
                    )
                    .bind(campaign_id)
                    .bind(before)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("UPDATE campaigns SET project_id = $2, updated_at = $3 WHERE id = $1")
                        .bind(campaign_id)
                        .bind(project_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    let name = |p: Option<i64>| p.map_or_else(|| "none".to_owned(), |id| id.to_string());
                    sqlx::query(
                        "INSERT INTO audit_log (org_id, user_id, action, subject, created_at) \
                         VALUES ($1, $2, 'campaign_project_changed', $3, $4)",
                    )
                    .bind(org_id)
                    .bind(by)
                    .bind(format!(
                        "campaign:{campaign_id} project:{}->{}",
                        name(before),
                        name(project_id)
                    ))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                let sql = format!(
                    "SELECT {} FROM campaigns WHERE id = $1",
                    $crate::donation_model::CAMPAIGN_COLUMNS
                );
                let row: $crate::donation_model::CampaignRow =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(campaign_id).fetch_one(&mut *tx).await?;
                tx.commit().await?;
                Ok(row.into())
            }
        }
    };
}

pub(crate) use impl_funding_changes;
