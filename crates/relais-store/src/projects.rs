//! [`crate::ProjectStore`] for both backends (see `orgs.rs` for why a macro). The
//! money side (totals, allocation) is in `allocations.rs`.

macro_rules! impl_project_store {
    ($store:ty) => {
        impl $store {
            /// One of the association's projects, or [`StoreError::NotFound`].
            async fn own_project(&self, access: &$crate::OrgAccess, id: i64) -> $crate::StoreResult<$crate::Project> {
                let sql = format!(
                    "SELECT {} FROM projects WHERE id = $1 AND org_id = $2",
                    $crate::project_model::PROJECT_COLUMNS
                );
                let row: Option<$crate::project_model::ProjectRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .bind(access.org_id())
                    .fetch_optional(&self.pool)
                    .await?;
                row.ok_or($crate::StoreError::NotFound)?.try_into()
            }

            async fn page_of(&self, project: $crate::Project) -> $crate::StoreResult<$crate::ProjectPage> {
                let photos = sqlx::query_as(
                    "SELECT id, project_id, file_base, alt, created_at FROM project_photos \
                     WHERE project_id = $1 ORDER BY id",
                )
                .bind(project.id)
                .fetch_all(&self.pool)
                .await?;
                let sql = format!(
                    "SELECT {} FROM project_expenses WHERE project_id = $1 ORDER BY spent_on, id",
                    $crate::project_model::EXPENSE_COLUMNS
                );
                let rows: Vec<$crate::project_model::ExpenseRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(project.id)
                    .fetch_all(&self.pool)
                    .await?;
                let expenses = rows
                    .into_iter()
                    .map(TryInto::try_into)
                    .collect::<Result<Vec<_>, _>>()?;
                let campaigns = sqlx::query_as(
                    "SELECT slug, title FROM campaigns WHERE project_id = $1 AND org_id = $2 \
                     AND state = 'published' ORDER BY id",
                )
                .bind(project.id)
                .bind(project.org_id)
                .fetch_all(&self.pool)
                .await?;
                let totals = self.project_totals(&project).await?;
                let updates = self.updates_of(project.id).await?;
                Ok($crate::ProjectPage {
                    project,
                    photos,
                    expenses,
                    totals,
                    campaigns,
                    updates,
                })
            }

            /// Runs an update on one of the association's projects and returns it after.
            async fn touch_project(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                set: &str,
                value: &str,
                now: i64,
            ) -> $crate::StoreResult<$crate::Project> {
                let sql = format!("UPDATE projects SET {set}, updated_at = $4 WHERE id = $1 AND org_id = $2");
                let done = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .bind(access.org_id())
                    .bind(value)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                self.own_project(access, id).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::ProjectStore for $store {
            async fn create_project(
                &self,
                access: &$crate::OrgAccess,
                p: &relais_core::project::ProjectDraft,
                created_by: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<$crate::Project> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO projects (org_id, slug, state, title, body, place_label, lat, lon, budget_cents, \
                     created_by, created_at, updated_at) \
                     VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
                )
                .bind(access.org_id())
                .bind(p.slug.as_str())
                .bind(&p.title)
                .bind(&p.body)
                .bind(&p.place.label)
                .bind(p.place.lat)
                .bind(p.place.lon)
                .bind(p.budget.cents())
                .bind(created_by)
                .bind(now)
                .fetch_one(&self.pool)
                .await
                .map_err($crate::error::conflict_on_unique("slug"))?;
                self.own_project(access, id).await
            }

            async fn update_project(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                p: &relais_core::project::ProjectDraft,
                now: i64,
            ) -> $crate::StoreResult<$crate::Project> {
                let done = sqlx::query(
                    "UPDATE projects SET slug = $3, title = $4, body = $5, place_label = $6, lat = $7, lon = $8, \
                     budget_cents = $9, updated_at = $10 WHERE id = $1 AND org_id = $2",
                )
                .bind(id)
                .bind(access.org_id())
                .bind(p.slug.as_str())
                .bind(&p.title)
                .bind(&p.body)
                .bind(&p.place.label)
                .bind(p.place.lat)
                .bind(p.place.lon)
                .bind(p.budget.cents())
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err($crate::error::conflict_on_unique("slug"))?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                self.own_project(access, id).await
            }

            async fn publish_project(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                published: bool,
                now: i64,
            ) -> $crate::StoreResult<$crate::Project> {
                let state = if published { "published" } else { "draft" };
                // The first publication's date stays: it is when donors could first see it.
                self.touch_project(
                    access,
                    id,
                    "state = $3, published_at = COALESCE(published_at, CASE WHEN $3 = 'published' THEN $4 END)",
                    state,
                    now,
                )
                .await
            }

            async fn set_project_stage(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                stage: relais_core::project::Stage,
                now: i64,
            ) -> $crate::StoreResult<$crate::Project> {
                self.touch_project(access, id, "stage = $3", stage.as_str(), now)
                    .await
            }

            async fn set_project_figures(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                figures: &[relais_core::project::Figure],
                now: i64,
            ) -> $crate::StoreResult<$crate::Project> {
                let json = serde_json::to_string(figures).map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
                self.touch_project(access, id, "figures = $3", &json, now).await
            }

            async fn projects(&self, access: &$crate::OrgAccess) -> $crate::StoreResult<Vec<$crate::Project>> {
                let sql = format!(
                    "SELECT {} FROM projects WHERE org_id = $1 ORDER BY id DESC",
                    $crate::project_model::PROJECT_COLUMNS
                );
                let rows: Vec<$crate::project_model::ProjectRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn project(&self, access: &$crate::OrgAccess, id: i64) -> $crate::StoreResult<$crate::Project> {
                self.own_project(access, id).await
            }

            async fn project_page(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
            ) -> $crate::StoreResult<$crate::ProjectPage> {
                let project = self.own_project(access, id).await?;
                self.page_of(project).await
            }

            async fn public_project(&self, slug: &str) -> $crate::StoreResult<Option<$crate::ProjectPage>> {
                let sql = format!(
                    "SELECT {} FROM projects WHERE slug = $1 AND state = 'published'",
                    $crate::project_model::PROJECT_COLUMNS
                );
                let row: Option<$crate::project_model::ProjectRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(slug)
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    Some(row) => Ok(Some(self.page_of(row.try_into()?).await?)),
                    None => Ok(None),
                }
            }

            async fn published_project(&self, id: i64) -> $crate::StoreResult<Option<$crate::Project>> {
                let sql = format!(
                    "SELECT {} FROM projects WHERE id = $1 AND state = 'published'",
                    $crate::project_model::PROJECT_COLUMNS
                );
                let row: Option<$crate::project_model::ProjectRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn add_project_photo(
                &self,
                access: &$crate::OrgAccess,
                project_id: i64,
                file_base: &str,
                alt: &str,
                now: i64,
            ) -> $crate::StoreResult<$crate::ProjectPhoto> {
                let project = self.own_project(access, project_id).await?;
                Ok(sqlx::query_as(
                    "INSERT INTO project_photos (org_id, project_id, file_base, alt, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id, project_id, file_base, alt, created_at",
                )
                .bind(project.org_id)
                .bind(project.id)
                .bind(file_base)
                .bind(alt)
                .bind(now)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn remove_project_photo(
                &self,
                access: &$crate::OrgAccess,
                project_id: i64,
                photo_id: i64,
            ) -> $crate::StoreResult<$crate::ProjectPhoto> {
                sqlx::query_as(
                    "DELETE FROM project_photos WHERE id = $1 AND project_id = $2 AND org_id = $3 \
                     RETURNING id, project_id, file_base, alt, created_at",
                )
                .bind(photo_id)
                .bind(project_id)
                .bind(access.org_id())
                .fetch_optional(&self.pool)
                .await?
                .ok_or($crate::StoreError::NotFound)
            }

            async fn add_expense(
                &self,
                access: &$crate::OrgAccess,
                project_id: i64,
                e: &relais_core::ledger::ExpenseDraft,
                created_by: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<$crate::Expense> {
                let project = self.own_project(access, project_id).await?;
                let sql = format!(
                    "INSERT INTO project_expenses (org_id, project_id, spent_on, category, label, amount_cents, \
                     created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {}",
                    $crate::project_model::EXPENSE_COLUMNS
                );
                let row: $crate::project_model::ExpenseRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(project.org_id)
                    .bind(project.id)
                    .bind(e.spent_on.to_string())
                    .bind(e.category.as_str())
                    .bind(&e.label)
                    .bind(e.amount.cents())
                    .bind(created_by)
                    .bind(now)
                    .fetch_one(&self.pool)
                    .await?;
                row.try_into()
            }

            async fn remove_expense(
                &self,
                access: &$crate::OrgAccess,
                project_id: i64,
                expense_id: i64,
            ) -> $crate::StoreResult<()> {
                let done =
                    sqlx::query("DELETE FROM project_expenses WHERE id = $1 AND project_id = $2 AND org_id = $3")
                        .bind(expense_id)
                        .bind(project_id)
                        .bind(access.org_id())
                        .execute(&self.pool)
                        .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                Ok(())
            }

            async fn add_project_update(
                &self,
                access: &$crate::OrgAccess,
                project_id: i64,
                update: &$crate::NewProjectUpdate<'_>,
                created_by: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<$crate::ProjectUpdate> {
                self.insert_update(access, project_id, update, created_by, now)
                    .await
            }

            async fn remove_project_update(
                &self,
                access: &$crate::OrgAccess,
                project_id: i64,
                update_id: i64,
            ) -> $crate::StoreResult<$crate::ProjectUpdate> {
                self.delete_update(access, project_id, update_id).await
            }

            async fn allocatable(
                &self,
                access: &$crate::OrgAccess,
                criteria: &$crate::AllocationCriteria,
            ) -> $crate::StoreResult<$crate::Allocatable> {
                let mut conn = self.pool.acquire().await?;
                let pool = Self::allocation_pool(&mut *conn, access.org_id(), criteria).await?;
                let left: Vec<i64> = pool
                    .iter()
                    .map(|g| g.unallocated_cents)
                    .filter(|c| *c > 0)
                    .collect();
                Ok($crate::Allocatable {
                    gifts: i64::try_from(left.len()).unwrap_or(i64::MAX),
                    available: relais_core::money::Money::from_cents(left.iter().sum()),
                })
            }

            async fn allocate(
                &self,
                access: &$crate::OrgAccess,
                project_id: i64,
                allocation: &$crate::NewAllocation<'_>,
                created_by: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<Result<$crate::AllocationBatch, relais_core::allocation::AllocationError>> {
                self.allocate_in_one_transaction(access, project_id, allocation, created_by, now)
                    .await
            }

            async fn allocation_batches(
                &self,
                access: &$crate::OrgAccess,
                project_id: i64,
            ) -> $crate::StoreResult<Vec<$crate::AllocationBatch>> {
                let sql = format!(
                    "SELECT {} FROM allocation_batches WHERE project_id = $1 AND org_id = $2 ORDER BY id DESC",
                    $crate::project_model::BATCH_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(project_id)
                    .bind(access.org_id())
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn batch_allocations(
                &self,
                access: &$crate::OrgAccess,
                batch_id: i64,
            ) -> $crate::StoreResult<Vec<$crate::Allocation>> {
                let columns = $crate::project_model::ALLOCATION_COLUMNS;
                let sql = format!(
                    "SELECT {columns} FROM allocations WHERE batch_id = $1 AND org_id = $2 \
                     UNION ALL SELECT {columns} FROM undone_allocations WHERE batch_id = $1 AND org_id = $2 ORDER BY id"
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(batch_id)
                    .bind(access.org_id())
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn undo_allocation(
                &self,
                access: &$crate::OrgAccess,
                batch_id: i64,
                by: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<$crate::AllocationBatch> {
                self.undo_allocation_in_one_transaction(access, batch_id, by, now).await
            }

            async fn set_campaign_project(
                &self,
                access: &$crate::OrgAccess,
                campaign_id: i64,
                project_id: Option<i64>,
                by: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<$crate::Campaign> {
                self.move_campaign_in_one_transaction(access, campaign_id, project_id, by, now)
                    .await
            }

            async fn gift_allocations(
                &self,
                access: &$crate::OrgAccess,
                gift_id: i64,
            ) -> $crate::StoreResult<Vec<$crate::Allocation>> {
                let sql = format!(
                    "SELECT {} FROM allocations WHERE gift_id = $1 AND org_id = $2 ORDER BY id",
                    $crate::project_model::ALLOCATION_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(gift_id)
                    .bind(access.org_id())
                    .fetch_all(&self.pool)
                    .await?)
            }
        }
    };
}

pub(crate) use impl_project_store;
