//! `overrides:`: change an alert, signal or dashboard defined anywhere (the
//! spec, an included file, a pack) by name, without copying it. Applied to
//! the merged spec before it is lowered, so rules, dashboards' threshold
//! lines, alert links and generated tests all see the result. Overrides of
//! alerts that `services:` generate are checked here against the expansion
//! and left in the spec's `overrides.alerts` for `services::expand` to apply.

use std::collections::HashMap;

use super::{Applied, Composed, codes, suggest};
use crate::diag::Diagnostic;
use crate::spec::{Alert, AlertOverride, Condition, Overrides};

/// Apply every part's overrides (`ovs[part]`) to the merged spec.
pub(super) fn apply(c: &mut Composed, ovs: Vec<Overrides>, diags: &mut Vec<Diagnostic>) {
    let mut first: HashMap<(&'static str, String), usize> = HashMap::new();
    let mut disabled_alerts = Vec::new();
    let mut disabled_dashboards = Vec::new();
    // The spec with its `services:` expanded, made once when an override
    // names an alert the spec itself does not have.
    let mut service_alerts: Option<Option<crate::spec::Spec>> = None;
    for (part, o) in ovs.into_iter().enumerate() {
        let err = |diags: &mut Vec<Diagnostic>, c: &Composed, path: String, msg: String, help: String| {
            diags.push(Composed::diag_at(
                &c.parts,
                part,
                Diagnostic::error(codes::OVERRIDE, path, msg).help(help),
            ));
        };
        let twice = |diags: &mut Vec<Diagnostic>,
                     first: &mut HashMap<(&'static str, String), usize>,
                     c: &Composed,
                     kind: &'static str,
                     name: &str,
                     path: &str|
         -> bool {
            match first.get(&(kind, name.to_string())) {
                Some(&p) => {
                    let there = c.locate(p, &format!("overrides.{kind}s.{name}"));
                    err(
                        diags,
                        c,
                        path.to_string(),
                        format!("{kind} `{name}` is overridden twice (also at {there})"),
                        "merge the two overrides into one".into(),
                    );
                    true
                }
                None => {
                    first.insert((kind, name.to_string()), part);
                    false
                }
            }
        };
        for (name, a) in o.alerts {
            let path = format!("overrides.alerts.{name}");
            if twice(diags, &mut first, c, "alert", &name, &path) {
                continue;
            }
            // Alerts of `services:` are generated later (pipeline::resolve);
            // their overrides wait in the spec's `overrides.alerts` until
            // services::expand has made them.
            let target = match c.find_alert(&name) {
                Some(at) => Some(at),
                None if service_alerts
                    .get_or_insert_with(|| crate::services::expand(&c.loaded.spec).map(|(s, _)| s))
                    .as_ref()
                    .is_some_and(|s| service_alert(s, &name).is_some()) =>
                {
                    None
                }
                None => {
                    let generated = service_alerts.as_ref().and_then(|s| s.as_ref());
                    let mut names = c.alert_names();
                    names.extend(generated.map(service_alert_names).unwrap_or_default());
                    let help = suggest(&name, names);
                    err(diags, c, path, format!("no alert is named `{name}`"), help);
                    continue;
                }
            };
            let mut set = |field: &str, value: String| {
                c.applied.push(Applied {
                    kind: "alert",
                    name: name.clone(),
                    field: field.to_string(),
                    value,
                    part,
                    path: format!("{path}.{field}"),
                });
            };
            if a.disabled {
                set("disabled", "true".into());
            }
            let mut changes = Vec::new();
            if let Some(t) = &a.threshold {
                changes.push(("threshold", threshold_text(t)));
            }
            if let Some(f) = &a.for_ {
                changes.push(("for", f.to_string()));
            }
            if let Some(s) = &a.severity {
                changes.push(("severity", s.as_str().to_string()));
            }
            for (f, v) in [
                ("summary", &a.summary),
                ("description", &a.description),
                ("runbook_url", &a.runbook_url),
            ] {
                if let Some(v) = v {
                    changes.push((f, v.clone()));
                }
            }
            for (k, v) in &a.labels {
                changes.push(("labels", format!("{k}={v}")));
            }
            for (k, v) in &a.annotations {
                changes.push(("annotations", format!("{k}={v}")));
            }
            for (f, v) in changes {
                let field = match f {
                    "labels" | "annotations" => format!("{f}.{}", v.split('=').next().unwrap_or("")),
                    _ => f.to_string(),
                };
                set(&field, v);
            }
            let not_threshold = |diags: &mut Vec<Diagnostic>, c: &Composed| {
                err(
                    diags,
                    c,
                    format!("{path}.threshold"),
                    format!("alert `{name}` is not a threshold alert"),
                    "override its signal's levels (`overrides.signals.<name>.thresholds`) or its condition in its own file".into(),
                );
            };
            match target {
                Some((gi, ai)) => {
                    if a.disabled {
                        disabled_alerts.push((gi, ai));
                    }
                    if set_alert_fields(&mut c.loaded.spec.rules[gi].alerts[ai], a.clone()).is_err() {
                        not_threshold(diags, c);
                    }
                }
                None => {
                    if a.disabled {
                        err(
                            diags,
                            c,
                            format!("{path}.disabled"),
                            format!("alert `{name}` is generated from `services:` and cannot be disabled"),
                            "a service's Down, HighErrorRatio and HighLatency alerts are always generated; change their levels under `services[].alerts`, or their severity, `for`, labels and text here".into(),
                        );
                        continue;
                    }
                    let generated = service_alerts
                        .as_ref()
                        .and_then(|s| s.as_ref())
                        .and_then(|s| service_alert(s, &name));
                    if generated.is_some_and(|alert| set_alert_fields(&mut alert.clone(), a.clone()).is_err()) {
                        not_threshold(diags, c);
                        continue;
                    }
                    c.loaded.spec.overrides.alerts.insert(name, a);
                }
            }
        }
        for (name, s) in o.signals {
            let path = format!("overrides.signals.{name}");
            if twice(diags, &mut first, c, "signal", &name, &path) {
                continue;
            }
            let Some(signal) = c.loaded.spec.signals.get_mut(&name) else {
                let help = suggest(&name, c.loaded.spec.signals.keys().map(String::as_str));
                err(diags, c, path, format!("no signal is named `{name}`"), help);
                continue;
            };
            let mut changes = Vec::new();
            for (level, v) in &s.thresholds {
                signal.thresholds.insert(level.clone(), *v);
                changes.push((format!("thresholds.{level}"), v.to_string()));
            }
            if let Some(t) = &s.title {
                signal.title = Some(t.clone());
                changes.push(("title".into(), t.clone()));
            }
            if let Some(d) = &s.description {
                signal.description = Some(d.clone());
                changes.push(("description".into(), d.clone()));
            }
            for (field, value) in changes {
                c.applied.push(Applied {
                    kind: "signal",
                    name: name.clone(),
                    path: format!("{path}.{field}"),
                    field,
                    value,
                    part,
                });
            }
        }
        for (uid, d) in o.dashboards {
            let path = format!("overrides.dashboards.{uid}");
            if twice(diags, &mut first, c, "dashboard", &uid, &path) {
                continue;
            }
            let Some(di) = c.loaded.spec.dashboards.iter().position(|x| x.uid == uid) else {
                let help = suggest(&uid, c.loaded.spec.dashboards.iter().map(|x| x.uid.as_str()));
                err(diags, c, path, format!("no dashboard has uid `{uid}`"), help);
                continue;
            };
            let dash = &mut c.loaded.spec.dashboards[di];
            let mut changes = Vec::new();
            if d.disabled {
                disabled_dashboards.push(di);
                changes.push(("disabled", "true".to_string()));
            }
            if let Some(t) = &d.title {
                dash.title = t.clone();
                changes.push(("title", t.clone()));
            }
            if let Some(f) = &d.folder {
                dash.folder = Some(f.clone());
                changes.push(("folder", f.clone()));
            }
            for (field, value) in changes {
                c.applied.push(Applied {
                    kind: "dashboard",
                    name: uid.clone(),
                    field: field.into(),
                    value,
                    part,
                    path: format!("{path}.{field}"),
                });
            }
        }
    }
    remove_disabled(c, disabled_alerts, disabled_dashboards);
}

/// The alerts `services:` generated into `expanded` (their groups are named
/// like their dashboards).
fn service_alerts_of(expanded: &crate::spec::Spec) -> impl Iterator<Item = &Alert> {
    let generated = |g: &&crate::spec::RuleGroup| expanded.services.iter().any(|s| g.name == crate::services::dashboard_uid(&s.name));
    expanded.rules.iter().filter(generated).flat_map(|g| &g.alerts)
}

fn service_alert<'a>(expanded: &'a crate::spec::Spec, name: &str) -> Option<&'a Alert> {
    service_alerts_of(expanded).find(|a| a.name == name)
}

