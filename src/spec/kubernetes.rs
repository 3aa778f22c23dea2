//! The `kubernetes:` section: how `genmon render --target kubernetes` names,
//! labels and places the Prometheus Operator and Grafana objects it writes.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Settings of the `kubernetes` target. Every default is written out here
/// and in docs/scaling-out.md; set what your cluster's selectors match.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Kubernetes {
    /// Namespace of every object (a DNS-1123 label). Default `monitoring`.
    pub namespace: String,
    /// Labels on every object, e.g. what your Prometheus' `scrapeConfigSelector`
    /// and Alertmanager's `alertmanagerConfigSelector` match. Default: none
    /// (genmon always adds `app.kubernetes.io/managed-by: genmon`).
    pub labels: BTreeMap<String, String>,
    /// Labels on each `PrometheusRule`, for your Prometheus' `ruleSelector`.
    /// Default `{prometheus: k8s, role: alert-rules}` (kube-prometheus; the
    /// kube-prometheus-stack chart selects `release: <release name>`).
    pub rule_labels: BTreeMap<String, String>,
    /// How dashboards are shipped. Default `configmap`.
    pub dashboards: DashboardObjects,
    /// Labels on dashboard ConfigMaps, for the Grafana sidecar. Default
    /// `{grafana_dashboard: "1"}` (the grafana helm chart's `sidecar.dashboards.label`).
    pub dashboard_labels: BTreeMap<String, String>,
    /// Annotation on dashboard ConfigMaps naming the Grafana folder (the
    /// sidecar's `folderAnnotation`). Default `grafana_folder`.
    pub folder_annotation: String,
    /// `spec.instanceSelector.matchLabels` of each `GrafanaDashboard`: the
    /// labels of the `Grafana` objects that load it. Default `{dashboards: grafana}`.
    pub grafana_instance_labels: BTreeMap<String, String>,
    /// Name of the `Secret` (in `namespace`) holding receiver secrets. Each
    /// `*_file` of a receiver becomes a reference to the key named like the
    /// file (`/run/secrets/slack_url` → key `slack_url`). Default `genmon-alertmanager`.
    pub secret: String,
}

/// Which dashboard objects `--target kubernetes` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DashboardObjects {
    /// ConfigMaps for the Grafana sidecar (kube-prometheus, grafana helm chart).
    Configmap,
    /// `GrafanaDashboard` objects (grafana.integreatly.org/v1beta1) for grafana-operator.
    GrafanaOperator,
    /// Both.
    Both,
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

impl Default for Kubernetes {
    fn default() -> Self {
        Kubernetes {
            namespace: "monitoring".into(),
            labels: BTreeMap::new(),
            rule_labels: labels(&[("prometheus", "k8s"), ("role", "alert-rules")]),
            dashboards: DashboardObjects::Configmap,
            dashboard_labels: labels(&[("grafana_dashboard", "1")]),
            folder_annotation: "grafana_folder".into(),
            grafana_instance_labels: labels(&[("dashboards", "grafana")]),
            secret: "genmon-alertmanager".into(),
        }
    }
}
