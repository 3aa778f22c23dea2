//! Raw input series for generated tests: series of the metrics a signal's
//! own PromQL reads, built so that the expression evaluates to a wanted
//! value. Generated tests then exercise the whole chain (the signal's
//! recording rule, then the alert), not only the alert on a recorded series.
//!
//! Only shapes whose inverse is exact are handled: a selector (a gauge),
//! `rate`/`irate` of a selector (a counter rising at the value per second),
//! `sum`/`avg`/`min`/`max` over one series, and arithmetic with a number.
//! Anything else (two selectors, `histogram_quantile`, …) yields `None`.

use std::collections::BTreeMap;

use promql_parser::label::Matcher;
use promql_parser::parser::token::{T_ADD, T_DIV, T_MUL, T_SUB};
use promql_parser::parser::{AggregateExpr, Expr};

use super::{fmt_num, r6, selector};

/// Series (text, promtool values) making the rule form of `signal` equal `v`
/// for `n` one-minute samples, with `labels` on every series.
pub fn constant_inputs(
    spec: &crate::spec::Spec,
    signal: &str,
    labels: &BTreeMap<String, String>,
    v: f64,
    n: u64,
) -> Option<Vec<(String, String)>> {
    let s = spec.signals.get(signal)?;
    let rule = crate::promql::for_rule(&s.expr, spec.prometheus.rule_rate_window.as_str()).ok()?;
    let e = crate::promql::parse(&rule).ok()?;
    let mut out: Vec<(String, String)> = Vec::new();
    let mut label_sets = Vec::new();
    for ((name, matchers), value, counter) in invert(&e, v)? {
        if !value.is_finite() || (counter && value < 0.0) {
            return None;
        }
        let series = series_labels(&matchers, labels)?;
        let values = if counter {
            format!("0+{}x{}", fmt_num(r6(value * 60.0)), n.saturating_sub(1))
        } else {
            format!("{}x{}", fmt_num(r6(value)), n.saturating_sub(1))
        };
        let text = selector(&name, &series);
        if out.iter().any(|(s, _)| *s == text) {
            return None;
        }
        label_sets.push(series);
        out.push((text, values));
    }
    // Binary operations match series one-to-one on their labels.
    if label_sets.windows(2).any(|w| w[0] != w[1]) {
        return None;
    }
    Some(out)
}

/// Series making the rule form of `signal` take `values`, one a minute, with
/// `labels` on every series. Gauges only: a counter's `rate()` averages over
/// its window, so a varying rate cannot be matched sample by sample.
pub fn series_inputs(
    spec: &crate::spec::Spec,
    signal: &str,
    labels: &BTreeMap<String, String>,
    values: &[f64],
) -> Option<Vec<(String, String)>> {
    let s = spec.signals.get(signal)?;
    let rule = crate::promql::for_rule(&s.expr, spec.prometheus.rule_rate_window.as_str()).ok()?;
    let e = crate::promql::parse(&rule).ok()?;
    let mut series: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    for v in values {
        let inv = invert(&e, *v)?;
        if series.is_empty() {
            for ((name, matchers), _, _) in &inv {
                series.push((name.clone(), series_labels(matchers, labels)?));
            }
            columns = vec![Vec::with_capacity(values.len()); inv.len()];
        }
        for (i, (_, value, counter)) in inv.into_iter().enumerate() {
            if counter || !value.is_finite() {
                return None;
            }
            columns.get_mut(i)?.push(value);
        }
    }
    if series.windows(2).any(|w| w[0].1 != w[1].1) || series.iter().enumerate().any(|(i, a)| series[..i].contains(a)) {
        return None;
    }
    Some(
        series
            .iter()
            .zip(&columns)
            .map(|((name, l), col)| (selector(name, l), runs(col)))
            .collect(),
    )
}

/// promtool's notation for a sequence: runs of one value as `vxN`.
fn runs(values: &[f64]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i + 1;
        while j < values.len() && values[j] == values[i] {
            j += 1;
        }
        out.push(if j - i == 1 {
            fmt_num(values[i])
        } else {
            format!("{}x{}", fmt_num(values[i]), j - i - 1)
        });
        i = j;
    }
    out.join(" ")
}

