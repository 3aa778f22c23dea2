//! `softnet`: per-CPU packet processing from `/proc/net/softnet_stat`
//! (node_exporter's `softnet`).

use anyhow::Context;

use super::{Collector, ScrapeContext, read_or_no_data};
use crate::Paths;
use crate::metric::{Family, Kind, label};

/// Per line (one per CPU): processed, dropped, time squeezed (hex columns 1-3).
pub fn parse(text: &str) -> anyhow::Result<Vec<[f64; 3]>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_ascii_whitespace().collect();
        if f.len() < 3 {
            anyhow::bail!("line {}: expected at least 3 columns", n + 1);
        }
        let mut v = [0.0; 3];
        for (i, x) in v.iter_mut().enumerate() {
            *x = u64::from_str_radix(f[i], 16).with_context(|| format!("line {}: {:?} is not hex", n + 1, f[i]))? as f64;
        }
        out.push(v);
    }
    Ok(out)
}

/// The softnet collector.
pub struct Softnet {
    paths: Paths,
}

impl Softnet {
    /// A collector reading `<procfs>/net/softnet_stat`.
    pub fn new(paths: &Paths) -> Self {
        Softnet { paths: paths.clone() }
    }
}

impl Collector for Softnet {
    fn name(&self) -> &'static str {
        "softnet"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("net/softnet_stat");
        let rows = parse(&read_or_no_data(&path)?).with_context(|| format!("parsing {}", path.display()))?;
        let mut fams = [
            Family::new("node_softnet_processed_total", Kind::Counter, "Number of processed packets"),
            Family::new("node_softnet_dropped_total", Kind::Counter, "Number of dropped packets"),
            Family::new(
                "node_softnet_times_squeezed_total",
                Kind::Counter,
                "Number of times processing packets ran out of quota",
            ),
        ];
        for (cpu, row) in rows.iter().enumerate() {
            for (f, v) in fams.iter_mut().zip(row) {
                f.push(vec![label("cpu", cpu.to_string())], *v);
            }
        }
        Ok(fams.into())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let t = "0000000e 00000001 00000002 00000000\n000026bd 00000000 00000000 00000000\n";
        assert_eq!(super::parse(t).unwrap(), vec![[14.0, 1.0, 2.0], [9917.0, 0.0, 0.0]]);
        assert!(super::parse("zz 0 0\n").is_err());
    }
}
