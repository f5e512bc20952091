//! Signing in and out: e-mailed one-time links (the default), passwords for those
//! who set one, and password reset. Answers never reveal whether an address has
//! an account.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use relais_core::token::TokenError;
use relais_core::{Email, Locale};
use relais_store::{Channel, LinkPurpose, NewLoginToken, NewMessage, random_token};

use crate::emails::LinkEmail;
use crate::extract::{ClientIp, Lang};
use crate::render::{Chrome, Errors, page, refused};
use crate::routes::public::safe_next;
use crate::session::{SESSION_COOKIE, Staff, open_session, session_cookie};
use crate::{AppError, AppState, Shared};

/// Sign-in links live this long.
pub(crate) const LOGIN_MINUTES: i64 = 30;
/// Invitations live this long (people do not read e-mail every day).
pub(crate) const INVITE_DAYS: i64 = 7;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTemplate {
    c: Chrome,
    errors: Errors,
    email: String,
    next: String,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessageTemplate {
    c: Chrome,
    text: String,
    offer_new_link: bool,
    new_link_action: &'static str,
}

#[derive(Template)]
#[template(path = "reset_request.html")]
struct ResetRequestTemplate {
    c: Chrome,
    errors: Errors,
    email: String,
}

#[derive(Template)]
#[template(path = "reset_choose.html")]
struct ResetChooseTemplate {
    c: Chrome,
    errors: Errors,
    token: String,
}

/// Builds a link e-mail to `to` in `locale`, keyed so a retried request cannot send it twice.
pub(crate) fn link_message(
    state: &AppState,
    to: &str,
    locale: Locale,
    key: String,
    org: Option<(i64, String)>,
    content: impl FnOnce(&crate::i18n::Tr) -> (String, String, String),
    link: String,
) -> Result<NewMessage, AppError> {
    let t = state.tr(locale);
    let (subject, intro, button) = content(&t);
    let (org_id, from_name) = org.map_or((None, None), |(id, name)| (Some(id), Some(name)));
    let payload = LinkEmail {
        t: &t,
        subject,
        intro,
        button,
        link,
        from_name,
    }
    .payload()?;
    Ok(NewMessage {
        org_id,
        channel: Channel::Email,
        recipient: to.to_owned(),
        payload,
        idempotency_key: key,
    })
}

/// Issues a one-time sign-in link; e-mails it when `send_to` is given.
pub(crate) async fn issue_login_link(
    state: &AppState,
    user_id: i64,
    org_id: Option<i64>,
    send_to: Option<(&str, Locale)>,
) -> Result<String, AppError> {
    let now = crate::now();
    let nonce = random_token();
    let expires_at = now + LOGIN_MINUTES * 60;
    let token = state.signer.sign(LinkPurpose::Login.as_str(), &nonce, expires_at);
    let link = state.config.link(&format!("/admin/auth?token={token}"));
    let message = match send_to {
        Some((to, locale)) => Some(link_message(
            state,
            to,
            locale,
            format!("login:{nonce}"),
            None,
            |t| {
                (
                    t.get("email-login-subject"),
                    t.arg("email-login-intro", "minutes", &LOGIN_MINUTES.to_string()),
                    t.get("email-login-button"),
                )
            },
            link.clone(),
        )?),
        None => None,
    };
    let record = NewLoginToken {
        nonce,
        user_id,
        purpose: LinkPurpose::Login,
        org_id,
        expires_at,
    };
    state.store.issue_link(&record, message.as_ref(), now).await?;
    Ok(link)
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct LoginQuery {
    #[serde(default)]
    next: Option<String>,
}

fn login_form(state: &AppState, locale: Locale, errors: Errors, email: String, next: String) -> LoginTemplate {
    let t = state.tr(locale);
    LoginTemplate {
        c: Chrome::new(t.clone(), t.get("login-title"), "/admin/login"),
        errors,
        email,
        next,
    }
}

/// `GET /admin/login`.
pub(crate) async fn login_page(
    State(state): State<Shared>,
    lang: Lang,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let next = safe_next(q.next.as_deref(), "/admin");
    page(&login_form(
        &state,
        lang.resolve(),
        Errors::default(),
        String::new(),
        next,
    ))
}

#[derive(serde::Deserialize)]
pub(crate) struct LinkRequest {
    #[serde(default)]
    email: String,
    #[serde(default)]
    next: String,
}

fn message_page(
    state: &AppState,
    locale: Locale,
    title: &str,
    text: String,
    new_link_action: Option<&'static str>,
) -> MessageTemplate {
    let t = state.tr(locale);
    MessageTemplate {
        c: Chrome::new(t.clone(), t.get(title), "/admin/login"),
        text,
        offer_new_link: new_link_action.is_some(),
        new_link_action: new_link_action.unwrap_or(""),
    }
}

/// `POST /admin/login`: e-mails a sign-in link to staff.
pub(crate) async fn send_login_link(
    State(state): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    Form(form): Form<LinkRequest>,
) -> Result<Response, AppError> {
    let locale = lang.resolve();
    let email = match Email::parse(&form.email) {
        Ok(e) => e,
        Err(_) => {
            let t = state.tr(locale);
            let errors = Errors::one("email", t.get("err-email"));
            return refused(&login_form(
                &state,
                locale,
                errors,
                form.email,
                safe_next(Some(&form.next), "/admin"),
            ));
        }
    };
    state.limits.sign_in(ip, Some(email.as_str()))?;
    if let Some(user) = state.store.user_by_email(&email).await?
        && !state.store.memberships(user.id).await?.is_empty()
    {
        issue_login_link(&state, user.id, None, Some((email.as_str(), locale))).await?;
    }
    let t = state.tr(locale);
    let text = t.arg("login-sent-text", "minutes", &LOGIN_MINUTES.to_string());
    page(&message_page(&state, locale, "login-sent-title", text, None))
}

#[derive(serde::Deserialize)]
pub(crate) struct PasswordLogin {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /admin/login/password`.
pub(crate) async fn password_login(
    State(state): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(form): Form<PasswordLogin>,
) -> Result<Response, AppError> {
    let locale = lang.resolve();
    let next = safe_next(Some(&form.next), "/admin");
    let email = Email::parse(&form.email).ok();
    state.limits.sign_in(ip, email.as_ref().map(Email::as_str))?;
    let user = match &email {
        Some(e) => state.store.user_by_email(e).await?,
        None => None,
    };
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = crate::password::verify(form.password, stored).await?;
    match user {
        Some(user) if ok => {
            let cookie = open_session(&state, user.id, None).await?;
            Ok((jar.add(cookie), Redirect::to(&next)).into_response())
        }
        _ => {
            let t = state.tr(locale);
            let errors = Errors::one("password", t.get("login-failed"));
            refused(&login_form(&state, locale, errors, form.email, next))
        }
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn link_problem(
    state: &AppState,
    locale: Locale,
    error: &TokenError,
    action: &'static str,
) -> Result<Response, AppError> {
    let t = state.tr(locale);
    let (title, text) = match error {
        TokenError::Expired => ("link-expired-title", t.get("link-expired-text")),
        TokenError::Invalid => ("link-invalid-title", t.get("link-invalid-text")),
    };
    let status = axum::http::StatusCode::BAD_REQUEST;
    Ok((status, page(&message_page(state, locale, title, text, Some(action)))?).into_response())
}

/// `GET /admin/auth?token=…`: uses a one-time sign-in link.
pub(crate) async fn consume_login_link(
    State(state): State<Shared>,
    lang: Lang,
    jar: CookieJar,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let locale = lang.resolve();
    let now = crate::now();
    let claims = match state.signer.verify(LinkPurpose::Login.as_str(), &q.token, now) {
        Ok(c) => c,
        Err(e) => return link_problem(&state, locale, &e, "/admin/login"),
    };
    let Some(used) = state
        .store
        .consume_link(&claims.subject, LinkPurpose::Login, now)
        .await?
    else {
        return link_problem(&state, locale, &TokenError::Invalid, "/admin/login");
    };
    if let Some(old) = jar.get(SESSION_COOKIE) {
        state
            .store
            .delete_session(&relais_store::hash_secret(old.value()))
            .await?;
    }
    let cookie = open_session(&state, used.user_id, used.org_id).await?;
    Ok((jar.add(cookie), Redirect::to("/admin")).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// `POST /admin/logout`.
pub(crate) async fn logout(
    State(state): State<Shared>,
    staff: Staff,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    state.store.delete_session(&staff.session.id_hash).await?;
    let expired = session_cookie(&state, String::new(), 0);
    Ok((jar.remove(expired), Redirect::to("/admin/login")).into_response())
}

/// `GET /admin/password/forgot`.
pub(crate) async fn forgot_page(State(state): State<Shared>, lang: Lang) -> Result<Response, AppError> {
    let t = state.tr(lang.resolve());
    let c = Chrome::new(t.clone(), t.get("reset-title"), "/admin/password/forgot");
    page(&ResetRequestTemplate {
        c,
        errors: Errors::default(),
        email: String::new(),
    })
}

/// `POST /admin/password/forgot`: e-mails a reset link.
pub(crate) async fn send_reset_link(
    State(state): State<Shared>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    Form(form): Form<LinkRequest>,
) -> Result<Response, AppError> {
    let locale = lang.resolve();
    let t = state.tr(locale);
    let Ok(email) = Email::parse(&form.email) else {
        let c = Chrome::new(t.clone(), t.get("reset-title"), "/admin/password/forgot");
        return refused(&ResetRequestTemplate {
            c,
            errors: Errors::one("email", t.get("err-email")),
            email: form.email,
        });
    };
    state.limits.sign_in(ip, Some(email.as_str()))?;
    if let Some(user) = state.store.user_by_email(&email).await? {
        let now = crate::now();
        let nonce = random_token();
        let expires_at = now + LOGIN_MINUTES * 60;
        let token = state
            .signer
            .sign(LinkPurpose::PasswordReset.as_str(), &nonce, expires_at);
        let link = state.config.link(&format!("/admin/password/reset?token={token}"));
        let minutes = LOGIN_MINUTES.to_string();
        let message = link_message(
            &state,
            email.as_str(),
            locale,
            format!("reset:{nonce}"),
            None,
            |t| {
                (
                    t.get("email-reset-subject"),
                    t.arg("email-reset-intro", "minutes", &minutes),
                    t.get("email-reset-button"),
                )
            },
            link,
        )?;
        let record = NewLoginToken {
            nonce,
            user_id: user.id,
            purpose: LinkPurpose::PasswordReset,
            org_id: None,
            expires_at,
        };
        state.store.issue_link(&record, Some(&message), now).await?;
    }
    let text = t.arg("reset-sent-text", "minutes", &LOGIN_MINUTES.to_string());
    page(&message_page(&state, locale, "login-sent-title", text, None))
}

fn choose_form(state: &AppState, locale: Locale, errors: Errors, token: String) -> ResetChooseTemplate {
    let t = state.tr(locale);
    ResetChooseTemplate {
        c: Chrome::new(t.clone(), t.get("reset-choose-title"), "/admin/password/forgot"),
        errors,
        token,
    }
}

/// `GET /admin/password/reset?token=…`: the form (the link is used on submit).
pub(crate) async fn reset_page(
    State(state): State<Shared>,
    lang: Lang,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let locale = lang.resolve();
    if let Err(e) = state
        .signer
        .verify(LinkPurpose::PasswordReset.as_str(), &q.token, crate::now())
    {
        return link_problem(&state, locale, &e, "/admin/password/forgot");
    }
    page(&choose_form(&state, locale, Errors::default(), q.token))
}

#[derive(serde::Deserialize)]
pub(crate) struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

/// Translated policy error for a new password, if any.
pub(crate) fn password_errors(t: &crate::i18n::Tr, password: &str) -> Option<Errors> {
    use relais_core::password::{PasswordError, check};
    check(password).err().map(|e| {
        let id = match e {
            PasswordError::TooShort => "err-password-short",
            PasswordError::TooLong => "err-password-long",
        };
        Errors::one("password", t.get(id))
    })
}

/// `POST /admin/password/reset`: sets the password and signs in.
pub(crate) async fn reset_password(
    State(state): State<Shared>,
    lang: Lang,
    jar: CookieJar,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    let locale = lang.resolve();
    let now = crate::now();
    let claims = match state
        .signer
        .verify(LinkPurpose::PasswordReset.as_str(), &form.token, now)
    {
        Ok(c) => c,
        Err(e) => return link_problem(&state, locale, &e, "/admin/password/forgot"),
    };
    if let Some(errors) = password_errors(&state.tr(locale), &form.password) {
        return refused(&choose_form(&state, locale, errors, form.token));
    }
    let Some(used) = state
        .store
        .consume_link(&claims.subject, LinkPurpose::PasswordReset, now)
        .await?
    else {
        return link_problem(&state, locale, &TokenError::Invalid, "/admin/password/forgot");
    };
    let hash = crate::password::hash(form.password).await?;
    state.store.set_password_hash(used.user_id, Some(&hash)).await?;
    let cookie = open_session(&state, used.user_id, None).await?;
    Ok((jar.add(cookie), Redirect::to("/admin?done=password")).into_response())
}
