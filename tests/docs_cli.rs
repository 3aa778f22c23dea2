//! `genmon docs` as a user runs it: escaping of hostile spec text, the JSON
//! report and its stable keys, `--strict` exit codes, test results from
//! `genmon test` (current, stale, malformed), the output directory's safety,
//! and the routing it shows checked against the real `amtool`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{genmon, root, tool};
use serde_json::Value;

/// A small spec whose every policy holds: a runbook, generated tests and a
/// receiver with an integration for the critical alert, an SLO, used signals.
const GOOD: &str = r#"version: 1
alerting:
  runbook_base_url: https://runbooks.example.com/
alertmanager:
  route:
    receiver: pager
  receivers:
    - name: pager
      webhook: [{url: 'http://127.0.0.1:5001/hook'}]
signals:
  load:
    title: Load
    expr: node_load1{instance=~"$instance"}
    unit: none
    thresholds: {critical: 4}
dashboards:
  - uid: host
    title: Host
    variables:
      - {type: query, name: instance, query: 'label_values(node_load1, instance)'}
    panels:
      - {signal: load}
rules:
  - name: host
    alerts:
      - name: HostLoadHigh
        threshold: {signal: load, op: '>', value: critical}
        severity: critical
      - name: ProbeAvailability
        slo:
          objective: 99.9
          bad: 'genmon_probe_requests_total{result="failure"}'
          total: genmon_probe_requests_total
"#;

fn spec_dir(text: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("genmon.yaml"), text).unwrap();
    d
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = genmon(dir, args);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn json(dir: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["docs", "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = run(dir, &args);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}\n{err}"));
    (code, v, err)
}

/// Each element of the array `v` as its `fields` joined by spaces (strings unquoted).
fn rows(v: &Value, fields: &[&str]) -> Vec<String> {
    let text = |x: &Value| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string());
    v.as_array()
        .expect("array")
        .iter()
        .map(|r| fields.iter().map(|f| text(&r[*f])).collect::<Vec<_>>().join(" "))
        .collect()
}

/// The alert named `name` of a catalog.
fn alert<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no alert {name}"))
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().expect("object").keys().map(String::as_str).collect()
}

#[test]
fn hostile_spec_text_is_escaped_in_every_page() {
    let hostile = GOOD
        .replace(
            "        severity: critical\n",
            "        severity: critical\n        summary: '<script>alert(1)</script> \"quoted\" & ''single'''\n        description: '\"><img src=x onerror=alert(2)>'\n        labels: {team: '</td><script>alert(3)</script>'}\n",
        )
        .replace("title: Load", "title: '<b onmouseover=alert(4)>Load</b>'")
        .replace("    title: Host\n", "    title: '<iframe src=x>Host</iframe>'\n");
    let d = spec_dir(&hostile);
    let (code, _, err) = run(d.path(), &["docs", "-o", "site"]);
    assert_eq!(code, 0, "{err}");
    let mut pages = 0;
    for e in std::fs::read_dir(d.path().join("site")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "html") {
            continue;
        }
        pages += 1;
        let html = std::fs::read_to_string(&p).unwrap();
        for raw in ["<script>alert", "<img src=x", "<b onmouseover", "<iframe", "\"quoted\""] {
            assert!(!html.contains(raw), "{} contains unescaped `{raw}`", p.display());
        }
        // Each script the page has is genmon's own (the alert table's).
        assert!(html.matches("<script").count() <= 1, "{}", p.display());
    }
    assert!(pages >= 6);
    let page = std::fs::read_to_string(d.path().join("site/alert-HostLoadHigh.html")).unwrap();
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#34;quoted&#34; &#38; &#39;single&#39;"),
        "{page}"
    );
    assert!(page.contains("&#34;&#62;&#60;img src=x onerror=alert(2)&#62;"), "{page}");
    assert!(page.contains("&#60;/td&#62;&#60;script&#62;alert(3)&#60;/script&#62;"), "{page}");
    let signals = std::fs::read_to_string(d.path().join("site/signals.html")).unwrap();
    assert!(signals.contains("&#60;b onmouseover=alert(4)&#62;Load&#60;/b&#62;"), "{signals}");
    let dashboards = std::fs::read_to_string(d.path().join("site/dashboards.html")).unwrap();
    assert!(dashboards.contains("&#60;iframe src=x&#62;Host&#60;/iframe&#62;"), "{dashboards}");
}

