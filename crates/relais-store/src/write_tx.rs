//! Write transactions: on SQLite, one connection for all of this process's writes,
//! which writers take in turn.
//!
//! SQLite has one writer at a time. When the lock is taken, SQLite's busy handler
//! sleeps 1, 2, 5, 10, … up to 100 ms between tries, and it does not queue: under a
//! signing rush the signature writer commits and begins again within microseconds,
//! so another writer (the fan-out of a post to a million signers, the delivery
//! worker marking messages sent) slept through dozens of the writer's batches
//! before it caught the lock free — 27 ms on average per fan-out chunk, 136 ms at
//! worst, measured. Writers of one process now queue on a fair async mutex and
//! take turns in arrival order; the busy handler only arbitrates between processes
//! (`relais org create` beside a server).
//!
//! The mutex guards one connection kept for writes. SQLite empties a connection's
//! page cache whenever another connection has written since its last transaction,
//! so writes spread over the pool's connections read every index page they touch
//! again from the file (a fan-out chunk took twice as long in the server as in the
//! `sqlite3` shell); the one writing connection keeps its cache.
//!
//! PostgreSQL locks rows, not the database: its transactions come from the pool
//! and take no turn.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::{Connection, SqliteConnection};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Longest wait for the turn (SQLite's own busy timeout is 10 s; a turn waits
/// behind several writers).
const TURN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The connection writes go through, and whether a transaction was left open on
/// it (a [`WriteTx`] dropped without commit, after an error).
pub(crate) struct Writing<C> {
    conn: C,
    open: bool,
}

/// The turn writers of one process queue for (SQLite).
pub(crate) type WriteTurn = Arc<Mutex<Writing<SqliteConnection>>>;

/// Opens the writing connection.
pub(crate) async fn write_turn(options: &sqlx::sqlite::SqliteConnectOptions) -> Result<WriteTurn, sqlx::Error> {
    Ok(Arc::new(Mutex::new(Writing {
        conn: SqliteConnection::connect_with(options).await?,
        open: false,
    })))
}

/// A write transaction: committed by [`WriteTx::commit`], rolled back otherwise
/// (also when dropped, e.g. by an early return or an error).
pub(crate) struct WriteTx<DB: sqlx::Database>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    /// `None` only once ended.
    inner: Option<Inner<DB>>,
}

enum Inner<DB: sqlx::Database> {
    /// A transaction of the pool (PostgreSQL).
    Pooled(sqlx::Transaction<'static, DB>),
    /// The process's writing connection, held for the transaction (SQLite).
    Turn(OwnedMutexGuard<Writing<DB::Connection>>),
}

impl<DB: sqlx::Database> WriteTx<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    /// A transaction of the pool.
    pub(crate) async fn pooled(pool: &sqlx::Pool<DB>) -> Result<Self, sqlx::Error> {
        Ok(Self {
            inner: Some(Inner::Pooled(pool.begin().await?)),
        })
    }

    /// Waits for the turn, then begins with `begin` (SQLite: `BEGIN IMMEDIATE`,
    /// which takes the write lock at once: a deferred transaction that reads first
    /// and writes later can fail with "database is locked" when another process
    /// wrote in between).
    pub(crate) async fn turn(
        turn: &Arc<Mutex<Writing<DB::Connection>>>,
        begin: &'static str,
    ) -> Result<Self, sqlx::Error> {
        // Bounded like a pool's acquire: a writer that never ends its transaction
        // must show up as an error, not as every later write hanging.
        let mut writing = tokio::time::timeout(TURN_TIMEOUT, Arc::clone(turn).lock_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?;
        if writing.open {
            // A transaction left open (its rollback could not be run): undo it.
            // SQLite may have ended it already on some errors, hence no `?`.
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe("ROLLBACK"))
                .execute(&mut writing.conn)
                .await;
            writing.open = false;
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(begin))
            .execute(&mut writing.conn)
            .await?;
        writing.open = true;
        Ok(Self {
            inner: Some(Inner::Turn(writing)),
        })
    }

