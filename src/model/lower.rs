//! Spec → Model. The pipeline runs the checks on this model and renders it
//! only when they pass; where the spec is inconsistent (which a check
//! reports) lowering leaves the piece out rather than inventing a value.

use std::collections::BTreeMap;

use super::kinds::{self, Draft, Expansion};
use super::layout::{Flow, size};
use super::*;
use crate::conventions as c;
use crate::spec::{self, PanelType};

/// Resolve the spec for `profile`.
pub fn lower(spec: &Spec, profile: Profile) -> Model {
    lower_with(spec, profile, true)
}

/// [`lower`], resolving the [`Model::facts`] only when `facts`.
pub fn lower_with(spec: &Spec, profile: Profile, facts: bool) -> Model {
    let t = crate::pipeline::Timer::start();
    // genmon's own dashboards go after the spec's (the spec is not copied).
    let generated = generated_dashboards(spec);
    let boards: Vec<&spec::Dashboard> = spec.dashboards.iter().chain(&generated).collect();
    t.lap("l.spec");
    // Independent pieces side by side: a core idle in one's sequential part
    // takes work from the other. The panel index only links alerts to
    // panels: a spec without alerts needs none.
    let alerts = spec.rules.iter().any(|g| !g.alerts.is_empty());
    // Each draft's cases leave its expansion as it is made: they move into
    // the tests they become (nothing else reads them).
    let (expanded, (panels, bands, folders)) = crate::par::join(
        || -> Vec<(Vec<(usize, Expansion)>, GroupCases)> {
            crate::par::map(&spec.rules, |g| {
                let mut cases = Vec::new();
                let xs = g
                    .alerts
                    .iter()
                    .enumerate()
                    .map(|(i, a)| {
                        let mut x = kinds::expand(spec, a);
                        cases.extend(x.drafts.iter_mut().map(|d| std::mem::take(&mut d.cases)));
                        (i, x)
                    })
                    .collect();
                (xs, cases)
            })
        },
        || {
            let panels = if alerts {
                super::links::PanelIndex::of(spec, &boards)
            } else {
                super::links::PanelIndex::default()
            };
            (panels, kinds::all_alert_bands(spec), folders(spec))
        },
    );
    let (expansions, cases): (Vec<_>, Vec<_>) = expanded.into_iter().unzip();
    t.lap("l.expand");
    let (links, (watched, extras)) = crate::par::join(
        || alert_links(&panels, spec, &expansions),
        || (watched(spec), extras(&expansions, bands)),
    );
    t.lap("l.links");
    let (dashboards, ((groups, tests), facts)) = crate::par::join(
        || crate::par::map(&boards, |d| dashboard(spec, d, &folders, &watched, &links, &extras)),
        || {
            crate::par::join(
                || groups(spec, &boards, &expansions, cases, &links),
                || {
                    drop(panels);
                    facts.then(|| super::facts::facts(spec, &expansions, &links))
                },
            )
        },
    );
    // What only lowering read is freed while the caller goes on.
    drop(links);
    crate::par::drop_later((expansions, extras, generated));
    t.lap("l.build");
    let mut m = Model {
        stack: spec.stack.clone(),
        prometheus: spec.prometheus.clone(),
        grafana: crate::spec::Grafana {
            folders,
            ..spec.grafana.clone()
        },
        alertmanager: crate::spec::Alertmanager {
            // The URL users open Alertmanager at: the stack's own port unless set.
            external_url: Some(
                spec.alertmanager
                    .external_url
                    .clone()
                    .unwrap_or_else(|| format!("http://127.0.0.1:{}/", spec.stack.alertmanager_port)),
            ),
            ..spec.alertmanager.clone()
        },
        exporter: spec.exporter.clone(),
        kubernetes: spec.kubernetes.clone(),
        profile,
        dashboards,
        groups,
        scrape_jobs: Vec::new(),
        tests,
        facts,
        engine: None,
    };
    m.scrape_jobs = scrape_jobs(&m);
    t.lap("l.model");
    m
}

/// genmon's own dashboards (`alerts-overview`, `slos`) that the spec does
/// not define itself.
fn generated_dashboards(spec: &Spec) -> Vec<spec::Dashboard> {
    let mut out = Vec::new();
    if !spec.dashboards.iter().any(|d| d.uid == c::DASHBOARD_ALERTS) {
        out.push(super::dashboards::alerts_overview());
    }
    if let Some(d) = super::dashboards::slos(spec)
        && !spec.dashboards.iter().any(|x| x.uid == c::DASHBOARD_SLOS)
    {
        out.push(d);
    }
    out
}

