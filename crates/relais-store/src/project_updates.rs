//! News of projects, for both backends: what `ProjectStore::add_project_update`
//! and `remove_project_update` do, and the list a project's page shows.

macro_rules! impl_project_updates {
    ($store:ty) => {
        impl $store {
            /// A project's news, newest first.
            async fn updates_of(&self, project_id: i64) -> $crate::StoreResult<Vec<$crate::ProjectUpdate>> {
                let sql = format!(
                    "SELECT {} FROM project_updates WHERE project_id = $1 ORDER BY id DESC",
                    $crate::project_model::UPDATE_COLUMNS
                );
                let rows: Vec<$crate::project_model::UpdateRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(project_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn insert_update(
                &self,
                access: &$crate::OrgAccess,
                project_id: i64,
                u: &$crate::NewProjectUpdate<'_>,
                created_by: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<$crate::ProjectUpdate> {
                let figures = u
                    .figures
                    .map(serde_json::to_string)
                    .transpose()
                    .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
                let mut tx = self.begin_write().await?;
                // The news and what it announces change together, or not at all.
                let state: Option<String> = sqlx::query_scalar(
                    "UPDATE projects SET stage = COALESCE($3, stage), figures = COALESCE($4, figures), \
                     updated_at = $5 WHERE id = $1 AND org_id = $2 RETURNING state",
                )
                .bind(project_id)
                .bind(access.org_id())
                .bind(u.stage.map(|s| s.as_str()))
                .bind(figures.as_deref())
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let state = state.ok_or($crate::StoreError::NotFound)?;
                let sql = format!(
                    "INSERT INTO project_updates (org_id, project_id, body, photo_base, photo_alt, stage, figures, \
                     created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {}",
                    $crate::project_model::UPDATE_COLUMNS
                );
                let row: $crate::project_model::UpdateRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(project_id)
                    .bind(u.body)
                    .bind(u.photo.map(|(base, _)| base))
                    .bind(u.photo.map_or("", |(_, alt)| alt))
                    .bind(u.stage.map(|s| s.as_str()))
                    .bind(figures.as_deref())
                    .bind(created_by)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                // The messages commit with the news: both, or neither. A draft's
                // contributors could not open the page the message links to.
                let told = if u.tell && state == "published" {
                    Self::enqueue_update_messages(&mut *tx, access.org_id(), project_id, row.id, now).await?
                } else {
                    0
                };
                tx.commit().await?;
                if told > 0 {
                    self.wakeup.notify_one();
                }
                row.try_into()
            }

            async fn delete_update(
                &self,
                access: &$crate::OrgAccess,
                project_id: i64,
                update_id: i64,
            ) -> $crate::StoreResult<$crate::ProjectUpdate> {
                let sql = format!(
                    "DELETE FROM project_updates WHERE id = $1 AND project_id = $2 AND org_id = $3 RETURNING {}",
                    $crate::project_model::UPDATE_COLUMNS
                );
                let row: Option<$crate::project_model::UpdateRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(update_id)
                    .bind(project_id)
                    .bind(access.org_id())
                    .fetch_optional(&self.pool)
                    .await?;
                row.ok_or($crate::StoreError::NotFound)?.try_into()
            }
        }
    };
}

pub(crate) use impl_project_updates;