/// Expand promtool's values notation (`1 2x3 0+5x2 9-1x1`); `None` for `_`, `stale` or anything else.
pub fn expand_values(text: &str) -> Option<Vec<f64>> {
    let mut out = Vec::new();
    for tok in text.split_whitespace() {
        let (head, count) = match tok.rsplit_once('x') {
            Some((h, n)) => (h, Some(n.parse::<usize>().ok()?)),
            None => (tok, None),
        };
        let split = head[1..].find(['+', '-']).map(|i| i + 1);
        let (start, step) = match split {
            Some(i) => {
                let step: f64 = head[i + 1..].parse().ok()?;
                (head[..i].parse::<f64>().ok()?, if &head[i..=i] == "-" { -step } else { step })
            }
            None => (head.parse::<f64>().ok()?, 0.0),
        };
        match count {
            Some(n) if out.len() + n < 1_000_000 => out.extend((0..=n).map(|k| start + step * k as f64)),
            Some(_) => return None,
            None => out.push(start),
        }
    }
    Some(out)
}

type Selector = (String, Vec<Matcher>);

/// The selectors under `e`, the value each must have, and whether it is a counter.
fn invert(e: &Expr, v: f64) -> Option<Vec<(Selector, f64, bool)>> {
    match e {
        Expr::Paren(p) => invert(&p.expr, v),
        Expr::Aggregate(AggregateExpr { op, expr, param: None, .. }) if ["sum", "avg", "min", "max"].contains(&op.to_string().as_str()) => {
            invert(expr, v)
        }
        Expr::Binary(b) if b.modifier.as_ref().is_none_or(|m| !m.return_bool) => {
            let num = |x: &Expr| match x {
                Expr::NumberLiteral(n) => Some(n.val),
                _ => None,
            };
            let op = b.op.id();
            match (num(&b.lhs), num(&b.rhs)) {
                (None, Some(c)) => {
                    let inner = match op {
                        T_ADD => v - c,
                        T_SUB => v + c,
                        T_MUL if c != 0.0 => v / c,
                        T_DIV => v * c,
                        _ => return None,
                    };
                    invert(&b.lhs, inner)
                }
                (Some(c), None) => {
                    let inner = match op {
                        T_ADD => v - c,
                        T_SUB => c - v,
                        T_MUL if c != 0.0 => v / c,
                        T_DIV if v != 0.0 => c / v,
                        _ => return None,
                    };
                    invert(&b.rhs, inner)
                }
                // Two vectors: the right side neutral (1 for `*` and `/`, 0 for `+` and `-`).
                (None, None) if b.modifier.is_none() => {
                    let neutral = match op {
                        T_MUL | T_DIV => 1.0,
                        T_ADD | T_SUB => 0.0,
                        _ => return None,
                    };
                    let mut l = invert(&b.lhs, v)?;
                    l.extend(invert(&b.rhs, neutral)?);
                    Some(l)
                }
                _ => None,
            }
        }
        Expr::Call(c) if ["rate", "irate"].contains(&c.func.name) && c.args.args.len() == 1 => match c.args.args[0].as_ref() {
            Expr::MatrixSelector(ms) => Some(vec![(name_and_matchers(&ms.vs)?, v, true)]),
            _ => None,
        },
        Expr::VectorSelector(vs) if vs.offset.is_none() && vs.at.is_none() => Some(vec![(name_and_matchers(vs)?, v, false)]),
        _ => None,
    }
}

/// A selector's metric name and its other matchers (`None` with `or` matchers or no name).
pub fn name_and_matchers(vs: &promql_parser::parser::VectorSelector) -> Option<Selector> {
    if !vs.matchers.or_matchers.is_empty() {
        return None;
    }
    let name = crate::promql::selector_name(vs)?;
    Some((
        name,
        vs.matchers.matchers.iter().filter(|m| m.name != "__name__").cloned().collect(),
    ))
}

/// Labels of a series the matchers select, carrying `labels` too (`None` when they conflict).
fn series_labels(matchers: &[Matcher], labels: &BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    let mut out = labels.clone();
    for m in matchers {
        match out.get(&m.name) {
            Some(v) if m.is_match(v) => {}
            Some(_) => return None,
            None => {
                out.insert(m.name.clone(), value_for(m, true, None)?);
            }
        }
    }
    Some(out)
}

