//! `panel/unit`: units are Grafana unit ids.

use super::units::{UNITS, bucket_unit, is_known};
use super::{Check, Ctx, panels};
use crate::diag::Diagnostic;
use crate::spec::{PanelType, QueryFormat};

pub struct PanelUnit;

const CODE: &str = "panel/unit";
const HEATMAP: &str = "panel/heatmap-unit";

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
        &[
            (CODE, "a unit is not one of Grafana's unit ids"),
            (HEATMAP, "a bucket heatmap's y axis (`le`) has no unit"),
        ]
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
                let signal_unit = p
                    .signal
                    .as_ref()
                    .and_then(|s| cx.spec.signals.get(s))
                    .and_then(|s| s.unit.as_deref());
                let unitless_buckets = p
                    .queries
                    .iter()
                    .any(|q| q.format == QueryFormat::Heatmap && bucket_unit(&q.expr).is_none());
                if p.kind == PanelType::Heatmap && p.unit.is_none() && signal_unit.is_none() && unitless_buckets {
                    out.push(
                        Diagnostic::warning(HEATMAP, format!("{path}.type"), "this bucket heatmap's y axis (`le`) has no unit")
                            .help("set the panel's `unit:` to the histogram's unit (`s`, `bytes`, …)"),
                    );
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
    fn a_bucket_heatmap_without_a_unit_is_flagged_unless_its_name_says_it() {
        let spec = |expr: &str| {
            format!(
                "version: 1\ndashboards:\n- uid: a\n  title: A\n  panels: [{{type: heatmap, queries: [{{expr: '{expr}', format: heatmap}}]}}]\n"
            )
        };
        assert_eq!(
            problems(&PanelUnit, &spec("sum by (le) (rate(queue_depth_bucket[5m]))")),
            vec!["panel/heatmap-unit@dashboards[0].panels[0].type"]
        );
        assert!(problems(&PanelUnit, &spec("sum by (le) (rate(x_seconds_bucket[5m]))")).is_empty());
    }

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
