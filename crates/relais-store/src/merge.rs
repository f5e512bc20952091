//! [`crate::MergeStore`] for both backends: the records that may be one person, and
//! merging two of them into one without losing an action or a consent.

/// SQL for "the supporter id `$n` names now": itself, or the record it was merged
/// into. Links already sent (unsubscribe, `/me`, tracked clicks, deferred messages)
/// name the old id and must keep working after a merge.
macro_rules! resolve_merged {
    ($param:literal) => {
        concat!(
            "COALESCE((SELECT m.into_id FROM supporter_merges m WHERE m.from_id = ",
            $param,
            "), ",
            $param,
            ")"
        )
    };
}
pub(crate) use resolve_merged;

/// Tables whose rows simply follow the person to the kept record (no uniqueness on
/// the person): their actions, money, consents and notes.
pub(crate) const MOVED: &[&str] = &[
    "signatures",
    "gifts",
    "pledges",
    "mandates",
    "receipts",
    "consents",
    "supporter_notes",
    "message_clicks",
    "impact_outcomes",
];

/// Groups of each reason the list shows at most.
pub(crate) const GROUPS: i64 = 100;

macro_rules! impl_merge_store {
    ($store:ty, row_lock = $row_lock:literal) => {
        impl $store {
            async fn person_fields(
                conn: &mut <$store as $crate::merge::HasDb>::Conn,
                org_id: i64,
                id: i64,
            ) -> $crate::StoreResult<relais_core::merge::PersonFields> {
                let sql = format!(
                    "SELECT email, first_name, last_name, postcode, country, locale, phone, created_at, updated_at \
                     FROM supporters WHERE org_id = $1 AND id = $2 {}",
                    $row_lock
                );
                let row: Option<(
                    String,
                    String,
                    String,
                    String,
                    String,
                    String,
                    Option<String>,
                    i64,
                    i64,
                )> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(org_id)
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
                let (email, first_name, last_name, postcode, country, locale, phone, created_at, updated_at) =
                    row.ok_or($crate::StoreError::NotFound)?;
                let (address, commune, latitude, longitude, source, preferred_channels): (
                    String,
                    String,
                    Option<f64>,
                    Option<f64>,
                    String,
                    String,
                ) = sqlx::query_as(
                    "SELECT address, commune, latitude, longitude, source, preferred_channels FROM supporters \
                     WHERE id = $1",
                )
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
                Ok(relais_core::merge::PersonFields {
                    email,
                    first_name,
                    last_name,
                    postcode,
                    country,
                    locale,
                    phone,
                    address,
                    commune,
                    coordinates: latitude.zip(longitude),
                    source,
                    preferred_channels,
                    created_at,
                    updated_at,
                })
            }

            async fn holdings_in(
                conn: &mut <$store as $crate::merge::HasDb>::Conn,
                id: i64,
            ) -> $crate::StoreResult<$crate::PersonHoldings> {
                Ok(sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM signatures WHERE supporter_id = $1) AS signatures, \
                     (SELECT COUNT(*) FROM gifts WHERE supporter_id = $1) AS gifts, \
                     (SELECT COUNT(*) FROM consents WHERE supporter_id = $1) AS consents, \
                     (SELECT COUNT(*) FROM supporter_tags WHERE supporter_id = $1) AS tags, \
                     (SELECT COUNT(*) FROM supporter_notes WHERE supporter_id = $1) AS notes",
                )
                .bind(id)
                .fetch_one(&mut *conn)
                .await?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::MergeStore for $store {
            async fn possible_duplicates(
                &self,
                access: &$crate::OrgAccess,
            ) -> $crate::StoreResult<Vec<$crate::DuplicateGroup>> {
                use relais_core::merge::DuplicateReason;
                let org = access.org_id();
                let cols = "id, email, first_name, last_name, postcode, created_at, phone";
                let mut groups = Vec::new();
                // Both group queries read one index each (`supporters_phone`,
                // `supporters_name_postcode`); erased people have neither a phone nor
                // a name, so they never appear.
                let phones: Vec<String> = sqlx::query_scalar(
                    "SELECT phone FROM supporters WHERE org_id = $1 AND phone IS NOT NULL \
                     GROUP BY phone HAVING COUNT(*) > 1 ORDER BY phone LIMIT $2",
                )
                .bind(org)
                .bind($crate::merge::GROUPS)
                .fetch_all(&self.pool)
                .await?;
                for phone in phones {
                    let sql = format!("SELECT {cols} FROM supporters WHERE org_id = $1 AND phone = $2 ORDER BY id");
                    let people: Vec<$crate::PersonRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(org)
                        .bind(&phone)
                        .fetch_all(&self.pool)
                        .await?;
                    groups.push($crate::DuplicateGroup {
                        reason: DuplicateReason::SamePhone,
                        people,
                    });
                }
                let names: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT postcode, lower(last_name), lower(first_name) FROM supporters \
                     WHERE org_id = $1 AND postcode <> '' AND last_name <> '' \
                     GROUP BY postcode, lower(last_name), lower(first_name) HAVING COUNT(*) > 1 \
                     ORDER BY 2, 3, 1 LIMIT $2",
                )
                .bind(org)
                .bind($crate::merge::GROUPS)
                .fetch_all(&self.pool)
                .await?;
                for (postcode, last, first) in names {
                    let sql = format!(
                        "SELECT {cols} FROM supporters WHERE org_id = $1 AND postcode = $2 AND last_name <> '' \
                         AND lower(last_name) = $3 AND lower(first_name) = $4 ORDER BY id"
                    );
                    let people: Vec<$crate::PersonRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(org)
                        .bind(&postcode)
                        .bind(&last)
                        .bind(&first)
                        .fetch_all(&self.pool)
                        .await?;
                    groups.push($crate::DuplicateGroup {
                        reason: DuplicateReason::SameNameAndPostcode,
                        people,
                    });
                }
                // Pairs staff said are different people leave their group; a group
                // left with one person is no longer a question.
                let ids: Vec<i64> = groups
                    .iter()
                    .flat_map(|g| g.people.iter().map(|p| p.id))
                    .collect();
                if ids.is_empty() {
                    return Ok(groups);
                }
                let mut qb = sqlx::QueryBuilder::new("SELECT a, b FROM supporter_distinct WHERE org_id = ");
                qb.push_bind(org).push(" AND a IN (");
                let mut list = qb.separated(", ");
                for id in &ids {
                    list.push_bind(*id);
                }
                qb.push(")");
                let distinct: std::collections::HashSet<(i64, i64)> = qb
                    .build_query_as()
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .collect();
                for group in &mut groups {
                    let people = std::mem::take(&mut group.people);
                    // Someone stays when they may still be the same as another member.
                    group.people = people
                        .iter()
                        .filter(|p| {
                            people.iter().any(|q| {
                                q.id != p.id && !distinct.contains(&relais_core::merge::ordered_pair(p.id, q.id))
                            })
                        })
                        .cloned()
                        .collect();
                }
                groups.retain(|g| g.people.len() > 1);
                Ok(groups)
            }

            async fn holdings(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
            ) -> $crate::StoreResult<$crate::PersonHoldings> {
                let mut conn = self.pool.acquire().await?;
                Self::person_fields(&mut *conn, access.org_id(), id).await?;
                Self::holdings_in(&mut *conn, id).await
            }

            async fn merge_people(
                &self,
                access: &$crate::OrgAccess,
                keep: i64,
                other: i64,
                by_user: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<$crate::PersonHoldings> {
                if keep == other {
                    return Err(relais_core::merge::MergeError::SamePerson.into());
                }
                let org = access.org_id();
                let mut tx = self.begin_write().await?;
                // Both rows locked (PostgreSQL; SQLite's write transaction is serial),
                // both the association's: another association's id is "not found".
                // Locked in id order, whichever is kept: two staff merging the same pair
                // the opposite way round at once then wait for each other instead of
                // each holding one row and waiting for the other's (a deadlock).
                let (low, high) = (keep.min(other), keep.max(other));
                let first = Self::person_fields(&mut *tx, org, low).await?;
                let second = Self::person_fields(&mut *tx, org, high).await?;
                let (kept, gone) = if keep == low { (first, second) } else { (second, first) };
                let merged = relais_core::merge::merge(&kept, &gone)?;
                let moved = Self::holdings_in(&mut *tx, other).await?;
                for table in $crate::merge::MOVED {
                    let sql = format!("UPDATE {table} SET supporter_id = $1 WHERE supporter_id = $2");
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(keep)
                        .bind(other)
                        .execute(&mut *tx)
                        .await?;
                }
                // Tags and interests: the union (one both had stays once).
                for table in ["supporter_tags", "supporter_interests"] {
                    let sql = format!(
                        "INSERT INTO {table} (org_id, supporter_id, tag, created_at) \
                         SELECT org_id, $1, tag, created_at FROM {table} WHERE supporter_id = $2 \
                         ON CONFLICT (supporter_id, tag) DO NOTHING"
                    );
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(keep)
                        .bind(other)
                        .execute(&mut *tx)
                        .await?;
                }
                // "Told once per news": a news both records were told about stays one
                // message on the kept record.
                sqlx::query(
                    "UPDATE impact_messages SET supporter_id = $1 WHERE supporter_id = $2 \
                     AND update_id NOT IN (SELECT update_id FROM impact_messages WHERE supporter_id = $1)",
                )
                .bind(keep)
                .bind(other)
                .execute(&mut *tx)
                .await?;
                // Earlier merges into the record merged away now lead to the survivor.
                sqlx::query("UPDATE supporter_merges SET into_id = $1 WHERE into_id = $2")
                    .bind(keep)
                    .bind(other)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO supporter_merges (org_id, from_id, into_id, from_email, by_user, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(org)
                .bind(other)
                .bind(keep)
                .bind(&gone.email)
                .bind(by_user)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                // What is left on the record (its tags, duplicate news rows, "not the
                // same person" pairs) goes with it.
                sqlx::query("DELETE FROM supporters WHERE id = $1 AND org_id = $2")
                    .bind(other)
                    .bind(org)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE supporters SET first_name = $3, last_name = $4, postcode = $5, country = $6, locale = $7, \
                     phone = $8, created_at = $9, updated_at = $10, address = $11, commune = $12, latitude = $13, \
                     longitude = $14, source = $15, preferred_channels = $16 WHERE id = $1 AND org_id = $2",
                )
                .bind(keep)
                .bind(org)
                .bind(&merged.first_name)
                .bind(&merged.last_name)
                .bind(&merged.postcode)
                .bind(&merged.country)
                .bind(&merged.locale)
                .bind(&merged.phone)
                .bind(merged.created_at)
                .bind(merged.updated_at)
                .bind(&merged.address)
                .bind(&merged.commune)
                .bind(merged.coordinates.map(|c| c.0))
                .bind(merged.coordinates.map(|c| c.1))
                .bind(&merged.source)
                .bind(&merged.preferred_channels)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO audit_log (org_id, user_id, action, subject, created_at) \
                     VALUES ($1, $2, 'merge_people', $3, $4)",
                )
                .bind(org)
                .bind(by_user)
                .bind(format!("supporter:{other} into supporter:{keep}"))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(moved)
            }

            async fn mark_distinct(
                &self,
                access: &$crate::OrgAccess,
                a: i64,
                b: i64,
                by_user: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<()> {
                let (a, b) = relais_core::merge::ordered_pair(a, b);
                if a == b {
                    return Err(relais_core::merge::MergeError::SamePerson.into());
                }
                // Both must be the association's people.
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM supporters WHERE org_id = $1 AND id IN ($2, $3)")
                    .bind(access.org_id())
                    .bind(a)
                    .bind(b)
                    .fetch_one(&self.pool)
                    .await?;
                if n != 2 {
                    return Err($crate::StoreError::NotFound);
                }
                sqlx::query(
                    "INSERT INTO supporter_distinct (org_id, a, b, by_user, created_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (a, b) DO NOTHING",
                )
                .bind(access.org_id())
                .bind(a)
                .bind(b)
                .bind(by_user)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn merged_into(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
            ) -> $crate::StoreResult<Vec<(String, i64)>> {
                Ok(sqlx::query_as(
                    "SELECT from_email, created_at FROM supporter_merges WHERE org_id = $1 AND into_id = $2 \
                     ORDER BY id",
                )
                .bind(access.org_id())
                .bind(id)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}

pub(crate) use impl_merge_store;

/// The connection type of a store's transactions, so one macro body can name it.
pub(crate) trait HasDb {
    type Conn;
}

impl HasDb for crate::SqliteStore {
    type Conn = sqlx::SqliteConnection;
}

impl HasDb for crate::PgStore {
    type Conn = sqlx::PgConnection;
}
