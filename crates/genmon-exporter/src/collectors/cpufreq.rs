//! `cpufreq`: CPU frequency scaling from
//! `/sys/devices/system/cpu/cpu*/cpufreq` (node_exporter's `cpufreq`).

use super::{Collector, ScrapeContext, dir_entries, sys_attr};
use crate::Paths;
use crate::metric::{Family, Kind, label};

/// sysfs file (kHz), family, help.
const FILES: [(&str, &str, &str); 6] = [
    (
        "cpuinfo_cur_freq",
        "node_cpu_frequency_hertz",
        "Current cpu thread frequency in hertz.",
    ),
    (
        "cpuinfo_max_freq",
        "node_cpu_frequency_max_hertz",
        "Maximum cpu thread frequency in hertz.",
    ),
    (
        "cpuinfo_min_freq",
        "node_cpu_frequency_min_hertz",
        "Minimum cpu thread frequency in hertz.",
    ),
    (
        "scaling_cur_freq",
        "node_cpu_scaling_frequency_hertz",
        "Current scaled CPU thread frequency in hertz.",
    ),
    (
        "scaling_max_freq",
        "node_cpu_scaling_frequency_max_hertz",
        "Maximum scaled CPU thread frequency in hertz.",
    ),
    (
        "scaling_min_freq",
        "node_cpu_scaling_frequency_min_hertz",
        "Minimum scaled CPU thread frequency in hertz.",
    ),
];

/// The cpufreq collector.
pub struct Cpufreq {
    paths: Paths,
}

impl Cpufreq {
    /// A collector reading `<sysfs>/devices/system/cpu`.
    pub fn new(paths: &Paths) -> Self {
        Cpufreq { paths: paths.clone() }
    }
}

impl Collector for Cpufreq {
    fn name(&self) -> &'static str {
        "cpufreq"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let dir = self.paths.sys("devices/system/cpu");
        let Some(cpus) = dir_entries(&dir, "cpu")? else {
            return Err(super::no_data(&dir));
        };
        let mut fams: Vec<Family> = FILES.iter().map(|(_, n, h)| Family::new(*n, Kind::Gauge, *h)).collect();
        for (name, path) in cpus {
            let Some(cpu) = name
                .strip_prefix("cpu")
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            else {
                continue;
            };
            for (f, (file, _, _)) in fams.iter_mut().zip(FILES) {
                if let Some(khz) = sys_attr(&path.join("cpufreq").join(file)).and_then(|v| v.parse::<u64>().ok()) {
                    f.push(vec![label("cpu", cpu)], khz as f64 * 1000.0);
                }
            }
        }
        Ok(fams)
    }
}
