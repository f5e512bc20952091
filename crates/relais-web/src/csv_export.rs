//! CSV downloads of many rows (signatures, people, gifts), streamed a page at a
//! time: each page is read after the last id sent (keyset paging), so a million
//! rows are never in memory at once and the first bytes leave at once.

use std::future::Future;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use relais_store::StoreResult;

use crate::AppError;

/// A streamed, uncached CSV attachment named `filename`. `fetch(after)` reads the
/// next page of `page_size` rows; `write(rows, first)` turns a page into CSV bytes
/// (with the header line when `first`); `id_of` gives the key the next page starts
/// after. `what` names the export in the log if it fails midway.
pub(crate) fn stream<T, F, Fut, W>(
    filename: &str,
    page_size: i64,
    fetch: F,
    write: W,
    id_of: fn(&T) -> i64,
    what: &'static str,
) -> Response
where
    T: Send + 'static,
    F: Fn(i64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = StoreResult<Vec<T>>> + Send,
    W: Fn(&[T], bool) -> Result<Vec<u8>, AppError> + Clone + Send + Sync + 'static,
{
    let stream = futures_util::stream::unfold(Some(0_i64), move |after| {
        let (fetch, write) = (fetch.clone(), write.clone());
        async move {
            let after = after?;
            let page = match fetch(after).await {
                Ok(rows) => write(&rows, after == 0).map(|bytes| {
                    // A short page is the last one.
                    let full = i64::try_from(rows.len()).is_ok_and(|n| n == page_size);
                    (bytes, rows.last().map(id_of).filter(|_| full))
                }),
                Err(e) => Err(AppError::Store(e)),
            };
            match page {
                Ok((bytes, next)) => Some((Ok::<_, std::io::Error>(bytes), next)),
                Err(e) => {
                    tracing::error!(error = %e, export = what, "export failed midway");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            // Personal data: never kept by a browser or a proxy.
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}
