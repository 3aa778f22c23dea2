//! What runs: one [`Service`] per program of the stack, with its flags, data
//! and log paths and the URL that says it is healthy. Pure: built from the
//! model and the state layout, so it is testable without starting anything.

use std::path::{Path, PathBuf};

use crate::conventions as c;
use crate::model::Model;

use super::binaries::{self, Program};

/// Layout of the state directory.
#[derive(Debug, Clone)]
pub struct State {
    /// `<state>` (absolute).
    pub root: PathBuf,
}

impl State {
    /// Rendered configs (`Profile::Local`): `<state>/config`.
    pub fn config(&self) -> PathBuf {
        self.root.join("config")
    }
    /// Data of one service: `<state>/data/<service>`.
    pub fn data(&self, service: &str) -> PathBuf {
        self.root.join("data").join(service)
    }
    /// Log of one service: `<state>/logs/<service>.log`.
    pub fn log(&self, service: &str) -> PathBuf {
        self.root.join("logs").join(format!("{service}.log"))
    }
    /// Grafana's generated admin password (mode 0600) when the environment sets none.
    pub fn grafana_password(&self) -> PathBuf {
        self.root.join("grafana-admin-password")
    }
    /// PIDs of the running children, one `service pid` per line.
    pub fn pids(&self) -> PathBuf {
        self.root.join("pids")
    }
}

/// One program of the stack.
#[derive(Debug, Clone)]
pub struct Service {
    /// Service name (as in docker-compose.yml; a scraper's name from the spec).
    pub name: String,
    pub program: Program,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// 200 here means healthy.
    pub health_url: String,
    /// URL shown to the user.
    pub url: String,
    /// Without it the stack still runs (Grafana).
    pub optional: bool,
}

fn arg(flag: &str, v: impl AsRef<Path>) -> String {
    format!("{flag}={}", v.as_ref().display())
}

/// The stack's services, in start order (dependencies first). Grafana's admin
/// password is `grafana_password` (never Grafana's admin/admin default).
pub fn services(m: &Model, st: &State, grafana_password: &str) -> Vec<Service> {
    let s = &m.stack;
    let base = |port: u16| format!("http://127.0.0.1:{port}");
    let prov = st.config().join(c::DIR_PROVISIONING);
    let grafana_env = vec![
        ("GF_PATHS_PROVISIONING".to_string(), prov.join("grafana").display().to_string()),
        ("GF_PATHS_DATA".to_string(), st.data(c::SERVICE_GRAFANA).display().to_string()),
        ("GF_PATHS_LOGS".to_string(), st.root.join("logs").display().to_string()),
        ("GF_SERVER_HTTP_ADDR".to_string(), "127.0.0.1".to_string()),
        ("GF_SERVER_HTTP_PORT".to_string(), s.grafana_port.to_string()),
        ("GF_AUTH_ANONYMOUS_ENABLED".to_string(), "false".to_string()),
        ("GF_ANALYTICS_REPORTING_ENABLED".to_string(), "false".to_string()),
        ("GF_SECURITY_ADMIN_PASSWORD".to_string(), grafana_password.to_string()),
    ];
    let mut all = vec![
        Service {
            name: c::SERVICE_EXPORTER.into(),
            program: binaries::EXPORTER,
            args: vec![
                format!("--web.listen-address=127.0.0.1:{}", s.exporter_port),
                arg("--config.file", prov.join(crate::render::EXPORTER_CONFIG)),
            ],
            env: vec![],
            health_url: format!("{}/health", base(s.exporter_port)),
            url: format!("{}/metrics", base(s.exporter_port)),
            optional: false,
        },
        Service {
            name: c::SERVICE_ALERTMANAGER.into(),
            program: binaries::ALERTMANAGER,
            args: vec![
                arg("--config.file", prov.join("alertmanager/alertmanager.yml")),
                arg("--storage.path", st.data(c::SERVICE_ALERTMANAGER)),
                format!("--web.listen-address=127.0.0.1:{}", s.alertmanager_port),
                "--cluster.listen-address=".to_string(),
            ]
            .into_iter()
            // Resolved by lowering (the stack's own URL unless the spec sets one).
            .chain(m.alertmanager.external_url.iter().map(|u| format!("--web.external-url={u}")))
            .collect(),
            env: vec![],
            health_url: format!("{}/-/ready", base(s.alertmanager_port)),
            url: format!("{}/", base(s.alertmanager_port)),
            optional: false,
        },
        Service {
            name: c::SERVICE_PROMETHEUS.into(),
            program: binaries::PROMETHEUS,
            args: vec![
                arg("--config.file", prov.join("prometheus/prometheus.yml")),
                arg("--storage.tsdb.path", st.data(c::SERVICE_PROMETHEUS)),
                format!("--storage.tsdb.retention.time={}", m.prometheus.retention.as_str()),
                format!("--web.listen-address=127.0.0.1:{}", s.prometheus_port),
                format!("--web.external-url={}/", base(s.prometheus_port)),
                // No --web.enable-lifecycle: /-/quit and /-/reload would be open
                // to every local user. genmon up restarts to reload.
            ],
            env: vec![],
            health_url: format!("{}/-/ready", base(s.prometheus_port)),
            url: format!("{}/", base(s.prometheus_port)),
            optional: false,
        },
    ];
    if let Some(e) = &m.engine {
        // Prometheus' place: the engine, its scraper and its ruler.
        all.pop();
        all.extend(engine_services(m, e, st));
    }
    all.push(Service {
        name: c::SERVICE_GRAFANA.into(),
        program: binaries::GRAFANA,
        args: grafana_args(),
        env: grafana_env,
        health_url: format!("{}/api/health", base(s.grafana_port)),
        url: format!("{}/", base(s.grafana_port)),
        optional: true,
    });
    all
}

