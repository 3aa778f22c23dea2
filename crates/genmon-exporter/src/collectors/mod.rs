//! Collectors: one file each, all behind the [`Collector`] trait, registered
//! once in [`REGISTRY`] (name, on by default or not, constructor).
//!
//! Host collectors carry node_exporter's names and export its metric names,
//! labels, types and HELP, so genmon-exporter is a drop-in replacement.
//! Each collector splits reading files (thin, in `collect`) from parsing
//! (pure functions on `&str`, unit-tested on strings and on the fixture trees
//! under `tests/fixtures/`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::Family;
use super::Paths;
use super::config::ExporterConfig;

pub mod arp;
pub mod conntrack;
pub mod cpu;
pub mod cpufreq;
pub mod diskstats;
pub mod edac;
pub mod entropy;
pub mod filefd;
pub mod filesystem;
pub mod hwmon;
pub mod loadavg;
pub mod mdadm;
pub mod meminfo;
pub mod netclass;
pub mod netdev;
pub mod netstat;
pub mod nfs;
pub mod nfsd;
pub mod os;
pub mod pressure;
pub mod probe;
pub mod process;
pub mod schedstat;
pub mod selinux;
pub mod sockstat;
pub mod softnet;
pub mod stat;
pub mod textfile;
pub mod thermal_zone;
pub mod time;
pub mod timex;
pub mod udp_queues;
pub mod uname;
pub mod vmstat;

/// What a constructor gets.
pub struct Build<'a> {
    /// Where /proc, /sys and the root filesystem are.
    pub paths: &'a Paths,
    /// The `exporter:` config (flags already merged in).
    pub cfg: &'a ExporterConfig,
    /// The exporter's own `/proc` directory (`/proc/self`).
    pub self_dir: &'a Path,
}

