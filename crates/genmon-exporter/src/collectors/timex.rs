//! `timex`: the kernel clock discipline from adjtimex(2)
//! (node_exporter's `timex`).

use super::{Collector, ScrapeContext};
use crate::metric::{Family, Kind};

/// The timex collector.
pub struct Timex;

/// adjtimex's return value when the clock is not synchronised.
const TIME_ERROR: i32 = 5;
/// `status` bit: offsets are in nanoseconds, not microseconds.
const STA_NANO: i32 = 0x2000;
/// Scaled-ppm (16-bit fraction) to ratio.
const PPM16FRAC: f64 = 1_000_000.0 * 65536.0;

impl Collector for Timex {
    fn name(&self) -> &'static str {
        "timex"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        // SAFETY: timex is plain data; modes = 0 only reads the kernel's state.
        let mut t: libc::timex = unsafe { std::mem::zeroed() };
        let status = unsafe { libc::adjtimex(&mut t) };
        if status == -1 {
            anyhow::bail!("adjtimex: {}", std::io::Error::last_os_error());
        }
        let div = if t.status & STA_NANO != 0 { 1e9 } else { 1e6 };
        let g = |n: &'static str, h: &'static str, v: f64| Family::gauge1(n, h, v);
        let c = |n: &'static str, h: &'static str, v: f64| {
            let mut f = Family::new(n, Kind::Counter, h);
            f.push0(v);
            f
        };
        Ok(vec![
            g(
                "node_timex_sync_status",
                "Is clock synchronized to a reliable server (1 = yes, 0 = no).",
                if status == TIME_ERROR { 0.0 } else { 1.0 },
            ),
            g(
                "node_timex_offset_seconds",
                "Time offset in between local system and reference clock.",
                t.offset as f64 / div,
            ),
            g(
                "node_timex_frequency_adjustment_ratio",
                "Local clock frequency adjustment.",
                1.0 + t.freq as f64 / PPM16FRAC,
            ),
            g("node_timex_maxerror_seconds", "Maximum error in seconds.", t.maxerror as f64 / 1e6),
            g(
                "node_timex_estimated_error_seconds",
                "Estimated error in seconds.",
                t.esterror as f64 / 1e6,
            ),
            g("node_timex_status", "Value of the status array bits.", t.status as f64),
            g(
                "node_timex_loop_time_constant",
                "Phase-locked loop time constant.",
                t.constant as f64,
            ),
            g("node_timex_tick_seconds", "Seconds between clock ticks.", t.tick as f64 / 1e6),
            g(
                "node_timex_pps_frequency_hertz",
                "Pulse per second frequency.",
                t.ppsfreq as f64 / PPM16FRAC,
            ),
            g("node_timex_pps_jitter_seconds", "Pulse per second jitter.", t.jitter as f64 / div),
            g(
                "node_timex_pps_shift_seconds",
                "Pulse per second interval duration.",
                t.shift as f64,
            ),
            g(
                "node_timex_pps_stability_hertz",
                "Pulse per second stability, average of recent frequency changes.",
                t.stabil as f64 / PPM16FRAC,
            ),
            c(
                "node_timex_pps_jitter_total",
                "Pulse per second count of jitter limit exceeded events.",
                t.jitcnt as f64,
            ),
            c(
                "node_timex_pps_calibration_total",
                "Pulse per second count of calibration intervals.",
                t.calcnt as f64,
            ),
            c(
                "node_timex_pps_error_total",
                "Pulse per second count of calibration errors.",
                t.errcnt as f64,
            ),
            c(
                "node_timex_pps_stability_exceeded_total",
                "Pulse per second count of stability limit exceeded events.",
                t.stbcnt as f64,
            ),
            g(
                "node_timex_tai_offset_seconds",
                "International Atomic Time (TAI) offset.",
                t.tai as f64,
            ),
        ])
    }
}
