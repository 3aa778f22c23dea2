//! `genmon render` and `genmon check`.

use std::path::Path;

use super::{Format, ProfileArg, SpecArgs, TargetArg, exit};
use crate::diag::{Diagnostic, report, report_short};
use crate::model::Profile;
use crate::model::engine::EngineKind;
use crate::pipeline::{Compiled, Deploy, Resolved, compile_for, resolve_for};
use crate::render::render_each;
use crate::spec::Source;
use crate::write::{Drift, Durability, Summary, WriteError, Writer, apply_with, drift};

pub(super) fn print_diags(src: &Source, diags: &[Diagnostic], format: Format, color: bool) {
    if diags.is_empty() {
        return;
    }
    match format {
        Format::Human => eprint!("{}", report(src, diags, color)),
        Format::Short => eprint!("{}", report_short(src, diags)),
        Format::Json => super::out_json(diags),
    }
}

/// The hosts profile and engine of `--target` (with `--profile` for the
/// engine targets); a usage error when the two disagree.
pub fn profile_for(target: Option<TargetArg>, profile: Option<ProfileArg>) -> Result<(Profile, Deploy), u8> {
    let hosts = |p: Option<ProfileArg>| match p {
        Some(ProfileArg::Local) => Profile::Local,
        Some(ProfileArg::Compose) | None => Profile::Compose,
    };
    match (target, profile) {
        (None, p) => Ok((hosts(p), Deploy::Prometheus)),
        (Some(TargetArg::Local), None | Some(ProfileArg::Local)) => Ok((Profile::Local, Deploy::Prometheus)),
        (Some(TargetArg::Compose), None | Some(ProfileArg::Compose)) => Ok((Profile::Compose, Deploy::Prometheus)),
        (Some(t @ (TargetArg::Local | TargetArg::Compose)), Some(p)) => {
            eprintln!("error: `--target {t:?}` and `--profile {p:?}` disagree; `--target` alone is enough");
            Err(exit::USAGE)
        }
        (Some(TargetArg::Kubernetes), p) => Ok((hosts(p), Deploy::Kubernetes)),
        (Some(TargetArg::Mimir), p) => Ok((hosts(p), Deploy::Engine(EngineKind::Mimir))),
        (Some(TargetArg::VictoriaMetrics), p) => Ok((hosts(p), Deploy::Engine(EngineKind::VictoriaMetrics))),
    }
}

/// Load and compile, printing diagnostics. `None` means stop with the given code.
pub(super) fn compile_reporting(args: &SpecArgs, target: (Profile, Deploy), color: bool) -> Result<(Source, Compiled), u8> {
    let src = read_spec(args)?;
    let compiled = compile_source(&src, args, target, color)?;
    Ok((src, compiled))
}

/// [`compile_reporting`] of a spec already read.
fn compile_source(src: &Source, args: &SpecArgs, (profile, deploy): (Profile, Deploy), color: bool) -> Result<Compiled, u8> {
    match compile_for(src, profile, args.strict, deploy) {
        Ok(c) => {
            print_diags(src, &c.warnings, args.format, color);
            Ok(c)
        }
        Err(diags) => {
            print_diags(src, &diags, args.format, color);
            Err(exit::INVALID)
        }
    }
}

/// Read the spec file, saying why not.
fn read_spec(args: &SpecArgs) -> Result<Source, u8> {
    Source::read(&args.file).map_err(|e| {
        eprintln!("error: cannot read spec {}: {e}", args.file.display());
        if !args.file.exists() {
            eprintln!("help: pass the spec with `-f FILE` (default: genmon.yaml in the current directory)");
        }
        exit::USAGE
    })
}

/// `genmon check`.
pub fn check(args: &SpecArgs, target: Option<TargetArg>, color: bool) -> u8 {
    let target = match profile_for(target, None) {
        Ok(t) => t,
        Err(code) => return code,
    };
    match compile_reporting(args, target, color) {
        Ok((src, c)) => {
            if args.format != Format::Json {
                eprintln!(
                    "{}: ok ({} dashboards, {} rule groups, {} files would be written)",
                    src.name,
                    c.model.dashboards.len(),
                    c.model.groups.len(),
                    c.artifacts.len()
                );
            } else if c.warnings.is_empty() {
                super::out("[]\n");
            }
            exit::OK
        }
        Err(code) => code,
    }
}

