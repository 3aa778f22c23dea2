//! Raw input series for generated tests: series of the metrics a signal's
//! own PromQL reads, built so that the expression evaluates to a wanted
//! value. Generated tests then exercise the whole chain (the signal's
//! recording rule, then the alert), not only the alert on a recorded series.
//!
//! Only shapes whose inverse is exact are handled: a selector (a gauge),
//! `rate`/`irate` of a selector (a counter rising at the value per second),
//! `sum`/`avg`/`min`/`max` over one series, arithmetic with a number, and
//! a share of one counter's events (`sum(rate(x{part}[w])) / sum(rate(x[w]))`,
//! e.g. an error ratio). Anything else (two selectors, `histogram_quantile`, …) yields `None`.

use std::collections::BTreeMap;

use promql_parser::label::Matcher;
use promql_parser::parser::token::{T_ADD, T_DIV, T_MUL, T_SUB};
use promql_parser::parser::{AggregateExpr, Expr};

use super::{fmt_num, r6, selector};

/// The rule form of `signal` (under the spec's rate window) and its parse.
type RuleExpr = std::rc::Rc<(String, Option<std::sync::Arc<Expr>>)>;

/// [`RuleExpr`] of `signal`: every generated case of every alert on a
/// signal reads it: it is looked up once per thread and expression
/// ([`super::per_expr`]; no lock, no copy of the rule text), and again
/// only if the window differs.
fn rule_expr(spec: &crate::spec::Spec, signal: &str) -> Option<RuleExpr> {
    thread_local!(static MEMO: super::PerExpr<RuleExpr> = super::PerExpr::default());
    let expr = &spec.signals.get(signal)?.expr;
    let window = spec.prometheus.rule_rate_window.as_str();
    let parse = || {
        let e = crate::promql::for_rule(expr, window)
            .ok()
            .and_then(|r| crate::promql::parse(&r).ok());
        std::rc::Rc::new((window.to_string(), e))
    };
    let hit = super::per_expr(&MEMO, expr, parse);
    Some(if hit.0 == window { hit } else { parse() })
}

