//! When to try a failed delivery again, and when to give up.

/// Attempts before a message is moved to the dead-letter state.
pub const MAX_ATTEMPTS: u32 = 8;

/// What to do after the `attempt`-th failed attempt (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Try again after this many seconds.
    After(i64),
    /// Stop: the message is dead-lettered for staff to see.
    GiveUp,
}

/// Exponential back-off: 30 s, 1 min, 2 min, 4 min… capped at 6 h, then give up
/// after [`MAX_ATTEMPTS`]. A jitter in `0..1` spreads retries of a burst of failures
/// so they do not hit a recovering SMTP server at the same second.
pub fn after_failure(attempt: u32, jitter: f64) -> Retry {
    if attempt >= MAX_ATTEMPTS {
        return Retry::GiveUp;
    }
    let base = 30_i64.saturating_mul(1_i64 << attempt.saturating_sub(1).min(20));
    let capped = base.min(6 * 3600);
    let spread = (capped as f64 * 0.2 * jitter.clamp(0.0, 1.0)) as i64;
    Retry::After(capped + spread)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_then_cap_then_give_up() {
        assert_eq!(after_failure(1, 0.0), Retry::After(30));
        assert_eq!(after_failure(2, 0.0), Retry::After(60));
        assert_eq!(after_failure(3, 0.0), Retry::After(120));
        assert_eq!(after_failure(7, 0.0), Retry::After(1920));
        assert_eq!(after_failure(MAX_ATTEMPTS, 0.0), Retry::GiveUp);
    }

    #[test]
    fn jitter_adds_at_most_a_fifth() {
        assert_eq!(after_failure(1, 1.0), Retry::After(36));
        assert_eq!(after_failure(1, 5.0), Retry::After(36));
    }
}
