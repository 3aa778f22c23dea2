//! Metric catalogs: what each exporter of the stack exports, with types,
//! label names and help. `genmon check` uses them to reject panels and alerts
//! on metrics (or labels) that nobody exports, offline.
//!
//! - [`CATALOG`]: genmon-exporter's families outside the node_exporter-named
//!   host collectors (its own process, process groups, probes, framework).
//! - [`BUNDLED`]: the catalogs of node_exporter 1.5, blackbox_exporter 0.23,
//!   process-exporter 0.7, Prometheus 2.42 and Alertmanager 0.25, imported
//!   from the real Debian binaries' `/metrics` with `scripts/catalog-import`
//!   (`crates/genmon-exporter/src/catalogs/*.tsv`). genmon-exporter's host collectors export
//!   node_exporter's families, so [`exporter_families`] is [`CATALOG`] plus
//!   the node_exporter catalog.
//! - The `genmon-service` library's families (`genmon_service::CATALOG`,
//!   exporter [`SERVICE_LIBRARY`]) are part of [`BUNDLED`]: what `services:`
//!   generates, and any panel on a service, is checked against them.

use serde::Serialize;

/// Prometheus metric type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    Info,
    /// Summary (quantiles, `_sum`, `_count`).
    Summary,
    /// Untyped (node_exporter's netstat and vmstat fields).
    Untyped,
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
    m!("process", "namedprocess_namegroup_read_bytes_total", Counter, "bytes", ["groupname"], "number of bytes read by this group"),
    m!("process", "namedprocess_namegroup_write_bytes_total", Counter, "bytes", ["groupname"], "number of bytes written by this group"),
    m!("process", "namedprocess_namegroup_major_page_faults_total", Counter, "", ["groupname"], "Major page faults"),
    m!("process", "namedprocess_namegroup_minor_page_faults_total", Counter, "", ["groupname"], "Minor page faults"),
    m!("process", "namedprocess_namegroup_context_switches_total", Counter, "", ["groupname", "ctxswitchtype"], "Context switches"),
    m!("process", "namedprocess_namegroup_states", Gauge, "", ["groupname", "state"], "Number of processes in states Running, Sleeping, Waiting, Zombie, or Other"),
    m!("process", "namedprocess_namegroup_worst_fd_ratio", Gauge, "ratio", ["groupname"], "the worst (closest to 1) ratio between open fds and max fds among all procs in this group"),
    m!("process", "namedprocess_namegroup_threads_wchan", Gauge, "", ["groupname", "wchan"], "Number of threads in this group waiting on each wchan"),
    m!("process", "namedprocess_scrape_errors", Counter, "", [], "general scrape errors: no proc metrics collected during a cycle"),
    m!("process", "namedprocess_scrape_procread_errors", Counter, "", [], "incremented each time a proc's metrics collection fails"),
    m!("process", "namedprocess_scrape_partial_errors", Counter, "", [], "incremented each time a tracked proc's metrics collection fails partially, e.g. unreadable I/O stats"),
    // process groups with `process_threads: true` (process-exporter's -threads)
    m!("process", "namedprocess_namegroup_thread_count", Gauge, "", ["groupname", "threadname"], "Number of threads in this group with same threadname"),
    m!("process", "namedprocess_namegroup_thread_cpu_seconds_total", Counter, "seconds", ["groupname", "threadname", "mode"], "Cpu user/system usage in seconds"),
    m!("process", "namedprocess_namegroup_thread_io_bytes_total", Counter, "bytes", ["groupname", "threadname", "iomode"], "number of bytes read/written by these threads"),
    m!("process", "namedprocess_namegroup_thread_major_page_faults_total", Counter, "", ["groupname", "threadname"], "Major page faults for these threads"),
    m!("process", "namedprocess_namegroup_thread_minor_page_faults_total", Counter, "", ["groupname", "threadname"], "Minor page faults for these threads"),
    m!("process", "namedprocess_namegroup_thread_context_switches_total", Counter, "", ["groupname", "threadname", "ctxswitchtype"], "Context switches for these threads"),
    // probe: blackbox_exporter's names, plus `probe` (the probe's name) and `target`
    m!("probe", "probe_success", Gauge, "", ["probe", "target"], "Displays whether or not the probe was a success"),
    m!("probe", "probe_duration_seconds", Gauge, "seconds", ["probe", "target"], "Returns how long the probe took to complete in seconds"),
    m!("probe", "probe_http_duration_seconds", Gauge, "seconds", ["probe", "target", "phase"], "Duration of http request by phase, summed over all redirects"),
    m!("probe", "probe_http_status_code", Gauge, "", ["probe", "target"], "Response HTTP status code"),
    m!("probe", "probe_http_ssl", Gauge, "", ["probe", "target"], "Indicates if SSL was used for the final redirect"),
    m!("probe", "probe_ssl_earliest_cert_expiry", Gauge, "seconds", ["probe", "target"], "Returns last SSL chain expiry in unixtime"),
    m!("probe", "probe_tls_version_info", Gauge, "", ["probe", "target", "version"], "Returns the TLS version used or NaN when unknown"),
    m!("probe", "genmon_probe_requests_total", Counter, "", ["probe", "target", "result"], "Probes run, by result (success, failure)."),
    m!("probe", "genmon_probe_phase_duration_seconds", Histogram, "seconds", ["probe", "target", "phase"], "Probe duration by phase (resolve, connect, processing, transfer, total)."),
    // textfile: node_exporter's names
    m!("textfile", "node_textfile_scrape_error", Gauge, "", [], "1 if there was an error opening or reading a file, 0 otherwise"),
    m!("textfile", "node_textfile_mtime_seconds", Gauge, "seconds", ["file"], "Unixtime mtime of textfiles successfully read."),
];

