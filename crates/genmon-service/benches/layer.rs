//! Per-request cost of `HttpMetricsLayer`, with the instrumentation
//! installed as in a real service. Run: `cargo bench -p genmon-service`.
//!
//! 1. A trivial tower service called directly and through the layer, on one
//!    thread and on two at once: the layer's own cost.
//! 2. The checkout example's JSON API handler (`POST /orders`) called through
//!    an axum `Router` in-process (no sockets), with and without the layer,
//!    on two threads: the layer's cost on a real route and handler, and its
//!    share of the handler's time without the network around it.

use std::convert::Infallible;
use std::future::{Future as _, Ready, ready};
use std::hint::black_box;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::MatchedPath;
use genmon_service::HttpMetricsLayer;
use http::{Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

#[allow(dead_code)]
#[path = "../examples/checkout/orders.rs"]
mod orders;

#[derive(Clone)]
struct Ok200;

impl Service<Request<()>> for Ok200 {
    type Response = Response<()>;
    type Error = Infallible;
    type Future = Ready<Result<Response<()>, Infallible>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, _: Request<()>) -> Self::Future {
        let mut r = Response::new(());
        *r.status_mut() = StatusCode::OK;
        ready(Ok(r))
    }
}

fn request(route: &MatchedPath) -> Request<()> {
    let mut req = Request::builder().uri("/checkout/42").body(()).unwrap();
    req.extensions_mut().insert(route.clone());
    req
}

/// ns per request of `svc` over `n` calls; building the request is timed too,
/// the same for both variants, so the difference is the layer's cost.
fn per_request<S>(mut svc: S, route: &MatchedPath, n: u32) -> f64
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible>,
    S::Future: Unpin,
{
    let waker = std::task::Waker::noop();
    let mut cx = Context::from_waker(waker);
    let start = Instant::now();
    for _ in 0..n {
        let mut fut = svc.call(request(route));
        match std::pin::Pin::new(&mut fut).poll(&mut cx) {
            Poll::Ready(r) => {
                black_box(r.unwrap());
            }
            Poll::Pending => unreachable!("ready future"),
        }
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

/// Runs `f` on `threads` threads at once; the slowest thread's result
/// (ns/request), so contention between them is not averaged away.
fn slowest_of(threads: usize, f: impl Fn() -> f64 + Sync) -> f64 {
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads).map(|_| s.spawn(&f)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).fold(0.0, f64::max)
    })
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let service = rt
        .block_on(genmon_service::Builder::new().without_listener().install())
        .expect("install");
    // A MatchedPath as axum's router inserts it.
    let route = rt.block_on(async {
        use axum::Router;
        let captured = std::sync::Arc::new(std::sync::Mutex::new(None));
        let c = captured.clone();
        let app: Router = Router::new().route(
            "/checkout/{cart}",
            axum::routing::get(move |p: MatchedPath| {
                *c.lock().unwrap() = Some(p);
                async {}
            }),
        );
        let _ = tower::ServiceExt::oneshot(app, Request::builder().uri("/checkout/1").body(axum::body::Body::empty()).unwrap()).await;
        captured.lock().unwrap().take().expect("matched path")
    });
    let n = 2_000_000;
    // Warm up both paths (first-time registration of label sets).
    per_request(Ok200, &route, 10_000);
    per_request(HttpMetricsLayer::new().layer(Ok200), &route, 10_000);
    let mut bare = f64::MAX;
    let mut layered = f64::MAX;
    for _ in 0..5 {
        bare = bare.min(per_request(Ok200, &route, n));
        layered = layered.min(per_request(HttpMetricsLayer::new().layer(Ok200), &route, n));
    }
    println!("bare service:        {bare:8.1} ns/request");
    println!("with HttpMetricsLayer: {layered:6.1} ns/request");
    println!("layer cost:          {:8.1} ns/request (goal < 2000)", layered - bare);
    // Two threads at once through clones of one layered service (as axum
    // clones a route's service per request): what contention adds.
    let threads = 2;
    let both = |layer: bool| {
        let shared = HttpMetricsLayer::new().layer(Ok200);
        slowest_of(threads, || {
            if layer {
                per_request(shared.clone(), &route, n)
            } else {
                per_request(Ok200, &route, n)
            }
        })
    };
    let mut bare2 = f64::MAX;
    let mut layered2 = f64::MAX;
    for _ in 0..5 {
        bare2 = bare2.min(both(false));
        layered2 = layered2.min(both(true));
    }
    println!("{threads} threads, bare:      {bare2:8.1} ns/request");
    println!("{threads} threads, layered:   {layered2:8.1} ns/request");
    println!("layer cost, {threads} threads: {:7.1} ns/request", layered2 - bare2);

    // The JSON handler through axum, in-process.
    let catalog = std::sync::Arc::new(orders::catalog());
    let router = |layer: Option<bool>| {
        let app = axum::Router::new()
            .route("/orders", axum::routing::post(orders::order))
            .layer(axum::Extension(catalog.clone()));
        match layer {
            None => app,
            // A layer that does nothing: what axum's wrapping of a route in
            // any layer costs, apart from what the layer itself does.
            Some(false) => app.layer(tower::util::MapRequestLayer::new(|r: Request<axum::body::Body>| r)),
            Some(true) => app.layer(HttpMetricsLayer::new()),
        }
    };
    let body = include_str!("order.json").trim_end();
    let calls = 100_000;
    let orders_per_request = |app: axum::Router| {
        slowest_of(threads, || {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(async {
                let mut svc = app.clone().into_service::<axum::body::Body>();
                let start = Instant::now();
                for _ in 0..calls {
                    let req = Request::post("/orders")
                        .header("content-type", "application/json")
                        .body(axum::body::Body::from(body))
                        .unwrap();
                    let resp = svc.call(req).await.unwrap();
                    assert_eq!(resp.status(), StatusCode::OK);
                    black_box(axum::body::to_bytes(resp.into_body(), 1 << 16).await.unwrap());
                }
                start.elapsed().as_nanos() as f64 / f64::from(calls)
            })
        })
    };
    let mut bare3 = f64::MAX;
    let mut noop3 = f64::MAX;
    let mut layered3 = f64::MAX;
    for _ in 0..5 {
        bare3 = bare3.min(orders_per_request(router(None)));
        noop3 = noop3.min(orders_per_request(router(Some(false))));
        layered3 = layered3.min(orders_per_request(router(Some(true))));
    }
    println!("POST /orders via axum, {threads} threads, no layer:      {bare3:8.1} ns/request");
    println!("POST /orders via axum, {threads} threads, a no-op layer: {noop3:8.1} ns/request");
    println!("POST /orders via axum, {threads} threads, HttpMetricsLayer: {layered3:5.1} ns/request");
    println!(
        "HttpMetricsLayer on POST /orders: +{:.1} ns/request over no layer ({:.2} %), +{:.1} ns over a no-op layer",
        layered3 - bare3,
        (layered3 - bare3) / bare3 * 100.0,
        layered3 - noop3
    );
    assert!(service.render().contains("http_server_request_duration_seconds_count"));
}
