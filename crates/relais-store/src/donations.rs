//! [`crate::DonationStore`] for both backends (see `orgs.rs` for why a macro).

macro_rules! impl_donation_store {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn campaign_where(&self, clause: &str, a: i64) -> $crate::StoreResult<Option<$crate::Campaign>> {
                let sql = format!("SELECT {} FROM campaigns WHERE {clause}", $crate::donation_model::CAMPAIGN_COLUMNS);
                let row: Option<$crate::donation_model::CampaignRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(a).fetch_optional(&self.pool).await?;
                Ok(row.map(Into::into))
            }
        }

        #[async_trait::async_trait]
        impl $crate::DonationStore for $store {
            async fn create_campaign(
                &self,
                access: &$crate::OrgAccess,
                c: &relais_core::gift::CampaignDraft,
                publish: bool,
                now: i64,
            ) -> $crate::StoreResult<$crate::Campaign> {
                let amounts: Vec<String> = c.amounts.iter().map(|m| m.cents().to_string()).collect();
                let frequencies: Vec<&str> = c.frequencies.iter().map(|f| f.as_str()).collect();
                // A restricted campaign names one of the association's own projects; the
                // subquery keeps another association's project out even if asked for.
                if let Some(project_id) = c.project_id {
                    let own: Option<i64> = sqlx::query_scalar("SELECT id FROM projects WHERE id = $1 AND org_id = $2")
                        .bind(project_id)
                        .bind(access.org_id())
                        .fetch_optional(&self.pool)
                        .await?;
                    own.ok_or($crate::StoreError::NotFound)?;
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO campaigns (org_id, slug, state, title, body, goal_cents, amounts, frequencies, \
                     thanks, created_at, updated_at, project_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, \
                     (SELECT id FROM projects WHERE id = $11 AND org_id = $1)) RETURNING id",
                )
                .bind(access.org_id())
                .bind(c.slug.as_str())
                .bind(if publish { "published" } else { "draft" })
                .bind(&c.title)
                .bind(&c.body)
                .bind(c.goal.map(|g| g.cents()))
                .bind(amounts.join(","))
                .bind(frequencies.join(","))
                .bind(&c.thanks)
                .bind(now)
                .bind(c.project_id)
                .fetch_one(&self.pool)
                .await
                .map_err($crate::error::conflict_on_unique("slug"))?;
                self.campaign_where("id = $1", id).await?.ok_or($crate::StoreError::NotFound)
            }

            async fn campaigns(&self, access: &$crate::OrgAccess) -> $crate::StoreResult<Vec<$crate::Campaign>> {
                let sql = format!(
                    "SELECT {} FROM campaigns WHERE org_id = $1 ORDER BY id DESC",
                    $crate::donation_model::CAMPAIGN_COLUMNS
                );
                let rows: Vec<$crate::donation_model::CampaignRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(access.org_id()).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn campaign(&self, id: i64) -> $crate::StoreResult<Option<$crate::Campaign>> {
                self.campaign_where("id = $1", id).await
            }

            async fn campaign_by_slug(&self, slug: &str) -> $crate::StoreResult<Option<$crate::Campaign>> {
                let sql = format!("SELECT {} FROM campaigns WHERE slug = $1", $crate::donation_model::CAMPAIGN_COLUMNS);
                let row: Option<$crate::donation_model::CampaignRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(slug).fetch_optional(&self.pool).await?;
                Ok(row.map(Into::into))
            }

            async fn start_gift(&self, g: &$crate::NewGift<'_>, now: i64) -> $crate::StoreResult<$crate::Gift> {
                let mut tx = self.begin_write().await?;
                let id = Self::insert_gift_in(&mut tx, g, now).await?;
                tx.commit().await?;
                self.gift(id).await?.ok_or($crate::StoreError::NotFound)
            }

            async fn complete_gift_at(
                &self,
                provider_ref: &str,
                paid_at: i64,
                now: i64,
            ) -> $crate::StoreResult<Option<($crate::Gift, Option<$crate::Receipt>)>> {
                let mut tx = self.begin_write().await?;
                let done = Self::complete_in(&mut tx, provider_ref, paid_at, now).await?;
                tx.commit().await?;
                self.wakeup.notify_one();
                Ok(done)
            }

            async fn record_offline_batch(
                &self,
                access: &$crate::OrgAccess,
                b: &$crate::NewOfflineBatch<'_>,
                now: i64,
            ) -> $crate::StoreResult<$crate::BatchRecorded> {
                if b.campaign.org_id != access.org_id() {
                    return Err($crate::StoreError::NotFound);
                }
                let total: i64 = b.gifts.iter().map(|(d, _)| d.amount.cents()).sum();
                let mut tx = self.begin_write().await?;
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO offline_batches (org_id, token, campaign_id, method, reference, received_on, \
                     gifts_count, total_cents, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (token) DO NOTHING RETURNING id",
                )
                .bind(access.org_id())
                .bind(b.token)
                .bind(b.campaign.id)
                .bind(b.method)
                .bind(b.reference)
                .bind(b.received_on)
                .bind(b.gifts.len() as i64)
                .bind(total)
                .bind(b.created_by)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else {
                    tx.rollback().await?;
                    let first: Option<i64> =
                        sqlx::query_scalar("SELECT id FROM offline_batches WHERE token = $1 AND org_id = $2")
                            .bind(b.token)
                            .bind(access.org_id())
                            .fetch_optional(&self.pool)
                            .await?;
                    return first.map($crate::BatchRecorded::Already).ok_or($crate::StoreError::NotFound);
                };
                // Every gift with its receipt number and thank-you e-mail, in the one
                // transaction: a crash records the whole batch or none of it.
                for (n, (draft, paid_at)) in b.gifts.iter().enumerate() {
                    let reference = format!("offline_{}_{n}", b.token);
                    let gift = $crate::NewGift {
                        campaign: b.campaign,
                        draft,
                        locale: b.locale,
                        provider: "offline",
                        method: b.method,
                        provider_ref: &reference,
                        newsletter_wording: "",
                        impact_wording: "",
                        pledge_ref: None,
                        tip_cents: 0,
                    };
                    let gift_id = Self::insert_gift_in(&mut tx, &gift, now).await?;
                    sqlx::query("UPDATE gifts SET offline_batch_id = $2 WHERE id = $1")
                        .bind(gift_id)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    Self::complete_in(&mut tx, &reference, *paid_at, now).await?;
                }
                tx.commit().await?;
                self.wakeup.notify_one();
                Ok($crate::BatchRecorded::New(id))
            }

            async fn offline_batches(
                &self,
                access: &$crate::OrgAccess,
                limit: i64,
            ) -> $crate::StoreResult<Vec<$crate::OfflineBatch>> {
                let sql = format!(
                    "SELECT {} FROM offline_batches WHERE org_id = $1 ORDER BY id DESC LIMIT $2",
                    $crate::donation_model::OFFLINE_BATCH_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn offline_batch(
                &self,
                access: &$crate::OrgAccess,
                id: i64,
            ) -> $crate::StoreResult<($crate::OfflineBatch, Vec<($crate::Gift, Option<String>)>)> {
                let sql = format!(
                    "SELECT {} FROM offline_batches WHERE id = $1 AND org_id = $2",
                    $crate::donation_model::OFFLINE_BATCH_COLUMNS
                );
                let batch: $crate::OfflineBatch = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .bind(access.org_id())
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound)?;
                // Each gift with its valid receipt's number, in the order they were typed.
                let sql = format!(
                    "SELECT {}, r.number FROM gifts g LEFT JOIN receipts r ON r.gift_id = g.id AND r.cancelled_at IS NULL \
                     WHERE g.offline_batch_id = $1 AND g.org_id = $2 ORDER BY g.id",
                    $crate::donation_model::gift_columns_of("g")
                );
                let rows: Vec<($crate::Gift, Option<String>)> = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .bind(access.org_id())
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|row| {
                        use sqlx::{FromRow, Row};
                        Ok(($crate::Gift::from_row(row)?, row.try_get("number")?))
                    })
                    .collect::<Result<_, sqlx::Error>>()?;
                Ok((batch, rows))
            }


            async fn fail_gift(&self, provider_ref: &str, reason: &str) -> $crate::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE gifts SET status = 'failed', failure = $2 WHERE provider_ref = $1 AND status = 'pending'",
                )
                .bind(provider_ref)
                .bind(reason)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn gift(&self, id: i64) -> $crate::StoreResult<Option<$crate::Gift>> {
                let sql = format!("SELECT {} FROM gifts WHERE id = $1", $crate::donation_model::GIFT_COLUMNS);
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?)
            }

            async fn gift_by_ref(&self, provider_ref: &str) -> $crate::StoreResult<Option<$crate::Gift>> {
                let sql = format!("SELECT {} FROM gifts WHERE provider_ref = $1", $crate::donation_model::GIFT_COLUMNS);
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(provider_ref).fetch_optional(&self.pool).await?)
            }

            async fn receipt_of(&self, gift_id: i64) -> $crate::StoreResult<Option<$crate::Receipt>> {
                let sql = format!(
                    "SELECT {} FROM receipts WHERE cancelled_at IS NULL AND id IN (SELECT id FROM receipts \
                     WHERE gift_id = $1 UNION ALL SELECT receipt_id FROM receipt_gifts WHERE gift_id = $1) \
                     ORDER BY id DESC LIMIT 1",
                    $crate::donation_model::RECEIPT_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(gift_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn gifts_page(
                &self,
                access: &$crate::OrgAccess,
                after_id: i64,
                limit: i64,
            ) -> $crate::StoreResult<Vec<($crate::Gift, Option<String>)>> {
                // One statement per page: each gift's valid receipt (its own, or the
                // annual one covering it) comes with it.
                let sql = format!(
                    "SELECT {}, (SELECT r.number FROM receipts r WHERE r.cancelled_at IS NULL AND r.id IN \
                     (SELECT r2.id FROM receipts r2 WHERE r2.gift_id = g.id \
                      UNION ALL SELECT rg.receipt_id FROM receipt_gifts rg WHERE rg.gift_id = g.id) \
                     ORDER BY r.id DESC LIMIT 1) AS receipt_number \
                     FROM gifts g WHERE g.org_id = $1 AND g.id > $2 AND g.status IN ('paid', 'refunded') \
                     ORDER BY g.id LIMIT $3",
                    $crate::donation_model::gift_columns_of("g")
                );
                let rows: Vec<$crate::donation_model::GiftWithReceipt> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(after_id)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|r| (r.gift, r.receipt_number)).collect())
            }

            async fn gifts(&self, access: &$crate::OrgAccess, limit: i64) -> $crate::StoreResult<Vec<$crate::Gift>> {
                let sql = format!(
                    "SELECT {} FROM gifts WHERE org_id = $1 ORDER BY id DESC LIMIT $2",
                    $crate::donation_model::GIFT_COLUMNS
                );
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(access.org_id())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }
        }
        impl $store {
            /// Records a gift waiting for payment inside `tx`, with its donor as a
            /// supporter (and the pledge a monthly gift opens); its id.
            pub(crate) async fn insert_gift_in(
                tx: &mut $crate::write_tx::WriteTx<$db>,
                g: &$crate::NewGift<'_>,
                now: i64,
            ) -> $crate::StoreResult<i64> {
                let d = g.draft;
                // One person per address per association, whatever they did first.
                sqlx::query(
                    "INSERT INTO supporters (org_id, email, first_name, last_name, postcode, country, locale, \
                     created_at, updated_at, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 'gift') \
                     ON CONFLICT (org_id, email) DO UPDATE SET updated_at = excluded.updated_at",
                )
                .bind(g.campaign.org_id)
                .bind(d.email.as_str())
                .bind(&d.first_name)
                .bind(&d.last_name)
                .bind(&d.postcode)
                .bind(&d.country)
                .bind(g.locale)
                .bind(now)
                .execute(&mut **tx)
                .await?;
                let supporter: i64 = sqlx::query_scalar("SELECT id FROM supporters WHERE org_id = $1 AND email = $2")
                    .bind(g.campaign.org_id)
                    .bind(d.email.as_str())
                    .fetch_one(&mut **tx)
                    .await?;
                // A monthly gift opens a pledge; this gift is its first collection.
                let pledge_id: Option<i64> = match g.pledge_ref {
                    Some(reference) => Some(
                        sqlx::query_scalar(
                            "INSERT INTO pledges (org_id, campaign_id, supporter_id, reference, amount_cents, method, \
                             provider, status, wants_receipt, first_name, last_name, email, address, postcode, city, \
                             country, locale, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, \
                             $11, $12, $13, $14, $15, $16, $17) RETURNING id",
                        )
                        .bind(g.campaign.org_id)
                        .bind(g.campaign.id)
                        .bind(supporter)
                        .bind(reference)
                        .bind(d.amount.cents())
                        .bind(g.method)
                        .bind(g.provider)
                        .bind(d.wants_receipt)
                        .bind(&d.first_name)
                        .bind(&d.last_name)
                        .bind(d.email.as_str())
                        .bind(&d.address)
                        .bind(&d.postcode)
                        .bind(&d.city)
                        .bind(&d.country)
                        .bind(g.locale)
                        .bind(now)
                        .fetch_one(&mut **tx)
                        .await
                        .map_err($crate::error::conflict_on_unique("pledge reference"))?,
                    ),
                    None => None,
                };
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO gifts (org_id, campaign_id, supporter_id, amount_cents, frequency, status, method, \
                     provider, provider_ref, wants_receipt, consent_newsletter, first_name, last_name, email, address, \
                     postcode, city, country, locale, created_at, pledge_id, tip_cents) \
                     VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
                     $18, $19, $20, $21) RETURNING id",
                )
                .bind(g.campaign.org_id)
                .bind(g.campaign.id)
                .bind(supporter)
                .bind(d.amount.cents())
                .bind(d.frequency.as_str())
                .bind(g.method)
                .bind(g.provider)
                .bind(g.provider_ref)
                .bind(d.wants_receipt)
                .bind(d.consent_newsletter)
                .bind(&d.first_name)
                .bind(&d.last_name)
                .bind(d.email.as_str())
                .bind(&d.address)
                .bind(&d.postcode)
                .bind(&d.city)
                .bind(&d.country)
                .bind(g.locale)
                .bind(now)
                .bind(pledge_id)
                .bind(g.tip_cents.max(0))
                .fetch_one(&mut **tx)
                .await
                .map_err($crate::error::conflict_on_unique("payment reference"))?;
                // The number a donor gives is their latest: it replaces an older one.
                if let Some(phone) = &d.phone {
                    sqlx::query("UPDATE supporters SET phone = $2, updated_at = $3 WHERE id = $1")
                        .bind(supporter)
                        .bind(phone.as_str())
                        .bind(now)
                        .execute(&mut **tx)
                        .await?;
                }
                if d.consent_impact {
                    // One box, recorded per channel it covers, with the words shown.
                    let channels: &[&str] = if d.phone.is_some() { &["email", "sms"] } else { &["email"] };
                    for channel in channels {
                        sqlx::query(
                            "INSERT INTO consents (org_id, supporter_id, channel, purpose, granted, wording, source, \
                             ip_hash, created_at) VALUES ($1, $2, $3, $4, TRUE, $5, $6, '', $7)",
                        )
                        .bind(g.campaign.org_id)
                        .bind(supporter)
                        .bind(*channel)
                        .bind(relais_core::impact::PURPOSE)
                        .bind(g.impact_wording)
                        .bind(format!("/d/{}", g.campaign.slug))
                        .bind(now)
                        .execute(&mut **tx)
                        .await?;
                    }
                }
                if d.consent_newsletter {
                    sqlx::query(
                        "INSERT INTO consents (org_id, supporter_id, channel, purpose, granted, wording, source, \
                         ip_hash, created_at) VALUES ($1, $2, 'email', 'newsletter', TRUE, $3, $4, '', $5)",
                    )
                    .bind(g.campaign.org_id)
                    .bind(supporter)
                    .bind(g.newsletter_wording)
                    .bind(format!("/d/{}", g.campaign.slug))
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(id)
            }

            /// Marks a pending gift paid inside `tx`: what
            /// [`crate::DonationStore::complete_gift_at`] does, for one gift of a larger
            /// transaction. The caller wakes the delivery worker after commit.
            pub(crate) async fn complete_in(
                tx: &mut $crate::write_tx::WriteTx<$db>,
                provider_ref: &str,
                paid_at: i64,
                now: i64,
            ) -> $crate::StoreResult<Option<($crate::Gift, Option<$crate::Receipt>)>> {
                // Only a pending gift becomes paid: a confirmation delivered twice,
                // late or out of order counts the gift once.
                let sql = format!(
                    "UPDATE gifts SET status = 'paid', paid_at = $2 WHERE provider_ref = $1 AND status = 'pending' \
                     RETURNING {}",
                    $crate::donation_model::GIFT_COLUMNS
                );
                let gift: Option<$crate::Gift> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(provider_ref)
                    .bind(paid_at)
                    .fetch_optional(&mut **tx)
                    .await?;
                let Some(gift) = gift else {
                    return Ok(None);
                };
                // The first confirmed payment makes a monthly pledge active; a
                // SEPA collection counts on its mandate (the next one is RCUR).
                sqlx::query("UPDATE pledges SET status = 'active', activated_at = $2 WHERE id = $1 AND status = 'pending'")
                    .bind(gift.pledge_id)
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
                sqlx::query(
                    "UPDATE mandates SET collected = collected + 1 \
                     WHERE id = (SELECT mandate_id FROM gifts WHERE id = $1)",
                )
                .bind(gift.id)
                .execute(&mut **tx)
                .await?;
                sqlx::query(
                    "UPDATE campaigns SET raised_cents = raised_cents + $2, gifts_count = gifts_count + 1 WHERE id = $1",
                )
                .bind(gift.campaign_id)
                .bind(gift.amount_cents)
                .execute(&mut **tx)
                .await?;
                // Associations that send one annual receipt per donor number it in January.
                let (mode, tz): (Option<String>, String) = sqlx::query_as(
                    "SELECT p.receipt_mode, o.timezone FROM orgs o LEFT JOIN payment_settings p ON p.org_id = o.id \
                     WHERE o.id = $1",
                )
                .bind(gift.org_id)
                .fetch_one(&mut **tx)
                .await?;
                let receipt = if gift.wants_receipt && mode.as_deref() != Some("annual") {
                    let year = $crate::receipts::year_of(paid_at, &tz);
                    // The counter row is the lock: numbers come out one at a time, without gaps,
                    // and a rolled-back gift gives its number back with the transaction.
                    let number = Self::next_receipt_number(tx, gift.org_id, year).await?;
                    let sql = format!(
                        "INSERT INTO receipts (org_id, year, number, gift_id, amount_cents, issued_at, supporter_id, kind) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, 'gift') RETURNING {}",
                        $crate::donation_model::RECEIPT_COLUMNS
                    );
                    let receipt: $crate::Receipt = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(gift.org_id)
                        .bind(year)
                        .bind(&number)
                        .bind(gift.id)
                        .bind(gift.amount_cents)
                        .bind(now)
                        .bind(gift.supporter_id)
                        .fetch_one(&mut **tx)
                        .await?;
                    Some(receipt)
                } else {
                    None
                };
                // The thank-you e-mail, rendered when it leaves (it carries the receipt);
                // a donor without an address (a cheque by post) gets it from staff.
                if gift.email.ends_with(".invalid") {
                    return Ok(Some((gift, receipt)));
                }
                let payload = serde_json::to_string(&$crate::Payload {
                    deferred: Some($crate::Deferred::GiftThanks { gift: gift.id }),
                    ..Default::default()
                })
                .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
                sqlx::query(
                    "INSERT INTO outbox (org_id, channel, recipient, payload, idempotency_key, status, attempts, \
                     next_attempt_at, created_at) VALUES ($1, 'email', $2, $3, $4, 'pending', 0, $5, $5) \
                     ON CONFLICT (idempotency_key) DO NOTHING",
                )
                .bind(gift.org_id)
                .bind(&gift.email)
                .bind(payload)
                .bind(format!("gift-thanks:{}", gift.id))
                .bind(now)
                .execute(&mut **tx)
                .await?;
                Ok(Some((gift, receipt)))
            }
        }
    };
}

pub(crate) use impl_donation_store;
