//! Per-label thresholds end to end with the real promtool: the rendered
//! rules pass `promtool check rules`, the generated tests pass `promtool
//! test rules`, and a hand-written test proves what the rules do: db-1 fires
//! only above its own 0.98, every other instance at the default 0.9.

mod common;

use std::path::Path;
use std::process::Command;

use genmon::model::Profile;
use genmon::pipeline::compile;
use genmon::spec::Source;

const SPEC: &str = r#"
version: 1
alerting: {runbook_base_url: "https://runbooks.example/#"}
signals:
  cpu: {expr: '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[$__rate_interval]))', unit: percentunit, thresholds: {warning: 0.8, critical: 0.9}, thresholds_by: {instance: {"db-1:9100": {critical: 0.98}}}}
  load: {expr: 'max by (instance) (node_load1)'}
dashboards:
  - uid: hosts
    title: Hosts
    panels:
      - {signal: cpu}
      - {signal: load}
rules:
  - name: hosts
    alerts:
      - {name: CpuHigh, threshold: {signal: cpu, op: '>', value: critical}, severity: critical}
      - {name: CpuBusy, threshold: {signal: cpu, op: '>', value: warning}, severity: warning}
      - {name: LoadHigh, threshold: {signal: load, op: '>=', value: 4, thresholds_by: {instance: {"db-1:9100": 16, "db-2:9100": 8}}}, severity: warning}
"#;

fn promtool(dir: &Path, args: &[&str]) -> String {
    let pt = common::tool("promtool", "prometheus");
    let out = Command::new(pt).args(args).current_dir(dir).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "promtool {args:?}:\n{text}");
    text
}

#[test]
fn special_and_default_instances_each_meet_their_own_threshold() {
    let src = Source {
        name: "thresholds.yaml".into(),
        text: SPEC.into(),
    };
    let compiled = compile(&src, Profile::Compose, true).unwrap_or_else(|d| panic!("spec does not compile: {d:#?}"));
    let dir = tempfile::tempdir().unwrap();
    genmon::write::apply(dir.path(), &compiled.artifacts).unwrap();
    let alerts = dir.path().join("alerts");
    promtool(&alerts, &["check", "rules", "hosts.rules.yml"]);

    // One alert per threshold alert, joined onto a threshold series.
    let rules = std::fs::read_to_string(alerts.join("hosts.rules.yml")).unwrap();
    assert_eq!(rules.matches("alert: CpuHigh").count(), 1, "{rules}");
    assert!(
        rules.contains(r#"label_replace(vector(0.98), "instance", "db-1:9100", "", "")"#),
        "{rules}"
    );
    // CpuBusy's level has no per-instance value: a plain comparison.
    assert!(rules.contains("expr: signal:cpu:value > 0.8"), "{rules}");

    // The generated tests cover listed and default series, and pass.
    let generated = std::fs::read_to_string(alerts.join("tests/hosts.test.yml")).unwrap();
    for want in ["instance: db-1:9100", "instance: test-instance", "instance: db-2:9100"] {
        assert!(generated.contains(want), "generated tests lack `{want}`:\n{generated}");
    }
    promtool(&alerts.join("tests"), &["test", "rules", "hosts.test.yml"]);

    // What an operator expects, written by hand against the recorded signal,
    // on the rendered rules less their annotations (checked above and in
    // the generated tests), so the expectations stay readable.
    let mut doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&rules).unwrap();
    for group in doc["groups"].as_sequence_mut().unwrap() {
        for rule in group["rules"].as_sequence_mut().unwrap() {
            rule.as_mapping_mut().unwrap().remove("annotations");
        }
    }
    std::fs::write(alerts.join("bare.rules.yml"), serde_yaml_ng::to_string(&doc).unwrap()).unwrap();
    let hand = r#"rule_files: [../bare.rules.yml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  - {series: 'signal:cpu:value{instance="db-1:9100"}', values: '0.95x20'}
  - {series: 'signal:cpu:value{instance="web-1:9100"}', values: '0.95x20'}
  - {series: 'signal:cpu:value{instance="db-2:9100"}', values: '0.99x20'}
  - {series: 'signal:load:value{instance="db-1:9100"}', values: '10x20'}
  - {series: 'signal:load:value{instance="db-2:9100"}', values: '10x20'}
  - {series: 'signal:load:value{instance="web-1:9100"}', values: '4x20'}
  alert_rule_test:
  - eval_time: 15m
    alertname: CpuHigh
    exp_alerts:
    - {exp_labels: {severity: critical, instance: 'db-2:9100'}}
    - {exp_labels: {severity: critical, instance: 'web-1:9100'}}
  - eval_time: 15m
    alertname: LoadHigh
    exp_alerts:
    - {exp_labels: {severity: warning, instance: 'db-2:9100'}}
    - {exp_labels: {severity: warning, instance: 'web-1:9100'}}
- interval: 1m
  input_series:
  - {series: 'signal:cpu:value{instance="db-1:9100"}', values: '0.99x20'}
  alert_rule_test:
  - eval_time: 15m
    alertname: CpuHigh
    exp_alerts:
    - {exp_labels: {severity: critical, instance: 'db-1:9100'}}
"#;
    std::fs::write(alerts.join("tests/hand.test.yml"), hand).unwrap();
    promtool(&alerts.join("tests"), &["test", "rules", "hand.test.yml"]);
}
