//! `genmon-exporter`: a host, process and probe metrics exporter.
//!
//! Design: collect on scrape. Every [`Collector`] reads its source (mostly
//! `/proc` and `/sys` files, parsed by pure functions that are unit-tested on
//! strings) into a small `Vec` of [`Family`]s; the [`framework::Exporter`]
//! runs the enabled collectors concurrently, times each one, and
//! [`metric::encode`] writes the Prometheus text exposition format directly.
//! No global registry is kept: a metric that disappears (an unmounted
//! filesystem, a removed interface) simply stops being exported.

pub mod bounded;
pub mod catalog;
pub mod cert;
pub mod collectors;
pub mod config;
pub mod framework;
pub mod healthcheck;
pub mod logging;
pub mod memory;
pub mod metric;
pub mod probe_tls;
pub mod server;
pub mod textformat;
pub mod webconfig;

pub use collectors::Collector;
pub use framework::Exporter;
pub use metric::{Family, Kind, Sample};

use std::path::{Path, PathBuf};

/// Where the collectors read the host's state from. Injectable so tests can
/// point them at a fixture tree and containers at a mounted host root.
#[derive(Debug, Clone)]
pub struct Paths {
    /// Host root filesystem (`/`, or e.g. `/host` in a container).
    pub rootfs: PathBuf,
    /// procfs mount (`/proc`, or `<rootfs>/proc`).
    pub procfs: PathBuf,
    /// sysfs mount (`/sys`, or `<rootfs>/sys`).
    pub sysfs: PathBuf,
    /// udev's database (`/run/udev/data`, or `<rootfs>/run/udev/data`).
    pub udev_data: PathBuf,
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            rootfs: PathBuf::from("/"),
            procfs: PathBuf::from("/proc"),
            sysfs: PathBuf::from("/sys"),
            udev_data: PathBuf::from("/run/udev/data"),
        }
    }
}

impl Paths {
    /// A path inside procfs.
    pub fn proc(&self, rel: &str) -> PathBuf {
        self.procfs.join(rel)
    }
    /// A path inside sysfs.
    pub fn sys(&self, rel: &str) -> PathBuf {
        self.sysfs.join(rel)
    }
    /// Whether a non-default root filesystem is configured.
    pub fn has_rootfs(&self) -> bool {
        self.rootfs != Path::new("/")
    }
}

/// Read a whole file to a string, with an error that names the file.
pub fn read_file(path: &Path) -> anyhow::Result<String> {
    use std::io::Read;
    // Not fs::read_to_string: procfs files report size 0, so its stat call is wasted.
    let mut s = String::with_capacity(4096);
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_string(&mut s))
        // An io::Error of the same kind, so callers can tell a missing file
        // (collectors::read_opt: node_exporter's "no data") from a failure.
        .map_err(|e| std::io::Error::new(e.kind(), format!("reading {}: {e}", path.display())))?;
    Ok(s)
}
