//! `udp_queues`: UDP socket queue lengths from `/proc/net/udp` and `udp6`
//! (node_exporter's `udp_queues`).

use anyhow::Context;

use super::{Collector, ScrapeContext, read_opt};
use crate::Paths;
use crate::metric::{Family, Kind, label};

/// Sum of `tx_queue` and `rx_queue` (hex `tx:rx` in column 5) over sockets.
pub fn parse(text: &str) -> anyhow::Result<(f64, f64)> {
    let (mut tx, mut rx) = (0f64, 0f64);
    for (n, line) in text.lines().enumerate().skip(1) {
        let Some(q) = line.split_ascii_whitespace().nth(4) else { continue };
        let (t, r) = q
            .split_once(':')
            .with_context(|| format!("line {}: queue {q:?} is not tx:rx", n + 1))?;
        tx += u64::from_str_radix(t, 16).with_context(|| format!("line {}: tx_queue {t:?}", n + 1))? as f64;
        rx += u64::from_str_radix(r, 16).with_context(|| format!("line {}: rx_queue {r:?}", n + 1))? as f64;
    }
    Ok((tx, rx))
}

/// The udp_queues collector.
pub struct UdpQueues {
    paths: Paths,
}

impl UdpQueues {
    /// A collector reading `<procfs>/net/udp` and `udp6`.
    pub fn new(paths: &Paths) -> Self {
        UdpQueues { paths: paths.clone() }
    }
}

impl Collector for UdpQueues {
    fn name(&self) -> &'static str {
        "udp_queues"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let mut f = Family::new(
            "node_udp_queues",
            Kind::Gauge,
            "Number of allocated memory in the kernel for UDP datagrams in bytes.",
        );
        let mut any = false;
        for (ip, file) in [("v4", "net/udp"), ("v6", "net/udp6")] {
            let path = self.paths.proc(file);
            let Some(t) = read_opt(&path)? else { continue };
            any = true;
            let (tx, rx) = parse(&t).with_context(|| format!("parsing {}", path.display()))?;
            f.push(vec![label("ip", ip), label("queue", "tx")], tx);
            f.push(vec![label("ip", ip), label("queue", "rx")], rx);
        }
        if !any {
            return Err(super::no_data(&self.paths.proc("net/udp")));
        }
        Ok(vec![f])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let t = "  sl  local_address rem_address   st tx_queue:rx_queue tr tm->when retrnsmt   uid  timeout inode\n  1: 00000000:0044 00000000:0000 07 00000010:00000020 00:00000000 00000000     0        0 1 2\n";
        assert_eq!(super::parse(t).unwrap(), (16.0, 32.0));
    }
}
