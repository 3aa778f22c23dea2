//! `diskstats`: block device I/O from `/proc/diskstats` and device info from
//! udev's database (node_exporter's `diskstats`).

use anyhow::Context;
use regex::Regex;

use super::{Collector, ScrapeContext, num};
use crate::config::{DEFAULT_EXCLUDE_DISKS, DiskConfig, exclusion};
use crate::metric::{Family, Kind, label};
use crate::{Paths, read_file};

/// Bytes per sector in `/proc/diskstats` (always 512, whatever the device).
pub const SECTOR_BYTES: f64 = 512.0;

/// One `/proc/diskstats` line: major, minor, device and its counters
/// (11 on old kernels, 15 since 4.18 with discards, 17 since 5.5 with flushes).
#[derive(Debug, Clone, PartialEq)]
pub struct DiskStats {
    /// Major device number.
    pub major: String,
    /// Minor device number.
    pub minor: String,
    /// Device name.
    pub device: String,
    /// The counters, in file order.
    pub values: Vec<f64>,
}

/// Parse `/proc/diskstats`.
pub fn parse_diskstats(text: &str) -> anyhow::Result<Vec<DiskStats>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_ascii_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        if f.len() < 14 {
            anyhow::bail!("line {}: expected at least 14 fields, got {}", n + 1, f.len());
        }
        let values = f[3..]
            .iter()
            .map(|v| num::<u64>(Some(v), "counter").map(|v| v as f64))
            .collect::<anyhow::Result<Vec<f64>>>()
            .with_context(|| format!("line {}", n + 1))?;
        out.push(DiskStats {
            major: f[0].to_string(),
            minor: f[1].to_string(),
            device: f[2].to_string(),
            values,
        });
    }
    Ok(out)
}

/// node_exporter's families by `/proc/diskstats` column (after the device
/// name): name, type, help, scale.
const COLUMNS: [(&str, Kind, &str, f64); 17] = [
    (
        "node_disk_reads_completed_total",
        Kind::Counter,
        "The total number of reads completed successfully.",
        1.0,
    ),
    (
        "node_disk_reads_merged_total",
        Kind::Counter,
        "The total number of reads merged.",
        1.0,
    ),
    (
        "node_disk_read_bytes_total",
        Kind::Counter,
        "The total number of bytes read successfully.",
        SECTOR_BYTES,
    ),
    (
        "node_disk_read_time_seconds_total",
        Kind::Counter,
        "The total number of seconds spent by all reads.",
        0.001,
    ),
    (
        "node_disk_writes_completed_total",
        Kind::Counter,
        "The total number of writes completed successfully.",
        1.0,
    ),
    ("node_disk_writes_merged_total", Kind::Counter, "The number of writes merged.", 1.0),
    (
        "node_disk_written_bytes_total",
        Kind::Counter,
        "The total number of bytes written successfully.",
        SECTOR_BYTES,
    ),
    (
        "node_disk_write_time_seconds_total",
        Kind::Counter,
        "This is the total number of seconds spent by all writes.",
        0.001,
    ),
    ("node_disk_io_now", Kind::Gauge, "The number of I/Os currently in progress.", 1.0),
    (
        "node_disk_io_time_seconds_total",
        Kind::Counter,
        "Total seconds spent doing I/Os.",
        0.001,
    ),
    (
        "node_disk_io_time_weighted_seconds_total",
        Kind::Counter,
        "The weighted # of seconds spent doing I/Os.",
        0.001,
    ),
    (
        "node_disk_discards_completed_total",
        Kind::Counter,
        "The total number of discards completed successfully.",
        1.0,
    ),
    (
        "node_disk_discards_merged_total",
        Kind::Counter,
        "The total number of discards merged.",
        1.0,
    ),
    (
        "node_disk_discarded_sectors_total",
        Kind::Counter,
        "The total number of sectors discarded successfully.",
        1.0,
    ),
    (
        "node_disk_discard_time_seconds_total",
        Kind::Counter,
        "This is the total number of seconds spent by all discards.",
        0.001,
    ),
    (
        "node_disk_flush_requests_total",
        Kind::Counter,
        "The total number of flush requests completed successfully",
        1.0,
    ),
    (
        "node_disk_flush_requests_time_seconds_total",
        Kind::Counter,
        "This is the total number of seconds spent by all flush requests.",
        0.001,
    ),
];

