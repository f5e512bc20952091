//! What staff do with a written message: send a test to themselves (marked as a
//! test, counted nowhere), send it now after a confirmation that says how many
//! people agreed to receive it, schedule it in the association's time zone, or
//! cancel it before its fan-out starts.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::message::MessageInput;
use relais_core::role::Permission;
use relais_core::segment::SegmentInput;
use relais_store::{Channel, NewMessage};

use crate::extract::Lang;
use crate::message_mail::Mail;
use crate::render::{Chrome, page, refused};
use crate::routes::admin::admin_chrome;
use crate::routes::message_segment::{pick_of, segment_label};
use crate::routes::messages_admin::{Typed, message_page, render_with, sample_values};
use crate::session::Staff;
use crate::{AppError, Shared};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct ActionForm {
    csrf: String,
    /// `yes` once staff saw how many people it goes to.
    confirm: String,
    /// When to send (schedule): `YYYY-MM-DDTHH:MM` in the association's time zone.
    at: String,
}

/// `POST /admin/messages/{id}/test`: the message, as the preview shows it, to the
/// signed-in staff member's own address, at once.
pub(crate) async fn test(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let m = state.store.message(access, id).await?;
    let org = state.store.org(access).await?;
    let t = state.tr(org.locale());
    let mut values = sample_values(&t);
    // Sample values with the staff member's own address: a test carries no
    // supporter's data to a staff mailbox.
    values[2] = staff.user.email.clone();
    let rendered = render_with(&m.draft, &values, t.locale);
    let mut mail = Mail::new(&t, rendered, &m, &org);
    mail.test = true;
    let payload = mail.payload(&t, &org).map_err(|e| AppError::Internal(e.to_string()))?;
    // No topic: a test goes before bulk mail and is counted in no figure.
    state
        .store
        .enqueue(
            &NewMessage {
                org_id: Some(org.id),
                channel: Channel::Email,
                recipient: staff.user.email.clone(),
                payload,
                idempotency_key: format!("message-test:{id}:{}", relais_store::random_token()),
            },
            crate::now(),
        )
        .await?;
    Ok(Redirect::to(&format!("/admin/messages/{id}?done=message-test")).into_response())
}

#[derive(Template)]
#[template(path = "admin/message_confirm.html")]
struct ConfirmTemplate {
    c: Chrome,
    csrf: String,
    id: i64,
    subject: String,
    segment: String,
    /// "Send to 1 234 people who agreed?"
    question: String,
    nobody: bool,
}

/// `POST /admin/messages/{id}/send`: without `confirm=yes`, the page asking to
/// confirm with the number of people; with it, the message leaves now.
pub(crate) async fn send(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let m = state.store.message(access, id).await?;
    // A draft, or a scheduled message sent now rather than later.
    if !m.state.can_cancel() {
        return Err(AppError::Store(relais_store::StoreError::Conflict("state")));
    }
    let now = crate::now();
    if form.confirm != "yes" {
        let org = state.store.org(access).await?;
        let c = admin_chrome(
            &state,
            &staff,
            Some(&org),
            lang,
            "message-confirm-title",
            &format!("/admin/messages/{id}"),
            "messages",
        );
        let count = match SegmentInput::from_query_string(&m.segment_query).parse() {
            Ok(seg) => {
                state
                    .store
                    .count_recipients(access, &seg, &m.draft.purpose, now)
                    .await?
            }
            Err(_) => 0,
        };
        let question = c.t.arg(
            "message-confirm-question",
            "count",
            &relais_core::project::format_count(count, c.t.locale),
        );
        return page(&ConfirmTemplate {
            csrf: staff.session.csrf.clone(),
            id,
            segment: segment_label(&c.t, &m.segment_query, &m.segment_name),
            subject: m.draft.subject,
            question,
            nobody: count == 0,
            c,
        });
    }
    state.store.schedule_message(access, id, now, now).await?;
    Ok(Redirect::to(&format!("/admin/messages/{id}?done=message-sending")).into_response())
}

/// `POST /admin/messages/{id}/schedule` (`at`): refused at its field, with the form
/// kept, when it is not a date and time ahead.
pub(crate) async fn schedule(
    State(state): State<Shared>,
    staff: Staff,
    lang: Lang,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    let m = state.store.message(access, id).await?;
    let org = state.store.org(access).await?;
    let now = crate::now();
    match relais_core::message::parse_schedule(&form.at, &org.timezone, now) {
        Ok(at) => {
            state.store.schedule_message(access, id, at, now).await?;
            Ok(Redirect::to(&format!("/admin/messages/{id}?done=message-scheduled")).into_response())
        }
        Err(error) => {
            let saved = state.store.segments(access).await?;
            let typed = Typed {
                input: MessageInput::from(&m.draft),
                segment: pick_of(&m, &saved),
                at: form.at.clone(),
                errors: vec![error],
            };
            refused(&message_page(&state, &staff, lang, Some(m), typed).await?)
        }
    }
}

/// `POST /admin/messages/{id}/cancel`: only before the fan-out starts (409 after).
pub(crate) async fn cancel(
    State(state): State<Shared>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let access = staff.require(Permission::EditContent)?;
    state.store.cancel_message(access, id, crate::now()).await?;
    Ok(Redirect::to(&format!("/admin/messages/{id}?done=message-cancelled")).into_response())
}
