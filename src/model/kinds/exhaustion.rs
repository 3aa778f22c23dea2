//! The `exhaustion` kind: a linear forecast reaching a limit within a horizon.

use super::*;
use crate::spec::ExhaustionAlert;

impl AlertKind for ExhaustionAlert {
    fn expand(&self, cx: &Cx, x: &mut Expansion) {
        let (ex, spec, a) = (self, cx.spec, cx.a);
        let rec = signal_record(&ex.signal);
        x.signals.push(ex.signal.clone());
        let w = ex.window.as_str();
        let l = fmt_num(ex.limit);
        let within = ex.within.secs();
        let deriv = format!("deriv({rec}[{w}])");
        let expr = if ex.direction == Direction::Up {
            format!("({l} - {rec}) / {deriv} < {within} and {deriv} > 0 and {rec} < {l}")
        } else {
            format!("({rec} - {l}) / -{deriv} < {within} and {deriv} < 0 and {rec} > {l}")
        };
        let what = title(spec, &ex.signal);
        let f = cx.for_secs(1800);
        let eval = f + 3 * STEP;
        let left = (within / 2) as f64 + 0.5;
        let labels = test_labels(spec, &ex.signal);
        let series = selector(&rec, &labels);
        // Falls (rises) 60 per minute, i.e. 1 per second: `left` seconds remain at `eval`.
        let (start, slope): (f64, f64) = if ex.direction == Direction::Up {
            (ex.limit - left - eval as f64, 60.0)
        } else {
            (ex.limit + left + eval as f64, -60.0)
        };
        let n = eval / STEP + 1;
        let cases = vec![
            Case {
                name: format!(
                    "{} fires when {what} runs out in {}",
                    a.name,
                    crate::model::template::humanize_duration(left)
                ),
                inputs: vec![(
                    series.clone(),
                    format!(
                        "{}{}{}x{}",
                        fmt_num(start),
                        if slope < 0.0 { "-" } else { "+" },
                        fmt_num(slope.abs()),
                        n - 1
                    ),
                )],
                eval,
                fires: vec![((*labels).clone(), left)],
                raw: Raw::NONE,
            },
            Case {
                name: format!("{} stays quiet while {what} is flat", a.name),
                inputs: vec![(series, repeat(start, n))],
                eval,
                fires: vec![],
                raw: Raw::NONE,
            },
        ];
        x.drafts.push(cx.draft(
        expr,
        1800,
        format!(
            "{what}{} will reach {} in {{{{ $value | humanizeDuration }}}}",
            where_tpl(spec, &ex.signal),
            shown_number(spec, &ex.signal, ex.limit)
        ),
        format!(
            "At the trend of the last {w}, {what} reaches its limit ({}) in {{{{ $value | humanizeDuration }}}} (alerting horizon: {}), for {}. Find what is consuming it (largest or fastest-growing users on the linked panel), then free or add capacity before it runs out.",
            shown_number(spec, &ex.signal, ex.limit),
            ex.within,
            dur(f)
        ),
        LinkKey::Signal(ex.signal.clone()),
        cases,
    ));
    }

    fn bands(&self, cx: &Cx, m: &str) -> Vec<(String, String)> {
        let value = format!("{}{m}", signal_record(&self.signal));
        vec![(
            format!("{}: forecast in {}", cx.a.name, self.within),
            format!("predict_linear({value}[{}], {})", self.window, self.within.secs()),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn forecast_reaches_the_limit_within_the_horizon() {
        let x = expand_yaml("{name: DiskFull, exhaustion: {signal: free, within: 24h, window: 6h}}");
        assert_eq!(
            x.drafts[0].expr,
            "(signal:free:value - 0) / -deriv(signal:free:value[6h]) < 86400 and deriv(signal:free:value[6h]) < 0 and signal:free:value > 0"
        );
        cases_agree_with_names(&x);
    }
}
