//! `--web.config.file`: TLS and basic auth in the Prometheus exporter-toolkit
//! format, so a node_exporter web config works unchanged:
//!
//! ```yaml
//! tls_server_config:
//!   cert_file: server.crt          # relative paths: to this file's directory
//!   key_file: server.key
//!   client_auth_type: RequireAndVerifyClientCert   # or NoClientCert (default), VerifyClientCertIfGiven
//!   client_ca_file: ca.crt
//!   min_version: TLS12             # TLS12 (default) or TLS13
//! http_server_config:
//!   headers: {Strict-Transport-Security: max-age=31536000}
//! basic_auth_users:
//!   prometheus: $2y$10$...         # bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\n')
//! ```
//!
//! Unknown keys are errors (exporter-toolkit parses strictly too); toolkit
//! settings that this exporter does not implement (`cipher_suites`,
//! `curve_preferences`, `client_allowed_sans`, TLS 1.0/1.1, ...) are refused
//! with a message rather than ignored. The file is read once at start-up.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use serde::Deserialize;
use sha2::Digest;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::bounded;

/// Largest web config, certificate or key file read.
const MAX_FILE_BYTES: u64 = 1 << 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    #[serde(default)]
    tls_server_config: Option<TlsShape>,
    #[serde(default)]
    http_server_config: Option<HttpShape>,
    #[serde(default)]
    basic_auth_users: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsShape {
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    client_auth_type: Option<String>,
    client_ca_file: Option<PathBuf>,
    min_version: Option<String>,
    max_version: Option<String>,
    // Known to exporter-toolkit, refused here with a reason.
    cert: Option<serde_yaml_ng::Value>,
    key: Option<serde_yaml_ng::Value>,
    cipher_suites: Option<serde_yaml_ng::Value>,
    curve_preferences: Option<serde_yaml_ng::Value>,
    prefer_server_cipher_suites: Option<serde_yaml_ng::Value>,
    client_allowed_sans: Option<serde_yaml_ng::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpShape {
    http2: Option<bool>,
    headers: Option<BTreeMap<String, String>>,
}

/// Response headers exporter-toolkit lets the config set.
const ALLOWED_HEADERS: [&str; 5] = [
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "X-XSS-Protection",
    "Content-Security-Policy",
];

/// The loaded web configuration.
pub struct WebConfig {
    /// TLS acceptor, when `tls_server_config` is set.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// Basic auth, when `basic_auth_users` is non-empty.
    pub auth: Option<BasicAuth>,
    /// Extra response headers.
    pub headers: Vec<(axum::http::HeaderName, axum::http::HeaderValue)>,
}

impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("tls", &self.tls.is_some())
            .field("auth", &self.auth.as_ref().map(|a| a.users.len()))
            .field("headers", &self.headers)
            .finish()
    }
}

/// Users and bcrypt hashes, with a cache of recent successful logins so a
/// scrape every 15s does not cost a bcrypt (tens of ms) each time.
pub struct BasicAuth {
    users: HashMap<String, String>,
    /// A hash at the users' cost: unknown users are checked against it so
    /// that their answer takes as long as a known user's.
    dummy: String,
    ok_cache: Mutex<HashMap<[u8; 32], ()>>,
    /// bcrypt runs are CPU-heavy: at most two at once, so failed logins
    /// cannot take the CPU from scrapes.
    gate: tokio::sync::Semaphore,
}

/// Cache entries kept; the cache is cleared when full.
const CACHE_MAX: usize = 1024;

impl BasicAuth {
    /// Whether an `Authorization` header value grants access.
    pub async fn allows(&self, header: Option<&[u8]>) -> bool {
        use base64::Engine as _;
        let Some(h) = header else { return false };
        let Some(b64) = h.strip_prefix(b"Basic ") else { return false };
        if b64.len() > 4096 {
            return false;
        }
        let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64) else {
            return false;
        };
        let Ok(raw) = String::from_utf8(raw) else { return false };
        let Some((user, pass)) = raw.split_once(':') else {
            return false;
        };
        let key: [u8; 32] = sha2::Sha256::new()
            .chain_update(user.as_bytes())
            .chain_update([0u8])
            .chain_update(pass.as_bytes())
            .finalize()
            .into();
        if self.ok_cache.lock().unwrap_or_else(|e| e.into_inner()).contains_key(&key) {
            return true;
        }
        let (hash, known) = match self.users.get(user) {
            Some(h) => (h.clone(), true),
            None => (self.dummy.clone(), false),
        };
        let Ok(_permit) = self.gate.acquire().await else { return false };
        let pass = pass.to_string();
        let ok = tokio::task::spawn_blocking(move || bcrypt::verify(pass, &hash).unwrap_or(false))
            .await
            .unwrap_or(false)
            && known;
        if ok {
            let mut c = self.ok_cache.lock().unwrap_or_else(|e| e.into_inner());
            if c.len() >= CACHE_MAX {
                c.clear();
            }
            c.insert(key, ());
        }
        ok
    }
}

fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() { p.to_path_buf() } else { base.join(p) }
}

fn read(path: &Path, what: &str) -> anyhow::Result<String> {
    Ok(bounded::read_regular(path, MAX_FILE_BYTES).with_context(|| what.to_string())?.0)
}

/// Load `--web.config.file`.
pub fn load(path: &Path) -> anyhow::Result<WebConfig> {
    let text = read(path, "--web.config.file")?;
    let base = path.parent().unwrap_or(Path::new("."));
    parse(&text, base).with_context(|| format!("web config file {}", path.display()))
}

/// Parse web config text; relative file names are resolved against `base`.
pub fn parse(text: &str, base: &Path) -> anyhow::Result<WebConfig> {
    let shape: FileShape = if text.trim().is_empty() {
        FileShape {
            tls_server_config: None,
            http_server_config: None,
            basic_auth_users: None,
        }
    } else {
        serde_yaml_ng::from_str(text)?
    };
    let tls = shape.tls_server_config.map(|t| tls_acceptor(t, base)).transpose()?;
    let mut users = HashMap::new();
    let mut cost = bcrypt::DEFAULT_COST;
    for (user, hash) in shape.basic_auth_users.unwrap_or_default() {
        if user.is_empty() || user.contains(':') {
            bail!("basic_auth_users: user name {user:?} must be non-empty and without ':'");
        }
        let parts = bcrypt::HashParts::from_str(&hash).map_err(|e| {
            anyhow::anyhow!(
                "basic_auth_users.{user}: not a bcrypt hash ({e}); store hashes, not passwords \
                 (e.g. htpasswd -nBC 10 \"\" | tr -d ':\\n')"
            )
        })?;
        cost = parts.get_cost();
        users.insert(user, hash);
    }
    let dummy = if users.is_empty() {
        String::new()
    } else {
        bcrypt::hash("genmon-exporter: no such user", cost)?
    };
    let auth = (!users.is_empty()).then(|| BasicAuth {
        users,
        dummy,
        ok_cache: Mutex::new(HashMap::new()),
        gate: tokio::sync::Semaphore::new(2),
    });
    let mut headers = Vec::new();
    if let Some(h) = shape.http_server_config {
        if h.http2 == Some(true) {
            tracing::warn!("http_server_config.http2: genmon-exporter serves HTTP/1.1 only");
        }
        for (k, v) in h.headers.unwrap_or_default() {
            let Some(name) = ALLOWED_HEADERS.iter().find(|a| a.eq_ignore_ascii_case(&k)) else {
                bail!(
                    "http_server_config.headers: {k:?} cannot be set; allowed: {}",
                    ALLOWED_HEADERS.join(", ")
                );
            };
            let value = axum::http::HeaderValue::from_str(&v)
                .map_err(|_| anyhow::anyhow!("http_server_config.headers.{k}: invalid header value"))?;
            headers.push((axum::http::HeaderName::from_static(lower(name)), value));
        }
    }
    Ok(WebConfig { tls, auth, headers })
}

fn lower(name: &str) -> &'static str {
    match name {
        "Strict-Transport-Security" => "strict-transport-security",
        "X-Content-Type-Options" => "x-content-type-options",
        "X-Frame-Options" => "x-frame-options",
        "X-XSS-Protection" => "x-xss-protection",
        _ => "content-security-policy",
    }
}

fn version(v: &Option<String>, field: &str, default: u8) -> anyhow::Result<u8> {
    match v.as_deref() {
        None => Ok(default),
        Some("TLS12") => Ok(2),
        Some("TLS13") => Ok(3),
        Some(v @ ("TLS10" | "TLS11")) => bail!("tls_server_config.{field}: {v} is not supported (insecure); use TLS12 or TLS13"),
        Some(v) => bail!("tls_server_config.{field}: unknown TLS version {v:?}; use TLS12 or TLS13"),
    }
}

