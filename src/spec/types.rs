//! The typed spec: what `genmon.yaml` may contain. Strict (unknown keys are
//! errors), with defaults so a ten-line spec gives a useful stack. The JSON
//! Schema published for editors (`genmon schema`) is derived from these types.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::Duration;

fn d(s: &str) -> Duration {
    Duration::parse(s).expect("built-in duration")
}

/// Signals by name, in spec order. Looked up for every panel and alert, so
/// hashed with foldhash, seeded per process like the standard SipHash but
/// several times faster on short names (as genmon's other spec-keyed maps);
/// the spec's size limit bounds what colliding names could cost.
pub type Signals = IndexMap<String, Signal, foldhash::fast::RandomState>;

/// The whole spec: one file describes the whole monitoring stack.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Spec format version. Only `1` exists.
    pub version: u32,
    /// Ports and addresses of the stack's services.
    #[serde(default)]
    pub stack: Stack,
    /// Prometheus: scrape intervals, scrape jobs, external labels.
    #[serde(default)]
    pub prometheus: Prometheus,
    /// Grafana: the Prometheus datasource and dashboard folders.
    #[serde(default)]
    pub grafana: Grafana,
    /// Alertmanager: route tree, receivers, inhibit rules.
    #[serde(default)]
    pub alertmanager: Alertmanager,
    /// Defaults for every alert (runbook and dashboard links).
    #[serde(default)]
    pub alerting: Alerting,
    /// Metrics exported by something other than genmon-exporter.
    #[serde(default)]
    pub metrics: Metrics,
    /// Named signals: a query written once, shown by panels and watched by alerts.
    #[serde(default)]
    pub signals: Signals,
    /// Grafana dashboards.
    #[serde(default)]
    pub dashboards: Vec<Dashboard>,
    /// Prometheus rule groups (alerting and recording rules).
    #[serde(default)]
    pub rules: Vec<RuleGroup>,
    /// Rust services instrumented with `genmon-service`: each gets a scrape
    /// job, a RED dashboard, alerts and optional SLOs (docs/service.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<super::Service>,
    /// genmon-exporter's configuration: collectors, filesystem/network filters,
    /// process groups, HTTP probes, textfile directory. genmon-exporter reads
    /// this section straight from the spec (`--config.file genmon.yaml`).
    #[serde(default)]
    pub exporter: crate::exporter::config::ExporterConfig,
    /// Other spec files merged into this one: paths relative to this file,
    /// globs allowed (`alerts.d/*.yaml`), within this file's directory tree.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Built-in packs: `[node, prometheus]` or `[{name: node, selector: 'job="node"'}]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packs: Vec<super::reuse::PackUse>,
    /// Changes to alerts, signals and dashboards defined anywhere (here, in an include or a pack).
    #[serde(default, skip_serializing_if = "super::reuse::Overrides::is_empty")]
    pub overrides: super::reuse::Overrides,
    /// The scaled-out engine (Mimir, VictoriaMetrics) of `genmon render --target mimir|victoriametrics`.
    #[serde(default)]
    pub engine: super::engine::Engine,
    /// Names, labels and namespace of the objects `genmon render --target kubernetes` writes.
    #[serde(default)]
    pub kubernetes: super::Kubernetes,
}

/// Where each service of the stack listens. Hosts are service names under
/// docker compose and 127.0.0.1 under `genmon up`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Stack {
    pub exporter_port: u16,
    pub prometheus_port: u16,
    pub alertmanager_port: u16,
    pub grafana_port: u16,
    /// VictoriaMetrics single-node under `genmon up --target victoriametrics`
    /// (and the `victoriametrics` target's engine when `engine.url` is unset).
    pub engine_port: u16,
    /// vmagent's HTTP port (its own metrics and health) under the `victoriametrics` target.
    pub agent_port: u16,
    /// vmalert's HTTP port under the `victoriametrics` target.
    pub ruler_port: u16,
    /// Scrape genmon-exporter, Prometheus and Alertmanager themselves, and
    /// probe the stack's health endpoints (Prometheus, Alertmanager; Grafana
    /// under compose) so that the probe panels and SLO have data from the start.
    pub self_monitoring: bool,
}

impl Default for Stack {
    fn default() -> Self {
        Stack {
            exporter_port: 9184,
            prometheus_port: 9090,
            alertmanager_port: 9093,
            grafana_port: 3000,
            engine_port: 8428,
            agent_port: 8429,
            ruler_port: 8880,
            self_monitoring: true,
        }
    }
}

