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
    let cookie = signed_in(spec, tag).await?;
    publish(spec, &cookie, tag).await
}

/// Creates the association and follows its login link; returns the session cookie.
pub async fn signed_in(spec: &Spec, tag: &str) -> Result<String, BoxError> {
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
    Ok(session)
}

/// The CSRF token of a back-office page.
pub(crate) async fn csrf_of(spec: &Spec, cookie: &[(HeaderName, HeaderValue)], path: &str) -> Result<String, BoxError> {
    let reply = http::once(spec.addr, Method::GET, path, cookie, Bytes::new()).await?;
    let page = reply.text();
    let marker = "name=\"csrf\" value=\"";
    page.find(marker)
        .map(|i| &page[i + marker.len()..])
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| format!("no CSRF token on {path} (status {})", reply.status).into())
}

/// Publishes the bench petition as staff; returns its slug.
pub async fn publish(spec: &Spec, session: &str, tag: &str) -> Result<String, BoxError> {
    publish_as(spec, session, &format!("petition-{tag}")).await
}

/// Publishes a petition at `slug` as staff; returns the slug.
pub async fn publish_as(spec: &Spec, session: &str, slug: &str) -> Result<String, BoxError> {
    let cookie = [(COOKIE, HeaderValue::from_str(session)?)];
    let csrf = csrf_of(spec, &cookie, "/admin/petitions/new").await?;
    let csrf = csrf.as_str();
    let slug = slug.to_owned();
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

/// Posts an update on petition `id` through the back-office form (multipart), as
/// staff do; it is then fanned out to every consenting signer.
pub async fn post_update(spec: &Spec, session: &str, id: i64, text: &str) -> Result<(), BoxError> {
    let cookie = [(COOKIE, HeaderValue::from_str(session)?)];
    let path = format!("/admin/petitions/{id}/posts");
    let csrf = csrf_of(spec, &cookie, &path).await?;
    let boundary = "relaisbenchboundary7d3f";
    let mut body = String::new();
    for (name, value) in [("csrf", csrf.as_str()), ("body", text)] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let mut headers = cookie.to_vec();
    headers.push((
        HeaderName::from_static("content-type"),
        HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}"))?,
    ));
    let reply = http::once(
        spec.addr,
        Method::POST,
        &format!("{path}/update"),
        &headers,
        Bytes::from(body),
    )
    .await?;
    if reply.status != 303 {
        return Err(format!("posting the update answered {}: {}", reply.status, reply.text()).into());
    }
    Ok(())
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
