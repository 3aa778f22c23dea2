//! Model → `provisioning/alertmanager/alertmanager.yml`. Secrets are only ever
//! referenced by file (`*_file`).

use serde::Serialize;

use crate::model::Model;
use crate::spec::{self, Route};

#[derive(Serialize)]
struct Config<'a> {
    global: Global<'a>,
    route: RouteOut<'a>,
    receivers: Vec<ReceiverOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    inhibit_rules: Vec<Inhibit<'a>>,
}

#[derive(Serialize)]
struct Global<'a> {
    resolve_timeout: &'a str,
}

#[derive(Serialize)]
pub(crate) struct RouteOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) receiver: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) group_by: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) group_wait: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) group_interval: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) repeat_interval: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub(crate) matchers: &'a [String],
    #[serde(rename = "continue", skip_serializing_if = "std::ops::Not::not")]
    pub(crate) continue_: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) routes: Vec<RouteOut<'a>>,
}

#[derive(Serialize)]
struct ReceiverOut<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    webhook_configs: Vec<Webhook<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    email_configs: Vec<Email<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    slack_configs: Vec<Slack<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pagerduty_configs: Vec<Pagerduty<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    opsgenie_configs: Vec<Opsgenie<'a>>,
}

#[derive(Serialize)]
struct Webhook<'a> {
    url: &'a str,
    send_resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_config: Option<&'a crate::spec::scrape::HttpClient>,
}

#[derive(Serialize)]
struct Email<'a> {
    to: &'a str,
    from: &'a str,
    smarthost: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_password_file: Option<&'a str>,
    require_tls: bool,
    send_resolved: bool,
}

#[derive(Serialize)]
struct Slack<'a> {
    api_url_file: &'a str,
    channel: &'a str,
    send_resolved: bool,
    title: &'static str,
    text: &'static str,
}

#[derive(Serialize)]
struct Pagerduty<'a> {
    routing_key_file: &'a str,
    send_resolved: bool,
}

#[derive(Serialize)]
struct Opsgenie<'a> {
    api_key_file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_url: Option<&'a str>,
    send_resolved: bool,
}

#[derive(Serialize)]
struct Inhibit<'a> {
    source_matchers: &'a [String],
    target_matchers: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    equal: &'a [String],
}

pub(crate) const SLACK_TITLE: &str =
    "[{{ .Status | toUpper }}{{ if eq .Status \"firing\" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}";
pub(crate) const SLACK_TEXT: &str = "{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\nDashboard: {{ .Annotations.panel_url }}\n{{ end }}";

/// A route with the root's defaults filled in.
pub(crate) fn route(r: &Route, root: bool) -> RouteOut<'_> {
    RouteOut {
        receiver: r.receiver.as_deref(),
        group_by: r
            .group_by
            .as_deref()
            .or(if root { Some(DEFAULT_GROUP_BY.as_slice()) } else { None }),
        group_wait: r.group_wait.as_ref().map(|d| d.as_str()).or(if root { Some("30s") } else { None }),
        group_interval: r
            .group_interval
            .as_ref()
            .map(|d| d.as_str())
            .or(if root { Some("5m") } else { None }),
        repeat_interval: r
            .repeat_interval
            .as_ref()
            .map(|d| d.as_str())
            .or(if root { Some("4h") } else { None }),
        matchers: &r.matchers,
        continue_: r.continue_,
        routes: r.routes.iter().map(|r| route(r, false)).collect(),
    }
}

static DEFAULT_GROUP_BY: std::sync::LazyLock<Vec<String>> =
    std::sync::LazyLock::new(|| vec!["alertname".into(), "job".into(), "severity".into()]);

fn receiver(r: &spec::Receiver) -> ReceiverOut<'_> {
    ReceiverOut {
        name: &r.name,
        webhook_configs: r
            .webhook
            .iter()
            .map(|w| Webhook {
                url: &w.url,
                send_resolved: w.send_resolved,
                http_config: w.http_config.as_ref(),
            })
            .collect(),
        email_configs: r
            .email
            .iter()
            .map(|e| Email {
                to: &e.to,
                from: &e.from,
                smarthost: &e.smarthost,
                auth_username: e.auth_username.as_deref(),
                auth_password_file: e.auth_password_file.as_deref(),
                require_tls: e.require_tls,
                send_resolved: e.send_resolved,
            })
            .collect(),
        slack_configs: r
            .slack
            .iter()
            .map(|s| Slack {
                api_url_file: &s.api_url_file,
                channel: &s.channel,
                send_resolved: s.send_resolved,
                title: SLACK_TITLE,
                text: SLACK_TEXT,
            })
            .collect(),
        pagerduty_configs: r
            .pagerduty
            .iter()
            .map(|p| Pagerduty {
                routing_key_file: &p.routing_key_file,
                send_resolved: p.send_resolved,
            })
            .collect(),
        opsgenie_configs: r
            .opsgenie
            .iter()
            .map(|o| Opsgenie {
                api_key_file: &o.api_key_file,
                api_url: o.api_url.as_deref(),
                send_resolved: o.send_resolved,
            })
            .collect(),
    }
}

/// Render `alertmanager.yml`.
pub fn config(m: &Model) -> super::Bytes {
    let a = &m.alertmanager;
    let root = route(&a.route, true);
    let cfg = Config {
        global: Global {
            resolve_timeout: a.resolve_timeout.as_str(),
        },
        route: root,
        receivers: a.receivers.iter().map(receiver).collect(),
        inhibit_rules: a
            .inhibit_rules
            .iter()
            .map(|i| Inhibit {
                source_matchers: &i.source_matchers,
                target_matchers: &i.target_matchers,
                equal: &i.equal,
            })
            .collect(),
    };
    super::yaml(&cfg)
}
