//! `alerts/name`: alert names are CamelCase; `alerts/duplicate`: unique in a group.

use std::collections::HashMap;

use super::{Check, Ctx};
use crate::diag::Diagnostic;

pub struct AlertName;

const NAME: &str = "alerts/name";
const DUP: &str = "alerts/duplicate";

/// `HostDiskFull`: starts upper-case, letters and digits only.
pub fn is_camel(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && name.chars().all(|c| c.is_ascii_alphanumeric())
}

fn camel(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            cs.next()
                .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                .unwrap_or_default()
        })
        .collect()
}

impl Check for AlertName {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (NAME, "an alert name is not CamelCase"),
            (DUP, "two alerts of a group share a name"),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (gi, g) in cx.spec.rules.iter().enumerate() {
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for (ai, a) in g.alerts.iter().enumerate() {
                let path = super::AlertAt(gi, ai);
                if !is_camel(&a.name) {
                    out.push(
                        Diagnostic::error(NAME, format!("{path}.name"), format!("alert name `{}` is not CamelCase", a.name))
                            .help(format!("rename it `{}`", camel(&a.name))),
                    );
                }
                if let Some(first) = seen.insert(&a.name, ai) {
                    out.push(
                        Diagnostic::error(
                            DUP,
                            format!("{path}.name"),
                            format!("alert `{}` is already defined by alerts[{first}] of this group", a.name),
                        )
                        .help("give each alert of a group its own name"),
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
    fn flags_bad_and_duplicate_names() {
        let bad = "version: 1\nrules:\n- name: g\n  alerts: [{name: host_down, expr: up}, {name: HostDown, expr: up}, {name: HostDown, expr: up}]\n";
        assert_eq!(
            problems(&AlertName, bad),
            vec!["alerts/name@rules[0].alerts[0].name", "alerts/duplicate@rules[0].alerts[2].name"]
        );
        assert_eq!(camel("host_down"), "HostDown");
    }

    #[test]
    fn accepts_camel_case() {
        assert!(
            problems(
                &AlertName,
                "version: 1\nrules:\n- name: g\n  alerts: [{name: HostDown2, expr: up}]\n"
            )
            .is_empty()
        );
    }
}
