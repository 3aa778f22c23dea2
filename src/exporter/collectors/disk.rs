//! `disk`: block device I/O from `/proc/diskstats`.

use anyhow::Context;
use regex::Regex;

use super::{Collector, ScrapeContext, num};
use crate::exporter::config::{DEFAULT_EXCLUDE_DISKS, DiskConfig, exclusion};
use crate::exporter::metric::{Family, label};
use crate::exporter::{Paths, read_file};

/// Bytes per sector in `/proc/diskstats` (always 512, whatever the device).
pub const SECTOR_BYTES: f64 = 512.0;

/// One `/proc/diskstats` line.
#[derive(Debug, Clone, PartialEq)]
pub struct DiskStats {
    /// Device name.
    pub device: String,
    /// Reads completed.
    pub reads: u64,
    /// Sectors read.
    pub sectors_read: u64,
    /// Writes completed.
    pub writes: u64,
    /// Sectors written.
    pub sectors_written: u64,
    /// Milliseconds spent doing I/O.
    pub io_ms: u64,
}

/// Parse `/proc/diskstats`.
pub fn parse_diskstats(text: &str) -> anyhow::Result<Vec<DiskStats>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_ascii_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        let parse = || -> anyhow::Result<DiskStats> {
            Ok(DiskStats {
                device: f.get(2).context("missing device name")?.to_string(),
                reads: num(f.get(3).copied(), "reads completed")?,
                sectors_read: num(f.get(5).copied(), "sectors read")?,
                writes: num(f.get(7).copied(), "writes completed")?,
                sectors_written: num(f.get(9).copied(), "sectors written")?,
                io_ms: num(f.get(12).copied(), "time doing I/O")?,
            })
        };
        out.push(parse().with_context(|| format!("line {}", n + 1))?);
    }
    Ok(out)
}

/// Families for parsed stats, skipping excluded devices.
pub fn families(stats: &[DiskStats], exclude: Option<&Regex>) -> Vec<Family> {
    let names = [
        "genmon_disk_read_bytes_total",
        "genmon_disk_written_bytes_total",
        "genmon_disk_reads_completed_total",
        "genmon_disk_writes_completed_total",
        "genmon_disk_io_time_seconds_total",
    ];
    let mut fams: Vec<Family> = names.iter().map(|n| Family::with_capacity(n, stats.len())).collect();
    for d in stats {
        if exclude.is_some_and(|r| r.is_match(&d.device)) {
            continue;
        }
        let values = [
            d.sectors_read as f64 * SECTOR_BYTES,
            d.sectors_written as f64 * SECTOR_BYTES,
            d.reads as f64,
            d.writes as f64,
            d.io_ms as f64 / 1000.0,
        ];
        for (f, v) in fams.iter_mut().zip(values) {
            f.push(vec![label("device", d.device.clone())], v);
        }
    }
    fams
}

/// The disk collector.
pub struct Disk {
    paths: Paths,
    exclude: Option<Regex>,
}

impl Disk {
    /// A collector reading `<procfs>/diskstats`.
    pub fn new(paths: Paths, cfg: &DiskConfig) -> anyhow::Result<Self> {
        Ok(Disk {
            paths,
            exclude: exclusion("exporter.disk.exclude_devices", &cfg.exclude_devices, DEFAULT_EXCLUDE_DISKS)?,
        })
    }
}

impl Collector for Disk {
    fn name(&self) -> &'static str {
        "disk"
    }
    fn cheap(&self) -> bool {
        true
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("diskstats");
        let stats = parse_diskstats(&read_file(&path)?).with_context(|| format!("parsing {}", path.display()))?;
        Ok(families(&stats, self.exclude.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_excludes_partitions() {
        let text = "   8       0 sda 100 5 2000 30 50 6 800 40 0 1500 70 0 0 0 0\n   8       1 sda1 1 0 8 0 0 0 0 0 0 1 0\n   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0\n 259 0 nvme0n1 1 0 2 0 3 0 4 0 0 5 0\n 259 1 nvme0n1p1 1 0 2 0 3 0 4 0 0 5 0\n";
        let stats = parse_diskstats(text).unwrap();
        assert_eq!(stats.len(), 5);
        let re = Regex::new(DEFAULT_EXCLUDE_DISKS).unwrap();
        let fams = families(&stats, Some(&re));
        let devs: Vec<&str> = fams[0].samples.iter().map(|s| s.labels[0].1.as_str()).collect();
        assert_eq!(devs, ["sda", "nvme0n1"]);
        assert_eq!(fams[0].samples[0].value, 2000.0 * 512.0);
        assert_eq!(fams[1].samples[0].value, 800.0 * 512.0);
        assert_eq!(fams[4].samples[0].value, 1.5);
    }

    #[test]
    fn short_line_is_an_error() {
        let e = parse_diskstats("8 0 sda 1 2 3\n").unwrap_err();
        assert!(format!("{e:#}").contains("line 1"));
    }
}
