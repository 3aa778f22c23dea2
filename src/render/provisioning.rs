//! Model → Grafana provisioning (datasource with a pinned uid, dashboard provider).

use serde::Serialize;

use crate::conventions as c;
use crate::model::Model;

#[derive(Serialize)]
struct Datasources<'a> {
    #[serde(rename = "apiVersion")]
    api_version: u8,
    datasources: Vec<Datasource<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Datasource<'a> {
    name: &'a str,
    uid: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    access: &'static str,
    url: String,
    is_default: bool,
    editable: bool,
    json_data: JsonData<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secure_json_data: Option<SecureJsonData>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonData<'a> {
    time_interval: &'a str,
    http_method: &'static str,
    prometheus_type: &'static str,
    /// Mimir's tenant header (`X-Scope-OrgID`), its value in `secureJsonData`.
    #[serde(skip_serializing_if = "Option::is_none")]
    http_header_name1: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SecureJsonData {
    http_header_value1: String,
}

/// `provisioning/grafana/datasources/genmon.yml`: Prometheus, or the
/// engine's query path under `--target mimir|victoriametrics`.
pub fn datasources(m: &Model) -> super::Bytes {
    use crate::model::engine::EngineKind;
    let ds = &m.grafana.datasource;
    let (url, prometheus_type, tenant) = match &m.engine {
        None => (
            format!("http://{}:{}", m.host(c::SERVICE_PROMETHEUS), m.stack.prometheus_port),
            "Prometheus",
            None,
        ),
        Some(e) if e.kind == EngineKind::Mimir => (e.query_url(), "Mimir", e.tenant.clone()),
        // VictoriaMetrics answers the Prometheus API; its tenant is in the path.
        Some(e) => (e.query_url(), "Prometheus", None),
    };
    super::yaml(&Datasources {
        api_version: 1,
        datasources: vec![Datasource {
            name: &ds.name,
            uid: &ds.uid,
            kind: "prometheus",
            access: "proxy",
            url,
            is_default: true,
            editable: false,
            json_data: JsonData {
                time_interval: m.prometheus.scrape_interval.as_str(),
                http_method: "POST",
                prometheus_type,
                http_header_name1: tenant.as_ref().map(|_| "X-Scope-OrgID"),
            },
            secure_json_data: tenant.map(|t| SecureJsonData { http_header_value1: t }),
        }],
    })
}

#[derive(Serialize)]
struct Providers {
    #[serde(rename = "apiVersion")]
    api_version: u8,
    providers: Vec<Provider>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Provider {
    name: &'static str,
    org_id: u8,
    #[serde(rename = "type")]
    kind: &'static str,
    disable_deletion: bool,
    allow_ui_updates: bool,
    update_interval_seconds: u32,
    options: ProviderOptions,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProviderOptions {
    path: String,
    folders_from_files_structure: bool,
}

/// `provisioning/grafana/dashboards/genmon.yml`.
pub fn dashboards(dashboards_path: &str) -> super::Bytes {
    super::yaml(&Providers {
        api_version: 1,
        providers: vec![Provider {
            name: "genmon",
            org_id: 1,
            kind: "file",
            disable_deletion: true,
            allow_ui_updates: false,
            update_interval_seconds: 30,
            options: ProviderOptions {
                path: dashboards_path.to_string(),
                folders_from_files_structure: true,
            },
        }],
    })
}
