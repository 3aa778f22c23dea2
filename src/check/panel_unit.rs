//! `panel/unit`: units are Grafana unit ids.

use super::units::{UNITS, is_known};
use super::{Check, Ctx, panels};
use crate::diag::Diagnostic;

pub struct PanelUnit;

const CODE: &str = "panel/unit";

fn problem(path: String, unit: &str) -> Diagnostic {
    let best = UNITS
        .iter()
        .min_by_key(|u| strsim::levenshtein(u, unit))
        .filter(|u| strsim::levenshtein(u, unit) <= 2.max(unit.len() / 3));
    let d = Diagnostic::error(CODE, path, format!("`{unit}` is not a Grafana unit"));
    match best {
        Some(b) => d.help(format!("did you mean `{b}`? (or a custom unit such as `suffix:{unit}`)")),
        None => d.help(format!(
            "use a Grafana unit id (`bytes`, `s`, `percentunit`, `reqps`, …) or a custom unit such as `suffix:{unit}`"
        )),
    }
}

impl Check for PanelUnit {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[(CODE, "a unit is not one of Grafana's unit ids")]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (name, s) in &cx.spec.signals {
            if let Some(u) = s.unit.as_deref().filter(|u| !is_known(u)) {
                out.push(problem(format!("signals.{name}.unit"), u));
            }
        }
        for (di, d) in cx.spec.dashboards.iter().enumerate() {
            for (path, p) in panels(di, d) {
                if let Some(u) = p.unit.as_deref().filter(|u| !is_known(u)) {
                    out.push(problem(format!("{path}.unit"), u));
                }
                for (oi, o) in p.overrides.iter().enumerate() {
                    if let Some(u) = o.unit.as_deref().filter(|u| !is_known(u)) {
                        out.push(problem(format!("{path}.overrides[{oi}].unit"), u));
                    }
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
    fn flags_unknown_units() {
        let bad = "version: 1\nsignals: {a: {expr: up, unit: percentage}}\ndashboards:\n- uid: a\n  title: A\n  panels: [{queries: [{expr: up}], unit: byte, overrides: [{name: x, unit: sec}]}]\n";
        assert_eq!(
            problems(&PanelUnit, bad),
            vec![
                "panel/unit@signals.a.unit",
                "panel/unit@dashboards[0].panels[0].unit",
                "panel/unit@dashboards[0].panels[0].overrides[0].unit"
            ]
        );
    }

    #[test]
    fn accepts_grafana_and_custom_units() {
        let good = "version: 1\nsignals: {a: {expr: up, unit: percentunit}}\ndashboards:\n- uid: a\n  title: A\n  panels: [{queries: [{expr: up}], unit: 'suffix: req', overrides: [{name: x, unit: bytes}]}]\n";
        assert!(problems(&PanelUnit, good).is_empty());
    }
}
