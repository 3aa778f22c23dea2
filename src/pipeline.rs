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
    let t = Timer::start();
    let loaded = load(src)?;
    t.lap("load");
    let diags = crate::check::run(&loaded.spec, &loaded.positions, strict);
    t.lap("check");
    if has_errors(&diags) {
        return Err(diags);
    }
    let model = lower(&loaded.spec, profile);
    t.lap("lower");
    let artifacts = render_all(&model);
    t.lap("render");
    Ok(Compiled {
        model,
        artifacts,
        warnings: diags,
    })
}

/// Phase timings on stderr when `GENMON_TIMINGS` is set (for profiling).
struct Timer(Option<std::cell::Cell<std::time::Instant>>);

impl Timer {
    fn start() -> Timer {
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
