//! URL slugs for associations, petitions, campaigns.

use std::fmt;

/// Why a string cannot be a slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    /// Shorter than 2 or longer than 48 characters.
    #[error("a slug has between 2 and 48 characters")]
    Length,
    /// Contains something else than a-z, 0-9 and inner hyphens.
    #[error("a slug uses only lowercase letters, digits and hyphens (not at the start or end)")]
    Charset,
    /// Collides with a route of Relais itself.
    #[error("this slug is reserved")]
    Reserved,
}

/// Words that would shadow Relais's own routes or confuse people.
const RESERVED: &[&str] = &[
    "admin", "api", "static", "media", "me", "healthz", "metrics", "new", "login", "lang",
];

/// A lowercase identifier usable in URLs (`/o/{slug}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Slug(String);

impl Slug {
    /// Parses a slug; input is trimmed and lower-cased first.
    pub fn parse(input: &str) -> Result<Self, SlugError> {
        let value = input.trim().to_lowercase();
        if !(2..=48).contains(&value.len()) {
            return Err(SlugError::Length);
        }
        let charset_ok = value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !value.starts_with('-')
            && !value.ends_with('-')
            && !value.contains("--");
        if !charset_ok {
            return Err(SlugError::Charset);
        }
        if RESERVED.contains(&value.as_str()) {
            return Err(SlugError::Reserved);
        }
        Ok(Self(value))
    }

    /// The slug text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lowercase_words_with_hyphens() {
        assert_eq!(Slug::parse(" Amis-de-la-Terre ").unwrap().as_str(), "amis-de-la-terre");
        assert!(Slug::parse("demo").is_ok());
        assert!(Slug::parse("a1").is_ok());
    }

    #[test]
    fn refuses_bad_slugs_with_a_reason() {
        assert_eq!(Slug::parse("a"), Err(SlugError::Length));
        assert_eq!(Slug::parse(&"a".repeat(49)), Err(SlugError::Length));
        assert_eq!(Slug::parse("-abc"), Err(SlugError::Charset));
        assert_eq!(Slug::parse("a--b"), Err(SlugError::Charset));
        assert_eq!(Slug::parse("été"), Err(SlugError::Charset));
        assert_eq!(Slug::parse("a b"), Err(SlugError::Charset));
        assert_eq!(Slug::parse("admin"), Err(SlugError::Reserved));
    }
}
