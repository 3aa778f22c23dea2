//! `edac`: memory error counters from `/sys/devices/system/edac/mc`
//! (node_exporter's `edac`).

use super::{Collector, ScrapeContext, dir_entries, sys_attr};
use crate::Paths;
use crate::metric::{Family, Kind, label};

/// The edac collector.
pub struct Edac {
    paths: Paths,
}

impl Edac {
    /// A collector reading `<sysfs>/devices/system/edac/mc`.
    pub fn new(paths: &Paths) -> Self {
        Edac { paths: paths.clone() }
    }
}

fn count(path: &std::path::Path) -> anyhow::Result<f64> {
    let v = sys_attr(path).ok_or_else(|| anyhow::anyhow!("reading {}", path.display()))?;
    v.parse::<u64>()
        .map(|v| v as f64)
        .map_err(|_| anyhow::anyhow!("{}: {v:?} is not a number", path.display()))
}

impl Collector for Edac {
    fn name(&self) -> &'static str {
        "edac"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let mut ce = Family::new(
            "node_edac_correctable_errors_total",
            Kind::Counter,
            "Total correctable memory errors.",
        );
        let mut ue = Family::new(
            "node_edac_uncorrectable_errors_total",
            Kind::Counter,
            "Total uncorrectable memory errors.",
        );
        let mut cce = Family::new(
            "node_edac_csrow_correctable_errors_total",
            Kind::Counter,
            "Total correctable memory errors for this csrow.",
        );
        let mut cue = Family::new(
            "node_edac_csrow_uncorrectable_errors_total",
            Kind::Counter,
            "Total uncorrectable memory errors for this csrow.",
        );
        // No EDAC driver: nothing to report (node_exporter globs, finds nothing, succeeds).
        let mcs = dir_entries(&self.paths.sys("devices/system/edac/mc"), "mc")?.unwrap_or_default();
        for (name, path) in mcs {
            let Some(ctl) = name.strip_prefix("mc").filter(|n| n.bytes().all(|b| b.is_ascii_digit())) else {
                continue;
            };
            let c = || vec![label("controller", ctl)];
            ce.push(c(), count(&path.join("ce_count"))?);
            ue.push(c(), count(&path.join("ue_count"))?);
            let with_row = |row: &str| vec![label("controller", ctl), label("csrow", row)];
            cce.push(with_row("unknown"), count(&path.join("ce_noinfo_count"))?);
            cue.push(with_row("unknown"), count(&path.join("ue_noinfo_count"))?);
            for (rname, rpath) in dir_entries(&path, "csrow")?.unwrap_or_default() {
                let Some(row) = rname.strip_prefix("csrow") else { continue };
                cce.push(with_row(row), count(&rpath.join("ce_count"))?);
                cue.push(with_row(row), count(&rpath.join("ue_count"))?);
            }
        }
        Ok(vec![ce, ue, cce, cue])
    }
}
