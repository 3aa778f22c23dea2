//! `selinux`: SELinux status (node_exporter's `selinux`).

use super::{Collector, ScrapeContext, sys_attr};
use crate::Paths;
use crate::metric::Family;

/// The selinux collector.
pub struct Selinux {
    paths: Paths,
}

impl Selinux {
    /// A collector reading `<sysfs>/fs/selinux` and `<rootfs>/etc/selinux/config`.
    pub fn new(paths: &Paths) -> Self {
        Selinux { paths: paths.clone() }
    }
}

/// SELinux mode as node_exporter numbers it.
fn mode(s: &str) -> f64 {
    match s {
        "enforcing" | "1" => 1.0,
        "permissive" | "0" => 0.0,
        _ => -1.0,
    }
}

impl Collector for Selinux {
    fn name(&self) -> &'static str {
        "selinux"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let Some(enforce) = sys_attr(&self.paths.sys("fs/selinux/enforce")) else {
            return Ok(vec![Family::gauge1(
                "node_selinux_enabled",
                "SELinux is enabled, 1 is true, 0 is false",
                0.0,
            )]);
        };
        let config = std::fs::read_to_string(self.paths.rootfs.join("etc/selinux/config")).unwrap_or_default();
        let configured = config
            .lines()
            .find_map(|l| l.trim().strip_prefix("SELINUX="))
            .unwrap_or("disabled")
            .trim();
        Ok(vec![
            Family::gauge1("node_selinux_enabled", "SELinux is enabled, 1 is true, 0 is false", 1.0),
            Family::gauge1("node_selinux_config_mode", "Configured SELinux enforcement mode", mode(configured)),
            Family::gauge1("node_selinux_current_mode", "Current SELinux enforcement mode", mode(&enforce)),
        ])
    }
}