fn service_alert_names(expanded: &crate::spec::Spec) -> Vec<&str> {
    service_alerts_of(expanded).map(|a| a.name.as_str()).collect()
}

/// Sets the fields an alert override changes (not `disabled`); Err when it
/// sets a threshold on an alert of another kind (then nothing is changed).
pub(crate) fn set_alert_fields(alert: &mut Alert, a: AlertOverride) -> Result<(), ()> {
    if let Some(t) = a.threshold {
        match &mut alert.condition {
            Condition::Threshold(th) => th.value = t,
            _ => return Err(()),
        }
    }
    if a.for_.is_some() {
        alert.for_ = a.for_;
    }
    if a.severity.is_some() {
        alert.severity = a.severity;
    }
    if a.summary.is_some() {
        alert.summary = a.summary;
    }
    if a.description.is_some() {
        alert.description = a.description;
    }
    if a.runbook_url.is_some() {
        alert.runbook_url = a.runbook_url;
    }
    alert.labels.extend(a.labels);
    alert.annotations.extend(a.annotations);
    Ok(())
}

fn threshold_text(t: &crate::spec::ThresholdValue) -> String {
    match t {
        crate::spec::ThresholdValue::Number(n) => n.to_string(),
        crate::spec::ThresholdValue::Level(l) => l.clone(),
    }
}