/// The spec's Grafana folders and the generated dashboards' own.
fn folders(spec: &Spec) -> BTreeMap<String, String> {
    let mut f = spec.grafana.folders.clone();
    f.entry(c::FOLDER_ALERTS.to_string()).or_insert_with(|| "Alerts".to_string());
    f
}

/// A rule group's generated test cases, draft by draft.
type GroupCases = Vec<Vec<kinds::Case>>;

/// A rule group with the recordings it reads, its tests and the alerts they cover.
type GroupOut = (RuleGroup, Vec<String>, Vec<crate::spec::RuleTest>, Vec<String>);

/// What panels need from the alerts: recorded series where low is bad
/// (with the alert's level), and dynamic alert limits per signal.
struct Extras {
    low_bad: Vec<(String, Option<f64>)>,
    /// Titles of generated panels that draw their thresholds as lines (SLO burn rates).
    line_panels: Vec<String>,
    bands: BTreeMap<String, Vec<(String, String)>>,
}

/// Which panel each alert links to (dashboard uid, panel id, title) and each
/// dashboard's linked alerts, borrowed from the spec, the generated
/// dashboards and the expansions. An alert name given twice links as its
/// last draft does.
#[derive(Default)]
pub struct Links<'a> {
    by_alert: foldhash::HashMap<&'a str, (&'a str, u32, &'a str)>,
    /// Alert names by dashboard uid, sorted.
    by_dashboard: foldhash::HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> Links<'a> {
    /// The panel alert `name` links to.
    pub fn get(&self, name: &str) -> Option<(&'a str, u32, &'a str)> {
        self.by_alert.get(name).copied()
    }

    /// The alerts linking to dashboard `uid`, by name.
    fn of_dashboard(&self, uid: &str) -> &[&'a str] {
        self.by_dashboard.get(uid).map_or(&[], Vec::as_slice)
    }
}

/// Which panel shows each alert's signal: the explicit `panel:` reference, else
/// the first panel showing the same named signal, else the first panel whose
/// query, in rule form, equals the alert's expression or appears in it.
fn alert_links<'a>(ix: &super::links::PanelIndex<'a>, spec: &'a Spec, expansions: &'a [Vec<(usize, Expansion)>]) -> Links<'a> {
    let mut out = Links::default();
    for (g, xs) in spec.rules.iter().zip(expansions) {
        for (ai, x) in xs {
            let a = &g.alerts[*ai];
            for draft in &x.drafts {
                let found = if let Some(r) = &a.panel {
                    ix.by_ref(r)
                } else {
                    match &draft.link {
                        kinds::LinkKey::Signal(sig) => ix.by_signal(sig),
                        kinds::LinkKey::Expr(expr) => ix.by_expr(expr),
                        kinds::LinkKey::Panel(uid, title) => ix.by_ref(&format!("{uid}/{title}")),
                        kinds::LinkKey::Metric(m) => ix.by_metric(m),
                        kinds::LinkKey::None => None,
                    }
                };
                if let Some(p) = found {
                    out.by_alert.insert(&draft.name, (p.uid, p.id, p.title));
                }
            }
        }
    }
    for (&name, &(uid, _, _)) in &out.by_alert {
        out.by_dashboard.entry(uid).or_default().push(name);
    }
    for names in out.by_dashboard.values_mut() {
        names.sort_unstable();
    }
    out
}

/// A panel's title: its own, else its signal's title, else the signal's name.
pub fn panel_title_ref<'a>(spec: &'a Spec, p: &'a spec::Panel) -> &'a str {
    title_of(p, p.signal.as_ref().and_then(|n| spec.signals.get(n)))
}

/// [`panel_title_ref`] of a panel whose signal was looked up already.
fn title_of<'a>(p: &'a spec::Panel, signal: Option<&'a spec::Signal>) -> &'a str {
    if let Some(t) = &p.title {
        return t;
    }
    if let Some(name) = &p.signal {
        return signal.and_then(|s| s.title.as_deref()).unwrap_or(name);
    }
    ""
}

