//! `uptime`: boot time (`btime`) from `/proc/stat`.

use anyhow::Context;

use super::{Collector, ScrapeContext};
use crate::exporter::metric::Family;
use crate::exporter::{Paths, read_file};

/// Find `btime` (boot time, Unix seconds) in `/proc/stat`.
pub fn parse_btime(text: &str) -> anyhow::Result<u64> {
    let line = text.lines().find_map(|l| l.strip_prefix("btime ")).context("no `btime` line")?;
    line.trim()
        .parse()
        .with_context(|| format!("btime {:?} is not a number", line.trim()))
}

/// The uptime collector.
pub struct Uptime {
    paths: Paths,
}

impl Uptime {
    /// A collector reading `<procfs>/stat`.
    pub fn new(paths: Paths) -> Self {
        Uptime { paths }
    }
}

impl Collector for Uptime {
    fn name(&self) -> &'static str {
        "uptime"
    }
    fn cheap(&self) -> bool {
        true
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("stat");
        let btime = parse_btime(&read_file(&path)?).with_context(|| format!("parsing {}", path.display()))?;
        Ok(vec![Family::single("genmon_boot_time_seconds", btime as f64)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(parse_btime("cpu 1 2\nbtime 1700000000\n").unwrap(), 1700000000);
        assert!(parse_btime("cpu 1\n").is_err());
        assert!(parse_btime("btime x\n").is_err());
    }
}
