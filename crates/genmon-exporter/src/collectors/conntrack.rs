//! `conntrack`: connection tracking table usage and statistics
//! (node_exporter's `conntrack`).

use anyhow::{Context, bail};

use super::{Collector, ScrapeContext, read_opt, read_or_no_data};
use crate::Paths;
use crate::metric::Family;

/// Statistics summed over CPUs: `/proc/net/stat/nf_conntrack` column, help.
const STATS: [(&str, &str); 8] = [
    ("found", "Number of searched entries which were successful."),
    ("invalid", "Number of packets seen which can not be tracked."),
    ("ignore", "Number of packets seen which are already connected to a conntrack entry."),
    ("insert", "Number of entries inserted into the list."),
    (
        "insert_failed",
        "Number of entries for which list insertion was attempted but failed.",
    ),
    ("drop", "Number of packets dropped due to conntrack failure."),
    (
        "early_drop",
        "Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.",
    ),
    (
        "search_restart",
        "Number of conntrack table lookups which had to be restarted due to hashtable resizes.",
    ),
];

/// Sum the per-CPU hex columns of `/proc/net/stat/nf_conntrack` by header name.
pub fn parse_stat(text: &str) -> anyhow::Result<Vec<(String, f64)>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().context("empty file")?.split_ascii_whitespace().collect();
    let mut sums = vec![0f64; header.len()];
    for line in lines {
        let vals: Vec<&str> = line.split_ascii_whitespace().collect();
        if vals.len() != header.len() {
            bail!("{} columns in the header, {} in a row", header.len(), vals.len());
        }
        for (s, v) in sums.iter_mut().zip(vals) {
            *s += u64::from_str_radix(v, 16).with_context(|| format!("{v:?} is not a hex number"))? as f64;
        }
    }
    Ok(header.into_iter().map(String::from).zip(sums).collect())
}

fn read_num(path: &std::path::Path, text: &str) -> anyhow::Result<f64> {
    text.trim()
        .parse()
        .with_context(|| format!("{}: {:?} is not a number", path.display(), text.trim()))
}

/// The conntrack collector.
pub struct Conntrack {
    paths: Paths,
}

impl Conntrack {
    /// A collector reading `<procfs>/sys/net/netfilter` and `<procfs>/net/stat/nf_conntrack`.
    pub fn new(paths: &Paths) -> Self {
        Conntrack { paths: paths.clone() }
    }
}

impl Collector for Conntrack {
    fn name(&self) -> &'static str {
        "conntrack"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let count = self.paths.proc("sys/net/netfilter/nf_conntrack_count");
        let max = self.paths.proc("sys/net/netfilter/nf_conntrack_max");
        let mut out = vec![
            Family::gauge1(
                "node_nf_conntrack_entries",
                "Number of currently allocated flow entries for connection tracking.",
                read_num(&count, &read_or_no_data(&count)?)?,
            ),
            Family::gauge1(
                "node_nf_conntrack_entries_limit",
                "Maximum size of connection tracking table.",
                read_num(&max, &read_or_no_data(&max)?)?,
            ),
        ];
        let path = self.paths.proc("net/stat/nf_conntrack");
        if let Some(t) = read_opt(&path)? {
            let sums = parse_stat(&t).with_context(|| format!("parsing {}", path.display()))?;
            for (col, help) in STATS {
                if let Some((_, v)) = sums.iter().find(|(c, _)| c == col) {
                    out.push(Family::gauge1(format!("node_nf_conntrack_stat_{col}"), help, *v));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sums_cpus() {
        let t = "entries  searched found new invalid ignore\n0000000a 00000000 00000010 00000000 00000001 00000002\n0000000a 00000000 00000001 00000000 00000000 00000003\n";
        let s = super::parse_stat(t).unwrap();
        assert_eq!(s[2], ("found".to_string(), 17.0));
        assert_eq!(s[5], ("ignore".to_string(), 5.0));
        assert!(super::parse_stat("a b\n1\n").is_err());
        assert!(super::parse_stat("a\nzz\n").is_err());
    }
}
