//! Scrape jobs' discovery, relabelling and authentication, checked before
//! Prometheus sees them. `scrape/secret`: secrets come from files only (an
//! inline password, token or key would land in a world-readable
//! prometheus.yml). `scrape/relabel`: regexes compile as RE2 anchored at both
//! ends (as Prometheus anchors them), each action has the fields it needs and
//! label names are valid. `scrape/discovery`: a job has targets from
//! somewhere, a non-SRV DNS lookup has a port, `labels` are not silently
//! dropped, the scheme is http(s). URLs go through the `url/*` checks.
//! Alertmanager webhooks' `http_config` follows the same secret rules.

use super::{Check, Ctx};
use crate::diag::Diagnostic;
use crate::spec::ScrapeJob;
use crate::spec::scrape::{DnsRecord, HttpClient, RelabelAction, RelabelConfig};

pub struct ScrapeConfig;

const SECRET: &str = "scrape/secret";
const RELABEL: &str = "scrape/relabel";
const DISCOVERY: &str = "scrape/discovery";

/// Upper bound on a compiled relabel regex, so no spec makes the check slow.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

impl Check for ScrapeConfig {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (
                SECRET,
                "a scrape password, token or key is written inline instead of read from a file",
            ),
            (
                RELABEL,
                "a relabel step's regex, action or label names would be refused or do nothing",
            ),
            (
                DISCOVERY,
                "a scrape job has no targets, an incomplete discovery config or labels that would be dropped",
            ),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (i, j) in cx.spec.prometheus.scrape_jobs.iter().enumerate() {
            job(&format!("prometheus.scrape_jobs[{i}]"), j, &mut out);
        }
        for (ri, r) in cx.spec.alertmanager.receivers.iter().enumerate() {
            for (wi, w) in r.webhook.iter().enumerate() {
                if let Some(c) = &w.http_config {
                    auth(&format!("alertmanager.receivers[{ri}].webhook[{wi}].http_config"), c, &mut out);
                }
            }
        }
        out
    }
}

fn job(path: &str, j: &ScrapeJob, out: &mut Vec<Diagnostic>) {
    let o = &j.options;
    auth(path, &j.client, out);
    for (i, sd) in o.http_sd_configs.iter().enumerate() {
        let p = format!("{path}.http_sd_configs[{i}]");
        super::url_safety::check_url(format!("{p}.url"), &sd.url, out);
        auth(&p, &sd.client, out);
    }
    for (i, sd) in o.kubernetes_sd_configs.iter().enumerate() {
        let p = format!("{path}.kubernetes_sd_configs[{i}]");
        if let Some(u) = &sd.api_server {
            super::url_safety::check_url(format!("{p}.api_server"), u, out);
        }
        auth(&p, &sd.client, out);
    }
    for (i, sd) in o.consul_sd_configs.iter().enumerate() {
        let p = format!("{path}.consul_sd_configs[{i}]");
        auth(&p, &sd.client, out);
        if let Some(s) = sd.scheme.as_deref() {
            scheme(format!("{p}.scheme"), s, out);
        }
    }
    for (i, sd) in o.dns_sd_configs.iter().enumerate() {
        let kind = sd.kind.unwrap_or(DnsRecord::SRV);
        if kind != DnsRecord::SRV && sd.port.is_none() {
            out.push(
                Diagnostic::error(
                    DISCOVERY,
                    format!("{path}.dns_sd_configs[{i}]"),
                    format!("a `{kind:?}` lookup has no port"),
                )
                .help("only an SRV record carries a port: add `port:` (the exporter's port, e.g. 9100)"),
            );
        }
    }
    for (i, sd) in o.file_sd_configs.iter().enumerate() {
        if sd.files.is_empty() {
            out.push(
                Diagnostic::error(
                    DISCOVERY,
                    format!("{path}.file_sd_configs[{i}].files"),
                    "no files to read targets from",
                )
                .help("name at least one JSON or YAML file, e.g. `files: [/etc/prometheus/targets/*.yml]`"),
            );
        }
    }
    scheme(format!("{path}.scheme"), &j.scheme, out);
    let discovered = !(o.file_sd_configs.is_empty()
        && o.dns_sd_configs.is_empty()
        && o.http_sd_configs.is_empty()
        && o.kubernetes_sd_configs.is_empty()
        && o.consul_sd_configs.is_empty());
    if j.targets.is_empty() && !discovered {
        out.push(
            Diagnostic::error(DISCOVERY, format!("{path}.targets"), format!("job `{}` has no targets", j.name))
                .help("list `targets: [host:port]` or add service discovery (file_sd_configs, dns_sd_configs, http_sd_configs, kubernetes_sd_configs, consul_sd_configs)"),
        );
    }
    if discovered && !j.labels.is_empty() {
        out.push(
            Diagnostic::error(
                DISCOVERY,
                format!("{path}.labels"),
                "`labels` apply only to static targets, not to discovered ones",
            )
            .help("set labels on discovered targets with a relabel step: `relabel_configs: [{target_label: env, replacement: prod}]`"),
        );
    }
    for (field, steps) in [
        ("relabel_configs", &o.relabel_configs),
        ("metric_relabel_configs", &o.metric_relabel_configs),
    ] {
        for (i, r) in steps.iter().enumerate() {
            relabel(&format!("{path}.{field}[{i}]"), r, out);
        }
    }
}

