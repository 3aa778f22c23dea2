//! `genmon render --target kubernetes`: every object written is checked
//! against what Kubernetes and the operators read — the published CRD
//! OpenAPI schemas of prometheus-operator and grafana-operator (vendored in
//! tests/crds/ with their versions) and Kubernetes' own object rules (DNS-1123
//! names, label syntax and length, annotation size) — and its content against
//! the plain outputs (same rule groups, same dashboard JSON). Negative tests
//! prove the validator rejects what Kubernetes rejects.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use common::*;
use regex::Regex;
use serde_json::{Value, json};

const PROMETHEUS_OPERATOR: &str = "tests/crds/prometheus-operator-v0.93.0";
const GRAFANA_OPERATOR: &str = "tests/crds/grafana-operator-v5.24.0";
/// All annotations of an object together (`kubectl apply` keeps the object in one).
const MAX_ANNOTATIONS: usize = 262_144;

// ---------------------------------------------------------------- validator

/// OpenAPI v3 (the CRD's structural subset) → JSON Schema draft 4, as the API
/// server reads it: unknown fields are errors (`kubectl apply` validates
/// strictly) unless `x-kubernetes-preserve-unknown-fields`;
/// `x-kubernetes-int-or-string` takes an integer or a string; `nullable`
/// admits null. CEL rules (`x-kubernetes-validations`) are not evaluated,
/// nor the few Go-only patterns with inline flags (`(?i)` inside a group:
/// Thanos' `partial_response_strategy`, mute time interval names), which
/// JSON Schema's ECMA-262 regexes cannot express and genmon never writes.
fn to_json_schema(v: &mut Value) {
    let Value::Object(o) = v else { return };
    if o.get("pattern").and_then(Value::as_str).is_some_and(|p| p.contains("(?i)")) {
        o.remove("pattern");
    }
    if o.remove("x-kubernetes-int-or-string") == Some(Value::Bool(true)) {
        o.remove("anyOf");
        o.insert("type".into(), json!(["integer", "string"]));
    }
    let preserve = o.remove("x-kubernetes-preserve-unknown-fields") == Some(Value::Bool(true));
    if o.remove("nullable") == Some(Value::Bool(true))
        && let Some(t) = o.get("type").cloned()
    {
        o.insert("type".into(), json!([t, "null"]));
    }
    if o.contains_key("properties") && !preserve && !o.contains_key("additionalProperties") {
        o.insert("additionalProperties".into(), Value::Bool(false));
    }
    if let Some(Value::Object(props)) = o.get_mut("properties") {
        props.values_mut().for_each(to_json_schema);
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(s) = o.get_mut(key) {
            to_json_schema(s);
        }
    }
    for key in ["anyOf", "allOf", "oneOf"] {
        if let Some(Value::Array(xs)) = o.get_mut(key) {
            xs.iter_mut().for_each(to_json_schema);
        }
    }
}

/// `(apiVersion, kind)` → JSON Schema of the served version.
static SCHEMAS: LazyLock<BTreeMap<(String, String), Value>> = LazyLock::new(|| {
    let mut out = BTreeMap::new();
    for dir in [PROMETHEUS_OPERATOR, GRAFANA_OPERATOR] {
        for f in files(&root().join(dir), ".yaml") {
            let crd: Value = serde_yaml_ng::from_str(&fs::read_to_string(&f).unwrap()).unwrap();
            let group = crd["spec"]["group"].as_str().unwrap();
            let kind = crd["spec"]["names"]["kind"].as_str().unwrap();
            for v in crd["spec"]["versions"].as_array().unwrap() {
                if v["served"] != json!(true) {
                    continue;
                }
                let mut s = v["schema"]["openAPIV3Schema"].clone();
                to_json_schema(&mut s);
                out.insert((format!("{group}/{}", v["name"].as_str().unwrap()), kind.to_string()), s);
            }
        }
    }
    // core/v1 ConfigMap (no CRD): its fields as in k8s.io/api/core/v1.
    out.insert(
        ("v1".into(), "ConfigMap".into()),
        json!({
            "type": "object", "additionalProperties": false, "required": ["apiVersion", "kind", "metadata"],
            "properties": {
                "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
                "immutable": {"type": "boolean"},
                "data": {"type": "object", "additionalProperties": {"type": "string"}},
                "binaryData": {"type": "object", "additionalProperties": {"type": "string"}},
            }
        }),
    );
    out
});

