//! The whole flow in one call: load → check → lower → render. `check` and
//! `render` run the same pipeline; only the writer differs.

use crate::compose::Composed;
use crate::diag::{Diagnostic, has_errors};
use crate::model::engine::{EngineKind, EngineTarget};
use crate::model::lower::lower_with;
use crate::model::{Model, Profile};
use crate::render::{Artifact, render_all};
use crate::spec::Source;

/// A successful compile: the model, its rendered files and any warnings.
#[derive(Debug)]
pub struct Compiled {
    pub model: Model,
    pub artifacts: Vec<Artifact>,
    pub warnings: Vec<Diagnostic>,
}

/// What the outputs deploy onto, beside the hosts [`Profile`] (`--target`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deploy {
    /// Prometheus evaluates the rules (`local`, `compose`).
    Prometheus,
    /// Also the Prometheus Operator and Grafana objects under `kubernetes/`.
    Kubernetes,
    /// A scaled-out engine's ruler (`mimir`, `victoriametrics`).
    Engine(EngineKind),
}

/// Compile a spec, with the model's [`Model::facts`]. On any error, returns
/// every diagnostic (errors and warnings).
pub fn compile(src: &Source, profile: Profile, strict: bool) -> Result<Compiled, Vec<Diagnostic>> {
    compile_with(src, profile, strict, Deploy::Prometheus, true).map(free_spec)
}

/// Compile a spec for what its outputs deploy onto (`--target`), to write
/// them: without the model's [`Model::facts`], which no renderer reads.
pub fn compile_for(src: &Source, profile: Profile, strict: bool, deploy: Deploy) -> Result<Compiled, Vec<Diagnostic>> {
    compile_with(src, profile, strict, deploy, false).map(free_spec)
}

/// The spec is not needed after compiling: freed beside what the caller does next.
fn free_spec((composed, c): (Composed, Compiled)) -> Compiled {
    crate::par::drop_later(composed);
    c
}

/// [`compile_for`] with the model's facts, also returning the composed spec
/// (where each item and value came from).
pub fn compile_composed(src: &Source, profile: Profile, strict: bool, deploy: Deploy) -> Result<(Composed, Compiled), Vec<Diagnostic>> {
    compile_with(src, profile, strict, deploy, true)
}

fn compile_with(
    src: &Source,
    profile: Profile,
    strict: bool,
    deploy: Deploy,
    facts: bool,
) -> Result<(Composed, Compiled), Vec<Diagnostic>> {
    let t = Timer::start();
    let (composed, Resolved { model, mut warnings }) = prepare(src, (profile, facts), strict, deploy, &t)?;
    let loaded = &composed.loaded;
    let mut artifacts = render_all(&model).map_err(|d| vec![*d])?;
    if deploy == Deploy::Kubernetes {
        let k = crate::render::kubernetes::render(&model, &artifacts).map_err(|d| vec![*d])?;
        let mut problems = crate::render::kubernetes::check(&loaded.spec, &model, &k);
        crate::check::locate(&mut problems, &loaded.positions, strict);
        warnings.extend(problems);
        if has_errors(&warnings) {
            return Err(warnings);
        }
        artifacts.extend(k.artifacts);
        artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    }
    t.lap("render");
    let compiled = Compiled {
        model,
        artifacts,
        warnings,
    };
    Ok((composed, compiled))
}

/// A spec compiled up to its outputs: the model every renderer reads, and
/// the warnings.
#[derive(Debug)]
pub struct Resolved {
    pub model: Model,
    pub warnings: Vec<Diagnostic>,
}

/// [`compile_for`] without rendering, for a caller that writes each output
/// as it is rendered ([`crate::render::render_each`]). `None` for a target
/// whose outputs are checked after rendering (`Deploy::Kubernetes`: its
/// objects are checked against the rendered files), which only
/// [`compile_for`] compiles.
pub fn resolve_for(src: &Source, profile: Profile, strict: bool, deploy: Deploy) -> Option<Result<Resolved, Vec<Diagnostic>>> {
    if deploy == Deploy::Kubernetes {
        return None;
    }
    let t = Timer::start();
    Some(prepare(src, (profile, false), strict, deploy, &t).map(|(composed, r)| {
        crate::par::drop_later(composed);
        r
    }))
}

