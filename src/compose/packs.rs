//! Built-in packs: spec fragments compiled into the binary (`packs/*.yaml`
//! in the repository), used with `packs: [node, prometheus]`. A pack's
//! selectors carry a `%selector%` placeholder that the `selector` setting
//! fills; its tunable values are its signals' threshold levels.

use std::sync::Arc;

use super::{Applied, Composed, Part, codes, include::load_fragment, suggest};
use crate::diag::Diagnostic;
use crate::spec::{PackSettings, PackUse, Source, Spec};

/// A built-in pack.
pub struct Pack {
    pub name: &'static str,
    /// What it monitors (for docs and `--help`).
    pub about: &'static str,
    pub text: &'static str,
}

/// Every built-in pack.
pub static PACKS: &[Pack] = &[
    Pack {
        name: "node",
        about: "hosts: dashboard and alerts on node_exporter's metrics (genmon-exporter exports them too)",
        text: include_str!("../../packs/node.yaml"),
    },
    Pack {
        name: "prometheus",
        about: "Prometheus' self-monitoring: dashboard and alerts on its own metrics",
        text: include_str!("../../packs/prometheus.yaml"),
    },
    Pack {
        name: "alertmanager",
        about: "Alertmanager's self-monitoring: notifications, config reloads, cluster",
        text: include_str!("../../packs/alertmanager.yaml"),
    },
    Pack {
        name: "blackbox",
        about: "probes: dashboard and alerts on blackbox_exporter's probe_* metrics",
        text: include_str!("../../packs/blackbox.yaml"),
    },
    Pack {
        name: "genmon",
        about: "genmon-exporter itself: up, collectors, probe latency and availability",
        text: include_str!("../../packs/genmon.yaml"),
    },
];

/// The placeholder in a pack's selectors that the `selector` setting fills.
pub const SELECTOR: &str = "%selector%";

/// The pack's text with `selector` (label matchers, may be empty) filled in.
pub fn instantiate(text: &str, selector: &str) -> String {
    let sel = selector.trim().trim_end_matches(',').trim();
    if sel.is_empty() {
        text.replace(&format!("{{{SELECTOR}}}"), "").replace(SELECTOR, "")
    } else {
        text.replace(&format!("{{{SELECTOR}}}"), &format!("{{{sel}}}"))
            .replace(SELECTOR, &format!("{sel}, "))
    }
}

/// Load the packs every part uses, appending them to `parts` and `specs`.
pub(super) fn load_packs(parts: &mut Vec<Part>, specs: &mut Vec<Spec>, applied: &mut Vec<Applied>, diags: &mut Vec<Diagnostic>) {
    let mut used: Vec<(String, usize, String)> = Vec::new();
    for by in 0..specs.len() {
        if parts[by].pack.is_some() {
            continue;
        }
        for (i, u) in specs[by].packs.clone().iter().enumerate() {
            let s = u.settings();
            let path = match u {
                PackUse::Name(_) => format!("packs[{i}]"),
                PackUse::With(_) => format!("packs[{i}].name"),
            };
            let err = |parts: &[Part], path: String, msg: String, help: String| {
                Composed::diag_at(parts, by, Diagnostic::error(codes::PACK, path, msg).help(help))
            };
            let Some(pack) = PACKS.iter().find(|p| p.name == s.name) else {
                diags.push(err(
                    parts,
                    path,
                    format!("unknown pack `{}`", s.name),
                    suggest(&s.name, PACKS.iter().map(|p| p.name)),
                ));
                continue;
            };
            if let Some((_, p, first)) = used.iter().find(|(n, ..)| *n == s.name) {
                let there = format!("{} ({first})", parts[*p].source.name);
                diags.push(err(
                    parts,
                    path,
                    format!("pack `{}` is used twice (also at {there})", s.name),
                    "use each pack once; change its alerts with `overrides:`".into(),
                ));
                continue;
            }
            used.push((s.name.clone(), by, path.clone()));
            let selector = s.selector.clone().unwrap_or_default();
            if !selector.trim().is_empty() && promql_parser::parser::parse(&format!("up{{{selector}}}")).is_err() {
                diags.push(err(
                    parts,
                    format!("packs[{i}].selector"),
                    format!("`{selector}` is not a list of label matchers"),
                    "write matchers as in a PromQL selector, e.g. `job=\"node\"` or `job=~\"node|db\", env=\"prod\"`".into(),
                ));
                continue;
            }
            let source = Arc::new(Source {
                name: format!("packs/{}.yaml (built-in)", pack.name),
                text: instantiate(pack.text, &selector),
            });
            let idx = parts.len();
            let Some(mut spec) = load_fragment(&source, idx, by, parts, Some(pack.name.to_string()), diags) else {
                continue;
            };
            settle(&mut spec, &s, i, by, parts, applied, diags);
            specs.push(spec);
        }
    }
}

