//! `genmon verify`: the spec against a live Prometheus. Three families of
//! checks, each a list of results (passing ones included, so a CI report has
//! one test case per check):
//!
//! - **existence**: every series a signal, panel, rule or alert selects exists
//!   over the range (`/api/v1/labels` with `match[]`), with the labels its
//!   matchers name, and every dashboard variable finds the values it expects
//!   (`/api/v1/label/<name>/values`);
//! - **backtest**: how often and how long each alert would have fired
//!   (`/api/v1/query_range` on its expression, recording rules inlined);
//! - **cost**: series each recording rule and panel query touches
//!   (`count(selector)` of each selector it reads).
//!
//! Every request is bounded ([`api::Limits`]); results are pure data that
//! [`output`] prints as a table, JSON or JUnit XML.

pub mod api;
pub mod backtest;
pub mod output;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use promql_parser::label::MatchOp;
use promql_parser::parser::Expr;
use promql_parser::util::{ExprVisitor, walk_expr};
use serde::Serialize;
use serde_json::Value;

use crate::check::{Ctx, ExprAt};
use crate::model::{Model, PanelBody, Rule};
use crate::spec::{Loaded, Variable};
use api::{Api, Limits, map_bounded};

/// What to check and how hard.
#[derive(Debug, Clone)]
pub struct Options {
    /// Prometheus base URL.
    pub prometheus: String,
    /// Days back from now that existence, backtest and cost look at.
    pub days: f64,
    /// Query step of the backtest in seconds (`None`: from the range, see [`backtest::step_for`]).
    pub step: Option<i64>,
    /// An alert firing more than this share of the range (0–1) "fires constantly".
    pub constant_ratio: f64,
    /// An alert with more firings a day than this "flaps".
    pub flapping_per_day: f64,
    /// A rule or panel query touching more series than this is a finding.
    pub max_series: u64,
    pub limits: Limits,
    pub auth: api::Auth,
}

/// Where in the spec a result comes from.
#[derive(Debug, Clone, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Spec path, e.g. `dashboards[0].panels[2].queries[0].expr`.
    pub path: String,
}

/// One existence check: a selector of one expression, or a dashboard variable.
#[derive(Debug, Clone, Serialize)]
pub struct Existence {
    /// `metric`, `selector`, `label` or `variable`: what was checked last (and failed, when `ok` is false).
    pub kind: &'static str,
    /// The selector or variable checked.
    pub subject: String,
    pub ok: bool,
    pub message: String,
    pub location: Option<Location>,
}

/// One firing period of a backtest.
#[derive(Debug, Clone, Serialize)]
pub struct Period {
    /// Unix seconds when the alert would have started firing.
    pub start: i64,
    pub seconds: i64,
    /// The series' labels.
    pub labels: BTreeMap<String, String>,
}

/// One alert's backtest.
#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    pub alert: String,
    pub group: String,
    /// The expression queried (recording rules inlined, see `mode`).
    pub expr: String,
    pub mode: backtest::Mode,
    pub for_seconds: i64,
    /// Unix seconds the backtest counts from: the range's start, or for an
    /// alert on `absent()` the first step at which Prometheus had any `up`
    /// series (an absence before it scraped anything says nothing).
    pub from: i64,
    pub firings: usize,
    /// Sum of all firing periods.
    pub firing_seconds: i64,
    pub longest_seconds: i64,
    /// Largest share of the range one series spent firing (0–1).
    pub firing_ratio: f64,
    pub firings_per_day: f64,
    /// `constant` and/or `flapping`.
    pub flags: Vec<&'static str>,
    pub ok: bool,
    /// The first 100 periods, in time order.
    pub periods: Vec<Period>,
    pub location: Option<Location>,
}

/// Series one recording rule or panel query touches.
#[derive(Debug, Clone, Serialize)]
pub struct Cost {
    /// `recording_rule` or `panel_query`.
    pub kind: &'static str,
    /// The record name, or `dashboard uid / panel title / refId`.
    pub name: String,
    pub expr: String,
    /// Sum over the selectors it reads of `count(selector)` now.
    pub series: u64,
    pub ok: bool,
    pub location: Option<Location>,
}

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub prometheus: String,
    /// Unix seconds.
    pub start: i64,
    pub end: i64,
    pub step_seconds: i64,
    pub constant_ratio: f64,
    pub flapping_per_day: f64,
    pub max_series: u64,
    pub existence: Vec<Existence>,
    pub backtest: Vec<Backtest>,
    /// Most expensive first.
    pub cost: Vec<Cost>,
    /// Checks that failed, over all three families.
    pub findings: usize,
}

