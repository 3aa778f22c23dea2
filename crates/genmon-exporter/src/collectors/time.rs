//! `time`: system time, time zone and clock sources (node_exporter's `time`).

use super::{Collector, ScrapeContext, dir_entries, sys_attr};
use crate::Paths;
use crate::metric::{Family, Kind, label};

/// The time collector.
pub struct Time {
    paths: Paths,
}

impl Time {
    /// A collector reading the clock and `<sysfs>/devices/system/clocksource`.
    pub fn new(paths: &Paths) -> Self {
        Time { paths: paths.clone() }
    }
}

/// Local time zone abbreviation and UTC offset in seconds, from localtime_r.
fn zone(now: i64) -> (String, f64) {
    // SAFETY: tm is plain data; localtime_r writes it and returns it or NULL.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let t: libc::time_t = now as libc::time_t;
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return ("UTC".to_string(), 0.0);
    }
    let name = if tm.tm_zone.is_null() {
        String::new()
    } else {
        // SAFETY: tm_zone points at a NUL-terminated static string.
        unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }.to_string_lossy().into_owned()
    };
    (name, tm.tm_gmtoff as f64)
}

impl Collector for Time {
    fn name(&self) -> &'static str {
        "time"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs_f64();
        let (tz, offset) = zone(now as i64);
        let mut zf = Family::new("node_time_zone_offset_seconds", Kind::Gauge, "System time zone offset in seconds.");
        zf.push(vec![label("time_zone", tz)], offset);
        let mut out = vec![
            Family::gauge1("node_time_seconds", "System time in seconds since epoch (1970).", now),
            zf,
        ];
        let mut avail = Family::new(
            "node_time_clocksource_available_info",
            Kind::Gauge,
            "Available clocksources read from '/sys/devices/system/clocksource'.",
        );
        let mut cur = Family::new(
            "node_time_clocksource_current_info",
            Kind::Gauge,
            "Current clocksource read from '/sys/devices/system/clocksource'.",
        );
        for (name, path) in dir_entries(&self.paths.sys("devices/system/clocksource"), "clocksource")?.unwrap_or_default() {
            let dev = &name["clocksource".len()..];
            for cs in sys_attr(&path.join("available_clocksource"))
                .unwrap_or_default()
                .split_ascii_whitespace()
            {
                avail.push(vec![label("device", dev), label("clocksource", cs)], 1.0);
            }
            if let Some(cs) = sys_attr(&path.join("current_clocksource")) {
                cur.push(vec![label("device", dev), label("clocksource", cs)], 1.0);
            }
        }
        out.push(avail);
        out.push(cur);
        Ok(out)
    }
}
