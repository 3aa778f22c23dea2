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
use crate::spec::Agent;

/// vmalert: service name and self-scrape job.
pub const SERVICE_VMALERT: &str = "vmalert";

/// Folder of the rule namespace files, under the target's folder.
pub const DIR_RULES: &str = "rules";
/// A vmagent's scrape config, under `victoriametrics/`.
pub fn vmagent_config(agent: &Agent) -> PathBuf {
    Path::new("vmagent").join(format!("{}.yml", agent.name))
}

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

/// Every job the engine's scrapers run: the stack's jobs without Prometheus
/// (there is none in this topology), plus, with `stack.self_monitoring`,
/// each vmagent (job = its name), vmalert and the stack's own VictoriaMetrics.
pub fn scrape_jobs(m: &Model, e: &EngineTarget) -> Vec<ScrapeJob> {
    let mut jobs: Vec<ScrapeJob> = m
        .scrape_jobs
        .iter()
        .filter(|j| !(m.stack.self_monitoring && j.name == c::JOB_PROMETHEUS))
        .cloned()
        .collect();
    if m.stack.self_monitoring && e.kind == EngineKind::VictoriaMetrics {
        let s = &m.stack;
        let mut own: Vec<(&str, u16)> = e.agents.iter().map(|a| (a.name.as_str(), a.port)).collect();
        own.push((SERVICE_VMALERT, s.ruler_port));
        if e.local {
            own.push((e.kind.dir(), s.engine_port));
        }
        jobs.extend(
            own.into_iter()
                .map(|(name, port)| ScrapeJob::own(name, format!("{}:{port}", m.host(name)))),
        );
    }
    jobs
}

/// The jobs of each agent: those it names, its own, and for the agent that
/// names none, every job no other agent takes. A job no agent takes is an
/// `engine/agents` error before rendering, never dropped here.
pub fn agent_jobs<'a>(m: &Model, e: &'a EngineTarget) -> Vec<(&'a Agent, Vec<ScrapeJob>)> {
    let all = scrape_jobs(m, e);
    let claimed = |job: &str| {
        e.agents
            .iter()
            .any(|a| a.jobs.iter().any(|j| j == job) || (a.name == job && e.kind == EngineKind::VictoriaMetrics))
    };
    e.agents
        .iter()
        .map(|a| {
            let jobs = all
                .iter()
                .filter(|j| {
                    a.jobs.contains(&j.name)
                        || (j.name == a.name && e.kind == EngineKind::VictoriaMetrics)
                        || (a.jobs.is_empty() && !claimed(&j.name))
                })
                .cloned()
                .collect();
            (a, jobs)
        })
        .collect()
}

fn scrape_file(m: &Model, jobs: &[ScrapeJob], remote_write: Vec<RemoteWrite>) -> super::Bytes {
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

/// A vmagent's flags. `dir` is the rendered `victoriametrics/` folder; `data`
/// its buffer for samples the engine has not taken yet.
pub fn vmagent_args(m: &Model, e: &EngineTarget, agent: &Agent, dir: &Path, data: &Path) -> Vec<String> {
    let mut args = vec![
        flag("promscrape.config", dir.join(vmagent_config(agent)).display()),
        flag("remoteWrite.url", e.write_url()),
        flag("remoteWrite.tmpDataPath", data.display()),
        flag("httpListenAddr", listen(m, agent.port)),
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
pub fn files(m: &Model, e: &EngineTarget) -> Result<Vec<Artifact>, Box<crate::diag::Diagnostic>> {
    let root = PathBuf::from(e.kind.dir());
    let here = Path::new("");
    let mut out = Vec::new();
    let (namespace, ruler) = match e.kind {
        EngineKind::VictoriaMetrics => (
            None,
            Artifact {
                path: root.join("run-vmalert.sh"),
                bytes: script(
                    "vmalert",
                    &vmalert_args(m, e, here),
                    "vmalert: evaluates the rules on the engine and notifies Alertmanager.",
                ),
            },
        ),
        EngineKind::Mimir => (
            Some(e.namespace.as_str()),
            Artifact {
                path: root.join("ruler.yml"),
                bytes: mimir_ruler(m, e),
            },
        ),
    };
    out.push(super::artifact(
        root.join(DIR_RULES).join(format!("{}.yml", e.namespace)),
        super::rules::namespace_file(namespace, &m.groups),
    )?);
    out.push(ruler);
    for (agent, jobs) in agent_jobs(m, e) {
        let run = root.join(format!("run-{}.sh", agent.name));
        match e.kind {
            EngineKind::VictoriaMetrics => {
                out.push(super::artifact(
                    root.join(vmagent_config(agent)),
                    scrape_file(m, &jobs, Vec::new()),
                )?);
                let data = Path::new("data").join(&agent.name);
                out.push(Artifact {
                    path: run,
                    bytes: script(
                        "vmagent",
                        &vmagent_args(m, e, agent, here, &data),
                        "vmagent: scrapes its jobs and remote-writes each sample to the engine.",
                    ),
                });
            }
            EngineKind::Mimir => {
                let config = format!("{}.yml", agent.name);
                let headers = e.tenant.iter().map(|t| (TENANT_HEADER.to_string(), t.clone())).collect();
                out.push(super::artifact(
                    root.join(&config),
                    scrape_file(
                        m,
                        &jobs,
                        vec![RemoteWrite {
                            url: e.write_url(),
                            headers,
                        }],
                    ),
                )?);
                out.push(Artifact {
                    path: run,
                    bytes: script(
                        "prometheus",
                        &[
                            "--enable-feature=agent".to_string(),
                            format!("--config.file={config}"),
                            format!("--storage.agent.path=data/{}", agent.name),
                            format!("--web.listen-address={}", listen(m, agent.port)),
                        ],
                        "Prometheus in agent mode: scrapes its jobs and remote-writes each sample to Mimir.",
                    ),
                });
            }
        }
    }
    Ok(out)
}
