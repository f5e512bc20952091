//! The parts of [`crate::Store`] that are the same for both backends.

macro_rules! impl_store {
    ($store:ty, $name:literal, checkpoint = $checkpoint:literal) => {
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
