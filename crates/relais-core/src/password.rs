//! The password policy for staff accounts (hashing itself lives in the web layer).

/// Shortest accepted password. Length beats composition rules (NIST SP 800-63B).
pub const MIN_CHARS: usize = 10;
/// Longest accepted password: bounds the hashing work an attacker can request.
pub const MAX_CHARS: usize = 256;

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`MIN_CHARS`] characters.
    #[error("the password must have at least {MIN_CHARS} characters")]
    TooShort,
    /// More than [`MAX_CHARS`] characters.
    #[error("the password must not exceed {MAX_CHARS} characters")]
    TooLong,
}

/// Checks a new password against the policy.
pub fn check(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < MIN_CHARS {
        Err(PasswordError::TooShort)
    } else if n > MAX_CHARS {
        Err(PasswordError::TooLong)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_what_counts() {
        assert_eq!(check("short"), Err(PasswordError::TooShort));
        assert_eq!(check("ten chars!"), Ok(()));
        assert_eq!(check("éléphantôme"), Ok(()), "characters, not bytes");
        assert_eq!(check(&"x".repeat(257)), Err(PasswordError::TooLong));
    }
}
