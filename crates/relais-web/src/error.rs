//! The one place where failures become HTTP responses. Handlers return
//! [`AppError`]; its `IntoResponse` sets the status and marks the response, and
//! the `error_pages` middleware (which knows the request's language) renders the
//! page. A 500's cause is logged once, here, and never shown.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use relais_store::StoreError;

/// A failure a handler reports.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such page or row (also: it belongs to another association).
    #[error("not found")]
    NotFound,
    /// Signed in, but the role does not allow it.
    #[error("forbidden")]
    Forbidden,
    /// A state-changing request without a valid CSRF token or from another site.
    #[error("cross-site request refused")]
    Csrf,
    /// Not signed in: go to the sign-in page, then come back.
    #[error("sign-in required")]
    SignInRequired(String),
    /// Too many requests from one address or for one account.
    #[error("rate limited")]
    RateLimited,
    /// A request that cannot be understood (malformed body).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The thing existed but is over (a closed petition).
    #[error("gone")]
    Gone,
    /// A body larger than allowed.
    #[error("payload too large")]
    TooLarge,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else that is our fault.
    #[error("internal: {0}")]
    Internal(String),
}

/// Marks a response whose body the `error_pages` middleware must render.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorPage {
    /// Which text to show (`csrf` has its own explanation).
    pub kind: &'static str,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, kind) = match &self {
            Self::NotFound | Self::Store(StoreError::NotFound) => (StatusCode::NOT_FOUND, "404"),
            Self::Forbidden => (StatusCode::FORBIDDEN, "403"),
            Self::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            Self::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "429"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "400"),
            Self::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "413"),
            Self::Gone => (StatusCode::GONE, "410"),
            Self::Store(StoreError::Unavailable(_)) => {
                tracing::error!(error = %self, "storage unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, "503")
            }
            Self::Store(StoreError::Conflict(_) | StoreError::LastOwner | StoreError::Merge(_)) => {
                (StatusCode::CONFLICT, "400")
            }
            Self::SignInRequired(next) => {
                let target = format!(
                    "/admin/login?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                return Redirect::to(&target).into_response();
            }
            Self::Store(_) | Self::Internal(_) => {
                tracing::error!(error = %self, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "500")
            }
        };
        let mut response = (status, [(header::CACHE_CONTROL, "no-store")]).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, axum::http::HeaderValue::from_static("60"));
        }
        response.extensions_mut().insert(ErrorPage { kind });
        response
    }
}

/// A failure of the JSON API (`/api/v1/…`), answered as JSON: scripts read a
/// status and a code, not an HTML page.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No key, an unknown one, or a revoked one.
    #[error("a valid API key is required: Authorization: Bearer <key>")]
    Unauthorized,
    /// No such row for this association; the same answer whether it exists
    /// elsewhere or not at all.
    #[error("no such donation")]
    NotFound,
    /// The request cannot be understood; the text says why.
    #[error("{0}")]
    BadRequest(String),
    /// The row is not in a state that allows it (a gift not paid).
    #[error("{0}")]
    Conflict(&'static str),
    /// Too many requests with this key or from this address.
    #[error("too many requests: slow down and retry after a minute")]
    RateLimited,
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(what) => Self::Conflict(what),
            other => Self::Store(other),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::RateLimited => Self::RateLimited,
            AppError::NotFound => Self::NotFound,
            AppError::Store(s) => s.into(),
            other => Self::Store(StoreError::Unavailable(other.to_string())),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::Store(StoreError::Unavailable(_)) => {
                tracing::error!(error = %self, "storage unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            Self::Store(_) => {
                tracing::error!(error = %self, "API request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let message = match status {
            StatusCode::INTERNAL_SERVER_ERROR | StatusCode::SERVICE_UNAVAILABLE => {
                "something went wrong on our side".into()
            }
            _ => self.to_string(),
        };
        let mut response = (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(serde_json::json!({ "error": code, "message": message })),
        )
            .into_response();
        let headers = response.headers_mut();
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            headers.insert(header::RETRY_AFTER, axum::http::HeaderValue::from_static("60"));
        }
        response
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(format!("template: {e}"))
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    c: crate::render::Chrome,
    text: String,
}

/// Renders the page of responses marked with [`ErrorPage`], in the request's language.
pub(crate) async fn error_pages(
    axum::extract::State(state): axum::extract::State<crate::Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let locale = crate::extract::Lang::from_parts(&parts).resolve();
    let path = parts.uri.path().to_owned();
    let mut response = next.run(axum::extract::Request::from_parts(parts, body)).await;
    let Some(page) = response.extensions_mut().remove::<ErrorPage>() else {
        return response;
    };
    let t = state.tr(locale);
    let (title, text) = match page.kind {
        "csrf" => (t.get("error-title-403"), t.get("error-text-csrf")),
        code => (
            t.get(&format!("error-title-{code}")),
            t.get(&format!("error-text-{code}")),
        ),
    };
    let template = ErrorTemplate {
        c: crate::render::Chrome::new(t, title, &path),
        text,
    };
    match askama::Template::render(&template) {
        Ok(html) => {
            let status = response.status();
            let mut rendered = (status, axum::response::Html(html)).into_response();
            for (name, value) in response.headers() {
                if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                    rendered.headers_mut().insert(name.clone(), value.clone());
                }
            }
            rendered
        }
        Err(e) => {
            tracing::error!(error = %e, "error page template failed");
            response
        }
    }
}
