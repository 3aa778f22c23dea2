//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod stack;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run the built `genmon` binary in `dir`.
pub fn genmon(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_genmon"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run genmon")
}

/// Render `spec` into a fresh temporary directory.
pub fn render(spec: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = genmon(
        &root(),
        &["render", "-f", spec.to_str().unwrap(), "-o", dir.path().to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "render {} failed:\n{}",
        spec.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// Path of a Debian tool, or a failure saying how to install it.
pub fn tool(name: &str, package: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!("`{name}` is not installed; the tests need the real tool: apt-get install {package}  (scripts/test does this)");
}

/// Every file under `dir` with extension `ext`, sorted.
pub fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The specs every output gate runs on.
pub fn specs() -> Vec<PathBuf> {
    vec![
        root().join("genmon.yaml"),
        root().join("tests/specs/full.yaml"),
        root().join("tests/specs/packs.yaml"),
    ]
}
