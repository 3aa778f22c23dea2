//! A bounded client for Prometheus' HTTP API: every request has a timeout,
//! every response a size cap, and at most `concurrency` requests run at once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

/// How requests authenticate (secrets read from files by the caller).
#[derive(Clone, Default)]
pub enum Auth {
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// HTTP basic auth.
    Basic { user: String, password: String },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "None",
            Auth::Bearer(_) => "Bearer(xxxxx)",
            Auth::Basic { .. } => "Basic(xxxxx)",
        })
    }
}

/// Limits of one verify run.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Per request, connect to last byte.
    pub timeout: Duration,
    /// Largest response body read; a bigger one is an error, not a truncated answer.
    pub max_response_bytes: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
}

/// Prometheus at `base` (`http://host:9090`, with any path prefix).
#[derive(Clone)]
pub struct Api {
    base: Arc<str>,
    /// `base` as printed: credentials and query values redacted.
    shown: Arc<str>,
    client: reqwest::Client,
    max_bytes: usize,
    auth: Arc<Auth>,
}

impl Api {
    /// A client for `base`; fails on a URL that is not http(s).
    pub fn new(base: &str, limits: &Limits, auth: Auth) -> Result<Api, String> {
        let url = reqwest::Url::parse(base).map_err(|e| format!("--prometheus {base:?}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("--prometheus {base:?}: only http:// and https:// URLs are supported"));
        }
        let client = reqwest::Client::builder()
            .timeout(limits.timeout)
            .connect_timeout(limits.timeout)
            .user_agent(concat!("genmon-verify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let shown = crate::exporter::collectors::probe::redact_url(&url);
        Ok(Api {
            shown: shown.trim_end_matches('/').into(),
            base: base.trim_end_matches('/').into(),
            client,
            max_bytes: limits.max_response_bytes,
            auth: Arc::new(auth),
        })
    }

    /// The base URL as it may be printed (userinfo and query values redacted).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// `GET /api/v1/<path>?<params>` → the `data` of a `success` answer.
    pub async fn get(&self, path: &str, params: &[(&str, String)]) -> Result<Value, String> {
        let url = format!("{}/api/v1/{path}", self.base);
        let what = || {
            let q: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("GET {}/api/v1/{path}?{}", self.shown, q.join("&"))
        };
        let req = self.client.get(&url).query(params);
        let req = match &*self.auth {
            Auth::None => req,
            Auth::Bearer(t) => req.bearer_auth(t),
            Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
        };
        let mut resp = req.send().await.map_err(|e| format!("{}: {}", what(), chain(&e.without_url())))?;
        let status = resp.status();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| format!("{}: {}", what(), chain(&e.without_url())))? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(format!(
                    "{}: the answer is larger than {} bytes (--max-response-bytes); narrow the range (--days) or raise the limit",
                    what(),
                    self.max_bytes
                ));
            }
            body.extend_from_slice(&chunk);
        }
        let v: Value = serde_json::from_slice(&body).map_err(|e| format!("{}: HTTP {status}, not a Prometheus API answer: {e}", what()))?;
        if v["status"] != "success" {
            return Err(format!(
                "{}: HTTP {status}: {} {}",
                what(),
                v["errorType"].as_str().unwrap_or("error"),
                v["error"].as_str().unwrap_or("(no message)")
            ));
        }
        Ok(v["data"].clone())
    }
}

/// An error with its causes (`a: b: c`), as reqwest nests them.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(&format!(": {c}"));
        cur = c.source();
    }
    s
}

/// Run `f` on every item with at most `limit` running at once; results in
/// item order (an error when a task died, so results never shift).
pub async fn map_bounded<T, R, Fut>(items: Vec<T>, limit: usize, f: impl Fn(T) -> Fut) -> Result<Vec<R>, String>
where
    R: Send + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    let sem = Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let n = items.len();
    for (i, item) in items.into_iter().enumerate() {
        let fut = f(item);
        let sem = sem.clone();
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            (i, fut.await)
        });
    }
    let mut out: Vec<Option<R>> = (0..n).map(|_| None).collect();
    while let Some(done) = set.join_next().await {
        if let Ok((i, r)) = done {
            out[i] = Some(r);
        }
    }
    out.into_iter()
        .collect::<Option<Vec<R>>>()
        .ok_or_else(|| "a request task ended without an answer".to_string())
}