fn schema_errors(schema: &Value, obj: &Value) -> Vec<String> {
    let v = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(false)
        .build(schema)
        .expect("CRD schema compiles");
    v.iter_errors(obj).map(|e| format!("{}: {e}", e.instance_path())).collect()
}

static NAME_PART: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$").unwrap());
static DNS_LABEL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").unwrap());
static DATA_KEY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[-._a-zA-Z0-9]+$").unwrap());

fn subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(|l| l.len() <= 63 && DNS_LABEL.is_match(l))
}

fn qualified(k: &str) -> bool {
    let (prefix, name) = k.split_once('/').map_or((None, k), |(p, n)| (Some(p), n));
    prefix.is_none_or(subdomain) && name.len() <= 63 && NAME_PART.is_match(name)
}

/// Kubernetes' object rules (apimachinery validation), independent of genmon's code.
fn object_rule_errors(obj: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let meta = &obj["metadata"];
    let name = meta["name"].as_str().unwrap_or("");
    if !subdomain(name) {
        out.push(format!("metadata.name `{name}` is not a DNS-1123 subdomain"));
    }
    let ns = meta["namespace"].as_str().unwrap_or("");
    if ns.len() > 63 || !DNS_LABEL.is_match(ns) {
        out.push(format!("metadata.namespace `{ns}` is not a DNS-1123 label"));
    }
    for (k, v) in meta["labels"].as_object().into_iter().flatten() {
        let v = v.as_str().unwrap_or("\u{0}");
        if !qualified(k) {
            out.push(format!("label key `{k}` is invalid"));
        }
        if !(v.is_empty() || (v.len() <= 63 && NAME_PART.is_match(v))) {
            out.push(format!("label value `{v}` of `{k}` is invalid"));
        }
    }
    let mut size = 0;
    for (k, v) in meta["annotations"].as_object().into_iter().flatten() {
        if !qualified(k) {
            out.push(format!("annotation key `{k}` is invalid"));
        }
        size += k.len() + v.as_str().map_or(usize::MAX / 2, str::len);
    }
    if size > MAX_ANNOTATIONS {
        out.push(format!("annotations take {size} bytes, over {MAX_ANNOTATIONS}"));
    }
    for k in obj["data"].as_object().into_iter().flatten().map(|(k, _)| k) {
        if !DATA_KEY.is_match(k) {
            out.push(format!("data key `{k}` is invalid"));
        }
    }
    out
}

/// Every problem Kubernetes would report for `obj`: its CRD schema and object rules.
fn validate(obj: &Value) -> Vec<String> {
    let key = (
        obj["apiVersion"].as_str().unwrap_or("").to_string(),
        obj["kind"].as_str().unwrap_or("").to_string(),
    );
    let Some(schema) = SCHEMAS.get(&key) else {
        return vec![format!("no vendored schema for {key:?}")];
    };
    let mut out = schema_errors(schema, obj);
    // AlertmanagerConfig keeps child routes as free-form JSON; the operator
    // decodes each as a Route: validate them against the route's own schema.
    if key.1 == "AlertmanagerConfig" {
        let route_schema = &schema["properties"]["spec"]["properties"]["route"];
        let mut stack: Vec<Value> = obj["spec"]["route"]["routes"].as_array().cloned().unwrap_or_default();
        while let Some(r) = stack.pop() {
            out.extend(schema_errors(route_schema, &r).into_iter().map(|e| format!("child route: {e}")));
            stack.extend(r["routes"].as_array().cloned().unwrap_or_default());
        }
    }
    out.extend(object_rule_errors(obj));
    out
}

// ---------------------------------------------------------------- helpers

