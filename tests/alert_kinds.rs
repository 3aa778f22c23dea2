//! Every alert kind, end to end: compile a spec using all of them, write the
//! outputs, and let the real promtool check the rules and run the generated
//! tests. A missing promtool fails these tests (it is part of the toolchain).

use std::path::Path;
use std::process::Command;

use genmon::model::Profile;
use genmon::pipeline::compile;
use genmon::spec::Source;

const SPEC: &str = r#"
version: 1
alerting: {runbook_base_url: "https://runbooks.example/#"}
signals:
  cpu: {expr: '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[$__rate_interval]))', unit: percentunit, thresholds: {critical: 0.9}}
  avail: {expr: 'node_filesystem_avail_bytes', unit: bytes}
  used: {expr: '1 - node_filesystem_avail_bytes / node_filesystem_size_bytes', unit: percentunit}
  latency: {expr: 'histogram_quantile(0.95, sum by (le, probe) (rate(genmon_probe_phase_duration_seconds_bucket{phase="total"}[$__rate_interval])))', unit: s}
  throughput: {expr: 'sum by (instance) (rate(node_network_receive_bytes_total[$__rate_interval]))', unit: Bps}
dashboards:
  - uid: d
    title: D
    panels:
      - {signal: cpu}
      - {signal: avail}
      - {signal: used}
      - {signal: latency}
      - {signal: throughput}
      - {title: Health, type: stat, queries: [{expr: 'instance:node:score'}]}
rules:
  - name: kinds
    alerts:
      - {name: CpuHigh, threshold: {signal: cpu, op: '>', value: critical}, severity: warning}
      - {name: CpuLow, threshold: {signal: cpu, op: '<=', value: 0.1}, severity: info}
      - {name: TargetDown, absent: {job: node}, severity: critical}
      - {name: NoProbes, absent: {selector: 'probe_success{probe="api"}'}, severity: warning}
      - {name: CpuOdd, anomaly: {signal: cpu}, severity: info}
      - {name: CpuDrop, anomaly: {signal: cpu, direction: down, sigma: 4, window: 12h}, severity: info}
      - {name: DiskFull, exhaustion: {signal: avail, within: 24h}, severity: warning}
      - {name: DiskUsedUp, exhaustion: {signal: used, within: 4h, limit: 1, direction: up, window: 1h}, severity: critical}
      - {name: Health, health: {name: node, components: [{signal: cpu, bad: 0.9}, {signal: used, good: 0.5, bad: 0.9, weight: 3}]}, severity: warning}
  - name: regressions
    alerts:
      - {name: SlowerThanYesterday, regression: {signal: latency, percent: 50}, severity: warning}
      - {name: SlowerThanAverage, regression: {signal: latency, percent: 20, baseline: average, window: 1d}, severity: info}
      - {name: LessTraffic, regression: {signal: throughput, percent: 30, worse: lower}, severity: info}
  - name: slos
    alerts:
      - name: Availability
        slo: {objective: 99.9, bad: 'genmon_probe_requests_total{result="failure"}', total: genmon_probe_requests_total}
      - name: Latency
        slo: {name: probe-latency, objective: 99, period: 28d, latency: {histogram: 'genmon_probe_phase_duration_seconds{phase="total"}', le: 0.5}, by: [probe]}
"#;

fn promtool() -> &'static str {
    if Command::new("promtool").arg("--version").output().is_err() {
        panic!("promtool is missing: install it: apt-get install prometheus");
    }
    "promtool"
}

fn files(dir: &Path, suffix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(suffix))
        .collect();
    v.sort();
    v
}