/// One collector's registration.
pub struct Registration {
    /// Name: the `collector` label and the `--collector.NAME` flag.
    pub name: &'static str,
    /// Whether it runs unless disabled.
    pub default: bool,
    /// What it exports (flag help).
    pub help: &'static str,
    /// Constructor.
    pub build: fn(&Build<'_>) -> anyhow::Result<Arc<dyn Collector>>,
}

macro_rules! reg {
    ($name:literal, $default:expr, $help:literal, |$b:ident| $build:expr) => {
        Registration {
            name: $name,
            default: $default,
            help: $help,
            build: |$b: &Build<'_>| Ok(Arc::new($build?) as Arc<dyn Collector>),
        }
    };
}

/// Every collector, in output order. node_exporter's default Linux
/// collectors keep its names and default state; `process` and `probe` are
/// genmon's (process-exporter and blackbox_exporter names).
pub static REGISTRY: &[Registration] = &[
    reg!("arp", true, "ARP entries by device (/proc/net/arp)", |b| Ok::<_, anyhow::Error>(
        arp::Arp::new(b.paths)
    )),
    reg!(
        "conntrack",
        true,
        "Conntrack table usage and statistics",
        |b| Ok::<_, anyhow::Error>(conntrack::Conntrack::new(b.paths))
    ),
    reg!("cpu", true, "CPU time by mode (/proc/stat)", |b| Ok::<_, anyhow::Error>(
        cpu::Cpu::new(b.paths)
    )),
    reg!("cpufreq", true, "CPU frequency scaling (/sys/devices/system/cpu)", |b| Ok::<
        _,
        anyhow::Error,
    >(
        cpufreq::Cpufreq::new(b.paths)
    )),
    reg!("diskstats", true, "Block device I/O (/proc/diskstats)", |b| {
        diskstats::Diskstats::new(b.paths, &b.cfg.disk)
    }),
    reg!("edac", true, "EDAC memory error counts", |b| Ok::<_, anyhow::Error>(
        edac::Edac::new(b.paths)
    )),
    reg!("entropy", true, "Available entropy", |b| Ok::<_, anyhow::Error>(
        entropy::Entropy::new(b.paths)
    )),
    reg!("filefd", true, "File descriptor statistics (/proc/sys/fs/file-nr)", |b| Ok::<
        _,
        anyhow::Error,
    >(
        filefd::Filefd::new(b.paths)
    )),
    reg!("filesystem", true, "Filesystem space and inodes (statvfs)", |b| {
        filesystem::Filesystem::new(b.paths.clone(), &b.cfg.filesystem)
    }),
    reg!("hwmon", true, "Hardware monitoring sensors (/sys/class/hwmon)", |b| {
        hwmon::Hwmon::new(b.paths)
    }),
    reg!("loadavg", true, "Load averages (/proc/loadavg)", |b| Ok::<_, anyhow::Error>(
        loadavg::Loadavg::new(b.paths)
    )),
    reg!("mdadm", true, "Software RAID (/proc/mdstat)", |b| Ok::<_, anyhow::Error>(
        mdadm::Mdadm::new(b.paths)
    )),
    reg!("meminfo", true, "Memory statistics (/proc/meminfo)", |b| Ok::<_, anyhow::Error>(
        meminfo::Meminfo::new(b.paths)
    )),
    reg!("netclass", true, "Network device properties (/sys/class/net)", |b| Ok::<
        _,
        anyhow::Error,
    >(
        netclass::Netclass::new(b.paths)
    )),
    reg!(
        "netdev",
        true,
        "Network device statistics (/proc/net/dev)",
        |b| netdev::Netdev::new(b.paths, &b.cfg.network)
    ),
    reg!("netstat", true, "Network statistics (/proc/net/netstat, snmp, snmp6)", |b| {
        netstat::Netstat::new(b.paths, None)
    }),
    reg!(
        "nfs",
        true,
        "NFS client statistics (/proc/net/rpc/nfs)",
        |b| Ok::<_, anyhow::Error>(nfs::Nfs::new(b.paths))
    ),
    reg!(
        "nfsd",
        true,
        "NFS server statistics (/proc/net/rpc/nfsd)",
        |b| Ok::<_, anyhow::Error>(nfsd::Nfsd::new(b.paths))
    ),
    reg!("os", true, "OS release information (/etc/os-release)", |b| Ok::<_, anyhow::Error>(
        os::Os::new(b.paths)
    )),
    reg!("pressure", true, "Pressure stall information (/proc/pressure)", |b| Ok::<
        _,
        anyhow::Error,
    >(
        pressure::Pressure::new(b.paths)
    )),
    reg!("schedstat", true, "Scheduler statistics (/proc/schedstat)", |b| Ok::<
        _,
        anyhow::Error,
    >(
        schedstat::Schedstat::new(b.paths)
    )),
    reg!("selinux", true, "SELinux status", |b| Ok::<_, anyhow::Error>(
        selinux::Selinux::new(b.paths)
    )),
    reg!("sockstat", true, "Socket statistics (/proc/net/sockstat, sockstat6)", |b| Ok::<
        _,
        anyhow::Error,
    >(
        sockstat::Sockstat::new(b.paths)
    )),
    reg!("softnet", true, "Softnet statistics (/proc/net/softnet_stat)", |b| Ok::<
        _,
        anyhow::Error,
    >(
        softnet::Softnet::new(b.paths)
    )),
    reg!(
        "stat",
        true,
        "Kernel statistics: interrupts, context switches, forks, boot time, processes",
        |b| Ok::<_, anyhow::Error>(stat::Stat::new(b.paths))
    ),
    reg!(
        "textfile",
        true,
        "Metrics from *.prom files in --collector.textfile.directory",
        |b| Ok::<_, anyhow::Error>(textfile::Textfile::new(b.cfg.textfile.directory.clone()))
    ),
    reg!(
        "thermal_zone",
        true,
        "Thermal zones and cooling devices (/sys/class/thermal)",
        |b| Ok::<_, anyhow::Error>(thermal_zone::ThermalZone::new(b.paths))
    ),
    reg!(
        "time",
        true,
        "System time, time zone and clock sources",
        |b| Ok::<_, anyhow::Error>(time::Time::new(b.paths))
    ),
    reg!("timex", true, "Kernel clock discipline (adjtimex)", |_b| Ok::<_, anyhow::Error>(
        timex::Timex
    )),
    reg!("udp_queues", true, "UDP queue lengths (/proc/net/udp, udp6)", |b| Ok::<
        _,
        anyhow::Error,
    >(
        udp_queues::UdpQueues::new(b.paths)
    )),
    reg!("uname", true, "uname(2) system information", |_b| Ok::<_, anyhow::Error>(
        uname::Uname
    )),
    reg!("vmstat", true, "Virtual memory statistics (/proc/vmstat)", |b| vmstat::Vmstat::new(
        b.paths, None
    )),
    reg!(
        "process",
        true,
        "The exporter's own process_* metrics and process groups (namedprocess_namegroup_*)",
        |b| Ok::<_, anyhow::Error>(
            process::Process::new(b.paths.clone(), b.self_dir.to_path_buf(), &b.cfg.process_groups)?
                .gather(b.cfg.process_threads, b.cfg.process_smaps)
        )
    ),
    reg!(
        "probe",
        true,
        "HTTP(S) probes of configured targets (blackbox_exporter's probe_*)",
        |b| probe::ProbeCollector::new(&b.cfg.probes)
    ),
];

/// The registration of collector `name`.
pub fn registration(name: &str) -> Option<&'static Registration> {
    REGISTRY.iter().find(|r| r.name == name)
}

