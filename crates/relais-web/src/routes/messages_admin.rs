//! Messages to a segment in the back office: the list with each message's figures,
//! writing and editing a draft (`/admin/messages/new`, `/admin/messages/{id}`) with
//! its preview for a real person of the segment and the number of people who agreed
//! to receive it. Sending, scheduling, testing and cancelling are in
//! `message_send_admin.rs`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::Locale;
use relais_core::message::{MergeValues, MessageDraft, MessageInput, MessageState, PURPOSES, RenderedMessage};
use relais_core::role::Permission;
use relais_core::segment::SegmentInput;
use relais_core::settings::FieldError;
use relais_store::{Message, MessageSegment, MessageStats, Org, OrgAccess};

use crate::extract::Lang;
use crate::i18n::Tr;
use crate::render::{Chrome, Errors, local_time, page, refused};
use crate::routes::admin::admin_chrome;
use crate::routes::message_segment::{Pick, pick, pick_of, segment_label};
use crate::session::Staff;
use crate::{AppError, Shared};

/// The first person the message would reach, else sample values: `(whose, values)`.
pub(crate) async fn preview_person(
    state: &Shared,
    access: &OrgAccess,
    query: &str,
    purpose: &str,
    t: &Tr,
) -> Result<(Option<String>, [String; 4]), AppError> {
    if let Ok(seg) = SegmentInput::from_query_string(query).parse()
        && let Some(p) = state
            .store
            .sample_recipients(access, &seg, purpose, 1, crate::now())
            .await?
            .pop()
    {
        let name = [p.first_name.trim(), p.last_name.trim()]
            .into_iter()
            .filter(|n| !n.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let whose = if name.is_empty() {
            p.email.clone()
        } else {
            format!("{name} <{}>", p.email)
        };
        return Ok((Some(whose), [p.first_name, p.last_name, p.email, p.postcode]));
    }
    Ok((None, sample_values(t)))
}

/// Values for a preview or a test that shows no one's data.
pub(crate) fn sample_values(t: &Tr) -> [String; 4] {
    [
        t.get("message-sample-first-name"),
        t.get("message-sample-last-name"),
        "camille@example.org".into(),
        "69003".into(),
    ]
}

/// Renders a draft with `values` and untracked links (previews and tests).
pub(crate) fn render_with(draft: &MessageDraft, values: &[String; 4], locale: Locale) -> RenderedMessage {
    let values = MergeValues {
        first_name: &values[0],
        last_name: &values[1],
        email: &values[2],
        postcode: &values[3],
    };
    relais_core::message::render(draft, &values, locale, str::to_owned)
}

/// A row of the list.
struct Row {
    id: i64,
    subject: String,
    segment: String,
    state: String,
    when: String,
    stats: MessageStats,
}

#[derive(Template)]
#[template(path = "admin/messages.html")]
struct ListTemplate {
    c: Chrome,
    rows: Vec<Row>,
}

/// What a message's state is called, and the date that goes with it.
fn state_line(t: &Tr, m: &Message, tz: &str) -> (String, String) {
    let when = match m.state {
        MessageState::Sent => m.fanout_done_at,
        MessageState::Scheduled | MessageState::Sending => m.scheduled_at,
        _ => Some(m.updated_at),
    };
    (
        t.get(&format!("message-state-{}", m.state.as_str())),
        when.map(|w| local_time(w, tz)).unwrap_or_default(),
    )
}

/// `GET /admin/messages`.
pub(crate) async fn list(State(state): State<Shared>, staff: Staff, lang: Lang) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let org = state.store.org(access).await?;
    let c = admin_chrome(
        &state,
        &staff,
        Some(&org),
        lang,
        "messages-title",
        "/admin/messages",
        "messages",
    );
    let mut rows = Vec::new();
    // The latest fifty: figures are read per message.
    for m in state.store.messages(access).await?.into_iter().take(50) {
        let stats = state.store.message_stats(access, m.id).await?;
        let (state_name, when) = state_line(&c.t, &m, &org.timezone);
        rows.push(Row {
            id: m.id,
            segment: segment_label(&c.t, &m.segment_query, &m.segment_name),
            subject: m.draft.subject,
            state: state_name,
            when,
            stats,
        });
    }
    page(&ListTemplate { c, rows })
}

