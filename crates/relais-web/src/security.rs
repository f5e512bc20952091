//! Cross-site request defences and security headers.
//!
//! State-changing requests must come from our own pages: browsers send
//! `Sec-Fetch-Site` and `Origin`, which a third-party page cannot forge. Back-office
//! forms additionally carry the session's CSRF token (checked in `session.rs`);
//! public forms rely on these headers and SameSite cookies so their pages stay
//! cacheable.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppError;

/// Refuses cross-site state-changing requests.
pub(crate) async fn origin_guard(request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !same_site(request.headers()) {
        tracing::info!(path = request.uri().path(), "cross-site request refused");
        return AppError::Csrf.into_response();
    }
    next.run(request).await
}

fn same_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Non-browser clients (scripts, tests, old browsers) send no Origin; they
        // still need the CSRF token on back-office forms.
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    url::Url::parse(origin).is_ok_and(|o| {
        let authority = match o.port() {
            Some(port) => format!("{}:{port}", o.host_str().unwrap_or_default()),
            None => o.host_str().unwrap_or_default().to_owned(),
        };
        authority.eq_ignore_ascii_case(host)
    })
}

/// Marks a response any site may frame (the embeddable widget).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Embeddable;

/// Headers on every response: no third-party anything, no framing (but for the
/// widget), no sniffing, and no referrer leaving the site (links carry tokens).
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let embeddable = response.extensions().get::<Embeddable>().is_some();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        if embeddable {
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                 frame-ancestors *; base-uri 'none'; form-action 'self'",
            )
        } else {
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                 frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            )
        },
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !embeddable {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

/// Compares secrets in constant time, so timing does not reveal a prefix.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn requests_from_our_pages_pass() {
        assert!(same_site(&headers(&[
            ("host", "relais.example"),
            ("origin", "https://relais.example")
        ])));
        assert!(same_site(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(same_site(&headers(&[("host", "x")])), "scripts without Origin");
    }

    #[test]
    fn requests_from_other_sites_are_refused() {
        assert!(!same_site(&headers(&[
            ("host", "relais.example"),
            ("origin", "https://evil.example")
        ])));
        assert!(!same_site(&headers(&[
            ("host", "relais.example"),
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!same_site(&headers(&[
            ("host", "relais.example"),
            ("sec-fetch-site", "same-site")
        ])));
        assert!(!same_site(&headers(&[("host", "relais.example"), ("origin", "null")])));
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
