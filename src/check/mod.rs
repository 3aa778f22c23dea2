//! Semantic checks of the whole spec. Each check lives in its own file, has a
//! stable `area/name` code and returns its problems; [`run`] runs them all
//! (the one list is [`ALL`]) and resolves every problem's spec path to a
//! file position.

mod alert_fields;
pub(crate) mod alert_kind;
mod alert_name;
mod alert_panel;
mod alert_untested;
mod alert_values;
pub(crate) mod alertmanager_routes;
mod dashboard_ids;
mod durations;
pub mod engine;
mod exporter_config;
mod label_names;
mod output_paths;
mod panel_content;
mod panel_unit;
mod panel_variable;
pub(crate) mod promql_label;
mod promql_metric;
mod promql_parse;
mod promql_rate;
mod rule_groups;
mod rule_record_name;
mod scrape_config;
mod scrape_jobs;
mod services;
mod stack_ports;
mod template_syntax;
mod threshold_by;
pub mod units;
mod url_safety;

use promql_parser::parser::Expr;

use crate::diag::Diagnostic;
use crate::spec::{Positions, Spec};

/// A check: one concern, one or a few stable codes.
pub trait Check: Sync {
    /// The codes this check can emit, with a one-line description each.
    fn codes(&self) -> &'static [(&'static str, &'static str)];
    /// Find problems.
    fn run(&self, cx: &Ctx) -> Vec<Diagnostic>;
    /// Whether it reads the lowered model ([`Ctx::model`], [`Ctx::recorded`]):
    /// the pipeline runs the checks that do not while it lowers.
    fn reads_model(&self) -> bool {
        false
    }
}

/// Every check, in the order their problems are reported.
pub static ALL: &[&dyn Check] = &[
    &dashboard_ids::DashboardIds,
    &panel_content::PanelContent,
    &panel_unit::PanelUnit,
    &panel_variable::PanelVariable,
    &promql_parse::PromqlParse,
    &promql_rate::PromqlRate,
    &promql_metric::PromqlMetric,
    &promql_label::PromqlLabel,
    &alert_kind::AlertKind,
    &alert_fields::AlertFields,
    &alert_name::AlertName,
    &alert_panel::AlertPanel,
    &alert_untested::AlertUntested,
    &alert_values::AlertValues,
    &rule_record_name::RecordName,
    &rule_groups::RuleGroups,
    &alertmanager_routes::AlertmanagerRoutes,
    &scrape_jobs::ScrapeJobs,
    &scrape_config::ScrapeConfig,
    &services::Services,
    &exporter_config::ExporterConfig,
    &output_paths::OutputPaths,
    &durations::Durations,
    &label_names::LabelNames,
    &template_syntax::TemplateSyntax,
    &stack_ports::StackPorts,
    &url_safety::UrlSafety,
    &engine::EngineSection,
    &threshold_by::ThresholdBy,
];

/// Where an expression comes from: dashboards may use Grafana variables, rules may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Signal,
    Panel,
    Rule,
}

/// One PromQL expression of the spec, parsed once for all checks.
pub struct SpecExpr<'a> {
    pub path: ExprAt<'a>,
    pub text: std::borrow::Cow<'a, str>,
    pub origin: Origin,
    pub ast: Result<std::sync::Arc<Expr>, String>,
}

/// Where an expression is in the spec, written out only when a diagnostic
/// names it (a clean bench spec has 6,000 expressions and no diagnostic).
#[derive(Clone, Copy)]
pub enum ExprAt<'a> {
    /// `signals.<name>.expr`
    Signal(&'a str),
    /// `<panel>.queries[q].expr`
    Query(PanelPath, usize),
    /// `rules[g].recording[r].expr`
    Recording(usize, usize),
    /// `rules[g].alerts[a].<field>` (`expr`, `absent.selector`, `slo.bad`, ...).
    Alert(AlertAt, &'static str),
}

impl std::fmt::Display for ExprAt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExprAt::Signal(name) => write!(f, "signals.{name}.expr"),
            ExprAt::Query(panel, q) => write!(f, "{panel}.queries[{q}].expr"),
            ExprAt::Recording(g, r) => write!(f, "rules[{g}].recording[{r}].expr"),
            ExprAt::Alert(at, field) => write!(f, "{at}.{field}"),
        }
    }
}

/// What every check sees.
pub struct Ctx<'a> {
    pub spec: &'a Spec,
    pub exprs: Vec<SpecExpr<'a>>,
    /// Alert names covered by user test files beside the spec (`alerts/tests/*.test.yml`).
    pub tested_elsewhere: Vec<String>,
    model: std::sync::OnceLock<crate::model::Model>,
    /// A model the caller already lowered (the pipeline lowers once for checks and renderers).
    given_model: Option<&'a crate::model::Model>,
}

