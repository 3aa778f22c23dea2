//! The spec's Alertmanager section as an `AlertmanagerConfig`
//! (monitoring.coreos.com/v1alpha1) `spec`. Routes keep the root defaults of
//! `alertmanager.yml`; every `*_file` secret becomes a key of the Secret
//! named by `kubernetes.secret` (the name, never the value).

use serde_json::{Value, json};

use super::names::secret_key;
use crate::check::alertmanager_routes::parse_matcher;
use crate::model::Model;
use crate::render::alertmanager::{RouteOut, SLACK_TEXT, SLACK_TITLE, route};
use crate::spec::Receiver;

/// `[{name, value, matchType}]` of matcher strings (already checked to parse).
fn matchers(ms: &[String]) -> Value {
    ms.iter()
        .filter_map(|m| parse_matcher(m))
        .map(|(name, op, value)| json!({"name": name, "value": value, "matchType": op}))
        .collect()
}

fn route_json(r: &RouteOut) -> Value {
    let mut o = json!({});
    if let Some(x) = r.receiver {
        o["receiver"] = json!(x);
    }
    if let Some(x) = r.group_by {
        o["groupBy"] = json!(x);
    }
    for (key, v) in [
        ("groupWait", r.group_wait),
        ("groupInterval", r.group_interval),
        ("repeatInterval", r.repeat_interval),
    ] {
        if let Some(v) = v {
            o[key] = json!(v);
        }
    }
    if !r.matchers.is_empty() {
        o["matchers"] = matchers(r.matchers);
    }
    if r.continue_ {
        o["continue"] = json!(true);
    }
    if !r.routes.is_empty() {
        o["routes"] = r.routes.iter().map(route_json).collect();
    }
    o
}

fn secret(m: &Model, file: &str) -> Value {
    json!({"name": m.kubernetes.secret, "key": secret_key(file)})
}

fn receiver(m: &Model, r: &Receiver) -> Value {
    let mut o = json!({"name": r.name});
    let mut put = |key: &str, items: Vec<Value>| {
        if !items.is_empty() {
            o[key] = Value::Array(items);
        }
    };
    put(
        "webhookConfigs",
        r.webhook
            .iter()
            .map(|w| json!({"url": w.url, "sendResolved": w.send_resolved}))
            .collect(),
    );
    put(
        "emailConfigs",
        r.email
            .iter()
            .map(|e| {
                let mut x = json!({
                    "to": e.to, "from": e.from, "smarthost": e.smarthost,
                    "requireTLS": e.require_tls, "sendResolved": e.send_resolved,
                });
                if let Some(u) = &e.auth_username {
                    x["authUsername"] = json!(u);
                }
                if let Some(f) = &e.auth_password_file {
                    x["authPassword"] = secret(m, f);
                }
                x
            })
            .collect(),
    );
    put(
        "slackConfigs",
        r.slack
            .iter()
            .map(|s| {
                json!({
                    "apiURL": secret(m, &s.api_url_file), "channel": s.channel,
                    "sendResolved": s.send_resolved, "title": SLACK_TITLE, "text": SLACK_TEXT,
                })
            })
            .collect(),
    );
    put(
        "pagerdutyConfigs",
        r.pagerduty
            .iter()
            .map(|p| json!({"routingKey": secret(m, &p.routing_key_file), "sendResolved": p.send_resolved}))
            .collect(),
    );
    put(
        "opsgenieConfigs",
        r.opsgenie
            .iter()
            .map(|g| {
                let mut x = json!({"apiKey": secret(m, &g.api_key_file), "sendResolved": g.send_resolved});
                if let Some(u) = &g.api_url {
                    x["apiURL"] = json!(u);
                }
                x
            })
            .collect(),
    );
    o
}

/// The `AlertmanagerConfig`'s `spec`.
pub fn spec(m: &Model) -> Value {
    let a = &m.alertmanager;
    let mut s = json!({
        "route": route_json(&route(&a.route, true)),
        "receivers": a.receivers.iter().map(|r| receiver(m, r)).collect::<Vec<_>>(),
    });
    if !a.inhibit_rules.is_empty() {
        s["inhibitRules"] = a
            .inhibit_rules
            .iter()
            .map(|i| {
                let mut x = json!({"sourceMatch": matchers(&i.source_matchers), "targetMatch": matchers(&i.target_matchers)});
                if !i.equal.is_empty() {
                    x["equal"] = json!(i.equal);
                }
                x
            })
            .collect();
    }
    s
}

/// Every `(spec path, file)` of a receiver secret, in spec order.
pub fn secret_files(m: &Model) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    for (ri, r) in m.alertmanager.receivers.iter().enumerate() {
        let p = format!("alertmanager.receivers[{ri}]");
        for (i, e) in r.email.iter().enumerate() {
            if let Some(f) = &e.auth_password_file {
                out.push((format!("{p}.email[{i}].auth_password_file"), f.as_str()));
            }
        }
        for (i, s) in r.slack.iter().enumerate() {
            out.push((format!("{p}.slack[{i}].api_url_file"), s.api_url_file.as_str()));
        }
        for (i, x) in r.pagerduty.iter().enumerate() {
            out.push((format!("{p}.pagerduty[{i}].routing_key_file"), x.routing_key_file.as_str()));
        }
        for (i, x) in r.opsgenie.iter().enumerate() {
            out.push((format!("{p}.opsgenie[{i}].api_key_file"), x.api_key_file.as_str()));
        }
    }
    out
}
