//! Reuse: `include:`, built-in packs, `overrides:` and `genmon explain`,
//! run through the real `genmon` binary and the real promtool.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `genmon check --format short` on `genmon.yaml` in `dir`: exit code and stderr.
fn check(dir: &Path) -> (Option<i32>, String) {
    let o = genmon(dir, &["check", "--format", "short", "-f", "genmon.yaml"]);
    (o.status.code(), stderr(&o))
}

#[test]
fn included_files_merge_in_sorted_order_and_their_errors_point_into_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "genmon.yaml",
        "version: 1\ninclude: ['conf.d/*.yaml']\nsignals:\n  up_all: {expr: sum(up)}\n",
    );
    write(d, "conf.d/b.yaml", "version: 1\nsignals:\n  b_sig: {expr: sum(up)}\n");
    write(
        d,
        "conf.d/a.yaml",
        "version: 1\n# a comment\nsignals:\n  a_sig:\n    expr: sum(up\n",
    );
    let (code, err) = check(d);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("conf.d/a.yaml:5:"), "the error points into the included file:\n{err}");
    assert!(err.contains("error[promql/parse]"), "{err}");
    // Human format shows the included file's line.
    let o = genmon(d, &["check", "-f", "genmon.yaml"]);
    let human = stderr(&o);
    assert!(human.contains("--> conf.d/a.yaml:5:") && human.contains("expr: sum(up"), "{human}");

    write(d, "conf.d/a.yaml", "version: 1\nsignals:\n  a_sig: {expr: sum(up)}\n");
    let dash = "dashboards:\n  - uid: all\n    title: All\n    panels: [{signal: up_all}, {signal: a_sig}, {signal: b_sig}]\n";
    write(d, "conf.d/c.yaml", &format!("version: 1\n{dash}"));
    let out = tempfile::tempdir().unwrap();
    let o = genmon(d, &["render", "-f", "genmon.yaml", "-o", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json = fs::read_to_string(out.path().join("dashboards/all.json")).unwrap();
    let (a, b) = (json.find("sum(up)").unwrap(), json.rfind("sum(up)").unwrap());
    assert!(a < b, "three panels rendered");
    assert_eq!(json.matches("\"expr\": \"sum(up)\"").count(), 3, "{json}");
}

#[test]
fn a_name_defined_twice_names_both_files_and_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "genmon.yaml",
        "version: 1\ninclude: [more.yaml]\nsignals:\n  cpu: {expr: sum(up)}\nrules:\n  - name: g\n    alerts:\n      - {name: Down, absent: {job: x}, severity: critical, summary: s, description: d, runbook_url: 'https://x/'}\n",
    );
    write(
        d,
        "more.yaml",
        "version: 1\nsignals:\n  cpu: {expr: sum(up)}\nrules:\n  - name: g\n    alerts: []\n  - name: h\n    alerts:\n      - {name: Down, absent: {job: y}, severity: critical, summary: s, description: d, runbook_url: 'https://x/'}\n",
    );
    let (code, err) = check(d);
    assert_eq!(code, Some(1), "{err}");
    for want in [
        "more.yaml:3:3: error[spec/duplicate]: signal `cpu` is defined twice: at genmon.yaml:4:3 and at more.yaml:3:3",
        "more.yaml:5:11: error[spec/duplicate]: rule group `g` is defined twice: at genmon.yaml:6:11 and at more.yaml:5:11",
        "error[spec/duplicate]: alert `Down` is defined twice: at genmon.yaml:8:16 and at more.yaml:9:16",
    ] {
        assert!(err.contains(want), "want `{want}` in:\n{err}");
    }
}

#[test]
fn include_cycles_escapes_absolute_paths_and_misses_are_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("spec");
    fs::create_dir_all(&d).unwrap();
    write(dir.path(), "outside.yaml", "version: 1\n");
    write(&d, "a.yaml", "version: 1\ninclude: [b.yaml]\n");
    write(&d, "b.yaml", "version: 1\ninclude: [a.yaml]\n");
    let cases = [
        (
            "include: [a.yaml]",
            "b.yaml:2:11: error[spec/include]: include cycle: a.yaml → b.yaml → a.yaml",
        ),
        (
            "include: [../outside.yaml]",
            "genmon.yaml:2:11: error[spec/include]: `../outside.yaml` leads outside the spec's directory",
        ),
        (
            "include: [/etc/hostname]",
            "genmon.yaml:2:11: error[spec/include]: `/etc/hostname` is an absolute path",
        ),
        (
            "include: ['nope/*.yaml']",
            "genmon.yaml:2:11: error[spec/include]: `nope/*.yaml` matches no file",
        ),
        ("include: [missing.yaml]", "genmon.yaml:2:11: error[spec/include]: cannot include"),
    ];
    for (line, want) in cases {
        write(&d, "genmon.yaml", &format!("version: 1\n{line}\n"));
        let (code, err) = check(&d);
        assert_eq!(code, Some(1), "{line}: {err}");
        assert!(err.contains(want), "{line}: want `{want}` in:\n{err}");
        assert!(err.contains("help: "), "{line}: no hint:\n{err}");
    }
}

