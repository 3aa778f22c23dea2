//! Tower layer recording RED metrics under OpenTelemetry's HTTP server
//! semantic-convention names, in Prometheus form.

use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::extract::MatchedPath;
use http::{Method, Request, Response};
use metrics::{Gauge, SharedString};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::catalog::{HTTP_ACTIVE, HTTP_DURATION, LABEL_ERROR_TYPE, LABEL_METHOD, LABEL_ROUTE, LABEL_STATUS};

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

    fn layer(&self, inner: S) -> HttpMetrics<S> {
        HttpMetrics { inner }
    }
}

/// The service [`HttpMetricsLayer`] wraps around the inner one.
#[derive(Clone, Debug)]
pub struct HttpMetrics<S> {
    inner: S,
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
        let method = method_label(req.method());
        let route: SharedString = match req.extensions().get::<MatchedPath>() {
            Some(p) => p.as_str().to_owned().into(),
            None => UNMATCHED_ROUTE.into(),
        };
        let span = request_span(&req, method, &route);
        let active = metrics::gauge!(HTTP_ACTIVE, LABEL_METHOD => method);
        active.increment(1.0);
        let inner = {
            let _enter = span.enter();
            self.inner.call(req)
        };
        ResponseFuture {
            inner,
            state: Some(InFlight {
                start: Instant::now(),
                method,
                route,
                active,
                span,
            }),
        }
    }
}

struct InFlight {
    start: Instant,
    method: &'static str,
    route: SharedString,
    active: Gauge,
    span: tracing::Span,
}

impl Drop for InFlight {
    // Also runs when the client goes away and the future is dropped unfinished.
    fn drop(&mut self) {
        self.active.decrement(1.0);
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
            let seconds = s.start.elapsed().as_secs_f64();
            let method = s.method;
            let route = s.route.clone();
            match &result {
                Ok(resp) => {
                    let code = resp.status().as_u16();
                    metrics::histogram!(HTTP_DURATION,
                        LABEL_METHOD => method,
                        LABEL_ROUTE => route,
                        LABEL_STATUS => status_label(code))
                    .record(seconds);
                    if !s.span.is_disabled() {
                        let _enter = s.span.enter();
                        tracing::info!(status = code, duration_ms = seconds * 1e3, "request");
                    }
                }
                Err(_) => {
                    metrics::histogram!(HTTP_DURATION,
                        LABEL_METHOD => method,
                        LABEL_ROUTE => route,
                        LABEL_ERROR_TYPE => "_OTHER")
                    .record(seconds);
                    if !s.span.is_disabled() {
                        let _enter = s.span.enter();
                        tracing::warn!(duration_ms = seconds * 1e3, "request failed without a response");
                    }
                }
            }
        }
        Poll::Ready(result)
    }
}

/// OpenTelemetry `http.request.method`: the known methods, else `_OTHER`
/// (an extension method must not become a label value per client whim).
pub(crate) fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "_OTHER",
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

    #[test]
    fn methods_are_bounded() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"PURGE").unwrap()), "_OTHER");
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