fn scheme(path: String, s: &str, out: &mut Vec<Diagnostic>) {
    if s != "http" && s != "https" {
        out.push(
            Diagnostic::error(DISCOVERY, path, format!("scheme `{}` is not http or https", s.escape_debug()))
                .help("write `scheme: http` or `scheme: https`"),
        );
    }
}

/// Inline secrets are refused wherever an auth block may appear.
fn auth(path: &str, c: &HttpClient, out: &mut Vec<Diagnostic>) {
    if c.basic_auth.is_some() && c.authorization.is_some() {
        out.push(
            Diagnostic::error(
                SECRET,
                format!("{path}.authorization"),
                "basic_auth and authorization both set; Prometheus and Alertmanager accept one",
            )
            .help("keep one: `basic_auth` (user and password file) or `authorization` (token file)"),
        );
    }
    if let Some(b) = &c.basic_auth {
        if b.password.is_some() {
            out.push(
                Diagnostic::error(SECRET, format!("{path}.basic_auth.password"), "an inline password would be written to a world-readable prometheus.yml")
                    .help("write the password to a file readable by Prometheus only (chmod 600) and name it: `password_file: /etc/prometheus/secrets/db.password`"),
            );
        } else if b.password_file.is_none() {
            out.push(
                Diagnostic::error(SECRET, format!("{path}.basic_auth"), "basic_auth has no password_file")
                    .help("add `password_file:` naming a file that holds the password"),
            );
        }
    }
    if let Some(a) = &c.authorization {
        if a.credentials.is_some() {
            out.push(
                Diagnostic::error(SECRET, format!("{path}.authorization.credentials"), "inline credentials would be written to a world-readable prometheus.yml")
                    .help("write the token to a file readable by Prometheus only (chmod 600) and name it: `credentials_file: /etc/prometheus/secrets/token`"),
            );
        } else if a.credentials_file.is_none() {
            out.push(
                Diagnostic::error(SECRET, format!("{path}.authorization"), "authorization has no credentials_file")
                    .help("add `credentials_file:` naming a file that holds the token"),
            );
        }
    }
    if let Some(t) = &c.tls_config {
        if t.key.is_some() {
            out.push(
                Diagnostic::error(
                    SECRET,
                    format!("{path}.tls_config.key"),
                    "an inline private key would be written to a world-readable prometheus.yml",
                )
                .help("write the key to a file readable by Prometheus only and name it: `key_file: /etc/prometheus/tls/client.key`"),
            );
        }
        if t.cert_file.is_some() != t.key_file.is_some() {
            out.push(
                Diagnostic::error(
                    SECRET,
                    format!("{path}.tls_config"),
                    "a client certificate needs both cert_file and key_file",
                )
                .help("give both `cert_file:` and `key_file:`, or neither"),
            );
        }
    }
}

/// A label name Prometheus accepts, reserved `__` names included
/// (`__address__`, `__param_module`, `__metrics_path__` are relabelling's job).
fn label_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_') && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `replace` may build its target from capture groups: `${1}`, `$name`.
fn templated_label_name(s: &str) -> bool {
    let stripped = regex::Regex::new(r"\$(\{\w+\}|\w+)").map(|re| re.replace_all(s, "x").into_owned());
    stripped.is_ok_and(|t| label_name(&t))
}

fn relabel(path: &str, r: &RelabelConfig, out: &mut Vec<Diagnostic>) {
    use RelabelAction as A;
    let action = r.action.unwrap_or(A::Replace);
    let mut err = |field: &str, msg: String, help: &str| {
        let p = if field.is_empty() {
            path.to_string()
        } else {
            format!("{path}.{field}")
        };
        out.push(Diagnostic::error(RELABEL, p, msg).help(help.to_string()));
    };
    if let Some(re) = &r.regex {
        // Prometheus compiles `^(?s:<regex>)$` with Go's RE2; the regex crate
        // takes the same syntax.
        if let Err(e) = regex::RegexBuilder::new(&format!("^(?s:{re})$"))
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
        {
            let first = e.to_string().lines().last().unwrap_or_default().to_string();
            err(
                "regex",
                format!("regex `{}` does not compile: {first}", re.escape_debug()),
                "write an RE2 regex; it is anchored at both ends, so `db-.*` matches the whole value",
            );
        }
    }
    for (i, l) in r.source_labels.iter().enumerate() {
        if !label_name(l) {
            err(
                &format!("source_labels[{i}]"),
                format!("`{}` is not a label name", l.escape_debug()),
                "label names match [a-zA-Z_][a-zA-Z0-9_]*",
            );
        }
    }
    let needs_target = matches!(
        action,
        A::Replace | A::Hashmod | A::Lowercase | A::Uppercase | A::Keepequal | A::Dropequal
    );
    match &r.target_label {
        None if needs_target => err(
            "",
            format!("action `{}` needs a target_label", action_name(action)),
            "add `target_label:` naming the label to write or compare",
        ),
        Some(t) if !needs_target => err(
            "target_label",
            format!("action `{}` ignores target_label", action_name(action)),
            "remove target_label, or use `action: replace`",
        ),
        Some(t) if action == A::Replace && !templated_label_name(t) => err(
            "target_label",
            format!("`{}` is not a label name", t.escape_debug()),
            "label names match [a-zA-Z_][a-zA-Z0-9_]* (`${1}` capture references allowed)",
        ),
        Some(t) if action != A::Replace && !label_name(t) => err(
            "target_label",
            format!("`{}` is not a label name", t.escape_debug()),
            "label names match [a-zA-Z_][a-zA-Z0-9_]*",
        ),
        _ => {}
    }
    if matches!(
        action,
        A::Keep | A::Drop | A::Hashmod | A::Keepequal | A::Dropequal | A::Lowercase | A::Uppercase
    ) && r.source_labels.is_empty()
    {
        err(
            "",
            format!("action `{}` needs source_labels", action_name(action)),
            "add `source_labels: [label, ...]` naming the labels to read",
        );
    }
    if action == A::Hashmod && r.modulus.is_none_or(|m| m == 0) {
        err(
            "modulus",
            "action `hashmod` needs a modulus above 0".into(),
            "add `modulus: N`, the number of shards",
        );
    }
    if matches!(action, A::Labeldrop | A::Labelkeep) && r.regex.is_none() {
        err(
            "",
            format!("action `{}` without a regex matches every label", action_name(action)),
            "add `regex:` matching the label names to drop or keep",
        );
    }
}

