//! Scrape jobs with every option genmon types (service discovery,
//! relabelling, params, honor_labels, basic_auth / authorization / tls_config
//! from files) render into a prometheus.yml that the real `promtool check
//! config` accepts and that holds what the spec says; inline secrets are
//! located errors.

mod common;

use std::path::Path;
use std::process::Command;

use common::{genmon, tool};

fn spec(dir: &Path) -> String {
    let f = |name: &str| dir.join(name).display().to_string();
    format!(
        r#"version: 1
prometheus:
  scrape_jobs:
  - name: static-tls
    targets: ['db-1:9100', 'db-2:9100']
    interval: 30s
    timeout: 20s
    metrics_path: /probe
    scheme: https
    params: {{module: [http_2xx], target: ['https://example.org']}}
    honor_labels: true
    labels: {{env: prod}}
    basic_auth: {{username: prom, password_file: '{pw}'}}
    tls_config: {{ca_file: '{ca}', cert_file: '{cert}', key_file: '{key}', server_name: db.internal}}
    relabel_configs:
    - {{source_labels: [__address__], target_label: __param_target}}
    - {{source_labels: [__param_target], regex: '(.+):\d+', target_label: host, replacement: '$1'}}
    - {{source_labels: [__address__], action: hashmod, modulus: 4, target_label: __tmp_shard}}
    - {{source_labels: [__tmp_shard], regex: '0|1|2|3', action: keep}}
    metric_relabel_configs:
    - {{source_labels: [__name__], regex: 'go_gc_.*', action: drop}}
    - {{regex: 'pod_template_hash', action: labeldrop}}
  - name: discovered
    authorization: {{type: Bearer, credentials_file: '{token}'}}
    file_sd_configs: [{{files: ['{sd}'], refresh_interval: 1m}}]
    dns_sd_configs:
    - {{names: [_node._tcp.example.org]}}
    - {{names: [db.example.org], type: A, port: 9100}}
    http_sd_configs:
    - {{url: 'https://sd.example.org/targets', basic_auth: {{username: sd, password_file: '{pw}'}}}}
    kubernetes_sd_configs:
    - {{role: pod, api_server: 'https://k8s.example.org:6443', namespaces: {{names: [monitoring]}}, authorization: {{credentials_file: '{token}'}}, tls_config: {{ca_file: '{ca}'}}}}
    consul_sd_configs:
    - {{server: 'consul.example.org:8500', services: [node], tags: [prod], authorization: {{credentials_file: '{token}'}}}}
    relabel_configs:
    - {{regex: '__meta_kubernetes_pod_label_(.+)', action: labelmap}}
    - {{target_label: env, replacement: prod}}
"#,
        pw = f("db.password"),
        token = f("token"),
        ca = f("ca.pem"),
        cert = f("client.pem"),
        key = f("client.key"),
        sd = f("targets.yml"),
    )
}

