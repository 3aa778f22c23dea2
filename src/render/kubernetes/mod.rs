//! Model → `kubernetes/`: Prometheus Operator and Grafana objects for
//! `genmon render --target kubernetes`, one object per file so that
//! `kubectl apply --server-side -f kubernetes/` applies the folder.
//!
//! - `PrometheusRule` (monitoring.coreos.com/v1), one per rule group, with
//!   `kubernetes.rule_labels` for the Prometheus' `ruleSelector`;
//! - `ScrapeConfig` (monitoring.coreos.com/v1alpha1), one per spec scrape job
//!   (static targets, which neither `ServiceMonitor` nor `PodMonitor` can express);
//! - with `stack.self_monitoring`, the stack's own jobs under the job names
//!   genmon's rules select: a `PodMonitor` for genmon-exporter pods and
//!   `ServiceMonitor`s for the operator's `prometheus-operated` /
//!   `alertmanager-operated` Services, each relabelling `job`;
//! - one `AlertmanagerConfig` (monitoring.coreos.com/v1alpha1): routes,
//!   receivers, inhibit rules; secrets as `Secret` key references;
//! - dashboards as sidecar `ConfigMap`s and/or grafana-operator `GrafanaDashboard`s.
//!
//! What a target cannot express is reported by [`check`] with the spec path.

pub mod alertmanager;
mod check;
pub mod names;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::{Value, json};

pub use check::{CODES, check};

use crate::conventions as c;
use crate::diag::Diagnostic;
use crate::model::{Dashboard, Model};
use crate::spec::DashboardObjects;

use super::Artifact;

/// Client-side `kubectl apply` keeps the whole object in the
/// `kubectl.kubernetes.io/last-applied-configuration` annotation, and all
/// annotations of an object together may hold at most this many bytes.
pub const MAX_ANNOTATIONS: usize = 262_144;

/// API versions of the objects written.
pub const API_V1: &str = "monitoring.coreos.com/v1";
pub const API_OPERATOR_ALPHA: &str = "monitoring.coreos.com/v1alpha1";
pub const API_GRAFANA: &str = "grafana.integreatly.org/v1beta1";

/// The rendered objects, and dashboards too large for client-side apply.
#[derive(Debug, Default)]
pub struct Rendered {
    pub artifacts: Vec<Artifact>,
    /// `(dashboard uid, object bytes as JSON)` over [`MAX_ANNOTATIONS`].
    pub oversized: Vec<(String, usize)>,
}

/// Object name of a rule group's `PrometheusRule`.
pub fn rule_name(group: &str) -> String {
    names::object_name(c::K8S_NAME_PREFIX, group, names::MAX_LABEL)
}

/// A `ScrapeConfig`'s spec: what the operator's ScrapeConfig expresses the
/// same way as Prometheus' `scrape_config`; discovery and client settings are
/// refused by `check` (kubernetes/scrape), never dropped. Fields in
/// alphabetical order, as the objects' other maps are written.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScrapeSpec<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    honor_labels: Option<bool>,
    job_name: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    metric_relabelings: Vec<Relabeling<'a>>,
    metrics_path: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    params: &'a BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    relabelings: Vec<Relabeling<'a>>,
    scheme: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scrape_interval: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scrape_timeout: Option<&'a str>,
    static_configs: [StaticConfig<'a>; 1],
}

#[derive(Serialize)]
struct StaticConfig<'a> {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: &'a BTreeMap<String, String>,
    targets: &'a [String],
}

/// Prometheus' `relabel_configs` step in the operator's RelabelConfig shape
/// (the same fields, camelCase).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relabeling<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<crate::spec::scrape::RelabelAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    modulus: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    regex: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replacement: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    separator: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    source_labels: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    target_label: Option<&'a str>,
}

fn relabelings(steps: &[crate::spec::scrape::RelabelConfig]) -> Vec<Relabeling<'_>> {
    steps
        .iter()
        // Every field named (no `..`): a field added to `RelabelConfig`
        // fails to compile here instead of silently never reaching the object.
        .map(
            |crate::spec::scrape::RelabelConfig {
                 source_labels,
                 separator,
                 regex,
                 modulus,
                 target_label,
                 replacement,
                 action,
             }| Relabeling {
                action: *action,
                modulus: *modulus,
                regex: regex.as_deref(),
                replacement: replacement.as_deref(),
                separator: separator.as_deref(),
                source_labels,
                target_label: target_label.as_deref(),
            },
        )
        .collect()
}

