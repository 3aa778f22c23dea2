//! `duration/zero`: intervals and windows Prometheus or Alertmanager refuse
//! (or evaluate in a busy loop) when zero. `prometheus/retention`: a retention
//! of 0 (silently the 15d default) or beyond Prometheus' 100-year cap.

use super::{Check, Ctx};
use crate::diag::Diagnostic;
use crate::spec::{Duration, Route};

pub struct Durations;

const ZERO: &str = "duration/zero";
const RETENTION: &str = "prometheus/retention";
/// Prometheus caps `--storage.tsdb.retention.time` at 100 years.
const MAX_RETENTION_SECS: u64 = 100 * 365 * 86_400;

/// Adds the spec path of each zero duration to `zero`, in spec order; a path
/// is written out only for a duration that is 0.
fn zero_at(zero: &mut Vec<String>, d: &Duration, path: impl FnOnce() -> String) {
    if d.millis() == 0 {
        zero.push(path());
    }
}

fn route(r: &Route, path: String, zero: &mut Vec<String>) {
    for (k, v) in [("group_interval", &r.group_interval), ("repeat_interval", &r.repeat_interval)] {
        if let Some(v) = v {
            zero_at(zero, v, || format!("{path}.{k}"));
        }
    }
    for (i, c) in r.routes.iter().enumerate() {
        route(c, format!("{path}.routes[{i}]"), zero);
    }
}

impl Check for Durations {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (ZERO, "an interval or window is 0"),
            (RETENTION, "retention is 0 or longer than Prometheus accepts"),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let p = &cx.spec.prometheus;
        let mut zero: Vec<String> = Vec::new();
        for (path, d) in [
            ("prometheus.scrape_interval", &p.scrape_interval),
            ("prometheus.scrape_timeout", &p.scrape_timeout),
            ("prometheus.evaluation_interval", &p.evaluation_interval),
            ("prometheus.rule_rate_window", &p.rule_rate_window),
            ("alertmanager.resolve_timeout", &cx.spec.alertmanager.resolve_timeout),
        ] {
            zero_at(&mut zero, d, || path.to_string());
        }
        for (i, j) in p.scrape_jobs.iter().enumerate() {
            for (k, v) in [("interval", &j.interval), ("timeout", &j.timeout)] {
                if let Some(v) = v {
                    zero_at(&mut zero, v, || format!("prometheus.scrape_jobs[{i}].{k}"));
                }
            }
        }
        for (gi, g) in cx.spec.rules.iter().enumerate() {
            if let Some(v) = &g.interval {
                zero_at(&mut zero, v, || format!("rules[{gi}].interval"));
            }
            for (ti, t) in g.tests.iter().enumerate() {
                zero_at(&mut zero, &t.interval, || format!("rules[{gi}].tests[{ti}].interval"));
            }
            for (ai, a) in g.alerts.iter().enumerate() {
                let at = super::AlertAt(gi, ai);
                let mut window = |d: &Duration, k: &str| zero_at(&mut zero, d, || format!("{at}.{k}"));
                if let Some(k) = &a.anomaly() {
                    window(&k.window, "anomaly.window");
                }
                if let Some(k) = &a.regression() {
                    window(&k.window, "regression.window");
                }
                if let Some(k) = &a.exhaustion() {
                    window(&k.window, "exhaustion.window");
                    window(&k.within, "exhaustion.within");
                }
                if let Some(k) = &a.slo() {
                    window(&k.period, "slo.period");
                }
            }
        }
        route(&cx.spec.alertmanager.route, "alertmanager.route".into(), &mut zero);
        let mut out: Vec<Diagnostic> = zero
            .into_iter()
            .map(|path| {
                let key = path.rsplit('.').next().unwrap_or_default().to_string();
                Diagnostic::error(ZERO, path, format!("`{key}` is 0"))
                    .help("give a positive duration such as `30s` or `5m`; 0 is refused or evaluates in a busy loop")
            })
            .collect();
        if p.retention.millis() == 0 || p.retention.secs() > MAX_RETENTION_SECS {
            out.push(
                Diagnostic::error(
                    RETENTION,
                    "prometheus.retention",
                    format!("retention `{}` is not usable", p.retention),
                )
                .help("give a retention between 1h and 100y (0 silently means Prometheus' 15d default; more than 100y is capped)"),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn flags_zero_windows_and_absurd_retention() {
        let y = "version: 1\nprometheus: {evaluation_interval: 0s, retention: 1000y}\nalertmanager:\n  route: {receiver: default, routes: [{receiver: default, repeat_interval: 0s}]}\n  receivers: [{name: default}]\nrules:\n- name: g\n  interval: 0s\n";
        assert_eq!(
            problems(&Durations, y),
            [
                "duration/zero@prometheus.evaluation_interval",
                "duration/zero@rules[0].interval",
                "duration/zero@alertmanager.route.routes[0].repeat_interval",
                "prometheus/retention@prometheus.retention"
            ]
        );
        assert!(problems(&Durations, "version: 1\n").is_empty());
    }
}
