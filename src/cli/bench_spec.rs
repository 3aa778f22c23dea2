//! A generated spec for the render benchmark, the same work as the Python
//! baselines: N dashboards × M timeseries panels (one rate query each, an
//! `instance` query variable), plus R alert rules in groups of 20.

use std::fmt::Write;

/// Build the spec text.
pub fn generate(dashboards: usize, panels: usize, rules: usize) -> String {
    let mut s = String::from(
        "version: 1\nmetrics:\n  external: ['genmon_metric_*']\nalerting:\n  runbook_base_url: https://runbooks.example.com/\n",
    );
    s.push_str("dashboards:\n");
    for d in 0..dashboards {
        let _ = write!(
            s,
            "- uid: bench-{d}\n  title: Bench dashboard {d}\n  variables:\n  - {{type: query, name: instance, query: 'label_values(up, instance)', multi: true, include_all: true}}\n  panels:\n"
        );
        for p in 0..panels {
            let _ = writeln!(
                s,
                "  - {{title: 'Panel {p}', unit: reqps, width: 12, height: 8, queries: [{{expr: 'rate(genmon_metric_{p}_total{{instance=~\"$instance\"}}[$__rate_interval])', legend: '{{{{instance}}}}'}}]}}"
            );
        }
    }
    s.push_str("rules:\n");
    for g in 0..rules.div_ceil(20) {
        let _ = write!(s, "- name: bench-{g}\n  alerts:\n");
        for r in (g * 20)..((g + 1) * 20).min(rules) {
            let _ = writeln!(
                s,
                "  - {{name: BenchAlert{r}, expr: 'rate(genmon_metric_{}_total[5m]) > 100', for: 5m, severity: warning, summary: 'Bench {r} is high', description: 'Rate above 100/s.'}}",
                r % 20
            );
        }
    }
    s
}
