//! A generated spec for the render benchmark, the same work as the Python
//! baselines: N dashboards × M timeseries panels (one rate query each, an
//! `instance` query variable), plus R threshold alerts in groups of 10.

use std::fmt::Write;

/// Build the spec text. Each panel shows one of `panels` signals (a rate
/// query per metric); each alert is a threshold alert on one of them, so
/// every alert links to a panel and gets a generated promtool test.
pub fn generate(dashboards: usize, panels: usize, rules: usize) -> String {
    let mut s = String::from(
        "version: 1\nmetrics:\n  external: ['genmon_metric_*']\nalerting:\n  runbook_base_url: https://runbooks.example.com/\n",
    );
    s.push_str("signals:\n");
    for p in 0..panels.max(1) {
        let _ = writeln!(
            s,
            "  m{p}: {{title: 'Panel {p}', expr: 'rate(genmon_metric_{p}_total{{instance=~\"$instance\"}}[$__rate_interval])', legend: '{{{{instance}}}}', unit: reqps}}"
        );
    }
    s.push_str("dashboards:\n");
    for d in 0..dashboards {
        let _ = write!(
            s,
            "- uid: bench-{d}\n  title: Bench dashboard {d}\n  variables:\n  - {{type: query, name: instance, query: 'label_values(up, instance)', multi: true, include_all: true}}\n  panels:\n"
        );
        for p in 0..panels {
            let _ = writeln!(s, "  - {{signal: m{p}, width: 12, height: 8}}");
        }
    }
    s.push_str("rules:\n");
    for g in 0..rules.div_ceil(10) {
        let _ = write!(s, "- name: bench-{g}\n  alerts:\n");
        for r in (g * 10)..((g + 1) * 10).min(rules) {
            let _ = writeln!(
                s,
                "  - {{name: BenchAlert{r}, threshold: {{signal: m{}, op: '>', value: 100}}, for: 5m, severity: warning}}",
                r % panels.max(1)
            );
        }
    }
    s
}
