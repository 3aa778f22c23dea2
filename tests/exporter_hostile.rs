//! The exporter's hostile-input corpus (`tests/hostile/exporter/`, see its
//! README): textfiles, probe targets and raw HTTP abuse, each case with its
//! expected outcome and a time bound.

#[path = "exporter_util.rs"]
mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use genmon::exporter::Collector;
use genmon::exporter::collectors::ScrapeContext;
use genmon::exporter::collectors::textfile::Textfile;
use genmon::exporter::config::TextfileConfig;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use util::{ExporterProc, get, parse, value};

fn corpus(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/exporter").join(file)
}

fn load<T: serde::de::DeserializeOwned>(file: &str) -> Vec<T> {
    let text = std::fs::read_to_string(corpus(file)).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Expand `{{repeat N TEXT}}`.
fn expand(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("{{repeat ") {
        out.push_str(&rest[..i]);
        let body = &rest[i + 9..];
        let end = body.find("}}").expect("unclosed {{repeat");
        let (n, text) = body[..end].split_once(' ').expect("{{repeat N TEXT}}");
        out.push_str(&text.repeat(n.parse().expect("repeat count")));
        rest = &body[end + 2..];
    }
    out.push_str(rest);
    out
}

/// One byte per character (the corpus writes raw bytes as `\xNN`).
fn latin1(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(c as u32).unwrap_or_else(|_| panic!("character {c:?} is not a byte")))
        .collect()
}

fn peak_rss_mb(pid: i32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status");
    kb / 1024.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextCase {
    name: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    kind: Option<String>,
    expect: String,
    #[serde(default)]
    present: Vec<String>,
}

/// Textfile limit in these cases; `kind: big` writes twice as much.
const TEXTFILE_LIMIT: u64 = 1 << 20;

fn make_case(c: &TextCase, path: &Path) -> Option<std::os::unix::net::UnixListener> {
    match c.kind.as_deref() {
        None => std::fs::write(path, expand(&c.content)).unwrap(),
        Some("bytes") => std::fs::write(path, latin1(&expand(&c.content))).unwrap(),
        Some("fifo") => {
            let p = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
            assert_eq!(unsafe { libc::mkfifo(p.as_ptr(), 0o600) }, 0);
        }
        Some("devzero") => std::os::unix::fs::symlink("/dev/zero", path).unwrap(),
        Some("dangling") => std::os::unix::fs::symlink("/nonexistent/genmon/x.prom", path).unwrap(),
        Some("dir") => std::fs::create_dir(path).unwrap(),
        Some("socket") => return Some(std::os::unix::net::UnixListener::bind(path).unwrap()),
        Some("big") => {
            let line = "big_metric_with_a_long_name{label=\"value\"} 1\n";
            let mut text = String::new();
            for i in 0.. {
                if text.len() as u64 > 2 * TEXTFILE_LIMIT {
                    break;
                }
                text.push_str(&line.replace("value", &i.to_string()));
            }
            std::fs::write(path, text).unwrap();
        }
        Some(k) => panic!("{}: unknown kind {k}", c.name),
    }
    None
}

#[test]
fn textfile_corpus() {
    let cases: Vec<TextCase> = load("textfiles.yaml");
    assert!(cases.len() >= 25, "corpus shrank: {}", cases.len());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut failures = Vec::new();
    for c in &cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("control.prom"), "hostile_control 1\n").unwrap();
        let _keep = make_case(c, &dir.path().join("case.prom"));
        let col = Textfile::from_config(&TextfileConfig {
            directory: Some(dir.path().into()),
            max_bytes: Some(TEXTFILE_LIMIT * 4 / 3),
        });
        let start = Instant::now();
        let ctx = ScrapeContext {
            deadline: Instant::now() + Duration::from_secs(5),
            handle: rt.handle().clone(),
        };
        let fams = col.collect(&ctx).unwrap();
        let took = start.elapsed();
        let names: Vec<&str> = fams.iter().filter(|f| !f.samples.is_empty()).map(|f| f.name.as_ref()).collect();
        let error = fams
            .iter()
            .find(|f| f.name == "node_textfile_scrape_error")
            .map(|f| f.samples[0].value);
        let want_error = match c.expect.as_str() {
            "ok" => 0.0,
            "error" => 1.0,
            e => panic!("{}: expect must be ok or error, not {e}", c.name),
        };
        let mut problems = Vec::new();
        if error != Some(want_error) {
            problems.push(format!("scrape_error {error:?}, want {want_error}"));
        }
        if !names.contains(&"hostile_control") {
            problems.push("the control file was not exported".into());
        }
        for p in &c.present {
            if !names.contains(&p.as_str()) {
                problems.push(format!("{p} missing"));
            }
        }
        if want_error == 1.0 {
            let extra: Vec<_> = names
                .iter()
                .filter(|n| **n != "hostile_control" && !n.starts_with("node_textfile_"))
                .collect();
            if !extra.is_empty() {
                problems.push(format!("a rejected file still exported {extra:?}"));
            }
        }
        if took > Duration::from_secs(2) {
            problems.push(format!("took {took:?}"));
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}", c.name, problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "textfile cases failed:\n{}", failures.join("\n"));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeCase {
    name: String,
    path: String,
    success: u8,
    #[serde(default)]
    body_size_limit: Option<u64>,
    #[serde(default)]
    expect_status: Option<u16>,
    #[serde(default)]
    userinfo: Option<String>,
    #[serde(default)]
    query: Option<String>,
}

