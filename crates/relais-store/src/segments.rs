//! [`crate::SegmentStore`] for both backends: the people list's filters as one SQL
//! `WHERE`, their count, and the segments staff save.
//!
//! Each filter narrows by an index: tags, signatures of a petition, the paid gifts of
//! the association, postcodes (a radius becomes the list of postcodes inside it), the
//! time of the person's latest action (`supporters.updated_at`, which signing, giving
//! and subscribing move).

macro_rules! impl_segment_store {
    ($store:ty, $db:ty, erased = $erased:literal, collate = $collate:literal) => {
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
                        // capitalised), or the exact postcode: one index range each,
                        // united. Written as a union rather than ORs so that no planner
                        // can prefer scanning every person of the association.
                        let upper = {
                            let mut c = q.chars();
                            c.next()
                                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                                .unwrap_or_default()
                        };
                        let end = |s: &str| format!("{s}\u{10ffff}");
                        qb.push(" AND s.id IN (");
                        for (column, from) in [
                            ("email", q),
                            ("last_name", &upper),
                            ("first_name", &upper),
                            ("last_name", q),
                            ("first_name", q),
                        ] {
                            qb.push("SELECT id FROM supporters WHERE org_id = ")
                                .push_bind(org_id)
                                .push(format!(" AND {column}{} >= ", $collate))
                                .push_bind(from.clone())
                                .push(format!(" AND {column}{} < ", $collate))
                                .push_bind(end(from))
                                .push(" UNION ");
                        }
                        if let Some(phone) = &seg.phone {
                            qb.push("SELECT id FROM supporters WHERE org_id = ")
                                .push_bind(org_id)
                                .push(" AND phone = ")
                                .push_bind(phone.clone())
                                .push(" UNION ");
                        }
                        qb.push("SELECT id FROM supporters WHERE org_id = ")
                            .push_bind(org_id)
                            .push(" AND postcode = ")
                            .push_bind(q.clone())
                            .push(")");
                    }
                }
                // A list filter (tag, signers, donors) either drives the query from its
                // own index (`s.id IN (…)`), or, when the person's own columns narrow
                // already (consent, place: one `(org_id, consent, postcode)` index
                // range), is checked per person found there (`EXISTS`, one index
                // probe each): 300,000 signers are not walked to keep 90,000 of them.
                let probe = seg.consent.is_some() || seg.near.is_some();
                if let Some(tag) = &seg.tag {
                    if probe {
                        qb.push(" AND EXISTS (SELECT 1 FROM supporter_tags t WHERE t.supporter_id = s.id AND t.tag = ")
                            .push_bind(tag.clone())
                            .push(")");
                    } else {
                        qb.push(" AND s.id IN (SELECT supporter_id FROM supporter_tags WHERE org_id = ")
                            .push_bind(org_id)
                            .push(" AND tag = ")
                            .push_bind(tag.clone())
                            .push(")");
                    }
                }
                if let Some(interest) = &seg.interest {
                    // From the (org, tag, supporter) index of interests.
                    qb.push(" AND s.id IN (SELECT supporter_id FROM supporter_interests WHERE org_id = ")
                        .push_bind(org_id)
                        .push(" AND tag = ")
                        .push_bind(interest.clone())
                        .push(")");
                }
                if let Some(petition) = seg.petition {
                    // Straight from the (petition, status, supporter) index. Another
                    // association's petition finds only its own supporters, which the
                    // outer `s.org_id` leaves out.
                    if probe {
                        qb.push(" AND EXISTS (SELECT 1 FROM signatures g WHERE g.petition_id = ")
                            .push_bind(petition)
                            .push(" AND g.status = 'confirmed' AND g.supporter_id = s.id)");
                    } else {
                        qb.push(" AND s.id IN (SELECT supporter_id FROM signatures WHERE petition_id = ")
                            .push_bind(petition)
                            .push(" AND status = 'confirmed')");
                    }
                }
                if let Some((min, year)) = seg.gave {
                    let span = year.and_then(|y| $crate::receipts::year_span(i64::from(y), tz));
                    if probe {
                        qb.push(" AND (SELECT SUM(d.amount_cents) FROM gifts d WHERE d.org_id = ")
                            .push_bind(org_id)
                            .push(" AND d.supporter_id = s.id AND d.status = 'paid'");
                        if let Some((start, end)) = span {
                            qb.push(" AND d.paid_at >= ")
                                .push_bind(start)
                                .push(" AND d.paid_at < ")
                                .push_bind(end);
                        }
                        qb.push(") >= ").push_bind(min.cents());
                    } else {
                        qb.push(" AND s.id IN (SELECT supporter_id FROM gifts WHERE org_id = ")
                            .push_bind(org_id)
                            .push(" AND status = 'paid'");
                        if let Some((start, end)) = span {
                            qb.push(" AND paid_at >= ")
                                .push_bind(start)
                                .push(" AND paid_at < ")
                                .push_bind(end);
                        }
                        qb.push(" GROUP BY supporter_id HAVING SUM(amount_cents) >= ")
                            .push_bind(min.cents())
                            .push(")");
                    }
                }
                // The ledger's latest word, as the triggers of `consents` keep it on
                // the person (`0016_consent_summary`): read from an `(org_id, …)`
                // index like any column of the person.
                match seg.consent {
                    Some(relais_core::segment::ConsentFilter::Newsletter) => {
                        qb.push(" AND s.email_newsletter = TRUE");
                    }
                    Some(relais_core::segment::ConsentFilter::None) => {
                        // No e-mail purpose whose latest word is a yes.
                        qb.push(" AND s.email_consents = 0");
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
                // `+s.org_id`: never walk an `(org_id, …)` index and sort its million
                // rows for 50 of them; the page goes in id order and stops at 50, or
                // looks up the ids a filter's own index gave.
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT s.id, s.email, s.first_name, s.last_name, s.postcode, s.created_at, s.phone, s.commune, s.source \
                     FROM supporters s \
                     WHERE +s.org_id = ",
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
                // Everyone matching, minus the erased people matching: the first count
                // never needs the row itself (a filter on the person's columns is
                // answered from its `(org_id, column)` index alone), the second reads
                // the few erased placeholders (`erased-…`) from the address index.
                let mut all = sqlx::QueryBuilder::<$db>::new("SELECT COUNT(*) FROM supporters s WHERE s.org_id = ");
                all.push_bind(access.org_id());
                Self::push_segment_filters(&mut all, access.org_id(), seg, (now, &tz));
                let all: i64 = all.build_query_scalar().fetch_one(&self.pool).await?;
                let mut erased = sqlx::QueryBuilder::<$db>::new("SELECT COUNT(*) FROM supporters s WHERE s.org_id = ");
                erased.push_bind(access.org_id()).push(concat!(" AND ", $erased));
                Self::push_segment_filters(&mut erased, access.org_id(), seg, (now, &tz));
                let erased: i64 = erased.build_query_scalar().fetch_one(&self.pool).await?;
                Ok(all - erased)
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
