//! Per-request cost of `HttpMetricsLayer`: the same trivial tower service
//! called directly and through the layer, with the Prometheus recorder
//! installed as in a real service. Run: `cargo bench -p genmon-service`.

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
        std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads)
                .map(|_| {
                    let svc = shared.clone();
                    let route = route.clone();
                    s.spawn(move || {
                        if layer {
                            per_request(svc, &route, n)
                        } else {
                            per_request(Ok200, &route, n)
                        }
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).fold(0.0, f64::max)
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
    assert!(service.render().contains("http_server_request_duration_seconds_count"));
}
