//! docker-compose.yml, checked without a Docker engine: Debian's
//! `docker-compose config -q` accepts it, and everything it says agrees with
//! the repository (mounted paths exist) and with the generated configs
//! (service names, ports, rule and dashboard paths), images are pinned,
//! ports stay on 127.0.0.1 and Grafana has no default password.

mod common;

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use common::*;
use serde_yaml_ng::Value;

const PASSWORD_VAR: &str = "GRAFANA_ADMIN_PASSWORD";

fn compose() -> Value {
    let text = std::fs::read_to_string(root().join("docker-compose.yml")).expect("docker-compose.yml at the repository root");
    serde_yaml_ng::from_str(&text).expect("docker-compose.yml parses")
}

fn yaml(rel: &str) -> Value {
    let text = std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn services() -> BTreeMap<String, Value> {
    compose()["services"]
        .as_mapping()
        .expect("services")
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), v.clone()))
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| s.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// The spec's `stack:` section (ports), through genmon's own loader.
fn stack() -> genmon::spec::Stack {
    let src = genmon::spec::Source::read(&root().join("genmon.yaml")).unwrap();
    let c = genmon::pipeline::compile(&src, genmon::model::Profile::Compose, false).expect("genmon.yaml compiles");
    c.model.stack
}

/// Port a service listens on inside its container.
fn listen_port(name: &str, svc: &Value) -> u16 {
    if let Some(p) = svc["environment"]["GF_SERVER_HTTP_PORT"].as_str() {
        return p.parse().unwrap();
    }
    let cmd = strings(&svc["command"]);
    let addr = cmd
        .iter()
        .find_map(|a| a.strip_prefix("--web.listen-address="))
        .unwrap_or_else(|| panic!("service {name} sets no --web.listen-address"));
    addr.rsplit_once(':').unwrap().1.parse().unwrap()
}

/// (host, container, options) of each bind/volume mount.
fn mounts(svc: &Value) -> Vec<(String, String, String)> {
    strings(&svc["volumes"])
        .iter()
        .map(|m| {
            let mut parts = m.splitn(3, ':');
            let host = parts.next().unwrap().to_string();
            let cont = parts
                .next()
                .unwrap_or_else(|| panic!("mount {m} has no container path"))
                .to_string();
            (host, cont, parts.next().unwrap_or("").to_string())
        })
        .collect()
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// Map a container path back to the repository through `svc`'s bind mounts.
fn host_path(svc: &Value, container: &Path) -> Option<PathBuf> {
    mounts(svc).into_iter().find_map(|(host, cont, _)| {
        let rest = container.strip_prefix(&cont).ok()?;
        host.strip_prefix("./").map(|rel| root().join(rel).join(rest))
    })
}

fn docker_compose() -> PathBuf {
    for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
        let p = Path::new(dir).join("docker-compose");
        if p.exists() {
            return p;
        }
    }
    panic!(
        "`docker-compose` is not installed; this test validates docker-compose.yml with it: apt-get install docker-compose  (scripts/test does this)"
    );
}

#[test]
fn docker_compose_config_accepts_it() {
    let dc = docker_compose();
    let out = Command::new(&dc)
        .current_dir(root())
        .args(["-f", "docker-compose.yml", "config", "-q"])
        .env(PASSWORD_VAR, "test-only-password")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docker-compose config -q failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn compose_refuses_to_start_without_a_grafana_password() {
    let dc = docker_compose();
    let empty = tempfile::tempdir().unwrap(); // no .env there
    let out = Command::new(&dc)
        .current_dir(root())
        .arg("--project-directory")
        .arg(empty.path())
        .args(["-f"])
        .arg(root().join("docker-compose.yml"))
        .args(["config", "-q"])
        .env_remove(PASSWORD_VAR)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "compose accepted a missing {PASSWORD_VAR}");
    assert!(err.contains(PASSWORD_VAR), "the refusal names the variable: {err}");
}

#[test]
fn no_default_grafana_password_and_no_anonymous_access() {
    let svc = &services()["grafana"];
    let env = &svc["environment"];
    let pw = env["GF_SECURITY_ADMIN_PASSWORD"]
        .as_str()
        .expect("GF_SECURITY_ADMIN_PASSWORD is set from the environment");
    assert!(
        pw.starts_with(&format!("${{{PASSWORD_VAR}:?")),
        "the password must come from ${PASSWORD_VAR} with no default (`:?`), got {pw}"
    );
    assert_eq!(env["GF_AUTH_ANONYMOUS_ENABLED"].as_str(), Some("false"));
    assert!(env["GF_SECURITY_ADMIN_PASSWORD__FILE"].is_null());
    let example = std::fs::read_to_string(root().join(".env.example")).expect(".env.example documents the password");
    let line = example
        .lines()
        .find(|l| l.starts_with(&format!("{PASSWORD_VAR}=")))
        .expect(".env.example has GRAFANA_ADMIN_PASSWORD=");
    assert_eq!(line, format!("{PASSWORD_VAR}="), ".env.example must not carry a password");
    assert!(!root().join(".env").exists() || !is_tracked(".env"), ".env must not be committed");
}

