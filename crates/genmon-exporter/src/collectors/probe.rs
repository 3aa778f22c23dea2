//! `probe`: HTTP(S) checks of the targets in the config file, run
//! concurrently at scrape time. Targets never come from the scrape request
//! (no open proxy).
//!
//! Phases: `resolve` (DNS, absent for IP literals), `connect` (TCP plus the
//! TLS handshake for https), `processing` (request sent to response headers),
//! `transfer` (body), `total`. Each probe has its own client with connection
//! pooling disabled, so every probe opens a fresh connection like a real
//! client would, and runs of one probe never overlap: a scrape that finds a
//! run in flight shares its result.
//!
//! Bounded whatever the target does: the body is streamed and discarded, and
//! a body longer than `body_size_limit` (default [`DEFAULT_BODY_SIZE_LIMIT`])
//! fails the probe, as blackbox_exporter's `body_size_limit` does; the probe
//! timeout bounds the time. The `target` label never carries credentials:
//! userinfo and query values are replaced by `xxxxx` ([`redact_url`]).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use anyhow::Context;

use super::{Collector, ScrapeContext};
use crate::config::{ProbeConfig, parse_duration};
use crate::metric::{Family, Sample, label};
use crate::probe_tls::{self, Recorder, Seen};
use tokio_rustls::rustls::RootCertStore;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;

/// Histogram bucket bounds (seconds) for `genmon_probe_phase_duration_seconds`.
pub const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Phases, in output order.
pub const PHASES: [&str; 5] = ["resolve", "connect", "processing", "transfer", "total"];
/// Default probe timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default `body_size_limit`: bytes of response body read per probe.
/// (blackbox_exporter reads without limit by default; an exporter must not.)
pub const DEFAULT_BODY_SIZE_LIMIT: u64 = 10 << 20;

/// The URL as it may be shown in labels and logs: userinfo and every query
/// value replaced by `xxxxx` (query keys kept), fragment dropped.
pub fn redact_url(url: &reqwest::Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    if !u.username().is_empty() {
        let _ = u.set_username("xxxxx");
    }
    if u.password().is_some() {
        let _ = u.set_password(Some("xxxxx"));
    }
    if let Some(q) = u.query() {
        let redacted: Vec<String> = q
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) => format!("{k}=xxxxx"),
                None if kv.is_empty() => String::new(),
                None => kv.to_string(),
            })
            .collect();
        u.set_query(Some(&redacted.join("&")));
    }
    u.to_string()
}

type Slot = Arc<Mutex<Option<Duration>>>;

fn put(slot: &Slot, d: Duration) {
    *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(d);
}
fn take(slot: &Slot) -> Option<Duration> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// DNS resolver that records how long resolution took.
struct TimedResolver(Slot);

impl reqwest::dns::Resolve for TimedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let slot = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let start = Instant::now();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            put(&slot, start.elapsed());
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Connector layer that records how long establishing a connection took.
#[derive(Clone)]
struct TimingLayer(Slot);

#[derive(Clone)]
struct Timing<S> {
    inner: S,
    slot: Slot,
}

impl<S> tower_layer::Layer<S> for TimingLayer {
    type Service = Timing<S>;
    fn layer(&self, inner: S) -> Timing<S> {
        Timing {
            inner,
            slot: self.0.clone(),
        }
    }
}

impl<S, R> tower_service::Service<R> for Timing<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        let start = Instant::now();
        let fut = self.inner.call(req);
        let slot = self.slot.clone();
        Box::pin(async move {
            let r = fut.await;
            put(&slot, start.elapsed());
            r
        })
    }
}

