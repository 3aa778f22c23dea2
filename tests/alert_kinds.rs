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
  load: {expr: 'max by (instance) (node_load1)'}
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
      - {signal: load}
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
      - {name: ProbeSlow, threshold: {signal: latency, op: '>', value: 0.55}, for: 10m, severity: warning}
      - {name: DiskLow, threshold: {signal: avail, op: '<', value: 1073741824}, severity: warning}
      - {name: LoadOdd, anomaly: {signal: load, window: 12h}, severity: info}
      - {name: LoadWorse, regression: {signal: load, percent: 50, worse: lower}, severity: info}
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
            "slo-probe-latency.rules.yml"
        ],
        "a group whose alerts are all SLOs has no rule file of its own"
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
    // 28d period: the factor stays 14.4, the windows scale (1h → 56m, 5m → 5m).
    let lat = std::fs::read_to_string(alerts.join("slo-probe-latency.rules.yml")).unwrap();
    assert!(
        lat.contains(
            r#"slo:sli_error:ratio_rate56m{slo="probe-latency"} > 0.144 and slo:sli_error:ratio_rate5m{slo="probe-latency"} > 0.144"#
        ),
        "{lat}"
    );
    assert!(lat.contains(r#"le=~"0\\.5(\\.0)?""#), "{lat}");
    // Threshold and health tests feed the signal's raw metrics when its PromQL can be inverted.
    let kt = std::fs::read_to_string(tests_dir.join("kinds.test.yml")).unwrap();
    assert!(
        kt.contains("series: node_cpu_seconds_total{instance=\"test-instance\", mode=\"idle\"}"),
        "{kt}"
    );
    assert!(kt.contains("series: node_filesystem_size_bytes{"), "{kt}");
    let rt = std::fs::read_to_string(tests_dir.join("regressions.test.yml")).unwrap();
    // (Their signals are recorded in this group: a recording in another group lags
    // by an evaluation, so alerts reading one are tested on the recorded series.)
    for case in ["LoadOdd fires", "LoadOdd stays quiet", "LoadWorse fires", "LoadWorse stays quiet"] {
        let at = rt.find(case).unwrap_or_else(|| panic!("no case `{case}`:\n{rt}"));
        let series = &rt[at..][..rt[at..].find("alert_rule_test").unwrap()];
        assert!(!series.contains("signal:"), "{case} runs from raw series:\n{series}");
    }
    // Alert text by unit, naming the real `for` (promtool checked the expansion above).
    let reg = std::fs::read_to_string(alerts.join("regressions.rules.yml")).unwrap();
    for want in [
        "summary: latency is above 550ms on {{ $labels.probe }}",
        "{{ $value | humanizeDuration }}, above the threshold of 550ms (> 0.55), for 10m.",
        "{{ $value | humanize1024 }}B, below the threshold of 1GiB (< 1073741824), for 5m.",
    ] {
        assert!(reg.contains(want), "want `{want}` in:\n{reg}");
    }
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

/// SLOs of every supported period on the same raw counters, to drive the
/// complete generated rule chain from raw series.
const SLOS: &str = r#"
version: 1
alerting: {runbook_base_url: "https://runbooks.example/#"}
metrics: {external: [http_requests_total, 'request_duration_seconds_*']}
rules:
  - name: slos
    alerts:
      - name: Day
        slo: {objective: 99.5, period: 1d, bad: 'http_requests_total{code="5xx"}', total: http_requests_total}
      - name: Week
        slo: {objective: 99.5, period: 7d, bad: 'http_requests_total{code="5xx"}', total: http_requests_total}
      - name: Four
        slo: {objective: 99.5, period: 28d, bad: 'http_requests_total{code="5xx"}', total: http_requests_total}
      - name: Month
        slo: {objective: 99.5, period: 30d, bad: 'http_requests_total{code="5xx"}', total: http_requests_total}
      - name: ByRoute
        slo: {objective: 99.5, bad: 'http_requests_total{code="5xx"}', total: http_requests_total, by: [route]}
      - name: Fast
        slo: {objective: 99, latency: {histogram: 'request_duration_seconds', le: 0.25}}
"#;

const PERIODS: [&str; 4] = ["Day", "Week", "Four", "Month"];

/// Render `spec` into a temporary directory; returns it and its `alerts/` rule file names.
fn render(spec: &str) -> (tempfile::TempDir, Vec<String>) {
    let src = Source {
        name: "slos.yaml".into(),
        text: spec.into(),
    };
    let compiled = compile(&src, Profile::Compose, true).unwrap_or_else(|d| panic!("spec does not compile: {d:#?}"));
    let dir = tempfile::tempdir().unwrap();
    genmon::write::apply(dir.path(), &compiled.artifacts).unwrap();
    let rules = files(&dir.path().join("alerts"), ".rules.yml");
    (dir, rules)
}

fn run_promtool(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(promtool()).args(args).current_dir(dir).output().unwrap();
    (
        out.status.success(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

/// A promtool test file over every generated rule file, from raw input series.
/// The rule files of these groups (promtool evaluates every rule of every file each step).
fn only(rules: &[String], groups: &[&str]) -> Vec<String> {
    rules
        .iter()
        .filter(|r| groups.iter().any(|g| r.as_str() == format!("{g}.rules.yml")))
        .cloned()
        .collect()
}

fn raw_test(dir: &Path, rules: &[String], name: &str, body: &str) {
    let tests = dir.join("alerts/tests");
    std::fs::create_dir_all(&tests).unwrap();
    let files: Vec<String> = rules.iter().map(|r| format!("../{r}")).collect();
    let text = format!("rule_files: [{}]\nevaluation_interval: 1m\ntests:\n{body}", files.join(", "));
    std::fs::write(tests.join(format!("{name}.test.yml")), &text).unwrap();
    let (ok, out) = run_promtool(&tests, &["test", "rules", &format!("{name}.test.yml")]);
    assert!(ok, "promtool test rules {name}:\n{out}\n--- test file:\n{text}");
}

#[test]
fn every_generated_rule_file_passes_promtool_lint_fatal() {
    for spec in [SPEC, SLOS] {
        let (dir, rules) = render(spec);
        let alerts = dir.path().join("alerts");
        let mut args = vec!["check", "rules", "--lint=all", "--lint-fatal"];
        args.extend(rules.iter().map(String::as_str));
        let (ok, out) = run_promtool(&alerts, &args);
        assert!(ok, "promtool check rules --lint-fatal:\n{out}");
        for r in &rules {
            let text = std::fs::read_to_string(alerts.join(r)).unwrap();
            assert!(
                text.contains("- alert: ") || text.contains("- record: "),
                "{r} is an empty rule file:\n{text}"
            );
        }
    }
}

#[test]
fn slo_period_ratio_is_a_ratio_of_sums() {
    let (dir, rules) = render(SLOS);
    // 23 h at 1000 rps with 0.1 % errors, then 1 h at 1 rps with 50 % errors:
    // 84,600 bad of 82,803,600 = 0.102 % over the day, 80 % of a 0.5 % budget left.
    raw_test(
        dir.path(),
        &only(&rules, &["slo-day"]),
        "ratio-of-sums",
        r#"  - interval: 1m
    input_series:
      - {series: 'http_requests_total{code="2xx"}', values: '0+59940x1380 82717230+30x59'}
      - {series: 'http_requests_total{code="5xx"}', values: '0+60x1380 82830+30x59'}
    promql_expr_test:
      - {expr: 'round(slo:sli_error:ratio_rate1d{slo="day"} * 1e5)', eval_time: 1d, exp_samples: [{labels: '{slo="day"}', value: 102}]}
      - {expr: 'round(slo:error_budget_remaining:ratio{slo="day"} * 100)', eval_time: 1d, exp_samples: [{labels: '{slo="day"}', value: 80}]}
"#,
    );
}

#[test]
fn slo_idle_minutes_contribute_nothing() {
    let (dir, rules) = render(SLOS);
    // 1 % errors, with 10 minutes without any request in the middle.
    raw_test(
        dir.path(),
        &only(&rules, &["slo-month"]),
        "idle",
        r#"  - interval: 1m
    input_series:
      - {series: 'http_requests_total{code="2xx"}', values: '0+99x60 5940x9 5940+99x60'}
      - {series: 'http_requests_total{code="5xx"}', values: '0+1x60 60x9 60+1x60'}
    promql_expr_test:
      - {expr: 'round(slo:sli_error:ratio_rate30d{slo="month"} * 1e4)', eval_time: 70m, exp_samples: [{labels: '{slo="month"}', value: 100}]}
      - {expr: 'round(slo:sli_error:ratio_rate30d{slo="month"} * 1e4)', eval_time: 2h, exp_samples: [{labels: '{slo="month"}', value: 100}]}
      - {expr: 'round(slo:error_budget_remaining:ratio{slo="month"} * 100)', eval_time: 2h, exp_samples: [{labels: '{slo="month"}', value: -100}]}
"#,
    );
}

#[test]
fn slo_missing_error_series_means_zero_errors() {
    let (dir, rules) = render(SLOS);
    // The client never created its code="5xx" series.
    raw_test(
        dir.path(),
        &rules,
        "no-errors",
        r#"  - interval: 1m
    input_series:
      - {series: 'http_requests_total{code="2xx", route="/a"}', values: '0+60x120'}
      - {series: 'request_duration_seconds_bucket{le="0.25"}', values: '0+60x120'}
      - {series: 'request_duration_seconds_count', values: '0+60x120'}
    promql_expr_test:
      - {expr: 'slo:sli_error:ratio_rate30d{slo="month"}', eval_time: 2h, exp_samples: [{labels: 'slo:sli_error:ratio_rate30d{slo="month"}', value: 0}]}
      - {expr: 'slo:error_budget_remaining:ratio{slo="month"}', eval_time: 2h, exp_samples: [{labels: 'slo:error_budget_remaining:ratio{slo="month"}', value: 1}]}
      - {expr: 'slo:sli_error:ratio_rate5m{slo="month"}', eval_time: 2h, exp_samples: [{labels: 'slo:sli_error:ratio_rate5m{slo="month"}', value: 0}]}
      - {expr: 'slo:sli_error:ratio_rate5m{slo="by-route"}', eval_time: 2h, exp_samples: [{labels: 'slo:sli_error:ratio_rate5m{route="/a", slo="by-route"}', value: 0}]}
      - {expr: 'slo:error_budget_remaining:ratio{slo="fast"}', eval_time: 2h, exp_samples: [{labels: 'slo:error_budget_remaining:ratio{slo="fast"}', value: 1}]}
      - {expr: 'count(ALERTS{alertname=~".*(Burn|InputAbsent)"}) or vector(0)', eval_time: 2h, exp_samples: [{labels: '{}', value: 0}]}
"#,
    );
}

#[test]
fn slo_without_input_alerts() {
    let (dir, rules) = render(SLOS);
    raw_test(
        dir.path(),
        &rules,
        "no-input",
        r#"  - interval: 1m
    input_series:
      - {series: 'some_other_metric', values: '1x60'}
    promql_expr_test:
      - {expr: 'count(ALERTS{alertname=~".*InputAbsent", alertstate="firing"})', eval_time: 30m, exp_samples: [{labels: '{}', value: 6}]}
"#,
    );
}

/// Constant error ratio `ratio` at 1000 requests a minute for 3 hours.
fn constant(ratio: f64) -> String {
    format!(
        "      - {{series: 'http_requests_total{{code=\"2xx\"}}', values: '0+{}x180'}}\n      - {{series: 'http_requests_total{{code=\"5xx\"}}', values: '0+{}x180'}}\n",
        1000.0 * (1.0 - ratio),
        1000.0 * ratio
    )
}

#[test]
fn slo_burn_factors_stay_meaningful_for_1d_7d_28d_30d() {
    let (dir, rules) = render(SLOS);
    // Meeting the objective (90 % of the budget): no SLO alert, whatever the period.
    let mut quiet = format!("  - interval: 1m\n    input_series:\n{}    alert_rule_test:\n", constant(0.0045));
    for p in PERIODS {
        for kind in ["FastBurn", "SlowBurn"] {
            quiet.push_str(&format!("      - {{eval_time: 3h, alertname: {p}{kind}, exp_alerts: []}}\n"));
        }
    }
    raw_test(dir.path(), &rules, "meeting", &quiet);
    // 20× the budget: every period pages.
    let mut fast = format!("  - interval: 1m\n    input_series:\n{}    promql_expr_test:\n", constant(0.1));
    fast.push_str("      - {expr: 'count(ALERTS{alertname=~\"(Day|Week|Four|Month)FastBurn\", alertstate=\"firing\"})', eval_time: 3h, exp_samples: [{labels: '{}', value: 4}]}\n");
    raw_test(dir.path(), &rules, "burning", &fast);
    // 4.5× the budget: tickets, does not page.
    let mut slow = format!("  - interval: 1m\n    input_series:\n{}    promql_expr_test:\n", constant(0.0225));
    slow.push_str("      - {expr: 'count(ALERTS{alertname=~\"(Day|Week|Four|Month)SlowBurn\", alertstate=\"firing\"})', eval_time: 3h, exp_samples: [{labels: '{}', value: 4}]}\n");
    slow.push_str(
        "      - {expr: 'count(ALERTS{alertname=~\".*FastBurn\"}) or vector(0)', eval_time: 3h, exp_samples: [{labels: '{}', value: 0}]}\n",
    );
    raw_test(dir.path(), &rules, "slow", &slow);
}

/// Queries (expr, legend) of the panel titled `title` in a rendered dashboard.
fn panel_queries(dir: &Path, dashboard: &str, title: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join(dashboard)).unwrap();
    let d: serde_json::Value = serde_json::from_str(&text).unwrap();
    let p = d["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == title)
        .unwrap_or_else(|| panic!("no panel {title} in {dashboard}"));
    p["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["expr"].as_str().unwrap_or_default().to_string(),
                t["legendFormat"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn burn_rate_legends_name_the_slo_labels() {
    let (dir, _) = render(SLOS);
    let q = panel_queries(dir.path(), "dashboards/Alerts/slos.json", "by-route: burn rate");
    let legends: Vec<&str> = q.iter().map(|(_, l)| l.as_str()).collect();
    assert!(
        legends.contains(&"{{route}} 5m") && legends.contains(&"{{route}} 3d"),
        "{legends:?}"
    );
    let mut unique = legends.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), legends.len(), "one legend per window: {legends:?}");
}

#[test]
fn regression_limit_line_filters_only_on_labels_the_signal_keeps() {
    let spec = r#"
version: 1
alerting: {runbook_base_url: "https://runbooks.example/#"}
signals:
  per_job: {expr: 'sum by (job) (rate(node_network_receive_bytes_total{instance=~"$instance"}[$__rate_interval]))', unit: Bps}
  per_host: {expr: 'sum by (instance) (rate(node_network_receive_bytes_total{instance=~"$instance"}[$__rate_interval]))', unit: Bps}
dashboards:
  - uid: d
    title: D
    variables: [{type: query, name: instance, query: 'label_values(up, instance)'}]
    panels: [{signal: per_job}, {signal: per_host}]
rules:
  - name: r
    alerts:
      - {name: JobTrafficDrop, regression: {signal: per_job, percent: 50, worse: lower}, severity: info}
      - {name: HostTrafficDrop, regression: {signal: per_host, percent: 50, worse: lower}, severity: info}
"#;
    let (dir, _) = render(spec);
    let job = panel_queries(dir.path(), "dashboards/d.json", "per_job");
    assert_eq!(job.len(), 2, "{job:?}");
    assert_eq!(
        job[1].0, "0.5 * (signal:per_job:value offset 1d)",
        "the recorded series has no instance label"
    );
    let host = panel_queries(dir.path(), "dashboards/d.json", "per_host");
    assert_eq!(host[1].0, "0.5 * (signal:per_host:value{instance=~\"$instance\"} offset 1d)");
}

#[test]
fn panel_links_carry_the_alert_labels_and_target_down_links_the_targets_panel() {
    promtool();
    let spec = r#"
version: 1
alerting: {runbook_base_url: "https://runbooks.example/#"}
signals:
  per_host: {expr: 'sum by (instance) (rate(node_network_receive_bytes_total{instance=~"$instance", job=~"$job"}[$__rate_interval]))', unit: Bps}
dashboards:
  - uid: d
    title: D
    variables: [{type: query, name: instance, query: 'label_values(up, instance)'}, {type: query, name: job, query: 'label_values(up, job)'}]
    panels: [{signal: per_host}]
  - uid: stack
    title: Stack
    panels: [{title: Targets down, type: stat, queries: [{expr: 'count(up == 0) or vector(0)', instant: true}]}]
rules:
  - name: r
    alerts:
      - {name: HostBusy, threshold: {signal: per_host, op: '>', value: 1000}, severity: warning}
      - {name: NodeDown, absent: {job: node}, severity: critical}
"#;
    let (dir, rules) = render(spec);
    let text = std::fs::read_to_string(dir.path().join("alerts/r.rules.yml")).unwrap();
    // `instance` survives the signal's aggregation, `job` does not: only the first is set.
    assert!(
        text.contains("panel_url: http://127.0.0.1:3000/d/d?viewPanel=1&var-instance={{ $labels.instance | urlquery }}\n"),
        "{text}"
    );
    assert!(text.contains("panel_url: http://127.0.0.1:3000/d/stack?viewPanel=1\n"), "{text}");
    // The generated test expands the link as Prometheus does.
    let tests = dir.path().join("alerts/tests");
    let t = std::fs::read_to_string(tests.join("r.test.yml")).unwrap();
    assert!(t.contains("viewPanel=1&var-instance=test-instance"), "{t}");
    let (ok, out) = run_promtool(&tests, &["test", "rules", "r.test.yml"]);
    assert!(ok, "{out}");
    assert_eq!(rules, ["r.rules.yml"]);
    // A label value with `&`, a space and `#` stays one query parameter:
    // Prometheus itself expands the link (promtool compares the annotation).
    let odd = t
        .replace("var-instance=test-instance", "var-instance=a+b%26c%23d")
        .replace("test-instance", "a b&c#d");
    assert_ne!(odd, t);
    std::fs::write(tests.join("odd.test.yml"), &odd).unwrap();
    let (ok, out) = run_promtool(&tests, &["test", "rules", "odd.test.yml"]);
    assert!(ok, "{out}\n{odd}");
    // The same file with the raw value in the link fails: the check is real.
    std::fs::write(tests.join("raw.test.yml"), odd.replace("a+b%26c%23d", "a b&c#d")).unwrap();
    assert!(!run_promtool(&tests, &["test", "rules", "raw.test.yml"]).0);
}

#[test]
fn health_score_renormalises_over_present_components() {
    let spec = r#"
version: 1
alerting: {runbook_base_url: "https://runbooks.example/#"}
metrics: {external: [db_cpu_busy_ratio, db_replication_lag_seconds]}
signals:
  cpu: {expr: 'max by (instance) (db_cpu_busy_ratio)', unit: percentunit}
  lag: {expr: 'max by (instance) (db_replication_lag_seconds)', unit: s}
dashboards:
  - uid: d
    title: D
    panels: [{title: DB health, type: stat, queries: [{expr: 'instance:db:score'}]}, {signal: cpu}, {signal: lag}]
rules:
  - name: db
    alerts:
      - name: DbUnhealthy
        health: {name: db, components: [{signal: cpu, bad: 1}, {signal: lag, bad: 10, weight: 3}]}
        severity: warning
"#;
    let (dir, rules) = render(spec);
    // A primary has no replication lag series: its score comes from CPU alone.
    raw_test(
        dir.path(),
        &rules,
        "health",
        r#"  - interval: 1m
    input_series:
      - {series: 'db_cpu_busy_ratio{instance="primary"}', values: '0.5x30'}
      - {series: 'db_cpu_busy_ratio{instance="replica"}', values: '0x30'}
      - {series: 'db_replication_lag_seconds{instance="replica"}', values: '10x30'}
      - {series: 'db_cpu_busy_ratio{instance="busy"}', values: '1x30'}
    promql_expr_test:
      - expr: instance:db:score
        eval_time: 20m
        exp_samples:
          - {labels: 'instance:db:score{instance="busy"}', value: 0}
          - {labels: 'instance:db:score{instance="primary"}', value: 50}
          - {labels: 'instance:db:score{instance="replica"}', value: 25}
    alert_rule_test:
      - eval_time: 20m
        alertname: DbUnhealthy
        exp_alerts:
          - exp_labels: {severity: warning, instance: busy}
            exp_annotations:
              summary: Health score on busy is 0/100
              description: 'The db health score (100 = all good, 0 = all bad) has been below 50 for 15m. It combines: cpu, lag. Open the linked dashboard and look for the component at or past its bad level.'
              runbook_url: 'https://runbooks.example/#DbUnhealthy'
              dashboard_url: http://127.0.0.1:3000/d/d
              panel_url: http://127.0.0.1:3000/d/d?viewPanel=1
          - exp_labels: {severity: warning, instance: replica}
            exp_annotations:
              summary: Health score on replica is 25/100
              description: 'The db health score (100 = all good, 0 = all bad) has been below 50 for 15m. It combines: cpu, lag. Open the linked dashboard and look for the component at or past its bad level.'
              runbook_url: 'https://runbooks.example/#DbUnhealthy'
              dashboard_url: http://127.0.0.1:3000/d/d
              panel_url: http://127.0.0.1:3000/d/d?viewPanel=1
"#,
    );
}