impl<'a> Ctx<'a> {
    /// Collect and parse every expression of the spec.
    pub fn new(spec: &'a Spec) -> Ctx<'a> {
        use std::borrow::Cow;
        let mut found: Vec<(ExprAt<'a>, Cow<'a, str>, Origin)> = Vec::new();
        let mut add = |path: ExprAt<'a>, text: Cow<'a, str>, origin: Origin| found.push((path, text, origin));
        for (name, s) in &spec.signals {
            add(ExprAt::Signal(name), Cow::Borrowed(&s.expr), Origin::Signal);
        }
        for (di, d) in spec.dashboards.iter().enumerate() {
            for (path, p) in panels(di, d) {
                for (qi, q) in p.queries.iter().enumerate() {
                    add(ExprAt::Query(path, qi), Cow::Borrowed(&q.expr), Origin::Panel);
                }
            }
        }
        for (gi, g) in spec.rules.iter().enumerate() {
            for (ri, r) in g.recording.iter().enumerate() {
                add(ExprAt::Recording(gi, ri), Cow::Borrowed(&r.expr), Origin::Rule);
            }
            for (ai, a) in g.alerts.iter().enumerate() {
                let at = |field| ExprAt::Alert(AlertAt(gi, ai), field);
                if let Some(e) = a.expr() {
                    add(at("expr"), Cow::Borrowed(e), Origin::Rule);
                }
                if let Some(sel) = a.absent().and_then(|x| x.selector.as_ref()) {
                    add(at("absent.selector"), Cow::Borrowed(sel), Origin::Rule);
                }
                if let Some(s) = a.slo() {
                    for (field, sel) in [("slo.bad", &s.bad), ("slo.good", &s.good), ("slo.total", &s.total)] {
                        if let Some(sel) = sel {
                            add(at(field), Cow::Borrowed(sel), Origin::Rule);
                        }
                    }
                    if let Some(l) = &s.latency {
                        let (name, rest) = l.histogram.split_at(l.histogram.find('{').unwrap_or(l.histogram.len()));
                        add(
                            at("slo.latency.histogram"),
                            Cow::Owned(format!("{name}_bucket{rest}")),
                            Origin::Rule,
                        );
                    }
                }
            }
        }
        // Parsing is most of the work and independent per expression.
        let asts = crate::par::map(&found, |(_, text, _)| crate::promql::parse(text));
        let exprs = found
            .into_iter()
            .zip(asts)
            .map(|((path, text, origin), ast)| SpecExpr { path, text, origin, ast })
            .collect();
        Ctx {
            spec,
            exprs,
            tested_elsewhere: Vec::new(),
            model: std::sync::OnceLock::new(),
            given_model: None,
        }
    }
}

impl<'a> Ctx<'a> {
    /// Give the checks the model the caller lowered.
    pub fn set_model(&mut self, model: &'a crate::model::Model) {
        self.given_model = Some(model);
    }

    /// The lowered model (generated rules, tests), built once for the checks that need it.
    pub fn model(&self) -> &crate::model::Model {
        if let Some(m) = self.given_model {
            return m;
        }
        self.model
            .get_or_init(|| crate::model::lower(self.spec, crate::model::Profile::Compose))
    }

    /// Every series the rules genmon writes record (the spec's recording
    /// rules and those its alert kinds generate), read off the lowered model
    /// rather than expanding every alert a second time. Sorted, so "did you
    /// mean" picks the same name on every run.
    pub fn recorded(&self) -> std::collections::BTreeSet<&str> {
        self.model()
            .groups
            .iter()
            .flat_map(|g| &g.rules)
            .filter_map(|r| match r {
                crate::model::Rule::Recording { record, .. } => Some(record.as_str()),
                crate::model::Rule::Alert(_) => None,
            })
            .collect()
    }
}

/// Where a panel is in the spec: `dashboards[d].panels[p]` or
/// `dashboards[d].rows[r].panels[p]`, written out only when a problem names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PanelPath {
    dashboard: usize,
    row: Option<usize>,
    panel: usize,
}

impl std::fmt::Display for PanelPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.row {
            None => write!(f, "dashboards[{}].panels[{}]", self.dashboard, self.panel),
            Some(r) => write!(f, "dashboards[{}].rows[{r}].panels[{}]", self.dashboard, self.panel),
        }
    }
}

impl PanelPath {
    /// The index of the panel's dashboard in `dashboards`.
    pub fn dashboard(&self) -> usize {
        self.dashboard
    }
}

/// Every panel of a dashboard with its spec path (top-level panels, then rows').
pub fn panels(di: usize, d: &crate::spec::Dashboard) -> impl Iterator<Item = (PanelPath, &crate::spec::Panel)> {
    let at = move |row, panel| PanelPath { dashboard: di, row, panel };
    let top = d.panels.iter().enumerate().map(move |(pi, p)| (at(None, pi), p));
    let rows = d
        .rows
        .iter()
        .enumerate()
        .flat_map(move |(ri, r)| r.panels.iter().enumerate().map(move |(pi, p)| (at(Some(ri), pi), p)));
    top.chain(rows)
}

