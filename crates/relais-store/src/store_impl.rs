//! The parts of [`crate::Store`] that are the same for both backends.

macro_rules! impl_store {
    ($store:ty, $name:literal, checkpoint = $checkpoint:literal, optimize = $optimize:literal) => {
        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> &'static str {
                $name
            }

            fn wakeup(&self) -> std::sync::Arc<tokio::sync::Notify> {
                self.wakeup.clone()
            }

            async fn checkpoint(&self) -> $crate::StoreResult<()> {
                if !$checkpoint.is_empty() {
                    sqlx::query($checkpoint).execute(&self.pool).await?;
                }
                Ok(())
            }

            async fn optimize(&self) -> $crate::StoreResult<()> {
                if !$optimize.is_empty() {
                    let mut conn = self.pool.acquire().await?;
                    // A sample of each index is enough to tell a selective one from
                    // `org_id = ?` matching every row of a one-association install.
                    sqlx::query("PRAGMA analysis_limit = 1000")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query($optimize).execute(&mut *conn).await?;
                }
                Ok(())
            }

            async fn ping(&self) -> $crate::StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn close(&self) {
                self.pool.close().await;
            }
        }
    };
}

pub(crate) use impl_store;
