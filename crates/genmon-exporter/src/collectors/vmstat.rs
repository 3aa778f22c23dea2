//! `vmstat`: `/proc/vmstat` fields matching node_exporter's default field
//! list (node_exporter's `vmstat`).

use anyhow::Context;
use regex::Regex;

use super::{Collector, ScrapeContext};
use crate::metric::{Family, Kind};
use crate::{Paths, read_file};

/// node_exporter's default `--collector.vmstat.fields`.
pub const DEFAULT_FIELDS: &str = "^(oom_kill|pgpg|pswp|pg.*fault).*";

/// Families for the `name value` lines whose name matches `fields`.
pub fn families(text: &str, fields: &Regex) -> anyhow::Result<Vec<Family>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut it = line.split_ascii_whitespace();
        let (Some(k), Some(v)) = (it.next(), it.next()) else { continue };
        if !fields.is_match(k) {
            continue;
        }
        let v: f64 = v.parse().with_context(|| format!("{k}: {v:?} is not a number"))?;
        let mut f = Family::new(
            format!("node_vmstat_{k}"),
            Kind::Untyped,
            format!("/proc/vmstat information field {k}."),
        );
        f.push0(v);
        out.push(f);
    }
    Ok(out)
}

/// The vmstat collector.
pub struct Vmstat {
    paths: Paths,
    fields: Regex,
}

impl Vmstat {
    /// A collector exporting the fields matching `fields` (default [`DEFAULT_FIELDS`]).
    pub fn new(paths: &Paths, fields: Option<&str>) -> anyhow::Result<Self> {
        let re = fields.unwrap_or(DEFAULT_FIELDS);
        Ok(Vmstat {
            paths: paths.clone(),
            fields: Regex::new(re).with_context(|| format!("--collector.vmstat.fields: invalid regex {re:?}"))?,
        })
    }
}

impl Collector for Vmstat {
    fn name(&self) -> &'static str {
        "vmstat"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("vmstat");
        families(&read_file(&path)?, &self.fields).with_context(|| format!("parsing {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        let f = families(
            "nr_free_pages 1\npgfault 10\noom_kill 0\npgmajfault 2\n",
            &Regex::new(DEFAULT_FIELDS).unwrap(),
        )
        .unwrap();
        let names: Vec<&str> = f.iter().map(|f| f.name.as_ref()).collect();
        assert_eq!(names, ["node_vmstat_pgfault", "node_vmstat_oom_kill", "node_vmstat_pgmajfault"]);
        assert!(families("pgfault x\n", &Regex::new(DEFAULT_FIELDS).unwrap()).is_err());
    }
}