fn render_k8s(spec: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = genmon(
        &root(),
        &[
            "render",
            "--target",
            "kubernetes",
            "-f",
            spec.to_str().unwrap(),
            "-o",
            dir.path().to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "render --target kubernetes {} failed:\n{}",
        spec.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// `(file, object)` of every file under kubernetes/.
fn objects(out: &Path) -> Vec<(PathBuf, Value)> {
    let files = files(&out.join("kubernetes"), "");
    assert!(!files.is_empty(), "nothing under kubernetes/");
    files
        .into_iter()
        .map(|f| {
            let text = fs::read_to_string(&f).unwrap();
            assert_eq!(text.matches("\napiVersion:").count(), 1, "{}: one object per file", f.display());
            let v: Value = serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            (f, v)
        })
        .collect()
}

/// A copy of `spec` in a temp dir with `extra` appended.
fn spec_with(spec: &Path, extra: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("genmon.yaml");
    fs::write(&p, format!("{}\n{extra}", fs::read_to_string(spec).unwrap())).unwrap();
    (dir, p)
}

fn full() -> PathBuf {
    root().join("tests/specs/full.yaml")
}

const BOTH: &str = "kubernetes:\n  namespace: observability\n  dashboards: both\n  labels: {team: platform}\n  rule_labels: {release: kube-prometheus-stack}\n";

// ---------------------------------------------------------------- validator proof

/// A change that makes an object invalid.
type Edit = fn(&mut Value);

#[test]
fn validator_rejects_what_kubernetes_rejects() {
    let good = json!({
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
        "metadata": {"name": "genmon-host", "namespace": "monitoring", "labels": {"role": "alert-rules"}},
        "spec": {"groups": [{"name": "host", "rules": [{"alert": "A", "expr": "up == 0", "for": "5m"}]}]},
    });
    assert_eq!(validate(&good), Vec::<String>::new());
    // int-or-string: `expr` may be an integer.
    let mut int_expr = good.clone();
    int_expr["spec"]["groups"][0]["rules"][0]["expr"] = json!(1);
    assert_eq!(validate(&int_expr), Vec::<String>::new());
    let bad: Vec<(&str, Edit)> = vec![
        ("unknown field", |v| v["spec"]["group"] = json!([])),
        ("wrong type", |v| v["spec"]["groups"][0]["rules"] = json!("x")),
        ("bad duration", |v| v["spec"]["groups"][0]["rules"][0]["for"] = json!("5 minutes")),
        ("missing group name", |v| v["spec"]["groups"][0] = json!({"rules": []})),
        ("name not DNS-1123", |v| v["metadata"]["name"] = json!("Genmon_Host")),
        ("label value too long", |v| v["metadata"]["labels"]["role"] = json!("x".repeat(64))),
        ("label key invalid", |v| v["metadata"]["labels"]["bad key"] = json!("x")),
        ("namespace invalid", |v| v["metadata"]["namespace"] = json!("Monitoring")),
        ("annotations too big", |v| {
            v["metadata"]["annotations"] = json!({"a": "x".repeat(MAX_ANNOTATIONS)})
        }),
    ];
    for (what, f) in bad {
        let mut v = good.clone();
        f(&mut v);
        assert!(!validate(&v).is_empty(), "the validator accepts an object with {what}");
    }
    // An enum of AlertmanagerConfig, inside a child route (free-form in the CRD).
    let amc = json!({
        "apiVersion": "monitoring.coreos.com/v1alpha1", "kind": "AlertmanagerConfig",
        "metadata": {"name": "genmon", "namespace": "monitoring"},
        "spec": {"route": {"receiver": "r", "routes": [{"matchers": [{"name": "a", "value": "b", "matchType": "=="}]}]},
                 "receivers": [{"name": "r"}]},
    });
    assert!(validate(&amc).iter().any(|e| e.starts_with("child route")), "{:?}", validate(&amc));
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "m"}, "data": {"a b": "1"}});
    assert!(!validate(&cm).is_empty(), "a ConfigMap data key with a space passes");
}

// ---------------------------------------------------------------- outputs