/// Object name of a scrape job's `ScrapeConfig`.
pub fn scrape_name(job: &str) -> String {
    names::object_name(c::K8S_NAME_PREFIX, job, names::MAX_LABEL)
}

/// Object name of a dashboard's ConfigMap / GrafanaDashboard.
pub fn dashboard_name(uid: &str) -> String {
    names::object_name(&format!("{}dashboard-", c::K8S_NAME_PREFIX), uid, names::MAX_LABEL)
}

/// Name of the `AlertmanagerConfig`.
pub const ALERTMANAGER_CONFIG_NAME: &str = "genmon";

fn metadata(m: &Model, name: &str, extra: &BTreeMap<String, String>) -> Value {
    let mut labels = m.kubernetes.labels.clone();
    labels.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    labels.insert(c::K8S_MANAGED_BY.0.into(), c::K8S_MANAGED_BY.1.into());
    json!({"name": name, "namespace": m.kubernetes.namespace, "labels": labels})
}

/// A Kubernetes object: `apiVersion`, `kind`, `metadata`, then its body
/// (`spec` or `data`) in the body's own field order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Object<'a, B: Serialize> {
    api_version: &'a str,
    kind: &'a str,
    metadata: Value,
    #[serde(flatten)]
    body: BTreeMap<&'a str, B>,
}

fn object<'a, B: Serialize>(api_version: &'a str, kind: &'a str, metadata: Value, body: (&'a str, B)) -> Object<'a, B> {
    Object {
        api_version,
        kind,
        metadata,
        body: BTreeMap::from([body]),
    }
}

fn file(kind: &str, name: &str, obj: &impl Serialize) -> Result<Artifact, Box<Diagnostic>> {
    super::artifact(
        PathBuf::from(c::DIR_KUBERNETES).join(format!("{}-{name}.yaml", kind.to_ascii_lowercase())),
        super::yaml(obj),
    )
}

