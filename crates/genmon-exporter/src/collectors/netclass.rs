//! `netclass`: network device properties from `/sys/class/net/<iface>/`
//! (node_exporter's `netclass`).

use super::{Collector, ScrapeContext, dir_entries, sys_attr};
use crate::Paths;
use crate::metric::{Family, Kind, label};

/// Numeric attributes: sysfs file, node_exporter's name, scale.
const PROPS: [(&str, &str, f64); 17] = [
    ("addr_assign_type", "address_assign_type", 1.0),
    ("carrier", "carrier", 1.0),
    ("carrier_changes", "carrier_changes_total", 1.0),
    ("carrier_up_count", "carrier_up_changes_total", 1.0),
    ("carrier_down_count", "carrier_down_changes_total", 1.0),
    ("dev_id", "device_id", 1.0),
    ("dormant", "dormant", 1.0),
    ("flags", "flags", 1.0),
    ("ifindex", "iface_id", 1.0),
    ("iflink", "iface_link", 1.0),
    ("link_mode", "iface_link_mode", 1.0),
    ("mtu", "mtu_bytes", 1.0),
    ("name_assign_type", "name_assign_type", 1.0),
    ("netdev_group", "net_dev_group", 1.0),
    // Mbit/s to bytes/s.
    ("speed", "speed_bytes", 125000.0),
    ("tx_queue_len", "transmit_queue_length", 1.0),
    ("type", "protocol_type", 1.0),
];

/// Parse a sysfs number: decimal, or hex with `0x`.
fn parse_num(s: &str) -> Option<f64> {
    match s.strip_prefix("0x") {
        Some(h) => i64::from_str_radix(h, 16).ok().map(|v| v as f64),
        None => s.parse::<i64>().ok().map(|v| v as f64),
    }
}

/// The netclass collector: every interface, as node_exporter's default
/// (`--collector.netclass.ignored-devices="^$"`).
pub struct Netclass {
    paths: Paths,
}

impl Netclass {
    /// A collector reading `<sysfs>/class/net`.
    pub fn new(paths: &Paths) -> Self {
        Netclass { paths: paths.clone() }
    }
}

impl Collector for Netclass {
    fn name(&self) -> &'static str {
        "netclass"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let dir = self.paths.sys("class/net");
        let Some(devs) = dir_entries(&dir, "")? else {
            return Err(super::no_data(&dir));
        };
        let mut up = Family::new("node_network_up", Kind::Gauge, "Value is 1 if operstate is 'up', 0 otherwise.");
        let mut info = Family::new(
            "node_network_info",
            Kind::Gauge,
            "Non-numeric data from /sys/class/net/<iface>, value is always 1.",
        );
        let mut props: Vec<Family> = PROPS
            .iter()
            .map(|(_, n, _)| {
                let kind = if n.ends_with("_total") { Kind::Counter } else { Kind::Gauge };
                Family::new(format!("node_network_{n}"), kind, format!("Network device property: {n}"))
            })
            .collect();
        for (dev, path) in devs {
            let attr = |f: &str| sys_attr(&path.join(f)).unwrap_or_default();
            let operstate = attr("operstate");
            up.push(vec![label("device", dev.clone())], if operstate == "up" { 1.0 } else { 0.0 });
            info.push(
                vec![
                    label("device", dev.clone()),
                    label("address", attr("address")),
                    label("broadcast", attr("broadcast")),
                    label("duplex", attr("duplex")),
                    label("operstate", operstate),
                    label("ifalias", attr("ifalias")),
                ],
                1.0,
            );
            for (fam, (file, _, scale)) in props.iter_mut().zip(PROPS) {
                if let Some(v) = sys_attr(&path.join(file)).as_deref().and_then(parse_num) {
                    fam.push(vec![label("device", dev.clone())], v * scale);
                }
            }
        }
        let mut out = vec![up, info];
        out.extend(props);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_num("0x1003"), Some(4099.0));
        assert_eq!(parse_num("-1"), Some(-1.0));
        assert_eq!(parse_num("x"), None);
    }
}
