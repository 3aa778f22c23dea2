//! `netdev`: interface counters from `/proc/net/dev` (node_exporter's
//! `netdev`). Like node_exporter (netlink), loopback devices are skipped.

use anyhow::{Context, bail};
use regex::Regex;

use super::{Collector, ScrapeContext, num, sys_attr};
use crate::config::{NetworkConfig, exclusion};
use crate::metric::{Family, Kind, label};
use crate::{Paths, read_file};

/// `/proc/net/dev` columns, as node_exporter names them.
pub const FIELDS: [&str; 16] = [
    "receive_bytes",
    "receive_packets",
    "receive_errs",
    "receive_drop",
    "receive_fifo",
    "receive_frame",
    "receive_compressed",
    "receive_multicast",
    "transmit_bytes",
    "transmit_packets",
    "transmit_errs",
    "transmit_drop",
    "transmit_fifo",
    "transmit_colls",
    "transmit_carrier",
    "transmit_compressed",
];

/// Counters of one interface.
#[derive(Debug, Clone, PartialEq)]
pub struct NetDev {
    /// Interface name.
    pub device: String,
    /// Counters in [`FIELDS`] order.
    pub values: [u64; 16],
}

/// Parse `/proc/net/dev`.
pub fn parse_net_dev(text: &str) -> anyhow::Result<Vec<NetDev>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().skip(2) {
        if line.trim().is_empty() {
            continue;
        }
        let Some((dev, rest)) = line.split_once(':') else {
            bail!("line {}: expected `iface: counters`, got {line:?}", n + 1);
        };
        let f: Vec<&str> = rest.split_ascii_whitespace().collect();
        if f.len() < 16 {
            bail!("line {}: expected 16 counters, got {}", n + 1, f.len());
        }
        let mut values = [0u64; 16];
        for (i, v) in values.iter_mut().enumerate() {
            *v = num(Some(f[i]), FIELDS[i]).with_context(|| format!("line {}", n + 1))?;
        }
        out.push(NetDev {
            device: dev.trim().to_string(),
            values,
        });
    }
    Ok(out)
}

fn family(field: &str) -> Family {
    Family::new(
        format!("node_network_{field}_total"),
        Kind::Counter,
        format!("Network device statistic {field}."),
    )
}

/// The netdev collector.
pub struct Netdev {
    paths: Paths,
    exclude: Option<Regex>,
}

/// Default netdev exclusion: Debian's node_exporter 1.5 default (upstream has none).
pub const DEFAULT_EXCLUDE: &str = "^lo$";

impl Netdev {
    /// A collector reading `<procfs>/net/dev` (and `<sysfs>/class/net/*/statistics/rx_nohandler`).
    pub fn new(paths: &Paths, cfg: &NetworkConfig) -> anyhow::Result<Self> {
        Ok(Netdev {
            paths: paths.clone(),
            exclude: exclusion("exporter.network.exclude_devices", &cfg.exclude_devices, DEFAULT_EXCLUDE)?,
        })
    }
}

impl Collector for Netdev {
    fn name(&self) -> &'static str {
        "netdev"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("net/dev");
        let devs = parse_net_dev(&read_file(&path)?).with_context(|| format!("parsing {}", path.display()))?;
        let mut fams: Vec<Family> = FIELDS.iter().map(|f| family(f)).collect();
        let mut nohandler = family("receive_nohandler");
        for d in &devs {
            // Interface names never contain '/', so sysfs paths stay inside class/net.
            if self.exclude.as_ref().is_some_and(|r| r.is_match(&d.device)) {
                continue;
            }
            for (f, v) in fams.iter_mut().zip(d.values) {
                f.push(vec![label("device", d.device.clone())], v as f64);
            }
            let nh = self.paths.sys("class/net").join(&d.device).join("statistics/rx_nohandler");
            if let Some(v) = sys_attr(&nh).and_then(|v| v.parse::<u64>().ok()) {
                nohandler.push(vec![label("device", d.device.clone())], v as f64);
            }
        }
        fams.insert(7, nohandler);
        Ok(fams)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let text = "Inter-|   Receive |  Transmit\n face |bytes ...\n    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0\n  eth0:372671785   18448    1    2    0     0          0         0  1052428   10609    3    4    0     0       0          0\n";
        let d = parse_net_dev(text).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[1].device, "eth0");
        assert_eq!(d[1].values[..4], [372671785, 18448, 1, 2]);
        assert_eq!(d[1].values[8..12], [1052428, 10609, 3, 4]);
        assert!(parse_net_dev("a\nb\neth0: 1 2 3\n").is_err());
        assert!(parse_net_dev("a\nb\neth0 1 2 3\n").is_err());
        assert_eq!(family("receive_errs").name, "node_network_receive_errs_total");
    }
}
