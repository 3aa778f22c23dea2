//! `alerts/panel`: every alert links to the panel that shows its signal. An
//! explicit `panel:` that matches nothing is an error; an alert no panel
//! shows is a warning (the person paged gets no graph).

use super::{Check, Ctx};
use crate::diag::Diagnostic;
use crate::model::links::PanelIndex;

pub struct AlertPanel;

const MISSING: &str = "alerts/panel";
const UNSHOWN: &str = "alerts/no-panel";

impl Check for AlertPanel {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (MISSING, "an alert's `panel:` names no existing panel"),
            (UNSHOWN, "no panel shows an alert's signal"),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        // Built on first use: a spec without alerts needs none. Whether a
        // signal is shown needs only the panels' signals, not the whole
        // index (every query's rule form and metric names).
        let index = std::cell::OnceCell::new();
        let ix = || index.get_or_init(|| PanelIndex::new(cx.spec));
        let signals = std::cell::OnceCell::new();
        let shown_signal = |sig: &str| {
            signals
                .get_or_init(|| {
                    cx.spec
                        .dashboards
                        .iter()
                        .enumerate()
                        .flat_map(|(di, d)| super::panels(di, d))
                        .filter_map(|(_, p)| p.signal.as_deref())
                        .collect::<std::collections::HashSet<&str>>()
                })
                .contains(sig)
        };
        let mut out = Vec::new();
        for (gi, g) in cx.spec.rules.iter().enumerate() {
            for (ai, a) in g.alerts.iter().enumerate() {
                let path = super::AlertAt(gi, ai);
                if let Some(r) = &a.panel {
                    if ix().by_ref(r).is_none() {
                        let (uid, title) = r.split_once('/').unwrap_or((r.as_str(), ""));
                        out.push(
                            Diagnostic::error(MISSING, format!("{path}.panel"), format!("no panel `{title}` on dashboard `{uid}`"))
                                .help("write `<dashboard uid>/<panel title>` of an existing panel"),
                        );
                    }
                    continue;
                }
                let sigs = super::panel_content::alert_signals(a);
                let shown = if a.health().is_some() {
                    // The score's panel shows the recorded `<by>:<name>:score`.
                    let rec = crate::model::kinds::expand(cx.spec, a)
                        .recs
                        .first()
                        .map(|r| r.record.clone())
                        .unwrap_or_default();
                    ix().by_expr(&rec).is_some()
                } else if let Some((_, sig)) = sigs.first() {
                    shown_signal(sig)
                } else if let Some(e) = a.expr() {
                    ix().by_expr(e).is_some()
                } else {
                    // Absence alerts watch something missing: there is nothing to graph.
                    // SLOs link to the generated `slos` dashboard.
                    true
                };
                if !shown {
                    out.push(
                        Diagnostic::warning(
                            UNSHOWN,
                            format!("{path}.name"),
                            format!("no panel shows the signal of alert `{}`", a.name),
                        )
                        .help("add a panel with the same signal or query, or point `panel:` at one"),
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
    fn flags_missing_and_unshown() {
        let bad = "version: 1\ndashboards: [{uid: d, title: D, panels: [{title: P, queries: [{expr: up}]}]}]\nrules:\n- name: g\n  alerts: [{name: A, expr: up == 0, panel: d/Nope}, {name: B, expr: foo > 1}]\n";
        assert_eq!(
            problems(&AlertPanel, bad),
            vec!["alerts/panel@rules[0].alerts[0].panel", "alerts/no-panel@rules[0].alerts[1].name"]
        );
    }

    #[test]
    fn accepts_linked_alerts() {
        let good = "version: 1\nsignals: {s: {expr: x}}\ndashboards: [{uid: d, title: D, panels: [{title: P, queries: [{expr: up}]}, {signal: s}]}]\nrules:\n- name: g\n  alerts: [{name: A, expr: up == 0}, {name: B, expr: y, panel: d/P}, {name: C, threshold: {signal: s, op: '>', value: 1}}]\n";
        assert!(problems(&AlertPanel, good).is_empty());
    }
}
