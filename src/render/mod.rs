//! Renderers: pure functions from the [`Model`] to file contents. Only
//! [`crate::write`] touches the disk.

pub mod alertmanager;
pub mod engine;
pub mod exporter;
pub mod grafana;
pub mod kubernetes;
mod panel_json;
pub mod prometheus;
pub mod provisioning;
pub mod rules;
pub mod tests;

use std::path::PathBuf;

use crate::conventions as c;
use crate::model::Model;

/// genmon-exporter's config file, under `provisioning/`.
pub const EXPORTER_CONFIG: &str = "exporter/exporter.yml";

/// One output file, path relative to the output root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Serialize to YAML behind the "generated" header: block style, long lines
/// kept whole (no folding, so an expression or a URL reads and greps as one
/// line), multi-line strings as literal blocks.
pub(crate) fn yaml<T: serde::Serialize>(v: &T) -> Vec<u8> {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    // Written after the header in one buffer (no copy of the body).
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(c::GENERATED_HEADER);
    out.push('\n');
    let header = out.len();
    if serde_saphyr::to_fmt_writer_with_options(&mut out, v, options).is_err() {
        out.truncate(header);
    }
    out.into_bytes()
}

/// Directory (relative to `dashboards/`) of a dashboard's folder.
pub fn folder_dir(folder: &str, title: &str) -> Option<String> {
    (folder != c::DEFAULT_FOLDER).then(|| title.to_string())
}

/// Path of a dashboard's JSON, relative to the output root.
pub fn dashboard_path(d: &crate::model::Dashboard) -> PathBuf {
    let mut path = PathBuf::from(c::DIR_DASHBOARDS);
    if let Some(dir) = folder_dir(&d.folder, &d.folder_title) {
        path.push(dir);
    }
    path.push(format!("{}.json", d.uid));
    path
}

/// Render every output, sorted by path.
pub fn render_all(m: &Model) -> Vec<Artifact> {
    let mut out = crate::par::map(&m.dashboards, |d| Artifact {
        path: dashboard_path(d),
        bytes: grafana::dashboard(m, d),
    });
    out.extend(crate::par::map(&m.groups, |g| Artifact {
        path: PathBuf::from(c::DIR_ALERTS).join(format!("{}.rules.yml", g.name)),
        bytes: rules::group(m, g),
    }));
    out.extend(crate::par::map(&m.tests, |t| Artifact {
        path: PathBuf::from(c::DIR_ALERT_TESTS).join(format!("{}.test.yml", t.group)),
        bytes: tests::file(m, t),
    }));
    let prov = PathBuf::from(c::DIR_PROVISIONING);
    match &m.engine {
        None => out.push(Artifact {
            path: prov.join("prometheus/prometheus.yml"),
            bytes: prometheus::config(m),
        }),
        Some(e) => out.extend(engine::files(m, e)),
    }
    out.push(Artifact {
        path: prov.join("alertmanager/alertmanager.yml"),
        bytes: alertmanager::config(m),
    });
    out.push(Artifact {
        path: prov.join(EXPORTER_CONFIG),
        bytes: exporter::config(m),
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
