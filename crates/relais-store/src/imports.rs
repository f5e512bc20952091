//! [`crate::ImportStore`] for both backends: imports of supporters from a file.
//!
//! A chunk of rows commits in one transaction with set-based statements: the known
//! people of the chunk in one `IN` read per thousand addresses, the merge decided in
//! Rust (`relais_core::import::row::merge`, the very rule the validation counted
//! with), one multi-row `INSERT … ON CONFLICT (org_id, email) DO UPDATE` per thousand
//! people to write, tags, interests and consents likewise, and the import's progress
//! in the same transaction, so after a crash the committed figures are exact.

/// Addresses per `IN (…)` and people per multi-row statement: 15 parameters each
/// stays under SQLite's 32,766 and PostgreSQL's 65,535.
pub(crate) const PART: usize = 1000;

macro_rules! impl_import_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// The known people among `emails`: `email → (id, fields)`.
            async fn known_in<'c, E>(
                executor: E,
                org_id: i64,
                emails: &[&str],
            ) -> $crate::StoreResult<Vec<(i64, String, relais_core::import::row::PersonFields)>>
            where
                E: sqlx::Executor<'c, Database = $db>,
            {
                if emails.is_empty() {
                    return Ok(Vec::new());
                }
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id, email, first_name, last_name, phone, address, postcode, commune, country, locale, \
                     latitude, longitude FROM supporters WHERE org_id = ",
                );
                qb.push_bind(org_id).push(" AND email IN (");
                let mut list = qb.separated(", ");
                for e in emails {
                    list.push_bind(*e);
                }
                qb.push(")");
                type Row = (
                    i64,
                    String,
                    String,
                    String,
                    Option<String>,
                    String,
                    String,
                    String,
                    String,
                    String,
                    Option<f64>,
                    Option<f64>,
                );
                let rows: Vec<Row> = qb.build_query_as().fetch_all(executor).await?;
                Ok(rows
                    .into_iter()
                    .map(|r| {
                        let fields = relais_core::import::row::PersonFields {
                            first_name: r.2,
                            last_name: r.3,
                            phone: r.4,
                            address: r.5,
                            postcode: r.6,
                            commune: r.7,
                            country: r.8,
                            locale: r.9,
                            latitude: r.10,
                            longitude: r.11,
                        };
                        (r.0, r.1, fields)
                    })
                    .collect())
            }

            /// Puts `(supporter, tag)` pairs into `table` (tags or interests), once each.
            async fn add_tag_pairs(
                tx: &mut $crate::write_tx::WriteTx<$db>,
                table: &str,
                org_id: i64,
                pairs: &[(i64, &str)],
                now: i64,
            ) -> $crate::StoreResult<()> {
                for part in pairs.chunks($crate::imports::PART) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                        "INSERT INTO {table} (org_id, supporter_id, tag, created_at) "
                    ));
                    qb.push_values(part, |mut b, (id, tag)| {
                        b.push_bind(org_id).push_bind(*id).push_bind(*tag).push_bind(now);
                    });
                    qb.push(" ON CONFLICT (supporter_id, tag) DO NOTHING");
                    qb.build().execute(&mut **tx).await?;
                }
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::ImportStore for $store {
            async fn create_import(
                &self,
                access: &$crate::OrgAccess,
                new: &$crate::NewImport<'_>,
                now: i64,
            ) -> $crate::StoreResult<$crate::Import> {
                let sql = format!(
                    "INSERT INTO imports (org_id, created_by, created_at, file_name, file_path, file_bytes, encoding, \
                     separator, mapping, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'uploaded') RETURNING {}",
                    $crate::import_model::IMPORT_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(new.created_by)
                    .bind(now)
                    .bind(new.file_name)
                    .bind(new.file_path)
                    .bind(new.file_bytes)
                    .bind(new.encoding)
                    .bind(new.separator)
                    .bind(new.mapping)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn import(&self, access: &$crate::OrgAccess, id: i64) -> $crate::StoreResult<$crate::Import> {
                let sql = format!(
                    "SELECT {} FROM imports WHERE id = $1 AND org_id = $2",
                    $crate::import_model::IMPORT_COLUMNS
                );
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .bind(access.org_id())
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound)
            }

            async fn imports(
                &self,
                access: &$crate::OrgAccess,
                limit: i64,
            ) -> $crate::StoreResult<Vec<$crate::Import>> {
                let sql = format!(
                    "SELECT {} FROM imports WHERE org_id = $1 ORDER BY id DESC LIMIT $2",
                    $crate::import_model::IMPORT_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn known_people(
                &self,
                access: &$crate::OrgAccess,
                emails: &[&str],
            ) -> $crate::StoreResult<Vec<(String, relais_core::import::row::PersonFields)>> {
                let mut known = Vec::with_capacity(emails.len());
                for part in emails.chunks($crate::imports::PART) {
                    let found = Self::known_in(&self.pool, access.org_id(), part).await?;
                    known.extend(found.into_iter().map(|(_, email, fields)| (email, fields)));
                }
                Ok(known)
            }

            async fn save_validation(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                plan: &$crate::ImportPlan<'_>,
                refusals: &[$crate::Refusal],
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin_write().await?;
                // Only before the import starts: a running or finished import keeps its report.
                let done = sqlx::query(
                    "UPDATE imports SET mapping = $3, tags = $4, merge_policy = $5, consent_wording = $6, \
                     state = 'validated', total_rows = $7, to_create = $8, to_update = $9, to_keep = $10, \
                     refused_rows = $11, last_line = $12 \
                     WHERE id = $1 AND org_id = $2 AND state IN ('uploaded', 'validated')",
                )
                .bind(id)
                .bind(access.org_id())
                .bind(plan.mapping)
                .bind(plan.tags)
                .bind(plan.policy.key())
                .bind(plan.consent_wording)
                .bind(plan.total_rows)
                .bind(plan.to_create)
                .bind(plan.to_update)
                .bind(plan.to_keep)
                .bind(plan.refused_rows)
                .bind(plan.last_line)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(match self.import(access, id).await {
                        Ok(_) => $crate::StoreError::Conflict("import already started"),
                        Err(e) => e,
                    });
                }
                sqlx::query("DELETE FROM import_refusals WHERE import_id = $1 AND org_id = $2")
                    .bind(id)
                    .bind(access.org_id())
                    .execute(&mut *tx)
                    .await?;
                for part in refusals.chunks($crate::imports::PART) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO import_refusals (import_id, org_id, line, reason, detail) ",
                    );
                    qb.push_values(part, |mut b, r| {
                        b.push_bind(id)
                            .push_bind(access.org_id())
                            .push_bind(r.line)
                            .push_bind(r.reason.clone())
                            .push_bind(r.detail.clone());
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn refusals(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                limit: i64,
            ) -> $crate::StoreResult<Vec<$crate::Refusal>> {
                Ok(sqlx::query_as(
                    "SELECT line, reason, detail FROM import_refusals WHERE import_id = $1 AND org_id = $2 \
                     ORDER BY line, reason LIMIT $3",
                )
                .bind(id)
                .bind(access.org_id())
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn refused_lines(&self, access: &$crate::OrgAccess, id: i64) -> $crate::StoreResult<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT DISTINCT line FROM import_refusals WHERE import_id = $1 AND org_id = $2 ORDER BY line",
                )
                .bind(id)
                .bind(access.org_id())
                .fetch_all(&self.pool)
                .await?)
            }

            async fn start_import(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                stale_before: i64,
                now: i64,
            ) -> $crate::StoreResult<bool> {
                // One task at a time: a validated import starts once (a double click
                // finds it taken), and a running one resumes only when its task gave
                // no sign of life since `stale_before`.
                let done = sqlx::query(
                    "UPDATE imports SET state = 'running', started_at = COALESCE(started_at, $3), heartbeat_at = $3 \
                     WHERE id = $1 AND org_id = $2 AND (state = 'validated' \
                     OR (state = 'running' AND COALESCE(heartbeat_at, 0) < $4))",
                )
                .bind(id)
                .bind(access.org_id())
                .bind(now)
                .bind(stale_before)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn import_chunk(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                chunk: &$crate::ImportChunk<'_>,
                now: i64,
            ) -> $crate::StoreResult<$crate::ChunkCounts> {
                use relais_core::import::MergePolicy;
                use relais_core::import::row::{PersonFields, merge};
                let org_id = access.org_id();
                let mut counts = $crate::ChunkCounts::default();
                let mut tx = self.begin_write().await?;
                let emails: Vec<&str> = chunk.rows.iter().map(|r| r.email.as_str()).collect();
                let mut ids: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
                let mut known: std::collections::HashMap<String, PersonFields> = std::collections::HashMap::new();
                for part in emails.chunks($crate::imports::PART) {
                    for (sid, email, fields) in Self::known_in(&mut *tx, org_id, part).await? {
                        ids.insert(email.clone(), sid);
                        known.insert(email, fields);
                    }
                }
                let blank = PersonFields::blank(chunk.default_locale);
                let mut writes: Vec<(&str, PersonFields)> = Vec::new();
                for row in chunk.rows {
                    match known.get(row.email.as_str()) {
                        Some(before) => {
                            let after = merge(before, &row.incoming, chunk.policy);
                            if after == *before {
                                counts.unchanged += 1;
                            } else {
                                counts.updated += 1;
                                writes.push((row.email.as_str(), after));
                            }
                        }
                        None => {
                            counts.created += 1;
                            writes.push((row.email.as_str(), merge(&blank, &row.incoming, MergePolicy::Overwrite)));
                        }
                    }
                }
                let source = format!("import:{id}");
                for part in writes.chunks($crate::imports::PART) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO supporters (org_id, email, first_name, last_name, phone, address, postcode, \
                         commune, country, locale, latitude, longitude, source, created_at, updated_at) ",
                    );
                    qb.push_values(part, |mut b, (email, f)| {
                        b.push_bind(org_id)
                            .push_bind(*email)
                            .push_bind(f.first_name.clone())
                            .push_bind(f.last_name.clone())
                            .push_bind(f.phone.clone())
                            .push_bind(f.address.clone())
                            .push_bind(f.postcode.clone())
                            .push_bind(f.commune.clone())
                            .push_bind(f.country.clone())
                            .push_bind(f.locale.clone())
                            .push_bind(f.latitude)
                            .push_bind(f.longitude)
                            .push_bind(source.clone())
                            .push_bind(now)
                            .push_bind(now);
                    });
                    // `updated_at` says when the person last acted (the "active"
                    // filters read it): an import is no action of theirs.
                    qb.push(
                        " ON CONFLICT (org_id, email) DO UPDATE SET first_name = excluded.first_name, \
                         last_name = excluded.last_name, phone = excluded.phone, address = excluded.address, \
                         postcode = excluded.postcode, commune = excluded.commune, country = excluded.country, \
                         locale = excluded.locale, latitude = excluded.latitude, longitude = excluded.longitude \
                         RETURNING id, email",
                    );
                    let written: Vec<(i64, String)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                    ids.extend(written.into_iter().map(|(sid, email)| (email, sid)));
                }
                let id_of = |row: &relais_core::import::row::ImportRow| ids.get(row.email.as_str()).copied();
                let mut tags: Vec<(i64, &str)> = Vec::new();
                let mut interests: Vec<(i64, &str)> = Vec::new();
                for row in chunk.rows {
                    let Some(sid) = id_of(row) else { continue };
                    for t in chunk.batch_tags.iter().chain(&row.tags) {
                        tags.push((sid, t.as_str()));
                    }
                    interests.extend(row.interests.iter().map(|t| (sid, t.as_str())));
                }
                tags.sort_unstable();
                tags.dedup();
                Self::add_tag_pairs(&mut tx, "supporter_tags", org_id, &tags, now).await?;
                Self::add_tag_pairs(&mut tx, "supporter_interests", org_id, &interests, now).await?;
                if let Some(wording) = chunk.consent_wording {
                    let people: Vec<i64> = chunk.rows.iter().filter_map(id_of).collect();
                    // The ledger's latest word per person: a withdrawal made in Relais
                    // outranks an old spreadsheet, and someone who agrees already needs
                    // no second row.
                    let mut latest: std::collections::HashMap<i64, bool> = std::collections::HashMap::new();
                    for part in people.chunks($crate::imports::PART) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "SELECT supporter_id, granted FROM consents WHERE org_id = ",
                        );
                        qb.push_bind(org_id)
                            .push(" AND channel = 'email' AND purpose = 'newsletter' AND supporter_id IN (");
                        let mut list = qb.separated(", ");
                        for p in part {
                            list.push_bind(*p);
                        }
                        qb.push(") ORDER BY id");
                        let rows: Vec<(i64, bool)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                        latest.extend(rows);
                    }
                    let mut grant = Vec::new();
                    for p in people {
                        match latest.get(&p) {
                            None => grant.push(p),
                            Some(false) => counts.consents_withdrawn += 1,
                            Some(true) => {}
                        }
                    }
                    counts.consents_added = grant.len() as i64;
                    for part in grant.chunks($crate::imports::PART) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO consents (org_id, supporter_id, channel, purpose, granted, wording, source, \
                             created_at) ",
                        );
                        qb.push_values(part, |mut b, p| {
                            b.push_bind(org_id)
                                .push_bind(*p)
                                .push_bind("email")
                                .push_bind("newsletter")
                                .push_bind(true)
                                .push_bind(wording)
                                .push_bind(source.clone())
                                .push_bind(now);
                        });
                        qb.build().execute(&mut *tx).await?;
                    }
                }
                let done = sqlx::query(
                    "UPDATE imports SET created_rows = created_rows + $3, updated_rows = updated_rows + $4, \
                     unchanged_rows = unchanged_rows + $5, consents_added = consents_added + $6, \
                     consents_withdrawn = consents_withdrawn + $7, committed_line = $8, heartbeat_at = $9 \
                     WHERE id = $1 AND org_id = $2 AND state = 'running'",
                )
                .bind(id)
                .bind(org_id)
                .bind(counts.created)
                .bind(counts.updated)
                .bind(counts.unchanged)
                .bind(counts.consents_added)
                .bind(counts.consents_withdrawn)
                .bind(chunk.last_line)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    // Not running (or not this association's): nothing of the chunk stays.
                    return Err($crate::StoreError::Conflict("import not running"));
                }
                tx.commit().await?;
                Ok(counts)
            }

            async fn finish_import(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                error: Option<&str>,
                now: i64,
            ) -> $crate::StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE imports SET state = $3, error = $4, finished_at = $5, heartbeat_at = $5 \
                     WHERE id = $1 AND org_id = $2 AND state = 'running'",
                )
                .bind(id)
                .bind(access.org_id())
                .bind(if error.is_some() { "failed" } else { "done" })
                .bind(error)
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

pub(crate) use impl_import_store;
