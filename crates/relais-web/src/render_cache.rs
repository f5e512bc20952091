//! What the renderers of deferred messages read once and share across copies: a
//! post, a message or a petition with its association, named by every one of
//! thousands of messages a second, is read once per [`TTL`], not per message.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use relais_messaging::DeliveryError;

/// How long a value read for rendering is reused: an edit shows in the messages
/// that leave after this long.
const TTL: Duration = Duration::from_secs(30);

/// Values by id, each with the instant it was read.
pub(crate) struct RenderCache<T>(Mutex<HashMap<i64, (Instant, Arc<T>)>>);

impl<T> Default for RenderCache<T> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<T> RenderCache<T> {
    /// The value of `id`, read by `load` when absent or older than [`TTL`];
    /// `None` when `load` finds nothing (nothing is remembered then).
    pub(crate) async fn get<F>(&self, id: i64, load: F) -> Result<Option<Arc<T>>, DeliveryError>
    where
        F: Future<Output = Result<Option<T>, DeliveryError>>,
    {
        if let Ok(map) = self.0.lock()
            && let Some((at, found)) = map.get(&id)
            && at.elapsed() < TTL
        {
            return Ok(Some(Arc::clone(found)));
        }
        let Some(value) = load.await? else {
            return Ok(None);
        };
        let found = Arc::new(value);
        if let Ok(mut map) = self.0.lock() {
            // Values in use are few; forget the stale ones so the map stays small.
            map.retain(|_, (at, _)| at.elapsed() < TTL);
            map.insert(id, (Instant::now(), Arc::clone(&found)));
        }
        Ok(Some(found))
    }
}
