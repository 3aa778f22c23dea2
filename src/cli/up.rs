//! `genmon up`: run the stack as local processes (no Docker); see [`crate::stack`].

use std::path::Path;

use super::SpecArgs;

/// `genmon up`.
pub fn up(spec: &SpecArgs, state_dir: &Path, color: bool) -> u8 {
    crate::stack::up(&crate::stack::Options {
        spec: spec.file.clone(),
        state_dir: state_dir.to_path_buf(),
        strict: spec.strict,
        color,
    })
}
