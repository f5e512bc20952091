//! [`crate::OrgStore`] for both backends: the SQL is written once here and expanded
//! for each pool type, since sqlx's executors are concrete per database.

pub(crate) const ORG_COLUMNS: &str = "id, slug, name, contact_email, primary_color, accent_color, logo_path, legal_name, rna, siren, \
     address, purpose, tax_eligible, timezone, default_locale, created_at, updated_at";

macro_rules! impl_org_store {
    ($store:ty, $conn:ty) => {
        #[async_trait::async_trait]
        impl $crate::OrgStore for $store {
            async fn create_org(
                &self,
                org: &$crate::NewOrg,
                owner: &relais_core::Email,
                now: i64,
            ) -> $crate::StoreResult<($crate::Org, $crate::User)> {
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "INSERT INTO orgs (slug, name, contact_email, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $4) RETURNING {}",
                    $crate::orgs::ORG_COLUMNS
                );
                let created: $crate::Org = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(org.slug.as_str())
                    .bind(&org.name)
                    .bind(org.contact_email.as_str())
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err($crate::error::conflict_on_unique("slug"))?;
                sqlx::query("INSERT INTO users (email, created_at) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING")
                    .bind(owner.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let user: $crate::User = sqlx::query_as(
                    "SELECT id, email, password_hash, locale, created_at, last_login_at FROM users WHERE email = $1",
                )
                .bind(owner.as_str())
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)")
                    .bind(created.id)
                    .bind(user.id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok((created, user))
            }

            async fn org_by_slug(&self, slug: &str) -> $crate::StoreResult<Option<$crate::Org>> {
                let sql = format!("SELECT {} FROM orgs WHERE slug = $1", $crate::orgs::ORG_COLUMNS);
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(slug)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn org_by_id(&self, id: i64) -> $crate::StoreResult<Option<$crate::Org>> {
                let sql = format!("SELECT {} FROM orgs WHERE id = $1", $crate::orgs::ORG_COLUMNS);
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn org(&self, access: &$crate::OrgAccess) -> $crate::StoreResult<$crate::Org> {
                let sql = format!("SELECT {} FROM orgs WHERE id = $1", $crate::orgs::ORG_COLUMNS);
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound)
            }

            async fn list_orgs(&self) -> $crate::StoreResult<Vec<$crate::Org>> {
                let sql = format!("SELECT {} FROM orgs ORDER BY name, id", $crate::orgs::ORG_COLUMNS);
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn update_settings(
                &self,
                access: &$crate::OrgAccess,
                s: &relais_core::settings::Settings,
                now: i64,
            ) -> $crate::StoreResult<$crate::Org> {
                let sql = format!(
                    "UPDATE orgs SET name = $2, slug = $3, contact_email = $4, primary_color = $5, legal_name = $6, \
                     rna = $7, siren = $8, address = $9, purpose = $10, tax_eligible = $11, timezone = $12, \
                     default_locale = $13, updated_at = $14, accent_color = $15 WHERE id = $1 RETURNING {}",
                    $crate::orgs::ORG_COLUMNS
                );
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(&s.name)
                    .bind(s.slug.as_str())
                    .bind(s.contact_email.as_str())
                    .bind(s.primary_color.to_string())
                    .bind(&s.legal_name)
                    .bind(&s.rna)
                    .bind(&s.siren)
                    .bind(&s.address)
                    .bind(&s.purpose)
                    .bind(s.tax_eligible)
                    .bind(&s.timezone)
                    .bind(s.default_locale.code())
                    .bind(now)
                    .bind(s.accent_color.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::error::conflict_on_unique("slug"))?
                    .ok_or($crate::StoreError::NotFound)
            }

            async fn set_logo(
                &self,
                access: &$crate::OrgAccess,
                logo_path: Option<&str>,
                now: i64,
            ) -> $crate::StoreResult<()> {
                let done = sqlx::query("UPDATE orgs SET logo_path = $2, updated_at = $3 WHERE id = $1")
                    .bind(access.org_id())
                    .bind(logo_path)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                Ok(())
            }
        }
    };
}

pub(crate) use impl_org_store;
