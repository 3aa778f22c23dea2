//! A real Prometheus scrapes the exporter.

#[path = "exporter_util.rs"]
mod util;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use util::{ExporterProc, Guard, Pki, get};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn query(addr: &str, q: &str) -> Vec<serde_json::Value> {
    let r = get(addr, &format!("/api/v1/query?query={}", encode(q)), &[]);
    if r.status != 200 {
        return Vec::new();
    }
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

/// Start Prometheus scraping with `job` (one `scrape_configs` entry, YAML
/// flow or block indented by 4) and return it with its address, once it
/// listens. Prometheus cannot report a port it picked: take a free one and
/// retry if another process grabs it meanwhile.
///
/// Scrapes every 2s with a 2s timeout: the exporter answers within the
/// timeout less its 0.5s margin, and a 1s timeout (0.5s budget) is more than
/// a debug build gets from a loaded 2-core machine.
fn start_prometheus(dir: &std::path::Path, job: &str) -> (Guard, String) {
    let cfg = dir.join("prometheus.yml");
    std::fs::write(
        &cfg,
        format!("global: {{scrape_interval: 2s, scrape_timeout: 2s, evaluation_interval: 2s}}\nscrape_configs:\n  - {job}\n"),
    )
    .unwrap();
    let log = dir.join("prometheus.log");
    for _attempt in 0..3 {
        let paddr = format!("127.0.0.1:{}", free_port());
        let child = Command::new("/usr/bin/prometheus")
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address={paddr}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start /usr/bin/prometheus ({e}): apt-get install prometheus"));
        let mut guard = Guard(child);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if guard.0.try_wait().unwrap().is_some() {
                break;
            }
            if std::net::TcpStream::connect(&paddr).is_ok() {
                return (guard, paddr);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if !text.contains("address already in use") {
            panic!("Prometheus did not listen on {paddr} within 60s:\n{text}");
        }
        eprintln!("port {paddr} taken meanwhile, retrying");
    }
    panic!(
        "Prometheus found its port taken three times:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

/// Whether `up{job}` becomes `want` within 60 s.
fn wait_up(paddr: &str, job: &str, want: &str) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(500));
        if std::net::TcpStream::connect(paddr).is_ok()
            && query(paddr, &format!("up{{job=\"{job}\"}}"))
                .first()
                .is_some_and(|s| s["value"][1] == want)
        {
            return true;
        }
    }
    false
}

#[test]
fn prometheus_scrapes_the_exporter() {
    let exp = ExporterProc::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (_guard, paddr) = start_prometheus(
        dir.path(),
        &format!("{{job_name: genmon, static_configs: [{{targets: ['{}']}}]}}", exp.addr),
    );
    assert!(
        wait_up(&paddr, "genmon", "1"),
        "Prometheus never saw up == 1 for the exporter within 60s"
    );
    let start = Instant::now();
    let mut rate = false;
    while start.elapsed() < Duration::from_secs(30) && !rate {
        rate = !query(&paddr, "rate(node_cpu_seconds_total[10s])").is_empty();
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(rate, "rate(node_cpu_seconds_total[10s]) returned no series within 30s");
    // The exporter's own health as Prometheus sees it.
    // Collectors whose source this host lacks fail as node_exporter's do
    // (exporter_node_compat.rs checks they agree); the core ones must not.
    let failed = query(
        &paddr,
        "node_scrape_collector_success{collector=~\"cpu|meminfo|loadavg|stat|filesystem|diskstats|netdev|netclass|process|probe|textfile\"} == 0",
    );
    assert!(failed.is_empty(), "failing collectors: {failed:?}");
}

#[test]
fn prometheus_scrapes_over_tls_with_a_client_certificate_and_basic_auth() {
    let pki = Pki::generate();
    std::fs::write(pki.dir.path().join("password"), "s3cret").unwrap();
    let exp = pki.start_exporter("");
    let dir = tempfile::tempdir().unwrap();
    let tls = format!(
        "tls_config: {{ca_file: '{}', cert_file: '{}', key_file: '{}'}}",
        pki.path("ca.pem"),
        pki.path("client.pem"),
        pki.path("client.key")
    );
    let good = format!(
        "{{job_name: good, scheme: https, {tls}, basic_auth: {{username: prometheus, password_file: '{}'}}, static_configs: [{{targets: ['{}']}}]}}\n  - {{job_name: nopass, scheme: https, {tls}, static_configs: [{{targets: ['{}']}}]}}",
        pki.path("password"),
        exp.addr,
        exp.addr
    );
    let (_guard, paddr) = start_prometheus(dir.path(), &good);
    assert!(wait_up(&paddr, "good", "1"), "Prometheus could not scrape over TLS with basic auth");
    assert!(wait_up(&paddr, "nopass", "0"), "a scrape without the password must fail");
    assert!(!query(&paddr, "node_load1{job=\"good\"}").is_empty());
}
