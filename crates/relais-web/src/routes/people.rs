//! People in the back office: the list staff search (`/admin/people?q=`), a
//! person's page with their timeline and consents, the export of everything about
//! them (their right of access) and erasure (their right to be forgotten).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::role::Permission;
use relais_core::segment::SegmentInput;
use relais_core::settings::FieldError;
use relais_store::{Consent, PersonRow, SavedSegment, Supporter, TimelineEntry};

use crate::extract::Lang;
use crate::render::{Chrome, Errors, local_time, page, refused};
use crate::routes::admin::{Done, admin_chrome};
use crate::session::Staff;
use crate::{AppError, Shared};

/// People per page of the list.
const PAGE: i64 = 50;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct ListQuery {
    after: i64,
    #[serde(flatten)]
    filters: SegmentInput,
}

#[derive(Template)]
#[template(path = "admin/people.html")]
pub(crate) struct ListTemplate {
    pub c: Chrome,
    pub f: SegmentInput,
    /// The filters as a query string, for the export, paging and saving.
    pub query: String,
    pub errors: Errors,
    pub people: Vec<PersonRow>,
    /// "1 234 people" for the filters (none when they were refused).
    pub total: Option<String>,
    pub next: Option<String>,
    pub tz: String,
    pub csrf: String,
    /// The association's petitions, for the "signed" filter: `(id, title)`.
    pub petitions: Vec<(i64, String)>,
    /// Saved segments with their live counts.
    pub segments: Vec<(SavedSegment, String)>,
    /// The name typed to save the filters, kept when refused.
    pub segment_name: String,
    /// Whether any filter applies (saving everyone as a segment makes no sense).
    pub filtered: bool,
    /// Whether this staff member may change the retention policy.
    pub can_manage: bool,
}

impl ListTemplate {
    /// A message to the people the filters find.
    pub(crate) fn write_href(&self) -> String {
        let value: String = url::form_urlencoded::byte_serialize(format!("query:{}", self.query).as_bytes()).collect();
        format!("/admin/messages/new?segment={value}")
    }
}

/// The people list with its filters, counts and saved segments.
pub(crate) async fn list_page(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    (filters, after): (SegmentInput, i64),
    mut errors: Vec<FieldError>,
    segment_name: String,
) -> Result<ListTemplate, AppError> {
    // Personal data: editors and above, as for the signature export.
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let now = crate::now();
    let c = admin_chrome(
        state,
        staff,
        Some(&org),
        lang,
        "people-title",
        "/admin/people",
        "people",
    );
    let locale = c.t.locale;
    let query = filters.query_string();
    let (people, total, filtered) = match filters.parse() {
        Ok(segment) => {
            // The page and its count are independent reads: side by side on the pool.
            let (people, total) = tokio::try_join!(
                state.store.find_people(access, &segment, after, PAGE, now),
                state.store.count_people(access, &segment, now),
            )?;
            (people, Some(total), !segment.is_everyone())
        }
        Err(refused) => {
            errors.extend(refused);
            (Vec::new(), None, true)
        }
    };
    let next = (people.len() as i64 == PAGE).then(|| {
        let last = people.last().map(|p| p.id).unwrap_or_default();
        let sep = if query.is_empty() { "" } else { "&" };
        format!("/admin/people?{query}{sep}after={last}")
    });
    let total = total.map(|n| {
        c.t.arg("people-total", "count", &relais_core::project::format_count(n, locale))
    });
    // Each saved segment counted live, all at once rather than one after the other.
    let saved = state.store.segments(access).await?;
    let counts = futures_util::future::try_join_all(saved.iter().map(|s| async move {
        // A segment saved before a filter changed meaning may no longer parse: shown, not counted.
        match SegmentInput::from_query_string(&s.query).parse() {
            Ok(seg) => state.store.count_people(access, &seg, now).await.map(Some),
            Err(_) => Ok(None),
        }
    }))
    .await?;
    let segments = saved
        .into_iter()
        .zip(counts)
        .map(|(s, n)| {
            let shown = n.map_or_else(|| "—".to_owned(), |n| relais_core::project::format_count(n, locale));
            (s, shown)
        })
        .collect();
    let petitions = state
        .store
        .petitions(access)
        .await?
        .into_iter()
        .map(|p| (p.id, p.title))
        .collect();
    Ok(ListTemplate {
        errors: Errors::from_fields(&c.t, &errors),
        c,
        f: filters,
        query,
        people,
        total,
        next,
        tz: org.timezone.clone(),
        csrf: staff.session.csrf.clone(),
        petitions,
        segments,
        segment_name,
        filtered,
        can_manage: staff.can(Permission::ManageSettings),
    })
}

