//! `cpu`: per-CPU time by mode from `/proc/stat` (node_exporter's `cpu`).

use anyhow::{Context, bail};

use super::{Collector, ScrapeContext, num};
use crate::metric::{Family, Kind, label};
use crate::{Paths, read_file};

/// Kernel clock ticks per second for `/proc/stat` (USER_HZ, 100 on Linux).
pub const USER_HZ: f64 = 100.0;

/// Modes exported, in `/proc/stat` column order.
pub const MODES: [&str; 8] = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"];

/// One `cpuN` line.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuTimes {
    /// CPU number as written (`0`, `1`, ...).
    pub cpu: String,
    /// Ticks by mode, in [`MODES`] order.
    pub ticks: [u64; 8],
    /// Guest and guest_nice ticks.
    pub guest: [u64; 2],
}

/// Parse the per-CPU lines of `/proc/stat` (the aggregate `cpu` line is skipped).
pub fn parse_stat(text: &str) -> anyhow::Result<Vec<CpuTimes>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let Some(rest) = line.strip_prefix("cpu") else {
            continue;
        };
        if !rest.starts_with(|c: char| c.is_ascii_digit()) {
            continue; // aggregate "cpu  ..." line
        }
        let mut it = rest.split_ascii_whitespace();
        let Some(id) = it.next() else { continue };
        let mut ticks = [0u64; 8];
        for (i, mode) in MODES.iter().enumerate() {
            // Old kernels lack iowait/irq/softirq/steal: treat missing trailing columns as 0.
            ticks[i] = match it.next() {
                None if i >= 4 => 0,
                v => num(v, mode).with_context(|| format!("line {}", n + 1))?,
            };
        }
        let mut guest = [0u64; 2];
        for (i, g) in guest.iter_mut().enumerate() {
            if let Some(v) = it.next() {
                *g = num(Some(v), "guest").with_context(|| format!("line {}", n + 1))?;
            } else if i == 0 {
                break;
            }
        }
        out.push(CpuTimes {
            cpu: id.to_string(),
            ticks,
            guest,
        });
    }
    if out.is_empty() {
        bail!("no cpuN lines found");
    }
    Ok(out)
}

/// Families for parsed CPU times.
pub fn families(cpus: &[CpuTimes]) -> Vec<Family> {
    let mut secs = Family::new("node_cpu_seconds_total", Kind::Counter, "Seconds the CPUs spent in each mode.");
    let mut guest = Family::new(
        "node_cpu_guest_seconds_total",
        Kind::Counter,
        "Seconds the CPUs spent in guests (VMs) for each mode.",
    );
    for c in cpus {
        for (i, mode) in MODES.iter().enumerate() {
            secs.push(vec![label("cpu", c.cpu.clone()), label("mode", *mode)], c.ticks[i] as f64 / USER_HZ);
        }
        for (i, mode) in ["user", "nice"].iter().enumerate() {
            guest.push(vec![label("cpu", c.cpu.clone()), label("mode", *mode)], c.guest[i] as f64 / USER_HZ);
        }
    }
    vec![secs, guest]
}

/// Thermal throttle counters from `<sysfs>/devices/system/cpu/cpuN/thermal_throttle`,
/// one per core and one per package (node_exporter reads each once, keyed by
/// `topology/physical_package_id` and `core_id`). Empty when the kernel has none.
pub fn throttles(paths: &Paths) -> anyhow::Result<Vec<Family>> {
    let mut core = Family::new(
        "node_cpu_core_throttles_total",
        Kind::Counter,
        "Number of times this CPU core has been throttled.",
    );
    let mut package = Family::new(
        "node_cpu_package_throttles_total",
        Kind::Counter,
        "Number of times this CPU package has been throttled.",
    );
    let (mut seen_pkg, mut seen_core) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
    let attr = |p: std::path::PathBuf| super::sys_attr(&p).and_then(|v| v.parse::<u64>().ok());
    for (name, dir) in super::dir_entries(&paths.sys("devices/system/cpu"), "cpu")?.unwrap_or_default() {
        if !name[3..].bytes().all(|b| b.is_ascii_digit()) || !dir.join("thermal_throttle").is_dir() {
            continue;
        }
        let (Some(pkg), Some(core_id)) = (attr(dir.join("topology/physical_package_id")), attr(dir.join("topology/core_id"))) else {
            continue;
        };
        if seen_pkg.insert(pkg)
            && let Some(v) = attr(dir.join("thermal_throttle/package_throttle_count"))
        {
            package.push(vec![label("package", pkg.to_string())], v as f64);
        }
        if seen_core.insert((pkg, core_id))
            && let Some(v) = attr(dir.join("thermal_throttle/core_throttle_count"))
        {
            core.push(
                vec![label("core", core_id.to_string()), label("package", pkg.to_string())],
                v as f64,
            );
        }
    }
    Ok(vec![core, package])
}

/// The cpu collector.
pub struct Cpu {
    paths: Paths,
}

impl Cpu {
    /// A collector reading `<procfs>/stat`.
    pub fn new(paths: &Paths) -> Self {
        Cpu { paths: paths.clone() }
    }
}

impl Collector for Cpu {
    fn name(&self) -> &'static str {
        "cpu"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("stat");
        let text = read_file(&path)?;
        let cpus = parse_stat(&text).with_context(|| format!("parsing {}", path.display()))?;
        let mut out = families(&cpus);
        out.extend(throttles(&self.paths)?);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat() {
        let text = "cpu  10 20 30 40 50 60 70 80 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\ncpu1 100 0 0 0\nintr 1 2\nbtime 1700000000\n";
        let cpus = parse_stat(text).unwrap();
        assert_eq!(cpus.len(), 2);
        assert_eq!(cpus[0].ticks, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(cpus[0].guest, [9, 10]);
        assert_eq!(cpus[1].ticks, [100, 0, 0, 0, 0, 0, 0, 0]);
        let fams = families(&cpus);
        assert_eq!(fams[0].samples.len(), 16);
        assert_eq!(fams[0].samples[2].value, 0.03);
        assert_eq!(fams[1].samples[1].value, 0.1);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(parse_stat("intr 1\n").is_err());
        let e = parse_stat("cpu0 1 x 3 4\n").unwrap_err();
        assert!(format!("{e:#}").contains("nice"), "{e:#}");
        assert!(parse_stat("cpu0 1 2\n").is_err());
    }
}
