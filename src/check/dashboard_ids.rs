//! `dashboard/uid`, `dashboard/duplicate-uid`, `dashboard/duplicate-title`,
//! `dashboard/variable-name`: ids Grafana needs unique and well-formed.

use std::collections::{BTreeMap, HashMap};

use super::{Check, Ctx};
use crate::diag::Diagnostic;

pub struct DashboardIds;

const UID: &str = "dashboard/uid";
const DUP_UID: &str = "dashboard/duplicate-uid";
const DUP_TITLE: &str = "dashboard/duplicate-title";
const DUP_VAR: &str = "dashboard/duplicate-variable";

fn uid_ok(uid: &str) -> bool {
    (1..=40).contains(&uid.len()) && uid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Check for DashboardIds {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (UID, "dashboard uid is 1-40 characters of [A-Za-z0-9_-]"),
            (DUP_UID, "two dashboards share a uid"),
            (DUP_TITLE, "two dashboards in one folder share a title"),
            (DUP_VAR, "two variables of a dashboard share a name"),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut uids: HashMap<&str, usize> = HashMap::new();
        let mut titles: BTreeMap<(String, &str), usize> = BTreeMap::new();
        for (i, d) in cx.spec.dashboards.iter().enumerate() {
            if !uid_ok(&d.uid) {
                out.push(
                    Diagnostic::error(
                        UID,
                        format!("dashboards[{i}].uid"),
                        format!("dashboard uid `{}` is not 1-40 characters of letters, digits, `-` and `_`", d.uid),
                    )
                    .help("use a short slug such as `host-overview`"),
                );
            }
            if let Some(first) = uids.insert(&d.uid, i) {
                out.push(
                    Diagnostic::error(
                        DUP_UID,
                        format!("dashboards[{i}].uid"),
                        format!("dashboard uid `{}` is already used by dashboards[{first}]", d.uid),
                    )
                    .help("give each dashboard its own uid"),
                );
            }
            let folder = d.folder.clone().unwrap_or_default();
            if let Some(first) = titles.insert((folder, d.title.as_str()), i) {
                out.push(
                    Diagnostic::error(
                        DUP_TITLE,
                        format!("dashboards[{i}].title"),
                        format!(
                            "dashboard title `{}` is already used by dashboards[{first}] in the same folder",
                            d.title
                        ),
                    )
                    .help("Grafana refuses two dashboards with one title in a folder: rename one or move it"),
                );
            }
            let mut names: HashMap<&str, usize> = HashMap::new();
            for (vi, v) in d.variables.iter().enumerate() {
                if let Some(first) = names.insert(v.name(), vi) {
                    out.push(
                        Diagnostic::error(
                            DUP_VAR,
                            format!("dashboards[{i}].variables[{vi}].name"),
                            format!("variable `{}` is already defined by variables[{first}]", v.name()),
                        )
                        .help("rename or remove one of them"),
                    );
                }
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
    fn flags_bad_and_duplicate_ids() {
        let bad = "version: 1\ndashboards:\n- {uid: 'a b', title: T}\n- {uid: 'a b', title: T}\n- uid: ok\n  title: U\n  variables: [{type: constant, name: x, value: '1'}, {type: constant, name: x, value: '2'}]\n";
        assert_eq!(
            problems(&DashboardIds, bad),
            vec![
                "dashboard/uid@dashboards[0].uid",
                "dashboard/uid@dashboards[1].uid",
                "dashboard/duplicate-uid@dashboards[1].uid",
                "dashboard/duplicate-title@dashboards[1].title",
                "dashboard/duplicate-variable@dashboards[2].variables[1].name",
            ]
        );
        let long = format!("version: 1\ndashboards: [{{uid: {}, title: T}}]\n", "x".repeat(41));
        assert_eq!(problems(&DashboardIds, &long), vec!["dashboard/uid@dashboards[0].uid"]);
    }

    #[test]
    fn accepts_good_ids() {
        let good = "version: 1\ndashboards:\n- {uid: host-overview, title: Hosts}\n- {uid: host_2, title: Hosts, folder: other}\n";
        assert!(problems(&DashboardIds, good).is_empty());
    }
}
