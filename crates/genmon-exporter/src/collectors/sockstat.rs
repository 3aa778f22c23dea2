//! `sockstat`: socket statistics from `/proc/net/sockstat` and
//! `/proc/net/sockstat6` (node_exporter's `sockstat`).

use anyhow::Context;

use super::{Collector, ScrapeContext, read_opt, read_or_no_data};
use crate::Paths;
use crate::metric::{Family, Kind};

/// Parse sockstat lines (`TCP: inuse 5 orphan 0 ... mem 1`) into families;
/// `mem` (pages) also gives `<PROTO>_mem_bytes`.
pub fn families(text: &str, page_size: f64, out: &mut Vec<Family>) -> anyhow::Result<()> {
    for line in text.lines() {
        let Some((proto, rest)) = line.split_once(':') else { continue };
        let f: Vec<&str> = rest.split_ascii_whitespace().collect();
        for kv in f.chunks(2) {
            let [k, v] = kv else {
                anyhow::bail!("{proto}: odd number of fields")
            };
            let v: f64 = v.parse().with_context(|| format!("{proto} {k}: {v:?} is not a number"))?;
            if proto == "sockets" {
                out.push(Family::gauge1(
                    format!("node_sockstat_{proto}_{k}"),
                    "Number of IPv4 sockets in use.",
                    v,
                ));
                continue;
            }
            let mut push = |field: &str, v: f64| {
                let mut fam = Family::new(
                    format!("node_sockstat_{proto}_{field}"),
                    Kind::Gauge,
                    format!("Number of {proto} sockets in state {field}."),
                );
                fam.push0(v);
                out.push(fam);
            };
            push(k, v);
            if *k == "mem" {
                push("mem_bytes", v * page_size);
            }
        }
    }
    Ok(())
}

/// The sockstat collector.
pub struct Sockstat {
    paths: Paths,
    page_size: f64,
}

impl Sockstat {
    /// A collector reading `<procfs>/net/sockstat` and `sockstat6`.
    pub fn new(paths: &Paths) -> Self {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        Sockstat {
            paths: paths.clone(),
            page_size: if page > 0 { page as f64 } else { 4096.0 },
        }
    }
}

impl Collector for Sockstat {
    fn name(&self) -> &'static str {
        "sockstat"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let mut out = Vec::new();
        let path = self.paths.proc("net/sockstat");
        families(&read_or_no_data(&path)?, self.page_size, &mut out).with_context(|| format!("parsing {}", path.display()))?;
        let path = self.paths.proc("net/sockstat6");
        if let Some(t) = read_opt(&path)? {
            families(&t, self.page_size, &mut out).with_context(|| format!("parsing {}", path.display()))?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let mut out = Vec::new();
        families(
            "sockets: used 150\nTCP: inuse 5 orphan 0 tw 1 alloc 7 mem 2\nFRAG: inuse 0 memory 0\n",
            4096.0,
            &mut out,
        )
        .unwrap();
        let names: Vec<&str> = out.iter().map(|f| f.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "node_sockstat_sockets_used",
                "node_sockstat_TCP_inuse",
                "node_sockstat_TCP_orphan",
                "node_sockstat_TCP_tw",
                "node_sockstat_TCP_alloc",
                "node_sockstat_TCP_mem",
                "node_sockstat_TCP_mem_bytes",
                "node_sockstat_FRAG_inuse",
                "node_sockstat_FRAG_memory"
            ]
        );
        assert_eq!(out[6].samples[0].value, 8192.0);
        assert_eq!(out[1].help, "Number of TCP sockets in state inuse.");
        assert!(families("TCP: inuse x\n", 1.0, &mut out).is_err());
        assert!(families("TCP: inuse\n", 1.0, &mut out).is_err());
    }
}