#[test]
fn every_object_is_valid_against_its_crd_and_kubernetes_rules() {
    let (_d, both) = spec_with(&full(), BOTH);
    let mut kinds = BTreeMap::new();
    for spec in specs().into_iter().chain([both]) {
        let out = render_k8s(&spec);
        for (f, obj) in objects(out.path()) {
            let errors = validate(&obj);
            assert!(
                errors.is_empty(),
                "{} ({}) is invalid:\n{}",
                f.display(),
                spec.display(),
                errors.join("\n")
            );
            *kinds.entry(obj["kind"].as_str().unwrap().to_string()).or_insert(0) += 1;
            // Small enough for client-side apply (the annotation holds the whole object).
            assert!(serde_json::to_vec(&obj).unwrap().len() < MAX_ANNOTATIONS, "{}", f.display());
        }
    }
    let got: Vec<&str> = kinds.keys().map(String::as_str).collect();
    assert_eq!(
        got,
        [
            "AlertmanagerConfig",
            "ConfigMap",
            "GrafanaDashboard",
            "PodMonitor",
            "PrometheusRule",
            "ScrapeConfig",
            "ServiceMonitor",
        ],
        "every kind is written and checked"
    );
}

#[test]
fn prometheus_rules_hold_the_rule_files_groups_with_the_selector_labels() {
    let (_d, spec) = spec_with(&full(), BOTH);
    let out = render_k8s(&spec);
    let rule_files = files(&out.path().join("alerts"), ".rules.yml");
    let prom_rules: Vec<Value> = objects(out.path())
        .into_iter()
        .map(|(_, o)| o)
        .filter(|o| o["kind"] == "PrometheusRule")
        .collect();
    assert_eq!(prom_rules.len(), rule_files.len(), "one PrometheusRule per rule group file");
    for f in rule_files {
        let file: Value = serde_yaml_ng::from_str(&fs::read_to_string(&f).unwrap()).unwrap();
        let name = file["groups"][0]["name"].clone();
        let obj = prom_rules
            .iter()
            .find(|o| o["spec"]["groups"][0]["name"] == name)
            .unwrap_or_else(|| panic!("no PrometheusRule for group {name}"));
        assert_eq!(obj["spec"]["groups"], file["groups"], "group {name} differs from {}", f.display());
        let labels = &obj["metadata"]["labels"];
        assert_eq!(labels["release"], "kube-prometheus-stack", "rule_labels for the ruleSelector");
        assert_eq!(labels["team"], "platform");
        assert_eq!(labels["app.kubernetes.io/managed-by"], "genmon");
        assert_eq!(obj["metadata"]["namespace"], "observability");
    }
}

#[test]
fn dashboards_are_the_same_json_as_sidecar_configmaps_and_grafana_dashboards() {
    let (_d, spec) = spec_with(&full(), BOTH);
    let out = render_k8s(&spec);
    let plain = files(&out.path().join("dashboards"), ".json");
    let objs: Vec<Value> = objects(out.path()).into_iter().map(|(_, o)| o).collect();
    let mut foldered = 0;
    for f in &plain {
        let json = fs::read_to_string(f).unwrap();
        let d: Value = serde_json::from_str(&json).unwrap();
        let uid = d["uid"].as_str().unwrap();
        let key = format!("{uid}.json");
        let cm = objs
            .iter()
            .find(|o| o["kind"] == "ConfigMap" && o["data"].get(&key).is_some())
            .unwrap_or_else(|| panic!("no ConfigMap for {uid}"));
        assert_eq!(cm["data"][&key], json.as_str(), "ConfigMap of {uid} holds other JSON");
        assert_eq!(cm["metadata"]["labels"]["grafana_dashboard"], "1", "sidecar label");
        let gd = objs
            .iter()
            .find(|o| o["kind"] == "GrafanaDashboard" && o["metadata"]["name"] == cm["metadata"]["name"])
            .unwrap_or_else(|| panic!("no GrafanaDashboard for {uid}"));
        assert_eq!(gd["spec"]["json"], json.as_str());
        assert_eq!(gd["spec"]["instanceSelector"]["matchLabels"], json!({"dashboards": "grafana"}));
        // A dashboard in a folder: the folder's title as the sidecar's folder annotation and the operator's folder.
        if f.parent() != Some(&out.path().join("dashboards")) {
            let title = f.parent().unwrap().file_name().unwrap().to_str().unwrap();
            assert_eq!(cm["metadata"]["annotations"]["grafana_folder"], title);
            assert_eq!(gd["spec"]["folder"], title);
            foldered += 1;
        } else {
            assert!(cm["metadata"].get("annotations").is_none());
        }
    }
    assert!(foldered > 0, "foldered dashboards are covered");
    // The default is ConfigMaps only.
    let out = render_k8s(&full());
    assert!(objects(out.path()).iter().all(|(_, o)| o["kind"] != "GrafanaDashboard"));
}