/// Every Kubernetes object of the model, sorted by path. `plain` are the
/// model's other outputs (sorted by path, as [`super::render_all`] returns
/// them): dashboards already rendered there are reused, not rendered again.
pub fn render(m: &Model, plain: &[Artifact]) -> Result<Rendered, Box<Diagnostic>> {
    let mut out = Rendered::default();
    for g in &m.groups {
        let name = rule_name(&g.name);
        let spec = BTreeMap::from([("groups", [super::rules::group_out(g)])]);
        let obj = object(
            API_V1,
            "PrometheusRule",
            metadata(m, &name, &m.kubernetes.rule_labels),
            ("spec", spec),
        );
        out.artifacts.push(file("PrometheusRule", &name, &obj)?);
    }
    for j in &m.prometheus.scrape_jobs {
        let name = scrape_name(&j.name);
        let o = &j.options;
        let spec = ScrapeSpec {
            honor_labels: o.honor_labels,
            job_name: &j.name,
            metric_relabelings: relabelings(&o.metric_relabel_configs),
            metrics_path: &j.metrics_path,
            params: &o.params,
            relabelings: relabelings(&o.relabel_configs),
            scheme: &j.scheme,
            scrape_interval: j.interval.as_ref().map(|i| i.as_str()),
            scrape_timeout: j.timeout.as_ref().map(|t| t.as_str()),
            static_configs: [StaticConfig {
                labels: &j.labels,
                targets: &j.targets,
            }],
        };
        let obj = object(
            API_OPERATOR_ALPHA,
            "ScrapeConfig",
            metadata(m, &name, &BTreeMap::new()),
            ("spec", spec),
        );
        out.artifacts.push(file("ScrapeConfig", &name, &obj)?);
    }
    if m.stack.self_monitoring {
        for (kind, obj) in self_monitors(m) {
            let name = obj.metadata["name"].as_str().unwrap_or_default().to_string();
            out.artifacts.push(file(kind, &name, &obj)?);
        }
    }
    let obj = object(
        API_OPERATOR_ALPHA,
        "AlertmanagerConfig",
        metadata(m, ALERTMANAGER_CONFIG_NAME, &BTreeMap::new()),
        ("spec", alertmanager::spec(m)),
    );
    out.artifacts.push(file("AlertmanagerConfig", ALERTMANAGER_CONFIG_NAME, &obj)?);
    let dashboards = crate::par::map(&m.dashboards, |d| {
        let path = super::dashboard_path(d);
        let json = match plain.binary_search_by(|a| a.path.cmp(&path)) {
            Ok(i) => String::from_utf8_lossy(&plain[i].bytes).into_owned(),
            Err(_) => String::from_utf8_lossy(&super::artifact(path, super::grafana::dashboard(m, d))?.bytes).into_owned(),
        };
        Ok::<_, Box<Diagnostic>>(dashboard_objects(m, d, json))
    });
    for (d, objs) in m.dashboards.iter().zip(dashboards) {
        let objs = objs?;
        let mut largest = 0;
        for (kind, obj) in objs {
            largest = largest.max(json_len(&obj));
            out.artifacts.push(file(kind, &dashboard_name(&d.uid), &obj)?);
        }
        if largest > MAX_ANNOTATIONS {
            out.oversized.push((d.uid.clone(), largest));
        }
    }
    out.artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Bytes of `v` as compact JSON (what client-side apply stores), counted
/// without building the text.
fn json_len(v: &impl Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    // These values have string keys only, so serializing cannot fail; if it
    // did, the object would count as too large rather than pass unchecked.
    match serde_json::to_writer(&mut c, v) {
        Ok(()) => c.0,
        Err(_) => usize::MAX,
    }
}

/// Pod label that marks genmon-exporter pods for its PodMonitor.
pub const EXPORTER_POD_LABEL: (&str, &str) = ("app.kubernetes.io/name", "genmon-exporter");

/// Scrape the stack's own services under the job names genmon's rules and
/// dashboards select (`up{job="alertmanager"}`), whatever the operator or
/// the pods call them: a relabelling sets `job`.
fn self_monitors(m: &Model) -> Vec<(&'static str, Object<'static, Value>)> {
    let job = |name: &str| json!([{"action": "replace", "targetLabel": "job", "replacement": name}]);
    let none = BTreeMap::new();
    let exporter = object(
        API_V1,
        "PodMonitor",
        metadata(m, &scrape_name(c::JOB_EXPORTER), &none),
        (
            "spec",
            json!({
                "selector": {"matchLabels": {EXPORTER_POD_LABEL.0: EXPORTER_POD_LABEL.1}},
                "podMetricsEndpoints": [{"portNumber": m.stack.exporter_port, "relabelings": job(c::JOB_EXPORTER)}],
            }),
        ),
    );
    let mut out = vec![("PodMonitor", exporter)];
    // The operator's governing Services: `<kind>-operated`, port `web`, labelled `operated-<kind>: "true"`.
    for (kind, job_name) in [("prometheus", c::JOB_PROMETHEUS), ("alertmanager", c::JOB_ALERTMANAGER)] {
        let spec = json!({
            "selector": {"matchLabels": {format!("operated-{kind}"): "true"}},
            "endpoints": [{"port": "web", "relabelings": job(job_name)}],
        });
        let obj = object(API_V1, "ServiceMonitor", metadata(m, &scrape_name(job_name), &none), ("spec", spec));
        out.push(("ServiceMonitor", obj));
    }
    out
}

/// The ConfigMap and/or GrafanaDashboard of one dashboard.
fn dashboard_objects<'a>(m: &'a Model, d: &Dashboard, json_text: String) -> Vec<(&'static str, Object<'a, Value>)> {
    let name = dashboard_name(&d.uid);
    let folder = (d.folder != c::DEFAULT_FOLDER).then_some(d.folder_title.as_str());
    let k = &m.kubernetes;
    let mut out = Vec::new();
    if matches!(k.dashboards, DashboardObjects::Configmap | DashboardObjects::Both) {
        let mut meta = metadata(m, &name, &k.dashboard_labels);
        if let Some(f) = folder {
            meta["annotations"] = json!({ k.folder_annotation.as_str(): f });
        }
        let data = json!({ format!("{}.json", d.uid): json_text });
        out.push(("ConfigMap", object("v1", "ConfigMap", meta, ("data", data))));
    }
    if matches!(k.dashboards, DashboardObjects::GrafanaOperator | DashboardObjects::Both) {
        let mut spec = json!({
            "instanceSelector": {"matchLabels": k.grafana_instance_labels},
            "json": json_text,
        });
        if let Some(f) = folder {
            spec["folder"] = json!(f);
        }
        let meta = metadata(m, &name, &BTreeMap::new());
        out.push(("GrafanaDashboard", object(API_GRAFANA, "GrafanaDashboard", meta, ("spec", spec))));
    }
    out
}
