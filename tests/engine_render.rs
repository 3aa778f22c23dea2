//! `genmon render --target mimir|victoriametrics`, checked by the programs
//! that read the files: vmalert `-dryRun` loads the VictoriaMetrics rule
//! namespace, vmagent `-dryRun` its scrape config, `promtool check config
//! --agent` the Mimir agent config and `promtool check rules` Mimir's rule
//! groups (Mimir's ruler reads Prometheus' rule format plus `namespace:`).
//! Every target carries the very same PromQL (no engine-only functions for
//! plain Prometheus, nor the reverse), and each target's layout is the one
//! its engine reads (vmalert refuses Mimir's `namespace:` key).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml_ng::Value;

const VM: &str = "victoria-metrics";

/// The spec text: a test spec with `extra` appended, without
/// `keep_firing_for` (vmalert before v1.90 refuses it: `engine/keep-firing-for`).
fn spec_text(spec: &Path, extra: &str) -> String {
    let text = std::fs::read_to_string(spec).unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with("keep_firing_for:")).collect();
    format!("{}\n{extra}", kept.join("\n"))
}

/// Render `text` for `target` into a fresh directory; the directory and stderr.
fn render(dir: &Path, name: &str, text: &str, args: &[&str]) -> (PathBuf, String) {
    let spec = dir.join(format!("{name}.yaml"));
    std::fs::write(&spec, text).unwrap();
    let out = dir.join(name);
    let mut all = vec!["render", "-f", spec.to_str().unwrap(), "-o", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let r = common::genmon(dir, &all);
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    assert!(r.status.success(), "render {args:?} of {name}: {err}");
    (out, err)
}

/// The folders beside `spec` (what its `include:` reads), copied into `dir`
/// where the rendered copies of the spec are written.
fn copy_includes(spec: &Path, dir: &Path) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            let dest = to.join(p.file_name().unwrap());
            if p.is_dir() {
                copy(&p, &dest);
            } else {
                std::fs::copy(&p, &dest).unwrap();
            }
        }
    }
    for e in std::fs::read_dir(spec.parent().unwrap()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_dir() && name.ends_with(".d") {
            copy(&p, &dir.join(name));
        }
    }
}

fn yaml(p: &Path) -> Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// group → rule name → expr, of every `groups:` in `files`.
fn exprs(files: &[PathBuf]) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out = BTreeMap::new();
    for f in files {
        let v = yaml(f);
        for g in v["groups"].as_sequence().unwrap() {
            let rules = g["rules"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|r| {
                    let name = r["record"].as_str().or(r["alert"].as_str()).unwrap().to_string();
                    (name, r["expr"].as_str().unwrap().to_string())
                })
                .collect();
            out.insert(g["name"].as_str().unwrap().to_string(), rules);
        }
    }
    out
}

fn run(cmd: &mut Command) -> (bool, String) {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    (o.status.success(), text)
}