#[test]
fn include_depth_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "genmon.yaml", "version: 1\ninclude: [i0.yaml]\n");
    for i in 0..40 {
        write(d, &format!("i{i}.yaml"), &format!("version: 1\ninclude: [i{}.yaml]\n", i + 1));
    }
    write(d, "i40.yaml", "version: 1\n");
    let (code, err) = check(d);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("error[spec/include]: includes nest deeper than 16 levels"), "{err}");
}

#[test]
fn an_included_file_may_not_set_the_main_specs_sections() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "genmon.yaml", "version: 1\ninclude: [x.yaml]\n");
    write(d, "x.yaml", "version: 1\nprometheus:\n  scrape_interval: 1m\n");
    let (code, err) = check(d);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("x.yaml:2:1: error[spec/pack]: `prometheus` can only be set in the main spec"),
        "{err}"
    );
}

#[test]
fn unknown_packs_settings_and_levels_are_located_with_did_you_mean() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases = [
        (
            "packs: [nod]",
            "genmon.yaml:2:9: error[spec/pack]: unknown pack `nod` (help: did you mean `node`?)",
        ),
        (
            "packs: [{name: node, thresholds: {cpu_bussy: {critical: 0.9}}}]",
            "error[spec/pack]: pack `node` has no signal `cpu_bussy` with thresholds (help: did you mean `cpu_busy`?)",
        ),
        (
            "packs: [{name: node, thresholds: {cpu_busy: {criticl: 0.9}}}]",
            "error[spec/pack]: signal `cpu_busy` of pack `node` has no threshold level `criticl` (help: did you mean `critical`?)",
        ),
        (
            "packs: [{name: node, selector: 'job=node'}]",
            "error[spec/pack]: `job=node` is not a list of label matchers",
        ),
        ("packs: [node, node]", "error[spec/pack]: pack `node` is used twice"),
        (
            "packs: [{name: node, slector: x}]",
            "genmon.yaml:2:22: error[spec/type]: unknown key `slector` (help: did you mean `selector`?)",
        ),
    ];
    for (line, want) in cases {
        write(d, "genmon.yaml", &format!("version: 1\n{line}\n"));
        let (code, err) = check(d);
        assert_eq!(code, Some(1), "{line}: {err}");
        assert!(err.contains(want), "{line}: want `{want}` in:\n{err}");
    }
}

#[test]
fn overrides_that_match_nothing_are_located_with_did_you_mean() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases = [
        (
            "overrides:\n  alerts:\n    HostCpuBusi: {for: 1h}",
            "genmon.yaml:5:5: error[spec/override]: no alert is named `HostCpuBusi` (help: did you mean `HostCpuBusy`?)",
        ),
        (
            "overrides:\n  signals:\n    cpu_bussy: {thresholds: {critical: 0.5}}",
            "genmon.yaml:5:5: error[spec/override]: no signal is named `cpu_bussy` (help: did you mean `cpu_busy`?)",
        ),
        (
            "overrides:\n  dashboards:\n    host-overveiw: {disabled: true}",
            "genmon.yaml:5:5: error[spec/override]: no dashboard has uid `host-overveiw` (help: did you mean `host-overview`?)",
        ),
        (
            "overrides:\n  alerts:\n    HostDiskFullIn24h: {threshold: 0.5}",
            "error[spec/override]: alert `HostDiskFullIn24h` is not a threshold alert",
        ),
    ];
    for (block, want) in cases {
        write(d, "genmon.yaml", &format!("version: 1\npacks: [node]\n{block}\n"));
        let (code, err) = check(d);
        assert_eq!(code, Some(1), "{block}: {err}");
        assert!(err.contains(want), "{block}: want `{want}` in:\n{err}");
    }
}

fn promtool_ok(args: &[&str], files: &[std::path::PathBuf]) -> String {
    let o = Command::new(tool("promtool", "prometheus"))
        .args(args)
        .args(files)
        .output()
        .unwrap();
    let t = format!("{}{}", stdout(&o), stderr(&o));
    assert!(o.status.success(), "promtool {args:?} failed:\n{t}");
    t
}