/// Prometheus settings.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Prometheus {
    /// How often targets are scraped; also Grafana's `timeInterval`.
    pub scrape_interval: Duration,
    pub scrape_timeout: Duration,
    /// How often rule groups are evaluated unless a group says otherwise.
    pub evaluation_interval: Duration,
    /// Window that replaces `$__rate_interval` when a signal is used in a rule.
    pub rule_rate_window: Duration,
    /// How long Prometheus keeps samples.
    pub retention: Duration,
    /// Labels added to every series and alert leaving this Prometheus.
    pub external_labels: BTreeMap<String, String>,
    /// Extra scrape jobs, beside the stack's own.
    pub scrape_jobs: Vec<ScrapeJob>,
}

impl Default for Prometheus {
    fn default() -> Self {
        Prometheus {
            scrape_interval: d("15s"),
            scrape_timeout: d("10s"),
            evaluation_interval: d("15s"),
            rule_rate_window: d("5m"),
            retention: d("15d"),
            external_labels: BTreeMap::new(),
            scrape_jobs: Vec::new(),
        }
    }
}

/// One Prometheus scrape job: static `targets`, service discovery or both.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScrapeJob {
    /// The `job` label.
    pub name: String,
    /// `host:port` targets.
    #[serde(default)]
    pub targets: Vec<String>,
    /// This job's `scrape_interval`.
    pub interval: Option<Duration>,
    /// This job's `scrape_timeout`.
    pub timeout: Option<Duration>,
    #[serde(default = "default_metrics_path")]
    pub metrics_path: String,
    #[serde(default = "default_scheme")]
    pub scheme: String,
    /// Labels added to every target of the job.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Service discovery, relabelling, authentication, TLS (Prometheus's names).
    #[serde(flatten)]
    pub options: super::scrape::ScrapeOptions,
    /// `basic_auth`, `authorization`, `tls_config`, secrets from files.
    #[serde(flatten)]
    pub client: super::scrape::HttpClient,
}

fn default_metrics_path() -> String {
    "/metrics".into()
}
fn default_scheme() -> String {
    "http".into()
}

/// Grafana settings.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Grafana {
    /// The Prometheus datasource, provisioned with a pinned uid.
    pub datasource: Datasource,
    /// Dashboard folders: folder key → title. Dashboards name their folder by key.
    pub folders: BTreeMap<String, String>,
    /// URL users open Grafana at; alert links point there.
    pub external_url: String,
}

impl Default for Grafana {
    fn default() -> Self {
        Grafana {
            datasource: Datasource::default(),
            folders: BTreeMap::new(),
            external_url: "http://127.0.0.1:3000".into(),
        }
    }
}

/// The Prometheus datasource.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Datasource {
    pub uid: String,
    pub name: String,
}

impl Default for Datasource {
    fn default() -> Self {
        Datasource {
            uid: "prometheus".into(),
            name: "Prometheus".into(),
        }
    }
}

/// Alert defaults.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alerting {
    /// When set, an alert without `runbook_url` gets `<runbook_base_url><AlertName>`,
    /// the generated alert's name (an SLO's `<name>FastBurn`, …).
    pub runbook_base_url: Option<String>,
}

/// Metrics the checks should accept although genmon-exporter does not export them.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Metrics {
    /// Metric names, or patterns ending in `*` (`prometheus_*`). A histogram's
    /// or summary's base name (`http_request_duration_seconds`) covers its
    /// `_bucket`, `_sum` and `_count` series.
    pub external: Vec<String>,
}

/// A query written once, used by panels and alerts.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Signal {
    /// PromQL. May use `$__rate_interval` and dashboard variables (`$instance`);
    /// in rules, `$__rate_interval` becomes `prometheus.rule_rate_window` and
    /// matchers on dashboard variables are dropped.
    pub expr: String,
    /// Panel title when a panel shows this signal.
    pub title: Option<String>,
    pub description: Option<String>,
    /// Legend format (`{{instance}}`).
    pub legend: Option<String>,
    /// Grafana unit id (`percentunit`, `bytes`, `s`, …).
    pub unit: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Named levels (`warning: 0.8`); alerts refer to them by name and panels draw them.
    #[serde(default)]
    pub thresholds: IndexMap<String, f64>,
    /// Levels for particular values of one label the signal keeps, e.g.
    /// `{instance: {"db-1:9100": {critical: 0.98}}}`; a threshold alert on a
    /// named level compares those series with their own level and every other
    /// series with `thresholds`. Panels draw `thresholds` only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub thresholds_by: BTreeMap<String, BTreeMap<String, BTreeMap<String, f64>>>,
}