fn action_name(a: RelabelAction) -> String {
    format!("{a:?}").to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn flags_inline_secrets_bad_relabels_and_empty_jobs() {
        let bad = r#"version: 1
prometheus:
  scrape_jobs:
  - name: a
    targets: ['a:1']
    basic_auth: {username: u, password: hunter2}
    authorization: {credentials: tok}
    tls_config: {cert_file: /c}
    relabel_configs:
    - {source_labels: [__address__], regex: '(', target_label: x}
    - {action: hashmod, source_labels: [a], target_label: s}
    - {action: drop}
    - {target_label: 'bad-name', replacement: x}
    - {action: labeldrop}
  - name: b
    basic_auth: {username: u, password_file: /p}
    authorization: {credentials_file: /t}
  - name: c
    dns_sd_configs: [{names: [db.example], type: A}]
    labels: {env: prod}
    scheme: ftp
alertmanager:
  receivers: [{name: default, webhook: [{url: 'https://h.example/x', http_config: {authorization: {credentials: tok}}}]}]
"#;
        assert_eq!(
            problems(&ScrapeConfig, bad),
            vec![
                "scrape/secret@prometheus.scrape_jobs[0].authorization",
                "scrape/secret@prometheus.scrape_jobs[0].basic_auth.password",
                "scrape/secret@prometheus.scrape_jobs[0].authorization.credentials",
                "scrape/secret@prometheus.scrape_jobs[0].tls_config",
                "scrape/relabel@prometheus.scrape_jobs[0].relabel_configs[0].regex",
                "scrape/relabel@prometheus.scrape_jobs[0].relabel_configs[1].modulus",
                "scrape/relabel@prometheus.scrape_jobs[0].relabel_configs[2]",
                "scrape/relabel@prometheus.scrape_jobs[0].relabel_configs[3].target_label",
                "scrape/relabel@prometheus.scrape_jobs[0].relabel_configs[4]",
                "scrape/secret@prometheus.scrape_jobs[1].authorization",
                "scrape/discovery@prometheus.scrape_jobs[1].targets",
                "scrape/discovery@prometheus.scrape_jobs[2].dns_sd_configs[0]",
                "scrape/discovery@prometheus.scrape_jobs[2].scheme",
                "scrape/discovery@prometheus.scrape_jobs[2].labels",
                "scrape/secret@alertmanager.receivers[0].webhook[0].http_config.authorization.credentials",
            ]
        );
    }

    #[test]
    fn accepts_discovery_relabelling_and_file_secrets() {
        let good = r#"version: 1
prometheus:
  scrape_jobs:
  - name: nodes
    scheme: https
    basic_auth: {username: prom, password_file: /etc/prometheus/pw}
    tls_config: {ca_file: /ca, cert_file: /c, key_file: /k}
    file_sd_configs: [{files: ['/etc/prometheus/targets/*.yml']}]
    dns_sd_configs: [{names: [_node._tcp.example.org]}]
    relabel_configs:
    - {source_labels: [__meta_x], regex: 'db-(.*)', target_label: '${1}_host', replacement: '$1'}
    - {source_labels: [__address__], action: hashmod, modulus: 4, target_label: __tmp_shard}
    - {source_labels: [__tmp_shard], regex: '0', action: keep}
    - {regex: '__meta_kubernetes_pod_label_(.+)', action: labelmap}
    metric_relabel_configs:
    - {source_labels: [__name__], regex: 'go_gc_.*', action: drop}
"#;
        assert_eq!(problems(&ScrapeConfig, good), Vec::<String>::new());
    }
}
