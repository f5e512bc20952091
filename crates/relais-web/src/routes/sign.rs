//! Signing: `POST /p/{slug}/sign` (form or JSON), the thank-you page, the e-mailed
//! confirmation link and the resend button.

use askama::Template;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use relais_core::places::{Places, Postcode};
use relais_core::signature::SignatureInput;
use relais_core::token::TokenError;
use relais_core::{Email, Locale};
use relais_store::{Channel, NewMessage, SignOutcome, SignRequest};
use serde::Deserialize;

use crate::extract::{ClientIp, Lang};
use crate::render::{Brand, Chrome, Errors, page, refused};
use crate::routes::petition::{petition_page, public_petition};
use crate::{AppError, AppState, Shared};

/// Accepts `true`, `"on"`, `"true"`, `"1"`, `"yes"`, `1` as yes: forms send `on`,
/// scripts send booleans.
fn bool_like<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Bool(b) => b,
        serde_json::Value::Number(n) => n.as_i64() == Some(1),
        serde_json::Value::String(s) => matches!(s.as_str(), "on" | "true" | "1" | "yes"),
        _ => false,
    })
}

/// The signing form's fields, as sent (kept to show a refused form again).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SignForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub postcode: String,
    pub country: String,
    pub comment: String,
    #[serde(deserialize_with = "bool_like")]
    pub consent_updates: bool,
    #[serde(deserialize_with = "bool_like")]
    pub consent_newsletter: bool,
    #[serde(deserialize_with = "bool_like")]
    pub show_name: bool,
    /// Honeypot: hidden from people, filled in by naive bots.
    pub website: String,
    /// Referral code of the link the signer followed.
    #[serde(rename = "ref")]
    pub referral: String,
    /// Channel of that link (`facebook`, `whatsapp`…, or `utm_source`).
    pub source: String,
    /// The site hosting the widget the signer used.
    pub site: String,
    /// Sent from the widget: answer with the widget's pages.
    #[serde(deserialize_with = "bool_like")]
    pub widget: bool,
}

/// Whether the caller wants JSON back (a script or the widget).
fn wants_json(req: &Request) -> bool {
    let h = |name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    h(header::ACCEPT).contains("application/json") || h(header::CONTENT_TYPE).starts_with("application/json")
}

/// Commune and department of a French postcode, from the gazetteer shipped with Relais.
fn place_of(country: &str, postcode: &str) -> (String, String) {
    if country != "FR" {
        return (String::new(), String::new());
    }
    let Ok(pc) = Postcode::parse(postcode) else {
        return (String::new(), String::new());
    };
    let communes = Places::france().by_postcode(&pc);
    // A shared postcode serves several villages; the signer did not say which, so
    // the commune is only named when there is one.
    let commune = match communes {
        [one] => one.name.to_owned(),
        _ => String::new(),
    };
    (commune, Places::department_of(&pc).unwrap_or_default())
}