#[test]
fn every_target_carries_the_same_promql_and_each_engine_loads_its_files() {
    let vmalert = common::tool("vmalert", VM);
    let vmagent = common::tool("vmagent", VM);
    let promtool = common::tool("promtool", "prometheus");
    let tmp = tempfile::tempdir().unwrap();
    for spec in common::specs() {
        let stem = spec.file_stem().unwrap().to_string_lossy().to_string();
        copy_includes(&spec, tmp.path());
        let text = spec_text(&spec, "");
        let (prom, _) = render(tmp.path(), &format!("{stem}-prometheus"), &text, &[]);
        let (vm, _) = render(tmp.path(), &format!("{stem}-vm"), &text, &["--target", "victoriametrics"]);
        let mimir_text = spec_text(&spec, "engine: {url: 'http://mimir:8080', tenant: team-a, namespace: ops}\n");
        let (mimir, _) = render(tmp.path(), &format!("{stem}-mimir"), &mimir_text, &["--target", "mimir"]);

        // One PromQL for every target.
        let want = exprs(&common::files(&prom.join("alerts"), ".rules.yml"));
        assert!(!want.is_empty(), "{stem}: no rules");
        let vm_rules = vm.join("victoriametrics/rules/genmon.yml");
        let mimir_rules = mimir.join("mimir/rules/ops.yml");
        assert_eq!(exprs(std::slice::from_ref(&vm_rules)), want, "{stem}: victoriametrics rules differ");
        assert_eq!(exprs(std::slice::from_ref(&mimir_rules)), want, "{stem}: mimir rules differ");

        // vmalert loads the VictoriaMetrics namespace, and refuses Mimir's.
        let (ok, log) = run(Command::new(&vmalert).arg("-dryRun").arg(format!("-rule={}", vm_rules.display())));
        assert!(ok, "{stem}: vmalert -dryRun refuses the victoriametrics rules:\n{log}");
        let (ok, log) = run(Command::new(&vmalert)
            .arg("-dryRun")
            .arg(format!("-rule={}", mimir_rules.display())));
        assert!(
            !ok && log.contains("namespace"),
            "{stem}: vmalert should refuse `namespace:`:\n{log}"
        );

        // Mimir's file: `namespace:` plus Prometheus rule groups (promtool checks the groups).
        let m = yaml(&mimir_rules);
        let keys: Vec<&str> = m.as_mapping().unwrap().keys().filter_map(Value::as_str).collect();
        assert_eq!(keys, ["namespace", "groups"], "{stem}");
        assert_eq!(m["namespace"], "ops");
        let groups_only = tmp.path().join(format!("{stem}-mimir-groups.yml"));
        std::fs::write(
            &groups_only,
            serde_yaml_ng::to_string(&serde_yaml_ng::Mapping::from_iter([("groups".into(), m["groups"].clone())])).unwrap(),
        )
        .unwrap();
        let (ok, log) = run(Command::new(&promtool).args(["check", "rules"]).arg(&groups_only));
        assert!(ok, "{stem}: promtool check rules on Mimir's groups:\n{log}");

        // The scrapers' configs load in the real programs.
        let (ok, log) = run(Command::new(&vmagent).arg("-dryRun").arg(format!(
            "-promscrape.config={}",
            vm.join("victoriametrics/vmagent/vmagent.yml").display()
        )));
        assert!(ok, "{stem}: vmagent -dryRun:\n{log}");
        let (ok, log) = run(Command::new(&promtool)
            .args(["check", "config", "--agent"])
            .arg(mimir.join("mimir/prometheus-agent.yml")));
        assert!(ok, "{stem}: promtool check config --agent:\n{log}");

        // No Prometheus server config where no Prometheus runs, and no engine files for Prometheus.
        assert!(prom.join("provisioning/prometheus/prometheus.yml").is_file());
        assert!(!prom.join("victoriametrics").exists() && !prom.join("mimir").exists());
        for dir in [&vm, &mimir] {
            assert!(!dir.join("provisioning/prometheus/prometheus.yml").exists(), "{}", dir.display());
            assert!(dir.join("provisioning/alertmanager/alertmanager.yml").is_file());
        }
    }
}

/// (url, prometheusType, X-Scope-OrgID header value) of the rendered Grafana datasource.
fn datasource(out: &Path) -> (String, String, Option<String>) {
    let v = yaml(&out.join("provisioning/grafana/datasources/genmon.yml"));
    let ds = &v["datasources"][0];
    assert_eq!(ds["type"], "prometheus");
    let header = ds["jsonData"]["httpHeaderName1"].as_str();
    let value = ds["secureJsonData"]["httpHeaderValue1"].as_str().map(str::to_string);
    assert_eq!(header.is_some(), value.is_some());
    if let Some(h) = header {
        assert_eq!(h, "X-Scope-OrgID");
    }
    (
        ds["url"].as_str().unwrap().to_string(),
        ds["jsonData"]["prometheusType"].as_str().unwrap().to_string(),
        value,
    )
}

