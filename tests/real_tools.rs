//! Output gates with the real tools: promtool, amtool and tsc against
//! Grafana's published types. A missing tool fails the test with the command
//! that installs it.

mod common;

use std::process::Command;

use common::*;

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

#[test]
fn promtool_accepts_rules_and_config() {
    let promtool = tool("promtool", "prometheus");
    for spec in specs() {
        let dir = render(&spec);
        let rules = files(&dir.path().join("alerts"), ".rules.yml");
        assert!(!rules.is_empty(), "{} rendered no rule files", spec.display());
        run_ok(Command::new(&promtool).arg("check").arg("rules").args(&rules));
        let text = run_ok(
            Command::new(&promtool)
                .args(["check", "config"])
                .arg(dir.path().join("provisioning/prometheus/prometheus.yml")),
        );
        assert!(
            text.contains(&format!("{} rule files found", rules.len())),
            "prometheus.yml does not load every rule file:\n{text}"
        );
    }
}

#[test]
fn amtool_accepts_config_and_routes_alerts_as_specified() {
    let amtool = tool("amtool", "prometheus-alertmanager");
    for spec in specs() {
        let dir = render(&spec);
        let cfg = dir.path().join("provisioning/alertmanager/alertmanager.yml");
        run_ok(Command::new(&amtool).arg("check-config").arg(&cfg));
    }
    // Routing of the kitchen-sink spec: critical → pager (continue) ; db team → db-team, DbDown → pager.
    let dir = render(&root().join("tests/specs/full.yaml"));
    let cfg = format!(
        "--config.file={}",
        dir.path().join("provisioning/alertmanager/alertmanager.yml").display()
    );
    let cases: [(&[&str], &str); 4] = [
        (&["severity=critical"], "pager"),
        (&["severity=warning", "team=db"], "db-team"),
        (&["severity=warning", "team=db", "alertname=DbDown"], "pager"),
        (&["severity=info"], "ops"),
    ];
    for (labels, want) in cases {
        let out = run_ok(Command::new(&amtool).args(["config", "routes", "test", &cfg]).args(labels));
        let got = out.lines().find(|l| !l.starts_with("Warning")).unwrap_or("").trim();
        assert_eq!(got.split(',').next(), Some(want), "labels {labels:?} routed to `{got}`");
    }
}

#[test]
fn dashboards_type_check_against_grafana_schema() {
    let check = root().join("tests/grafana-types/check.mjs");
    assert!(
        root().join("tests/grafana-types/node_modules/@grafana/schema").exists(),
        "Grafana's TypeScript types are not installed: run `npm ci --prefix tests/grafana-types` (scripts/test does this)"
    );
    let node = tool("node", "nodejs");
    for spec in specs() {
        let dir = render(&spec);
        let n = files(&dir.path().join("dashboards"), ".json").len();
        assert!(n > 0);
        let text = run_ok(Command::new(&node).arg(&check).arg(dir.path().join("dashboards")));
        assert!(
            text.contains(&format!("{n} dashboards")),
            "not every dashboard was checked:\n{text}"
        );
    }
}

#[test]
fn grafana_type_check_rejects_a_broken_dashboard() {
    // The gate itself must be able to fail: break one generated dashboard.
    let node = tool("node", "nodejs");
    let dir = render(&root().join("genmon.yaml"));
    let f = files(&dir.path().join("dashboards"), ".json").remove(0);
    let text = std::fs::read_to_string(&f)
        .unwrap()
        .replacen("\"showLegend\": true", "\"showLegend\": \"yes\"", 1);
    std::fs::write(&f, text).unwrap();
    let out = Command::new(&node)
        .arg(root().join("tests/grafana-types/check.mjs"))
        .arg(dir.path().join("dashboards"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "tsc accepted showLegend: \"yes\"");
}
