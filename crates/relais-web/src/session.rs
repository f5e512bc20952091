//! Staff sessions: an opaque random cookie whose SHA-256 is the session row's key,
//! and the [`Staff`] extractor that every back-office handler takes. It loads the
//! person, their associations and — through the store's tenancy guard — the
//! [`OrgAccess`] for the association they are working on.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use relais_core::role::Permission;
use relais_store::{Membership, OrgAccess, Session, User, hash_secret, random_token};

use crate::security::constant_time_eq;
use crate::{AppError, AppState, Shared};

/// Cookie holding the session secret.
pub(crate) const SESSION_COOKIE: &str = "relais_session";
/// How long a back-office session lasts.
const SESSION_SECS: i64 = 14 * 24 * 3600;

/// A signed-in staff member.
pub(crate) struct Staff {
    pub user: User,
    pub session: Session,
    /// The association being worked on; `None` when the person belongs to none.
    pub access: Option<OrgAccess>,
    pub memberships: Vec<Membership>,
}

impl Staff {
    /// The current association's access, if the role allows `permission`.
    pub(crate) fn require(&self, permission: Permission) -> Result<&OrgAccess, AppError> {
        match &self.access {
            Some(access) if access.allows(permission) => Ok(access),
            _ => Err(AppError::Forbidden),
        }
    }

    /// Checks the CSRF token a back-office form sent back.
    pub(crate) fn check_csrf(&self, token: &str) -> Result<(), AppError> {
        if constant_time_eq(token, &self.session.csrf) {
            Ok(())
        } else {
            Err(AppError::Csrf)
        }
    }

    /// Whether the current role allows `permission` (for showing links).
    pub(crate) fn can(&self, permission: Permission) -> bool {
        self.access.as_ref().is_some_and(|a| a.allows(permission))
    }
}

impl FromRequestParts<Shared> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Self::Rejection> {
        let back_here = || {
            let next = parts.uri.path_and_query().map_or("/admin", |p| p.as_str());
            // Only come back to a page we can GET; after a POST go to the dashboard.
            AppError::SignInRequired(if parts.method == axum::http::Method::GET {
                next.to_owned()
            } else {
                "/admin".into()
            })
        };
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Err(back_here());
        };
        let now = crate::now();
        let Some(session) = state.store.session(&hash_secret(cookie.value()), now).await? else {
            return Err(back_here());
        };
        let Some(user) = state.store.user(session.user_id).await? else {
            return Err(back_here());
        };
        let memberships = state.store.memberships(user.id).await?;
        let mut access = None;
        if let Some(org_id) = session.current_org_id {
            access = state.store.authorise(user.id, org_id).await?;
        }
        if access.is_none()
            && let Some(first) = memberships.first()
        {
            access = state.store.authorise(user.id, first.org_id).await?;
            state.store.set_session_org(&session.id_hash, first.org_id).await?;
        }
        Ok(Self {
            user,
            session,
            access,
            memberships,
        })
    }
}

/// Opens a session for `user_id` and returns the cookie to set.
pub(crate) async fn open_session(
    state: &AppState,
    user_id: i64,
    org_id: Option<i64>,
) -> Result<Cookie<'static>, AppError> {
    let secret = random_token();
    let now = crate::now();
    let session = Session {
        id_hash: hash_secret(&secret),
        user_id,
        current_org_id: org_id,
        csrf: random_token(),
        created_at: now,
        expires_at: now + SESSION_SECS,
    };
    state.store.create_session(&session).await?;
    state.store.record_login(user_id, now).await?;
    Ok(session_cookie(state, secret, SESSION_SECS))
}

/// The session cookie: HttpOnly (no script reads it), SameSite=Lax (not sent on
/// cross-site POSTs), Secure behind https.
pub(crate) fn session_cookie(state: &AppState, value: String, max_age: i64) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .max_age(time_duration(max_age))
        .build()
}

fn time_duration(secs: i64) -> cookie::time::Duration {
    cookie::time::Duration::seconds(secs)
}