#[test]
fn every_pack_alone_passes_promtool_lint_and_its_generated_tests() {
    for pack in ["node", "prometheus", "alertmanager", "blackbox", "genmon"] {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "genmon.yaml", &format!("version: 1\npacks: [{pack}]\n"));
        let out = dir.path().join("out");
        let o = genmon(
            dir.path(),
            &["render", "--strict", "-f", "genmon.yaml", "-o", out.to_str().unwrap()],
        );
        assert!(o.status.success(), "{pack}: {}", stderr(&o));
        let rules = files(&out.join("alerts"), ".rules.yml");
        assert!(!rules.is_empty(), "{pack}: no rules");
        promtool_ok(&["check", "rules", "--lint-fatal"], &rules);
        let tests = files(&out.join("alerts/tests"), ".test.yml");
        assert!(!tests.is_empty(), "{pack}: no generated tests");
        promtool_ok(&["test", "rules"], &tests);
        assert!(!files(&out.join("dashboards"), ".json").is_empty(), "{pack}: no dashboard");
    }
}

/// The node pack with one alert's threshold, one signal's level and one
/// disabled alert overridden, rendered; promtool checks the rules and runs
/// the generated tests.
fn overridden() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "genmon.yaml",
        "version: 1\npacks: [node]\noverrides:\n  alerts:\n    HostCpuBusy: {threshold: 0.9, for: 20m, labels: {team: infra}, runbook_url: 'https://wiki.example.com/cpu'}\n    HostCpuUnusual: {disabled: true}\n  signals:\n    filesystem_used: {thresholds: {critical: 0.9}}\n",
    );
    let out = dir.path().join("out");
    let o = genmon(dir.path(), &["render", "-f", "genmon.yaml", "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    promtool_ok(&["check", "rules", "--lint-fatal"], &files(&out.join("alerts"), ".rules.yml"));
    promtool_ok(&["test", "rules"], &files(&out.join("alerts/tests"), ".test.yml"));
    dir
}

#[test]
fn overrides_reach_rules_dashboards_links_and_generated_tests() {
    let dir = overridden();
    let out = dir.path().join("out");
    let rules = fs::read_to_string(out.join("alerts/host.rules.yml")).unwrap();
    let tests = fs::read_to_string(out.join("alerts/tests/host.test.yml")).unwrap();
    let dash = fs::read_to_string(out.join("dashboards/Hosts/host-overview.json")).unwrap();
    // The alert's threshold, `for`, labels and runbook.
    let cpu = &rules[rules.find("alert: HostCpuBusy").unwrap()..];
    let cpu = &cpu[..cpu[1..].find("- alert:").unwrap_or(cpu.len())];
    assert!(cpu.contains("expr: signal:cpu_busy:value > 0.9\n"), "{cpu}");
    assert!(cpu.contains("for: 20m") && cpu.contains("team: infra"), "{cpu}");
    assert!(cpu.contains("runbook_url: https://wiki.example.com/cpu"), "{cpu}");
    assert!(
        tests.contains("HostCpuBusy fires when CPU busy is 0.95"),
        "generated test uses 0.9:\n{tests}"
    );
    assert!(tests.contains("HostCpuBusy stays quiet when CPU busy is 0.85"), "{tests}");
    // The signal's level: the filesystem alert, its tests and the panel's threshold line.
    assert!(rules.contains("expr: signal:filesystem_used:value > 0.9\n"), "{rules}");
    assert!(
        tests.contains("HostFilesystemAlmostFull fires when Filesystem used is 0.95"),
        "{tests}"
    );
    let v: serde_json::Value = serde_json::from_str(&dash).unwrap();
    let panels: Vec<&serde_json::Value> = v["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| std::iter::once(p).chain(p["panels"].as_array().into_iter().flatten()))
        .collect();
    let fs_panel = panels
        .iter()
        .find(|p| p["title"] == "Filesystem used" && p["type"] == "timeseries")
        .expect("filesystem panel");
    let steps: Vec<f64> = fs_panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["value"].as_f64())
        .collect();
    assert_eq!(steps, vec![0.85, 0.9], "threshold lines: {fs_panel}");
    // The alert's link points at the panel that shows its signal.
    let panel_url = cpu.lines().find(|l| l.contains("panel_url:")).unwrap();
    let id = panel_url.split("viewPanel=").nth(1).unwrap().split('&').next().unwrap();
    let id: u64 = id.parse().unwrap();
    let linked = panels.iter().find(|p| p["id"].as_u64() == Some(id)).expect("linked panel exists");
    assert_eq!(linked["title"], "CPU busy", "{panel_url}");
    // The disabled alert: no rule, no test, no dashboard annotation or overlay.
    for (what, text) in [("rules", &rules), ("tests", &tests), ("dashboard", &dash)] {
        assert!(!text.contains("HostCpuUnusual"), "disabled alert still in {what}");
    }
    assert!(!rules.contains("cpu_busy:stddev_over_time_1d"), "its recording rules went too");
    // The main genmon.yaml without overrides still has them.
    let main = fs::read_to_string(root().join("alerts/host.rules.yml")).unwrap();
    assert!(main.contains("HostCpuUnusual") && main.contains("signal:cpu_busy:value > 0.95"));
}

#[test]
fn explain_says_where_each_value_came_from() {
    let dir = overridden();
    let o = genmon(dir.path(), &["explain", "-f", "genmon.yaml", "HostCpuBusy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = stdout(&o);
    assert!(t.starts_with("alert HostCpuBusy\n  defined at packs/node.yaml (built-in):"), "{t}");
    for want in [
        "expr                       signal:cpu_busy:value > 0.9\n      ← override genmon.yaml:5:19",
        "for                        20m\n      ← override genmon.yaml:5:35",
        "labels.team                infra\n      ← override genmon.yaml:5:54",
        "annotations.summary",
        "generated:\n    - alert: HostCpuBusy",
    ] {
        assert!(t.contains(want), "want `{want}` in:\n{t}");
    }
    let o = genmon(dir.path(), &["explain", "--format", "json", "-f", "genmon.yaml", "filesystem_used"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v[0]["kind"], "signal");
    assert_eq!(v[0]["pack"], "node");
    let crit = v[0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["field"] == "thresholds.critical")
        .unwrap();
    assert_eq!(crit["value"], "0.9");
    assert_eq!(crit["from"]["how"], "override");
    assert_eq!(crit["from"]["at"], "genmon.yaml:8:36");
    let warn = v[0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["field"] == "thresholds.warning")
        .unwrap();
    assert_eq!(warn["from"]["how"], "definition");
    assert!(
        warn["from"]["at"].as_str().unwrap().starts_with("packs/node.yaml (built-in):"),
        "{warn}"
    );
    // An unknown name: exit 1 with a suggestion.
    let o = genmon(dir.path(), &["explain", "-f", "genmon.yaml", "HostCpuBusi"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("did you mean `HostCpuBusy`?"), "{}", stderr(&o));
}

/// An alert whose rules are written in a group of its own (an SLO) shows
/// them all: its burn-rate and input alerts and the recordings they read.
#[test]
fn explain_shows_the_rules_of_an_alert_with_a_group_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "genmon.yaml", "version: 1\npacks: [genmon]\n");
    let o = genmon(dir.path(), &["explain", "-f", "genmon.yaml", "ProbeAvailability"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = stdout(&o);
    for want in [
        "generated:\n",
        "- record: slo:sli_error:ratio_rate5m\n",
        "- record: slo:error_budget_remaining:ratio\n",
        "- alert: ProbeAvailabilityFastBurn\n",
        "- alert: ProbeAvailabilitySlowBurn\n",
        "- alert: ProbeAvailabilityInputAbsent\n",
    ] {
        assert!(t.contains(want), "want `{want}` in:\n{t}");
    }
    // Nothing of another alert.
    assert!(!t.contains("- alert: ProbeLatencyRegressed"), "{t}");
}

#[test]
fn the_readme_tour_spec_renders_as_shown() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let block = |marker: &str| -> String {
        let start = readme.find(marker).unwrap_or_else(|| panic!("README has no {marker}"));
        let rest = &readme[start..];
        let code = &rest[rest.find("```yaml\n").unwrap() + 8..];
        code[..code.find("```").unwrap()].to_string()
    };
    let spec = block("<!-- tour: genmon.yaml -->");
    let included = block("<!-- tour: teams/web.yaml -->");
    assert!(spec.lines().count() <= 10, "the tour spec is ten lines at most:\n{spec}");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "genmon.yaml", &spec);
    write(dir.path(), "teams/web.yaml", &included);
    let out = dir.path().join("out");
    let o = genmon(
        dir.path(),
        &["render", "--strict", "-f", "genmon.yaml", "-o", out.to_str().unwrap()],
    );
    assert!(o.status.success(), "the README's tour spec does not render:\n{}", stderr(&o));
    promtool_ok(&["test", "rules"], &files(&out.join("alerts/tests"), ".test.yml"));
}
