//! Model → the files of `--target mimir|victoriametrics`: the rule namespace
//! file the ruler loads, the scraper that remote-writes every scrape to the
//! engine (Prometheus in agent mode for Mimir, vmagent for VictoriaMetrics),
//! the ruler's Alertmanager wiring, and (through [`super::provisioning`]) a
//! Grafana datasource on the engine's query path.
//!
//! The scrapers' and vmalert's command lines are built here once: the
//! rendered `run-*.sh` scripts and `genmon up --target victoriametrics` use
//! the same [`vmagent_args`] and [`vmalert_args`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Artifact;
use super::prometheus::{Scrape, scrape_configs};
use crate::conventions as c;
use crate::model::engine::{EngineKind, EngineTarget};
use crate::model::{Model, Profile, ScrapeJob};

/// vmagent and vmalert: service names, and their self-scrape jobs.
pub const SERVICE_VMAGENT: &str = "vmagent";
pub const SERVICE_VMALERT: &str = "vmalert";
/// Prometheus in agent mode (the Mimir target's scraper).
pub const SERVICE_PROMETHEUS_AGENT: &str = "prometheus-agent";

/// Folder of the rule namespace files, under the target's folder.
pub const DIR_RULES: &str = "rules";
/// vmagent's scrape config, under `victoriametrics/`.
pub const VMAGENT_CONFIG: &str = "vmagent/scrape.yml";
/// The agent-mode Prometheus config, under `mimir/`.
pub const AGENT_CONFIG: &str = "prometheus-agent.yml";

#[derive(Serialize)]
struct ScrapeFile<'a> {
    global: ScrapeGlobal<'a>,
    scrape_configs: Vec<Scrape<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    remote_write: Vec<RemoteWrite>,
}

#[derive(Serialize)]
struct ScrapeGlobal<'a> {
    scrape_interval: &'a str,
    scrape_timeout: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    external_labels: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct RemoteWrite {
    url: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<String, String>,
}

/// Mimir's tenant header.
pub const TENANT_HEADER: &str = "X-Scope-OrgID";

/// The jobs the engine's scraper runs: the stack's jobs without Prometheus
/// (there is none in this topology), plus, with `stack.self_monitoring`,
/// vmagent, vmalert and the stack's own VictoriaMetrics.
pub fn scrape_jobs(m: &Model, e: &EngineTarget) -> Vec<ScrapeJob> {
    let mut jobs: Vec<ScrapeJob> = m
        .scrape_jobs
        .iter()
        .filter(|j| !(m.stack.self_monitoring && j.name == c::JOB_PROMETHEUS))
        .cloned()
        .collect();
    if m.stack.self_monitoring && e.kind == EngineKind::VictoriaMetrics {
        let s = &m.stack;
        let mut own = vec![
            (SERVICE_VMAGENT, m.host(SERVICE_VMAGENT), s.agent_port),
            (SERVICE_VMALERT, m.host(SERVICE_VMALERT), s.ruler_port),
        ];
        if e.local {
            own.push((e.kind.dir(), m.host(e.kind.dir()), s.engine_port));
        }
        jobs.extend(own.into_iter().map(|(name, host, port)| ScrapeJob {
            name: name.to_string(),
            targets: vec![format!("{host}:{port}")],
            interval: None,
            timeout: None,
            metrics_path: "/metrics".into(),
            scheme: "http".into(),
            labels: BTreeMap::new(),
        }));
    }
    jobs
}

fn scrape_file(m: &Model, jobs: &[ScrapeJob], remote_write: Vec<RemoteWrite>) -> Vec<u8> {
    let p = &m.prometheus;
    super::yaml(&ScrapeFile {
        global: ScrapeGlobal {
            scrape_interval: p.scrape_interval.as_str(),
            scrape_timeout: p.scrape_timeout.as_str(),
            external_labels: &p.external_labels,
        },
        scrape_configs: scrape_configs(jobs),
        remote_write,
    })
}

/// Where a program listens: 127.0.0.1 under `genmon up`, every interface in
/// a container (compose), where other services must reach it.
fn listen(m: &Model, port: u16) -> String {
    match m.profile {
        Profile::Local => format!("127.0.0.1:{port}"),
        Profile::Compose => format!(":{port}"),
    }
}

fn flag(name: &str, value: impl std::fmt::Display) -> String {
    format!("-{name}={value}")
}

/// vmagent's flags. `dir` is the rendered `victoriametrics/` folder; `data`
/// its buffer for samples the engine has not taken yet.
pub fn vmagent_args(m: &Model, e: &EngineTarget, dir: &Path, data: &Path) -> Vec<String> {
    let mut args = vec![
        flag("promscrape.config", dir.join(VMAGENT_CONFIG).display()),
        flag("remoteWrite.url", e.write_url()),
        flag("remoteWrite.tmpDataPath", data.display()),
        flag("httpListenAddr", listen(m, m.stack.agent_port)),
    ];
    args.extend(
        m.prometheus
            .external_labels
            .iter()
            .map(|(k, v)| flag("remoteWrite.label", format!("{k}={v}"))),
    );
    args
}

