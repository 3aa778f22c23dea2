//! `mdadm`: software RAID state from `/proc/mdstat` (node_exporter's
//! `mdadm`, with the parsing rules of prometheus/procfs' `MDStat`).

use anyhow::{Context, bail};
use regex::Regex;

use super::{Collector, ScrapeContext, read_opt};
use crate::Paths;
use crate::metric::{Family, Kind, label};

/// One md device.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MdStat {
    /// Device name (`md0`).
    pub name: String,
    /// `active`, `inactive`, `recovering`, `resyncing` or `checking`.
    pub state: String,
    /// Active disks.
    pub active: f64,
    /// Disks the array needs.
    pub total: f64,
    /// Failed disks (`(F)`).
    pub failed: f64,
    /// Spare disks (`(S)`).
    pub spare: f64,
    /// Size in blocks.
    pub blocks: f64,
    /// Blocks in sync.
    pub synced: f64,
}

/// Parse `/proc/mdstat`.
pub fn parse(text: &str) -> anyhow::Result<Vec<MdStat>> {
    let status_re = Regex::new(r"(\d+) blocks .*\[(\d+)/(\d+)\] \[([U_]+)\]")?;
    let synced_re = Regex::new(r"\((\d+)/\d+\)")?;
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() || line.starts_with(' ') || line.starts_with("Personalities") || line.starts_with("unused") {
            continue;
        }
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        if fields.len() < 3 {
            bail!("not enough fields in md line {line:?}");
        }
        let name = fields[0].to_string();
        if lines.len() <= i + 3 {
            bail!("{name}: too few lines for an md device");
        }
        let status = lines[i + 1];
        let blocks: f64 = status
            .split_ascii_whitespace()
            .next()
            .and_then(|s| s.parse::<u64>().ok())
            .with_context(|| format!("{name}: unexpected status line {status:?}"))? as f64;
        let (active, total) = if line.contains("raid0") || line.contains("linear") {
            let n = line.matches('[').count() as f64;
            (n, n)
        } else if line.contains("inactive") {
            (0.0, 0.0)
        } else {
            let c = status_re
                .captures(status)
                .with_context(|| format!("{name}: no [n/m] [U_] in status line {status:?}"))?;
            (c[3].parse::<f64>()?, c[2].parse::<f64>()?)
        };
        let sync_line = if lines[i + 2].contains("bitmap") {
            lines[i + 3]
        } else {
            lines[i + 2]
        };
        let mut state = fields[2].to_string();
        let mut synced = blocks;
        let (recovering, resyncing, checking) = (
            sync_line.contains("recovery"),
            sync_line.contains("resync"),
            sync_line.contains("check"),
        );
        if recovering || resyncing || checking {
            state = if recovering {
                "recovering"
            } else if checking {
                "checking"
            } else {
                "resyncing"
            }
            .to_string();
            synced = if sync_line.contains("PENDING") || sync_line.contains("DELAYED") {
                0.0
            } else {
                synced_re
                    .captures(sync_line)
                    .with_context(|| format!("{name}: unexpected sync line {sync_line:?}"))?[1]
                    .parse::<f64>()?
            };
        }
        out.push(MdStat {
            name,
            state,
            active,
            total,
            failed: line.matches("(F)").count() as f64,
            spare: line.matches("(S)").count() as f64,
            blocks,
            synced,
        });
    }
    Ok(out)
}

/// The mdadm collector.
pub struct Mdadm {
    paths: Paths,
}

impl Mdadm {
    /// A collector reading `<procfs>/mdstat`.
    pub fn new(paths: &Paths) -> Self {
        Mdadm { paths: paths.clone() }
    }
}

impl Collector for Mdadm {
    fn name(&self) -> &'static str {
        "mdadm"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("mdstat");
        let Some(text) = read_opt(&path)? else {
            return Err(super::no_data(&path));
        };
        let mds = parse(&text).with_context(|| format!("parsing {}", path.display()))?;
        let mut required = Family::new("node_md_disks_required", Kind::Gauge, "Total number of disks of device.");
        let mut disks = Family::new("node_md_disks", Kind::Gauge, "Number of active/failed/spare disks of device.");
        let mut state = Family::new("node_md_state", Kind::Gauge, "Indicates the state of md-device.");
        let mut blocks = Family::new("node_md_blocks", Kind::Gauge, "Total number of blocks on device.");
        let mut synced = Family::new("node_md_blocks_synced", Kind::Gauge, "Number of blocks synced on device.");
        for m in &mds {
            let dev = || label("device", m.name.clone());
            required.push(vec![dev()], m.total);
            for (s, v) in [("active", m.active), ("failed", m.failed), ("spare", m.spare)] {
                disks.push(vec![dev(), label("state", s)], v);
            }
            for (s, procfs) in [
                ("active", "active"),
                ("inactive", "inactive"),
                ("recovering", "recovering"),
                ("resync", "resyncing"),
                ("check", "checking"),
            ] {
                state.push(vec![dev(), label("state", s)], if m.state == procfs { 1.0 } else { 0.0 });
            }
            blocks.push(vec![dev()], m.blocks);
            synced.push(vec![dev()], m.synced);
        }
        Ok(vec![required, disks, state, blocks, synced])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let t = "Personalities : [raid1]\nmd6 : active raid1 sdb2[2](F) sdc[1](S) sda2[0]\n      195310144 blocks [2/1] [U_]\n      [=>...]  recovery =  8.5% (16775552/195310144) finish=17.0min speed=259783K/sec\n\nunused devices: <none>\n";
        let m = super::parse(t).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(
            (m[0].state.as_str(), m[0].active, m[0].total, m[0].failed, m[0].spare),
            ("recovering", 1.0, 2.0, 1.0, 1.0)
        );
        assert_eq!((m[0].blocks, m[0].synced), (195310144.0, 16775552.0));
        assert!(super::parse("md0 : active raid1 a[0]\n").is_err());
    }
}
