//! `exporter/config`: the `exporter:` section is what genmon-exporter will
//! accept (regexes compile, durations parse, probes speak HTTP, names are
//! unique), so that `check` and the exporter agree before anything starts.

use super::{Check, Ctx};
use crate::diag::Diagnostic;

pub struct ExporterConfig;

const CODE: &str = "exporter/config";

impl Check for ExporterConfig {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[(CODE, "the exporter section has a value genmon-exporter refuses")]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        cx.spec
            .exporter
            .problems()
            .into_iter()
            .map(|p| Diagnostic::error(CODE, p.path, p.message).help(p.help))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn flags_what_the_exporter_refuses() {
        let bad = "version: 1\nexporter:\n  network: {exclude_devices: ['veth(']}\n  probes: [{name: a, url: 'ftp://x'}]\n";
        assert_eq!(
            problems(&ExporterConfig, bad),
            vec![
                "exporter/config@exporter.network.exclude_devices[0]",
                "exporter/config@exporter.probes[0].url"
            ]
        );
        assert!(problems(&ExporterConfig, "version: 1\n").is_empty());
    }
}
