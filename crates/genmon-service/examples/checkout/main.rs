//! A small checkout service instrumented with `genmon-service`.
//!
//! ```text
//! cargo run [--features json-logs] --example checkout -- --listen 127.0.0.1:8080 --metrics-listen 127.0.0.1:9464 \
//!     [--error-share 0.2] [--latency-ms 50] [--no-metrics] [--json-logs]
//! ```
//!
//! Faults can also be switched at run time, e.g. 20 % errors and 50 ms:
//! `curl -X PUT 'http://127.0.0.1:8080/fault?error_share=0.2&latency_ms=50'`
//! (`error_share=0&latency_ms=0` removes them).
//!
//! `POST /orders` is the JSON API handler `benches/service-overhead.sh`
//! measures the layer against: it parses a ~0.3 KB order, looks each item up
//! in a 10,000-product catalog and answers a ~1.6 KB JSON quote (see
//! docs/service.md, "Overhead").

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Extension, Router};
use genmon_service::{Builder, HttpMetricsLayer, ops};

mod orders;
use orders::{catalog, order};

/// Injected faults: a share of requests answered 500, and added latency.
#[derive(Default)]
struct Faults {
    error_share_bits: AtomicU64,
    latency_ms: AtomicU64,
    requests: AtomicU64,
}

impl Faults {
    fn set(&self, error_share: f64, latency_ms: u64) {
        self.error_share_bits.store(error_share.to_bits(), Ordering::Relaxed);
        self.latency_ms.store(latency_ms, Ordering::Relaxed);
    }

    /// Exactly `error_share` of requests fail, spread evenly (no randomness,
    /// so a test knows the ratio it will observe).
    fn fail_this_one(&self) -> bool {
        let share = f64::from_bits(self.error_share_bits.load(Ordering::Relaxed));
        let n = self.requests.fetch_add(1, Ordering::Relaxed) as f64;
        share > 0.0 && ((n + 1.0) * share).floor() > (n * share).floor()
    }
}

#[derive(serde::Deserialize)]
struct FaultQuery {
    error_share: f64,
    latency_ms: u64,
}

async fn set_fault(State(f): State<Arc<Faults>>, Query(q): Query<FaultQuery>) -> (StatusCode, String) {
    if !(0.0..=1.0).contains(&q.error_share) || q.latency_ms > 60_000 {
        return (
            StatusCode::BAD_REQUEST,
            "error_share must be in 0..=1, latency_ms at most 60000\n".into(),
        );
    }
    f.set(q.error_share, q.latency_ms);
    (
        StatusCode::OK,
        format!("error_share={} latency_ms={}\n", q.error_share, q.latency_ms),
    )
}

/// A "realistic" handler: a cache lookup, a timed query, some hashing work.
async fn checkout(State(f): State<Arc<Faults>>, Path(cart): Path<u64>) -> (StatusCode, String) {
    let latency = f.latency_ms.load(Ordering::Relaxed);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    ops::cache_lookup("carts", cart % 4 != 0);
    let total = ops::timed("db.query", async {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in cart.to_le_bytes().iter().cycle().take(256) {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        Ok::<_, ()>(h % 10_000)
    })
    .await
    .unwrap_or(0);
    if f.fail_this_one() {
        ops::error("payment_declined");
        return (StatusCode::INTERNAL_SERVER_ERROR, "payment failed\n".into());
    }
    (StatusCode::OK, format!("cart {cart}: total {total}\n"))
}

struct Args {
    listen: SocketAddr,
    metrics_listen: SocketAddr,
    error_share: f64,
    latency_ms: u64,
    metrics: bool,
    json_logs: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        metrics_listen: SocketAddr::from(([127, 0, 0, 1], 9464)),
        error_share: 0.0,
        latency_ms: 0,
        metrics: true,
        json_logs: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => a.listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?,
            "--metrics-listen" => a.metrics_listen = value()?.parse().map_err(|e| format!("--metrics-listen: {e}"))?,
            "--error-share" => a.error_share = value()?.parse().map_err(|e| format!("--error-share: {e}"))?,
            "--latency-ms" => a.latency_ms = value()?.parse().map_err(|e| format!("--latency-ms: {e}"))?,
            "--no-metrics" => a.metrics = false,
            "--json-logs" => a.json_logs = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if !(0.0..=1.0).contains(&a.error_share) {
        return Err("--error-share must be in 0..=1".into());
    }
    Ok(a)
}

#[tokio::main]
async fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("checkout: {e}");
        std::process::exit(2)
    });
    if let Err(e) = run(args).await {
        eprintln!("checkout: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if args.json_logs {
        #[cfg(feature = "json-logs")]
        genmon_service::init_json_logs().map_err(|e| e.to_string())?;
        #[cfg(not(feature = "json-logs"))]
        return Err("--json-logs needs the json-logs feature: cargo run --features json-logs --example checkout".into());
    }
    let faults = Arc::new(Faults::default());
    faults.set(args.error_share, args.latency_ms);
    let app = Router::new()
        .route("/checkout/{cart}", post(checkout).get(checkout))
        .route("/fault", put(set_fault))
        .route("/orders", post(order))
        .route("/", get(|| async { "checkout\n" }))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(faults);
    let catalog = Extension(Arc::new(catalog()));
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    if args.metrics {
        // The three lines. The layer joins the service's other layers in one
        // `Router::layer` call: axum wraps every route once per call.
        let service = Builder::new().metrics_listen(args.metrics_listen).install().await?;
        let app = app.layer(tower::ServiceBuilder::new().layer(catalog).layer(HttpMetricsLayer::new()));
        axum::serve(listener, app).with_graceful_shutdown(service.shutdown_signal()).await?;
    } else {
        let app = app.layer(catalog);
        axum::serve(listener, app)
            .with_graceful_shutdown(async { tokio::signal::ctrl_c().await.unwrap_or(()) })
            .await?;
    }
    Ok(())
}
