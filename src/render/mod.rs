//! Renderers: pure functions from the [`Model`] to file contents. Only
//! [`crate::write`] touches the disk.

pub mod alertmanager;
mod emit;
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

/// A rendered file's bytes, or why the serializer refused the value (never
/// an empty or cut file in its place).
pub type Bytes = Result<Vec<u8>, String>;

/// Code of a file that could not be serialized (a bug in genmon, not the spec).
pub const SERIALIZE: &str = "render/serialize";

/// Serialize to YAML behind the "generated" header: block style, long lines
/// kept whole (no folding, so an expression or a URL reads and greps as one
/// line), multi-line strings as literal blocks.
pub(crate) fn yaml<T: serde::Serialize>(v: &T) -> Bytes {
    // Written after the header in one buffer (no copy of the body).
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(c::GENERATED_HEADER);
    out.push('\n');
    yaml_into(&mut out, v)?;
    Ok(out.into_bytes())
}

/// `v` as YAML, as the generated files write it, after what `out` holds.
///
/// [`emit`] writes what it can (every file of the bench spec, most others);
/// serde-saphyr writes the rest, the same bytes either way. Debug builds
/// write every value both ways and compare.
pub(crate) fn yaml_into<T: serde::Serialize>(out: &mut String, v: &T) -> Result<(), String> {
    #[cfg(debug_assertions)]
    let start = out.len();
    if emit::write(out, v).is_ok() {
        #[cfg(debug_assertions)]
        {
            let mut theirs = String::new();
            saphyr_into(&mut theirs, v).expect("serde-saphyr writes what the fast path wrote");
            assert_eq!(out[start..], theirs, "render::emit and serde-saphyr disagree");
        }
        return Ok(());
    }
    saphyr_into(out, v)
}

/// `v` as YAML by serde-saphyr with the options the generated files use.
fn saphyr_into<T: serde::Serialize>(out: &mut String, v: &T) -> Result<(), String> {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    serde_saphyr::to_fmt_writer_with_options(out, v, options).map_err(|e| format!("YAML: {e}"))
}

