//! `thermal_zone`: thermal zones and cooling devices from
//! `/sys/class/thermal` (node_exporter's `thermal_zone`).

use super::{Collector, ScrapeContext, dir_entries, sys_attr};
use crate::Paths;
use crate::metric::{Family, Kind, label};

/// The thermal_zone collector.
pub struct ThermalZone {
    paths: Paths,
}

impl ThermalZone {
    /// A collector reading `<sysfs>/class/thermal`.
    pub fn new(paths: &Paths) -> Self {
        ThermalZone { paths: paths.clone() }
    }
}

impl Collector for ThermalZone {
    fn name(&self) -> &'static str {
        "thermal_zone"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let dir = self.paths.sys("class/thermal");
        let Some(entries) = dir_entries(&dir, "")? else {
            return Err(super::no_data(&dir));
        };
        let mut temp = Family::new("node_thermal_zone_temp", Kind::Gauge, "Zone temperature in Celsius");
        let mut cur = Family::new(
            "node_cooling_device_cur_state",
            Kind::Gauge,
            "Current throttle state of the cooling device",
        );
        let mut max = Family::new(
            "node_cooling_device_max_state",
            Kind::Gauge,
            "Maximum throttle state of the cooling device",
        );
        let num = |p: std::path::PathBuf| sys_attr(&p).and_then(|v| v.parse::<i64>().ok());
        for (name, path) in entries {
            let ty = sys_attr(&path.join("type")).unwrap_or_default();
            if let Some(zone) = name.strip_prefix("thermal_zone") {
                if let Some(t) = num(path.join("temp")) {
                    temp.push(vec![label("zone", zone), label("type", ty)], t as f64 / 1000.0);
                }
            } else if let Some(dev) = name.strip_prefix("cooling_device")
                && let (Some(c), Some(m)) = (num(path.join("cur_state")), num(path.join("max_state")))
            {
                cur.push(vec![label("name", dev), label("type", ty.clone())], c as f64);
                max.push(vec![label("name", dev), label("type", ty)], m as f64);
            }
        }
        Ok(vec![temp, cur, max])
    }
}
