//! `services:` → the spec's own parts. Each service declared in the spec
//! becomes, on the metric and label names of the `genmon-service` library
//! (taken from [`genmon_service::catalog`], so the two cannot disagree):
//!
//! - a scrape job (the service's `scrape`);
//! - signals `<name>_error_ratio` and `<name>_latency_p99` (per route);
//! - a RED dashboard `service-<name>`: request rate, error ratio, latency
//!   p50/p90/p99 per route, requests in flight, process CPU, memory and file
//!   descriptors, tokio runtime; then the service's extra `panels`;
//! - a rule group `service-<name>`: `<Name>Down` (`absent` kind),
//!   `<Name>HighErrorRatio` and `<Name>HighLatency` (`threshold` kind), each
//!   linked to its panel on that dashboard;
//! - with `slo:`, `<Name>Availability` and `<Name>Latency` alerts of the `slo`
//!   kind (burn-rate alerts, recordings, the SLO dashboard's rows).
//!
//! The expansion runs before checks and lowering, so everything generated
//! goes through the same checks, kinds, generated tests and renderers as
//! what users write. [`Origins`] maps a problem found in generated parts
//! back to the `services[i]` entry it came from.

use genmon_service::catalog as lib;

use crate::diag::Diagnostic;
use crate::spec::{
    AbsentAlert, Alert, Condition, Dashboard, LatencySli, Link, Op, Panel, PanelType, Positions, Query, Row, RuleGroup, Service, Severity,
    Signal, SloAlert, Spec, Threshold, ThresholdAlert, ThresholdValue, TimeRange, Variable,
};

/// Folder of service dashboards unless a service names one.
pub const FOLDER: &str = "services";
/// Dashboard uid and rule group name of a service.
pub fn dashboard_uid(name: &str) -> String {
    format!("service-{name}")
}

/// Panel titles alerts link to.
pub const PANEL_UP: &str = "Targets up";
pub const PANEL_ERRORS: &str = "Error ratio by route";
pub const PANEL_LATENCY: &str = "Latency by route";

