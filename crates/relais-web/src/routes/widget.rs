//! The embeddable widget: a snippet any association website can paste shows the
//! live count and the signing form in an iframe served by Relais. Signing in it
//! follows the same rules as on the petition page (confirmation e-mail, consents,
//! limits), needs no cookie, and records `widget` and the host site as its source.
//!
//! Two snippets: a plain `<iframe>`, or `<script src="…/widget.js"
//! data-relais-petition="slug">` which makes the iframe and fits its height.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use relais_core::petition::next_milestone;
use relais_store::{Org, Petition};

use crate::extract::Lang;
use crate::render::{Chrome, Errors};
use crate::routes::petition::{format_count, public_petition};
use crate::routes::sign::SignForm;
use crate::security::Embeddable;
use crate::{AppError, AppState, Shared};

const WIDGET_JS: &str = include_str!("../../static/widget.js");
const WIDGET_FRAME_JS: &str = include_str!("../../static/widget-frame.js");

#[derive(Template)]
#[template(path = "widget.html")]
pub(crate) struct WidgetTemplate {
    pub c: Chrome,
    pub p: Petition,
    pub org: Org,
    pub count: String,
    pub target: i64,
    pub target_label: String,
    pub errors: Errors,
    pub form: SignForm,
    /// The host site (always `Some` here: the shared form shows its hidden fields).
    pub embed: Option<String>,
    /// After signing: what to say instead of the form.
    pub done: Option<String>,
    pub closed_text: String,
}

/// A host name fit to record: lowercase letters, digits, dots and dashes, at most
/// 100 characters; anything else is dropped.
pub(crate) fn site(raw: &str) -> String {
    let host = raw.trim().to_ascii_lowercase();
    if host.len() <= 100 && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
        host
    } else {
        String::new()
    }
}

/// The host page's site: `?site=` (set by `widget.js`), else the `Referer` the
/// browser sent when the host page loaded the iframe.
fn host_site(query: &WidgetQuery, headers: &axum::http::HeaderMap) -> String {
    if !query.site.is_empty() {
        return site(&query.site);
    }
    headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .and_then(|u| u.host_str().map(site))
        .unwrap_or_default()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct WidgetQuery {
    site: String,
    /// After signing: `pending`, `already` or `confirmed`.
    s: String,
}

/// Builds the widget; `errors` and `form` carry a refused signature back.
pub(crate) async fn widget_page(
    state: &AppState,
    petition: Petition,
    org: Org,
    lang: Lang,
    site: String,
    (errors, form): (Errors, SignForm),
    done: Option<String>,
) -> WidgetTemplate {
    let t = state.tr(lang.or(org.locale()));
    let path = format!("/p/{}/widget", petition.slug);
    let mut c = Chrome::new(t.clone(), petition.title.clone(), &path);
    c.brand = Some(crate::render::Brand::of(&org));
    let target = next_milestone(petition.confirmed_count, petition.goal);
    let target_label = t.arg("petition-next-target", "target", &format_count(target, t.locale));
    let closed_text = t.get(&format!("petition-closed-{}", petition.state.as_str()));
    WidgetTemplate {
        count: format_count(petition.confirmed_count, t.locale),
        target,
        target_label,
        errors,
        form,
        embed: Some(site),
        done,
        closed_text,
        c,
        p: petition,
        org,
    }
}

/// Marks a response as meant to be framed by any site.
pub(crate) fn embeddable(mut response: Response) -> Response {
    response.extensions_mut().insert(Embeddable);
    response
}

/// `GET /p/{slug}/widget[?site=…][&s=pending|already|confirmed]`.
pub(crate) async fn page(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
    Query(q): Query<WidgetQuery>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let (petition, org) = public_petition(&state, &slug).await?;
    let site = host_site(&q, &headers);
    let t = state.tr(lang.or(org.locale()));
    let done = match q.s.as_str() {
        "pending" => Some(t.get("widget-done-pending")),
        "already" => Some(t.get("sign-already-text")),
        "confirmed" => Some(t.get("sign-already-confirmed-text")),
        _ => None,
    };
    let template = widget_page(
        &state,
        petition,
        org,
        lang,
        site,
        (Errors::default(), SignForm::default()),
        done,
    )
    .await;
    let mut response = crate::render::page(&template)?;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(embeddable(response))
}

/// `GET /widget.js`: the script snippet's code.
pub(crate) async fn script() -> Response {
    script_response(WIDGET_JS)
}

/// `GET /static/widget-frame.js`: tells the host page how tall the widget is.
pub(crate) fn frame_script() -> Response {
    script_response(WIDGET_FRAME_JS)
}

fn script_response(body: &'static str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    // Host pages on any origin load it.
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_host_names_are_recorded() {
        assert_eq!(site("Amis-du-Puits.example"), "amis-du-puits.example");
        assert_eq!(site("evil.example/<script>"), "");
        assert_eq!(site(&"a".repeat(101)), "");
    }
}
