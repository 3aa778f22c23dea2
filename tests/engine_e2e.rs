//! The scaled-out topology end to end, with the real programs on 127.0.0.1
//! ephemeral ports (Debian's `victoria-metrics` ships victoria-metrics,
//! vmagent and vmalert). One spec, `genmon up --target victoriametrics`:
//! two scrapers (`engine.agents`: vmagent `host-a` runs the stack's jobs,
//! vmagent `host-b-agent` the job of a second genmon-exporter, which this
//! test runs with a textfile metric), both remote-writing to
//! VictoriaMetrics; vmalert evaluates genmon's recording and alerting rules
//! there and notifies Alertmanager; host B's textfile metric fires an alert
//! that reaches the test's webhook with its links, then resolves; the
//! recorded series of both hosts are queryable where Grafana's datasource
//! points. SIGTERM stops everything genmon up started; the test stops its
//! exporter by PID.

mod common;
#[path = "exporter_util.rs"]
mod util;

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use common::stack::{Up, api, delivered, free_port, query, require, webhook};
use genmon::stack::services::{Service, State};
use genmon::stack::supervisor::{self, Running, Wait};

const ALERT: &str = "TripWireSet";
const RECORD: &str = "instance:up:max";
const VM: &str = "apt-get install victoria-metrics";

struct Ports {
    exporter: u16,
    exporter_b: u16,
    agent_a: u16,
    agent_b: u16,
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
            exporter_b: free_port(),
            agent_a: free_port(),
            agent_b: free_port(),
            prometheus: free_port(),
            alertmanager: free_port(),
            grafana: free_port(),
            engine: free_port(),
            ruler: free_port(),
        }
    }
}

fn spec(p: &Ports, webhook: u16) -> String {
    format!(
        r#"version: 1
stack:
  exporter_port: {exporter}
  prometheus_port: {prometheus}
  alertmanager_port: {alertmanager}
  grafana_port: {grafana}
  engine_port: {engine}
  ruler_port: {ruler}
engine:
  namespace: e2e
  agents:
    - {{name: host-a, port: {agent_a}}}
    - {{name: host-b-agent, port: {agent_b}, jobs: [host-b]}}
prometheus:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
  scrape_jobs:
    - {{name: host-b, targets: ['127.0.0.1:{exporter_b}']}}
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
        expr: max by (instance) (up{{job=~"genmon-exporter|host-b"}})
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
        exporter_b = p.exporter_b,
        agent_a = p.agent_a,
        agent_b = p.agent_b,
        prometheus = p.prometheus,
        alertmanager = p.alertmanager,
        grafana = p.grafana,
        engine = p.engine,
        ruler = p.ruler,
        alerting = common::stack::alerting_yaml(webhook),
    )
}

/// Host B's exporter, stopped by PID when dropped.
struct HostB(Vec<Running>);

impl Drop for HostB {
    fn drop(&mut self) {
        supervisor::stop_all(&mut self.0);
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

/// The targets a vmagent scrapes (`/api/v1/targets`), as `job instance`.
fn scraped_by(agent_port: u16) -> Option<Vec<String>> {
    let v = api(&format!("http://127.0.0.1:{agent_port}"), "/api/v1/targets")?;
    let mut out: Vec<String> = v["data"]["activeTargets"]
        .as_array()?
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                t["labels"]["job"].as_str().unwrap_or(""),
                t["labels"]["instance"].as_str().unwrap_or("")
            )
        })
        .collect();
    out.sort();
    Some(out)
}

