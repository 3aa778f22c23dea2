//! `promql/unknown-label`: a matcher or a `by (...)` / `on (...)` grouping
//! names a label the metric does not have, per the bundled catalogs
//! (`metrics.external` metrics and recorded series are not checked: their
//! labels are not known). Target labels (`instance`, `job` and every scrape
//! job's `labels`) are on every series.
//!
//! The label set of an expression is followed through parentheses,
//! label-preserving functions, aggregations and one-to-one binary
//! operations; anything else (`label_replace`, `group_left`, ...) stops the
//! check for that subtree rather than guess.

use std::collections::BTreeSet;

use promql_parser::label::MatchOp;
use promql_parser::parser::{Expr, LabelModifier, VectorSelector};

use super::{Check, Ctx};
use crate::catalog::{self, MetricType};
use crate::diag::Diagnostic;

pub struct PromqlLabel;

const CODE: &str = "promql/unknown-label";

/// Functions whose result keeps the labels of their (first vector) argument.
const PRESERVING: &[&str] = &[
    "abs",
    "ceil",
    "floor",
    "round",
    "sqrt",
    "exp",
    "ln",
    "log2",
    "log10",
    "clamp",
    "clamp_min",
    "clamp_max",
    "rate",
    "irate",
    "increase",
    "delta",
    "idelta",
    "deriv",
    "predict_linear",
    "resets",
    "changes",
    "avg_over_time",
    "min_over_time",
    "max_over_time",
    "sum_over_time",
    "count_over_time",
    "stddev_over_time",
    "stdvar_over_time",
    "last_over_time",
    "present_over_time",
    "quantile_over_time",
    "sort",
    "sort_desc",
    "holt_winters",
    "sgn",
    "absent_over_time",
];

/// Labels of an expression's result: `None` when unknown (stop checking).
type LabelSet = Option<BTreeSet<String>>;

struct Walk<'a> {
    target_labels: &'a BTreeSet<String>,
    problems: Vec<String>,
}

