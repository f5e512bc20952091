//! [`crate::ApiKeyStore`] for both backends: keys an association's own systems
//! use on the JSON API. Only the SHA-256 of a secret is stored; the secret is
//! shown once, when the key is made.

/// How often a key's "last used" is written at most: an API client calling every
/// second must not turn each call into a write on SQLite's single write lock.
pub(crate) const LAST_USED_GRANULARITY: i64 = 60;

macro_rules! impl_api_key_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::ApiKeyStore for $store {
            async fn create_api_key(
                &self,
                access: &$crate::OrgAccess,
                name: &str,
                secret_hash: &str,
                prefix: &str,
                created_by: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<$crate::ApiKey> {
                Ok(sqlx::query_as(
                    "INSERT INTO api_keys (org_id, name, secret_hash, prefix, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     RETURNING id, name, prefix, created_at, last_used_at, revoked_at",
                )
                .bind(access.org_id())
                .bind(name)
                .bind(secret_hash)
                .bind(prefix)
                .bind(created_by)
                .bind(now)
                .fetch_one(&self.pool)
                .await
                .map_err($crate::error::conflict_on_unique("api key"))?)
            }

            async fn api_keys(&self, access: &$crate::OrgAccess) -> $crate::StoreResult<Vec<$crate::ApiKey>> {
                Ok(sqlx::query_as(
                    "SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys \
                     WHERE org_id = $1 ORDER BY id DESC",
                )
                .bind(access.org_id())
                .fetch_all(&self.pool)
                .await?)
            }

            async fn revoke_api_key(&self, access: &$crate::OrgAccess, id: i64, now: i64) -> $crate::StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND org_id = $2",
                )
                .bind(id)
                .bind(access.org_id())
                .bind(now)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                Ok(())
            }

            async fn api_access(
                &self,
                secret_hash: &str,
                now: i64,
            ) -> $crate::StoreResult<Option<($crate::OrgAccess, i64)>> {
                let key: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
                    "SELECT id, org_id, last_used_at FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL",
                )
                .bind(secret_hash)
                .fetch_optional(&self.pool)
                .await?;
                let Some((id, org_id, last_used_at)) = key else {
                    return Ok(None);
                };
                if last_used_at.is_none_or(|t| now - t >= $crate::api_keys::LAST_USED_GRANULARITY) {
                    sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1")
                        .bind(id)
                        .bind(now)
                        .execute(&self.pool)
                        .await?;
                }
                // A system reports what happened; it manages nothing: editor rights.
                Ok(Some((
                    $crate::OrgAccess::new(org_id, relais_core::Role::Editor),
                    id,
                )))
            }
        }
    };
}

pub(crate) use impl_api_key_store;
