//! Tower layer recording RED metrics under OpenTelemetry's HTTP server
//! semantic-convention names, in Prometheus form.

use quanta::Instant;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll, ready};

use axum::extract::MatchedPath;
use http::{Method, Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::catalog::{LABEL_ERROR_TYPE, LABEL_METHOD, LABEL_ROUTE, LABEL_STATUS};
use crate::http_stats::{self, Series};

/// Route label of requests no route matched (axum's fallback, 404s): the raw
/// path is never used, so label cardinality stays bounded by the routes.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Records `http_server_request_duration_seconds` (histogram) and
/// `http_server_active_requests` (gauge) for every request.
///
/// Labels: `http_request_method` (the known methods, else `_OTHER`),
/// `http_route` (axum's matched route template, else [`UNMATCHED_ROUTE`]),
/// `http_response_status_code`; a request whose service returned an error
/// instead of a response has `error_type="_OTHER"` and no status code.
/// Add it with axum's `Router::layer` so the matched route is known; give
/// the router a `fallback` so requests no route matches are recorded too.
///
/// The two families are kept apart from the `metrics` recorder, in counters
/// each thread updates on its own cache lines (see `http_stats`), and written
/// by [`crate::Service::render`]'s `/metrics`; a service that renders its own
/// exposition appends them with [`crate::write_http_metrics`].
#[derive(Clone, Copy, Debug, Default)]
pub struct HttpMetricsLayer {
    _private: (),
}

impl HttpMetricsLayer {
    pub fn new() -> Self {
        Self::default()
    }
}

impl<S> Layer<S> for HttpMetricsLayer {
    type Service = HttpMetrics<S>;

    /// axum's `Router::layer` calls this once per route when the router is
    /// built. Each call allocates a 16-byte slot that lives as long as the
    /// process (the route's cached handles; see [`HttpMetrics`]).
    fn layer(&self, inner: S) -> HttpMetrics<S> {
        HttpMetrics {
            inner,
            route: Box::leak(Box::default()),
        }
    }
}

/// The service [`HttpMetricsLayer`] wraps around the inner one.
///
/// axum's `Router::layer` wraps each route's service in its own
/// [`HttpMetrics`] and clones it for every request, so the instance holds
/// only plain references: a clone touches no shared reference count. The
/// first matched route it sees is remembered with its series handles; a
/// request on any other route (or none) looks its route up in the registry,
/// so the labels are always those of the request.
#[derive(Clone, Debug)]
pub struct HttpMetrics<S> {
    inner: S,
    route: &'static OnceLock<&'static RouteHandles>,
}

/// Methods with a label of their own, in [`method_label`]'s order; the last
/// slot is `_OTHER`.
pub(crate) const METHODS: usize = 10;
/// Status codes whose series are cached per route and method; other codes
/// look theirs up in the registry each time.
const CACHED_STATUS: [u16; 16] = [200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 409, 422, 429, 500, 503];
/// Slot of a request that ended in an error instead of a response.
const ERROR_SLOT: usize = CACHED_STATUS.len();

/// One route's series handles, resolved once and reused, so the common
/// request builds no label set and takes no lock.
pub(crate) struct RouteHandles {
    route: Box<str>,
    series: [[OnceLock<&'static Series>; CACHED_STATUS.len() + 1]; METHODS],
}

impl std::fmt::Debug for RouteHandles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteHandles").field("route", &self.route).finish_non_exhaustive()
    }
}

impl RouteHandles {
    /// The handles of `route` (`http_route`'s value), created on first use.
    fn of(route: &str) -> &'static RouteHandles {
        static ALL: OnceLock<Mutex<HashMap<Box<str>, &'static RouteHandles>>> = OnceLock::new();
        let mut all = ALL.get_or_init(Mutex::default).lock().unwrap_or_else(|p| p.into_inner());
        all.entry(route.into()).or_insert_with(|| {
            Box::leak(Box::new(RouteHandles {
                route: route.into(),
                series: std::array::from_fn(|_| std::array::from_fn(|_| OnceLock::new())),
            }))
        })
    }

    /// The series of this method and outcome (a status code, or `None` for a
    /// request that failed without a response).
    fn series(&self, method: usize, code: Option<u16>) -> &'static Series {
        let labels = |code: Option<u16>| {
            let last = match code {
                Some(c) => (LABEL_STATUS, status_label(c)),
                None => (LABEL_ERROR_TYPE, "_OTHER"),
            };
            http_stats::series(&[(LABEL_METHOD, METHOD_LABELS[method]), (LABEL_ROUTE, &self.route), last])
        };
        let slot = match code {
            None => ERROR_SLOT,
            Some(c) => match CACHED_STATUS.iter().position(|&k| k == c) {
                Some(slot) => slot,
                None => return labels(code),
            },
        };
        self.series[method][slot].get_or_init(|| labels(code))
    }
}

