//! `schedstat`: per-CPU scheduler statistics from `/proc/schedstat`
//! (node_exporter's `schedstat`).

use anyhow::Context;

use super::{Collector, ScrapeContext, read_or_no_data};
use crate::Paths;
use crate::metric::{Family, Kind, label};

/// `cpuN` lines: CPU, running ns, waiting ns, timeslices.
pub fn parse(text: &str) -> anyhow::Result<Vec<(String, [f64; 3])>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_ascii_whitespace().collect();
        let Some(cpu) = f.first().and_then(|c| c.strip_prefix("cpu")) else {
            continue;
        };
        if f.len() < 10 {
            anyhow::bail!("cpu{cpu}: expected 9 numbers, got {}", f.len() - 1);
        }
        let mut v = [0.0; 3];
        for (i, x) in v.iter_mut().enumerate() {
            *x = f[7 + i]
                .parse::<u64>()
                .with_context(|| format!("cpu{cpu}: {:?} is not a number", f[7 + i]))? as f64;
        }
        out.push((cpu.to_string(), v));
    }
    Ok(out)
}

/// The schedstat collector.
pub struct Schedstat {
    paths: Paths,
}

impl Schedstat {
    /// A collector reading `<procfs>/schedstat`.
    pub fn new(paths: &Paths) -> Self {
        Schedstat { paths: paths.clone() }
    }
}

impl Collector for Schedstat {
    fn name(&self) -> &'static str {
        "schedstat"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("schedstat");
        let cpus = parse(&read_or_no_data(&path)?).with_context(|| format!("parsing {}", path.display()))?;
        let mut run = Family::new(
            "node_schedstat_running_seconds_total",
            Kind::Counter,
            "Number of seconds CPU spent running a process.",
        );
        let mut wait = Family::new(
            "node_schedstat_waiting_seconds_total",
            Kind::Counter,
            "Number of seconds spent by processing waiting for this CPU.",
        );
        let mut slices = Family::new(
            "node_schedstat_timeslices_total",
            Kind::Counter,
            "Number of timeslices executed by CPU.",
        );
        for (cpu, v) in cpus {
            run.push(vec![label("cpu", cpu.clone())], v[0] / 1e9);
            wait.push(vec![label("cpu", cpu.clone())], v[1] / 1e9);
            slices.push(vec![label("cpu", cpu)], v[2]);
        }
        Ok(vec![run, wait, slices])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let t = "version 15\ntimestamp 4295\ncpu0 0 0 0 0 0 0 2000000000 500000000 77\ndomain0 3 1 2\n";
        assert_eq!(super::parse(t).unwrap(), vec![("0".to_string(), [2e9, 5e8, 77.0])]);
        assert!(super::parse("cpu0 1 2\n").is_err());
    }
}
