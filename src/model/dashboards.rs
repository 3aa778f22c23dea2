//! Dashboards genmon generates beside the spec's own: `alerts-overview`
//! (firing alerts by severity) and `slos` (one row per SLO: objective, SLI,
//! error budget remaining, burn rates per window). They are built as spec
//! dashboards so they go through the same layout, ids and rendering.

use crate::conventions as c;
use crate::spec::{self, Dashboard, Panel, PanelType, Query, QueryFormat, Row, Spec, Threshold};

use super::kinds::{self, slo_burn_panel, slo_name};

fn q(expr: impl Into<String>, legend: Option<&str>, instant: bool) -> Query {
    Query {
        expr: expr.into(),
        legend: legend.map(str::to_string),
        instant,
        format: QueryFormat::TimeSeries,
    }
}

fn stat(title: &str, expr: String, unit: &str, thresholds: Vec<(f64, &str)>) -> Panel {
    Panel {
        title: Some(title.into()),
        kind: PanelType::Stat,
        queries: vec![q(expr, None, true)],
        unit: Some(unit.into()),
        thresholds: thresholds
            .into_iter()
            .map(|(value, color)| Threshold {
                value,
                color: color.into(),
            })
            .collect(),
        ..Panel::default()
    }
}

fn base(uid: &str, title: &str, description: &str) -> Dashboard {
    Dashboard {
        uid: uid.into(),
        title: title.into(),
        folder: Some(c::FOLDER_ALERTS.into()),
        tags: vec!["alerts".into()],
        description: Some(description.into()),
        refresh: "1m".into(),
        time: spec::TimeRange::default(),
        links: vec![spec::Link {
            title: "Alerts".into(),
            url: None,
            tags: vec!["alerts".into()],
            keep_time: true,
        }],
        variables: Vec::new(),
        panels: Vec::new(),
        rows: Vec::new(),
    }
}

/// The `alerts-overview` dashboard.
pub fn alerts_overview() -> Dashboard {
    let mut d = base(
        c::DASHBOARD_ALERTS,
        "Alerts",
        "Alerts firing now, by severity. Each alert's panel_url annotation links to the panel that shows its signal.",
    );
    for (sev, color) in [("critical", "red"), ("warning", "orange"), ("info", "blue")] {
        let mut p = stat(
            &format!("Firing: {sev}"),
            format!("count(ALERTS{{alertstate=\"firing\", severity=\"{sev}\"}}) or vector(0)"),
            "none",
            vec![(1.0, color)],
        );
        p.width = Some(6);
        d.panels.push(p);
    }
    let mut pending = stat(
        "Pending",
        "count(ALERTS{alertstate=\"pending\"}) or vector(0)".into(),
        "none",
        vec![(1.0, "yellow")],
    );
    pending.width = Some(6);
    d.panels.push(pending);
    d.panels.push(Panel {
        title: Some("Firing alerts".into()),
        kind: PanelType::Table,
        description: Some("Every firing alert with its labels; sort by severity.".into()),
        queries: vec![Query {
            expr: "ALERTS{alertstate=\"firing\"}".into(),
            legend: None,
            instant: true,
            format: QueryFormat::Table,
        }],
        width: Some(24),
        height: Some(10),
        ..Panel::default()
    });
    d.panels.push(Panel {
        title: Some("Firing alerts by severity".into()),
        kind: PanelType::Timeseries,
        queries: vec![q(
            "count by (severity) (ALERTS{alertstate=\"firing\"})",
            Some("{{severity}}"),
            false,
        )],
        unit: Some("none".into()),
        width: Some(24),
        stack: true,
        ..Panel::default()
    });
    d
}

/// The `slos` dashboard, when the spec has SLOs.
pub fn slos(spec: &Spec) -> Option<Dashboard> {
    let mut d = base(
        c::DASHBOARD_SLOS,
        "SLOs",
        "Service level objectives: objective, SLI over the period, error budget remaining and burn rate per window (1 = the budget lasts exactly the period).",
    );
    for a in spec.rules.iter().flat_map(|g| &g.alerts) {
        let Some(s) = a.slo() else { continue };
        let name = slo_name(a, s);
        let title = s.title.clone().unwrap_or_else(|| name.clone());
        let sel = |rec: &str| format!("{rec}{{{}=\"{name}\"}}", kinds::LABEL_SLO);
        let budget = kinds::fmt_num(1.0 - s.objective / 100.0);
        let period = s.period.as_str();
        let mut panels = vec![
            stat(&format!("{title}: objective"), sel(kinds::SLO_OBJECTIVE), "percentunit", vec![]),
            stat(
                &format!("{title}: SLI ({period})"),
                format!("1 - {}", sel(&kinds::slo_ratio_record(period))),
                "percentunit",
                vec![],
            ),
            stat(
                &format!("{title}: error budget remaining"),
                sel(kinds::SLO_BUDGET_REMAINING),
                "percentunit",
                vec![(0.0, "orange"), (0.25, "green")],
            ),
        ];
        for p in &mut panels {
            p.width = Some(8);
        }
        let plan = kinds::slo::plan_of(spec, s);
        // Each window's series per `by` combination: the legend names both.
        let legend = |w: &str| {
            let mut parts: Vec<String> = s.by.iter().map(|l| format!("{{{{{l}}}}}")).collect();
            parts.push(w.to_string());
            parts.join(" ")
        };
        let conditions = |page: bool| {
            plan.burns
                .iter()
                .filter(|b| b.page == page)
                .map(|b| {
                    format!(
                        "above {} over {} and {}",
                        kinds::fmt_num(b.factor),
                        kinds::slo::window_text(b.long),
                        kinds::slo::window_text(b.short)
                    )
                })
                .collect::<Vec<_>>()
                .join(", or ")
        };
        let page = plan.burns.iter().find(|b| b.page).map(|b| b.factor).unwrap_or(1.0);
        panels.push(Panel {
            title: Some(slo_burn_panel(&title)),
            kind: PanelType::Timeseries,
            description: Some(format!(
                "Error ratio per window divided by the error budget (1 = the budget lasts exactly the {period} period). Pages: {}. Tickets: {}. The windows scale with the period; the factors do not.",
                conditions(true),
                conditions(false)
            )),
            queries: plan
                .windows
                .iter()
                .map(|w| {
                    let w = kinds::slo::window_text(*w);
                    q(format!("{} / {budget}", sel(&kinds::slo_ratio_record(&w))), Some(&legend(&w)), false)
                })
                .collect(),
            unit: Some("none".into()),
            width: Some(24),
            // Ticket and page burn factors, as the alerts use them.
            thresholds: vec![
                Threshold { value: 1.0, color: "orange".into() },
                Threshold { value: page, color: "red".into() },
            ],
            ..Panel::default()
        });
        d.rows.push(Row {
            title: format!("SLO {title}"),
            collapsed: false,
            panels,
        });
    }
    (!d.rows.is_empty()).then_some(d)
}
