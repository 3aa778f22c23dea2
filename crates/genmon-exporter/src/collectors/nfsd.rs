//! `nfsd`: NFS server statistics from `/proc/net/rpc/nfsd` (node_exporter's
//! `nfsd`; procedure names as prometheus/procfs maps them).

use std::collections::HashMap;

use anyhow::{Context, bail};

use super::nfs::{V2, V3};
use super::{Collector, ScrapeContext, read_opt};
use crate::Paths;
use crate::metric::{Family, Kind, label};

/// NFSv4 operations node_exporter reports: name and index in `proc4ops`
/// (index = RFC 7530 operation number + 1). node_exporter 1.5's procfs reads
/// Verify, Write and RelLockOwner from indexes 36-38, which hold
/// SetClientID, SetClientIDConfirm and Verify; later procfs releases read
/// them where the kernel writes them, as here.
const V4_OPS: &[(&str, usize)] = &[
    ("Access", 4),
    ("Close", 5),
    ("Commit", 6),
    ("Create", 7),
    ("DelegPurge", 8),
    ("DelegReturn", 9),
    ("GetAttr", 10),
    ("GetFH", 11),
    ("Link", 12),
    ("Lock", 13),
    ("Lockt", 14),
    ("Locku", 15),
    ("Lookup", 16),
    ("LookupRoot", 17),
    ("Nverify", 18),
    ("Open", 19),
    ("OpenAttr", 20),
    ("OpenConfirm", 21),
    ("OpenDgrd", 22),
    ("PutFH", 23),
    ("Read", 26),
    ("ReadDir", 27),
    ("ReadLink", 28),
    ("Remove", 29),
    ("Rename", 30),
    ("Renew", 31),
    ("RestoreFH", 32),
    ("SaveFH", 33),
    ("SecInfo", 34),
    ("SetAttr", 35),
    ("Verify", 38),
    ("Write", 39),
    ("RelLockOwner", 40),
];

/// Parse `/proc/net/rpc/nfsd` into its lines' values (`th`: the first two only).
pub fn parse(text: &str) -> anyhow::Result<HashMap<String, Vec<u64>>> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let mut f = line.split_ascii_whitespace();
        let Some(key) = f.next() else { continue };
        let rest: Vec<&str> = f.collect();
        let take = if key == "th" { rest.len().min(2) } else { rest.len() };
        let v: Vec<u64> = rest[..take]
            .iter()
            .map(|x| x.parse::<u64>().with_context(|| format!("{key}: {x:?} is not a number")))
            .collect::<anyhow::Result<_>>()?;
        let want = match key {
            "rc" => Some(3),
            "fh" => Some(5),
            "io" | "th" => Some(2),
            "ra" => Some(12),
            "net" => Some(4),
            "rpc" => Some(5),
            "proc2" | "proc3" | "proc4" | "proc4ops" => None,
            _ => bail!("unknown NFSd line {line:?}"),
        };
        if want.is_some_and(|n| v.len() != n) {
            bail!("invalid NFSd {key} line {line:?}");
        }
        if want.is_none() && v.first().is_none_or(|&n| v.len() - 1 != n as usize) {
            bail!("invalid NFSd {key} line {line:?}: the count does not match");
        }
        out.insert(key.to_string(), v);
    }
    for (k, min) in [("proc2", 18), ("proc3", 22), ("proc4ops", 39)] {
        if out.get(k).is_some_and(|v| v.len() - 1 < min) {
            bail!("invalid NFSd {k} line: fewer than {min} values");
        }
    }
    Ok(out)
}

/// The nfsd collector.
pub struct Nfsd {
    paths: Paths,
}

impl Nfsd {
    /// A collector reading `<procfs>/net/rpc/nfsd`.
    pub fn new(paths: &Paths) -> Self {
        Nfsd { paths: paths.clone() }
    }
}

impl Collector for Nfsd {
    fn name(&self) -> &'static str {
        "nfsd"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("net/rpc/nfsd");
        let Some(text) = read_opt(&path)? else {
            return Err(super::no_data(&path));
        };
        let s = parse(&text).with_context(|| format!("parsing {}", path.display()))?;
        // procfs reads every section; a missing one is zero.
        let get = |k: &str, i: usize| s.get(k).and_then(|v| v.get(i)).copied().unwrap_or(0) as f64;
        let c = Family::counter1;
        let mut out = vec![
            c(
                "node_nfsd_reply_cache_hits_total",
                "Total number of NFSd Reply Cache hits (client lost server response).",
                get("rc", 0),
            ),
            c(
                "node_nfsd_reply_cache_misses_total",
                "Total number of NFSd Reply Cache an operation that requires caching (idempotent).",
                get("rc", 1),
            ),
            c(
                "node_nfsd_reply_cache_nocache_total",
                "Total number of NFSd Reply Cache non-idempotent operations (rename/delete/…).",
                get("rc", 2),
            ),
            c(
                "node_nfsd_file_handles_stale_total",
                "Total number of NFSd stale file handles",
                get("fh", 0),
            ),
            c("node_nfsd_disk_bytes_read_total", "Total NFSd bytes read.", get("io", 0)),
            c("node_nfsd_disk_bytes_written_total", "Total NFSd bytes written.", get("io", 1)),
            Family::gauge1(
                "node_nfsd_server_threads",
                "Total number of NFSd kernel threads that are running.",
                get("th", 0),
            ),
            Family::gauge1(
                "node_nfsd_read_ahead_cache_size_blocks",
                "How large the read ahead cache is in blocks.",
                get("ra", 0),
            ),
            c(
                "node_nfsd_read_ahead_cache_not_found_total",
                "Total number of NFSd read ahead cache not found.",
                get("ra", 11),
            ),
        ];
        let mut packets = Family::new(
            "node_nfsd_packets_total",
            Kind::Counter,
            "Total NFSd network packets (sent+received) by protocol type.",
        );
        packets.push(vec![label("proto", "udp")], get("net", 1));
        packets.push(vec![label("proto", "tcp")], get("net", 2));
        out.push(packets);
        out.push(c(
            "node_nfsd_connections_total",
            "Total number of NFSd TCP connections.",
            get("net", 3),
        ));
        let mut errors = Family::new(
            "node_nfsd_rpc_errors_total",
            Kind::Counter,
            "Total number of NFSd RPC errors by error type.",
        );
        for (e, i) in [("fmt", 2), ("auth", 3), ("cInt", 4)] {
            errors.push(vec![label("error", e)], get("rpc", i));
        }
        out.push(errors);
        out.push(c("node_nfsd_server_rpcs_total", "Total number of NFSd RPCs.", get("rpc", 0)));
        let mut req = Family::new(
            "node_nfsd_requests_total",
            Kind::Counter,
            "Total number NFSd Requests by method and protocol.",
        );
        // v2 and v3 without Null; values follow the count.
        for (ver, key, names) in [("2", "proc2", V2), ("3", "proc3", V3)] {
            for (i, m) in names.iter().enumerate().skip(1) {
                req.push(vec![label("proto", ver), label("method", *m)], get(key, i + 1));
            }
        }
        for (m, i) in V4_OPS {
            req.push(vec![label("proto", "4"), label("method", *m)], get("proc4ops", *i));
        }
        out.push(req);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let s = super::parse("rc 0 6 18622\nth 8 0 0.000 0.000\nproc4 2 2 10853\n").unwrap();
        assert_eq!(s["th"], [8, 0]);
        assert!(super::parse("rc 0 6\n").is_err());
        assert!(super::parse("proc3 22 1 2\n").is_err());
        assert!(super::parse("wdeleg_getattr 0\n").is_err());
    }
}
