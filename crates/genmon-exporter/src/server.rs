//! HTTP serving: `/metrics`, `/health`, `/ready` and `/`.
//!
//! The listener is bounded whatever clients do (HTTP/1.1 only, so one
//! request at a time per connection):
//! - a connection must deliver a complete request head within
//!   `header_timeout` of being accepted or of its first byte after a
//!   response (slowloris), and is closed after `idle_timeout` without any
//!   traffic between requests or while a response is not being read;
//! - request heads are limited to 16 KiB ([`MAX_HEAD_BYTES`]);
//! - at most `max_connections` are open (further capped below the process's
//!   open-file limit, so `accept` never fails with EMFILE). When full, a new
//!   connection closes the oldest connection that has no request in
//!   progress, so an attacker holding idle or dribbling sockets cannot keep
//!   a scrape out; it only churns its own sockets;
//! - TLS and basic auth come from `--web.config.file` ([`super::webconfig`]).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{Notify, Semaphore};

use super::Exporter;
use super::webconfig::WebConfig;

/// Largest request head (request line and headers) read; hyper's minimum.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// File descriptors kept free for collectors (procfs reads, probe sockets).
pub const FD_RESERVE: u64 = 64;

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
    /// Open connections at most (see the module docs for what happens when full).
    pub max_connections: usize,
    /// Time allowed to send a whole request head.
    pub header_timeout: Duration,
    /// Time a connection may stay without traffic between requests.
    pub idle_timeout: Duration,
    /// TLS, basic auth and headers from `--web.config.file`.
    pub web: Option<Arc<WebConfig>>,
    /// Path of the metrics endpoint (`--web.telemetry-path`).
    pub telemetry_path: String,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            max_requests: 4,
            default_timeout: Duration::from_secs(10),
            timeout_margin: Duration::from_millis(500),
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            web: None,
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

/// Connections below the open-file limit: `max` or less.
pub fn connection_cap(max: usize) -> usize {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we pass.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 {
        lim.rlim_cur
    } else {
        1024
    };
    let room = soft.saturating_sub(FD_RESERVE).max(8);
    max.max(1).min(usize::try_from(room).unwrap_or(usize::MAX))
}

/// One open connection, as the accept loop and the timers see it.
struct Conn {
    accepted: Instant,
    /// A request is being handled (its handler has not returned yet).
    busy: AtomicBool,
    /// Milliseconds since `Conns::epoch` of the last byte read or written.
    last_io: AtomicU64,
    /// Milliseconds since `Conns::epoch` when the pending request head began
    /// (accept, or first byte after a response); 0: no head pending.
    head_since: AtomicU64,
    close: Notify,
}

/// The open connections.
struct Conns {
    epoch: Instant,
    next: AtomicU64,
    map: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl Conns {
    fn now(&self) -> u64 {
        (self.epoch.elapsed().as_millis() as u64).max(1)
    }
    fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
    fn add(&self) -> (u64, Arc<Conn>) {
        let now = self.now();
        let c = Arc::new(Conn {
            accepted: Instant::now(),
            busy: AtomicBool::new(false),
            last_io: AtomicU64::new(now),
            head_since: AtomicU64::new(now),
            close: Notify::new(),
        });
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.map.lock().unwrap_or_else(|e| e.into_inner()).insert(id, c.clone());
        (id, c)
    }
    fn remove(&self, id: u64) {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    }
    /// Close the oldest connection without a request in progress; false if
    /// every connection is busy.
    fn evict_oldest_idle(&self) -> bool {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let victim = m
            .iter()
            .filter(|(_, c)| !c.busy.load(Ordering::Acquire))
            .min_by_key(|(_, c)| c.accepted)
            .map(|(id, _)| *id);
        match victim.and_then(|id| m.remove(&id)) {
            Some(c) => {
                c.close.notify_one();
                true
            }
            None => false,
        }
    }
    /// Close every connection without a request in progress.
    fn close_idle(&self) {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        m.retain(|_, c| {
            let busy = c.busy.load(Ordering::Acquire);
            if !busy {
                c.close.notify_one();
            }
            busy
        });
    }
}

/// A socket that records its traffic into its [`Conn`].
struct Tracked<T> {
    inner: T,
    conn: Arc<Conn>,
    conns: Arc<Conns>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            let now = self.conns.now();
            self.conn.last_io.store(now, Ordering::Release);
            if !self.conn.busy.load(Ordering::Acquire) {
                let _ = self.conn.head_since.compare_exchange(0, now, Ordering::AcqRel, Ordering::Acquire);
            }
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r
            && n > 0
        {
            self.conn.last_io.store(self.conns.now(), Ordering::Release);
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Resolves when the connection has overrun its header or idle timeout.
async fn expiry(conn: &Conn, conns: &Conns, opts: &ServeOptions) {
    let ms = |d: Duration| d.as_millis() as u64;
    loop {
        let now = conns.now();
        let head = conn.head_since.load(Ordering::Acquire);
        let wait = if conn.busy.load(Ordering::Acquire) {
            1000
        } else if head != 0 {
            (head + ms(opts.header_timeout)).saturating_sub(now)
        } else {
            (conn.last_io.load(Ordering::Acquire) + ms(opts.idle_timeout)).saturating_sub(now)
        };
        if wait == 0 {
            return;
        }
        // Re-check at least every second: a head may start meanwhile.
        tokio::time::sleep(Duration::from_millis(wait.min(1000))).await;
    }
}

/// Marks its connection idle again when the request handling ends (also
/// when the connection is dropped mid-request).
struct BusyGuard(Arc<Conn>, Arc<Conns>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.last_io.store(self.1.now(), Ordering::Release);
        self.0.busy.store(false, Ordering::Release);
    }
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Basic realm=\"genmon-exporter\"")],
        "Unauthorized\n",
    )
        .into_response()
}

