//! Model → classic Grafana dashboard JSON (file-provisionable): no `id`, no
//! `__inputs`, no explicit nulls, full option sets per panel type.

use serde_json::{Map, Value, json};

use crate::conventions as c;
use crate::model::{Dashboard, Model, Panel, PanelBody, Viz};
use crate::spec::{PanelType, QueryFormat, Variable};

/// Render one dashboard to pretty JSON bytes.
pub fn dashboard(m: &Model, d: &Dashboard) -> Vec<u8> {
    let var = d.datasource_var.as_str();
    let mut tags = d.tags.clone();
    if !tags.iter().any(|t| t == c::GENERATED_TAG) {
        tags.push(c::GENERATED_TAG.to_string());
    }
    let mut obj = json!({
        "uid": d.uid,
        "title": d.title,
        "tags": tags,
        "editable": false,
        "graphTooltip": 1,
        "fiscalYearStartMonth": 0,
        "refresh": d.refresh,
        "schemaVersion": c::SCHEMA_VERSION,
        "time": {"from": d.time_from, "to": d.time_to},
        "timepicker": {},
        "timezone": "browser",
        "version": 1,
        "weekStart": "",
        "annotations": {"list": annotations(d, var)},
        "links": d.links.iter().map(link).collect::<Vec<_>>(),
        "templating": {"list": d.variables.iter().map(|v| variable(m, v, var)).collect::<Vec<_>>()},
        "panels": d.panels.iter().map(|p| panel(p, var)).collect::<Vec<_>>(),
    });
    if let (Some(desc), Some(o)) = (&d.description, obj.as_object_mut()) {
        o.insert("description".into(), json!(desc));
    }
    let mut out = serde_json::to_vec_pretty(&obj).unwrap_or_default();
    out.push(b'\n');
    out
}

/// The Prometheus datasource, through the dashboard's datasource variable.
fn ds(var: &str) -> Value {
    json!({"type": "prometheus", "uid": format!("${{{var}}}")})
}

