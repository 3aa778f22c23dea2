//! The `anomaly` kind: a z-score against the signal's own rolling mean.

use std::collections::BTreeMap;

use super::*;
use crate::spec::AnomalyAlert;

impl AlertKind for AnomalyAlert {
    fn expand(&self, cx: &Cx, x: &mut Expansion) {
        let (an, spec, a) = (self, cx.spec, cx.a);
        let rec = signal_record(&an.signal);
        let w = an.window.as_str();
        let avg = crate::conventions::signal_avg_record(&an.signal, w);
        let sd = crate::conventions::signal_stddev_record(&an.signal, w);
        x.signals.push(an.signal.clone());
        x.recs.push(Rec {
            record: avg.clone(),
            expr: format!("avg_over_time({rec}[{w}])"),
            labels: BTreeMap::new(),
        });
        x.recs.push(Rec {
            record: sd.clone(),
            expr: format!("stddev_over_time({rec}[{w}])"),
            labels: BTreeMap::new(),
        });
        let (z, how) = match an.direction {
            Direction::Both => (format!("abs({rec} - {avg}) / {sd}"), "away from"),
            Direction::Up => (format!("({rec} - {avg}) / {sd}"), "above"),
            Direction::Down => (format!("({avg} - {rec}) / {sd}"), "below"),
        };
        let k = an.sigma;
        let what = title(spec, &an.signal);
        let f = cx.for_secs(600);
        // Baseline alternates b-1, b+1 (mean b, σ 1); the anomaly jumps far away.
        let (base, n_base) = (10.0, 600u64);
        let spike = if an.direction == Direction::Down { -90.0 } else { 100.0 };
        let eval = (n_base + 1) * STEP + f + STEP;
        let n_spike = (eval / STEP + 1) - n_base;
        let mut vals: Vec<f64> = (0..n_base).map(|i| if i % 2 == 0 { base - 1.0 } else { base + 1.0 }).collect();
        let quiet_vals: Vec<f64> = (0..n_base + n_spike)
            .map(|i| if i % 2 == 0 { base - 1.0 } else { base + 1.0 })
            .collect();
        vals.extend(std::iter::repeat_n(spike, n_spike as usize));
        let mean = vals.iter().sum::<f64>() / vals.len() as f64;
        let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / vals.len() as f64;
        let zv = match an.direction {
            Direction::Down => (mean - spike) / var.sqrt(),
            _ => (spike - mean).abs() / var.sqrt(),
        };
        let labels = test_labels(spec, &an.signal);
        let series = selector(&rec, &labels);
        let text = |v: &[f64]| v.iter().map(|x| fmt_num(*x)).collect::<Vec<_>>().join(" ");
        let mut cases = Vec::new();
        if zv > k {
            cases.push(Case {
                name: format!("{} fires on a jump of {what}", a.name),
                inputs: vec![(series.clone(), text(&vals))],
                eval,
                fires: vec![((*labels).clone(), zv)],
                raw: Raw::NONE,
            });
        }
        cases.push(Case {
            name: format!("{} stays quiet on normal noise", a.name),
            inputs: vec![(series, text(&quiet_vals))],
            eval,
            fires: vec![],
            raw: Raw::NONE,
        });
        x.drafts.push(cx.draft(
        format!("{z} > {} and {sd} > 0", fmt_num(k)),
        600,
        format!("{what} is unusual{}: {{{{ $value | humanize }}}}σ {how} its {w} mean", where_tpl(spec, &an.signal)),
        format!(
            "{what} has been more than {} standard deviations {how} its own {w} average for {}. This is a change in behaviour, not a fixed limit: compare the linked panel with the same time yesterday, and check recent deploys, traffic and cron jobs first.",
            fmt_num(k),
            dur(f)
        ),
        LinkKey::Signal(an.signal.clone()),
        cases,
    ));
    }

    fn bands(&self, cx: &Cx, m: &str) -> Vec<(String, String)> {
        let w = self.window.as_str();
        let (avg, sd) = (
            format!("{}{m}", crate::conventions::signal_avg_record(&self.signal, w)),
            format!("{}{m}", crate::conventions::signal_stddev_record(&self.signal, w)),
        );
        let k = fmt_num(self.sigma);
        let mut out = Vec::new();
        if self.direction != Direction::Down {
            out.push((format!("{}: above mean + {k}σ", cx.a.name), format!("{avg} + {k} * {sd}")));
        }
        if self.direction != Direction::Up {
            out.push((format!("{}: below mean - {k}σ", cx.a.name), format!("{avg} - {k} * {sd}")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn z_score_against_the_rolling_mean() {
        let x = expand_yaml("{name: CpuOdd, anomaly: {signal: cpu, sigma: 3, window: 1d, direction: up}}");
        assert_eq!(
            x.recs.iter().map(|r| r.record.as_str()).collect::<Vec<_>>(),
            ["signal:cpu:avg_over_time_1d", "signal:cpu:stddev_over_time_1d"]
        );
        assert_eq!(
            x.drafts[0].expr,
            "(signal:cpu:value - signal:cpu:avg_over_time_1d) / signal:cpu:stddev_over_time_1d > 3 and signal:cpu:stddev_over_time_1d > 0"
        );
        cases_agree_with_names(&x);
    }
}
