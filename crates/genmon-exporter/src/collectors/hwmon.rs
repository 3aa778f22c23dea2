//! `hwmon`: hardware sensors from `/sys/class/hwmon` (node_exporter's
//! `hwmon`: same chip names, sensor names, families and units).

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;

use super::{Collector, ScrapeContext};
use crate::Paths;
use crate::metric::{Family, Kind, Labels, label};

/// Sensor types node_exporter reads.
const SENSOR_TYPES: &[&str] = &[
    "vrm",
    "beep_enable",
    "update_interval",
    "in",
    "cpu",
    "fan",
    "pwm",
    "temp",
    "curr",
    "power",
    "energy",
    "humidity",
    "intrusion",
    "freq",
];

/// node_exporter's `cleanMetricName`: lower case, `[^a-z0-9:_]` to `_`, trimmed of `_`.
pub fn clean(name: &str) -> String {
    let lower = name.to_lowercase();
    let replaced: String = lower
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == ':' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    replaced.trim_matches('_').to_string()
}

/// Split a sensor file name into type, number and property (`temp1_crit_alarm`
/// -> `temp`, 1, `crit_alarm`).
fn explode(re: &Regex, file: &str) -> Option<(String, u64, String)> {
    let c = re.captures(file)?;
    let num = match c.get(2).map(|m| m.as_str()).unwrap_or("") {
        "" => 0,
        n => n.parse().ok()?,
    };
    Some((c[1].to_string(), num, c.get(4).map(|m| m.as_str().to_string()).unwrap_or_default()))
}

/// Sensor -> property -> raw value, from one directory's files.
type SensorData = BTreeMap<String, BTreeMap<String, String>>;

fn collect_sensor_data(re: &Regex, dir: &Path, data: &mut SensorData) -> anyhow::Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("listing {}: {e}", dir.display()))?;
    for e in rd.flatten() {
        let Some(file) = e.file_name().to_str().map(String::from) else {
            continue;
        };
        let Some((ty, num, prop)) = explode(re, &file) else { continue };
        if !SENSOR_TYPES.contains(&ty.as_str()) {
            continue;
        }
        // Unreadable files (write-only, EIO) are skipped, as node_exporter does.
        let Ok(raw) = std::fs::read(e.path()) else { continue };
        let value = String::from_utf8_lossy(&raw).trim_matches('\n').to_string();
        data.entry(format!("{ty}{num}")).or_default().insert(prop, value);
    }
    Ok(())
}

/// node_exporter's chip name: `<bus>_<device>` of the `device` link, else the
/// `name` file, else the directory's own name.
fn chip_name(dir: &Path) -> Option<String> {
    if let Ok(dev) = std::fs::canonicalize(dir.join("device")) {
        let name = dev.file_name().map(|n| clean(&n.to_string_lossy())).unwrap_or_default();
        let ty = dev
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| clean(&n.to_string_lossy()))
            .unwrap_or_default();
        if !ty.is_empty() && !name.is_empty() {
            return Some(format!("{ty}_{name}"));
        }
        if !name.is_empty() {
            return Some(name);
        }
    }
    if let Some(n) = human_name(dir) {
        return Some(n);
    }
    let real = std::fs::canonicalize(dir).ok()?;
    Some(clean(&real.file_name()?.to_string_lossy())).filter(|n| !n.is_empty())
}

fn human_name(dir: &Path) -> Option<String> {
    let raw = std::fs::read(dir.join("name")).ok()?;
    Some(clean(&String::from_utf8_lossy(&raw))).filter(|n| !n.is_empty())
}

/// Families by name, each created with its first help text.
#[derive(Default)]
struct Out(BTreeMap<String, Family>);

impl Out {
    fn push(&mut self, name: String, kind: Kind, help: String, labels: Labels, value: f64) {
        self.0
            .entry(name.clone())
            .or_insert_with(|| Family::new(name, kind, help))
            .push(labels, value);
    }
}

