//! `rules/record-name`: recording rules are named `level:metric:operations`.

use super::{Check, Ctx};
use crate::diag::Diagnostic;

pub struct RecordName;

const CODE: &str = "rules/record-name";

fn ok(name: &str) -> bool {
    let parts: Vec<&str> = name.split(':').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        && parts[0].chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
}

impl Check for RecordName {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[(CODE, "a recording rule is not named level:metric:operations")]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (gi, g) in cx.spec.rules.iter().enumerate() {
            for (ri, r) in g.recording.iter().enumerate() {
                if !ok(&r.record) {
                    out.push(
                        Diagnostic::error(
                            CODE,
                            format!("rules[{gi}].recording[{ri}].record"),
                            format!("recording rule `{}` is not named level:metric:operations", r.record),
                        )
                        .help("e.g. `instance:genmon_cpu_seconds:rate5m` (aggregation labels : metric : operations)"),
                    );
                }
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
    fn flags_bad_names() {
        let bad = "version: 1\nrules:\n- name: g\n  recording: [{record: cpu_rate, expr: up}, {record: 'a::b', expr: up}]\n";
        assert_eq!(
            problems(&RecordName, bad),
            vec![
                "rules/record-name@rules[0].recording[0].record",
                "rules/record-name@rules[0].recording[1].record"
            ]
        );
    }

    #[test]
    fn accepts_level_metric_operations() {
        assert!(
            problems(
                &RecordName,
                "version: 1\nrules:\n- name: g\n  recording: [{record: 'instance:cpu:rate5m', expr: up}]\n"
            )
            .is_empty()
        );
    }
}
