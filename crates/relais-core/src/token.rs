//! Signed, expiring link tokens (sign-in, password reset, later confirm and
//! unsubscribe links). HMAC-SHA256 over `purpose`, `subject` and the expiry, so a
//! token for one purpose can never be replayed for another.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a link token was not accepted. The two cases get different pages:
/// an expired link offers a new one, a tampered one explains nothing more.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Well-formed and genuine, but too old.
    #[error("this link has expired")]
    Expired,
    /// Not produced by this Relais, altered, or meant for something else.
    #[error("this link is not valid")]
    Invalid,
}

/// What a verified token carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// What the token was issued for (e.g. `login`).
    pub purpose: String,
    /// Whom or what it is about (an id or nonce).
    pub subject: String,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
}

/// Signs and verifies link tokens with the installation's secret.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    // The key must never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(..)")
    }
}

impl LinkSigner {
    /// A signer over `key` (at least 32 random bytes in production).
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    fn mac(&self, body: &[u8]) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        #[allow(clippy::unwrap_used)]
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap();
        mac.update(body);
        mac
    }

    /// A URL-safe token for `purpose`/`subject`, valid until `expires_at` (Unix seconds).
    pub fn sign(&self, purpose: &str, subject: &str, expires_at: i64) -> String {
        let body = format!("{purpose}\n{subject}\n{expires_at}");
        let sig = self.mac(body.as_bytes()).finalize().into_bytes();
        format!("{}.{}", B64.encode(body), B64.encode(sig))
    }

    /// A keyed, non-reversible fingerprint of `data` (client addresses for abuse
    /// views): stable for this installation, useless to anyone without its secret.
    pub fn fingerprint(&self, data: &str) -> String {
        let digest = self
            .mac(format!("fingerprint\n{data}").as_bytes())
            .finalize()
            .into_bytes();
        B64.encode(&digest[..12])
    }

    /// Checks signature, purpose and expiry against `now` (Unix seconds).
    pub fn verify(&self, purpose: &str, token: &str, now: i64) -> Result<Claims, TokenError> {
        let (body_b64, sig_b64) = token.trim().split_once('.').ok_or(TokenError::Invalid)?;
        let body = B64.decode(body_b64).map_err(|_| TokenError::Invalid)?;
        let sig = B64.decode(sig_b64).map_err(|_| TokenError::Invalid)?;
        self.mac(&body).verify_slice(&sig).map_err(|_| TokenError::Invalid)?;
        let text = String::from_utf8(body).map_err(|_| TokenError::Invalid)?;
        let mut parts = text.splitn(3, '\n');
        let (Some(p), Some(subject), Some(exp)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(TokenError::Invalid);
        };
        if p != purpose {
            return Err(TokenError::Invalid);
        }
        let expires_at: i64 = exp.parse().map_err(|_| TokenError::Invalid)?;
        if now > expires_at {
            return Err(TokenError::Expired);
        }
        Ok(Claims {
            purpose: p.to_owned(),
            subject: subject.to_owned(),
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> LinkSigner {
        LinkSigner::new(b"0123456789abcdef0123456789abcdef".to_vec())
    }

    #[test]
    fn a_fresh_token_verifies() {
        let t = signer().sign("login", "nonce-1", 1_000);
        let claims = signer().verify("login", &t, 999).unwrap();
        assert_eq!(claims.subject, "nonce-1");
        assert_eq!(claims.expires_at, 1_000);
    }

    #[test]
    fn an_old_token_is_expired_not_invalid() {
        let t = signer().sign("login", "n", 1_000);
        assert_eq!(signer().verify("login", &t, 1_001), Err(TokenError::Expired));
    }

    #[test]
    fn tampering_or_another_purpose_or_key_is_invalid() {
        let t = signer().sign("login", "n", 1_000);
        assert_eq!(signer().verify("reset", &t, 0), Err(TokenError::Invalid));
        let forged = t.replacen(&t[..4], "AAAA", 1);
        assert_eq!(signer().verify("login", &forged, 0), Err(TokenError::Invalid));
        let other = LinkSigner::new(b"another key entirely, 32 bytes!!".to_vec());
        assert_eq!(other.verify("login", &t, 0), Err(TokenError::Invalid));
        assert_eq!(signer().verify("login", "garbage", 0), Err(TokenError::Invalid));
        assert_eq!(signer().verify("login", "", 0), Err(TokenError::Invalid));
    }

    #[test]
    fn debug_never_shows_the_key() {
        assert_eq!(format!("{:?}", signer()), "LinkSigner(..)");
    }
}
