//! `genmon test`: render into a temporary directory, run the real
//! `promtool test rules` on every test file (generated and the user's own
//! beside the spec), print a pass/fail table per alert.

use std::path::Path;
use std::process::Command;

use super::{Format, SpecArgs, TargetArg, exit};
use crate::conventions as c;
use crate::pipeline::{Deploy, compile_for, tested_alerts, user_test_files};
use crate::spec::Source;

/// Exit code when promtool is not installed.
pub const NO_PROMTOOL: u8 = exit::USAGE;

/// One row of the result table.
struct Row {
    file: String,
    alert: String,
    ok: bool,
}

/// `genmon test`.
pub fn test(args: &SpecArgs, results: Option<&Path>, target: Option<TargetArg>, color: bool) -> u8 {
    let src = match Source::read(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read spec {}: {e}", args.file.display());
            return exit::USAGE;
        }
    };
    let (profile, deploy) = match super::render::profile_for(target, None) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let kubernetes = deploy == Deploy::Kubernetes;
    let compiled = match compile_for(&src, profile, args.strict, deploy) {
        Ok(c) => c,
        Err(diags) => {
            super::render::print_diags(&src, &diags, args.format, color);
            return exit::INVALID;
        }
    };
    if Command::new("promtool").arg("--version").output().is_err() {
        eprintln!("error: promtool not found; `genmon test` runs Prometheus' own rule tests. install it: apt-get install prometheus");
        return NO_PROMTOOL;
    }
    let tmp = match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot create a temporary directory: {e}");
            return exit::USAGE;
        }
    };
    if let Err(e) = crate::write::apply_with(tmp.path(), &compiled.artifacts, crate::write::Durability::NoFlush, false) {
        eprintln!("error: {e}");
        return exit::USAGE;
    }
    // The user's own test files, beside freshly rendered rules (same relative paths).
    let spec_dir = args.file.parent().unwrap_or(Path::new(""));
    let tests_dir = tmp.path().join(c::DIR_ALERT_TESTS);
    let _ = std::fs::create_dir_all(&tests_dir);
    for f in user_test_files(spec_dir) {
        if let Some(name) = f.file_name()
            && let Err(e) = std::fs::copy(&f, tests_dir.join(name))
        {
            eprintln!("error: cannot copy {}: {e}", f.display());
            return exit::USAGE;
        }
    }
    let files = test_files(&tests_dir);
    let (mut rows, mut failed_output) = run_tests(&tests_dir, &files, c::DIR_ALERT_TESTS);
    if kubernetes {
        // The same tests against the rules as the operator reads them: each
        // PrometheusRule's `spec.groups`, extracted back into rule files.
        let k8s_root = tmp.path().join(K8S_RULES_DIR);
        let k8s_tests = k8s_root.join(c::DIR_ALERT_TESTS);
        if let Err(e) = extract_prometheus_rules(&tmp.path().join(c::DIR_KUBERNETES), &k8s_root)
            .and_then(|()| std::fs::create_dir_all(&k8s_tests).map_err(|e| e.to_string()))
            .and_then(|()| copy_files(&files, &k8s_tests))
        {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
        let label = format!("{}/PrometheusRule", c::DIR_KUBERNETES);
        let (more_rows, more_failed) = run_tests(&k8s_tests, &files, &label);
        rows.extend(more_rows);
        failed_output.push_str(&more_failed);
    }
    let w_file = rows.iter().map(|r| r.file.len()).max().unwrap_or(4).max(4);
    let w_alert = rows.iter().map(|r| r.alert.len()).max().unwrap_or(5).max(5);
    let mut table = format!("{:w_file$}  {:w_alert$}  RESULT\n", "FILE", "ALERT");
    for r in &rows {
        let res = match (r.ok, color) {
            (true, true) => "\x1b[32mpass\x1b[0m",
            (true, false) => "pass",
            (false, true) => "\x1b[31mFAIL\x1b[0m",
            (false, false) => "FAIL",
        };
        table.push_str(&format!("{:w_file$}  {:w_alert$}  {res}\n", r.file, r.alert));
    }
    if args.format == Format::Json {
        let rows: Vec<_> = rows
            .iter()
            .map(|r| serde_json::json!({"file": r.file, "alert": r.alert, "result": if r.ok { "pass" } else { "fail" }}))
            .collect();
        super::out_json(&rows);
    } else {
        super::out(&table);
    }
    let results = results
        .map(Path::to_path_buf)
        .unwrap_or_else(|| spec_dir.join(crate::docs::results::DEFAULT_PATH));
    // The tests ran either way: a results file that cannot be written costs
    // `genmon docs` its pass/fail column (it then says "not run"), not the run.
    if let Err(e) = write_results(&results, &src, &rows) {
        eprintln!("warning: cannot write test results {} for `genmon docs`: {e}", results.display());
    }
    let n_fail = rows.iter().filter(|r| !r.ok).count();
    if !failed_output.is_empty() {
        eprint!("\n{failed_output}");
    }
    if files.is_empty() {
        eprintln!("{}: no alert tests (no alerts, or none genmon can test and no `tests:`)", src.name);
        return exit::OK;
    }
    let runs = if kubernetes {
        " (each run on the rule files and on the PrometheusRule objects)"
    } else {
        ""
    };
    eprintln!(
        "{}: {} test files{runs}, {} alerts, {} failed",
        src.name,
        files.len(),
        rows.len(),
        n_fail
    );
    if n_fail > 0 || !failed_output.is_empty() {
        exit::INVALID
    } else {
        exit::OK
    }
}