/// Write `spec` to `dir/genmon.yaml` and render it into `dir/out`.
fn render_in(dir: &Path, spec: &str) -> std::path::PathBuf {
    let spec_path = dir.join("genmon.yaml");
    std::fs::write(&spec_path, spec).unwrap();
    let out_dir = dir.join("out");
    let out = genmon(dir, &["render", "-f", spec_path.to_str().unwrap(), "-o", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "render failed:\n{}", String::from_utf8_lossy(&out.stderr));
    out_dir
}

#[test]
fn every_scrape_option_passes_promtool_and_reaches_prometheus_yml() {
    let promtool = tool("promtool", "prometheus");
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [
        ("db.password", "s3cret-pw\n"),
        ("token", "s3cret-token\n"),
        ("ca.pem", ""),
        ("client.pem", ""),
        ("client.key", ""),
        ("targets.yml", "- targets: ['db-3:9100']\n  labels: {role: db}\n"),
    ] {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    let out_dir = render_in(dir.path(), &spec(dir.path()));
    let yml = out_dir.join("provisioning/prometheus/prometheus.yml");
    let text = std::fs::read_to_string(&yml).unwrap();
    let cfg: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    // Debian's prometheus (2.42.0+ds) is built without Kubernetes and Consul
    // discovery, so its promtool refuses those two keys; they are checked
    // against Prometheus's documented names below, the rest by promtool.
    let mut debian = cfg.clone();
    for job in debian["scrape_configs"].as_sequence_mut().unwrap() {
        let job = job.as_mapping_mut().unwrap();
        job.remove("kubernetes_sd_configs");
        job.remove("consul_sd_configs");
    }
    let debian_yml = out_dir.join("provisioning/prometheus/debian.yml");
    std::fs::write(&debian_yml, serde_yaml_ng::to_string(&debian).unwrap()).unwrap();
    let check = Command::new(&promtool).args(["check", "config"]).arg(&debian_yml).output().unwrap();
    assert!(
        check.status.success(),
        "promtool check config refused the rendered config:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(stdout.contains("SUCCESS"), "{stdout}");
    assert!(!text.contains("s3cret"), "a secret reached prometheus.yml:\n{text}");
    let jobs = cfg["scrape_configs"].as_sequence().unwrap();
    let job = |name: &str| jobs.iter().find(|j| j["job_name"].as_str() == Some(name)).unwrap().clone();
    let s = job("static-tls");
    assert_eq!(s["scrape_interval"].as_str(), Some("30s"));
    assert_eq!(s["scrape_timeout"].as_str(), Some("20s"));
    assert_eq!(s["metrics_path"].as_str(), Some("/probe"));
    assert_eq!(s["scheme"].as_str(), Some("https"));
    assert_eq!(s["honor_labels"].as_bool(), Some(true));
    assert_eq!(s["params"]["module"][0].as_str(), Some("http_2xx"));
    assert_eq!(s["static_configs"][0]["targets"][1].as_str(), Some("db-2:9100"));
    assert_eq!(s["static_configs"][0]["labels"]["env"].as_str(), Some("prod"));
    assert_eq!(s["basic_auth"]["username"].as_str(), Some("prom"));
    assert!(s["basic_auth"]["password_file"].as_str().unwrap().ends_with("db.password"));
    assert!(s["tls_config"]["key_file"].as_str().unwrap().ends_with("client.key"));
    assert_eq!(s["tls_config"]["server_name"].as_str(), Some("db.internal"));
    assert_eq!(s["relabel_configs"].as_sequence().unwrap().len(), 4);
    assert_eq!(s["relabel_configs"][2]["action"].as_str(), Some("hashmod"));
    assert_eq!(s["relabel_configs"][2]["modulus"].as_u64(), Some(4));
    assert_eq!(s["metric_relabel_configs"][1]["action"].as_str(), Some("labeldrop"));

    let d = job("discovered");
    assert!(d.get("static_configs").is_none(), "a discovery-only job got static_configs: {d:?}");
    assert_eq!(d["authorization"]["type"].as_str(), Some("Bearer"));
    assert!(d["authorization"]["credentials_file"].as_str().unwrap().ends_with("token"));
    assert_eq!(d["file_sd_configs"][0]["refresh_interval"].as_str(), Some("1m"));
    assert_eq!(d["dns_sd_configs"][1]["type"].as_str(), Some("A"));
    assert_eq!(d["dns_sd_configs"][1]["port"].as_u64(), Some(9100));
    assert_eq!(d["http_sd_configs"][0]["url"].as_str(), Some("https://sd.example.org/targets"));
    assert_eq!(
        d["kubernetes_sd_configs"][0]["api_server"].as_str(),
        Some("https://k8s.example.org:6443")
    );
    assert!(d["kubernetes_sd_configs"][0]["authorization"]["credentials_file"].is_string());
    assert!(d["kubernetes_sd_configs"][0]["tls_config"]["ca_file"].is_string());
    assert_eq!(d["consul_sd_configs"][0]["server"].as_str(), Some("consul.example.org:8500"));
    assert_eq!(d["consul_sd_configs"][0]["tags"][0].as_str(), Some("prod"));
    assert_eq!(d["kubernetes_sd_configs"][0]["role"].as_str(), Some("pod"));
    assert_eq!(d["kubernetes_sd_configs"][0]["namespaces"]["names"][0].as_str(), Some("monitoring"));
    assert_eq!(d["consul_sd_configs"][0]["services"][0].as_str(), Some("node"));
    assert_eq!(d["relabel_configs"][0]["action"].as_str(), Some("labelmap"));
}

#[test]
fn inline_secrets_and_unknown_keys_are_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "version: 1\nprometheus:\n  scrape_jobs:\n  - name: db\n    targets: ['db-1:9100']\n    basic_auth: {username: u, password: hunter2}\n    authorization: {credentials: tok}\n    honour_labels: true\n";
    let path = dir.path().join("genmon.yaml");
    std::fs::write(&path, spec).unwrap();
    let out = genmon(dir.path(), &["render", "-f", path.to_str().unwrap(), "-o", "out"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "render accepted an inline password:\n{err}");
    assert!(
        err.contains("unknown key `honour_labels`") && err.contains("genmon.yaml:8:5"),
        "{err}"
    );
    assert!(err.contains("did you mean `honor_labels`?"), "{err}");

    let spec = spec.replace("    honour_labels: true\n", "");
    std::fs::write(&path, &spec).unwrap();
    let out = genmon(dir.path(), &["render", "-f", path.to_str().unwrap(), "-o", "out"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "render accepted an inline password:\n{err}");
    for want in [
        "error[scrape/secret]",
        "genmon.yaml:6:41",
        "prometheus.scrape_jobs[0].basic_auth.password",
        "password_file:",
        "genmon.yaml:7:34",
        "credentials_file:",
    ] {
        assert!(err.contains(want), "missing `{want}` in:\n{err}");
    }
    assert!(!dir.path().join("out").exists(), "a refused spec was rendered");
}

#[test]
fn webhook_http_config_with_secrets_from_files_passes_amtool() {
    let amtool = tool("amtool", "prometheus-alertmanager");
    let dir = tempfile::tempdir().unwrap();
    for name in ["token", "pw", "ca.pem"] {
        std::fs::write(dir.path().join(name), "s3cret\n").unwrap();
    }
    let f = |n: &str| dir.path().join(n).display().to_string();
    let spec = format!(
        "version: 1\nalertmanager:\n  receivers:\n  - name: default\n    webhook:\n    - {{url: 'https://hooks.example.org/a', http_config: {{authorization: {{credentials_file: '{}'}}, tls_config: {{ca_file: '{}'}}}}}}\n    - {{url: 'https://hooks.example.org/b', http_config: {{basic_auth: {{username: am, password_file: '{}'}}}}}}\n",
        f("token"),
        f("ca.pem"),
        f("pw")
    );
    let out_dir = render_in(dir.path(), &spec);
    let yml = out_dir.join("provisioning/alertmanager/alertmanager.yml");
    let check = Command::new(&amtool).arg("check-config").arg(&yml).output().unwrap();
    assert!(
        check.status.success(),
        "amtool check-config refused the rendered config:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let text = std::fs::read_to_string(&yml).unwrap();
    assert!(!text.contains("s3cret"), "{text}");
    let cfg: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let hooks = &cfg["receivers"][0]["webhook_configs"];
    assert!(
        hooks[0]["http_config"]["authorization"]["credentials_file"]
            .as_str()
            .unwrap()
            .ends_with("token"),
        "{text}"
    );
    assert!(
        hooks[0]["http_config"]["tls_config"]["ca_file"]
            .as_str()
            .unwrap()
            .ends_with("ca.pem"),
        "{text}"
    );
    assert_eq!(hooks[1]["http_config"]["basic_auth"]["username"].as_str(), Some("am"), "{text}");
    assert!(
        hooks[1]["http_config"]["basic_auth"]["password_file"]
            .as_str()
            .unwrap()
            .ends_with("pw"),
        "{text}"
    );
}
