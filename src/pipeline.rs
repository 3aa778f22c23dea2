//! The whole flow in one call: load → check → lower → render. `check` and
//! `render` run the same pipeline; only the writer differs.

use crate::diag::{Diagnostic, has_errors};
use crate::model::{Model, Profile, lower};
use crate::render::{Artifact, render_all};
use crate::spec::{Source, load};

/// A successful compile: the model, its rendered files and any warnings.
#[derive(Debug)]
pub struct Compiled {
    pub model: Model,
    pub artifacts: Vec<Artifact>,
    pub warnings: Vec<Diagnostic>,
}

/// Compile a spec. On any error, returns every diagnostic (errors and warnings).
pub fn compile(src: &Source, profile: Profile, strict: bool) -> Result<Compiled, Vec<Diagnostic>> {
    compile_target(src, profile, strict, false)
}

/// [`compile`], adding the `kubernetes/` objects (and that target's checks) when `kubernetes` is set.
pub fn compile_target(src: &Source, profile: Profile, strict: bool, kubernetes: bool) -> Result<Compiled, Vec<Diagnostic>> {
    let t = Timer::start();
    let loaded = load(src)?;
    t.lap("load");
    let spec_dir = std::path::Path::new(&src.name).parent().unwrap_or(std::path::Path::new(""));
    let elsewhere: Vec<String> = user_test_files(spec_dir)
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .flat_map(|t| tested_alerts(&t))
        .collect();
    let (model, mut diags) = resolve(&loaded, profile, strict, &elsewhere, &t)?;
    let mut artifacts = render_all(&model);
    if kubernetes {
        let k = crate::render::kubernetes::render(&model, &artifacts);
        let mut problems = crate::render::kubernetes::check(&loaded.spec, &model, &k);
        crate::check::locate(&mut problems, &loaded.positions, strict);
        diags.extend(problems);
        if has_errors(&diags) {
            return Err(diags);
        }
        artifacts.extend(k.artifacts);
        artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    }
    t.lap("render");
    Ok(Compiled {
        model,
        artifacts,
        warnings: diags,
    })
}

/// The fallible resolve phase: spec → model, then every check on that model.
/// Returns the model and its warnings, or every diagnostic when any is an
/// error; renderers only ever see a model that passed. Lowering leaves out
/// what a check reports (a missing level, a signal without a rule form)
/// instead of inventing a default, so nothing half-made reaches a file.
pub fn resolve(
    loaded: &crate::spec::Loaded,
    profile: Profile,
    strict: bool,
    tested_elsewhere: &[String],
    t: &Timer,
) -> Result<(Model, Vec<Diagnostic>), Vec<Diagnostic>> {
    let model = lower(&loaded.spec, profile);
    t.lap("lower");
    let diags = crate::check::run(&loaded.spec, &loaded.positions, strict, tested_elsewhere, Some(&model));
    t.lap("check");
    if has_errors(&diags) {
        return Err(diags);
    }
    Ok((model, diags))
}

/// Phase timings on stderr when `GENMON_TIMINGS` is set (for profiling).
pub struct Timer(Option<std::cell::Cell<std::time::Instant>>);

impl Timer {
    /// Timings on when `GENMON_TIMINGS` is set.
    pub fn start() -> Timer {
        Timer(std::env::var_os("GENMON_TIMINGS").map(|_| std::cell::Cell::new(std::time::Instant::now())))
    }

    fn lap(&self, phase: &str) {
        if let Some(c) = &self.0 {
            let now = std::time::Instant::now();
            eprintln!("genmon: {phase:7} {:8.2} ms", (now - c.get()).as_secs_f64() * 1000.0);
            c.set(now);
        }
    }
}

/// promtool test files the user keeps beside the spec: `alerts/tests/*.test.yml`
/// that genmon did not generate (no generated header).
pub fn user_test_files(spec_dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let dir = spec_dir.join(crate::conventions::DIR_ALERT_TESTS);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<std::path::PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.yml"))
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| !t.starts_with(crate::conventions::GENERATED_HEADER)))
        .collect();
    out.sort();
    out
}

/// Alert names a promtool test file checks (`tests[].alert_rule_test[].alertname`).
pub fn tested_alerts(text: &str) -> Vec<String> {
    let Ok(v) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for t in v.get("tests").and_then(|t| t.as_sequence()).into_iter().flatten() {
        for a in t.get("alert_rule_test").and_then(|t| t.as_sequence()).into_iter().flatten() {
            if let Some(n) = a.get("alertname").and_then(|n| n.as_str())
                && !out.iter().any(|x| x == n)
            {
                out.push(n.to_string());
            }
        }
    }
    out
}
