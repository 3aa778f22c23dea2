//! The resolved model: defaults applied, signals expanded, panel ids, refIds
//! and grid positions assigned, alerts linked to the panels that show them.
//! No serde, no spans: renderers read only this.

pub mod dashboards;
pub mod engine;
pub mod facts;
pub mod kinds;
mod layout;
pub mod links;
pub mod lower;
pub mod template;

use std::collections::BTreeMap;

pub use lower::lower;

use crate::spec::{Duration, Override, PanelType, QueryFormat, Spec, Variable};

/// Where the stack runs: decides the hosts in generated configs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// docker compose: services reach each other by service name.
    Compose,
    /// `genmon up`: everything on 127.0.0.1.
    Local,
}

/// Everything the renderers need.
#[derive(Debug, Clone)]
pub struct Model {
    /// The stack's ports and addresses.
    pub stack: crate::spec::Stack,
    /// Prometheus settings (scrape interval, retention, external labels).
    pub prometheus: crate::spec::Prometheus,
    /// Grafana settings (the datasource).
    pub grafana: crate::spec::Grafana,
    /// Alertmanager's route tree, receivers and inhibit rules.
    pub alertmanager: crate::spec::Alertmanager,
    /// genmon-exporter's section (rendered into the stack's exporter config).
    pub exporter: crate::exporter::config::ExporterConfig,
    /// The `kubernetes` target's names, labels and namespace.
    pub kubernetes: crate::spec::Kubernetes,
    pub profile: Profile,
    pub dashboards: Vec<Dashboard>,
    pub groups: Vec<RuleGroup>,
    /// Scrape jobs including the stack's own.
    pub scrape_jobs: Vec<ScrapeJob>,
    /// promtool test files, one per rule group that has tests.
    pub tests: Vec<TestFile>,
    /// Where each alert came from, SLOs and signals (for `genmon docs` and
    /// `genmon explain`); `None` when compiled to write the outputs only
    /// ([`crate::pipeline::compile_for`]): no renderer reads them.
    pub facts: Option<facts::Facts>,
    /// The scaled-out engine of `--target mimir|victoriametrics`; `None` for a plain Prometheus.
    pub engine: Option<engine::EngineTarget>,
}

/// A promtool test file (`alerts/tests/<group>.test.yml`).
#[derive(Debug, Clone)]
pub struct TestFile {
    pub group: String,
    /// Rule files, relative to the test file (`../<group>.rules.yml`).
    pub rule_files: Vec<String>,
    pub tests: Vec<crate::spec::RuleTest>,
    /// Spec alerts these tests cover (generated or written by the user).
    pub covers: Vec<String>,
}

/// A resolved dashboard.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub uid: String,
    pub title: String,
    /// Folder key (directory name) and title.
    pub folder: String,
    pub folder_title: String,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub refresh: String,
    pub time_from: String,
    pub time_to: String,
    pub links: Vec<crate::spec::Link>,
    /// Variables, the datasource variable first.
    pub variables: Vec<Variable>,
    /// Name of the datasource variable panels query through.
    pub datasource_var: String,
    /// Top-level panels in Grafana order (rows followed by their panels when expanded).
    pub panels: Vec<Panel>,
    /// Names of the alerts whose signals this dashboard shows (for the `ALERTS` annotation).
    pub alert_names: Vec<String>,
}

/// Grid position on the 24-column grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridPos {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// A resolved panel or row.
#[derive(Debug, Clone)]
pub struct Panel {
    pub id: u32,
    pub title: String,
    pub grid: GridPos,
    pub body: PanelBody,
}

/// What a panel is.
#[derive(Debug, Clone)]
pub enum PanelBody {
    /// A row; collapsed rows hold their panels.
    Row { collapsed: bool, panels: Vec<Panel> },
    /// A visualisation.
    Viz(Box<Viz>),
}

/// A visualisation panel.
#[derive(Debug, Clone)]
pub struct Viz {
    pub kind: PanelType,
    pub description: Option<String>,
    pub queries: Vec<Query>,
    pub unit: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub decimals: Option<u8>,
    /// Steps above the base.
    pub thresholds: Vec<(f64, String)>,
    /// Color of the base step (default green).
    pub base_color: Option<String>,
    /// Draw thresholds as lines on graphs (set when an alert watches this panel).
    pub threshold_lines: bool,
    pub overrides: Vec<Override>,
    pub stack: bool,
    pub content: Option<String>,
    /// The signal shown, if any.
    pub signal: Option<String>,
}

/// A panel query.
#[derive(Debug, Clone)]
pub struct Query {
    pub ref_id: String,
    pub expr: String,
    pub legend: Option<String>,
    pub instant: bool,
    pub format: QueryFormat,
}

/// A rule group.
#[derive(Debug, Clone)]
pub struct RuleGroup {
    pub name: String,
    pub interval: Option<Duration>,
    pub rules: Vec<Rule>,
}

/// A Prometheus rule.
#[derive(Debug, Clone)]
pub enum Rule {
    Recording {
        record: String,
        expr: String,
        labels: BTreeMap<String, String>,
    },
    Alert(Alert),
}

/// A resolved alerting rule.
#[derive(Debug, Clone)]
pub struct Alert {
    pub name: String,
    pub expr: String,
    pub for_: Option<Duration>,
    pub keep_firing_for: Option<Duration>,
    /// Includes `severity`.
    pub labels: BTreeMap<String, String>,
    /// Includes summary, description, runbook_url and dashboard/panel links.
    pub annotations: BTreeMap<String, String>,
}

/// A scrape job.
#[derive(Debug, Clone)]
pub struct ScrapeJob {
    pub name: String,
    pub targets: Vec<String>,
    pub interval: Option<Duration>,
    pub timeout: Option<Duration>,
    pub metrics_path: String,
    pub scheme: String,
    pub labels: BTreeMap<String, String>,
    /// Service discovery, relabelling, authentication, TLS.
    pub options: crate::spec::scrape::ScrapeOptions,
    pub client: crate::spec::scrape::HttpClient,
}

impl ScrapeJob {
    /// A job of the stack's own: one target, `/metrics` over HTTP, nothing else.
    pub fn own(name: &str, target: String) -> ScrapeJob {
        ScrapeJob {
            name: name.to_string(),
            targets: vec![target],
            interval: None,
            timeout: None,
            metrics_path: "/metrics".into(),
            scheme: "http".into(),
            labels: std::collections::BTreeMap::new(),
            options: Default::default(),
            client: Default::default(),
        }
    }
}

impl Model {
    /// Host of a stack service under this profile.
    pub fn host(&self, service: &str) -> String {
        match self.profile {
            Profile::Compose => service.to_string(),
            Profile::Local => "127.0.0.1".to_string(),
        }
    }
}
