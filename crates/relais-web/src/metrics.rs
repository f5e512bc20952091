//! `/metrics` in the Prometheus/OpenMetrics text format: request counts and
//! latencies, the outbox by state, and this process's deliveries.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use relais_messaging::WorkerStats;

use crate::{AppError, Shared};

type Labels = Vec<(&'static str, String)>;

/// This process's metrics.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram>,
    outbox: Family<Labels, Gauge>,
}

#[derive(Debug)]
struct DeliveryCollector(Arc<WorkerStats>);

impl Collector for DeliveryCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for (name, help, value) in [
            (
                "relais_deliveries_sent",
                "Messages delivered by this process",
                &self.0.sent,
            ),
            (
                "relais_deliveries_failed",
                "Failed delivery attempts in this process",
                &self.0.failed,
            ),
        ] {
            let counter = ConstCounter::new(value.load(Ordering::Relaxed));
            counter.encode(encoder.encode_descriptor(name, help, None, counter.metric_type())?)?;
        }
        Ok(())
    }
}

impl Metrics {
    pub(crate) fn new(worker: Option<Arc<WorkerStats>>) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<Labels, Counter>::default();
        let latency =
            Family::<Labels, Histogram>::new_with_constructor(|| Histogram::new(exponential_buckets(0.001, 2.0, 14)));
        let outbox = Family::<Labels, Gauge>::default();
        registry.register(
            "relais_http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "relais_http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register(
            "relais_outbox_messages",
            "Outbox messages by state (whole installation)",
            outbox.clone(),
        );
        if let Some(stats) = worker {
            registry.register_collector(Box::new(DeliveryCollector(stats)));
        }
        Self {
            registry,
            requests,
            latency,
            outbox,
        }
    }
}

/// Counts every request by its route pattern (never the raw path: it may hold tokens).
pub(crate) async fn track(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let m = &state.metrics;
    m.requests
        .get_or_create(&vec![("method", method), ("route", route.clone()), ("status", status)])
        .inc();
    m.latency
        .get_or_create(&vec![("route", route)])
        .observe(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(state): State<Shared>) -> Result<Response, AppError> {
    let counts = state.store.outbox_counts().await?;
    for (status, n) in [
        ("pending", counts.pending),
        ("sending", counts.sending),
        ("sent", counts.sent),
        ("dead", counts.dead),
    ] {
        state
            .metrics
            .outbox
            .get_or_create(&vec![("status", status.to_owned())])
            .set(n);
    }
    let mut body = String::new();
    prometheus_client::encoding::text::encode(&mut body, &state.metrics.registry)
        .map_err(|e| AppError::Internal(format!("metrics encoding: {e}")))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response())
}
