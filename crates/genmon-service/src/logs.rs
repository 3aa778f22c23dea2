//! Opt-in JSON logs: one JSON object per line on stderr, with the request
//! span's fields (`request_id`, `trace_id`, method, route) on every event
//! logged while a request is handled.

use tracing_subscriber::EnvFilter;

/// Installs a global JSON `tracing` subscriber filtered by `RUST_LOG`
/// (default `info`). Fails if a subscriber is already installed.
pub fn init_json_logs() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init()
}