/// Read a request head (bounded) and return its path.
async fn read_path(s: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let req = String::from_utf8_lossy(&buf).into_owned();
    let target = req.split(' ').nth(1)?.to_string();
    Some(target.split('?').next().unwrap_or("/").to_string())
}

/// One hostile behaviour per path (see probes.yaml).
async fn hostile(mut s: tokio::net::TcpStream, gzip_bomb: std::sync::Arc<Vec<u8>>) {
    let Some(path) = read_path(&mut s).await else { return };
    let forever = Duration::from_secs(3600);
    let _ = match path.as_str() {
        "/ok" => s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").await,
        "/infinite" => {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").await;
            let chunk = format!("10000\r\n{}\r\n", "z".repeat(0x10000));
            while s.write_all(chunk.as_bytes()).await.is_ok() {}
            Ok(())
        }
        "/declared-huge" => {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\n").await;
            let zeros = vec![0u8; 1 << 16];
            while s.write_all(&zeros).await.is_ok() {}
            Ok(())
        }
        "/never" => {
            tokio::time::sleep(forever).await;
            Ok(())
        }
        "/drip-headers" => {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\n").await;
            while s.write_all(b"X-A: b\r\n").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok(())
        }
        "/drip-body" => {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n").await;
            while s.write_all(b"x").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Ok(())
        }
        "/huge-headers" => {
            let h = format!("HTTP/1.1 200 OK\r\nX-Big: {}\r\nContent-Length: 0\r\n\r\n", "a".repeat(1 << 20));
            s.write_all(h.as_bytes()).await
        }
        "/many-headers" => {
            let mut h = String::from("HTTP/1.1 200 OK\r\n");
            for i in 0..10_000 {
                h.push_str(&format!("X-{i}: v\r\n"));
            }
            h.push_str("Content-Length: 0\r\n\r\n");
            s.write_all(h.as_bytes()).await
        }
        "/garbage" => s.write_all(b"\x00\xffthis is not http\r\n\r\n").await,
        "/truncated" => s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789").await,
        "/redirect-loop" => {
            s.write_all(b"HTTP/1.1 302 Found\r\nLocation: /redirect-loop\r\nContent-Length: 0\r\n\r\n")
                .await
        }
        "/gzip-bomb" => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
                gzip_bomb.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            s.write_all(&gzip_bomb).await
        }
        "/continue-flood" => {
            while s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            Ok(())
        }
        p if p.starts_with("/bytes/") => {
            let n: usize = p[7..].parse().unwrap();
            let _ = s
                .write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n\r\n").as_bytes())
                .await;
            s.write_all(&vec![b'b'; n]).await
        }
        p if p.starts_with("/status/") => {
            let code = &p[8..];
            s.write_all(format!("HTTP/1.1 {code} Whatever\r\nContent-Length: 0\r\n\r\n").as_bytes())
                .await
        }
        _ => s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").await,
    };
    let _ = s.shutdown().await;
}

fn gzip_of_zeros(mb: usize) -> Vec<u8> {
    use flate2::write::GzEncoder;
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..mb {
        e.write_all(&zeros).unwrap();
    }
    e.finish().unwrap()
}

