//! `network`: interface counters from `/proc/net/dev`, link state from
//! `/sys/class/net/*/operstate`.

use anyhow::{Context, bail};
use regex::Regex;

use super::{Collector, ScrapeContext, num};
use crate::exporter::config::{DEFAULT_EXCLUDE_NETDEVS, NetworkConfig, exclusion};
use crate::exporter::metric::{Family, label};
use crate::exporter::{Paths, read_file};

/// Counters of one interface.
#[derive(Debug, Clone, PartialEq)]
pub struct NetDev {
    /// Interface name.
    pub device: String,
    /// rx bytes, packets, errs, drop; tx bytes, packets, errs, drop.
    pub values: [u64; 8],
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
        let mut values = [0u64; 8];
        for (i, idx) in [0usize, 1, 2, 3, 8, 9, 10, 11].iter().enumerate() {
            values[i] = num(Some(f[*idx]), "counter").with_context(|| format!("line {}", n + 1))?;
        }
        out.push(NetDev {
            device: dev.trim().to_string(),
            values,
        });
    }
    Ok(out)
}

const NAMES: [&str; 8] = [
    "genmon_network_receive_bytes_total",
    "genmon_network_receive_packets_total",
    "genmon_network_receive_errors_total",
    "genmon_network_receive_drop_total",
    "genmon_network_transmit_bytes_total",
    "genmon_network_transmit_packets_total",
    "genmon_network_transmit_errors_total",
    "genmon_network_transmit_drop_total",
];

/// The network collector.
pub struct Network {
    paths: Paths,
    exclude: Option<Regex>,
}

impl Network {
    /// A collector reading `<procfs>/net/dev` and `<sysfs>/class/net`.
    pub fn new(paths: Paths, cfg: &NetworkConfig) -> anyhow::Result<Self> {
        Ok(Network {
            paths,
            exclude: exclusion("exporter.network.exclude_devices", &cfg.exclude_devices, DEFAULT_EXCLUDE_NETDEVS)?,
        })
    }
}

impl Collector for Network {
    fn name(&self) -> &'static str {
        "network"
    }
    fn cheap(&self) -> bool {
        true
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("net/dev");
        let devs = parse_net_dev(&read_file(&path)?).with_context(|| format!("parsing {}", path.display()))?;
        let mut fams: Vec<Family> = NAMES.iter().map(|n| Family::with_capacity(n, devs.len())).collect();
        let mut up = Family::with_capacity("genmon_network_up", devs.len());
        for d in &devs {
            if self.exclude.as_ref().is_some_and(|r| r.is_match(&d.device)) {
                continue;
            }
            for (f, v) in fams.iter_mut().zip(d.values) {
                f.push(vec![label("device", d.device.clone())], v as f64);
            }
            // Interface names never contain '/', so this stays inside class/net.
            let state = self.paths.sysfs.join("class/net").join(&d.device).join("operstate");
            if let Ok(s) = std::fs::read_to_string(state) {
                up.push(vec![label("device", d.device.clone())], if s.trim() == "up" { 1.0 } else { 0.0 });
            }
        }
        fams.push(up);
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
        assert_eq!(d[1].values, [372671785, 18448, 1, 2, 1052428, 10609, 3, 4]);
        assert!(parse_net_dev("a\nb\neth0: 1 2 3\n").is_err());
        assert!(parse_net_dev("a\nb\neth0 1 2 3\n").is_err());
    }
}