/// `--target victoriametrics`: the stack's own single-node VictoriaMetrics
/// (unless `engine.url` names another), vmagent shipping every scrape to it,
/// vmalert evaluating the rules on it and notifying Alertmanager.
fn engine_services(m: &Model, e: &crate::model::engine::EngineTarget, st: &State) -> Vec<Service> {
    use crate::render::engine::{SERVICE_VMALERT, vmagent_args, vmalert_args};
    let s = &m.stack;
    let base = |port: u16| format!("http://127.0.0.1:{port}");
    let dir = st.config().join(e.kind.dir());
    let mut out = Vec::new();
    if e.local {
        // Retention in whole hours (VictoriaMetrics counts bare numbers as months).
        let hours = m.prometheus.retention.secs().div_ceil(3600);
        out.push(Service {
            name: crate::model::engine::EngineKind::VictoriaMetrics.dir().into(),
            program: binaries::VICTORIA_METRICS,
            args: vec![
                arg("-storageDataPath", st.data(e.kind.dir())),
                format!("-httpListenAddr=127.0.0.1:{}", s.engine_port),
                format!("-retentionPeriod={hours}h"),
                // Samples are queryable one scrape after they arrive (default 30s).
                format!("-search.latencyOffset={}", m.prometheus.scrape_interval.as_str()),
            ],
            env: vec![],
            health_url: format!("{}/health", base(s.engine_port)),
            url: format!("{}/", base(s.engine_port)),
            optional: false,
        });
    }
    for agent in &e.agents {
        out.push(Service {
            name: agent.name.clone(),
            program: binaries::VMAGENT,
            args: vmagent_args(m, e, agent, &dir, &st.data(&agent.name)),
            env: vec![],
            health_url: format!("{}/health", base(agent.port)),
            url: format!("{}/targets", base(agent.port)),
            optional: false,
        });
    }
    out.push(Service {
        name: SERVICE_VMALERT.into(),
        program: binaries::VMALERT,
        args: vmalert_args(m, e, &dir),
        env: vec![],
        health_url: format!("{}/health", base(s.ruler_port)),
        url: format!("{}/", base(s.ruler_port)),
        optional: false,
    });
    out
}

