//! Spec → Model. Runs after the checks passed; where the spec is still
//! inconsistent it falls back quietly rather than panicking.

use std::collections::BTreeMap;

use super::layout::{Flow, size};
use super::*;
use crate::conventions as c;
use crate::spec::{self, AbsentAlert, Op, PanelType, ThresholdValue};

/// Resolve the spec for `profile`.
pub fn lower(spec: &Spec, profile: Profile) -> Model {
    let links = alert_links(spec);
    let watched: Vec<&str> = spec
        .rules
        .iter()
        .flat_map(|g| &g.alerts)
        .filter_map(|a| a.threshold.as_ref().map(|t| t.signal.as_str()))
        .collect();
    let dashboards = spec.dashboards.iter().map(|d| dashboard(spec, d, &watched, &links)).collect();
    let groups = spec.rules.iter().map(|g| group(spec, g, &links)).collect();
    let mut m = Model {
        spec: spec.clone(),
        profile,
        dashboards,
        groups,
        scrape_jobs: Vec::new(),
    };
    m.scrape_jobs = scrape_jobs(&m);
    m
}

/// Alert name → (dashboard uid, panel id, panel title).
type Links = BTreeMap<String, (String, u32, String)>;

/// Which panel shows each alert's signal (see [`super::links::PanelIndex`]).
fn alert_links(spec: &Spec) -> Links {
    let ix = super::links::PanelIndex::new(spec);
    spec.rules
        .iter()
        .flat_map(|g| &g.alerts)
        .filter_map(|a| ix.for_alert(a).map(|p| (a.name.clone(), (p.uid.clone(), p.id, p.title.clone()))))
        .collect()
}

/// A panel's title: its own, else its signal's title, else the signal's name.
pub fn panel_title(spec: &Spec, p: &spec::Panel) -> String {
    if let Some(t) = &p.title {
        return t.clone();
    }
    if let Some(name) = &p.signal {
        if let Some(s) = spec.signals.get(name) {
            return s.title.clone().unwrap_or_else(|| name.clone());
        }
        return name.clone();
    }
    String::new()
}

