//! `memory`: `/proc/meminfo`.

use std::collections::HashMap;

use anyhow::{Context, bail};

use super::{Collector, ScrapeContext};
use crate::exporter::metric::Family;
use crate::exporter::{Paths, read_file};

/// Parse `/proc/meminfo` into bytes by key (`kB` values are multiplied by 1024).
pub fn parse_meminfo(text: &str) -> anyhow::Result<HashMap<&str, u64>> {
    let mut out = HashMap::with_capacity(64);
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, rest)) = line.split_once(':') else {
            bail!("line {}: expected `Key: value`, got {line:?}", n + 1);
        };
        let mut it = rest.split_ascii_whitespace();
        let v: u64 = it
            .next()
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("line {}: {key}: value is not a number", n + 1))?;
        let v = match it.next() {
            Some("kB") => v.saturating_mul(1024),
            None => v,
            Some(u) => bail!("line {}: {key}: unknown unit {u:?}", n + 1),
        };
        out.insert(key, v);
    }
    Ok(out)
}

const MAP: [(&str, &str); 7] = [
    ("MemTotal", "genmon_memory_total_bytes"),
    ("MemAvailable", "genmon_memory_available_bytes"),
    ("MemFree", "genmon_memory_free_bytes"),
    ("Cached", "genmon_memory_cached_bytes"),
    ("Buffers", "genmon_memory_buffers_bytes"),
    ("SwapTotal", "genmon_swap_total_bytes"),
    ("SwapFree", "genmon_swap_free_bytes"),
];

/// Families for parsed meminfo. Keys the kernel lacks are left out.
pub fn families(info: &HashMap<&str, u64>) -> anyhow::Result<Vec<Family>> {
    if !info.contains_key("MemTotal") {
        bail!("MemTotal missing");
    }
    Ok(MAP
        .iter()
        .filter_map(|(k, name)| info.get(k).map(|v| Family::single(name, *v as f64)))
        .collect())
}

/// The memory collector.
pub struct Memory {
    paths: Paths,
}

impl Memory {
    /// A collector reading `<procfs>/meminfo`.
    pub fn new(paths: Paths) -> Self {
        Memory { paths }
    }
}

impl Collector for Memory {
    fn name(&self) -> &'static str {
        "memory"
    }
    fn cheap(&self) -> bool {
        true
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("meminfo");
        let text = read_file(&path)?;
        parse_meminfo(&text)
            .and_then(|m| families(&m))
            .with_context(|| format!("parsing {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let m = parse_meminfo("MemTotal:  1000 kB\nMemFree: 10 kB\nHugePages_Total: 0\n").unwrap();
        assert_eq!(m["MemTotal"], 1024000);
        assert_eq!(m["HugePages_Total"], 0);
        let f = families(&m).unwrap();
        assert_eq!(f.len(), 2);
        assert!(parse_meminfo("MemTotal 1 kB").is_err());
        assert!(parse_meminfo("MemTotal: x kB").is_err());
        assert!(families(&parse_meminfo("MemFree: 1 kB").unwrap()).is_err());
    }
}