/// Every collector name, in output order.
pub fn names() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|r| r.name)
}

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
/// `collect` returns `Ok(vec![])` when there is nothing to report and `Err`
/// when the source could not be read; the framework then exports
/// `node_scrape_collector_success{collector} 0`. Like node_exporter, a
/// collector whose source file does not exist on this host returns
/// [`no_data`] (an error: success 0, logged at debug level). The framework,
/// not the collector, times each run.
pub trait Collector: Send + Sync + 'static {
    /// Collector name (the `collector` label, the `--collector.NAME` flag).
    fn name(&self) -> &'static str;
    /// Whether `collect` is a few small reads that cannot hang (procfs files):
    /// cheap collectors run on the scrape task instead of a blocking thread.
    fn cheap(&self) -> bool {
        true
    }
    /// Collect the current values. Runs on a blocking thread.
    fn collect(&self, ctx: &ScrapeContext) -> anyhow::Result<Vec<Family>>;
}

/// node_exporter's `ErrNoData`: the collector's source does not exist here.
#[derive(Debug, thiserror::Error)]
#[error("no data: {0} does not exist")]
pub struct NoData(pub PathBuf);

/// A [`NoData`] error for `path`.
pub fn no_data(path: &Path) -> anyhow::Error {
    NoData(path.to_path_buf()).into()
}

/// Read a file; a missing file is [`NoData`].
pub(crate) fn read_or_no_data(path: &Path) -> anyhow::Result<String> {
    match read_opt(path)? {
        Some(s) => Ok(s),
        None => Err(no_data(path)),
    }
}

/// Read a file that may legitimately be absent (`Ok(None)`).
pub(crate) fn read_opt(path: &Path) -> anyhow::Result<Option<String>> {
    match super::read_file(path) {
        Ok(s) => Ok(Some(s)),
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// A sysfs attribute, trimmed; `None` when it is absent or unreadable
/// (many attributes fail with EINVAL while a link is down).
pub(crate) fn sys_attr(path: &Path) -> Option<String> {
    let s = std::fs::read(path).ok()?;
    Some(String::from_utf8_lossy(&s).trim().to_string())
}

/// Sorted entries of a directory whose names start with `prefix`
/// (`Ok(None)` when the directory does not exist).
pub(crate) fn dir_entries(dir: &Path, prefix: &str) -> anyhow::Result<Option<Vec<(String, PathBuf)>>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => anyhow::bail!("listing {}: {e}", dir.display()),
    };
    let mut out: Vec<(String, PathBuf)> = rd
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_str()?.to_string();
            n.starts_with(prefix).then(|| (n, e.path()))
        })
        .collect();
    out.sort();
    Ok(Some(out))
}

/// Parse one whitespace-separated integer field, naming it in the error.
pub(crate) fn num<T: std::str::FromStr>(s: Option<&str>, what: &str) -> anyhow::Result<T> {
    let s = s.ok_or_else(|| anyhow::anyhow!("missing field {what}"))?;
    s.parse().map_err(|_| anyhow::anyhow!("field {what}: {s:?} is not a number"))
}