impl<S> HttpMetrics<S> {
    /// The handles of the request's route.
    fn route_handles(&self, route: &str) -> &'static RouteHandles {
        let mine = *self.route.get_or_init(|| RouteHandles::of(route));
        if *mine.route == *route { mine } else { RouteHandles::of(route) }
    }
}

impl<S, B, RB> Service<Request<B>> for HttpMetrics<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let method = method_index(req.method());
        let route = route_str(req.extensions().get::<MatchedPath>());
        let handles = self.route_handles(route);
        let span = request_span(&req, METHOD_LABELS[method], route);
        http_stats::active_inc(method);
        let inner = {
            let _enter = span.enter();
            self.inner.call(req)
        };
        ResponseFuture {
            inner,
            state: Some(InFlight {
                start: Instant::now(),
                method,
                handles,
                span,
            }),
        }
    }
}

struct InFlight {
    start: Instant,
    method: usize,
    handles: &'static RouteHandles,
    span: tracing::Span,
}

/// `http_route`: the matched route, or [`UNMATCHED_ROUTE`].
fn route_str(route: Option<&MatchedPath>) -> &str {
    route.map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
}

impl Drop for InFlight {
    // Also runs when the client goes away and the future is dropped unfinished.
    fn drop(&mut self) {
        http_stats::active_dec(self.method);
    }
}

pin_project! {
    /// Future of [`HttpMetrics`]: records when the inner future completes.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        state: Option<InFlight>,
    }
}

impl<F, RB, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<RB>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = match this.state {
            Some(s) => {
                let _enter = s.span.enter();
                ready!(this.inner.poll(cx))
            }
            None => ready!(this.inner.poll(cx)),
        };
        if let Some(s) = this.state.take() {
            let elapsed = s.start.elapsed();
            let code = result.as_ref().ok().map(|r| r.status().as_u16());
            s.handles
                .series(s.method, code)
                .record(elapsed.as_nanos().min(u128::from(u64::MAX)) as u64);
            if !s.span.is_disabled() {
                let _enter = s.span.enter();
                let duration_ms = elapsed.as_secs_f64() * 1e3;
                match code {
                    Some(status) => tracing::info!(status, duration_ms, "request"),
                    None => tracing::warn!(duration_ms, "request failed without a response"),
                }
            }
        }
        Poll::Ready(result)
    }
}

/// `http_request_method` label values, indexed by [`method_index`].
pub(crate) const METHOD_LABELS: [&str; METHODS] = [
    "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE", "_OTHER",
];

/// Index into [`METHOD_LABELS`]: the known methods, else `_OTHER` (an
/// extension method must not become a label value per client whim).
fn method_index(m: &Method) -> usize {
    match *m {
        Method::GET => 0,
        Method::POST => 1,
        Method::PUT => 2,
        Method::DELETE => 3,
        Method::HEAD => 4,
        Method::OPTIONS => 5,
        Method::PATCH => 6,
        Method::CONNECT => 7,
        Method::TRACE => 8,
        _ => METHODS - 1,
    }
}

/// Status codes 100..=999 as static strings, built once.
pub(crate) fn status_label(code: u16) -> &'static str {
    static CODES: OnceLock<Box<[String]>> = OnceLock::new();
    let codes = CODES.get_or_init(|| (100..1000).map(|c: u16| c.to_string()).collect());
    // http::StatusCode only holds 100..=999.
    codes.get(usize::from(code).wrapping_sub(100)).map_or("_OTHER", String::as_str)
}

fn request_span<B>(req: &Request<B>, method: &'static str, route: &str) -> tracing::Span {
    let span = tracing::info_span!(
        "http_request",
        http_request_method = method,
        http_route = route,
        request_id = tracing::field::Empty,
        trace_id = tracing::field::Empty
    );
    if !span.is_disabled() {
        if let Some(id) = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()) {
            span.record("request_id", id);
        } else {
            span.record("request_id", next_request_id());
        }
        if let Some(trace) = req.headers().get("traceparent").and_then(|v| v.to_str().ok()).and_then(trace_id) {
            span.record("trace_id", trace);
        }
    }
    span
}

/// The trace id of a W3C `traceparent` header (`00-<32 hex>-<16 hex>-<2 hex>`).
pub(crate) fn trace_id(traceparent: &str) -> Option<&str> {
    let mut parts = traceparent.split('-');
    let (_version, id) = (parts.next()?, parts.next()?);
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) && id.bytes().any(|b| b != b'0')).then_some(id)
}