/// The file at `path` from `bytes`, or the located error saying it could not be made.
pub(crate) fn artifact(path: PathBuf, bytes: Bytes) -> Result<Artifact, Box<crate::diag::Diagnostic>> {
    match bytes {
        Ok(bytes) => Ok(Artifact { path, bytes }),
        Err(e) => Err(Box::new(
            crate::diag::Diagnostic::error(SERIALIZE, "", format!("{} could not be written: {e}", path.display()))
                .help("this is a bug in genmon, not in your spec: please report it with the spec that caused it"),
        )),
    }
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

/// Render every output, sorted by path; an error names the file that could
/// not be serialized.
pub fn render_all(m: &Model) -> Result<Vec<Artifact>, Box<crate::diag::Diagnostic>> {
    let mut out = render_each(m, |a| a)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Render every output and hand each to `sink` as soon as it is made, on
/// the thread that made it (so `sink` can write the bytes out and free
/// them while the rest still renders); what `sink` returns, in no
/// particular order. An error names the file that could not be serialized.
pub fn render_each<T: Send>(m: &Model, sink: impl Fn(Artifact) -> T + Sync) -> Result<Vec<T>, Box<crate::diag::Diagnostic>> {
    let sink = &sink;
    // One pool of work: the dashboards, rule groups, tests and configs side
    // by side, so no core waits at the end of one kind for the last item of
    // it while the next kind has not begun.
    let (dashboards, (groups, (tests, configs))) = crate::par::join(
        || each(&m.dashboards, sink, |d| (dashboard_path(d), grafana::dashboard(m, d))),
        || {
            crate::par::join(
                || {
                    each(&m.groups, sink, |g| {
                        (
                            PathBuf::from(c::DIR_ALERTS).join(format!("{}.rules.yml", g.name)),
                            rules::group(m, g),
                        )
                    })
                },
                || {
                    crate::par::join(
                        || {
                            each(&m.tests, sink, |t| {
                                (
                                    PathBuf::from(c::DIR_ALERT_TESTS).join(format!("{}.test.yml", t.group)),
                                    tests::file(m, t),
                                )
                            })
                        },
                        || configs(m).into_iter().map(|a| a.map(sink)).collect::<Vec<_>>(),
                    )
                },
            )
        },
    );
    let mut out = Vec::with_capacity(dashboards.len() + groups.len() + tests.len() + configs.len());
    for file in dashboards.into_iter().chain(groups).chain(tests).chain(configs) {
        out.push(file?);
    }
    Ok(out)
}

/// Output files, or the bug that kept one from being written ([`artifact`]).
type Files = Vec<Result<Artifact, Box<crate::diag::Diagnostic>>>;

/// One output file per item (its path and bytes), rendered on all cores and
/// handed to `sink` there.
fn each<T: Send, I: Sync>(
    items: &[I],
    sink: &(impl Fn(Artifact) -> T + Sync),
    file: impl Fn(&I) -> (PathBuf, Bytes) + Sync,
) -> Vec<Result<T, Box<crate::diag::Diagnostic>>> {
    crate::par::map(items, |x| {
        let (path, bytes) = file(x);
        artifact(path, bytes).map(sink)
    })
}

/// The stack's configs: Prometheus (or the engine's files), Alertmanager,
/// the exporter and Grafana's provisioning.
fn configs(m: &Model) -> Files {
    let prov = PathBuf::from(c::DIR_PROVISIONING);
    let mut out = Vec::with_capacity(8);
    match &m.engine {
        None => out.push(artifact(prov.join("prometheus/prometheus.yml"), prometheus::config(m))),
        Some(e) => match engine::files(m, e) {
            Ok(files) => out.extend(files.into_iter().map(Ok)),
            Err(d) => out.push(Err(d)),
        },
    }
    out.push(artifact(prov.join("alertmanager/alertmanager.yml"), alertmanager::config(m)));
    out.push(artifact(prov.join(EXPORTER_CONFIG), exporter::config(m)));
    out.push(artifact(prov.join("grafana/datasources/genmon.yml"), provisioning::datasources(m)));
    out.push(artifact(
        prov.join("grafana/dashboards/genmon.yml"),
        provisioning::dashboards(c::CONTAINER_DASHBOARDS),
    ));
    out
}

#[cfg(test)]
mod tests_serialize {
    use super::*;

    /// A value its serializer refuses (as a map with a non-scalar key would be).
    struct Refused;
    impl serde::Serialize for Refused {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("refused on purpose"))
        }
    }

    /// A value that cannot be serialized is an error naming the file, never
    /// a file holding only the header (which Prometheus would load as empty).
    #[test]
    fn a_refused_value_is_an_error_naming_the_file_not_an_empty_file() {
        let e = yaml(&Refused).expect_err("a refused value must not render");
        assert!(e.contains("refused on purpose"), "{e}");
        let d = artifact(PathBuf::from("alerts/g.rules.yml"), yaml(&Refused)).expect_err("no artifact");
        assert_eq!(d.code, SERIALIZE);
        assert!(
            d.message.contains("alerts/g.rules.yml") && d.message.contains("refused on purpose"),
            "{}",
            d.message
        );
        assert!(d.help.as_deref().is_some_and(|h| h.contains("bug in genmon")), "{:?}", d.help);
        let ok = artifact(PathBuf::from("a.yml"), yaml(&BTreeMapOf::from([("k", "v")]))).expect("a plain map renders");
        assert!(
            String::from_utf8_lossy(&ok.bytes).ends_with("k: v\n"),
            "{:?}",
            String::from_utf8_lossy(&ok.bytes)
        );
    }

    type BTreeMapOf = std::collections::BTreeMap<&'static str, &'static str>;
}
