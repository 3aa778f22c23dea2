//! `genmon up` end to end, with the real programs on 127.0.0.1 ephemeral
//! ports: Prometheus scrapes genmon-exporter and evaluates the generated
//! rules; a probe against a closed port fires an alert that Alertmanager
//! delivers to a webhook run by this test; opening the port resolves it;
//! SIGTERM stops every child; a second run keeps the first run's samples;
//! a child's death stops the rest (exit 1, saying which). A service
//! declared under `services:` (the genmon-service `checkout` example, under
//! load) gets data in every panel of its dashboard, and 20 % injected errors
//! page through its availability SLO until the fault is removed.
//! Missing Prometheus or Alertmanager fails the test with the apt-get command.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::stack::{Up, api, delivered, free_port, now, query, serve_ok, webhook};
use genmon::stack::http;
use serde_json::Value;

const PROMETHEUS: &str = "apt-get install prometheus prometheus-alertmanager";

fn require(names: &[&str]) {
    common::stack::require(names, PROMETHEUS);
}

const ALERT: &str = "ProbeClosedDown";

struct Ports {
    exporter: u16,
    prometheus: u16,
    alertmanager: u16,
    grafana: u16,
    probe: u16,
}

fn spec(p: &Ports, webhook: u16) -> String {
    format!(
        r#"version: 1
stack:
  exporter_port: {exporter}
  prometheus_port: {prometheus}
  alertmanager_port: {alertmanager}
  grafana_port: {grafana}
prometheus:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
{alerting}exporter:
  collectors: {{diskstats: false, process: false, filesystem: false}}
  probes:
    - name: closed
      url: http://127.0.0.1:{probe}/
      timeout: 500ms
signals:
  probe_up:
    title: Probe up
    expr: probe_success
    legend: "{{{{probe}}}}"
dashboards:
  - uid: probes
    title: Probes
    panels:
      - {{signal: probe_up}}
rules:
  - name: e2e
    alerts:
      - name: {ALERT}
        expr: probe_success{{probe="closed"}} == 0
        for: 2s
        severity: critical
        summary: "Probe {{{{ $labels.probe }}}} fails"
        description: "{{{{ $labels.target }}}} does not answer"
        panel: probes/Probe up
"#,
        exporter = p.exporter,
        prometheus = p.prometheus,
        alertmanager = p.alertmanager,
        grafana = p.grafana,
        probe = p.probe,
        alerting = common::stack::alerting_yaml(webhook),
    )
}

/// Rule group names in the rendered rule files.
fn generated_groups(config: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for f in common::files(&config.join("alerts"), ".rules.yml") {
        let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        for g in v["groups"].as_sequence().unwrap() {
            out.push(g["name"].as_str().unwrap().to_string());
        }
    }
    out.sort();
    out
}

/// `genmon up` on the spec `make_spec` writes for free ports, once it runs.
fn up_on_free_ports(spec_file: &Path, state: &Path, make_spec: impl Fn(&Ports) -> String) -> (Up, Ports) {
    let new_ports = || Ports {
        exporter: free_port(),
        prometheus: free_port(),
        alertmanager: free_port(),
        grafana: free_port(),
        probe: free_port(), // closed until step 3
    };
    common::stack::up_on_free_ports(spec_file, state, &[], new_ports, make_spec)
}

/// The repository's genmon.yaml on the test's ports, scraping and evaluating every second.
fn default_spec(p: &Ports) -> String {
    let text = std::fs::read_to_string(common::root().join("genmon.yaml")).unwrap();
    let mut v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let m = v.as_mapping_mut().unwrap();
    let stack = format!(
        "{{exporter_port: {}, prometheus_port: {}, alertmanager_port: {}, grafana_port: {}}}",
        p.exporter, p.prometheus, p.alertmanager, p.grafana
    );
    m.insert("stack".into(), serde_yaml_ng::from_str(&stack).unwrap());
    let prom = m
        .entry("prometheus".into())
        .or_insert(serde_yaml_ng::Value::Mapping(Default::default()));
    for k in ["scrape_interval", "scrape_timeout", "evaluation_interval"] {
        prom[k] = "1s".into();
    }
    serde_yaml_ng::to_string(&v).unwrap()
}

