//! `engine/…`: the `engine:` section, for `--target mimir|victoriametrics`.
//! `engine/namespace` (it becomes a file name) runs always; the rest depends
//! on the target and runs from [`for_target`]: `engine/url` (Mimir has no
//! default address), `engine/tenant` (each engine's tenant syntax) and
//! `engine/keep-firing-for` (vmalert before v1.90 refuses the field); and,
//! on the model, [`agents`]: `engine/agents` (every scrape job has exactly
//! one scraper; names and ports are distinct).

use super::{Check, Ctx};
use crate::diag::Diagnostic;
use crate::model::engine::{EngineKind, EngineTarget};
use crate::spec::Spec;

pub struct EngineSection;

const NAMESPACE: &str = "engine/namespace";
const URL: &str = "engine/url";
const TENANT: &str = "engine/tenant";
const KEEP_FIRING: &str = "engine/keep-firing-for";
const AGENTS: &str = "engine/agents";

impl Check for EngineSection {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (NAMESPACE, "the rule namespace is not a plain file name"),
            (URL, "the engine's URL is missing (Mimir) or not a base URL"),
            (TENANT, "the tenant is not valid for the engine"),
            (KEEP_FIRING, "keep_firing_for needs vmalert v1.90 or later"),
            (AGENTS, "a scraper's name, port or jobs clash, or a scrape job has no scraper"),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let ns = &cx.spec.engine.namespace;
        let ok =
            !ns.is_empty() && ns.len() <= 100 && !ns.starts_with('.') && ns.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if ok {
            return Vec::new();
        }
        vec![
            Diagnostic::error(
                NAMESPACE,
                "engine.namespace",
                format!("`{}` is not a plain file name", ns.escape_debug()),
            )
            .help("use letters, digits, `-`, `_` and `.` (not first), at most 100: it names the rule file and Mimir's namespace"),
        ]
    }
}

/// What the spec lacks or gets wrong for `kind`.
pub fn for_target(spec: &Spec, kind: EngineKind) -> Vec<Diagnostic> {
    let e = &spec.engine;
    let mut out = Vec::new();
    match &e.url {
        None if kind == EngineKind::Mimir => out.push(
            Diagnostic::error(URL, "engine", "`--target mimir` needs `engine.url`: the address of your Mimir")
                .help("add `engine: {url: http://mimir:8080}` (Mimir's HTTP endpoint, no path)"),
        ),
        None => {}
        Some(u) => match url::Url::parse(u.trim()) {
            Ok(p) if matches!(p.scheme(), "http" | "https") && p.query().is_none() && p.fragment().is_none() && p.path() == "/" => {}
            _ => out.push(
                Diagnostic::error(URL, "engine.url", format!("`{}` is not a base URL", u.escape_debug())).help(
                    "write the engine's http(s) address without path or query, e.g. `http://mimir:8080`; genmon appends each API's path",
                ),
            ),
        },
    }
    if let Some(t) = &e.tenant {
        let problem = match kind {
            // vminsert/vmselect: accountID[:projectID], both uint32.
            EngineKind::VictoriaMetrics => {
                let mut parts = t.splitn(2, ':');
                let ok = parts.all(|p| p.parse::<u32>().is_ok());
                (!ok).then_some("VictoriaMetrics cluster tenants are `accountID` or `accountID:projectID` (numbers)")
            }
            // Mimir's tenant ID rules: at most 150 of [A-Za-z0-9!-_.*'()], not `.` or `..`.
            EngineKind::Mimir => {
                let ok = !t.is_empty()
                    && t.len() <= 150
                    && t != "."
                    && t != ".."
                    && t.chars().all(|c| c.is_ascii_alphanumeric() || "!-_.*'()".contains(c));
                (!ok).then_some("Mimir tenant IDs are 1-150 of letters, digits and `!-_.*'()`, not `.` or `..`")
            }
        };
        if let Some(p) = problem {
            out.push(
                Diagnostic::error(TENANT, "engine.tenant", format!("`{}`: {p}", t.escape_debug())).help(match kind {
                    EngineKind::VictoriaMetrics => "write e.g. `tenant: \"0\"` or `tenant: \"42:1\"`; leave it out for single-node",
                    EngineKind::Mimir => "write e.g. `tenant: team-a`; leave it out for `anonymous` (multi-tenancy off)",
                }),
            );
        }
    }
    if kind == EngineKind::VictoriaMetrics {
        for (gi, g) in spec.rules.iter().enumerate() {
            for (ai, a) in g.alerts.iter().enumerate() {
                if a.keep_firing_for.is_some() {
                    out.push(
                        Diagnostic::warning(
                            KEEP_FIRING,
                            format!("rules[{gi}].alerts[{ai}].keep_firing_for"),
                            "vmalert before v1.90 refuses `keep_firing_for` and loads none of the rules",
                        )
                        .help("run vmalert v1.90 or later, or drop `keep_firing_for` from this alert"),
                    );
                }
            }
        }
    }
    out
}

