//! Probe collector against local HTTP and HTTPS servers started here.

#[path = "exporter_util.rs"]
mod util;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls;
use util::{ExporterProc, get, parse, value};

/// Answer one HTTP/1.1 request by path: /ok 200, /fail 500, /slow sleeps 10s.
async fn answer<S: AsyncRead + AsyncWrite + Unpin>(mut s: S) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let req = String::from_utf8_lossy(&buf);
    let path = req.split(' ').nth(1).unwrap_or("/").to_string();
    let status = match path.as_str() {
        "/fail" => "500 Internal Server Error",
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            "200 OK"
        }
        _ => "200 OK",
    };
    let resp = format!("HTTP/1.1 {status}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    let _ = s.write_all(resp.as_bytes()).await;
    let _ = s.shutdown().await;
}

async fn http_server() -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(answer(s));
        }
    });
    addr
}

struct Tls {
    addr: String,
    ca_pem: String,
    /// notAfter of the intermediate: the earliest of the presented chain.
    intermediate_not_after: i64,
    leaf_not_after: i64,
}

/// A CA (never expiring) → intermediate (2030-06-01) → leaf (2031-01-02)
/// chain; the server presents leaf and intermediate, as real servers do.
/// blackbox_exporter's `probe_ssl_earliest_cert_expiry` is the earliest
/// notAfter of the presented chain: here the intermediate's, not the leaf's.
async fn tls_server(versions: &[&'static rustls::SupportedProtocolVersion]) -> Tls {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "genmon test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();

    let mid_key = rcgen::KeyPair::generate().unwrap();
    let mut mid_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    mid_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    mid_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "genmon test intermediate");
    mid_params.not_after = rcgen::date_time_ymd(2030, 6, 1);
    let intermediate_not_after = mid_params.not_after.unix_timestamp();
    let mid = rcgen::CertifiedIssuer::signed_by(mid_params, mid_key, &ca).unwrap();

    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    params.not_after = rcgen::date_time_ymd(2031, 1, 2);
    let leaf_not_after = params.not_after.unix_timestamp();
    let leaf = params.signed_by(&leaf_key, &mid).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone(), mid.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(s).await {
                    answer(tls).await;
                }
            });
        }
    });
    Tls {
        addr,
        ca_pem: ca.pem(),
        intermediate_not_after,
        leaf_not_after,
    }
}

fn refused_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

