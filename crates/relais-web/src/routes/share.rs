//! The share step: plain links to each network carrying the sharer's referral
//! code and the channel, so each new signature can say where it came from. No
//! third-party script, no tracking pixel: a link is all a network gets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use relais_core::Locale;
use relais_core::petition::next_milestone;

use crate::i18n::Tr;
use crate::routes::petition::format_count;
use crate::{AppError, Shared, WebConfig};

/// One way to share.
pub(crate) struct ShareLink {
    /// Stable channel name, also recorded on the signatures it brings.
    pub channel: &'static str,
    /// What the button says.
    pub label: String,
    /// Where it goes.
    pub href: String,
}

/// Everything the share step shows.
pub(crate) struct Share {
    /// The petition link with the sharer's code (for "copy the link" and the native sheet).
    pub url: String,
    /// Title for the native share sheet.
    pub title: String,
    /// One link per network.
    pub links: Vec<ShareLink>,
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A channel name from a link: lowercase letters, digits, `-` and `_`, at most 24; else `other`.
pub(crate) fn channel(raw: &str) -> String {
    let c = raw.trim().to_ascii_lowercase();
    if c.is_empty() {
        String::new()
    } else if c.len() <= 24 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_') {
        c
    } else {
        "other".to_owned()
    }
}

/// A referral code from a link (ours are 10 lowercase hex digits); anything else is dropped.
pub(crate) fn referral(raw: &str) -> Option<String> {
    let r = raw.trim();
    (r.len() == 10 && r.chars().all(|c| c.is_ascii_hexdigit())).then(|| r.to_ascii_lowercase())
}

/// The share step for a signer with `ref_code` on petition `slug`.
pub(crate) fn share(config: &WebConfig, t: &Tr, slug: &str, title: &str, ref_code: &str) -> Share {
    let link = |channel: &str| config.link(&format!("/p/{slug}?ref={ref_code}&utm_source={channel}"));
    let text = t.arg("share-text", "title", title);
    let links = vec![
        ShareLink {
            channel: "facebook",
            label: "Facebook".into(),
            href: format!(
                "https://www.facebook.com/sharer/sharer.php?u={}",
                enc(&link("facebook"))
            ),
        },
        ShareLink {
            channel: "whatsapp",
            label: "WhatsApp".into(),
            href: format!("https://wa.me/?text={}", enc(&format!("{text} {}", link("whatsapp")))),
        },
        ShareLink {
            channel: "twitter",
            label: "X / Twitter".into(),
            href: format!(
                "https://twitter.com/intent/tweet?text={}&url={}",
                enc(&text),
                enc(&link("twitter"))
            ),
        },
        ShareLink {
            channel: "telegram",
            label: "Telegram".into(),
            href: format!(
                "https://t.me/share/url?url={}&text={}",
                enc(&link("telegram")),
                enc(&text)
            ),
        },
        ShareLink {
            channel: "linkedin",
            label: "LinkedIn".into(),
            href: format!(
                "https://www.linkedin.com/sharing/share-offsite/?url={}",
                enc(&link("linkedin"))
            ),
        },
        ShareLink {
            channel: "email",
            label: t.get("share-email"),
            href: format!(
                "mailto:?subject={}&body={}",
                enc(title).replace('+', "%20"),
                enc(&format!("{text}\n\n{}", link("email"))).replace('+', "%20")
            ),
        },
    ];
    Share {
        url: link("link"),
        title: title.to_owned(),
        links,
    }
}

/// Rendered share images per petition and language. A viral petition's image is
/// fetched by every network's crawler and every chat preview: it is drawn at most
/// once a minute (the count on it may be a minute old, as the issue allows).
#[derive(Default)]
pub(crate) struct ShareImageCache(Mutex<HashMap<ShareImageKey, CachedImage>>);

/// A petition's slug and the language of the words on its image.
type ShareImageKey = (String, Locale);
/// When an image was drawn, and the PNG.
type CachedImage = (Instant, Arc<Vec<u8>>);

/// How long a share image is served before it is drawn again with the new count.
const SHARE_IMAGE_TTL: Duration = Duration::from_secs(60);
/// Bound on cached images (about 80 KB each).
const SHARE_IMAGE_MAX: usize = 2_000;

impl ShareImageCache {
    fn get(&self, key: &(String, Locale)) -> Option<Arc<Vec<u8>>> {
        let map = self.0.lock().ok()?;
        map.get(key)
            .filter(|(at, _)| at.elapsed() < SHARE_IMAGE_TTL)
            .map(|(_, png)| Arc::clone(png))
    }

    fn put(&self, key: (String, Locale), png: Arc<Vec<u8>>) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= SHARE_IMAGE_MAX {
                map.clear();
            }
            map.insert(key, (Instant::now(), png));
        }
    }
}

/// `?l=` of the share image URL: the language its words are in.
#[derive(serde::Deserialize, Default)]
pub(crate) struct ShareImageQuery {
    #[serde(default)]
    l: String,
}

/// `GET /p/{slug}/share.png`: the 1200×630 card link previews show.
pub(crate) async fn image(
    State(state): State<Shared>,
    Path(slug): Path<String>,
    Query(q): Query<ShareImageQuery>,
) -> Result<Response, AppError> {
    let (petition, org) = crate::routes::petition::public_petition(&state, &slug).await?;
    let locale = Locale::parse(&q.l).unwrap_or(org.locale());
    let key = (slug, locale);
    let png = match state.share_images.get(&key) {
        Some(png) => png,
        None => {
            let t = state.tr(locale);
            let count = state.store.counts(petition.id).await?.confirmed;
            let target = next_milestone(count, petition.goal);
            let count_label = format!("{} {}", format_count(count, locale), t.get("petition-signatures"));
            let goal_label = t.arg("petition-next-target", "target", &format_count(target, locale));
            #[allow(clippy::cast_precision_loss)] // counts far below 2^24 matter; a bar need not be exact
            let progress = (count as f32 / target.max(1) as f32).clamp(0.0, 1.0);
            let (title, org_name) = (petition.title.clone(), org.name.clone());
            let (primary, accent) = (org.primary_color.clone(), org.accent_color.clone());
            let png = tokio::task::spawn_blocking(move || {
                crate::share_image::render(&crate::share_image::ShareCard {
                    title: &title,
                    org_name: &org_name,
                    count_label: &count_label,
                    goal_label: Some(&goal_label),
                    progress: Some(progress),
                    primary: &primary,
                    accent: &accent,
                })
            })
            .await
            .map_err(|e| AppError::Internal(format!("share image task: {e}")))?
            .map_err(|e| AppError::Internal(format!("share image: {e}")))?;
            let png = Arc::new(png);
            state.share_images.put(key, Arc::clone(&png));
            png
        }
    };
    let mut response = ([(header::CONTENT_TYPE, "image/png")], png.as_ref().clone()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=60"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plausible_channels_and_codes_are_kept() {
        assert_eq!(channel("Facebook"), "facebook");
        assert_eq!(channel(""), "");
        assert_eq!(channel("<script>"), "other");
        assert_eq!(referral("0123456789"), Some("0123456789".into()));
        assert_eq!(referral("x' OR 1=1"), None);
        assert_eq!(referral("abc"), None);
    }
}