/// `POST /p/{slug}/sign`.
pub(crate) async fn sign(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    request: Request,
) -> Result<Response, AppError> {
    let json = wants_json(&request);
    let referrer_site = referrer_site(&request, &state);
    let link = shared_link(&request);
    let form: SignForm = if request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .starts_with("application/json")
    {
        Json::<SignForm>::from_request(request, &state)
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()))?
            .0
    } else {
        Form::<SignForm>::from_request(request, &state)
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()))?
            .0
    };
    let (petition, org) = public_petition(&state, &slug).await?;
    if !petition.state.accepts_signatures() {
        return Err(AppError::Gone);
    }
    state.limits.signing(ip)?;
    let locale = lang.or(org.locale());
    let site = crate::routes::widget::site(&form.site);
    let thanks = if form.widget {
        format!("/p/{}/widget?site={site}&s=", petition.slug)
    } else {
        format!("/p/{}/thanks?s=", petition.slug)
    };
    if !form.website.is_empty() {
        // A bot: answer as if it worked, store nothing, send nothing.
        return Ok(if json {
            (StatusCode::CREATED, Json(serde_json::json!({"status": "pending"}))).into_response()
        } else {
            Redirect::to(&format!("{thanks}pending")).into_response()
        });
    }
    let input = SignatureInput {
        first_name: form.first_name.clone(),
        last_name: form.last_name.clone(),
        email: form.email.clone(),
        postcode: form.postcode.clone(),
        country: form.country.clone(),
        comment: form.comment.clone(),
        consent_updates: form.consent_updates,
        consent_newsletter: form.consent_newsletter,
    };
    let draft = match input.parse() {
        Ok(d) => d,
        Err(field_errors) => {
            let t = state.tr(locale);
            let errors = Errors::from_fields(&t, &field_errors);
            if json {
                let list: Vec<_> = errors
                    .list()
                    .iter()
                    .map(|(f, m)| serde_json::json!({"field": f, "message": m}))
                    .collect();
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(serde_json::json!({"status": "invalid", "errors": list})),
                )
                    .into_response());
            }
            if form.widget {
                let page = crate::routes::widget::widget_page(&state, petition, org, lang, site, (errors, form), None);
                return Ok(crate::routes::widget::embeddable(refused(&page.await)?));
            }
            return refused(&petition_page(&state, petition, org, lang, errors, form).await?);
        }
    };
    let (commune, department) = place_of(&draft.country, &draft.postcode);
    let t = state.tr(locale);
    let confirmation = confirmation_message(
        &state,
        &petition,
        &org,
        &draft.email,
        locale,
        relais_store::confirmation_key(petition.id, draft.email.as_str()),
    );
    let request = SignRequest {
        petition_id: petition.id,
        org_id: org.id,
        commune,
        department,
        show_name: form.show_name,
        ip_hash: state.signer.fingerprint(&ip.to_string()),
        network_hash: state.signer.fingerprint(&crate::limits::network_of(ip)),
        locale: locale.code().to_owned(),
        updates_wording: t.get("sign-consent-updates"),
        newsletter_wording: t.arg("sign-consent-newsletter", "org", &org.name),
        source: format!("/p/{}", petition.slug),
        confirmation,
        draft,
        ref_code: relais_store::random_token()[..10].to_owned(),
        source_channel: crate::routes::share::channel(if form.source.is_empty() { &link.1 } else { &form.source }),
        // The widget's iframe is served by Relais: the host site comes with the form.
        referrer_site: if form.widget && !site.is_empty() {
            site
        } else {
            referrer_site
        },
        referred_by_code: crate::routes::share::referral(if form.referral.is_empty() {
            &link.0
        } else {
            &form.referral
        }),
    };
    let email = request.draft.email.clone();
    let ref_code = request.ref_code.clone();
    let outcome = state.writer.sign(request).await?;
    Ok(match (outcome, json) {
        (SignOutcome::Pending, true) => {
            (StatusCode::CREATED, Json(serde_json::json!({"status": "pending"}))).into_response()
        }
        (SignOutcome::AlreadySigned { confirmed, .. }, true) => {
            Json(serde_json::json!({"status": "already_signed", "confirmed": confirmed})).into_response()
        }
        (SignOutcome::Pending, false) => Redirect::to(&format!("{thanks}pending&r={ref_code}")).into_response(),
        (SignOutcome::AlreadySigned { confirmed, ref_code }, false) => {
            let token = state
                .signer
                .sign("resend", &format!("{}:{email}", petition.id), crate::now() + 3600);
            let s = if confirmed { "confirmed" } else { "already" };
            Redirect::to(&format!("{thanks}{s}&t={token}&r={ref_code}")).into_response()
        }
    })
}

/// `(ref, utm_source)` of the petition page the form was posted from: the page is
/// cached and the same for everyone, so a shared link's code comes back through the
/// browser's `Referer` (same-origin requests carry the full URL).
fn shared_link(request: &Request) -> (String, String) {
    let Some(referer) = request.headers().get(header::REFERER).and_then(|v| v.to_str().ok()) else {
        return (String::new(), String::new());
    };
    let Ok(url) = url::Url::parse(referer) else {
        return (String::new(), String::new());
    };
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let same_host = url.host_str().is_some_and(|h| match url.port() {
        Some(p) => format!("{h}:{p}") == host,
        None => h == host || host.split(':').next() == Some(h),
    });
    if !same_host {
        return (String::new(), String::new());
    }
    let mut link = (String::new(), String::new());
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "ref" => link.0 = v.into_owned(),
            "utm_source" => link.1 = v.into_owned(),
            _ => {}
        }
    }
    link
}

