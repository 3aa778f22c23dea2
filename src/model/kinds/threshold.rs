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
        let mut step = if v == 0.0 { 1.0 } else { v.abs() * 0.1 };
        // Ratios stay within 0..1, so raw series can produce the test values.
        if unit(spec, &t.signal) == Some("percentunit") && (0.0..1.0).contains(&v) {
            step = step.min(v / 2.0).min((1.0 - v) / 2.0).max(f64::EPSILON);
        }
        let (fire, quiet) = match t.op {
            Op::Gt | Op::Ge => (r6(v + step), r6(v - step)),
            Op::Lt | Op::Le => (r6(v - step), r6(v + step)),
            Op::Eq => (v, r6(v + step)),
            Op::Ne => (r6(v + step), v),
        };
        let f = cx.for_secs(300);
        // After `for` and a full rate window, so raw counters give their whole rate.
        let eval = f + spec.prometheus.rule_rate_window.secs() + 2 * STEP;
        let labels = test_labels(spec, &t.signal);
        let series = selector(&rec, &labels);
        let n = eval / STEP + 1;
        let cases = vec![
            Case {
                name: format!("{} fires when {what} is {}", a.name, fmt_num(fire)),
                inputs: vec![(series.clone(), repeat(fire, n))],
                eval,
                fires: vec![(labels.clone(), fire)],
                raw: raw::constant_inputs(spec, &t.signal, &labels, fire, n),
            },
            Case {
                name: format!("{} stays quiet when {what} is {}", a.name, fmt_num(quiet)),
                inputs: vec![(series, repeat(quiet, n))],
                eval,
                fires: vec![],
                raw: raw::constant_inputs(spec, &t.signal, &labels, quiet, n),
            },
        ];
        x.signals.push(t.signal.clone());
        x.drafts.push(cx.draft(
        format!("{rec} {op} {}", fmt_num(v)),
        300,
        format!("{what} is {verb} {}{}", shown_number(spec, &t.signal, v), where_tpl(spec, &t.signal)),
        format!(
            "{what} has been {}, {verb} the threshold of {} ({op} {}), for {}. Check the linked panel for the trend and the runbook for what to do.",
            shown(spec, &t.signal),
            shown_number(spec, &t.signal, v),
            fmt_num(v),
            dur(f)
        ),
        LinkKey::Signal(t.signal.clone()),
        cases,
    ));
    }
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
}
