//! `alerts/kind`: named threshold levels exist and absence alerts name one
//! target (an alert giving none or several kinds is a load error with the same
//! code: `spec::Alert` holds one `Condition`); `alerts/absent-for`: absence alerts wait out
//! restarts; `alerts/kind-params`: anomaly, regression, exhaustion, SLO and
//! health parameters make sense.

use super::{Check, Ctx};
use crate::diag::Diagnostic;
use crate::spec::ThresholdValue;

pub struct AlertKind;

pub(crate) const KIND: &str = "alerts/kind";
const LEVEL: &str = "alerts/threshold-level";
const ABSENT_FOR: &str = "alerts/absent-for";
const PARAMS: &str = "alerts/kind-params";

impl Check for AlertKind {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (
                KIND,
                "an alert gives none or several of expr, threshold, absent, anomaly, regression, exhaustion, slo, health",
            ),
            (
                PARAMS,
                "an alert kind's parameters are out of range (sigma, percent, objective, SLI, health components)",
            ),
            (LEVEL, "a threshold alert names a level its signal does not define"),
            (
                ABSENT_FOR,
                "an absence alert's `for` is shorter than 5m and would fire on every restart",
            ),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (gi, g) in cx.spec.rules.iter().enumerate() {
            for (ai, a) in g.alerts.iter().enumerate() {
                let path = super::AlertAt(gi, ai);
                out.extend(params(path, a));
                if let Some(ab) = a.absent() {
                    if ab.job.is_some() == ab.selector.is_some() {
                        out.push(
                            Diagnostic::error(KIND, format!("{path}.absent"), "`absent` needs exactly one of `job` or `selector`")
                                .help("`absent: {job: node}` or `absent: {selector: 'up{job=\"node\"}'}`"),
                        );
                    }
                    if let Some(f) = &a.for_
                        && f.secs() < 300
                    {
                        out.push(
                            Diagnostic::warning(
                                ABSENT_FOR,
                                format!("{path}.for"),
                                format!("`for: {f}` is shorter than a restart takes; the alert will fire on deploys"),
                            )
                            .help("use `for: 5m` or more (the default)"),
                        );
                    }
                }
                if let Some(t) = a.threshold()
                    && let ThresholdValue::Level(l) = &t.value
                    && let Some(sig) = cx.spec.signals.get(&t.signal)
                    && !sig.thresholds.contains_key(l)
                {
                    let levels: Vec<&str> = sig.thresholds.keys().map(String::as_str).collect();
                    out.push(
                        Diagnostic::error(
                            LEVEL,
                            format!("{path}.threshold.value"),
                            format!("signal `{}` has no threshold named `{l}`", t.signal),
                        )
                        .help(if levels.is_empty() {
                            "add `thresholds:` to the signal or give a number".to_string()
                        } else {
                            format!("its levels are: {}", levels.join(", "))
                        }),
                    );
                }
            }
        }
        out
    }
}

