//! argon2id hashing of staff passwords, off the async threads (each hash costs
//! tens of milliseconds of CPU by design).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::AppError;

/// A PHC string for `password` (argon2id, the crate's OWASP-recommended defaults).
pub(crate) async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::Internal(format!("hashing task: {e}")))?
    .map_err(|e| AppError::Internal(format!("hashing: {e}")))
}

/// A fixed hash to verify against when the account has no password, so the
/// answer takes as long whether or not the account exists.
const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3JzgqFbmqFd8S9R2Q0hQ4pQJ8Pj1n8mC6aPBJx3Oa1o";

/// Whether `password` matches `stored` (`None`: no password set, always false).
pub(crate) async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let has_hash = stored.is_some();
        let phc = stored.unwrap_or_else(|| DECOY.to_owned());
        let ok =
            PasswordHash::new(&phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok());
        ok && has_hash
    })
    .await
    .map_err(|e| AppError::Internal(format!("hashing task: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(h.clone())).await.unwrap());
        assert!(!verify("wrong horse battery".into(), Some(h)).await.unwrap());
        assert!(!verify("anything".into(), None).await.unwrap());
    }
}
