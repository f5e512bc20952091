//! The PostgreSQL backend, for installations that outgrow one machine. Several
//! `relais serve` and `relais worker` processes may share one database.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::Notify;

use crate::StoreResult;

/// Arbitrary constant naming Relais's migration advisory lock.
const MIGRATION_LOCK: i64 = 0x7265_6c61_6973;

/// The store on PostgreSQL.
#[derive(Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    pub(crate) wakeup: Arc<Notify>,
}

impl PgStore {
    /// Connects to `url` and applies migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        // One direct connection first: the pool would retry until its timeout and
        // report only that, hiding "connection refused" or "password failed".
        sqlx::Connection::close(<sqlx::PgConnection as sqlx::Connection>::connect(url).await?).await?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        let store = Self {
            pool,
            wakeup: Arc::new(Notify::new()),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// A write transaction (row locks are taken as rows are written).
    pub(crate) async fn begin_write(&self) -> StoreResult<crate::write_tx::WriteTx<sqlx::Postgres>> {
        Ok(crate::write_tx::WriteTx::pooled(&self.pool).await?)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        // Two servers starting together: the second waits here, then finds nothing to do.
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        let result = async {
            sqlx::query(crate::migrate::CREATE_TABLE).execute(&mut *conn).await?;
            for (name, sql) in crate::migrate::POSTGRES {
                let done: Option<i32> = sqlx::query_scalar("SELECT 1 FROM schema_migrations WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&mut *conn)
                    .await?;
                if done.is_some() {
                    continue;
                }
                tracing::info!(migration = name, "applying migration");
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                sqlx::raw_sql(*sql).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)")
                    .bind(name)
                    .bind(jiff::Timestamp::now().as_second())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Ok::<_, crate::StoreError>(())
        }
        .await;
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        result
    }
}

crate::orgs::impl_org_store!(PgStore, sqlx::PgConnection);
crate::staff::impl_staff_store!(PgStore, sqlx::PgConnection);
crate::petitions::impl_petition_store!(PgStore, sqlx::PgConnection);
crate::supporters::impl_supporter_store!(PgStore);
crate::people::impl_people_store!(PgStore, collate = " COLLATE \"C\"");
crate::retention::impl_retention_store!(PgStore);
crate::merge::impl_merge_store!(PgStore, row_lock = "FOR UPDATE");
crate::donations::impl_donation_store!(PgStore, sqlx::Postgres);
crate::me::impl_me_store!(PgStore);
crate::giving::impl_giving_store!(PgStore);
crate::sepa::impl_sepa_store!(PgStore);
crate::receipts::impl_receipt_store!(PgStore, sqlx::Postgres);
crate::gift_search::impl_gift_search_store!(PgStore);
crate::projects::impl_project_store!(PgStore);
crate::project_updates::impl_project_updates!(PgStore);
crate::impact::impl_impact_store!(PgStore, sqlx::PgConnection);
crate::api_keys::impl_api_key_store!(PgStore);
// Two allocations of one association's gifts queue on one advisory lock (see allocations.rs).
crate::allocations::impl_allocations!(
    PgStore,
    sqlx::PgConnection,
    alloc_lock = "SELECT pg_advisory_xact_lock($1)"
);
crate::cohorts::impl_loop_store!(PgStore);
crate::funding_changes::impl_funding_changes!(PgStore, alloc_lock = "SELECT pg_advisory_xact_lock($1)");
crate::sign_batch::impl_sign_batch!(PgStore, sqlx::Postgres);
crate::imports::impl_import_store!(PgStore, sqlx::Postgres);
// Text ranges compare bytes whatever the database's collation (`0017_search_collation`).
crate::segments::impl_segment_store!(
    PgStore,
    sqlx::Postgres,
    erased = "s.email COLLATE \"C\" >= 'erased-' AND s.email COLLATE \"C\" < 'erased.'",
    collate = " COLLATE \"C\""
);
// A fan-out chunk or a recipient count reads people one by one by index, but its
// estimate can pass the JIT threshold: compiling a 20 ms chunk took 1.7 s.
crate::messages::impl_message_store!(
    PgStore,
    sqlx::Postgres,
    claim_lock = "FOR UPDATE SKIP LOCKED",
    prepare = "SET LOCAL jit = off"
);
// SKIP LOCKED lets several workers claim different rows at the same time.
crate::outbox::impl_outbox_store!(PgStore, sqlx::PgConnection, claim_lock = "FOR UPDATE SKIP LOCKED");

crate::posts::impl_post_store!(PgStore, claim_lock = "FOR UPDATE SKIP LOCKED", row_lock = "FOR UPDATE");

crate::store_impl::impl_store!(PgStore, "postgres", checkpoint = "", optimize = "");
