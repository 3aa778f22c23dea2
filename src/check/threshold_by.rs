//! `alerts/threshold-by`: per-label thresholds (`thresholds_by` on a signal
//! or a threshold alert) name exactly one label, one the signal's series
//! keep, list at least one value, give finite numbers and, on a signal, only
//! levels the signal defines; an alert's own map and its signal's are not
//! both set (one would silently hide the other).

use super::{Check, Ctx};
use crate::diag::{Diagnostic, did_you_mean};
use crate::model::kinds::signal_labels;

pub struct ThresholdBy;

const CODE: &str = "alerts/threshold-by";

impl Check for ThresholdBy {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[(
            CODE,
            "per-label thresholds name a label the signal does not keep, an unknown level or no values",
        )]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (name, s) in &cx.spec.signals {
            let path = format!("signals.{name}.thresholds_by");
            let levels: Vec<&str> = s.thresholds.keys().map(String::as_str).collect();
            label(cx, name, &path, s.thresholds_by.keys(), &mut out);
            for (l, by) in &s.thresholds_by {
                if by.is_empty() {
                    out.push(empty(format!("{path}.{l}")));
                }
                for (val, m) in by {
                    value(format!("{path}.{l}.{val}"), val, &mut out);
                    for (level, v) in m {
                        let p = format!("{path}.{l}.{val}.{level}");
                        if !s.thresholds.contains_key(level) {
                            let hint = match did_you_mean(level, levels.iter().copied()) {
                                Some(d) => format!("did you mean `{d}`? The signal's levels are: {}", levels.join(", ")),
                                None if levels.is_empty() => "add the level to the signal's `thresholds:` first".into(),
                                None => format!("the signal's levels are: {}", levels.join(", ")),
                            };
                            out.push(
                                Diagnostic::error(CODE, p.clone(), format!("signal `{name}` has no threshold level `{level}`")).help(hint),
                            );
                        }
                        finite(p, *v, &mut out);
                    }
                }
            }
        }
        for (gi, g) in cx.spec.rules.iter().enumerate() {
            for (ai, a) in g.alerts.iter().enumerate() {
                let Some(t) = a.threshold() else { continue };
                let signal_by = cx.spec.signals.get(&t.signal).is_some_and(|s| !s.thresholds_by.is_empty());
                if signal_by && t.thresholds_by.is_empty() && matches!(t.value, crate::spec::ThresholdValue::Number(_)) {
                    out.push(
                        Diagnostic::warning(
                            CODE,
                            format!("rules[{gi}].alerts[{ai}].threshold.value"),
                            format!(
                                "signal `{}`'s thresholds_by applies to named levels; this alert compares every series with a number",
                                t.signal
                            ),
                        )
                        .help("name one of the signal's levels as `value:`, or give the alert its own `thresholds_by`"),
                    );
                }
                if t.thresholds_by.is_empty() {
                    continue;
                }
                let path = format!("rules[{gi}].alerts[{ai}].threshold.thresholds_by");
                label(cx, &t.signal, &path, t.thresholds_by.keys(), &mut out);
                for (l, by) in &t.thresholds_by {
                    if by.is_empty() {
                        out.push(empty(format!("{path}.{l}")));
                    }
                    for (val, v) in by {
                        value(format!("{path}.{l}.{val}"), val, &mut out);
                        finite(format!("{path}.{l}.{val}"), *v, &mut out);
                    }
                }
                if signal_by {
                    out.push(
                        Diagnostic::error(
                            CODE,
                            path,
                            format!("signal `{}` has its own thresholds_by; this one would hide it", t.signal),
                        )
                        .help("keep per-label thresholds in one place: the signal's (by level) or the alert's"),
                    );
                }
            }
        }
        out
    }
}

fn empty(path: String) -> Diagnostic {
    Diagnostic::error(CODE, path, "no label values listed")
        .help("list values with their thresholds, e.g. `\"db-1:9100\": 0.98`, or remove the label")
}

/// Label values go into PromQL strings and promtool series selectors.
fn value(path: String, v: &str, out: &mut Vec<Diagnostic>) {
    if v.is_empty() || v.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
        out.push(
            Diagnostic::error(
                CODE,
                path,
                format!(
                    "label value `{}` is empty or holds a quote, backslash or control character",
                    v.escape_debug()
                ),
            )
            .help("give the value exactly as the series carry it, e.g. `db-1:9100`"),
        );
    }
}

fn finite(path: String, v: f64, out: &mut Vec<Diagnostic>) {
    if !v.is_finite() {
        out.push(Diagnostic::error(CODE, path, format!("threshold {v} is not a finite number")).help("give a number such as 0.98"));
    }
}

