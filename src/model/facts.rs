//! What the spec says about each alert, SLO and signal beyond the rules
//! themselves: the spec alert and kind an alert came from, the parameters of
//! its condition with the watched signal's unit, the panel that shows it, and
//! each SLO's objective, period and burn-rate tiers. Resolved once in
//! [`super::lower`] for readers of the model (`genmon docs`), so none of them
//! re-derives anything from the spec.

use std::collections::BTreeMap;

use super::kinds::{self, Expansion};
use crate::spec::{self, Spec};

/// Facts of the resolved model that the rules do not carry.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// By generated alert name.
    pub alerts: BTreeMap<String, AlertFacts>,
    /// In spec order.
    pub slos: Vec<Slo>,
    /// In spec order.
    pub signals: Vec<Signal>,
    /// Per rule group, how many test cases the spec writes under its `tests:`
    /// (the last ones of its test file; the generated cases come first).
    pub spec_tests: BTreeMap<String, usize>,
}

/// Where one generated alert came from.
#[derive(Debug, Clone)]
pub struct AlertFacts {
    /// Name of the spec alert (an SLO expands to several alerts).
    pub spec_alert: String,
    /// Rule group of the spec alert.
    pub group: String,
    /// Kind key as written in the spec (`threshold`, `slo`, `expr`, …).
    pub kind: &'static str,
    /// The condition's parameters as written (`op: >`, `value: critical`).
    pub params: Vec<(String, String)>,
    /// The signal it watches, with that signal's unit.
    pub signal: Option<String>,
    pub unit: Option<String>,
    /// A threshold alert's comparison and resolved level (`>`, 0.95).
    pub threshold: Option<(String, f64)>,
    /// Signals whose recorded series the alert reads.
    pub signals: Vec<String>,
    /// The panel that shows it: dashboard uid, panel id, panel title.
    pub panel: Option<(String, u32, String)>,
}

/// A service level objective.
#[derive(Debug, Clone)]
pub struct Slo {
    /// Its `slo` label.
    pub name: String,
    pub title: String,
    /// The spec alert that declares it.
    pub spec_alert: String,
    /// Percent of good events, e.g. 99.9.
    pub objective: f64,
    pub period: spec::Duration,
    /// Multi-window multi-burn-rate tiers.
    pub tiers: Vec<BurnTier>,
    /// Generated alerts: (name, severity, role: `page`, `ticket` or `input`).
    pub alerts: Vec<(String, Option<String>, &'static str)>,
}

/// One burn-rate tier: both windows above `factor × budget`.
#[derive(Debug, Clone)]
pub struct BurnTier {
    pub long: spec::Duration,
    pub short: spec::Duration,
    pub factor: f64,
    /// Pages (else opens a ticket).
    pub page: bool,
}

/// A named signal.
#[derive(Debug, Clone)]
pub struct Signal {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub expr: String,
    pub unit: Option<String>,
    pub thresholds: Vec<(String, f64)>,
}

/// Resolve the facts; `expansions` and `links` are [`super::lower`]'s.
pub fn facts(spec: &Spec, expansions: &[Vec<(usize, Expansion)>], links: &super::lower::Links) -> Facts {
    let mut out = Facts {
        signals: spec
            .signals
            .iter()
            .map(|(name, s)| Signal {
                name: name.clone(),
                title: s.title.clone(),
                description: s.description.clone(),
                expr: s.expr.clone(),
                unit: s.unit.clone(),
                thresholds: s.thresholds.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            })
            .collect(),
        ..Facts::default()
    };
    for (g, xs) in spec.rules.iter().zip(expansions) {
        out.spec_tests.insert(g.name.clone(), g.tests.len());
        for (ai, x) in xs {
            let a = &g.alerts[*ai];
            let kind = kinds::Kind::of(a);
            let signal = kind.signal().map(str::to_string);
            let unit = signal.as_ref().and_then(|s| spec.signals.get(s)).and_then(|s| s.unit.clone());
            let threshold = match &a.condition {
                spec::Condition::Threshold(t) => {
                    let v = match &t.value {
                        spec::ThresholdValue::Number(n) => Some(*n),
                        spec::ThresholdValue::Level(l) => spec.signals.get(&t.signal).and_then(|s| s.thresholds.get(l).copied()),
                    };
                    v.map(|v| (t.op.as_str().to_string(), v))
                }
                _ => None,
            };
            for d in &x.drafts {
                out.alerts.insert(
                    d.name.clone(),
                    AlertFacts {
                        spec_alert: a.name.clone(),
                        group: g.name.clone(),
                        kind: kind_key(&a.condition),
                        params: params(&a.condition),
                        signal: signal.clone(),
                        unit: unit.clone(),
                        threshold: threshold.clone(),
                        signals: x.signals.clone(),
                        panel: links.get(&d.name).map(|(uid, id, title)| (uid.to_string(), id, title.to_string())),
                    },
                );
            }
            if let spec::Condition::Slo(s) = &a.condition {
                let name = kinds::slo_name(a, s);
                out.slos.push(Slo {
                    title: s.title.clone().unwrap_or_else(|| name.clone()),
                    name,
                    spec_alert: a.name.clone(),
                    objective: s.objective,
                    period: s.period.clone(),
                    tiers: kinds::slo::plan_of(spec, s)
                        .burns
                        .iter()
                        .map(|b| BurnTier {
                            long: spec::Duration::from_secs(b.long),
                            short: spec::Duration::from_secs(b.short),
                            factor: b.factor,
                            page: b.page,
                        })
                        .collect(),
                    alerts: x
                        .drafts
                        .iter()
                        .map(|d| {
                            (
                                d.name.clone(),
                                d.severity.map(|s| s.as_str().to_string()),
                                kinds::slo::role(&a.name, &d.name),
                            )
                        })
                        .collect(),
                });
            }
        }
    }
    out
}

/// The YAML key of an alert's kind.
fn kind_key(c: &spec::Condition) -> &'static str {
    let i = match c {
        spec::Condition::Expr(_) => 0,
        spec::Condition::Threshold(_) => 1,
        spec::Condition::Absent(_) => 2,
        spec::Condition::Anomaly(_) => 3,
        spec::Condition::Regression(_) => 4,
        spec::Condition::Exhaustion(_) => 5,
        spec::Condition::Slo(_) => 6,
        spec::Condition::Health(_) => 7,
    };
    spec::ALERT_KIND_KEYS[i]
}

