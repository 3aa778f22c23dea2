//! `promql/unknown-metric`: every metric an expression selects is exported by
//! genmon-exporter or an exporter with a bundled catalog (node_exporter,
//! blackbox_exporter, process-exporter, Prometheus, Alertmanager), recorded by
//! a rule of the spec, built into Prometheus, or declared under `metrics.external`.

use super::{Check, Ctx};
use crate::diag::Diagnostic;

pub struct PromqlMetric;

const CODE: &str = "promql/unknown-metric";

/// Series Prometheus itself writes for every target and alert.
const BUILTIN: &[&str] = &[
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
    "ALERTS",
    "ALERTS_FOR_STATE",
];

/// `name` matches an entry of `metrics.external`: the name itself, a
/// `prefix*`, or a histogram's or summary's base name, which stands for its
/// `_bucket`, `_sum` and `_count` series.
fn matches_pattern(pattern: &str, name: &str) -> bool {
    let base = ["_bucket", "_sum", "_count"].iter().find_map(|s| name.strip_suffix(s));
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name || base == Some(pattern),
    }
}

impl Check for PromqlMetric {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[(CODE, "an expression uses a metric nobody exports")]
    }

    fn reads_model(&self) -> bool {
        true
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let recorded = cx.recorded();
        let known = |n: &str| {
            crate::catalog::lookup(n).is_some()
                || BUILTIN.contains(&n)
                || recorded.contains(&n)
                || cx.spec.metrics.external.iter().any(|p| matches_pattern(p, n))
        };
        let mut out = Vec::new();
        for e in &cx.exprs {
            let Ok(ast) = &e.ast else { continue };
            for name in crate::promql::metric_names(ast) {
                if known(&name) {
                    continue;
                }
                let best = crate::catalog::all()
                    .map(|m| m.name)
                    .chain(recorded.iter().copied())
                    .min_by_key(|k| strsim::levenshtein(k, &name))
                    .filter(|k| strsim::levenshtein(k, &name) <= 3);
                let help = match best {
                    Some(b) => format!("did you mean `{b}`? If another exporter provides `{name}`, list it under `metrics.external`"),
                    None => format!("no exporter of this stack exports `{name}`: if another one does, list it under `metrics.external`"),
                };
                out.push(
                    Diagnostic::error(
                        CODE,
                        e.path.to_string(),
                        format!("metric `{name}` is not exported by anything this spec knows"),
                    )
                    .help(help),
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn a_histogram_base_name_covers_its_series() {
        let spec = "version: 1\nmetrics: {external: [http_request_duration_seconds]}\nsignals:\n  p99: {expr: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))'}\n  avg: {expr: 'rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m])'}\n  other: {expr: 'http_request_duration_seconds_total'}\n";
        assert_eq!(problems(&PromqlMetric, spec), vec!["promql/unknown-metric@signals.other.expr"]);
    }

    #[test]
    fn flags_unknown_metrics() {
        let bad = "version: 1\nsignals: {a: {expr: 'genmon_load_1 + nginx_requests_total'}}\n";
        assert_eq!(
            problems(&PromqlMetric, bad),
            vec!["promql/unknown-metric@signals.a.expr", "promql/unknown-metric@signals.a.expr"]
        );
    }

    #[test]
    fn accepts_catalog_recorded_builtin_and_external() {
        let good = "version: 1\nmetrics: {external: ['nginx_*']}\nsignals: {a: {expr: 'node_load1 + nginx_requests_total + up + instance:x:rate5m'}}\nrules:\n- name: g\n  recording: [{record: 'instance:x:rate5m', expr: 'genmon_probe_phase_duration_seconds_bucket'}]\n";
        assert!(problems(&PromqlMetric, good).is_empty());
    }

    #[test]
    fn accepts_names_recorded_by_alert_kinds() {
        let good = "version: 1\nsignals: {s: {expr: node_load1}}\ndashboards: [{uid: d, title: D, panels: [{queries: [{expr: 'signal:s:value + instance:h:score + slo:sli_error:ratio_rate1h'}]}]}]\nrules:\n- name: g\n  alerts:\n  - {name: A, threshold: {signal: s, op: '>', value: 1}}\n  - {name: H, health: {name: h, components: [{signal: s, bad: 1}]}}\n  - {name: S, slo: {objective: 99, bad: probe_success, total: probe_success}}\n";
        assert!(problems(&PromqlMetric, good).is_empty());
        let bad = "version: 1\nsignals: {s: {expr: node_load1}}\ndashboards: [{uid: d, title: D, panels: [{queries: [{expr: 'signal:other:value'}]}]}]\n";
        assert_eq!(
            problems(&PromqlMetric, bad),
            vec!["promql/unknown-metric@dashboards[0].panels[0].queries[0].expr"]
        );
    }
}
