//! `meminfo`: every field of `/proc/meminfo` as `node_memory_<field>[_bytes]`
//! (node_exporter's `meminfo`).

use anyhow::{Context, bail};

use super::{Collector, ScrapeContext};
use crate::metric::{Family, Kind};
use crate::{Paths, read_file};

/// One field: node_exporter's metric suffix (`Active_anon_bytes`) and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Field name with `(x)` turned into `_x` and `_bytes` for kB values.
    pub name: String,
    /// Value (bytes for kB fields).
    pub value: f64,
}

/// Parse `/proc/meminfo`.
pub fn parse_meminfo(text: &str) -> anyhow::Result<Vec<Field>> {
    let mut out = Vec::with_capacity(64);
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, rest)) = line.split_once(':') else {
            bail!("line {}: expected `Key: value`, got {line:?}", n + 1);
        };
        let mut it = rest.split_ascii_whitespace();
        let v: f64 = it
            .next()
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("line {}: {key}: value is not a number", n + 1))?;
        // node_exporter: "Active(anon)" -> "Active_anon".
        let mut name = key.replace('(', "_").replace(')', "");
        let value = match it.next() {
            Some("kB") => {
                name.push_str("_bytes");
                v * 1024.0
            }
            None => v,
            Some(u) => bail!("line {}: {key}: unknown unit {u:?}", n + 1),
        };
        out.push(Field { name, value });
    }
    if !out.iter().any(|f| f.name == "MemTotal_bytes") {
        bail!("MemTotal missing");
    }
    Ok(out)
}

/// Families for parsed meminfo.
pub fn families(fields: &[Field]) -> Vec<Family> {
    fields
        .iter()
        .map(|f| {
            let mut fam = Family::new(
                format!("node_memory_{}", f.name),
                Kind::Gauge,
                format!("Memory information field {}.", f.name),
            );
            fam.push0(f.value);
            fam
        })
        .collect()
}

/// The meminfo collector.
pub struct Meminfo {
    paths: Paths,
}

impl Meminfo {
    /// A collector reading `<procfs>/meminfo`.
    pub fn new(paths: &Paths) -> Self {
        Meminfo { paths: paths.clone() }
    }
}

impl Collector for Meminfo {
    fn name(&self) -> &'static str {
        "meminfo"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("meminfo");
        let fields = parse_meminfo(&read_file(&path)?).with_context(|| format!("parsing {}", path.display()))?;
        Ok(families(&fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let m = parse_meminfo("MemTotal:  1000 kB\nActive(anon): 10 kB\nHugePages_Total: 3\n").unwrap();
        assert_eq!(
            m[0],
            Field {
                name: "MemTotal_bytes".into(),
                value: 1024000.0
            }
        );
        assert_eq!(m[1].name, "Active_anon_bytes");
        assert_eq!(
            m[2],
            Field {
                name: "HugePages_Total".into(),
                value: 3.0
            }
        );
        let f = families(&m);
        assert_eq!(f[1].name, "node_memory_Active_anon_bytes");
        assert_eq!(f[1].help, "Memory information field Active_anon_bytes.");
        assert!(parse_meminfo("MemTotal 1 kB").is_err());
        assert!(parse_meminfo("MemTotal: x kB").is_err());
        assert!(parse_meminfo("MemFree: 1 kB").is_err());
    }
}