/// Load, resolve and check a spec for `deploy`: everything before rendering.
fn prepare(
    src: &Source,
    (profile, facts): (Profile, bool),
    strict: bool,
    deploy: Deploy,
    t: &Timer,
) -> Result<(Composed, Resolved), Vec<Diagnostic>> {
    let composed = crate::compose::load(src)?;
    let loaded = &composed.loaded;
    t.lap("load");
    let spec_dir = std::path::Path::new(&src.name).parent().unwrap_or(std::path::Path::new(""));
    let elsewhere: Vec<String> = user_test_files(spec_dir)
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .flat_map(|t| tested_alerts(&t))
        .collect();
    let (mut model, mut diags) = match resolve(loaded, (profile, facts), strict, &elsewhere, t) {
        Ok(r) => r,
        Err(mut diags) => {
            composed.relocate(&mut diags);
            return Err(diags);
        }
    };
    composed.relocate(&mut diags);
    if let Deploy::Engine(kind) = deploy {
        let mut more = crate::check::engine::for_target(&loaded.spec, kind);
        crate::check::locate(&mut more, &loaded.positions, strict);
        diags.extend(more);
        if has_errors(&diags) {
            return Err(diags);
        }
        model.engine = EngineTarget::resolve(&loaded.spec, kind, profile);
        if let Some(e) = &model.engine {
            let mut more = crate::check::engine::agents(&model, e);
            crate::check::locate(&mut more, &loaded.positions, strict);
            diags.extend(more);
            if has_errors(&diags) {
                return Err(diags);
            }
        }
    }
    Ok((composed, Resolved { model, warnings: diags }))
}

/// The fallible resolve phase: spec (with its `services:` expanded) → model,
/// then every check on that model.
/// Returns the model and its warnings, or every diagnostic when any is an
/// error; renderers only ever see a model that passed. Lowering leaves out
/// what a check reports (a missing level, a signal without a rule form)
/// instead of inventing a default, so nothing half-made reaches a file.
/// The model's facts are resolved when `facts` (see [`Model::facts`]).
pub fn resolve(
    loaded: &crate::spec::Loaded,
    (profile, facts): (Profile, bool),
    strict: bool,
    tested_elsewhere: &[String],
    t: &Timer,
) -> Result<(Model, Vec<Diagnostic>), Vec<Diagnostic>> {
    let expanded = crate::services::expand(&loaded.spec);
    let spec = expanded.as_ref().map_or(&loaded.spec, |(s, _)| s);
    // The checks that read only the spec run while it lowers (a core idle in
    // lowering's sequential parts takes them); then those reading the model.
    let (model, (mut cx, early)) = crate::par::join(
        || lower_with(spec, profile, facts),
        || {
            let mut cx = crate::check::Ctx::new(spec);
            cx.tested_elsewhere = tested_elsewhere.to_vec();
            let early = crate::check::run_checks(&cx, |c| !c.reads_model());
            (cx, early)
        },
    );
    t.lap("lower");
    cx.set_model(&model);
    let late = crate::check::run_checks(&cx, |c| c.reads_model());
    let mut diags = crate::check::finish(early.into_iter().chain(late).collect(), &loaded.positions, strict);
    if let Some((_, origins)) = &expanded {
        origins.relocate(&mut diags, &loaded.positions);
    }
    t.lap("check");
    if has_errors(&diags) {
        return Err(diags);
    }
    Ok((model, diags))
}

/// Phase timings on stderr when `GENMON_TIMINGS` is set (for profiling): the
/// wall time of each phase, the CPU time the process spent in it (user +
/// system, all threads), so a phase that leaves cores idle shows, the page
/// faults it took (each a trip into the kernel for a fresh zeroed page) and
/// the resident memory after it.
pub struct Timer(Option<std::cell::Cell<(std::time::Instant, (f64, i64))>>);

/// CPU time of the whole process so far, in milliseconds, and its minor page faults.
fn cpu_ms() -> (f64, i64) {
    // SAFETY: `getrusage` only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return (0.0, 0);
    }
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    (ms(u.ru_utime) + ms(u.ru_stime), u.ru_minflt)
}

impl Timer {
    /// Timings on when `GENMON_TIMINGS` is set.
    pub fn start() -> Timer {
        Timer(std::env::var_os("GENMON_TIMINGS").map(|_| std::cell::Cell::new((std::time::Instant::now(), cpu_ms()))))
    }

    /// Print the time since the last lap (or the start) under `phase`.
    pub fn lap(&self, phase: &str) {
        if let Some(c) = &self.0 {
            let (now, (cpu, faults)) = (std::time::Instant::now(), cpu_ms());
            let (then, (cpu_then, faults_then)) = c.get();
            // Resident memory after the phase (pages the kernel had to fault in and zero).
            let rss_mb = std::fs::read_to_string("/proc/self/statm")
                .ok()
                .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
                // SAFETY: `sysconf` reads a constant of the system.
                .map_or(0.0, |pages| pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64 / 1e6);
            eprintln!(
                "genmon: {phase:8} {:8.2} ms  (cpu {:7.2} ms, faults {:5}, rss {rss_mb:6.1} MB)",
                (now - then).as_secs_f64() * 1000.0,
                cpu - cpu_then,
                faults - faults_then
            );
            c.set((now, (cpu, faults)));
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
