//! The public petition page and its figures (`/p/{slug}`, `/p/{slug}.json`).
//!
//! The page is the same for every visitor of a language, so it is cacheable for a
//! few seconds; the live count comes from the JSON, refreshed by a small script.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use relais_core::petition::next_milestone;
use relais_store::{Breakdown, Org, Petition, RecentSigner};

use crate::extract::Lang;
use crate::render::{Brand, Chrome, Errors};
use crate::routes::sign::SignForm;
use crate::{AppError, AppState, Shared};

/// How long the place breakdown of a petition is reused before being recomputed.
const FIGURES_TTL: Duration = Duration::from_secs(10);

/// Rendered petition pages, per slug and language preference, kept [`PAGE_TTL`].
#[derive(Default)]
pub(crate) struct PageCache(Mutex<HashMap<PageKey, (Instant, String)>>);

/// A petition's slug and the visitor's language preference.
type PageKey = (String, Option<relais_core::Locale>);

/// How long a rendered page is served again before being rendered anew.
const PAGE_TTL: Duration = Duration::from_secs(1);
/// Bound on cached pages: beyond it the cache starts afresh.
const PAGE_CACHE_MAX: usize = 10_000;

impl PageCache {
    fn get(&self, key: &PageKey) -> Option<String> {
        let map = self.0.lock().ok()?;
        map.get(key)
            .filter(|(at, _)| at.elapsed() < PAGE_TTL)
            .map(|(_, html)| html.clone())
    }

    /// Drops a petition's pages after a change made in this process (a confirmation,
    /// a staff edit), so the people who made it see it at once.
    pub(crate) fn forget(&self, slug: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.retain(|(s, _), _| s != slug);
        }
    }

    fn put(&self, key: PageKey, html: String) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= PAGE_CACHE_MAX {
                map.clear();
            }
            map.insert(key, (Instant::now(), html));
        }
    }
}

/// Recently computed breakdowns, per petition.
#[derive(Default)]
pub(crate) struct FiguresCache(Mutex<HashMap<i64, (Instant, Breakdown)>>);

impl FiguresCache {
    /// Drops a petition's figures so the next request recomputes them (after a
    /// confirmation here; other processes catch up within the TTL).
    pub(crate) fn forget(&self, petition_id: i64) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(&petition_id);
        }
    }

    async fn get(&self, state: &AppState, petition_id: i64) -> Result<Breakdown, AppError> {
        if let Ok(map) = self.0.lock()
            && let Some((at, b)) = map.get(&petition_id)
            && at.elapsed() < FIGURES_TTL
        {
            return Ok(b.clone());
        }
        let fresh = state.store.breakdown(petition_id).await?;
        if let Ok(mut map) = self.0.lock() {
            map.insert(petition_id, (Instant::now(), fresh.clone()));
        }
        Ok(fresh)
    }
}

#[derive(Template)]
#[template(path = "petition.html")]
pub(crate) struct PetitionTemplate {
    pub c: Chrome,
    pub p: Petition,
    pub org: Org,
    pub body_html: String,
    pub count: String,
    pub target: i64,
    pub target_label: String,
    pub recent: Vec<RecentSigner>,
    pub errors: Errors,
    pub form: SignForm,
    pub edited: Option<String>,
    /// Why the form is absent (closed, victory).
    pub closed_text: String,
    /// The text without markup, cut for link previews and search engines.
    pub summary: String,
    /// The page's absolute address (link previews, canonical).
    pub url: String,
    /// Absolute prefix of media files, for the preview image.
    pub image_base: String,
    /// What organisers posted since, newest first.
    pub posts: Vec<PostView>,
    /// The widget's host site; `None` on the petition's own page.
    pub embed: Option<String>,
}

/// A post as the public page shows it.
pub(crate) struct PostView {
    pub kind: &'static str,
    pub heading: String,
    pub date: String,
    pub body_html: String,
    pub image_path: Option<String>,
    pub document: Option<(String, String)>,
}

impl PostView {
    pub(crate) fn of(post: &relais_store::Post, petition: &Petition, t: &crate::i18n::Tr, tz: &str) -> Self {
        use relais_core::post::PostKind;
        let count = |n: Option<i64>| format_count(n.unwrap_or_default(), t.locale);
        let heading = match post.kind {
            PostKind::Update => t.get("post-heading-update"),
            PostKind::Response => t.args(
                "post-heading-response",
                &[
                    ("target", &petition.target_name),
                    ("date", post.responded_on.as_deref().unwrap_or_default()),
                ],
            ),
            PostKind::Victory => t.get("post-heading-victory"),
            PostKind::Milestone => t.arg("post-heading-milestone", "count", &count(post.milestone)),
        };
        Self {
            kind: post.kind.as_str(),
            heading,
            date: crate::render::local_time(post.created_at, tz),
            body_html: relais_core::markdown::to_safe_html(&post.body),
            image_path: post.image_path.clone(),
            document: post.document_path.as_ref().map(|path| {
                (
                    post.document_name.clone().unwrap_or_else(|| path.clone()),
                    format!("/media/{path}"),
                )
            }),
        }
    }
}