#[test]
fn every_kind_passes_promtool_check_and_its_generated_tests() {
    let pt = promtool();
    let src = Source {
        name: "kinds.yaml".into(),
        text: SPEC.into(),
    };
    let compiled = compile(&src, Profile::Compose, false).unwrap_or_else(|d| panic!("spec does not compile: {d:#?}"));
    assert!(
        compiled.warnings.iter().all(|w| w.code != "alerts/untested"),
        "every kind gets a generated test: {:#?}",
        compiled.warnings
    );
    let dir = tempfile::tempdir().unwrap();
    genmon::write::apply(dir.path(), &compiled.artifacts).unwrap();
    let alerts = dir.path().join("alerts");
    let rules = files(&alerts, ".rules.yml");
    assert_eq!(
        rules,
        [
            "kinds.rules.yml",
            "regressions.rules.yml",
            "slo-availability.rules.yml",
            "slo-probe-latency.rules.yml",
            "slos.rules.yml"
        ]
    );
    let out = Command::new(pt)
        .arg("check")
        .arg("rules")
        .args(&rules)
        .current_dir(&alerts)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool check rules:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let tests_dir = alerts.join("tests");
    let tests = files(&tests_dir, ".test.yml");
    assert_eq!(
        tests,
        [
            "kinds.test.yml",
            "regressions.test.yml",
            "slo-availability.test.yml",
            "slo-probe-latency.test.yml"
        ]
    );
    for t in &tests {
        let out = Command::new(pt)
            .arg("test")
            .arg("rules")
            .arg(t)
            .current_dir(&tests_dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool test rules {t}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Every alert links to the panel that shows it, and the generated dashboards exist.
    let kinds = std::fs::read_to_string(alerts.join("kinds.rules.yml")).unwrap();
    assert_eq!(
        kinds.matches("panel_url: ").count(),
        7,
        "all but the absence alerts link to a panel:\n{kinds}"
    );
    assert!(dir.path().join("dashboards/Alerts/alerts-overview.json").exists());
    let slos = std::fs::read_to_string(dir.path().join("dashboards/Alerts/slos.json")).unwrap();
    assert!(slos.contains("slo:error_budget_remaining:ratio{slo=\\\"probe-latency\\\"}"));
    let slo_rules = std::fs::read_to_string(alerts.join("slo-availability.rules.yml")).unwrap();
    assert!(
        slo_rules.contains("slo:sli_error:ratio_rate1h{slo=\"availability\"} > 0.0144"),
        "{slo_rules}"
    );
    // 28d period: the 14.4 factor scales to 13.44 for the same budget fraction.
    let lat = std::fs::read_to_string(alerts.join("slo-probe-latency.rules.yml")).unwrap();
    assert!(lat.contains("> 0.1344"), "{lat}");
    assert!(lat.contains(r#"le=~"0\\.5(\\.0)?""#), "{lat}");
}

fn genmon_test(dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_genmon"))
        .args(["test", "-f", "genmon.yaml", "--color", "never"])
        .current_dir(dir)
        .output()
        .unwrap()
}

const RAW: &str = r#"
version: 1
alerting: {runbook_base_url: "https://runbooks.example/#"}
rules:
  - name: raw
    alerts:
      - {name: AnyDown, expr: 'up == 0', for: 5m, severity: critical, summary: 'down', description: 'a target is down'}
    tests:
      - interval: 1m
        input_series: [{series: 'up{job="x", instance="a"}', values: '0x20'}]
        alert_rule_test:
          - eval_time: 10m
            alertname: AnyDown
            exp_alerts: [{exp_labels: {severity: critical, job: x, instance: a}, exp_annotations: {summary: down, description: a target is down, runbook_url: "https://runbooks.example/#AnyDown"}}]
"#;

#[test]
fn genmon_test_passes_good_tests_and_exits_1_on_a_wrong_one() {
    promtool();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("genmon.yaml"), RAW).unwrap();
    let ok = genmon_test(dir.path());
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&ok.stderr));
    assert!(
        stdout.contains("raw.test.yml") && stdout.contains("AnyDown") && stdout.contains("pass"),
        "{stdout}"
    );

    // A user test beside the spec that expects the wrong thing.
    std::fs::create_dir_all(dir.path().join("alerts/tests")).unwrap();
    std::fs::write(
        dir.path().join("alerts/tests/mine.test.yml"),
        "rule_files: [../raw.rules.yml]\nevaluation_interval: 1m\ntests:\n- interval: 1m\n  input_series: [{series: 'up{job=\"x\", instance=\"a\"}', values: '1x20'}]\n  alert_rule_test:\n  - {eval_time: 10m, alertname: AnyDown, exp_alerts: [{exp_labels: {severity: critical}}]}\n",
    )
    .unwrap();
    let bad = genmon_test(dir.path());
    let stdout = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "{stdout}{}", String::from_utf8_lossy(&bad.stderr));
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("mine.test.yml") && l.contains("AnyDown") && l.contains("FAIL")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("raw.test.yml") && l.contains("AnyDown") && l.contains("pass")),
        "{stdout}"
    );
}

#[test]
fn a_raw_alert_without_a_test_is_a_warning() {
    let spec = RAW.split("    tests:").next().unwrap();
    let src = Source {
        name: "raw.yaml".into(),
        text: spec.into(),
    };
    let compiled = compile(&src, Profile::Compose, false).unwrap();
    assert!(compiled.warnings.iter().any(|w| w.code == "alerts/untested"));
    assert!(compile(&src, Profile::Compose, true).is_err(), "--strict makes it an error");
}

#[test]
fn genmon_test_without_promtool_exits_2_and_says_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("genmon.yaml"), RAW).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_genmon"))
        .args(["test", "-f", "genmon.yaml"])
        .current_dir(dir.path())
        .env("PATH", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("install it: apt-get install prometheus"));
}
