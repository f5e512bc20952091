//! Tags staff put on people: short words, written one way, so that `Bénévole`
//! and ` bénévole ` are the same tag.

/// The longest tag.
pub const MAX_TAG: usize = 40;

/// The tag as stored, or `None` when it is empty, too long, or holds characters
/// that would make it hard to type or to search (`#` starts a tag search).
pub fn normalise(raw: &str) -> Option<String> {
    let tag = raw.trim().to_lowercase();
    let ok = !tag.is_empty()
        && tag.chars().count() <= MAX_TAG
        && tag
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '\'' | '’'));
    ok.then_some(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_written_one_way() {
        assert_eq!(normalise("  Bénévole "), Some("bénévole".into()));
        assert_eq!(normalise("grand donateur"), Some("grand donateur".into()));
        assert_eq!(normalise(""), None);
        assert_eq!(normalise("#x"), None);
        assert_eq!(normalise("a,b"), None);
        assert_eq!(normalise(&"x".repeat(MAX_TAG + 1)), None);
    }
}
