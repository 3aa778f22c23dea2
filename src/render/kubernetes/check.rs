//! What the `kubernetes` target cannot express, as located diagnostics:
//! `kubernetes/name` (invalid or colliding object names), `kubernetes/label`
//! (invalid labels, annotation keys, namespace or Secret name),
//! `kubernetes/scrape` (a target that means something else inside a
//! cluster), `kubernetes/secret` (two files mapping to one Secret key) and
//! `kubernetes/size` (a dashboard too large for client-side apply).

use std::collections::BTreeMap;

use super::names::{self, is_dns1123_label, is_dns1123_subdomain, is_label_value, is_qualified_name};
use super::{MAX_ANNOTATIONS, Rendered};

/// etcd's default request limit, which bounds a ConfigMap (and any object): 1 MiB.
pub const MAX_CONFIGMAP: usize = 1 << 20;
use crate::diag::Diagnostic;
use crate::model::Model;
use crate::spec::Spec;

pub const NAME: &str = "kubernetes/name";
pub const LABEL: &str = "kubernetes/label";
pub const SCRAPE: &str = "kubernetes/scrape";
pub const SECRET: &str = "kubernetes/secret";
pub const SIZE: &str = "kubernetes/size";

/// The codes this target reports, for `genmon codes`.
pub const CODES: &[(&str, &str)] = &[
    (NAME, "two spec names map to the same Kubernetes object name"),
    (LABEL, "a Kubernetes label, annotation key, namespace or Secret name is invalid"),
    (SCRAPE, "a scrape target means something else inside a cluster"),
    (SECRET, "two receiver secret files map to the same Secret key"),
    (
        SIZE,
        "a dashboard object is too large for client-side `kubectl apply` (warning) or for Kubernetes (error)",
    ),
];

/// Problems of rendering `spec` (lowered to `m`, rendered to `r`) for Kubernetes.
pub fn check(spec: &Spec, m: &Model, r: &Rendered) -> Vec<Diagnostic> {
    let mut out = settings(spec);
    let group_path = |name: &str| {
        spec.rules
            .iter()
            .position(|g| g.name == name)
            .map_or_else(|| "rules".to_string(), |i| format!("rules[{i}].name"))
    };
    let dashboard_path = |uid: &str| {
        spec.dashboards
            .iter()
            .position(|d| d.uid == uid)
            .map_or_else(|| "dashboards".to_string(), |i| format!("dashboards[{i}].uid"))
    };
    collisions(
        "rule group",
        m.groups
            .iter()
            .map(|g| (group_path(&g.name), g.name.as_str(), super::rule_name(&g.name))),
        &mut out,
    );
    collisions(
        "dashboard",
        m.dashboards
            .iter()
            .map(|d| (dashboard_path(&d.uid), d.uid.as_str(), super::dashboard_name(&d.uid))),
        &mut out,
    );
    collisions(
        "scrape job",
        spec.prometheus.scrape_jobs.iter().enumerate().map(|(i, j)| {
            (
                format!("prometheus.scrape_jobs[{i}].name"),
                j.name.as_str(),
                super::scrape_name(&j.name),
            )
        }),
        &mut out,
    );
    for (i, j) in spec.prometheus.scrape_jobs.iter().enumerate() {
        let o = &j.options;
        let unmapped = [
            ("file_sd_configs", !o.file_sd_configs.is_empty()),
            ("dns_sd_configs", !o.dns_sd_configs.is_empty()),
            ("http_sd_configs", !o.http_sd_configs.is_empty()),
            ("kubernetes_sd_configs", !o.kubernetes_sd_configs.is_empty()),
            ("consul_sd_configs", !o.consul_sd_configs.is_empty()),
            ("basic_auth", j.client.basic_auth.is_some()),
            ("authorization", j.client.authorization.is_some()),
            ("tls_config", j.client.tls_config.is_some()),
        ];
        for (key, _) in unmapped.iter().filter(|(_, set)| *set) {
            out.push(
                Diagnostic::error(
                    SCRAPE,
                    format!("prometheus.scrape_jobs[{i}].{key}"),
                    format!("`{key}` of scrape job `{}` is not mapped to a ScrapeConfig yet", j.name),
                )
                .help(
                    "on Kubernetes, select the targets with a ServiceMonitor/PodMonitor of your own \
                     (credentials as Secret references), or use static targets in this job",
                ),
            );
        }
        for (ti, t) in j.targets.iter().enumerate() {
            let host = t.rsplit_once(':').map_or(t.as_str(), |(h, _)| h);
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if host == "localhost" || host.starts_with("127.") || host == "::1" {
                out.push(
                    Diagnostic::error(
                        SCRAPE,
                        format!("prometheus.scrape_jobs[{i}].targets[{ti}]"),
                        format!("target `{t}` would scrape the Prometheus pod itself inside a cluster"),
                    )
                    .help("name the target by its Service DNS name (`my-svc.my-namespace.svc:9100`)"),
                );
            }
        }
    }
    let mut keys: BTreeMap<String, &str> = BTreeMap::new();
    for (path, file) in super::alertmanager::secret_files(m) {
        let key = names::secret_key(file);
        match keys.get(&key) {
            _ if key.is_empty() || key == "." || key == ".." => out.push(
                Diagnostic::error(SECRET, path, format!("`{file}` has no file name to use as a Secret key"))
                    .help("name the file, e.g. /run/secrets/slack_url"),
            ),
            Some(other) if *other != file => out.push(
                Diagnostic::error(
                    SECRET,
                    path,
                    format!("`{file}` and `{other}` both become key `{key}` of Secret `{}`", m.kubernetes.secret),
                )
                .help("give the secret files different names"),
            ),
            _ => {
                keys.insert(key, file);
            }
        }
    }
    for (uid, bytes) in &r.oversized {
        if *bytes > MAX_CONFIGMAP {
            out.push(
                Diagnostic::error(
                    SIZE,
                    dashboard_path(uid),
                    format!("dashboard `{uid}` is {bytes} bytes; a Kubernetes object holds at most {MAX_CONFIGMAP} bytes"),
                )
                .help("split the dashboard"),
            );
            continue;
        }
        out.push(
            Diagnostic::warning(
                SIZE,
                dashboard_path(uid),
                format!(
                    "dashboard `{uid}` is {bytes} bytes as a Kubernetes object; client-side `kubectl apply` \
                     stores it in an annotation limited to {MAX_ANNOTATIONS} bytes and fails"
                ),
            )
            .help("apply with `kubectl apply --server-side -f kubernetes/`, or split the dashboard"),
        );
    }
    out
}

