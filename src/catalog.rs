//! The metric catalog: every metric `genmon-exporter` can export, declared
//! once. `genmon check` uses it to reject panels and alerts on metrics that
//! nobody exports; `genmon-exporter --catalog` prints it as JSON.

use serde::Serialize;

/// Prometheus metric type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    Info,
}

/// One metric family.
#[derive(Debug, Clone, Serialize)]
pub struct MetricInfo {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub kind: MetricType,
    /// Base unit (`seconds`, `bytes`, `ratio`, or empty when unitless).
    pub unit: &'static str,
    pub help: &'static str,
    pub labels: &'static [&'static str],
    /// The collector that exports it.
    pub collector: &'static str,
}

use MetricType::{Counter, Gauge, Histogram};

macro_rules! m {
    ($collector:literal, $name:literal, $kind:expr, $unit:literal, [$($l:literal),*], $help:literal) => {
        MetricInfo { name: $name, kind: $kind, unit: $unit, help: $help, labels: &[$($l),*], collector: $collector }
    };
}

/// genmon-exporter's families with fixed names outside the host collectors
/// (those carry node_exporter's names and help in their code).
#[rustfmt::skip]
pub static CATALOG: &[MetricInfo] = &[
    // framework (node_exporter's names)
    m!("exporter", "node_scrape_collector_duration_seconds", Gauge, "seconds", ["collector"], "node_exporter: Duration of a collector scrape."),
    m!("exporter", "node_scrape_collector_success", Gauge, "", ["collector"], "node_exporter: Whether a collector succeeded."),
    m!("exporter", "genmon_exporter_build_info", Gauge, "", ["version"], "A metric with a constant 1 value labelled by the exporter's version."),
    // process (own): the Prometheus client libraries' names
    m!("process", "process_cpu_seconds_total", Counter, "seconds", [], "Total user and system CPU time spent in seconds."),
    m!("process", "process_resident_memory_bytes", Gauge, "bytes", [], "Resident memory size in bytes."),
    m!("process", "process_virtual_memory_bytes", Gauge, "bytes", [], "Virtual memory size in bytes."),
    m!("process", "process_virtual_memory_max_bytes", Gauge, "bytes", [], "Maximum amount of virtual memory available in bytes."),
    m!("process", "process_open_fds", Gauge, "", [], "Number of open file descriptors."),
    m!("process", "process_max_fds", Gauge, "", [], "Maximum number of open file descriptors."),
    m!("process", "process_threads", Gauge, "", [], "Number of OS threads in the process."),
    m!("process", "process_start_time_seconds", Gauge, "seconds", [], "Start time of the process since unix epoch in seconds."),
    // process groups: process-exporter's names
    m!("process", "namedprocess_namegroup_num_procs", Gauge, "", ["groupname"], "number of processes in this group"),
    m!("process", "namedprocess_namegroup_cpu_seconds_total", Counter, "seconds", ["groupname", "mode"], "Cpu user usage in seconds"),
    m!("process", "namedprocess_namegroup_memory_bytes", Gauge, "bytes", ["groupname", "memtype"], "number of bytes of memory in use"),
    m!("process", "namedprocess_namegroup_open_filedesc", Gauge, "", ["groupname"], "number of open file descriptors for this group"),
    m!("process", "namedprocess_namegroup_num_threads", Gauge, "", ["groupname"], "Number of threads"),
    m!("process", "namedprocess_namegroup_oldest_start_time_seconds", Gauge, "seconds", ["groupname"], "start time in seconds since 1970/01/01 of oldest process in group"),
    // probe: blackbox_exporter's names, plus `probe` (the probe's name) and `target`
    m!("probe", "probe_success", Gauge, "", ["probe", "target"], "Displays whether or not the probe was a success"),
    m!("probe", "probe_duration_seconds", Gauge, "seconds", ["probe", "target"], "Returns how long the probe took to complete in seconds"),
    m!("probe", "probe_http_duration_seconds", Gauge, "seconds", ["probe", "target", "phase"], "Duration of http request by phase, summed over all redirects"),
    m!("probe", "probe_http_status_code", Gauge, "", ["probe", "target"], "Response HTTP status code"),
    m!("probe", "probe_ssl_earliest_cert_expiry", Gauge, "seconds", ["probe", "target"], "Returns last SSL chain expiry in unixtime"),
    m!("probe", "genmon_probe_requests_total", Counter, "", ["probe", "target", "result"], "Probes run, by result (success, failure)."),
    m!("probe", "genmon_probe_phase_duration_seconds", Histogram, "seconds", ["probe", "target", "phase"], "Probe duration by phase (resolve, connect, processing, transfer, total)."),
    // textfile: node_exporter's names
    m!("textfile", "node_textfile_scrape_error", Gauge, "", [], "1 if there was an error opening or reading a file, 0 otherwise"),
    m!("textfile", "node_textfile_mtime_seconds", Gauge, "seconds", ["file"], "Unixtime mtime of textfiles successfully read."),
];

/// Look a metric family up by name (histogram series `_bucket`/`_sum`/`_count` resolve to their family).
pub fn lookup(series: &str) -> Option<&'static MetricInfo> {
    if let Some(m) = CATALOG.iter().find(|m| m.name == series) {
        return Some(m);
    }
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = series.strip_suffix(suffix)
            && let Some(m) = CATALOG.iter().find(|m| m.name == base && m.kind == Histogram)
        {
            return Some(m);
        }
    }
    None
}