/// A valid service name: lowercase letters, digits and `-`, starting with a
/// letter, short enough for a dashboard uid (`service-<name>`, at most 40).
pub fn valid_name(name: &str) -> bool {
    name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

/// `cart-api` → `CartApi` (alert names).
fn camel(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Where the generated parts of each service are, to relocate problems.
#[derive(Debug, Default)]
pub struct Origins {
    /// (generated spec path prefix, `services[i]…` path, keep the rest of the path).
    map: Vec<(String, String, bool)>,
    /// Service name per mapped entry (same index as `map`).
    names: Vec<String>,
}

impl Origins {
    fn add(&mut self, generated: String, origin: String, keep_rest: bool, name: &str) {
        self.map.push((generated, origin, keep_rest));
        self.names.push(name.to_string());
    }

    /// Point every problem found in a generated part at the service it came
    /// from (its spec path and file position), saying what was generated.
    pub fn relocate(&self, diags: &mut [Diagnostic], positions: &Positions) {
        for d in diags.iter_mut() {
            let hit = self
                .map
                .iter()
                .zip(&self.names)
                .filter(|((g, _, _), _)| d.path == *g || d.path.strip_prefix(g.as_str()).is_some_and(|r| r.starts_with(['.', '['])))
                .max_by_key(|((g, _, _), _)| g.len());
            let Some(((g, origin, keep), name)) = hit else { continue };
            let path = if *keep {
                format!("{origin}{}", &d.path[g.len()..])
            } else {
                origin.clone()
            };
            d.message = format!("{} (generated for service `{name}` as `{}`)", d.message, d.path);
            // A copied value (a service's own panel, its scrape job) is the
            // same text: a problem's place inside it still holds.
            let within = d.within.take().filter(|_| *keep);
            d.pos = within
                .and_then(|(r, text)| positions.within(&path, r, &text))
                .or_else(|| positions.value(&path));
            d.key = positions.key_of(&path);
            d.path = path;
        }
    }
}

/// The spec with every valid service expanded, and where each generated part
/// came from; `None` when the spec declares no services (nothing to copy).
/// Services with an invalid name are left out (the `services/*` check reports them).
pub fn expand(spec: &Spec) -> Option<(Spec, Origins)> {
    if spec.services.is_empty() {
        return None;
    }
    let mut out = spec.clone();
    let mut origins = Origins::default();
    for (i, svc) in spec.services.iter().enumerate() {
        if valid_name(&svc.name) {
            expand_one(&mut out, &mut origins, i, svc);
        }
    }
    // `overrides.alerts` of the alerts made here, checked and left by compose.
    for (name, a) in std::mem::take(&mut out.overrides.alerts) {
        if let Some(alert) = out.rules.iter_mut().flat_map(|g| &mut g.alerts).find(|x| x.name == name) {
            // compose checked the override against this very alert.
            let _ = crate::compose::set_alert_fields(alert, a);
        }
    }
    Some((out, origins))
}

/// Queries of one service: selectors on its job, filtered by the dashboard's variables.
struct Q {
    job: String,
}

impl Q {
    /// `{job="…", instance=~"$instance"}` plus `extra` matchers.
    fn sel(&self, extra: &str) -> String {
        let sep = if extra.is_empty() { "" } else { ", " };
        format!("{{job=\"{}\", instance=~\"$instance\"{sep}{extra}}}", self.job)
    }

    /// Request counter (the histogram's `_count`) on the dashboard's routes.
    fn requests(&self, extra: &str) -> String {
        let route = format!("{}=~\"$route\"", lib::LABEL_ROUTE);
        let m = if extra.is_empty() { route } else { format!("{route}, {extra}") };
        format!("{}_count{}", lib::HTTP_DURATION, self.sel(&m))
    }

    fn rate(&self, metric_sel: &str) -> String {
        format!("rate({metric_sel}[$__rate_interval])")
    }

    fn errors(&self) -> String {
        format!("{}=~\"5..|\"", lib::LABEL_STATUS)
    }

    /// Error ratio by `by` labels: a missing 5xx series is zero errors.
    fn error_ratio(&self, by: &str) -> String {
        let agg = if by.is_empty() {
            "sum".to_string()
        } else {
            format!("sum by ({by})")
        };
        let all = format!("{agg} ({})", self.rate(&self.requests("")));
        format!("({agg} ({}) or 0 * {all}) / {all}", self.rate(&self.requests(&self.errors())))
    }

    fn quantile(&self, q: f64, by: &str) -> String {
        let route = format!("{}=~\"$route\"", lib::LABEL_ROUTE);
        let by = if by.is_empty() { "le".to_string() } else { format!("le, {by}") };
        format!(
            "histogram_quantile({q}, sum by ({by}) ({}))",
            self.rate(&format!("{}_bucket{}", lib::HTTP_DURATION, self.sel(&route)))
        )
    }

    fn plain(&self, metric: &str) -> String {
        format!("{metric}{}", self.sel(""))
    }
}

fn panel(title: &str, kind: PanelType, unit: &str, queries: Vec<(String, &str)>) -> Panel {
    Panel {
        title: Some(title.into()),
        kind,
        unit: Some(unit.into()),
        queries: queries
            .into_iter()
            .map(|(expr, legend)| Query {
                expr,
                legend: (!legend.is_empty()).then(|| legend.to_string()),
                instant: kind != PanelType::Timeseries,
                format: Default::default(),
            })
            .collect(),
        ..Panel::default()
    }
}

fn expand_one(out: &mut Spec, origins: &mut Origins, i: usize, svc: &Service) {
    let name = &svc.name;
    let at = format!("services[{i}]");
    let title = svc.title.clone().unwrap_or_else(|| name.clone());
    let alert = camel(name);
    let uid = dashboard_uid(name);
    let key = crate::conventions::snake(name);
    let q = Q {
        job: svc.scrape.name.clone(),
    };
    let route = lib::LABEL_ROUTE;
    let a = &svc.alerts;

    // Scrape job.
    origins.add(
        format!("prometheus.scrape_jobs[{}]", out.prometheus.scrape_jobs.len()),
        format!("{at}.scrape"),
        true,
        name,
    );
    out.prometheus.scrape_jobs.push(svc.scrape.clone());

    // Signals the alerts watch.
    let err_sig = format!("{key}_error_ratio");
    let lat_sig = format!("{key}_latency_p99");
    for (sig, field) in [(&err_sig, "alerts.error_ratio"), (&lat_sig, "alerts.latency_p99")] {
        origins.add(format!("signals.{sig}"), format!("{at}.{field}"), false, name);
    }
    out.signals.insert(
        err_sig.clone(),
        Signal {
            expr: q.error_ratio(route),
            title: Some(format!("{title} error ratio")),
            description: Some(format!("Share of {title}'s requests answered with a 5xx status, per route.")),
            legend: Some(format!("{{{{{route}}}}}")),
            unit: Some("percentunit".into()),
            min: Some(0.0),
            max: None,
            thresholds: [("warning".to_string(), a.error_ratio)].into_iter().collect(),
            thresholds_by: Default::default(),
        },
    );
    out.signals.insert(
        lat_sig.clone(),
        Signal {
            expr: q.quantile(0.99, route),
            title: Some(format!("{title} p99 latency")),
            description: Some(format!("99th percentile of {title}'s request duration, per route.")),
            legend: Some(format!("p99 {{{{{route}}}}}")),
            unit: Some("s".into()),
            min: Some(0.0),
            max: None,
            thresholds: [("warning".to_string(), a.latency_p99)].into_iter().collect(),
            thresholds_by: Default::default(),
        },
    );

    // The RED dashboard.
    use PanelType::{Stat, Timeseries};
    let reqs = q.rate(&q.requests(""));
    let mut latency = panel(
        PANEL_LATENCY,
        Timeseries,
        "s",
        vec![
            (q.quantile(0.5, route), "p50 {{http_route}}"),
            (q.quantile(0.9, route), "p90 {{http_route}}"),
            (q.quantile(0.99, route), "p99 {{http_route}}"),
        ],
    );
    latency.thresholds = vec![Threshold {
        value: a.latency_p99,
        color: "red".into(),
    }];
    latency.description = Some("Request duration quantiles per route; the red line is the latency alert's level.".into());
    let mut rows = vec![
        Row {
            title: "Requests".into(),
            collapsed: false,
            panels: vec![
                panel(
                    "Request rate by route",
                    Timeseries,
                    "reqps",
                    vec![(
                        format!("sum by ({route}, {}) ({reqs})", lib::LABEL_METHOD),
                        "{{http_request_method}} {{http_route}}",
                    )],
                ),
                Panel {
                    title: Some(PANEL_ERRORS.into()),
                    signal: Some(err_sig.clone()),
                    ..Panel::default()
                },
                panel(
                    "Responses by status",
                    Timeseries,
                    "reqps",
                    vec![(format!("sum by ({}) ({reqs})", lib::LABEL_STATUS), "{{http_response_status_code}}")],
                ),
                latency,
            ],
        },
        Row {
            title: "Saturation".into(),
            collapsed: false,
            panels: vec![
                panel(
                    "Requests in flight",
                    Timeseries,
                    "none",
                    vec![(
                        format!("sum by ({}) ({})", lib::LABEL_METHOD, q.plain(lib::HTTP_ACTIVE)),
                        "{{http_request_method}}",
                    )],
                ),
                panel(
                    "CPU",
                    Timeseries,
                    "percentunit",
                    vec![(q.rate(&q.plain(lib::PROCESS_CPU)), "{{instance}}")],
                ),
                panel(
                    "Resident memory",
                    Timeseries,
                    "bytes",
                    vec![(q.plain(lib::PROCESS_RESIDENT), "{{instance}}")],
                ),
                panel(
                    "File descriptors used",
                    Timeseries,
                    "percentunit",
                    vec![(
                        format!("{} / {}", q.plain(lib::PROCESS_OPEN_FDS), q.plain(lib::PROCESS_MAX_FDS)),
                        "{{instance}}",
                    )],
                ),
            ],
        },
        Row {
            title: "Tokio runtime".into(),
            collapsed: false,
            panels: vec![
                panel(
                    "Workers busy",
                    Timeseries,
                    "percentunit",
                    vec![(
                        format!("{} / {}", q.rate(&q.plain(lib::TOKIO_BUSY)), q.plain(lib::TOKIO_WORKERS)),
                        "{{instance}}",
                    )],
                ),
                panel(
                    "Global queue depth",
                    Timeseries,
                    "none",
                    vec![(q.plain(lib::TOKIO_GLOBAL_QUEUE), "{{instance}}")],
                ),
                panel(
                    "Alive tasks",
                    Timeseries,
                    "none",
                    vec![(q.plain(lib::TOKIO_ALIVE_TASKS), "{{instance}}")],
                ),
                panel(
                    "Blocking threads",
                    Timeseries,
                    "none",
                    vec![(q.plain(lib::TOKIO_BLOCKING_THREADS), "{{instance}}")],
                ),
            ],
        },
    ];
    let di = out.dashboards.len();
    if !svc.panels.is_empty() {
        origins.add(
            format!("dashboards[{di}].rows[{}].panels", rows.len()),
            format!("{at}.panels"),
            true,
            name,
        );
        rows.push(Row {
            title: format!("{title}: own metrics"),
            collapsed: false,
            panels: svc.panels.clone(),
        });
    }
    origins.add(format!("dashboards[{di}]"), at.clone(), false, name);
    let errors_total = format!("(sum ({}) or vector(0)) / sum ({reqs})", q.rate(&q.requests(&q.errors())));
    let folder = svc.folder.clone().unwrap_or_else(|| {
        out.grafana.folders.entry(FOLDER.into()).or_insert_with(|| "Services".into());
        FOLDER.into()
    });
    out.dashboards.push(Dashboard {
        uid: uid.clone(),
        title: format!("Service: {title}"),
        folder: Some(folder),
        tags: vec!["services".into(), name.clone()],
        description: Some(format!(
            "{title}: requests, errors and latency per route, saturation and tokio runtime, from the genmon-service library's metrics."
        )),
        refresh: "30s".into(),
        time: TimeRange {
            from: "now-1h".into(),
            to: "now".into(),
        },
        links: vec![Link {
            title: "Alerts and SLOs".into(),
            url: None,
            tags: vec![crate::conventions::FOLDER_ALERTS.into()],
            keep_time: true,
        }],
        variables: vec![
            Variable::Query {
                name: "instance".into(),
                label: Some("Instance".into()),
                query: format!("label_values(up{{job=\"{}\"}}, instance)", q.job),
                multi: true,
                include_all: true,
                all_value: None,
                regex: None,
            },
            Variable::Query {
                name: "route".into(),
                label: Some("Route".into()),
                query: format!("label_values({}_count{{job=\"{}\"}}, {route})", lib::HTTP_DURATION, q.job),
                multi: true,
                include_all: true,
                all_value: None,
                regex: None,
            },
        ],
        panels: vec![
            panel("Request rate", Stat, "reqps", vec![(format!("sum ({reqs})"), "")]),
            panel("Error ratio", Stat, "percentunit", vec![(errors_total, "")]),
            panel("Latency p99", Stat, "s", vec![(q.quantile(0.99, ""), "")]),
            panel(
                PANEL_UP,
                Stat,
                "none",
                vec![(format!("sum (up{{job=\"{}\", instance=~\"$instance\"}})", q.job), "")],
            ),
        ],
        rows,
    });

    // Alerts.
    let gi = out.rules.len();
    let link = |p: &str| Some(format!("{uid}/{p}"));
    let mut alerts = vec![
        Alert {
            severity: Some(Severity::Critical),
            panel: link(PANEL_UP),
            ..bare(
                format!("{alert}Down"),
                Condition::Absent(AbsentAlert {
                    job: Some(q.job.clone()),
                    selector: None,
                }),
            )
        },
        Alert {
            for_: Some(a.for_.clone()),
            severity: Some(a.severity),
            panel: link(PANEL_ERRORS),
            ..bare(
                format!("{alert}HighErrorRatio"),
                Condition::Threshold(ThresholdAlert {
                    signal: err_sig,
                    op: Op::Gt,
                    value: ThresholdValue::Level("warning".into()),
                    thresholds_by: Default::default(),
                }),
            )
        },
        Alert {
            for_: Some(a.for_.clone()),
            severity: Some(a.severity),
            panel: link(PANEL_LATENCY),
            ..bare(
                format!("{alert}HighLatency"),
                Condition::Threshold(ThresholdAlert {
                    signal: lat_sig,
                    op: Op::Gt,
                    value: ThresholdValue::Level("warning".into()),
                    thresholds_by: Default::default(),
                }),
            )
        },
    ];
    origins.add(format!("rules[{gi}].alerts[0]"), format!("{at}.scrape"), false, name);
    origins.add(format!("rules[{gi}].alerts[1]"), format!("{at}.alerts.error_ratio"), false, name);
    origins.add(format!("rules[{gi}].alerts[2]"), format!("{at}.alerts.latency_p99"), false, name);
    if let Some(slo) = &svc.slo {
        let by = if slo.per_route { vec![route.to_string()] } else { Vec::new() };
        let count = format!("{}_count{{job=\"{}\"}}", lib::HTTP_DURATION, q.job);
        let kind = |suffix: &str, what: &str, objective: f64| SloAlert {
            name: Some(format!("{name}-{suffix}")),
            title: Some(format!("{title} {what}")),
            objective,
            period: slo.period.clone(),
            bad: None,
            good: None,
            total: None,
            latency: None,
            by: by.clone(),
        };
        let slo_alert = |n: String, s: SloAlert| Alert {
            for_: slo.for_.clone(),
            severity: slo.severity,
            ..bare(n, Condition::Slo(s))
        };
        if let Some(objective) = slo.availability {
            origins.add(
                format!("rules[{gi}].alerts[{}]", alerts.len()),
                format!("{at}.slo.availability"),
                false,
                name,
            );
            let s = SloAlert {
                bad: Some(format!("{}_count{{job=\"{}\", {}}}", lib::HTTP_DURATION, q.job, q.errors())),
                total: Some(count.clone()),
                ..kind("availability", "availability", objective)
            };
            alerts.push(slo_alert(format!("{alert}Availability"), s));
        }
        if let Some(l) = &slo.latency {
            origins.add(
                format!("rules[{gi}].alerts[{}]", alerts.len()),
                format!("{at}.slo.latency"),
                false,
                name,
            );
            let s = SloAlert {
                latency: Some(LatencySli {
                    histogram: format!("{}{{job=\"{}\"}}", lib::HTTP_DURATION, q.job),
                    le: l.le,
                }),
                ..kind("latency", "latency", l.objective)
            };
            alerts.push(slo_alert(format!("{alert}Latency"), s));
        }
    }
    origins.add(format!("rules[{gi}]"), at.clone(), false, name);
    out.rules.push(RuleGroup {
        name: uid,
        interval: None,
        recording: Vec::new(),
        alerts,
        tests: Vec::new(),
    });
}

/// An alert with only a name and a condition.
fn bare(name: String, condition: Condition) -> Alert {
    Alert {
        name,
        condition,
        for_: None,
        keep_firing_for: None,
        severity: None,
        summary: None,
        description: None,
        runbook_url: None,
        panel: None,
        labels: Default::default(),
        annotations: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "version: 1\nalerting: {runbook_base_url: 'https://r/'}\nservices:\n  - name: cart-api\n    scrape: {name: cart, targets: ['127.0.0.1:9464']}\n    slo: {availability: 99.9, latency: {le: 0.25, objective: 99}, per_route: true}\n";

    /// What a service expands to passes every check, even strictly, and its
    /// dashboard reads only the library's families (and `up`).
    #[test]
    fn a_service_expands_cleanly_on_the_library_catalog() {
        let src = crate::spec::Source {
            name: "genmon.yaml".into(),
            text: SPEC.into(),
        };
        let c = crate::pipeline::compile(&src, crate::model::Profile::Compose, true)
            .unwrap_or_else(|d| panic!("{:#?}", d.iter().map(|d| (&d.path, &d.message)).collect::<Vec<_>>()));
        let spec: Spec = serde_yaml_ng::from_str(SPEC).unwrap();
        let (x, _) = expand(&spec).unwrap();
        let d = x.dashboards.iter().find(|d| d.uid == "service-cart-api").expect("dashboard");
        let mut families = std::collections::BTreeSet::new();
        for (_, p) in crate::check::panels(0, d) {
            let exprs = p
                .queries
                .iter()
                .map(|q| q.expr.clone())
                .chain(p.signal.iter().map(|s| x.signals[s].expr.clone()));
            for e in exprs {
                for n in crate::promql::metric_names(&crate::promql::parse(&e).unwrap()) {
                    let base = ["_bucket", "_count", "_sum"]
                        .iter()
                        .find_map(|s| n.strip_suffix(s))
                        .unwrap_or(&n)
                        .to_string();
                    assert!(
                        base == "up" || genmon_service::CATALOG.iter().any(|m| m.name == base),
                        "{n} is not recorded by genmon-service"
                    );
                    families.insert(base);
                }
            }
        }
        assert!(families.len() >= 9, "{families:?}");
        let alerts: Vec<&str> = c
            .model
            .groups
            .iter()
            .flat_map(|g| &g.rules)
            .filter_map(|r| match r {
                crate::model::Rule::Alert(a) => Some(a.name.as_str()),
                _ => None,
            })
            .collect();
        for a in [
            "CartApiDown",
            "CartApiHighErrorRatio",
            "CartApiHighLatency",
            "CartApiAvailabilityFastBurn",
            "CartApiAvailabilitySlowBurn",
            "CartApiLatencyFastBurn",
        ] {
            assert!(alerts.contains(&a), "{a} missing from {alerts:?}");
        }
    }

    /// Failed requests: 5xx answers, and requests the inner service failed
    /// without a response (no status code, `error_type`).
    #[test]
    fn errors_are_5xx_or_no_response() {
        let q = Q { job: "j".into() };
        let sel = format!("x{{{}}}", q.errors());
        let parsed = crate::promql::parse(&sel);
        let Ok(promql_parser::parser::Expr::VectorSelector(vs)) = parsed.as_deref() else {
            panic!("{sel}")
        };
        let m = &vs.matchers.matchers.iter().find(|m| m.name == lib::LABEL_STATUS).unwrap();
        for (status, failed) in [
            ("500", true),
            ("503", true),
            ("", true),
            ("200", false),
            ("404", false),
            ("50", false),
        ] {
            assert_eq!(m.is_match(status), failed, "status {status:?}");
        }
    }

    #[test]
    fn camel_case_alert_names() {
        assert_eq!(camel("cart-api2"), "CartApi2");
        assert_eq!(camel("checkout"), "Checkout");
    }
}