fn tls_acceptor(t: TlsShape, base: &Path) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    for (set, name) in [
        (t.cert.is_some(), "cert (inline PEM)"),
        (t.key.is_some(), "key (inline PEM)"),
        (t.cipher_suites.is_some(), "cipher_suites"),
        (t.curve_preferences.is_some(), "curve_preferences"),
        (t.prefer_server_cipher_suites.is_some(), "prefer_server_cipher_suites"),
        (t.client_allowed_sans.is_some(), "client_allowed_sans"),
    ] {
        if set {
            bail!("tls_server_config.{name} is not supported by genmon-exporter; remove it");
        }
    }
    let (Some(cert_file), Some(key_file)) = (&t.cert_file, &t.key_file) else {
        bail!("tls_server_config: both cert_file and key_file are required");
    };
    let min = version(&t.min_version, "min_version", 2)?;
    let max = version(&t.max_version, "max_version", 3)?;
    if min > max {
        bail!("tls_server_config: min_version is above max_version");
    }
    let (cert_path, key_path) = (resolve(base, cert_file), resolve(base, key_file));
    let cert_pem = read(&cert_path, "tls_server_config.cert_file")?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("tls_server_config.cert_file {}: {e}", cert_path.display()))?;
    if certs.is_empty() {
        bail!("tls_server_config.cert_file {}: no PEM certificate in it", cert_path.display());
    }
    let key_pem = read(&key_path, "tls_server_config.key_file")?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| anyhow::anyhow!("tls_server_config.key_file {}: no PEM private key ({e})", key_path.display()))?;
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = [(2, &rustls::version::TLS12), (3, &rustls::version::TLS13)]
        .into_iter()
        .filter(|(v, _)| (min..=max).contains(v))
        .map(|(_, p)| p)
        .collect();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone()).with_protocol_versions(&versions)?;
    let auth_type = t.client_auth_type.as_deref().unwrap_or("NoClientCert");
    let builder = match auth_type {
        "NoClientCert" => {
            if t.client_ca_file.is_some() {
                bail!("tls_server_config: client_ca_file is set but client_auth_type is NoClientCert; set client_auth_type");
            }
            builder.with_no_client_auth()
        }
        "RequireAndVerifyClientCert" | "VerifyClientCertIfGiven" => {
            let Some(ca) = &t.client_ca_file else {
                bail!("tls_server_config: client_auth_type {auth_type} needs client_ca_file");
            };
            let ca_path = resolve(base, ca);
            let ca_pem = read(&ca_path, "tls_server_config.client_ca_file")?;
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
                let c = c.map_err(|e| anyhow::anyhow!("tls_server_config.client_ca_file {}: {e}", ca_path.display()))?;
                roots
                    .add(c)
                    .with_context(|| format!("tls_server_config.client_ca_file {}", ca_path.display()))?;
            }
            if roots.is_empty() {
                bail!("tls_server_config.client_ca_file {}: no PEM certificate in it", ca_path.display());
            }
            let mut v = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            if auth_type == "VerifyClientCertIfGiven" {
                v = v.allow_unauthenticated();
            }
            builder.with_client_cert_verifier(v.build()?)
        }
        "RequestClientCert" | "RequireAnyClientCert" => {
            bail!(
                "tls_server_config.client_auth_type {auth_type} (unverified client certificates) is not supported; use RequireAndVerifyClientCert"
            )
        }
        other => bail!(
            "tls_server_config.client_auth_type {other:?} is unknown; use NoClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert"
        ),
    };
    let mut cfg = builder.with_single_cert(certs, key).with_context(|| {
        format!(
            "tls_server_config: {} and {} do not form a key pair",
            cert_path.display(),
            key_path.display()
        )
    })?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(cfg)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        format!("{:#}", parse(text, Path::new("/nonexistent")).unwrap_err())
    }

    #[test]
    fn rejects_what_it_cannot_honour() {
        assert!(err("basic_auth_users: {alice: hunter2}").contains("not a bcrypt hash"));
        assert!(err("tls_server_config: {cert_file: a}").contains("both cert_file and key_file"));
        assert!(err("tls_server_config: {cert_file: a, key_file: b, cipher_suites: [x]}").contains("cipher_suites"));
        assert!(err("tls_server_config: {cert_file: a, key_file: b, min_version: TLS10}").contains("not supported"));
        assert!(err("tls_server_confg: {}").contains("unknown field"));
        assert!(err("http_server_config: {headers: {Server: x}}").contains("cannot be set"));
        assert!(err("tls_server_config: {cert_file: a, key_file: b}").contains("/nonexistent/a"));
    }

    #[tokio::test]
    async fn basic_auth_checks_bcrypt() {
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        let cfg = parse(&format!("basic_auth_users: {{alice: '{hash}'}}"), Path::new(".")).unwrap();
        let a = cfg.auth.unwrap();
        use base64::Engine as _;
        let h = |s: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(s));
        assert!(a.allows(Some(h("alice:s3cret").as_bytes())).await);
        assert!(a.allows(Some(h("alice:s3cret").as_bytes())).await, "cached");
        assert!(!a.allows(Some(h("alice:wrong").as_bytes())).await);
        assert!(!a.allows(Some(h("bob:s3cret").as_bytes())).await);
        assert!(!a.allows(Some(b"Basic !!!")).await);
        assert!(!a.allows(None).await);
    }
}
