//! The `regression` kind: the signal against a baseline (yesterday, last week, its average).

use std::collections::BTreeMap;

use super::*;
use crate::spec::RegressionAlert;

impl AlertKind for RegressionAlert {
    fn expand(&self, cx: &Cx, x: &mut Expansion) {
        let (rg, spec, a) = (self, cx.spec, cx.a);
        let rec = signal_record(&rg.signal);
        x.signals.push(rg.signal.clone());
        let (base_expr, base_text, lag) = match rg.baseline {
            Baseline::Yesterday => (format!("{rec} offset 1d"), "the same time yesterday".to_string(), 86_400u64),
            Baseline::Lastweek => (format!("{rec} offset 1w"), "the same time last week".to_string(), 7 * 86_400),
            Baseline::Average => {
                let w = rg.window.as_str();
                let avg = crate::conventions::signal_avg_record(&rg.signal, w);
                x.recs.push(Rec {
                    record: avg.clone(),
                    expr: format!("avg_over_time({rec}[{w}])"),
                    labels: BTreeMap::new(),
                });
                (avg, format!("its {w} average"), 0)
            }
        };
        let p = rg.percent / 100.0;
        let (cmp, limit, word) = match rg.worse {
            Worse::Higher => (">", 1.0 + p, "higher"),
            Worse::Lower => ("<", 1.0 - p, "lower"),
        };
        let what = title(spec, &rg.signal);
        let f = cx.for_secs(900);
        let labels = test_labels(spec, &rg.signal);
        let series = selector(&rec, &labels);
        let base = 10.0;
        let bad = match rg.worse {
            Worse::Higher => base * (1.0 + p) * 2.0,
            Worse::Lower => base * (1.0 - p) / 2.0,
        };
        // A day-lag baseline compares with the unchanged day before; a rolling
        // baseline averages in the bad samples, so its ratio is smaller and the
        // alert may not fire at all (then only the quiet case is generated).
        let (n_base, eval) = if lag > 0 {
            (lag / STEP, lag + f + 2 * STEP)
        } else {
            (600u64, 600 * STEP + f + STEP)
        };
        let n_bad = eval / STEP + 1 - n_base;
        let ratio = if lag > 0 {
            bad / base
        } else {
            bad / ((base * n_base as f64 + bad * n_bad as f64) / (n_base + n_bad) as f64)
        };
        let fires = lag > 0 || (cmp == ">" && ratio > limit) || (cmp == "<" && ratio < limit);
        let mut cases = Vec::new();
        if fires {
            cases.push(Case {
                name: format!("{} fires when {what} is {word} than {base_text}", a.name),
                inputs: vec![(series.clone(), format!("{} {}", repeat(base, n_base), repeat(bad, n_bad)))],
                eval,
                fires: vec![((*labels).clone(), ratio)],
                raw: Raw::NONE,
            });
        }
        cases.push(Case {
            name: format!("{} stays quiet when {what} is as usual", a.name),
            inputs: vec![(series, repeat(base, n_base + n_bad))],
            eval,
            fires: vec![],
            raw: Raw::NONE,
        });
        x.drafts.push(cx.draft(
        format!("{rec} / {base_expr} {cmp} {} and {base_expr} > 0", fmt_num(limit)),
        900,
        format!("{what} regressed{}: {{{{ $value | humanizePercentage }}}} of {base_text}", where_tpl(spec, &rg.signal)),
        format!(
            "{what} is {{{{ $value | humanizePercentage }}}} of {base_text} ({word} is worse; the alert fires beyond {}%), for {}. Compare the linked panel with the baseline and check what changed since: deploys, configuration, dependencies, traffic mix.",
            fmt_num(rg.percent),
            dur(f)
        ),
        LinkKey::Signal(rg.signal.clone()),
        cases,
    ));
    }

    fn bands(&self, cx: &Cx, m: &str) -> Vec<(String, String)> {
        let value = format!("{}{m}", signal_record(&self.signal));
        let base = match self.baseline {
            Baseline::Yesterday => format!("{value} offset 1d"),
            Baseline::Lastweek => format!("{value} offset 1w"),
            Baseline::Average => format!("{}{m}", crate::conventions::signal_avg_record(&self.signal, self.window.as_str())),
        };
        let f = if self.worse == Worse::Higher {
            1.0 + self.percent / 100.0
        } else {
            1.0 - self.percent / 100.0
        };
        vec![(
            format!("{}: limit ({}% of baseline)", cx.a.name, fmt_num(f * 100.0)),
            format!("{} * ({base})", fmt_num(f)),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn ratio_to_yesterday_or_the_average() {
        let x = expand_yaml("{name: Slower, regression: {signal: lat, percent: 50}}");
        assert_eq!(
            x.drafts[0].expr,
            "signal:lat:value / signal:lat:value offset 1d > 1.5 and signal:lat:value offset 1d > 0"
        );
        cases_agree_with_names(&x);
        let avg = expand_yaml("{name: Less, regression: {signal: lat, percent: 20, baseline: average, window: 1d, worse: lower}}");
        assert_eq!(avg.recs[0].record, "signal:lat:avg_over_time_1d");
        assert!(
            avg.drafts[0]
                .expr
                .starts_with("signal:lat:value / signal:lat:avg_over_time_1d < 0.8")
        );
    }
}
