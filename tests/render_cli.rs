//! `genmon render` / `check` / `schema` end to end through the real binary:
//! golden outputs, determinism, atomicity, drift detection, exit codes, and
//! the dashboard invariants no schema checks (ids, grid, nulls).

mod common;

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::Path;

use common::*;
use serde_json::Value;

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    // The lock file holds the PID of the last render; everything else is deterministic.
    files(dir, "")
        .into_iter()
        .filter(|p| !p.ends_with(".genmon-lock"))
        .map(|p| (p.strip_prefix(dir).unwrap().display().to_string(), fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn committed_outputs_match_the_default_spec() {
    // Golden test: the repository's dashboards/, alerts/, provisioning/ are what genmon.yaml renders to.
    let out = genmon(&root(), &["render", "--check"]);
    assert!(
        out.status.success(),
        "committed outputs are stale; run `genmon render`:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn render_is_deterministic() {
    for spec in specs() {
        let a = snapshot(render(&spec).path());
        let b = snapshot(render(&spec).path());
        assert!(a.len() > 4);
        assert_eq!(a, b, "{} renders differently twice", spec.display());
    }
}

#[test]
fn failed_render_leaves_previous_outputs_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("genmon.yaml");
    fs::copy(root().join("genmon.yaml"), &spec).unwrap();
    assert!(genmon(dir.path(), &["render"]).status.success());
    let before = snapshot(dir.path());
    // Break the spec: a unit Grafana does not know, and bad PromQL.
    let broken = fs::read_to_string(&spec).unwrap()
        + "dashboards:\n  - uid: broken\n    title: Broken\n    panels:\n      - {title: B, unit: percent_unit, queries: [{expr: 'node_load5{{'}]}\n";
    fs::write(&spec, &broken).unwrap();
    let out = genmon(dir.path(), &["render"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("panel/unit") && stderr.contains("promql/parse"),
        "all problems are reported together:\n{stderr}"
    );
    let mut after = snapshot(dir.path());
    after.insert("genmon.yaml".into(), before["genmon.yaml"].clone());
    assert_eq!(before, after, "a failed render changed files");
}

#[test]
fn check_flag_reports_drift_with_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(root().join("genmon.yaml"), dir.path().join("genmon.yaml")).unwrap();
    assert!(genmon(dir.path(), &["render"]).status.success());
    assert!(genmon(dir.path(), &["render", "--check"]).status.success());
    let rules = dir.path().join("alerts/host.rules.yml");
    let text = fs::read_to_string(&rules).unwrap().replace("for: 15m", "for: 1m");
    fs::write(&rules, text).unwrap();
    let out = genmon(dir.path(), &["render", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(
        diff.contains("--- a/alerts/host.rules.yml") && diff.contains("-    for: 1m") && diff.contains("+    for: 15m"),
        "no unified diff:\n{diff}"
    );
}

#[test]
fn removed_dashboards_and_groups_disappear_but_user_files_stay() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("genmon.yaml");
    fs::copy(root().join("genmon.yaml"), &spec).unwrap();
    assert!(genmon(dir.path(), &["render"]).status.success());
    fs::write(dir.path().join("dashboards/Hosts/mine.json"), "{}").unwrap();
    let text = fs::read_to_string(&spec).unwrap();
    // Drop the prometheus pack: its dashboard and rule groups.
    let new = text.replace(
        "packs: [node, prometheus, alertmanager, genmon]",
        "packs: [node, alertmanager, genmon]",
    );
    assert_ne!(new, text);
    fs::write(&spec, new).unwrap();
    let out = genmon(dir.path(), &["render"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!dir.path().join("dashboards/Stack/stack-health.json").exists());
    assert!(!dir.path().join("alerts/prometheus.rules.yml").exists());
    assert!(dir.path().join("dashboards/Hosts/host-overview.json").exists());
    assert!(
        dir.path().join("dashboards/Hosts/mine.json").exists(),
        "a file genmon did not write was removed"
    );
}

#[test]
fn hand_written_test_files_are_never_overwritten() {
    // The README tells users to keep their own tests in alerts/tests/.
    let dir = tempfile::tempdir().unwrap();
    let generated = files(&root().join("alerts/tests"), ".test.yml");
    let name = generated[0].file_name().unwrap();
    let mine = dir.path().join("alerts/tests").join(name);
    fs::create_dir_all(mine.parent().unwrap()).unwrap();
    fs::write(&mine, "# my own tests\ntests: []\n").unwrap();
    let out = genmon(&root(), &["render", "-f", "genmon.yaml", "-o", dir.path().to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("genmon did not write it"), "{err}");
    assert_eq!(fs::read_to_string(&mine).unwrap(), "# my own tests\ntests: []\n");
    assert!(!dir.path().join("dashboards").exists(), "a clash must stop the whole render");
}

#[test]
fn exit_codes() {
    let missing = genmon(&root(), &["check", "-f", "no/such/spec.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read spec no/such/spec.yaml"));
    assert_eq!(genmon(&root(), &["render", "--no-such-flag"]).status.code(), Some(2));
    assert_eq!(
        genmon(&root(), &["check", "-f", "tests/bad_specs/panel-unknown-unit.yaml"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(genmon(&root(), &["check"]).status.code(), Some(0));
    let help = genmon(&root(), &["render", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in ["--file", "--out", "--check", "--profile", "--strict", "--format", "--force"] {
        assert!(help.contains(flag), "render --help does not explain {flag}");
    }
}

#[test]
fn warnings_become_errors_with_strict() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("s.yaml");
    fs::write(&spec, "version: 1\nalerting: {runbook_base_url: 'https://r/'}\nrules:\n- name: g\n  alerts:\n  - {name: Orphan, expr: 'node_load1 > 10', severity: info, summary: s, description: d}\n").unwrap();
    let lax = genmon(dir.path(), &["check", "-f", "s.yaml"]);
    assert_eq!(lax.status.code(), Some(0), "{}", String::from_utf8_lossy(&lax.stderr));
    assert!(String::from_utf8_lossy(&lax.stderr).contains("warning[alerts/no-panel]"));
    assert_eq!(genmon(dir.path(), &["check", "--strict", "-f", "s.yaml"]).status.code(), Some(1));
}

#[test]
fn schema_is_committed_and_validates_the_default_spec() {
    let out = genmon(&root(), &["schema"]);
    assert!(out.status.success());
    let committed = fs::read_to_string(root().join("genmon.schema.json")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        committed,
        "genmon.schema.json is stale: genmon schema > genmon.schema.json"
    );
    let schema: Value = serde_json::from_str(&committed).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    for spec in specs() {
        let text = fs::read_to_string(&spec).unwrap();
        let doc: Value = serde_yaml_ng::from_str(&text).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{} fails its own schema: {errors:?}", spec.display());
    }
    // And the schema rejects what the loader rejects.
    let bad: Value = serde_yaml_ng::from_str("version: 1\ndashbaords: []\n").unwrap();
    assert!(!validator.is_valid(&bad));
    assert!(
        fs::read_to_string(root().join("genmon.yaml"))
            .unwrap()
            .starts_with("# yaml-language-server: $schema=./genmon.schema.json")
    );
}

fn walk_panels(panels: &[Value], out: &mut Vec<Value>) {
    for p in panels {
        out.push(p.clone());
        if let Some(children) = p["panels"].as_array() {
            walk_panels(children, out);
        }
    }
}

fn has_null(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Null => out.push(path.to_string()),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| has_null(x, &format!("{path}[{i}]"), out)),
        Value::Object(o) => o.iter().for_each(|(k, x)| has_null(x, &format!("{path}.{k}"), out)),
        _ => {}
    }
}

#[test]
fn dashboards_keep_grafana_invariants() {
    let unit_re = regex::Regex::new(r"^[A-Za-z0-9_-]{1,40}$").unwrap();
    for spec in specs() {
        let dir = render(&spec);
        for f in files(&dir.path().join("dashboards"), ".json") {
            let d: Value = serde_json::from_slice(&fs::read(&f).unwrap()).unwrap();
            let name = f.display().to_string();
            assert!(unit_re.is_match(d["uid"].as_str().unwrap()), "{name}: bad uid");
            assert!(
                d.get("id").is_none() && d.get("__inputs").is_none(),
                "{name}: id/__inputs break file provisioning"
            );
            assert!(d["refresh"].is_string() && d["schemaVersion"].is_u64());
            assert!(
                !fs::read_to_string(&f).unwrap().contains("${DS_"),
                "{name}: ${{DS_…}} breaks file provisioning"
            );
            let mut nulls = Vec::new();
            has_null(&d, "", &mut nulls);
            nulls.retain(|p| !(p.contains(".thresholds.steps[0].value")));
            assert!(nulls.is_empty(), "{name}: explicit nulls at {nulls:?}");
            let mut panels = Vec::new();
            walk_panels(d["panels"].as_array().unwrap(), &mut panels);
            let mut ids = HashSet::new();
            let mut cells: HashSet<(u64, u64)> = HashSet::new();
            for p in &panels {
                assert!(ids.insert(p["id"].as_u64().unwrap()), "{name}: duplicate panel id {}", p["id"]);
                let g = &p["gridPos"];
                let (x, y, w, h) = (
                    g["x"].as_u64().unwrap(),
                    g["y"].as_u64().unwrap(),
                    g["w"].as_u64().unwrap(),
                    g["h"].as_u64().unwrap(),
                );
                assert!(h > 0 && w > 0 && x + w <= 24, "{name}: panel {} off the grid", p["title"]);
                for cx in x..x + w {
                    for cy in y..y + h {
                        assert!(
                            cells.insert((cx, cy)),
                            "{name}: panel {} overlaps another at ({cx},{cy})",
                            p["title"]
                        );
                    }
                }
                if p["type"] != "row" {
                    assert!(
                        p["options"].is_object() && p["fieldConfig"]["defaults"].is_object() && p["fieldConfig"]["overrides"].is_array(),
                        "{name}: panel {} lacks options/fieldConfig",
                        p["title"]
                    );
                }
                let refs: Vec<&str> = p["targets"]
                    .as_array()
                    .map(|t| t.iter().map(|t| t["refId"].as_str().unwrap()).collect())
                    .unwrap_or_default();
                assert_eq!(refs.len(), refs.iter().collect::<HashSet<_>>().len(), "{name}: duplicate refIds");
                for t in p["targets"].as_array().into_iter().flatten() {
                    let expr = t["expr"].as_str().unwrap();
                    assert!(
                        !expr.contains("rate(") || !expr.contains("[1m]") || expr.contains("$__rate_interval"),
                        "{name}: fixed rate window in a panel"
                    );
                }
            }
            for v in d["templating"]["list"].as_array().unwrap() {
                assert!(v["current"].is_object(), "{name}: variable {} lacks `current`", v["name"]);
                assert!(v["options"].is_array(), "{name}: variable {} lacks `options`", v["name"]);
            }
        }
    }
}

#[test]
fn provisioning_pins_the_datasource_and_time_interval() {
    let dir = render(&root().join("tests/specs/full.yaml"));
    let ds = fs::read_to_string(dir.path().join("provisioning/grafana/datasources/genmon.yml")).unwrap();
    assert!(ds.contains("uid: prom-main") && ds.contains("timeInterval: 10s"), "{ds}");
    let dash = fs::read_to_string(dir.path().join("dashboards/Applications/app-main.json")).unwrap();
    assert!(
        dash.contains("\"uid\": \"${ds2}\"") && !dash.contains("${datasource}"),
        "panels must query through the spec's datasource variable"
    );
}

#[test]
fn bench_spec_is_clean_so_the_benchmark_measures_a_real_render() {
    let out = genmon(&root(), &["bench-spec", "--dashboards", "3", "--panels", "4", "--rules", "25"]);
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bench.yaml"), &out.stdout).unwrap();
    let check = genmon(dir.path(), &["check", "--strict", "-f", "bench.yaml"]);
    assert!(
        check.status.success(),
        "bench spec has problems:\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// Inode and modification time of every output file (what a re-render must not touch).
fn stamps(dir: &Path) -> BTreeMap<String, (u64, std::time::SystemTime)> {
    use std::os::unix::fs::MetadataExt;
    files(dir, "")
        .into_iter()
        .filter(|p| !p.ends_with(".genmon-lock"))
        .map(|p| {
            let m = fs::metadata(&p).unwrap();
            (p.display().to_string(), (m.ino(), m.modified().unwrap()))
        })
        .collect()
}

#[test]
fn render_is_the_same_on_one_core_as_on_all_and_a_rerender_writes_nothing() {
    // Lowering, rendering and the writer run on all cores: a spec big enough
    // to be split must give the same bytes when the process may use one core.
    let out = genmon(&root(), &["bench-spec", "--dashboards", "40", "--panels", "3", "--rules", "400"]);
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("bench.yaml");
    fs::write(&spec, &out.stdout).unwrap();
    let many = render(&spec);
    let one = tempfile::tempdir().unwrap();
    let pinned = std::process::Command::new("taskset")
        .args(["-c", "0", env!("CARGO_BIN_EXE_genmon"), "render", "-f"])
        .arg(&spec)
        .arg("-o")
        .arg(one.path())
        .output()
        .expect("taskset (util-linux) runs genmon on one core: apt-get install -y util-linux");
    assert!(pinned.status.success(), "{}", String::from_utf8_lossy(&pinned.stderr));
    let (a, b) = (snapshot(many.path()), snapshot(one.path()));
    assert!(a.len() > 100, "{} files", a.len());
    assert_eq!(a, b, "one core and all cores render different bytes");

    let before = stamps(many.path());
    let again = genmon(
        &root(),
        &["render", "-f", spec.to_str().unwrap(), "-o", many.path().to_str().unwrap()],
    );
    let said = String::from_utf8_lossy(&again.stdout).to_string() + &String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success() && said.contains("wrote 0 files"), "{said}");
    assert_eq!(before, stamps(many.path()), "a re-render of unchanged outputs touched files");
}