/// Series Prometheus writes itself only while alerts are pending or firing.
const ALERT_SERIES: &[&str] = &["ALERTS", "ALERTS_FOR_STATE"];
/// Periods kept per alert in the report.
const MAX_PERIODS: usize = 100;

/// Run every check. `Err` is a usage or connection error (nothing can be said then).
pub fn run(file: &str, loaded: &Loaded, model: &Model, opts: &Options) -> Result<Report, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(run_async(file, loaded, model, opts))
}

async fn run_async(file: &str, loaded: &Loaded, model: &Model, opts: &Options) -> Result<Report, String> {
    let api = Api::new(&opts.prometheus, &opts.limits, opts.auth.clone())?;
    // One cheap request first: a wrong URL is one clear error, not hundreds.
    api.get("status/buildinfo", &[])
        .await
        .map_err(|e| format!("cannot reach Prometheus: {e}"))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs() as i64;
    let range = (opts.days * 86_400.0).round() as i64;
    if range <= 0 {
        return Err("--days must be more than 0".into());
    }
    let eval = model.prometheus.evaluation_interval.secs().max(1) as i64;
    let step = opts.step.unwrap_or_else(|| backtest::step_for(range, eval));
    if step <= 0 || range / step > backtest::MAX_POINTS {
        return Err(format!(
            "--step {step}s gives {} points over {range}s; Prometheus returns at most {} (raise --step or lower --days)",
            range / step.max(1),
            backtest::MAX_POINTS
        ));
    }
    // Aligned to the step, so that a step lands on every multiple of it.
    let end = now / step * step;
    let start = end - range / step * step;
    let at = |path: &str| {
        loaded.positions.value(path).map(|p| Location {
            file: file.to_string(),
            line: p.line,
            column: p.col,
            path: path.to_string(),
        })
    };
    // Where metric `name` is written in the expression `text` at `path`
    // (its first whole-word occurrence), else the expression's start.
    let at_in = |path: &str, text: &str, name: &str| {
        let word = |i: usize| {
            let ok = |c: Option<char>| !c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
            ok(text[..i].chars().next_back()) && ok(text[i + name.len()..].chars().next())
        };
        let found = text.match_indices(name).map(|(i, _)| i).find(|&i| word(i));
        found
            .and_then(|i| loaded.positions.within(path, i..i + name.len(), text))
            .map(|p| Location {
                file: file.to_string(),
                line: p.line,
                column: p.col,
                path: path.to_string(),
            })
            .or_else(|| at(path))
    };
    let cx = Ctx::new(&loaded.spec);
    // Existence looks up to now: `end` is aligned down to the step and may
    // fall before a young server's first scrape.
    let window = [("start", start.to_string()), ("end", now.to_string())];
    let existence = existence(&api, opts, &cx, &window, &at, &at_in).await?;
    let backtest = backtests(&api, opts, loaded, model, (start, end, step), &at).await?;
    let cost = costs(&api, opts, &cx, model, &at).await?;
    let findings =
        existence.iter().filter(|e| !e.ok).count() + backtest.iter().filter(|b| !b.ok).count() + cost.iter().filter(|c| !c.ok).count();
    Ok(Report {
        prometheus: api.shown().to_string(),
        start,
        end,
        step_seconds: step,
        constant_ratio: opts.constant_ratio,
        flapping_per_day: opts.flapping_per_day,
        max_series: opts.max_series,
        existence,
        backtest,
        cost,
        findings,
    })
}

/// A selector as the server is asked about it: Grafana-variable matchers dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Sel {
    name: String,
    /// `name{static matchers}`, or just the name.
    text: String,
    /// Labels a matcher requires (`l="v"` with a value, `l=~…`), variables' included.
    labels: Vec<String>,
    /// `(label, variable)` of matchers on a dashboard variable (`instance=~"$instance"`).
    var_matchers: Vec<(String, String)>,
}

