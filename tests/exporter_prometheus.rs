//! A real Prometheus scrapes the exporter.

#[path = "exporter_util.rs"]
mod util;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use util::{ExporterProc, get};

struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        unsafe { libc::kill(self.0.id() as i32, libc::SIGKILL) };
        let _ = self.0.wait();
    }
}

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

#[test]
fn prometheus_scrapes_the_exporter() {
    let exp = ExporterProc::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("prometheus.yml");
    std::fs::write(
        &cfg,
        format!(
            "global: {{scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}}\nscrape_configs:\n  - job_name: genmon\n    static_configs: [{{targets: ['{}']}}]\n",
            exp.addr
        ),
    )
    .unwrap();
    let port = free_port();
    let paddr = format!("127.0.0.1:{port}");
    let child = Command::new("/usr/bin/prometheus")
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
        .arg(format!("--web.listen-address={paddr}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start /usr/bin/prometheus ({e}): apt-get install prometheus"));
    let _guard = Guard(child);

    let start = Instant::now();
    let (mut up, mut rate) = (false, false);
    while start.elapsed() < Duration::from_secs(60) && !(up && rate) {
        std::thread::sleep(Duration::from_millis(500));
        if std::net::TcpStream::connect(&paddr).is_err() {
            continue;
        }
        if !up {
            up = query(&paddr, "up{job=\"genmon\"}").first().is_some_and(|s| s["value"][1] == "1");
        }
        if up {
            rate = !query(&paddr, "rate(node_cpu_seconds_total[5s])").is_empty();
        }
    }
    assert!(up, "Prometheus never saw up == 1 for the exporter within 60s");
    assert!(rate, "rate(node_cpu_seconds_total[5s]) returned no series within 60s");
    // The exporter's own health as Prometheus sees it.
    // Collectors whose source this host lacks fail as node_exporter's do
    // (exporter_node_compat.rs checks they agree); the core ones must not.
    let failed = query(
        &paddr,
        "node_scrape_collector_success{collector=~\"cpu|meminfo|loadavg|stat|filesystem|diskstats|netdev|netclass|process|probe|textfile\"} == 0",
    );
    assert!(failed.is_empty(), "failing collectors: {failed:?}");
}
