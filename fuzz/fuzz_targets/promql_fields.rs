//! Fuzz every path PromQL-bearing spec fields take: the size/depth guard,
//! variable substitution, parsing, metric and window extraction, the rule
//! form, and the whole pipeline with the text as a signal's expression and an
//! alert's summary template. Must return, never panic or overflow the stack.
#![no_main]

use genmon::model::Profile;
use genmon::spec::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(expr) = std::str::from_utf8(data) else { return };
    let _ = genmon::promql::shape_problem(expr);
    let _ = genmon::promql::substitute_vars(expr);
    let _ = genmon::promql::variables(expr);
    if let Ok(ast) = genmon::promql::parse(expr) {
        let _ = genmon::promql::metric_names(&ast);
        let _ = genmon::promql::rate_windows(&ast);
        let _ = genmon::promql::for_rule(expr, "5m");
    }
    // The same text through the spec: as a signal, a panel query and a template.
    let quoted = serde_json::to_string(expr).unwrap_or_default();
    let text = format!(
        "version: 1\nsignals:\n  s: {{expr: {quoted}, title: S}}\ndashboards:\n- {{uid: a, title: A, panels: [{{signal: s}}, {{queries: [{{expr: {quoted}}}]}}]}}\nrules:\n- name: g\n  alerts:\n  - {{name: A, expr: {quoted}, severity: info, summary: {quoted}, description: d, runbook_url: 'https://r.example.com/', panel: a/S}}\n"
    );
    let src = Source { name: "fuzz.yaml".into(), text };
    match genmon::pipeline::compile(&src, Profile::Compose, false) {
        Ok(c) => drop(genmon::diag::report(&src, &c.warnings, false)),
        Err(d) => drop(genmon::diag::report(&src, &d, false)),
    }
});
