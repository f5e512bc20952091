//! The newsletter: `POST /o/{org}/newsletter` (`email`, optional `first_name`)
//! sends a confirmation link; nothing about the person is stored until they click
//! it (double opt-in), and then the consent enters the ledger with its wording.
//! The answer is the same whether or not the address was subscribed already, so
//! the form tells nobody who reads the newsletter.
//!
//! The same form exists as an embeddable snippet (`/o/{org}/newsletter/widget`, or
//! `<script src="…/widget.js" data-relais-newsletter="org">`): an iframe served by
//! Relais that any association website can frame, with no cookie on the host page.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use relais_core::Email;
use relais_store::{Channel, NewMessage};

use crate::extract::{ClientIp, Lang};
use crate::render::{Brand, Chrome, page};
use crate::{AppError, Shared};

/// The confirmation link lasts a week.
const CONFIRM_DAYS: i64 = 7;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct SubscribeForm {
    email: String,
    first_name: String,
    /// Honeypot, as on the signing form.
    website: String,
    /// `1` when posted from the embedded form: answers stay in the iframe.
    embed: String,
}

#[derive(Template)]
#[template(path = "newsletter.html")]
struct NewsletterTemplate {
    c: Chrome,
    org_slug: String,
    text: String,
    error: Option<String>,
    email: String,
    first_name: String,
    embed: bool,
}

/// The embedded form: the same fields, a page of its own any site may frame.
#[derive(Template)]
#[template(path = "newsletter_widget.html")]
struct NewsletterWidgetTemplate {
    c: Chrome,
    org_name: String,
    org_slug: String,
    text: String,
    error: Option<String>,
    email: String,
    first_name: String,
    embed: bool,
}

/// The newsletter page of `org`: a message (`text`), or the form as typed with its
/// error; in the embeddable frame when `embed`.
fn newsletter_page(
    state: &crate::AppState,
    org: &relais_store::Org,
    lang: Lang,
    text: String,
    refused: Option<(String, String, String)>,
    embed: bool,
) -> Result<Response, AppError> {
    let t = state.tr(lang.or(org.locale()));
    let mut c = Chrome::new(t.clone(), t.get("newsletter-title"), &format!("/o/{}", org.slug));
    c.brand = Some(Brand::of(org));
    if embed {
        let failed = refused.is_some();
        let (error, email, first_name) = match refused {
            Some((e, email, first)) => (Some(e), email, first),
            None => (None, String::new(), String::new()),
        };
        let template = NewsletterWidgetTemplate {
            c,
            org_name: org.name.clone(),
            org_slug: org.slug.clone(),
            text,
            error,
            email,
            first_name,
            embed,
        };
        let mut response = if failed {
            crate::render::refused(&template)?
        } else {
            page(&template)?
        };
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
        return Ok(crate::routes::widget::embeddable(response));
    }
    let template = match refused {
        Some((error, email, first_name)) => NewsletterTemplate {
            c,
            org_slug: org.slug.clone(),
            text,
            error: Some(error),
            email,
            first_name,
            embed,
        },
        None => NewsletterTemplate {
            c,
            org_slug: org.slug.clone(),
            text,
            error: None,
            email: String::new(),
            first_name: String::new(),
            embed,
        },
    };
    if template.error.is_some() {
        crate::render::refused(&template)
    } else {
        page(&template)
    }
}

