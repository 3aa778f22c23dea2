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
    let loaded = load(src)?;
    let diags = crate::check::run(&loaded.spec, &loaded.positions, strict);
    if has_errors(&diags) {
        return Err(diags);
    }
    let model = lower(&loaded.spec, profile);
    let artifacts = render_all(&model);
    Ok(Compiled {
        model,
        artifacts,
        warnings: diags,
    })
}
