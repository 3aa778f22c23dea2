//! `alerts/kind`: an alert says what it watches exactly once, and named
//! threshold levels exist; `alerts/absent-for`: absence alerts wait out restarts.

use super::{Check, Ctx};
use crate::diag::Diagnostic;
use crate::spec::ThresholdValue;

pub struct AlertKind;

const KIND: &str = "alerts/kind";
const LEVEL: &str = "alerts/threshold-level";
const ABSENT_FOR: &str = "alerts/absent-for";

impl Check for AlertKind {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (KIND, "an alert gives none or several of `expr`, `threshold`, `absent`"),
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
                let path = format!("rules[{gi}].alerts[{ai}]");
                let n = [a.expr.is_some(), a.threshold.is_some(), a.absent.is_some()]
                    .iter()
                    .filter(|x| **x)
                    .count();
                if n != 1 {
                    out.push(
                        Diagnostic::error(
                            KIND,
                            format!("{path}.name"),
                            format!(
                                "alert `{}` must give exactly one of `expr`, `threshold`, `absent` (it gives {n})",
                                a.name
                            ),
                        )
                        .help("keep one way of saying when the alert fires"),
                    );
                }
                if let Some(ab) = &a.absent {
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
                if let Some(t) = &a.threshold
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn flags_kind_level_and_absent_for() {
        let bad = "version: 1\nsignals: {s: {expr: up, thresholds: {warning: 1}}}\nrules:\n- name: g\n  alerts:\n  - {name: A}\n  - {name: B, expr: up, absent: {job: x}}\n  - {name: C, threshold: {signal: s, op: '>', value: critical}}\n  - {name: D, absent: {job: x}, for: 1m}\n";
        assert_eq!(
            problems(&AlertKind, bad),
            vec![
                "alerts/kind@rules[0].alerts[0].name",
                "alerts/kind@rules[0].alerts[1].name",
                "alerts/threshold-level@rules[0].alerts[2].threshold.value",
                "alerts/absent-for@rules[0].alerts[3].for"
            ]
        );
    }

    #[test]
    fn accepts_good_kinds() {
        let good = "version: 1\nsignals: {s: {expr: up, thresholds: {warning: 1}}}\nrules:\n- name: g\n  alerts:\n  - {name: A, expr: up == 0}\n  - {name: C, threshold: {signal: s, op: '>', value: warning}}\n  - {name: D, absent: {job: x}}\n";
        assert!(problems(&AlertKind, good).is_empty());
    }
}
