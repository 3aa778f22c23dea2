//! genmon-exporter stays bounded and reachable under hostile clients and
//! files, and serves TLS with basic auth from an exporter-toolkit web config
//! (issue 10). The table-driven cases are in `exporter_hostile.rs`.

#[path = "exporter_util.rs"]
mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

use util::{ExporterProc, Pki, get, parse, value};

fn mkfifo(path: &std::path::Path) {
    let p = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(p.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

fn open_fds(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0)
}

/// Run the exporter binary to completion (bounded) and return (code, stderr).
fn run_bin(args: &[&str], within: Duration) -> (Option<i32>, String, Duration) {
    let start = Instant::now();
    let mut child = Command::new(util::exporter_bin())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while start.elapsed() < within {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            return (out.status.code(), text, start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();
    (None, format!("still running after {within:?}"), start.elapsed())
}

#[test]
fn metrics_answer_under_slowloris_with_few_file_descriptors() {
    // 256 descriptors, as in the issue; 400 hostile sockets.
    let exp = ExporterProc::start_with(&["--collectors", "loadavg,meminfo"], |cmd| unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 256,
                rlim_max: 256,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    });
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let addr = exp.addr.clone();
    let stop2 = stop.clone();
    let attacker = std::thread::spawn(move || {
        let mut socks: Vec<TcpStream> = Vec::new();
        let mut opened = 0;
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            // Keep 400 sockets open: half idle, half dribbling a header.
            while socks.len() < 400 {
                let Ok(mut s) = TcpStream::connect(&addr) else { break };
                if opened % 2 == 0 {
                    let _ = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ");
                }
                s.set_nonblocking(true).unwrap();
                socks.push(s);
                opened += 1;
            }
            let mut buf = [0u8; 512];
            socks.retain_mut(|s| {
                let _ = s.write_all(b"a");
                !matches!(s.read(&mut buf), Ok(0))
            });
            std::thread::sleep(Duration::from_millis(100));
        }
        opened
    });
    std::thread::sleep(Duration::from_secs(2));
    for i in 0..5 {
        let start = Instant::now();
        let r = get(&exp.addr, "/metrics", &[("X-Prometheus-Scrape-Timeout-Seconds", "5")]);
        let took = start.elapsed();
        assert_eq!(r.status, 200, "scrape {i}");
        assert!(took < Duration::from_secs(2), "scrape {i} took {took:?} under slowloris");
        assert!(value(&parse(&r.text()), "node_load1", &[]).is_some());
        let fds = open_fds(exp.pid());
        assert!(fds < 256, "exporter holds {fds} descriptors");
        std::thread::sleep(Duration::from_millis(300));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let opened = attacker.join().unwrap();
    assert!(opened >= 400, "the attacker only managed {opened} connections");
}

#[test]
fn idle_keep_alive_connections_are_closed() {
    let exp = ExporterProc::start(&["--collectors", "loadavg", "--web.idle-timeout", "1s"]);
    let mut s = TcpStream::connect(&exp.addr).unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let start = Instant::now();
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("connection still open after {:?}: {e}", start.elapsed()),
        }
    }
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"), "{got:?}");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "closed after {took:?}, want about 1s"
    );
}

#[test]
fn textfile_fifo_and_device_never_wedge_scrapes_or_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.prom"), "# TYPE backup_ok gauge\nbackup_ok 1\n").unwrap();
    mkfifo(&dir.path().join("wedge.prom"));
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.prom")).unwrap();
    let d = dir.path().to_str().unwrap();
    let mut exp = ExporterProc::start(&["--collectors", "textfile,loadavg", "--collector.textfile.directory", d]);
    // More scrapes than the blocking pool has threads (32).
    for i in 0..40 {
        let start = Instant::now();
        let r = get(&exp.addr, "/metrics", &[("X-Prometheus-Scrape-Timeout-Seconds", "2")]);
        assert!(start.elapsed() < Duration::from_secs(1), "scrape {i} took {:?}", start.elapsed());
        let s = parse(&r.text());
        assert_eq!(value(&s, "node_textfile_scrape_error", &[]), Some(1.0), "scrape {i}");
        assert_eq!(value(&s, "backup_ok", &[]), Some(1.0), "scrape {i}");
        assert!(value(&s, "node_load1", &[]).is_some(), "scrape {i}");
        assert_eq!(value(&s, "node_scrape_collector_success", &[("collector", "textfile")]), Some(1.0));
    }
    let st = exp.signal_and_wait(libc::SIGTERM, Duration::from_secs(5));
    assert!(st.is_some_and(|s| s.success()), "SIGTERM did not stop the exporter: {st:?}");
}

#[test]
fn fifo_as_config_file_fails_fast() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("genmon.yaml");
    mkfifo(&fifo);
    let (code, out, took) = run_bin(
        &["--config.file", fifo.to_str().unwrap(), "--config.check"],
        Duration::from_secs(10),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FIFO") && out.contains("--config.file"), "{out}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    let (code, out, _) = run_bin(&["--config.file", "/dev/zero", "--config.check"], Duration::from_secs(10));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("character device"), "{out}");
}

