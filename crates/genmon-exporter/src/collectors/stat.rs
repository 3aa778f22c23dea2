//! `stat`: interrupts, context switches, forks, boot time and process
//! counts from `/proc/stat` (node_exporter's `stat`).

use anyhow::{Context, bail};

use super::{Collector, ScrapeContext};
use crate::metric::Family;
use crate::{Paths, read_file};

/// The values node_exporter's `stat` collector exports.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct StatValues {
    /// Total interrupts (first number of `intr`).
    pub intr: f64,
    /// Context switches (`ctxt`).
    pub ctxt: f64,
    /// Forks (`processes`).
    pub forks: f64,
    /// Boot time, Unix seconds (`btime`).
    pub btime: f64,
    /// Runnable processes.
    pub running: f64,
    /// Processes blocked on I/O.
    pub blocked: f64,
}

/// Parse `/proc/stat`. Every value above is required.
pub fn parse(text: &str) -> anyhow::Result<StatValues> {
    let mut s = StatValues::default();
    let mut seen = 0u8;
    for line in text.lines() {
        let mut it = line.split_ascii_whitespace();
        let (Some(key), Some(v)) = (it.next(), it.next()) else { continue };
        let slot = match key {
            "intr" => (&mut s.intr, 1),
            "ctxt" => (&mut s.ctxt, 2),
            "processes" => (&mut s.forks, 4),
            "btime" => (&mut s.btime, 8),
            "procs_running" => (&mut s.running, 16),
            "procs_blocked" => (&mut s.blocked, 32),
            _ => continue,
        };
        *slot.0 = v.parse().with_context(|| format!("{key}: {v:?} is not a number"))?;
        seen |= slot.1;
    }
    if seen != 63 {
        bail!("missing one of intr, ctxt, processes, btime, procs_running, procs_blocked");
    }
    Ok(s)
}

/// Find `btime` (boot time, Unix seconds) in `/proc/stat`.
pub fn parse_btime(text: &str) -> anyhow::Result<u64> {
    let line = text.lines().find_map(|l| l.strip_prefix("btime ")).context("no `btime` line")?;
    line.trim()
        .parse()
        .with_context(|| format!("btime {:?} is not a number", line.trim()))
}

/// The stat collector.
pub struct Stat {
    paths: Paths,
}

impl Stat {
    /// A collector reading `<procfs>/stat`.
    pub fn new(paths: &Paths) -> Self {
        Stat { paths: paths.clone() }
    }
}

impl Collector for Stat {
    fn name(&self) -> &'static str {
        "stat"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("stat");
        let s = parse(&read_file(&path)?).with_context(|| format!("parsing {}", path.display()))?;
        Ok(vec![
            Family::counter1("node_intr_total", "Total number of interrupts serviced.", s.intr),
            Family::counter1("node_context_switches_total", "Total number of context switches.", s.ctxt),
            Family::counter1("node_forks_total", "Total number of forks.", s.forks),
            Family::gauge1("node_boot_time_seconds", "Node boot time, in unixtime.", s.btime),
            Family::gauge1("node_procs_running", "Number of processes in runnable state.", s.running),
            Family::gauge1(
                "node_procs_blocked",
                "Number of processes blocked waiting for I/O to complete.",
                s.blocked,
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let t = "cpu 1 2\nintr 500 1 2\nctxt 42\nbtime 1700000000\nprocesses 99\nprocs_running 3\nprocs_blocked 1\n";
        let s = parse(t).unwrap();
        assert_eq!(
            (s.intr, s.ctxt, s.forks, s.btime, s.running, s.blocked),
            (500.0, 42.0, 99.0, 1.7e9, 3.0, 1.0)
        );
        assert_eq!(parse_btime(t).unwrap(), 1700000000);
        assert!(parse("ctxt 1\n").is_err());
        assert!(parse_btime("btime x\n").is_err());
    }
}
