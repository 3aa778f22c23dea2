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

/// HTTP server request duration histogram (OpenTelemetry `http.server.request.duration`).
pub const HTTP_DURATION: &str = "http_server_request_duration_seconds";
/// HTTP server requests in flight (OpenTelemetry `http.server.active_requests`).
pub const HTTP_ACTIVE: &str = "http_server_active_requests";
pub const OP_DURATION: &str = "operation_duration_seconds";
pub const CACHE_REQUESTS: &str = "cache_requests_total";
pub const QUEUE_DEPTH: &str = "queue_depth";
pub const ERRORS: &str = "errors_total";
pub const PROCESS_CPU: &str = "process_cpu_seconds_total";
pub const PROCESS_RESIDENT: &str = "process_resident_memory_bytes";
pub const PROCESS_OPEN_FDS: &str = "process_open_fds";
pub const PROCESS_MAX_FDS: &str = "process_max_fds";
pub const TOKIO_WORKERS: &str = "tokio_workers";
pub const TOKIO_ALIVE_TASKS: &str = "tokio_alive_tasks";
pub const TOKIO_GLOBAL_QUEUE: &str = "tokio_global_queue_depth";
pub const TOKIO_BUSY: &str = "tokio_worker_busy_seconds_total";
pub const TOKIO_BLOCKING_THREADS: &str = "tokio_blocking_threads";

/// Label of [`HTTP_DURATION`] and [`HTTP_ACTIVE`]: the request method.
pub const LABEL_METHOD: &str = "http_request_method";
/// Label of [`HTTP_DURATION`]: the matched route template.
pub const LABEL_ROUTE: &str = "http_route";
/// Label of [`HTTP_DURATION`]: the response status code.
pub const LABEL_STATUS: &str = "http_response_status_code";
/// Label of [`HTTP_DURATION`] when the inner service failed without a response.
pub const LABEL_ERROR_TYPE: &str = "error_type";

/// Every metric family the library records (besides the service's own).
pub const CATALOG: &[CatalogMetric] = &[
    m(
        HTTP_DURATION,
        Histogram,
        &[LABEL_METHOD, LABEL_ROUTE, LABEL_STATUS, LABEL_ERROR_TYPE],
        "Duration of HTTP server requests (OpenTelemetry http.server.request.duration).",
    ),
    m(
        HTTP_ACTIVE,
        Gauge,
        &[LABEL_METHOD],
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
    m(PROCESS_CPU, Counter, &[], "Total user and system CPU time spent in seconds."),
    m(PROCESS_RESIDENT, Gauge, &[], "Resident memory size in bytes."),
    m("process_virtual_memory_bytes", Gauge, &[], "Virtual memory size in bytes."),
    m(PROCESS_OPEN_FDS, Gauge, &[], "Number of open file descriptors."),
    m(PROCESS_MAX_FDS, Gauge, &[], "Maximum number of open file descriptors."),
    m(
        "process_start_time_seconds",
        Gauge,
        &[],
        "Start time of the process since unix epoch in seconds.",
    ),
    m("process_threads", Gauge, &[], "Number of OS threads in the process."),
    m(TOKIO_WORKERS, Gauge, &[], "Worker threads of the tokio runtime."),
    m(TOKIO_ALIVE_TASKS, Gauge, &[], "Tasks alive in the tokio runtime."),
    m(TOKIO_GLOBAL_QUEUE, Gauge, &[], "Tasks waiting in the tokio runtime's global queue."),
    m(TOKIO_BUSY, Counter, &[], "Time tokio workers spent busy, summed over workers."),
    m(
        TOKIO_BLOCKING_THREADS,
        Gauge,
        &[],
        "Threads of the tokio runtime's blocking pool (busy or idle), workers excluded.",
    ),
    m(
        "tokio_worker_parks_total",
        Counter,
        &[],
        "Times tokio workers parked, summed over workers.",
    ),
];
