//! `genmon docs`: a catalog of the resolved model (alerts, SLOs, dashboards,
//! signals) with a policy report, as a static HTML site or as JSON.
//!
//! Everything here reads the [`Model`]; nothing goes back to the spec. The
//! catalog is one serde value: the JSON output is that value, and the HTML
//! templates read the same fields, so both always say the same thing.

pub mod html;
pub mod policy;
pub mod results;
pub mod routing;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::conventions as c;
use crate::model::facts::Facts;
use crate::model::kinds::unit_text;
use crate::model::{Model, PanelBody, Rule};
pub use policy::{PolicyCheck, PolicyRow};
pub use results::TestResults;
pub use routing::Reach;

/// Version of the JSON layout; bumped when a key changes meaning or goes away.
pub const SCHEMA: &str = "genmon-docs/1";

/// The whole catalog.
#[derive(Debug, Serialize)]
pub struct Catalog {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// The spec file it was built from.
    pub spec: String,
    pub summary: Summary,
    /// One row per policy and subject.
    pub policy: Vec<PolicyRow>,
    /// Per policy: how many subjects hold and fail.
    pub policy_summary: Vec<PolicyCheck>,
    pub alerts: Vec<AlertDoc>,
    pub slos: Vec<SloDoc>,
    pub dashboards: Vec<DashboardDoc>,
    pub signals: Vec<SignalDoc>,
    pub recording_rules: Vec<RecordingDoc>,
    /// What is known of the last `genmon test`.
    pub test_run: TestRun,
}

/// Counts on the index page.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub alerts: usize,
    pub critical: usize,
    pub warning: usize,
    pub info: usize,
    pub slos: usize,
    pub dashboards: usize,
    pub panels: usize,
    pub signals: usize,
    pub recording_rules: usize,
    pub policy_holds: usize,
    pub policy_fails: usize,
}

/// Where the test results come from and whether they are current.
#[derive(Debug, Serialize)]
pub struct TestRun {
    /// `current`, `stale` (another version of the spec) or `none` (not run, or not found).
    pub status: &'static str,
    /// The results file read.
    pub file: String,
    pub passed: usize,
    pub failed: usize,
}

/// One alert.
#[derive(Debug, Serialize)]
pub struct AlertDoc {
    pub name: String,
    /// Its page in the site (`alert-<name>.html`).
    pub page: String,
    pub group: String,
    /// The spec alert it comes from (an SLO makes several).
    pub spec_alert: String,
    pub kind: String,
    /// `critical`, `warning`, `info`, or empty when the alert has none.
    pub severity: String,
    pub summary: String,
    pub description: String,
    pub expr: String,
    /// `for`, empty when none.
    pub for_: String,
    pub keep_firing_for: String,
    pub labels: Vec<KeyValue>,
    /// The condition as written in the spec.
    pub params: Vec<KeyValue>,
    /// The watched signal and its unit.
    pub signal: String,
    pub unit: String,
    /// `> 95%`: comparison and level in the signal's unit (threshold alerts).
    pub threshold: String,
    /// Recording rules the expression reads, directly or through others, each before its readers.
    pub chain: Vec<RecordingDoc>,
    pub routes: Vec<Reach>,
    pub tests: Vec<TestDoc>,
    pub runbook_url: String,
    pub panel_url: String,
    pub dashboard_url: String,
    /// The panel in this catalog (`dashboards.html#panel-<uid>-<id>`), empty when none.
    pub panel_anchor: String,
    pub panel_title: String,
    /// Other annotations.
    pub annotations: Vec<KeyValue>,
    /// `pass`, `fail`, `not run` (no current results) or `untested`.
    pub test_status: String,
    /// Policies this alert fails (codes).
    pub violations: Vec<String>,
}

/// A key and its value.
#[derive(Debug, Clone, Serialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

