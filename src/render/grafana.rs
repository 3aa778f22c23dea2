//! Model → classic Grafana dashboard JSON (file-provisionable): no `id`, no
//! `__inputs`, no explicit nulls, full option sets per panel type (timeseries
//! `custom` options Grafana defaults to the same value are left out).

use serde::Serialize;
use serde_json::{Value, json};

use super::panel_json::{self, PanelJson};
use crate::conventions as c;
use crate::model::{Dashboard, Model};
use crate::spec::Variable;

/// Top-level dashboard JSON; fields in alphabetical order (see `panel_json`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DashboardJson<'a> {
    annotations: List,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    editable: bool,
    fiscal_year_start_month: u8,
    graph_tooltip: u8,
    links: Vec<Value>,
    panels: Vec<PanelJson<'a>>,
    refresh: &'a str,
    schema_version: u32,
    tags: Vec<&'a str>,
    templating: Variables<'a>,
    time: TimeJson<'a>,
    timepicker: Empty,
    timezone: &'static str,
    title: &'a str,
    uid: &'a str,
    version: u32,
    week_start: &'static str,
}

#[derive(Serialize)]
struct List {
    list: Vec<Value>,
}

#[derive(Serialize)]
struct Variables<'a> {
    list: Vec<VariableJson<'a>>,
}

#[derive(Serialize)]
struct TimeJson<'a> {
    from: &'a str,
    to: &'a str,
}

#[derive(Serialize)]
struct Empty {}

/// Render one dashboard to pretty JSON bytes.
pub fn dashboard(m: &Model, d: &Dashboard) -> super::Bytes {
    dashboard_with(m, d, panel_json::Repeated::of(&d.panels)?)
}

/// [`dashboard`], with the options its panels repeat serialized ahead.
fn dashboard_with<'a>(m: &'a Model, d: &'a Dashboard, repeated: panel_json::Repeated<'a>) -> super::Bytes {
    // Every panel, query, annotation and variable queries through `${var}`.
    let ds_uid = panel_json::ds_uid(&d.datasource_var);
    let ds_uid = ds_uid.as_str();
    let ds = raw(&panel_json::Ds::new(ds_uid))?;
    let mut tags: Vec<&str> = d.tags.iter().map(String::as_str).collect();
    if !tags.contains(&c::GENERATED_TAG) {
        tags.push(c::GENERATED_TAG);
    }
    let doc = DashboardJson {
        annotations: List {
            list: annotations(d, ds_uid),
        },
        description: d.description.as_deref(),
        editable: false,
        fiscal_year_start_month: 0,
        graph_tooltip: 1,
        links: d.links.iter().map(link).collect(),
        panels: d.panels.iter().map(|p| panel_json::panel(p, &ds, &repeated, &override_)).collect(),
        refresh: &d.refresh,
        schema_version: c::SCHEMA_VERSION,
        tags,
        templating: Variables {
            list: d.variables.iter().map(|v| variable(m, v, ds_uid)).collect(),
        },
        time: TimeJson {
            from: &d.time_from,
            to: &d.time_to,
        },
        timepicker: Empty {},
        timezone: "browser",
        title: &d.title,
        uid: &d.uid,
        version: 1,
        week_start: "",
    };
    // About 1.6 kB a panel: one allocation instead of a dozen doublings.
    let mut out = pretty(&doc, 4096 + 2048 * d.panels.len())?;
    out.push(b'\n');
    Ok(out)
}

/// `v` as pretty JSON ([`Pretty`]), into a buffer of `capacity` bytes.
fn pretty(v: &impl Serialize, capacity: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(capacity);
    v.serialize(&mut serde_json::Serializer::with_formatter(&mut out, Pretty::default()))
        .map_err(|e| format!("JSON: {e}"))?;
    Ok(out)
}

