//! Public pages: the installation's home, an association's page, the language
//! switch, health.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use relais_core::Locale;
use relais_store::Org;

use crate::extract::{LANG_COOKIE, Lang};
use crate::render::{Brand, Chrome, page};
use crate::{AppError, Shared};

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTemplate {
    c: Chrome,
    orgs: Vec<Org>,
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgTemplate {
    c: Chrome,
    org: Org,
    logo_url: Option<String>,
    /// The newsletter form's variables (shared with its own page).
    org_slug: String,
    email: String,
    first_name: String,
    error: Option<String>,
    /// Never the embedded form here.
    embed: bool,
}

/// Public pages are the same for everyone who asks in one language: cacheable by
/// proxies for `cache_control`, varying with the language the visitor asked for.
pub(crate) fn public_page(mut response: Response, cache_control: &'static str) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::VARY,
        header::HeaderValue::from_static("Accept-Language, Cookie"),
    );
    h.insert(header::CACHE_CONTROL, header::HeaderValue::from_static(cache_control));
    response
}

/// `GET /`: the association's page when the installation hosts one, else the list.
pub(crate) async fn home(State(state): State<Shared>, lang: Lang) -> Result<Response, AppError> {
    let orgs = state.store.list_orgs().await?;
    if let [org] = orgs.as_slice() {
        return render_org(&state, org.clone(), lang, "/");
    }
    let t = state.tr(lang.resolve());
    let c = Chrome::new(t.clone(), t.get("home-title"), "/");
    Ok(public_page(page(&HomeTemplate { c, orgs })?, "public, max-age=60"))
}

/// `GET /o/{slug}`.
pub(crate) async fn org_page(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
) -> Result<Response, AppError> {
    let org = state.store.org_by_slug(&slug).await?.ok_or(AppError::NotFound)?;
    let path = format!("/o/{}", org.slug);
    render_org(&state, org, lang, &path)
}

fn render_org(state: &Shared, org: Org, lang: Lang, path: &str) -> Result<Response, AppError> {
    let t = state.tr(lang.or(org.locale()));
    let mut c = Chrome::new(t, org.name.clone(), path);
    let brand = Brand::of(&org);
    let logo_url = brand.logo_url.clone();
    c.brand = Some(brand);
    Ok(public_page(
        page(&OrgTemplate {
            c,
            org_slug: org.slug.clone(),
            org,
            logo_url,
            email: String::new(),
            embed: false,
            first_name: String::new(),
            error: None,
        })?,
        "public, max-age=60",
    ))
}

#[derive(serde::Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

/// Only same-site paths: never an open redirect to another site.
pub(crate) fn safe_next(next: Option<&str>, fallback: &str) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n.to_owned(),
        _ => fallback.to_owned(),
    }
}

/// `GET /lang/{code}?next=/path`: remembers the choice for a year and goes back.
pub(crate) async fn switch_language(
    State(state): State<Shared>,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
    jar: CookieJar,
) -> Result<(CookieJar, Redirect), AppError> {
    let locale = Locale::parse(&code).ok_or(AppError::NotFound)?;
    let cookie = Cookie::build((LANG_COOKIE, locale.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .max_age(cookie::time::Duration::days(365))
        .build();
    Ok((jar.add(cookie), Redirect::to(&safe_next(q.next.as_deref(), "/"))))
}

/// `GET /healthz`: 200 when the database answers, 503 otherwise.
pub(crate) async fn healthz(State(state): State<Shared>) -> Response {
    let backend = state.store.backend();
    match state.store.ping().await {
        Ok(()) => Json(serde_json::json!({ "status": "ok", "database": backend })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable", "database": backend })),
            )
                .into_response()
        }
    }
}

/// Any unknown path.
pub(crate) async fn not_found(_uri: Uri) -> AppError {
    AppError::NotFound
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn redirects_stay_on_this_site() {
        assert_eq!(safe_next(Some("/admin/settings"), "/"), "/admin/settings");
        assert_eq!(safe_next(Some("//evil.example"), "/"), "/");
        assert_eq!(safe_next(Some("/\\evil.example"), "/"), "/");
        assert_eq!(safe_next(Some("https://evil.example"), "/"), "/");
        assert_eq!(safe_next(None, "/admin"), "/admin");
    }
}