/// One test case of an alert.
#[derive(Debug, Clone, Serialize)]
pub struct TestDoc {
    /// File under `alerts/tests/`.
    pub file: String,
    /// The case's name (`tests[].name`), or its position.
    pub name: String,
    /// `generated`, `spec` (the rule group's `tests:`) or `file` (your own file under `alerts/tests/`).
    pub source: &'static str,
    /// `pass`, `fail` or `not run`.
    pub result: String,
}

/// A recording rule.
#[derive(Debug, Clone, Serialize)]
pub struct RecordingDoc {
    pub record: String,
    pub expr: String,
    pub group: String,
}

/// One SLO.
#[derive(Debug, Serialize)]
pub struct SloDoc {
    pub name: String,
    pub title: String,
    pub spec_alert: String,
    /// Percent of good events.
    pub objective: f64,
    pub period: String,
    /// Share of events allowed to fail, 0–1.
    pub budget: f64,
    /// `0.1%`.
    pub budget_text: String,
    pub tiers: Vec<TierDoc>,
    pub alerts: Vec<SloAlertDoc>,
}

/// A burn-rate tier.
#[derive(Debug, Serialize)]
pub struct TierDoc {
    pub long_window: String,
    pub short_window: String,
    pub factor: f64,
    /// Error ratio both windows must exceed: factor × budget.
    pub error_ratio: f64,
    pub error_ratio_text: String,
    /// `page` or `ticket`.
    pub action: &'static str,
}

/// An alert an SLO generates.
#[derive(Debug, Serialize)]
pub struct SloAlertDoc {
    pub name: String,
    pub page: String,
    pub severity: String,
    /// `page`, `ticket` or `input`.
    pub role: &'static str,
}

/// One dashboard.
#[derive(Debug, Serialize)]
pub struct DashboardDoc {
    pub uid: String,
    pub title: String,
    pub folder: String,
    pub description: String,
    /// The dashboard in Grafana (`grafana.external_url` + `/d/<uid>`).
    pub url: String,
    pub panels: Vec<PanelDoc>,
}

/// One panel (rows included, with their panels after them).
#[derive(Debug, Serialize)]
pub struct PanelDoc {
    pub id: u32,
    /// `dashboards.html#<anchor>`.
    pub anchor: String,
    pub title: String,
    /// Grafana panel type, or `row`.
    pub kind: String,
    pub unit: String,
    pub signal: String,
    pub queries: Vec<QueryDoc>,
    /// Alerts whose panel this is.
    pub alerts: Vec<String>,
}

/// A panel query.
#[derive(Debug, Serialize)]
pub struct QueryDoc {
    pub ref_id: String,
    pub expr: String,
    pub legend: String,
}

/// One signal and where it is used.
#[derive(Debug, Serialize)]
pub struct SignalDoc {
    pub name: String,
    pub anchor: String,
    pub title: String,
    pub description: String,
    pub expr: String,
    pub unit: String,
    pub thresholds: Vec<KeyValue>,
    /// Panels showing it: `<dashboard title> / <panel title>` with their anchors.
    pub panels: Vec<KeyValue>,
    /// Alerts watching it (names).
    pub alerts: Vec<String>,
}

/// Characters safe in a file name and an HTML id: ASCII letters, digits, `-`, `_`.
pub fn slug(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
                ch
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    if out.is_empty() { "-".into() } else { out }
}

/// A unique slug per name, `-2`, `-3`, … on collisions.
fn unique_slugs<'a>(names: impl Iterator<Item = &'a str>) -> BTreeMap<String, String> {
    let mut taken = BTreeSet::new();
    let mut out = BTreeMap::new();
    for n in names {
        let base = slug(n);
        let mut s = base.clone();
        let mut i = 2;
        while !taken.insert(s.to_lowercase()) {
            s = format!("{base}-{i}");
            i += 1;
        }
        out.insert(n.to_string(), s);
    }
    out
}