/// Every selector with a metric name in `expr`.
fn selectors(expr: &Expr) -> Vec<Sel> {
    struct V(Vec<Sel>);
    impl ExprVisitor for V {
        type Error = ();
        fn pre_visit(&mut self, e: &Expr) -> Result<bool, ()> {
            let vs = match e {
                Expr::VectorSelector(vs) => vs,
                Expr::MatrixSelector(ms) => &ms.vs,
                _ => return Ok(true),
            };
            let Some(name) = crate::promql::selector_name(vs) else {
                return Ok(true);
            };
            let mut fixed = Vec::new();
            let mut labels = Vec::new();
            let mut var_matchers = Vec::new();
            for m in vs.matchers.matchers.iter().filter(|m| m.name != "__name__") {
                let vars = crate::promql::variables(&m.value);
                let requires = match &m.op {
                    MatchOp::Equal => !m.value.is_empty(),
                    MatchOp::Re(_) => true,
                    _ => false,
                };
                if requires && !labels.contains(&m.name) {
                    labels.push(m.name.clone());
                }
                if vars.is_empty() {
                    fixed.push(m.to_string());
                } else {
                    var_matchers.extend(vars.into_iter().map(|v| (m.name.clone(), v)));
                }
            }
            let text = if fixed.is_empty() {
                name.clone()
            } else {
                format!("{name}{{{}}}", fixed.join(","))
            };
            let sel = Sel {
                name,
                text,
                labels,
                var_matchers,
            };
            if !self.0.contains(&sel) {
                self.0.push(sel);
            }
            Ok(true)
        }
    }
    let mut v = V(Vec::new());
    let _ = walk_expr(&mut v, expr);
    v.0
}

fn as_strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// A dashboard variable's check.
#[derive(Debug, Clone, PartialEq)]
struct VarCheck {
    path: String,
    name: String,
    /// The selector its values come from.
    selector: Option<String>,
    label: String,
    /// Values it must find (a custom variable's).
    expected: Vec<String>,
    /// A query variable's `regex` (Grafana's `/…/flags` or a bare pattern): values it keeps.
    regex: Option<String>,
}

/// `1 value`, `3 values`.
fn values_text(n: usize) -> String {
    format!("{n} value{}", if n == 1 { "" } else { "s" })
}

/// A Grafana variable regex (`/pattern/flags` or `pattern`) as a Rust regex;
/// `None` when it does not compile (the values are then not filtered).
fn grafana_regex(r: &str) -> Option<regex::Regex> {
    let (pattern, flags) = match r.strip_prefix('/').and_then(|x| x.rsplit_once('/')) {
        Some((p, f)) => (p, f),
        None => (r, ""),
    };
    let prefix = if flags.contains('i') { "(?i)" } else { "" };
    regex::RegexBuilder::new(&format!("{prefix}{pattern}"))
        .size_limit(1 << 20)
        .build()
        .ok()
}

/// `label_values(selector, label)` or `label_values(label)`.
fn label_values_query(q: &str) -> Option<(Option<String>, String)> {
    let inner = q.trim().strip_prefix("label_values(")?.strip_suffix(')')?;
    match inner.rsplit_once(',') {
        Some((sel, label)) => Some((Some(sel.trim().to_string()), label.trim().to_string())),
        None => Some((None, inner.trim().to_string())),
    }
}