#[test]
fn alertmanager_config_references_secrets_by_name_and_keeps_the_route_tree() {
    let out = render_k8s(&full());
    let objs = objects(out.path());
    let (f, amc) = objs
        .iter()
        .find(|(_, o)| o["kind"] == "AlertmanagerConfig")
        .expect("an AlertmanagerConfig");
    let text = fs::read_to_string(f).unwrap();
    assert!(
        !text.contains("/run/secrets") && !text.contains("_file"),
        "file paths leaked:\n{text}"
    );
    let receivers = amc["spec"]["receivers"].as_array().unwrap();
    let by_name = |n: &str| receivers.iter().find(|r| r["name"] == n).unwrap();
    let secret = |key: &str| json!({"name": "genmon-alertmanager", "key": key});
    assert_eq!(by_name("ops")["emailConfigs"][0]["authPassword"], secret("smtp_password"));
    assert_eq!(by_name("pager")["pagerdutyConfigs"][0]["routingKey"], secret("pagerduty_key"));
    let slack = receivers.iter().find_map(|r| r["slackConfigs"].get(0)).expect("a slack receiver");
    assert_eq!(slack["apiURL"], secret("slack_url"));
    // The plain alertmanager.yml and the AlertmanagerConfig route alike.
    let am: Value =
        serde_yaml_ng::from_str(&fs::read_to_string(out.path().join("provisioning/alertmanager/alertmanager.yml")).unwrap()).unwrap();
    fn shape(r: &Value, camel: bool) -> Value {
        json!({
            "receiver": r["receiver"],
            "repeat": r[if camel { "repeatInterval" } else { "repeat_interval" }],
            "matchers": if camel {
                r["matchers"].as_array().into_iter().flatten()
                    .map(|m| format!("{}{}\"{}\"", m["name"].as_str().unwrap(), m["matchType"].as_str().unwrap(), m["value"].as_str().unwrap()))
                    .collect::<Vec<_>>()
            } else {
                r["matchers"].as_array().into_iter().flatten().map(|m| m.as_str().unwrap().to_string()).collect()
            },
            "routes": r["routes"].as_array().into_iter().flatten().map(|s| shape(s, camel)).collect::<Vec<_>>(),
        })
    }
    assert_eq!(shape(&amc["spec"]["route"], true), shape(&am["route"], false));
    assert_eq!(
        amc["spec"]["inhibitRules"].as_array().map(Vec::len),
        am["inhibit_rules"].as_array().map(Vec::len)
    );
}

#[test]
fn scrape_jobs_become_scrape_configs() {
    let out = render_k8s(&full());
    let spec: Value = serde_yaml_ng::from_str(&fs::read_to_string(full()).unwrap()).unwrap();
    // The spec's scrape jobs and its services' (each service is scraped by a job of its own).
    let mut jobs = spec["prometheus"]["scrape_jobs"].as_array().unwrap().clone();
    jobs.extend(spec["services"].as_array().into_iter().flatten().map(|s| s["scrape"].clone()));
    let objs = objects(out.path());
    let scs: Vec<&Value> = objs.iter().map(|(_, o)| o).filter(|o| o["kind"] == "ScrapeConfig").collect();
    assert_eq!(scs.len(), jobs.len());
    for j in &jobs {
        let sc = scs
            .iter()
            .find(|o| o["spec"]["jobName"] == j["name"])
            .expect("a ScrapeConfig per job");
        assert_eq!(sc["spec"]["staticConfigs"][0]["targets"], j["targets"]);
        if let Some(i) = j.get("interval") {
            assert_eq!(&sc["spec"]["scrapeInterval"], i);
        }
    }
}