#[derive(Template)]
#[template(path = "admin/message.html")]
pub(crate) struct MessageTemplate {
    pub c: Chrome,
    pub csrf: String,
    /// The stored message (none while writing a new one).
    pub message: Option<Message>,
    pub editable: bool,
    pub input: MessageInput,
    pub purposes: &'static [&'static str],
    /// `(value, label)` of each segment choice, and the chosen one.
    pub segments: Vec<(String, String)>,
    pub segment: String,
    pub errors: Errors,
    /// "Will be sent to 1 234 people who agreed."
    pub reach: Option<String>,
    /// `(whose, subject, html or text)`.
    pub preview: Option<(String, String, Option<String>, String)>,
    /// The schedule field as typed, and its earliest value.
    pub at: String,
    pub min_at: String,
    pub state_name: String,
    pub when: String,
    pub stats: Option<MessageStats>,
    pub segment_name: String,
}

/// What the message page needs besides the message: the typed fields and errors.
pub(crate) struct Typed {
    pub input: MessageInput,
    pub segment: String,
    pub at: String,
    pub errors: Vec<FieldError>,
}

/// The message page: the form (new or draft), the preview, the actions, the figures.
pub(crate) async fn message_page(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    message: Option<Message>,
    typed: Typed,
) -> Result<MessageTemplate, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let org: Org = state.store.org(access).await?;
    let path = message.as_ref().map_or_else(
        || "/admin/messages/new".to_owned(),
        |m| format!("/admin/messages/{}", m.id),
    );
    let title = if message.is_some() {
        "message-title"
    } else {
        "message-new-title"
    };
    let c = admin_chrome(state, staff, Some(&org), lang, title, &path, "messages");
    let saved = state.store.segments(access).await?;
    let mut segments = vec![(String::new(), c.t.get("message-segment-everyone"))];
    segments.extend(saved.iter().map(|s| (format!("saved:{}", s.id), s.name.clone())));
    if let Some(query) = typed.segment.strip_prefix("query:") {
        segments.push((
            typed.segment.clone(),
            c.t.arg("message-segment-filters", "query", query),
        ));
    }
    let now = crate::now();
    // The preview and the count follow what is stored; a refused form shows them as they were.
    let (reach, preview) = match &message {
        Some(m) => {
            let count = match SegmentInput::from_query_string(&m.segment_query).parse() {
                Ok(seg) => {
                    state
                        .store
                        .count_recipients(access, &seg, &m.draft.purpose, now)
                        .await?
                }
                Err(_) => 0,
            };
            let formatted = relais_core::project::format_count(count, c.t.locale);
            let reach = c.t.arg("message-reach", "count", &formatted);
            let (whose, values) = preview_person(state, access, &m.segment_query, &m.draft.purpose, &c.t).await?;
            let rendered = render_with(&m.draft, &values, c.t.locale);
            let whose = match whose {
                Some(w) => c.t.arg("message-preview-for", "who", &w),
                None => c.t.get("message-preview-sample"),
            };
            (
                Some(reach),
                Some((whose, rendered.subject, rendered.html, rendered.text)),
            )
        }
        None => (None, None),
    };
    let (state_name, when) = message
        .as_ref()
        .map(|m| state_line(&c.t, m, &org.timezone))
        .unwrap_or_default();
    let stats = match &message {
        Some(m) if !m.state.is_draft() => Some(state.store.message_stats(access, m.id).await?),
        _ => None,
    };
    let min_at = jiff::Timestamp::from_second(now + 60)
        .ok()
        .map(|ts| {
            let zone = jiff::tz::TimeZone::get(&org.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
            ts.to_zoned(zone).strftime("%Y-%m-%dT%H:%M").to_string()
        })
        .unwrap_or_default();
    Ok(MessageTemplate {
        errors: Errors::from_fields(&c.t, &typed.errors),
        csrf: staff.session.csrf.clone(),
        editable: message.as_ref().is_none_or(|m| m.state.is_draft()),
        segment_name: message
            .as_ref()
            .map(|m| segment_label(&c.t, &m.segment_query, &m.segment_name))
            .unwrap_or_default(),
        message,
        input: typed.input,
        purposes: &PURPOSES,
        segments,
        segment: typed.segment,
        reach,
        preview,
        at: typed.at,
        min_at,
        state_name,
        when,
        stats,
        c,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct NewQuery {
    segment: String,
}

/// `GET /admin/messages/new[?segment=saved:ID|query:…]` (the people list links here).
pub(crate) async fn new(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let saved = state.store.segments(access).await?;
    // A choice that no longer holds (a deleted segment) falls back to everyone who agreed.
    let segment = pick(&q.segment, &saved).map(|p| p.value).unwrap_or_default();
    let typed = Typed {
        input: MessageInput {
            html: "on".into(),
            ..Default::default()
        },
        segment,
        at: String::new(),
        errors: Vec::new(),
    };
    page(&message_page(&state, &staff, lang, None, typed).await?)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct MessageForm {
    csrf: String,
    subject: String,
    body: String,
    html: String,
    purpose: String,
    segment: String,
}

impl MessageForm {
    fn input(&self) -> MessageInput {
        MessageInput {
            subject: self.subject.clone(),
            body: self.body.clone(),
            html: self.html.clone(),
            purpose: self.purpose.clone(),
        }
    }
}

/// Checks a posted form: the draft and the segment, or the page to show again.
async fn checked(
    state: &Shared,
    staff: &Staff,
    lang: Lang,
    form: &MessageForm,
    message: Option<Message>,
) -> Result<Result<(MessageDraft, Pick), Response>, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let saved = state.store.segments(access).await?;
    let input = form.input();
    let (draft, mut errors) = match input.parse() {
        Ok(draft) => (Some(draft), Vec::new()),
        Err(errors) => (None, errors),
    };
    let picked = match pick(&form.segment, &saved) {
        Ok(picked) => Some(picked),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    if let (Some(draft), Some(picked)) = (draft, picked) {
        return Ok(Ok((draft, picked)));
    }
    let typed = Typed {
        input,
        segment: form.segment.clone(),
        at: String::new(),
        errors,
    };
    Ok(Err(refused(&message_page(state, staff, lang, message, typed).await?)?))
}

/// `POST /admin/messages`: saves a new draft.
pub(crate) async fn create(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Form(form): Form<MessageForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let (draft, picked) = match checked(&state, &staff, lang, &form, None).await? {
        Ok(ok) => ok,
        Err(page) => return Ok(page),
    };
    let segment = MessageSegment {
        query: &picked.query,
        name: &picked.name,
    };
    let m = state
        .store
        .create_message(access, &draft, segment, Some(staff.user.id), crate::now())
        .await?;
    Ok(Redirect::to(&format!("/admin/messages/{}?done=message-saved", m.id)).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct DoneQuery {
    done: String,
}

/// `GET /admin/messages/{id}`: the draft's form and preview, or the message's figures.
pub(crate) async fn show(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let access = staff.require(Permission::EditContent)?;
    let m = state.store.message(access, id).await?;
    let saved = state.store.segments(access).await?;
    let typed = Typed {
        input: MessageInput::from(&m.draft),
        segment: pick_of(&m, &saved),
        at: String::new(),
        errors: Vec::new(),
    };
    let mut template = message_page(&state, &staff, lang, Some(m), typed).await?;
    // A fixed list: a link cannot make the page say anything else.
    let notice = match q.done.as_str() {
        "message-saved" | "message-test" | "message-scheduled" | "message-sending" | "message-cancelled" => {
            Some(q.done.as_str())
        }
        _ => None,
    };
    template.c.notice = notice.map(|id| template.c.t.get(&format!("{id}-done")));
    page(&template)
}

/// `POST /admin/messages/{id}`: saves the draft's changes.
pub(crate) async fn update(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Form(form): Form<MessageForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let m = state.store.message(access, id).await?;
    let (draft, picked) = match checked(&state, &staff, lang, &form, Some(m)).await? {
        Ok(ok) => ok,
        Err(page) => return Ok(page),
    };
    let segment = MessageSegment {
        query: &picked.query,
        name: &picked.name,
    };
    state
        .store
        .update_message(access, id, &draft, segment, crate::now())
        .await?;
    Ok(Redirect::to(&format!("/admin/messages/{id}?done=message-saved")).into_response())
}
