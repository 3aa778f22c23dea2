//! `rules/group-size`: at most 20 rules per group (groups evaluate
//! sequentially; big ones fall behind); `rules/duplicate-group`; `rules/group-name`.

use std::collections::HashMap;

use super::{Check, Ctx};
use crate::diag::Diagnostic;

pub struct RuleGroups;

const SIZE: &str = "rules/group-size";
const DUP: &str = "rules/duplicate-group";
const NAME: &str = "rules/group-name";
/// Most rules a group may hold.
pub const MAX_RULES: usize = 20;

impl Check for RuleGroups {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (SIZE, "a rule group holds more than 20 rules"),
            (DUP, "two rule groups share a name"),
            (NAME, "a rule group name is not a safe file name"),
        ]
    }

    fn reads_model(&self) -> bool {
        true
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        // Generated rules count too: recorded signals, derived recordings, SLO groups.
        let model = cx.model();
        for g in &model.groups {
            let spec_group = cx.spec.rules.iter().position(|s| s.name == g.name);
            let n = g.rules.len();
            let own = spec_group
                .map(|gi| cx.spec.rules[gi].alerts.len() + cx.spec.rules[gi].recording.len())
                .unwrap_or(0);
            if n > MAX_RULES && own <= MAX_RULES {
                let at = spec_group
                    .map(|gi| format!("rules[{gi}].name"))
                    .unwrap_or_else(|| "rules".to_string());
                out.push(
                    Diagnostic::error(
                        SIZE,
                        at,
                        format!(
                            "group `{}` holds {n} rules with the ones genmon generates; at most {MAX_RULES} keep evaluation on time",
                            g.name
                        ),
                    )
                    .help(
                        "move some alerts to another group (each watched signal and anomaly/regression/health kind adds recording rules)",
                    ),
                );
            }
        }
        // SLO groups are generated: a spec group of the same name clashes.
        for (gi, g) in cx.spec.rules.iter().enumerate() {
            for a in &g.alerts {
                let Some(s) = a.slo() else { continue };
                let generated = crate::model::kinds::slo_group(&crate::model::kinds::slo_name(a, s));
                if let Some(hi) = cx.spec.rules.iter().position(|r| r.name == generated) {
                    out.push(
                        Diagnostic::error(
                            DUP,
                            format!("rules[{hi}].name"),
                            format!(
                                "group `{generated}` clashes with the group genmon generates for the SLO of alert `{}` (rules[{gi}])",
                                a.name
                            ),
                        )
                        .help("rename the group or the SLO (`slo.name`)"),
                    );
                }
            }
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (gi, g) in cx.spec.rules.iter().enumerate() {
            let n = g.alerts.len() + g.recording.len();
            if n > MAX_RULES {
                out.push(
                    Diagnostic::error(
                        SIZE,
                        format!("rules[{gi}].name"),
                        format!("group `{}` has {n} rules; at most {MAX_RULES} keep evaluation on time", g.name),
                    )
                    .help("split it into groups by subsystem"),
                );
            }
            if let Some(first) = seen.insert(&g.name, gi) {
                out.push(
                    Diagnostic::error(
                        DUP,
                        format!("rules[{gi}].name"),
                        format!("group `{}` is already defined by rules[{first}]", g.name),
                    )
                    .help("rename one group or merge them"),
                );
            }
            if g.name.is_empty()
                || !g.name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                || g.name.starts_with('.')
            {
                out.push(
                    Diagnostic::error(
                        NAME,
                        format!("rules[{gi}].name"),
                        format!("group name `{}` is not a safe file name", g.name),
                    )
                    .help("use letters, digits, `-`, `_` and `.`"),
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
    fn flags_big_duplicate_and_bad_groups() {
        let rules: String = (0..21).map(|i| format!("{{record: 'a:b{i}:c', expr: up}},")).collect();
        let bad = format!("version: 1\nrules:\n- name: g\n  recording: [{rules}]\n- name: g\n- name: 'a/b'\n");
        assert_eq!(
            problems(&RuleGroups, &bad),
            vec![
                "rules/group-size@rules[0].name",
                "rules/duplicate-group@rules[1].name",
                "rules/group-name@rules[2].name"
            ]
        );
    }

    #[test]
    fn accepts_small_unique_groups() {
        assert!(problems(&RuleGroups, "version: 1\nrules: [{name: host}, {name: probes}]\n").is_empty());
    }

    #[test]
    fn counts_generated_rules_and_slo_groups() {
        // 11 threshold alerts on 11 signals: 11 recorded signals + 11 alerts = 22.
        let sigs: String = (0..11).map(|i| format!("s{i}: {{expr: up}}, ")).collect();
        let alerts: String = (0..11)
            .map(|i| format!("{{name: A{i}, threshold: {{signal: s{i}, op: '>', value: 1}}}}, "))
            .collect();
        let bad = format!(
            "version: 1\nsignals: {{{sigs}}}\nrules:\n- name: g\n  alerts: [{alerts}]\n- name: slo-x\n- name: h\n  alerts: [{{name: X, slo: {{objective: 99, bad: up, total: up}}}}]\n"
        );
        assert_eq!(
            problems(&RuleGroups, &bad),
            vec!["rules/group-size@rules[0].name", "rules/duplicate-group@rules[1].name"]
        );
        let good = "version: 1\nsignals: {s: {expr: up}}\nrules:\n- name: g\n  alerts: [{name: A, anomaly: {signal: s}}, {name: X, slo: {objective: 99, bad: up, total: up}}]\n";
        assert!(problems(&RuleGroups, good).is_empty());
    }
}
