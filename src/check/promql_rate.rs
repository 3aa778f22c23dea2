//! `promql/rate-window`: `rate()`-style windows cover at least 4 scrapes, so
//! a missed scrape does not leave gaps.

use super::{Check, Ctx};
use crate::diag::Diagnostic;

pub struct PromqlRate;

const CODE: &str = "promql/rate-window";

impl Check for PromqlRate {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[(CODE, "a rate()/increase() window is shorter than 4× the scrape interval")]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let scrape = &cx.spec.prometheus.scrape_interval;
        let min = scrape.millis() * 4;
        let mut out = Vec::new();
        for e in &cx.exprs {
            let Ok(ast) = &e.ast else { continue };
            for (func, window) in crate::promql::rate_windows(ast) {
                if window < min {
                    out.push(
                        Diagnostic::error(
                            CODE,
                            e.path.to_string(),
                            format!(
                                "{func}() over {}s covers fewer than 4 scrapes at the {scrape} scrape interval",
                                window as f64 / 1000.0
                            ),
                        )
                        .help(format!(
                            "use a window of at least {}s, or `$__rate_interval` in dashboards",
                            min / 1000
                        )),
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
    fn flags_short_windows() {
        let bad = "version: 1\nprometheus: {scrape_interval: 30s}\nsignals: {a: {expr: 'rate(x_total[1m])'}}\n";
        assert_eq!(problems(&PromqlRate, bad), vec!["promql/rate-window@signals.a.expr"]);
    }

    #[test]
    fn accepts_long_and_grafana_windows() {
        let good = "version: 1\nprometheus: {scrape_interval: 15s}\nsignals: {a: {expr: 'rate(x_total[1m]) + increase(y_total[$__rate_interval])'}}\n";
        assert!(problems(&PromqlRate, good).is_empty());
    }
}
