//! Which receivers an alert reaches: Alertmanager's own dispatch over the
//! route tree genmon renders (`provisioning/alertmanager/alertmanager.yml`).
//! A route matches when all its matchers match; its children are tried in
//! order, and the first that matches ends the search unless it has
//! `continue: true`; a route handles the alert itself only when no child
//! matched. A receiver is inherited from the parent route.
//!
//! Only an alert's own labels (and `alertname`) are known before it fires; a
//! matcher on any other label (`instance`, from the expression's result) may
//! or may not match, so such a branch is reported as conditional, and so is
//! the fall-through past it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::check::alertmanager_routes::parse_matcher;
use crate::spec::{Alertmanager, Receiver, Route};

/// One receiver an alert reaches.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Reach {
    pub receiver: String,
    /// Routes from the root, as `route` / `routes[1]` / `routes[1].routes[0]`.
    pub route: String,
    /// Matchers on labels only known when the alert fires, that decide this
    /// branch; empty when the alert always takes it.
    pub only_if: Vec<String>,
    /// Integrations of the receiver (`slack`, `pagerduty`, …); empty means
    /// the alert shows in Alertmanager's UI and notifies nobody.
    pub integrations: Vec<String>,
}

impl Reach {
    /// Whether a person is told.
    pub fn notifies(&self) -> bool {
        !self.integrations.is_empty()
    }
}

/// Whether a route's matchers match labels; `Err(label)` when they depend on a label not known yet.
fn matches(r: &Route, labels: &BTreeMap<String, String>) -> Result<bool, Vec<String>> {
    let mut unknown = Vec::new();
    for m in &r.matchers {
        let Some((name, op, value)) = parse_matcher(m) else {
            return Ok(false);
        };
        let Some(have) = labels.get(&name) else {
            unknown.push(m.trim().to_string());
            continue;
        };
        let ok = match op.as_str() {
            "=" => *have == value,
            "!=" => *have != value,
            re => {
                let full = regex::Regex::new(&format!("^(?:{value})$")).is_ok_and(|x| x.is_match(have));
                if re == "=~" { full } else { !full }
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    if unknown.is_empty() { Ok(true) } else { Err(unknown) }
}

fn walk(
    r: &Route,
    path: String,
    inherited: &str,
    labels: &BTreeMap<String, String>,
    cond: &[String],
    out: &mut Vec<(String, String, Vec<String>)>,
) {
    let receiver = r.receiver.as_deref().unwrap_or(inherited);
    let mut cond = cond.to_vec();
    let mut any = false;
    for (i, child) in r.routes.iter().enumerate() {
        let sub = format!("{path}.routes[{i}]");
        match matches(child, labels) {
            Ok(false) => {}
            Ok(true) => {
                walk(child, sub, receiver, labels, &cond, out);
                any = true;
                if !child.continue_ {
                    return;
                }
            }
            Err(unknown) => {
                let mut c = cond.clone();
                c.extend(unknown.iter().cloned());
                walk(child, sub, receiver, labels, &c, out);
                if !child.continue_ {
                    // Past this child only when it did not match.
                    cond.extend(unknown.iter().map(|m| format!("not {m}")));
                }
            }
        }
    }
    if !any {
        out.push((receiver.to_string(), path, cond));
    }
}

/// The receivers an alert with `labels` reaches (`alertname` included by the caller).
pub fn route(am: &Alertmanager, labels: &BTreeMap<String, String>) -> Vec<Reach> {
    let mut found = Vec::new();
    let root = am.route.receiver.as_deref().unwrap_or_default();
    walk(&am.route, "route".into(), root, labels, &[], &mut found);
    found
        .into_iter()
        .map(|(receiver, route, only_if)| Reach {
            integrations: am
                .receivers
                .iter()
                .find(|r| r.name == receiver)
                .map(integrations)
                .unwrap_or_default(),
            receiver,
            route,
            only_if,
        })
        .collect()
}

/// A receiver's integrations, one entry per configured notifier.
fn integrations(r: &Receiver) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, n) in [
        ("webhook", r.webhook.len()),
        ("email", r.email.len()),
        ("slack", r.slack.len()),
        ("pagerduty", r.pagerduty.len()),
        ("opsgenie", r.opsgenie.len()),
    ] {
        out.extend(std::iter::repeat_n(kind.to_string(), n));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn am(yaml: &str) -> Alertmanager {
        serde_yaml_ng::from_str(yaml).expect("alertmanager section")
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const TREE: &str = "route:\n  receiver: default\n  routes:\n    - matchers: ['severity=\"critical\"']\n      receiver: pager\n    - matchers: ['team=~\"db|web\"']\n      receiver: teams\n      continue: true\n    - matchers: ['instance=\"a\"']\n      receiver: host-a\nreceivers:\n  - name: default\n  - name: pager\n    pagerduty: [{routing_key_file: /run/secrets/pd}]\n  - name: teams\n    slack: [{api_url_file: /run/secrets/slack, channel: '#t'}]\n  - name: host-a\n";

    #[test]
    fn first_matching_child_wins() {
        let r = route(&am(TREE), &labels(&[("alertname", "X"), ("severity", "critical"), ("team", "db")]));
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!((r[0].receiver.as_str(), r[0].route.as_str()), ("pager", "route.routes[0]"));
        assert_eq!(r[0].integrations, ["pagerduty"]);
        assert!(r[0].only_if.is_empty());
    }

    #[test]
    fn continue_reaches_later_routes_and_unknown_labels_are_conditional() {
        let r = route(&am(TREE), &labels(&[("alertname", "X"), ("severity", "warning"), ("team", "web")]));
        let got: Vec<(&str, Vec<String>)> = r.iter().map(|x| (x.receiver.as_str(), x.only_if.clone())).collect();
        assert_eq!(got, [("teams", vec![]), ("host-a", vec!["instance=\"a\"".to_string()]),], "{r:?}");
        assert!(!r[1].notifies());
    }

    #[test]
    fn no_child_matches_the_root_handles_it() {
        let r = route(&am(TREE), &labels(&[("alertname", "X"), ("severity", "info"), ("team", "ops")]));
        let got: Vec<(&str, Vec<String>)> = r.iter().map(|x| (x.receiver.as_str(), x.only_if.clone())).collect();
        assert_eq!(
            got,
            [
                ("host-a", vec!["instance=\"a\"".to_string()]),
                ("default", vec!["not instance=\"a\"".to_string()]),
            ]
        );
    }
}
