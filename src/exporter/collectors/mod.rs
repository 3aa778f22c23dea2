//! Collectors: one file each, all behind the [`Collector`] trait.
//!
//! Each collector splits reading files (thin, in `collect`) from parsing
//! (pure functions on `&str`, unit-tested on strings and on the fixture tree
//! `tests/fixtures/exporter`).

use std::time::Instant;

use super::Family;

pub mod cpu;
pub mod disk;
pub mod filesystem;
pub mod load;
pub mod memory;
pub mod network;
pub mod probe;
pub mod process;
pub mod textfile;
pub mod uptime;

/// Every collector name, in output order.
pub const ALL: &[&str] = &[
    "cpu",
    "memory",
    "load",
    "uptime",
    "filesystem",
    "disk",
    "network",
    "process",
    "probe",
    "textfile",
];

/// What a collector gets for one scrape.
#[derive(Debug, Clone)]
pub struct ScrapeContext {
    /// The scrape must answer by then; slow work (probes, hung mounts) is cut off.
    pub deadline: Instant,
    /// Runtime handle, for collectors doing async I/O (probes). `collect` runs
    /// on a blocking thread, so `handle.block_on` is allowed there.
    pub handle: tokio::runtime::Handle,
}

/// A source of metric families.
///
/// `collect` returns `Ok(vec![])` when there is nothing to report (no data is
/// a success) and `Err` when the source could not be read (the framework then
/// exports `genmon_exporter_collector_success{collector} 0`). The framework,
/// not the collector, times each run.
pub trait Collector: Send + Sync + 'static {
    /// Collector name (the `collector` label, the `--collector.NAME` flag).
    fn name(&self) -> &'static str;
    /// Whether `collect` is a few small reads that cannot hang (procfs files):
    /// cheap collectors run on the scrape task instead of a blocking thread.
    fn cheap(&self) -> bool {
        false
    }
    /// Collect the current values. Runs on a blocking thread.
    fn collect(&self, ctx: &ScrapeContext) -> anyhow::Result<Vec<Family>>;
}

/// Parse one whitespace-separated integer field, naming it in the error.
pub(crate) fn num<T: std::str::FromStr>(s: Option<&str>, what: &str) -> anyhow::Result<T> {
    let s = s.ok_or_else(|| anyhow::anyhow!("missing field {what}"))?;
    s.parse().map_err(|_| anyhow::anyhow!("field {what}: {s:?} is not a number"))
}