/// Series (text, promtool values) making the rule form of `signal` equal `v`
/// for `n` one-minute samples, with `labels` on every series.
pub fn constant_inputs(
    spec: &crate::spec::Spec,
    signal: &str,
    labels: &BTreeMap<String, String>,
    v: f64,
    n: u64,
) -> Option<Vec<(String, String)>> {
    let parsed = rule_expr(spec, signal)?;
    let e = parsed.1.as_ref()?;
    if let Some(r) = ratio_inputs(e, labels, v, n) {
        return Some(r);
    }
    let mut out: Vec<(String, String)> = Vec::new();
    let mut label_sets = Vec::new();
    for ((name, matchers), value, counter) in invert(e, v)? {
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
    let parsed = rule_expr(spec, signal)?;
    let e = parsed.1.as_ref()?;
    let mut series: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    for v in values {
        let inv = invert(e, *v)?;
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

/// Requests a second in a ratio's generated inputs.
const RATIO_RATE: f64 = 10.0;

/// A share of one counter's events: `sum(rate(x{part}[w])) / sum(rate(x{all}[w]))`,
/// the part optionally `(… or 0 * <total>)` so that a missing part is zero,
/// where the part's matchers include all of the total's. Inputs: the part's
/// series rising at `v` × the rate, the rest of the total (a series the part
/// does not select) at `1 - v` × the rate.
fn ratio_inputs(e: &Expr, labels: &BTreeMap<String, String>, v: f64, n: u64) -> Option<Vec<(String, String)>> {
    fn unparen(e: &Expr) -> &Expr {
        match e {
            Expr::Paren(p) => unparen(&p.expr),
            _ => e,
        }
    }
    /// `sum [by (…)] (rate(sel[w]))` → (selector, by labels).
    fn summed_rate(e: &Expr) -> Option<(Selector, Vec<String>)> {
        let Expr::Aggregate(a) = unparen(e) else { return None };
        if a.op.to_string() != "sum" || a.param.is_some() {
            return None;
        }
        let by = match &a.modifier {
            None => Vec::new(),
            Some(promql_parser::parser::LabelModifier::Include(l)) => l.labels.clone(),
            Some(_) => return None,
        };
        let Expr::Call(c) = unparen(&a.expr) else { return None };
        match (c.func.name, c.args.args.as_slice()) {
            ("rate", [arg]) => match arg.as_ref() {
                Expr::MatrixSelector(ms) => Some((name_and_matchers(&ms.vs)?, by)),
                _ => None,
            },
            _ => None,
        }
    }
    let Expr::Binary(b) = unparen(e) else { return None };
    if b.op.id() != T_DIV || b.modifier.is_some() || !(0.0..=1.0).contains(&v) {
        return None;
    }
    let total = summed_rate(&b.rhs)?;
    let part = match unparen(&b.lhs) {
        Expr::Binary(or) if or.op.to_string() == "or" => {
            // `part or 0 * total`
            let Expr::Binary(zero) = unparen(&or.rhs) else { return None };
            let is_zero = matches!(unparen(&zero.lhs), Expr::NumberLiteral(z) if z.val == 0.0);
            if !is_zero || zero.op.id() != T_MUL || summed_rate(&zero.rhs)? != total {
                return None;
            }
            summed_rate(&or.lhs)?
        }
        other => summed_rate(other)?,
    };
    let ((pname, pm), (tname, tm)) = (&part.0, &total.0);
    if pname != tname || part.1 != total.1 || !tm.iter().all(|m| pm.contains(m)) || pm.len() == tm.len() {
        return None;
    }
    let part_labels = series_labels(pm, labels)?;
    let mut rest_labels = series_labels(tm, labels)?;
    for m in pm.iter().filter(|m| !tm.contains(m)) {
        if !rest_labels.contains_key(&m.name) {
            rest_labels.insert(m.name.clone(), value_for(m, false, None)?);
        }
    }
    // The rest must be in the total and out of the part.
    let selects = |ms: &[Matcher], l: &BTreeMap<String, String>| ms.iter().all(|m| m.is_match(l.get(&m.name).map_or("", String::as_str)));
    if selects(pm, &rest_labels) || !selects(tm, &rest_labels) || !selects(tm, &part_labels) {
        return None;
    }
    let counter = |per_sec: f64| format!("0+{}x{}", fmt_num(r6(per_sec * 60.0)), n.saturating_sub(1));
    Some(vec![
        (selector(pname, &part_labels), counter(v * RATIO_RATE)),
        (selector(tname, &rest_labels), counter((1.0 - v) * RATIO_RATE)),
    ])
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
    // A regex's own text is a last resort: as a label value it reads oddly
    // (`code="5..|"`).
    let candidates = [
        hint.unwrap_or_default().to_string(),
        literal(&m.value),
        "genmon-test".to_string(),
        "genmon-test-other".to_string(),
        m.value.clone(),
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
    fn a_share_of_one_counter_becomes_its_part_and_the_rest() {
        let ratio = "(sum by (route) (rate(r{job=\"a\", code=~\"5..\"}[$__rate_interval])) or 0 * sum by (route) (rate(r{job=\"a\"}[$__rate_interval]))) / sum by (route) (rate(r{job=\"a\"}[$__rate_interval]))";
        let yaml = format!("version: 1\nsignals: {{s: {{expr: '{ratio}'}}}}\n");
        let spec: crate::spec::Spec = serde_yaml_ng::from_str(&yaml).unwrap();
        let labels = BTreeMap::from([("route".to_string(), "/x".to_string())]);
        assert_eq!(
            constant_inputs(&spec, "s", &labels, 0.2, 3).unwrap(),
            [
                (r#"r{code="500", job="a", route="/x"}"#.to_string(), "0+120x2".to_string()),
                (r#"r{code="genmon-test", job="a", route="/x"}"#.to_string(), "0+480x2".to_string()),
            ]
        );
        // Without `or 0 * total` too; two different metrics are not a share.
        let plain = "sum(rate(r{code=\"500\"}[5m])) / sum(rate(r[5m]))";
        let spec: crate::spec::Spec = serde_yaml_ng::from_str(&format!("version: 1\nsignals: {{s: {{expr: '{plain}'}}}}\n")).unwrap();
        assert_eq!(constant_inputs(&spec, "s", &BTreeMap::new(), 0.5, 2).unwrap().len(), 2);
        let other = crate::promql::parse("sum(rate(bad[5m])) / sum(rate(r[5m]))").unwrap();
        assert!(ratio_inputs(&other, &BTreeMap::new(), 0.5, 2).is_none());
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