/// The site that sent the signer, from `Referer`, unless it is this installation.
fn referrer_site(request: &Request, state: &AppState) -> String {
    let Some(referer) = request.headers().get(header::REFERER).and_then(|v| v.to_str().ok()) else {
        return String::new();
    };
    let host = url::Url::parse(referer)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let ours = state.config.base_url.host_str().unwrap_or_default();
    let own_host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if host.is_empty() || host == ours || own_host.split(':').next() == Some(host.as_str()) {
        String::new()
    } else {
        host.chars().take(100).collect()
    }
}

/// The confirmation e-mail of a signature, in the signer's language: rendered by
/// the worker when it leaves (`crate::confirm_mail`), so that the signature's
/// transaction writes a small row.
fn confirmation_message(
    state: &AppState,
    petition: &relais_store::Petition,
    org: &relais_store::Org,
    email: &Email,
    locale: Locale,
    key: String,
) -> NewMessage {
    NewMessage {
        org_id: Some(org.id),
        channel: Channel::Email,
        recipient: email.to_string(),
        payload: relais_store::Payload {
            deferred: Some(relais_store::Deferred::SignatureConfirmation {
                petition: petition.id,
                locale,
                expires: crate::now() + state.config.signature_expiry_days * 86_400,
            }),
            ..Default::default()
        },
        idempotency_key: key,
    }
}

#[derive(Template)]
#[template(path = "petition_thanks.html")]
struct ThanksTemplate {
    c: Chrome,
    p: relais_store::Petition,
    title: String,
    text: String,
    resend_token: Option<String>,
    share: Option<crate::routes::share::Share>,
}

#[derive(Deserialize, Default)]
pub(crate) struct ThanksQuery {
    #[serde(default)]
    s: String,
    #[serde(default)]
    t: Option<String>,
    /// The signer's referral code, for the share links.
    #[serde(default)]
    r: String,
}

async fn message_page(
    state: &AppState,
    slug: &str,
    lang: Lang,
    title_id: &str,
    text: String,
    resend_token: Option<String>,
    ref_code: Option<String>,
) -> Result<Response, AppError> {
    let (petition, org) = public_petition(state, slug).await?;
    let t = state.tr(lang.or(org.locale()));
    let mut c = Chrome::new(t.clone(), t.get(title_id), &format!("/p/{}", petition.slug));
    c.brand = Some(Brand::of(&org));
    let title = t.get(title_id);
    // Only a live petition is worth sharing.
    let share = ref_code
        .filter(|_| petition.state.accepts_signatures())
        .map(|code| crate::routes::share::share(&state.config, &t, &petition.slug, &petition.title, &code));
    page(&ThanksTemplate {
        c,
        p: petition,
        title,
        text,
        resend_token,
        share,
    })
}

/// `GET /p/{slug}/thanks?s=pending|already|confirmed|resent[&t=…]`.
pub(crate) async fn thanks(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
    Query(q): Query<ThanksQuery>,
) -> Result<Response, AppError> {
    let (_, org) = public_petition(&state, &slug).await?;
    let t = state.tr(lang.or(org.locale()));
    let days = state.config.signature_expiry_days.to_string();
    let (title, text, resend) = match q.s.as_str() {
        "already" => ("sign-already-title", t.get("sign-already-text"), q.t),
        "confirmed" => ("sign-already-title", t.get("sign-already-confirmed-text"), None),
        "resent" => ("sign-pending-title", t.arg("sign-resent-text", "days", &days), None),
        _ => ("sign-pending-title", t.arg("sign-pending-text", "days", &days), None),
    };
    message_page(
        &state,
        &slug,
        lang,
        title,
        text,
        resend,
        crate::routes::share::referral(&q.r),
    )
    .await
}

