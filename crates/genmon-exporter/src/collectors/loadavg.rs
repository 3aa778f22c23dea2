//! `loadavg`: `/proc/loadavg` (node_exporter's `loadavg`).

use anyhow::{Context, bail};

use super::{Collector, ScrapeContext};
use crate::metric::Family;
use crate::{Paths, read_file};

/// Parse the three load averages of `/proc/loadavg`.
pub fn parse_loadavg(text: &str) -> anyhow::Result<[f64; 3]> {
    let mut it = text.split_ascii_whitespace();
    let mut out = [0.0; 3];
    for (i, o) in out.iter_mut().enumerate() {
        let Some(v) = it.next() else {
            bail!("expected 3 load averages, got {i}")
        };
        *o = v
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .with_context(|| format!("{v:?} is not a number"))?;
    }
    Ok(out)
}

/// The loadavg collector.
pub struct Loadavg {
    paths: Paths,
}

impl Loadavg {
    /// A collector reading `<procfs>/loadavg`.
    pub fn new(paths: &Paths) -> Self {
        Loadavg { paths: paths.clone() }
    }
}

impl Collector for Loadavg {
    fn name(&self) -> &'static str {
        "loadavg"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("loadavg");
        let l = parse_loadavg(&read_file(&path)?).with_context(|| format!("parsing {}", path.display()))?;
        Ok(vec![
            Family::gauge1("node_load1", "1m load average.", l[0]),
            Family::gauge1("node_load5", "5m load average.", l[1]),
            Family::gauge1("node_load15", "15m load average.", l[2]),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(parse_loadavg("0.50 1.00 2.25 1/234 5678\n").unwrap(), [0.5, 1.0, 2.25]);
        assert!(parse_loadavg("0.5 1.0").is_err());
        assert!(parse_loadavg("a b c").is_err());
    }
}