/// A panel query as Grafana sends it: its variables at "everything" and
/// short windows for a stack that scrapes every second.
fn as_grafana_sends(expr: &str) -> String {
    let mut e = expr
        .replace("$__rate_interval", "10s")
        .replace("$__interval", "1s")
        .replace("$__range", "1m");
    for v in genmon::promql::variables(&e) {
        e = e.replace(&format!("${{{v}}}"), ".*").replace(&format!("${v}"), ".*");
    }
    e
}

/// Hardware a host may not have: md RAID arrays, hwmon sensors with alarms.
/// A panel on it is empty only when the exporter has no such series at all.
fn absent_hardware(prom: &str, q: &str) -> bool {
    ["node_md_disks", "node_hwmon_temp_crit_alarm_celsius"]
        .iter()
        .any(|m| q.contains(m) && query(prom, &format!("count({m})")).is_empty())
}

#[test]
fn every_default_panel_has_data_on_a_live_stack() {
    require(&["prometheus"]);
    require(&["prometheus-alertmanager", "alertmanager"]);
    let tmp = tempfile::tempdir().unwrap();
    let spec_file = tmp.path().join("genmon.yaml");
    let state = tmp.path().join("state");
    let (mut up, ports) = up_on_free_ports(&spec_file, &state, default_spec);
    let prom = format!("http://127.0.0.1:{}", ports.prometheus);
    // Every panel query of every default dashboard, as rendered for this stack.
    let mut queries = Vec::new();
    let mut baselines = Vec::new();
    for f in common::files(&state.join("config/dashboards"), ".json") {
        let d: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let mut panels: Vec<Value> = d["panels"].as_array().cloned().unwrap_or_default();
        while let Some(p) = panels.pop() {
            panels.extend(p["panels"].as_array().cloned().unwrap_or_default());
            for t in p["targets"].as_array().into_iter().flatten() {
                let expr = t["expr"].as_str().unwrap_or("");
                // The firing-alert panels are empty while nothing fires; a
                // baseline `offset 1d` overlay is empty until the stack is a
                // day old (its panel's own query must have data).
                if !expr.contains("ALERTS") && !expr.contains(" offset ") {
                    queries.push((format!("{} / {}", d["title"], p["title"]), as_grafana_sends(expr)));
                } else if expr.contains(" offset ") {
                    baselines.push(format!("{} / {}", d["title"], p["title"]));
                }
            }
        }
    }
    assert!(queries.len() > 20, "only {} panel queries found", queries.len());
    for b in &baselines {
        assert!(queries.iter().any(|(panel, _)| panel == b), "{b}: only a baseline query");
    }
    let mut empty: Vec<&(String, String)> = Vec::new();
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60) {
        empty = queries
            .iter()
            .filter(|(_, q)| query(&prom, q).is_empty() && !absent_hardware(&prom, q))
            .collect();
        if empty.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let list: Vec<String> = empty.iter().map(|(panel, q)| format!("  {panel}: {q}")).collect();
    assert!(
        empty.is_empty(),
        "{} of {} panel queries return no data after 60s:\n{}\n{}",
        empty.len(),
        queries.len(),
        list.join("\n"),
        up.logs()
    );
    eprintln!(
        "{} panel queries all return data after {:.1}s",
        queries.len(),
        t.elapsed().as_secs_f64()
    );
    up.stop();
}

