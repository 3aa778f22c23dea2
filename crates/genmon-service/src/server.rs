//! Recorder installation and the admin listener (/metrics, /health, /ready).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::sync::watch;

use crate::catalog::{CATALOG, MetricKind};
use crate::{HTTP_DURATION_BUCKETS, OPERATION_DURATION_BUCKETS, catalog, runtime};

/// Why [`Builder::install`] failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot install the metrics recorder: {0}")]
    Recorder(#[from] BuildError),
    #[error("a metrics recorder is already installed in this process")]
    AlreadyInstalled,
    #[error("cannot listen on {addr} for /metrics: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error(
        "{0} is recorded by HttpMetricsLayer with OpenTelemetry's bucket boundaries (genmon's dashboards and latency SLOs are built on them) and cannot take others; remove Builder::buckets({0:?}, ..)"
    )]
    FixedBuckets(&'static str),
    #[error("Builder::install must run inside a tokio runtime")]
    NoRuntime,
}

/// Configures and installs the instrumentation of a service.
pub struct Builder {
    listen: Option<SocketAddr>,
    buckets: Vec<(String, Vec<f64>)>,
    upkeep: Duration,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// Metrics on 127.0.0.1:9464 (the OpenTelemetry Prometheus exporter's
    /// port), the library's default histogram buckets.
    pub fn new() -> Self {
        Builder {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 9464))),
            buckets: Vec::new(),
            upkeep: Duration::from_secs(5),
        }
    }

    /// Address of the admin listener serving /metrics, /health and /ready
    /// (port 0 picks a free port: see [`Service::metrics_addr`]).
    pub fn metrics_listen(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// Do not serve anything: render with [`Service::render`] yourself.
    pub fn without_listener(mut self) -> Self {
        self.listen = None;
        self
    }

    /// Histogram bucket boundaries for the metric named `name` (full name as
    /// recorded, e.g. `checkout_payment_seconds`). The HTTP layer's
    /// `http_server_request_duration_seconds` keeps OpenTelemetry's
    /// boundaries ([`crate::HTTP_DURATION_BUCKETS`]): naming it is an error at
    /// [`Builder::install`].
    pub fn buckets(mut self, name: impl Into<String>, bounds: &[f64]) -> Self {
        self.buckets.push((name.into(), bounds.to_vec()));
        self
    }

    /// Installs the global `metrics` recorder, describes the library's
    /// metrics, and (unless [`Builder::without_listener`]) serves the admin
    /// endpoints until a shutdown signal.
    pub async fn install(self) -> Result<Service, Error> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
        if self.buckets.iter().any(|(name, _)| name == catalog::HTTP_DURATION) {
            return Err(Error::FixedBuckets(catalog::HTTP_DURATION));
        }
        let mut builder = PrometheusBuilder::new()
            .set_buckets(HTTP_DURATION_BUCKETS)?
            .set_buckets_for_metric(Matcher::Full(catalog::OP_DURATION.into()), OPERATION_DURATION_BUCKETS)?;
        for (name, bounds) in &self.buckets {
            builder = builder.set_buckets_for_metric(Matcher::Full(name.clone()), bounds)?;
        }
        // Bind before installing anything global: a busy port leaves the
        // process as it was.
        let listener = match self.listen {
            Some(addr) => Some(
                tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|source| Error::Listen { addr, source })?,
            ),
            None => None,
        };
        let recorder = builder.build_recorder();
        let prometheus = recorder.handle();
        metrics::set_global_recorder(recorder).map_err(|_| Error::AlreadyInstalled)?;
        describe();
        let thread_name = runtime::runtime_thread_name().await;

        let (stop_tx, stop_rx) = watch::channel(false);
        let inner = Arc::new(Inner {
            prometheus,
            runtime: runtime.clone(),
            thread_name,
            ready: AtomicBool::new(true),
            stop: stop_tx,
        });

        let upkeep = inner.clone();
        let mut upkeep_stop = stop_rx.clone();
        let period = self.upkeep;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tokio::select! {
                    _ = tick.tick() => upkeep.prometheus.run_upkeep(),
                    _ = upkeep_stop.changed() => break,
                }
            }
        });

        let signals = inner.clone();
        tokio::spawn(async move {
            os_signal().await;
            signals.trigger();
        });

        let mut metrics_addr = None;
        if let Some(listener) = listener {
            metrics_addr = listener.local_addr().ok();
            let app = Router::new()
                .route("/metrics", get(metrics_handler))
                .route("/health", get(|| async { "ok\n" }))
                .route("/ready", get(ready_handler))
                .with_state(inner.clone());
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                let stopped = async move {
                    let _ = stop.wait_for(|s| *s).await;
                };
                if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stopped).await {
                    tracing::error!(error = %e, "genmon-service admin listener failed");
                }
            });
        }
        Ok(Service { inner, metrics_addr })
    }
}

struct Inner {
    prometheus: PrometheusHandle,
    runtime: tokio::runtime::Handle,
    /// The runtime's thread name, to count its blocking threads.
    thread_name: Option<String>,
    ready: AtomicBool,
    stop: watch::Sender<bool>,
}

impl Inner {
    fn trigger(&self) {
        self.ready.store(false, Ordering::SeqCst);
        self.stop.send_replace(true);
    }
}

/// The installed instrumentation: readiness, shutdown, rendering.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
    metrics_addr: Option<SocketAddr>,
}

impl Service {
    /// Where /metrics is served (None with [`Builder::without_listener`]).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Sets what /ready answers (200 when ready, 503 when not).
    pub fn set_ready(&self, ready: bool) {
        self.inner.ready.store(ready, Ordering::SeqCst);
    }

    /// Starts the graceful shutdown as SIGTERM or Ctrl-C would.
    pub fn shutdown(&self) {
        self.inner.trigger();
    }

    /// Resolves once SIGTERM, Ctrl-C or [`Service::shutdown`] arrived; /ready
    /// answers 503 from then on. Pass it to axum's `with_graceful_shutdown`.
    pub fn shutdown_signal(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.inner.stop.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }

    /// The /metrics body: recorded metrics, the HTTP layer's, then process_*
    /// and tokio_*.
    pub fn render(&self) -> String {
        let mut out = self.inner.prometheus.render();
        crate::write_http_metrics(&mut out);
        runtime::write_process(&mut out);
        runtime::write_tokio(&mut out, &self.inner.runtime, self.inner.thread_name.as_deref());
        out
    }
}

async fn metrics_handler(State(inner): State<Arc<Inner>>) -> impl IntoResponse {
    let svc = Service { inner, metrics_addr: None };
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], svc.render())
}

async fn ready_handler(State(inner): State<Arc<Inner>>) -> impl IntoResponse {
    if inner.ready.load(Ordering::SeqCst) {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

/// HELP text for the recorded families of the catalog.
fn describe() {
    // Sampled at scrape time or kept by the HTTP layer itself (`http_stats`).
    let sampled = |name: &str| {
        name.starts_with("process_") || name.starts_with("tokio_") || [catalog::HTTP_DURATION, catalog::HTTP_ACTIVE].contains(&name)
    };
    for m in CATALOG.iter().filter(|m| !sampled(m.name)) {
        match m.kind {
            MetricKind::Histogram => metrics::describe_histogram!(m.name, m.help),
            MetricKind::Gauge => metrics::describe_gauge!(m.name, m.help),
            MetricKind::Counter => metrics::describe_counter!(m.name, m.help),
        }
    }
}

async fn os_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