/// One label, and one the signal's series keep (so the join finds it).
fn label<'a>(cx: &Ctx, signal: &str, path: &str, labels: impl ExactSizeIterator<Item = &'a String>, out: &mut Vec<Diagnostic>) {
    let labels: Vec<&String> = labels.collect();
    // No per-label thresholds: nothing to check (and no need to work out
    // the labels the signal keeps, which walks its PromQL).
    if labels.is_empty() {
        return;
    }
    if labels.len() > 1 {
        out.push(
            Diagnostic::error(
                CODE,
                path.to_string(),
                format!("{} labels given; per-label thresholds join on one", labels.len()),
            )
            .help("keep one label (usually `instance`); join two by recording a signal that carries a combined label"),
        );
    }
    // Labels the signal keeps; without an aggregation, its metric's labels per the catalogs.
    let kept = signal_labels(cx.spec, signal).or_else(|| {
        let ast = cx
            .exprs
            .iter()
            .find(|e| matches!(e.path, super::ExprAt::Signal(s) if s == signal))?
            .ast
            .as_ref()
            .ok()?;
        super::promql_label::result_labels(cx, ast).map(|s| s.into_iter().collect())
    });
    for l in labels {
        if !super::label_names::label_name_ok(l) {
            out.push(
                Diagnostic::error(CODE, format!("{path}.{l}"), format!("`{}` is not a label name", l.escape_debug()))
                    .help("label names match [a-zA-Z_][a-zA-Z0-9_]*"),
            );
        } else if let Some(kept) = &kept
            && !kept.contains(l)
        {
            out.push(
                Diagnostic::error(
                    CODE,
                    format!("{path}.{l}"),
                    format!("signal `{signal}`'s series do not carry `{l}`"),
                )
                .help(if kept.is_empty() {
                    "the signal aggregates every label away; keep it with `by (...)` in the signal's expr".to_string()
                } else {
                    format!(
                        "its series carry: {}; or keep `{l}` with `by (...)` in the signal's expr",
                        kept.join(", ")
                    )
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn flags_unknown_labels_levels_and_two_maps() {
        let bad = r#"version: 1
signals:
  cpu: {expr: 'avg by (instance) (rate(node_cpu_seconds_total[5m]))', thresholds: {critical: 0.9}, thresholds_by: {instance: {"db-1:9100": {critcal: 0.98}}}}
  mem: {expr: 'sum by (instance) (node_memory_MemFree_bytes)'}
  fs: {expr: 'node_filesystem_avail_bytes', thresholds_by: {device: {sda1: {}}, dev: {sda1: {}}}}
rules:
- name: g
  alerts:
  - {name: A, threshold: {signal: cpu, op: '>', value: critical, thresholds_by: {instance: {"db-1:9100": 0.97}}}}
  - {name: B, threshold: {signal: mem, op: '<', value: 1, thresholds_by: {job: {'x"y': 2}, instance: {}}}}
  - {name: C, threshold: {signal: cpu, op: '>', value: 0.5}}
"#;
        assert_eq!(
            problems(&ThresholdBy, bad),
            vec![
                "alerts/threshold-by@signals.cpu.thresholds_by.instance.db-1:9100.critcal",
                "alerts/threshold-by@signals.fs.thresholds_by",
                "alerts/threshold-by@signals.fs.thresholds_by.dev",
                "alerts/threshold-by@rules[0].alerts[0].threshold.thresholds_by",
                "alerts/threshold-by@rules[0].alerts[1].threshold.thresholds_by",
                "alerts/threshold-by@rules[0].alerts[1].threshold.thresholds_by.job",
                "alerts/threshold-by@rules[0].alerts[1].threshold.thresholds_by.instance",
                "alerts/threshold-by@rules[0].alerts[1].threshold.thresholds_by.job.x\"y",
                "alerts/threshold-by@rules[0].alerts[2].threshold.value",
            ]
        );
    }

    #[test]
    fn accepts_a_kept_label() {
        let good = r#"version: 1
signals:
  cpu: {expr: 'avg by (instance) (rate(node_cpu_seconds_total[5m]))', thresholds: {critical: 0.9}, thresholds_by: {instance: {"db-1:9100": {critical: 0.98}}}}
  mem: {expr: 'sum by (instance) (node_memory_MemFree_bytes)'}
rules:
- name: g
  alerts:
  - {name: A, threshold: {signal: cpu, op: '>', value: critical}}
  - {name: B, threshold: {signal: mem, op: '<', value: 1, thresholds_by: {instance: {"db-1:9100": 2}}}}
"#;
        assert_eq!(problems(&ThresholdBy, good), Vec::<String>::new());
    }
}