#[test]
fn genmon_up_runs_the_stack_fires_and_resolves_an_alert_and_keeps_data() {
    let started = Instant::now();
    require(&["prometheus"]);
    require(&["prometheus-alertmanager", "alertmanager"]);

    let tmp = tempfile::tempdir().unwrap();
    let hook_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let hook_port = hook_listener.local_addr().unwrap().port();
    let hooks = webhook(hook_listener);
    let spec_file = tmp.path().join("genmon.yaml");
    let state = tmp.path().join("state");
    let (mut up, ports) = up_on_free_ports(&spec_file, &state, |p| spec(p, hook_port));
    let prom = format!("http://127.0.0.1:{}", ports.prometheus);
    let am = format!("http://127.0.0.1:{}", ports.alertmanager);
    let limit = Duration::from_secs(60);

    // 1. The stack comes up; Prometheus scrapes the exporter and evaluates every generated group.
    up.wait("Prometheus ready", limit, || {
        http::is_ok(&format!("{prom}/-/ready"), Duration::from_secs(2)).then_some(())
    });
    let first_start = now();
    up.wait("the exporter target is up", limit, || {
        query(&prom, "up{job=\"genmon-exporter\"} == 1").first().map(|_| ())
    });
    let want = generated_groups(&state.join("config"));
    assert!(want.contains(&"e2e".to_string()), "rendered groups: {want:?}");
    up.wait("every generated rule group loaded and healthy", limit, || {
        let v = api(&prom, "/api/v1/rules")?;
        let groups = v["data"]["groups"].as_array()?;
        let mut names: Vec<String> = groups.iter().map(|g| g["name"].as_str().unwrap_or("").to_string()).collect();
        names.sort();
        let healthy = groups
            .iter()
            .flat_map(|g| g["rules"].as_array().into_iter().flatten())
            .all(|r| r["health"] == "ok");
        (names == want && healthy).then_some(())
    });

    // A second genmon up on the same state says so instead of fighting over ports.
    let second = Command::new(env!("CARGO_BIN_EXE_genmon"))
        .args(["up", "-f"])
        .arg(&spec_file)
        .arg("--state-dir")
        .arg(&state)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "second genmon up: {err}");
    assert!(err.contains("already running") && err.contains(&up.child.id().to_string()), "{err}");

    // 2. The probe of a closed port fires the alert; Alertmanager has it and delivers it.
    let firing = up.wait("the alert delivered to the webhook (firing)", limit, || {
        delivered(&hooks, ALERT, "firing")
    });
    let labels = &firing["labels"];
    assert_eq!(labels["alertname"], ALERT);
    assert_eq!(labels["severity"], "critical");
    assert_eq!(labels["probe"], "closed");
    assert_eq!(labels["job"], "genmon-exporter");
    let ann = &firing["annotations"];
    assert_eq!(ann["summary"], "Probe closed fails");
    assert_eq!(ann["runbook_url"], format!("https://runbooks.example.com/{ALERT}"));
    let dash = ann["dashboard_url"].as_str().expect("dashboard_url");
    let panel = ann["panel_url"].as_str().expect("panel_url");
    assert!(dash.starts_with("http://grafana.example.com/d/probes"), "{dash}");
    assert!(panel.contains("viewPanel="), "{panel}");
    let in_am = api(&am, "/api/v2/alerts").expect("Alertmanager API");
    assert!(
        in_am.as_array().unwrap().iter().any(|a| a["labels"]["alertname"] == ALERT),
        "Alertmanager lists the alert: {in_am}"
    );

    // 3. Remove the cause: the probe's target answers 200; the alert resolves.
    serve_ok(TcpListener::bind(("127.0.0.1", ports.probe)).expect("bind the probe's port"));
    let resolved = up.wait("the resolved notification", limit, || delivered(&hooks, ALERT, "resolved"));
    assert_eq!(resolved["labels"]["probe"], "closed");
    let first_end = now();

    // 4. SIGTERM stops every child; the data stays.
    up.stop();
    assert!(state.join("data/prometheus").is_dir(), "Prometheus data kept");
    assert!(state.join("data/alertmanager").is_dir(), "Alertmanager data kept");
    drop(up);

    // A second run keeps the first run's samples.
    let mut up = Up::start(&spec_file, &state, "2");
    up.wait_running(Duration::from_secs(90));
    up.wait("Prometheus ready again", limit, || {
        http::is_ok(&format!("{prom}/-/ready"), Duration::from_secs(2)).then_some(())
    });
    let q = format!(
        "/api/v1/query_range?query={}&start={first_start:.3}&end={first_end:.3}&step=1",
        http::encode("up{job=\"genmon-exporter\"}")
    );
    let samples = up.wait("the first run's samples", limit, || {
        let v = api(&prom, &q)?;
        let n = v["data"]["result"].as_array()?.first()?["values"].as_array()?.len();
        (n > 0).then_some(n)
    });
    assert!(samples >= 3, "only {samples} samples of the first run survived");

    // A child that dies takes the stack down with it, and genmon up says which and why.
    let pids = up.pids();
    let (_, am_pid) = pids.iter().find(|(n, _)| n == "alertmanager").cloned().expect("alertmanager PID");
    // SAFETY: killing a child of the genmon up we started.
    unsafe {
        libc::kill(am_pid, libc::SIGKILL);
    }
    let t = Instant::now();
    let status = loop {
        if let Some(st) = up.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            t.elapsed() < Duration::from_secs(40),
            "genmon up ignored a dead child\n{}",
            up.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = std::fs::read_to_string(&up.out).unwrap();
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!("alertmanager (PID {am_pid}) was killed by signal 9")),
        "{out}"
    );
    for (name, pid) in pids {
        // SAFETY: signal 0 only checks existence.
        assert!(unsafe { libc::kill(pid, 0) } != 0, "{name} (PID {pid}) survived");
    }
    eprintln!("stack e2e took {:.1}s", started.elapsed().as_secs_f64());
}