#[test]
fn misspelt_log_level_is_rejected() {
    let (code, out, _) = run_bin(&["--log.level", "debgu", "--config.check"], Duration::from_secs(10));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("invalid --log.level \"debgu\"") && out.contains("did you mean \"debug\""),
        "{out}"
    );
    let (code, out, _) = run_bin(&["--log.level", "warn", "--config.check"], Duration::from_secs(10));
    assert_eq!(code, Some(0), "{out}");
}

/// A server answering every connection with `answer` (or never, if None).
fn serve_raw(answer: Option<&'static [u8]>, endless_body: bool) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                match answer {
                    None => std::thread::sleep(Duration::from_secs(60)),
                    Some(a) => {
                        let _ = s.write_all(a);
                        let chunk = [b'x'; 65536];
                        while endless_body && s.write_all(&chunk).is_ok() {}
                    }
                }
            });
        }
    });
    addr
}

#[test]
fn health_check_is_bounded_in_time_and_memory() {
    let silent = serve_raw(None, false);
    let (code, out, took) = run_bin(&["--health-check", &format!("http://{silent}/health")], Duration::from_secs(20));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("did not answer within 5s"), "{out}");
    assert!(took < Duration::from_secs(8), "{took:?}");

    let endless = serve_raw(Some(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\n"), true);
    let (code, out, took) = run_bin(&["--health-check", &format!("http://{endless}/health")], Duration::from_secs(20));
    assert_eq!(code, Some(0), "{out}");
    assert!(took < Duration::from_secs(3), "{took:?}");

    let down = serve_raw(Some(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"), false);
    let (code, out, _) = run_bin(
        &["--health-check", &format!("http://user:hunter2@{down}/health")],
        Duration::from_secs(20),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("answered 503") && !out.contains("hunter2"), "{out}");
}

/// curl, the independent client: returns (HTTP code or 0, stderr).
fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-S", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run curl ({e}): apt-get install curl"));
    let code = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
    (code, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn tls_client_certificates_and_basic_auth_from_web_config() {
    let pki = Pki::generate();
    let exp = pki.start_exporter("http_server_config: {headers: {Strict-Transport-Security: max-age=31536000}}\n");
    let url = format!("https://{}/metrics", exp.addr);
    let (ca, cert, key) = (pki.path("ca.pem"), pki.path("client.pem"), pki.path("client.key"));
    let tls = ["--cacert", ca.as_str(), "--cert", cert.as_str(), "--key", key.as_str()];

    let (code, err) = curl(&[&tls[..], &["-u", "prometheus:s3cret", &url]].concat());
    assert_eq!(code, 200, "{err}");
    let (code, _) = curl(&[&tls[..], &[&url]].concat());
    assert_eq!(code, 401, "no credentials");
    let (code, _) = curl(&[&tls[..], &["-u", "prometheus:wrong", &url]].concat());
    assert_eq!(code, 401, "wrong password");
    let (code, _) = curl(&[&tls[..], &["-u", "nobody:s3cret", &url]].concat());
    assert_eq!(code, 401, "unknown user");
    let (code, err) = curl(&["--cacert", &ca, "-u", "prometheus:s3cret", &url]);
    assert_eq!(code, 0, "a client without a certificate must fail the handshake: {err}");
    let (code, _) = curl(&["-u", "prometheus:s3cret", &format!("http://{}/metrics", exp.addr)]);
    assert_ne!(code, 200, "plain HTTP must not be served on the TLS port");

    // The body and headers, through curl too.
    let out = Command::new("curl")
        .args(["-s", "-S", "-i", "--max-time", "10", "-u", "prometheus:s3cret"])
        .args(tls)
        .arg(&url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("strict-transport-security: max-age=31536000"), "{text}");
    assert!(text.contains("node_load1 "), "{text}");
}

#[test]
fn bad_web_config_stops_start_up_with_the_reason() {
    let pki = Pki::generate();
    let cases = [
        ("basic_auth_users: {prometheus: plaintext}", "not a bcrypt hash"),
        ("tls_server_config: {cert_file: server.pem}", "both cert_file and key_file"),
        (
            "tls_server_config: {cert_file: server.pem, key_file: client.key}",
            "do not form a key pair",
        ),
        ("tls_server_config: {cert_file: missing.pem, key_file: server.key}", "missing.pem"),
        (
            "tls_server_config: {cert_file: server.pem, key_file: server.key, client_auth_type: RequireAndVerifyClientCert}",
            "needs client_ca_file",
        ),
        (
            "tls_server_config: {cert_file: server.pem, key_file: server.key, min_version: TLS11}",
            "TLS11",
        ),
        (
            "tls_server_config: {cert_file: server.pem, key_file: server.key, cipher_suites: [TLS_AES_128_GCM_SHA256]}",
            "cipher_suites",
        ),
        ("basic_auth_user: {}", "unknown field"),
    ];
    for (text, want) in cases {
        let web = pki.dir.path().join("web.yml");
        std::fs::write(&web, text).unwrap();
        let (code, out, _) = run_bin(
            &["--web.config.file", web.to_str().unwrap(), "--config.check"],
            Duration::from_secs(10),
        );
        assert_eq!(code, Some(1), "{text}: {out}");
        assert!(out.contains(want) && out.contains("web.yml"), "{text}: want {want:?} in {out}");
    }
}
