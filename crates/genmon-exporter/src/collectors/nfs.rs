//! `nfs`: NFS client statistics from `/proc/net/rpc/nfs` (node_exporter's
//! `nfs`; procedure names as prometheus/procfs maps them).

use anyhow::{Context, bail};

use super::{Collector, ScrapeContext, read_opt};
use crate::Paths;
use crate::metric::{Family, Kind, label};

/// NFSv2 procedures, in `proc2` order.
pub const V2: &[&str] = &[
    "Null", "GetAttr", "SetAttr", "Root", "Lookup", "ReadLink", "Read", "WrCache", "Write", "Create", "Remove", "Rename", "Link",
    "SymLink", "MkDir", "RmDir", "ReadDir", "FsStat",
];
/// NFSv3 procedures, in `proc3` order.
pub const V3: &[&str] = &[
    "Null",
    "GetAttr",
    "SetAttr",
    "Lookup",
    "Access",
    "ReadLink",
    "Read",
    "Write",
    "Create",
    "MkDir",
    "SymLink",
    "MkNod",
    "Remove",
    "RmDir",
    "Rename",
    "Link",
    "ReadDir",
    "ReadDirPlus",
    "FsStat",
    "FsInfo",
    "PathConf",
    "Commit",
];
/// NFSv4 client operations in node_exporter 1.5's order (its procfs maps
/// the 45th value to LayoutGet and the 46th to GetDeviceInfo; later procfs
/// releases swap them).
const V4: &[&str] = &[
    "Null",
    "Read",
    "Write",
    "Commit",
    "Open",
    "OpenConfirm",
    "OpenNoattr",
    "OpenDowngrade",
    "Close",
    "Setattr",
    "FsInfo",
    "Renew",
    "SetClientID",
    "SetClientIDConfirm",
    "Lock",
    "Lockt",
    "Locku",
    "Access",
    "Getattr",
    "Lookup",
    "LookupRoot",
    "Remove",
    "Rename",
    "Link",
    "Symlink",
    "Create",
    "Pathconf",
    "StatFs",
    "ReadLink",
    "ReadDir",
    "ServerCaps",
    "DelegReturn",
    "GetACL",
    "SetACL",
    "FsLocations",
    "ReleaseLockowner",
    "Secinfo",
    "FsidPresent",
    "ExchangeID",
    "CreateSession",
    "DestroySession",
    "Sequence",
    "GetLeaseTime",
    "ReclaimComplete",
    "LayoutGet",
    "GetDeviceInfo",
    "LayoutCommit",
    "LayoutReturn",
    "SecinfoNoName",
    "TestStateID",
    "FreeStateID",
    "GetDeviceList",
    "BindConnToSession",
    "DestroyClientID",
    "Seek",
    "Allocate",
    "DeAllocate",
    "LayoutStats",
    "Clone",
];

/// Parsed client statistics.
#[derive(Debug, Default, PartialEq)]
pub struct ClientStats {
    /// `net`: packets, udp, tcp, tcp connections.
    pub net: [f64; 4],
    /// `rpc`: calls, retransmissions, authentication refreshes.
    pub rpc: [f64; 3],
    /// (version, method, count) for proc2, proc3 and proc4.
    pub procs: Vec<(&'static str, &'static str, f64)>,
}

