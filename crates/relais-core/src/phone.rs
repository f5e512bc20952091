//! Phone numbers in E.164 form, the only form SMS providers accept.

use std::fmt;

/// Why a string is not a usable phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Not a number in international (`+33…`) or French national (`06…`) form.
    #[error("the phone number should look like +33 6 12 34 56 78 or 06 12 34 56 78")]
    Malformed,
}

/// A phone number in E.164 form, e.g. `+33612345678`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Phone(String);

impl Phone {
    /// Parses international numbers, and French national numbers (`0X XX XX XX XX`),
    /// since most supporters type the latter.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let compact: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
            .collect();
        let international = if let Some(rest) = compact.strip_prefix("00") {
            format!("+{rest}")
        } else if compact.len() == 10 && compact.starts_with('0') && !compact.starts_with("00") {
            format!("+33{}", &compact[1..])
        } else {
            compact
        };
        let digits = international.strip_prefix('+').ok_or(PhoneError::Malformed)?;
        if !(8..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) || digits.starts_with('0') {
            return Err(PhoneError::Malformed);
        }
        Ok(Self(international))
    }

    /// The E.164 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_national_numbers_become_e164() {
        assert_eq!(Phone::parse("06 12 34 56 78").unwrap().as_str(), "+33612345678");
        assert_eq!(Phone::parse("06.12.34.56.78").unwrap().as_str(), "+33612345678");
        assert_eq!(Phone::parse("+33 6 12 34 56 78").unwrap().as_str(), "+33612345678");
        assert_eq!(Phone::parse("0033612345678").unwrap().as_str(), "+33612345678");
        assert_eq!(Phone::parse("+46 70 123 45 67").unwrap().as_str(), "+46701234567");
    }

    #[test]
    fn garbage_is_refused() {
        for bad in [
            "",
            "hello",
            "12345",
            "+33 6 12 34 56 78 90 12 34",
            "+0612345678",
            "06 12 34 56 7x",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad:?}");
        }
    }
}
