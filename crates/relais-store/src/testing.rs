//! Fresh databases for tests (feature `test-support`): a SQLite file in a
//! temporary folder, or a new database on the PostgreSQL server named by
//! `RELAIS_TEST_DATABASE_URL`, dropped afterwards.
//!
//! Without that variable PostgreSQL tests skip with a loud message, unless
//! `RELAIS_REQUIRE_POSTGRES=1` (CI), where they fail.

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file.
    Sqlite,
    /// PostgreSQL database.
    Postgres,
}

/// A database made for one test.
pub struct TestDatabase {
    /// Its URL.
    pub url: String,
    admin: Option<(String, String)>,
    /// Keeps the SQLite folder alive.
    pub dir: tempfile::TempDir,
}

impl TestDatabase {
    /// A fresh database, or `None` when PostgreSQL is not configured (and not required).
    pub async fn create(backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temporary folder");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("relais.db").display());
                Some(Self { url, admin: None, dir })
            }
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var("RELAIS_TEST_DATABASE_URL") else {
                    assert!(
                        std::env::var("RELAIS_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                        "RELAIS_REQUIRE_POSTGRES=1 but RELAIS_TEST_DATABASE_URL is not set"
                    );
                    eprintln!("!!! SKIPPED: PostgreSQL test (set RELAIS_TEST_DATABASE_URL to run it)");
                    return None;
                };
                let name = format!("relais_test_{}", &crate::random_token()[..16]);
                let admin = sqlx::PgPool::connect(&admin_url)
                    .await
                    .expect("connect to RELAIS_TEST_DATABASE_URL");
                // A French association's server sorts text the French way, not byte
                // by byte: tests run under that collation (ICU's, which every
                // PostgreSQL package ships) so that nothing relies on the C order.
                let french = format!(
                    "CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'fr-FR' LOCALE 'C.UTF-8'"
                );
                if sqlx::query(sqlx::AssertSqlSafe(french)).execute(&admin).await.is_err() {
                    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                        .execute(&admin)
                        .await
                        .expect("create test database");
                }
                admin.close().await;
                let mut url = url::Url::parse(&admin_url).expect("RELAIS_TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                Some(Self {
                    url: url.to_string(),
                    admin: Some((admin_url, name)),
                    dir,
                })
            }
        }
    }

    /// Drops the PostgreSQL database (SQLite files go with the folder).
    pub async fn drop_database(self) {
        if let Some((admin_url, name)) = self.admin {
            let admin = sqlx::PgPool::connect(&admin_url).await.expect("reconnect");
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&admin)
            .await
            .expect("drop test database");
            admin.close().await;
        }
    }
}