/// A Grafana dashboard.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dashboard {
    /// Stable id, `[A-Za-z0-9_-]{1,40}`; also the file name.
    pub uid: String,
    pub title: String,
    /// Folder key from `grafana.folders` (or a new folder titled by the key).
    pub folder: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub description: Option<String>,
    /// Auto-refresh, e.g. `30s`; empty string turns it off.
    #[serde(default = "default_refresh")]
    pub refresh: String,
    #[serde(default)]
    pub time: TimeRange,
    #[serde(default)]
    pub links: Vec<Link>,
    /// Template variables. A `datasource` variable is added when none is given.
    #[serde(default)]
    pub variables: Vec<Variable>,
    /// Panels above any row.
    #[serde(default)]
    pub panels: Vec<Panel>,
    #[serde(default)]
    pub rows: Vec<Row>,
}

fn default_refresh() -> String {
    "30s".into()
}

/// Dashboard time range.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TimeRange {
    pub from: String,
    pub to: String,
}

impl Default for TimeRange {
    fn default() -> Self {
        TimeRange {
            from: "now-6h".into(),
            to: "now".into(),
        }
    }
}

/// A dashboard link.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub title: String,
    /// Absolute URL; or omit it and give `tags` to link dashboards by tag.
    pub url: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Keep the current time range and variables when following the link.
    #[serde(default = "yes")]
    pub keep_time: bool,
}

fn yes() -> bool {
    true
}

/// A dashboard template variable.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Variable {
    /// Pick the Prometheus datasource.
    Datasource { name: String, label: Option<String> },
    /// Values from a query, e.g. `label_values(up, instance)`.
    Query {
        name: String,
        label: Option<String>,
        query: String,
        #[serde(default)]
        multi: bool,
        #[serde(default)]
        include_all: bool,
        /// Value used for "All" (default `.*`).
        all_value: Option<String>,
        /// Only keep values matching this regex.
        regex: Option<String>,
    },
    /// A fixed list of values.
    Custom {
        name: String,
        label: Option<String>,
        values: Vec<String>,
        #[serde(default)]
        multi: bool,
        #[serde(default)]
        include_all: bool,
        /// Selected value (default: the first).
        default: Option<String>,
    },
    /// A time interval picker.
    Interval {
        name: String,
        label: Option<String>,
        values: Vec<Duration>,
        default: Option<Duration>,
    },
    /// A hidden constant.
    Constant { name: String, value: String },
}

impl Variable {
    /// The variable's name (`$name`).
    pub fn name(&self) -> &str {
        match self {
            Variable::Datasource { name, .. }
            | Variable::Query { name, .. }
            | Variable::Custom { name, .. }
            | Variable::Interval { name, .. }
            | Variable::Constant { name, .. } => name,
        }
    }
}

/// A dashboard row.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub title: String,
    /// Collapsed rows hold their panels until opened.
    #[serde(default)]
    pub collapsed: bool,
    pub panels: Vec<Panel>,
}

/// Panel visualisation type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PanelType {
    #[default]
    Timeseries,
    Stat,
    Gauge,
    Bargauge,
    Table,
    Heatmap,
    Text,
}

impl PanelType {
    /// Grafana's panel plugin id.
    pub fn id(self) -> &'static str {
        match self {
            PanelType::Timeseries => "timeseries",
            PanelType::Stat => "stat",
            PanelType::Gauge => "gauge",
            PanelType::Bargauge => "bargauge",
            PanelType::Table => "table",
            PanelType::Heatmap => "heatmap",
            PanelType::Text => "text",
        }
    }
}

/// A panel. Give `signal` to show a named signal, or `queries`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Panel {
    /// Title (defaults to the signal's title).
    pub title: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: PanelType,
    pub description: Option<String>,
    /// Show this named signal (its query, unit, thresholds).
    pub signal: Option<String>,
    #[serde(default)]
    pub queries: Vec<Query>,
    /// Grafana unit id.
    pub unit: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub decimals: Option<u8>,
    /// Threshold steps (absolute), lowest first; the base step is green.
    #[serde(default)]
    pub thresholds: Vec<Threshold>,
    #[serde(default)]
    pub overrides: Vec<Override>,
    /// Width in grid columns (1–24). Default: 12 for graphs, 6 for single values.
    pub width: Option<u8>,
    /// Height in grid rows. Default: 8 for graphs, 4 for single values.
    pub height: Option<u8>,
    /// Stack series (timeseries).
    #[serde(default)]
    pub stack: bool,
    /// Markdown for text panels.
    pub content: Option<String>,
}

