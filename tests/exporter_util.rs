//! Helpers shared by the exporter integration tests (included with `#[path]`).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The `genmon-exporter` binary beside `genmon`. It belongs to the
/// genmon-exporter package (built for size, see Cargo.toml), so cargo does not
/// hand genmon's tests its path: `cargo test` at the workspace root builds it
/// with everything else, `cargo test -p genmon` alone does not.
pub fn exporter_bin() -> PathBuf {
    let p = Path::new(env!("CARGO_BIN_EXE_genmon")).with_file_name(format!("genmon-exporter{}", std::env::consts::EXE_SUFFIX));
    assert!(
        p.is_file(),
        "{} is missing: run the tests from the workspace root (`cargo test`), or build it first with `cargo build -p genmon-exporter`",
        p.display()
    );
    p
}

/// A running `genmon-exporter`; killed by PID on drop.
pub struct ExporterProc {
    pub child: Child,
    pub addr: String,
}

impl ExporterProc {
    /// Start the built binary on an ephemeral port and wait for its address.
    pub fn start(args: &[&str]) -> ExporterProc {
        Self::start_with(args, |_| {})
    }

    /// [`ExporterProc::start`], letting `configure` adjust the command first.
    pub fn start_with(args: &[&str], configure: impl FnOnce(&mut Command)) -> ExporterProc {
        let mut cmd = Command::new(exporter_bin());
        configure(&mut cmd);
        let mut child = cmd
            .args(["--web.listen-address", "127.0.0.1:0", "--log.format", "json"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning genmon-exporter");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(i) = line.find("\"address\":\"") {
                    let rest = &line[i + 11..];
                    let _ = tx.send(rest[..rest.find('"').unwrap()].to_string());
                }
                eprintln!("[exporter] {line}");
            }
        });
        let mut p = ExporterProc {
            child,
            addr: String::new(),
        };
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(addr) => p.addr = addr,
            Err(_) => panic!("genmon-exporter did not log its listen address within 20s"),
        }
        p
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Send a signal and wait up to `within` for the exit status.
    pub fn signal_and_wait(&mut self, sig: i32, within: Duration) -> Option<std::process::ExitStatus> {
        unsafe { libc::kill(self.pid(), sig) };
        let start = Instant::now();
        while start.elapsed() < within {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for ExporterProc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            unsafe { libc::kill(self.pid(), libc::SIGKILL) };
            let _ = self.child.wait();
        }
    }
}

/// A child process killed (SIGKILL, by PID) and reaped on drop.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        unsafe { libc::kill(self.0.id() as i32, libc::SIGKILL) };
        let _ = self.0.wait();
    }
}

/// A minimal HTTP/1.1 response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(i) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(std::str::from_utf8(&b[..i]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + size]);
        b = &b[i + 2 + size + 2..];
    }
}

/// GET `path` from `addr` with extra headers, over a fresh connection.
pub fn get(addr: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connecting to {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("no header end");
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Resp { status, headers, body }
}

/// Run `promtool check metrics` on `body`; return its findings, except those
/// on node_exporter's own names (`node_memory_Active_bytes` is camelCase,
/// `node_entropy_available_bits` not in base units) and process-exporter's
/// (`namedprocess_scrape_errors` is a counter without `_total`): a drop-in
/// keeps them, and exporter_node_compat.rs checks that promtool finds the
/// same in node_exporter.
pub fn promtool_check(body: &str) -> String {
    let raw = promtool_check_raw(body);
    raw.lines()
        .filter(|l| {
            let name = l.split_whitespace().next().unwrap_or_default();
            !genmon::catalog::BUNDLED
                .iter()
                .any(|m| (m.collector == "node_exporter" || m.collector == "process_exporter") && m.name == name)
                && !name.starts_with("node_memory_")
                && !name.starts_with("node_netstat_")
                && !name.starts_with("node_sockstat_")
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Run `promtool check metrics` on `body`; return its combined output.
pub fn promtool_check_raw(body: &str) -> String {
    let mut child = match Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!("cannot run promtool ({e}): apt-get install prometheus"),
    };
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Write a config file into `dir`.
pub fn write_config(dir: &Path, yaml: &str) -> String {
    let p = dir.join("genmon.yaml");
    std::fs::write(&p, yaml).unwrap();
    p.display().to_string()
}

/// Parse an exposition body with prometheus-parse.
pub fn parse(body: &str) -> prometheus_parse::Scrape {
    let lines = body.lines().map(|l| Ok(l.to_string()));
    prometheus_parse::Scrape::parse(lines).expect("prometheus-parse rejected the body")
}

/// Value of the sample `name` whose labels include all of `labels`.
pub fn value(s: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    s.samples
        .iter()
        .find(|x| x.metric == name && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .map(|x| match x.value {
            prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
            _ => f64::NAN,
        })
}

/// Test certificates.
pub struct Pki {
    pub dir: tempfile::TempDir,
}

impl Pki {
    /// A CA, a server certificate for 127.0.0.1 and a client certificate,
    /// written as PEM files into a temporary directory.
    pub fn generate() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "genmon web test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        for (name, sans, usage) in [
            ("server", vec!["127.0.0.1".to_string()], rcgen::ExtendedKeyUsagePurpose::ServerAuth),
            ("client", vec!["prometheus".to_string()], rcgen::ExtendedKeyUsagePurpose::ClientAuth),
        ] {
            let key = rcgen::KeyPair::generate().unwrap();
            let mut p = rcgen::CertificateParams::new(sans).unwrap();
            p.extended_key_usages = vec![usage];
            let cert = p.signed_by(&key, &ca).unwrap();
            std::fs::write(dir.path().join(format!("{name}.pem")), cert.pem()).unwrap();
            std::fs::write(dir.path().join(format!("{name}.key")), key.serialize_pem()).unwrap();
        }
        Pki { dir }
    }
    /// Start the exporter (load collector) with a web config requiring a
    /// client certificate from this CA and basic auth `prometheus:s3cret`,
    /// plus `extra` YAML.
    pub fn start_exporter(&self, extra: &str) -> ExporterProc {
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        let web = self.dir.path().join("web.yml");
        std::fs::write(
            &web,
            format!(
                "tls_server_config: {{cert_file: server.pem, key_file: server.key, client_auth_type: RequireAndVerifyClientCert, client_ca_file: ca.pem}}\nbasic_auth_users: {{prometheus: '{hash}'}}\n{extra}"
            ),
        )
        .unwrap();
        ExporterProc::start(&["--collectors", "loadavg", "--web.config.file", web.to_str().unwrap()])
    }

    pub fn path(&self, f: &str) -> String {
        self.dir.path().join(f).display().to_string()
    }
}
