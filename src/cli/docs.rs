//! `genmon docs`: the catalog of the resolved model as a static site or JSON,
//! with the policy report (`--strict` makes a policy that does not hold fail
//! the run, for CI).

use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::exit;
use crate::docs::{self, UserTests, results};
use crate::model::Profile;
use crate::pipeline::{compile, user_test_files};
use crate::spec::Source;

/// Marker file that says a directory is a site `genmon docs` wrote (and may replace).
const MARKER: &str = ".genmon-docs";

/// Output format of `genmon docs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocsFormat {
    /// A static site in the output directory.
    Html,
    /// The catalog and policy report as JSON on stdout (schema `genmon-docs/1`, see docs/catalog.md).
    Json,
}

/// Flags of `genmon docs`.
#[derive(Debug, clap::Args)]
pub struct DocsArgs {
    /// The spec file.
    #[arg(short = 'f', long = "file", default_value = "genmon.yaml", value_name = "FILE")]
    pub file: PathBuf,
    /// Directory the site is written to (replaced as a whole; genmon refuses a non-empty directory it did not write).
    #[arg(short = 'o', long = "out", default_value = "site", value_name = "DIR")]
    pub out: PathBuf,
    /// `html`: write the site; `json`: print the catalog and policy report on stdout.
    #[arg(long, value_enum, default_value_t = DocsFormat::Html)]
    pub format: DocsFormat,
    /// Exit 1 when any policy does not hold (critical alerts without runbook, test or notifying receiver; SLOs without both burn tiers; unused signals).
    #[arg(long)]
    pub strict: bool,
    /// Results of the last `genmon test` (default: .genmon/test-results.json beside the spec; absent: tests show as not run).
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
}

/// `genmon docs`.
pub fn docs(args: &DocsArgs, color: bool) -> u8 {
    let src = match Source::read(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read spec {}: {e}", args.file.display());
            return exit::USAGE;
        }
    };
    let compiled = match compile(&src, Profile::Compose, false) {
        Ok(c) => c,
        Err(diags) => {
            super::render::print_diags(&src, &diags, super::Format::Human, color);
            return exit::INVALID;
        }
    };
    let spec_dir = args.file.parent().unwrap_or(Path::new(""));
    let results_path = args.results.clone().unwrap_or_else(|| spec_dir.join(results::DEFAULT_PATH));
    let loaded = match results::Loaded::read(&results_path, &src.text) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    if loaded.status() == "stale" {
        eprintln!(
            "warning: {} is from another version of {}: test results are shown as not run; run `genmon test` again",
            loaded.path, src.name
        );
    }
    let user: Vec<UserTests> = user_test_files(spec_dir)
        .into_iter()
        .filter_map(|p| {
            Some(UserTests {
                file: p.file_name()?.to_string_lossy().into_owned(),
                text: std::fs::read_to_string(&p).ok()?,
            })
        })
        .collect();
    let Some(facts) = compiled.model.facts.as_ref() else {
        eprintln!(
            "error: the model was compiled without the facts the docs show\nhelp: this is a bug in genmon; please report it with the spec"
        );
        return exit::USAGE;
    };
    let catalog = docs::build(&compiled.model, facts, &src.name, &user, &loaded);
    match args.format {
        DocsFormat::Json => super::out_json(&catalog),
        DocsFormat::Html => {
            let pages = match docs::html::site(&catalog) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("error: cannot render the site: {e}");
                    return exit::USAGE;
                }
            };
            if let Err(e) = write_site(&args.out, &pages) {
                eprintln!("error: cannot write the site to {}: {e}", args.out.display());
                return exit::USAGE;
            }
            eprintln!(
                "{}: {} pages; open {}",
                args.out.display(),
                pages.len(),
                args.out.join("index.html").display()
            );
        }
    }
    let fails: Vec<_> = catalog.policy.iter().filter(|p| !p.holds).collect();
    for p in &fails {
        eprintln!("policy: {} {}: {}", p.check, p.subject, p.detail);
    }
    eprintln!(
        "{}: policy: {} hold, {} do not",
        src.name, catalog.summary.policy_holds, catalog.summary.policy_fails
    );
    if args.strict && !fails.is_empty() {
        exit::INVALID
    } else {
        exit::OK
    }
}

/// Write the site into a fresh directory beside `out`, then swap it in: a
/// reader sees the old site or the new one, and no stale page survives. A
/// non-empty `out` without the marker is not genmon's and is left alone.
fn write_site(out: &Path, pages: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let exists = match std::fs::symlink_metadata(out) {
        Ok(m) if m.is_dir() => {
            let empty = std::fs::read_dir(out)?.next().is_none();
            if !empty && !out.join(MARKER).is_file() {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    "the directory exists and was not written by `genmon docs`; choose another with -o or remove it",
                ));
            }
            true
        }
        Ok(_) => return Err(Error::new(ErrorKind::AlreadyExists, "exists and is not a directory")),
        Err(e) if e.kind() == ErrorKind::NotFound => false,
        Err(e) => return Err(e),
    };
    let fresh = tempfile::Builder::new().prefix(".genmon-docs-").tempdir_in(parent)?;
    for (name, bytes) in pages {
        std::fs::write(fresh.path().join(name), bytes)?;
    }
    std::fs::write(
        fresh.path().join(MARKER),
        "written by genmon docs; the whole directory is replaced on each run\n",
    )?;
    let fresh = fresh.keep();
    if exists {
        let old = tempfile::Builder::new().prefix(".genmon-docs-old-").tempdir_in(parent)?;
        let old = old.keep();
        std::fs::remove_dir(&old)?;
        std::fs::rename(out, &old)?;
        if let Err(e) = std::fs::rename(&fresh, out) {
            let _ = std::fs::rename(&old, out);
            let _ = std::fs::remove_dir_all(&fresh);
            return Err(e);
        }
        std::fs::remove_dir_all(&old)?;
    } else {
        std::fs::rename(&fresh, out)?;
    }
    // tempdir creates 0700; a site is for reading.
    set_mode(out, 0o755)
}

#[cfg(unix)]
fn set_mode(p: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}