#[test]
fn two_scrapers_ship_to_victoriametrics_and_vmalert_fires_and_resolves_through_alertmanager() {
    let started = Instant::now();
    let lap = |what: &str| eprintln!("[{:6.1}s total] {what}", started.elapsed().as_secs_f64());
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
    let hook_port = hook_listener.local_addr().unwrap().port();
    let hooks = webhook(hook_listener);
    let limit = Duration::from_secs(60);

    // One spec, genmon up --target victoriametrics.
    let spec_file = tmp.path().join("genmon.yaml");
    let state = tmp.path().join("state");
    let (mut up, p) = common::stack::up_on_free_ports(&spec_file, &state, &["--target", "victoriametrics"], Ports::new, |p| {
        spec(p, hook_port)
    });
    lap("genmon up runs");
    let a_instance = format!("127.0.0.1:{}", p.exporter);
    let b_instance = format!("127.0.0.1:{}", p.exporter_b);

    // Host B's exporter, with the trip wire set in its textfile directory.
    let textfile = tmp.path().join("textfile-b");
    std::fs::create_dir(&textfile).unwrap();
    write_trip(&textfile, 1);
    let state_b = State {
        root: tmp.path().join("host-b"),
    };
    std::fs::create_dir_all(state_b.root.join("logs")).unwrap();
    let svc = Service {
        name: "genmon-exporter-b".into(),
        program: genmon::stack::binaries::EXPORTER,
        args: vec![
            format!("--web.listen-address={b_instance}"),
            "--collector.textfile".into(),
            format!("--collector.textfile.directory={}", textfile.display()),
        ],
        env: vec![],
        health_url: format!("http://{b_instance}/health"),
        url: format!("http://{b_instance}/metrics"),
        optional: false,
    };
    let exporter = util::exporter_bin();
    let mut r = supervisor::start(&svc, &exporter, &state_b).expect("start host B's exporter");
    let healthy = matches!(supervisor::wait_healthy(&mut r, limit), Wait::Healthy);
    let log_b = r.log.clone();
    let host_b = HostB(vec![r]);
    assert!(healthy, "host B's exporter:\n{}", supervisor::tail(&log_b, 30));

    let mut names: Vec<String> = up.pids().into_iter().map(|(n, _)| n).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "alertmanager",
            "genmon-exporter",
            "host-a",
            "host-b-agent",
            "victoriametrics",
            "vmalert"
        ],
        "no Prometheus in this topology"
    );
    // Every query goes where Grafana's provisioned datasource points.
    let ds: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(state.join("config/provisioning/grafana/datasources/genmon.yml")).unwrap())
            .unwrap();
    let engine = ds["datasources"][0]["url"].as_str().unwrap().to_string();
    assert_eq!(engine, format!("http://127.0.0.1:{}", p.engine), "Grafana reads the engine");
    let ruler = format!("http://127.0.0.1:{}", p.ruler);
    let logs = |up: &Up| format!("{}--- host B's exporter:\n{}", up.logs(), supervisor::tail(&log_b, 30));

    // 1. Each scraper scrapes its own exporter, and both exporters' samples reach the engine.
    let b_agent = up.wait("host-b-agent scrapes host B's exporter", limit, || {
        scraped_by(p.agent_b).filter(|t| !t.is_empty())
    });
    assert_eq!(
        b_agent,
        [format!("host-b {b_instance}"), format!("host-b-agent 127.0.0.1:{}", p.agent_b)]
    );
    let a_agent = scraped_by(p.agent_a).expect("host-a's targets");
    assert!(a_agent.contains(&format!("genmon-exporter {a_instance}")), "{a_agent:?}");
    assert!(
        !a_agent.iter().any(|t| t.starts_with("host-b ")),
        "host-a does not scrape host B: {a_agent:?}"
    );
    let instances = |q: &str| -> Vec<String> {
        let mut v: Vec<String> = query(&engine, q)
            .iter()
            .filter_map(|s| s["metric"]["instance"].as_str().map(str::to_string))
            .collect();
        v.sort();
        v
    };
    let mut both = vec![a_instance.clone(), b_instance.clone()];
    both.sort();
    let t = Instant::now();
    while instances("up{job=~\"genmon-exporter|host-b\"} == 1") != both {
        assert!(t.elapsed() < limit, "both exporters' up in VictoriaMetrics\n{}", logs(&up));
        std::thread::sleep(Duration::from_millis(250));
    }
    lap("both hosts in the engine");

    // 2. vmalert loaded the generated group from the rendered namespace file.
    up.wait("vmalert loaded the e2e group", limit, || {
        let v = api(&ruler, "/api/v1/rules")?;
        v["data"]["groups"].as_array()?.iter().any(|g| g["name"] == "e2e").then_some(())
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
    assert_eq!(labels["instance"], b_instance.as_str(), "from host B's data: {firing}");
    assert_eq!(labels["job"], "host-b", "{firing}");
    let ann = &firing["annotations"];
    assert_eq!(ann["summary"], format!("Trip wire set on {b_instance}"));
    assert_eq!(ann["runbook_url"], format!("https://runbooks.example.com/{ALERT}"));
    let dash = ann["dashboard_url"].as_str().expect("dashboard_url");
    let panel = ann["panel_url"].as_str().expect("panel_url");
    assert!(dash.starts_with("http://grafana.example.com/d/trips"), "{dash}");
    assert!(panel.contains("viewPanel="), "{panel}");
    // vmalert keeps the alert's state in the engine as `ALERTS`, which the
    // generated alerts-overview dashboard reads.
    let t = Instant::now();
    while instances(&format!("ALERTS{{alertname=\"{ALERT}\", alertstate=\"firing\"}}")) != [b_instance.clone()] {
        assert!(t.elapsed() < limit, "ALERTS of the firing alert in VictoriaMetrics\n{}", logs(&up));
        std::thread::sleep(Duration::from_millis(250));
    }
    lap("fired");

    // 4. Recorded series of both hosts are queryable from the engine.
    let t = Instant::now();
    while instances(RECORD) != both {
        assert!(
            t.elapsed() < limit,
            "{RECORD} of both hosts: {:?}\n{}",
            instances(RECORD),
            logs(&up)
        );
        std::thread::sleep(Duration::from_millis(250));
    }

    // 5. Clear the trip wire: the alert resolves.
    write_trip(&textfile, 0);
    let resolved = up.wait("the resolved notification", limit, || delivered(&hooks, ALERT, "resolved"));
    assert_eq!(resolved["labels"]["instance"], b_instance.as_str());
    let fired_on: Vec<String> = hooks
        .lock()
        .unwrap()
        .iter()
        .flat_map(|p| p["alerts"].as_array().cloned().unwrap_or_default())
        .map(|x| x["labels"]["instance"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(fired_on.iter().all(|i| *i == b_instance), "host A has no trip wire: {fired_on:?}");
    lap("resolved");

    // 6. Everything stops: genmon up's children on SIGTERM, host B's exporter by PID.
    up.stop();
    drop(up);
    let pids: Vec<i32> = host_b.0.iter().map(Running::pid).collect();
    drop(host_b);
    for pid in pids {
        // SAFETY: signal 0 only checks existence.
        assert!(unsafe { libc::kill(pid, 0) } != 0, "host B's exporter (PID {pid}) survived");
    }
    lap("stopped");
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