#[test]
fn probe_corpus() {
    let cases: Vec<ProbeCase> = load("probes.yaml");
    assert!(cases.len() >= 15, "corpus shrank: {}", cases.len());
    let rt = tokio::runtime::Runtime::new().unwrap();
    // 64 MiB of zeros: larger than the default body limit once inflated.
    let bomb = std::sync::Arc::new(gzip_of_zeros(64));
    let addr = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                tokio::spawn(hostile(s, bomb.clone()));
            }
        });
        addr
    });
    let mut yaml = String::from("exporter:\n  probes:\n");
    for c in &cases {
        let auth = c.userinfo.as_ref().map(|u| format!("{u}@")).unwrap_or_default();
        let q = c.query.as_ref().map(|q| format!("?{q}")).unwrap_or_default();
        yaml.push_str(&format!(
            "    - {{name: {}, url: \"http://{auth}{addr}{}{q}\", timeout: 2s",
            c.name, c.path
        ));
        if let Some(l) = c.body_size_limit {
            yaml.push_str(&format!(", body_size_limit: {l}"));
        }
        if let Some(s) = c.expect_status {
            yaml.push_str(&format!(", expect_status: {s}"));
        }
        yaml.push_str("}\n");
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = util::write_config(dir.path(), &yaml);
    let exp = ExporterProc::start(&["--config.file", &cfg, "--collectors", "probe", "--log.level", "debug"]);
    for round in 0..2 {
        let start = Instant::now();
        let r = get(&exp.addr, "/metrics", &[("X-Prometheus-Scrape-Timeout-Seconds", "10")]);
        let took = start.elapsed();
        assert_eq!(r.status, 200);
        assert!(took < Duration::from_secs(4), "round {round}: scrape took {took:?}");
        let body = r.text();
        let s = parse(&body);
        let mut failures = Vec::new();
        for c in &cases {
            let got = value(&s, "probe_success", &[("probe", &c.name)]);
            if got != Some(c.success as f64) {
                failures.push(format!("{}: probe_success {got:?}, want {}", c.name, c.success));
            }
        }
        assert!(failures.is_empty(), "round {round}:\n{}", failures.join("\n"));
        for secret in ["hunter2", "s3cr3t", "admin:"] {
            assert!(!body.contains(secret), "{secret} leaked into /metrics");
        }
        assert!(body.contains("?token=xxxxx&v=xxxxx"), "redacted target label missing");
    }
    let rss = peak_rss_mb(exp.pid());
    assert!(rss < 150.0, "peak RSS {rss:.0} MB after hostile probes");
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpCase {
    name: String,
    send: String,
    expect: String,
    #[serde(default)]
    absent: Option<String>,
}

/// Status codes of the responses in `raw`, in order.
fn statuses(raw: &[u8]) -> Vec<u16> {
    let text = String::from_utf8_lossy(raw);
    let mut out = Vec::new();
    let mut rest: &str = &text;
    while let Some(i) = rest.find("HTTP/1.") {
        let line = &rest[i..];
        if let Some(code) = line.get(9..12).and_then(|c| c.parse().ok()) {
            out.push(code);
        }
        rest = &rest[i + 7..];
    }
    out
}

/// Send the bytes, then read until the expected answers are in, the server
/// closes, or 4 s pass. Returns (bytes, closed, elapsed).
fn exchange(addr: &str, bytes: &[u8], want: usize) -> (Vec<u8>, bool, Duration) {
    let start = Instant::now();
    let mut s = TcpStream::connect(addr).unwrap();
    let _ = s.write_all(bytes);
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let mut closed = false;
    while start.elapsed() < Duration::from_secs(4) {
        s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        match s.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
        if want > 0 && statuses(&raw).len() >= want && raw.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    (raw, closed, start.elapsed())
}

#[test]
fn http_abuse_corpus() {
    let cases: Vec<HttpCase> = load("http.yaml");
    assert!(cases.len() >= 20, "corpus shrank: {}", cases.len());
    let exp = ExporterProc::start(&["--collectors", "loadavg", "--web.header-timeout", "1s", "--web.idle-timeout", "2s"]);
    let addr = exp.addr.clone();
    let results: Vec<(String, Option<String>)> = std::thread::scope(|sc| {
        let handles: Vec<_> = cases
            .iter()
            .map(|c| {
                let addr = addr.clone();
                sc.spawn(move || {
                    let bytes = latin1(&expand(&c.send));
                    let (want_codes, want_closed): (Vec<u16>, bool) = match c.expect.split_once(' ') {
                        Some(("status", n)) => (vec![n.parse().unwrap()], false),
                        Some(("statuses", list)) => (serde_yaml_ng::from_str(list).unwrap(), false),
                        None if c.expect == "closed" => (Vec::new(), true),
                        _ => panic!("{}: bad expect {:?}", c.name, c.expect),
                    };
                    let (raw, closed, took) = exchange(&addr, &bytes, want_codes.len());
                    let got = statuses(&raw);
                    let problem = if want_closed {
                        (!(closed && got.is_empty() && took < Duration::from_millis(3500)))
                            .then(|| format!("want the connection closed without an answer; got {got:?}, closed {closed} after {took:?}"))
                    } else if got != want_codes {
                        Some(format!("want statuses {want_codes:?}, got {got:?}"))
                    } else if c
                        .absent
                        .as_ref()
                        .is_some_and(|a| String::from_utf8_lossy(&raw).contains(a.as_str()))
                    {
                        Some(format!("answer contains {:?}", c.absent))
                    } else {
                        None
                    };
                    (c.name.clone(), problem)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let failures: Vec<String> = results.into_iter().filter_map(|(n, p)| p.map(|p| format!("{n}: {p}"))).collect();
    assert!(failures.is_empty(), "HTTP cases failed:\n{}", failures.join("\n"));
    // Still serving after all of it.
    assert_eq!(get(&exp.addr, "/metrics", &[]).status, 200);
    let rss = peak_rss_mb(exp.pid());
    assert!(rss < 100.0, "peak RSS {rss:.0} MB after HTTP abuse");
}
