//! Finding the programs of the stack, and saying how to install them.

use std::path::{Path, PathBuf};

/// A program the stack runs.
#[derive(Debug, Clone, Copy)]
pub struct Program {
    /// Candidate executable names, in order.
    pub names: &'static [&'static str],
    /// How to install it (shown when it is missing).
    pub install: &'static str,
}

/// genmon-exporter: built with genmon (the workspace builds both).
pub const EXPORTER: Program = Program {
    names: &["genmon-exporter"],
    install: "cargo build --release --locked (it is built beside genmon), or cargo install --locked --path crates/genmon-exporter, or put genmon-exporter on PATH",
};
/// Prometheus (Debian package `prometheus`).
pub const PROMETHEUS: Program = Program {
    names: &["prometheus"],
    install: "apt-get install prometheus prometheus-alertmanager",
};
/// Alertmanager (Debian names it `prometheus-alertmanager`).
pub const ALERTMANAGER: Program = Program {
    names: &["prometheus-alertmanager", "alertmanager"],
    install: "apt-get install prometheus prometheus-alertmanager",
};
/// VictoriaMetrics single-node, vmagent and vmalert (Debian package `victoria-metrics`).
pub const VICTORIA_METRICS: Program = Program {
    names: &["victoria-metrics", "victoria-metrics-prod"],
    install: "apt-get install victoria-metrics",
};
pub const VMAGENT: Program = Program {
    names: &["vmagent", "vmagent-prod"],
    install: "apt-get install victoria-metrics",
};
pub const VMALERT: Program = Program {
    names: &["vmalert", "vmalert-prod"],
    install: "apt-get install victoria-metrics",
};
/// Grafana (optional for `genmon up`).
pub const GRAFANA: Program = Program {
    names: &["grafana-server", "grafana"],
    install: "install Grafana from https://apt.grafana.com (apt-get install grafana)",
};

fn executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Look `name` up on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| executable(p))
}

/// Find a program: next to the running executable first (cargo's target dir,
/// an installed bundle), then on PATH.
pub fn find(p: &Program) -> Option<PathBuf> {
    let beside = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf));
    for name in p.names {
        if let Some(dir) = &beside {
            let c = dir.join(name);
            if executable(&c) {
                return Some(c);
            }
        }
    }
    p.names.iter().find_map(|n| on_path(n))
}