/// Grafana's home (static files); Debian/RPM packages install it here.
fn grafana_args() -> Vec<String> {
    let home = ["/usr/share/grafana"].into_iter().find(|h| Path::new(h).is_dir());
    match home {
        Some(h) => vec![format!("--homepath={h}")],
        None => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_finds_its_rules_relative_to_its_config() {
        let spec: crate::spec::Spec = serde_yaml_ng::from_str("version: 1\n").unwrap();
        let m = crate::model::lower(&spec, crate::model::Profile::Local);
        let st = State { root: PathBuf::from("/s") };
        let svc = services(&m, &st, "pw");
        let p = svc.iter().find(|s| s.name == "prometheus").unwrap();
        assert!(
            p.args
                .contains(&"--config.file=/s/config/provisioning/prometheus/prometheus.yml".to_string())
        );
        // rule_files: ../../alerts/*.rules.yml from there is /s/config/alerts, where render writes them.
        assert_eq!(
            Path::new("/s/config/provisioning/prometheus/../../alerts"),
            Path::new("/s/config/provisioning/prometheus").join("../../alerts")
        );
        let g = svc.iter().find(|s| s.name == "grafana").unwrap();
        assert!(g.env.contains(&("GF_SECURITY_ADMIN_PASSWORD".to_string(), "pw".to_string())));
        assert!(g.env.contains(&("GF_AUTH_ANONYMOUS_ENABLED".to_string(), "false".to_string())));
        let x = svc.iter().find(|s| s.name == "genmon-exporter").unwrap();
        assert!(
            x.args
                .contains(&"--config.file=/s/config/provisioning/exporter/exporter.yml".to_string())
        );
        let am = svc.iter().find(|s| s.name == "alertmanager").unwrap();
        assert!(am.args.contains(&"--cluster.listen-address=".to_string()));
    }

    #[test]
    fn victoriametrics_takes_prometheus_place() {
        use crate::model::engine::{EngineKind, EngineTarget};
        let spec: crate::spec::Spec = serde_yaml_ng::from_str("version: 1\nprometheus: {retention: 2d}\n").unwrap();
        let mut m = crate::model::lower(&spec, crate::model::Profile::Local);
        m.engine = EngineTarget::resolve(&spec, EngineKind::VictoriaMetrics, crate::model::Profile::Local);
        let st = State { root: PathBuf::from("/s") };
        let names: Vec<String> = services(&m, &st, "pw").iter().map(|s| s.name.clone()).collect();
        assert_eq!(
            names,
            [
                "genmon-exporter",
                "alertmanager",
                "victoriametrics",
                "vmagent",
                "vmalert",
                "grafana"
            ]
        );
        let svc = services(&m, &st, "pw");
        let vm = svc.iter().find(|s| s.name == "victoriametrics").unwrap();
        assert!(vm.args.contains(&"-retentionPeriod=48h".to_string()), "{:?}", vm.args);
        assert!(vm.args.contains(&"-httpListenAddr=127.0.0.1:8428".to_string()));
        let ruler = svc.iter().find(|s| s.name == "vmalert").unwrap();
        assert!(
            ruler.args.contains(&"-rule=/s/config/victoriametrics/rules/*.yml".to_string()),
            "{:?}",
            ruler.args
        );
        assert!(ruler.args.contains(&"-notifier.url=http://127.0.0.1:9093".to_string()));
        // An engine elsewhere: no local VictoriaMetrics.
        let spec: crate::spec::Spec = serde_yaml_ng::from_str("version: 1\nengine: {url: 'http://vm.example.com:8428'}\n").unwrap();
        m.engine = EngineTarget::resolve(&spec, EngineKind::VictoriaMetrics, crate::model::Profile::Local);
        assert!(!services(&m, &st, "pw").iter().any(|s| s.name == "victoriametrics"));
    }
}
