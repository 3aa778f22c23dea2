//! Scrape-job options beyond static targets: service discovery, relabelling,
//! authentication and TLS. Field names are Prometheus's own, so a job reads
//! like a `scrape_config` and renders into one unchanged. Secrets come from
//! files only: an inline `password` or `credentials` is parsed so that the
//! `scrape/secret` check can point at it, and is never rendered.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::Duration;

/// `basic_auth`: the password is read from a file at each scrape.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    pub username: String,
    /// File holding the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<String>,
    /// Refused: write the password to a file and name it in `password_file`.
    #[serde(default, skip_serializing)]
    #[schemars(skip)]
    pub password: Option<String>,
}

/// `authorization`: an `Authorization: <type> <credentials>` header whose
/// credentials are read from a file.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// Defaults to `Bearer` in Prometheus.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// File holding the credentials (for example a bearer token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_file: Option<String>,
    /// Refused: write the credentials to a file and name it in `credentials_file`.
    #[serde(default, skip_serializing)]
    #[schemars(skip)]
    pub credentials: Option<String>,
}

/// `tls_config`: certificates and keys by file.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
    /// Server name for SNI and certificate verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure_skip_verify: Option<bool>,
    /// Refused: an inline key; write it to a file and name it in `key_file`.
    #[serde(default, skip_serializing)]
    #[schemars(skip)]
    pub key: Option<String>,
}

/// Prometheus's HTTP client settings, shared by scrape jobs and the
/// discovery mechanisms that talk HTTP. Flattened: the keys sit beside the
/// owner's own. (A flattened struct must not flatten another: serde then
/// leaves the inner keys to the owner, whose `deny_unknown_fields` refuses
/// them.)
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
pub struct HttpClient {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
}

/// `file_sd_configs`: targets read from JSON or YAML files (globs allowed).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileSd {
    pub files: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
}

/// DNS record type for `dns_sd_configs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum DnsRecord {
    SRV,
    A,
    AAAA,
    MX,
    NS,
}

/// `dns_sd_configs`: targets from DNS records.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DnsSd {
    pub names: Vec<String>,
    /// Defaults to `SRV`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<DnsRecord>,
    /// Required for every type but `SRV`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
}

/// `http_sd_configs`: targets from an HTTP endpoint returning Prometheus's
/// HTTP SD JSON.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpSd {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    /// Authentication and TLS towards the discovery endpoint.
    #[serde(flatten)]
    pub client: HttpClient,
}

/// Kubernetes object kind for `kubernetes_sd_configs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KubernetesRole {
    Node,
    Pod,
    Service,
    Endpoints,
    Endpointslice,
    Ingress,
}

/// `namespaces` of a `kubernetes_sd_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesNamespaces {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_namespace: Option<bool>,
}

/// `kubernetes_sd_configs`: targets from the Kubernetes API. Without
/// `api_server`, Prometheus uses its in-cluster service account.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesSd {
    pub role: KubernetesRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubeconfig_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<KubernetesNamespaces>,
    /// Authentication and TLS towards the discovery endpoint.
    #[serde(flatten)]
    pub client: HttpClient,
}

/// `consul_sd_configs`: targets from Consul's catalog. The ACL token comes
/// from a file through `authorization`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsulSd {
    /// `host:port` of the Consul agent; defaults to `localhost:8500`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datacenter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Services to scrape; all when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<Duration>,
    /// Authentication and TLS towards the discovery endpoint.
    #[serde(flatten)]
    pub client: HttpClient,
}

/// A relabelling action, as Prometheus names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RelabelAction {
    Replace,
    Keep,
    Drop,
    Keepequal,
    Dropequal,
    Hashmod,
    Labelmap,
    Labeldrop,
    Labelkeep,
    Lowercase,
    Uppercase,
}

/// One `relabel_configs` / `metric_relabel_configs` step. `regex` is RE2,
/// anchored at both ends as Prometheus anchors it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RelabelConfig {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modulus: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// Defaults to `replace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<RelabelAction>,
}

/// Everything a scrape job may carry besides its name, static targets,
/// interval, timeout, path, scheme, labels and HTTP client settings
/// ([`HttpClient`]); flattened into the job, whose
/// `deny_unknown_fields` still refuses unknown keys. Rendered into the job's
/// `scrape_config` as is.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
pub struct ScrapeOptions {
    /// URL query parameters, e.g. `module: [http_2xx]` for a blackbox exporter.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, Vec<String>>,
    /// Keep the target's own `job`/`instance` labels on conflict (federation, pushgateway).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honor_labels: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub file_sd_configs: Vec<FileSd>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_sd_configs: Vec<DnsSd>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub http_sd_configs: Vec<HttpSd>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kubernetes_sd_configs: Vec<KubernetesSd>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consul_sd_configs: Vec<ConsulSd>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relabel_configs: Vec<RelabelConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metric_relabel_configs: Vec<RelabelConfig>,
}
