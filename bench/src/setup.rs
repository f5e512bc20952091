//! The set-up a real association goes through: `relais org create`, the e-mailed
//! login link, then the back-office form that publishes a petition. Everything over
//! HTTP except the first step, which is a command by design.

use hyper::Method;
use hyper::body::Bytes;
use hyper::header::{COOKIE, HeaderName, HeaderValue, SET_COOKIE};

use crate::server::Spec;
use crate::{BoxError, http};

/// Creates an association and a published petition; returns the petition's slug.
pub async fn published_petition(spec: &Spec, tag: &str) -> Result<String, BoxError> {
    let link = spec.create_org(&format!("bench-{tag}"), &format!("admin-{tag}@example.org"))?;
    let path = link
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .ok_or_else(|| format!("odd login link {link}"))?;
    let login = http::once(spec.addr, Method::GET, path, &[], Bytes::new()).await?;
    if login.status != 303 {
        return Err(format!("login link answered {} instead of 303: {}", login.status, login.text()).into());
    }
    let session = login
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("relais_session="))
        .and_then(|v| v.split(';').next())
        .ok_or("no relais_session cookie after the login link")?
        .to_owned();
    let cookie = [(COOKIE, HeaderValue::from_str(&session)?)];

    let new = http::once(spec.addr, Method::GET, "/admin/petitions/new", &cookie, Bytes::new()).await?;
    let page = new.text();
    let marker = "name=\"csrf\" value=\"";
    let csrf = page
        .find(marker)
        .map(|i| &page[i + marker.len()..])
        .and_then(|rest| rest.split('"').next())
        .ok_or_else(|| format!("no CSRF token on /admin/petitions/new (status {})", new.status))?;

    let slug = format!("petition-{tag}");
    let body = http::form(&[
        ("csrf", csrf),
        ("action", "publish"),
        ("title", "Banc d'essai : une pétition sous charge"),
        ("slug", &slug),
        (
            "body",
            "Nous demandons que **chaque signature** soit comptée.\n\nTexte de la pétition du banc d'essai.",
        ),
        ("target_name", "Madame la Ministre"),
        ("target_role", "Ministre de l'Intérieur"),
        ("goal", "1000000"),
        ("tags", "bench"),
        ("closes_on", ""),
    ]);
    let mut headers = cookie.to_vec();
    headers.push((
        HeaderName::from_static("content-type"),
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    ));
    let created = http::once(spec.addr, Method::POST, "/admin/petitions", &headers, Bytes::from(body)).await?;
    if created.status != 303 {
        return Err(format!(
            "publishing the petition answered {}: {}",
            created.status,
            created.text()
        )
        .into());
    }
    counts(spec, &slug).await?;
    Ok(slug)
}

/// The petition's public counts: `(pending, confirmed)` from `GET /p/{slug}.json`.
pub async fn counts(spec: &Spec, slug: &str) -> Result<(u64, u64), BoxError> {
    let reply = http::once(spec.addr, Method::GET, &format!("/p/{slug}.json"), &[], Bytes::new()).await?;
    if reply.status != 200 {
        return Err(format!("/p/{slug}.json answered {}: {}", reply.status, reply.text()).into());
    }
    let v: serde_json::Value = serde_json::from_slice(&reply.body)?;
    let get = |k: &str| {
        v["counts"][k]
            .as_u64()
            .ok_or_else(|| format!("no counts.{k} in /p/{slug}.json: {v}"))
    };
    Ok((get("pending")?, get("confirmed")?))
}
