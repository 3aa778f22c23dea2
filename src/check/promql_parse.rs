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
                let err = err.trim();
                let mut d = Diagnostic::error(CODE, e.path.to_string(), format!("PromQL does not parse: {err}"))
                    .help("check brackets, quotes and function names; try the expression in Prometheus' expression browser");
                if let Some(name) = err.strip_prefix("unknown function with name '").and_then(|r| r.strip_suffix('\'')) {
                    d = match crate::diag::did_you_mean(name, FUNCTIONS.iter().copied()) {
                        Some(f) => d.help(format!("did you mean `{f}`?")),
                        None => d.help("not a PromQL function: see https://prometheus.io/docs/prometheus/latest/querying/functions/"),
                    };
                }
                if let Some(r) = error_span(&e.text, err) {
                    d = d.within(r, &e.text);
                }
                d
            })
            .collect()
    }
}

/// PromQL's functions and aggregation operators (Prometheus 2.42-3.x), for
/// "did you mean". promql-parser keeps its own table private.
const FUNCTIONS: &[&str] = &[
    "abs",
    "absent",
    "absent_over_time",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "avg",
    "avg_over_time",
    "bottomk",
    "ceil",
    "changes",
    "clamp",
    "clamp_max",
    "clamp_min",
    "cos",
    "cosh",
    "count",
    "count_over_time",
    "count_values",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "days_in_month",
    "deg",
    "delta",
    "deriv",
    "exp",
    "floor",
    "group",
    "histogram_avg",
    "histogram_count",
    "histogram_fraction",
    "histogram_quantile",
    "histogram_stddev",
    "histogram_stdvar",
    "histogram_sum",
    "holt_winters",
    "hour",
    "idelta",
    "increase",
    "irate",
    "label_join",
    "label_replace",
    "last_over_time",
    "limitk",
    "limit_ratio",
    "ln",
    "log10",
    "log2",
    "mad_over_time",
    "max",
    "max_over_time",
    "min",
    "min_over_time",
    "minute",
    "month",
    "pi",
    "predict_linear",
    "present_over_time",
    "quantile",
    "quantile_over_time",
    "rad",
    "rate",
    "resets",
    "round",
    "scalar",
    "sgn",
    "sin",
    "sinh",
    "sort",
    "sort_by_label",
    "sort_by_label_desc",
    "sort_desc",
    "sqrt",
    "stddev",
    "stddev_over_time",
    "stdvar",
    "stdvar_over_time",
    "sum",
    "sum_over_time",
    "tan",
    "tanh",
    "time",
    "timestamp",
    "topk",
    "vector",
    "year",
];

/// Where in `expr` the parser's error `err` is: the unknown function, the
/// unclosed bracket, the bad token. promql-parser reports no positions.
fn error_span(expr: &str, err: &str) -> Option<std::ops::Range<usize>> {
    if let Some(name) = err.strip_prefix("unknown function with name '").and_then(|r| r.strip_suffix('\'')) {
        return word(expr, name);
    }
    let open = if err.contains("parenthes") {
        ('(', ')')
    } else if err.contains("brace") {
        ('{', '}')
    } else if err.contains("bracket") {
        ('[', ']')
    } else if let Some(tok) = err.rsplit_once(": ").map(|(_, t)| t.trim_matches(['\'', '"', '`'])) {
        return word(expr, tok);
    } else {
        return None;
    };
    unbalanced(expr, open)
}

/// The first occurrence of `token` in `expr` not inside a longer identifier.
fn word(expr: &str, token: &str) -> Option<std::ops::Range<usize>> {
    if token.is_empty() {
        return None;
    }
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    expr.match_indices(token)
        .find(|(i, _)| !expr[..*i].ends_with(ident) && !expr[i + token.len()..].starts_with(ident))
        .map(|(i, _)| i..i + token.len())
}

/// The bracket of kind `(open, close)` left unclosed, or the first closing
/// one without an opening, outside strings.
fn unbalanced(expr: &str, (open, close): (char, char)) -> Option<std::ops::Range<usize>> {
    let mut stack = Vec::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in expr.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        if matches!(c, '"' | '\'' | '`') {
            quote = Some(c);
        } else if c == open {
            stack.push(i);
        } else if c == close && stack.pop().is_none() {
            return Some(i..i + 1);
        }
    }
    stack.pop().map(|i| i..i + 1)
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
    fn errors_point_at_their_token() {
        let e = "sum(rate(x{a=\"(\"}[5m])";
        assert_eq!(error_span(e, "unclosed left parenthesis"), Some(3..4));
        assert_eq!(error_span("ratez(x[5m])", "unknown function with name 'ratez'"), Some(0..5));
        assert_eq!(error_span("x{a=\"b\"", "unexpected end of input inside braces"), Some(1..2));
        assert_eq!(error_span("rate(x[5mm])", "bad number or duration syntax: 5mm"), Some(7..10));
        assert_eq!(error_span("x) + y", "unexpected right parenthesis ')'"), Some(1..2));
        assert_eq!(error_span("up", "invalid promql query"), None);
    }

    #[test]
    fn accepts_good_promql_with_grafana_variables() {
        let good = "version: 1\nsignals: {a: {expr: 'sum by (instance) (rate(x{i=~\"$i\"}[$__rate_interval]))'}}\n";
        assert!(problems(&PromqlParse, good).is_empty());
    }
}
