//! genmon: one typed spec (`genmon.yaml`) → Grafana dashboards, Prometheus
//! rules and tests, and the configs that bring a monitoring stack up.
//!
//! Data flows one way: [`spec`] (YAML → typed spec, with positions) →
//! [`check`] (every problem at once, as [`diag::Diagnostic`]s) → [`model`]
//! (resolved, defaults applied) → [`render`] (pure functions to bytes) →
//! [`write`] (validate, then swap in atomically).

pub use genmon_exporter::catalog;
pub mod check;
pub mod cli;
pub mod compose;
pub mod conventions;
pub mod diag;
pub mod docs;
pub use genmon_exporter as exporter;
pub mod model;
pub mod par;
pub mod pipeline;
pub mod promql;
pub mod render;
pub mod services;
pub mod spec;
pub mod stack;
#[doc(hidden)]
pub mod testing;
pub mod verify;
pub mod write;