/// vmalert's flags: rules from `dir/rules/`, queries and writes (recording
/// rules, alert state) on the engine, notifications to Alertmanager.
pub fn vmalert_args(m: &Model, e: &EngineTarget, dir: &Path) -> Vec<String> {
    let am = format!("http://{}:{}", m.host(c::SERVICE_ALERTMANAGER), m.stack.alertmanager_port);
    let mut args = vec![
        flag("rule", dir.join(DIR_RULES).join("*.yml").display()),
        flag("datasource.url", e.query_url()),
        flag("remoteWrite.url", e.ruler_write_url()),
        flag("remoteRead.url", e.query_url()),
        flag("notifier.url", am),
        flag("evaluationInterval", m.prometheus.evaluation_interval.as_str()),
        flag("httpListenAddr", listen(m, m.stack.ruler_port)),
        flag("external.url", format!("http://{}:{}", m.host(SERVICE_VMALERT), m.stack.ruler_port)),
    ];
    args.extend(
        m.prometheus
            .external_labels
            .iter()
            .map(|(k, v)| flag("external.label", format!("{k}={v}"))),
    );
    args
}

/// A POSIX shell word.
fn quote(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "-_=/.:,@%+".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `run-<program>.sh`: runs the program from the folder it lives in.
fn script(program: &str, args: &[String], what: &str) -> Vec<u8> {
    let mut s = format!(
        "#!/bin/sh\n{}\n# {what}\ncd \"$(dirname \"$0\")\" || exit 2\nexec {program}",
        c::GENERATED_HEADER
    );
    for a in args {
        s.push_str(" \\\n  ");
        s.push_str(&quote(a));
    }
    s.push_str(" \\\n  \"$@\"\n");
    s.into_bytes()
}

/// Mimir's ruler settings to merge into Mimir's own configuration.
fn mimir_ruler(m: &Model, e: &EngineTarget) -> Vec<u8> {
    let am = format!("http://{}:{}", m.host(c::SERVICE_ALERTMANAGER), m.stack.alertmanager_port);
    let tenant = e.tenant.as_deref().unwrap_or_default();
    format!(
        "{header}
# Merge into Mimir's configuration (-config.file): the ruler evaluates the
# rules of namespace `{ns}` and sends alerts to the stack's Alertmanager.
# Load the rules with:
#   mimirtool rules sync --address={url} --id={tenant} --rule-dirs=rules --namespaces={ns}
# (`mimirtool rules diff` with the same flags first shows what would change;
# `--namespaces` leaves the tenant's other namespaces alone).
ruler:
  alertmanager_url: {am}
  evaluation_interval: {eval}
",
        header = c::GENERATED_HEADER,
        ns = e.namespace,
        url = e.url,
        eval = m.prometheus.evaluation_interval.as_str(),
    )
    .into_bytes()
}

/// The target's own files, paths relative to the output root.
pub fn files(m: &Model, e: &EngineTarget) -> Vec<Artifact> {
    let root = PathBuf::from(e.kind.dir());
    let jobs = scrape_jobs(m, e);
    let rule_file = root.join(DIR_RULES).join(format!("{}.yml", e.namespace));
    let here = Path::new("");
    match e.kind {
        EngineKind::VictoriaMetrics => vec![
            Artifact {
                path: rule_file,
                bytes: super::rules::namespace_file(None, &m.groups),
            },
            Artifact {
                path: root.join(VMAGENT_CONFIG),
                bytes: scrape_file(m, &jobs, Vec::new()),
            },
            Artifact {
                path: root.join("run-vmagent.sh"),
                bytes: script(
                    "vmagent",
                    &vmagent_args(m, e, here, Path::new("data/vmagent")),
                    "vmagent: scrapes every target and remote-writes each sample to the engine.",
                ),
            },
            Artifact {
                path: root.join("run-vmalert.sh"),
                bytes: script(
                    "vmalert",
                    &vmalert_args(m, e, here),
                    "vmalert: evaluates the rules on the engine and notifies Alertmanager.",
                ),
            },
        ],
        EngineKind::Mimir => {
            let headers = e.tenant.iter().map(|t| (TENANT_HEADER.to_string(), t.clone())).collect();
            vec![
                Artifact {
                    path: rule_file,
                    bytes: super::rules::namespace_file(Some(&e.namespace), &m.groups),
                },
                Artifact {
                    path: root.join(AGENT_CONFIG),
                    bytes: scrape_file(
                        m,
                        &jobs,
                        vec![RemoteWrite {
                            url: e.write_url(),
                            headers,
                        }],
                    ),
                },
                Artifact {
                    path: root.join("run-prometheus-agent.sh"),
                    bytes: script(
                        "prometheus",
                        &[
                            "--enable-feature=agent".to_string(),
                            format!("--config.file={AGENT_CONFIG}"),
                            "--storage.agent.path=data/prometheus-agent".to_string(),
                            format!("--web.listen-address={}", listen(m, m.stack.prometheus_port)),
                        ],
                        "Prometheus in agent mode: scrapes every target and remote-writes each sample to Mimir.",
                    ),
                },
                Artifact {
                    path: root.join("ruler.yml"),
                    bytes: mimir_ruler(m, e),
                },
            ]
        }
    }
}
