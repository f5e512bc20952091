//! Rate limits on forms that send e-mail or check passwords: per client address
//! and per account, so neither one noisy network nor a distributed guesser can
//! flood a mailbox or brute-force a password.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::AppError;

/// The keyed limiters of one process. With several processes on PostgreSQL each
/// enforces its own share, which still bounds the total by the instance count.
pub(crate) struct Limits {
    /// Sign-in, reset and password attempts per client address.
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    /// Link e-mails and password attempts per account address.
    per_account: DefaultKeyedRateLimiter<String>,
    /// Signatures per client address. Generous: a mobile carrier or a school puts
    /// hundreds of people behind one address.
    signing: DefaultKeyedRateLimiter<IpAddr>,
    /// Signatures per network (/24, /48): address rotation inside one network is
    /// the cheapest way around the per-address limit.
    signing_network: DefaultKeyedRateLimiter<String>,
    /// Citizen petition proposals per client address (each one is staff work).
    proposals: DefaultKeyedRateLimiter<IpAddr>,
    /// JSON API requests per key: a blood service reports a day's donations in a
    /// burst, a runaway script must not send the donors a thousand texts.
    api_key: DefaultKeyedRateLimiter<i64>,
    /// Refused API keys per client address: guessing is pointless (256 bits), but
    /// a misconfigured client must not fill the logs.
    api_refused: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
}

fn quota(per_hour: u32, burst: u32) -> Quota {
    // Both constants below are non-zero; max(1) keeps that true for any edit.
    let n = |v: u32| NonZeroU32::new(v.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(std::time::Duration::from_secs(3600) / per_hour.max(1))
        .unwrap_or_else(|| Quota::per_hour(n(per_hour)))
        .allow_burst(n(burst))
}

impl Limits {
    pub(crate) fn new() -> Self {
        Self {
            per_ip: RateLimiter::keyed(quota(120, 20)),
            per_account: RateLimiter::keyed(quota(12, 5)),
            signing: RateLimiter::keyed(quota(600, 30)),
            proposals: RateLimiter::keyed(quota(10, 3)),
            api_key: RateLimiter::keyed(quota(20_000, 300)),
            api_refused: RateLimiter::keyed(quota(120, 20)),
            // High enough for a mobile carrier's shared addresses during a viral moment.
            signing_network: RateLimiter::keyed(quota(20_000, 1_000)),
            checks: AtomicU64::new(0),
        }
    }

    fn check<K: Hash + Eq + Clone>(&self, limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Result<(), AppError> {
        // Forget idle keys now and then so the maps do not grow without bound.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|_| AppError::RateLimited)
    }

    /// One signature (or confirmation resend) from `ip`.
    pub(crate) fn signing(&self, ip: IpAddr) -> Result<(), AppError> {
        self.check(&self.signing, &ip)?;
        self.check(&self.signing_network, &network_of(ip))
    }

    /// One JSON API request made with key `key_id`.
    pub(crate) fn api_key(&self, key_id: i64) -> Result<(), AppError> {
        self.check(&self.api_key, &key_id)
    }

    /// One refused API key from `ip`.
    pub(crate) fn api_refused(&self, ip: IpAddr) -> Result<(), AppError> {
        self.check(&self.api_refused, &ip)
    }

    /// One citizen proposal from `ip`.
    pub(crate) fn proposals(&self, ip: IpAddr) -> Result<(), AppError> {
        self.check(&self.proposals, &ip)
    }

    /// One sign-in-related request from `ip` about `account` (normalised e-mail).
    pub(crate) fn sign_in(&self, ip: IpAddr, account: Option<&str>) -> Result<(), AppError> {
        self.check(&self.per_ip, &ip)?;
        if let Some(account) = account {
            self.check(&self.per_account, &account.to_owned())?;
        }
        Ok(())
    }
}

/// The network an address belongs to (/24 for IPv4, /48 for IPv6).
pub(crate) fn network_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_gets_a_burst_then_is_limited() {
        let limits = Limits::new();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for i in 0..5 {
            let other_ip: IpAddr = format!("192.0.2.{}", i + 10).parse().unwrap();
            assert!(limits.sign_in(other_ip, Some("m@x.org")).is_ok());
        }
        assert!(matches!(
            limits.sign_in(ip, Some("m@x.org")),
            Err(AppError::RateLimited)
        ));
        assert!(limits.sign_in(ip, Some("other@x.org")).is_ok());
    }

    #[test]
    fn rotating_addresses_inside_one_network_hits_the_network_limit() {
        let limits = Limits::new();
        let mut refused = 0;
        for i in 0..1_400u32 {
            // 254 hosts of one /24, each under its own address limit.
            let ip: IpAddr = format!("198.51.100.{}", i % 254 + 1).parse().unwrap();
            if limits.signing(ip).is_err() {
                refused += 1;
            }
        }
        assert!(refused >= 300, "refused {refused}");
        assert!(
            limits.signing("203.0.113.7".parse().unwrap()).is_ok(),
            "another network is unaffected"
        );
        assert_eq!(network_of("2001:db8:1:2::5".parse().unwrap()), "2001:db8:1::/48");
    }

    #[test]
    fn one_address_gets_a_burst_then_is_limited() {
        let limits = Limits::new();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..20 {
            assert!(limits.sign_in(ip, None).is_ok());
        }
        assert!(limits.sign_in(ip, None).is_err());
    }
}
