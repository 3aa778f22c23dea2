//! `engine:`: the scaled-out metrics engine that `genmon render --target
//! mimir|victoriametrics` addresses (see docs/scaling-out.md).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The metrics engine (Grafana Mimir or VictoriaMetrics) that receives every
/// scrape by remote write, evaluates the rules in its ruler (Mimir ruler,
/// vmalert) and answers Grafana's queries. Read only by the `mimir` and
/// `victoriametrics` render targets and `genmon up --target victoriametrics`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Engine {
    /// Base URL of the engine, without a path: Mimir's HTTP endpoint
    /// (`http://mimir:8080`), VictoriaMetrics single-node
    /// (`http://victoriametrics:8428`) or, with `tenant`, the address that
    /// routes `/insert` to vminsert and `/select` to vmselect (vmauth).
    /// Unset: the `victoriametrics` target uses the stack's own single-node
    /// VictoriaMetrics (`stack.engine_port`); the `mimir` target requires it.
    pub url: Option<String>,
    /// Tenant. Mimir: the `X-Scope-OrgID` sent with every write, rule sync
    /// and query; unset means `anonymous`, Mimir's tenant when
    /// multi-tenancy is off. VictoriaMetrics: `accountID` or
    /// `accountID:projectID` of a cluster (`/insert/<tenant>/…`,
    /// `/select/<tenant>/…`); unset means single-node (no tenant in paths).
    pub tenant: Option<String>,
    /// Rule namespace: the `namespace:` of Mimir's rule file
    /// (`mimirtool rules sync`) and the rule file's name for vmalert.
    pub namespace: String,
    /// The scrapers (vmagent, or Prometheus in agent mode for Mimir), each
    /// remote-writing what it scrapes to the engine: one per host or per
    /// share of the jobs. Unset: one, `vmagent` (`prometheus-agent` for
    /// Mimir) on `stack.agent_port`, running every scrape job.
    pub agents: Vec<Agent>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine {
            url: None,
            tenant: None,
            namespace: "genmon".into(),
            agents: Vec::new(),
        }
    }
}

/// One scraper of the engine targets.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// Its name: its files (`vmagent/<name>.yml` and `run-<name>.sh`; Mimir:
    /// `<name>.yml`), its service under `genmon up` and its own scrape job.
    pub name: String,
    /// Its HTTP port (its own metrics and health).
    pub port: u16,
    /// The scrape jobs it runs, by job name (`genmon-exporter`, `alertmanager`,
    /// `prometheus.scrape_jobs[].name`, `vmalert`, `victoriametrics`). Empty:
    /// every job no other agent names; at most one agent may leave it empty.
    #[serde(default)]
    pub jobs: Vec<String>,
}