/// `engine.agents`: names that are distinct file, service and job names;
/// distinct ports; named jobs that exist, each taken once; and every job
/// scraped by someone (a job no agent takes would silently go unscraped).
pub fn agents(m: &crate::model::Model, e: &EngineTarget) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let own: Vec<&str> = e.agents.iter().map(|a| a.name.as_str()).collect();
    // The jobs an agent may name: all but the agents' own.
    let bare = EngineTarget {
        agents: Vec::new(),
        ..e.clone()
    };
    let jobs: Vec<String> = crate::render::engine::scrape_jobs(m, &bare).into_iter().map(|j| j.name).collect();
    let s = &m.stack;
    let stack_ports = [
        s.exporter_port,
        s.prometheus_port,
        s.alertmanager_port,
        s.grafana_port,
        s.engine_port,
        s.ruler_port,
    ];
    let mut rest = 0;
    for (i, a) in e.agents.iter().enumerate() {
        let at = |k: &str| format!("engine.agents[{i}].{k}");
        let safe = !a.name.is_empty()
            && a.name.len() <= 63
            && !a.name.starts_with('-')
            && a.name.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
        if !safe {
            out.push(
                Diagnostic::error(AGENTS, at("name"), format!("`{}` is not a plain name", a.name.escape_debug()))
                    .help("use letters, digits, `-` and `_` (at most 63): it names files, a service and a scrape job"),
            );
        } else if own[..i].contains(&a.name.as_str()) || jobs.contains(&a.name) {
            out.push(
                Diagnostic::error(
                    AGENTS,
                    at("name"),
                    format!("`{}` is already the name of another scraper or scrape job", a.name),
                )
                .help("give each agent a name of its own"),
            );
        }
        if a.port == 0 || stack_ports.contains(&a.port) || e.agents[..i].iter().any(|b| b.port == a.port) {
            out.push(
                Diagnostic::error(
                    AGENTS,
                    at("port"),
                    format!("port {} is 0 or taken by another service of the stack", a.port),
                )
                .help("give each agent its own port"),
            );
        }
        if a.jobs.is_empty() {
            rest += 1;
            if rest > 1 {
                out.push(
                    Diagnostic::error(
                        AGENTS,
                        at("jobs"),
                        "a second agent without `jobs`: which one takes the remaining jobs is ambiguous",
                    )
                    .help("list the jobs of all agents but one"),
                );
            }
        }
        for (k, j) in a.jobs.iter().enumerate() {
            if !jobs.contains(j) {
                let hint = crate::diag::did_you_mean(j, jobs.iter().map(String::as_str))
                    .map(|d| format!("did you mean `{d}`? "))
                    .unwrap_or_default();
                out.push(
                    Diagnostic::error(AGENTS, format!("engine.agents[{i}].jobs[{k}]"), format!("no scrape job `{j}`"))
                        .help(format!("{hint}the jobs are: {}", jobs.join(", "))),
                );
            } else if e.agents[..i].iter().any(|b| b.jobs.contains(j)) || a.jobs[..k].contains(j) {
                out.push(
                    Diagnostic::error(
                        AGENTS,
                        format!("engine.agents[{i}].jobs[{k}]"),
                        format!("`{j}` is already scraped by another agent"),
                    )
                    .help("each job has one scraper; scraping it twice stores every sample twice"),
                );
            }
        }
    }
    if rest == 0 {
        let unscraped: Vec<&str> = jobs
            .iter()
            .filter(|j| !e.agents.iter().any(|a| a.jobs.contains(j)))
            .map(String::as_str)
            .collect();
        if !unscraped.is_empty() {
            out.push(
                Diagnostic::error(AGENTS, "engine.agents", format!("no agent scrapes {}", unscraped.join(", ")))
                    .help("list them under an agent's `jobs`, or leave one agent's `jobs` out so it takes the rest"),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    fn target(yaml: &str, kind: EngineKind) -> Vec<String> {
        let spec: Spec = serde_yaml_ng::from_str(yaml).unwrap();
        for_target(&spec, kind)
            .into_iter()
            .map(|d| format!("{}@{}", d.code, d.path))
            .collect()
    }

    fn agent_problems(yaml: &str) -> Vec<String> {
        let spec: Spec = serde_yaml_ng::from_str(yaml).unwrap();
        let mut m = crate::model::lower(&spec, crate::model::Profile::Compose);
        let e = EngineTarget::resolve(&spec, EngineKind::VictoriaMetrics, m.profile).unwrap();
        m.engine = Some(e.clone());
        agents(&m, &e).into_iter().map(|d| format!("{}@{}", d.code, d.path)).collect()
    }

    #[test]
    fn every_job_has_one_agent() {
        assert!(agent_problems("version: 1\n").is_empty(), "the default agent takes every job");
        let two = "version: 1\nprometheus: {scrape_jobs: [{name: edge, targets: ['e:1']}]}\nengine: {agents: [{name: a, port: 1001}, {name: b, port: 1002, jobs: [edge]}]}\n";
        assert!(agent_problems(two).is_empty());
        let bad = "version: 1\nprometheus: {scrape_jobs: [{name: edge, targets: ['e:1']}]}\nengine: {agents: [{name: a, port: 9093, jobs: [edge, edg]}, {name: edge, port: 1002, jobs: [edge]}, {name: 'x y', port: 1002}]}\n";
        assert_eq!(
            agent_problems(bad),
            [
                "engine/agents@engine.agents[0].port",
                "engine/agents@engine.agents[0].jobs[1]",
                "engine/agents@engine.agents[1].name",
                "engine/agents@engine.agents[1].jobs[0]",
                "engine/agents@engine.agents[2].name",
                "engine/agents@engine.agents[2].port",
            ]
        );
        let unscraped = "version: 1\nengine: {agents: [{name: a, port: 1001, jobs: [genmon-exporter]}]}\n";
        assert_eq!(agent_problems(unscraped), ["engine/agents@engine.agents"]);
        let two_rests = "version: 1\nengine: {agents: [{name: a, port: 1001}, {name: b, port: 1002}]}\n";
        assert_eq!(agent_problems(two_rests), ["engine/agents@engine.agents[1].jobs"]);
    }

    #[test]
    fn namespace_is_a_file_name() {
        assert!(problems(&EngineSection, "version: 1\n").is_empty());
        assert_eq!(
            problems(&EngineSection, "version: 1\nengine: {namespace: ../x}\n"),
            ["engine/namespace@engine.namespace"]
        );
    }

    #[test]
    fn each_target_gets_what_it_needs() {
        assert_eq!(target("version: 1\n", EngineKind::Mimir), ["engine/url@engine"]);
        assert!(target("version: 1\n", EngineKind::VictoriaMetrics).is_empty());
        assert_eq!(
            target("version: 1\nengine: {url: 'http://m:8080/api/v1/push'}\n", EngineKind::Mimir),
            ["engine/url@engine.url"]
        );
        assert_eq!(
            target(
                "version: 1\nengine: {url: 'http://vm:8427', tenant: team-a}\n",
                EngineKind::VictoriaMetrics
            ),
            ["engine/tenant@engine.tenant"]
        );
        assert!(
            target(
                "version: 1\nengine: {url: 'http://vm:8427', tenant: '42:7'}\n",
                EngineKind::VictoriaMetrics
            )
            .is_empty()
        );
        assert!(target("version: 1\nengine: {url: 'http://m:8080', tenant: team-a}\n", EngineKind::Mimir).is_empty());
        let kf = "version: 1\nrules: [{name: g, alerts: [{name: A, expr: up == 0, keep_firing_for: 5m}]}]\n";
        assert_eq!(
            target(kf, EngineKind::VictoriaMetrics),
            ["engine/keep-firing-for@rules[0].alerts[0].keep_firing_for"]
        );
        let kf_mimir = format!("{kf}engine: {{url: 'http://m:8080'}}\n");
        assert!(target(&kf_mimir, EngineKind::Mimir).is_empty());
    }
}