#[test]
fn genmon_up_says_how_to_install_what_is_missing() {
    let (code, err) = common::stack::up_with_empty_path(&[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("apt-get install prometheus prometheus-alertmanager"), "{err}");
}

/// The `checkout` example of genmon-service, built by cargo (the same
/// profile as this test), stopped by PID when dropped.
struct Checkout {
    child: Child,
    base: String,
    metrics: u16,
}

impl Checkout {
    fn build() -> PathBuf {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(common::root())
            .args([
                "build",
                "--locked",
                "--all-features",
                "-p",
                "genmon-service",
                "--example",
                "checkout",
                "--message-format=json-render-diagnostics",
            ])
            .stderr(Stdio::inherit())
            .output()
            .expect("run cargo build --example checkout");
        assert!(out.status.success(), "cargo build --example checkout failed");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "checkout")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo names the checkout executable")
    }

    fn start(exe: &Path) -> Checkout {
        let (listen, metrics) = (free_port(), free_port());
        let child = Command::new(exe)
            .args(["--listen", &format!("127.0.0.1:{listen}")])
            .args(["--metrics-listen", &format!("127.0.0.1:{metrics}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start checkout");
        let c = Checkout {
            child,
            base: format!("http://127.0.0.1:{listen}"),
            metrics,
        };
        let t = Instant::now();
        while !http::is_ok(&format!("http://127.0.0.1:{metrics}/ready"), Duration::from_secs(1)) {
            assert!(t.elapsed() < Duration::from_secs(20), "checkout did not get ready in 20s");
            std::thread::sleep(Duration::from_millis(100));
        }
        c
    }

    /// Switch the injected faults while it runs.
    fn fault(&self, error_share: f64) {
        let url = format!("{}/fault?error_share={error_share}&latency_ms=0", self.base);
        let r = http::request("PUT", &url, None, Duration::from_secs(5)).expect("PUT /fault");
        assert_eq!(r.status, 200, "PUT /fault: {}", r.body);
    }

    /// A client loop: about 100 requests a second over two routes until `stop`.
    fn load(&self, stop: Arc<std::sync::atomic::AtomicBool>) -> std::thread::JoinHandle<u64> {
        let base = self.base.clone();
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let url = if n.is_multiple_of(10) {
                    format!("{base}/")
                } else {
                    format!("{base}/checkout/{n}")
                };
                let _ = http::get(&url, Duration::from_secs(2));
                n += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            n
        })
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        // SAFETY: signalling the child this test started, by its PID.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let t = Instant::now();
        while self.child.try_wait().ok().flatten().is_none() && t.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The stack on the test's ports with one service declared (rules' rate
/// window 10 s, so the recorded error ratio follows the fault quickly). The SLO's
/// windows scale with its period: at `1d` and 1 s scrapes the page's are
/// 2m/1m and 12m/1m (the shortest the kind makes: whole minutes); `for: 5s`
/// shortens the page's own `for` (default 2m). At 99.5 % the first page
/// fires above 7.2 % errors, so 20 % errors page within seconds of Prometheus
/// seeing them.
fn service_spec(p: &Ports, metrics: u16, webhook: u16) -> String {
    format!(
        r#"version: 1
stack:
  exporter_port: {exporter}
  prometheus_port: {prometheus}
  alertmanager_port: {alertmanager}
  grafana_port: {grafana}
prometheus:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
  rule_rate_window: 10s
{alerting}exporter:
  collectors: {{diskstats: false, process: false, filesystem: false}}
services:
  - name: checkout
    scrape: {{name: checkout, targets: ["127.0.0.1:{metrics}"]}}
    slo:
      availability: 99.5
      latency: {{le: 0.25, objective: 99}}
      period: 1d
      for: 5s
"#,
        exporter = p.exporter,
        prometheus = p.prometheus,
        alertmanager = p.alertmanager,
        grafana = p.grafana,
        alerting = common::stack::alerting_yaml(webhook),
    )
}

#[test]
fn a_declared_service_gets_data_on_every_panel_and_pages_through_its_slo() {
    let started = Instant::now();
    require(&["prometheus"]);
    require(&["prometheus-alertmanager", "alertmanager"]);
    let exe = Checkout::build();
    let checkout = Checkout::start(&exe);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = checkout.load(stop.clone());

    let tmp = tempfile::tempdir().unwrap();
    let hook_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let hook_port = hook_listener.local_addr().unwrap().port();
    let hooks = webhook(hook_listener);
    let spec_file = tmp.path().join("genmon.yaml");
    let state = tmp.path().join("state");
    let (mut up, ports) = up_on_free_ports(&spec_file, &state, |p| service_spec(p, checkout.metrics, hook_port));
    let prom = format!("http://127.0.0.1:{}", ports.prometheus);
    let limit = Duration::from_secs(60);
    up.wait("the checkout target is up", limit, || {
        query(&prom, "up{job=\"checkout\"} == 1").first().map(|_| ())
    });

    // 1. Every panel query of the service's dashboard returns data.
    let file = state.join("config/dashboards/Services/service-checkout.json");
    let d: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("the service dashboard")).unwrap();
    let mut queries = Vec::new();
    let mut panels: Vec<Value> = d["panels"].as_array().cloned().unwrap_or_default();
    while let Some(p) = panels.pop() {
        panels.extend(p["panels"].as_array().cloned().unwrap_or_default());
        for t in p["targets"].as_array().into_iter().flatten() {
            queries.push((p["title"].to_string(), as_grafana_sends(t["expr"].as_str().unwrap_or(""))));
        }
    }
    assert!(queries.len() >= 15, "only {} panel queries: {queries:?}", queries.len());
    let t = Instant::now();
    let mut empty: Vec<&(String, String)> = queries.iter().collect();
    while !empty.is_empty() && t.elapsed() < limit {
        std::thread::sleep(Duration::from_secs(1));
        empty = queries.iter().filter(|(_, q)| query(&prom, q).is_empty()).collect();
    }
    assert!(
        empty.is_empty(),
        "panel queries without data after {}s:\n{empty:#?}\n{}",
        limit.as_secs(),
        up.logs()
    );
    eprintln!("{} service panel queries return data", queries.len());

    // 2. 20 % errors: the availability SLO's fast burn pages, with its links.
    let alert = "CheckoutAvailabilityFastBurn";
    assert!(delivered(&hooks, alert, "firing").is_none(), "pages before any fault");
    checkout.fault(0.2);
    let firing = up.wait("the fast burn delivered to the webhook", Duration::from_secs(120), || {
        delivered(&hooks, alert, "firing")
    });
    assert_eq!(firing["labels"]["severity"], "critical");
    assert_eq!(firing["labels"]["slo"], "checkout-availability");
    let ann = &firing["annotations"];
    // Each of an SLO's alerts links its own runbook section.
    assert_eq!(ann["runbook_url"], "https://runbooks.example.com/CheckoutAvailabilityFastBurn");
    let dash = ann["dashboard_url"].as_str().expect("dashboard_url");
    assert_eq!(dash, "http://grafana.example.com/d/slos", "{firing}");
    let panel = ann["panel_url"].as_str().expect("panel_url");
    assert!(panel.starts_with("http://grafana.example.com/d/slos?viewPanel="), "{panel}");
    let summary = ann["summary"].as_str().unwrap_or("");
    assert!(summary.contains("checkout availability"), "{summary}");

    // The recorded signal the error-ratio alert watches reads the injected share.
    let route = r#"signal:checkout_error_ratio:value{http_route="/checkout/{cart}"}"#;
    let ratio = up.wait("the recorded error ratio near 20 %", limit, || {
        let v: f64 = query(&prom, route).first()?["value"][1].as_str()?.parse().ok()?;
        (0.15..0.25).contains(&v).then_some(v)
    });
    eprintln!("recorded error ratio of /checkout/{{cart}}: {ratio:.3}");

    // 3. The fault removed, the alert resolves.
    checkout.fault(0.0);
    let resolved = up.wait("the fast burn resolved", Duration::from_secs(120), || {
        delivered(&hooks, alert, "resolved")
    });
    assert_eq!(resolved["labels"]["slo"], "checkout-availability");

    up.stop();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let sent = load.join().unwrap();
    assert!(sent > 100, "the load loop sent {sent} requests");
    drop(checkout);
    eprintln!("service e2e took {:.1}s", started.elapsed().as_secs_f64());
}