/// A panel's queries: its signal's first, then its own.
///
/// `signal` is the panel's signal, looked up by the caller.
fn panel_queries(p: &spec::Panel, signal: Option<&spec::Signal>) -> Vec<spec::Query> {
    let mut out = Vec::with_capacity(usize::from(signal.is_some()) + p.queries.len());
    if let Some(s) = signal {
        let instant = matches!(p.kind, PanelType::Stat | PanelType::Gauge | PanelType::Bargauge | PanelType::Table);
        out.push(spec::Query {
            expr: s.expr.clone(),
            legend: s.legend.clone(),
            instant,
            format: if p.kind == PanelType::Table {
                spec::QueryFormat::Table
            } else {
                spec::QueryFormat::TimeSeries
            },
        });
    }
    out.extend(p.queries.iter().cloned());
    out
}

fn level_color(level: &str) -> &'static str {
    match level {
        "critical" | "page" => "red",
        "warning" | "ticket" => "orange",
        "info" => "blue",
        _ => "yellow",
    }
}

/// A dashboard of the model; `folders` are the Grafana folder titles ([`folders`]).
fn dashboard(
    spec: &Spec,
    d: &spec::Dashboard,
    folders: &BTreeMap<String, String>,
    watched: &[&str],
    links: &Links,
    extras: &Extras,
) -> Dashboard {
    let folder = d.folder.clone().unwrap_or_else(|| c::DEFAULT_FOLDER.to_string());
    let folder_title = folders.get(&folder).cloned().unwrap_or_else(|| {
        if folder == c::DEFAULT_FOLDER {
            "General".to_string()
        } else {
            folder.clone()
        }
    });
    let mut variables = d.variables.clone();
    if !variables.iter().any(|v| matches!(v, spec::Variable::Datasource { .. })) {
        variables.insert(
            0,
            spec::Variable::Datasource {
                name: c::DATASOURCE_VAR.into(),
                label: Some("Data source".into()),
            },
        );
    }
    // A variable shows its name unless it has a label (Grafana's own rule);
    // resolved here so the renderer writes what the model says.
    for v in &mut variables {
        if let spec::Variable::Datasource { name, label }
        | spec::Variable::Query { name, label, .. }
        | spec::Variable::Custom { name, label, .. }
        | spec::Variable::Interval { name, label, .. } = v
            && label.is_none()
        {
            *label = Some(name.clone());
        }
    }
    let datasource_var = variables
        .iter()
        .find_map(|v| match v {
            spec::Variable::Datasource { name, .. } => Some(name.clone()),
            _ => None,
        })
        .unwrap_or_else(|| c::DATASOURCE_VAR.to_string());
    let mut next_id = 0u32;
    let mut id = || {
        next_id += 1;
        next_id
    };
    let mut panels = Vec::new();
    let mut flow = Flow::new(0);
    for p in &d.panels {
        let (w, h) = size(p);
        let grid = flow.place(w, h);
        panels.push(viz(spec, p, id(), grid, watched, extras));
    }
    let mut y = flow.bottom();
    for r in &d.rows {
        let row_id = id();
        let row_grid = GridPos { x: 0, y, w: 24, h: 1 };
        let mut flow = Flow::new(y + 1);
        let children: Vec<Panel> = r
            .panels
            .iter()
            .map(|p| {
                let (w, h) = size(p);
                let grid = flow.place(w, h);
                viz(spec, p, id(), grid, watched, extras)
            })
            .collect();
        if r.collapsed {
            panels.push(Panel {
                id: row_id,
                title: r.title.clone(),
                grid: row_grid,
                body: PanelBody::Row {
                    collapsed: true,
                    panels: children,
                },
            });
            y += 1;
        } else {
            panels.push(Panel {
                id: row_id,
                title: r.title.clone(),
                grid: row_grid,
                body: PanelBody::Row {
                    collapsed: false,
                    panels: Vec::new(),
                },
            });
            panels.extend(children);
            y = flow.bottom().max(y + 1);
        }
    }
    let alert_names = links.of_dashboard(&d.uid).iter().map(|a| a.to_string()).collect();
    Dashboard {
        uid: d.uid.clone(),
        title: d.title.clone(),
        folder,
        folder_title,
        tags: d.tags.clone(),
        description: d.description.clone(),
        refresh: d.refresh.clone(),
        time_from: d.time.from.clone(),
        time_to: d.time.to.clone(),
        links: d.links.clone(),
        variables,
        datasource_var,
        panels,
        alert_names,
    }
}

