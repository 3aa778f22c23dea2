//! Which panel shows an alert's signal. Used by lowering (the alert's
//! `dashboard_url`/`panel_url`, the panel's threshold lines) and by the
//! `alerts/panel` check, so both agree.

use std::sync::Arc;

use foldhash::HashMap;

use super::lower::panel_title_ref;
use crate::spec::{self, PanelType, Spec};

/// A panel as alerts see it, borrowed from the spec (or the generated dashboards).
#[derive(Debug, Clone)]
pub struct Shown<'s> {
    pub uid: &'s str,
    /// Panel id as lowering assigns it (rows count).
    pub id: u32,
    pub title: &'s str,
    pub signal: Option<&'s str>,
    pub timeseries: bool,
    /// The panel's queries in rule form (shared by every panel of a signal).
    pub rule_exprs: Vec<Arc<str>>,
}

/// A query in rule form and the metric names it reads.
type Form = (Arc<str>, Vec<String>);

/// Every panel, indexed by signal, by `uid/title` and by metric name.
#[derive(Debug, Default)]
pub struct PanelIndex<'s> {
    pub panels: Vec<Shown<'s>>,
    by_signal: HashMap<&'s str, usize>,
    by_ref: HashMap<(&'s str, &'s str), usize>,
    by_metric: HashMap<String, Vec<usize>>,
}

impl<'s> PanelIndex<'s> {
    /// Index the spec's panels in Grafana order.
    pub fn new(spec: &'s Spec) -> PanelIndex<'s> {
        PanelIndex::of(spec, &spec.dashboards.iter().collect::<Vec<_>>())
    }

    /// Index the panels of `boards` (the spec's and the generated
    /// dashboards) in Grafana order.
    pub fn of(spec: &'s Spec, boards: &[&'s spec::Dashboard]) -> PanelIndex<'s> {
        let window = spec.prometheus.rule_rate_window.as_str();
        let mut ix = PanelIndex::default();
        let n: usize = boards
            .iter()
            .map(|d| d.panels.len() + d.rows.iter().map(|r| r.panels.len()).sum::<usize>())
            .sum();
        ix.panels.reserve(n);
        ix.by_ref.reserve(n);
        // Rule form and metric names by query text: a signal is on many panels.
        let mut forms: HashMap<&str, Option<Form>> = HashMap::default();
        for d in boards {
            let mut id = 0u32;
            let mut add = |p: &'s spec::Panel, id: u32, ix: &mut PanelIndex<'s>| {
                // The panel's queries (`panel_queries`' order), without copying them.
                let signal_expr = p.signal.as_ref().and_then(|n| spec.signals.get(n)).map(|s| s.expr.as_str());
                let mut rule_exprs: Vec<Arc<str>> = Vec::new();
                let i = ix.panels.len();
                for e in signal_expr.into_iter().chain(p.queries.iter().map(|q| q.expr.as_str())) {
                    let form = forms.entry(e).or_insert_with(|| {
                        let rule = crate::promql::for_rule(e, window).ok()?;
                        let metrics = crate::promql::parse(&rule)
                            .map(|ast| crate::promql::metric_names(&ast))
                            .unwrap_or_default();
                        Some((rule.into(), metrics))
                    });
                    let Some((rule, metrics)) = form else { continue };
                    rule_exprs.push(rule.clone());
                    for m in metrics {
                        // A metric is on many panels: its name is copied once.
                        match ix.by_metric.get_mut(m.as_str()) {
                            Some(v) if v.last() == Some(&i) => {}
                            Some(v) => v.push(i),
                            None => {
                                ix.by_metric.insert(m.clone(), vec![i]);
                            }
                        }
                    }
                }
                let shown = Shown {
                    uid: &d.uid,
                    id,
                    title: panel_title_ref(spec, p),
                    signal: p.signal.as_deref(),
                    timeseries: p.kind == PanelType::Timeseries,
                    rule_exprs,
                };
                ix.by_ref.entry((shown.uid, shown.title)).or_insert(i);
                if let Some(s) = shown.signal {
                    match ix.by_signal.get(s) {
                        Some(&j) if ix.panels[j].timeseries || !shown.timeseries => {}
                        _ => {
                            ix.by_signal.insert(s, i);
                        }
                    }
                }
                ix.panels.push(shown);
            };
            for p in &d.panels {
                id += 1;
                add(p, id, &mut ix);
            }
            for r in &d.rows {
                id += 1; // the row itself
                for p in &r.panels {
                    id += 1;
                    add(p, id, &mut ix);
                }
            }
        }
        ix
    }

    /// The panel named `<uid>/<title>`.
    pub fn by_ref(&self, reference: &str) -> Option<&Shown<'s>> {
        let (uid, title) = reference.split_once('/').unwrap_or((reference, ""));
        self.by_ref.get(&(uid, title)).map(|&i| &self.panels[i])
    }

    /// The first panel whose queries use `metric`.
    pub fn by_metric(&self, metric: &str) -> Option<&Shown<'s>> {
        self.by_metric.get(metric).and_then(|v| v.first()).map(|&i| &self.panels[i])
    }

    /// The panel showing `signal` (a timeseries one when there is one).
    pub fn by_signal(&self, signal: &str) -> Option<&Shown<'s>> {
        self.by_signal.get(signal).map(|&i| &self.panels[i])
    }

    /// The first panel whose query, in rule form, is the expression or part of it.
    pub fn by_expr(&self, expr: &str) -> Option<&Shown<'s>> {
        let ast = crate::promql::parse(expr).ok()?;
        let mut candidates: Vec<usize> = crate::promql::metric_names(&ast)
            .iter()
            .filter_map(|m| self.by_metric.get(m))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .map(|i| &self.panels[i])
            .find(|p| p.rule_exprs.iter().any(|e| expr == &**e || expr.contains(&**e)))
    }

    /// The panel that shows an alert: its explicit `panel:`, else by signal, else by
    /// expression. (Lowering links generated SLO and health alerts itself.)
    pub fn for_alert(&self, a: &spec::Alert) -> Option<&Shown<'s>> {
        if let Some(r) = &a.panel {
            return self.by_ref(r);
        }
        let signal = super::kinds::Kind::of(a).signal();
        if let Some(sig) = signal {
            return self.by_signal(sig);
        }
        a.expr().and_then(|e| self.by_expr(e))
    }
}
