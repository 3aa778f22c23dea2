//! Model → `provisioning/prometheus/prometheus.yml`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::conventions as c;
use crate::model::Model;
use crate::spec::scrape::{HttpClient, ScrapeOptions};

#[derive(Serialize)]
struct Config<'a> {
    global: Global<'a>,
    rule_files: Vec<String>,
    alerting: Alerting,
    scrape_configs: Vec<Scrape<'a>>,
}

#[derive(Serialize)]
pub(super) struct Global<'a> {
    scrape_interval: &'a str,
    scrape_timeout: &'a str,
    evaluation_interval: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    external_labels: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Alerting {
    alertmanagers: Vec<Static>,
}

#[derive(Serialize)]
struct Static {
    static_configs: Vec<Targets>,
}

#[derive(Serialize)]
pub(super) struct Targets {
    targets: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<String, String>,
}

#[derive(Serialize)]
pub(super) struct Scrape<'a> {
    job_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scrape_interval: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scrape_timeout: Option<&'a str>,
    metrics_path: &'a str,
    scheme: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    static_configs: Vec<Targets>,
    #[serde(flatten)]
    options: &'a ScrapeOptions,
    #[serde(flatten)]
    client: &'a HttpClient,
}

/// Render `prometheus.yml`. Rule files are found relative to the config file,
/// so the same layout works in the container and on the host.
pub fn config(m: &Model) -> super::Bytes {
    let cfg = Config {
        global: global(m),
        rule_files: vec![format!("../../{}/*.rules.yml", c::DIR_ALERTS)],
        alerting: Alerting {
            alertmanagers: vec![Static {
                static_configs: vec![Targets {
                    targets: vec![format!("{}:{}", m.host(c::SERVICE_ALERTMANAGER), m.stack.alertmanager_port)],
                    labels: BTreeMap::new(),
                }],
            }],
        },
        scrape_configs: scrape_configs(&m.scrape_jobs),
    };
    super::yaml(&cfg)
}

/// The `global:` section: intervals and external labels.
pub(super) fn global(m: &Model) -> Global<'_> {
    let p = &m.prometheus;
    Global {
        scrape_interval: p.scrape_interval.as_str(),
        scrape_timeout: p.scrape_timeout.as_str(),
        evaluation_interval: p.evaluation_interval.as_str(),
        external_labels: &p.external_labels,
    }
}

/// `scrape_configs:` of the jobs (static targets).
pub(super) fn scrape_configs(jobs: &[crate::model::ScrapeJob]) -> Vec<Scrape<'_>> {
    jobs.iter()
        .map(|j| Scrape {
            job_name: &j.name,
            scrape_interval: j.interval.as_ref().map(|d| d.as_str()),
            scrape_timeout: j.timeout.as_ref().map(|d| d.as_str()),
            metrics_path: &j.metrics_path,
            scheme: &j.scheme,
            // A discovery-only job has no static targets; its `labels`
            // are then applied by relabelling (see the scrape check).
            static_configs: (!j.targets.is_empty())
                .then(|| Targets {
                    targets: j.targets.clone(),
                    labels: j.labels.clone(),
                })
                .into_iter()
                .collect(),
            options: &j.options,
            client: &j.client,
        })
        .collect()
}