/// `watched`: signals threshold alerts watch, sorted and unique.
fn viz(spec: &Spec, p: &spec::Panel, id: u32, grid: GridPos, watched: &[&str], extras: &Extras) -> Panel {
    let signal = p.signal.as_ref().and_then(|n| spec.signals.get(n));
    let mut overrides = p.overrides.clone();
    let mut all_queries = panel_queries(p, signal);
    // A panel showing a series whose low values are bad (its own queries,
    // not the bands added below).
    let low_bad = extras
        .low_bad
        .iter()
        .find(|(rec, _)| all_queries.iter().any(|q| q.expr.contains(rec.as_str())));
    // Dynamic alert limits (anomaly band, regression limit, exhaustion forecast) as extra series.
    if p.kind == PanelType::Timeseries
        && let Some(sig) = &p.signal
    {
        for (legend, expr) in extras.bands.get(sig).cloned().unwrap_or_default() {
            overrides.push(spec::Override {
                name: Some(legend.clone()),
                regex: None,
                unit: None,
                color: Some("red".into()),
                display_name: None,
                right_axis: false,
            });
            all_queries.push(spec::Query {
                expr,
                legend: Some(legend),
                instant: false,
                format: spec::QueryFormat::TimeSeries,
            });
        }
    }
    let queries = all_queries
        .into_iter()
        .enumerate()
        .map(|(i, q)| Query {
            ref_id: ref_id(i),
            expr: q.expr,
            legend: q.legend,
            instant: q.instant,
            format: q.format,
        })
        .collect();
    let mut thresholds: Vec<(f64, String)> = p.thresholds.iter().map(|t| (t.value, t.color.clone())).collect();
    if thresholds.is_empty()
        && let Some(s) = signal
    {
        thresholds = s.thresholds.iter().map(|(k, v)| (*v, level_color(k).to_string())).collect();
    }
    let mut base_color = None;
    if let Some((_, below)) = low_bad {
        base_color = Some("red".to_string());
        if thresholds.is_empty()
            && let Some(b) = below
        {
            thresholds.push((*b, "green".to_string()));
        }
    }
    thresholds.sort_by(|a, b| a.0.total_cmp(&b.0));
    let burn_rate = p.title.as_ref().is_some_and(|t| extras.line_panels.contains(t));
    let threshold_lines = (p.signal.as_deref().is_some_and(|s| watched.binary_search(&s).is_ok()) || base_color.is_some() || burn_rate)
        && !thresholds.is_empty();
    Panel {
        id,
        title: title_of(p, signal).to_string(),
        grid,
        body: PanelBody::Viz(Box::new(Viz {
            kind: p.kind,
            description: p.description.clone().or_else(|| signal.and_then(|s| s.description.clone())),
            queries,
            unit: p.unit.clone().or_else(|| signal.and_then(|s| s.unit.clone())),
            min: p.min.or_else(|| signal.and_then(|s| s.min)),
            max: p.max.or_else(|| signal.and_then(|s| s.max)),
            decimals: p.decimals,
            thresholds,
            base_color,
            threshold_lines,
            overrides,
            stack: p.stack,
            content: p.content.clone(),
            signal: p.signal.clone(),
        })),
    }
}

