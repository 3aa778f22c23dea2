//! The metrics this crate records, as genmon's checker needs to know them.

/// Prometheus metric type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
    Histogram,
}

/// One metric family the library exposes.
#[derive(Clone, Copy, Debug)]
pub struct CatalogMetric {
    /// Family name as scraped (histograms: without `_bucket`/`_sum`/`_count`).
    pub name: &'static str,
    pub kind: MetricKind,
    pub labels: &'static [&'static str],
    pub help: &'static str,
}

const fn m(name: &'static str, kind: MetricKind, labels: &'static [&'static str], help: &'static str) -> CatalogMetric {
    CatalogMetric { name, kind, labels, help }
}

use MetricKind::{Counter, Gauge, Histogram};

pub(crate) const HTTP_DURATION: &str = "http_server_request_duration_seconds";
pub(crate) const HTTP_ACTIVE: &str = "http_server_active_requests";
pub(crate) const OP_DURATION: &str = "operation_duration_seconds";
pub(crate) const CACHE_REQUESTS: &str = "cache_requests_total";
pub(crate) const QUEUE_DEPTH: &str = "queue_depth";
pub(crate) const ERRORS: &str = "errors_total";

/// Every metric family the library records (besides the service's own).
pub const CATALOG: &[CatalogMetric] = &[
    m(
        HTTP_DURATION,
        Histogram,
        &["http_request_method", "http_route", "http_response_status_code", "error_type"],
        "Duration of HTTP server requests (OpenTelemetry http.server.request.duration).",
    ),
    m(
        HTTP_ACTIVE,
        Gauge,
        &["http_request_method"],
        "Number of HTTP server requests in flight (OpenTelemetry http.server.active_requests).",
    ),
    m(OP_DURATION, Histogram, &["operation", "outcome"], "Duration of timed operations."),
    m(
        CACHE_REQUESTS,
        Counter,
        &["cache", "result"],
        "Cache lookups by result (hit, miss).",
    ),
    m(QUEUE_DEPTH, Gauge, &["queue"], "Items waiting in a queue."),
    m(ERRORS, Counter, &["kind"], "Errors by kind."),
    m(
        "process_cpu_seconds_total",
        Counter,
        &[],
        "Total user and system CPU time spent in seconds.",
    ),
    m("process_resident_memory_bytes", Gauge, &[], "Resident memory size in bytes."),
    m("process_virtual_memory_bytes", Gauge, &[], "Virtual memory size in bytes."),
    m("process_open_fds", Gauge, &[], "Number of open file descriptors."),
    m("process_max_fds", Gauge, &[], "Maximum number of open file descriptors."),
    m(
        "process_start_time_seconds",
        Gauge,
        &[],
        "Start time of the process since unix epoch in seconds.",
    ),
    m("process_threads", Gauge, &[], "Number of OS threads in the process."),
    m("tokio_workers", Gauge, &[], "Worker threads of the tokio runtime."),
    m("tokio_alive_tasks", Gauge, &[], "Tasks alive in the tokio runtime."),
    m(
        "tokio_global_queue_depth",
        Gauge,
        &[],
        "Tasks waiting in the tokio runtime's global queue.",
    ),
    m(
        "tokio_worker_busy_seconds_total",
        Counter,
        &[],
        "Time tokio workers spent busy, summed over workers.",
    ),
    m(
        "tokio_worker_parks_total",
        Counter,
        &[],
        "Times tokio workers parked, summed over workers.",
    ),
];
