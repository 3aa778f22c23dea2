//! Model → `provisioning/exporter/exporter.yml`, the file genmon-exporter
//! reads: the spec's `exporter:` section plus, with `stack.self_monitoring`,
//! HTTP probes of the stack's own health endpoints, addressed for the target
//! (service names under compose, 127.0.0.1 under `genmon up`). So the probe
//! panels, the probe SLO and the latency alert have data out of the box.

use serde::Serialize;

use crate::conventions as c;
use crate::exporter::config::{ExporterConfig, ProbeConfig};
use crate::model::{Model, Profile};

#[derive(Serialize)]
struct File<'a> {
    exporter: &'a ExporterConfig,
}

/// The stack's own health endpoints: (probe name, service, port, path).
/// Grafana is probed under compose only: `genmon up` runs it only when it is
/// installed, and a missing Grafana must not burn the probe SLO.
fn self_probes(m: &Model) -> Vec<ProbeConfig> {
    let s = &m.stack;
    let url = |service: &str, port: u16, path: &str| format!("http://{}:{port}{path}", m.host(service));
    // With a scaled-out engine there is no Prometheus: probe the engine instead.
    let first = match &m.engine {
        None => (c::SERVICE_PROMETHEUS, url(c::SERVICE_PROMETHEUS, s.prometheus_port, "/-/healthy")),
        Some(e) => (e.kind.dir(), e.health_url()),
    };
    let mut list = vec![
        first,
        (
            c::SERVICE_ALERTMANAGER,
            url(c::SERVICE_ALERTMANAGER, s.alertmanager_port, "/-/healthy"),
        ),
    ];
    if m.profile == Profile::Compose {
        list.push((c::SERVICE_GRAFANA, url(c::SERVICE_GRAFANA, s.grafana_port, "/api/health")));
    }
    list.into_iter()
        .map(|(service, url)| ProbeConfig {
            name: service.to_string(),
            url,
            timeout: None,
            method: None,
            expect_status: None,
            tls_insecure: false,
            ca_file: None,
            body_size_limit: None,
        })
        .collect()
}

/// The exporter's config file.
pub fn config(m: &Model) -> super::Bytes {
    let mut cfg = m.exporter.clone();
    if m.stack.self_monitoring {
        for p in self_probes(m) {
            if !cfg.probes.iter().any(|q| q.name == p.name) {
                cfg.probes.push(p);
            }
        }
    }
    // Unset options stay unset in the file (no `key: null` lines).
    let mut v = serde_json::to_value(File { exporter: &cfg }).map_err(|e| format!("JSON: {e}"))?;
    drop_nulls(&mut v);
    super::yaml(&v)
}

fn drop_nulls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            o.retain(|_, x| !x.is_null());
            o.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::lower;

    fn probes(profile: Profile, yaml: &str) -> Vec<(String, String)> {
        let spec: crate::spec::Spec = serde_yaml_ng::from_str(yaml).unwrap();
        let text = String::from_utf8(config(&lower(&spec, profile)).expect("exporter config")).unwrap();
        let cfg = crate::exporter::config::parse(&text).unwrap();
        cfg.probes.into_iter().map(|p| (p.name, p.url)).collect()
    }

    #[test]
    fn probes_the_stack_where_it_runs() {
        let compose = probes(Profile::Compose, "version: 1\n");
        assert_eq!(
            compose,
            [
                ("prometheus".to_string(), "http://prometheus:9090/-/healthy".to_string()),
                ("alertmanager".into(), "http://alertmanager:9093/-/healthy".into()),
                ("grafana".into(), "http://grafana:3000/api/health".into()),
            ]
        );
        let local = probes(Profile::Local, "version: 1\nstack: {prometheus_port: 19090}\n");
        assert_eq!(local[0].1, "http://127.0.0.1:19090/-/healthy");
        assert_eq!(local.len(), 2, "no Grafana probe under genmon up: {local:?}");
    }

    #[test]
    fn keeps_the_users_probes_and_can_be_turned_off() {
        let own = "version: 1\nexporter: {probes: [{name: prometheus, url: 'http://p:1/'}, {name: web, url: 'https://example.com/'}]}\n";
        let p = probes(Profile::Compose, own);
        assert_eq!(p.iter().filter(|(n, _)| n == "prometheus").count(), 1);
        assert_eq!(p[0].1, "http://p:1/");
        assert!(p.iter().any(|(n, _)| n == "web"));
        let off = probes(Profile::Compose, "version: 1\nstack: {self_monitoring: false}\n");
        assert!(off.is_empty());
    }
}
