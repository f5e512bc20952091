//! Schema migrations, embedded in the binary so `relais` needs no files beside it.
//! The same names exist for both dialects; each is applied once, in order, inside
//! a transaction, and recorded in `schema_migrations`.

/// `(name, sql)` pairs for one dialect, in order.
pub(crate) type Migrations = &'static [(&'static str, &'static str)];

pub(crate) const SQLITE: Migrations = &[
    (
        "0001_foundation",
        include_str!("../migrations/sqlite/0001_foundation.sql"),
    ),
    (
        "0002_petitions",
        include_str!("../migrations/sqlite/0002_petitions.sql"),
    ),
    ("0003_posts", include_str!("../migrations/sqlite/0003_posts.sql")),
    ("0004_people", include_str!("../migrations/sqlite/0004_people.sql")),
    (
        "0005_donations",
        include_str!("../migrations/sqlite/0005_donations.sql"),
    ),
    ("0006_payments", include_str!("../migrations/sqlite/0006_payments.sql")),
    ("0007_projects", include_str!("../migrations/sqlite/0007_projects.sql")),
    (
        "0008_offline_batches",
        include_str!("../migrations/sqlite/0008_offline_batches.sql"),
    ),
    ("0009_impact", include_str!("../migrations/sqlite/0009_impact.sql")),
    ("0010_me", include_str!("../migrations/sqlite/0010_me.sql")),
    ("0011_segments", include_str!("../migrations/sqlite/0011_segments.sql")),
    (
        "0012_retention",
        include_str!("../migrations/sqlite/0012_retention.sql"),
    ),
    ("0013_messages", include_str!("../migrations/sqlite/0013_messages.sql")),
    ("0014_import", include_str!("../migrations/sqlite/0014_import.sql")),
    ("0015_merge", include_str!("../migrations/sqlite/0015_merge.sql")),
    (
        "0016_consent_summary",
        include_str!("../migrations/sqlite/0016_consent_summary.sql"),
    ),
    (
        "0017_search_collation",
        include_str!("../migrations/sqlite/0017_search_collation.sql"),
    ),
    (
        "0018_gifts_paid_amount",
        include_str!("../migrations/sqlite/0018_gifts_paid_amount.sql"),
    ),
    (
        "0019_post_queue",
        include_str!("../migrations/sqlite/0019_post_queue.sql"),
    ),
];

pub(crate) const POSTGRES: Migrations = &[
    (
        "0001_foundation",
        include_str!("../migrations/postgres/0001_foundation.sql"),
    ),
    (
        "0002_petitions",
        include_str!("../migrations/postgres/0002_petitions.sql"),
    ),
    ("0003_posts", include_str!("../migrations/postgres/0003_posts.sql")),
    ("0004_people", include_str!("../migrations/postgres/0004_people.sql")),
    (
        "0005_donations",
        include_str!("../migrations/postgres/0005_donations.sql"),
    ),
    (
        "0006_payments",
        include_str!("../migrations/postgres/0006_payments.sql"),
    ),
    (
        "0007_projects",
        include_str!("../migrations/postgres/0007_projects.sql"),
    ),
    (
        "0008_offline_batches",
        include_str!("../migrations/postgres/0008_offline_batches.sql"),
    ),
    ("0009_impact", include_str!("../migrations/postgres/0009_impact.sql")),
    ("0010_me", include_str!("../migrations/postgres/0010_me.sql")),
    (
        "0011_segments",
        include_str!("../migrations/postgres/0011_segments.sql"),
    ),
    (
        "0012_retention",
        include_str!("../migrations/postgres/0012_retention.sql"),
    ),
    (
        "0013_messages",
        include_str!("../migrations/postgres/0013_messages.sql"),
    ),
    ("0014_import", include_str!("../migrations/postgres/0014_import.sql")),
    ("0015_merge", include_str!("../migrations/postgres/0015_merge.sql")),
    (
        "0016_consent_summary",
        include_str!("../migrations/postgres/0016_consent_summary.sql"),
    ),
    (
        "0017_search_collation",
        include_str!("../migrations/postgres/0017_search_collation.sql"),
    ),
    (
        "0018_gifts_paid_amount",
        include_str!("../migrations/postgres/0018_gifts_paid_amount.sql"),
    ),
    (
        "0019_post_queue",
        include_str!("../migrations/postgres/0019_post_queue.sql"),
    ),
];

pub(crate) const CREATE_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)";

#[cfg(test)]
mod tests {
    #[test]
    fn both_dialects_have_the_same_migration_names() {
        let names = |m: super::Migrations| m.iter().map(|(n, _)| *n).collect::<Vec<_>>();
        assert_eq!(names(super::SQLITE), names(super::POSTGRES));
    }
}