/// Drop disabled alerts (and the hand-written test cases about them only) and
/// dashboards, keeping the origin maps in step; a group left empty goes too.
fn remove_disabled(c: &mut Composed, mut alerts: Vec<(usize, usize)>, mut dashboards: Vec<usize>) {
    alerts.sort_unstable();
    for &(gi, ai) in alerts.iter().rev() {
        let g = &mut c.loaded.spec.rules[gi];
        let name = g.alerts.remove(ai).name;
        c.alerts[gi].remove(ai);
        for t in &mut g.tests {
            t.alert_rule_test.retain(|a| a.alertname != name);
        }
        g.tests.retain(|t| !t.alert_rule_test.is_empty() || !t.promql_expr_test.is_empty());
    }
    let mut emptied: Vec<usize> = alerts.iter().map(|&(gi, _)| gi).collect();
    emptied.dedup();
    for &gi in emptied.iter().rev() {
        let g = &c.loaded.spec.rules[gi];
        if g.alerts.is_empty() && g.recording.is_empty() {
            c.loaded.spec.rules.remove(gi);
            c.groups.remove(gi);
            c.alerts.remove(gi);
        }
    }
    dashboards.sort_unstable();
    for &di in dashboards.iter().rev() {
        c.loaded.spec.dashboards.remove(di);
        c.dashboards.remove(di);
    }
}