#[derive(Deserialize, Default)]
pub(crate) struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// `GET /p/{slug}/confirm?token=…`: the link in the confirmation e-mail.
pub(crate) async fn confirm(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let (petition, org) = public_petition(&state, &slug).await?;
    let t = state.tr(lang.or(org.locale()));
    let claims = match state.signer.verify("confirm", &q.token, crate::now()) {
        Ok(c) => c,
        Err(TokenError::Expired) => {
            let text = t.get("confirm-expired-text");
            return Ok((
                StatusCode::BAD_REQUEST,
                message_page(&state, &slug, lang, "confirm-expired-title", text, None, None).await?,
            )
                .into_response());
        }
        Err(TokenError::Invalid) => {
            let text = t.get("confirm-invalid-text");
            return Ok((
                StatusCode::BAD_REQUEST,
                message_page(&state, &slug, lang, "confirm-invalid-title", text, None, None).await?,
            )
                .into_response());
        }
    };
    let (id, email) = claims.subject.split_once(':').ok_or(AppError::NotFound)?;
    let email = Email::parse(email).map_err(|_| AppError::NotFound)?;
    if id != petition.id.to_string() {
        return Err(AppError::NotFound);
    }
    match state.store.confirm_signature(petition.id, &email, crate::now()).await? {
        Some(newly) => {
            if newly {
                state.petition_changed(petition.id, &petition.slug);
            }
            let counts = state.store.counts(petition.id).await?;
            let text = t.arg(
                "confirm-done-text",
                "count",
                &crate::routes::petition::format_count(counts.confirmed, t.locale),
            );
            let code = state.store.referral_code(petition.id, &email).await?;
            message_page(&state, &slug, lang, "confirm-done-title", text, None, code).await
        }
        // Expired and deleted, or invalidated: the person may sign again.
        None => {
            let text = t.get("confirm-expired-text");
            Ok((
                StatusCode::GONE,
                message_page(&state, &slug, lang, "confirm-expired-title", text, None, None).await?,
            )
                .into_response())
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct ResendForm {
    #[serde(default)]
    t: String,
}

/// `POST /p/{slug}/resend`: sends the confirmation e-mail again (at most once a minute).
pub(crate) async fn resend(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    Form(form): Form<ResendForm>,
) -> Result<Response, AppError> {
    let (petition, org) = public_petition(&state, &slug).await?;
    state.limits.signing(ip)?;
    let claims = state
        .signer
        .verify("resend", &form.t, crate::now())
        .map_err(|_| AppError::BadRequest("resend token".into()))?;
    let (id, email) = claims.subject.split_once(':').ok_or(AppError::NotFound)?;
    let email = Email::parse(email).map_err(|_| AppError::NotFound)?;
    if id != petition.id.to_string() {
        return Err(AppError::NotFound);
    }
    if state.store.signature_confirmed(petition.id, &email).await? == Some(false) {
        let minute = crate::now() / 60;
        let message = confirmation_message(
            &state,
            &petition,
            &org,
            &email,
            lang.or(org.locale()),
            format!(
                "{}:{minute}",
                relais_store::confirmation_key(petition.id, email.as_str())
            ),
        );
        state.store.enqueue(&message, crate::now()).await?;
    }
    Ok(Redirect::to(&format!("/p/{}/thanks?s=resent", petition.slug)).into_response())
}

/// Countries offered in the form, France first; the rest by name. Any ISO code is
/// accepted from scripts.
pub(crate) fn countries(locale: &Locale) -> &'static [(&'static str, &'static str)] {
    match locale {
        Locale::Fr => &[
            ("FR", "France"),
            ("DE", "Allemagne"),
            ("BE", "Belgique"),
            ("CA", "Canada"),
            ("ES", "Espagne"),
            ("US", "États-Unis"),
            ("IT", "Italie"),
            ("LU", "Luxembourg"),
            ("MA", "Maroc"),
            ("NL", "Pays-Bas"),
            ("PT", "Portugal"),
            ("GB", "Royaume-Uni"),
            ("SN", "Sénégal"),
            ("CH", "Suisse"),
            ("TG", "Togo"),
            ("TN", "Tunisie"),
            ("DZ", "Algérie"),
            ("CI", "Côte d’Ivoire"),
            ("CM", "Cameroun"),
            ("IE", "Irlande"),
        ],
        Locale::En => &[
            ("FR", "France"),
            ("DZ", "Algeria"),
            ("BE", "Belgium"),
            ("CM", "Cameroon"),
            ("CA", "Canada"),
            ("CI", "Côte d’Ivoire"),
            ("DE", "Germany"),
            ("IE", "Ireland"),
            ("IT", "Italy"),
            ("LU", "Luxembourg"),
            ("MA", "Morocco"),
            ("NL", "Netherlands"),
            ("PT", "Portugal"),
            ("SN", "Senegal"),
            ("ES", "Spain"),
            ("CH", "Switzerland"),
            ("TG", "Togo"),
            ("TN", "Tunisia"),
            ("GB", "United Kingdom"),
            ("US", "United States"),
        ],
    }
}
