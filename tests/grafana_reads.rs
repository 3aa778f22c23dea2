//! Dashboards as Grafana's own code reads them (tests/grafana-types/reads.cjs:
//! @grafana/prometheus's annotation support and @grafana/data run on the
//! generated JSON), beside the type check of `real_tools.rs`. Each way a
//! dashboard once type-checked yet did nothing in Grafana is put back into a
//! generated dashboard here, and the reader must reject it.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use serde_json::{Value, json};

fn reads(dir: &Path) -> Output {
    assert!(
        root().join("tests/grafana-types/node_modules/@grafana/prometheus").exists(),
        "Grafana's packages are not installed: run `npm ci --prefix tests/grafana-types` (scripts/test does this)"
    );
    let node = tool("node", "nodejs");
    Command::new(node)
        .arg(root().join("tests/grafana-types/reads.cjs"))
        .arg(dir)
        .output()
        .expect("run node")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn every_generated_dashboard_is_read_as_intended() {
    for spec in specs() {
        let dir = render(&spec);
        let dashboards = dir.path().join("dashboards");
        let n = files(&dashboards, ".json").len();
        let out = reads(&dashboards);
        let t = text(&out);
        assert!(out.status.success(), "{}: {t}", spec.display());
        assert!(t.contains(&format!("{n} dashboards")), "not every dashboard was read:\n{t}");
    }
}

/// Every panel (rows' children included) of a dashboard, mutably.
fn panels(d: &mut Value) -> Vec<&mut Value> {
    fn walk<'a>(ps: &'a mut Value, out: &mut Vec<&'a mut Value>) {
        for p in ps.as_array_mut().into_iter().flatten() {
            if p["type"] == "row" {
                walk(&mut p["panels"], out);
            } else {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&mut d["panels"], &mut out);
    out
}

/// Render `spec`, apply `break_it` to the first dashboard it changes, and
/// return what the reader says.
fn broken(spec: &str, break_it: impl Fn(&mut Value) -> bool) -> String {
    let dir = render(&root().join(spec));
    let dashboards = dir.path().join("dashboards");
    let mut changed = false;
    for f in files(&dashboards, ".json") {
        let mut d: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        if !changed && break_it(&mut d) {
            std::fs::write(&f, serde_json::to_vec_pretty(&d).unwrap()).unwrap();
            changed = true;
        }
    }
    assert!(changed, "{spec}: no dashboard has what this test breaks");
    let out = reads(&dashboards);
    assert!(!out.status.success(), "reader accepted the broken dashboard:\n{}", text(&out));
    text(&out)
}

#[test]
fn an_annotation_with_its_query_inside_target_queries_nothing_in_grafana_11() {
    // genmon's old shape: expr, step and the formats nested in `target`.
    let t = broken("genmon.yaml", |d| {
        let Some(a) = d["annotations"]["list"].as_array_mut().and_then(|l| l.get_mut(1)) else {
            return false;
        };
        let mut target = json!({"refId": "Anno"});
        for k in ["expr", "step", "titleFormat", "textFormat", "tagKeys", "useValueForTime"] {
            if let Some(v) = a.as_object_mut().and_then(|o| o.remove(k)) {
                target[k] = v;
            }
        }
        a["target"] = target;
        true
    });
    assert!(t.contains("Grafana 10-11 read annotation.expr: empty"), "{t}");
    assert!(t.contains("titleFormat not read from the annotation"), "{t}");
}

#[test]
fn a_bar_gauge_in_palette_mode_ignores_its_thresholds() {
    let t = broken("tests/specs/full.yaml", |d| {
        let Some(p) = panels(d).into_iter().find(|p| p["type"] == "bargauge") else {
            return false;
        };
        p["fieldConfig"]["defaults"]["color"]["mode"] = json!("palette-classic");
        true
    });
    assert!(t.contains("type=bargauge") && t.contains("colours by threshold only"), "{t}");
}

#[test]
fn timeseries_thresholds_with_style_off_are_not_drawn() {
    let t = broken("tests/specs/full.yaml", |d| {
        let Some(p) = panels(d).into_iter().find(|p| {
            p["type"] == "timeseries"
                && p["fieldConfig"]["defaults"]["thresholds"]["steps"]
                    .as_array()
                    .is_some_and(|s| s.len() > 1)
        }) else {
            return false;
        };
        p["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] = json!("off");
        true
    });
    assert!(t.contains("thresholdsStyle.mode \"off\": not drawn"), "{t}");
}

#[test]
fn a_stat_sparkline_on_instant_queries_draws_nothing() {
    let t = broken("genmon.yaml", |d| {
        let Some(p) = panels(d)
            .into_iter()
            .find(|p| p["type"] == "stat" && p["targets"][0]["instant"] == true)
        else {
            return false;
        };
        p["options"]["graphMode"] = json!("area");
        true
    });
    assert!(t.contains("graphMode \"area\" on instant queries"), "{t}");
}

#[test]
fn a_bucket_heatmap_needs_a_y_axis_unit() {
    let t = broken("tests/specs/full.yaml", |d| {
        let Some(p) = panels(d).into_iter().find(|p| p["type"] == "heatmap") else {
            return false;
        };
        p["options"]["yAxis"].as_object_mut().map(|o| o.remove("unit")).is_some()
    });
    assert!(t.contains("without options.yAxis.unit"), "{t}");
}