/// The condition's parameters as `key: value` text, in the spec's terms.
fn params(c: &spec::Condition) -> Vec<(String, String)> {
    let v = match c {
        spec::Condition::Expr(e) => return vec![("expr".into(), e.clone())],
        spec::Condition::Threshold(k) => serde_json::to_value(k),
        spec::Condition::Absent(k) => serde_json::to_value(k),
        spec::Condition::Anomaly(k) => serde_json::to_value(k),
        spec::Condition::Regression(k) => serde_json::to_value(k),
        spec::Condition::Exhaustion(k) => serde_json::to_value(k),
        spec::Condition::Slo(k) => serde_json::to_value(k),
        spec::Condition::Health(k) => serde_json::to_value(k),
    };
    // Every kind serializes to an object (string keys, no failing
    // `Serialize`); should one ever not, say so where the parameters are
    // shown rather than show none.
    let m = match v {
        Ok(serde_json::Value::Object(m)) => m,
        Ok(other) => return vec![("error".into(), format!("the parameters are not a mapping: {other}"))],
        Err(e) => return vec![("error".into(), format!("the parameters cannot be shown: {e}"))],
    };
    m.into_iter()
        .filter(|(_, v)| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// Every alert kind shows its parameters (the seed spec has one alert of each).
    #[test]
    fn every_kind_shows_its_parameters() {
        let src = crate::spec::Source {
            name: "genmon.yaml".into(),
            text: include_str!("../../fuzz/seeds/genmon.yaml").into(),
        };
        let m = crate::pipeline::compile(&src, super::super::Profile::Local, false).unwrap().model;
        let mut kinds = std::collections::BTreeSet::new();
        for (name, f) in &m.facts.as_ref().unwrap().alerts {
            kinds.insert(f.kind);
            assert!(!f.params.is_empty(), "{name}: no parameters");
            assert!(f.params.iter().all(|(k, _)| k != "error"), "{name}: {:?}", f.params);
        }
        assert_eq!(kinds.len(), crate::spec::ALERT_KIND_KEYS.len(), "{kinds:?}");
    }
}