/// A label value `m` accepts (`want`) or rejects (`!want`), if an obvious one does.
pub fn value_for(m: &Matcher, want: bool, hint: Option<&str>) -> Option<String> {
    let literal = |re: &str| {
        re.trim_start_matches('^')
            .trim_end_matches('$')
            .split('|')
            .next()
            .unwrap_or("")
            .replace(['(', ')'], "")
            .replace(".*", "")
            .replace(".+", "0")
            .replace('.', "0")
            .replace("\\", "")
    };
    let candidates = [
        hint.unwrap_or_default().to_string(),
        literal(&m.value),
        m.value.clone(),
        "genmon-test".to_string(),
        "genmon-test-other".to_string(),
    ];
    candidates.into_iter().find(|c| !c.is_empty() && m.is_match(c) == want)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(expr: &str, v: f64) -> Option<Vec<(String, String)>> {
        let yaml = format!("version: 1\nsignals: {{s: {{expr: '{expr}'}}}}\n");
        let spec: crate::spec::Spec = serde_yaml_ng::from_str(&yaml).unwrap();
        let labels = BTreeMap::from([("instance".to_string(), "test-instance".to_string())]);
        constant_inputs(&spec, "s", &labels, v, 3)
    }

    #[test]
    fn inverts_gauges_counters_and_arithmetic() {
        assert_eq!(
            inputs("node_load1", 2.5).unwrap(),
            [("node_load1{instance=\"test-instance\"}".to_string(), "2.5x2".to_string())]
        );
        assert_eq!(
            inputs(
                "1 - avg by (instance) (rate(cpu_seconds_total{mode=\"idle\", instance=~\"$instance\"}[$__rate_interval]))",
                0.99
            )
            .unwrap(),
            [(
                "cpu_seconds_total{instance=\"test-instance\", mode=\"idle\"}".to_string(),
                "0+0.6x2".to_string()
            )]
        );
        assert_eq!(
            inputs("100 * max(x{code=~\"5..\"})", 50.0).unwrap()[0].0,
            "x{code=\"500\", instance=\"test-instance\"}"
        );
    }

    #[test]
    fn varying_gauges_and_the_values_notation() {
        assert_eq!(
            expand_values("1 2x2 0+5x2 9-1.5x1"),
            Some(vec![1.0, 2.0, 2.0, 2.0, 0.0, 5.0, 10.0, 9.0, 7.5])
        );
        assert_eq!(expand_values("_x3"), None);
        let yaml = "version: 1\nsignals: {s: {expr: '1 - a / b'}, r: {expr: 'rate(c[5m])'}}\n";
        let spec: crate::spec::Spec = serde_yaml_ng::from_str(yaml).unwrap();
        let l = BTreeMap::new();
        assert_eq!(
            series_inputs(&spec, "s", &l, &[0.5, 0.5, 0.75]).unwrap(),
            [
                ("a{}".to_string(), "0.5x1 0.25".to_string()),
                ("b{}".to_string(), "1x2".to_string())
            ]
        );
        assert_eq!(series_inputs(&spec, "r", &l, &[1.0, 2.0]), None, "a varying rate is not exact");
    }

    #[test]
    fn sets_the_right_side_of_two_vectors_neutral() {
        assert_eq!(
            inputs("1 - avail / total", 0.9).unwrap(),
            [
                ("avail{instance=\"test-instance\"}".to_string(), "0.1x2".to_string()),
                ("total{instance=\"test-instance\"}".to_string(), "1x2".to_string())
            ]
        );
    }

    #[test]
    fn declines_what_it_cannot_invert() {
        assert_eq!(inputs("a{x=\"1\"} / b", 1.0), None, "labels differ: no one-to-one match");
        assert_eq!(inputs("a / on (instance) b", 1.0), None);
        assert_eq!(inputs("histogram_quantile(0.9, rate(h_bucket[5m]))", 1.0), None);
        assert_eq!(inputs("rate(c_total[5m])", -1.0), None, "counters do not fall");
        assert_eq!(inputs("x{instance=\"other\"}", 1.0), None, "conflicts with the test labels");
    }
}
