//! E-mail addresses, normalised for de-duplication.

use std::fmt;

/// Why a string is not an acceptable e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Nothing was typed.
    #[error("the e-mail address is empty")]
    Empty,
    /// Longer than RFC 5321 allows.
    #[error("the e-mail address is too long")]
    TooLong,
    /// Not of the form `name@domain.tld`.
    #[error("the e-mail address is not of the form name@domain.tld")]
    Malformed,
}

/// A trimmed, lower-cased e-mail address: two spellings of one mailbox compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Email(String);

impl Email {
    /// Parses and normalises user input (trim, lowercase).
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let value = input.trim().to_lowercase();
        if value.is_empty() {
            return Err(EmailError::Empty);
        }
        if value.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = value.split_once('@').ok_or(EmailError::Malformed)?;
        let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"@".contains(c);
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.len() > 64 || local.chars().any(bad_char) || !domain_ok {
            return Err(EmailError::Malformed);
        }
        Ok(Self(value))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`, for abuse checks and grouping.
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, d)| d)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_spellings_of_one_mailbox_are_equal() {
        assert_eq!(
            Email::parse("  Marie.Curie@Example.ORG ").unwrap(),
            Email::parse("marie.curie@example.org").unwrap()
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "   ",
            "marie",
            "marie@",
            "@example.org",
            "marie@example",
            "ma rie@example.org",
            "a@b@c.org",
            "marie@.org",
            "marie@example..org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Email::parse(""), Err(EmailError::Empty));
        assert_eq!(
            Email::parse(&format!("{}@example.org", "a".repeat(250))),
            Err(EmailError::TooLong)
        );
    }

    #[test]
    fn domain_is_the_part_after_the_at() {
        assert_eq!(Email::parse("x@asso.fr").unwrap().domain(), "asso.fr");
    }
}