/// One PromQL query of a panel.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Query {
    pub expr: String,
    pub legend: Option<String>,
    /// Evaluate once at the end of the range (tables, single values).
    #[serde(default)]
    pub instant: bool,
    #[serde(default)]
    pub format: QueryFormat,
}

/// Result format of a query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueryFormat {
    #[default]
    TimeSeries,
    Table,
    Heatmap,
}

/// A threshold step.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub value: f64,
    /// Grafana color name or `#rrggbb`.
    pub color: String,
}

/// A field override.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Series name to match exactly.
    pub name: Option<String>,
    /// Series name regex.
    pub regex: Option<String>,
    pub unit: Option<String>,
    pub color: Option<String>,
    pub display_name: Option<String>,
    /// Draw the series on the right axis.
    #[serde(default)]
    pub right_axis: bool,
}

/// Alert severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A Prometheus rule group.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleGroup {
    /// Group name; also the file name (`alerts/<name>.rules.yml`).
    pub name: String,
    pub interval: Option<Duration>,
    #[serde(default)]
    pub recording: Vec<RecordingRule>,
    #[serde(default)]
    pub alerts: Vec<Alert>,
    /// promtool unit tests for this group's rules (written to
    /// `alerts/tests/<name>.test.yml` beside the generated ones). Needed for
    /// raw `expr` alerts; the other kinds get tests generated.
    #[serde(default)]
    pub tests: Vec<RuleTest>,
}

/// A recording rule, named `level:metric:operations`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordingRule {
    pub record: String,
    pub expr: String,
    #[serde(default, deserialize_with = "super::unique::map")]
    pub labels: BTreeMap<String, String>,
}

/// Comparison for threshold alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum Op {
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
}

/// An alerting rule: one condition (the kind) and what it says when it fires.
/// In YAML the condition is exactly one of the keys `expr`, `threshold`,
/// `absent`, `anomaly`, `regression`, `exhaustion`, `slo`, `health`
/// (`AlertYaml` is that surface; loading rejects none or several).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(try_from = "AlertYaml", into = "AlertYaml")]
pub struct Alert {
    /// CamelCase alert name.
    pub name: String,
    /// When the alert fires.
    pub condition: Condition,
    /// How long the condition must hold before firing (each kind has a default).
    pub for_: Option<Duration>,
    pub keep_firing_for: Option<Duration>,
    pub severity: Option<Severity>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub runbook_url: Option<String>,
    pub panel: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// An alert's condition: its kind and the kind's parameters.
#[derive(Debug, Clone)]
pub enum Condition {
    /// Raw PromQL.
    Expr(String),
    Threshold(ThresholdAlert),
    Absent(AbsentAlert),
    Anomaly(AnomalyAlert),
    Regression(RegressionAlert),
    Exhaustion(ExhaustionAlert),
    Slo(SloAlert),
    Health(HealthAlert),
}

/// The YAML keys that name an alert's kind, in spec order.
pub const ALERT_KIND_KEYS: [&str; 8] = [
    "expr",
    "threshold",
    "absent",
    "anomaly",
    "regression",
    "exhaustion",
    "slo",
    "health",
];

/// Start of the load error for an alert with none or several kind keys.
pub const ALERT_KIND_ERROR: &str = "an alert must give exactly one of";

macro_rules! condition_accessors {
    ($($fn:ident: $variant:ident($t:ty)),* $(,)?) => {
        impl Alert {
            $(
                #[doc = concat!("The `", stringify!($fn), "` parameters, when this is that kind of alert.")]
                pub fn $fn(&self) -> Option<&$t> {
                    match &self.condition {
                        Condition::$variant(k) => Some(k),
                        _ => None,
                    }
                }
            )*
        }
    };
}

condition_accessors!(
    expr: Expr(str),
    threshold: Threshold(ThresholdAlert),
    absent: Absent(AbsentAlert),
    anomaly: Anomaly(AnomalyAlert),
    regression: Regression(RegressionAlert),
    exhaustion: Exhaustion(ExhaustionAlert),
    slo: Slo(SloAlert),
    health: Health(HealthAlert),
);

impl JsonSchema for Alert {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        AlertYaml::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        AlertYaml::json_schema(generator)
    }
}

impl TryFrom<AlertYaml> for Alert {
    type Error = String;

