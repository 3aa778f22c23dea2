//! The scaled-out topology end to end, with the real programs on 127.0.0.1
//! ephemeral ports (Debian's `victoria-metrics` ships victoria-metrics,
//! vmagent and vmalert): one spec; host A is `genmon up --target
//! victoriametrics` (genmon-exporter, vmagent, VictoriaMetrics, vmalert,
//! Alertmanager); host B is a second genmon-exporter and a second vmagent run
//! from the same spec's `render --target victoriametrics` (its own ports, as
//! a second machine would have). Both vmagents remote-write to
//! VictoriaMetrics; vmalert evaluates genmon's recording and alerting rules
//! there and notifies Alertmanager; a textfile metric on host B fires an
//! alert that reaches the test's webhook with its links, then resolves;
//! the recorded series of both hosts are queryable from the engine.
//! SIGTERM stops everything genmon up started; the test stops what it
//! started by PID.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::stack::{Up, api, delivered, free_port, query, require, webhook};
use genmon::stack::binaries::Program;
use genmon::stack::services::{Service, State};
use genmon::stack::supervisor::{self, Running, Wait};

const ALERT: &str = "TripWireSet";
const RECORD: &str = "instance:up:max";
const VM: &str = "apt-get install victoria-metrics";

struct Ports {
    exporter: u16,
    agent: u16,
    prometheus: u16,
    alertmanager: u16,
    grafana: u16,
    engine: u16,
    ruler: u16,
}

impl Ports {
    fn new() -> Ports {
        Ports {
            exporter: free_port(),
            agent: free_port(),
            prometheus: free_port(),
            alertmanager: free_port(),
            grafana: free_port(),
            engine: free_port(),
            ruler: free_port(),
        }
    }
}

/// The spec; `p.exporter` and `p.agent` are the host's own.
fn spec(p: &Ports, webhook: u16) -> String {
    format!(
        r#"version: 1
stack:
  exporter_port: {exporter}
  agent_port: {agent}
  prometheus_port: {prometheus}
  alertmanager_port: {alertmanager}
  grafana_port: {grafana}
  engine_port: {engine}
  ruler_port: {ruler}
engine:
  namespace: e2e
prometheus:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
{alerting}metrics:
  external: [genmon_e2e_trip]
exporter:
  collectors: {{diskstats: false, process: false, filesystem: false}}
signals:
  trip:
    title: Trip wire
    expr: genmon_e2e_trip
    legend: "{{{{instance}}}}"
dashboards:
  - uid: trips
    title: Trips
    panels:
      - {{signal: trip}}
rules:
  - name: e2e
    recording:
      - record: {RECORD}
        expr: max by (instance) (up{{job="genmon-exporter"}})
    alerts:
      - name: {ALERT}
        expr: genmon_e2e_trip == 1
        for: 1s
        severity: critical
        summary: "Trip wire set on {{{{ $labels.instance }}}}"
        description: "The textfile metric genmon_e2e_trip is 1"
        panel: trips/Trip wire
"#,
        exporter = p.exporter,
        agent = p.agent,
        prometheus = p.prometheus,
        alertmanager = p.alertmanager,
        grafana = p.grafana,
        engine = p.engine,
        ruler = p.ruler,
        alerting = common::stack::alerting_yaml(webhook),
    )
}

/// Host B's processes, stopped by PID when dropped.
struct HostB {
    running: Vec<Running>,
    state: State,
}

impl HostB {
    fn start(&mut self, svc: &Service, exe: &Path) {
        let mut r = supervisor::start(svc, exe, &self.state).unwrap_or_else(|e| panic!("{}: {e}", svc.name));
        match supervisor::wait_healthy(&mut r, Duration::from_secs(30)) {
            Wait::Healthy => self.running.push(r),
            _ => panic!("host B's {} did not become healthy:\n{}", svc.name, supervisor::tail(&r.log, 30)),
        }
    }

    fn logs(&self) -> String {
        self.running
            .iter()
            .map(|r| format!("--- host B {}:\n{}\n", r.name, supervisor::tail(&r.log, 30)))
            .collect()
    }
}

impl Drop for HostB {
    fn drop(&mut self) {
        supervisor::stop_all(&mut self.running);
    }
}

fn service(name: &'static str, program: Program, args: Vec<String>, port: u16) -> Service {
    Service {
        name,
        program,
        args,
        env: vec![],
        health_url: format!("http://127.0.0.1:{port}/health"),
        url: format!("http://127.0.0.1:{port}/"),
        optional: false,
    }
}

fn write_trip(dir: &Path, value: u8) {
    let tmp = dir.join(".trip.prom.tmp");
    std::fs::write(
        &tmp,
        format!("# HELP genmon_e2e_trip Test trip wire.\n# TYPE genmon_e2e_trip gauge\ngenmon_e2e_trip {value}\n"),
    )
    .unwrap();
    std::fs::rename(&tmp, dir.join("trip.prom")).unwrap();
}

