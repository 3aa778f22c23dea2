//! `services:` — Rust services instrumented with `genmon-service`
//! (docs/service.md). Each one expands, before checks and lowering, into a
//! scrape job, signals, a RED dashboard, alerts and SLOs on the library's
//! metric names (`src/services.rs`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::Duration;
use super::types::{Panel, ScrapeJob, Severity};

/// A service instrumented with the `genmon-service` library.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Lowercase letters, digits and `-`. Names the dashboard (`service-<name>`),
    /// the rule group (`service-<name>`), the SLOs (`<name>-availability`,
    /// `<name>-latency`) and, in CamelCase, the alerts (`<Name>Down`, …).
    pub name: String,
    /// Human title on the dashboard and in alerts (default: the name).
    pub title: Option<String>,
    /// Folder key from `grafana.folders` (default `services`).
    pub folder: Option<String>,
    /// How Prometheus scrapes the service's metrics listener (`Builder::metrics_listen`);
    /// the job's `name` is the `job` label every generated query selects.
    pub scrape: ScrapeJob,
    /// Error-ratio and latency alerts (always generated, with these levels).
    #[serde(default)]
    pub alerts: ServiceAlerts,
    /// Availability and latency SLOs, through the `slo` alert kind.
    pub slo: Option<ServiceSlo>,
    /// Extra panels on the service's own metrics, in a last row of its dashboard.
    /// Their queries are checked against the library's catalog like every panel.
    #[serde(default)]
    pub panels: Vec<Panel>,
}

/// Levels of a service's error-ratio and latency alerts.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceAlerts {
    /// Fire when more than this share of a route's requests fail (5xx, or no
    /// response) (default `0.05`).
    pub error_ratio: f64,
    /// Fire when a route's p99 latency is above this many seconds (default `1`).
    pub latency_p99: f64,
    /// How long either must hold (default `10m`).
    #[serde(rename = "for")]
    pub for_: Duration,
    /// Default `warning`.
    pub severity: Severity,
}

impl Default for ServiceAlerts {
    fn default() -> Self {
        ServiceAlerts {
            error_ratio: 0.05,
            latency_p99: 1.0,
            for_: Duration::parse("10m").expect("built-in duration"),
            severity: Severity::Warning,
        }
    }
}

/// A service's SLOs. Give `availability`, `latency` or both.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSlo {
    /// Percent of requests that did not fail (a 5xx status, or the service
    /// returned an error instead of a response), e.g. `99.9`.
    pub availability: Option<f64>,
    /// Percent of requests faster than a threshold.
    pub latency: Option<ServiceLatencySlo>,
    /// Period the error budget covers (default `30d`; at least `1d`).
    #[serde(default = "default_period")]
    pub period: Duration,
    /// One SLO series per route (`http_route`) instead of one for the whole service.
    #[serde(default)]
    pub per_route: bool,
    /// `for` of the fast-burn (page) alerts (default `2m`).
    #[serde(rename = "for")]
    pub for_: Option<Duration>,
    /// Severity of the fast-burn alerts (default `critical`; slow burns are `warning`).
    pub severity: Option<Severity>,
}

fn default_period() -> Duration {
    Duration::parse("30d").expect("built-in duration")
}

/// Latency objective of a service.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceLatencySlo {
    /// Threshold in seconds: one of the library's HTTP buckets
    /// (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10).
    pub le: f64,
    /// Percent of requests faster than `le`, e.g. `99`.
    pub objective: f64,
}