/// `A`, `B`, … `Z`, `AA`, `AB`, …
pub fn ref_id(i: usize) -> String {
    let mut n = i;
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// A recording rule of the model.
fn recording(record: &str, expr: &str, labels: &BTreeMap<String, String>) -> Rule {
    Rule::Recording {
        record: record.to_string(),
        expr: expr.to_string(),
        labels: labels.clone(),
    }
}

/// The signals threshold alerts watch, sorted.
fn watched(spec: &Spec) -> Vec<&str> {
    let mut watched: Vec<&str> = spec
        .rules
        .iter()
        .flat_map(|g| &g.alerts)
        .filter_map(|a| match kinds::Kind::of(a) {
            k @ kinds::Kind::Threshold(_) => k.signal(),
            _ => None,
        })
        .collect();
    watched.sort_unstable();
    watched.dedup();
    watched
}

/// Panels whose low values are bad (base step red, the alert's level green),
/// and generated panels drawing their thresholds: as the kinds declare them.
fn extras(expansions: &[Vec<(usize, Expansion)>], bands: BTreeMap<String, Vec<(String, String)>>) -> Extras {
    let mut low_bad: Vec<(String, Option<f64>)> = Vec::new();
    let mut line_panels: Vec<String> = Vec::new();
    for (_, x) in expansions.iter().flatten() {
        for l in &x.low_is_bad {
            if !low_bad.contains(l) {
                low_bad.push(l.clone());
            }
        }
        line_panels.extend(x.threshold_line_panels.iter().cloned());
    }
    Extras {
        low_bad,
        line_panels,
        bands,
    }
}

/// Rule groups and their tests. Each signal's `signal:<name>:value` and each
/// derived recording is emitted once, in the first group that needs it;
/// SLOs get a group of their own. `cases` are each group's drafts' cases, in order.
fn groups(
    spec: &Spec,
    boards: &[&spec::Dashboard],
    expansions: &[Vec<(usize, Expansion)>],
    cases: Vec<GroupCases>,
    links: &Links,
) -> (Vec<RuleGroup>, Vec<TestFile>) {
    let window = spec.prometheus.rule_rate_window.as_str();
    // Which group records each series (the first that needs it) and so
    // whether an alert's tests may drive raw inputs: sequential, and cheap.
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let mut recorded: Vec<(Vec<Rule>, Vec<String>, Vec<bool>)> = Vec::with_capacity(spec.rules.len());
    for (g, xs) in spec.rules.iter().zip(expansions) {
        let mut recs: Vec<Rule> = g.recording.iter().map(|r| recording(&r.record, &r.expr, &r.labels)).collect();
        let mut derived = Vec::new();
        let mut uses = Vec::new();
        let mut raw_ok = Vec::with_capacity(xs.len());
        for (_, x) in xs {
            if x.own_group.is_some() {
                // Its group records everything it reads.
                raw_ok.push(true);
                continue;
            }
            for sig in &x.signals {
                let rec = kinds::signal_record(sig);
                uses.push(rec.clone());
                if owner.contains_key(&rec) {
                    continue;
                }
                owner.insert(rec.clone(), g.name.clone());
                // A signal without a rule form is `alerts/signal-rule`: no empty rule.
                let Some(expr) = spec.signals.get(sig).and_then(|s| crate::promql::for_rule(&s.expr, window).ok()) else {
                    continue;
                };
                recs.push(Rule::Recording {
                    record: rec,
                    expr,
                    labels: BTreeMap::new(),
                });
            }
            for r in &x.recs {
                uses.push(r.record.clone());
                if owner.contains_key(&r.record) {
                    continue;
                }
                owner.insert(r.record.clone(), g.name.clone());
                derived.push(recording(&r.record, &r.expr, &r.labels));
            }
            // Raw inputs only when this group records everything the alert reads:
            // a recording in another group lags by up to one evaluation.
            let same_group = |rec: &str| owner.get(rec) == Some(&g.name);
            raw_ok.push(x.signals.iter().all(|s| same_group(&kinds::signal_record(s))) && x.recs.iter().all(|r| same_group(&r.record)));
        }
        recs.append(&mut derived);
        recorded.push((recs, uses, raw_ok));
    }
    // The first of a uid, as a search in order finds it (two are `dashboards/duplicate-uid`).
    let mut by_uid = Boards::default();
    for d in boards {
        by_uid.entry(d.uid.as_str()).or_insert(*d);
    }
    let boards = &by_uid;
    // Each generated alert and its tests, group by group on all cores.
    type Work<'a> = (&'a spec::RuleGroup, &'a Vec<(usize, Expansion)>, GroupCases, Vec<bool>);
    let mut uses_of = Vec::with_capacity(recorded.len());
    let mut work: Vec<Work> = Vec::with_capacity(recorded.len());
    let mut recs_of = Vec::with_capacity(recorded.len());
    for (((g, xs), c), (recs, uses, raw_ok)) in spec.rules.iter().zip(expansions).zip(cases).zip(recorded) {
        work.push((g, xs, c, raw_ok));
        recs_of.push(recs);
        uses_of.push(uses);
    }
    let built: Vec<Built> = crate::par::map_owned(work, |(g, xs, cases, raw_ok)| {
        let mut cases = cases.into_iter();
        let mut own = Vec::new();
        let mut alerts = Vec::with_capacity(xs.iter().map(|(_, x)| x.drafts.len()).sum());
        let mut tests = Vec::with_capacity(cases.as_slice().iter().map(Vec::len).sum::<usize>() + g.tests.len());
        let mut covers = Vec::new();
        for ((ai, x), ok) in xs.iter().zip(raw_ok) {
            let a = &g.alerts[*ai];
            // An alert with a group of its own fills that group; the others this one.
            let (mut own_rules, mut own_tests) = (Vec::new(), Vec::new());
            let (rules, t) = match &x.own_group {
                Some(_) => {
                    own_rules.extend(x.recs.iter().map(|r| recording(&r.record, &r.expr, &r.labels)));
                    (&mut own_rules, &mut own_tests)
                }
                None => (&mut alerts, &mut tests),
            };
            let mut all = true;
            for (d, cs) in x.drafts.iter().zip(cases.by_ref()) {
                let al = alert(spec, boards, a, d, links);
                all &= draft_tests(spec, (d, &al), cs, ok, t);
                rules.push(Rule::Alert(al));
            }
            match &x.own_group {
                Some(og) => own.push((
                    RuleGroup {
                        name: og.clone(),
                        interval: g.interval.clone(),
                        rules: own_rules,
                    },
                    Vec::new(),
                    own_tests,
                    if all { vec![a.name.clone()] } else { Vec::new() },
                )),
                None if all => covers.push(a.name.clone()),
                None => {}
            }
        }
        for t in &g.tests {
            for art in &t.alert_rule_test {
                if g.alerts.iter().any(|a| a.name == art.alertname) && !covers.contains(&art.alertname) {
                    covers.push(art.alertname.clone());
                }
            }
        }
        tests.extend(g.tests.iter().cloned());
        (own, alerts, tests, covers)
    });
    // A spec alert with a group of its own (SLOs) comes before the group it is in.
    let mut out: Vec<GroupOut> = Vec::new();
    for (((g, (own, mut alerts, tests, covers)), mut recs), uses) in spec.rules.iter().zip(built).zip(recs_of).zip(uses_of) {
        out.extend(own);
        recs.append(&mut alerts);
        out.push((
            RuleGroup {
                name: g.name.clone(),
                interval: g.interval.clone(),
                rules: recs,
            },
            uses,
            tests,
            covers,
        ));
    }
    // A group whose alerts all went to groups of their own (SLOs) has nothing left to write.
    out.retain(|o| !o.0.rules.is_empty() || !o.2.is_empty());
    let mut groups: Vec<RuleGroup> = Vec::with_capacity(out.len());
    let mut tests = Vec::new();
    for (g, uses, cases, covers) in out {
        if !cases.is_empty() {
            let mut files = vec![g.name.clone()];
            for u in uses {
                if let Some(o) = owner.get(&u)
                    && !files.contains(o)
                {
                    files.push(o.clone());
                }
            }
            tests.push(TestFile {
                group: g.name.clone(),
                rule_files: files.iter().map(|f| format!("../{f}.rules.yml")).collect(),
                tests: cases,
                covers,
            });
        }
        groups.push(g);
    }
    (groups, tests)
}

/// A rule group's generated parts: the groups of its own of the alerts that
/// have one (SLOs), then its alerts, tests and the spec alerts they cover.
type Built = (Vec<GroupOut>, Vec<Rule>, Vec<crate::spec::RuleTest>, Vec<String>);

fn input_series(inputs: Vec<(String, String)>) -> Vec<crate::spec::InputSeries> {
    inputs
        .into_iter()
        .map(|(series, values)| crate::spec::InputSeries { series, values })
        .collect()
}

/// promtool tests of a generated alert (`cases`, the draft's), with every
/// annotation expanded as Prometheus would, appended to `out`. A case is
/// driven by raw series of the signal's own PromQL when `raw_ok` (this group
/// records everything the alert reads) and genmon could build them, else by
/// the recorded series. `false` (and `out` as it was) when there are no
/// cases or a template is beyond what genmon can expand.
fn draft_tests(spec: &Spec, (d, a): (&Draft, &Alert), cases: Vec<kinds::Case>, raw_ok: bool, out: &mut Vec<crate::spec::RuleTest>) -> bool {
    if cases.is_empty() {
        return false;
    }
    let start = out.len();
    let mut scratch = String::new();
    for case in cases {
        let mut exp = Vec::with_capacity(case.fires.len());
        // Raw series only where the group records everything the alert reads.
        let raw = if raw_ok { case.raw.build(spec, &case.inputs) } else { None };
        // And only when the texts do not print `$value` beyond what its
        // float noise (the raw chain computes it, not reads it) changes.
        let mut robust = true;
        for (labels, value) in case.fires {
            let mut expanded = |t: &str| -> Option<String> {
                let text = super::template::expand(t, &labels, value).ok()?;
                if robust && raw.is_some() && super::template::reads_value(t) {
                    robust = [value * (1.0 + 1e-9), value * (1.0 - 1e-9)].iter().all(|v| {
                        scratch.clear();
                        super::template::expand_to(t, &labels, *v, &mut scratch).is_ok() && scratch == text
                    });
                }
                Some(text)
            };
            let label_texts: Option<Vec<(String, String)>> = a.labels.iter().map(|(k, v)| Some((k.clone(), expanded(v)?))).collect();
            let exp_annotations: Option<BTreeMap<String, String>> =
                a.annotations.iter().map(|(k, v)| Some((k.clone(), expanded(v)?))).collect();
            let (Some(label_texts), Some(exp_annotations)) = (label_texts, exp_annotations) else {
                out.truncate(start);
                return false;
            };
            let mut exp_labels = labels;
            exp_labels.extend(label_texts);
            exp.push(crate::spec::ExpAlert {
                exp_labels,
                exp_annotations,
            });
        }
        let inputs = match raw {
            Some(raw) if robust => raw,
            _ => case.inputs,
        };
        out.push(crate::spec::RuleTest {
            name: Some(case.name),
            interval: Duration::from_secs(60),
            input_series: input_series(inputs),
            alert_rule_test: vec![crate::spec::AlertRuleTest {
                eval_time: Duration::from_secs(case.eval),
                alertname: d.name.clone(),
                exp_alerts: exp,
            }],
            promql_expr_test: Vec::new(),
            external_labels: BTreeMap::new(),
        });
    }
    true
}

/// Dashboards by uid.
type Boards<'s> = foldhash::HashMap<&'s str, &'s spec::Dashboard>;

fn alert(spec: &Spec, boards: &Boards, a: &spec::Alert, d: &Draft, links: &Links) -> Alert {
    let mut labels = a.labels.clone();
    if let Some(s) = d.severity {
        labels.insert(c::LABEL_SEVERITY.into(), s.as_str().into());
    }
    let mut ann = BTreeMap::new();
    ann.insert(
        c::ANNOTATION_SUMMARY.to_string(),
        a.summary.clone().unwrap_or_else(|| d.summary.clone()),
    );
    let description = a.description.clone().unwrap_or_else(|| d.description.clone());
    if !description.is_empty() {
        ann.insert(c::ANNOTATION_DESCRIPTION.to_string(), description);
    }
    // The generated alert's own name (an SLO's `<Name>FastBurn`, not `<Name>`):
    // the page a runbook base URL points at has one section per alert. An
    // alert's own `runbook_url` ending in `#` is such a base too (an empty
    // fragment means nothing else), so one spec alert expanding to several
    // can link each generated alert's section.
    let runbook = match a.runbook_url.as_deref() {
        Some(base) if base.ends_with('#') => Some([base, &d.name].concat()),
        Some(url) => Some(url.to_owned()),
        None => spec.alerting.runbook_base_url.as_ref().map(|b| [b.as_str(), &d.name].concat()),
    };
    if let Some(r) = runbook {
        ann.insert(c::ANNOTATION_RUNBOOK.to_string(), r);
    }
    if let Some((uid, id, _)) = links.get(&d.name) {
        let base = spec.grafana.external_url.trim_end_matches('/');
        let dashboard = [base, "/d/", uid].concat();
        let mut panel = String::with_capacity(dashboard.len() + 64);
        panel.push_str(&dashboard);
        panel.push_str("?viewPanel=");
        panel.push_str(&id.to_string());
        ann.insert(c::ANNOTATION_DASHBOARD.to_string(), dashboard);
        // The panel opens on the alert's own series: each dashboard variable the
        // signal filters on is set to the alert's value of that label.
        if let kinds::LinkKey::Signal(sig) = &d.link {
            let dashboard = boards.get(uid);
            let defined = |var: &str| dashboard.is_some_and(|x| x.variables.iter().any(|v| v.name() == var));
            for (label, var) in kinds::link_vars(spec, sig) {
                if defined(&var) {
                    // A label value is any string: `urlquery` keeps `&`, `#` and
                    // spaces inside the parameter (Grafana reads `+` as a space).
                    for part in ["&var-", &var, "={{ $labels.", &label, " | urlquery }}"] {
                        panel.push_str(part);
                    }
                }
            }
        }
        ann.insert(c::ANNOTATION_PANEL.to_string(), panel);
    }
    for (k, v) in &a.annotations {
        ann.insert(k.clone(), v.clone());
    }
    Alert {
        name: d.name.clone(),
        expr: d.expr.clone(),
        for_: d.for_.clone(),
        keep_firing_for: a.keep_firing_for.clone(),
        labels,
        annotations: ann,
    }
}

fn scrape_jobs(m: &Model) -> Vec<ScrapeJob> {
    let spec = m;
    let mut jobs = Vec::new();
    let job = ScrapeJob::own;
    if spec.stack.self_monitoring {
        jobs.push(job(
            c::JOB_EXPORTER,
            format!("{}:{}", m.host(c::SERVICE_EXPORTER), spec.stack.exporter_port),
        ));
        jobs.push(job(
            c::JOB_PROMETHEUS,
            format!("{}:{}", m.host(c::SERVICE_PROMETHEUS), spec.stack.prometheus_port),
        ));
        jobs.push(job(
            c::JOB_ALERTMANAGER,
            format!("{}:{}", m.host(c::SERVICE_ALERTMANAGER), spec.stack.alertmanager_port),
        ));
    }
    for j in &spec.prometheus.scrape_jobs {
        jobs.push(ScrapeJob {
            name: j.name.clone(),
            targets: j.targets.clone(),
            interval: j.interval.clone(),
            timeout: j.timeout.clone(),
            metrics_path: j.metrics_path.clone(),
            scheme: j.scheme.clone(),
            labels: j.labels.clone(),
            options: j.options.clone(),
            client: j.client.clone(),
        });
    }
    jobs
}

#[cfg(test)]
mod tests {
    use super::ref_id;

    /// The model of a clean spec.
    fn model(text: &str) -> super::Model {
        let src = crate::spec::Source {
            name: "genmon.yaml".into(),
            text: text.into(),
        };
        crate::pipeline::compile(&src, super::Profile::Local, false).unwrap().model
    }

    /// Defaults are applied here, never in renderers: the model already holds
    /// Alertmanager's URL and every variable's label.
    #[test]
    fn lowering_resolves_the_alertmanager_url_and_variable_labels() {
        let spec = "version: 1\nstack: {alertmanager_port: 9193}\ndashboards:\n  - uid: d\n    title: D\n    variables: [{type: query, name: instance, query: 'label_values(up, instance)'}, {type: custom, name: env, label: Environment, values: [a]}]\n    panels: [{title: Up, queries: [{expr: up}]}]\n";
        let m = model(spec);
        assert_eq!(m.alertmanager.external_url.as_deref(), Some("http://127.0.0.1:9193/"));
        let d = m.dashboards.iter().find(|d| d.uid == "d").unwrap();
        let labels: Vec<_> = d
            .variables
            .iter()
            .map(|v| match v {
                crate::spec::Variable::Datasource { label, .. }
                | crate::spec::Variable::Query { label, .. }
                | crate::spec::Variable::Custom { label, .. }
                | crate::spec::Variable::Interval { label, .. } => label.clone(),
                crate::spec::Variable::Constant { .. } => None,
            })
            .collect();
        assert_eq!(
            labels,
            [Some("Data source".to_string()), Some("instance".into()), Some("Environment".into())]
        );
    }

    /// The group that records a signal tests its alerts on the signal's raw
    /// series; a later group reading the same recording tests on the
    /// recorded series (the recording lags there by an evaluation).
    #[test]
    fn only_the_group_recording_a_signal_tests_it_from_raw_series() {
        let spec = "version: 1\nalerting: {runbook_base_url: 'https://runbooks.example/'}\nsignals:\n  q: {expr: 'max by (instance) (queue_depth)'}\nrules:\n  - name: first\n    alerts: [{name: QueueHigh, threshold: {signal: q, op: '>', value: 10}, for: 5m, severity: warning}]\n  - name: second\n    alerts: [{name: QueueHuge, threshold: {signal: q, op: '>', value: 50}, for: 5m, severity: critical}]\n";
        let m = model(spec);
        let series = |group: &str| -> Vec<String> {
            let t = m
                .tests
                .iter()
                .find(|t| t.group == group)
                .unwrap_or_else(|| panic!("no tests of {group}"));
            t.tests.iter().flat_map(|t| &t.input_series).map(|s| s.series.clone()).collect()
        };
        let (first, second) = (series("first"), series("second"));
        assert_eq!(first.len(), 2, "{first:?}");
        assert!(first.iter().all(|s| s.starts_with("queue_depth{")), "{first:?}");
        assert_eq!(second.len(), 2, "{second:?}");
        assert!(second.iter().all(|s| s.starts_with("signal:q:value{")), "{second:?}");
    }

    #[test]
    fn ref_ids_are_spreadsheet_letters() {
        assert_eq!([ref_id(0), ref_id(25), ref_id(26), ref_id(27)], ["A", "Z", "AA", "AB"]);
    }
}
