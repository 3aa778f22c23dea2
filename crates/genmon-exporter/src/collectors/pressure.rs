//! `pressure`: pressure stall information from `/proc/pressure/*`
//! (node_exporter's `pressure`).

use anyhow::Context;

use super::{Collector, ScrapeContext, read_or_no_data};
use crate::Paths;
use crate::metric::Family;

/// `total=` of the `some` and `full` lines, in seconds (the file has microseconds).
pub fn parse(text: &str) -> anyhow::Result<(Option<f64>, Option<f64>)> {
    let (mut some, mut full) = (None, None);
    for line in text.lines() {
        let mut it = line.split_ascii_whitespace();
        let slot = match it.next() {
            Some("some") => &mut some,
            Some("full") => &mut full,
            _ => continue,
        };
        let total = it.find_map(|kv| kv.strip_prefix("total=")).context("no total= field")?;
        *slot = Some(total.parse::<u64>().with_context(|| format!("total={total:?} is not a number"))? as f64 / 1e6);
    }
    Ok((some, full))
}

/// The pressure collector.
pub struct Pressure {
    paths: Paths,
}

impl Pressure {
    /// A collector reading `<procfs>/pressure/{cpu,io,memory}`.
    pub fn new(paths: &Paths) -> Self {
        Pressure { paths: paths.clone() }
    }
}

impl Collector for Pressure {
    fn name(&self) -> &'static str {
        "pressure"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let mut out = Vec::new();
        for res in ["cpu", "io", "memory"] {
            let path = self.paths.proc(&format!("pressure/{res}"));
            let (some, full) = parse(&read_or_no_data(&path)?).with_context(|| format!("parsing {}", path.display()))?;
            let (waiting, stalled) = match res {
                "cpu" => ("Total time in seconds that processes have waited for CPU time", None),
                "io" => (
                    "Total time in seconds that processes have waited due to IO congestion",
                    Some("Total time in seconds no process could make progress due to IO congestion"),
                ),
                _ => (
                    "Total time in seconds that processes have waited for memory",
                    Some("Total time in seconds no process could make progress due to memory congestion"),
                ),
            };
            if let Some(v) = some {
                out.push(Family::counter1(format!("node_pressure_{res}_waiting_seconds_total"), waiting, v));
            }
            if let (Some(help), Some(v)) = (stalled, full) {
                out.push(Family::counter1(format!("node_pressure_{res}_stalled_seconds_total"), help, v));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let t = "some avg10=0.00 avg60=0.00 avg300=0.00 total=1500000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=250\n";
        assert_eq!(super::parse(t).unwrap(), (Some(1.5), Some(0.00025)));
        assert!(super::parse("some avg10=1\n").is_err());
    }
}