/// Anchor of a panel on the dashboards page.
fn panel_anchor(uid: &str, id: u32) -> String {
    format!("panel-{}-{id}", slug(uid))
}

/// A user's own test file: its name under `alerts/tests/` and its text.
pub struct UserTests {
    pub file: String,
    pub text: String,
}

/// Build the catalog of `m`.
pub fn build(m: &Model, facts: &Facts, spec_name: &str, user_tests: &[UserTests], results: &results::Loaded) -> Catalog {
    let records: BTreeMap<&str, RecordingDoc> = m
        .groups
        .iter()
        .flat_map(|g| {
            g.rules.iter().filter_map(move |r| match r {
                Rule::Recording { record, expr, .. } => Some((
                    record.as_str(),
                    RecordingDoc {
                        record: record.clone(),
                        expr: expr.clone(),
                        group: g.name.clone(),
                    },
                )),
                Rule::Alert(_) => None,
            })
        })
        .collect();
    let alerts_in_order: Vec<(&str, &crate::model::Alert)> = m
        .groups
        .iter()
        .flat_map(|g| {
            g.rules.iter().filter_map(move |r| match r {
                Rule::Alert(a) => Some((g.name.as_str(), a)),
                Rule::Recording { .. } => None,
            })
        })
        .collect();
    let pages = unique_slugs(alerts_in_order.iter().map(|(_, a)| a.name.as_str()));
    let page_of = |name: &str| pages.get(name).map(|s| format!("alert-{s}.html")).unwrap_or_default();
    let tests = tests_by_alert(m, facts, user_tests, results);
    let mut alerts: Vec<AlertDoc> = alerts_in_order
        .iter()
        .map(|(group, a)| {
            let f = facts.alerts.get(&a.name);
            let mut labels = a.labels.clone();
            labels.insert("alertname".into(), a.name.clone());
            let ann = |k: &str| a.annotations.get(k).cloned().unwrap_or_default();
            let known = [
                c::ANNOTATION_SUMMARY,
                c::ANNOTATION_DESCRIPTION,
                c::ANNOTATION_RUNBOOK,
                c::ANNOTATION_PANEL,
                c::ANNOTATION_DASHBOARD,
            ];
            let tests: Vec<TestDoc> = tests.get(a.name.as_str()).map(|t| t.to_vec()).unwrap_or_default();
            let test_status = if tests.is_empty() {
                "untested"
            } else if tests.iter().any(|t| t.result == "fail") {
                "fail"
            } else if tests.iter().all(|t| t.result == "pass") {
                "pass"
            } else {
                "not run"
            };
            AlertDoc {
                name: a.name.clone(),
                page: page_of(&a.name),
                group: group.to_string(),
                spec_alert: f.map(|f| f.spec_alert.clone()).unwrap_or_else(|| a.name.clone()),
                kind: f.map(|f| f.kind.to_string()).unwrap_or_default(),
                severity: a.labels.get(c::LABEL_SEVERITY).cloned().unwrap_or_default(),
                summary: ann(c::ANNOTATION_SUMMARY),
                description: ann(c::ANNOTATION_DESCRIPTION),
                expr: a.expr.clone(),
                for_: a.for_.as_ref().map(|d| d.to_string()).unwrap_or_default(),
                keep_firing_for: a.keep_firing_for.as_ref().map(|d| d.to_string()).unwrap_or_default(),
                labels: kv(a.labels.iter()),
                params: f
                    .map(|f| {
                        f.params
                            .iter()
                            .map(|(k, v)| KeyValue {
                                key: k.clone(),
                                value: v.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                signal: f.and_then(|f| f.signal.clone()).unwrap_or_default(),
                unit: f.and_then(|f| f.unit.clone()).unwrap_or_default(),
                threshold: f
                    .and_then(|f| {
                        f.threshold
                            .as_ref()
                            .map(|(op, v)| format!("{op} {}", unit_text(f.unit.as_deref(), *v)))
                    })
                    .unwrap_or_default(),
                chain: chain(&a.expr, &records),
                routes: routing::route(&m.alertmanager, &labels),
                tests,
                runbook_url: ann(c::ANNOTATION_RUNBOOK),
                panel_url: ann(c::ANNOTATION_PANEL),
                dashboard_url: ann(c::ANNOTATION_DASHBOARD),
                panel_anchor: f
                    .and_then(|f| f.panel.as_ref())
                    .map(|(uid, id, _)| format!("dashboards.html#{}", panel_anchor(uid, *id)))
                    .unwrap_or_default(),
                panel_title: f.and_then(|f| f.panel.as_ref()).map(|p| p.2.clone()).unwrap_or_default(),
                annotations: kv(a.annotations.iter().filter(|(k, _)| !known.contains(&k.as_str()))),
                test_status: test_status.into(),
                violations: Vec::new(),
            }
        })
        .collect();
    let slos = facts
        .slos
        .iter()
        .map(|s| {
            let budget = 1.0 - s.objective / 100.0;
            let ratio = |f: f64| crate::model::kinds::fmt_num(f * budget);
            SloDoc {
                name: s.name.clone(),
                title: s.title.clone(),
                spec_alert: s.spec_alert.clone(),
                objective: s.objective,
                period: s.period.to_string(),
                budget: budget_round(budget),
                budget_text: unit_text(Some("percentunit"), budget),
                tiers: s
                    .tiers
                    .iter()
                    .map(|t| TierDoc {
                        long_window: t.long.to_string(),
                        short_window: t.short.to_string(),
                        factor: t.factor,
                        error_ratio: ratio(t.factor).parse().unwrap_or(t.factor * budget),
                        error_ratio_text: unit_text(Some("percentunit"), t.factor * budget),
                        action: if t.page { "page" } else { "ticket" },
                    })
                    .collect(),
                alerts: s
                    .alerts
                    .iter()
                    .map(|(name, sev, role)| SloAlertDoc {
                        name: name.clone(),
                        page: page_of(name),
                        severity: sev.clone().unwrap_or_default(),
                        role,
                    })
                    .collect(),
            }
        })
        .collect();
    let dashboards = dashboards(m, facts);
    let signals = signals(facts, &dashboards);
    let (policy, policy_summary) = policy::evaluate(facts, &alerts, &signals);
    for a in &mut alerts {
        a.violations = policy
            .iter()
            .filter(|p| !p.holds && p.subject == a.name)
            .map(|p| p.check.to_string())
            .collect();
    }
    let count = |sev: &str| alerts.iter().filter(|a| a.severity == sev).count();
    let summary = Summary {
        alerts: alerts.len(),
        critical: count("critical"),
        warning: count("warning"),
        info: count("info"),
        slos: facts.slos.len(),
        dashboards: dashboards.len(),
        panels: dashboards.iter().map(|d| d.panels.iter().filter(|p| p.kind != "row").count()).sum(),
        signals: signals.len(),
        recording_rules: records.len(),
        policy_holds: policy.iter().filter(|p| p.holds).count(),
        policy_fails: policy.iter().filter(|p| !p.holds).count(),
    };
    let outcomes = results.current().map(|r| r.results.as_slice()).unwrap_or_default();
    Catalog {
        schema: SCHEMA,
        spec: spec_name.to_string(),
        summary,
        policy,
        policy_summary,
        alerts,
        slos,
        dashboards,
        signals,
        recording_rules: records.into_values().collect(),
        test_run: TestRun {
            status: results.status(),
            file: results.path.clone(),
            passed: outcomes.iter().filter(|r| r.result == "pass").count(),
            failed: outcomes.iter().filter(|r| r.result != "pass").count(),
        },
    }
}

fn budget_round(v: f64) -> f64 {
    crate::model::kinds::fmt_num(v).parse().unwrap_or(v)
}

fn kv<'a>(it: impl Iterator<Item = (&'a String, &'a String)>) -> Vec<KeyValue> {
    it.map(|(k, v)| KeyValue {
        key: k.clone(),
        value: v.clone(),
    })
    .collect()
}

/// The recording rules `expr` reads, each listed after the ones it reads itself.
fn chain(expr: &str, records: &BTreeMap<&str, RecordingDoc>) -> Vec<RecordingDoc> {
    fn visit(expr: &str, records: &BTreeMap<&str, RecordingDoc>, seen: &mut BTreeSet<String>, out: &mut Vec<RecordingDoc>) {
        let Ok(e) = crate::promql::parse(expr) else { return };
        for name in crate::promql::metric_names(&e) {
            if let Some(r) = records.get(name.as_str())
                && seen.insert(name)
            {
                visit(&r.expr, records, seen, out);
                out.push(r.clone());
            }
        }
    }
    let mut out = Vec::new();
    visit(expr, records, &mut BTreeSet::new(), &mut out);
    out
}

/// Test cases per alert name: the generated files' cases and the user's own.
fn tests_by_alert<'m>(m: &'m Model, facts: &Facts, user: &'m [UserTests], results: &results::Loaded) -> BTreeMap<String, Vec<TestDoc>> {
    let mut out: BTreeMap<String, Vec<TestDoc>> = BTreeMap::new();
    let mut add = |alert: &str, file: &str, name: String, source: &'static str| {
        let result = results.result(file, alert).to_string();
        out.entry(alert.to_string()).or_default().push(TestDoc {
            file: file.to_string(),
            name,
            source,
            result,
        });
    };
    for t in &m.tests {
        let file = format!("{}.test.yml", t.group);
        let first_spec = t.tests.len() - facts.spec_tests.get(&t.group).copied().unwrap_or(0).min(t.tests.len());
        for (i, case) in t.tests.iter().enumerate() {
            let name = case.name.clone().unwrap_or_else(|| format!("case {}", i + 1));
            let mut alerts: Vec<&str> = case.alert_rule_test.iter().map(|a| a.alertname.as_str()).collect();
            alerts.dedup();
            for a in alerts {
                add(a, &file, name.clone(), if i < first_spec { "generated" } else { "spec" });
            }
        }
    }
    for u in user {
        for a in crate::pipeline::tested_alerts(&u.text) {
            add(&a, &u.file, "(your test file)".into(), "file");
        }
    }
    out
}

fn viz_kind(k: crate::spec::PanelType) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn dashboards(m: &Model, facts: &Facts) -> Vec<DashboardDoc> {
    let mut by_panel: BTreeMap<(String, u32), Vec<String>> = BTreeMap::new();
    for (name, f) in &facts.alerts {
        if let Some((uid, id, _)) = &f.panel {
            by_panel.entry((uid.clone(), *id)).or_default().push(name.clone());
        }
    }
    m.dashboards
        .iter()
        .map(|d| {
            let mut panels = Vec::new();
            let mut push = |p: &crate::model::Panel| {
                let alerts = by_panel.get(&(d.uid.clone(), p.id)).cloned().unwrap_or_default();
                let anchor = panel_anchor(&d.uid, p.id);
                panels.push(match &p.body {
                    PanelBody::Row { .. } => PanelDoc {
                        id: p.id,
                        anchor,
                        title: p.title.clone(),
                        kind: "row".into(),
                        unit: String::new(),
                        signal: String::new(),
                        queries: Vec::new(),
                        alerts,
                    },
                    PanelBody::Viz(v) => PanelDoc {
                        id: p.id,
                        anchor,
                        title: p.title.clone(),
                        kind: viz_kind(v.kind),
                        unit: v.unit.clone().unwrap_or_default(),
                        signal: v.signal.clone().unwrap_or_default(),
                        queries: v
                            .queries
                            .iter()
                            .map(|q| QueryDoc {
                                ref_id: q.ref_id.clone(),
                                expr: q.expr.clone(),
                                legend: q.legend.clone().unwrap_or_default(),
                            })
                            .collect(),
                        alerts,
                    },
                });
            };
            for p in &d.panels {
                push(p);
                if let PanelBody::Row { panels: inner, .. } = &p.body {
                    inner.iter().for_each(&mut push);
                }
            }
            DashboardDoc {
                uid: d.uid.clone(),
                title: d.title.clone(),
                folder: d.folder_title.clone(),
                description: d.description.clone().unwrap_or_default(),
                url: format!("{}/d/{}", m.grafana.external_url.trim_end_matches('/'), d.uid),
                panels,
            }
        })
        .collect()
}

fn signals(facts: &Facts, dashboards: &[DashboardDoc]) -> Vec<SignalDoc> {
    let anchors = unique_slugs(facts.signals.iter().map(|s| s.name.as_str()));
    facts
        .signals
        .iter()
        .map(|s| {
            let panels = dashboards
                .iter()
                .flat_map(|d| {
                    d.panels.iter().filter(|p| p.signal == s.name).map(move |p| KeyValue {
                        key: format!("{} / {}", d.title, p.title),
                        value: p.anchor.clone(),
                    })
                })
                .collect();
            let alerts = facts
                .alerts
                .iter()
                .filter(|(_, f)| f.signal.as_deref() == Some(s.name.as_str()) || f.signals.contains(&s.name))
                .map(|(n, _)| n.clone())
                .collect();
            SignalDoc {
                name: s.name.clone(),
                anchor: format!("signal-{}", anchors.get(&s.name).cloned().unwrap_or_default()),
                title: s.title.clone().unwrap_or_default(),
                description: s.description.clone().unwrap_or_default(),
                expr: s.expr.clone(),
                unit: s.unit.clone().unwrap_or_default(),
                thresholds: s
                    .thresholds
                    .iter()
                    .map(|(k, v)| KeyValue {
                        key: k.clone(),
                        value: unit_text(s.unit.as_deref(), *v),
                    })
                    .collect(),
                panels,
                alerts,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(record: &str, expr: &str) -> (String, RecordingDoc) {
        (
            record.to_string(),
            RecordingDoc {
                record: record.into(),
                expr: expr.into(),
                group: "g".into(),
            },
        )
    }

    #[test]
    fn chain_lists_each_rule_after_the_rules_it_reads_once_even_in_a_cycle() {
        let owned: BTreeMap<String, RecordingDoc> = [
            rec("a:x:sum", "sum(b:x:rate) + c:x:rate"),
            rec("b:x:rate", "rate(x_total[5m]) + c:x:rate"),
            rec("c:x:rate", "rate(y_total[5m])"),
            rec("loop:one", "loop:two"),
            rec("loop:two", "loop:one"),
        ]
        .into_iter()
        .collect();
        let records: BTreeMap<&str, RecordingDoc> = owned.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let names = |expr: &str| chain(expr, &records).into_iter().map(|r| r.record).collect::<Vec<_>>();
        assert_eq!(names("a:x:sum > 1"), ["c:x:rate", "b:x:rate", "a:x:sum"]);
        assert_eq!(names("loop:one > 0"), ["loop:two", "loop:one"]);
        assert!(names("up == 0").is_empty());
    }

    #[test]
    fn slugs_are_safe_and_unique_even_on_case_insensitive_file_systems() {
        let s = unique_slugs(["HostDown", "Hostdown", "a/../b", "a-..-b", "<script>", ""].into_iter());
        assert_eq!(s["HostDown"], "HostDown");
        assert_eq!(s["Hostdown"], "Hostdown-2");
        assert_eq!(s["a/../b"], "a----b");
        assert_eq!(s["a-..-b"], "a----b-2");
        assert_eq!(s["<script>"], "-script-");
        assert_eq!(s[""], "-");
        assert!(
            s.values()
                .all(|v| v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        );
    }
}
