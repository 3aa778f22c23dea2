//! Model → Prometheus rule files (`alerts/<group>.rules.yml`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Model, Rule, RuleGroup};

#[derive(Serialize)]
struct File<'a> {
    /// Mimir's rule namespace (`mimirtool rules sync`); vmalert and Prometheus refuse the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    groups: Vec<Group<'a>>,
}

/// One rule group as Prometheus reads it (also `spec.groups[]` of a `PrometheusRule`).
#[derive(Serialize)]
pub(crate) struct Group<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    interval: Option<&'a str>,
    rules: Vec<RuleOut<'a>>,
}

#[derive(Serialize)]
struct RuleOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alert: Option<&'a str>,
    expr: &'a str,
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    for_: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_firing_for: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotations: Option<&'a BTreeMap<String, String>>,
}

/// Render one rule group as a Prometheus rule file.
pub fn group(_m: &Model, g: &RuleGroup) -> super::Bytes {
    super::yaml(&File {
        namespace: None,
        groups: vec![group_out(g)],
    })
}

/// Every group in one file: a Mimir rule namespace (`namespace: Some`,
/// for `mimirtool rules sync`) or a vmalert `-rule` file (`None`).
pub fn namespace_file(namespace: Option<&str>, groups: &[RuleGroup]) -> super::Bytes {
    super::yaml(&File {
        namespace,
        groups: groups.iter().map(group_out).collect(),
    })
}

/// One rule group, ready to serialize.
pub(crate) fn group_out(g: &RuleGroup) -> Group<'_> {
    Group {
        name: &g.name,
        interval: g.interval.as_ref().map(|d| d.as_str()),
        rules: g.rules.iter().map(rule_out).collect(),
    }
}

fn rule_out(r: &Rule) -> RuleOut<'_> {
    match r {
        Rule::Recording { record, expr, labels } => RuleOut {
            record: Some(record),
            alert: None,
            expr,
            for_: None,
            keep_firing_for: None,
            labels,
            annotations: None,
        },
        Rule::Alert(a) => RuleOut {
            record: None,
            alert: Some(&a.name),
            expr: &a.expr,
            for_: a.for_.as_ref().map(|d| d.as_str()),
            keep_firing_for: a.keep_firing_for.as_ref().map(|d| d.as_str()),
            labels: &a.labels,
            annotations: Some(&a.annotations),
        },
    }
}

/// Rules as a YAML list, each as the rule files write it (no file header).
pub fn text(rules: &[&Rule]) -> Result<String, String> {
    let mut out = String::new();
    super::yaml_into(&mut out, &rules.iter().map(|r| rule_out(r)).collect::<Vec<_>>())?;
    Ok(out)
}
