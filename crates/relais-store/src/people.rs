//! [`crate::PeopleStore`] for both backends (see `orgs.rs` for why a macro): the
//! people list, a person's timeline, and erasure.

macro_rules! impl_people_store {
    ($store:ty, collate = $collate:literal) => {
        impl $store {
            /// A person's labels in `table` (staff tags or their interests: the same
            /// shape), alphabetical.
            async fn labels_of(
                &self,
                table: &'static str,
                access: &$crate::OrgAccess,
                id: i64,
            ) -> $crate::StoreResult<Vec<String>> {
                let sql = format!("SELECT tag FROM {table} WHERE org_id = $1 AND supporter_id = $2 ORDER BY tag");
                Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?)
            }

            /// Puts (`on`) or takes off a label in `table`, for one of the association's people.
            async fn set_label(
                &self,
                table: &'static str,
                access: &$crate::OrgAccess,
                id: i64,
                tag: &str,
                on: bool,
                now: i64,
            ) -> $crate::StoreResult<()> {
                $crate::PeopleStore::person(self, access, id).await?;
                let sql = if on {
                    format!(
                        "INSERT INTO {table} (org_id, supporter_id, tag, created_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (supporter_id, tag) DO NOTHING"
                    )
                } else {
                    format!("DELETE FROM {table} WHERE org_id = $1 AND supporter_id = $2 AND tag = $3")
                };
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(id)
                    .bind(tag);
                if on {
                    q = q.bind(now);
                }
                q.execute(&self.pool).await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::PeopleStore for $store {
            async fn search_people(
                &self,
                access: &$crate::OrgAccess,
                query: &str,
                after_id: i64,
                limit: i64,
            ) -> $crate::StoreResult<Vec<$crate::PersonRow>> {
                let q = query.trim().to_lowercase();
                const COLUMNS: &str = "id, email, first_name, last_name, postcode, created_at";
                let rows = if let Some(tag) = q.strip_prefix('#') {
                    // `#tag`: the people staff tagged so.
                    let sql = format!(
                        "SELECT {COLUMNS} FROM supporters WHERE org_id = $1 AND id > $2 AND id IN \
                         (SELECT supporter_id FROM supporter_tags WHERE org_id = $1 AND tag = $3) \
                         ORDER BY id LIMIT $4"
                    );
                    sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(access.org_id())
                        .bind(after_id)
                        .bind(tag.trim())
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?
                } else if q.is_empty() {
                    let sql = format!(
                        "SELECT {COLUMNS} FROM supporters WHERE org_id = $1 AND id > $2 AND email NOT LIKE 'erased-%' \
                         ORDER BY id LIMIT $3"
                    );
                    sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(access.org_id())
                        .bind(after_id)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?
                } else {
                    // Prefixes of the address and of each name, and the exact postcode:
                    // each a range of an index, so a million people answer at once.
                    // Names are stored as typed; the search tries the typed case and
                    // the capitalised one.
                    let upper = {
                        let mut c = q.chars();
                        c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
                    };
                    // Byte order whatever the database's collation (`$collate`).
                    let (email, last, first) = (
                        concat!("email", $collate),
                        concat!("last_name", $collate),
                        concat!("first_name", $collate),
                    );
                    let sql = format!(
                        "SELECT {COLUMNS} FROM supporters WHERE org_id = $1 AND id > $2 AND (\
                         ({email} >= $3 AND {email} < $4) OR ({last} >= $5 AND {last} < $6) \
                         OR ({first} >= $5 AND {first} < $6) OR ({last} >= $3 AND {last} < $4) \
                         OR ({first} >= $3 AND {first} < $4) OR postcode = $3) \
                         ORDER BY id LIMIT $7"
                    );
                    sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(access.org_id())
                        .bind(after_id)
                        .bind(&q)
                        .bind(format!("{q}\u{10ffff}"))
                        .bind(&upper)
                        .bind(format!("{upper}\u{10ffff}"))
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?
                };
                Ok(rows)
            }

            async fn person(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
            ) -> $crate::StoreResult<$crate::Supporter> {
                sqlx::query_as(
                    "SELECT id, email, first_name, last_name, postcode, country, locale, created_at, phone, address, \
                     commune, latitude, longitude, source, preferred_channels FROM supporters \
                     WHERE org_id = $1 AND id = $2",
                )
                .bind(access.org_id())
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or($crate::StoreError::NotFound)
            }

            async fn signatures_of(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
            ) -> $crate::StoreResult<Vec<$crate::PersonSignature>> {
                Ok(sqlx::query_as(
                    "SELECT p.title AS petition, s.status, s.comment, s.postcode, s.country, s.consent_updates, \
                     s.consent_newsletter, s.show_name, s.source_channel, s.referrer_site, s.created_at, s.confirmed_at \
                     FROM signatures s JOIN petitions p ON p.id = s.petition_id \
                     WHERE s.supporter_id = $1 AND s.org_id = $2 ORDER BY s.id",
                )
                .bind(id)
                .bind(access.org_id())
                .fetch_all(&self.pool)
                .await?)
            }

            async fn timeline(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
            ) -> $crate::StoreResult<Vec<$crate::TimelineEntry>> {
                let person = self.person(access, id).await?;
                let mut entries: Vec<$crate::TimelineEntry> = Vec::new();
                let signatures: Vec<(i64, Option<i64>, String, String, i64)> = sqlx::query_as(
                    "SELECT s.created_at, s.confirmed_at, p.title, s.status, p.id FROM signatures s \
                     JOIN petitions p ON p.id = s.petition_id WHERE s.supporter_id = $1 AND s.org_id = $2",
                )
                .bind(id)
                .bind(access.org_id())
                .fetch_all(&self.pool)
                .await?;
                // Consents and messages name petitions by id; people read titles.
                let titles: std::collections::HashMap<i64, String> =
                    signatures.iter().map(|(_, _, title, _, pid)| (*pid, title.clone())).collect();
                for (at, confirmed, title, status, _) in signatures {
                    if let Some(confirmed) = confirmed {
                        entries.push($crate::TimelineEntry {
                            at: confirmed,
                            kind: "confirmed".into(),
                            subject: title.clone(),
                            detail: String::new(),
                        });
                    }
                    entries.push($crate::TimelineEntry { at, kind: "signed".into(), subject: title, detail: status });
                }
                let consents: Vec<(i64, String, String, bool, String, String)> = sqlx::query_as(
                    "SELECT created_at, channel, purpose, granted, wording, source FROM consents \
                     WHERE supporter_id = $1 AND org_id = $2",
                )
                .bind(id)
                .bind(access.org_id())
                .fetch_all(&self.pool)
                .await?;
                for (at, channel, purpose, granted, wording, source) in consents {
                    let petition = relais_core::post::petition_of_purpose(&purpose).and_then(|pid| titles.get(&pid));
                    entries.push($crate::TimelineEntry {
                        at,
                        kind: if granted { "consent_given" } else { "consent_withdrawn" }.into(),
                        subject: match petition {
                            Some(title) => format!("{channel} · {title}"),
                            None => format!("{channel} · {purpose}"),
                        },
                        detail: format!("« {wording} » ({source})"),
                    });
                }
                // The latest messages only: a person's page is not an archive. Those
                // sent to the addresses of records merged into this one are theirs too.
                let messages: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
                    "SELECT created_at, status, payload, topic FROM outbox WHERE org_id = $2 AND recipient IN \
                     (SELECT CAST($1 AS TEXT) UNION SELECT from_email FROM supporter_merges \
                      WHERE into_id = $3 AND org_id = $2 AND from_email <> '') \
                     ORDER BY id DESC LIMIT 100",
                )
                .bind(&person.email)
                .bind(access.org_id())
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                let mut posts: std::collections::HashMap<String, String> = std::collections::HashMap::new();
                for (at, status, payload, topic) in messages {
                    // A post's messages are rendered when sent: name the post instead.
                    let post = match topic.as_deref().and_then(|t| t.strip_prefix("post:")) {
                        Some(post_id) => {
                            if !posts.contains_key(post_id) {
                                let found: Option<(String, String)> = sqlx::query_as(
                                    "SELECT p.kind, pt.title FROM petition_posts p \
                                     JOIN petitions pt ON pt.id = p.petition_id WHERE p.id = $1 AND p.org_id = $2",
                                )
                                .bind(post_id.parse::<i64>().unwrap_or_default())
                                .bind(access.org_id())
                                .fetch_optional(&self.pool)
                                .await?;
                                let name = found.map(|(kind, title)| format!("{kind} · {title}")).unwrap_or_default();
                                posts.insert(post_id.to_owned(), name);
                            }
                            posts.get(post_id).cloned()
                        }
                        // A message to a segment is named by its subject as written.
                        None => match topic.as_deref().and_then(|t| t.strip_prefix("message:")) {
                            Some(message_id) => {
                                let key = format!("message:{message_id}");
                                if !posts.contains_key(&key) {
                                    let found: Option<String> =
                                        sqlx::query_scalar("SELECT subject FROM messages WHERE id = $1 AND org_id = $2")
                                            .bind(message_id.parse::<i64>().unwrap_or_default())
                                            .bind(access.org_id())
                                            .fetch_optional(&self.pool)
                                            .await?;
                                    posts.insert(key.clone(), found.unwrap_or_default());
                                }
                                posts.get(&key).cloned()
                            }
                            None => None,
                        },
                    };
                    let subject = match post {
                        Some(name) => name,
                        None => match serde_json::from_str::<$crate::Payload>(&payload) {
                            // Rendered when sent too: named by its petition.
                            Ok($crate::Payload {
                                deferred: Some($crate::Deferred::SignatureConfirmation { petition, .. }),
                                ..
                            }) => {
                                let key = format!("petition:{petition}");
                                if !posts.contains_key(&key) {
                                    let title: Option<String> =
                                        sqlx::query_scalar("SELECT title FROM petitions WHERE id = $1 AND org_id = $2")
                                            .bind(petition)
                                            .bind(access.org_id())
                                            .fetch_optional(&self.pool)
                                            .await?;
                                    let name = title.map(|t| format!("confirmation · {t}")).unwrap_or_default();
                                    posts.insert(key.clone(), name);
                                }
                                posts.get(&key).cloned().unwrap_or_default()
                            }
                            Ok(p) => p.subject,
                            Err(_) => String::new(),
                        },
                    };
                    entries.push($crate::TimelineEntry { at, kind: "message".into(), subject, detail: status });
                }
                // Gifts and monthly pledges: what the person gave, and how.
                let gifts: Vec<(i64, Option<i64>, String, i64, String, Option<String>)> = sqlx::query_as(
                    "SELECT g.created_at, g.paid_at, g.status, g.amount_cents, g.method, c.title FROM gifts g \
                     LEFT JOIN campaigns c ON c.id = g.campaign_id \
                     WHERE g.supporter_id = $1 AND g.org_id = $2 AND g.status <> 'pending'",
                )
                .bind(id)
                .bind(access.org_id())
                .fetch_all(&self.pool)
                .await?;
                for (created, paid, status, cents, method, campaign) in gifts {
                    entries.push($crate::TimelineEntry {
                        at: paid.unwrap_or(created),
                        kind: format!("gift_{status}"),
                        subject: campaign.unwrap_or_default(),
                        detail: format!("{} · {method}", relais_core::money::Money::from_cents(cents)),
                    });
                }
                let pledges: Vec<(i64, Option<i64>, Option<i64>, i64, String, String)> = sqlx::query_as(
                    "SELECT created_at, activated_at, cancelled_at, amount_cents, method, cancelled_by FROM pledges \
                     WHERE supporter_id = $1 AND org_id = $2 AND status <> 'pending'",
                )
                .bind(id)
                .bind(access.org_id())
                .fetch_all(&self.pool)
                .await?;
                for (created, activated, cancelled, cents, method, by) in pledges {
                    let amount = relais_core::money::Money::from_cents(cents);
                    entries.push($crate::TimelineEntry {
                        at: activated.unwrap_or(created),
                        kind: "pledge_started".into(),
                        subject: format!("{amount} · {method}"),
                        detail: String::new(),
                    });
                    if let Some(at) = cancelled {
                        entries.push($crate::TimelineEntry {
                            at,
                            kind: "pledge_stopped".into(),
                            subject: format!("{amount} · {method}"),
                            detail: by,
                        });
                    }
                }
                let clicks: Vec<(i64, String, String)> = sqlx::query_as(
                    "SELECT created_at, topic, url FROM message_clicks WHERE supporter_id = $1 AND org_id = $2",
                )
                .bind(id)
                .bind(access.org_id())
                .fetch_all(&self.pool)
                .await?;
                for (at, topic, url) in clicks {
                    entries.push($crate::TimelineEntry { at, kind: "click".into(), subject: url, detail: topic });
                }
                entries.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.kind.cmp(&b.kind)));
                Ok(entries)
            }

            async fn erase_person(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                by_user: Option<i64>,
                now: i64,
            ) -> $crate::StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let email: Option<String> =
                    sqlx::query_scalar("SELECT email FROM supporters WHERE org_id = $1 AND id = $2")
                        .bind(access.org_id())
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let email = email.ok_or($crate::StoreError::NotFound)?;
                // Text messages not sent yet never leave either.
                sqlx::query(
                    "UPDATE outbox SET status = 'cancelled', last_error = 'person erased' \
                     WHERE recipient = (SELECT phone FROM supporters WHERE id = $1) AND org_id = $2 \
                     AND channel = 'sms' AND status IN ('pending', 'sending')",
                )
                .bind(id)
                .bind(access.org_id())
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE outbox SET recipient = $3, payload = '{}' WHERE org_id = $2 AND channel = 'sms' \
                     AND recipient = (SELECT phone FROM supporters WHERE id = $1)",
                )
                .bind(id)
                .bind(access.org_id())
                .bind(format!("erased-{id}"))
                .execute(&mut *tx)
                .await?;
                // Messages not sent yet never leave; sent ones lose their address —
                // also those to the addresses of records merged into this person.
                let merged: Vec<String> = sqlx::query_scalar(
                    "SELECT from_email FROM supporter_merges WHERE into_id = $1 AND org_id = $2 AND from_email <> ''",
                )
                .bind(id)
                .bind(access.org_id())
                .fetch_all(&mut *tx)
                .await?;
                for address in std::iter::once(&email).chain(&merged) {
                    sqlx::query(
                        "UPDATE outbox SET status = 'cancelled', last_error = 'person erased' \
                         WHERE recipient = $1 AND org_id = $2 AND status IN ('pending', 'sending')",
                    )
                    .bind(address)
                    .bind(access.org_id())
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("UPDATE outbox SET recipient = $3, payload = '{}' WHERE recipient = $1 AND org_id = $2")
                        .bind(address)
                        .bind(access.org_id())
                        .bind(format!("erased-{id}@erased.invalid"))
                        .execute(&mut *tx)
                        .await?;
                }
                // Signatures keep what counts (petition, status, country, department,
                // source) and lose who signed; each gets its own placeholder address
                // because a petition takes one signature per address.
                sqlx::query(
                    "UPDATE signatures SET email = 'erased-' || id || '@erased.invalid', email_domain = '', \
                     first_name = '', last_name = '', postcode = '', commune = '', comment = NULL, \
                     show_name = FALSE, ip_hash = '', network_hash = '' WHERE supporter_id = $1 AND org_id = $2",
                )
                .bind(id)
                .bind(access.org_id())
                .execute(&mut *tx)
                .await?;
                for table in ["supporter_tags", "supporter_notes", "supporter_interests"] {
                    let sql = format!("DELETE FROM {table} WHERE supporter_id = $1 AND org_id = $2");
                    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(access.org_id()).execute(&mut *tx).await?;
                }
                sqlx::query("DELETE FROM consents WHERE supporter_id = $1 AND org_id = $2")
                    .bind(id)
                    .bind(access.org_id())
                    .execute(&mut *tx)
                    .await?;
                // The addresses of records merged into this person are theirs too.
                sqlx::query("UPDATE supporter_merges SET from_email = '' WHERE into_id = $1 AND org_id = $2")
                    .bind(id)
                    .bind(access.org_id())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE message_clicks SET supporter_id = NULL WHERE supporter_id = $1 AND org_id = $2")
                    .bind(id)
                    .bind(access.org_id())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE supporters SET email = $3, first_name = '', last_name = '', postcode = '', phone = NULL, \
                     address = '', commune = '', latitude = NULL, longitude = NULL, preferred_channels = '', \
                     updated_at = $4 WHERE id = $1 AND org_id = $2",
                )
                .bind(id)
                .bind(access.org_id())
                .bind(format!("erased-{id}@erased.invalid"))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO audit_log (org_id, user_id, action, subject, created_at) \
                     VALUES ($1, $2, 'erase_person', $3, $4)",
                )
                .bind(access.org_id())
                .bind(by_user)
                .bind(format!("supporter:{id}"))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn tags(&self, access: &$crate::OrgAccess, id: i64) -> $crate::StoreResult<Vec<String>> {
                self.labels_of("supporter_tags", access, id).await
            }

            async fn set_tag(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                tag: &str,
                on: bool,
                now: i64,
            ) -> $crate::StoreResult<()> {
                self.set_label("supporter_tags", access, id, tag, on, now).await
            }

            async fn interests(&self, access: &$crate::OrgAccess, id: i64) -> $crate::StoreResult<Vec<String>> {
                self.labels_of("supporter_interests", access, id).await
            }

            async fn set_interest(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                tag: &str,
                on: bool,
                now: i64,
            ) -> $crate::StoreResult<()> {
                self.set_label("supporter_interests", access, id, tag, on, now).await
            }

            async fn update_record(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                record: &relais_core::record::Record,
            ) -> $crate::StoreResult<()> {
                let f = &record.fields;
                // `updated_at` is the person's latest action, not staff's: left alone.
                let done = sqlx::query(
                    "UPDATE supporters SET first_name = $3, last_name = $4, phone = $5, address = $6, postcode = $7, \
                     commune = $8, country = $9, locale = $10, latitude = $11, longitude = $12, \
                     preferred_channels = $13 WHERE id = $1 AND org_id = $2 AND email NOT LIKE 'erased-%'",
                )
                .bind(id)
                .bind(access.org_id())
                .bind(&f.first_name)
                .bind(&f.last_name)
                .bind(&f.phone)
                .bind(&f.address)
                .bind(&f.postcode)
                .bind(&f.commune)
                .bind(&f.country)
                .bind(&f.locale)
                .bind(f.latitude)
                .bind(f.longitude)
                .bind(&record.preferred_channels)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                Ok(())
            }

            async fn notes(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
            ) -> $crate::StoreResult<Vec<(i64, Option<String>, String)>> {
                Ok(sqlx::query_as(
                    "SELECT n.created_at, u.email, n.body FROM supporter_notes n LEFT JOIN users u ON u.id = n.user_id \
                     WHERE n.org_id = $1 AND n.supporter_id = $2 ORDER BY n.id DESC",
                )
                .bind(access.org_id())
                .bind(id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn add_note(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
                user_id: Option<i64>,
                body: &str,
                now: i64,
            ) -> $crate::StoreResult<()> {
                self.person(access, id).await?;
                sqlx::query(
                    "INSERT INTO supporter_notes (org_id, supporter_id, user_id, body, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(access.org_id())
                .bind(id)
                .bind(user_id)
                .bind(body)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn audit(
                &self,
                access: &$crate::OrgAccess,
                user_id: Option<i64>,
                action: &str,
                subject: &str,
                now: i64,
            ) -> $crate::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO audit_log (org_id, user_id, action, subject, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(access.org_id())
                .bind(user_id)
                .bind(action)
                .bind(subject)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn audit_log(
                &self,
                access: &$crate::OrgAccess,
                limit: i64,
            ) -> $crate::StoreResult<Vec<(i64, Option<i64>, String, String)>> {
                Ok(sqlx::query_as(
                    "SELECT created_at, user_id, action, subject FROM audit_log WHERE org_id = $1 \
                     ORDER BY id DESC LIMIT $2",
                )
                .bind(access.org_id())
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}

pub(crate) use impl_people_store;