/// `POST /o/{org}/newsletter`.
pub(crate) async fn subscribe(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    Form(form): Form<SubscribeForm>,
) -> Result<Response, AppError> {
    let org = state.store.org_by_slug(&slug).await?.ok_or(AppError::NotFound)?;
    state.limits.signing(ip)?;
    let locale = lang.or(org.locale());
    let t = state.tr(locale);
    let embed = form.embed == "1";
    let done = Redirect::to(&if embed {
        format!("/o/{}/newsletter/widget?s=sent", org.slug)
    } else {
        format!("/o/{}/newsletter?s=sent", org.slug)
    })
    .into_response();
    if !form.website.is_empty() {
        return Ok(done);
    }
    let first_name: String = form
        .first_name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    let email = match Email::parse(&form.email) {
        Ok(e) if !relais_core::disposable::is_disposable(e.domain()) => e,
        _ => {
            let typed = (t.get("err-email"), form.email.chars().take(254).collect(), first_name);
            return newsletter_page(&state, &org, lang, String::new(), Some(typed), embed);
        }
    };
    let now = crate::now();
    let subject = format!(
        "{}:{}:{}:{}",
        org.id,
        locale.code(),
        first_name.replace(':', " "),
        email
    );
    let token = state.signer.sign("newsletter", &subject, now + CONFIRM_DAYS * 86_400);
    let link = state
        .config
        .link(&format!("/o/{}/newsletter/confirm?token={token}", org.slug));
    let payload = crate::emails::LinkEmail {
        t: &t,
        subject: t.arg("email-newsletter-subject", "org", &org.name),
        intro: t.arg("email-newsletter-intro", "org", &org.name),
        button: t.get("email-newsletter-button"),
        link,
        from_name: Some(org.name.clone()),
    }
    .payload()?;
    // One confirmation a day per address: a form submitted again does not flood it.
    state
        .store
        .enqueue(
            &NewMessage {
                org_id: Some(org.id),
                channel: Channel::Email,
                recipient: email.to_string(),
                payload,
                idempotency_key: format!("newsletter:{}:{email}:{}", org.id, now / 86_400),
            },
            now,
        )
        .await?;
    Ok(done)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct PageQuery {
    s: String,
    token: String,
}

/// `GET /o/{org}/newsletter?s=sent`: "check your inbox".
pub(crate) async fn sent(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    form_page(&state, &slug, lang, &q, false).await
}

/// `GET /o/{org}/newsletter/widget[?s=sent]`: the form to frame on another site.
pub(crate) async fn widget(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    form_page(&state, &slug, lang, &q, true).await
}

/// The form, saying "check your inbox" after a subscription (`s=sent`).
async fn form_page(
    state: &crate::AppState,
    slug: &str,
    lang: Lang,
    q: &PageQuery,
    widget: bool,
) -> Result<Response, AppError> {
    let org = state.store.org_by_slug(slug).await?.ok_or(AppError::NotFound)?;
    let t = state.tr(lang.or(org.locale()));
    let text = if q.s == "sent" {
        t.get("newsletter-sent")
    } else {
        String::new()
    };
    newsletter_page(state, &org, lang, text, None, widget)
}

/// `GET /o/{org}/newsletter/confirm?token=…`: the link in the e-mail.
pub(crate) async fn confirm(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let org = state.store.org_by_slug(&slug).await?.ok_or(AppError::NotFound)?;
    let t = state.tr(lang.or(org.locale()));
    let claims = state.signer.verify("newsletter", &q.token, crate::now()).ok();
    let parsed = claims.as_ref().and_then(|cl| {
        let mut parts = cl.subject.splitn(4, ':');
        let (org_id, locale, first_name, email) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        (org_id.parse::<i64>().ok()? == org.id).then(|| (locale.to_owned(), first_name.to_owned(), email.to_owned()))
    });
    let Some((locale, first_name, email)) = parsed else {
        return newsletter_page(&state, &org, lang, t.get("newsletter-link-invalid"), None, false);
    };
    let email = Email::parse(&email).map_err(|_| AppError::NotFound)?;
    state
        .store
        .subscribe_newsletter(
            org.id,
            &email,
            &first_name,
            &locale,
            &t.arg("newsletter-wording", "org", &org.name),
            &state.signer.fingerprint(&ip.to_string()),
            crate::now(),
        )
        .await?;
    newsletter_page(
        &state,
        &org,
        lang,
        t.arg("newsletter-confirmed", "org", &org.name),
        None,
        false,
    )
}
