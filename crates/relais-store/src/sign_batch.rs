//! The body of [`crate::PetitionStore::sign_batch`]: a whole batch in a handful of
//! multi-row statements instead of five statements per signature. Under load the
//! group-commit writer hands over hundreds of signatures at once, and per-statement
//! overhead (a round trip to PostgreSQL, a hop to SQLite's worker thread) was what
//! bounded throughput, not the commit itself.

use std::collections::{HashMap, HashSet};

/// Builds `(a, b), (c, d), …` row values for an `IN` list of `(petition_id, text)` pairs.
pub(crate) fn push_pairs<DB>(qb: &mut sqlx::QueryBuilder<DB>, pairs: &[(i64, String)])
where
    DB: sqlx::Database,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut first = true;
    for (id, text) in pairs {
        if !first {
            qb.push(", ");
        }
        first = false;
        qb.push("(");
        qb.push_bind(*id);
        qb.push(", ");
        qb.push_bind(text.clone());
        qb.push(")");
    }
}

/// Keys of a batch, in first-seen order without repeats.
pub(crate) fn distinct<T: Clone + Eq + std::hash::Hash>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    items.into_iter().filter(|i| seen.insert(i.clone())).collect()
}

/// Which requests of a batch are new: the first request for each `(petition, email)`
/// whose row the insert returned. Later duplicates in the same batch are "already signed".
pub(crate) fn claim_new(keys: &[(i64, String)], inserted: &HashMap<(i64, String), i64>) -> Vec<Option<i64>> {
    let mut taken = HashSet::new();
    keys.iter()
        .map(|k| match inserted.get(k) {
            Some(id) if taken.insert(k.clone()) => Some(*id),
            _ => None,
        })
        .collect()
}

