//! The bad-spec corpus: every file under `tests/bad_specs/` is a spec with one
//! mistake. Its header says which error genmon must report and where:
//!
//! ```yaml
//! # expect: panel/unit at 8:15
//! # help: did you mean `percent`?
//! ```
//!
//! An error in an included file names it: `# expect: promql/parse at
//! included/bad-expr.yml:5:14` (files under `tests/bad_specs/included/` are
//! not cases themselves).
//!
//! Several `# expect:` (and `# help:`) lines mean several errors reported in
//! one run. Each case runs the real `genmon check` and asserts exit code 1,
//! every code at its exact line:column, no other error, and the hints.

use std::path::Path;
use std::process::Command;

fn cases() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_specs");
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/bad_specs")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    v.sort();
    v
}

#[test]
fn corpus_has_at_least_30_cases() {
    assert!(cases().len() >= 30, "only {} bad specs", cases().len());
}

#[test]
fn every_bad_spec_reports_its_error_at_its_location() {
    let mut failures = Vec::new();
    for path in cases() {
        let text = std::fs::read_to_string(&path).unwrap();
        let expects: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# expect: ")).collect();
        assert!(!expects.is_empty(), "{} has no `# expect:` header", path.display());
        let helps: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# help: ")).collect();
        let rel = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_genmon"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["check", "--format", "short", "-f"])
            .arg(rel)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(1) {
            failures.push(format!("{}: exit {:?}, want 1\n{stderr}", rel.display(), out.status.code()));
        }
        // Every expected error, in one run; nothing else.
        for expect in &expects {
            let (code, at) = expect.split_once(" at ").expect("`# expect: CODE at LINE:COL`");
            // `FILE:LINE:COL`: the error is in a file the spec includes (beside it).
            let want = if at.matches(':').count() == 2 {
                format!("{}/{at}: error[{code}]", rel.parent().unwrap().display())
            } else {
                format!("{}:{at}: error[{code}]", rel.display())
            };
            if !stderr.contains(&want) {
                failures.push(format!("{}: want `{want}`, got:\n{stderr}", rel.display()));
            }
        }
        let errors = stderr.lines().filter(|l| l.contains(": error[")).count();
        if errors != expects.len() {
            failures.push(format!("{}: {errors} errors, want {}:\n{stderr}", rel.display(), expects.len()));
        }
        if !helps.is_empty() {
            let human = Command::new(env!("CARGO_BIN_EXE_genmon"))
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .args(["--color", "never", "check", "-f"])
                .arg(rel)
                .output()
                .unwrap();
            let human = String::from_utf8_lossy(&human.stderr);
            for h in &helps {
                if !human.contains(h) {
                    failures.push(format!("{}: want hint `{h}`, got:\n{human}", rel.display()));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} bad specs misreported:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
