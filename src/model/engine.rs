//! The scaled-out engine a render target addresses (`--target mimir|victoriametrics`):
//! `engine:` of the spec resolved into the URLs each program is given.

use crate::model::Profile;

/// Which engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// Grafana Mimir: rules synced with `mimirtool rules sync`, scrapes
    /// shipped by Prometheus in agent mode.
    Mimir,
    /// VictoriaMetrics (single-node or cluster): rules evaluated by vmalert,
    /// scrapes shipped by vmagent.
    VictoriaMetrics,
}

impl EngineKind {
    /// Output folder of the target's own files, and its compose service name.
    pub fn dir(self) -> &'static str {
        match self {
            EngineKind::Mimir => "mimir",
            EngineKind::VictoriaMetrics => "victoriametrics",
        }
    }
}

/// Mimir's tenant when multi-tenancy is off (`-auth.multitenancy-enabled=false`).
pub const MIMIR_DEFAULT_TENANT: &str = "anonymous";

/// The resolved engine: every URL the configs carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineTarget {
    pub kind: EngineKind,
    /// Base URL, no trailing slash.
    pub url: String,
    /// Mimir: always set (default `anonymous`); VictoriaMetrics: set for a cluster.
    pub tenant: Option<String>,
    /// Rule namespace.
    pub namespace: String,
    /// The engine is the stack's own single-node VictoriaMetrics (`engine.url` unset).
    pub local: bool,
    /// The scrapers, at least one.
    pub agents: Vec<crate::spec::Agent>,
}

impl EngineTarget {
    /// Resolve `engine:` for `kind`. `None` when the spec lacks what the
    /// target needs (Mimir without `engine.url`; reported by the
    /// `engine/url` check, never guessed).
    pub fn resolve(spec: &crate::spec::Spec, kind: EngineKind, profile: Profile) -> Option<EngineTarget> {
        let e = &spec.engine;
        let (url, local) = match (&e.url, kind) {
            (Some(u), _) => (u.trim().trim_end_matches('/').to_string(), false),
            (None, EngineKind::VictoriaMetrics) => {
                let host = match profile {
                    Profile::Compose => kind.dir(),
                    Profile::Local => "127.0.0.1",
                };
                (format!("http://{host}:{}", spec.stack.engine_port), true)
            }
            (None, EngineKind::Mimir) => return None,
        };
        let tenant = match kind {
            EngineKind::Mimir => Some(e.tenant.clone().unwrap_or_else(|| MIMIR_DEFAULT_TENANT.to_string())),
            EngineKind::VictoriaMetrics => e.tenant.clone(),
        };
        let agents = if e.agents.is_empty() {
            vec![crate::spec::Agent {
                name: match kind {
                    EngineKind::Mimir => "prometheus-agent",
                    EngineKind::VictoriaMetrics => "vmagent",
                }
                .to_string(),
                port: spec.stack.agent_port,
                jobs: Vec::new(),
            }]
        } else {
            e.agents.clone()
        };
        Some(EngineTarget {
            kind,
            url,
            tenant,
            namespace: e.namespace.clone(),
            local,
            agents,
        })
    }

    /// Where scrapers remote-write (full path).
    pub fn write_url(&self) -> String {
        match (self.kind, &self.tenant) {
            (EngineKind::Mimir, _) => format!("{}/api/v1/push", self.url),
            (EngineKind::VictoriaMetrics, None) => format!("{}/api/v1/write", self.url),
            (EngineKind::VictoriaMetrics, Some(t)) => format!("{}/insert/{t}/prometheus/api/v1/write", self.url),
        }
    }

    /// Prometheus-compatible query root (Grafana's datasource, vmalert's `-datasource.url`).
    pub fn query_url(&self) -> String {
        match (self.kind, &self.tenant) {
            (EngineKind::Mimir, _) => format!("{}/prometheus", self.url),
            (EngineKind::VictoriaMetrics, None) => self.url.clone(),
            (EngineKind::VictoriaMetrics, Some(t)) => format!("{}/select/{t}/prometheus", self.url),
        }
    }

    /// Where vmalert writes recording rule results and alert state (it appends `/api/v1/write`).
    pub fn ruler_write_url(&self) -> String {
        match &self.tenant {
            None => self.url.clone(),
            Some(t) => format!("{}/insert/{t}/prometheus", self.url),
        }
    }

    /// The engine's readiness endpoint.
    pub fn health_url(&self) -> String {
        match self.kind {
            EngineKind::Mimir => format!("{}/ready", self.url),
            EngineKind::VictoriaMetrics => format!("{}/health", self.url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(yaml: &str, kind: EngineKind) -> Option<EngineTarget> {
        let spec: crate::spec::Spec = serde_yaml_ng::from_str(yaml).unwrap();
        EngineTarget::resolve(&spec, kind, Profile::Compose)
    }

    #[test]
    fn paths_follow_each_engine() {
        let vm = target("version: 1\n", EngineKind::VictoriaMetrics).unwrap();
        assert!(vm.local);
        assert_eq!(vm.write_url(), "http://victoriametrics:8428/api/v1/write");
        assert_eq!(vm.query_url(), "http://victoriametrics:8428");
        assert_eq!(vm.ruler_write_url(), "http://victoriametrics:8428");
        let cluster = target(
            "version: 1\nengine: {url: 'http://vmauth:8427/', tenant: '42:7'}\n",
            EngineKind::VictoriaMetrics,
        )
        .unwrap();
        assert_eq!(cluster.write_url(), "http://vmauth:8427/insert/42:7/prometheus/api/v1/write");
        assert_eq!(cluster.query_url(), "http://vmauth:8427/select/42:7/prometheus");
        assert_eq!(cluster.ruler_write_url(), "http://vmauth:8427/insert/42:7/prometheus");
        assert_eq!(target("version: 1\n", EngineKind::Mimir), None, "Mimir needs engine.url");
        let mimir = target("version: 1\nengine: {url: 'http://mimir:8080'}\n", EngineKind::Mimir).unwrap();
        assert_eq!(mimir.tenant.as_deref(), Some(MIMIR_DEFAULT_TENANT));
        assert_eq!(mimir.write_url(), "http://mimir:8080/api/v1/push");
        assert_eq!(mimir.query_url(), "http://mimir:8080/prometheus");
    }
}
