//! Spec types of reuse: `include:`, `packs:` and `overrides:` (see
//! [`crate::compose`] for how they are applied).

use std::collections::BTreeMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::Duration;
use super::types::{Severity, ThresholdValue};

/// A built-in pack, by name (`node`) or with settings (`{name: node, selector: 'job="node"'}`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum PackUse {
    Name(String),
    With(PackSettings),
}

impl PackUse {
    /// The pack's settings (defaults when only the name is given).
    pub fn settings(&self) -> PackSettings {
        match self {
            PackUse::Name(n) => PackSettings {
                name: n.clone(),
                ..PackSettings::default()
            },
            PackUse::With(s) => s.clone(),
        }
    }
}

/// A pack's settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackSettings {
    /// Pack name: `node`, `prometheus`, `alertmanager`, `blackbox` or `genmon`.
    pub name: String,
    /// Folder key the pack's dashboards go to (default: the pack's own).
    pub folder: Option<String>,
    /// Label matchers added to every selector of the pack, e.g. `job="node"`
    /// (default: none, every series of the pack's metric names).
    pub selector: Option<String>,
    /// Threshold levels of the pack's signals: signal → level → value
    /// (`{filesystem_used: {critical: 0.9}}`). Only levels the pack declares.
    #[serde(default)]
    pub thresholds: IndexMap<String, IndexMap<String, f64>>,
}

/// Changes to alerts, signals and dashboards defined anywhere (this file,
/// an included file or a pack), by name. A name that matches nothing is an error.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// Alert name → changes.
    #[serde(default)]
    pub alerts: IndexMap<String, AlertOverride>,
    /// Signal name → changes.
    #[serde(default)]
    pub signals: IndexMap<String, SignalOverride>,
    /// Dashboard uid → changes.
    #[serde(default)]
    pub dashboards: IndexMap<String, DashboardOverride>,
}

impl Overrides {
    /// True when nothing is overridden.
    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty() && self.signals.is_empty() && self.dashboards.is_empty()
    }
}

/// Changes to one alert.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertOverride {
    /// Remove the alert (and its generated tests).
    #[serde(default)]
    pub disabled: bool,
    /// A threshold alert's value: a number or one of its signal's levels.
    pub threshold: Option<ThresholdValue>,
    #[serde(rename = "for")]
    pub for_: Option<Duration>,
    pub severity: Option<Severity>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub runbook_url: Option<String>,
    /// Labels added (or replaced).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Annotations added (or replaced).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// Changes to one signal.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalOverride {
    /// Threshold levels set (or added): level → value. Panels draw them and
    /// alerts that name the level use them.
    #[serde(default)]
    pub thresholds: IndexMap<String, f64>,
    pub title: Option<String>,
    pub description: Option<String>,
}

/// Changes to one dashboard.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DashboardOverride {
    /// Remove the dashboard.
    #[serde(default)]
    pub disabled: bool,
    pub title: Option<String>,
    /// Folder key.
    pub folder: Option<String>,
}
