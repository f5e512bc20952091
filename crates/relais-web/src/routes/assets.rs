//! Files: the stylesheet and icon compiled into the binary, each association's
//! colour sheet, and uploaded logos from the data folder.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::{AppError, Shared};

/// Bumped when static files change, so browsers fetch the new ones.
pub(crate) const VERSION: &str = "5";

const APP_CSS: &str = include_str!("../../static/app.css");
const FAVICON: &str = include_str!("../../static/favicon.svg");
const PETITION_JS: &str = include_str!("../../static/petition.js");
const PROPOSE_JS: &str = include_str!("../../static/propose.js");
const SHARE_JS: &str = include_str!("../../static/share.js");

/// The world's land for maps, built once from the outline compiled into relais-core.
static WORLD_SVG: std::sync::LazyLock<String> = std::sync::LazyLock::new(relais_core::map::world_svg);

/// Where maps find the land: a file of this site, cached by browsers for a day.
pub(crate) fn world_href() -> String {
    format!("/static/world-land.svg?v={VERSION}")
}

fn cached(content_type: &'static str, body: impl IntoResponse, max_age: &'static str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(max_age));
    response
}

/// `GET /static/{file}`.
pub(crate) async fn static_file(Path(file): Path<String>) -> Result<Response, AppError> {
    match file.as_str() {
        "app.css" => Ok(cached("text/css; charset=utf-8", APP_CSS, "public, max-age=86400")),
        "favicon.svg" => Ok(cached("image/svg+xml", FAVICON, "public, max-age=86400")),
        "petition.js" => Ok(cached(
            "text/javascript; charset=utf-8",
            PETITION_JS,
            "public, max-age=86400",
        )),
        "propose.js" => Ok(cached(
            "text/javascript; charset=utf-8",
            PROPOSE_JS,
            "public, max-age=86400",
        )),
        "share.js" => Ok(cached(
            "text/javascript; charset=utf-8",
            SHARE_JS,
            "public, max-age=86400",
        )),
        "world-land.svg" => Ok(cached("image/svg+xml", WORLD_SVG.as_str(), "public, max-age=86400")),
        "widget-frame.js" => Ok(crate::routes::widget::frame_script()),
        _ => Err(AppError::NotFound),
    }
}

/// `GET /theme/{slug}.css`: the association's colours as CSS variables (a
/// stylesheet rather than inline styles, so the CSP can forbid inline styles).
pub(crate) async fn theme(State(state): State<Shared>, Path(file): Path<String>) -> Result<Response, AppError> {
    let slug = file.strip_suffix(".css").ok_or(AppError::NotFound)?;
    let org = state.store.org_by_slug(slug).await?.ok_or(AppError::NotFound)?;
    // Stored colours were validated as #rrggbb; re-parse so nothing else reaches CSS.
    let color = |stored: &str, fallback: &str| {
        relais_core::HexColor::parse(stored).map_or_else(|_| fallback.to_owned(), |c| c.to_string())
    };
    let brand = color(&org.primary_color, "#1d4ed8");
    let accent = color(&org.accent_color, "#9a3412");
    Ok(cached(
        "text/css; charset=utf-8",
        format!(":root{{--brand:{brand};--accent:{accent}}}\n"),
        "public, max-age=300",
    ))
}

/// `GET /media/{file}`: uploaded logos.
pub(crate) async fn media(State(state): State<Shared>, Path(file): Path<String>) -> Result<Response, AppError> {
    if !crate::images::is_media_name(&file) {
        return Err(AppError::NotFound);
    }
    let path = state.config.data_dir.join("media").join(&file);
    let bytes = tokio::fs::read(&path).await.map_err(|_| AppError::NotFound)?;
    // Names change with content, so the file can be cached for good.
    let kind = if file.ends_with(".jpg") {
        "image/jpeg"
    } else if file.ends_with(".pdf") {
        "application/pdf"
    } else {
        "image/png"
    };
    Ok(cached(kind, bytes, "public, max-age=31536000, immutable"))
}
