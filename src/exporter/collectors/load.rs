//! `load`: `/proc/loadavg`.

use anyhow::{Context, bail};

use super::{Collector, ScrapeContext};
use crate::exporter::metric::Family;
use crate::exporter::{Paths, read_file};

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

/// The load collector.
pub struct Load {
    paths: Paths,
}

impl Load {
    /// A collector reading `<procfs>/loadavg`.
    pub fn new(paths: Paths) -> Self {
        Load { paths }
    }
}

impl Collector for Load {
    fn name(&self) -> &'static str {
        "load"
    }
    fn cheap(&self) -> bool {
        true
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("loadavg");
        let l = parse_loadavg(&read_file(&path)?).with_context(|| format!("parsing {}", path.display()))?;
        Ok(vec![
            Family::single("genmon_load1", l[0]),
            Family::single("genmon_load5", l[1]),
            Family::single("genmon_load15", l[2]),
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
