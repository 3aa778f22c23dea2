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

/// Prometheus' `relabel_configs` in the operator's RelabelConfig shape
/// (the same fields, camelCase).
fn relabelings(steps: &[crate::spec::scrape::RelabelConfig]) -> serde_json::Value {
    let camel = |k: &str| match k {
        "source_labels" => "sourceLabels".to_string(),
        "target_label" => "targetLabel".to_string(),
        other => other.to_string(),
    };
    steps
        .iter()
        .map(|r| match serde_json::to_value(r) {
            Ok(serde_json::Value::Object(o)) => o.into_iter().map(|(k, v)| (camel(&k), v)).collect(),
            _ => serde_json::Value::Null,
        })
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
        let mut statik = json!({"targets": j.targets});
        if !j.labels.is_empty() {
            statik["labels"] = json!(j.labels);
        }
        let mut spec = json!({
            "jobName": j.name,
            "staticConfigs": [statik],
            "metricsPath": j.metrics_path,
            "scheme": j.scheme,
        });
        if let Some(i) = &j.interval {
            spec["scrapeInterval"] = json!(i.as_str());
        }
        if let Some(t) = &j.timeout {
            spec["scrapeTimeout"] = json!(t.as_str());
        }
        // What ScrapeConfig expresses the same way; discovery and client
        // settings are refused by `check` (kubernetes/scrape), never dropped.
        let o = &j.options;
        if let Some(h) = o.honor_labels {
            spec["honorLabels"] = json!(h);
        }
        if !o.params.is_empty() {
            spec["params"] = json!(o.params);
        }
        if !o.relabel_configs.is_empty() {
            spec["relabelings"] = relabelings(&o.relabel_configs);
        }
        if !o.metric_relabel_configs.is_empty() {
            spec["metricRelabelings"] = relabelings(&o.metric_relabel_configs);
        }
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
