//! `labels/name`: label names genmon writes into Prometheus configs and
//! rules match `[a-zA-Z_][a-zA-Z0-9_]*` and do not start with the reserved
//! `__` (a newline in an external label name makes Prometheus refuse its
//! config). `alertmanager/receiver-name`: receiver names are non-empty,
//! single-line and unique (amtool refuses the config otherwise).

use std::collections::HashMap;

use super::{Check, Ctx};
use crate::diag::Diagnostic;

pub struct LabelNames;

const LABEL: &str = "labels/name";
const RECEIVER: &str = "alertmanager/receiver-name";

/// Whether `name` is a label name Prometheus accepts and does not reserve.
pub fn label_name_ok(name: &str) -> bool {
    let mut b = name.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && !name.starts_with("__")
}

impl Check for LabelNames {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (LABEL, "a label name is not [a-zA-Z_][a-zA-Z0-9_]* or is reserved (`__…`)"),
            (RECEIVER, "a receiver name is empty, multi-line or taken"),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        // The map's path is written out only for a name that fails.
        let mut check = |map_path: &dyn Fn() -> String, names: Vec<&String>| {
            for n in names {
                if !label_name_ok(n) {
                    out.push(
                        Diagnostic::error(LABEL, map_path(), format!("label name `{}` is not valid", n.escape_debug()))
                            .help("label names are letters, digits and `_`, not starting with a digit or `__`"),
                    );
                }
            }
        };
        let p = &cx.spec.prometheus;
        check(&|| "prometheus.external_labels".into(), p.external_labels.keys().collect());
        for (i, j) in p.scrape_jobs.iter().enumerate() {
            check(&|| format!("prometheus.scrape_jobs[{i}].labels"), j.labels.keys().collect());
        }
        for (gi, g) in cx.spec.rules.iter().enumerate() {
            for (ri, r) in g.recording.iter().enumerate() {
                check(&|| format!("rules[{gi}].recording[{ri}].labels"), r.labels.keys().collect());
            }
            for (ai, a) in g.alerts.iter().enumerate() {
                check(&|| format!("rules[{gi}].alerts[{ai}].labels"), a.labels.keys().collect());
                check(&|| format!("rules[{gi}].alerts[{ai}].annotations"), a.annotations.keys().collect());
            }
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, r) in cx.spec.alertmanager.receivers.iter().enumerate() {
            let path = format!("alertmanager.receivers[{i}].name");
            if r.name.trim().is_empty() || r.name.chars().any(char::is_control) {
                out.push(
                    Diagnostic::error(
                        RECEIVER,
                        path,
                        format!("receiver name `{}` is empty or holds control characters", r.name.escape_debug()),
                    )
                    .help("name receivers after who gets the page, e.g. `oncall-db`"),
                );
            } else if let Some(first) = seen.insert(&r.name, i) {
                out.push(
                    Diagnostic::error(
                        RECEIVER,
                        path,
                        format!("receiver `{}` is already defined by receivers[{first}]", r.name),
                    )
                    .help("give each receiver its own name"),
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
    fn flags_bad_label_and_receiver_names() {
        let y = "version: 1\nprometheus: {external_labels: {\"a\\nb\": x, ok: y, __x: z}}\nalertmanager:\n  route: {receiver: r}\n  receivers: [{name: ''}, {name: r}, {name: r}]\n";
        assert_eq!(
            problems(&LabelNames, y),
            [
                "labels/name@prometheus.external_labels",
                "labels/name@prometheus.external_labels",
                "alertmanager/receiver-name@alertmanager.receivers[0].name",
                "alertmanager/receiver-name@alertmanager.receivers[2].name"
            ]
        );
        assert!(problems(&LabelNames, "version: 1\n").is_empty());
    }
}
