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

/// Every metric family genmon-exporter can export.
#[rustfmt::skip]
pub static CATALOG: &[MetricInfo] = &[
    // framework
    m!("exporter", "genmon_exporter_collector_duration_seconds", Gauge, "seconds", ["collector"], "Time a collector took during the last scrape."),
    m!("exporter", "genmon_exporter_collector_success", Gauge, "", ["collector"], "1 if the collector's last run succeeded, 0 if it failed."),
    m!("exporter", "genmon_exporter_build_info", Gauge, "", ["version"], "A metric with a constant 1 value labelled by the exporter's version."),
    // cpu
    m!("cpu", "genmon_cpu_seconds_total", Counter, "seconds", ["cpu", "mode"], "Seconds the CPUs spent in each mode."),
    m!("cpu", "genmon_cpus", Gauge, "", [], "Number of logical CPUs."),
    // memory
    m!("memory", "genmon_memory_total_bytes", Gauge, "bytes", [], "Total usable memory."),
    m!("memory", "genmon_memory_available_bytes", Gauge, "bytes", [], "Memory available for new work without swapping (MemAvailable)."),
    m!("memory", "genmon_memory_free_bytes", Gauge, "bytes", [], "Unused memory (MemFree)."),
    m!("memory", "genmon_memory_cached_bytes", Gauge, "bytes", [], "Page cache memory (Cached)."),
    m!("memory", "genmon_memory_buffers_bytes", Gauge, "bytes", [], "Block device buffer memory (Buffers)."),
    m!("memory", "genmon_swap_total_bytes", Gauge, "bytes", [], "Total swap space."),
    m!("memory", "genmon_swap_free_bytes", Gauge, "bytes", [], "Unused swap space."),
    // load
    m!("load", "genmon_load1", Gauge, "", [], "1-minute load average."),
    m!("load", "genmon_load5", Gauge, "", [], "5-minute load average."),
    m!("load", "genmon_load15", Gauge, "", [], "15-minute load average."),
    // uptime
    m!("uptime", "genmon_boot_time_seconds", Gauge, "seconds", [], "Unix time the host booted."),
    // filesystem
    m!("filesystem", "genmon_filesystem_size_bytes", Gauge, "bytes", ["device", "mountpoint", "fstype"], "Filesystem size."),
    m!("filesystem", "genmon_filesystem_free_bytes", Gauge, "bytes", ["device", "mountpoint", "fstype"], "Free space, including blocks reserved for root."),
    m!("filesystem", "genmon_filesystem_avail_bytes", Gauge, "bytes", ["device", "mountpoint", "fstype"], "Space available to unprivileged users."),
    m!("filesystem", "genmon_filesystem_files", Gauge, "", ["device", "mountpoint", "fstype"], "Total inodes."),
    m!("filesystem", "genmon_filesystem_files_free", Gauge, "", ["device", "mountpoint", "fstype"], "Free inodes."),
    m!("filesystem", "genmon_filesystem_readonly", Gauge, "", ["device", "mountpoint", "fstype"], "1 if the filesystem is mounted read-only."),
    m!("filesystem", "genmon_filesystem_device_error", Gauge, "", ["device", "mountpoint", "fstype"], "1 if statvfs on the mount failed or timed out during the last scrape."),
    // disk
    m!("disk", "genmon_disk_read_bytes_total", Counter, "bytes", ["device"], "Bytes read from the block device."),
    m!("disk", "genmon_disk_written_bytes_total", Counter, "bytes", ["device"], "Bytes written to the block device."),
    m!("disk", "genmon_disk_reads_completed_total", Counter, "", ["device"], "Reads completed."),
    m!("disk", "genmon_disk_writes_completed_total", Counter, "", ["device"], "Writes completed."),
    m!("disk", "genmon_disk_io_time_seconds_total", Counter, "seconds", ["device"], "Seconds the device spent doing I/O."),
    // network
    m!("network", "genmon_network_receive_bytes_total", Counter, "bytes", ["device"], "Bytes received."),
    m!("network", "genmon_network_transmit_bytes_total", Counter, "bytes", ["device"], "Bytes transmitted."),
    m!("network", "genmon_network_receive_packets_total", Counter, "", ["device"], "Packets received."),
    m!("network", "genmon_network_transmit_packets_total", Counter, "", ["device"], "Packets transmitted."),
    m!("network", "genmon_network_receive_errors_total", Counter, "", ["device"], "Receive errors."),
    m!("network", "genmon_network_transmit_errors_total", Counter, "", ["device"], "Transmit errors."),
    m!("network", "genmon_network_receive_drop_total", Counter, "", ["device"], "Received packets dropped."),
    m!("network", "genmon_network_transmit_drop_total", Counter, "", ["device"], "Transmitted packets dropped."),
    m!("network", "genmon_network_up", Gauge, "", ["device"], "1 if the interface is operationally up."),
    // process (own) — standard Prometheus client names
    m!("process", "process_cpu_seconds_total", Counter, "seconds", [], "CPU seconds used by the exporter."),
    m!("process", "process_resident_memory_bytes", Gauge, "bytes", [], "Resident memory of the exporter."),
    m!("process", "process_open_fds", Gauge, "", [], "Open file descriptors of the exporter."),
    m!("process", "process_max_fds", Gauge, "", [], "Maximum open file descriptors of the exporter."),
    m!("process", "process_threads", Gauge, "", [], "Threads of the exporter."),
    m!("process", "process_start_time_seconds", Gauge, "seconds", [], "Unix time the exporter started."),
    // process groups
    m!("process", "genmon_process_group_processes", Gauge, "", ["group"], "Processes matching the group."),
    m!("process", "genmon_process_group_cpu_seconds_total", Counter, "seconds", ["group"], "CPU seconds used by the group's processes."),
    m!("process", "genmon_process_group_resident_memory_bytes", Gauge, "bytes", ["group"], "Resident memory of the group's processes."),
    m!("process", "genmon_process_group_open_fds", Gauge, "", ["group"], "Open file descriptors of the group's processes."),
    // probe
    m!("probe", "genmon_probe_success", Gauge, "", ["probe", "target"], "1 if the last probe succeeded."),
    m!("probe", "genmon_probe_duration_seconds", Histogram, "seconds", ["probe", "target", "phase"], "Probe duration by phase (resolve, connect, tls, processing, transfer, total)."),
    m!("probe", "genmon_probe_http_status_code", Gauge, "", ["probe", "target"], "HTTP status code of the last probe, 0 when no response."),
    m!("probe", "genmon_probe_tls_cert_expiry_timestamp_seconds", Gauge, "seconds", ["probe", "target"], "Unix time the leaf TLS certificate expires."),
    m!("probe", "genmon_probe_requests_total", Counter, "", ["probe", "target", "result"], "Probes run, by result (success, failure)."),
    // textfile
    m!("textfile", "genmon_textfile_scrape_error", Gauge, "", [], "1 if reading any textfile failed."),
    m!("textfile", "genmon_textfile_mtime_seconds", Gauge, "seconds", ["file"], "Modification time of each textfile read."),
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
