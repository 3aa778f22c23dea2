//! `panel/variable`: every `$variable` a dashboard uses is defined on it;
//! `rules/variable`: rules (which Prometheus evaluates) use none.

use super::{Check, Ctx, Origin, panels};
use crate::conventions as c;
use crate::diag::Diagnostic;
use crate::promql::variables;
use foldhash::HashMap;
use indexmap::IndexMap;

pub struct PanelVariable;

/// The dashboards showing a signal, and the variables they define.
type Showing<'a> = (Vec<&'a str>, Vec<&'a str>);

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
        // A signal's undefined variable is one typo in the signal, however
        // many panels show it: (signal, variable) → dashboards, their variables.
        let mut in_signals: IndexMap<(&str, String), Showing> = IndexMap::new();
        // The variables of each distinct text, found once: every panel of a
        // signal shows the same expression.
        let mut found: HashMap<&str, Vec<String>> = HashMap::default();
        for (di, d) in cx.spec.dashboards.iter().enumerate() {
            let mut defined: Vec<&str> = d.variables.iter().map(|v| v.name()).collect();
            defined.push(c::DATASOURCE_VAR);
            for (path, p) in panels(di, d) {
                // The panel's own texts: its title and its queries (by index).
                let title = p.title.iter().map(|t| (None, t.as_str()));
                let queries = p.queries.iter().enumerate().map(|(qi, q)| (Some(qi), q.expr.as_str()));
                for (query, text) in title.chain(queries) {
                    for v in undefined(&mut found, text, &defined) {
                        let at = match query {
                            None => format!("{path}.title"),
                            Some(qi) => format!("{path}.queries[{qi}].expr"),
                        };
                        out.push(problem(at, text, &v, &format!("dashboard `{}`", d.uid), &defined));
                    }
                }
                if let Some((name, s)) = p.signal.as_ref().and_then(|s| cx.spec.signals.get_key_value(s)) {
                    for v in undefined(&mut found, &s.expr, &defined) {
                        let (uids, vars) = in_signals.entry((name.as_str(), v)).or_default();
                        if !uids.contains(&d.uid.as_str()) {
                            uids.push(&d.uid);
                            for x in &defined {
                                if !vars.contains(x) {
                                    vars.push(x);
                                }
                            }
                        }
                    }
                }
            }
        }
        for ((name, v), (uids, vars)) in in_signals {
            let Some(s) = cx.spec.signals.get(name) else { continue };
            let shown = uids.iter().map(|u| format!("`{u}`")).collect::<Vec<_>>().join(", ");
            let on = format!(
                "dashboard{} {shown}, which show{} signal `{name}`",
                if uids.len() == 1 { "" } else { "s" },
                if uids.len() == 1 { "s" } else { "" }
            );
            out.push(problem(format!("signals.{name}.expr"), &s.expr, &v, &on, &vars));
        }
        for e in cx.exprs.iter().filter(|e| e.origin == Origin::Rule) {
            if let Some(v) = variables(&e.text).first() {
                out.push(
                    Diagnostic::error(
                        IN_RULE,
                        e.path.to_string(),
                        format!("rule expression uses Grafana variable `${v}`, which Prometheus does not know"),
                    )
                    .help("write a concrete range such as `[5m]`, or use a signal (genmon replaces its variables in rules)"),
                );
            }
        }
        out
    }
}

/// The variables `text` uses that are neither `defined` nor built in; those
/// of each distinct text are found once.
fn undefined<'a>(found: &mut HashMap<&'a str, Vec<String>>, text: &'a str, defined: &[&str]) -> Vec<String> {
    found
        .entry(text)
        .or_insert_with(|| variables(text))
        .iter()
        .filter(|v| !defined.contains(&v.as_str()) && !BUILTIN.contains(&v.as_str()))
        .cloned()
        .collect()
}

/// `$v` is not defined `on`; pointed at in `text`, with the nearest defined name.
fn problem(path: String, text: &str, v: &str, on: &str, defined: &[&str]) -> Diagnostic {
    let help = match crate::diag::did_you_mean(v, defined.iter().copied()) {
        Some(b) => format!("did you mean `${b}`?"),
        None => format!("add a variable named `{v}` under `variables:` or remove `${v}`"),
    };
    let d = Diagnostic::error(UNDEFINED, path, format!("`${v}` is not defined on {on}")).help(help);
    match var_span(text, v) {
        Some(r) => d.within(r, text),
        None => d,
    }
}

/// Where `$v`, `${v}` or `${v:fmt}` first appears in `text`.
fn var_span(text: &str, v: &str) -> Option<std::ops::Range<usize>> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let braced = format!("${{{v}");
    if let Some(i) = text
        .match_indices(&braced)
        .map(|(i, _)| i)
        .find(|i| text[i + braced.len()..].starts_with(['}', ':']))
    {
        let end = text[i..].find('}').map_or(text.len(), |j| i + j + 1);
        return Some(i..end);
    }
    let plain = format!("${v}");
    text.match_indices(&plain)
        .map(|(i, _)| i)
        .find(|i| !text[i + plain.len()..].starts_with(ident))
        .map(|i| i..i + plain.len())
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
    fn a_signal_typo_is_reported_once_at_the_signal() {
        let bad = "version: 1\nsignals: {cpu: {expr: 'up{instance=~\"$instanse\"}'}}\ndashboards:\n- uid: a\n  title: A\n  variables: [{type: query, name: instance, query: 'label_values(up, instance)'}]\n  panels: [{signal: cpu}, {signal: cpu}]\n- uid: b\n  title: B\n  panels: [{signal: cpu}]\n";
        assert_eq!(problems(&PanelVariable, bad), vec!["panel/variable@signals.cpu.expr"]);
        let spec: crate::spec::Spec = serde_yaml_ng::from_str(bad).unwrap();
        let d = &PanelVariable.run(&Ctx::new(&spec))[0];
        assert_eq!(d.help.as_deref(), Some("did you mean `$instance`?"));
        assert!(d.message.contains("dashboards `a`, `b`"), "{}", d.message);
        assert_eq!(d.within.as_ref().map(|w| w.0.clone()), Some(14..23));
    }

    #[test]
    fn var_spans() {
        assert_eq!(var_span("x{a=~\"$inst\"} $instance", "instance"), Some(14..23));
        assert_eq!(var_span("x[${step:text}]", "step"), Some(2..14));
    }

    #[test]
    fn accepts_defined_and_builtin_variables() {
        let good = "version: 1\ndashboards:\n- uid: a\n  title: A\n  variables: [{type: query, name: instance, query: 'label_values(up, instance)'}]\n  panels: [{queries: [{expr: 'rate(x{instance=~\"$instance\"}[$__rate_interval])'}]}]\n";
        assert!(problems(&PanelVariable, good).is_empty());
    }
}