impl Walk<'_> {
    fn selector(&mut self, vs: &VectorSelector, range: bool) -> LabelSet {
        let name = crate::promql::selector_name(vs)?;
        let m = catalog::lookup(&name)?;
        let mut labels: BTreeSet<String> = m.labels.iter().map(|l| l.to_string()).collect();
        labels.extend(self.target_labels.iter().cloned());
        if name != m.name && name.ends_with("_bucket") {
            labels.insert("le".into());
        }
        if m.kind == MetricType::Summary && name == m.name {
            labels.insert("quantile".into());
        }
        for mt in &vs.matchers.matchers {
            // `label=""` also selects series without the label: always valid.
            let matches_empty = matches!(mt.op, MatchOp::Equal) && mt.value.is_empty();
            if mt.name != "__name__" && !matches_empty && !labels.contains(&mt.name) {
                self.problems.push(format!(
                    "`{name}` has no label `{}` (its labels: {})",
                    mt.name,
                    labels.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        let _ = range;
        Some(labels)
    }

    fn grouping(&mut self, what: &str, wanted: &[String], have: &LabelSet, of: &str) {
        let Some(have) = have else { return };
        for l in wanted {
            if !have.contains(l) {
                self.problems.push(format!(
                    "{what} ({l}): {of} has no label `{l}` (its labels: {})",
                    have.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }

    fn labels(&mut self, e: &Expr) -> LabelSet {
        match e {
            Expr::VectorSelector(vs) => self.selector(vs, false),
            Expr::MatrixSelector(ms) => self.selector(&ms.vs, true),
            Expr::Paren(p) => self.labels(&p.expr),
            Expr::Subquery(s) => self.labels(&s.expr),
            Expr::Unary(u) => self.labels(&u.expr),
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => None,
            Expr::Call(c) => {
                let args: Vec<LabelSet> = c.args.args.iter().map(|a| self.labels(a)).collect();
                match c.func.name {
                    "histogram_quantile" => args.get(1).cloned().flatten().map(|mut s| {
                        s.remove("le");
                        s
                    }),
                    n if PRESERVING.contains(&n) => args.into_iter().flatten().next(),
                    _ => None,
                }
            }
            Expr::Aggregate(a) => {
                if let Some(p) = &a.param {
                    self.labels(p);
                }
                let inner = self.labels(&a.expr);
                let op = a.op.to_string();
                match &a.modifier {
                    Some(LabelModifier::Include(l)) => {
                        self.grouping(&format!("{op} by"), &l.labels, &inner, "the aggregated expression");
                        if op == "count_values" {
                            None
                        } else {
                            Some(l.labels.iter().cloned().collect())
                        }
                    }
                    Some(LabelModifier::Exclude(l)) => {
                        if ["topk", "bottomk", "count_values", "limitk", "limit_ratio"].contains(&op.as_str()) {
                            return None;
                        }
                        inner.map(|s| s.into_iter().filter(|x| !l.labels.contains(x)).collect())
                    }
                    None if ["topk", "bottomk"].contains(&op.as_str()) => inner,
                    None if op == "count_values" => None,
                    None => Some(BTreeSet::new()),
                }
            }
            Expr::Binary(b) => {
                let (l, r) = (self.labels(&b.lhs), self.labels(&b.rhs));
                let scalar = |e: &Expr| {
                    matches!(e, Expr::NumberLiteral(_)) || matches!(e, Expr::Paren(p) if matches!(*p.expr, Expr::NumberLiteral(_)))
                };
                if scalar(&b.rhs) {
                    return l;
                }
                if scalar(&b.lhs) {
                    return r;
                }
                let m = b.modifier.as_ref();
                if let Some(LabelModifier::Include(on)) = m.and_then(|m| m.matching.as_ref()) {
                    self.grouping("on", &on.labels, &l, "the left-hand side");
                    self.grouping("on", &on.labels, &r, "the right-hand side");
                }
                let one_to_one = m.is_none_or(|m| matches!(m.card, promql_parser::parser::VectorMatchCardinality::OneToOne));
                if one_to_one && (m.is_none_or(|m| m.matching.is_none()) || b.op.is_set_operator()) && !b.op.to_string().eq("or") {
                    l
                } else {
                    None
                }
            }
        }
    }
}

/// Labels every scraped series carries: `instance`, `job`, scrape jobs'
/// `labels` and the labels their `relabel_configs` write.
fn target_labels(cx: &Ctx) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = ["instance", "job"].map(String::from).into();
    for j in &cx.spec.prometheus.scrape_jobs {
        out.extend(j.labels.keys().cloned());
        let written = j.options.relabel_configs.iter().filter_map(|r| r.target_label.as_ref());
        out.extend(written.filter(|l| !l.starts_with("__") && !l.contains('$')).cloned());
    }
    out
}

/// Labels of `ast`'s result per the bundled catalogs, or `None` when
/// unknown (an external metric, a recorded series, a label-changing function).
pub(crate) fn result_labels(cx: &Ctx, ast: &Expr) -> Option<BTreeSet<String>> {
    let target_labels = target_labels(cx);
    let mut w = Walk {
        target_labels: &target_labels,
        problems: Vec::new(),
    };
    w.labels(ast)
}

impl Check for PromqlLabel {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[(CODE, "a matcher or grouping names a label the metric does not have")]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let target_labels = target_labels(cx);
        let external = |n: &str| {
            cx.spec.metrics.external.iter().any(|p| match p.strip_suffix('*') {
                Some(prefix) => n.starts_with(prefix),
                None => p == n,
            })
        };
        let mut out = Vec::new();
        for e in &cx.exprs {
            let Ok(ast) = &e.ast else { continue };
            // A name declared external may mean a different exporter's metric: its labels are unknown.
            if crate::promql::metric_names(ast).iter().any(|n| external(n)) {
                continue;
            }
            let mut w = Walk {
                target_labels: &target_labels,
                problems: Vec::new(),
            };
            w.labels(ast);
            for p in w.problems {
                out.push(Diagnostic::error(CODE, e.path.to_string(), p).help(
                    "use a label the metric has (see the exporter's catalog: `genmon-exporter --catalog`), or add it as a scrape job label",
                ));
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
    fn flags_labels_the_metric_lacks() {
        for expr in [
            "node_cpu_seconds_total{core=\"0\"}",
            "sum by (mountpoint) (rate(node_cpu_seconds_total[5m]))",
            "sum by (group) (namedprocess_namegroup_num_procs)",
            "histogram_quantile(0.9, sum by (le, handler) (rate(prometheus_http_request_duration_seconds_bucket[5m]))) > on (code) prometheus_http_requests_total",
            "sum by (device) (sum by (instance) (node_load1))",
        ] {
            let spec = format!("version: 1\nsignals: {{a: {{expr: '{expr}'}}}}\n");
            assert_eq!(problems(&PromqlLabel, &spec).len(), 1, "{expr}");
        }
    }

    #[test]
    fn accepts_real_labels_and_unknown_shapes() {
        for expr in [
            "node_cpu_seconds_total{mode=\"idle\", instance=~\"$instance\", job=\"node\"}",
            "sum by (instance, device) (rate(node_network_receive_bytes_total{device!=\"lo\"}[5m]))",
            "histogram_quantile(0.95, sum by (le, probe) (rate(genmon_probe_phase_duration_seconds_bucket{phase=\"total\"}[5m])))",
            "node_load5 / on (instance) count by (instance) (node_cpu_seconds_total{mode=\"idle\"})",
            "sum by (foo) (label_replace(node_load1, \"foo\", \"$1\", \"instance\", \"(.*)\"))",
            "node_load1{nosuch=\"\"}",
            "sum by (env) (node_load1)",
            "sum by (x) (my_app_metric)",
            "sum by (zone) (node_load1)",
        ] {
            let spec = format!(
                "version: 1\nmetrics: {{external: [my_app_*]}}\nprometheus: {{scrape_jobs: [{{name: n, targets: ['a:1'], labels: {{env: prod}}, relabel_configs: [{{target_label: zone, replacement: eu}}]}}]}}\nsignals: {{a: {{expr: '{expr}'}}}}\n"
            );
            assert!(
                problems(&PromqlLabel, &spec).is_empty(),
                "{expr}: {:?}",
                problems(&PromqlLabel, &spec)
            );
        }
    }
}
