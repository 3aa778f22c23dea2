//! Renderers: pure functions from the [`Model`] to file contents. Only
//! [`crate::write`] touches the disk.

pub mod alertmanager;
pub mod grafana;
pub mod prometheus;
pub mod provisioning;
pub mod rules;
pub mod tests;

use std::path::PathBuf;

use crate::conventions as c;
use crate::model::Model;

/// One output file, path relative to the output root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Serialize to YAML behind the "generated" header.
pub(crate) fn yaml<T: serde::Serialize>(v: &T) -> Vec<u8> {
    let body = serde_yaml_ng::to_string(v).unwrap_or_default();
    format!("{}\n{body}", c::GENERATED_HEADER).into_bytes()
}

/// Directory (relative to `dashboards/`) of a dashboard's folder.
pub fn folder_dir(m: &Model, folder: &str, title: &str) -> Option<String> {
    let _ = m;
    (folder != c::DEFAULT_FOLDER).then(|| title.to_string())
}

/// Render every output, sorted by path.
pub fn render_all(m: &Model) -> Vec<Artifact> {
    let mut out = Vec::new();
    for d in &m.dashboards {
        let mut path = PathBuf::from(c::DIR_DASHBOARDS);
        if let Some(dir) = folder_dir(m, &d.folder, &d.folder_title) {
            path.push(dir);
        }
        path.push(format!("{}.json", d.uid));
        out.push(Artifact {
            path,
            bytes: grafana::dashboard(m, d),
        });
    }
    for g in &m.groups {
        out.push(Artifact {
            path: PathBuf::from(c::DIR_ALERTS).join(format!("{}.rules.yml", g.name)),
            bytes: rules::group(m, g),
        });
    }
    for t in &m.tests {
        out.push(Artifact {
            path: PathBuf::from(c::DIR_ALERT_TESTS).join(format!("{}.test.yml", t.group)),
            bytes: tests::file(m, t),
        });
    }
    let prov = PathBuf::from(c::DIR_PROVISIONING);
    out.push(Artifact {
        path: prov.join("prometheus/prometheus.yml"),
        bytes: prometheus::config(m),
    });
    out.push(Artifact {
        path: prov.join("alertmanager/alertmanager.yml"),
        bytes: alertmanager::config(m),
    });
    out.push(Artifact {
        path: prov.join("grafana/datasources/genmon.yml"),
        bytes: provisioning::datasources(m),
    });
    out.push(Artifact {
        path: prov.join("grafana/dashboards/genmon.yml"),
        bytes: provisioning::dashboards(c::CONTAINER_DASHBOARDS),
    });
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}
