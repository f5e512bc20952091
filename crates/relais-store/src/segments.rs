//! [`crate::SegmentStore`] for both backends: the people list's filters as one SQL
//! `WHERE`, their count, and the segments staff save.
//!
//! Each filter narrows by an index: tags, signatures of a petition, the paid gifts of
//! the association, postcodes (a radius becomes the list of postcodes inside it), the
//! time of the person's latest action (`supporters.updated_at`, which signing, giving
//! and subscribing move).

macro_rules! impl_segment_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Appends ` AND …` for every filter of `seg` to `qb`, whose query reads
            /// `supporters s`.
            fn push_segment_filters(
                qb: &mut sqlx::QueryBuilder<$db>,
                org_id: i64,
                seg: &relais_core::segment::Segment,
                (now, tz): (i64, &str),
            ) {
                if let Some(q) = &seg.q {
                    if let Some(tag) = q.strip_prefix('#') {
                        qb.push(" AND s.id IN (SELECT supporter_id FROM supporter_tags WHERE org_id = ")
                            .push_bind(org_id)
                            .push(" AND tag = ")
                            .push_bind(tag.trim().to_owned())
                            .push(")");
                    } else {
                        // Prefixes of the address and of each name (as typed and
                        // capitalised), or the exact postcode: index ranges.
                        let upper = {
                            let mut c = q.chars();
                            c.next()
                                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                                .unwrap_or_default()
                        };
                        let end = |s: &str| format!("{s}\u{10ffff}");
                        qb.push(" AND ((s.email >= ")
                            .push_bind(q.clone())
                            .push(" AND s.email < ")
                            .push_bind(end(q));
                        for (column, from) in [
                            ("last_name", &upper),
                            ("first_name", &upper),
                            ("last_name", q),
                            ("first_name", q),
                        ] {
                            qb.push(format!(") OR (s.{column} >= "))
                                .push_bind(from.clone())
                                .push(format!(" AND s.{column} < "))
                                .push_bind(end(from));
                        }
                        qb.push(") OR s.postcode = ").push_bind(q.clone()).push(")");
                    }
                }
                if let Some(tag) = &seg.tag {
                    qb.push(" AND s.id IN (SELECT supporter_id FROM supporter_tags WHERE org_id = ")
                        .push_bind(org_id)
                        .push(" AND tag = ")
                        .push_bind(tag.clone())
                        .push(")");
                }
                if let Some(petition) = seg.petition {
                    qb.push(" AND s.id IN (SELECT supporter_id FROM signatures WHERE petition_id = ")
                        .push_bind(petition)
                        .push(" AND org_id = ")
                        .push_bind(org_id)
                        .push(" AND status = 'confirmed')");
                }
                if let Some((min, year)) = seg.gave {
                    qb.push(" AND s.id IN (SELECT supporter_id FROM gifts WHERE org_id = ")
                        .push_bind(org_id)
                        .push(" AND status = 'paid'");
                    if let Some((start, end)) = year.and_then(|y| $crate::receipts::year_span(i64::from(y), tz)) {
                        qb.push(" AND paid_at >= ")
                            .push_bind(start)
                            .push(" AND paid_at < ")
                            .push_bind(end);
                    }
                    qb.push(" GROUP BY supporter_id HAVING SUM(amount_cents) >= ")
                        .push_bind(min.cents())
                        .push(")");
                }
                match seg.consent {
                    Some(relais_core::segment::ConsentFilter::Newsletter) => {
                        // The ledger's latest word on the newsletter, as sending reads it.
                        qb.push(
                            " AND (SELECT c.granted FROM consents c WHERE c.supporter_id = s.id \
                             AND c.channel = 'email' AND c.purpose = 'newsletter' ORDER BY c.id DESC LIMIT 1)",
                        );
                    }
                    Some(relais_core::segment::ConsentFilter::None) => {
                        // No purpose whose latest word is a yes.
                        qb.push(
                            " AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.supporter_id = s.id \
                             AND c.channel = 'email' AND c.granted AND NOT EXISTS (SELECT 1 FROM consents w \
                             WHERE w.supporter_id = c.supporter_id AND w.channel = c.channel \
                             AND w.purpose = c.purpose AND w.id > c.id))",
                        );
                    }
                    None => {}
                }
                if let Some(codes) = &seg.near {
                    if codes.is_empty() {
                        qb.push(" AND 1 = 0");
                    } else {
                        qb.push(" AND s.postcode IN (");
                        let mut list = qb.separated(", ");
                        for code in codes {
                            list.push_bind(*code);
                        }
                        qb.push(")");
                    }
                }
                if let Some(days) = seg.active_days {
                    qb.push(" AND s.updated_at >= ")
                        .push_bind(now - i64::from(days) * 86_400);
                }
                if let Some(days) = seg.inactive_days {
                    qb.push(" AND s.updated_at < ")
                        .push_bind(now - i64::from(days) * 86_400);
                }
            }

            async fn org_timezone(&self, org_id: i64) -> $crate::StoreResult<String> {
                Ok(sqlx::query_scalar("SELECT timezone FROM orgs WHERE id = $1")
                    .bind(org_id)
                    .fetch_one(&self.pool)
                    .await?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::SegmentStore for $store {
            async fn find_people(
                &self,
                access: &$crate::OrgAccess,
                seg: &relais_core::segment::Segment,
                after_id: i64,
                limit: i64,
                now: i64,
            ) -> $crate::StoreResult<Vec<$crate::PersonRow>> {
                let tz = self.org_timezone(access.org_id()).await?;
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT s.id, s.email, s.first_name, s.last_name, s.postcode, s.created_at FROM supporters s \
                     WHERE s.org_id = ",
                );
                qb.push_bind(access.org_id())
                    .push(" AND s.email NOT LIKE 'erased-%' AND s.id > ")
                    .push_bind(after_id);
                Self::push_segment_filters(&mut qb, access.org_id(), seg, (now, &tz));
                qb.push(" ORDER BY s.id LIMIT ").push_bind(limit);
                Ok(qb.build_query_as().fetch_all(&self.pool).await?)
            }

            async fn count_people(
                &self,
                access: &$crate::OrgAccess,
                seg: &relais_core::segment::Segment,
                now: i64,
            ) -> $crate::StoreResult<i64> {
                let tz = self.org_timezone(access.org_id()).await?;
                let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT COUNT(*) FROM supporters s WHERE s.org_id = ");
                qb.push_bind(access.org_id())
                    .push(" AND s.email NOT LIKE 'erased-%'");
                Self::push_segment_filters(&mut qb, access.org_id(), seg, (now, &tz));
                Ok(qb.build_query_scalar().fetch_one(&self.pool).await?)
            }

            async fn save_segment(
                &self,
                access: &$crate::OrgAccess,
                name: &str,
                query: &str,
                created_by: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<$crate::SavedSegment> {
                let sql = format!(
                    "INSERT INTO segments (org_id, name, query, created_by, created_at) VALUES ($1, $2, $3, $4, $5) \
                     RETURNING {}",
                    $crate::people_model::SEGMENT_COLUMNS
                );
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(name)
                    .bind(query)
                    .bind(created_by)
                    .bind(now)
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::error::conflict_on_unique("segment name"))
            }

            async fn segments(&self, access: &$crate::OrgAccess) -> $crate::StoreResult<Vec<$crate::SavedSegment>> {
                let sql = format!(
                    "SELECT {} FROM segments WHERE org_id = $1 ORDER BY name",
                    $crate::people_model::SEGMENT_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn delete_segment(&self, access: &$crate::OrgAccess, id: i64) -> $crate::StoreResult<()> {
                let done = sqlx::query("DELETE FROM segments WHERE id = $1 AND org_id = $2")
                    .bind(id)
                    .bind(access.org_id())
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

pub(crate) use impl_segment_store;