#[test]
fn json_report_has_stable_keys_and_strict_fails_on_violations() {
    let d = spec_dir(GOOD);
    let (code, v, err) = json(d.path(), &["--strict"]);
    assert_eq!(code, 0, "every policy holds, --strict exits 0: {err}");
    assert_eq!(v["schema"], "genmon-docs/1");
    assert_eq!(
        keys(&v),
        [
            "alerts",
            "dashboards",
            "policy",
            "policy_summary",
            "recording_rules",
            "schema",
            "signals",
            "slos",
            "spec",
            "summary",
            "test_run"
        ]
    );
    assert_eq!(v["summary"]["policy_fails"], 0);
    let checks: Vec<&str> = v["policy_summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(
        checks,
        [
            "critical-alert/runbook",
            "critical-alert/test",
            "critical-alert/receiver",
            "slo/burn-tiers",
            "signal/used"
        ]
    );
    // The SLO: budget, and the workbook's tiers at 30 days.
    let slo = &v["slos"][0];
    assert_eq!(
        (slo["objective"].as_f64(), slo["period"].as_str(), slo["budget"].as_f64()),
        (Some(99.9), Some("30d"), Some(0.001))
    );
    assert_eq!(
        rows(&slo["tiers"], &["long_window", "short_window", "factor", "action"]),
        ["1h 5m 14.4 page", "6h 30m 6.0 page", "1d 2h 3.0 ticket", "3d 6h 1.0 ticket"]
    );
    assert_eq!(
        rows(&slo["alerts"], &["name", "role", "severity"]),
        [
            "ProbeAvailabilityFastBurn page critical",
            "ProbeAvailabilitySlowBurn ticket warning",
            "ProbeAvailabilityInputAbsent input warning"
        ]
    );
    // The alert: threshold in its unit, the recording chain, the route, the generated tests.
    let a = alert(&v, "HostLoadHigh");
    assert_eq!(a["threshold"], "> 4");
    assert_eq!(a["chain"][0]["record"], "signal:load:value");
    assert_eq!(a["routes"][0]["receiver"], "pager");
    assert_eq!(a["routes"][0]["integrations"][0], "webhook");
    assert!(
        a["tests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["source"] == "generated" && t["result"] == "not run")
    );
    assert!(!a["tests"].as_array().unwrap().is_empty());

    // The same stack without the integration (a missing runbook is already a
    // spec error, `alerts/runbook`) and with an unused signal: three violations.
    let bad = GOOD
        .replace("      webhook: [{url: 'http://127.0.0.1:5001/hook'}]\n", "")
        .replace("signals:\n", "signals:\n  spare: {expr: node_load5}\n");
    let d = spec_dir(&bad);
    let (code, v, err) = json(d.path(), &[]);
    assert_eq!(code, 0, "without --strict a violation is reported, not fatal: {err}");
    let fails: Vec<String> = rows(&v["policy"], &["check", "subject", "holds"])
        .into_iter()
        .filter(|r| r.ends_with(" false"))
        .collect();
    assert_eq!(
        fails,
        [
            "critical-alert/receiver ProbeAvailabilityFastBurn false",
            "critical-alert/receiver HostLoadHigh false",
            "signal/used spare false"
        ]
    );
    assert!(err.contains("policy: signal/used spare: no panel shows it"), "{err}");
    let (code, _, _) = json(d.path(), &["--strict"]);
    assert_eq!(code, 1, "--strict fails on violations");
    let (code, _, err) = run(d.path(), &["docs", "-o", "site", "--strict"]);
    assert_eq!(code, 1, "{err}");
    assert!(d.path().join("site/index.html").is_file(), "the site is still written");
}

#[test]
fn test_results_from_genmon_test_show_and_go_stale_with_the_spec() {
    tool("promtool", "prometheus");
    let d = spec_dir(GOOD);
    let (code, _, err) = run(d.path(), &["test"]);
    assert_eq!(code, 0, "{err}");
    let results: Value = serde_json::from_str(&std::fs::read_to_string(d.path().join(".genmon/test-results.json")).unwrap()).unwrap();
    assert_eq!(results["format"], "genmon-test-results/1");
    assert!(
        results["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["alert"] == "HostLoadHigh" && r["result"] == "pass")
    );

    let (_, v, _) = json(d.path(), &[]);
    assert_eq!(v["test_run"]["status"], "current");
    let a = alert(&v, "HostLoadHigh");
    assert_eq!(a["test_status"], "pass");

    // A failing result for this very spec fails the alert and its policy.
    let failed = std::fs::read_to_string(d.path().join(".genmon/test-results.json"))
        .unwrap()
        .replace("\"pass\"", "\"fail\"");
    std::fs::write(d.path().join("failed.json"), failed).unwrap();
    let (code, v, _) = json(d.path(), &["--results", "failed.json", "--strict"]);
    assert_eq!(code, 1);
    let a = alert(&v, "HostLoadHigh");
    assert_eq!(a["test_status"], "fail");
    assert!(a["violations"].as_array().unwrap().iter().any(|x| x == "critical-alert/test"));

    // Another version of the spec: the results are stale, shown as not run.
    std::fs::write(d.path().join("genmon.yaml"), format!("{GOOD}# edited\n")).unwrap();
    let (_, v, err) = json(d.path(), &[]);
    assert_eq!(v["test_run"]["status"], "stale");
    assert!(err.contains("from another version"), "{err}");
    let a = alert(&v, "HostLoadHigh");
    assert_eq!(a["test_status"], "not run");

    // Results that cannot be written are a warning; the exit code is the tests'.
    std::fs::write(d.path().join("plain-file"), "").unwrap();
    let (code, _, err) = run(d.path(), &["test", "--results", "plain-file/results.json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning: cannot write test results plain-file/results.json"), "{err}");

    // A malformed file is an error, not silently "not run".
    std::fs::write(d.path().join("bad.json"), "{\"format\": 1}").unwrap();
    let (code, _, err) = run(d.path(), &["docs", "--format", "json", "--results", "bad.json"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a `genmon test` results file"), "{err}");
}

#[test]
fn site_directory_is_replaced_whole_and_a_foreign_one_is_left_alone() {
    let d = spec_dir(GOOD);
    std::fs::create_dir(d.path().join("mine")).unwrap();
    std::fs::write(d.path().join("mine/notes.txt"), "keep").unwrap();
    let (code, _, err) = run(d.path(), &["docs", "-o", "mine"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not written by `genmon docs`"), "{err}");
    assert_eq!(std::fs::read_to_string(d.path().join("mine/notes.txt")).unwrap(), "keep");

    let (code, _, err) = run(d.path(), &["docs", "-o", "site"]);
    assert_eq!(code, 0, "{err}");
    assert!(d.path().join("site/alert-HostLoadHigh.html").is_file());
    // The alert goes: so does its page.
    let fewer = GOOD.replace(
        "      - name: HostLoadHigh\n        threshold: {signal: load, op: '>', value: critical}\n        severity: critical\n",
        "",
    );
    std::fs::write(d.path().join("genmon.yaml"), fewer).unwrap();
    let (code, _, err) = run(d.path(), &["docs", "-o", "site"]);
    assert_eq!(code, 0, "{err}");
    assert!(!d.path().join("site/alert-HostLoadHigh.html").exists());
    assert!(d.path().join("site/index.html").is_file());
    let leftovers: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".genmon-docs"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A spec error: exit 1 with the located diagnostic, the site untouched.
    std::fs::write(d.path().join("genmon.yaml"), "version: 1\nsignals: {x: {expr: 'rate(('}}\n").unwrap();
    let (code, _, err) = run(d.path(), &["docs", "-o", "site"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("genmon.yaml:2:"), "{err}");
    assert!(d.path().join("site/index.html").is_file());
}

/// Every key the JSON report has is documented in docs/catalog.md.
#[test]
fn every_json_key_is_documented() {
    fn walk<'a>(v: &'a Value, out: &mut std::collections::BTreeSet<&'a str>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    out.insert(k);
                    walk(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let d = spec_dir(GOOD);
    let (_, v, _) = json(d.path(), &[]);
    let mut all = std::collections::BTreeSet::new();
    walk(&v, &mut all);
    let doc = std::fs::read_to_string(root().join("docs/catalog.md")).unwrap();
    let json_part = doc.split("## JSON").nth(1).expect("a JSON section in docs/catalog.md");
    let word = |k: &str| regex::Regex::new(&format!(r"\b{}\b", regex::escape(k))).unwrap();
    let missing: Vec<&&str> = all.iter().filter(|k| !word(k).is_match(json_part)).collect();
    assert!(all.len() > 60, "{all:?}");
    assert!(
        missing.is_empty(),
        "keys of `genmon docs --format json` missing from docs/catalog.md: {missing:?}"
    );
}

/// A case the rule group's `tests:` writes and one in the user's own file
/// under `alerts/tests/` show beside the generated ones, each with its source
/// and the result the real promtool gave it.
#[test]
fn tests_of_every_source_show_with_their_results() {
    tool("promtool", "prometheus");
    let case = "  - name: quiet at low load\n    interval: 1m\n    input_series:\n      - {series: 'signal:load:value{instance=\"a\"}', values: '1x20'}\n    alert_rule_test:\n      - {eval_time: 15m, alertname: HostLoadHigh}\n";
    // GOOD ends inside the `host` group: its `tests:` go last.
    let spec = format!(
        "{GOOD}    tests:\n{}",
        case.replace("  - ", "      - ").replace("\n    ", "\n        ")
    );
    let d = spec_dir(&spec);
    std::fs::create_dir_all(d.path().join("alerts/tests")).unwrap();
    std::fs::write(
        d.path().join("alerts/tests/mine.test.yml"),
        format!("rule_files: [../host.rules.yml]\nevaluation_interval: 1m\ntests:\n{case}"),
    )
    .unwrap();
    let (code, _, err) = run(d.path(), &["test"]);
    assert_eq!(code, 0, "{err}");
    let (_, v, err) = json(d.path(), &[]);
    let a = alert(&v, "HostLoadHigh");
    let got = rows(&a["tests"], &["source", "file", "result"]);
    for (source, file) in [("generated", "host.test.yml"), ("spec", "host.test.yml"), ("file", "mine.test.yml")] {
        assert!(
            got.contains(&format!("{source} {file} pass")),
            "no passing {source} test in {file}: {got:?}\n{err}"
        );
    }
}

/// The receivers the catalog shows are Alertmanager's own answer: for label
/// sets that decide every branch, `amtool config routes test` on the rendered
/// config names the same receivers in the same order.
#[test]
fn routing_agrees_with_amtool() {
    let amtool = tool("amtool", "prometheus-alertmanager");
    let spec = root().join("tests/specs/full.yaml");
    let out = common::render(&spec);
    let config = out.path().join("provisioning/alertmanager/alertmanager.yml");
    let src = genmon::spec::Source::read(&spec).unwrap();
    let model = genmon::pipeline::compile(&src, genmon::model::Profile::Compose, false)
        .expect("full.yaml compiles")
        .model;
    let sets: [&[(&str, &str)]; 6] = [
        &[("alertname", "DbDown"), ("severity", "critical"), ("team", "db")],
        &[("alertname", "AppSlow"), ("severity", "critical"), ("team", "app")],
        &[("alertname", "AppSlow"), ("severity", "warning"), ("team", "storage")],
        &[("alertname", "DbDown"), ("severity", "warning"), ("team", "db")],
        &[("alertname", "X"), ("severity", "info"), ("team", "db")],
        &[("alertname", "X"), ("severity", "warning"), ("team", "web")],
    ];
    for set in sets {
        let labels: BTreeMap<String, String> = set.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let ours = genmon::docs::routing::route(&model.alertmanager, &labels);
        assert!(ours.iter().all(|r| r.only_if.is_empty()), "{set:?}: {ours:?}");
        let ours: Vec<&str> = ours.iter().map(|r| r.receiver.as_str()).collect();
        let o = Command::new(&amtool)
            .args(["config", "routes", "test", "--config.file"])
            .arg(&config)
            .args(set.iter().map(|(k, v)| format!("{k}={v}")))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let theirs = String::from_utf8_lossy(&o.stdout).trim().to_string();
        assert_eq!(ours.join(","), theirs, "{set:?}");
    }
}
