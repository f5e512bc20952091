//! What can go wrong in the store, as types the web layer maps to HTTP.

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist, or belongs to another association.
    #[error("not found")]
    NotFound,
    /// A unique value (slug, e-mail, idempotency key…) is already taken.
    #[error("already exists: {0}")]
    Conflict(&'static str),
    /// The change would leave an association without an owner.
    #[error("an association must keep at least one owner")]
    LastOwner,
    /// The store cannot take the write now (its writer stopped, or a batch failed).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A stored value no longer parses (a bug or a manual edit of the database).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// Two records cannot be merged (the same one, or an erased one).
    #[error(transparent)]
    Merge(#[from] relais_core::merge::MergeError),
    /// The database refused or could not be reached.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// Turns unique-constraint violations into [`StoreError::Conflict`] naming `what`.
pub(crate) fn conflict_on_unique(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(e),
    }
}