fn is_tracked(path: &str) -> bool {
    Command::new("git")
        .current_dir(root())
        .args(["ls-files", "--error-unmatch", path])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn images_are_pinned() {
    for (name, svc) in services() {
        let image = svc["image"].as_str().unwrap_or_else(|| panic!("service {name} has no image"));
        let last = image.rsplit('/').next().unwrap();
        let tag = last
            .split_once(':')
            .map(|(_, t)| t)
            .unwrap_or_else(|| panic!("{name}: image {image} has no tag"));
        assert!(!tag.is_empty() && tag != "latest", "{name}: image {image} is not pinned");
        assert!(tag.chars().any(|c| c.is_ascii_digit()), "{name}: tag {tag} is not a version");
    }
}

#[test]
fn no_unauthenticated_admin_endpoints() {
    for (name, svc) in services() {
        for a in strings(&svc["command"]) {
            assert!(
                !a.starts_with("--web.enable-lifecycle") && !a.starts_with("--web.enable-admin-api"),
                "{name}: `{a}` opens unauthenticated admin endpoints"
            );
        }
    }
}

#[test]
fn ports_are_published_on_localhost_and_match_the_spec() {
    let s = stack();
    let want = BTreeMap::from([
        ("genmon-exporter", s.exporter_port),
        ("prometheus", s.prometheus_port),
        ("alertmanager", s.alertmanager_port),
        ("grafana", s.grafana_port),
    ]);
    let svcs = services();
    for (name, port) in &want {
        let svc = svcs.get(*name).unwrap_or_else(|| panic!("no service {name}"));
        assert_eq!(listen_port(name, svc), *port, "{name} listens on the spec's port");
        let ports = strings(&svc["ports"]);
        assert_eq!(
            ports,
            vec![format!("127.0.0.1:{port}:{port}")],
            "{name} publishes the spec's port on 127.0.0.1"
        );
    }
    for (name, svc) in &svcs {
        for p in strings(&svc["ports"]) {
            assert!(p.starts_with("127.0.0.1:"), "{name}: port {p} is not bound to 127.0.0.1");
        }
    }
}

#[test]
fn mounted_paths_exist_in_the_repository() {
    for (name, svc) in services() {
        for (host, cont, opts) in mounts(&svc) {
            if let Some(rel) = host.strip_prefix("./") {
                assert!(root().join(rel).exists(), "{name} mounts {host}, which is not in the repository");
                assert!(opts.contains("ro"), "{name}: {host} is mounted writable");
            } else if host.starts_with('/') {
                assert_eq!(
                    (host.as_str(), cont.as_str()),
                    ("/", "/host"),
                    "{name}: unexpected host path {host}"
                );
                assert!(opts.split(',').any(|o| o == "ro"), "the host root is mounted read-only");
            } else {
                let vols = compose()["volumes"].clone();
                assert!(
                    !vols[host.as_str()].is_null() || vols.get(&host).is_some(),
                    "{name}: volume {host} is not declared"
                );
            }
        }
    }
}

#[test]
fn generated_configs_address_the_compose_services() {
    let svcs = services();
    let s = stack();
    // Grafana's datasource → prometheus service.
    let ds = yaml("provisioning/grafana/datasources/genmon.yml");
    assert_eq!(
        ds["datasources"][0]["url"].as_str(),
        Some(format!("http://prometheus:{}", listen_port("prometheus", &svcs["prometheus"])).as_str())
    );
    // Prometheus → Alertmanager, and every scrape target → a service and its port.
    let prom = yaml("provisioning/prometheus/prometheus.yml");
    let am = strings(&prom["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]);
    assert_eq!(am, vec![format!("alertmanager:{}", s.alertmanager_port)]);
    assert_eq!(listen_port("alertmanager", &svcs["alertmanager"]), s.alertmanager_port);
    let mut jobs = 0;
    for job in prom["scrape_configs"].as_sequence().unwrap() {
        for sc in job["static_configs"].as_sequence().into_iter().flatten() {
            for t in strings(&sc["targets"]) {
                let (host, port) = t.rsplit_once(':').unwrap();
                let svc = svcs
                    .get(host)
                    .unwrap_or_else(|| panic!("scrape target {t} is not a compose service"));
                assert_eq!(listen_port(host, svc).to_string(), port, "scrape target {t}");
                jobs += 1;
            }
        }
    }
    assert!(jobs >= 3, "the stack scrapes itself");
}

#[test]
fn prometheus_finds_its_rules_through_the_mounts() {
    let svc = &services()["prometheus"];
    let cmd = strings(&svc["command"]);
    let config = cmd.iter().find_map(|a| a.strip_prefix("--config.file=")).expect("--config.file");
    let host_config = host_path(svc, Path::new(config)).expect("prometheus.yml is mounted from the repository");
    assert_eq!(host_config, root().join("provisioning/prometheus/prometheus.yml"));
    let prom = yaml("provisioning/prometheus/prometheus.yml");
    for pattern in strings(&prom["rule_files"]) {
        let in_container = normalize(&Path::new(config).parent().unwrap().join(&pattern));
        let dir = in_container.parent().unwrap();
        let host_dir = host_path(svc, dir).unwrap_or_else(|| panic!("{pattern} resolves to {}, which is not mounted", dir.display()));
        let rules = files(&host_dir, ".rules.yml");
        assert!(!rules.is_empty(), "{pattern} → {} holds no rules", host_dir.display());
        assert_eq!(host_dir, root().join("alerts"));
    }
    assert!(cmd.iter().any(|a| a == "--storage.tsdb.path=/prometheus"));
}

#[test]
fn grafana_is_provisioned_from_the_committed_folders() {
    let svc = &services()["grafana"];
    let prov = host_path(svc, Path::new("/etc/grafana/provisioning/datasources/genmon.yml")).unwrap();
    assert!(prov.exists(), "datasource provisioning is mounted: {}", prov.display());
    let providers = yaml("provisioning/grafana/dashboards/genmon.yml");
    let path = providers["providers"][0]["options"]["path"].as_str().unwrap();
    assert_eq!(
        providers["providers"][0]["options"]["foldersFromFilesStructure"].as_bool(),
        Some(true)
    );
    assert_eq!(host_path(svc, Path::new(path)), Some(root().join("dashboards")));
    assert!(!files(&root().join("dashboards"), ".json").is_empty());
}

#[test]
fn services_are_healthy_ordered_persistent_and_restart() {
    let c = compose();
    let svcs = services();
    for (name, svc) in &svcs {
        assert!(!strings(&svc["healthcheck"]["test"]).is_empty(), "{name} has no healthcheck");
        assert!(svc["restart"].as_str().is_some(), "{name} has no restart policy");
        if let Some(deps) = svc["depends_on"].as_mapping() {
            for (dep, cond) in deps {
                assert_eq!(cond["condition"].as_str(), Some("service_healthy"), "{name} → {dep:?}");
            }
        }
    }
    assert!(svcs["prometheus"]["depends_on"]["alertmanager"].is_mapping());
    assert!(svcs["grafana"]["depends_on"]["prometheus"].is_mapping());
    for (name, dir) in [
        ("prometheus", "/prometheus"),
        ("alertmanager", "/alertmanager"),
        ("grafana", "/var/lib/grafana"),
    ] {
        let vol = mounts(&svcs[name])
            .into_iter()
            .find(|(_, cont, _)| cont == dir)
            .unwrap_or_else(|| panic!("{name} keeps {dir} in a named volume"))
            .0;
        assert!(
            !vol.starts_with('.') && !vol.starts_with('/'),
            "{name}: {vol} is not a named volume"
        );
        assert!(c["volumes"].get(vol.as_str()).is_some(), "volume {vol} is declared");
    }
    let am = strings(&svcs["alertmanager"]["command"]);
    assert!(
        am.iter().any(|a| a == "--cluster.listen-address="),
        "Alertmanager clustering is off"
    );
}

#[test]
fn the_exporter_sees_the_host_and_reads_the_spec() {
    let svc = &services()["genmon-exporter"];
    assert_eq!(svc["pid"].as_str(), Some("host"));
    let cmd = strings(&svc["command"]);
    assert!(cmd.iter().any(|a| a == "--path.rootfs=/host"));
    let config = cmd.iter().find_map(|a| a.strip_prefix("--config.file=")).expect("--config.file");
    assert_eq!(
        host_path(svc, Path::new(config)),
        Some(root().join("provisioning/exporter/exporter.yml"))
    );
    assert!(svc["build"].as_str().is_some(), "built from the repository's Dockerfile");
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    for needle in ["cargo build --release --locked", "USER ", "HEALTHCHECK", "--health-check"] {
        assert!(dockerfile.contains(needle), "Dockerfile lacks {needle}");
    }
}

/// cargo reads the whole workspace before it fetches or builds anything: the
/// image's build stage must copy every member's crate before `cargo fetch`.
#[test]
fn the_dockerfile_copies_every_workspace_member_before_fetching() {
    let manifest: toml::Table = std::fs::read_to_string(root().join("Cargo.toml")).unwrap().parse().unwrap();
    let members: Vec<&str> = manifest["workspace"]["members"]
        .as_array()
        .expect("the workspace lists its members")
        .iter()
        .filter_map(|m| m.as_str())
        .filter(|m| *m != ".")
        .collect();
    assert!(!members.is_empty(), "genmon's workspace has member crates");
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let fetch = dockerfile.find("cargo fetch").expect("the Dockerfile fetches dependencies first");
    // `COPY <src>... <dest>`: every source before the fetch.
    let copied: Vec<&str> = dockerfile[..fetch]
        .lines()
        .filter_map(|l| l.strip_prefix("COPY "))
        .flat_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words[..words.len().saturating_sub(1)].to_vec()
        })
        .collect();
    for m in members {
        assert!(
            copied.iter().any(|c| {
                let c = c.trim_end_matches('/');
                m == c || m.starts_with(&format!("{c}/"))
            }),
            "the Dockerfile does not copy workspace member {m} before `cargo fetch` (it copies {copied:?})"
        );
    }
}