/// `genmon render`: on a pool thread, where each of its parallel steps starts
/// without a hand-off ([`crate::par::on_pool`]).
#[allow(clippy::too_many_arguments)]
pub fn render(args: &SpecArgs, out: &Path, check_only: bool, target: (Profile, Deploy), no_sync: bool, force: bool, color: bool) -> u8 {
    crate::par::on_pool(|| render_here(args, out, check_only, target, no_sync, force, color))
}

#[allow(clippy::too_many_arguments)]
fn render_here(args: &SpecArgs, out: &Path, check_only: bool, target: (Profile, Deploy), no_sync: bool, force: bool, color: bool) -> u8 {
    let durability = if no_sync { Durability::NoFlush } else { Durability::Flush };
    let src = match read_spec(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if !check_only && let Some(resolved) = resolve_for(&src, target.0, args.strict, target.1) {
        return render_streaming(args, &src, resolved, out, durability, force, color);
    }
    let compiled = match compile_source(&src, args, target, color) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // The process exits right after this command: the OS frees the model and
    // outputs at once, faster than dropping them piece by piece (as rustc does).
    let compiled = std::mem::ManuallyDrop::new(compiled);
    if check_only {
        let d = drift(out, &compiled.artifacts);
        if d.is_empty() {
            eprintln!("{}: outputs are up to date ({} files)", src.name, compiled.artifacts.len());
            return exit::OK;
        }
        for item in &d {
            match item {
                Drift::Missing(p) => eprintln!("missing: {}", p.display()),
                Drift::Stale(p) => eprintln!("stale (no longer generated): {}", p.display()),
                Drift::Changed { diff, .. } => super::out(diff),
            }
        }
        eprintln!(
            "error: {} generated files are out of date; run `genmon render` and commit the result",
            d.len()
        );
        return exit::INVALID;
    }
    written(&src, out, apply_with(out, &compiled.artifacts, durability, force))
}

/// Render and write at once: each output is staged as soon as it is
/// rendered and its bytes freed ([`Writer`]), instead of holding every
/// output until the last is done (a render's megabytes of fresh memory).
/// The tree is locked once the spec has passed every check.
#[allow(clippy::too_many_arguments)]
fn render_streaming(
    args: &SpecArgs,
    src: &Source,
    resolved: Result<Resolved, Vec<Diagnostic>>,
    out: &Path,
    durability: Durability,
    force: bool,
    color: bool,
) -> u8 {
    let resolved = match resolved {
        Ok(r) => r,
        Err(diags) => {
            print_diags(src, &diags, args.format, color);
            return exit::INVALID;
        }
    };
    print_diags(src, &resolved.warnings, args.format, color);
    // Freed by the OS at exit, as in `render_here`.
    let resolved = std::mem::ManuallyDrop::new(resolved);
    let writer = match Writer::open(out, durability, force) {
        Ok(w) => w,
        Err(e) => return written(src, out, Err(e)),
    };
    let t = crate::pipeline::Timer::start();
    let offered = render_each(&resolved.model, |a| writer.offer(&a));
    t.lap("render");
    match offered {
        Ok(offered) => written(src, out, writer.commit(offered)),
        Err(d) => {
            // Nothing of this render stays: the writer removes what it staged.
            drop(writer);
            print_diags(src, &[*d], args.format, color);
            exit::INVALID
        }
    }
}

/// Report what a write did, or why it did nothing.
fn written(src: &Source, out: &Path, result: Result<Summary, WriteError>) -> u8 {
    match result {
        Ok(s) => {
            if s.recovered {
                eprintln!("note: finished an interrupted earlier render of {} first", out.display());
            }
            for line in &s.refused_manifest {
                eprintln!("warning: ignored manifest line {line}");
            }
            for p in &s.kept_edited {
                eprintln!(
                    "warning: {} is no longer generated but was edited by hand; left in place",
                    p.display()
                );
            }
            eprintln!(
                "{}: wrote {} files, {} unchanged, {} removed (under {})",
                src.name,
                s.written.len(),
                s.unchanged,
                s.removed.len(),
                out.display()
            );
            exit::OK
        }
        Err(e @ WriteError::Clash(_)) => {
            eprintln!("error: {e}");
            exit::INVALID
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::USAGE
        }
    }
}
