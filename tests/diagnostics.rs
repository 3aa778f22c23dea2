//! How `genmon` reports problems, through the real binary: every mistake at
//! once, each at its value with its fix, in every `--format`, and quiet exits
//! on a closed pipe. (One-mistake-per-file cases live in tests/bad_specs/.)

mod common;
#[path = "exporter_util.rs"]
mod util;

use std::process::{Command, Stdio};

use common::*;

/// `genmon check --format short` on `text`; returns (exit code, stderr lines).
fn check_short(text: &str) -> (Option<i32>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("genmon.yaml");
    std::fs::write(&f, text).unwrap();
    let out = genmon(dir.path(), &["check", "--format", "short", "-f", "genmon.yaml"]);
    let err = String::from_utf8_lossy(&out.stderr);
    (out.status.code(), err.lines().map(str::to_string).collect())
}

fn assert_line(lines: &[String], want: &str) {
    assert!(
        lines.iter().any(|l| l.contains(want)),
        "want a line with `{want}`, got:\n{}",
        lines.join("\n")
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // Megabytes of output into a pipe nobody reads: the write fails with EPIPE.
    let mut child = Command::new(env!("CARGO_BIN_EXE_genmon"))
        .args(["bench-spec", "--dashboards", "400"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn short_format_keeps_the_hint() {
    let (code, lines) = check_short(&std::fs::read_to_string(root().join("tests/bad_specs/type-unknown-panel-key.yaml")).unwrap());
    assert_eq!(code, Some(1));
    assert_line(&lines, "(help: ");
}

#[test]
fn test_command_honours_json_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("genmon.yaml"), "version: 1\nnope: 1\n").unwrap();
    let out = genmon(dir.path(), &["test", "--format", "json", "-f", "genmon.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(v[0]["code"], "spec/type", "{v}");
    assert!(v[0]["pos"]["line"].as_u64().is_some(), "{v}");
}

#[test]
fn a_promql_error_on_a_long_line_points_at_its_token_and_keeps_the_key() {
    let expr = format!(
        "sum by (instance) (rate(node_cpu_seconds_total{{mode!=\"idle\", job=~\"node|genmon\"}}[5m])){} / sum by (instance) (ratez(node_cpu_seconds_total[5m]))",
        " + 0".repeat(40)
    );
    let text = format!("version: 1\nrules:\n  - name: g\n    recording:\n      - record: a:b:c\n        expr: '{expr}'\n");
    let col = text.lines().nth(5).unwrap().find("ratez").unwrap() + 1;
    let (code, lines) = check_short(&text);
    assert_eq!(code, Some(1));
    assert_line(&lines, &format!("genmon.yaml:6:{col}: error[promql/parse]"));
    assert_line(&lines, "did you mean `rate`?");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("genmon.yaml"), &text).unwrap();
    let human = genmon(dir.path(), &["--color", "never", "check"]);
    let human = String::from_utf8_lossy(&human.stderr);
    let line = human.lines().find(|l| l.contains("(ratez(")).expect("the source line");
    assert!(line.contains("expr:"), "the key was cut off:\n{human}");
}

/// `genmon-exporter --config.file SPEC --config.check`.
fn exporter_accepts(spec: &std::path::Path) -> (bool, String) {
    let out = Command::new(util::exporter_bin())
        .arg("--config.file")
        .arg(spec)
        .arg("--config.check")
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn check_and_the_exporter_agree_on_the_exporter_section() {
    // A spec without `exporter:` (tests/specs/full.yaml) means defaults: both accept it.
    for spec in specs() {
        let (ok, err) = exporter_accepts(&spec);
        assert!(ok, "{}: genmon-exporter refuses what check accepts: {err}", spec.display());
    }
    // What the exporter refuses, check reports, located.
    let bad = root().join("tests/bad_specs/exporter-all-at-once.yaml");
    let (ok, err) = exporter_accepts(&bad);
    assert!(!ok && err.contains("exporter.probes[0].url"), "{err}");
    let out = genmon(&root(), &["check", "-f", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}
