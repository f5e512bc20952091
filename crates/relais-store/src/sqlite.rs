//! The SQLite backend: one file in the data folder, WAL mode.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, SqlitePool};
use tokio::sync::Notify;

use crate::StoreResult;

/// The store on SQLite.
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    pub(crate) wakeup: Arc<Notify>,
    /// Writers of this process take turns here (see [`crate::write_tx`]).
    turn: crate::write_tx::WriteTurn,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` and applies migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: an acknowledged write survives a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Other processes (`relais org create` beside a server) may hold the write lock briefly.
            .busy_timeout(Duration::from_secs(10))
            // 64 MiB of page cache per connection (the default is 2 MiB): signatures
            // touch several indexes, and re-reading their pages was most of the I/O.
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory")
            // Checkpoints are the worker's job (`Store::checkpoint`, every second), off
            // the signature writer's path; this is only the safety net when no worker runs.
            .pragma("wal_autocheckpoint", "10000");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await?;
        let turn = crate::write_tx::write_turn(&options).await?;
        let store = Self {
            pool,
            wakeup: Arc::new(Notify::new()),
            turn,
        };
        store.migrate().await?;
        crate::Store::optimize(&store).await?;
        Ok(store)
    }

    /// A write transaction on the process's writing connection, after the writers
    /// before it (see [`crate::write_tx`]), taking SQLite's write lock at once.
    pub(crate) async fn begin_write(&self) -> StoreResult<crate::write_tx::WriteTx<sqlx::Sqlite>> {
        Ok(crate::write_tx::WriteTx::turn(&self.turn, "BEGIN IMMEDIATE").await?)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query(crate::migrate::CREATE_TABLE).execute(&mut *conn).await?;
        for (name, sql) in crate::migrate::SQLITE {
            // BEGIN IMMEDIATE takes the write lock first, so two processes starting
            // together apply each migration once.
            let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
            let done: Option<i64> = sqlx::query_scalar("SELECT 1 FROM schema_migrations WHERE name = $1")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_none() {
                tracing::info!(migration = name, "applying migration");
                sqlx::raw_sql(*sql).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)")
                    .bind(name)
                    .bind(jiff::Timestamp::now().as_second())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }
}

crate::orgs::impl_org_store!(SqliteStore, sqlx::SqliteConnection);
crate::staff::impl_staff_store!(SqliteStore, sqlx::SqliteConnection);
crate::petitions::impl_petition_store!(SqliteStore, sqlx::SqliteConnection);
crate::supporters::impl_supporter_store!(SqliteStore);
crate::people::impl_people_store!(SqliteStore, collate = "");
crate::retention::impl_retention_store!(SqliteStore);
crate::merge::impl_merge_store!(SqliteStore, row_lock = "");
crate::donations::impl_donation_store!(SqliteStore, sqlx::Sqlite);
crate::me::impl_me_store!(SqliteStore);
crate::giving::impl_giving_store!(SqliteStore);
crate::sepa::impl_sepa_store!(SqliteStore);
crate::receipts::impl_receipt_store!(SqliteStore, sqlx::Sqlite);
crate::gift_search::impl_gift_search_store!(SqliteStore);
crate::projects::impl_project_store!(SqliteStore);
crate::project_updates::impl_project_updates!(SqliteStore);
crate::impact::impl_impact_store!(SqliteStore, sqlx::SqliteConnection);
crate::api_keys::impl_api_key_store!(SqliteStore);
crate::allocations::impl_allocations!(SqliteStore, sqlx::SqliteConnection, alloc_lock = "");
crate::cohorts::impl_loop_store!(SqliteStore);
crate::funding_changes::impl_funding_changes!(SqliteStore, alloc_lock = "");
crate::sign_batch::impl_sign_batch!(SqliteStore, sqlx::Sqlite);
// SQLite compares bytes: the erased placeholders are one range of the address index.
crate::imports::impl_import_store!(SqliteStore, sqlx::Sqlite);
crate::segments::impl_segment_store!(
    SqliteStore,
    sqlx::Sqlite,
    erased = "s.email >= 'erased-' AND s.email < 'erased.'",
    collate = ""
);
crate::messages::impl_message_store!(SqliteStore, sqlx::Sqlite, claim_lock = "", prepare = "");
// SQLite serialises writers, so the claiming UPDATE needs no row lock.
crate::outbox::impl_outbox_store!(SqliteStore, sqlx::SqliteConnection, claim_lock = "");

crate::posts::impl_post_store!(SqliteStore, claim_lock = "", row_lock = "");

crate::store_impl::impl_store!(
    SqliteStore,
    "sqlite",
    checkpoint = "PRAGMA wal_checkpoint(PASSIVE)",
    optimize = "PRAGMA optimize = 0x10002"
);
