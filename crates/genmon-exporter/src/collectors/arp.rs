//! `arp`: ARP entries per device from `/proc/net/arp` (node_exporter's `arp`).

use std::collections::BTreeMap;

use super::{Collector, ScrapeContext, read_or_no_data};
use crate::Paths;
use crate::metric::{Family, Kind, label};

/// Count entries per device (the last column; the first line is a header).
pub fn count(text: &str) -> BTreeMap<&str, u64> {
    let mut out = BTreeMap::new();
    for line in text.lines().skip(1) {
        if let Some(dev) = line.split_ascii_whitespace().nth(5) {
            *out.entry(dev).or_default() += 1;
        }
    }
    out
}

/// The arp collector.
pub struct Arp {
    paths: Paths,
}

impl Arp {
    /// A collector reading `<procfs>/net/arp`.
    pub fn new(paths: &Paths) -> Self {
        Arp { paths: paths.clone() }
    }
}

impl Collector for Arp {
    fn name(&self) -> &'static str {
        "arp"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let text = read_or_no_data(&self.paths.proc("net/arp"))?;
        let mut f = Family::new("node_arp_entries", Kind::Gauge, "ARP entries by device");
        for (dev, n) in count(&text) {
            f.push(vec![label("device", dev)], n as f64);
        }
        Ok(vec![f])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts() {
        let t = "IP address       HW type     Flags       HW address            Mask     Device\n10.0.0.1 0x1 0x2 aa:bb:cc:dd:ee:ff * eth0\n10.0.0.2 0x1 0x2 aa:bb:cc:dd:ee:fe * eth0\n10.1.0.1 0x1 0x2 aa:bb:cc:dd:ee:fd * wlan0\n";
        let c = super::count(t);
        assert_eq!(c["eth0"], 2);
        assert_eq!(c["wlan0"], 1);
    }
}
