//! Real scrapes of the built `genmon-exporter` binary.

#[path = "exporter_util.rs"]
mod util;

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use genmon::catalog::exporter_families;
use genmon::exporter::collectors::process::{parse_pid_stat, parse_wchan};
use util::{ExporterProc, Guard, get, parse, promtool_check, value};

/// A tiny HTTP server answering 200 to everything, for the probe collector.
fn http_ok_server() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    addr
}

/// A `sleep` child, killed and reaped on drop.
struct Sleeper(Guard);

impl Sleeper {
    fn start() -> Sleeper {
        let child = std::process::Command::new("sleep")
            .arg("300")
            .spawn()
            .expect("spawn sleep (coreutils)");
        let s = Sleeper(Guard(child));
        // Wait until it has exec'd (its comm, what match_name sees, is
        // `sleep`) and gone to sleep.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !s
            .proc("stat")
            .and_then(|t| parse_pid_stat(&t).ok())
            .is_some_and(|st| st.comm == "sleep" && st.state == 'S')
        {
            assert!(Instant::now() < deadline, "sleep child did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        s
    }
    fn proc(&self, f: &str) -> Option<String> {
        std::fs::read_to_string(format!("/proc/{}/{f}", self.0.0.id())).ok()
    }
    /// What the kernel says the child sleeps in; `None` where it hides it.
    fn wchan(&self) -> Option<String> {
        parse_wchan(&self.proc("wchan")?).map(str::to_string)
    }
}

fn fixtures() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exporter")
}

#[test]
fn scrape_is_valid_complete_and_matches_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let target = http_ok_server();
    // A process that is certainly asleep, so the wchan family has a sample
    // whenever the kernel shows wchan at all (the exporter's own threads may
    // all be running while it is scraped). Killed on drop.
    let sleeper = Sleeper::start();
    let cfg = util::write_config(
        dir.path(),
        &format!(
            "exporter:\n  process_threads: true\n  process_smaps: true\n  process_groups:\n    - {{name: self, match_name: '^genmon-exporte'}}\n    - {{name: sleeper, match_name: '^sleep$'}}\n  probes:\n    - {{name: local, url: 'http://{target}/', timeout: 2s}}\n  textfile: {{directory: '{}'}}\n",
            fixtures().join("textfile/good").display()
        ),
    );
    let mut exp = ExporterProc::start(&["--config.file", &cfg]);
    // Two scrapes so counters have moved; check the second.
    get(&exp.addr, "/metrics", &[]);
    let r = get(&exp.addr, "/metrics", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let body = r.text();

    // promtool must find nothing but the known catalog lint.
    let lint = promtool_check(&body);
    assert!(lint.trim().is_empty(), "promtool check metrics complained:\n{lint}");

    // Every family has HELP and TYPE.
    let helps: BTreeSet<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("# HELP "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    let types: HashMap<&str, &str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .collect();
    assert_eq!(helps.len(), types.len());

    // Families in the scrape vs the catalog (textfile metrics are user-defined).
    let textfile = ["app_jobs_total", "app_temperature_celsius", "backup_last_success_timestamp_seconds"];
    let scraped: BTreeSet<&str> = types.keys().copied().filter(|n| !textfile.contains(n)).collect();
    let families = exporter_families();
    let catalog: BTreeSet<&str> = families.iter().map(|m| m.name).collect();
    let extra: Vec<_> = scraped.difference(&catalog).collect();
    assert!(extra.is_empty(), "exported but not in the catalog: {extra:?}");
    // Every genmon-specific family is exported (node_exporter's depend on the
    // host: exporter_node_compat.rs compares them with node_exporter's). The
    // TLS expiry and version need an https target: covered by exporter_probe.rs.
    // Where the kernel hides wchan (it then reads `0` for a sleeping task),
    // process-exporter and genmon-exporter both have no wchan series.
    let sleeper_wchan = sleeper.wchan();
    let mut exempt = vec!["probe_ssl_earliest_cert_expiry", "probe_tls_version_info"];
    if sleeper_wchan.is_none() {
        exempt.push("namedprocess_namegroup_threads_wchan");
    }
    let missing: Vec<_> = genmon::catalog::CATALOG
        .iter()
        .map(|m| m.name)
        .filter(|n| !scraped.contains(n) && !exempt.contains(n))
        .collect();
    assert!(missing.is_empty(), "in the catalog but not exported: {missing:?}\n{body}");
    if let Some(w) = &sleeper_wchan {
        let want = format!("namedprocess_namegroup_threads_wchan{{groupname=\"sleeper\",wchan=\"{w}\"}}");
        assert!(body.lines().any(|l| l.starts_with(&want)), "no {want} in\n{body}");
    }
    for t in textfile {
        assert!(types.contains_key(t), "textfile metric {t} missing");
    }

    // Types and label names match the catalog exactly.
    let scrape = parse(&body);
    for m in &families {
        if let Some(t) = types.get(m.name) {
            let want = match m.kind {
                genmon::catalog::MetricType::Counter => "counter",
                genmon::catalog::MetricType::Histogram => "histogram",
                genmon::catalog::MetricType::Summary => "summary",
                genmon::catalog::MetricType::Untyped => "untyped",
                _ => "gauge",
            };
            assert_eq!(*t, want, "TYPE of {}", m.name);
        }
    }
    for s in &scrape.samples {
        let Some(m) =
            genmon::catalog::lookup(&s.metric).filter(|m| m.collector != "blackbox_exporter" && m.collector != "process_exporter")
        else {
            continue;
        };
        let mut got: Vec<&str> = s.labels.keys().map(|k| k.as_str()).filter(|k| *k != "le").collect();
        got.sort();
        let mut want: Vec<&str> = m.labels.to_vec();
        want.sort();
        assert_eq!(got, want, "labels of {}", s.metric);
    }

    // Spot-check values.
    // Every CPU the kernel lists, whatever this process may run on
    // (available_parallelism honours affinity and cgroup quotas: under
    // `taskset -c 0` or a CPU-limited container it is smaller).
    let ncpu = std::fs::read_to_string("/proc/stat")
        .unwrap()
        .lines()
        .filter(|l| l.strip_prefix("cpu").is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit())))
        .count();
    assert!(ncpu >= 1, "no cpuN line in /proc/stat");
    let cpu_series = scrape.samples.iter().filter(|s| s.metric == "node_cpu_seconds_total").count();
    assert_eq!(cpu_series, ncpu * 8);
    assert_eq!(value(&scrape, "node_scrape_collector_success", &[("collector", "cpu")]), Some(1.0));
    for c in [
        "cpu",
        "meminfo",
        "loadavg",
        "stat",
        "filesystem",
        "diskstats",
        "netdev",
        "netclass",
        "process",
        "probe",
        "textfile",
    ] {
        assert_eq!(
            value(&scrape, "node_scrape_collector_success", &[("collector", c)]),
            Some(1.0),
            "{c}"
        );
    }
    assert_eq!(value(&scrape, "probe_success", &[("probe", "local")]), Some(1.0));
    assert!(value(&scrape, "namedprocess_namegroup_num_procs", &[("groupname", "self")]).unwrap() >= 1.0);
    // process_threads and process_smaps on the exporter itself: its main
    // thread and the blocking thread that scans /proc; its own PSS.
    let threads: f64 = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "namedprocess_namegroup_thread_count")
        .filter_map(|s| match s.value {
            prometheus_parse::Value::Gauge(v) => Some(v),
            _ => None,
        })
        .sum();
    assert!(threads >= 2.0, "thread_count sums to {threads}");
    let pss = value(
        &scrape,
        "namedprocess_namegroup_memory_bytes",
        &[("groupname", "self"), ("memtype", "proportionalResident")],
    )
    .unwrap();
    let rss = value(
        &scrape,
        "namedprocess_namegroup_memory_bytes",
        &[("groupname", "self"), ("memtype", "resident")],
    )
    .unwrap();
    assert!(pss > 1e5 && pss <= rss * 1.5, "PSS {pss} vs RSS {rss}");
    assert_eq!(value(&scrape, "namedprocess_scrape_procread_errors", &[]), Some(0.0));
    assert_eq!(value(&scrape, "node_textfile_scrape_error", &[]), Some(0.0));
    assert!(value(&scrape, "node_memory_MemTotal_bytes", &[]).unwrap() > 1e6);
    assert!(value(&scrape, "process_resident_memory_bytes", &[]).unwrap() > 1e5);
    assert_eq!(
        value(&scrape, "genmon_exporter_build_info", &[("version", env!("CARGO_PKG_VERSION"))]),
        Some(1.0)
    );

    // gzip.
    let z = get(&exp.addr, "/metrics", &[("Accept-Encoding", "gzip")]);
    assert_eq!(z.status, 200);
    assert_eq!(z.header("content-encoding"), Some("gzip"));
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&z.body[..]).read_to_string(&mut plain).unwrap();
    assert!(plain.contains("# TYPE node_cpu_seconds_total counter"));
    assert!(z.body.len() < plain.len() / 3, "gzip body {} vs {}", z.body.len(), plain.len());

    // Other endpoints.
    for p in ["/health", "/ready"] {
        let r = get(&exp.addr, p, &[]);
        assert_eq!((r.status, r.text().as_str()), (200, "OK"), "{p}");
    }
    let r = get(&exp.addr, "/", &[]);
    assert!(r.status == 200 && r.text().contains("href=\"/metrics\""));
    assert_eq!(get(&exp.addr, "/nope", &[]).status, 404);
    // Query parameters never select probe targets.
    let r = get(&exp.addr, "/metrics?target=http://127.0.0.1:1/", &[]);
    assert!(!r.text().contains("127.0.0.1:1/"));

    // SIGTERM: graceful exit 0, quickly.
    let st = exp
        .signal_and_wait(libc::SIGTERM, Duration::from_secs(5))
        .expect("no exit within 5s of SIGTERM");
    assert!(st.success(), "exit status {st:?}");
}

