//! `panel/variable`: every `$variable` a dashboard uses is defined on it;
//! `rules/variable`: rules (which Prometheus evaluates) use none.

use super::{Check, Ctx, Origin, panels};
use crate::conventions as c;
use crate::diag::Diagnostic;
use crate::promql::variables;

pub struct PanelVariable;

const UNDEFINED: &str = "panel/variable";
const IN_RULE: &str = "rules/variable";

/// Grafana's built-in variables.
const BUILTIN: &[&str] = &[
    "__rate_interval",
    "__interval",
    "__interval_ms",
    "__range",
    "__range_s",
    "__range_ms",
    "__all",
    "__dashboard",
    "__from",
    "__to",
    "__name",
    "__org",
    "__user",
    "__timeFilter",
    "timeFilter",
    "__auto",
];

impl Check for PanelVariable {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (UNDEFINED, "a dashboard uses a `$variable` it does not define"),
            (IN_RULE, "a rule expression uses a Grafana `$variable`"),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (di, d) in cx.spec.dashboards.iter().enumerate() {
            let mut defined: Vec<&str> = d.variables.iter().map(|v| v.name()).collect();
            defined.push(c::DATASOURCE_VAR);
            let mut check = |path: String, text: &str| {
                for v in variables(text) {
                    if !defined.contains(&v.as_str()) && !BUILTIN.contains(&v.as_str()) {
                        out.push(
                            Diagnostic::error(UNDEFINED, path.clone(), format!("`${v}` is not defined on dashboard `{}`", d.uid))
                                .help(format!("add a variable named `{v}` under `variables:` or remove `${v}`")),
                        );
                    }
                }
            };
            for (path, p) in panels(di, d) {
                if let Some(t) = &p.title {
                    check(format!("{path}.title"), t);
                }
                for (qi, q) in p.queries.iter().enumerate() {
                    check(format!("{path}.queries[{qi}].expr"), &q.expr);
                }
                if let Some(s) = p.signal.as_ref().and_then(|s| cx.spec.signals.get(s)) {
                    check(format!("{path}.signal"), &s.expr);
                }
            }
        }
        for e in cx.exprs.iter().filter(|e| e.origin == Origin::Rule) {
            if let Some(v) = variables(&e.text).first() {
                out.push(
                    Diagnostic::error(
                        IN_RULE,
                        e.path.clone(),
                        format!("rule expression uses Grafana variable `${v}`, which Prometheus does not know"),
                    )
                    .help("write a concrete range such as `[5m]`, or use a signal (genmon replaces its variables in rules)"),
                );
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
    fn flags_undefined_and_rule_variables() {
        let bad = "version: 1\ndashboards:\n- uid: a\n  title: A\n  panels: [{title: 'On $host', queries: [{expr: 'up{instance=~\"$instance\"}'}]}]\nrules:\n- name: g\n  alerts: [{name: A, expr: 'rate(x[$__rate_interval]) > 1'}]\n";
        assert_eq!(
            problems(&PanelVariable, bad),
            vec![
                "panel/variable@dashboards[0].panels[0].title",
                "panel/variable@dashboards[0].panels[0].queries[0].expr",
                "rules/variable@rules[0].alerts[0].expr"
            ]
        );
    }

    #[test]
    fn accepts_defined_and_builtin_variables() {
        let good = "version: 1\ndashboards:\n- uid: a\n  title: A\n  variables: [{type: query, name: instance, query: 'label_values(up, instance)'}]\n  panels: [{queries: [{expr: 'rate(x{instance=~\"$instance\"}[$__rate_interval])'}]}]\n";
        assert!(problems(&PanelVariable, good).is_empty());
    }
}
