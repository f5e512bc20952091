//! [`crate::PetitionStore`] for both backends (see `orgs.rs` for why a macro).

macro_rules! impl_petition_store {
    ($store:ty, $conn:ty) => {
        impl $store {
            async fn petition_where(
                &self,
                clause: &str,
                bind_a: i64,
                bind_b: Option<i64>,
            ) -> $crate::StoreResult<Option<$crate::Petition>> {
                let sql =
                    format!("SELECT {} FROM petitions WHERE {clause}", $crate::petition_model::PETITION_COLUMNS);
                let mut q = sqlx::query_as::<_, $crate::petition_model::PetitionRow>(sqlx::AssertSqlSafe(sql)).bind(bind_a);
                if let Some(b) = bind_b {
                    q = q.bind(b);
                }
                q.fetch_optional(&self.pool).await?.map(TryInto::try_into).transpose()
            }

            async fn insert_petition(
                conn: &mut $conn,
                org_id: i64,
                p: &relais_core::petition::PetitionDraft,
                state: relais_core::petition::PetitionState,
                created_by: Option<i64>,
                author: Option<(&str, &str)>,
                now: i64,
            ) -> $crate::StoreResult<i64> {
                let published = (state == relais_core::petition::PetitionState::Published).then_some(now);
                let place = p.place.clone().unwrap_or_default();
                sqlx::query_scalar(
                    "INSERT INTO petitions (org_id, slug, state, title, body, target_name, target_role, goal, tags, \
                     closes_on, created_by, created_at, updated_at, published_at, place_postcode, place_name, lat, lon, \
                     author_name, author_email) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16, $17, $18, $19) \
                     RETURNING id",
                )
                .bind(org_id)
                .bind(p.slug.as_str())
                .bind(state.as_str())
                .bind(&p.title)
                .bind(&p.body)
                .bind(&p.target_name)
                .bind(&p.target_role)
                .bind(p.goal)
                .bind(p.tags.join(","))
                .bind(p.closes_on.map(|d| d.to_string()))
                .bind(created_by)
                .bind(now)
                .bind(published)
                .bind(p.place.as_ref().map(|_| place.postcode.clone()))
                .bind(p.place.as_ref().map(|_| place.name.clone()))
                .bind(place.lat)
                .bind(place.lon)
                .bind(author.map(|a| a.0))
                .bind(author.map(|a| a.1))
                .fetch_one(&mut *conn)
                .await
                .map_err($crate::error::conflict_on_unique("slug"))
            }
        }

        #[async_trait::async_trait]
        impl $crate::PetitionStore for $store {
            async fn create_petition(
                &self,
                access: &$crate::OrgAccess,
                p: &relais_core::petition::PetitionDraft,
                state: relais_core::petition::PetitionState,
                created_by: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<$crate::Petition> {
                let mut conn = self.pool.acquire().await?;
                let id = Self::insert_petition(&mut conn, access.org_id(), p, state, created_by, None, now).await?;
                drop(conn);
                self.petition(access, id).await
            }

            async fn update_petition(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                p: &relais_core::petition::PetitionDraft,
                now: i64,
            ) -> $crate::StoreResult<$crate::Petition> {
                // A published text that changes says so on the page: signers agreed to the old one.
                let done = sqlx::query(
                    "UPDATE petitions SET slug = $3, title = $4, body = $5, target_name = $6, target_role = $7, \
                     goal = $8, tags = $9, closes_on = $10, updated_at = $11, place_postcode = $12, place_name = $13, \
                     lat = $14, lon = $15, \
                     edited_at = CASE WHEN published_at IS NOT NULL AND (title <> $4 OR body <> $5) THEN $11 ELSE edited_at END \
                     WHERE id = $1 AND org_id = $2",
                )
                .bind(id)
                .bind(access.org_id())
                .bind(p.slug.as_str())
                .bind(&p.title)
                .bind(&p.body)
                .bind(&p.target_name)
                .bind(&p.target_role)
                .bind(p.goal)
                .bind(p.tags.join(","))
                .bind(p.closes_on.map(|d| d.to_string()))
                .bind(now)
                .bind(p.place.as_ref().map(|pl| pl.postcode.clone()))
                .bind(p.place.as_ref().map(|pl| pl.name.clone()))
                .bind(p.place.as_ref().and_then(|pl| pl.lat))
                .bind(p.place.as_ref().and_then(|pl| pl.lon))
                .execute(&self.pool)
                .await
                .map_err($crate::error::conflict_on_unique("slug"))?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                self.petition(access, id).await
            }

            async fn set_petition_state(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                from: relais_core::petition::PetitionState,
                to: relais_core::petition::PetitionState,
                now: i64,
            ) -> $crate::StoreResult<$crate::Petition> {
                // Compare-and-set: two staff clicking at once cannot both move it.
                let done = sqlx::query(
                    "UPDATE petitions SET state = $4, updated_at = $5, \
                     published_at = CASE WHEN $4 = 'published' AND published_at IS NULL THEN $5 ELSE published_at END \
                     WHERE id = $1 AND org_id = $2 AND state = $3",
                )
                .bind(id)
                .bind(access.org_id())
                .bind(from.as_str())
                .bind(to.as_str())
                .bind(now)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    self.petition(access, id).await?;
                    return Err($crate::StoreError::Conflict("state"));
                }
                self.petition(access, id).await
            }

            async fn petitions(&self, access: &$crate::OrgAccess) -> $crate::StoreResult<Vec<$crate::Petition>> {
                let sql = format!(
                    "SELECT {} FROM petitions WHERE org_id = $1 ORDER BY created_at DESC, id DESC",
                    $crate::petition_model::PETITION_COLUMNS
                );
                let rows: Vec<$crate::petition_model::PetitionRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(access.org_id()).fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn petition(&self, access: &$crate::OrgAccess, id: i64) -> $crate::StoreResult<$crate::Petition> {
                self.petition_where("id = $1 AND org_id = $2", id, Some(access.org_id()))
                    .await?
                    .ok_or($crate::StoreError::NotFound)
            }

            async fn petition_by_id(&self, id: i64) -> $crate::StoreResult<Option<$crate::Petition>> {
                self.petition_where("id = $1", id, None).await
            }

            async fn petition_by_slug(&self, slug: &str) -> $crate::StoreResult<Option<$crate::Petition>> {
                let sql = format!("SELECT {} FROM petitions WHERE slug = $1", $crate::petition_model::PETITION_COLUMNS);
                let row: Option<$crate::petition_model::PetitionRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(slug).fetch_optional(&self.pool).await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn sign_batch(
                &self,
                requests: &[$crate::SignRequest],
                now: i64,
            ) -> $crate::StoreResult<Vec<$crate::SignOutcome>> {
                self.sign_many(requests, now).await
            }

            async fn confirm_signature(
                &self,
                petition_id: i64,
                email: &relais_core::Email,
                now: i64,
            ) -> $crate::StoreResult<Option<bool>> {
                let mut tx = self.begin_write().await?;
                let confirmed: Option<i64> = sqlx::query_scalar(
                    "UPDATE signatures SET status = 'confirmed', confirmed_at = $3 \
                     WHERE petition_id = $1 AND email = $2 AND status = 'pending' RETURNING id",
                )
                .bind(petition_id)
                .bind(email.as_str())
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                if confirmed.is_some() {
                    sqlx::query(
                        "UPDATE petitions SET pending_count = pending_count - 1, confirmed_count = confirmed_count + 1 \
                         WHERE id = $1",
                    )
                    .bind(petition_id)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    return Ok(Some(true));
                }
                let status: Option<String> =
                    sqlx::query_scalar("SELECT status FROM signatures WHERE petition_id = $1 AND email = $2")
                        .bind(petition_id)
                        .bind(email.as_str())
                        .fetch_optional(&mut *tx)
                        .await?;
                tx.commit().await?;
                Ok(match status.as_deref() {
                    Some("confirmed") => Some(false),
                    _ => None,
                })
            }

            async fn signature_confirmed(
                &self,
                petition_id: i64,
                email: &relais_core::Email,
            ) -> $crate::StoreResult<Option<bool>> {
                let status: Option<String> = sqlx::query_scalar(
                    "SELECT status FROM signatures WHERE petition_id = $1 AND email = $2 AND status <> 'invalidated'",
                )
                .bind(petition_id)
                .bind(email.as_str())
                .fetch_optional(&self.pool)
                .await?;
                Ok(status.map(|s| s == "confirmed"))
            }

            async fn referral_code(
                &self,
                petition_id: i64,
                email: &relais_core::Email,
            ) -> $crate::StoreResult<Option<String>> {
                Ok(sqlx::query_scalar("SELECT ref_code FROM signatures WHERE petition_id = $1 AND email = $2")
                    .bind(petition_id)
                    .bind(email.as_str())
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn counts(&self, petition_id: i64) -> $crate::StoreResult<$crate::Counts> {
                let row: Option<(i64, i64)> =
                    sqlx::query_as("SELECT confirmed_count, pending_count FROM petitions WHERE id = $1")
                        .bind(petition_id)
                        .fetch_optional(&self.pool)
                        .await?;
                let (confirmed, pending) = row.ok_or($crate::StoreError::NotFound)?;
                Ok($crate::Counts { confirmed, pending })
            }

            async fn breakdown(&self, petition_id: i64) -> $crate::StoreResult<$crate::Breakdown> {
                let by_country: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT country, COUNT(*) AS n FROM signatures WHERE petition_id = $1 AND status = 'confirmed' \
                     GROUP BY country ORDER BY n DESC, country",
                )
                .bind(petition_id)
                .fetch_all(&self.pool)
                .await?;
                let by_department: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT department, COUNT(*) AS n FROM signatures WHERE petition_id = $1 AND status = 'confirmed' \
                     AND country = 'FR' AND department <> '' GROUP BY department ORDER BY n DESC, department",
                )
                .bind(petition_id)
                .fetch_all(&self.pool)
                .await?;
                let by_commune: Vec<(String, String, i64)> = sqlx::query_as(
                    "SELECT postcode, commune, COUNT(*) AS n FROM signatures WHERE petition_id = $1 \
                     AND status = 'confirmed' AND country = 'FR' GROUP BY postcode, commune \
                     ORDER BY n DESC, postcode, commune",
                )
                .bind(petition_id)
                .fetch_all(&self.pool)
                .await?;
                Ok($crate::Breakdown { by_country, by_department, by_commune })
            }

            async fn sources(&self, access: &$crate::OrgAccess, petition_id: i64) -> $crate::StoreResult<$crate::Sources> {
                // The petition must be the association's before anything is counted.
                let span: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(
                    "SELECT (SELECT MIN(created_at) FROM signatures WHERE petition_id = p.id), \
                     (SELECT MAX(created_at) FROM signatures WHERE petition_id = p.id) \
                     FROM petitions p WHERE p.id = $1 AND p.org_id = $2",
                )
                .bind(petition_id)
                .bind(access.org_id())
                .fetch_optional(&self.pool)
                .await?;
                let (first, last) = span.ok_or($crate::StoreError::NotFound)?;
                // Hours while the petition is young (three days), days after.
                let bucket_secs = match (first, last) {
                    (Some(a), Some(b)) if b - a <= 3 * 86_400 => 3_600,
                    _ => 86_400,
                };
                let over_time: Vec<(i64, String, i64)> = sqlx::query_as(
                    "SELECT (created_at / $2) * $2 AS bucket, source_channel, COUNT(*) FROM signatures \
                     WHERE petition_id = $1 AND status <> 'invalidated' \
                     GROUP BY bucket, source_channel ORDER BY bucket, source_channel",
                )
                .bind(petition_id)
                .bind(bucket_secs)
                .fetch_all(&self.pool)
                .await?;
                let by_channel: Vec<(String, i64, i64)> = sqlx::query_as(
                    "SELECT source_channel, COUNT(*) AS n, \
                     COALESCE(SUM(CASE WHEN referred_by IS NOT NULL THEN 1 ELSE 0 END), 0) \
                     FROM signatures WHERE petition_id = $1 AND status <> 'invalidated' \
                     GROUP BY source_channel ORDER BY n DESC, source_channel",
                )
                .bind(petition_id)
                .fetch_all(&self.pool)
                .await?;
                let recruiters: Vec<(String, String, i64)> = sqlx::query_as(
                    "SELECT r.first_name, r.last_name, COUNT(*) AS n FROM signatures s \
                     JOIN signatures r ON r.id = s.referred_by \
                     WHERE s.petition_id = $1 AND s.referred_by IS NOT NULL AND s.status <> 'invalidated' \
                     GROUP BY r.id, r.first_name, r.last_name ORDER BY n DESC, r.id LIMIT 10",
                )
                .bind(petition_id)
                .fetch_all(&self.pool)
                .await?;
                let signatures = by_channel.iter().map(|(_, n, _)| n).sum();
                Ok($crate::Sources { bucket_secs, over_time, by_channel, recruiters, signatures })
            }

            async fn recent_signers(
                &self,
                petition_id: i64,
                limit: i64,
            ) -> $crate::StoreResult<Vec<$crate::RecentSigner>> {
                Ok(sqlx::query_as(
                    "SELECT first_name, commune, created_at FROM signatures \
                     WHERE petition_id = $1 AND status = 'confirmed' AND show_name ORDER BY id DESC LIMIT $2",
                )
                .bind(petition_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn propose_petition(
                &self,
                org_id: i64,
                proposal: &relais_core::petition::Proposal,
                messages: &[$crate::NewMessage],
                now: i64,
            ) -> $crate::StoreResult<$crate::Petition> {
                let mut tx = self.begin_write().await?;
                let author = (proposal.author_name.as_str(), proposal.author_email.as_str());
                let state = relais_core::petition::PetitionState::Moderation;
                let id = Self::insert_petition(&mut tx, org_id, &proposal.draft, state, None, Some(author), now).await?;
                for m in messages {
                    Self::insert_message(&mut tx, m, now).await?;
                }
                tx.commit().await?;
                self.notify_enqueued();
                self.petition_where("id = $1", id, None).await?.ok_or($crate::StoreError::NotFound)
            }

            async fn moderate_petition(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                approve: bool,
                reason: Option<&str>,
                message: Option<&$crate::NewMessage>,
                now: i64,
            ) -> $crate::StoreResult<$crate::Petition> {
                let to = if approve { "published" } else { "rejected" };
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE petitions SET state = $3, rejection_reason = $4, updated_at = $5, \
                     published_at = CASE WHEN $3 = 'published' THEN $5 ELSE published_at END \
                     WHERE id = $1 AND org_id = $2 AND state = 'moderation'",
                )
                .bind(id)
                .bind(access.org_id())
                .bind(to)
                .bind(reason)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    drop(tx);
                    self.petition(access, id).await?;
                    return Err($crate::StoreError::Conflict("state"));
                }
                if let Some(m) = message {
                    Self::insert_message(&mut tx, m, now).await?;
                }
                tx.commit().await?;
                self.notify_enqueued();
                self.petition(access, id).await
            }

            async fn set_petition_image(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                image_path: Option<&str>,
                now: i64,
            ) -> $crate::StoreResult<()> {
                let done = sqlx::query("UPDATE petitions SET image_path = $3, updated_at = $4 WHERE id = $1 AND org_id = $2")
                    .bind(id)
                    .bind(access.org_id())
                    .bind(image_path)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                Ok(())
            }

            async fn signatures_page(
                &self,
                access: &$crate::OrgAccess,
                petition_id: i64,
                after_id: i64,
                limit: i64,
            ) -> $crate::StoreResult<Vec<$crate::SignatureRecord>> {
                Ok(sqlx::query_as(
                    "SELECT id, email, first_name, last_name, postcode, commune, department, country, comment, \
                     consent_updates, consent_newsletter, show_name, status, invalidation_reason, source_channel, \
                     referrer_site, referred_by IS NOT NULL AS referred, created_at, confirmed_at FROM signatures WHERE petition_id = $1 AND org_id = $2 AND id > $3 \
                     ORDER BY id LIMIT $4",
                )
                .bind(petition_id)
                .bind(access.org_id())
                .bind(after_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn signature_bursts(
                &self,
                access: &$crate::OrgAccess,
                petition_id: i64,
                since: i64,
                min_count: i64,
            ) -> $crate::StoreResult<Vec<$crate::Burst>> {
                let mut bursts = Vec::new();
                for kind in $crate::BurstKind::ALL {
                    let col = kind.column();
                    let sql = format!(
                        "SELECT {col}, COUNT(*) AS n, MIN(created_at), MAX(created_at) FROM signatures \
                         WHERE petition_id = $1 AND org_id = $2 AND created_at >= $3 AND status <> 'invalidated' \
                         AND {col} <> '' GROUP BY {col} HAVING COUNT(*) >= $4 ORDER BY n DESC LIMIT 50"
                    );
                    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(petition_id)
                        .bind(access.org_id())
                        .bind(since)
                        .bind(min_count)
                        .fetch_all(&self.pool)
                        .await?;
                    bursts.extend(rows.into_iter().map(|(key, count, first_at, last_at)| $crate::Burst {
                        kind,
                        key,
                        count,
                        first_at,
                        last_at,
                    }));
                }
                Ok(bursts)
            }

            async fn invalidate_signatures(
                &self,
                access: &$crate::OrgAccess,
                petition_id: i64,
                filter: &$crate::InvalidationFilter,
                reason: &str,
                now: i64,
            ) -> $crate::StoreResult<u64> {
                let col = filter.kind.column();
                let matching = format!(
                    "petition_id = $1 AND org_id = $2 AND {col} = $3 AND created_at >= $4 AND created_at <= $5 \
                     AND status <> 'invalidated'"
                );
                let mut tx = self.begin_write().await?;
                let hit: Vec<(String, String)> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT email, status FROM signatures WHERE {matching}")))
                        .bind(petition_id)
                        .bind(access.org_id())
                        .bind(&filter.key)
                        .bind(filter.from)
                        .bind(filter.to)
                        .fetch_all(&mut *tx)
                        .await?;
                if hit.is_empty() {
                    return Ok(0);
                }
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE signatures SET status = 'invalidated', invalidation_reason = $6 WHERE {matching}"
                )))
                .bind(petition_id)
                .bind(access.org_id())
                .bind(&filter.key)
                .bind(filter.from)
                .bind(filter.to)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
                let confirmed = hit.iter().filter(|(_, s)| s == "confirmed").count() as i64;
                let pending = hit.len() as i64 - confirmed;
                sqlx::query(
                    "UPDATE petitions SET confirmed_count = confirmed_count - $2, pending_count = pending_count - $3, \
                     updated_at = $4 WHERE id = $1",
                )
                .bind(petition_id)
                .bind(confirmed)
                .bind(pending)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                // Never e-mail an invalidated signer: withdraw their queued confirmations.
                for (email, _) in &hit {
                    let key = $crate::confirmation_key(petition_id, email);
                    // The key and its resends (`key:n`), as a range of the unique index:
                    // a LIKE with a parameter would scan the whole outbox per signer.
                    sqlx::query(
                        "UPDATE outbox SET status = 'cancelled' WHERE status = 'pending' \
                         AND (idempotency_key = $1 OR (idempotency_key > $2 AND idempotency_key < $3))",
                    )
                    .bind(&key)
                    .bind(format!("{key}:"))
                    .bind(format!("{key};"))
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(hit.len() as u64)
            }

            async fn expire_unconfirmed(&self, created_before: i64) -> $crate::StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                let per_petition: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT petition_id, COUNT(*) FROM signatures WHERE status = 'pending' AND created_at < $1 \
                     GROUP BY petition_id",
                )
                .bind(created_before)
                .fetch_all(&mut *tx)
                .await?;
                let deleted = sqlx::query("DELETE FROM signatures WHERE status = 'pending' AND created_at < $1")
                    .bind(created_before)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                for (petition_id, n) in per_petition {
                    sqlx::query("UPDATE petitions SET pending_count = pending_count - $2 WHERE id = $1")
                        .bind(petition_id)
                        .bind(n)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(deleted)
            }
        }
    };
}

pub(crate) use impl_petition_store;