/// `GET /admin/people?q=…&tag=…&after=…`: filters refused get a 422 at their field.
pub(crate) async fn list(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let template = list_page(
        &state,
        &staff,
        lang,
        (query.filters, query.after),
        Vec::new(),
        String::new(),
    )
    .await?;
    if template.errors.is_empty() {
        page(&template)
    } else {
        refused(&template)
    }
}

/// A timeline entry as the page shows it.
struct Event {
    when: String,
    what: String,
    subject: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "admin/person.html")]
struct PersonTemplate {
    c: Chrome,
    p: Supporter,
    events: Vec<Event>,
    consents: Vec<(String, bool)>,
    csrf: String,
    can_erase: bool,
    created: String,
    tags: Vec<String>,
    notes: Vec<(String, String, String)>,
    /// The addresses of records merged into this one.
    aka: String,
    /// Causes the person cares about.
    interests: Vec<String>,
    /// The record form (as stored, or as typed when refused).
    record: relais_core::record::RecordInput,
    errors: Errors,
    /// Where the person first came from, in words, and the import's page if that is it.
    source: Option<(String, Option<String>)>,
    /// `(channel, label, ticked)` for the preferred-channel boxes.
    channels: Vec<(&'static str, String, bool)>,
}

/// Each purpose's latest word in the ledger, for the summary at the top.
fn current_consents(ledger: &[Consent]) -> Vec<(String, bool)> {
    let mut latest: Vec<(String, bool)> = Vec::new();
    for c in ledger {
        let key = format!("{} · {}", c.channel, c.purpose);
        match latest.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = c.granted,
            None => latest.push((key, c.granted)),
        }
    }
    latest
}

/// Statuses the store reports, in the reader's words.
const STATUSES: [&str; 7] = [
    "pending",
    "confirmed",
    "invalidated",
    "sending",
    "sent",
    "dead",
    "cancelled",
];
/// Post kinds a message may be about.
const POST_KINDS: [&str; 4] = ["update", "response", "victory", "milestone"];

/// How a timeline entry is named for the reader: messages rendered when sent are
/// stored as "kind · title" and named here in the reader's language.
pub(crate) fn entry_subject(t: &crate::i18n::Tr, e: &TimelineEntry) -> String {
    match e.subject.split_once(" · ") {
        Some((kind, rest)) if e.kind == "message" && POST_KINDS.contains(&kind) => {
            format!("{} · {rest}", t.get(&format!("post-kind-{kind}")))
        }
        // A confirmation e-mail: its subject, in the reader's words.
        Some(("confirmation", title)) if e.kind == "message" => t.arg("email-confirm-subject", "title", title),
        _ => e.subject.clone(),
    }
}

fn event(t: &crate::i18n::Tr, e: &TimelineEntry, tz: &str) -> Event {
    let subject = entry_subject(t, e);
    let detail = if STATUSES.contains(&e.detail.as_str()) {
        t.get(&format!("status-{}", e.detail))
    } else {
        e.detail.clone()
    };
    Event {
        when: local_time(e.at, tz),
        what: t.get(&format!("timeline-{}", e.kind.replace('_', "-"))),
        subject,
        detail,
    }
}

/// `GET /admin/people/{id}`.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    person_page(&state, &staff, lang, id, &done, None, &[]).await
}

