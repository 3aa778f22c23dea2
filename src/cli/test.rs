//! `genmon test`: render into a temporary directory, run the real
//! `promtool test rules` on every test file (generated and the user's own
//! beside the spec), print a pass/fail table per alert.

use std::path::Path;
use std::process::Command;

use super::{Format, SpecArgs, exit};
use crate::conventions as c;
use crate::model::Profile;
use crate::pipeline::{compile, tested_alerts, user_test_files};
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
pub fn test(args: &SpecArgs, results: Option<&Path>, color: bool) -> u8 {
    let src = match Source::read(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read spec {}: {e}", args.file.display());
            return exit::USAGE;
        }
    };
    let compiled = match compile(&src, Profile::Compose, args.strict) {
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
    let mut files: Vec<_> = std::fs::read_dir(&tests_dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with(".test.yml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut rows = Vec::new();
    let mut failed_output = String::new();
    for f in &files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let out = Command::new("promtool")
            .arg("test")
            .arg("rules")
            .arg(&name)
            .current_dir(&tests_dir)
            .output();
        let (ok, log) = match out {
            Ok(o) => (
                o.status.success(),
                format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)),
            ),
            Err(e) => (false, e.to_string()),
        };
        if !ok {
            failed_output.push_str(&format!("--- {}/{name}\n{log}\n", c::DIR_ALERT_TESTS));
        }
        let alerts = tested_alerts(&text);
        // A failure promtool ties to an alert fails that alert; one it ties to none fails them all.
        let attributed = alerts.iter().any(|a| log.contains(&format!("alertname: {a},")));
        if alerts.is_empty() {
            rows.push(Row {
                file: name.clone(),
                alert: "(expression tests)".into(),
                ok,
            });
        }
        for a in alerts {
            let failed = !ok && (!attributed || log.contains(&format!("alertname: {a},")));
            rows.push(Row {
                file: name.clone(),
                alert: a,
                ok: !failed,
            });
        }
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
        super::out(&format!("{}\n", serde_json::to_string_pretty(&rows).unwrap_or_default()));
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
    eprintln!("{}: {} test files, {} alerts, {} failed", src.name, files.len(), rows.len(), n_fail);
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
    std::io::Write::write_all(
        &mut tmp,
        format!("{}\n", serde_json::to_string_pretty(&r).unwrap_or_default()).as_bytes(),
    )?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
