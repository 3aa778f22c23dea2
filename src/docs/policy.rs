//! The policy report: what every stack should hold, checked per subject.
//! Each policy has a stable code (used in `--format json` and `--strict`).

use serde::Serialize;

use super::{AlertDoc, SignalDoc};

/// Every policy: code, what holds when it passes.
pub const POLICIES: [(&str, &str); 5] = [
    ("critical-alert/runbook", "every critical alert links a runbook"),
    (
        "critical-alert/test",
        "every critical alert has a test (generated or yours), and none failed in the last genmon test",
    ),
    (
        "critical-alert/receiver",
        "every critical alert reaches a receiver that notifies someone (an integration, not only the Alertmanager UI)",
    ),
    ("slo/burn-tiers", "every SLO has both burn-rate tiers: a page and a ticket alert"),
    ("signal/used", "every signal is shown by a panel or watched by an alert"),
];

/// One policy applied to one subject.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyRow {
    /// Policy code, one of [`POLICIES`].
    pub check: &'static str,
    /// `alert`, `slo` or `signal`.
    pub subject_kind: &'static str,
    /// Alert, SLO or signal name.
    pub subject: String,
    pub holds: bool,
    /// Why it holds or not.
    pub detail: String,
    /// The subject's page and anchor in the site.
    pub href: String,
}

/// Per policy, how many subjects hold and fail.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyCheck {
    pub check: &'static str,
    pub description: &'static str,
    pub holds: usize,
    pub fails: usize,
}

/// Evaluate every policy.
pub fn evaluate(facts: &crate::model::facts::Facts, alerts: &[AlertDoc], signals: &[SignalDoc]) -> (Vec<PolicyRow>, Vec<PolicyCheck>) {
    let mut rows = Vec::new();
    for a in alerts.iter().filter(|a| a.severity == "critical") {
        let row = |check, holds, detail: String| PolicyRow {
            check,
            subject_kind: "alert",
            subject: a.name.clone(),
            holds,
            detail,
            href: a.page.clone(),
        };
        rows.push(if a.runbook_url.is_empty() {
            row(
                POLICIES[0].0,
                false,
                "no runbook_url: set `runbook_url` on the alert or `alerting.runbook_base_url`".into(),
            )
        } else {
            row(POLICIES[0].0, true, a.runbook_url.clone())
        });
        let failed = a.tests.iter().filter(|t| t.result == "fail").count();
        rows.push(match (a.tests.len(), failed) {
            (0, _) => row(
                POLICIES[1].0,
                false,
                "no test: genmon cannot generate one for this kind; add `tests:` to its rule group or a file under alerts/tests/".into(),
            ),
            (n, 0) => row(POLICIES[1].0, true, format!("{n} test case(s), status: {}", a.test_status)),
            (n, f) => row(
                POLICIES[1].0,
                false,
                format!("{f} of {n} test case(s) failed in the last `genmon test`"),
            ),
        });
        let notifying: Vec<String> = a.routes.iter().filter(|r| r.notifies()).map(|r| r.receiver.clone()).collect();
        rows.push(if a.routes.is_empty() {
            row(POLICIES[2].0, false, "reaches no receiver".into())
        } else if a.routes.iter().all(|r| r.notifies()) {
            row(POLICIES[2].0, true, format!("reaches {}", notifying.join(", ")))
        } else {
            let silent: Vec<String> = a.routes.iter().filter(|r| !r.notifies()).map(|r| r.receiver.clone()).collect();
            row(
                POLICIES[2].0,
                false,
                format!(
                    "reaches receiver `{}` that has no integration (add slack, pagerduty, email, opsgenie or webhook under `alertmanager.receivers`)",
                    silent.join("`, `")
                ),
            )
        });
    }
    for s in &facts.slos {
        let has = |role: &str| s.alerts.iter().any(|(_, _, r)| *r == role) && s.tiers.iter().any(|t| t.page == (role == "page"));
        let (page, ticket) = (has("page"), has("ticket"));
        rows.push(PolicyRow {
            check: POLICIES[3].0,
            subject_kind: "slo",
            subject: s.name.clone(),
            holds: page && ticket,
            detail: match (page, ticket) {
                (true, true) => "page and ticket tiers".into(),
                (false, true) => "no page tier".into(),
                (true, false) => "no ticket tier".into(),
                (false, false) => "no burn-rate tiers".into(),
            },
            href: format!("slos.html#slo-{}", super::slug(&s.name)),
        });
    }
    for s in signals {
        let used = !s.panels.is_empty() || !s.alerts.is_empty();
        rows.push(PolicyRow {
            check: POLICIES[4].0,
            subject_kind: "signal",
            subject: s.name.clone(),
            holds: used,
            detail: if used {
                format!("{} panel(s), {} alert(s)", s.panels.len(), s.alerts.len())
            } else {
                "no panel shows it and no alert watches it: show it on a dashboard or remove it".into()
            },
            href: format!("signals.html#{}", s.anchor),
        });
    }
    let summary = POLICIES
        .iter()
        .map(|&(check, description)| PolicyCheck {
            check,
            description,
            holds: rows.iter().filter(|r| r.check == check && r.holds).count(),
            fails: rows.iter().filter(|r| r.check == check && !r.holds).count(),
        })
        .collect();
    (rows, summary)
}
