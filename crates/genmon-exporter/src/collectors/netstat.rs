//! `netstat`: protocol statistics from `/proc/net/netstat`, `/proc/net/snmp`
//! and `/proc/net/snmp6` (node_exporter's `netstat`), filtered by
//! node_exporter's default field list.

use anyhow::{Context, bail};
use regex::Regex;

use super::{Collector, ScrapeContext, read_opt};
use crate::metric::{Family, Kind};
use crate::{Paths, read_file};

/// node_exporter's default `--collector.netstat.fields`.
pub const DEFAULT_FIELDS: &str = "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$";

/// One statistic: protocol, field, value.
pub type Stat = (String, String, f64);

/// Parse the header/value line pairs of `/proc/net/netstat` and `/proc/net/snmp`.
pub fn parse_pairs(text: &str) -> anyhow::Result<Vec<Stat>> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    for pair in lines.chunks(2) {
        let [names, values] = pair else {
            bail!("header line without a value line: {:?}", pair[0])
        };
        let (Some((p1, names)), Some((p2, values))) = (names.split_once(':'), values.split_once(':')) else {
            bail!("expected `Proto: ...` lines, got {names:?}");
        };
        if p1 != p2 {
            bail!("header for {p1} followed by values for {p2}");
        }
        let (names, values): (Vec<&str>, Vec<&str>) = (names.split_ascii_whitespace().collect(), values.split_ascii_whitespace().collect());
        if names.len() != values.len() {
            bail!("{p1}: {} names but {} values", names.len(), values.len());
        }
        for (n, v) in names.iter().zip(values) {
            let v: f64 = v.parse().with_context(|| format!("{p1} {n}: {v:?} is not a number"))?;
            out.push((p1.to_string(), n.to_string(), v));
        }
    }
    Ok(out)
}

/// Parse `/proc/net/snmp6` (`Ip6InReceives 123` lines): the protocol is
/// everything up to and including the first `6`.
pub fn parse_snmp6(text: &str) -> anyhow::Result<Vec<Stat>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut it = line.split_ascii_whitespace();
        let (Some(k), Some(v)) = (it.next(), it.next()) else { continue };
        let Some(i) = k.find('6') else { continue };
        let v: f64 = v.parse().with_context(|| format!("{k}: {v:?} is not a number"))?;
        out.push((k[..=i].to_string(), k[i + 1..].to_string(), v));
    }
    Ok(out)
}

/// Families for the statistics whose `Proto_Field` matches `fields`.
pub fn families(stats: &[Stat], fields: &Regex) -> Vec<Family> {
    let mut out: Vec<Family> = stats
        .iter()
        .filter_map(|(p, n, v)| {
            let key = format!("{p}_{n}");
            if !fields.is_match(&key) {
                return None;
            }
            let mut f = Family::new(format!("node_netstat_{key}"), Kind::Untyped, format!("Statistic {p}{n}."));
            f.push0(*v);
            Some(f)
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    out
}

/// The netstat collector.
pub struct Netstat {
    paths: Paths,
    fields: Regex,
}

impl Netstat {
    /// A collector exporting the fields matching `fields` (default [`DEFAULT_FIELDS`]).
    pub fn new(paths: &Paths, fields: Option<&str>) -> anyhow::Result<Self> {
        let re = fields.unwrap_or(DEFAULT_FIELDS);
        Ok(Netstat {
            paths: paths.clone(),
            fields: Regex::new(re).with_context(|| format!("--collector.netstat.fields: invalid regex {re:?}"))?,
        })
    }
}

impl Collector for Netstat {
    fn name(&self) -> &'static str {
        "netstat"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let mut stats = Vec::new();
        for f in ["net/netstat", "net/snmp"] {
            let path = self.paths.proc(f);
            stats.extend(parse_pairs(&read_file(&path)?).with_context(|| format!("parsing {}", path.display()))?);
        }
        // IPv6 may be disabled: snmp6 is optional, as in node_exporter.
        let path = self.paths.proc("net/snmp6");
        if let Some(t) = read_opt(&path)? {
            stats.extend(parse_snmp6(&t).with_context(|| format!("parsing {}", path.display()))?);
        }
        Ok(families(&stats, &self.fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_filters() {
        let s = parse_pairs("Tcp: RtoAlgorithm MaxConn ActiveOpens\nTcp: 1 -1 42\nIp: Forwarding InReceives\nIp: 2 7\n").unwrap();
        assert_eq!(s[1], ("Tcp".into(), "MaxConn".into(), -1.0));
        let s6 = parse_snmp6("Ip6InOctets 10\nUdpLite6InErrors 3\nIcmp6InMsgs 2\n").unwrap();
        assert_eq!(s6[1], ("UdpLite6".into(), "InErrors".into(), 3.0));
        let all: Vec<Stat> = s.into_iter().chain(s6).collect();
        let f = families(&all, &Regex::new(DEFAULT_FIELDS).unwrap());
        let names: Vec<&str> = f.iter().map(|f| f.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "node_netstat_Icmp6_InMsgs",
                "node_netstat_Ip6_InOctets",
                "node_netstat_Ip_Forwarding",
                "node_netstat_Tcp_ActiveOpens",
                "node_netstat_UdpLite6_InErrors"
            ]
        );
        assert_eq!(f[3].help, "Statistic TcpActiveOpens.");
        assert!(parse_pairs("Tcp: A B\nUdp: 1 2\n").is_err());
        assert!(parse_pairs("Tcp: A B\nTcp: 1\n").is_err());
    }
}
