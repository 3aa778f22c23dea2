//! The binary's own flags, run as a user runs them. (The exporter's behaviour
//! is tested from the workspace root, `tests/exporter_*.rs`, beside genmon's.)

use std::process::Command;

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_genmon-exporter"))
        .args(args)
        .output()
        .expect("run genmon-exporter");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One release with genmon: the workspace's version, not a crate's own.
#[test]
fn version_is_the_workspace_release() {
    let (ok, out, err) = run(&["--version"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), format!("genmon-exporter {}", env!("CARGO_PKG_VERSION")));
    assert_eq!(genmon_exporter::framework::VERSION, env!("CARGO_PKG_VERSION"));
}

/// Loopback unless told otherwise, and node_exporter's flag names.
#[test]
fn help_shows_the_secure_default_address() {
    let (ok, out, err) = run(&["--help"]);
    assert!(ok, "{err}");
    assert!(out.contains("--web.listen-address"), "{out}");
    assert!(out.contains("127.0.0.1:9184"), "{out}");
}

/// A flag it does not know is a usage error (exit 2) naming the flag.
#[test]
fn an_unknown_flag_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_genmon-exporter"))
        .arg("--web.listen-adress=127.0.0.1:0")
        .output()
        .expect("run genmon-exporter");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--web.listen-adress"), "{out:?}");
}