#[test]
fn writes_reads_and_alerts_go_where_each_engine_takes_them() {
    let tmp = tempfile::tempdir().unwrap();
    let base = "version: 1\n";
    let vm_flags = |out: &Path, program: &str| std::fs::read_to_string(out.join(format!("victoriametrics/run-{program}.sh"))).unwrap();

    // VictoriaMetrics single-node: the stack's own (engine.url unset).
    let (single, _) = render(tmp.path(), "single", base, &["--target", "victoriametrics"]);
    assert_eq!(
        datasource(&single),
        ("http://victoriametrics:8428".into(), "Prometheus".into(), None)
    );
    let agent = vm_flags(&single, "vmagent");
    assert!(
        agent.contains("-remoteWrite.url=http://victoriametrics:8428/api/v1/write"),
        "{agent}"
    );
    assert!(agent.contains("-promscrape.config=vmagent/vmagent.yml"), "{agent}");
    let ruler = vm_flags(&single, "vmalert");
    for f in [
        "'-rule=rules/*.yml'",
        "-datasource.url=http://victoriametrics:8428 ",
        "-remoteWrite.url=http://victoriametrics:8428 ",
        "-notifier.url=http://alertmanager:9093 ",
        "-evaluationInterval=15s ",
    ] {
        assert!(ruler.contains(f), "{f} in\n{ruler}");
    }
    let scrape = yaml(&single.join("victoriametrics/vmagent/vmagent.yml"));
    let jobs: Vec<&str> = scrape["scrape_configs"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|j| j["job_name"].as_str().unwrap())
        .collect();
    assert_eq!(jobs, ["genmon-exporter", "alertmanager", "vmagent", "vmalert", "victoriametrics"]);
    let exporter = std::fs::read_to_string(single.join("provisioning/exporter/exporter.yml")).unwrap();
    assert!(
        exporter.contains("http://victoriametrics:8428/health") && !exporter.contains("9090"),
        "the exporter probes the engine, not a Prometheus that is not there:\n{exporter}"
    );

    // VictoriaMetrics cluster behind one address (vmauth): tenant in every path.
    let cluster = "version: 1\nengine: {url: 'http://vmauth:8427', tenant: '42:7'}\nprometheus: {external_labels: {region: eu}}\n";
    let (out, _) = render(tmp.path(), "cluster", cluster, &["--target", "victoriametrics"]);
    assert_eq!(datasource(&out).0, "http://vmauth:8427/select/42:7/prometheus");
    let agent = vm_flags(&out, "vmagent");
    assert!(
        agent.contains("-remoteWrite.url=http://vmauth:8427/insert/42:7/prometheus/api/v1/write"),
        "{agent}"
    );
    assert!(agent.contains("-remoteWrite.label=region=eu"), "{agent}");
    let ruler = vm_flags(&out, "vmalert");
    assert!(
        ruler.contains("-datasource.url=http://vmauth:8427/select/42:7/prometheus "),
        "{ruler}"
    );
    assert!(
        ruler.contains("-remoteWrite.url=http://vmauth:8427/insert/42:7/prometheus "),
        "{ruler}"
    );
    assert!(ruler.contains("-external.label=region=eu"), "{ruler}");
    let scrape = std::fs::read_to_string(out.join("victoriametrics/vmagent/vmagent.yml")).unwrap();
    assert!(
        !scrape.contains("victoriametrics:8428"),
        "an external engine is not scraped as the stack's own"
    );

    // Mimir: push path, tenant header on writes and reads, ruler → Alertmanager.
    let mimir = "version: 1\nengine: {url: 'https://mimir.example.com/', tenant: team-a}\n";
    let (out, _) = render(tmp.path(), "mimir", mimir, &["--target", "mimir"]);
    assert_eq!(
        datasource(&out),
        ("https://mimir.example.com/prometheus".into(), "Mimir".into(), Some("team-a".into()))
    );
    let agent = yaml(&out.join("mimir/prometheus-agent.yml"));
    assert_eq!(agent["remote_write"][0]["url"], "https://mimir.example.com/api/v1/push");
    assert_eq!(agent["remote_write"][0]["headers"]["X-Scope-OrgID"], "team-a");
    assert!(
        agent.get("rule_files").is_none() && agent.get("alerting").is_none(),
        "agent mode has neither"
    );
    let ruler = yaml(&out.join("mimir/ruler.yml"));
    assert_eq!(ruler["ruler"]["alertmanager_url"], "http://alertmanager:9093");
    let text = std::fs::read_to_string(out.join("mimir/ruler.yml")).unwrap();
    assert!(
        text.contains("mimirtool rules sync --address=https://mimir.example.com --id=team-a --rule-dirs=rules --namespaces=genmon"),
        "{text}"
    );
    // Without a tenant, Mimir's own `anonymous`.
    let (out, _) = render(
        tmp.path(),
        "anon",
        "version: 1\nengine: {url: 'http://mimir:8080'}\n",
        &["--target", "mimir"],
    );
    assert_eq!(datasource(&out).2.as_deref(), Some("anonymous"));

    // Two agents: each its own config, script, port and jobs; every job once.
    let agents = "version: 1\nprometheus: {scrape_jobs: [{name: edge, targets: ['edge:9100']}]}\nengine:\n  agents:\n    - {name: core, port: 18001}\n    - {name: edge-agent, port: 18002, jobs: [edge]}\n";
    let (out, _) = render(tmp.path(), "agents", agents, &["--target", "victoriametrics"]);
    let jobs_of = |name: &str| -> Vec<String> {
        yaml(&out.join(format!("victoriametrics/vmagent/{name}.yml")))["scrape_configs"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|j| j["job_name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        jobs_of("core"),
        ["genmon-exporter", "alertmanager", "core", "vmalert", "victoriametrics"]
    );
    assert_eq!(jobs_of("edge-agent"), ["edge", "edge-agent"]);
    let edge = vm_flags(&out, "edge-agent");
    assert!(
        edge.contains("-promscrape.config=vmagent/edge-agent.yml") && edge.contains("-httpListenAddr=:18002"),
        "{edge}"
    );
    assert!(!out.join("victoriametrics/run-vmagent.sh").exists());
    let mimir_agents = agents.replace("engine:\n", "engine:\n  url: 'http://mimir:8080'\n");
    let (out, _) = render(tmp.path(), "mimir-agents", &mimir_agents, &["--target", "mimir"]);
    let edge = yaml(&out.join("mimir/edge-agent.yml"));
    assert_eq!(edge["scrape_configs"].as_sequence().unwrap().len(), 1, "{edge:?}");
    assert_eq!(edge["remote_write"][0]["url"], "http://mimir:8080/api/v1/push");
    assert!(out.join("mimir/core.yml").is_file() && out.join("mimir/run-core.sh").is_file());

    // genmon up's profile: everything on 127.0.0.1.
    let (local, _) = render(tmp.path(), "local", base, &["--target", "victoriametrics", "--profile", "local"]);
    assert_eq!(datasource(&local).0, "http://127.0.0.1:8428");
    assert!(vm_flags(&local, "vmagent").contains("-httpListenAddr=127.0.0.1:8429"));
}

#[test]
fn what_a_target_cannot_do_is_a_located_error() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("genmon.yaml");
    std::fs::write(&spec, "version: 1\nengine:\n  tenant: team-a\n").unwrap();
    let r = common::genmon(tmp.path(), &["render", "--target", "mimir", "--format", "short"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{err}");
    // Points into the `engine:` section that lacks the URL.
    assert!(
        err.contains("genmon.yaml:3:9: error[engine/url]") && err.contains("engine.url"),
        "{err}"
    );
    assert!(!tmp.path().join("mimir").exists(), "nothing written");

    std::fs::write(&spec, "version: 1\nengine: {tenant: team-a}\n").unwrap();
    let r = common::genmon(tmp.path(), &["render", "--target", "victoriametrics", "--format", "short"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{err}");
    assert!(err.contains("genmon.yaml:2:") && err.contains("engine/tenant"), "{err}");

    std::fs::write(
        &spec,
        "version: 1\nmetrics: {external: [x]}\nrules:\n- name: g\n  alerts:\n  - {name: XDown, expr: x == 0, keep_firing_for: 5m, severity: info, summary: s, description: d, runbook_url: 'https://r.example.com/'}\n",
    )
    .unwrap();
    let r = common::genmon(tmp.path(), &["render", "--target", "victoriametrics", "--format", "short"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("genmon.yaml:6:") && err.contains("warning[engine/keep-firing-for]"),
        "{err}"
    );

    // MetricsQL-only functions are not PromQL: refused for every target, so
    // the same rules stay loadable by Prometheus, Mimir and vmalert alike.
    std::fs::write(
        &spec,
        "version: 1\nmetrics: {external: [x]}\nrules:\n- name: g\n  recording:\n  - {record: 'instance:x:median', expr: 'range_median(x[5m])'}\n",
    )
    .unwrap();
    for target in ["victoriametrics", "mimir", "compose"] {
        let r = common::genmon(tmp.path(), &["render", "--target", target, "--format", "short"]);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{target}: {err}");
        assert!(
            err.contains("genmon.yaml:6:") && err.contains("error[promql/parse]") && err.contains("range_median"),
            "{target}: {err}"
        );
    }

    // A job no agent scrapes would silently go unscraped: an error.
    std::fs::write(
        &spec,
        "version: 1\nprometheus: {scrape_jobs: [{name: edge, targets: ['edge:9100']}]}\nengine:\n  agents:\n    - {name: core, port: 18001, jobs: [genmon-exporter, alertmanager, vmalert, victoriametrics]}\n",
    )
    .unwrap();
    let r = common::genmon(tmp.path(), &["render", "--target", "victoriametrics", "--format", "short"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{err}");
    assert!(
        err.contains("genmon.yaml:5:") && err.contains("error[engine/agents]: no agent scrapes edge"),
        "{err}"
    );

    let r = common::genmon(tmp.path(), &["render", "--target", "local", "--profile", "compose"]);
    assert_eq!(r.status.code(), Some(2), "{}", String::from_utf8_lossy(&r.stderr));
}