#[test]
fn the_stacks_own_jobs_keep_the_job_names_the_rules_select() {
    // genmon's rules say `up{job="alertmanager"}`: under the operator the
    // scraped job must have that name, or the alert fires (absent) forever.
    let out = render_k8s(&root().join("genmon.yaml"));
    let rules: String = files(&out.path().join("alerts"), ".rules.yml")
        .iter()
        .map(|f| fs::read_to_string(f).unwrap())
        .collect();
    let objs = objects(out.path());
    let monitors: Vec<&Value> = objs
        .iter()
        .map(|(_, o)| o)
        .filter(|o| o["kind"] == "PodMonitor" || o["kind"] == "ServiceMonitor")
        .collect();
    let mut jobs = Vec::new();
    for m in &monitors {
        let endpoints = m["spec"]["podMetricsEndpoints"]
            .as_array()
            .or(m["spec"]["endpoints"].as_array())
            .unwrap();
        let relabel = &endpoints[0]["relabelings"][0];
        assert_eq!(relabel["targetLabel"], "job");
        jobs.push(relabel["replacement"].as_str().unwrap().to_string());
    }
    for job in Regex::new(r#"job="([^"]+)""#).unwrap().captures_iter(&rules) {
        assert!(
            jobs.contains(&job[1].to_string()),
            "rules select job {} that no monitor scrapes ({jobs:?})",
            &job[1]
        );
    }
    let pm = monitors.iter().find(|o| o["kind"] == "PodMonitor").unwrap();
    assert_eq!(pm["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"], "genmon-exporter");
    // Without self-monitoring there is nothing of the stack's own to scrape.
    let (_d, spec) = spec_with(&root().join("genmon.yaml"), "stack: {self_monitoring: false}\n");
    let text = fs::read_to_string(&spec).unwrap();
    assert_eq!(text.matches("\nstack:").count(), 1, "genmon.yaml has no stack section of its own");
    let out = render_k8s(&spec);
    assert!(
        objects(out.path())
            .iter()
            .all(|(_, o)| o["kind"] != "PodMonitor" && o["kind"] != "ServiceMonitor")
    );
}

// ---------------------------------------------------------------- diagnostics

fn render_fails(extra: &str, code: &str, needle: &str) {
    render_text_fails(&format!("{}\n{extra}", fs::read_to_string(full()).unwrap()), code, needle);
}

