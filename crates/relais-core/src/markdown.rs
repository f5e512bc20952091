//! Markdown written by staff and citizens, rendered to safe HTML.
//!
//! Raw HTML in the source is shown as text, never interpreted, and links or images
//! may only point to http(s) or mailto: so a petition text can never carry a
//! script, a tracking pixel from an odd scheme, or a `javascript:` link.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || lower.starts_with('/')
        || lower.starts_with('#')
}

/// Renders Markdown to HTML that is safe to insert in a page as it is.
pub fn to_safe_html(source: &str) -> String {
    to_safe_html_with_links(source, |url| url.to_owned())
}

/// Like [`to_safe_html`], passing every safe http(s) link through `rewrite`: an
/// e-mail routes them through Relais to count clicks per message.
pub fn to_safe_html_with_links(source: &str, rewrite: impl Fn(&str) -> String) -> String {
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES;
    let events = Parser::new_ext(source, options).map(|event| match event {
        // Raw HTML becomes visible text: the renderer escapes text.
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let dest_url = if !safe_url(&dest_url) {
                CowStr::Borrowed("#")
            } else if dest_url.trim().to_ascii_lowercase().starts_with("http") {
                CowStr::from(rewrite(dest_url.trim()))
            } else {
                dest_url
            };
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            })
        }
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) if !safe_url(&dest_url) => Event::Start(Tag::Image {
            link_type,
            dest_url: CowStr::Borrowed(""),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(source.len() * 2);
    html::push_html(&mut out, events);
    out
}

/// The text without Markdown markup, for e-mails, previews and meta descriptions.
pub fn to_plain_text(source: &str) -> String {
    let mut out = String::new();
    for event in Parser::new(source) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::BlockQuote(_) | TagEnd::CodeBlock,
            ) if !out.ends_with('\n') && !out.is_empty() => {
                out.push('\n');
            }
            _ => {}
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_can_be_rewritten_but_unsafe_ones_stay_dead() {
        let html = to_safe_html_with_links(
            "[site](https://example.org/a) [x](javascript:alert(1)) [mail](mailto:a@b.fr)",
            |url| format!("/r?u={}", url.len()),
        );
        assert!(html.contains("href=\"/r?u=21\""), "{html}");
        assert!(html.contains("href=\"#\""), "{html}");
        assert!(html.contains("href=\"mailto:a@b.fr\""), "{html}");
    }

    #[test]
    fn markdown_becomes_html() {
        let html = to_safe_html("# Titre\n\nUn **puits** pour [Kpalimé](https://example.org).");
        assert!(html.contains("<h1>Titre</h1>"));
        assert!(html.contains("<strong>puits</strong>"));
        assert!(html.contains("<a href=\"https://example.org\">Kpalimé</a>"));
    }

    #[test]
    fn raw_html_and_scripts_are_shown_as_text() {
        let html = to_safe_html("Bonjour <script>alert(1)</script> <img src=x onerror=alert(1)>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn dangerous_link_schemes_are_neutralised() {
        let html = to_safe_html("[clic](javascript:alert(1)) ![x](data:image/png;base64,AAAA) [ok](mailto:a@b.org)");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert!(html.contains("href=\"mailto:a@b.org\""));
    }

    #[test]
    fn plain_text_drops_the_markup() {
        assert_eq!(to_plain_text("Un **puits**\npour *tous*."), "Un puits pour tous.");
    }
}