async fn existence(
    api: &Api,
    opts: &Options,
    cx: &Ctx<'_>,
    window: &[(&'static str, String); 2],
    at: &dyn Fn(&str) -> Option<Location>,
    at_in: &dyn Fn(&str, &str, &str) -> Option<Location>,
) -> Result<Vec<Existence>, String> {
    let recorded = recorded_from(cx);
    // Selectors of each expression, and what to ask the server.
    let mut per_expr: Vec<(String, &str, Vec<Sel>)> = Vec::new();
    let mut ask: BTreeSet<String> = BTreeSet::new();
    for e in &cx.exprs {
        let Ok(ast) = &e.ast else { continue };
        let sels: Vec<Sel> = selectors(ast)
            .into_iter()
            .filter(|s| !recorded.contains(&s.name) && !ALERT_SERIES.contains(&s.name.as_str()))
            .collect();
        for s in &sels {
            ask.insert(s.name.clone());
            ask.insert(s.text.clone());
        }
        per_expr.push((e.path.to_string(), &e.text, sels));
    }
    // Dashboard variables: `label_values` queries, and the labels custom values are matched against.
    let mut var_checks: Vec<VarCheck> = Vec::new();
    for (di, d) in cx.spec.dashboards.iter().enumerate() {
        let dash_sels: Vec<Sel> = cx
            .exprs
            .iter()
            .filter(|e| matches!(e.path, ExprAt::Query(p, _) if p.dashboard() == di) || dash_uses_signal(d, &e.path))
            .filter_map(|e| e.ast.as_deref().ok())
            .flat_map(selectors)
            .collect();
        for (vi, v) in d.variables.iter().enumerate() {
            match v {
                Variable::Query { name, query, regex, .. } => {
                    if let Some((sel, label)) = label_values_query(query) {
                        let sel = sel.map(|s| crate::promql::for_rule(&s, "5m").unwrap_or(s));
                        var_checks.push(VarCheck {
                            path: format!("dashboards[{di}].variables[{vi}].query"),
                            name: name.clone(),
                            selector: sel,
                            label,
                            expected: Vec::new(),
                            regex: regex.clone(),
                        });
                    }
                }
                Variable::Custom { name, values, .. } => {
                    for s in &dash_sels {
                        for (label, var) in &s.var_matchers {
                            if var == name {
                                let check = VarCheck {
                                    path: format!("dashboards[{di}].variables[{vi}].values"),
                                    name: name.clone(),
                                    selector: Some(s.name.clone()),
                                    label: label.clone(),
                                    expected: values.clone(),
                                    regex: None,
                                };
                                if !var_checks.contains(&check) {
                                    var_checks.push(check);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let ask: Vec<String> = ask.into_iter().collect();
    let answers = map_bounded(ask.clone(), opts.limits.concurrency, |sel| {
        let api = api.clone();
        let mut params = vec![("match[]", sel)];
        params.extend(window.iter().cloned());
        async move { api.get("labels", &params).await.map(|v| as_strings(&v)) }
    })
    .await?;
    let mut labels_of: HashMap<String, Vec<String>> = HashMap::new();
    for (sel, a) in ask.into_iter().zip(answers) {
        labels_of.insert(sel, a?);
    }
    let values = map_bounded(var_checks.clone(), opts.limits.concurrency, |c| {
        let api = api.clone();
        let mut params: Vec<(&str, String)> = c.selector.into_iter().map(|s| ("match[]", s)).collect();
        params.extend(window.iter().cloned());
        let label = c.label;
        async move { api.get(&format!("label/{label}/values"), &params).await.map(|v| as_strings(&v)) }
    })
    .await?;
    let days = opts.days;
    let mut out = Vec::new();
    for (path, text, sels) in per_expr {
        let mut reported: Vec<String> = Vec::new();
        for s in sels {
            let names = &labels_of[&s.name];
            if names.is_empty() && reported.contains(&s.name) {
                continue;
            }
            reported.push(s.name.clone());
            let (kind, ok, message) = if names.is_empty() {
                (
                    "metric",
                    false,
                    format!("metric `{}` has no series in the last {days} days", s.name),
                )
            } else if labels_of[&s.text].is_empty() {
                (
                    "selector",
                    false,
                    format!("no series of `{}` match `{}` in the last {days} days", s.name, s.text),
                )
            } else if let Some(l) = s.labels.iter().find(|l| !names.contains(l)) {
                (
                    "label",
                    false,
                    format!("series of `{}` have no label `{l}` (they have: {})", s.name, names.join(", ")),
                )
            } else {
                ("selector", true, format!("`{}` has series", s.text))
            };
            out.push(Existence {
                kind,
                location: at_in(&path, text, &s.name),
                subject: s.text,
                ok,
                message,
            });
        }
    }
    for (c, got) in var_checks.into_iter().zip(values) {
        let got = got?;
        let (name, label) = (&c.name, &c.label);
        let from = c.selector.as_ref().map(|s| format!(" of `{s}`")).unwrap_or_default();
        let missing: Vec<&String> = c.expected.iter().filter(|v| !got.contains(v)).collect();
        let kept = match c.regex.as_deref().and_then(grafana_regex) {
            Some(re) => got.iter().filter(|v| re.is_match(v)).count(),
            None => got.len(),
        };
        let (ok, message) = if got.is_empty() {
            (
                false,
                format!("variable `${name}` finds no values: no series{from} have label `{label}`"),
            )
        } else if kept == 0 {
            (
                false,
                format!(
                    "variable `${name}` finds {} of `{label}`{from}, but its regex `{}` keeps none of them",
                    values_text(got.len()),
                    c.regex.as_deref().unwrap_or_default()
                ),
            )
        } else if !missing.is_empty() {
            (
                false,
                format!(
                    "variable `${name}` offers {} that no series{from} has in label `{label}`",
                    missing.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
                ),
            )
        } else {
            (true, format!("variable `${name}` finds {} of `{label}`{from}", values_text(kept)))
        };
        out.push(Existence {
            kind: "variable",
            subject: format!("${name}"),
            ok,
            message,
            location: at(&c.path),
        });
    }
    Ok(out)
}

/// The spec path `path` is the expression of a signal that a panel of `d` shows.
fn dash_uses_signal(d: &crate::spec::Dashboard, path: &ExprAt) -> bool {
    let ExprAt::Signal(name) = *path else {
        return false;
    };
    d.panels
        .iter()
        .chain(d.rows.iter().flat_map(|r| &r.panels))
        .any(|p| p.signal.as_deref() == Some(name))
}

/// Names the spec's rules record (hand-written and generated by alert kinds).
fn recorded_from(cx: &Ctx<'_>) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = crate::model::kinds::recorded_names(cx.spec).into_iter().collect();
    out.extend(cx.spec.rules.iter().flat_map(|g| &g.recording).map(|r| r.record.clone()));
    out
}

/// The spec alert (`rules[g].alerts[a]`) that produced the model alert `name`.
fn alert_path(loaded: &Loaded, name: &str) -> Option<String> {
    for (gi, g) in loaded.spec.rules.iter().enumerate() {
        for (ai, a) in g.alerts.iter().enumerate() {
            if a.name == name || crate::model::kinds::expand(&loaded.spec, a).drafts.iter().any(|d| d.name == name) {
                return Some(format!("rules[{gi}].alerts[{ai}]"));
            }
        }
    }
    None
}

async fn backtests(
    api: &Api,
    opts: &Options,
    loaded: &Loaded,
    model: &Model,
    (start, end, step): (i64, i64, i64),
    at: &dyn Fn(&str) -> Option<Location>,
) -> Result<Vec<Backtest>, String> {
    let mut rules: HashMap<String, Vec<backtest::Recording>> = HashMap::new();
    for r in model.groups.iter().flat_map(|g| &g.rules) {
        if let Rule::Recording { record, expr, labels } = r {
            rules.entry(record.clone()).or_default().push((expr.clone(), labels.clone()));
        }
    }
    let eval = model.prometheus.evaluation_interval.to_string();
    let alerts: Vec<(String, &crate::model::Alert)> = model
        .groups
        .iter()
        .flat_map(|g| {
            g.rules.iter().filter_map(|r| match r {
                Rule::Alert(a) => Some((g.name.clone(), a)),
                Rule::Recording { .. } => None,
            })
        })
        .collect();
    let queries: Vec<(String, backtest::Mode)> = alerts
        .iter()
        .map(|(_, a)| backtest::inline(&a.expr, &rules, &eval, crate::promql::MAX_EXPR_BYTES))
        .collect();
    let answers = map_bounded(queries.clone(), opts.limits.concurrency, |(q, _)| {
        let api = api.clone();
        let params = [
            ("query", q),
            ("start", start.to_string()),
            ("end", end.to_string()),
            ("step", step.to_string()),
        ];
        async move { api.get("query_range", &params).await }
    })
    .await?;
    let scraped_from = api
        .get(
            "query_range",
            &[
                ("query", "count(up)".to_string()),
                ("start", start.to_string()),
                ("end", end.to_string()),
                ("step", step.to_string()),
            ],
        )
        .await?["result"][0]["values"][0][0]
        .as_f64()
        .map_or(end, |t| t.round() as i64);
    let mut out = Vec::new();
    for (((group, a), (expr, mode)), data) in alerts.into_iter().zip(queries).zip(answers) {
        let data = data?;
        let from = if uses_absent(&a.expr) { scraped_from.max(start) } else { start };
        let range = (end - from).max(step);
        let days = range as f64 / 86_400.0;
        let for_s = a.for_.as_ref().map_or(0, |d| d.secs() as i64);
        let keep = a.keep_firing_for.as_ref().map_or(0, |d| d.secs() as i64);
        let mut periods = Vec::new();
        let mut worst_ratio: f64 = 0.0;
        for series in data["result"].as_array().into_iter().flatten() {
            let ts: Vec<i64> = series["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p[0].as_f64().map(|t| t.round() as i64))
                .filter(|t| *t >= from)
                .collect();
            let labels: BTreeMap<String, String> = series["metric"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            let f = backtest::firings(&ts, step, for_s, keep);
            let total: i64 = f.iter().map(|p| p.seconds).sum();
            worst_ratio = worst_ratio.max(total as f64 / range as f64);
            periods.extend(f.into_iter().map(|p| Period {
                start: p.start,
                seconds: p.seconds,
                labels: labels.clone(),
            }));
        }
        periods.sort_by(|x, y| (x.start, &x.labels).cmp(&(y.start, &y.labels)));
        let firings = periods.len();
        let firing_seconds = periods.iter().map(|p| p.seconds).sum();
        let longest_seconds = periods.iter().map(|p| p.seconds).max().unwrap_or(0);
        let per_day = firings as f64 / days;
        let mut flags = Vec::new();
        if worst_ratio > opts.constant_ratio {
            flags.push("constant");
        }
        if per_day > opts.flapping_per_day {
            flags.push("flapping");
        }
        periods.truncate(MAX_PERIODS);
        out.push(Backtest {
            location: alert_path(loaded, &a.name).and_then(|p| at(&p)),
            alert: a.name.clone(),
            group,
            expr,
            mode,
            for_seconds: for_s,
            from,
            firings,
            firing_seconds,
            longest_seconds,
            firing_ratio: worst_ratio,
            firings_per_day: per_day,
            ok: flags.is_empty(),
            flags,
            periods,
        });
    }
    Ok(out)
}

/// `expr` calls `absent()` or `absent_over_time()`.
fn uses_absent(expr: &str) -> bool {
    struct V(bool);
    impl ExprVisitor for V {
        type Error = ();
        fn pre_visit(&mut self, e: &Expr) -> Result<bool, ()> {
            if let Expr::Call(c) = e
                && matches!(c.func.name, "absent" | "absent_over_time")
            {
                self.0 = true;
            }
            Ok(!self.0)
        }
    }
    let mut v = V(false);
    if let Ok(ast) = crate::promql::parse(expr) {
        let _ = walk_expr(&mut v, &ast);
    }
    v.0
}

async fn costs(api: &Api, opts: &Options, cx: &Ctx<'_>, model: &Model, at: &dyn Fn(&str) -> Option<Location>) -> Result<Vec<Cost>, String> {
    // Spec path of each expression text, to locate model rules and queries.
    let mut path_of: HashMap<&str, ExprAt> = HashMap::new();
    for e in &cx.exprs {
        path_of.entry(&e.text).or_insert(e.path);
    }
    let mut items: Vec<(&'static str, String, String, Option<String>)> = Vec::new();
    for r in model.groups.iter().flat_map(|g| &g.rules) {
        if let Rule::Recording { record, expr, .. } = r {
            let signal = record
                .strip_prefix("signal:")
                .and_then(|s| s.strip_suffix(":value"))
                .map(|s| format!("signals.{s}.expr"));
            let path = path_of.get(expr.as_str()).map(|p| p.to_string()).or(signal);
            items.push(("recording_rule", record.clone(), expr.clone(), path));
        }
    }
    for d in &model.dashboards {
        let mut stack: Vec<&crate::model::Panel> = d.panels.iter().collect();
        while let Some(p) = stack.pop() {
            match &p.body {
                PanelBody::Row { panels, .. } => stack.extend(panels),
                PanelBody::Viz(v) => {
                    for q in &v.queries {
                        let path = path_of
                            .get(q.expr.as_str())
                            .map(|p| p.to_string())
                            .or_else(|| v.signal.as_ref().map(|s| format!("signals.{s}.expr")));
                        items.push((
                            "panel_query",
                            format!("{} / {} / {}", d.uid, p.title, q.ref_id),
                            q.expr.clone(),
                            path,
                        ));
                    }
                }
            }
        }
    }
    let sels_of: Vec<Vec<String>> = items
        .iter()
        .map(|(_, _, expr, _)| {
            crate::promql::parse(expr)
                .map(|ast| {
                    let mut t: Vec<String> = selectors(&ast).into_iter().map(|s| s.text).collect();
                    t.dedup();
                    t
                })
                .unwrap_or_default()
        })
        .collect();
    let unique: Vec<String> = sels_of.iter().flatten().cloned().collect::<BTreeSet<_>>().into_iter().collect();
    let counts = map_bounded(unique.clone(), opts.limits.concurrency, |sel| {
        let api = api.clone();
        async move {
            let v = api.get("query", &[("query", format!("count({sel})"))]).await?;
            Ok::<u64, String>(
                v["result"][0]["value"][1]
                    .as_str()
                    .and_then(|s| s.parse::<f64>().ok())
                    .map_or(0, |c| c as u64),
            )
        }
    })
    .await?;
    let mut count_of: HashMap<String, u64> = HashMap::new();
    for (s, c) in unique.into_iter().zip(counts) {
        count_of.insert(s, c?);
    }
    let mut out: Vec<Cost> = items
        .into_iter()
        .zip(sels_of)
        .map(|((kind, name, expr, path), sels)| {
            let series = sels.iter().map(|s| count_of.get(s).copied().unwrap_or(0)).sum();
            Cost {
                kind,
                name,
                expr,
                series,
                ok: series <= opts.max_series,
                location: path.and_then(|p| at(&p)),
            }
        })
        .collect();
    out.sort_by(|a, b| b.series.cmp(&a.series).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(name: &str, text: &str, labels: &[&str], vars: &[(&str, &str)]) -> Sel {
        Sel {
            name: name.into(),
            text: text.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            var_matchers: vars.iter().map(|(l, v)| (l.to_string(), v.to_string())).collect(),
        }
    }

    #[test]
    fn selectors_keep_fixed_matchers_and_note_variables() {
        let expr = r#"sum by (mode) (rate(cpu_total{mode!="idle", instance=~"$instance"}[$__rate_interval])) / count(cpu_total{mode="idle"}) + {__name__="up", job=""}"#;
        assert_eq!(
            selectors(&crate::promql::parse(expr).unwrap()),
            vec![
                sel(
                    "cpu_total",
                    r#"cpu_total{mode!="idle"}"#,
                    &["instance"],
                    &[("instance", "instance")]
                ),
                sel("cpu_total", r#"cpu_total{mode="idle"}"#, &["mode"], &[]),
                sel("up", r#"up{job=""}"#, &[], &[]),
            ]
        );
    }

    #[test]
    fn label_values_queries() {
        assert_eq!(
            label_values_query(r#"label_values(up{job="a", x=~"b,c"}, instance)"#),
            Some((Some(r#"up{job="a", x=~"b,c"}"#.into()), "instance".into()))
        );
        assert_eq!(label_values_query("label_values(job)"), Some((None, "job".into())));
        assert_eq!(label_values_query("query_result(up)"), None);
    }

    #[test]
    fn grafana_regexes() {
        assert!(grafana_regex("/.*:8443/").unwrap().is_match("a:8443"));
        assert!(grafana_regex("/^PROD$/i").unwrap().is_match("prod"));
        assert!(grafana_regex("^a").unwrap().is_match("ab"));
        assert!(grafana_regex("/(/").is_none());
    }

    #[test]
    fn absent_calls() {
        assert!(uses_absent(r#"absent(up{job="x"}) or up == 0"#));
        assert!(uses_absent("absent_over_time(up[5m])"));
        assert!(!uses_absent(r#"up{job="absent"} == 0"#));
    }
}
