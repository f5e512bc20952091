//! `GET /admin/people/{id}/export.html`: everything Relais holds about a person as a
//! page people can read (and print, or save as PDF from the browser) — the right of
//! access answered in words rather than JSON. Recorded in the audit log like the
//! JSON export.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use relais_core::money::Money;
use relais_core::role::Permission;
use relais_store::Supporter;

use crate::extract::Lang;
use crate::render::{Chrome, local_time, page};
use crate::routes::admin::admin_chrome;
use crate::session::Staff;
use crate::{AppError, Shared};

#[derive(Template)]
#[template(path = "admin/person_export.html")]
struct ExportTemplate {
    c: Chrome,
    org_name: String,
    p: Supporter,
    created: String,
    generated: String,
    /// The addresses of records merged into this one.
    aka: Vec<String>,
    /// `(when, what, wording, page)`, oldest first.
    ledger: Vec<(String, String, bool, String, String)>,
    /// `(when, petition, status, comment, news, newsletter, shown)`.
    signatures: Vec<(String, String, String, String, bool, bool, bool)>,
    /// `(when, campaign, amount, frequency, status, receipt)`.
    gifts: Vec<(String, String, String, String, String, String)>,
    /// `(when, what, about, detail)` of messages and clicks.
    messages: Vec<(String, String, String, String)>,
    tags: Vec<String>,
    /// `(when, author, text)`.
    notes: Vec<(String, String, String)>,
}

/// `GET /admin/people/{id}/export.html`.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let p = state.store.person(access, id).await?;
    let c = admin_chrome(
        &state,
        &staff,
        Some(&org),
        lang,
        "person-export-title",
        &format!("/admin/people/{id}"),
        "people",
    );
    let tz = org.timezone.as_str();
    let locale = c.t.locale;
    let mut ledger = Vec::new();
    for entry in state.store.consents(access, id).await? {
        // A purpose with words of its own says its channel already.
        let label = crate::routes::me::purpose_label(&state, &c.t, &org, &entry.purpose).await?;
        let what = if label == entry.purpose {
            format!("{} · {label}", entry.channel)
        } else {
            label
        };
        ledger.push((
            local_time(entry.created_at, tz),
            what,
            entry.granted,
            entry.wording,
            entry.source,
        ));
    }
    let signatures = state
        .store
        .signatures_of(access, id)
        .await?
        .into_iter()
        .map(|s| {
            (
                local_time(s.created_at, tz),
                s.petition,
                c.t.get(&format!("status-{}", s.status)),
                s.comment.unwrap_or_default(),
                s.consent_updates,
                s.consent_newsletter,
                s.show_name,
            )
        })
        .collect();
    // Gifts as the person's own space lists them (an erased person has none left).
    let gifts = match state.store.self_access(org.id, id).await? {
        Some(who) if who.supporter_id() == id => state
            .store
            .my_gifts(&who)
            .await?
            .into_iter()
            .map(|g| {
                (
                    local_time(g.paid_at.unwrap_or(g.created_at), tz),
                    g.campaign,
                    Money::from_cents(g.amount_cents).format(locale),
                    c.t.get(&format!("donate-{}", g.frequency)),
                    c.t.get(&format!("gift-status-{}", g.status)),
                    g.receipt.unwrap_or_default(),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    let messages = state
        .store
        .timeline(access, id)
        .await?
        .into_iter()
        .filter(|e| e.kind == "message" || e.kind == "click")
        .map(|e| {
            let subject = crate::routes::people::entry_subject(&c.t, &e);
            let detail = if e.kind == "message" {
                c.t.get(&format!("status-{}", e.detail))
            } else {
                e.detail
            };
            (
                local_time(e.at, tz),
                c.t.get(&format!("timeline-{}", e.kind)),
                subject,
                detail,
            )
        })
        .collect();
    let notes = state
        .store
        .notes(access, id)
        .await?
        .into_iter()
        .map(|(at, author, body)| (local_time(at, tz), author.unwrap_or_default(), body))
        .collect();
    let aka = state
        .store
        .merged_into(access, id)
        .await?
        .into_iter()
        .map(|(email, _)| email)
        .filter(|e| !e.is_empty())
        .collect();
    let tags = state.store.tags(access, id).await?;
    let now = crate::now();
    state
        .store
        .audit(
            access,
            Some(staff.user.id),
            "export_person",
            &format!("supporter:{id}"),
            now,
        )
        .await?;
    let mut response = page(&ExportTemplate {
        org_name: org.name.clone(),
        created: local_time(p.created_at, tz),
        generated: local_time(now, tz),
        aka,
        ledger,
        signatures,
        gifts,
        messages,
        tags,
        notes,
        p,
        c,
    })?;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