/// `--target kubernetes` refuses the spec `text` with `code` at a line:column
/// and writes nothing; the default target renders it.
fn render_text_fails(text: &str, code: &str, needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("genmon.yaml"), text).unwrap();
    let out = genmon(dir.path(), &["render", "--target", "kubernetes", "-o", "out"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("error[{code}]")), "{stderr}");
    assert!(stderr.contains(needle), "{stderr}");
    assert!(
        Regex::new(r"genmon\.yaml:\d+:\d+").unwrap().is_match(&stderr),
        "no location:\n{stderr}"
    );
    assert!(!dir.path().join("out").exists(), "nothing is written");
    // `check --target kubernetes` reports the same.
    let out = genmon(dir.path(), &["check", "--target", "kubernetes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("error[{code}]")));
    // The default target does not care.
    let out = genmon(dir.path(), &["render", "-o", "plain"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn names_that_collide_after_sanitising_are_located_errors() {
    let text = fs::read_to_string(full()).unwrap().replacen(
        "\nrules:\n",
        "\nrules:\n  - name: App\n    recording: [{record: 'job:up:sum', expr: 'sum by (job) (up)'}]\n",
        1,
    );
    render_text_fails(&text, "kubernetes/name", "both become Kubernetes object `genmon-app`");
}

#[test]
fn what_kubernetes_cannot_express_is_a_located_error() {
    render_fails("kubernetes: {namespace: Monitoring}\n", "kubernetes/label", "not a DNS-1123 label");
    render_fails(
        "kubernetes: {rule_labels: {role: 'alert rules'}}\n",
        "kubernetes/label",
        "not a valid Kubernetes label value",
    );
}

#[test]
fn scrape_settings_a_scrape_config_does_not_carry_are_located_errors() {
    let text = fs::read_to_string(full()).unwrap().replacen(
        "      metrics_path: /internal/metrics\n",
        "      metrics_path: /internal/metrics\n      http_sd_configs: [{url: 'https://sd.example.com/targets'}]\n",
        1,
    );
    render_text_fails(&text, "kubernetes/scrape", "`http_sd_configs` of scrape job `app` is not mapped");
}

#[test]
fn relabelling_params_and_honor_labels_reach_the_scrape_config() {
    let out = render_k8s(&full());
    let objs = objects(out.path());
    let app = objs
        .iter()
        .map(|(_, o)| o)
        .find(|o| o["kind"] == "ScrapeConfig" && o["spec"]["jobName"] == "app")
        .expect("the app job's ScrapeConfig");
    assert_eq!(app["spec"]["honorLabels"], true);
    assert_eq!(app["spec"]["params"]["format"][0], "prometheus");
    assert_eq!(app["spec"]["relabelings"][0]["sourceLabels"][0], "__address__");
    assert_eq!(app["spec"]["relabelings"][0]["targetLabel"], "host");
    assert_eq!(app["spec"]["metricRelabelings"][0]["action"], "drop");
}

#[test]
fn localhost_scrape_targets_are_located_errors() {
    let text = fs::read_to_string(full()).unwrap().replace("'db-1:9100'", "'127.0.0.1:9100'");
    render_text_fails(&text, "kubernetes/scrape", "genmon.yaml:12:");
}

#[test]
fn secret_files_that_map_to_one_secret_key_are_located_errors() {
    let text = fs::read_to_string(full())
        .unwrap()
        .replace("/run/secrets/pagerduty_key", "/etc/other/smtp_password");
    render_text_fails(&text, "kubernetes/secret", "both become key `smtp_password`");
}

#[test]
fn a_dashboard_too_big_for_client_side_apply_is_a_warning_naming_server_side() {
    let panels: String = (0..120)
        .map(|i| {
            format!(
                "      - {{title: 'Panel {i}', description: '{}', queries: [{{expr: 'up'}}]}}\n",
                "d".repeat(1500)
            )
        })
        .collect();
    let extra = format!("  - uid: huge\n    title: Huge\n    panels:\n{panels}");
    let text = fs::read_to_string(full())
        .unwrap()
        .replacen("dashboards:\n", &format!("dashboards:\n{extra}"), 1);
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("genmon.yaml"), text).unwrap();
    let out = genmon(dir.path(), &["render", "--target", "kubernetes", "-o", "out"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("warning[kubernetes/size]"), "{stderr}");
    assert!(stderr.contains("kubectl apply --server-side"), "{stderr}");
    let cm = fs::read_to_string(dir.path().join("out/kubernetes/configmap-genmon-dashboard-huge.yaml")).unwrap();
    assert!(cm.len() > MAX_ANNOTATIONS);
}

// ---------------------------------------------------------------- genmon test

#[test]
fn genmon_test_runs_the_rule_tests_on_the_rules_inside_prometheus_rules() {
    tool("promtool", "prometheus");
    let out = genmon(&root(), &["test", "--target", "kubernetes"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    let plain = stdout
        .lines()
        .filter(|l| l.ends_with("pass") && !l.starts_with("kubernetes/"))
        .count();
    let k8s = stdout
        .lines()
        .filter(|l| l.starts_with("kubernetes/PrometheusRule") && l.ends_with("pass"))
        .count();
    assert!(
        plain > 0 && plain == k8s,
        "every test also ran on the PrometheusRule rules:\n{stdout}"
    );
}
