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
}

impl Default for Engine {
    fn default() -> Self {
        Engine {
            url: None,
            tenant: None,
            namespace: "genmon".into(),
        }
    }
}