    fn try_from(y: AlertYaml) -> Result<Alert, String> {
        let given = [
            y.expr.map(Condition::Expr),
            y.threshold.map(Condition::Threshold),
            y.absent.map(Condition::Absent),
            y.anomaly.map(Condition::Anomaly),
            y.regression.map(Condition::Regression),
            y.exhaustion.map(Condition::Exhaustion),
            y.slo.map(Condition::Slo),
            y.health.map(Condition::Health),
        ];
        let keys: Vec<&str> = ALERT_KIND_KEYS
            .iter()
            .zip(&given)
            .filter(|(_, c)| c.is_some())
            .map(|(k, _)| *k)
            .collect();
        if keys.len() != 1 {
            let gives = match keys.len() {
                0 => "none".to_string(),
                _ => keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
            };
            let all = ALERT_KIND_KEYS.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
            return Err(format!("{ALERT_KIND_ERROR} {all}; alert `{}` gives {gives}", y.name));
        }
        let condition = given.into_iter().flatten().next().ok_or("no kind")?;
        Ok(Alert {
            name: y.name,
            condition,
            for_: y.for_,
            keep_firing_for: y.keep_firing_for,
            severity: y.severity,
            summary: y.summary,
            description: y.description,
            runbook_url: y.runbook_url,
            panel: y.panel,
            labels: y.labels,
            annotations: y.annotations,
        })
    }
}

impl From<Alert> for AlertYaml {
    fn from(a: Alert) -> AlertYaml {
        let mut y = AlertYaml {
            name: a.name,
            expr: None,
            threshold: None,
            absent: None,
            anomaly: None,
            regression: None,
            exhaustion: None,
            slo: None,
            health: None,
            for_: a.for_,
            keep_firing_for: a.keep_firing_for,
            severity: a.severity,
            summary: a.summary,
            description: a.description,
            runbook_url: a.runbook_url,
            panel: a.panel,
            labels: a.labels,
            annotations: a.annotations,
        };
        match a.condition {
            Condition::Expr(k) => y.expr = Some(k),
            Condition::Threshold(k) => y.threshold = Some(k),
            Condition::Absent(k) => y.absent = Some(k),
            Condition::Anomaly(k) => y.anomaly = Some(k),
            Condition::Regression(k) => y.regression = Some(k),
            Condition::Exhaustion(k) => y.exhaustion = Some(k),
            Condition::Slo(k) => y.slo = Some(k),
            Condition::Health(k) => y.health = Some(k),
        }
        y
    }
}

/// An alerting rule. Give exactly one of `expr`, `threshold`, `absent`,
/// `anomaly`, `regression`, `exhaustion`, `slo`, `health`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "Alert")]
#[schemars(rename = "Alert")]
struct AlertYaml {
    /// CamelCase alert name.
    name: String,
    /// Raw PromQL alert condition. genmon cannot invent test inputs for it:
    /// write a test under the group's `tests:` (or in `alerts/tests/*.test.yml`).
    expr: Option<String>,
    /// Fire when a signal crosses a value.
    threshold: Option<ThresholdAlert>,
    /// Fire when a series or scrape target is missing.
    absent: Option<AbsentAlert>,
    /// Fire when a signal is more than `sigma` standard deviations from its own rolling mean.
    anomaly: Option<AnomalyAlert>,
    /// Fire when a signal is worse than its own baseline (yesterday, or a long rolling average) by `percent`.
    regression: Option<RegressionAlert>,
    /// Fire when a signal's trend reaches its limit (e.g. 0 bytes free) within `within`.
    exhaustion: Option<ExhaustionAlert>,
    /// A service level objective: generates SLI recording rules, multi-window
    /// multi-burn-rate alerts `<name>FastBurn` (page) and `<name>SlowBurn`
    /// (ticket) in a rule group `slo-<slo name>`, and a row of the `slos` dashboard.
    slo: Option<SloAlert>,
    /// A 0–100 health score from weighted signals, recorded per `by` labels; fires below `below`.
    health: Option<HealthAlert>,
    /// How long the condition must hold before firing (each kind has a default).
    /// For `slo` it is the fast-burn (page) alert's `for` (default `2m`).
    #[serde(rename = "for")]
    for_: Option<Duration>,
    keep_firing_for: Option<Duration>,
    /// `critical` pages, `warning` makes a ticket, `info` is for dashboards.
    /// For `slo` it is the fast-burn (page) severity; the slow burn is `warning`.
    severity: Option<Severity>,
    /// One line: what is wrong and where. Generated kinds write one; override it here.
    summary: Option<String>,
    /// How bad, and what to check first. Generated kinds write one; override it here.
    description: Option<String>,
    /// Runbook link (default: `alerting.runbook_base_url` + alert name). Ending
    /// in `#`, it is a base: each generated alert's name is appended
    /// (an SLO's `<name>FastBurn`, `<name>SlowBurn`, `<name>InputAbsent`).
    runbook_url: Option<String>,
    /// The panel that shows this alert's signal: `<dashboard uid>/<panel title>`.
    /// Found automatically when a panel shows the same signal.
    panel: Option<String>,
    /// Extra labels on the alert.
    #[serde(default, deserialize_with = "super::unique::map")]
    labels: BTreeMap<String, String>,
    /// Extra annotations on the alert.
    #[serde(default, deserialize_with = "super::unique::map")]
    annotations: BTreeMap<String, String>,
}

