//! Instrument a Rust service for genmon in three lines.
//!
//! ```no_run
//! # async fn run(app: axum::Router, listener: tokio::net::TcpListener) -> Result<(), Box<dyn std::error::Error>> {
//! let service = genmon_service::Builder::new().metrics_listen("127.0.0.1:9464".parse()?).install().await?;
//! let app = app.layer(genmon_service::HttpMetricsLayer::new());
//! axum::serve(listener, app).with_graceful_shutdown(service.shutdown_signal()).await?;
//! # Ok(()) }
//! ```
//!
//! The service keeps using `metrics::counter!` and friends for its own
//! metrics; they are exported on the same `/metrics` endpoint. The names this
//! crate records are listed in [`CATALOG`], which genmon's `services:` spec
//! section builds its dashboards, SLOs and alerts on.

pub mod catalog;
mod http_stats;
mod layer;
#[cfg(feature = "json-logs")]
mod logs;
pub mod ops;
mod runtime;
mod server;

pub use catalog::{CATALOG, CatalogMetric, MetricKind};
pub use http_stats::write_http_metrics;
pub use layer::{HttpMetrics, HttpMetricsLayer, ResponseFuture};
#[cfg(feature = "json-logs")]
pub use logs::init_json_logs;
pub use server::{Builder, Error, Service};

/// Bucket boundaries (seconds) OpenTelemetry recommends for
/// `http.server.request.duration`; also the default for histograms the
/// service records itself.
pub const HTTP_DURATION_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

/// Bucket boundaries (seconds) for [`ops`] timings: in-process operations
/// (cache lookups, queries) are often sub-millisecond.
pub const OPERATION_DURATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
