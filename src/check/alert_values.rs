//! `alerts/not-finite`: no NaN or infinite number where an alert compares
//! (it would render `> NaN`, an alert that never fires and a test promtool
//! cannot parse); `alerts/slo-objective`: an objective written as a ratio
//! (`0.999` for 99.9 %) or one whose page alert can never fire;
//! `alerts/signal-rule`: a signal an alert watches must have a rule form
//! (dashboard variables only inside label matchers).

use std::borrow::Cow;

use super::{Check, Ctx};
use crate::diag::Diagnostic;
use crate::spec::{Alert, ThresholdValue};

pub struct AlertValues;

const FINITE: &str = "alerts/not-finite";
const OBJECTIVE: &str = "alerts/slo-objective";
const RULE_FORM: &str = "alerts/signal-rule";
/// The first page burn factor (1h & 5m at 30d).
const PAGE_FACTOR: f64 = 14.4;

impl Check for AlertValues {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (FINITE, "an alert parameter or signal threshold is NaN or infinite"),
            (
                OBJECTIVE,
                "an SLO objective looks like a ratio, or is so low its page alert can never fire",
            ),
            (RULE_FORM, "a signal an alert watches cannot be written as a recording rule"),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        // The path is written out only for a value that is not finite.
        let not_finite = |path: &dyn Fn() -> String, v: f64| {
            (!v.is_finite()).then(|| {
                Diagnostic::error(FINITE, path(), format!("{v} is not a number an alert can compare with"))
                    .help("write a finite number, e.g. `0.9` (YAML reads `.nan` and `.inf` as NaN and infinity)")
            })
        };
        for (name, s) in &cx.spec.signals {
            for (level, v) in &s.thresholds {
                out.extend(not_finite(&|| format!("signals.{name}.thresholds.{level}"), *v));
            }
        }
        let window = cx.spec.prometheus.rule_rate_window.as_str();
        // Each watched signal is checked (and reported) once: a spec watches
        // a few signals from thousands of alerts.
        let mut checked: std::collections::HashSet<&str, foldhash::fast::RandomState> = Default::default();
        for (gi, g) in cx.spec.rules.iter().enumerate() {
            for (ai, a) in g.alerts.iter().enumerate() {
                let path = super::AlertAt(gi, ai);
                for (field, v) in numbers(a) {
                    out.extend(not_finite(&|| format!("{path}.{field}"), v));
                }
                if let Some(s) = a.slo()
                    && s.objective.is_finite()
                {
                    if s.objective > 0.0 && s.objective < 1.0 {
                        out.push(
                            Diagnostic::error(
                                OBJECTIVE,
                                format!("{path}.slo.objective"),
                                format!(
                                    "objective {} is a percent: this SLO aims at {}% good events",
                                    s.objective, s.objective
                                ),
                            )
                            .help(format!(
                                "objectives are percents: write `objective: {}`",
                                crate::model::kinds::fmt_num(s.objective * 100.0)
                            )),
                        );
                    } else if s.objective < 100.0 && PAGE_FACTOR * (1.0 - s.objective / 100.0) >= 1.0 {
                        out.push(
                            Diagnostic::warning(
                                OBJECTIVE,
                                format!("{path}.slo.objective"),
                                format!(
                                    "with objective {}% the fast-burn alert fires above {}% errors: it can never fire",
                                    s.objective,
                                    crate::model::kinds::fmt_num(PAGE_FACTOR * (100.0 - s.objective))
                                ),
                            )
                            .help("an objective above 93.06% keeps every burn-rate alert reachable"),
                        );
                    }
                }
                for (_, sig) in super::panel_content::alert_signals(a) {
                    let Some(s) = cx.spec.signals.get(sig.as_str()) else { continue };
                    if !checked.insert(sig) || crate::promql::parse(&s.expr).is_err() {
                        continue;
                    }
                    if let Err(e) = crate::promql::for_rule(&s.expr, window) {
                        out.push(
                            Diagnostic::error(RULE_FORM, format!("signals.{sig}.expr"), format!("alert `{}` watches signal `{sig}`, but {e}", a.name))
                                .help("rules cannot use dashboard variables except inside label matchers (`instance=~\"$instance\"`, dropped in rules) and `$__rate_interval`: give a fixed value, or write the alert as `expr:`"),
                        );
                    }
                }
            }
        }
        out
    }
}

/// Every number of an alert's kind, with its field path (built only for a
/// health component's index).
fn numbers(a: &Alert) -> Vec<(Cow<'static, str>, f64)> {
    let mut v = Vec::new();
    if let Some(t) = a.threshold()
        && let ThresholdValue::Number(n) = t.value
    {
        v.push((Cow::Borrowed("threshold.value"), n));
    }
    if let Some(x) = a.anomaly() {
        v.push((Cow::Borrowed("anomaly.sigma"), x.sigma));
    }
    if let Some(x) = a.regression() {
        v.push((Cow::Borrowed("regression.percent"), x.percent));
    }
    if let Some(x) = a.exhaustion() {
        v.push((Cow::Borrowed("exhaustion.limit"), x.limit));
    }
    if let Some(x) = a.slo() {
        v.push((Cow::Borrowed("slo.objective"), x.objective));
        if let Some(l) = &x.latency {
            v.push((Cow::Borrowed("slo.latency.le"), l.le));
        }
    }
    if let Some(h) = a.health() {
        v.push((Cow::Borrowed("health.below"), h.below));
        for (i, c) in h.components.iter().enumerate() {
            v.push((Cow::Owned(format!("health.components[{i}].good")), c.good));
            v.push((Cow::Owned(format!("health.components[{i}].bad")), c.bad));
            v.push((Cow::Owned(format!("health.components[{i}].weight")), c.weight));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn flags_nan_ratio_objectives_and_unrecordable_signals() {
        let bad = "version: 1\nsignals: {s: {expr: 'up > $limit', thresholds: {warning: .nan}}, t: {expr: up}}\nrules:\n- name: g\n  alerts:\n  - {name: A, threshold: {signal: s, op: '>', value: .inf}}\n  - {name: B, slo: {objective: 0.999, bad: x, total: y}}\n  - {name: C, slo: {objective: 90, bad: x, total: y}}\n  - {name: D, health: {name: h, components: [{signal: t, bad: .nan}]}}\n";
        assert_eq!(
            problems(&AlertValues, bad),
            vec![
                "alerts/not-finite@signals.s.thresholds.warning",
                "alerts/not-finite@rules[0].alerts[0].threshold.value",
                "alerts/signal-rule@signals.s.expr",
                "alerts/slo-objective@rules[0].alerts[1].slo.objective",
                "alerts/slo-objective@rules[0].alerts[2].slo.objective",
                "alerts/not-finite@rules[0].alerts[3].health.components[0].bad"
            ]
        );
    }

    #[test]
    fn accepts_finite_values_and_percent_objectives() {
        let good = "version: 1\nsignals: {s: {expr: 'rate(x{i=~\"$i\"}[$__rate_interval])', thresholds: {warning: 1}}}\nrules:\n- name: g\n  alerts:\n  - {name: A, threshold: {signal: s, op: '>', value: warning}}\n  - {name: B, slo: {objective: 99.9, bad: x, total: y}}\n";
        assert!(problems(&AlertValues, good).is_empty());
    }
}
