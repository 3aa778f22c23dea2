//! `filefd`: file descriptor usage from `/proc/sys/fs/file-nr`
//! (node_exporter's `filefd`).

use anyhow::Context;

use super::{Collector, ScrapeContext, num, read_or_no_data};
use crate::Paths;
use crate::metric::Family;

/// Parse `file-nr`: allocated, unused (always 0 since 2.6), maximum.
pub fn parse(text: &str) -> anyhow::Result<(f64, f64)> {
    let mut it = text.split_ascii_whitespace();
    let allocated: u64 = num(it.next(), "allocated")?;
    let _unused: u64 = num(it.next(), "unused")?;
    let maximum: u64 = num(it.next(), "maximum")?;
    Ok((allocated as f64, maximum as f64))
}

/// The filefd collector.
pub struct Filefd {
    paths: Paths,
}

impl Filefd {
    /// A collector reading `<procfs>/sys/fs/file-nr`.
    pub fn new(paths: &Paths) -> Self {
        Filefd { paths: paths.clone() }
    }
}

impl Collector for Filefd {
    fn name(&self) -> &'static str {
        "filefd"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("sys/fs/file-nr");
        let (a, m) = parse(&read_or_no_data(&path)?).with_context(|| format!("parsing {}", path.display()))?;
        Ok(vec![
            Family::gauge1("node_filefd_allocated", "File descriptor statistics: allocated.", a),
            Family::gauge1("node_filefd_maximum", "File descriptor statistics: maximum.", m),
        ])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        assert_eq!(
            super::parse("1024\t0\t9223372036854775807\n").unwrap(),
            (1024.0, 9223372036854775807.0)
        );
        assert!(super::parse("1 0\n").is_err());
    }
}