/// One bundled catalog: exporter name and its TSV (`name<TAB>type<TAB>labels<TAB>help`).
const BUNDLED_SOURCES: &[(&str, &str)] = &[
    ("node_exporter", include_str!("catalogs/node_exporter.tsv")),
    ("blackbox_exporter", include_str!("catalogs/blackbox_exporter.tsv")),
    ("process_exporter", include_str!("catalogs/process_exporter.tsv")),
    ("prometheus", include_str!("catalogs/prometheus.tsv")),
    ("alertmanager", include_str!("catalogs/alertmanager.tsv")),
];

fn parse_bundled(exporter: &'static str, text: &'static str) -> Vec<MetricInfo> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut f = l.splitn(4, '\t');
            let (name, kind, labels, help) = (
                f.next().unwrap_or_default(),
                f.next().unwrap_or_default(),
                f.next().unwrap_or_default(),
                f.next().unwrap_or_default(),
            );
            let kind = match kind {
                "counter" => Counter,
                "histogram" => Histogram,
                "summary" => MetricType::Summary,
                "untyped" => MetricType::Untyped,
                _ => Gauge,
            };
            let labels: Vec<&'static str> = labels.split(',').filter(|l| !l.is_empty()).collect();
            let unit = unit_of(name);
            MetricInfo {
                name,
                kind,
                unit,
                help,
                labels: Box::leak(labels.into_boxed_slice()),
                collector: exporter,
            }
        })
        .collect()
}

/// The bundled catalogs, parsed once.
pub static BUNDLED: std::sync::LazyLock<Vec<MetricInfo>> = std::sync::LazyLock::new(|| {
    let files = BUNDLED_SOURCES.iter().flat_map(|(e, t)| parse_bundled(e, t));
    files.chain(genmon_service::CATALOG.iter().map(service_family)).collect()
});

/// Exporter name of the `genmon-service` library's families in [`BUNDLED`].
pub const SERVICE_LIBRARY: &str = "genmon_service";

/// A family of the `genmon-service` library, from the library's own catalog
/// (one source of truth: the crate that records the metrics).
fn service_family(m: &'static genmon_service::CatalogMetric) -> MetricInfo {
    use genmon_service::MetricKind as K;
    MetricInfo {
        name: m.name,
        kind: match m.kind {
            K::Counter => Counter,
            K::Gauge => Gauge,
            K::Histogram => Histogram,
        },
        unit: unit_of(m.name),
        help: m.help,
        labels: m.labels,
        collector: SERVICE_LIBRARY,
    }
}

