//! [`crate::SupporterStore`] for both backends (see `orgs.rs` for why a macro).

macro_rules! impl_supporter_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::SupporterStore for $store {
            async fn supporter_by_email(
                &self,
                access: &$crate::OrgAccess,
                email: &relais_core::Email,
            ) -> $crate::StoreResult<Option<$crate::Supporter>> {
                Ok(sqlx::query_as(
                    "SELECT id, email, first_name, last_name, postcode, country, locale, created_at FROM supporters \
                     WHERE org_id = $1 AND email = $2",
                )
                .bind(access.org_id())
                .bind(email.as_str())
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn subscribe_newsletter(
                &self,
                org_id: i64,
                email: &relais_core::Email,
                first_name: &str,
                locale: &str,
                wording: &str,
                ip_hash: &str,
                now: i64,
            ) -> $crate::StoreResult<bool> {
                sqlx::query(
                    "INSERT INTO supporters (org_id, email, first_name, locale, created_at, updated_at, source) \
                     VALUES ($1, $2, $3, $4, $5, $5, 'newsletter') \
                     ON CONFLICT (org_id, email) DO UPDATE SET updated_at = excluded.updated_at",
                )
                .bind(org_id)
                .bind(email.as_str())
                .bind(first_name)
                .bind(locale)
                .bind(now)
                .execute(&self.pool)
                .await?;
                let id: i64 = sqlx::query_scalar("SELECT id FROM supporters WHERE org_id = $1 AND email = $2")
                    .bind(org_id)
                    .bind(email.as_str())
                    .fetch_one(&self.pool)
                    .await?;
                $crate::PostStore::record_consent(
                    self,
                    &$crate::ConsentChange {
                        org_id,
                        supporter_id: id,
                        channel: "email",
                        purpose: "newsletter",
                        granted: true,
                        wording,
                        source: "newsletter double opt-in",
                        ip_hash,
                    },
                    now,
                )
                .await
            }

            async fn consents(
                &self,
                access: &$crate::OrgAccess,
                supporter_id: i64,
            ) -> $crate::StoreResult<Vec<$crate::Consent>> {
                Ok(sqlx::query_as(
                    "SELECT channel, purpose, granted, wording, source, created_at FROM consents \
                     WHERE org_id = $1 AND supporter_id = $2 ORDER BY id",
                )
                .bind(access.org_id())
                .bind(supporter_id)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}

pub(crate) use impl_supporter_store;