/// `signal op value`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdAlert {
    /// Name of a signal under `signals:`.
    pub signal: String,
    /// Comparison: `>`, `>=`, `<`, `<=`, `==`, `!=`.
    pub op: Op,
    /// A number, or the name of one of the signal's `thresholds`.
    pub value: ThresholdValue,
    /// Thresholds for particular values of one label, e.g.
    /// `{instance: {"db-1:9100": 0.98}}`; every other series is compared with
    /// `value`. One alert: the listed values become threshold series joined
    /// onto the signal. Takes the place of the signal's `thresholds_by`.
    #[serde(default, deserialize_with = "super::unique::map2", skip_serializing_if = "BTreeMap::is_empty")]
    pub thresholds_by: BTreeMap<String, BTreeMap<String, f64>>,
}

/// A literal value or a named threshold level.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ThresholdValue {
    Number(f64),
    Level(String),
}

/// Missing series or scrape target.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AbsentAlert {
    /// Scrape job whose targets must be up (`up{job="…"} == 0` or no `up` at all).
    pub job: Option<String>,
    /// A series selector that must exist (`absent(…)`).
    pub selector: Option<String>,
}

/// Which way away from normal is bad.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Both unusually high and unusually low values are bad.
    #[default]
    Both,
    /// Only unusually high values are bad.
    Up,
    /// Only unusually low values are bad.
    Down,
}

/// Z-score anomaly: `|value - avg_over_time(value[window])| / stddev_over_time(value[window]) > sigma`.
/// Records `signal:<signal>:value`, `signal:<signal>:avg_over_time_<window>` and
/// `signal:<signal>:stddev_over_time_<window>` so the alert stays cheap.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnomalyAlert {
    /// Name of a signal under `signals:`.
    pub signal: String,
    /// How many standard deviations from the rolling mean count as anomalous (default 3).
    #[serde(default = "default_sigma")]
    pub sigma: f64,
    /// The rolling window the mean and standard deviation are taken over (default `1d`).
    #[serde(default = "default_anomaly_window")]
    pub window: Duration,
    /// Which deviations are bad (default `both`).
    #[serde(default)]
    pub direction: Direction,
}

fn default_sigma() -> f64 {
    3.0
}
fn default_anomaly_window() -> Duration {
    d("1d")
}

/// What a regression is compared with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Baseline {
    /// The same time yesterday (`offset 1d`).
    #[default]
    Yesterday,
    /// The same time a week ago (`offset 1w`).
    Lastweek,
    /// A rolling average over `window` (recorded as `signal:<signal>:avg_over_time_<window>`).
    Average,
}

/// Which direction of change is worse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Worse {
    /// Higher is worse (latency, errors).
    #[default]
    Higher,
    /// Lower is worse (throughput, success rate).
    Lower,
}

/// Regression against the signal's own baseline: `value / baseline > 1 + percent/100`
/// (or `< 1 - percent/100` when lower is worse).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegressionAlert {
    /// Name of a signal under `signals:`.
    pub signal: String,
    /// How much worse than the baseline, in percent (e.g. `50` = 1.5× when higher is worse).
    pub percent: f64,
    /// What the value is compared with (default `yesterday`).
    #[serde(default)]
    pub baseline: Baseline,
    /// Window of the `average` baseline (default `7d`).
    #[serde(default = "default_regression_window")]
    pub window: Duration,
    /// Which direction is worse (default `higher`).
    #[serde(default)]
    pub worse: Worse,
}

fn default_regression_window() -> Duration {
    d("7d")
}

/// Exhaustion: the signal's linear trend over `window` reaches `limit` within `within`.
/// The alert's value is the time left, in seconds.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExhaustionAlert {
    /// Name of a signal under `signals:` (e.g. free bytes).
    pub signal: String,
    /// Fire when the limit is predicted within this time (e.g. `24h`).
    pub within: Duration,
    /// The trend is fitted over this window (default `6h`).
    #[serde(default = "default_exhaustion_window")]
    pub window: Duration,
    /// The value at which the resource is exhausted (default `0`).
    #[serde(default)]
    pub limit: f64,
    /// `down` when the signal falls towards the limit (free bytes), `up` when it rises
    /// towards it (used ratio towards 1). Default `down`.
    #[serde(default = "default_exhaustion_direction")]
    pub direction: Direction,
}