/// Base unit from a Prometheus name's suffix (`_seconds`, `_bytes`, `_ratio`).
fn unit_of(name: &str) -> &'static str {
    ["seconds", "bytes", "ratio"]
        .into_iter()
        .find(|u| name.trim_end_matches("_total").ends_with(&format!("_{u}")))
        .unwrap_or("")
}

/// node_exporter families genmon-exporter does not export (see the
/// compatibility test's list of differences for why).
const NOT_EXPORTED: &[&str] = &["node_exporter_build_info"];

/// Every family genmon-exporter can export: [`CATALOG`] plus node_exporter's.
pub fn exporter_families() -> Vec<&'static MetricInfo> {
    let node =
        |m: &&MetricInfo| m.collector == "node_exporter" && !NOT_EXPORTED.contains(&m.name) && !CATALOG.iter().any(|c| c.name == m.name);
    CATALOG.iter().chain(BUNDLED.iter().filter(node)).collect()
}

/// Every known family: genmon-exporter's and the bundled catalogs'.
pub fn all() -> impl Iterator<Item = &'static MetricInfo> {
    CATALOG.iter().chain(BUNDLED.iter())
}

/// Look a metric family up by name in every catalog (histogram series
/// `_bucket`/`_sum`/`_count` resolve to their family).
pub fn lookup(series: &str) -> Option<&'static MetricInfo> {
    if let Some(m) = all().find(|m| m.name == series) {
        return Some(m);
    }
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = series.strip_suffix(suffix)
            && let Some(m) = all().find(|m| m.name == base && matches!(m.kind, Histogram | MetricType::Summary))
        {
            return Some(m);
        }
    }
    None
}

/// Look a family up in genmon-exporter's own [`CATALOG`] only.
pub fn lookup_own(name: &str) -> Option<&'static MetricInfo> {
    CATALOG.iter().find(|m| m.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled(exporter: &str, name: &str) -> &'static MetricInfo {
        BUNDLED
            .iter()
            .find(|m| m.collector == exporter && m.name == name)
            .unwrap_or_else(|| panic!("{name} is not in the {exporter} catalog"))
    }

    /// genmon-exporter's families named after other exporters' are those
    /// exporters' families: same type and help; labels too, plus `probe` and
    /// `target` on blackbox's (one exporter runs many probes).
    #[test]
    fn ecosystem_names_match_the_real_exporters() {
        for m in CATALOG {
            let (exporter, extra): (&str, &[&str]) = if m.name.starts_with("probe_") {
                ("blackbox_exporter", &["probe", "target"])
            } else if m.name.starts_with("namedprocess_") {
                ("process_exporter", &[])
            } else if m.name.starts_with("node_") {
                ("node_exporter", &[])
            } else {
                continue;
            };
            let b = bundled(exporter, m.name);
            assert_eq!((m.kind, m.help), (b.kind, b.help), "{}", m.name);
            let mut want: Vec<&str> = b.labels.iter().chain(extra).copied().collect();
            let mut got = m.labels.to_vec();
            want.sort();
            got.sort();
            assert_eq!(got, want, "{} labels", m.name);
        }
    }

    #[test]
    fn bundled_catalogs_parse() {
        for (e, n) in [
            ("node_exporter", 200),
            ("prometheus", 100),
            ("alertmanager", 30),
            ("blackbox_exporter", 10),
            ("process_exporter", 10),
        ] {
            let c = BUNDLED.iter().filter(|m| m.collector == e).count();
            assert!(c >= n, "{e}: {c} families");
        }
        assert_eq!(bundled("node_exporter", "node_cpu_seconds_total").labels, ["cpu", "mode"]);
        assert_eq!(lookup("prometheus_http_request_duration_seconds_bucket").unwrap().kind, Histogram);
        assert_eq!(lookup("node_filesystem_avail_bytes").unwrap().unit, "bytes");
        assert!(lookup("genmon_cpu_seconds_total").is_none());
        // node_exporter's build info is known to `check` but not claimed by genmon-exporter.
        assert!(lookup("node_exporter_build_info").is_some());
        assert!(!exporter_families().iter().any(|m| m.name == "node_exporter_build_info"));
    }
}