/// Groups digits the French way (narrow no-break spaces) or the English way.
pub(crate) fn format_count(n: i64, locale: relais_core::Locale) -> String {
    let digits = n.abs().to_string();
    let sep = match locale {
        relais_core::Locale::Fr => "\u{202f}",
        relais_core::Locale::En => ",",
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Loads a petition the public may see, with its association. Every signature and
/// page view needs them, so they are kept for a second: each lookup is a hop to a
/// database thread, and under load those hops, not the queries, cost the most.
pub(crate) async fn public_petition(state: &AppState, slug: &str) -> Result<(Petition, Org), AppError> {
    if let Some(found) = state.petitions.get(slug) {
        return Ok(found);
    }
    let petition = state
        .store
        .petition_by_slug(slug)
        .await?
        .filter(|p| p.state.is_public())
        .ok_or(AppError::NotFound)?;
    let org = state
        .store
        .org_by_id(petition.org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    state.petitions.put(slug.to_owned(), (petition.clone(), org.clone()));
    Ok((petition, org))
}

/// Public petitions with their association, by slug, kept [`PAGE_TTL`].
#[derive(Default)]
pub(crate) struct PetitionCache(Mutex<HashMap<String, (Instant, PublicPetition)>>);

/// A public petition and its association.
type PublicPetition = (Petition, Org);

impl PetitionCache {
    fn get(&self, slug: &str) -> Option<PublicPetition> {
        let map = self.0.lock().ok()?;
        map.get(slug)
            .filter(|(at, _)| at.elapsed() < PAGE_TTL)
            .map(|(_, v)| v.clone())
    }

    fn put(&self, slug: String, value: PublicPetition) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= PAGE_CACHE_MAX {
                map.clear();
            }
            map.insert(slug, (Instant::now(), value));
        }
    }

    /// Drops a petition changed in this process.
    pub(crate) fn forget(&self, slug: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(slug);
        }
    }
}

/// Builds the page; `errors` and `form` carry a refused signature back.
pub(crate) async fn petition_page(
    state: &AppState,
    petition: Petition,
    org: Org,
    lang: Lang,
    errors: Errors,
    form: SignForm,
) -> Result<PetitionTemplate, AppError> {
    let t = state.tr(lang.or(org.locale()));
    let path = format!("/p/{}", petition.slug);
    let mut c = Chrome::new(t.clone(), petition.title.clone(), &path);
    c.brand = Some(Brand::of(&org));
    let recent = state.store.recent_signers(petition.id, 8).await?;
    let posts = state
        .store
        .posts(petition.id)
        .await?
        .iter()
        .map(|post| PostView::of(post, &petition, &t, &org.timezone))
        .collect();
    let target = next_milestone(petition.confirmed_count, petition.goal);
    let target_label = t.arg("petition-next-target", "target", &format_count(target, t.locale));
    let edited = petition
        .edited_at
        .map(|ts| crate::render::local_time(ts, &org.timezone));
    let closed_text = t.get(&format!("petition-closed-{}", petition.state.as_str()));
    let plain = relais_core::markdown::to_plain_text(&petition.body).replace('\n', " ");
    let mut summary: String = plain.chars().take(200).collect();
    if plain.chars().count() > 200 {
        summary.push('…');
    }
    let url = state.config.link(&format!("/p/{}", petition.slug));
    let image_base = state.config.link("/media/");
    Ok(PetitionTemplate {
        body_html: relais_core::markdown::to_safe_html(&petition.body),
        count: format_count(petition.confirmed_count, t.locale),
        target,
        target_label,
        recent,
        errors,
        form,
        edited,
        closed_text,
        summary,
        url,
        image_base,
        posts,
        embed: None,
        c,
        p: petition,
        org,
    })
}

/// `GET /p/{slug}` and `GET /p/{slug}.json`.
pub(crate) async fn show(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    lang: Lang,
) -> Result<Response, AppError> {
    if let Some(slug) = slug.strip_suffix(".json") {
        return figures(&state, slug).await;
    }
    // A hot petition's page is the same for everyone who asks in one language, so
    // it is rendered once a second at most. (A shared link's `?ref=` does not change
    // the page: the sign handler reads it from the form's Referer.)
    let key = (slug.clone(), lang.preference());
    let html = match state.pages.get(&key) {
        Some(html) => html,
        None => {
            let (petition, org) = public_petition(&state, &slug).await?;
            let template = petition_page(&state, petition, org, lang, Errors::default(), SignForm::default()).await?;
            let html = askama::Template::render(&template)?;
            state.pages.put(key, html.clone());
            html
        }
    };
    // Short: the count on the page should not look stale for long behind a proxy.
    Ok(crate::routes::public::public_page(
        axum::response::Html(html).into_response(),
        "public, max-age=10",
    ))
}

async fn figures(state: &AppState, slug: &str) -> Result<Response, AppError> {
    let (petition, _) = public_petition(state, slug).await?;
    let counts = state.store.counts(petition.id).await?;
    let b = state.figures.get(state, petition.id).await?;
    let body = serde_json::json!({
        "slug": petition.slug,
        "title": petition.title,
        "state": petition.state,
        "counts": counts,
        "goal": petition.goal,
        "next_milestone": next_milestone(counts.confirmed, petition.goal),
        "by_country": b.by_country.iter().map(|(code, n)| serde_json::json!({"code": code, "count": n})).collect::<Vec<_>>(),
        "by_department": b.by_department.iter().map(|(code, n)| serde_json::json!({"code": code, "count": n})).collect::<Vec<_>>(),
        "by_commune": b.by_commune.iter().map(|(pc, name, n)| serde_json::json!({"postcode": pc, "name": name, "count": n})).collect::<Vec<_>>(),
    });
    let mut response = Json(body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=5"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::format_count;
    use relais_core::Locale;

    #[test]
    fn counts_are_grouped_as_each_language_writes_them() {
        assert_eq!(format_count(0, Locale::Fr), "0");
        assert_eq!(format_count(999, Locale::Fr), "999");
        assert_eq!(format_count(1234567, Locale::Fr), "1\u{202f}234\u{202f}567");
        assert_eq!(format_count(1234567, Locale::En), "1,234,567");
    }
}
