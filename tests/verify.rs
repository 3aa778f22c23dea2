//! `genmon verify` against a real Prometheus (Debian's, 127.0.0.1, ephemeral
//! port, own data directory, killed by PID) that scrapes a real
//! genmon-exporter and holds three days of generated history backfilled with
//! `promtool tsdb create-blocks-from openmetrics`: a series crossing an alert
//! threshold a known number of times for known lengths (the backtest's
//! count, starts and durations are asserted exactly), one stuck above its
//! threshold (flagged as firing constantly), a panel on a metric that does
//! not exist (listed with its file:line:col), a custom variable offering a
//! value no series has. Human, JSON and JUnit outputs are checked.

mod common;
#[path = "exporter_util.rs"]
mod util;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use util::ExporterProc;

/// Prometheus, killed (by PID) when dropped.
struct Prom(Child);

impl Drop for Prom {
    fn drop(&mut self) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGKILL) };
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

const MIN: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// Episodes of `verify_test_load` at 20 (threshold 10): (start after D0, minutes).
const EPISODES: [(i64, i64); 5] = [(2 * HOUR, 30), (10 * HOUR, 5), (20 * HOUR, 60), (30 * HOUR, 10), (40 * HOUR, 15)];

/// OpenMetrics text of two days of history from `d0`, one sample a minute.
fn history(d0: i64) -> String {
    let mut load = String::from("# HELP verify_test_load A load that crosses 10 now and then.\n# TYPE verify_test_load gauge\n");
    let mut stuck = String::from("# HELP verify_test_stuck Stuck at 1.\n# TYPE verify_test_stuck gauge\n");
    let mut t = d0;
    while t <= d0 + 2 * DAY {
        let high = EPISODES.iter().any(|&(s, m)| t >= d0 + s && t < d0 + s + m * MIN);
        load.push_str(&format!(
            "verify_test_load{{instance=\"backfill\"}} {} {t}\n",
            if high { 20 } else { 0 }
        ));
        // 1 until the last sample: a 0 there ends the firing where the data
        // ends (a last 1 would stay visible for the 5m lookback).
        stuck.push_str(&format!(
            "verify_test_stuck{{instance=\"backfill\"}} {} {t}\n",
            i64::from(t < d0 + 2 * DAY)
        ));
        t += MIN;
    }
    format!("{load}{stuck}# EOF\n")
}

const SPEC: &str = r#"version: 1
alerting:
  runbook_base_url: https://runbooks.example.com/
metrics:
  external: [verify_test_load, verify_test_stuck, verify_missing_total]
signals:
  load:
    title: Load
    expr: node_load1{instance=~"$instance"}
    legend: "{{instance}}"
dashboards:
  - uid: verify
    title: Verify
    variables:
      - {type: query, name: instance, query: 'label_values(node_load1, instance)'}
      - {type: custom, name: mode, values: [idle, no_such_mode]}
      - {type: query, name: job, query: 'label_values(up, job)', regex: '/^backend$/'}
    panels:
      - {signal: load}
      - title: CPU
        queries:
          - expr: sum by (mode) (rate(node_cpu_seconds_total{mode=~"$mode", instance=~"$instance"}[$__rate_interval]))
      - title: Missing
        queries:
          - expr: rate(verify_missing_total[5m])
rules:
  - name: verify
    recording:
      - {record: 'instance:verify_test_load:max', expr: 'max by (instance) (verify_test_load)'}
    alerts:
      - name: VerifyTestLoadHigh
        expr: instance:verify_test_load:max > 10
        for: 10m
        severity: warning
        summary: Load is high
        description: Load has been high for 10m.
      - name: VerifyTestStuck
        expr: verify_test_stuck > 0
        for: 1m
        severity: info
        summary: Stuck
        description: Stuck for 1m.
      - name: VerifyNodeAbsent
        expr: absent(up{job="node"})
        for: 1m
        severity: critical
        summary: Node exporter is gone
        description: No node target for 1m.
"#;