/// The person's page; `record` and `errors` when their record form was refused (422).
pub(crate) async fn person_page(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    id: i64,
    done: &Done,
    record: Option<relais_core::record::RecordInput>,
    errors: &[FieldError],
) -> Result<Response, AppError> {
    let state = state.clone();
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let p = state.store.person(access, id).await?;
    let timeline = state.store.timeline(access, id).await?;
    let ledger = state.store.consents(access, id).await?;
    let mut c = admin_chrome(
        &state,
        staff,
        Some(&org),
        lang,
        "person-title",
        &format!("/admin/people/{id}"),
        "people",
    );
    c.notice = match done.done.as_deref() {
        Some("erased") => Some(c.t.get("person-erased")),
        Some("merged") => Some(c.t.get("person-merged")),
        Some("tag-refused") => Some(c.t.get("err-tag")),
        Some("record") => Some(c.t.get("person-record-saved")),
        _ => done.notice(&c.t),
    };
    let events = timeline.iter().map(|e| event(&c.t, e, &org.timezone)).collect();
    let tags = state.store.tags(access, id).await?;
    let notes = state
        .store
        .notes(access, id)
        .await?
        .into_iter()
        .map(|(at, author, body)| (local_time(at, &org.timezone), author.unwrap_or_default(), body))
        .collect();
    // Purposes name petitions by id; people read titles.
    let mut consents = current_consents(&ledger);
    for (what, _) in &mut consents {
        let purpose = what.split_once(" · ").map_or("", |(_, p)| p).to_owned();
        let label = crate::routes::me::purpose_label(&state, &c.t, &org, &purpose).await?;
        // A purpose with no words of its own keeps its channel beside it.
        if label != purpose {
            *what = label;
        }
    }
    let interests = state.store.interests(access, id).await?;
    let refused_form = record.is_some();
    let record = record.unwrap_or_else(|| relais_core::record::RecordInput {
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        phone: p.phone.clone().unwrap_or_default(),
        address: p.address.clone(),
        postcode: p.postcode.clone(),
        commune: p.commune.clone(),
        country: p.country.clone(),
        language: p.locale.clone(),
        channels: p
            .preferred_channels
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
    });
    let channels = relais_core::record::CHANNELS
        .iter()
        .map(|ch| {
            let on = record.channels.iter().any(|x| x == ch);
            (*ch, c.t.get(&format!("person-channel-{ch}")), on)
        })
        .collect();
    let source = match p.source.split_once(':') {
        Some(("import", n)) => Some((
            c.t.arg("person-source-import", "id", n),
            Some(format!("/admin/people/imports/{n}")),
        )),
        _ if ["petition", "gift", "newsletter"].contains(&p.source.as_str()) => {
            Some((c.t.get(&format!("person-source-{}", p.source)), None))
        }
        _ => None,
    };
    let template = PersonTemplate {
        source,
        interests,
        record,
        errors: Errors::from_fields(&c.t, errors),
        channels,
        events,
        consents,
        csrf: staff.session.csrf.clone(),
        can_erase: staff.can(Permission::ManageSettings),
        created: local_time(p.created_at, &org.timezone),
        aka: state
            .store
            .merged_into(access, id)
            .await?
            .into_iter()
            .map(|(email, _)| email)
            .filter(|e| !e.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        tags,
        notes,
        p,
        c,
    };
    if refused_form {
        refused(&template)
    } else {
        page(&template)
    }
}

/// `GET /admin/people/{id}/export.json`: everything Relais holds about the person,
/// as the right of access asks; the export is recorded in the audit log.
pub(crate) async fn export(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let p = state.store.person(access, id).await?;
    let timeline = state.store.timeline(access, id).await?;
    let ledger = state.store.consents(access, id).await?;
    let rows = state.store.signatures_of(access, id).await?;
    let tags = state.store.tags(access, id).await?;
    let interests = state.store.interests(access, id).await?;
    let notes = state.store.notes(access, id).await?;
    // The person is the association's (checked above): their number and the
    // impact messages they received belong in what they may see.
    let phone = state.store.impact_recipient(id).await?.and_then(|r| r.phone);
    let told = state.store.impact_messages_of(access, id).await?;
    let merged = state.store.merged_into(access, id).await?;
    state
        .store
        .audit(
            access,
            Some(staff.user.id),
            "export_person",
            &format!("supporter:{id}"),
            crate::now(),
        )
        .await?;
    let body = serde_json::json!({
        "person": {
            "id": p.id, "email": p.email, "first_name": p.first_name, "last_name": p.last_name,
            "postcode": p.postcode, "country": p.country, "language": p.locale, "created_at": p.created_at,
            "phone": phone, "address": p.address, "commune": p.commune, "latitude": p.latitude,
            "longitude": p.longitude, "source": p.source, "preferred_channels": p.preferred_channels,
        },
        "interests": interests,
        "impact_messages": told.iter().map(|(update, gift, channel)| serde_json::json!({
            "project_update": update, "gift": gift, "channel": channel,
        })).collect::<Vec<_>>(),
        "merged_from": merged.iter().map(|(email, at)| serde_json::json!({ "email": email, "at": at })).collect::<Vec<_>>(),
        "signatures": rows,
        "consents": ledger.iter().map(|c| serde_json::json!({
            "channel": c.channel, "purpose": c.purpose, "granted": c.granted, "wording": c.wording,
            "source": c.source, "at": c.created_at,
        })).collect::<Vec<_>>(),
        "timeline": timeline,
        "tags": tags,
        "staff_notes": notes.iter().map(|(at, author, body)| serde_json::json!({
            "at": at, "author": author, "text": body,
        })).collect::<Vec<_>>(),
    });
    let mut response = axum::Json(body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_DISPOSITION,
        header::HeaderValue::from_str(&format!("attachment; filename=\"person-{id}.json\""))
            .map_err(|e| AppError::Internal(e.to_string()))?,
    );
    h.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(serde::Deserialize)]
pub(crate) struct EraseForm {
    csrf: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /admin/people/{id}/erase` (`confirm=yes`).
pub(crate) async fn erase(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<EraseForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::ManageSettings)?;
    if form.confirm != "yes" {
        return Err(AppError::BadRequest("tick the box to confirm the erasure".into()));
    }
    state
        .store
        .erase_person(access, id, Some(staff.user.id), crate::now())
        .await?;
    tracing::info!(org = access.org_id(), supporter = id, "person erased");
    Ok(Redirect::to(&format!("/admin/people/{id}?done=erased")).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct TagForm {
    csrf: String,
    tag: String,
    #[serde(default)]
    action: String,
}

/// `POST /admin/people/{id}/tags` (`tag`, `action=add|remove`).
pub(crate) async fn tag(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<TagForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let Some(tag) = relais_core::tag::normalise(&form.tag) else {
        return Ok(Redirect::to(&format!("/admin/people/{id}?done=tag-refused")).into_response());
    };
    state
        .store
        .set_tag(access, id, &tag, form.action != "remove", crate::now())
        .await?;
    Ok(Redirect::to(&format!("/admin/people/{id}")).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct NoteForm {
    csrf: String,
    body: String,
}

/// `POST /admin/people/{id}/notes`.
pub(crate) async fn note(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let body = form.body.trim();
    if body.is_empty() || body.chars().count() > 5_000 {
        return Err(AppError::BadRequest("a note holds 1 to 5,000 characters".into()));
    }
    state
        .store
        .add_note(access, id, Some(staff.user.id), body, crate::now())
        .await?;
    Ok(Redirect::to(&format!("/admin/people/{id}")).into_response())
}

/// People per page of the CSV export.
const EXPORT_PAGE: i64 = 1_000;

/// `GET /admin/people.csv?…`: the people the list shows for the same filters (any
/// segment), streamed page by page (a million rows are never in memory at once);
/// the export is logged with its filters.
pub(crate) async fn export_csv(
    State(state): State<Shared>,
    staff: Staff,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?.clone();
    let segment = query
        .filters
        .parse()
        .map_err(|e| AppError::BadRequest(format!("filter `{}` refused: {}", e[0].field, e[0].code)))?;
    state
        .store
        .audit(
            &access,
            Some(staff.user.id),
            "export_people",
            &format!("query:{}", query.filters.query_string()),
            crate::now(),
        )
        .await?;
    let now = crate::now();
    let store = state.store.clone();
    Ok(crate::csv_export::stream(
        "people.csv",
        EXPORT_PAGE,
        move |after| {
            let (store, access, segment) = (store.clone(), access.clone(), segment.clone());
            async move { store.find_people(&access, &segment, after, EXPORT_PAGE, now).await }
        },
        |rows: &[PersonRow], first| {
            let mut w = csv::Writer::from_writer(Vec::new());
            let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
            if first {
                // New columns go at the end: scripts that read the first ones keep working.
                w.write_record([
                    "id",
                    "email",
                    "first_name",
                    "last_name",
                    "postcode",
                    "created_at",
                    "phone",
                    "commune",
                    "source",
                ])
                .map_err(fail)?;
            }
            for p in rows {
                let (id, created) = (p.id.to_string(), p.created_at.to_string());
                let phone = p.phone.as_deref().unwrap_or_default();
                w.write_record([
                    &id,
                    &p.email,
                    &p.first_name,
                    &p.last_name,
                    &p.postcode,
                    &created,
                    phone,
                    &p.commune,
                    &p.source,
                ])
                .map_err(fail)?;
            }
            w.into_inner().map_err(|e| AppError::Internal(format!("csv: {e}")))
        },
        |p| p.id,
        "people",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consent(purpose: &str, granted: bool) -> Consent {
        Consent {
            channel: "email".into(),
            purpose: purpose.into(),
            granted,
            wording: String::new(),
            source: String::new(),
            created_at: 0,
        }
    }

    #[test]
    fn the_latest_word_of_the_ledger_wins() {
        let ledger = [
            consent("newsletter", true),
            consent("petition:1:updates", true),
            consent("newsletter", false),
        ];
        assert_eq!(
            current_consents(&ledger),
            [
                ("email · newsletter".to_owned(), false),
                ("email · petition:1:updates".to_owned(), true)
            ]
        );
    }
}
