//! The share step: plain links to each network carrying the sharer's referral
//! code and the channel, so each new signature can say where it came from. No
//! third-party script, no tracking pixel: a link is all a network gets.

use crate::WebConfig;
use crate::i18n::Tr;

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
