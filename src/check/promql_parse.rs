//! `promql/parse`: every expression parses.

use super::{Check, Ctx};
use crate::diag::Diagnostic;

pub struct PromqlParse;

const CODE: &str = "promql/parse";

impl Check for PromqlParse {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[(CODE, "a PromQL expression does not parse")]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        cx.exprs
            .iter()
            .filter_map(|e| e.ast.as_ref().err().map(|err| (e, err)))
            .map(|(e, err)| {
                Diagnostic::error(CODE, e.path.clone(), format!("PromQL does not parse: {}", err.trim()))
                    .help("check brackets, quotes and function names; try the expression in Prometheus' expression browser")
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn flags_bad_promql() {
        let bad = "version: 1\nsignals: {a: {expr: 'sum(rate(x[5m])'}}\nrules:\n- name: g\n  recording: [{record: 'a:b:c', expr: 'nosuchfn(x)'}]\n";
        assert_eq!(
            problems(&PromqlParse, bad),
            vec!["promql/parse@signals.a.expr", "promql/parse@rules[0].recording[0].expr"]
        );
    }

    #[test]
    fn accepts_good_promql_with_grafana_variables() {
        let good = "version: 1\nsignals: {a: {expr: 'sum by (instance) (rate(x{i=~\"$i\"}[$__rate_interval]))'}}\n";
        assert!(problems(&PromqlParse, good).is_empty());
    }
}