fn params(path: super::AlertAt, a: &crate::spec::Alert) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut bad =
        |field: &str, msg: String, help: &str| out.push(Diagnostic::error(PARAMS, format!("{path}.{field}"), msg).help(help.to_string()));
    if let Some(x) = a.anomaly()
        && x.sigma <= 0.0
    {
        bad(
            "anomaly.sigma",
            format!("sigma {} must be above 0", x.sigma),
            "3 is usual: 99.7% of normal values are within 3σ",
        );
    }
    if let Some(x) = a.regression()
        && (x.percent <= 0.0 || (x.worse == crate::spec::Worse::Lower && x.percent >= 100.0))
    {
        bad(
            "regression.percent",
            format!("percent {} is out of range", x.percent),
            "give how much worse than the baseline, e.g. 50 (and below 100 when lower is worse)",
        );
    }
    if let Some(x) = a.exhaustion() {
        if x.within.secs() == 0 {
            bad("exhaustion.within", "`within` must be longer than 0".into(), "e.g. `24h`");
        }
        if x.direction == crate::spec::Direction::Both {
            bad(
                "exhaustion.direction",
                "exhaustion needs a direction: `down` (free space falls to the limit) or `up` (usage rises to it)".into(),
                "`direction: down` is the default",
            );
        }
    }
    if let Some(s) = a.slo() {
        if !(s.objective > 0.0 && s.objective < 100.0) {
            bad(
                "slo.objective",
                format!("objective {} is not a percentage between 0 and 100 (exclusive)", s.objective),
                "e.g. `99.9`",
            );
        }
        let counters = s.total.is_some() && (s.bad.is_some() != s.good.is_some());
        if counters == s.latency.is_some() || (s.latency.is_some() && (s.total.is_some() || s.bad.is_some() || s.good.is_some())) {
            bad(
                "slo",
                "an SLO needs exactly one SLI: `bad` + `total`, `good` + `total`, or `latency`".into(),
                "e.g. `bad: 'requests_total{code=~\"5..\"}'` and `total: requests_total`",
            );
        }
        if let Some(n) = &s.name
            && (n.is_empty() || !n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
        {
            bad(
                "slo.name",
                format!("SLO name `{n}` is not lowercase letters, digits and `-`"),
                "it becomes the `slo` label and the group `slo-<name>`",
            );
        }
        if s.period.secs() < 86_400 {
            bad(
                "slo.period",
                format!("period {} is shorter than a day", s.period),
                "SLO periods are usually 28d or 30d",
            );
        }
    }
    if let Some(h) = a.health() {
        if h.components.is_empty() {
            bad(
                "health.components",
                "a health score needs at least one component".into(),
                "add `components: [{signal: cpu_busy, bad: 0.95}]`",
            );
        }
        for (i, c) in h.components.iter().enumerate() {
            if c.bad == c.good {
                bad(
                    &format!("health.components[{i}].bad"),
                    "`bad` equals `good`: the component cannot be normalised".into(),
                    "give the value at which the component is fully bad",
                );
            }
            if c.weight <= 0.0 {
                bad(
                    &format!("health.components[{i}].weight"),
                    "weights must be above 0".into(),
                    "leave the default 1 or give a larger weight to what matters more",
                );
            }
        }
        if !(0.0..=100.0).contains(&h.below) {
            bad(
                "health.below",
                format!("`below: {}` is outside the score's 0–100", h.below),
                "e.g. 50",
            );
        }
        if h.name.is_empty() || !h.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            bad(
                "health.name",
                format!("health score name `{}` is not snake_case", h.name),
                "it becomes the recorded metric `<by>:<name>:score`",
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn flags_level_and_absent_for() {
        let bad = "version: 1\nsignals: {s: {expr: up, thresholds: {warning: 1}}}\nrules:\n- name: g\n  alerts:\n  - {name: C, threshold: {signal: s, op: '>', value: critical}}\n  - {name: D, absent: {job: x}, for: 1m}\n";
        assert_eq!(
            problems(&AlertKind, bad),
            vec![
                "alerts/threshold-level@rules[0].alerts[0].threshold.value",
                "alerts/absent-for@rules[0].alerts[1].for"
            ]
        );
    }

    #[test]
    fn accepts_good_kinds() {
        let good = "version: 1\nsignals: {s: {expr: up, thresholds: {warning: 1}}}\nrules:\n- name: g\n  alerts:\n  - {name: A, expr: up == 0}\n  - {name: C, threshold: {signal: s, op: '>', value: warning}}\n  - {name: D, absent: {job: x}}\n";
        assert!(problems(&AlertKind, good).is_empty());
    }

    #[test]
    fn flags_bad_kind_params() {
        let bad = "version: 1\nsignals: {s: {expr: up}}\nrules:\n- name: g\n  alerts:\n  - {name: A, anomaly: {signal: s, sigma: 0}}\n  - {name: B, slo: {objective: 100, bad: x}}\n  - {name: C, health: {name: Bad, components: [{signal: s, bad: 1, good: 1}]}}\n";
        assert_eq!(
            problems(&AlertKind, bad),
            vec![
                "alerts/kind-params@rules[0].alerts[0].anomaly.sigma",
                "alerts/kind-params@rules[0].alerts[1].slo.objective",
                "alerts/kind-params@rules[0].alerts[1].slo",
                "alerts/kind-params@rules[0].alerts[2].health.components[0].bad",
                "alerts/kind-params@rules[0].alerts[2].health.name"
            ]
        );
    }

    #[test]
    fn accepts_good_kind_params() {
        let good = "version: 1\nsignals: {s: {expr: up}}\nrules:\n- name: g\n  alerts:\n  - {name: A, anomaly: {signal: s}}\n  - {name: B, slo: {objective: 99.9, bad: x, total: y}}\n  - {name: C, health: {name: h, components: [{signal: s, bad: 1}]}}\n  - {name: D, regression: {signal: s, percent: 50}}\n  - {name: E, exhaustion: {signal: s, within: 24h}}\n  - {name: F, slo: {objective: 99, latency: {histogram: 'h{a=\"b\"}', le: 0.5}}}\n";
        assert!(problems(&AlertKind, good).is_empty());
    }
}