#[test]
fn two_scrapers_ship_to_victoriametrics_and_vmalert_fires_and_resolves_through_alertmanager() {
    let started = Instant::now();
    for (names, hint) in [
        (&["victoria-metrics"][..], VM),
        (&["vmagent"][..], VM),
        (&["vmalert"][..], VM),
        (
            &["prometheus-alertmanager", "alertmanager"][..],
            "apt-get install prometheus-alertmanager",
        ),
    ] {
        require(names, hint);
    }
    let tmp = tempfile::tempdir().unwrap();
    let hook_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let hooks = webhook(hook_listener.try_clone().unwrap());
    let hook_port = hook_listener.local_addr().unwrap().port();
    let limit = Duration::from_secs(60);

    // Host A: genmon up --target victoriametrics.
    let a = Ports::new();
    let spec_a = tmp.path().join("genmon.yaml");
    std::fs::write(&spec_a, spec(&a, hook_port)).unwrap();
    let state = tmp.path().join("state");
    let mut up = Up::start_with(&spec_a, &state, "vm", &["--target", "victoriametrics"]);
    up.wait_running(Duration::from_secs(90));
    // Every query below goes where Grafana's provisioned datasource points.
    let ds: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(state.join("config/provisioning/grafana/datasources/genmon.yml")).unwrap())
            .unwrap();
    let engine = ds["datasources"][0]["url"].as_str().unwrap().to_string();
    assert_eq!(engine, format!("http://127.0.0.1:{}", a.engine), "Grafana reads the engine");
    let ruler = format!("http://127.0.0.1:{}", a.ruler);
    for (name, _) in up.pids() {
        assert_ne!(name, "prometheus", "no Prometheus in this topology");
    }

    eprintln!("[{:6.1}s total] // Host B: the same spec", started.elapsed().as_secs_f64());
    // Host B: the same spec on its own exporter and agent ports, rendered for
    // the victoriametrics target; its rendered run-vmagent.sh is what runs.
    let b = Ports {
        exporter: free_port(),
        agent: free_port(),
        ..a
    };
    let spec_b = tmp.path().join("host-b.yaml");
    std::fs::write(&spec_b, spec(&b, hook_port)).unwrap();
    let out_b = tmp.path().join("host-b");
    let r = common::genmon(
        tmp.path(),
        &[
            "render",
            "-f",
            spec_b.to_str().unwrap(),
            "--target",
            "victoriametrics",
            "--profile",
            "local",
            "-o",
            out_b.to_str().unwrap(),
        ],
    );
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let textfile = tmp.path().join("textfile-b");
    std::fs::create_dir(&textfile).unwrap();
    write_trip(&textfile, 1);
    let mut host_b = HostB {
        running: Vec::new(),
        state: State {
            root: tmp.path().join("state-b"),
        },
    };
    std::fs::create_dir_all(host_b.state.root.join("logs")).unwrap();
    let exporter = PathBuf::from(env!("CARGO_BIN_EXE_genmon-exporter"));
    host_b.start(
        &service(
            "genmon-exporter-b",
            genmon::stack::binaries::EXPORTER,
            vec![
                format!("--web.listen-address=127.0.0.1:{}", b.exporter),
                format!("--config.file={}", out_b.join("provisioning/exporter/exporter.yml").display()),
                "--collector.textfile".into(),
                format!("--collector.textfile.directory={}", textfile.display()),
            ],
            b.exporter,
        ),
        &exporter,
    );
    let sh = genmon::stack::binaries::on_path("sh").expect("sh");
    host_b.start(
        &service(
            "vmagent-b",
            genmon::stack::binaries::VMAGENT,
            vec![out_b.join("victoriametrics/run-vmagent.sh").display().to_string()],
            b.agent,
        ),
        &sh,
    );
    let logs = |up: &Up, host_b: &HostB| format!("{}{}", up.logs(), host_b.logs());

    eprintln!("[{:6.1}s total] // 1. Both hosts'", started.elapsed().as_secs_f64());
    // 1. Both hosts' samples reach the engine through their own vmagent.
    let instances = |q: &str| -> Vec<String> {
        let mut v: Vec<String> = query(&engine, q)
            .iter()
            .filter_map(|s| s["metric"]["instance"].as_str().map(str::to_string))
            .collect();
        v.sort();
        v
    };
    let mut want = vec![format!("127.0.0.1:{}", a.exporter), format!("127.0.0.1:{}", b.exporter)];
    want.sort();
    let t = Instant::now();
    while instances("up{job=\"genmon-exporter\"} == 1") != want {
        assert!(t.elapsed() < limit, "both exporters' up in VictoriaMetrics\n{}", logs(&up, &host_b));
        std::thread::sleep(Duration::from_millis(250));
    }

    eprintln!("[{:6.1}s total] // 2. vmalert loaded", started.elapsed().as_secs_f64());
    // 2. vmalert loaded every generated group from the rendered namespace file.
    let groups = up.wait("vmalert loaded the e2e group", limit, || {
        let v = api(&ruler, "/api/v1/rules")?;
        let names: Vec<String> = v["data"]["groups"]
            .as_array()?
            .iter()
            .filter_map(|g| g["name"].as_str().map(str::to_string))
            .collect();
        names.contains(&"e2e".to_string()).then_some(names)
    });
    assert!(
        state.join("config/victoriametrics/rules/e2e.yml").is_file(),
        "rules rendered as namespace `e2e`"
    );

    // 3. Host B's trip wire fires the alert; vmalert → Alertmanager → webhook, with its links.
    let firing = up.wait("the alert delivered to the webhook (firing)", limit, || {
        delivered(&hooks, ALERT, "firing")
    });
    let labels = &firing["labels"];
    assert_eq!(labels["severity"], "critical", "{firing}");
    assert_eq!(
        labels["instance"],
        format!("127.0.0.1:{}", b.exporter),
        "from host B's data: {firing}"
    );
    let ann = &firing["annotations"];
    assert_eq!(ann["summary"], format!("Trip wire set on 127.0.0.1:{}", b.exporter));
    assert_eq!(ann["runbook_url"], format!("https://runbooks.example.com/{ALERT}"));
    let dash = ann["dashboard_url"].as_str().expect("dashboard_url");
    let panel = ann["panel_url"].as_str().expect("panel_url");
    assert!(dash.starts_with("http://grafana.example.com/d/trips"), "{dash}");
    assert!(panel.contains("viewPanel="), "{panel}");
    assert!(
        hooks
            .lock()
            .unwrap()
            .iter()
            .flat_map(|p| p["alerts"].as_array().cloned().unwrap_or_default())
            .all(|x| x["labels"]["instance"] != format!("127.0.0.1:{}", a.exporter)),
        "host A has no trip wire and never fires"
    );

    // vmalert keeps the alert's state in the engine as `ALERTS`, which the
    // generated alerts-overview dashboard reads.
    let t = Instant::now();
    while instances(&format!("ALERTS{{alertname=\"{ALERT}\", alertstate=\"firing\"}}")) != [format!("127.0.0.1:{}", b.exporter)] {
        assert!(
            t.elapsed() < limit,
            "ALERTS of the firing alert in VictoriaMetrics\n{}",
            logs(&up, &host_b)
        );
        std::thread::sleep(Duration::from_millis(250));
    }

    eprintln!("[{:6.1}s total] // 4. Recorded", started.elapsed().as_secs_f64());
    // 4. Recorded series of both hosts are queryable from the engine.
    let t = Instant::now();
    while instances(RECORD) != want {
        assert!(
            t.elapsed() < limit,
            "{RECORD} of both hosts in VictoriaMetrics (groups {groups:?}): {:?}\n{}",
            instances(RECORD),
            logs(&up, &host_b)
        );
        std::thread::sleep(Duration::from_millis(250));
    }

    eprintln!("[{:6.1}s total] // 5. Clear", started.elapsed().as_secs_f64());
    // 5. Clear the trip wire: the alert resolves.
    write_trip(&textfile, 0);
    let resolved = up.wait("the resolved notification", limit, || delivered(&hooks, ALERT, "resolved"));
    assert_eq!(resolved["labels"]["instance"], format!("127.0.0.1:{}", b.exporter));

    eprintln!("[{:6.1}s total] // 6. Everything stops", started.elapsed().as_secs_f64());
    // 6. Everything stops: genmon up's children on SIGTERM, host B by PID.
    up.stop();
    drop(up);
    eprintln!("[{:6.1}s total] let pids: Vec<i32> = host_b", started.elapsed().as_secs_f64());
    let pids: Vec<i32> = host_b.running.iter().map(Running::pid).collect();
    drop(host_b);
    for pid in pids {
        // SAFETY: signal 0 only checks existence.
        assert!(unsafe { libc::kill(pid, 0) } != 0, "host B PID {pid} survived");
    }
    eprintln!("engine e2e took {:.1}s", started.elapsed().as_secs_f64());
}

#[test]
fn genmon_up_target_victoriametrics_says_how_to_install_what_is_missing() {
    let (code, err) = common::stack::up_with_empty_path(&["--target", "victoriametrics"]);
    assert_eq!(code, Some(2), "{err}");
    for program in ["victoriametrics", "vmagent", "vmalert"] {
        assert!(err.contains(&format!("error: {program} not found")), "{program}: {err}");
    }
    assert!(!err.contains("prometheus not found"), "no Prometheus in this topology: {err}");
    assert!(err.contains("apt-get install victoria-metrics"), "{err}");
    let (code, err) = common::stack::up_with_empty_path(&["--target", "mimir"]);
    assert_eq!(code, Some(2), "genmon up runs no Mimir: {err}");
    assert!(err.contains("--target local") && err.contains("--target victoriametrics"), "{err}");
}