fn annotations(d: &Dashboard, var: &str) -> Vec<Value> {
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
        list.push(json!({
            "datasource": ds(var),
            "enable": true,
            "hide": false,
            "iconColor": "red",
            "name": "Firing alerts",
            "target": {
                "refId": "Anno",
                "expr": format!("ALERTS{{alertstate=\"firing\", alertname=~\"{names}\"}}"),
                "step": "60s",
                "titleFormat": "{{alertname}}",
                "textFormat": "{{severity}}",
                "tagKeys": "severity",
                "useValueForTime": false
            }
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

fn variable(m: &Model, v: &Variable, var: &str) -> Value {
    match v {
        Variable::Datasource { name, label } => {
            let ds_name = &m.spec.grafana.datasource.name;
            let ds_uid = &m.spec.grafana.datasource.uid;
            json!({
                "type": "datasource", "name": name, "label": label.clone().unwrap_or_else(|| name.clone()),
                "query": "prometheus", "current": {"text": ds_name, "value": ds_uid},
                "options": [], "hide": 0, "refresh": 1, "regex": "", "skipUrlSync": false,
            })
        }
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
                "type": "query", "name": name, "label": label.clone().unwrap_or_else(|| name.clone()),
                "datasource": ds(var),
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
                "type": "custom", "name": name, "label": label.clone().unwrap_or_else(|| name.clone()),
                "query": values.join(","), "multi": multi, "includeAll": include_all,
                "current": current, "options": options, "hide": 0, "skipUrlSync": false,
            });
            if *include_all && let Some(o) = o.as_object_mut() {
                o.insert("allValue".into(), json!(".*"));
            }
            o
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
            json!({
                "type": "interval", "name": name, "label": label.clone().unwrap_or_else(|| name.clone()),
                "query": values.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(","),
                "current": {"text": selected, "value": selected},
                "options": values.iter().map(|d| json!({"text": d.to_string(), "value": d.to_string(), "selected": d.to_string() == selected})).collect::<Vec<_>>(),
                "refresh": 2, "hide": 0, "skipUrlSync": false,
            })
        }
        Variable::Constant { name, value } => json!({
            "type": "constant", "name": name, "query": value,
            "current": {"text": value, "value": value},
            "options": [{"text": value, "value": value, "selected": true}],
            "hide": 2, "skipUrlSync": false,
        }),
    }
}

fn grid(p: &Panel) -> Value {
    json!({"x": p.grid.x, "y": p.grid.y, "w": p.grid.w, "h": p.grid.h})
}

fn panel(p: &Panel, var: &str) -> Value {
    match &p.body {
        PanelBody::Row { collapsed, panels } => json!({
            "type": "row", "id": p.id, "title": p.title, "gridPos": grid(p),
            "collapsed": collapsed, "panels": panels.iter().map(|p| panel(p, var)).collect::<Vec<_>>(),
        }),
        PanelBody::Viz(v) => viz(p, v, var),
    }
}

fn reduce() -> Value {
    json!({"calcs": ["lastNotNull"], "fields": "", "values": false})
}

fn hide_from() -> Value {
    json!({"legend": false, "tooltip": false, "viz": false})
}

/// Options and `fieldConfig.defaults.custom` of each panel type, complete.
fn options(v: &Viz) -> (Value, Option<Value>) {
    match v.kind {
        PanelType::Timeseries => (
            json!({
                "legend": {"displayMode": "list", "placement": "bottom", "showLegend": true, "calcs": []},
                "tooltip": {"mode": "multi", "sort": "desc"},
            }),
            Some(json!({
                "drawStyle": "line", "lineInterpolation": "linear", "lineWidth": 1, "fillOpacity": 10,
                "gradientMode": "none", "showPoints": "never", "pointSize": 5, "spanNulls": false,
                "insertNulls": false, "barAlignment": 0,
                "axisPlacement": "auto", "axisLabel": "", "axisCenteredZero": false, "axisColorMode": "text",
                "axisBorderShow": false, "axisSoftMin": 0,
                "scaleDistribution": {"type": "linear"},
                "stacking": {"mode": if v.stack { "normal" } else { "none" }, "group": "A"},
                "hideFrom": hide_from(),
                "thresholdsStyle": {"mode": if v.threshold_lines { "line+area" } else { "off" }},
            })),
        ),
        PanelType::Stat => (
            json!({
                "reduceOptions": reduce(), "orientation": "auto", "textMode": "auto", "colorMode": "value",
                "graphMode": "area", "justifyMode": "auto", "wideLayout": true, "showPercentChange": false, "percentChangeColorMode": "standard",
            }),
            None,
        ),
        PanelType::Gauge => (
            json!({
                "reduceOptions": reduce(), "orientation": "auto", "showThresholdLabels": false,
                "showThresholdMarkers": true, "sizing": "auto", "minVizWidth": 75, "minVizHeight": 75,
            }),
            None,
        ),
        PanelType::Bargauge => (
            json!({
                "reduceOptions": reduce(), "orientation": "horizontal", "displayMode": "gradient",
                "valueMode": "color", "namePlacement": "auto", "showUnfilled": true, "sizing": "auto",
                "minVizWidth": 8, "minVizHeight": 16, "maxVizHeight": 300,
                "legend": {"displayMode": "list", "placement": "bottom", "showLegend": false, "calcs": []},
            }),
            None,
        ),
        PanelType::Table => (
            json!({
                "showHeader": true, "cellHeight": "sm", "frameIndex": 0,
                "footer": {"show": false, "reducer": ["sum"], "countRows": false, "fields": []},
            }),
            Some(json!({"align": "auto", "cellOptions": {"type": "auto"}, "inspect": false})),
        ),
        PanelType::Heatmap => (
            json!({
                "calculate": false, "cellGap": 1, "showValue": "auto",
                "color": {"mode": "scheme", "scheme": "Oranges", "fill": "dark-orange", "scale": "exponential", "exponent": 0.5, "steps": 64, "reverse": false},
                "yAxis": {"axisPlacement": "left", "reverse": false},
                "rowsFrame": {"layout": "auto"},
                "tooltip": {"mode": "single", "yHistogram": false, "showColorScale": false},
                "legend": {"show": true},
                "exemplars": {"color": "rgba(255,0,255,0.7)"},
                "filterValues": {"le": 1e-9},
            }),
            Some(json!({"hideFrom": hide_from(), "scaleDistribution": {"type": "linear"}})),
        ),
        PanelType::Text => (
            json!({
                "mode": "markdown", "content": v.content.clone().unwrap_or_default(),
                "code": {"language": "plaintext", "showLineNumbers": false, "showMiniMap": false},
            }),
            None,
        ),
    }
}

fn viz(p: &Panel, v: &Viz, var: &str) -> Value {
    let (opts, custom) = options(v);
    let mut defaults = Map::new();
    if v.kind != PanelType::Text {
        // Heatmaps take their colors from `options.color`.
        if v.kind != PanelType::Heatmap {
            let mode = if matches!(v.kind, PanelType::Timeseries | PanelType::Bargauge) {
                "palette-classic"
            } else {
                "thresholds"
            };
            defaults.insert("color".into(), json!({"mode": mode}));
        }
        let mut steps = vec![json!({"color": v.base_color.as_deref().unwrap_or("green"), "value": null})];
        steps.extend(v.thresholds.iter().map(|(value, color)| json!({"color": color, "value": value})));
        defaults.insert("thresholds".into(), json!({"mode": "absolute", "steps": steps}));
        defaults.insert("mappings".into(), json!([]));
    }
    if let Some(u) = &v.unit {
        defaults.insert("unit".into(), json!(u));
    }
    if let Some(x) = v.min {
        defaults.insert("min".into(), json!(x));
    }
    if let Some(x) = v.max {
        defaults.insert("max".into(), json!(x));
    }
    if let Some(x) = v.decimals {
        defaults.insert("decimals".into(), json!(x));
    }
    if let Some(cu) = custom {
        defaults.insert("custom".into(), cu);
    }
    let overrides: Vec<Value> = v.overrides.iter().map(override_).collect();
    let mut o = json!({
        "type": v.kind.id(),
        "id": p.id,
        "title": p.title,
        "gridPos": grid(p),
        "options": opts,
        "fieldConfig": {"defaults": defaults, "overrides": overrides},
    });
    let map = o.as_object_mut().expect("object");
    if let Some(d) = &v.description {
        map.insert("description".into(), json!(d));
    }
    if v.kind != PanelType::Text {
        map.insert("datasource".into(), ds(var));
        let targets: Vec<Value> = v
            .queries
            .iter()
            .map(|q| {
                json!({
                    "refId": q.ref_id,
                    "datasource": ds(var),
                    "expr": q.expr,
                    "legendFormat": q.legend.clone().unwrap_or_else(|| "__auto".into()),
                    "range": !q.instant,
                    "instant": q.instant,
                    "editorMode": "code",
                    "format": match q.format { QueryFormat::TimeSeries => "time_series", QueryFormat::Table => "table", QueryFormat::Heatmap => "heatmap" },
                })
            })
            .collect();
        map.insert("targets".into(), json!(targets));
    }
    o
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