/// Parse `/proc/net/rpc/nfs`.
pub fn parse(text: &str) -> anyhow::Result<ClientStats> {
    let mut s = ClientStats::default();
    let (mut net, mut rpc) = (false, false);
    for line in text.lines() {
        let mut f = line.split_ascii_whitespace();
        let Some(key) = f.next() else { continue };
        let v: Vec<u64> = f
            .map(|x| x.parse::<u64>().with_context(|| format!("{key}: {x:?} is not a number")))
            .collect::<anyhow::Result<_>>()?;
        match key {
            "net" if v.len() == 4 => {
                net = true;
                s.net = [v[0] as f64, v[1] as f64, v[2] as f64, v[3] as f64];
            }
            "rpc" if v.len() == 3 => {
                rpc = true;
                s.rpc = [v[0] as f64, v[1] as f64, v[2] as f64];
            }
            "proc2" | "proc3" | "proc4" => {
                let (ver, names, min) = match key {
                    "proc2" => ("2", V2, V2.len()),
                    "proc3" => ("3", V3, V3.len()),
                    _ => ("4", V4, 0),
                };
                let n = *v.first().with_context(|| format!("{key}: no count"))? as usize;
                if v.len() - 1 != n || n < min {
                    bail!("invalid {key} line: count {n}, {} values", v.len() - 1);
                }
                for (i, m) in names.iter().enumerate() {
                    // Older kernels emit fewer v4 operations: the rest are 0, as procfs pads them.
                    s.procs.push((ver, m, v.get(i + 1).copied().unwrap_or(0) as f64));
                }
            }
            _ => bail!("unknown or malformed NFS line {line:?}"),
        }
    }
    if !(net && rpc) {
        bail!("missing `net` or `rpc` line");
    }
    Ok(s)
}

/// The nfs collector.
pub struct Nfs {
    paths: Paths,
}

impl Nfs {
    /// A collector reading `<procfs>/net/rpc/nfs`.
    pub fn new(paths: &Paths) -> Self {
        Nfs { paths: paths.clone() }
    }
}

impl Collector for Nfs {
    fn name(&self) -> &'static str {
        "nfs"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("net/rpc/nfs");
        let Some(text) = read_opt(&path)? else {
            return Err(super::no_data(&path));
        };
        let s = parse(&text).with_context(|| format!("parsing {}", path.display()))?;
        let mut packets = Family::new(
            "node_nfs_packets_total",
            Kind::Counter,
            "Total NFSd network packets (sent+received) by protocol type.",
        );
        packets.push(vec![label("protocol", "udp")], s.net[1]);
        packets.push(vec![label("protocol", "tcp")], s.net[2]);
        let mut requests = Family::new("node_nfs_requests_total", Kind::Counter, "Number of NFS procedures invoked.");
        for (ver, method, v) in &s.procs {
            requests.push(vec![label("proto", *ver), label("method", *method)], *v);
        }
        Ok(vec![
            packets,
            Family::counter1("node_nfs_connections_total", "Total number of NFSd TCP connections.", s.net[3]),
            Family::counter1("node_nfs_rpcs_total", "Total number of RPCs performed.", s.rpc[0]),
            Family::counter1(
                "node_nfs_rpc_retransmissions_total",
                "Number of RPC transmissions performed.",
                s.rpc[1],
            ),
            Family::counter1(
                "node_nfs_rpc_authentication_refreshes_total",
                "Number of RPC authentication refreshes performed.",
                s.rpc[2],
            ),
            requests,
        ])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let t = "net 70 70 69 45\nrpc 1218785755 374636 1218815394\nproc2 18 16 57 74 52 71 73 45 86 0 52 83 61 17 53 50 23 70 82\nproc3 22 0 1061909262 48906 4077635 117661341 5 29391916 2570425 2993289 590 0 0 7815 15 1130 0 3983 92385 13332 2 1 23729\nproc4 4 1 2 3 4\n";
        let s = super::parse(t).unwrap();
        assert_eq!(s.net, [70.0, 70.0, 69.0, 45.0]);
        assert_eq!(s.procs.len(), 18 + 22 + 59);
        assert_eq!(s.procs[18 + 22 + 3], ("4", "Commit", 4.0));
        assert_eq!(s.procs[18 + 22 + 4], ("4", "Open", 0.0));
        assert!(super::parse("net 1 2\nrpc 1 2 3\n").is_err());
        assert!(super::parse("net 1 2 3 4\nrpc 1 2 3\nproc3 22 1\n").is_err());
    }
}