macro_rules! impl_sign_batch {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn sign_many(
                &self,
                requests: &[$crate::SignRequest],
                now: i64,
            ) -> $crate::StoreResult<Vec<$crate::SignOutcome>> {
                use std::collections::HashMap;
                if requests.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = self.begin_write().await?;

                // 1. Supporters: one upsert for the distinct (association, address) pairs.
                let supporter_keys =
                    $crate::sign_batch::distinct(requests.iter().map(|r| (r.org_id, r.draft.email.to_string())));
                let first_of: HashMap<&(i64, String), &$crate::SignRequest> = supporter_keys
                    .iter()
                    .filter_map(|k| {
                        requests.iter().find(|r| r.org_id == k.0 && r.draft.email.as_str() == k.1).map(|r| (k, r))
                    })
                    .collect();
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO supporters (org_id, email, first_name, last_name, postcode, country, locale, \
                     created_at, updated_at, source) ",
                );
                qb.push_values(supporter_keys.iter(), |mut b, k| {
                    let r = first_of[k];
                    b.push_bind(r.org_id)
                        .push_bind(r.draft.email.as_str())
                        .push_bind(&r.draft.first_name)
                        .push_bind(&r.draft.last_name)
                        .push_bind(&r.draft.postcode)
                        .push_bind(&r.draft.country)
                        .push_bind(&r.locale)
                        .push_bind(now)
                        .push_bind(now)
                        // Where the person first came from; a later action keeps it.
                        .push("'petition'");
                });
                qb.push(
                    " ON CONFLICT (org_id, email) DO UPDATE SET updated_at = excluded.updated_at \
                     RETURNING id, org_id, email",
                );
                let supporters: HashMap<(i64, String), i64> = qb
                    .build_query_as::<(i64, i64, String)>()
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .map(|(id, org, email)| ((org, email), id))
                    .collect();

                // 2. Who brought them: resolve the referral codes of the batch at once.
                let codes: Vec<(i64, String)> = $crate::sign_batch::distinct(
                    requests.iter().filter_map(|r| r.referred_by_code.clone().map(|c| (r.petition_id, c))),
                );
                let mut referrers: HashMap<(i64, String), i64> = HashMap::new();
                if !codes.is_empty() {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT petition_id, ref_code, id FROM signatures WHERE ref_code <> '' AND (petition_id, ref_code) IN (",
                    );
                    $crate::sign_batch::push_pairs(&mut qb, &codes);
                    qb.push(")");
                    for (pid, code, id) in qb.build_query_as::<(i64, String, i64)>().fetch_all(&mut *tx).await? {
                        referrers.insert((pid, code), id);
                    }
                }

                // 3. Signatures: the unique key decides, also against concurrent batches.
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO signatures (petition_id, org_id, supporter_id, email, first_name, last_name, \
                     postcode, country, commune, department, comment, show_name, consent_updates, consent_newsletter, \
                     status, ip_hash, network_hash, locale, created_at, email_domain, ref_code, source_channel, \
                     referrer_site, referred_by) ",
                );
                qb.push_values(requests.iter(), |mut b, r| {
                    let d = &r.draft;
                    let supporter = supporters.get(&(r.org_id, d.email.to_string())).copied().unwrap_or_default();
                    let referred_by = r
                        .referred_by_code
                        .as_ref()
                        .and_then(|c| referrers.get(&(r.petition_id, c.clone())).copied());
                    b.push_bind(r.petition_id)
                        .push_bind(r.org_id)
                        .push_bind(supporter)
                        .push_bind(d.email.as_str())
                        .push_bind(&d.first_name)
                        .push_bind(&d.last_name)
                        .push_bind(&d.postcode)
                        .push_bind(&d.country)
                        .push_bind(&r.commune)
                        .push_bind(&r.department)
                        .push_bind(&d.comment)
                        .push_bind(r.show_name)
                        .push_bind(d.consent_updates)
                        .push_bind(d.consent_newsletter)
                        .push_bind("pending")
                        .push_bind(&r.ip_hash)
                        .push_bind(&r.network_hash)
                        .push_bind(&r.locale)
                        .push_bind(now)
                        .push_bind(d.email.domain())
                        .push_bind(&r.ref_code)
                        .push_bind(&r.source_channel)
                        .push_bind(&r.referrer_site)
                        .push_bind(referred_by);
                });
                qb.push(" ON CONFLICT (petition_id, email) DO NOTHING RETURNING id, petition_id, email");
                let inserted: HashMap<(i64, String), i64> = qb
                    .build_query_as::<(i64, i64, String)>()
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .map(|(id, pid, email)| ((pid, email), id))
                    .collect();
                let keys: Vec<(i64, String)> = requests.iter().map(|r| (r.petition_id, r.draft.email.to_string())).collect();
                let new_ids = $crate::sign_batch::claim_new(&keys, &inserted);

                // 4. The others had signed before: their status and code, for a kind answer.
                let earlier_keys: Vec<(i64, String)> =
                    $crate::sign_batch::distinct(keys.iter().zip(&new_ids).filter(|(_, id)| id.is_none()).map(|(k, _)| k.clone()));
                let mut earlier: HashMap<(i64, String), (String, String)> = HashMap::new();
                if !earlier_keys.is_empty() {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT petition_id, email, status, ref_code FROM signatures WHERE (petition_id, email) IN (",
                    );
                    $crate::sign_batch::push_pairs(&mut qb, &earlier_keys);
                    qb.push(")");
                    for (pid, email, status, code) in
                        qb.build_query_as::<(i64, String, String, String)>().fetch_all(&mut *tx).await?
                    {
                        earlier.insert((pid, email), (status, code));
                    }
                }

                // 5. Consents (the exact wording), then the confirmation e-mails, of the new ones.
                let fresh: Vec<(&$crate::SignRequest, i64)> =
                    requests.iter().zip(&new_ids).filter_map(|(r, id)| id.map(|id| (r, id))).collect();
                let mut consents = Vec::new();
                for (r, id) in &fresh {
                    let supporter = supporters.get(&(r.org_id, r.draft.email.to_string())).copied().unwrap_or_default();
                    if r.draft.consent_updates {
                        consents.push((*r, *id, supporter, relais_core::post::updates_purpose(r.petition_id), &r.updates_wording));
                    }
                    if r.draft.consent_newsletter {
                        consents.push((*r, *id, supporter, "newsletter".to_owned(), &r.newsletter_wording));
                    }
                }
                if !consents.is_empty() {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO consents (org_id, supporter_id, signature_id, channel, purpose, granted, wording, \
                         source, ip_hash, created_at) ",
                    );
                    qb.push_values(consents.iter(), |mut b, (r, id, supporter, purpose, wording)| {
                        b.push_bind(r.org_id)
                            .push_bind(*supporter)
                            .push_bind(*id)
                            .push_bind("email")
                            .push_bind(purpose)
                            .push_bind(true)
                            .push_bind(*wording)
                            .push_bind(&r.source)
                            .push_bind(&r.ip_hash)
                            .push_bind(now);
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                if !fresh.is_empty() {
                    let payloads = fresh
                        .iter()
                        .map(|(r, _)| serde_json::to_string(&r.confirmation.payload))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| $crate::StoreError::Corrupt(format!("payload: {e}")))?;
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO outbox (org_id, channel, recipient, payload, idempotency_key, status, attempts, \
                         next_attempt_at, created_at) ",
                    );
                    qb.push_values(fresh.iter().zip(&payloads), |mut b, ((r, _), payload)| {
                        let m = &r.confirmation;
                        b.push_bind(m.org_id)
                            .push_bind(m.channel.as_str())
                            .push_bind(&m.recipient)
                            .push_bind(payload)
                            .push_bind(&m.idempotency_key)
                            .push_bind("pending")
                            .push_bind(0_i64)
                            .push_bind(now)
                            .push_bind(now);
                    });
                    qb.push(" ON CONFLICT (idempotency_key) DO NOTHING");
                    qb.build().execute(&mut *tx).await?;
                }

                // 6. Counters move in the same transaction as the rows they count.
                let mut added: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
                for (r, _) in &fresh {
                    *added.entry(r.petition_id).or_default() += 1;
                }
                for (petition_id, n) in added {
                    sqlx::query("UPDATE petitions SET pending_count = pending_count + $2 WHERE id = $1")
                        .bind(petition_id)
                        .bind(n)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                if !fresh.is_empty() {
                    self.notify_enqueued();
                }
                Ok(keys
                    .iter()
                    .zip(new_ids)
                    .map(|(k, id)| match id {
                        Some(_) => $crate::SignOutcome::Pending,
                        None => {
                            let (status, ref_code) = earlier.get(k).cloned().unwrap_or_default();
                            $crate::SignOutcome::AlreadySigned { confirmed: status == "confirmed", ref_code }
                        }
                    })
                    .collect())
            }
        }
    };
}

pub(crate) use impl_sign_batch;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_request_for_a_signer_in_a_batch_is_new() {
        let keys = vec![
            (1, "a".to_owned()),
            (1, "b".to_owned()),
            (1, "a".to_owned()),
            (2, "a".to_owned()),
        ];
        let inserted = HashMap::from([((1, "a".to_owned()), 10), ((2, "a".to_owned()), 11)]);
        assert_eq!(claim_new(&keys, &inserted), [Some(10), None, None, Some(11)]);
    }

    #[test]
    fn distinct_keeps_first_seen_order() {
        assert_eq!(distinct([3, 1, 3, 2, 1]), [3, 1, 2]);
    }
}
