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

fn route(r: &Route, path: String, out: &mut Vec<(String, Duration)>) {
    for (k, v) in [("group_interval", &r.group_interval), ("repeat_interval", &r.repeat_interval)] {
        if let Some(v) = v {
            out.push((format!("{path}.{k}"), v.clone()));
        }
    }
    for (i, c) in r.routes.iter().enumerate() {
        route(c, format!("{path}.routes[{i}]"), out);
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
        let mut all: Vec<(String, Duration)> = vec![
            ("prometheus.scrape_interval".into(), p.scrape_interval.clone()),
            ("prometheus.scrape_timeout".into(), p.scrape_timeout.clone()),
            ("prometheus.evaluation_interval".into(), p.evaluation_interval.clone()),
            ("prometheus.rule_rate_window".into(), p.rule_rate_window.clone()),
            ("alertmanager.resolve_timeout".into(), cx.spec.alertmanager.resolve_timeout.clone()),
        ];
        for (i, j) in p.scrape_jobs.iter().enumerate() {
            for (k, v) in [("interval", &j.interval), ("timeout", &j.timeout)] {
                if let Some(v) = v {
                    all.push((format!("prometheus.scrape_jobs[{i}].{k}"), v.clone()));
                }
            }
        }
        for (gi, g) in cx.spec.rules.iter().enumerate() {
            if let Some(v) = &g.interval {
                all.push((format!("rules[{gi}].interval"), v.clone()));
            }
            for (ti, t) in g.tests.iter().enumerate() {
                all.push((format!("rules[{gi}].tests[{ti}].interval"), t.interval.clone()));
            }
            for (ai, a) in g.alerts.iter().enumerate() {
                let at = |k: &str| format!("rules[{gi}].alerts[{ai}].{k}");
                if let Some(k) = &a.anomaly() {
                    all.push((at("anomaly.window"), k.window.clone()));
                }
                if let Some(k) = &a.regression() {
                    all.push((at("regression.window"), k.window.clone()));
                }
                if let Some(k) = &a.exhaustion() {
                    all.push((at("exhaustion.window"), k.window.clone()));
                    all.push((at("exhaustion.within"), k.within.clone()));
                }
                if let Some(k) = &a.slo() {
                    all.push((at("slo.period"), k.period.clone()));
                }
            }
        }
        route(&cx.spec.alertmanager.route, "alertmanager.route".into(), &mut all);
        let mut out: Vec<Diagnostic> = all
            .into_iter()
            .filter(|(_, d)| d.millis() == 0)
            .map(|(path, _)| {
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