/// Leave the results for `genmon docs` (replaced atomically: a reader never sees half a file).
fn write_results(path: &Path, src: &Source, rows: &[Row]) -> std::io::Result<()> {
    use crate::docs::results::{FORMAT, Outcome, TestResults, spec_sha256};
    let r = TestResults {
        format: FORMAT.into(),
        spec: src.name.clone(),
        spec_sha256: spec_sha256(&src.text),
        results: rows
            .iter()
            .map(|r| Outcome {
                file: r.file.clone(),
                alert: r.alert.clone(),
                result: if r.ok { "pass" } else { "fail" }.into(),
            })
            .collect(),
    };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, super::json_text(&r)?.as_bytes())?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Where `genmon test --target kubernetes` puts the rules taken out of the PrometheusRule objects.
const K8S_RULES_DIR: &str = "prometheusrule-rules";

/// `*.test.yml` files of a folder, sorted.
fn test_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with(".test.yml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn copy_files(files: &[std::path::PathBuf], to: &Path) -> Result<(), String> {
    for f in files {
        if let Some(name) = f.file_name() {
            std::fs::copy(f, to.join(name)).map_err(|e| format!("cannot copy {}: {e}", f.display()))?;
        }
    }
    Ok(())
}

/// Write `spec.groups` of every PrometheusRule under `k8s_dir` to
/// `<root>/alerts/<group>.rules.yml`, where the test files expect their rules.
fn extract_prometheus_rules(k8s_dir: &Path, root: &Path) -> Result<(), String> {
    let alerts = root.join(c::DIR_ALERTS);
    std::fs::create_dir_all(&alerts).map_err(|e| format!("cannot create {}: {e}", alerts.display()))?;
    let rd = std::fs::read_dir(k8s_dir).map_err(|e| format!("cannot read {}: {e}", k8s_dir.display()))?;
    let mut paths: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        let obj: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
        if obj.get("kind").and_then(|k| k.as_str()) != Some("PrometheusRule") {
            continue;
        }
        let groups = obj
            .get("spec")
            .and_then(|s| s.get("groups"))
            .and_then(|g| g.as_sequence())
            .ok_or_else(|| format!("{}: a PrometheusRule without spec.groups", p.display()))?;
        for g in groups {
            let name = g
                .get("name")
                .and_then(|n| n.as_str())
                .filter(|n| crate::write::paths::component_problem(n).is_none())
                .ok_or_else(|| format!("{}: a group without a usable name", p.display()))?;
            let file = serde_yaml_ng::to_string(&serde_json::json!({ "groups": [g] })).map_err(|e| e.to_string())?;
            let out = alerts.join(format!("{name}.rules.yml"));
            std::fs::write(&out, file).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        }
    }
    Ok(())
}

/// Run `promtool test rules` on each of `files` (by name) inside `tests_dir`;
/// rows name their file as `<label>/<name>`. Returns the rows and the output of failed runs.
fn run_tests(tests_dir: &Path, files: &[std::path::PathBuf], label: &str) -> (Vec<Row>, String) {
    let prefix = |name: &str| {
        if label == c::DIR_ALERT_TESTS {
            name.to_string()
        } else {
            format!("{label}: {name}")
        }
    };
    let mut rows = Vec::new();
    let mut failed_output = String::new();
    for f in files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let out = Command::new("promtool")
            .arg("test")
            .arg("rules")
            .arg(&name)
            .current_dir(tests_dir)
            .output();
        let (ok, log) = match out {
            Ok(o) => (
                o.status.success(),
                format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)),
            ),
            Err(e) => (false, e.to_string()),
        };
        if !ok {
            failed_output.push_str(&format!("--- {label}/{name}\n{log}\n"));
        }
        let alerts = tested_alerts(&text);
        // A failure promtool ties to an alert fails that alert; one it ties to none fails them all.
        let attributed = alerts.iter().any(|a| log.contains(&format!("alertname: {a},")));
        if alerts.is_empty() {
            rows.push(Row {
                file: prefix(&name),
                alert: "(expression tests)".into(),
                ok,
            });
        }
        for a in alerts {
            let failed = !ok && (!attributed || log.contains(&format!("alertname: {a},")));
            rows.push(Row {
                file: prefix(&name),
                alert: a,
                ok: !failed,
            });
        }
    }
    (rows, failed_output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_rule_groups_become_rule_files() {
        let k8s = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let rule = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: x}\n\
                    spec:\n  groups:\n  - name: g\n    rules:\n    - {alert: A, expr: up == 0}\n";
        std::fs::write(k8s.path().join("prometheusrule-x.yaml"), rule).unwrap();
        std::fs::write(k8s.path().join("configmap-y.yaml"), "apiVersion: v1\nkind: ConfigMap\n").unwrap();
        extract_prometheus_rules(k8s.path(), root.path()).unwrap();
        let got: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(&std::fs::read_to_string(root.path().join("alerts/g.rules.yml")).unwrap()).unwrap();
        assert_eq!(got["groups"][0]["rules"][0]["alert"].as_str(), Some("A"));
        assert_eq!(std::fs::read_dir(root.path().join("alerts")).unwrap().count(), 1);
        // A group name that would leave the folder is refused, not followed.
        std::fs::write(k8s.path().join("prometheusrule-x.yaml"), rule.replace("name: g", "name: ../g")).unwrap();
        assert!(
            extract_prometheus_rules(k8s.path(), root.path())
                .unwrap_err()
                .contains("usable name")
        );
        // So is a PrometheusRule without groups.
        std::fs::write(k8s.path().join("prometheusrule-x.yaml"), "kind: PrometheusRule\nspec: {}\n").unwrap();
        assert!(
            extract_prometheus_rules(k8s.path(), root.path())
                .unwrap_err()
                .contains("without spec.groups")
        );
    }
}