#[derive(Debug, Clone, Default)]
struct Hist {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Hist {
    fn observe(&mut self, v: f64) {
        for (b, le) in self.buckets.iter_mut().zip(BUCKETS) {
            if v <= le {
                *b += 1;
            }
        }
        self.count += 1;
        self.sum += v;
    }
}

#[derive(Debug, Default)]
struct State {
    hist: [Hist; PHASES.len()],
    last: [Option<f64>; PHASES.len()],
    successes: u64,
    failures: u64,
    success: bool,
    status: u16,
    /// The final response came over TLS (`probe_http_ssl`).
    ssl: bool,
    tls: Seen,
}

struct Probe {
    name: String,
    url: reqwest::Url,
    /// [`redact_url`] of `url`: the `target` label.
    target: String,
    body_size_limit: u64,
    method: reqwest::Method,
    timeout: Duration,
    expect: Vec<u16>,
    client: reqwest::Client,
    tls: Arc<Recorder>,
    resolve: Slot,
    connect: Slot,
    running: tokio::sync::Mutex<()>,
    state: Mutex<State>,
}

/// Outcome of one probe run.
#[derive(Debug, Default)]
struct Outcome {
    success: bool,
    status: u16,
    phases: [Option<f64>; PHASES.len()],
    ssl: bool,
    tls: Seen,
}

impl Probe {
    fn new(cfg: &ProbeConfig, public_roots: &Arc<RootCertStore>) -> anyhow::Result<Probe> {
        let at = format!("probe {:?}", cfg.name);
        let url = reqwest::Url::parse(&cfg.url).with_context(|| format!("{at}: invalid url"))?;
        let timeout = match &cfg.timeout {
            Some(t) => parse_duration(t).with_context(|| format!("{at}: timeout"))?,
            None => DEFAULT_TIMEOUT,
        };
        let method = match &cfg.method {
            Some(m) => {
                reqwest::Method::from_bytes(m.to_ascii_uppercase().as_bytes()).map_err(|_| anyhow::anyhow!("{at}: invalid method {m:?}"))?
            }
            None => reqwest::Method::GET,
        };
        let resolve: Slot = Arc::default();
        let connect: Slot = Arc::default();
        // The public roots, plus the CA file's certificates (as reqwest's
        // add_root_certificate did).
        let roots = match &cfg.ca_file {
            None => public_roots.clone(),
            Some(ca) => {
                let (pem, _) = crate::bounded::read_regular(ca, 1 << 20).with_context(|| format!("{at}: ca_file"))?;
                let bad = || format!("{at}: ca_file {} is not a PEM certificate bundle", ca.display());
                let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
                    .collect::<Result<Vec<_>, _>>()
                    .with_context(bad)?;
                if certs.is_empty() {
                    anyhow::bail!("{at}: ca_file {} holds no certificate", ca.display());
                }
                let mut roots = RootCertStore::clone(public_roots);
                for c in certs {
                    roots.add(c).with_context(bad)?;
                }
                Arc::new(roots)
            }
        };
        let (tls_config, tls) = probe_tls::client_config(roots, cfg.tls_insecure).with_context(|| format!("{at}: TLS client"))?;
        let client = reqwest::Client::builder()
            .user_agent(concat!("genmon-exporter/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(0)
            .use_preconfigured_tls(tls_config)
            .dns_resolver(Arc::new(TimedResolver(resolve.clone())))
            .connector_layer(TimingLayer(connect.clone()))
            .build()
            .with_context(|| format!("{at}: building the HTTP client"))?;
        Ok(Probe {
            name: cfg.name.clone(),
            target: redact_url(&url),
            url,
            body_size_limit: cfg.body_size_limit.unwrap_or(DEFAULT_BODY_SIZE_LIMIT),
            method,
            timeout,
            expect: cfg.expect_status.as_ref().map(|s| s.codes()).unwrap_or_default(),
            client,
            tls,
            resolve,
            connect,
            running: tokio::sync::Mutex::new(()),
            state: Mutex::new(State::default()),
        })
    }

    async fn request(&self, out: &mut Outcome) -> anyhow::Result<()> {
        let start = Instant::now();
        // reqwest errors name the URL; ours may hold credentials.
        let mut resp = self
            .client
            .request(self.method.clone(), self.url.clone())
            .send()
            .await
            .map_err(|e| e.without_url())?;
        let headers_at = start.elapsed();
        out.status = resp.status().as_u16();
        // The last handshake is the final response's unless a redirect led
        // to plain HTTP.
        let tls = self.tls.take();
        if resp.url().scheme() == "https" {
            out.ssl = true;
            out.tls = tls;
        }
        let resolve = take(&self.resolve);
        let connect = take(&self.connect);
        let body_start = Instant::now();
        // Stream and discard: only the byte count is kept.
        let mut read: u64 = 0;
        while let Some(chunk) = resp.chunk().await.map_err(|e| e.without_url())? {
            read += chunk.len() as u64;
            if read > self.body_size_limit {
                anyhow::bail!("response body longer than body_size_limit ({} bytes)", self.body_size_limit);
            }
        }
        let transfer = body_start.elapsed();
        let r = resolve.unwrap_or_default();
        out.phases[0] = resolve.map(|d| d.as_secs_f64());
        out.phases[1] = connect.map(|c| c.saturating_sub(r).as_secs_f64());
        out.phases[2] = Some(headers_at.saturating_sub(connect.unwrap_or_default()).as_secs_f64());
        out.phases[3] = Some(transfer.as_secs_f64());
        out.phases[4] = Some(start.elapsed().as_secs_f64());
        out.success = if self.expect.is_empty() {
            (200..300).contains(&out.status)
        } else {
            self.expect.contains(&out.status)
        };
        Ok(())
    }

    /// Run once, finishing by `deadline` whatever the target does. When a
    /// run is already in flight (a concurrent scrape started it), its result
    /// serves this scrape too: concurrent scrapes never queue up runs of one
    /// probe against a slow target.
    async fn run(&self, deadline: Instant) {
        let deadline = deadline.min(Instant::now() + self.timeout);
        let tdl = tokio::time::Instant::from_std(deadline);
        let mut out = Outcome::default();
        let _guard = match self.running.try_lock() {
            Ok(g) => g,
            Err(_) => {
                if tokio::time::timeout_at(tdl, self.running.lock()).await.is_err() {
                    tracing::warn!(probe = %self.name, "the probe's run in flight did not finish before this scrape's deadline");
                    self.record(out);
                }
                return;
            }
        };
        take(&self.resolve);
        take(&self.connect);
        self.tls.take();
        let start = Instant::now();
        match tokio::time::timeout_at(tdl, self.request(&mut out)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                out.success = false;
                tracing::debug!(probe = %self.name, error = format!("{e:#}"), "probe failed");
            }
            Err(_) => {
                out.success = false;
                out.phases = Default::default();
                out.phases[4] = Some(start.elapsed().as_secs_f64());
                tracing::debug!(probe = %self.name, "probe timed out");
            }
        }
        if out.phases[4].is_none() {
            out.phases[4] = Some(start.elapsed().as_secs_f64());
        }
        self.record(out);
    }

    fn record(&self, out: Outcome) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.last = out.phases;
        for (h, v) in s.hist.iter_mut().zip(out.phases) {
            if let Some(v) = v {
                h.observe(v);
            }
        }
        if out.success {
            s.successes += 1;
        } else {
            s.failures += 1;
        }
        s.success = out.success;
        s.status = out.status;
        s.ssl = out.ssl;
        s.tls = out.tls;
    }
}

/// The probe collector.
pub struct ProbeCollector {
    probes: Vec<Arc<Probe>>,
}

impl ProbeCollector {
    /// Build one HTTP client per configured probe.
    pub fn new(cfgs: &[ProbeConfig]) -> anyhow::Result<Self> {
        Ok(ProbeCollector {
            probes: match cfgs {
                [] => Vec::new(),
                _ => {
                    let roots = probe_tls::public_roots();
                    cfgs.iter()
                        .map(|c| Probe::new(c, &roots).map(Arc::new))
                        .collect::<anyhow::Result<_>>()?
                }
            },
        })
    }
}

impl Collector for ProbeCollector {
    fn name(&self) -> &'static str {
        "probe"
    }
    fn cheap(&self) -> bool {
        // Without probes there is nothing to wait for: no blocking thread.
        self.probes.is_empty()
    }
    fn collect(&self, ctx: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        if self.probes.is_empty() {
            return Ok(Vec::new());
        }
        // Finish a little before the scrape deadline so timed-out probes are
        // reported as failures by us rather than the whole collector by the framework.
        let now = Instant::now();
        let deadline = ctx.deadline.checked_sub(Duration::from_millis(100)).unwrap_or(now).max(now);
        ctx.handle.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for p in &self.probes {
                let p = p.clone();
                set.spawn(async move { p.run(deadline).await });
            }
            while set.join_next().await.is_some() {}
        });
        let n = self.probes.len();
        // blackbox_exporter's families, plus a `probe` label naming the probe.
        let mut success = Family::with_capacity("probe_success", n);
        let mut last_dur = Family::with_capacity("probe_duration_seconds", n);
        let mut phase_dur = Family::with_capacity("probe_http_duration_seconds", n * (PHASES.len() - 1));
        let mut status = Family::with_capacity("probe_http_status_code", n);
        let mut ssl = Family::with_capacity("probe_http_ssl", n);
        let mut expiry = Family::with_capacity("probe_ssl_earliest_cert_expiry", n);
        let mut version = Family::with_capacity("probe_tls_version_info", n);
        let mut requests = Family::with_capacity("genmon_probe_requests_total", 2 * n);
        let mut dur = Family::with_capacity("genmon_probe_phase_duration_seconds", n * PHASES.len() * (BUCKETS.len() + 3));
        for p in &self.probes {
            let s = p.state.lock().unwrap_or_else(|e| e.into_inner());
            let l = || vec![label("probe", p.name.clone()), label("target", p.target.clone())];
            success.push(l(), if s.success { 1.0 } else { 0.0 });
            if let Some(total) = s.last[PHASES.len() - 1] {
                last_dur.push(l(), total);
            }
            for (phase, v) in PHASES.iter().zip(s.last).take(PHASES.len() - 1) {
                if let Some(v) = v {
                    let mut lb = l();
                    lb.push(label("phase", *phase));
                    phase_dur.push(lb, v);
                }
            }
            status.push(l(), s.status as f64);
            ssl.push(l(), if s.ssl { 1.0 } else { 0.0 });
            if let Some(t) = s.tls.earliest_expiry {
                expiry.push(l(), t as f64);
            }
            if let Some(v) = s.tls.version {
                let mut lb = l();
                lb.push(label("version", v));
                version.push(lb, 1.0);
            }
            for (result, v) in [("success", s.successes), ("failure", s.failures)] {
                let mut lb = l();
                lb.push(label("result", result));
                requests.push(lb, v as f64);
            }
            for (phase, h) in PHASES.iter().zip(&s.hist) {
                if h.count == 0 {
                    continue;
                }
                let pl = || {
                    let mut lb = l();
                    lb.push(label("phase", *phase));
                    lb
                };
                for (le, c) in BUCKETS.iter().zip(h.buckets) {
                    let mut lb = pl();
                    lb.push(label("le", le.to_string()));
                    dur.samples.push(Sample {
                        suffix: "_bucket",
                        labels: lb,
                        value: c as f64,
                    });
                }
                let mut lb = pl();
                lb.push(label("le", "+Inf"));
                dur.samples.push(Sample {
                    suffix: "_bucket",
                    labels: lb,
                    value: h.count as f64,
                });
                dur.samples.push(Sample {
                    suffix: "_sum",
                    labels: pl(),
                    value: h.sum,
                });
                dur.samples.push(Sample {
                    suffix: "_count",
                    labels: pl(),
                    value: h.count as f64,
                });
            }
        }
        Ok(vec![success, last_dur, phase_dur, status, ssl, expiry, version, requests, dur])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut h = Hist::default();
        h.observe(0.003);
        h.observe(0.3);
        h.observe(20.0);
        assert_eq!(h.buckets[0], 1);
        assert_eq!(h.buckets[6], 2);
        assert_eq!(h.buckets[10], 2);
        assert_eq!(h.count, 3);
    }

    #[test]
    fn bad_ca_file_is_an_error() {
        let cfg = ProbeConfig {
            name: "x".into(),
            url: "https://127.0.0.1/".into(),
            timeout: None,
            method: None,
            expect_status: None,
            tls_insecure: false,
            ca_file: Some("/nonexistent/ca.pem".into()),
            body_size_limit: None,
        };
        let e = ProbeCollector::new(&[cfg]).err().unwrap();
        assert!(format!("{e:#}").contains("ca_file"), "{e:#}");
    }

    #[test]
    fn target_labels_hide_credentials() {
        let cases = [
            (
                "https://user:hunter2@example.com/x?token=abc&v=1#frag",
                "https://xxxxx:xxxxx@example.com/x?token=xxxxx&v=xxxxx",
            ),
            ("https://ghp_secret@example.com/", "https://xxxxx@example.com/"),
            ("http://127.0.0.1:8080/health", "http://127.0.0.1:8080/health"),
            ("http://h/?flag&&k=", "http://h/?flag&&k=xxxxx"),
        ];
        for (url, want) in cases {
            assert_eq!(redact_url(&reqwest::Url::parse(url).unwrap()), want, "{url}");
        }
    }
}