#[test]
fn collectors_can_be_switched_off_by_flag() {
    let exp = ExporterProc::start(&[
        "--collectors=cpu,meminfo,filesystem",
        "--no-collector.meminfo",
        "--collector.loadavg",
    ]);
    let body = get(&exp.addr, "/metrics", &[]).text();
    let on: BTreeSet<String> = body
        .lines()
        .filter_map(|l| l.strip_prefix("node_scrape_collector_success{collector=\""))
        .map(|l| l[..l.find('"').unwrap()].to_string())
        .collect();
    assert_eq!(on.into_iter().collect::<Vec<_>>(), ["cpu", "filesystem", "loadavg"]);
    assert!(!body.contains("node_memory_MemTotal_bytes"));
    let lint = promtool_check(&body);
    assert!(lint.trim().is_empty(), "promtool check metrics complained:\n{lint}");
}

#[test]
fn scrape_is_fast_and_concurrent_scrapes_are_served() {
    let exp = ExporterProc::start(&["--web.max-requests", "2"]);
    let addr = exp.addr.clone();
    let start = Instant::now();
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let a = addr.clone();
            std::thread::spawn(move || get(&a, "/metrics", &[]).status)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 200, "excess scrapes wait for a slot");
    }
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn cli_catalog_help_and_bad_config() {
    let bin = util::exporter_bin();
    let out = std::process::Command::new(&bin).arg("--catalog").output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), exporter_families().len());
    assert!(v[0]["name"].is_string() && v[0]["type"].is_string());

    let out = std::process::Command::new(&bin).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--web.listen-address",
        "--web.max-requests",
        "--config.file",
        "--collectors",
        "--collector.cpu",
        "--no-collector.textfile",
        "--collector.disable-defaults",
        "--web.telemetry-path",
        "--collector.filesystem.mount-points-exclude",
        "--collector.filesystem.fs-types-exclude",
        "--collector.netdev.device-exclude",
        "--collector.textfile.directory",
        "--path.rootfs",
        "--path.procfs",
        "--path.sysfs",
        "--log.format",
        "--log.level",
        "--catalog",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }

    let dir = tempfile::tempdir().unwrap();
    let cfg = util::write_config(dir.path(), "exporter:\n  probes:\n    - {name: x, url: 'gopher://x'}\n");
    let out = std::process::Command::new(&bin).args(["--config.file", &cfg]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("genmon.yaml") && err.contains("exporter.probes[0]"), "{err}");
}