fn default_exhaustion_window() -> Duration {
    d("6h")
}
fn default_exhaustion_direction() -> Direction {
    Direction::Down
}

/// A service level objective, from counters or a histogram. Give exactly one
/// SLI: `bad` + `total`, `good` + `total`, or `latency`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloAlert {
    /// SLO name: the `slo` label of its series and the rule group `slo-<name>`
    /// (lowercase letters, digits and `-`). Default: the alert name in kebab case.
    pub name: Option<String>,
    /// Human title on dashboards and alerts (default: the name).
    pub title: Option<String>,
    /// Objective in percent of good events, e.g. `99.9`.
    pub objective: f64,
    /// Period the error budget covers (default `30d`; `28d` is common too).
    #[serde(default = "default_slo_period")]
    pub period: Duration,
    /// Selector of bad events (a counter), e.g. `genmon_probe_requests_total{result="failure"}`.
    pub bad: Option<String>,
    /// Selector of good events (a counter).
    pub good: Option<String>,
    /// Selector of all events (a counter), with `bad` or `good`.
    pub total: Option<String>,
    /// Latency SLI: the share of events faster than `le` seconds, from a histogram.
    pub latency: Option<LatencySli>,
    /// Labels to keep (one SLO series per combination), e.g. `[target]`. Default: none.
    #[serde(default)]
    pub by: Vec<String>,
}

fn default_slo_period() -> Duration {
    d("30d")
}

/// Latency SLI from a Prometheus histogram.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencySli {
    /// Histogram selector without suffix, e.g. `genmon_probe_phase_duration_seconds{phase="total"}`.
    pub histogram: String,
    /// Threshold in seconds; must be one of the histogram's bucket bounds.
    pub le: f64,
}

/// A weighted health score, 0 (all bad) to 100 (all good).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthAlert {
    /// Score name: recorded as `<by>:<name>:score` (snake_case, e.g. `host_health`).
    pub name: String,
    /// The signals the score combines.
    pub components: Vec<HealthComponent>,
    /// Fire when the score is below this (0–100, default 50).
    #[serde(default = "default_health_below")]
    pub below: f64,
    /// Labels the score is kept by (default `[instance]`).
    #[serde(default = "default_health_by")]
    pub by: Vec<String>,
}

fn default_health_below() -> f64 {
    50.0
}
fn default_health_by() -> Vec<String> {
    vec!["instance".into()]
}

/// One signal of a health score, normalised to 0 (at `good`) … 1 (at `bad` or beyond).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthComponent {
    /// Name of a signal under `signals:`.
    pub signal: String,
    /// Value at which this component counts as fully bad.
    pub bad: f64,
    /// Value at which it counts as fully good (default 0).
    #[serde(default)]
    pub good: f64,
    /// Relative weight (default 1).
    #[serde(default = "default_weight")]
    pub weight: f64,
}

fn default_weight() -> f64 {
    1.0
}

/// A promtool unit test, in promtool's own shape (one entry of a test file's `tests:`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleTest {
    /// Shown in failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Time between the samples of `input_series` (required: Prometheus 2.42 gets it wrong when omitted).
    pub interval: Duration,
    /// Input series in promtool's expanding notation (`'0+10x100'`, `'1 _ 3 stale'`).
    #[serde(default)]
    pub input_series: Vec<InputSeries>,
    /// Alerts expected at given times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alert_rule_test: Vec<AlertRuleTest>,
    /// Expressions expected to give samples at given times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promql_expr_test: Vec<PromqlExprTest>,
    /// External labels visible to templates.
    #[serde(default, deserialize_with = "super::unique::map", skip_serializing_if = "BTreeMap::is_empty")]
    pub external_labels: BTreeMap<String, String>,
}

/// One input series.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputSeries {
    /// Series in selector form: `metric{label="value"}`.
    pub series: String,
    /// Values in expanding notation.
    pub values: String,
}

/// Alerts expected at `eval_time`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertRuleTest {
    /// Time since the start of the test (`10m`).
    pub eval_time: Duration,
    /// The alert checked.
    pub alertname: String,
    /// Firing alerts expected (empty: none).
    #[serde(default)]
    pub exp_alerts: Vec<ExpAlert>,
}