/// A block device's udev properties (the `E:` lines of its udev database
/// file), from which node_exporter 1.5 builds `node_disk_info`,
/// `node_disk_filesystem_info`, `node_disk_device_mapper_info` and
/// `node_disk_ata_*`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct UdevInfo(Vec<(String, String)>);

impl UdevInfo {
    /// The property `key`, or "" when absent (as node_exporter's map lookup).
    pub fn get(&self, key: &str) -> &str {
        self.0.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
    }
}

/// Parse a udev database file (`/run/udev/data/b<major>:<minor>`).
pub fn parse_udev(text: &str) -> UdevInfo {
    UdevInfo(
        text.lines()
            .filter_map(|l| l.strip_prefix("E:")?.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// node_exporter's udev info families: name, help, the property a device
/// must have for a sample, and the labels (name, property) besides `device`.
type InfoFamily = (&'static str, &'static str, &'static str, &'static [(&'static str, &'static str)]);
const UDEV_INFO: &[InfoFamily] = &[
    (
        "node_disk_filesystem_info",
        "Info about disk filesystem.",
        "ID_FS_TYPE",
        &[
            ("type", "ID_FS_TYPE"),
            ("usage", "ID_FS_USAGE"),
            ("uuid", "ID_FS_UUID"),
            ("version", "ID_FS_VERSION"),
        ],
    ),
    (
        "node_disk_device_mapper_info",
        "Info about disk device mapper.",
        "DM_NAME",
        &[
            ("name", "DM_NAME"),
            ("uuid", "DM_UUID"),
            ("vg_name", "DM_VG_NAME"),
            ("lv_name", "DM_LV_NAME"),
            ("lv_layer", "DM_LV_LAYER"),
        ],
    ),
];

/// node_exporter's ATA families: udev property, name, help.
const ATA: &[(&str, &str, &str)] = &[
    (
        "ID_ATA_ROTATION_RATE_RPM",
        "node_disk_ata_rotation_rate_rpm",
        "ATA disk rotation rate in RPMs (0 for SSDs).",
    ),
    ("ID_ATA_WRITE_CACHE", "node_disk_ata_write_cache", "ATA disk has a write cache."),
    (
        "ID_ATA_WRITE_CACHE_ENABLED",
        "node_disk_ata_write_cache_enabled",
        "ATA disk has its write cache enabled.",
    ),
];

/// Families for parsed stats, skipping excluded devices. `udev` gives each
/// device's udev properties (empty when udev has no record).
pub fn families(stats: &[DiskStats], exclude: Option<&Regex>, udev: impl Fn(&DiskStats) -> UdevInfo) -> Vec<Family> {
    let mut fams: Vec<Family> = COLUMNS.iter().map(|(n, k, h, _)| Family::new(*n, *k, *h)).collect();
    let mut info = Family::new("node_disk_info", Kind::Gauge, "Info of /sys/block/<block_device>.");
    let mut infos: Vec<Family> = UDEV_INFO.iter().map(|(n, h, _, _)| Family::new(*n, Kind::Gauge, *h)).collect();
    let mut ata: Vec<Family> = ATA.iter().map(|(_, n, h)| Family::new(*n, Kind::Gauge, *h)).collect();
    for d in stats {
        if exclude.is_some_and(|r| r.is_match(&d.device)) {
            continue;
        }
        let u = udev(d);
        let dev = || label("device", d.device.clone());
        let l = |name: &'static str, key: &str| label(name, u.get(key).to_string());
        info.push(
            vec![
                dev(),
                label("major", d.major.clone()),
                label("minor", d.minor.clone()),
                l("path", "ID_PATH"),
                l("wwn", "ID_WWN"),
                l("model", "ID_MODEL"),
                l("serial", "ID_SERIAL_SHORT"),
                l("revision", "ID_REVISION"),
            ],
            1.0,
        );
        // As node_exporter: only devices with a filesystem, a device-mapper name or ATA.
        for ((_, _, gate, labels), fam) in UDEV_INFO.iter().zip(&mut infos) {
            if !u.get(gate).is_empty() {
                fam.push(std::iter::once(dev()).chain(labels.iter().map(|(n, k)| l(n, k))).collect(), 1.0);
            }
        }
        if !u.get("ID_ATA").is_empty() {
            for ((key, _, _), fam) in ATA.iter().zip(&mut ata) {
                // A missing or non-numeric property is skipped, as node_exporter does.
                if let Ok(v) = u.get(key).parse::<f64>() {
                    fam.push(vec![dev()], v);
                }
            }
        }
        for (i, v) in d.values.iter().enumerate().take(COLUMNS.len()) {
            fams[i].push(vec![label("device", d.device.clone())], v * COLUMNS[i].3);
        }
    }
    fams.insert(0, info);
    fams.extend(infos.into_iter().chain(ata).filter(|f| !f.samples.is_empty()));
    fams
}

/// The diskstats collector.
pub struct Diskstats {
    paths: Paths,
    exclude: Option<Regex>,
}

impl Diskstats {
    /// A collector reading `<procfs>/diskstats` and udev's database.
    pub fn new(paths: &Paths, cfg: &DiskConfig) -> anyhow::Result<Self> {
        Ok(Diskstats {
            paths: paths.clone(),
            exclude: exclusion("exporter.disk.exclude_devices", &cfg.exclude_devices, DEFAULT_EXCLUDE_DISKS)?,
        })
    }
}

impl Collector for Diskstats {
    fn name(&self) -> &'static str {
        "diskstats"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let path = self.paths.proc("diskstats");
        let stats = parse_diskstats(&read_file(&path)?).with_context(|| format!("parsing {}", path.display()))?;
        let udev_dir = &self.paths.udev_data;
        Ok(families(&stats, self.exclude.as_ref(), |d| {
            // major/minor are digits (checked by the parser), so the path stays inside udev_dir.
            std::fs::read_to_string(udev_dir.join(format!("b{}:{}", d.major, d.minor)))
                .map(|t| parse_udev(&t))
                .unwrap_or_default()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_excludes_partitions() {
        let text = "   8       0 sda 100 5 2000 30 50 6 800 40 0 1500 70 1 2 3 4 5 6\n   8       1 sda1 1 0 8 0 0 0 0 0 0 1 0\n   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0\n 259 0 nvme0n1 1 0 2 0 3 0 4 0 0 5 0\n 259 1 nvme0n1p1 1 0 2 0 3 0 4 0 0 5 0\n";
        let stats = parse_diskstats(text).unwrap();
        assert_eq!(stats.len(), 5);
        let re = Regex::new(DEFAULT_EXCLUDE_DISKS).unwrap();
        let fams = families(&stats, Some(&re), |_| UdevInfo::default());
        let by = |n: &str| fams.iter().find(|f| f.name == n).unwrap();
        let devs: Vec<&str> = by("node_disk_info").samples.iter().map(|s| s.labels[0].1.as_str()).collect();
        assert_eq!(devs, ["sda", "nvme0n1"]);
        assert_eq!(by("node_disk_read_bytes_total").samples[0].value, 2000.0 * 512.0);
        assert_eq!(by("node_disk_written_bytes_total").samples[0].value, 800.0 * 512.0);
        assert_eq!(by("node_disk_io_time_seconds_total").samples[0].value, 1.5);
        assert_eq!(by("node_disk_flush_requests_time_seconds_total").samples.len(), 1);
        assert_eq!(by("node_disk_reads_completed_total").samples.len(), 2);
    }

    #[test]
    fn udev() {
        let u = parse_udev("S:disk/by-id/x\nE:ID_MODEL=Samsung\nE:ID_SERIAL_SHORT=S1\nE:ID_PATH=pci-0000:00:1f.2-ata-1\n");
        assert_eq!(
            (u.get("ID_MODEL"), u.get("ID_SERIAL_SHORT"), u.get("ID_WWN")),
            ("Samsung", "S1", "")
        );
        assert_eq!(u.get("ID_PATH"), "pci-0000:00:1f.2-ata-1");
        assert_eq!(u.get("x"), "");
    }

    #[test]
    fn short_line_is_an_error() {
        let e = parse_diskstats("8 0 sda 1 2 3\n").unwrap_err();
        assert!(format!("{e:#}").contains("line 1"));
    }
}
