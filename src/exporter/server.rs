//! HTTP serving: `/metrics`, `/health`, `/ready` and `/`.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tokio::sync::Semaphore;

use super::Exporter;

/// Content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Serving options.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Simultaneous scrapes allowed; more wait (up to their timeout) then get 503.
    pub max_requests: usize,
    /// Scrape timeout when Prometheus sends no `X-Prometheus-Scrape-Timeout-Seconds`.
    pub default_timeout: Duration,
    /// Subtracted from Prometheus' scrape timeout so the answer arrives in time.
    pub timeout_margin: Duration,
    /// Path of the metrics endpoint (`--web.telemetry-path`).
    pub telemetry_path: String,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            max_requests: 4,
            default_timeout: Duration::from_secs(10),
            timeout_margin: Duration::from_millis(500),
            telemetry_path: "/metrics".to_string(),
        }
    }
}

struct AppState {
    exporter: Arc<Exporter>,
    sem: Semaphore,
    opts: ServeOptions,
}

/// The scrape timeout for a request.
pub fn scrape_timeout(headers: &HeaderMap, opts: &ServeOptions) -> Duration {
    let from_header = headers
        .get("x-prometheus-scrape-timeout-seconds")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(|v| Duration::from_secs_f64(v.min(3600.0)));
    match from_header {
        // Keep at least 100ms (or half the timeout) to do the work.
        Some(t) => t.saturating_sub(opts.timeout_margin).max((t / 2).min(Duration::from_millis(100))),
        None => opts.default_timeout,
    }
}

async fn metrics(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let deadline = Instant::now() + scrape_timeout(&headers, &st.opts);
    let permit = tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), st.sem.acquire()).await;
    let Ok(Ok(_permit)) = permit else {
        tracing::warn!("too many concurrent scrapes; answering 503");
        return (StatusCode::SERVICE_UNAVAILABLE, "too many concurrent scrapes\n").into_response();
    };
    let body = st.exporter.scrape(deadline).await;
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
}

async fn ok() -> &'static str {
    "OK"
}

async fn index() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html><head><title>genmon-exporter</title></head><body>",
        "<h1>genmon-exporter ",
        env!("CARGO_PKG_VERSION"),
        "</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n"
    ))
}

/// The HTTP application.
pub fn router(exporter: Arc<Exporter>, opts: ServeOptions) -> Router {
    let path = opts.telemetry_path.clone();
    let st = Arc::new(AppState {
        exporter,
        sem: Semaphore::new(opts.max_requests.max(1)),
        opts,
    });
    Router::new()
        .route(&path, get(metrics))
        .route("/health", get(ok))
        .route("/ready", get(ok))
        .route("/", get(index))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(st)
}

/// Serve until `shutdown` resolves, then finish in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    exporter: Arc<Exporter>,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(listener, router(exporter, opts))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let term = async {
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = term => {},
        _ = tokio::signal::ctrl_c() => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_from_header() {
        let o = ServeOptions::default();
        let mut h = HeaderMap::new();
        assert_eq!(scrape_timeout(&h, &o), Duration::from_secs(10));
        h.insert("x-prometheus-scrape-timeout-seconds", "3".parse().unwrap());
        assert_eq!(scrape_timeout(&h, &o), Duration::from_millis(2500));
        h.insert("x-prometheus-scrape-timeout-seconds", "0.2".parse().unwrap());
        assert_eq!(scrape_timeout(&h, &o), Duration::from_millis(100));
        h.insert("x-prometheus-scrape-timeout-seconds", "junk".parse().unwrap());
        assert_eq!(scrape_timeout(&h, &o), Duration::from_secs(10));
    }
}