#[test]
fn probes_report_success_failure_timeout_and_tls_expiry() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = rt.block_on(http_server());
    let tls = rt.block_on(tls_server(rustls::DEFAULT_VERSIONS));
    let tls12 = rt.block_on(tls_server(&[&rustls::version::TLS12]));
    let tls_port = tls.addr.rsplit(':').next().unwrap().to_string();
    let refused = refused_addr();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &tls.ca_pem).unwrap();
    let cfg = util::write_config(
        dir.path(),
        &format!(
            r#"exporter:
  probes:
    - {{name: ok, url: "http://{http}/ok", timeout: 3s}}
    - {{name: fail, url: "http://{http}/fail", timeout: 3s}}
    - {{name: expect500, url: "http://{http}/fail", expect_status: 500}}
    - {{name: refused, url: "http://{refused}/", timeout: 3s}}
    - {{name: slow, url: "http://{http}/slow", timeout: 1s}}
    - {{name: tls_insecure, url: "https://{tls_addr}/ok", tls_insecure: true, timeout: 3s}}
    - {{name: tls_ca, url: "https://localhost:{tls_port}/ok", ca_file: "{ca}", timeout: 3s}}
    - {{name: tls_untrusted, url: "https://{tls_addr}/ok", timeout: 3s}}
    - {{name: tls12, url: "https://{tls12_addr}/ok", tls_insecure: true, timeout: 3s}}
"#,
            tls_addr = tls.addr,
            tls12_addr = tls12.addr,
            ca = ca_file.display()
        ),
    );
    let exp = ExporterProc::start(&["--collectors=probe"]);
    drop(exp);
    let exp = ExporterProc::start(&["--collectors=probe", "--config.file", &cfg]);

    let start = Instant::now();
    let body = get(&exp.addr, "/metrics", &[("X-Prometheus-Scrape-Timeout-Seconds", "5")]).text();
    let took = start.elapsed();
    assert!(
        took < Duration::from_millis(2500),
        "scrape took {took:?}; the slow probe must be cut at 1s"
    );
    let body2 = get(&exp.addr, "/metrics", &[("X-Prometheus-Scrape-Timeout-Seconds", "5")]).text();
    let s = parse(&body2);
    let p = |name: &str, probe: &str| value(&s, name, &[("probe", probe)]);
    let lint = util::promtool_check(&body);
    assert!(lint.is_empty(), "promtool: {lint}");

    assert_eq!(p("probe_success", "ok"), Some(1.0), "{body2}");
    assert_eq!(p("probe_http_status_code", "ok"), Some(200.0));
    assert_eq!(
        value(&s, "genmon_probe_requests_total", &[("probe", "ok"), ("result", "success")]),
        Some(2.0)
    );
    assert_eq!(
        value(&s, "genmon_probe_requests_total", &[("probe", "ok"), ("result", "failure")]),
        Some(0.0)
    );
    assert_eq!(p("probe_success", "fail"), Some(0.0));
    assert_eq!(p("probe_http_status_code", "fail"), Some(500.0));
    assert_eq!(
        value(&s, "genmon_probe_requests_total", &[("probe", "fail"), ("result", "failure")]),
        Some(2.0)
    );
    assert_eq!(p("probe_success", "expect500"), Some(1.0));
    assert_eq!(p("probe_success", "refused"), Some(0.0));
    assert_eq!(p("probe_http_status_code", "refused"), Some(0.0));
    assert_eq!(p("probe_success", "slow"), Some(0.0));
    assert_eq!(p("probe_http_status_code", "slow"), Some(0.0));
    assert_eq!(p("probe_success", "tls_insecure"), Some(1.0), "{body2}");
    assert_eq!(p("probe_success", "tls_ca"), Some(1.0), "{body2}");
    assert_eq!(p("probe_success", "tls_untrusted"), Some(0.0));
    // Second scrape: a fresh full handshake each run (no session resumption
    // hiding the chain), like blackbox_exporter's new client per probe.
    assert!(tls.intermediate_not_after < tls.leaf_not_after);
    for probe in ["tls_insecure", "tls_ca"] {
        assert_eq!(
            p("probe_ssl_earliest_cert_expiry", probe),
            Some(tls.intermediate_not_after as f64),
            "{probe}: the intermediate expires first\n{body2}"
        );
        let version = value(&s, "probe_tls_version_info", &[("probe", probe), ("version", "TLS 1.3")]);
        assert_eq!(version, Some(1.0), "{probe}\n{body2}");
        assert_eq!(p("probe_http_ssl", probe), Some(1.0), "{probe}");
    }
    let v12 = value(&s, "probe_tls_version_info", &[("probe", "tls12"), ("version", "TLS 1.2")]);
    assert_eq!(v12, Some(1.0), "{body2}");
    assert_eq!(
        p("probe_ssl_earliest_cert_expiry", "tls12"),
        Some(tls12.intermediate_not_after as f64)
    );
    // An untrusted chain fails the probe; as in blackbox_exporter (no TLS
    // state without a response) no certificate or TLS version series.
    assert_eq!(p("probe_ssl_earliest_cert_expiry", "tls_untrusted"), None, "{body2}");
    assert_eq!(p("probe_tls_version_info", "tls_untrusted"), None, "{body2}");
    assert_eq!(p("probe_http_ssl", "tls_untrusted"), Some(0.0));
    assert_eq!(p("probe_http_ssl", "ok"), Some(0.0));

    // Histogram by phase: total always; resolve only for a host name.
    let count = |probe: &str, phase: &str| {
        s.samples
            .iter()
            .find(|x| {
                x.metric == "genmon_probe_phase_duration_seconds_count"
                    && x.labels.get("probe") == Some(probe)
                    && x.labels.get("phase") == Some(phase)
            })
            .map(|x| match x.value {
                prometheus_parse::Value::Untyped(v) | prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) => v,
                _ => f64::NAN,
            })
    };
    for phase in ["connect", "processing", "transfer", "total"] {
        assert_eq!(count("ok", phase), Some(2.0), "ok/{phase}");
    }
    assert_eq!(count("ok", "resolve"), None, "no DNS for an IP literal");
    assert_eq!(count("tls_ca", "resolve"), Some(2.0));
    assert_eq!(count("slow", "total"), Some(2.0));
    let slow_sum = s.samples.iter().find(|x| {
        x.metric == "genmon_probe_phase_duration_seconds_sum"
            && x.labels.get("probe") == Some("slow")
            && x.labels.get("phase") == Some("total")
    });
    assert!(slow_sum.is_some());
    drop(exp);
    drop(rt);
}

#[test]
fn scrape_timeout_header_bounds_a_slow_probe() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = rt.block_on(http_server());
    let dir = tempfile::tempdir().unwrap();
    let cfg = util::write_config(
        dir.path(),
        &format!("exporter:\n  probes:\n    - {{name: slow, url: 'http://{http}/slow', timeout: 30s}}\n"),
    );
    let exp = ExporterProc::start(&["--collectors=probe,cpu", "--config.file", &cfg]);
    let start = Instant::now();
    // 2s scrape timeout - 0.5s margin = 1.5s budget.
    let r = get(&exp.addr, "/metrics", &[("X-Prometheus-Scrape-Timeout-Seconds", "2")]);
    let took = start.elapsed();
    assert_eq!(r.status, 200);
    assert!(took < Duration::from_millis(1900), "scrape took {took:?}");
    assert!(took >= Duration::from_millis(1400), "scrape took {took:?}");
    let s = parse(&r.text());
    assert_eq!(value(&s, "probe_success", &[("probe", "slow")]), Some(0.0));
    assert_eq!(value(&s, "node_scrape_collector_success", &[("collector", "cpu")]), Some(1.0));
    drop(rt);
}
