//! `output/path`: every name that becomes a file or folder name under the
//! output root (folder titles, group names) is one plain name: no `..`, no
//! `/`, no leading `.`, no control characters, at most 255 bytes.
//! `output/reserved-uid`: a dashboard would replace one genmon generates.

use std::collections::BTreeSet;

use super::{Check, Ctx};
use crate::conventions as c;
use crate::diag::Diagnostic;
use crate::write::paths::{MAX_NAME_BYTES, component_problem};

pub struct OutputPaths;

const PATH: &str = "output/path";
const RESERVED: &str = "output/reserved-uid";
/// The longest suffix genmon adds to a group name (`<group>.rules.yml`).
const GROUP_SUFFIX: usize = ".rules.yml".len();

fn shown(s: &str) -> String {
    let mut t: String = s.escape_debug().take(80).collect();
    if s.len() > 80 {
        t.push('…');
    }
    t
}

impl Check for OutputPaths {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (PATH, "a name that becomes a file or folder name could leave the output folder"),
            (RESERVED, "a dashboard uid is one genmon uses for its generated dashboards"),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut bad = |path: String, what: &str, name: &str, problem: String| {
            out.push(
                Diagnostic::error(
                    PATH,
                    path,
                    format!("{what} `{}` becomes a folder or file name but {problem}", shown(name)),
                )
                .help("use a plain name: no `/`, `\\`, `..`, leading `.` or control characters, at most 255 bytes"),
            );
        };
        let folders = &cx.spec.grafana.folders;
        for (key, title) in folders {
            if let Some(p) = component_problem(title) {
                bad(format!("grafana.folders.{key}"), "folder title", title, p);
            }
        }
        let mut seen = BTreeSet::new();
        for (i, d) in cx.spec.dashboards.iter().enumerate() {
            if let Some(f) = &d.folder
                && f != c::DEFAULT_FOLDER
                && !folders.contains_key(f)
                && seen.insert(f)
                && let Some(p) = component_problem(f)
            {
                bad(format!("dashboards[{i}].folder"), "folder", f, p);
            }
        }
        for (gi, g) in cx.spec.rules.iter().enumerate() {
            if g.name.len() + GROUP_SUFFIX > MAX_NAME_BYTES {
                bad(
                    format!("rules[{gi}].name"),
                    "group name",
                    &g.name,
                    format!(
                        "is {} bytes long; at most {} fit in a file name",
                        g.name.len(),
                        MAX_NAME_BYTES - GROUP_SUFFIX
                    ),
                );
            }
        }
        for (i, d) in cx.spec.dashboards.iter().enumerate() {
            if d.uid == c::DASHBOARD_ALERTS || d.uid == c::DASHBOARD_SLOS {
                out.push(
                    Diagnostic::error(
                        RESERVED,
                        format!("dashboards[{i}].uid"),
                        format!(
                            "uid `{}` is the uid of a dashboard genmon generates; this one would replace it",
                            d.uid
                        ),
                    )
                    .help("choose another uid"),
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn flags_escaping_folders_long_groups_and_reserved_uids() {
        let long = "g".repeat(250);
        let yaml = format!(
            "version: 1\ngrafana: {{folders: {{t: /etc/evil, u: ok}}}}\ndashboards:\n- {{uid: a, title: A, folder: ../../x}}\n- {{uid: b, title: B, folder: t}}\n- {{uid: slos, title: S, folder: u}}\nrules:\n- {{name: {long}}}\n"
        );
        assert_eq!(
            problems(&OutputPaths, &yaml),
            [
                "output/path@grafana.folders.t",
                "output/path@dashboards[0].folder",
                "output/path@rules[0].name",
                "output/reserved-uid@dashboards[2].uid"
            ]
        );
    }

    #[test]
    fn accepts_plain_names() {
        let yaml = "version: 1\ngrafana: {folders: {t: Team A}}\ndashboards:\n- {uid: a, title: A, folder: t}\n- {uid: b, title: B, folder: infra}\nrules:\n- {name: g.1}\n";
        assert!(problems(&OutputPaths, yaml).is_empty());
    }
}
