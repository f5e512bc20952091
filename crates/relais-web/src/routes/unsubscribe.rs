//! Ways out and ways through: `/u/{token}` withdraws (or gives back) a consent
//! from a link in a message, `/r/{token}` counts a click on a message's link and
//! sends the reader on.
//!
//! The visible unsubscribe link opens a page with one button rather than acting on
//! GET: mail scanners open every link of a message, and would unsubscribe people
//! who never asked. Mail clients use the RFC 8058 one-click POST instead, which
//! acts at once.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::token::TokenError;

use crate::extract::{ClientIp, Lang};
use crate::render::{Brand, Chrome, page};
use crate::{AppError, AppState, Shared};

/// What a verified unsubscribe link names.
struct Subject {
    org_id: i64,
    supporter_id: i64,
    purpose: String,
    /// The channel the message came by, which the link withdraws (`email`, `sms`).
    channel: &'static str,
    /// The message to a segment the link came in, when it names one.
    message: Option<i64>,
}

fn parse(state: &AppState, token: &str) -> Result<Subject, AppError> {
    // Unsubscribe links are long-lived; an expired one must still not be refused
    // silently, but it proves nothing: treat it like a forged one. A text
    // message's link is signed for its own purpose.
    let now = crate::now();
    let (claims, channel) = match state.signer.verify("unsubscribe", token, now) {
        Ok(claims) => (claims, "email"),
        Err(_) => (
            state
                .signer
                .verify(crate::post_mail::UNSUBSCRIBE_SMS, token, now)
                .map_err(|_: TokenError| AppError::NotFound)?,
            "sms",
        ),
    };
    // `…|message:12`: the link of a message to a segment names it (purposes never hold `|`).
    let (head, origin) = match claims.subject.split_once('|') {
        Some((head, origin)) => (head, Some(origin)),
        None => (claims.subject.as_str(), None),
    };
    let message = origin
        .and_then(|o| o.strip_prefix("message:"))
        .and_then(|id| id.parse::<i64>().ok());
    let mut parts = head.splitn(3, ':');
    let (Some(org), Some(supporter), Some(purpose)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(AppError::NotFound);
    };
    Ok(Subject {
        org_id: org.parse().map_err(|_| AppError::NotFound)?,
        supporter_id: supporter.parse().map_err(|_| AppError::NotFound)?,
        purpose: purpose.to_owned(),
        channel,
        message,
    })
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribeTemplate {
    c: Chrome,
    text: String,
    subscribed: bool,
    action: String,
    /// Set after a change: what was just done.
    done: Option<String>,
}

/// What the purpose is about, in words (`petition:7:updates` → its title).
async fn describe(state: &AppState, t: &crate::i18n::Tr, purpose: &str, channel: &str) -> Result<String, AppError> {
    let petition = relais_core::post::petition_of_purpose(purpose);
    Ok(match petition {
        None if purpose == relais_core::impact::PURPOSE && channel == "sms" => t.get("unsubscribe-impact-sms"),
        None if purpose == relais_core::impact::PURPOSE => t.get("unsubscribe-impact"),
        None if purpose == "newsletter" => t.get("unsubscribe-newsletter"),
        Some(id) => {
            let title = state
                .store
                .petition_by_id(id)
                .await?
                .map(|p| p.title)
                .unwrap_or_default();
            t.arg("unsubscribe-petition", "title", &title)
        }
        None => t.get("unsubscribe-other"),
    })
}

async fn show(state: &AppState, token: &str, lang: Lang, done: Option<&str>) -> Result<Response, AppError> {
    let s = parse(state, token)?;
    let org = state.store.org_by_id(s.org_id).await?.ok_or(AppError::NotFound)?;
    let t = state.tr(lang.or(org.locale()));
    let subscribed = state
        .store
        .consent_granted(s.org_id, s.supporter_id, s.channel, &s.purpose)
        .await?;
    let mut c = Chrome::new(t.clone(), t.get("unsubscribe-title"), &format!("/u/{token}"));
    c.brand = Some(Brand::of(&org));
    let text = describe(state, &t, &s.purpose, s.channel).await?;
    page(&UnsubscribeTemplate {
        text,
        subscribed,
        action: format!("/u/{token}"),
        done: done.map(|id| t.get(id)),
        c,
    })
}

/// `GET /u/{token}`: the page with the button.
pub(crate) async fn page_get(
    State(state): State<Shared>,
    Path(token): Path<String>,
    lang: Lang,
) -> Result<Response, AppError> {
    show(&state, &token, lang, None).await
}

/// `POST /u/{token}`: `List-Unsubscribe=One-Click` (RFC 8058, from mail clients),
/// or the page's button (`action=unsubscribe|resubscribe`).
pub(crate) async fn change(
    State(state): State<Shared>,
    Path(token): Path<String>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    body: Bytes,
) -> Result<Response, AppError> {
    let s = parse(&state, &token)?;
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let one_click = field("List-Unsubscribe") == Some("One-Click");
    let granted = !one_click && field("action") == Some("resubscribe");
    let org = state.store.org_by_id(s.org_id).await?.ok_or(AppError::NotFound)?;
    let t = state.tr(lang.or(org.locale()));
    // The ledger keeps the words the person acted on.
    let wording = if granted {
        t.get("unsubscribe-again")
    } else {
        t.get("unsubscribe-button")
    };
    // A withdrawal from a message to a segment names it, so its figures count it.
    let source = match s.message {
        Some(id) => relais_core::message::unsubscribe_source(id, one_click),
        None if one_click => "list-unsubscribe".to_owned(),
        None => "/u".to_owned(),
    };
    state
        .store
        .record_consent(
            &relais_store::ConsentChange {
                org_id: s.org_id,
                supporter_id: s.supporter_id,
                channel: s.channel,
                purpose: &s.purpose,
                granted,
                wording: &wording,
                source: &source,
                ip_hash: &state.signer.fingerprint(&ip.to_string()),
            },
            crate::now(),
        )
        .await?;
    tracing::info!(
        org = s.org_id,
        purpose = %s.purpose,
        channel = s.channel,
        granted,
        %source,
        "consent changed from a message link"
    );
    if one_click {
        // Mail clients only look at the status.
        return Ok((axum::http::StatusCode::OK, "unsubscribed").into_response());
    }
    show(
        &state,
        &token,
        lang,
        Some(if granted {
            "unsubscribe-done-again"
        } else {
            "unsubscribe-done"
        }),
    )
    .await
}

/// `GET /r/{token}`: counts the click, then goes where the link said.
pub(crate) async fn click(State(state): State<Shared>, Path(token): Path<String>) -> Result<Response, AppError> {
    let now = crate::now();
    let claims = match state.signer.verify("click", &token, now) {
        Ok(claims) => Some(claims),
        // An old message's link still leads somewhere; it is just no longer counted.
        Err(TokenError::Expired) => state.signer.verify("click", &token, 0).ok(),
        Err(TokenError::Invalid) => None,
    };
    let claims = claims.ok_or(AppError::NotFound)?;
    let (head, url) = claims.subject.split_once('|').ok_or(AppError::NotFound)?;
    let mut parts = head.splitn(3, ':');
    let (Some(org), Some(supporter), Some(topic)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(AppError::NotFound);
    };
    let (org_id, supporter_id) = (
        org.parse::<i64>().map_err(|_| AppError::NotFound)?,
        supporter.parse::<i64>().ok(),
    );
    if claims.expires_at > now
        && let Err(error) = state.store.record_click(org_id, topic, supporter_id, url, now).await
    {
        // A lost count must not cost the reader their page.
        tracing::warn!(%error, "click not recorded");
    }
    Ok(Redirect::to(url).into_response())
}
