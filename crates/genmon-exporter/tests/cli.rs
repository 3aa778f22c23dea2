//! The binary's own flags, run as a user runs them. (The exporter's behaviour
//! is tested from the workspace root, `tests/exporter_*.rs`, beside genmon's.)

use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_genmon-exporter"))
        .args(args)
        .output()
        .expect("run genmon-exporter")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One release with genmon: the workspace's version, not a crate's own.
#[test]
fn version_is_the_workspace_release() {
    let out = run(&["--version"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout).trim(), format!("genmon-exporter {}", env!("CARGO_PKG_VERSION")));
    assert_eq!(genmon_exporter::framework::VERSION, env!("CARGO_PKG_VERSION"));
}

/// Loopback unless told otherwise, and node_exporter's flag names.
#[test]
fn help_shows_the_secure_default_address() {
    let out = run(&["--help"]);
    assert!(out.status.success(), "{out:?}");
    let help = text(&out.stdout);
    assert!(help.contains("--web.listen-address"), "{help}");
    assert!(help.contains("127.0.0.1:9184"), "{help}");
}

/// A flag it does not know is a usage error (exit 2) naming the flag.
#[test]
fn an_unknown_flag_is_a_usage_error() {
    let out = run(&["--web.listen-adress=127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(text(&out.stderr).contains("--web.listen-adress"), "{out:?}");
}
