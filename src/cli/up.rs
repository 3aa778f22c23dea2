//! `genmon up`: run the stack as local processes (no Docker); see [`crate::stack`].

use std::path::Path;

use super::{SpecArgs, TargetArg, exit};
use crate::model::engine::EngineKind;

/// `genmon up`.
pub fn up(spec: &SpecArgs, state_dir: &Path, target: TargetArg, color: bool) -> u8 {
    let engine = match target {
        TargetArg::Local => None,
        TargetArg::VictoriaMetrics => Some(EngineKind::VictoriaMetrics),
        other => {
            eprintln!("error: genmon up runs `--target local` or `--target victoriametrics`, not {other:?}");
            return exit::USAGE;
        }
    };
    crate::stack::up(&crate::stack::Options {
        engine,
        spec: spec.file.clone(),
        state_dir: state_dir.to_path_buf(),
        strict: spec.strict,
        color,
    })
}