    pub(crate) async fn commit(mut self) -> Result<(), sqlx::Error> {
        match self.inner.take() {
            Some(Inner::Pooled(tx)) => tx.commit().await,
            Some(Inner::Turn(writing)) => end(writing, "COMMIT").await,
            None => Ok(()),
        }
    }

    pub(crate) async fn rollback(mut self) -> Result<(), sqlx::Error> {
        match self.inner.take() {
            Some(Inner::Pooled(tx)) => tx.rollback().await,
            Some(Inner::Turn(writing)) => end(writing, "ROLLBACK").await,
            None => Ok(()),
        }
    }

    fn conn(&self) -> &DB::Connection {
        match &self.inner {
            Some(Inner::Pooled(tx)) => tx,
            Some(Inner::Turn(writing)) => &writing.conn,
            None => unreachable!("a transaction is used only until it ends"),
        }
    }

    fn conn_mut(&mut self) -> &mut DB::Connection {
        match &mut self.inner {
            Some(Inner::Pooled(tx)) => tx,
            Some(Inner::Turn(writing)) => &mut writing.conn,
            None => unreachable!("a transaction is used only until it ends"),
        }
    }
}

async fn end<DB: sqlx::Database>(
    mut writing: OwnedMutexGuard<Writing<DB::Connection>>,
    how: &'static str,
) -> Result<(), sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let ended = sqlx::raw_sql(sqlx::AssertSqlSafe(how)).execute(&mut writing.conn).await;
    // A failed COMMIT leaves the transaction open: the next turn undoes it.
    if ended.is_ok() || how == "ROLLBACK" {
        writing.open = false;
    }
    ended.map(drop)
}

impl<DB: sqlx::Database> Drop for WriteTx<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    fn drop(&mut self) {
        // Dropped while open: roll back now, still holding the turn, so that the
        // writing connection does not keep SQLite's write lock (and other
        // processes waiting) until the next writer comes. (A pooled transaction
        // rolls itself back.)
        if let Some(Inner::Turn(writing)) = self.inner.take()
            && writing.open
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                if let Err(error) = end::<DB>(writing, "ROLLBACK").await {
                    tracing::warn!(%error, "rolling back an abandoned write transaction");
                }
            });
        }
    }
}

impl<DB: sqlx::Database> Deref for WriteTx<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        self.conn()
    }
}

impl<DB: sqlx::Database> DerefMut for WriteTx<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    fn deref_mut(&mut self) -> &mut DB::Connection {
        self.conn_mut()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    async fn users(store: &crate::SqliteStore) -> Vec<String> {
        sqlx::query_scalar("SELECT email FROM users ORDER BY email")
            .fetch_all(&store.pool)
            .await
            .unwrap()
    }

    async fn add_user(conn: &mut sqlx::SqliteConnection, email: &str) {
        sqlx::query("INSERT INTO users (email, created_at) VALUES ($1, 1)")
            .bind(email)
            .execute(conn)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_transaction_dropped_open_is_undone_and_frees_the_lock() {
        let dir = std::env::temp_dir().join(format!("relais-write-tx-{}", crate::random_token()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = crate::SqliteStore::connect(&format!("sqlite://{}", dir.join("relais.db").display()))
            .await
            .unwrap();

        // An early return or an error drops the transaction without commit.
        {
            let mut tx = store.begin_write().await.unwrap();
            add_user(&mut tx, "dropped@example.org").await;
        }
        // Another connection writes at once: the write lock was given back
        // (the busy handler would have waited its 10 s and failed otherwise).
        let started = Instant::now();
        sqlx::query("INSERT INTO users (email, created_at) VALUES ('pool@example.org', 1)")
            .execute(&store.pool)
            .await
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert_eq!(users(&store).await, ["pool@example.org"]);

        // The next turns work, in order, and a rollback undoes.
        let mut tx = store.begin_write().await.unwrap();
        add_user(&mut tx, "kept@example.org").await;
        tx.commit().await.unwrap();
        let mut tx = store.begin_write().await.unwrap();
        add_user(&mut tx, "undone@example.org").await;
        tx.rollback().await.unwrap();
        assert_eq!(users(&store).await, ["kept@example.org", "pool@example.org"]);

        crate::Store::close(&store).await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