fn next_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{:x}-{:x}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{HTTP_ACTIVE, HTTP_DURATION};
    use std::sync::Arc;

    #[test]
    fn methods_are_bounded() {
        assert_eq!(METHOD_LABELS[method_index(&Method::GET)], "GET");
        assert_eq!(METHOD_LABELS[method_index(&Method::TRACE)], "TRACE");
        assert_eq!(METHOD_LABELS[method_index(&Method::from_bytes(b"PURGE").unwrap())], "_OTHER");
    }

    /// A service answering the status the request's `x-status` header asks
    /// for, or an error when it says `err`.
    #[derive(Clone)]
    struct Echo;

    impl Service<Request<()>> for Echo {
        type Response = Response<()>;
        type Error = ();
        type Future = std::future::Ready<Result<Response<()>, ()>>;
        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ()>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, req: Request<()>) -> Self::Future {
            let want = req.headers()["x-status"].to_str().unwrap().to_owned();
            std::future::ready(match want.as_str() {
                "err" => Err(()),
                code => {
                    let mut r = Response::new(());
                    *r.status_mut() = http::StatusCode::from_u16(code.parse().unwrap()).unwrap();
                    Ok(r)
                }
            })
        }
    }

    /// Cached handles never give a request another request's labels: one
    /// layer instance sees two routes, no route, cached and uncached status
    /// codes, two methods and an error.
    #[test]
    fn cached_handles_keep_each_requests_labels() {
        let route = |path: &'static str| {
            let captured = Arc::new(std::sync::Mutex::new(None));
            let c = captured.clone();
            let app: axum::Router = axum::Router::new().route(
                path,
                axum::routing::any(move |p: MatchedPath| {
                    *c.lock().unwrap() = Some(p);
                    async {}
                }),
            );
            let req = Request::builder().uri(path).body(axum::body::Body::empty()).unwrap();
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(tower_service::Service::call(&mut app.into_service(), req)).unwrap();
            captured.lock().unwrap().take().expect("matched path")
        };
        let (a, b) = (route("/a"), route("/b"));
        {
            let mut svc = HttpMetricsLayer::new().layer(Echo);
            let mut cx = Context::from_waker(std::task::Waker::noop());
            let calls: [(&Method, Option<&MatchedPath>, &str); 8] = [
                (&Method::GET, Some(&a), "200"),
                (&Method::GET, Some(&a), "200"),
                (&Method::POST, Some(&a), "200"),
                (&Method::GET, Some(&a), "418"),
                (&Method::GET, Some(&b), "200"),
                (&Method::GET, None, "404"),
                (&Method::GET, Some(&a), "err"),
                (&Method::GET, Some(&b), "500"),
            ];
            for (method, path, status) in calls {
                let mut req = Request::builder().method(method).header("x-status", status).body(()).unwrap();
                if let Some(p) = path {
                    req.extensions_mut().insert(p.clone());
                }
                let mut fut = std::pin::pin!(svc.call(req));
                assert!(fut.as_mut().poll(&mut cx).is_ready());
            }
        }
        let mut text = String::new();
        http_stats::write_http_metrics(&mut text);
        let count = |labels: &str| {
            let prefix = format!("{HTTP_DURATION}_count{{{labels}}} ");
            text.lines()
                .find_map(|l| l.strip_prefix(&prefix))
                .map(|v| v.parse::<f64>().unwrap())
        };
        for (labels, n) in [
            (r#"http_request_method="GET",http_route="/a",http_response_status_code="200""#, 2.0),
            (r#"http_request_method="POST",http_route="/a",http_response_status_code="200""#, 1.0),
            (r#"http_request_method="GET",http_route="/a",http_response_status_code="418""#, 1.0),
            (r#"http_request_method="GET",http_route="/b",http_response_status_code="200""#, 1.0),
            (
                r#"http_request_method="GET",http_route="unmatched",http_response_status_code="404""#,
                1.0,
            ),
            (r#"http_request_method="GET",http_route="/a",error_type="_OTHER""#, 1.0),
            (r#"http_request_method="GET",http_route="/b",http_response_status_code="500""#, 1.0),
        ] {
            assert_eq!(count(labels), Some(n), "{labels} in:\n{text}");
        }
        // (http_stats' own tests add series of other label names.)
        let series = text
            .lines()
            .filter(|l| l.starts_with(&format!("{HTTP_DURATION}_count{{{LABEL_METHOD}=")))
            .count();
        assert_eq!(series, 7, "no other series:\n{text}");
        for m in ["GET", "POST"] {
            assert!(text.contains(&format!("{HTTP_ACTIVE}{{http_request_method=\"{m}\"}} 0")), "{text}");
        }
    }

    #[test]
    fn status_labels_cover_every_status_code() {
        assert_eq!(status_label(200), "200");
        assert_eq!(status_label(503), "503");
        assert_eq!(status_label(999), "999");
        assert_eq!(status_label(99), "_OTHER");
        assert_eq!(status_label(1000), "_OTHER");
    }

    #[test]
    fn trace_id_from_traceparent() {
        assert_eq!(
            trace_id("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(trace_id("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), None);
        assert_eq!(trace_id("00-xyz-00f067aa0ba902b7-01"), None);
        assert_eq!(trace_id(""), None);
    }
}