/// Every code any check can emit (for docs and tests).
pub fn all_codes() -> Vec<(&'static str, &'static str)> {
    ALL.iter().flat_map(|c| c.codes().iter().copied()).collect()
}

/// Problems of each check in [`ALL`] that `pick` selects, by its place in `ALL`.
pub fn run_checks(cx: &Ctx, pick: impl Fn(&dyn Check) -> bool) -> Vec<(usize, Vec<Diagnostic>)> {
    let picked: Vec<usize> = (0..ALL.len()).filter(|&i| pick(ALL[i])).collect();
    // Lowered before the checks run side by side, never inside one of them:
    // a thread of the pool waiting on lowering's own parallel parts may pick
    // up another check, which would then wait on the model it is building.
    if picked.iter().any(|&i| ALL[i].reads_model()) {
        cx.model();
    }
    crate::par::map(&picked, |&i| (i, ALL[i].run(cx)))
}

/// Problems of [`run_checks`] calls in [`ALL`]'s order, located.
pub fn finish(mut parts: Vec<(usize, Vec<Diagnostic>)>, positions: &Positions, strict: bool) -> Vec<Diagnostic> {
    parts.sort_by_key(|(i, _)| *i);
    let mut out: Vec<Diagnostic> = parts.into_iter().flat_map(|(_, d)| d).collect();
    locate(&mut out, positions, strict);
    out
}

/// Give diagnostics their file positions from their spec paths; `strict`
/// turns warnings into errors.
pub fn locate(out: &mut [Diagnostic], positions: &Positions, strict: bool) {
    for d in out {
        if d.pos.is_none() {
            d.pos = match &d.within {
                Some((r, text)) => positions.within(&d.path, r.clone(), text).or_else(|| positions.value(&d.path)),
                None => positions.value(&d.path),
            };
            d.key = positions.key_of(&d.path);
        }
        if strict {
            d.level = crate::diag::Level::Error;
        }
    }
}

/// `rules[g].alerts[a]`, the spec path of an alert: written out only when a
/// diagnostic names it (a clean spec's checks format none of 2,000 paths).
#[derive(Clone, Copy)]
pub struct AlertAt(pub usize, pub usize);

impl std::fmt::Display for AlertAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rules[{}].alerts[{}]", self.0, self.1)
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Table-driven helpers for the per-check tests.
    use super::*;

    /// Run one check on a YAML spec and return `code@path` of each problem.
    pub fn problems(check: &dyn Check, yaml: &str) -> Vec<String> {
        let spec: Spec = serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("test spec does not load: {e}"));
        let cx = Ctx::new(&spec);
        check.run(&cx).into_iter().map(|d| format!("{}@{}", d.code, d.path)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f` on the project's own spec (packs composed, services expanded) and its positions.
    fn on_project_spec(f: impl FnOnce(&Spec, &Positions)) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("genmon.yaml");
        let src = crate::spec::Source::read(&path).expect("genmon.yaml");
        let composed = crate::compose::load(&src).expect("genmon.yaml loads");
        let expanded = crate::services::expand(&composed.loaded.spec);
        f(
            expanded.as_ref().map_or(&composed.loaded.spec, |(s, _)| s),
            &composed.loaded.positions,
        );
    }

    /// The pipeline runs the checks whose `reads_model` is false before the
    /// model exists: such a check lowering the spec on its own would be a
    /// second lowering, silently. Probed on the project's own spec.
    #[test]
    fn checks_that_skip_the_model_never_lower_it() {
        on_project_spec(|spec, _| {
            assert!(
                spec.rules.iter().flat_map(|g| &g.alerts).count() > 20,
                "a spec with alerts of every kind"
            );
            let mut lowered_by = Vec::new();
            for c in ALL {
                let cx = Ctx::new(spec);
                c.run(&cx);
                let code = c.codes()[0].0;
                if cx.model.get().is_some() {
                    assert!(c.reads_model(), "`{code}` lowers the spec: its `reads_model` must say so");
                    lowered_by.push(code);
                }
            }
            // The probe sees a check that does read the model.
            assert!(lowered_by.contains(&"alerts/untested"), "{lowered_by:?}");
        });
    }

    /// Without a lowered model the checks lower it themselves (up front, see
    /// `run_checks`) and find what they find with the model handed in.
    #[test]
    fn checks_without_a_given_model_lower_it_first() {
        on_project_spec(|spec, positions| {
            let model = crate::model::lower(spec, crate::model::Profile::Compose);
            let all = |model: Option<&crate::model::Model>| {
                let mut cx = Ctx::new(spec);
                if let Some(m) = model {
                    cx.set_model(m);
                }
                finish(run_checks(&cx, |_| true), positions, false)
            };
            for _ in 0..5 {
                let (alone, given) = (all(None), all(Some(&model)));
                let key = |d: &Vec<Diagnostic>| d.iter().map(|d| format!("{}@{}", d.code, d.path)).collect::<Vec<_>>();
                assert_eq!(key(&alone), key(&given));
            }
        });
    }
}