/// `v` serialized once, to be written wherever it repeats (re-indented by
/// [`Pretty::write_raw_fragment`]).
pub(super) fn raw(v: &impl Serialize) -> Result<Box<serde_json::value::RawValue>, String> {
    let text = String::from_utf8(pretty(v, 64)?).map_err(|e| format!("JSON: {e}"))?;
    serde_json::value::RawValue::from_string(text).map_err(|e| format!("JSON: {e}"))
}

/// The Prometheus datasource, through the dashboard's datasource variable
/// (`ds_uid`, its reference: [`panel_json::ds_uid`]).
fn ds(ds_uid: &str) -> Value {
    json!(panel_json::Ds::new(ds_uid))
}

fn annotations(d: &Dashboard, ds_uid: &str) -> Vec<Value> {
    let mut list = vec![json!({
        "builtIn": 1,
        "datasource": {"type": "grafana", "uid": "-- Grafana --"},
        "enable": true,
        "hide": true,
        "iconColor": "rgba(0, 211, 255, 1)",
        "name": "Annotations & Alerts",
        "type": "dashboard"
    })];
    if !d.alert_names.is_empty() {
        let names = d.alert_names.join("|");
        // Grafana 10-11 run Prometheus annotations through the legacy runner,
        // which reads `expr`, `step`, `titleFormat`, `tagKeys`, `textFormat`
        // and `useValueForTime` from the annotation itself; Grafana 12+'s
        // `prepareAnnotation` moves `expr`/`step` into `target` and still
        // reads the rest from the annotation. So they all live at the top
        // level, as Grafana 11 saves them (tests/grafana-types/reads.cjs).
        list.push(json!({
            "datasource": ds(ds_uid),
            "enable": true,
            "expr": format!("ALERTS{{alertstate=\"firing\", alertname=~\"{names}\"}}"),
            "hide": false,
            "iconColor": "red",
            "name": "Firing alerts",
            "step": "60s",
            "tagKeys": "severity",
            "textFormat": "{{severity}}",
            "titleFormat": "{{alertname}}",
            "useValueForTime": false
        }));
    }
    list
}

fn link(l: &crate::spec::Link) -> Value {
    json!({
        "title": l.title,
        "type": if l.url.is_some() { "link" } else { "dashboards" },
        "url": l.url.clone().unwrap_or_default(),
        "tags": l.tags,
        "icon": if l.url.is_some() { "external link" } else { "dashboard" },
        "tooltip": "",
        "asDropdown": l.url.is_none(),
        "targetBlank": l.url.is_some(),
        "includeVars": l.keep_time,
        "keepTime": l.keep_time,
    })
}