fn sensor_families(out: &mut Out, chip: &str, re: &Regex, data: &SensorData) {
    for (sensor, props) in data {
        let ty = explode(re, sensor).map(|e| e.0).unwrap_or_default();
        let l = || vec![label("chip", chip.to_string()), label("sensor", sensor.clone())];
        if let Some(text) = props.get("label") {
            let mut lb = l();
            lb.push(label("label", text.clone()));
            out.push(
                "node_hwmon_sensor_label".into(),
                Kind::Gauge,
                "Label for given chip and sensor".into(),
                lb,
                1.0,
            );
        }
        let plain = props.get("").and_then(|v| v.parse::<f64>().ok());
        match ty.as_str() {
            "beep_enable" => {
                let v = if props.get("").map(String::as_str) == Some("1") { 1.0 } else { 0.0 };
                out.push(
                    "node_hwmon_beep_enabled".into(),
                    Kind::Gauge,
                    "Hardware beep enabled".into(),
                    l(),
                    v,
                );
                continue;
            }
            "vrm" => {
                if let Some(v) = plain {
                    out.push(
                        "node_hwmon_voltage_regulator_version".into(),
                        Kind::Gauge,
                        "Hardware voltage regulator".into(),
                        l(),
                        v,
                    );
                }
                continue;
            }
            "update_interval" => {
                if let Some(v) = plain {
                    out.push(
                        "node_hwmon_update_interval_seconds".into(),
                        Kind::Gauge,
                        "Hardware monitor update interval".into(),
                        l(),
                        v * 0.001,
                    );
                }
                continue;
            }
            _ => {}
        }
        let prefix = format!("node_hwmon_{ty}");
        for (element, value) in props {
            if element == "label" {
                continue;
            }
            let mut name = prefix.clone();
            if element == "input" {
                if props.contains_key("") {
                    name.push_str("_input");
                }
            } else if !element.is_empty() {
                name = format!("{name}_{}", clean(element));
            }
            let Ok(v) = value.trim().parse::<f64>() else { continue };
            let e = element.as_str();
            let (name, kind, help, v) = if e == "fault" || e == "alarm" {
                (name, Kind::Gauge, format!("Hardware sensor {e} status ({ty})"), v)
            } else if e == "beep" {
                (
                    format!("{name}_enabled"),
                    Kind::Gauge,
                    "Hardware monitor sensor has beeping enabled".into(),
                    v,
                )
            } else if ty == "in" || ty == "cpu" {
                (
                    format!("{name}_volts"),
                    Kind::Gauge,
                    format!("Hardware monitor for voltage ({e})"),
                    v * 0.001,
                )
            } else if ty == "temp" && e != "type" {
                let e = if e.is_empty() { "input" } else { e };
                (
                    format!("{name}_celsius"),
                    Kind::Gauge,
                    format!("Hardware monitor for temperature ({e})"),
                    v * 0.001,
                )
            } else if ty == "curr" {
                (
                    format!("{name}_amps"),
                    Kind::Gauge,
                    format!("Hardware monitor for current ({e})"),
                    v * 0.001,
                )
            } else if ty == "energy" {
                (
                    format!("{name}_joule_total"),
                    Kind::Counter,
                    format!("Hardware monitor for joules used so far ({e})"),
                    v / 1e6,
                )
            } else if ty == "power" && e == "accuracy" {
                (
                    name,
                    Kind::Gauge,
                    "Hardware monitor power meter accuracy, as a ratio".into(),
                    v / 1e6,
                )
            } else if ty == "power" && ["average_interval", "average_interval_min", "average_interval_max"].contains(&e) {
                (
                    format!("{name}_seconds"),
                    Kind::Gauge,
                    format!("Hardware monitor power usage update interval ({e})"),
                    v * 0.001,
                )
            } else if ty == "power" {
                (
                    format!("{name}_watt"),
                    Kind::Gauge,
                    format!("Hardware monitor for power usage in watts ({e})"),
                    v / 1e6,
                )
            } else if ty == "humidity" {
                (
                    name,
                    Kind::Gauge,
                    format!("Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage) ({e})"),
                    v / 1e6,
                )
            } else if ty == "fan" && ["input", "min", "max", "target"].contains(&e) {
                (
                    format!("{name}_rpm"),
                    Kind::Gauge,
                    format!("Hardware monitor for fan revolutions per minute ({e})"),
                    v,
                )
            } else if ty == "freq" {
                if e == "input"
                    && let Some(lbl) = props.get("label")
                {
                    let labels = vec![label("chip", chip.to_string()), label("sensor", clean(lbl))];
                    out.push(
                        format!("{name}_freq_mhz"),
                        Kind::Gauge,
                        "Hardware monitor for GPU frequency in MHz".into(),
                        labels,
                        v / 1e6,
                    );
                }
                continue;
            } else {
                (name, Kind::Gauge, format!("Hardware monitor {ty} element {e}"), v)
            };
            out.push(name, kind, help, l(), v);
        }
    }
}

/// The hwmon collector.
pub struct Hwmon {
    paths: Paths,
    re: Regex,
}

impl Hwmon {
    /// A collector reading `<sysfs>/class/hwmon`.
    pub fn new(paths: &Paths) -> anyhow::Result<Self> {
        Ok(Hwmon {
            paths: paths.clone(),
            re: Regex::new(r"^([^0-9]+)([0-9]*)?(_(.+))?$")?,
        })
    }
}

impl Collector for Hwmon {
    fn name(&self) -> &'static str {
        "hwmon"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let dir = self.paths.sys("class/hwmon");
        let Some(entries) = super::dir_entries(&dir, "")? else {
            return Err(super::no_data(&dir));
        };
        let mut out = Out::default();
        let mut last_err = None;
        for (_, path) in entries {
            // Symlinks to device directories are followed; plain files skipped.
            if !path.is_dir() {
                continue;
            }
            let Some(chip) = chip_name(&path) else {
                last_err = Some(anyhow::anyhow!("could not derive a chip name for {}", path.display()));
                continue;
            };
            let mut data = SensorData::new();
            if let Err(e) = collect_sensor_data(&self.re, &path, &mut data) {
                last_err = Some(e);
                continue;
            }
            let dev = path.join("device");
            if dev.exists()
                && let Err(e) = collect_sensor_data(&self.re, &dev, &mut data)
            {
                last_err = Some(e);
                continue;
            }
            if let Some(h) = human_name(&path) {
                out.push(
                    "node_hwmon_chip_names".into(),
                    Kind::Gauge,
                    "Annotation metric for human-readable chip names".into(),
                    vec![label("chip", chip.clone()), label("chip_name", h)],
                    1.0,
                );
            }
            sensor_families(&mut out, &chip, &self.re, &data);
        }
        // Like node_exporter: the last chip's error fails the collector, after the others' metrics.
        if let Some(e) = last_err {
            return Err(e);
        }
        Ok(out.0.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(clean("Package id 0"), "package_id_0");
        assert_eq!(clean("coretemp.0"), "coretemp_0");
        let re = Regex::new(r"^([^0-9]+)([0-9]*)?(_(.+))?$").unwrap();
        assert_eq!(explode(&re, "temp1_crit_alarm"), Some(("temp".into(), 1, "crit_alarm".into())));
        assert_eq!(explode(&re, "beep_enable"), Some(("beep_enable".into(), 0, "".into())));
        assert_eq!(explode(&re, "pwm2"), Some(("pwm".into(), 2, "".into())));
    }
}