/// One expected alert.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpAlert {
    /// All labels, including `severity`.
    #[serde(default, deserialize_with = "super::unique::map")]
    pub exp_labels: BTreeMap<String, String>,
    /// All annotations, templates expanded.
    #[serde(default, deserialize_with = "super::unique::map")]
    pub exp_annotations: BTreeMap<String, String>,
}

/// An expression test.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PromqlExprTest {
    pub expr: String,
    pub eval_time: Duration,
    /// Expected samples (empty: none).
    #[serde(default)]
    pub exp_samples: Vec<ExpSample>,
}

/// An expected sample.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpSample {
    /// Labels in selector form: `metric{label="value"}`.
    pub labels: String,
    pub value: f64,
}

/// Alertmanager configuration.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alertmanager {
    pub route: Route,
    pub receivers: Vec<Receiver>,
    pub inhibit_rules: Vec<InhibitRule>,
    pub resolve_timeout: Duration,
    /// URL users open Alertmanager at (`--web.external-url`), used in notifications.
    pub external_url: Option<String>,
}

impl Default for Alertmanager {
    fn default() -> Self {
        Alertmanager {
            route: Route {
                receiver: Some("default".into()),
                ..Route::default()
            },
            receivers: vec![Receiver {
                name: "default".into(),
                ..Receiver::default()
            }],
            inhibit_rules: vec![InhibitRule {
                source_matchers: vec!["severity=\"critical\"".into()],
                target_matchers: vec!["severity=~\"warning|info\"".into()],
                equal: vec!["alertname".into(), "instance".into()],
            }],
            resolve_timeout: d("5m"),
            external_url: None,
        }
    }
}

/// A node of the routing tree.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Receiver name (required on the root route).
    pub receiver: Option<String>,
    pub group_by: Option<Vec<String>>,
    pub group_wait: Option<Duration>,
    pub group_interval: Option<Duration>,
    pub repeat_interval: Option<Duration>,
    /// Matchers, e.g. `severity="critical"`, `team=~"db|infra"`.
    #[serde(default)]
    pub matchers: Vec<String>,
    /// Keep matching sibling routes after this one matched.
    #[serde(default, rename = "continue")]
    pub continue_: bool,
    #[serde(default)]
    pub routes: Vec<Route>,
}

/// A notification receiver. Secrets come from files (`*_file`), never inline.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Receiver {
    pub name: String,
    #[serde(default)]
    pub webhook: Vec<WebhookReceiver>,
    #[serde(default)]
    pub email: Vec<EmailReceiver>,
    #[serde(default)]
    pub slack: Vec<SlackReceiver>,
    #[serde(default)]
    pub pagerduty: Vec<PagerdutyReceiver>,
    #[serde(default)]
    pub opsgenie: Vec<OpsgenieReceiver>,
}

/// Webhook: POSTs Alertmanager's JSON payload. (Alertmanager 0.25, the
/// Debian/compose target, has no `url_file`: keep tokens out of the URL and
/// send them from a file with `http_config.authorization.credentials_file`.)
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookReceiver {
    /// Endpoint URL.
    pub url: String,
    #[serde(default = "yes")]
    pub send_resolved: bool,
    /// `basic_auth`, `authorization` (bearer token) or `tls_config` towards
    /// the endpoint, secrets from files only (as for scrape jobs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<super::scrape::HttpClient>,
}

/// E-mail through an SMTP smarthost.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailReceiver {
    pub to: String,
    pub from: String,
    /// `host:port`.
    pub smarthost: String,
    pub auth_username: Option<String>,
    /// File holding the SMTP password.
    pub auth_password_file: Option<String>,
    #[serde(default = "yes")]
    pub require_tls: bool,
    #[serde(default)]
    pub send_resolved: bool,
}

/// Slack incoming webhook.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlackReceiver {
    /// File holding the webhook URL.
    pub api_url_file: String,
    pub channel: String,
    #[serde(default = "yes")]
    pub send_resolved: bool,
}

/// PagerDuty Events API v2.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PagerdutyReceiver {
    /// File holding the integration's routing key.
    pub routing_key_file: String,
    #[serde(default = "yes")]
    pub send_resolved: bool,
}

/// Opsgenie.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpsgenieReceiver {
    /// File holding the API key.
    pub api_key_file: String,
    pub api_url: Option<String>,
    #[serde(default = "yes")]
    pub send_resolved: bool,
}

/// Mute alerts matching `target_matchers` while one matching `source_matchers` fires.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InhibitRule {
    pub source_matchers: Vec<String>,
    pub target_matchers: Vec<String>,
    #[serde(default)]
    pub equal: Vec<String>,
}