/// The `kubernetes:` section's own values.
fn settings(spec: &Spec) -> Vec<Diagnostic> {
    let k = &spec.kubernetes;
    let mut out = Vec::new();
    if !is_dns1123_label(&k.namespace) {
        out.push(
            Diagnostic::error(
                LABEL,
                "kubernetes.namespace",
                format!("namespace `{}` is not a DNS-1123 label", k.namespace),
            )
            .help("use at most 63 lower-case letters, digits and `-`, starting and ending alphanumeric"),
        );
    }
    if !is_dns1123_subdomain(&k.secret) {
        out.push(
            Diagnostic::error(
                LABEL,
                "kubernetes.secret",
                format!("Secret name `{}` is not a DNS-1123 subdomain", k.secret),
            )
            .help("use lower-case letters, digits, `-` and `.`"),
        );
    }
    if !is_qualified_name(&k.folder_annotation) {
        out.push(
            Diagnostic::error(
                LABEL,
                "kubernetes.folder_annotation",
                format!("`{}` is not a valid annotation key", k.folder_annotation),
            )
            .help("use `[prefix/]name`: name at most 63 of `[A-Za-z0-9_.-]`, prefix a DNS subdomain"),
        );
    }
    for (field, labels) in [
        ("labels", &k.labels),
        ("rule_labels", &k.rule_labels),
        ("dashboard_labels", &k.dashboard_labels),
        ("grafana_instance_labels", &k.grafana_instance_labels),
    ] {
        for (key, value) in labels {
            let path = format!("kubernetes.{field}.{key}");
            if !is_qualified_name(key) {
                out.push(
                    Diagnostic::error(LABEL, path.clone(), format!("`{key}` is not a valid Kubernetes label key"))
                        .help("use `[prefix/]name`: name at most 63 of `[A-Za-z0-9_.-]`, starting and ending alphanumeric"),
                );
            }
            if !is_label_value(value) {
                out.push(
                    Diagnostic::error(LABEL, path, format!("`{value}` is not a valid Kubernetes label value"))
                        .help("use at most 63 of `[A-Za-z0-9_.-]`, starting and ending alphanumeric (or empty)"),
                );
            }
        }
    }
    out
}

/// An error for each name whose object name another name already took, or
/// that maps to no valid name at all.
fn collisions<'a>(what: &str, items: impl Iterator<Item = (String, &'a str, String)>, out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (path, name, object) in items {
        if !is_dns1123_subdomain(&object) {
            out.push(
                Diagnostic::error(NAME, path, format!("{what} `{name}` gives no valid object name (`{object}`)"))
                    .help("use letters and digits in the name"),
            );
            continue;
        }
        if let Some(first) = seen.get(&object) {
            out.push(
                Diagnostic::error(
                    NAME,
                    path,
                    format!("{what} `{name}` and `{first}` both become Kubernetes object `{object}`"),
                )
                .help("Kubernetes names are lower case with `-` for other characters: rename one of them"),
            );
        } else {
            seen.insert(object, name);
        }
    }
}
