//! The `threshold` kind: the signal against a number or one of its named levels.

use super::*;
use crate::spec::ThresholdAlert;

impl AlertKind for ThresholdAlert {
    fn expand(&self, cx: &Cx, x: &mut Expansion) {
        let (t, spec, a) = (self, cx.spec, cx.a);
        let sig = spec.signals.get(&t.signal);
        // A missing level is `alerts/threshold-level`: no alert rather than a made-up 0.
        let Some(v) = (match &t.value {
            ThresholdValue::Number(v) => Some(*v),
            ThresholdValue::Level(l) => sig.and_then(|s| s.thresholds.get(l).copied()),
        }) else {
            return;
        };
        let rec = signal_record(&t.signal);
        let what = title(spec, &t.signal);
        let (verb, op) = match t.op {
            Op::Gt | Op::Ge => ("above", t.op.as_str()),
            Op::Lt | Op::Le => ("below", t.op.as_str()),
            Op::Eq => ("equal to", "=="),
            Op::Ne => ("not equal to", "!="),
        };
        let (fire, quiet) = fire_quiet(spec, t, v);
        let f = cx.for_secs(300);
        // After `for` and a full rate window, so raw counters give their whole rate.
        let eval = f + spec.prometheus.rule_rate_window.secs() + 2 * STEP;
        let labels = test_labels(spec, &t.signal);
        let n = eval / STEP + 1;
        // Each number is spelled once: an alert's rule, tests and texts repeat them.
        let (v_text, fire_text, quiet_text) = (fmt_num(v), fmt_num(fire), fmt_num(quiet));
        let mut expr = [rec.as_str(), " ", op, " ", &v_text].concat();
        let special = by_label(spec, t);
        // The messages name the threshold each series meets, not only the default.
        let (shown_threshold, special_text) = match &special {
            None => (shown_number(spec, &t.signal, v), String::new()),
            Some((label, vals)) => (
                "its threshold".to_string(),
                vals.iter()
                    .map(|(val, tv)| format!("; {} for {label}={val}", shown_number(spec, &t.signal, *tv)))
                    .collect::<String>(),
            ),
        };
        let cases = match special {
            None => {
                let series = selector(&rec, &labels);
                let raw = |v: f64| Raw::constant(vec![(t.signal.clone(), labels.clone(), v)], n, false);
                vec![
                    Case {
                        name: [a.name.as_str(), " fires when ", &what, " is ", &fire_text].concat(),
                        inputs: vec![(series.clone(), repeat(fire, n))],
                        eval,
                        fires: vec![((*labels).clone(), fire)],
                        raw: raw(fire),
                    },
                    Case {
                        name: [a.name.as_str(), " stays quiet when ", &what, " is ", &quiet_text].concat(),
                        inputs: vec![(series, repeat(quiet, n))],
                        eval,
                        fires: vec![],
                        raw: raw(quiet),
                    },
                ]
            }
            Some((label, special)) => {
                let thr = threshold_record(&t.signal, &a.name);
                x.recs.push(Rec {
                    record: thr.clone(),
                    expr: special
                        .iter()
                        .map(|(val, tv)| {
                            format!(
                                "label_replace(vector({}), \"{label}\", \"{}\", \"\", \"\")",
                                fmt_num(*tv),
                                replacement(val)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(" or "),
                    labels: BTreeMap::new(),
                });
                // Listed series against their own threshold series; every
                // other series (`unless` a threshold series) against `value`.
                expr = format!("({rec} {op} on({label}) group_left() {thr}) or ({rec} unless on({label}) {thr}) {op} {v_text}");
                by_label_cases(spec, t, (&label, &special), (v, fire, quiet), (&labels, eval, n), &a.name)
            }
        };
        x.signals.push(t.signal.clone());
        x.drafts.push(
            cx.draft(
                expr,
                300,
                [what.as_str(), " is ", verb, " ", &shown_threshold, &where_tpl(spec, &t.signal)].concat(),
                [
                    what.as_str(),
                    " has been ",
                    &shown(spec, &t.signal),
                    ", ",
                    verb,
                    " the threshold of ",
                    &shown_number(spec, &t.signal, v),
                    " (",
                    op,
                    " ",
                    &v_text,
                    &special_text,
                    "), for ",
                    dur(f).as_str(),
                    ". Check the linked panel for the trend and the runbook for what to do.",
                ]
                .concat(),
                LinkKey::Signal(t.signal.clone()),
                cases,
            ),
        );
    }
}

/// Values on both sides of threshold `v`: one that fires, one that stays quiet.
fn fire_quiet(spec: &crate::spec::Spec, t: &ThresholdAlert, v: f64) -> (f64, f64) {
    let mut step = if v == 0.0 { 1.0 } else { v.abs() * 0.1 };
    // Ratios stay within 0..1, so raw series can produce the test values.
    if unit(spec, &t.signal) == Some("percentunit") && (0.0..1.0).contains(&v) {
        step = step.min(v / 2.0).min((1.0 - v) / 2.0).max(f64::EPSILON);
    }
    match t.op {
        Op::Gt | Op::Ge => (r6(v + step), r6(v - step)),
        Op::Lt | Op::Le => (r6(v - step), r6(v + step)),
        Op::Eq => (v, r6(v + step)),
        Op::Ne => (r6(v + step), v),
    }
}

/// Whether `x op thr` holds, as PromQL compares.
fn holds(op: Op, x: f64, thr: f64) -> bool {
    match op {
        Op::Gt => x > thr,
        Op::Ge => x >= thr,
        Op::Lt => x < thr,
        Op::Le => x <= thr,
        Op::Eq => x == thr,
        Op::Ne => x != thr,
    }
}

/// Per-label thresholds: the label and each listed value's threshold. The
/// alert's own `thresholds_by` wins; otherwise the signal's, for the named
/// level the alert compares with (values not listing that level use the
/// signal's `thresholds`). The `alerts/threshold-by` check refuses more than
/// one label, so the first is the only one.
pub(crate) fn by_label(spec: &crate::spec::Spec, t: &ThresholdAlert) -> Option<(String, Vec<(String, f64)>)> {
    if let Some((l, m)) = t.thresholds_by.iter().next() {
        return (!m.is_empty()).then(|| (l.clone(), m.iter().map(|(k, v)| (k.clone(), *v)).collect()));
    }
    let ThresholdValue::Level(level) = &t.value else {
        return None;
    };
    let (l, m) = spec.signals.get(&t.signal)?.thresholds_by.iter().next()?;
    let vals: Vec<(String, f64)> = m
        .iter()
        .filter_map(|(k, levels)| levels.get(level).map(|v| (k.clone(), *v)))
        .collect();
    (!vals.is_empty()).then(|| (l.clone(), vals))
}

/// `threshold:<signal>:<alert>`: the recorded per-label threshold series.
pub(crate) fn threshold_record(signal: &str, alert: &str) -> String {
    let a: String = alert.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    format!("threshold:{signal}:{a}")
}

/// A label value as a PromQL string holding a `label_replace` replacement
/// (`$` is a capture reference there, `$$` a dollar).
fn replacement(v: &str) -> String {
    v.replace('$', "$$").replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// promtool cases for per-label thresholds: each listed series and one other
/// series together, at values chosen so that a listed series and the
/// default series would disagree if either threshold were applied to the
/// other. Who fires is worked out per series from its own threshold.
fn by_label_cases(
    spec: &crate::spec::Spec,
    t: &ThresholdAlert,
    (label, special): (&str, &[(String, f64)]),
    (v, fire, quiet): (f64, f64, f64),
    (labels, eval, n): (&BTreeMap<String, String>, u64, u64),
    alert: &str,
) -> Vec<Case> {
    let rec = signal_record(&t.signal);
    let mut other = labels.clone();
    let mut dv = format!("test-{label}");
    while special.iter().any(|(s, _)| *s == dv) {
        dv.push('x');
    }
    other.insert(label.to_string(), dv);
    let mut series: Vec<(BTreeMap<String, String>, f64)> = special
        .iter()
        .map(|(val, tv)| {
            let mut l = labels.clone();
            l.insert(label.to_string(), val.clone());
            (l, *tv)
        })
        .collect();
    series.push((other, v));
    let case = |name: String, at: &dyn Fn(f64) -> f64| {
        let vals: Vec<f64> = series.iter().map(|(_, thr)| at(*thr)).collect();
        let fires: Vec<(BTreeMap<String, String>, f64)> = series
            .iter()
            .zip(&vals)
            .filter(|((_, thr), x)| holds(t.op, **x, *thr))
            .map(|((l, _), x)| (l.clone(), *x))
            .collect();
        let who = if fires.is_empty() {
            "nothing".to_string()
        } else {
            fires
                .iter()
                .map(|(l, _)| format!("{label}={}", l[label]))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let raw = Raw::constant(
            series
                .iter()
                .zip(&vals)
                .map(|((l, _), x)| (t.signal.clone(), std::sync::Arc::new(l.clone()), *x))
                .collect(),
            n,
            false,
        );
        Case {
            name: format!("{alert} {name}: fires for {who}"),
            inputs: series
                .iter()
                .zip(&vals)
                .map(|((l, _), x)| (selector(&rec, l), repeat(*x, n)))
                .collect(),
            eval,
            fires,
            raw,
        }
    };
    let (sv, st) = (&special[0].0, special[0].1);
    let (sfire, _) = fire_quiet(spec, t, st);
    vec![
        case("with every series just past its own threshold".into(), &|thr| {
            fire_quiet(spec, t, thr).0
        }),
        case("with every series just inside its own threshold".into(), &|thr| {
            fire_quiet(spec, t, thr).1
        }),
        case(
            format!("with every series at {} (past the default {})", fmt_num(fire), fmt_num(v)),
            &|_| fire,
        ),
        case(
            format!("with every series at {} (past {label}={sv}'s {})", fmt_num(sfire), fmt_num(st)),
            &|_| sfire,
        ),
        case(format!("with every series at {}", fmt_num(quiet)), &|_| quiet),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn compares_the_recorded_signal_with_the_named_level() {
        let x = expand_yaml("{name: CpuHigh, threshold: {signal: cpu, op: '>', value: critical}, for: 10m}");
        let d = &x.drafts[0];
        assert_eq!(d.expr, "signal:cpu:value > 0.9");
        assert_eq!(x.signals, ["cpu"]);
        assert_eq!(d.summary, "cpu is above 90% on {{ $labels.instance }}");
        assert!(
            d.description.contains("{{ $value | humanizePercentage }}")
                && d.description
                    .ends_with("for 10m. Check the linked panel for the trend and the runbook for what to do.")
        );
        // Fires just above, quiet just below.
        assert_eq!(d.cases[0].eval, 600 + 300 + 120, "after `for` and a full rate window");
        cases_agree_with_names(&x);
    }

    #[test]
    fn writes_seconds_and_bytes_for_humans() {
        let lat = expand_yaml("{name: Slow, threshold: {signal: lat, op: '>', value: 0.55}}");
        assert_eq!(lat.drafts[0].summary, "lat is above 550ms on {{ $labels.job }}");
        let free = expand_yaml("{name: Low, threshold: {signal: free, op: '<', value: 1073741824}}");
        assert!(
            free.drafts[0]
                .description
                .contains("{{ $value | humanize1024 }}B, below the threshold of 1GiB")
        );
    }

    #[test]
    fn per_label_thresholds_join_a_threshold_series_and_keep_the_default() {
        let x = expand_yaml(
            r#"{name: CpuHigh, threshold: {signal: cpu, op: '>', value: 0.9, thresholds_by: {instance: {'db-1:9100': 0.98, 'we"ird$1': 0.5}}}}"#,
        );
        assert_eq!(x.recs[0].record, "threshold:cpu:CpuHigh");
        assert_eq!(
            x.recs[0].expr,
            r#"label_replace(vector(0.98), "instance", "db-1:9100", "", "") or label_replace(vector(0.5), "instance", "we\"ird$$1", "", "")"#
        );
        assert_eq!(
            x.drafts[0].expr,
            "(signal:cpu:value > on(instance) group_left() threshold:cpu:CpuHigh) or (signal:cpu:value unless on(instance) threshold:cpu:CpuHigh) > 0.9"
        );
        // Every case has a listed series and a default one; who fires follows each one's own threshold.
        let c = &x.drafts[0].cases;
        assert!(c.iter().all(|c| c.inputs.len() == 3));
        assert_eq!(
            c[2].name,
            "CpuHigh with every series at 0.95 (past the default 0.9): fires for instance=we\"ird$1, instance=test-instance"
        );
    }
}