/// A panel's queries: its signal's first, then its own.
pub fn panel_queries(spec: &Spec, p: &spec::Panel) -> Vec<spec::Query> {
    let mut out = Vec::new();
    if let Some(s) = p.signal.as_ref().and_then(|n| spec.signals.get(n)) {
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

fn dashboard(spec: &Spec, d: &spec::Dashboard, watched: &[&str], links: &Links) -> Dashboard {
    let folder = d.folder.clone().unwrap_or_else(|| c::DEFAULT_FOLDER.to_string());
    let folder_title = spec.grafana.folders.get(&folder).cloned().unwrap_or_else(|| {
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
        panels.push(viz(spec, p, id(), grid, watched));
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
                viz(spec, p, id(), grid, watched)
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
    let alert_names = links.iter().filter(|(_, l)| l.0 == d.uid).map(|(a, _)| a.clone()).collect();
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

fn viz(spec: &Spec, p: &spec::Panel, id: u32, grid: GridPos, watched: &[&str]) -> Panel {
    let signal = p.signal.as_ref().and_then(|n| spec.signals.get(n));
    let queries = panel_queries(spec, p)
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
    thresholds.sort_by(|a, b| a.0.total_cmp(&b.0));
    let threshold_lines = p.signal.as_deref().is_some_and(|s| watched.contains(&s)) && !thresholds.is_empty();
    Panel {
        id,
        title: panel_title(spec, p),
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
            threshold_lines,
            overrides: p.overrides.clone(),
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

fn group(spec: &Spec, g: &spec::RuleGroup, links: &Links) -> RuleGroup {
    let mut rules: Vec<Rule> = g
        .recording
        .iter()
        .map(|r| Rule::Recording {
            record: r.record.clone(),
            expr: r.expr.clone(),
            labels: r.labels.clone(),
        })
        .collect();
    rules.extend(g.alerts.iter().map(|a| Rule::Alert(alert(spec, a, links))));
    RuleGroup {
        name: g.name.clone(),
        interval: g.interval.clone(),
        rules,
    }
}

/// Wrap an expression in parentheses unless it is a single term.
fn paren(expr: &str) -> String {
    match promql_parser::parser::parse(expr) {
        Ok(promql_parser::parser::Expr::Binary(_)) => format!("({expr})"),
        _ => expr.to_string(),
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The condition, default `for`, summary and description of an alert.
fn condition(spec: &Spec, a: &spec::Alert) -> (String, Option<Duration>, String, String) {
    let window = spec.prometheus.rule_rate_window.as_str();
    if let Some(t) = &a.threshold {
        let sig = spec.signals.get(&t.signal);
        let expr = sig.and_then(|s| crate::promql::for_rule(&s.expr, window).ok()).unwrap_or_default();
        let value = match &t.value {
            ThresholdValue::Number(v) => *v,
            ThresholdValue::Level(l) => sig.and_then(|s| s.thresholds.get(l).copied()).unwrap_or(0.0),
        };
        let what = sig.and_then(|s| s.title.clone()).unwrap_or_else(|| t.signal.clone());
        let op = t.op.as_str();
        let (verb, unit) = match t.op {
            Op::Gt | Op::Ge => ("above", ""),
            Op::Lt | Op::Le => ("below", ""),
            Op::Eq => ("equal to", ""),
            Op::Ne => ("not equal to", ""),
        };
        let shown = if sig.and_then(|s| s.unit.as_deref()) == Some("percentunit") {
            "{{ $value | humanizePercentage }}".to_string()
        } else {
            "{{ $value | humanize }}".to_string()
        };
        return (
            format!("{} {op} {}", paren(&expr), fmt_num(value)),
            Some(Duration::from_secs(300)),
            format!(
                "{what} is {verb} {}{unit}{{{{ with $labels.instance }}}} on {{{{ . }}}}{{{{ end }}}}",
                fmt_num(value)
            ),
            format!(
                "{what} has been {shown}, {verb} the threshold of {} ({op}), for longer than the alert's `for` window. Check the linked panel for the trend and the runbook for what to do.",
                fmt_num(value)
            ),
        );
    }
    if let Some(AbsentAlert { job, selector }) = &a.absent {
        if let Some(job) = job {
            let sel = format!("up{{job=\"{job}\"}}");
            return (
                format!("{sel} == 0 or absent({sel})"),
                Some(Duration::from_secs(300)),
                format!("Scrape target of job {job} is down{{{{ with $labels.instance }}}} ({{{{ . }}}}){{{{ end }}}}"),
                format!(
                    "Prometheus has not been able to scrape job `{job}` for 5 minutes (or the job has no targets at all). Its metrics, dashboards and alerts are blind until it is back: check that the process runs and that its port answers."
                ),
            );
        }
        if let Some(sel) = selector {
            return (
                format!("absent({sel})"),
                Some(Duration::from_secs(600)),
                format!("No series match {sel}"),
                format!(
                    "No series have matched `{sel}` for 10 minutes. The exporter may be down, renamed the metric, or the label values changed."
                ),
            );
        }
    }
    (a.expr.clone().unwrap_or_default(), None, a.name.clone(), String::new())
}

fn alert(spec: &Spec, a: &spec::Alert, links: &Links) -> Alert {
    let (expr, default_for, summary, description) = condition(spec, a);
    let mut labels = a.labels.clone();
    if let Some(s) = a.severity {
        labels.insert(c::LABEL_SEVERITY.into(), s.as_str().into());
    }
    let mut ann = BTreeMap::new();
    ann.insert(c::ANNOTATION_SUMMARY.to_string(), a.summary.clone().unwrap_or(summary));
    let description = a.description.clone().unwrap_or(description);
    if !description.is_empty() {
        ann.insert(c::ANNOTATION_DESCRIPTION.to_string(), description);
    }
    let runbook = a
        .runbook_url
        .clone()
        .or_else(|| spec.alerting.runbook_base_url.as_ref().map(|b| format!("{b}{}", a.name)));
    if let Some(r) = runbook {
        ann.insert(c::ANNOTATION_RUNBOOK.to_string(), r);
    }
    if let Some((uid, id, _)) = links.get(&a.name) {
        let base = spec.grafana.external_url.trim_end_matches('/');
        ann.insert(c::ANNOTATION_DASHBOARD.to_string(), format!("{base}/d/{uid}"));
        ann.insert(c::ANNOTATION_PANEL.to_string(), format!("{base}/d/{uid}?viewPanel={id}"));
    }
    for (k, v) in &a.annotations {
        ann.insert(k.clone(), v.clone());
    }
    Alert {
        name: a.name.clone(),
        expr,
        for_: a.for_.clone().or(default_for),
        keep_firing_for: a.keep_firing_for.clone(),
        labels,
        annotations: ann,
    }
}

fn scrape_jobs(m: &Model) -> Vec<ScrapeJob> {
    let spec = &m.spec;
    let mut jobs = Vec::new();
    let job = |name: &str, target: String| ScrapeJob {
        name: name.to_string(),
        targets: vec![target],
        interval: None,
        timeout: None,
        metrics_path: "/metrics".into(),
        scheme: "http".into(),
        labels: BTreeMap::new(),
    };
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
        });
    }
    jobs
}

#[cfg(test)]
mod tests {
    use super::ref_id;

    #[test]
    fn ref_ids_are_spreadsheet_letters() {
        assert_eq!([ref_id(0), ref_id(25), ref_id(26), ref_id(27)], ["A", "Z", "AA", "AB"]);
    }
}
