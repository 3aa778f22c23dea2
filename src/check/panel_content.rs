//! `panel/signal`, `panel/empty`, `panel/size`: every panel shows something
//! that exists and fits the 24-column grid.

use super::{Check, Ctx, panels};
use crate::diag::Diagnostic;
use crate::spec::PanelType;

pub struct PanelContent;

const SIGNAL: &str = "panel/signal";
const EMPTY: &str = "panel/empty";
const SIZE: &str = "panel/size";

impl Check for PanelContent {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (SIGNAL, "a panel or alert names a signal that is not defined"),
            (EMPTY, "a panel has no query (or a text panel no content)"),
            (SIZE, "a panel's width is not 1-24 or its height is 0"),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let known: Vec<&str> = cx.spec.signals.keys().map(String::as_str).collect();
        let unknown = |path: String, name: &str| {
            let mut d = Diagnostic::error(SIGNAL, path, format!("signal `{name}` is not defined"));
            let best = known
                .iter()
                .min_by_key(|k| strsim::levenshtein(k, name))
                .filter(|k| strsim::levenshtein(k, name) <= 3);
            d = match best {
                Some(b) => d.help(format!("did you mean `{b}`?")),
                None => d.help("define it under `signals:` or fix the name"),
            };
            d
        };
        for (di, dash) in cx.spec.dashboards.iter().enumerate() {
            for (path, p) in panels(di, dash) {
                if let Some(s) = &p.signal
                    && !cx.spec.signals.contains_key(s)
                {
                    out.push(unknown(format!("{path}.signal"), s));
                }
                if p.kind == PanelType::Text {
                    if p.content.as_deref().unwrap_or("").is_empty() {
                        out.push(
                            Diagnostic::error(EMPTY, path.to_string(), "text panel has no `content`").help("add `content:` with Markdown"),
                        );
                    }
                } else if p.signal.is_none() && p.queries.is_empty() {
                    out.push(
                        Diagnostic::error(EMPTY, path.to_string(), "panel has neither `signal` nor `queries`")
                            .help("add `signal: <name>` or `queries: [{expr: ...}]`"),
                    );
                }
                if let Some(w) = p.width
                    && !(1..=24).contains(&w)
                {
                    out.push(
                        Diagnostic::error(SIZE, format!("{path}.width"), format!("width {w} does not fit the 24-column grid"))
                            .help("use a width from 1 to 24"),
                    );
                }
                if p.height == Some(0) {
                    out.push(
                        Diagnostic::error(SIZE, format!("{path}.height"), "height 0 hides the panel")
                            .help("use a height of 1 or more (8 is a usual graph)"),
                    );
                }
            }
        }
        for (gi, g) in cx.spec.rules.iter().enumerate() {
            for (ai, a) in g.alerts.iter().enumerate() {
                for (field, sig) in alert_signals(a) {
                    if !cx.spec.signals.contains_key(sig) {
                        out.push(unknown(format!("rules[{gi}].alerts[{ai}].{field}"), sig));
                    }
                }
            }
        }
        out
    }
}

/// Every signal an alert names, with its spec path below the alert.
pub fn alert_signals(a: &crate::spec::Alert) -> Vec<(String, &String)> {
    let mut out = Vec::new();
    if let Some(t) = a.threshold() {
        out.push(("threshold.signal".to_string(), &t.signal));
    }
    if let Some(x) = a.anomaly() {
        out.push(("anomaly.signal".to_string(), &x.signal));
    }
    if let Some(x) = a.regression() {
        out.push(("regression.signal".to_string(), &x.signal));
    }
    if let Some(x) = a.exhaustion() {
        out.push(("exhaustion.signal".to_string(), &x.signal));
    }
    if let Some(h) = a.health() {
        out.extend(
            h.components
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("health.components[{i}].signal"), &c.signal)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn flags_missing_content_signal_and_size() {
        let bad = "version: 1\nsignals: {cpu: {expr: up}}\ndashboards:\n- uid: a\n  title: A\n  panels:\n  - {title: x}\n  - {type: text}\n  - {signal: cpuu, width: 25, height: 0}\n";
        assert_eq!(
            problems(&PanelContent, bad),
            vec![
                "panel/empty@dashboards[0].panels[0]",
                "panel/empty@dashboards[0].panels[1]",
                "panel/signal@dashboards[0].panels[2].signal",
                "panel/size@dashboards[0].panels[2].width",
                "panel/size@dashboards[0].panels[2].height"
            ]
        );
    }

    #[test]
    fn accepts_good_panels() {
        let good = "version: 1\nsignals: {cpu: {expr: up}}\ndashboards:\n- uid: a\n  title: A\n  panels:\n  - {signal: cpu, width: 24}\n  - {type: text, content: hi}\n  - {queries: [{expr: up}]}\n";
        assert!(problems(&PanelContent, good).is_empty());
    }

    #[test]
    fn flags_unknown_signals_of_every_alert_kind() {
        let bad = "version: 1\nsignals: {cpu: {expr: up}}\nrules:\n- name: g\n  alerts:\n  - {name: A, anomaly: {signal: cpuu}}\n  - {name: B, regression: {signal: x, percent: 10}}\n  - {name: C, exhaustion: {signal: y, within: 1h}}\n  - {name: D, health: {name: h, components: [{signal: cpu, bad: 1}, {signal: z, bad: 1}]}}\n";
        assert_eq!(
            problems(&PanelContent, bad),
            vec![
                "panel/signal@rules[0].alerts[0].anomaly.signal",
                "panel/signal@rules[0].alerts[1].regression.signal",
                "panel/signal@rules[0].alerts[2].exhaustion.signal",
                "panel/signal@rules[0].alerts[3].health.components[1].signal"
            ]
        );
        let good = "version: 1\nsignals: {cpu: {expr: up}}\nrules:\n- name: g\n  alerts: [{name: A, anomaly: {signal: cpu}}, {name: D, health: {name: h, components: [{signal: cpu, bad: 1}]}}]\n";
        assert!(problems(&PanelContent, good).is_empty());
    }
}