/// A dashboard variable as Grafana saves it. The datasource and query
/// variables (one of each on most dashboards) are typed, their fields in the
/// order a sorted map prints them; the rarer kinds stay JSON values.
#[derive(Serialize)]
#[serde(untagged)]
enum VariableJson<'a> {
    Datasource(DatasourceVar<'a>),
    Query(Box<QueryVar<'a>>),
    Other(Value),
}

/// A variable's selected text and value: one, or a list of one (`multi`).
#[derive(Serialize)]
struct Current<'a> {
    text: Shown<'a>,
    value: Shown<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Shown<'a> {
    One(&'a str),
    List([&'a str; 1]),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DatasourceVar<'a> {
    current: Current<'a>,
    hide: u8,
    label: Option<&'a str>,
    name: &'a str,
    options: [(); 0],
    query: &'static str,
    refresh: u8,
    regex: &'static str,
    skip_url_sync: bool,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueryVar<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    all_value: Option<&'a str>,
    current: Current<'a>,
    datasource: panel_json::Ds<'a>,
    hide: u8,
    include_all: bool,
    label: Option<&'a str>,
    multi: bool,
    name: &'a str,
    options: [(); 0],
    query: VarQuery<'a>,
    refresh: u8,
    regex: &'a str,
    skip_url_sync: bool,
    sort: u8,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VarQuery<'a> {
    qry_type: u8,
    query: &'a str,
    ref_id: &'static str,
}

fn variable<'a>(m: &'a Model, v: &'a Variable, ds_uid: &'a str) -> VariableJson<'a> {
    match v {
        Variable::Datasource { name, label } => VariableJson::Datasource(DatasourceVar {
            current: Current {
                text: Shown::One(&m.grafana.datasource.name),
                value: Shown::One(&m.grafana.datasource.uid),
            },
            hide: 0,
            label: label.as_deref(),
            name,
            options: [],
            query: "prometheus",
            refresh: 1,
            regex: "",
            skip_url_sync: false,
            kind: "datasource",
        }),
        Variable::Query {
            name,
            label,
            query,
            multi,
            include_all,
            all_value,
            regex,
        } => {
            // A multi-value variable selects "All" as a list of one; with
            // nothing selected, either kind shows an empty string.
            let (text, value) = if *include_all { ("All", "$__all") } else { ("", "") };
            let shown = |s| if *multi && *include_all { Shown::List([s]) } else { Shown::One(s) };
            VariableJson::Query(Box::new(QueryVar {
                all_value: include_all.then(|| all_value.as_deref().unwrap_or(".*")),
                current: Current {
                    text: shown(text),
                    value: shown(value),
                },
                datasource: panel_json::Ds::new(ds_uid),
                hide: 0,
                include_all: *include_all,
                label: label.as_deref(),
                multi: *multi,
                name,
                options: [],
                query: VarQuery {
                    qry_type: 1,
                    query,
                    ref_id: "PrometheusVariableQueryEditor-VariableQuery",
                },
                refresh: 2,
                regex: regex.as_deref().unwrap_or_default(),
                skip_url_sync: false,
                sort: 1,
                kind: "query",
            }))
        }
        Variable::Custom {
            name,
            label,
            values,
            multi,
            include_all,
            default,
        } => {
            let selected = default.clone().or_else(|| values.first().cloned()).unwrap_or_default();
            let mut options: Vec<Value> = Vec::new();
            if *include_all {
                options.push(json!({"text": "All", "value": "$__all", "selected": false}));
            }
            options.extend(values.iter().map(|v| json!({"text": v, "value": v, "selected": *v == selected})));
            let current = if *multi {
                json!({"text": [selected], "value": [selected]})
            } else {
                json!({"text": selected, "value": selected})
            };
            let mut o = json!({
                "type": "custom", "name": name, "label": label,
                "query": values.join(","), "multi": multi, "includeAll": include_all,
                "current": current, "options": options, "hide": 0, "skipUrlSync": false,
            });
            if *include_all && let Some(o) = o.as_object_mut() {
                o.insert("allValue".into(), json!(".*"));
            }
            VariableJson::Other(o)
        }
        Variable::Interval {
            name,
            label,
            values,
            default,
        } => {
            let selected = default
                .clone()
                .or_else(|| values.first().cloned())
                .map(|d| d.to_string())
                .unwrap_or_default();
            VariableJson::Other(json!({
                "type": "interval", "name": name, "label": label,
                "query": values.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(","),
                "current": {"text": selected, "value": selected},
                "options": values.iter().map(|d| json!({"text": d.to_string(), "value": d.to_string(), "selected": d.to_string() == selected})).collect::<Vec<_>>(),
                "refresh": 2, "hide": 0, "skipUrlSync": false,
            }))
        }
        Variable::Constant { name, value } => VariableJson::Other(json!({
            "type": "constant", "name": name, "query": value,
            "current": {"text": value, "value": value},
            "options": [{"text": value, "value": value, "selected": true}],
            "hide": 2, "skipUrlSync": false,
        })),
    }
}

fn override_(ov: &crate::spec::Override) -> Value {
    let matcher = match (&ov.name, &ov.regex) {
        (Some(n), _) => json!({"id": "byName", "options": n}),
        (None, Some(r)) => json!({"id": "byRegexp", "options": r}),
        _ => json!({"id": "byName", "options": ""}),
    };
    let mut props = Vec::new();
    if let Some(u) = &ov.unit {
        props.push(json!({"id": "unit", "value": u}));
    }
    if let Some(col) = &ov.color {
        props.push(json!({"id": "color", "value": {"mode": "fixed", "fixedColor": col}}));
    }
    if let Some(n) = &ov.display_name {
        props.push(json!({"id": "displayName", "value": n}));
    }
    if ov.right_axis {
        props.push(json!({"id": "custom.axisPlacement", "value": "right"}));
    }
    json!({"matcher": matcher, "properties": props})
}

/// `serde_json`'s `PrettyFormatter` (two-space indent), byte for byte, but
/// each line break and its indentation written at once: a dashboard is
/// ~100 000 short lines, and the indentation a few bytes at a time was a
/// tenth of writing it.
#[derive(Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
    /// Raw fragments already moved to a depth, by the fragment's address,
    /// length and that depth: a dashboard writes its datasource a hundred
    /// times at two depths. The fragments outlive the serialization that
    /// writes them (the document borrows them), so an address names one.
    moved: Vec<((usize, usize, usize), Vec<u8>)>,
}

impl Pretty {
    /// An array or object opens one level deeper.
    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// It closes on a line of its own unless empty.
    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(w, true)?;
        }
        w.write_all(bracket)
    }

    /// `,\n` (or `\n` when `first`) and the indentation of the current depth.
    fn line<W: ?Sized + std::io::Write>(&self, w: &mut W, first: bool) -> std::io::Result<()> {
        const LINE: &[u8; 130] = b",\n                                                                                                                                ";
        let start = usize::from(first);
        match LINE.get(start..2 + 2 * self.depth) {
            Some(l) => w.write_all(l),
            None => {
                w.write_all(&LINE[start..2])?;
                (0..self.depth).try_for_each(|_| w.write_all(b"  "))
            }
        }
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.line(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.line(w, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    /// A value serialized once by this formatter at depth 0 (a subtree that
    /// repeats, [`panel_json::Ds`]), moved to the current depth: every line
    /// after the first is indented two spaces per level more. JSON text has
    /// no raw line break inside a string, so each `\n` is a line break.
    fn write_raw_fragment<W: ?Sized + std::io::Write>(&mut self, w: &mut W, fragment: &str) -> std::io::Result<()> {
        let key = (fragment.as_ptr() as usize, fragment.len(), self.depth);
        if let Some((_, bytes)) = self.moved.iter().find(|(k, _)| *k == key) {
            return w.write_all(bytes);
        }
        let b = fragment.as_bytes();
        let mut moved = Vec::with_capacity(b.len() + 64);
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', b) {
            moved.extend_from_slice(&b[start..nl]);
            self.line(&mut moved, true)?;
            start = nl + 1;
        }
        moved.extend_from_slice(&b[start..]);
        w.write_all(&moved)?;
        self.moved.push((key, moved));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dashboard whose panels' repeated options are serialized once prints
    /// what it prints with every panel serialized in place: every panel
    /// type, its settings both ways, panels in rows, twice over.
    #[test]
    fn repeated_options_print_as_each_panel_would() {
        let panels = "
      - {title: TS, queries: [{expr: up}]}
      - {title: Stacked, stack: true, queries: [{expr: up}]}
      - {title: Lines, thresholds: [{value: 1, color: red}], queries: [{expr: up}]}
      - {title: Watched, signal: up_ratio}
      - {title: Stat, type: stat, queries: [{expr: up}]}
      - {title: Instant stat, type: stat, queries: [{expr: up, instant: true}]}
      - {title: Gauge, type: gauge, queries: [{expr: up}]}
      - {title: Bars, type: bargauge, queries: [{expr: up}]}
      - {title: Table, type: table, queries: [{expr: up, instant: true, format: table}]}
      - {title: Heat, type: heatmap, unit: s, queries: [{expr: 'sum by (le) (rate(x_bucket[5m]))', format: heatmap}]}
      - {title: Heat2, type: heatmap, queries: [{expr: 'sum by (le) (rate(y_seconds_bucket[5m]))', format: heatmap}]}
      - {title: Note, type: text, content: 'a'}
      - {title: Note2, type: text, content: 'b'}";
        // More distinct panels than `Repeated` keeps: the rest serialize their own.
        let extra: String = (0..40)
            .map(|i| format!("\n      - {{title: T{i}, type: text, content: 'c{i}'}}"))
            .collect();
        let text = format!(
            "version: 1\nmetrics: {{external: ['x_*', 'y_*']}}\nalerting: {{runbook_base_url: 'https://r.example.com/'}}\n\
             signals:\n  up_ratio: {{expr: 'avg(up)', thresholds: {{warning: 0.5}}}}\n\
             rules:\n  - name: g\n    alerts: [{{name: Low, threshold: {{signal: up_ratio, op: '<', value: warning}}, for: 5m, severity: warning}}]\n\
             dashboards:\n  - uid: d\n    title: D\n    panels:{panels}{panels}{extra}\n    \
             rows:\n      - title: R\n        collapsed: true\n        panels:{}\n",
            panels.replace("\n      -", "\n          -")
        );

        let src = crate::spec::Source {
            name: "genmon.yaml".into(),
            text,
        };
        let m = crate::pipeline::compile(&src, crate::model::Profile::Local, false)
            .unwrap_or_else(|d| panic!("{d:?}"))
            .model;
        let d = m.dashboards.iter().find(|d| d.uid == "d").unwrap();
        let once = dashboard(&m, d).unwrap();
        let in_place = dashboard_with(&m, d, panel_json::Repeated::none()).unwrap();
        assert!(String::from_utf8_lossy(&once).matches("\"type\": \"heatmap\"").count() >= 6);
        assert_eq!(String::from_utf8(once).unwrap(), String::from_utf8(in_place).unwrap());
    }

    /// A subtree serialized once and written as a raw fragment prints what
    /// the subtree itself prints, at any depth, in objects and arrays.
    #[test]
    fn raw_fragments_print_as_the_values_they_hold() {
        /// A tree holding either the raw fragment or the value itself.
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Tree<'a> {
            Raw(&'a serde_json::value::RawValue),
            Value(&'a Value),
            Object(std::collections::BTreeMap<&'static str, Tree<'a>>),
            Array(Vec<Tree<'a>>),
        }
        let print = |t: &Tree| String::from_utf8(pretty(t, 0).unwrap()).unwrap();
        let subs = [
            json!({"type": "prometheus", "uid": "${ds}"}),
            json!({"a": {"b": [1, {"c": "line\nbreak \"q\""}], "e": {}}, "f": []}),
            json!([]),
            json!({}),
            json!("x\ny"),
            json!([[1], {"k": null}]),
        ];
        for sub in &subs {
            let raw = raw(sub).unwrap();
            // The same tree twice: with the fragment, and with the value.
            fn nest<'a>(leaf: &dyn Fn() -> Tree<'a>, depth: usize, print: &dyn Fn(&Tree) -> String) -> String {
                let mut t = Tree::Array(Vec::new());
                for d in 0..depth {
                    t = if d % 2 == 0 {
                        Tree::Object([("k", t), ("s", leaf()), ("z", Tree::Array(vec![leaf()]))].into())
                    } else {
                        Tree::Array(vec![t, leaf(), Tree::Object([("n", leaf())].into())])
                    };
                }
                print(&t)
            }
            // Depths 0 to 70: past the 64 levels `Pretty::line` writes at once.
            for depth in [0, 1, 2, 3, 7, 31, 32, 33, 70] {
                let got = nest(&|| Tree::Raw(&raw), depth, &print);
                let want = nest(&|| Tree::Value(sub), depth, &print);
                assert_eq!(got, want, "depth {depth}, {sub}");
            }
        }
    }

    /// The typed datasource and query variables print byte for byte what
    /// they printed as `json!` maps (sorted keys), in every combination of
    /// their options.
    #[test]
    fn typed_variables_print_as_the_json_maps_did() {
        fn as_map(m: &Model, v: &Variable, ds_uid: &str) -> Value {
            match v {
                Variable::Datasource { name, label } => json!({
                    "type": "datasource", "name": name, "label": label,
                    "query": "prometheus", "current": {"text": &m.grafana.datasource.name, "value": &m.grafana.datasource.uid},
                    "options": [], "hide": 0, "refresh": 1, "regex": "", "skipUrlSync": false,
                }),
                Variable::Query {
                    name,
                    label,
                    query,
                    multi,
                    include_all,
                    all_value,
                    regex,
                } => {
                    let (text, value) = if *include_all {
                        (json!(["All"]), json!(["$__all"]))
                    } else {
                        (json!(""), json!(""))
                    };
                    let mut o = json!({
                        "type": "query", "name": name, "label": label,
                        "datasource": ds(ds_uid),
                        "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery", "qryType": 1},
                        "refresh": 2, "multi": multi, "includeAll": include_all,
                        "current": if *multi { json!({"text": text, "value": value}) } else {
                            json!({"text": if *include_all {"All"} else {""}, "value": if *include_all {"$__all"} else {""}})
                        },
                        "options": [], "sort": 1, "hide": 0, "regex": regex.clone().unwrap_or_default(), "skipUrlSync": false,
                    });
                    if *include_all && let Some(o) = o.as_object_mut() {
                        o.insert("allValue".into(), json!(all_value.clone().unwrap_or_else(|| ".*".into())));
                    }
                    o
                }
                _ => unreachable!("only the typed kinds are compared"),
            }
        }
        let src = crate::spec::Source {
            name: "genmon.yaml".into(),
            text: "version: 1\ndashboards: [{uid: d, title: D, panels: [{title: Up, queries: [{expr: up}]}]}]\n".into(),
        };
        let m = crate::pipeline::compile(&src, crate::model::Profile::Local, false).unwrap().model;
        let opt = |b: bool, s: &str| b.then(|| s.to_string());
        let mut vars = Vec::new();
        for label in [None, Some("Data \"source\"".to_string())] {
            vars.push(Variable::Datasource {
                name: "ds".into(),
                label: label.clone(),
            });
            for bits in 0..16u8 {
                vars.push(Variable::Query {
                    name: "instance".into(),
                    label: label.clone(),
                    query: "label_values(up, instance)".into(),
                    multi: bits & 1 != 0,
                    include_all: bits & 2 != 0,
                    all_value: opt(bits & 4 != 0, "a|b"),
                    regex: opt(bits & 8 != 0, "/.*:8443/"),
                });
            }
        }
        for v in &vars {
            let text = |bytes: Result<Vec<u8>, String>| String::from_utf8(bytes.unwrap()).unwrap();
            let want = text(pretty(&as_map(&m, v, "${ds}"), 0));
            assert_eq!(text(pretty(&variable(&m, v, "${ds}"), 0)), want, "{v:?}");
        }
    }

    /// Byte for byte what `serde_json::to_vec_pretty` writes, at every depth
    /// (past the 64 levels written at once too), empty collections included.
    #[test]
    fn pretty_is_serde_jsons_pretty_printer() {
        let mut deep = json!({"leaf": [1, {"a": []}, {}, "x\n\"y\""]});
        for i in 0..70 {
            deep = if i % 2 == 0 {
                json!([deep, null, i])
            } else {
                json!({"k": deep, "e": {}, "n": [[]]})
            };
        }
        for v in [
            json!(null),
            json!([]),
            json!({}),
            json!([[], {}]),
            json!({"a": {"b": [1, 2.5, true]}}),
            deep,
        ] {
            let ours = pretty(&v, 0).unwrap();
            let theirs = serde_json::to_vec_pretty(&v).unwrap();
            assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(theirs).unwrap());
        }
    }
}