/// Apply a pack's `folder`, `selector` and `thresholds` settings to its spec.
fn settle(spec: &mut Spec, s: &PackSettings, i: usize, by: usize, parts: &[Part], applied: &mut Vec<Applied>, diags: &mut Vec<Diagnostic>) {
    if let Some(f) = &s.folder {
        for d in &mut spec.dashboards {
            d.folder = Some(f.clone());
            applied.push(Applied {
                kind: "dashboard",
                name: d.uid.clone(),
                field: "folder".into(),
                value: f.clone(),
                part: by,
                path: format!("packs[{i}].folder"),
            });
        }
    }
    if let Some(sel) = s.selector.as_ref().filter(|s| !s.trim().is_empty()) {
        for name in spec.signals.keys() {
            applied.push(Applied {
                kind: "signal",
                name: name.clone(),
                field: "selector".into(),
                value: sel.clone(),
                part: by,
                path: format!("packs[{i}].selector"),
            });
        }
    }
    for (sig, levels) in &s.thresholds {
        let path = format!("packs[{i}].thresholds.{sig}");
        let Some(signal) = spec.signals.get_mut(sig) else {
            let tunable = spec
                .signals
                .iter()
                .filter(|(_, x)| !x.thresholds.is_empty())
                .map(|(n, _)| n.as_str());
            diags.push(Composed::diag_at(
                parts,
                by,
                Diagnostic::error(
                    codes::PACK,
                    path,
                    format!("pack `{}` has no signal `{sig}` with thresholds", s.name),
                )
                .help(suggest(sig, tunable)),
            ));
            continue;
        };
        for (level, v) in levels {
            let lpath = format!("{path}.{level}");
            match signal.thresholds.get_mut(level) {
                Some(old) => {
                    *old = *v;
                    applied.push(Applied {
                        kind: "signal",
                        name: sig.clone(),
                        field: format!("thresholds.{level}"),
                        value: v.to_string(),
                        part: by,
                        path: lpath,
                    });
                }
                None => diags.push(Composed::diag_at(
                    parts,
                    by,
                    Diagnostic::error(
                        codes::PACK,
                        lpath,
                        format!("signal `{sig}` of pack `{}` has no threshold level `{level}`", s.name),
                    )
                    .help(suggest(level, signal.thresholds.keys().map(String::as_str))),
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selector_fills_every_placeholder() {
        let t = "a{%selector%mode=\"idle\"} / b{%selector%} + c";
        assert_eq!(instantiate(t, ""), "a{mode=\"idle\"} / b + c");
        assert_eq!(
            instantiate(t, "job=\"node\""),
            "a{job=\"node\", mode=\"idle\"} / b{job=\"node\"} + c"
        );
        assert_eq!(
            instantiate(t, " job=\"node\", "),
            "a{job=\"node\", mode=\"idle\"} / b{job=\"node\"} + c"
        );
    }

    #[test]
    fn every_pack_is_a_spec_that_loads_with_and_without_a_selector() {
        for p in PACKS {
            for sel in ["", "job=\"x\""] {
                let src = Source {
                    name: format!("{}.yaml", p.name),
                    text: instantiate(p.text, sel),
                };
                assert!(!src.text.contains(SELECTOR));
                let l = crate::spec::load(&src).unwrap_or_else(|e| panic!("pack {} does not load: {e:?}", p.name));
                assert!(
                    !l.spec.rules.is_empty() && !l.spec.dashboards.is_empty(),
                    "pack {} is empty",
                    p.name
                );
            }
        }
    }
}
