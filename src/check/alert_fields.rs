//! `alerts/severity`, `alerts/summary`, `alerts/description`, `alerts/runbook`:
//! what the person paged at 3 a.m. needs on every alert.

use super::{Check, Ctx};
use crate::diag::Diagnostic;

pub struct AlertFields;

const SEVERITY: &str = "alerts/severity";
const SUMMARY: &str = "alerts/summary";
const DESCRIPTION: &str = "alerts/description";
const RUNBOOK: &str = "alerts/runbook";

impl Check for AlertFields {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (SEVERITY, "an alert has no severity (critical, warning or info)"),
            (SUMMARY, "a raw-expression alert has no summary"),
            (DESCRIPTION, "a raw-expression alert has no description"),
            (RUNBOOK, "an alert has no runbook_url and no alerting.runbook_base_url applies"),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (gi, g) in cx.spec.rules.iter().enumerate() {
            for (ai, a) in g.alerts.iter().enumerate() {
                let path = super::AlertAt(gi, ai);
                // SLOs default to critical (fast burn) and warning (slow burn).
                if a.severity.is_none() && !a.labels.contains_key("severity") && a.slo().is_none() {
                    out.push(
                        Diagnostic::error(SEVERITY, format!("{path}.name"), format!("alert `{}` has no severity", a.name))
                            .help("add `severity: critical` (pages), `warning` (ticket) or `info`"),
                    );
                }
                if let Some(s) = a.labels.get("severity")
                    && !matches!(s.as_str(), "critical" | "warning" | "info")
                {
                    out.push(
                        Diagnostic::error(
                            SEVERITY,
                            format!("{path}.labels.severity"),
                            format!("severity `{s}` is not critical, warning or info"),
                        )
                        .help("use the `severity:` field"),
                    );
                }
                // Generated kinds write their own summary and description; raw expressions cannot.
                let raw = a.expr().is_some();
                if raw && a.summary.is_none() && !a.annotations.contains_key("summary") {
                    out.push(
                        Diagnostic::error(SUMMARY, format!("{path}.name"), format!("alert `{}` has no summary", a.name))
                            .help("add `summary:` — one line saying what is wrong, e.g. `Disk on {{ $labels.instance }} is almost full`"),
                    );
                }
                if raw && a.description.is_none() && !a.annotations.contains_key("description") {
                    out.push(
                        Diagnostic::error(
                            DESCRIPTION,
                            format!("{path}.name"),
                            format!("alert `{}` has no description", a.name),
                        )
                        .help("add `description:` — what it means and what to check first"),
                    );
                }
                if a.runbook_url.is_none() && !a.annotations.contains_key("runbook_url") && cx.spec.alerting.runbook_base_url.is_none() {
                    out.push(
                        Diagnostic::error(RUNBOOK, format!("{path}.name"), format!("alert `{}` has no runbook", a.name))
                            .help("add `runbook_url:` or set `alerting.runbook_base_url` for all alerts"),
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
    fn flags_missing_fields() {
        let bad = "version: 1\nrules:\n- name: g\n  alerts:\n  - {name: A, expr: up == 0}\n  - {name: B, expr: up == 0, labels: {severity: page}, summary: s, description: d, runbook_url: u}\n";
        assert_eq!(
            problems(&AlertFields, bad),
            vec![
                "alerts/severity@rules[0].alerts[0].name",
                "alerts/summary@rules[0].alerts[0].name",
                "alerts/description@rules[0].alerts[0].name",
                "alerts/runbook@rules[0].alerts[0].name",
                "alerts/severity@rules[0].alerts[1].labels.severity"
            ]
        );
    }

    #[test]
    fn accepts_complete_alerts() {
        let good = "version: 1\nalerting: {runbook_base_url: 'https://r/'}\nrules:\n- name: g\n  alerts:\n  - {name: A, expr: up == 0, severity: critical, summary: s, description: d}\n  - {name: B, absent: {job: x}, severity: warning}\n";
        assert!(problems(&AlertFields, good).is_empty());
    }
}
