//! [`crate::StaffStore`] for both backends (see `orgs.rs` for why a macro).

pub(crate) const USER_COLUMNS: &str = "id, email, password_hash, locale, created_at, last_login_at";
pub(crate) const SESSION_COLUMNS: &str = "id_hash, user_id, current_org_id, csrf, created_at, expires_at";

macro_rules! impl_staff_store {
    ($store:ty, $conn:ty) => {
        impl $store {
            /// Whether removing `user_id`'s owner role would leave the association ownerless.
            async fn would_orphan(conn: &mut $conn, org_id: i64, user_id: i64) -> $crate::StoreResult<bool> {
                let (is_owner, owners): (i64, i64) = sqlx::query_as(
                    "SELECT \
                       COALESCE(SUM(CASE WHEN user_id = $2 THEN 1 ELSE 0 END), 0), COUNT(*) \
                     FROM memberships WHERE org_id = $1 AND role = 'owner'",
                )
                .bind(org_id)
                .bind(user_id)
                .fetch_one(&mut *conn)
                .await?;
                Ok(is_owner > 0 && owners <= 1)
            }
        }

        #[async_trait::async_trait]
        impl $crate::StaffStore for $store {
            async fn upsert_user(&self, email: &relais_core::Email, now: i64) -> $crate::StoreResult<$crate::User> {
                sqlx::query("INSERT INTO users (email, created_at) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING")
                    .bind(email.as_str())
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                self.user_by_email(email)
                    .await?
                    .ok_or($crate::StoreError::NotFound)
            }

            async fn user_by_email(&self, email: &relais_core::Email) -> $crate::StoreResult<Option<$crate::User>> {
                let sql = format!(
                    "SELECT {} FROM users WHERE email = $1",
                    $crate::staff::USER_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(email.as_str())
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn user(&self, user_id: i64) -> $crate::StoreResult<Option<$crate::User>> {
                let sql = format!("SELECT {} FROM users WHERE id = $1", $crate::staff::USER_COLUMNS);
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn set_password_hash(&self, user_id: i64, hash: Option<&str>) -> $crate::StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                    .bind(user_id)
                    .bind(hash)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                // A new password must lock out whoever knew the old one.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn record_login(&self, user_id: i64, now: i64) -> $crate::StoreResult<()> {
                sqlx::query("UPDATE users SET last_login_at = $2 WHERE id = $1")
                    .bind(user_id)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn authorise(&self, user_id: i64, org_id: i64) -> $crate::StoreResult<Option<$crate::OrgAccess>> {
                let role: Option<String> =
                    sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
                        .bind(org_id)
                        .bind(user_id)
                        .fetch_optional(&self.pool)
                        .await?;
                role.map(|r| Ok($crate::OrgAccess::new(org_id, $crate::model::parse_role(&r)?)))
                    .transpose()
            }

            async fn operator_access(&self, org_slug: &str) -> $crate::StoreResult<$crate::OrgAccess> {
                let id: Option<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE slug = $1")
                    .bind(org_slug)
                    .fetch_optional(&self.pool)
                    .await?;
                id.map(|id| $crate::OrgAccess::new(id, relais_core::Role::Owner))
                    .ok_or($crate::StoreError::NotFound)
            }

            async fn memberships(&self, user_id: i64) -> $crate::StoreResult<Vec<$crate::Membership>> {
                let rows: Vec<$crate::model::MembershipRow> = sqlx::query_as(
                    "SELECT o.id AS org_id, o.slug, o.name, m.role FROM memberships m \
                     JOIN orgs o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY o.name, o.id",
                )
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        Ok($crate::Membership {
                            org_id: r.org_id,
                            org_slug: r.slug,
                            org_name: r.name,
                            role: $crate::model::parse_role(&r.role)?,
                        })
                    })
                    .collect()
            }

            async fn members(&self, access: &$crate::OrgAccess) -> $crate::StoreResult<Vec<$crate::Member>> {
                let rows: Vec<$crate::model::MemberRow> = sqlx::query_as(
                    "SELECT u.id AS user_id, u.email, m.role, u.last_login_at FROM memberships m \
                     JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY u.email",
                )
                .bind(access.org_id())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        Ok($crate::Member {
                            user_id: r.user_id,
                            email: r.email,
                            role: $crate::model::parse_role(&r.role)?,
                            has_signed_in: r.last_login_at.is_some(),
                        })
                    })
                    .collect()
            }

            async fn invite(
                &self,
                access: &$crate::OrgAccess,
                email: &relais_core::Email,
                role: relais_core::Role,
                link: &$crate::NewLoginToken,
                message: &$crate::NewMessage,
                now: i64,
            ) -> $crate::StoreResult<$crate::User> {
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO users (email, created_at) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING")
                    .bind(email.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let sql = format!(
                    "SELECT {} FROM users WHERE email = $1",
                    $crate::staff::USER_COLUMNS
                );
                let user: $crate::User = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(email.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
                if role != relais_core::Role::Owner && Self::would_orphan(&mut tx, access.org_id(), user.id).await? {
                    return Err($crate::StoreError::LastOwner);
                }
                sqlx::query(
                    "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
                )
                .bind(access.org_id())
                .bind(user.id)
                .bind(role.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let link = $crate::NewLoginToken {
                    user_id: user.id,
                    ..link.clone()
                };
                Self::insert_link(&mut tx, &link, now).await?;
                Self::insert_message(&mut tx, message, now).await?;
                tx.commit().await?;
                self.notify_enqueued();
                Ok(user)
            }

            async fn set_role(
                &self,
                access: &$crate::OrgAccess,
                user_id: i64,
                role: relais_core::Role,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin_write().await?;
                if role != relais_core::Role::Owner && Self::would_orphan(&mut tx, access.org_id(), user_id).await? {
                    return Err($crate::StoreError::LastOwner);
                }
                let done = sqlx::query("UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2")
                    .bind(access.org_id())
                    .bind(user_id)
                    .bind(role.as_str())
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                tx.commit().await?;
                Ok(())
            }

            async fn remove_member(&self, access: &$crate::OrgAccess, user_id: i64) -> $crate::StoreResult<()> {
                let mut tx = self.begin_write().await?;
                if Self::would_orphan(&mut tx, access.org_id(), user_id).await? {
                    return Err($crate::StoreError::LastOwner);
                }
                let done = sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
                    .bind(access.org_id())
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                // Their sessions must stop working on this association at once.
                sqlx::query("UPDATE sessions SET current_org_id = NULL WHERE user_id = $1 AND current_org_id = $2")
                    .bind(user_id)
                    .bind(access.org_id())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn issue_link(
                &self,
                link: &$crate::NewLoginToken,
                message: Option<&$crate::NewMessage>,
                now: i64,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin_write().await?;
                Self::insert_link(&mut tx, link, now).await?;
                if let Some(message) = message {
                    Self::insert_message(&mut tx, message, now).await?;
                }
                tx.commit().await?;
                if message.is_some() {
                    self.notify_enqueued();
                }
                Ok(())
            }

            async fn consume_link(
                &self,
                nonce: &str,
                purpose: $crate::LinkPurpose,
                now: i64,
            ) -> $crate::StoreResult<Option<$crate::ConsumedToken>> {
                // One UPDATE decides: two clicks racing on the same link cannot both win.
                let row: Option<(i64, Option<i64>)> = sqlx::query_as(
                    "UPDATE login_tokens SET used_at = $3 \
                     WHERE nonce = $1 AND purpose = $2 AND used_at IS NULL AND expires_at >= $3 \
                     RETURNING user_id, org_id",
                )
                .bind(nonce)
                .bind(purpose.as_str())
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(user_id, org_id)| $crate::ConsumedToken { user_id, org_id }))
            }

            async fn create_session(&self, s: &$crate::Session) -> $crate::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO sessions (id_hash, user_id, current_org_id, csrf, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&s.id_hash)
                .bind(s.user_id)
                .bind(s.current_org_id)
                .bind(&s.csrf)
                .bind(s.created_at)
                .bind(s.expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn session(&self, id_hash: &str, now: i64) -> $crate::StoreResult<Option<$crate::Session>> {
                let sql = format!(
                    "SELECT {} FROM sessions WHERE id_hash = $1 AND expires_at > $2",
                    $crate::staff::SESSION_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(id_hash)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn set_session_org(&self, id_hash: &str, org_id: i64) -> $crate::StoreResult<()> {
                sqlx::query("UPDATE sessions SET current_org_id = $2 WHERE id_hash = $1")
                    .bind(id_hash)
                    .bind(org_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_session(&self, id_hash: &str) -> $crate::StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                    .bind(id_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn purge_expired(&self, now: i64) -> $crate::StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                let a = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let b = sqlx::query("DELETE FROM login_tokens WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(a.rows_affected() + b.rows_affected())
            }
        }
    };
}

pub(crate) use impl_staff_store;