async fn handle_request(
    req: axum::http::Request<hyper::body::Incoming>,
    app: Router,
    web: Option<Arc<WebConfig>>,
    guard: BusyGuard,
) -> Result<Response, std::convert::Infallible> {
    if let Some(auth) = web.as_ref().and_then(|w| w.auth.as_ref())
        && !auth.allows(req.headers().get(header::AUTHORIZATION).map(|v| v.as_bytes())).await
    {
        drop(guard);
        return Ok(unauthorized());
    }
    let mut resp = tower_service::Service::call(&mut app.clone(), req.map(axum::body::Body::new)).await?;
    if let Some(w) = &web {
        for (k, v) in &w.headers {
            resp.headers_mut().insert(k.clone(), v.clone());
        }
    }
    drop(guard);
    Ok(resp)
}

async fn serve_conn<IO>(io: IO, app: Router, web: Option<Arc<WebConfig>>, conn: Arc<Conn>, conns: Arc<Conns>)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req| {
        conn.busy.store(true, Ordering::Release);
        conn.head_since.store(0, Ordering::Release);
        handle_request(req, app.clone(), web.clone(), BusyGuard(conn.clone(), conns.clone()))
    });
    let r = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .header_read_timeout(None)
        .max_buf_size(MAX_HEAD_BYTES)
        .serve_connection(hyper_util::rt::TokioIo::new(io), svc)
        .await;
    if let Err(e) = r {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

async fn connection(tcp: tokio::net::TcpStream, id: u64, conn: Arc<Conn>, conns: Arc<Conns>, app: Router, opts: Arc<ServeOptions>) {
    let io = Tracked {
        inner: tcp,
        conn: conn.clone(),
        conns: conns.clone(),
    };
    let web = opts.web.clone();
    let work = async {
        match web.as_ref().and_then(|w| w.tls.clone()) {
            Some(acceptor) => match acceptor.accept(io).await {
                Ok(tls) => serve_conn(tls, app, web, conn.clone(), conns.clone()).await,
                Err(e) => tracing::debug!(error = %e, "TLS handshake failed"),
            },
            None => serve_conn(io, app, web, conn.clone(), conns.clone()).await,
        }
    };
    tokio::select! {
        _ = work => {}
        _ = conn.close.notified() => {}
        _ = expiry(&conn, &conns, &opts) => tracing::debug!("closing a connection past its header or idle timeout"),
    }
    conns.remove(id);
}

/// Serve until `shutdown` resolves, then let requests in progress finish
/// (for at most the default scrape timeout) and close the rest.
pub async fn serve(
    listener: tokio::net::TcpListener,
    exporter: Arc<Exporter>,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let cap = connection_cap(opts.max_connections);
    if cap < opts.max_connections {
        tracing::info!(max_connections = cap, "connection cap lowered below the open-file limit");
    }
    let app = router(exporter, opts.clone());
    let opts = Arc::new(opts);
    let conns = Arc::new(Conns {
        epoch: Instant::now(),
        next: AtomicU64::new(0),
        map: Mutex::new(HashMap::new()),
    });
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = &mut shutdown => break,
        };
        let tcp = match accepted {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if conns.len() >= cap {
            if !conns.evict_oldest_idle() {
                tracing::warn!(max_connections = cap, "every connection is busy; refusing a new one");
                continue;
            }
            // Let the evicted connection's task close its socket before the
            // next accept, so descriptors stay under the cap.
            tokio::task::yield_now().await;
        }
        let _ = tcp.set_nodelay(true);
        let (id, conn) = conns.add();
        tokio::spawn(connection(tcp, id, conn, conns.clone(), app.clone(), opts.clone()));
    }
    drop(listener);
    let end = Instant::now() + opts.default_timeout;
    while conns.len() > 0 && Instant::now() < end {
        conns.close_idle();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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
    fn eviction_takes_the_oldest_connection_without_a_request() {
        let conns = Conns {
            epoch: Instant::now(),
            next: AtomicU64::new(0),
            map: Mutex::new(HashMap::new()),
        };
        let (_, oldest) = conns.add();
        let (_, second) = conns.add();
        let (_, third) = conns.add();
        oldest.busy.store(true, Ordering::Release);
        assert!(conns.evict_oldest_idle());
        assert_eq!(conns.len(), 2);
        assert!(
            !conns.map.lock().unwrap().values().any(|c| Arc::ptr_eq(c, &second)),
            "second evicted"
        );
        third.busy.store(true, Ordering::Release);
        assert!(!conns.evict_oldest_idle(), "all busy: nothing to evict");
        assert_eq!(conns.len(), 2);
        assert!(connection_cap(usize::MAX) < usize::MAX && connection_cap(3) == 3 && connection_cap(0) == 1);
    }

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
