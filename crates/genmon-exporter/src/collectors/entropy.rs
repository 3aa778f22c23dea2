//! `entropy`: the kernel's entropy pool (node_exporter's `entropy`).

use anyhow::Context;

use super::{Collector, ScrapeContext, read_or_no_data};
use crate::Paths;
use crate::metric::Family;

/// The entropy collector.
pub struct Entropy {
    paths: Paths,
}

impl Entropy {
    /// A collector reading `<procfs>/sys/kernel/random`.
    pub fn new(paths: &Paths) -> Self {
        Entropy { paths: paths.clone() }
    }
    fn read(&self, f: &str) -> anyhow::Result<f64> {
        let path = self.paths.proc(f);
        let t = read_or_no_data(&path)?;
        t.trim()
            .parse()
            .with_context(|| format!("{}: {:?} is not a number", path.display(), t.trim()))
    }
}

impl Collector for Entropy {
    fn name(&self) -> &'static str {
        "entropy"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        Ok(vec![
            Family::gauge1(
                "node_entropy_available_bits",
                "Bits of available entropy.",
                self.read("sys/kernel/random/entropy_avail")?,
            ),
            Family::gauge1(
                "node_entropy_pool_size_bits",
                "Bits of entropy pool.",
                self.read("sys/kernel/random/poolsize")?,
            ),
        ])
    }
}