fn verify(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["verify", "-f", "genmon.yaml"];
    all.extend_from_slice(args);
    common::genmon(dir, &all)
}

fn api(addr: &str, path: &str) -> Option<Value> {
    let r = genmon::stack::http::get(&format!("http://{addr}{path}"), Duration::from_secs(5)).ok()?;
    (r.status == 200).then(|| serde_json::from_str(&r.body).ok()).flatten()
}

/// Poll `f` for up to 60 s.
fn wait(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(60), "timed out after 60 s waiting for {what}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn verify_against_a_real_prometheus_with_backfilled_history() {
    let prometheus = common::tool("prometheus", "prometheus");
    let promtool = common::tool("promtool", "prometheus");
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    // Two days of data starting a little less than three days ago.
    let d0 = (now - 3 * DAY + 2 * HOUR) / MIN * MIN;
    let om = dir.path().join("history.om");
    std::fs::write(&om, history(d0)).unwrap();
    let data = dir.path().join("data");
    let out = Command::new(&promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=24h"])
        .arg(&om)
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "promtool backfill: {}", String::from_utf8_lossy(&out.stderr));

    let exporter = ExporterProc::start(&[]);
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let cfg = dir.path().join("prometheus.yml");
    std::fs::write(
        &cfg,
        format!(
            "global: {{scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}}\nscrape_configs:\n  - {{job_name: node, static_configs: [{{targets: ['{}']}}]}}\n",
            exporter.addr
        ),
    )
    .unwrap();
    let _prom = Prom(
        Command::new(&prometheus)
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus"),
    );
    wait("Prometheus to scrape node_load1 and node_cpu_seconds_total", || {
        ["node_load1", "node_cpu_seconds_total"].iter().all(|m| {
            api(&addr, &format!("/api/v1/query?query={m}")).is_some_and(|v| v["data"]["result"].as_array().is_some_and(|a| !a.is_empty()))
        })
    });
    std::fs::write(dir.path().join("genmon.yaml"), SPEC).unwrap();
    let url = format!("http://{addr}");

    // JSON: every check, with positions.
    let out = verify(
        dir.path(),
        &["--prometheus", &url, "--days", "3", "--step", "60", "--format", "json"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "findings exit 1; stderr:\n{stderr}");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("JSON: {e}\n{stderr}"));
    assert_eq!(r["step_seconds"], 60);
    assert_eq!(r["end"].as_i64().unwrap() - r["start"].as_i64().unwrap(), 3 * DAY);

    // Existence: the missing metric at its line:column, the variable value no series has.
    let failed: Vec<&Value> = r["existence"].as_array().unwrap().iter().filter(|e| e["ok"] == false).collect();
    let line_of = |needle: &str| SPEC.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let col_of = |needle: &str| SPEC.lines().find_map(|l| l.find(needle)).unwrap() + 1;
    let missing = failed
        .iter()
        .find(|e| e["subject"] == "verify_missing_total")
        .unwrap_or_else(|| panic!("verify_missing_total not reported: {failed:#?}"));
    assert_eq!(missing["kind"], "metric");
    assert_eq!(missing["location"]["path"], "dashboards[0].panels[2].queries[0].expr");
    assert_eq!(missing["location"]["file"], "genmon.yaml");
    assert_eq!(missing["location"]["line"], line_of("rate(verify_missing_total"));
    // At the metric's name inside the expression, not at the expression's start.
    assert_eq!(missing["location"]["column"], col_of("verify_missing_total[5m]"));
    let mode = failed
        .iter()
        .find(|e| e["subject"] == "$mode")
        .unwrap_or_else(|| panic!("$mode not reported: {failed:#?}"));
    assert!(mode["message"].as_str().unwrap().contains("`no_such_mode`"), "{mode}");
    assert!(!mode["message"].as_str().unwrap().contains("`idle`"), "{mode}");
    assert_eq!(mode["location"]["line"], line_of("no_such_mode"));
    let job = failed
        .iter()
        .find(|e| e["subject"] == "$job")
        .unwrap_or_else(|| panic!("$job not reported: {failed:#?}"));
    assert!(
        job["message"].as_str().unwrap().contains("its regex `/^backend$/` keeps none"),
        "{job}"
    );
    assert_eq!(failed.len(), 3, "only the three planted problems fail: {failed:#?}");
    let passed: Vec<&str> = r["existence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ok"] == true)
        .map(|e| e["subject"].as_str().unwrap())
        .collect();
    for s in [
        "node_load1",
        "node_cpu_seconds_total",
        "verify_test_load",
        "verify_test_stuck",
        "$instance",
    ] {
        assert!(passed.contains(&s), "{s} should pass: {passed:?}");
    }

    // Backtest: exact firings of the load alert, through its inlined recording rule.
    let bt = |name: &str| {
        r["backtest"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["alert"] == name)
            .cloned()
            .unwrap()
    };
    let load = bt("VerifyTestLoadHigh");
    assert_eq!(load["mode"], "inlined");
    assert_eq!(load["expr"], "(max by (instance) (verify_test_load)) > 10");
    assert_eq!(load["for_seconds"], 600);
    assert_eq!(load["firings"], 3, "{load:#}");
    let starts: Vec<i64> = load["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["start"].as_i64().unwrap())
        .collect();
    let secs: Vec<i64> = load["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["seconds"].as_i64().unwrap())
        .collect();
    // 30, 60 and 15 minutes high fire 10 minutes in; 5 and 10 minutes never reach `for`.
    assert_eq!(
        starts,
        vec![d0 + 2 * HOUR + 10 * MIN, d0 + 20 * HOUR + 10 * MIN, d0 + 40 * HOUR + 10 * MIN]
    );
    assert_eq!(secs, vec![20 * MIN, 50 * MIN, 5 * MIN]);
    assert_eq!(load["firing_seconds"], 75 * MIN);
    assert_eq!(load["longest_seconds"], 50 * MIN);
    assert_eq!(load["periods"][0]["labels"]["instance"], "backfill");
    assert_eq!(load["flags"], serde_json::json!([]));
    assert_eq!(load["ok"], true);
    let stuck = bt("VerifyTestStuck");
    assert_eq!(stuck["mode"], "raw");
    assert_eq!(stuck["firings"], 1);
    // Active from d0 to the last minute before d0 + 2d; fires 1m in, until d0 + 2d.
    assert_eq!(stuck["firing_seconds"], 2 * DAY - MIN);
    assert_eq!(stuck["flags"], serde_json::json!(["constant"]));
    assert_eq!(stuck["ok"], false);
    assert_eq!(stuck["from"], r["start"]);
    // `up` is absent for the three days before this Prometheus started:
    // an absence before it scraped anything is not counted.
    let absent = bt("VerifyNodeAbsent");
    assert!(absent["from"].as_i64().unwrap() >= now - 120, "{absent:#}");
    assert_eq!(absent["firings"], 0, "{absent:#}");

    // Cost: what count() says now, most expensive first.
    let cpu_series = api(&addr, "/api/v1/query?query=count(node_cpu_seconds_total)").unwrap()["data"]["result"][0]["value"][1]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .unwrap();
    let cost = r["cost"].as_array().unwrap();
    let c = |name: &str| {
        cost.iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {cost:#?}"))
    };
    assert_eq!(c("verify / CPU / A")["series"], cpu_series);
    assert_eq!(c("verify / Load / A")["series"], 1);
    assert_eq!(c("verify / Load / A")["location"]["path"], "signals.load.expr");
    assert_eq!(c("instance:verify_test_load:max")["kind"], "recording_rule");
    let series: Vec<u64> = cost.iter().map(|c| c["series"].as_u64().unwrap()).collect();
    assert!(series.windows(2).all(|w| w[0] >= w[1]), "sorted: {series:?}");
    assert_eq!(r["findings"], 4);

    // JUnit: one test case per check, the failures marked.
    let out = verify(
        dir.path(),
        &["--prometheus", &url, "--days", "3", "--step", "60", "--format", "junit"],
    );
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8(out.stdout).unwrap();
    let checks = r["existence"].as_array().unwrap().len() + r["backtest"].as_array().unwrap().len() + cost.len();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("JUnit XML does not parse: {e}\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some(checks.to_string().as_str()));
    assert_eq!(root.attribute("failures"), Some("4"));
    let suites: Vec<_> = root.children().filter(|n| n.has_tag_name("testsuite")).collect();
    let names: Vec<&str> = suites.iter().filter_map(|s| s.attribute("name")).collect();
    assert_eq!(names, ["existence", "backtest", "cost"]);
    let cases: Vec<_> = root.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), checks);
    for s in &suites {
        let n = s.children().filter(|n| n.has_tag_name("testcase")).count();
        let f = s.descendants().filter(|n| n.has_tag_name("failure")).count();
        assert_eq!(s.attribute("tests"), Some(n.to_string().as_str()));
        assert_eq!(s.attribute("failures"), Some(f.to_string().as_str()));
    }
    let failing: Vec<(&str, &str)> = cases
        .iter()
        .filter_map(|c| {
            let f = c.children().find(|n| n.has_tag_name("failure"))?;
            Some((c.attribute("name")?, f.attribute("message")?))
        })
        .collect();
    assert_eq!(failing.len(), 4, "{failing:#?}");
    assert!(
        failing
            .iter()
            .any(|(n, m)| *n == "dashboards[0].panels[2].queries[0].expr: verify_missing_total" && m.contains("has no series")),
        "{failing:#?}"
    );
    assert!(
        failing.iter().any(|(n, m)| *n == "VerifyTestStuck" && m.contains("constant")),
        "{failing:#?}"
    );

    // Human: aligned tables, the finding with its position; what README shows.
    let out = verify(dir.path(), &["--prometheus", &url, "--days", "3", "--step", "60"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let (line, col) = (line_of("rate(verify_missing_total"), col_of("verify_missing_total[5m]"));
    assert!(
        text.contains(&format!("genmon.yaml:{line}:{col} dashboards[0].panels[2].queries[0].expr  metric `verify_missing_total` has no series in the last 3 days")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("VerifyTestLoadHigh") && l.contains("1h15m")),
        "{text}"
    );
    if let Some(path) = std::env::var_os("GENMON_VERIFY_SAMPLE") {
        std::fs::write(path, &text).unwrap();
    }

    // Bounded: an answer over --max-response-bytes is an error, not a truncated result.
    let out = verify(
        dir.path(),
        &["--prometheus", &url, "--days", "3", "--step", "60", "--max-response-bytes", "300"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("larger than 300 bytes (--max-response-bytes)"), "{err}");

    // A spec whose every check holds exits 0.
    let clean = SPEC
        .replace(
            "      - title: Missing\n        queries:\n          - expr: rate(verify_missing_total[5m])\n",
            "",
        )
        .replace("[idle, no_such_mode]", "[idle, user]")
        .replace("/^backend$/", "/^no/")
        .replace("expr: verify_test_stuck > 0", "expr: verify_test_stuck > 1");
    std::fs::write(dir.path().join("clean.yaml"), clean).unwrap();
    let out = common::genmon(
        dir.path(),
        &["verify", "-f", "clean.yaml", "--prometheus", &url, "--days", "3", "--step", "60"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("\n0 findings\n"));

    // Higher bars: nothing flagged; exit 1 only for the existence findings.
    let out = verify(
        dir.path(),
        &[
            "--prometheus",
            &url,
            "--days",
            "3",
            "--step",
            "60",
            "--format",
            "json",
            "--constant-percent",
            "70",
            "--flapping-per-day",
            "0.5",
        ],
    );
    let r2: Value = serde_json::from_slice(&out.stdout).unwrap();
    let flags: Vec<(String, Value)> = r2["backtest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["alert"].as_str().unwrap().to_string(), b["flags"].clone()))
        .collect();
    assert!(
        flags.contains(&("VerifyTestLoadHigh".into(), serde_json::json!(["flapping"]))),
        "{flags:?}"
    );
    assert!(flags.contains(&("VerifyTestStuck".into(), serde_json::json!([]))), "{flags:?}");
}

#[test]
fn unreachable_prometheus_and_bad_usage_exit_2_spec_errors_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("genmon.yaml"), SPEC).unwrap();
    let closed = format!("http://127.0.0.1:{}", free_port());
    let out = verify(dir.path(), &["--prometheus", &closed, "--timeout", "2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach Prometheus"), "{err}");
    assert!(out.stdout.is_empty());
    // Credentials in the URL never reach the output.
    let with_secret = closed.replace("http://", "http://user:s3cret@");
    let out = verify(dir.path(), &["--prometheus", &with_secret, "--timeout", "2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("xxxxx") && !err.contains("s3cret"), "{err}");
    // A server that accepts and never answers: the request times out.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let t = Instant::now();
    let out = verify(dir.path(), &["--prometheus", &url, "--timeout", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("timed out"), "{err}");
    drop(silent);
    let out = verify(dir.path(), &["--prometheus", "ftp://x", "--timeout", "2"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let out = verify(dir.path(), &["--prometheus", &closed, "--days", "0"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(dir.path().join("genmon.yaml"), SPEC.replace("severity: info", "severity: loud")).unwrap();
    let out = verify(dir.path(), &["--prometheus", &closed]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Start Prometheus with `web_config` and no scrape jobs; wait until it listens.
fn start_plain_prometheus(dir: &Path, web_config: &str) -> (Prom, String) {
    let prometheus = common::tool("prometheus", "prometheus");
    std::fs::write(dir.join("prometheus.yml"), "global: {scrape_interval: 1s}\n").unwrap();
    std::fs::write(dir.join("web.yml"), web_config).unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let prom = Prom(
        Command::new(prometheus)
            .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
            .arg(format!("--web.config.file={}", dir.join("web.yml").display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus"),
    );
    wait("Prometheus to listen", || std::net::TcpStream::connect(&addr).is_ok());
    (prom, addr)
}

#[test]
fn basic_auth_and_bearer_tokens_come_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let hash = bcrypt::hash("s3cret", 4).unwrap();
    let (_prom, addr) = start_plain_prometheus(dir.path(), &format!("basic_auth_users:\n  alice: '{hash}'\n"));
    std::fs::write(dir.path().join("genmon.yaml"), "version: 1\n").unwrap();
    std::fs::write(dir.path().join("password"), "s3cret\n").unwrap();
    std::fs::write(dir.path().join("wrong"), "guess\n").unwrap();
    let url = format!("http://{addr}");
    let run = |file: &str| {
        verify(
            dir.path(),
            &[
                "--prometheus",
                &url,
                "--days",
                "1",
                "--basic-auth-user",
                "alice",
                "--basic-auth-password-file",
                file,
            ],
        )
    };
    let out = run("wrong");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("401"), "{err}");
    let out = run("password");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("\n0 findings\n"));

    // A bearer token: what a server receives (one request, answered 401).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::thread::spawn(move || {
        use std::io::{BufRead, Write};
        let (mut s, _) = listener.accept().unwrap();
        let mut head = Vec::new();
        let mut r = std::io::BufReader::new(s.try_clone().unwrap());
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                break;
            }
            head.push(line.trim_end().to_string());
        }
        let _ = s.write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        head
    });
    std::fs::write(dir.path().join("token"), "t0ken\n").unwrap();
    let out = verify(
        dir.path(),
        &["--prometheus", &url, "--bearer-token-file", "token", "--timeout", "5"],
    );
    assert_eq!(out.status.code(), Some(2));
    let head = seen.join().unwrap();
    assert!(
        head.iter().any(|h| h.eq_ignore_ascii_case("authorization: Bearer t0ken")),
        "{head:?}"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("t0ken"));
    let out = verify(dir.path(), &["--prometheus", &url, "--bearer-token-file", "missing"]);
    assert_eq!(out.status.code(), Some(2));
}
