//! Typed shapes of Grafana panel JSON, serialized directly (no intermediate
//! `serde_json::Value` maps: rendering thousands of panels is the hot path).
//! Fields are declared in alphabetical order so the bytes match what a sorted
//! map would print. Every option set is complete for its panel type, except
//! a timeseries' `custom` options equal to the plugin's own defaults (see
//! [`TimeseriesCustom`]).

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::model::{Panel, PanelBody, Viz};
use crate::spec::{PanelType, QueryFormat};

/// `{type: prometheus, uid: ${var}}`: `uid` is the datasource variable's
/// reference (`${var}`), spelled once per dashboard ([`ds_uid`]) rather
/// than formatted for each of its panels and queries.
#[derive(Serialize)]
pub struct Ds<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    uid: &'a str,
}

impl<'a> Ds<'a> {
    /// The datasource whose uid is `uid` (see [`ds_uid`]).
    pub fn new(uid: &'a str) -> Ds<'a> {
        Ds { kind: "prometheus", uid }
    }
}

/// The uid panels query through: a reference to the datasource variable `var`, `${var}`.
pub fn ds_uid(var: &str) -> String {
    ["${", var, "}"].concat()
}

#[derive(Serialize)]
struct GridPos {
    h: u32,
    w: u32,
    x: u32,
    y: u32,
}

fn grid(p: &Panel) -> GridPos {
    GridPos {
        h: p.grid.h,
        w: p.grid.w,
        x: p.grid.x,
        y: p.grid.y,
    }
}

/// A row or a visualisation.
#[derive(Serialize)]
#[serde(untagged)]
pub enum PanelJson<'a> {
    Row(RowJson<'a>),
    Viz(Box<VizJson<'a>>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowJson<'a> {
    collapsed: bool,
    grid_pos: GridPos,
    id: u32,
    panels: Vec<PanelJson<'a>>,
    title: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VizJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    datasource: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    field_config: FieldConfig<'a>,
    grid_pos: GridPos,
    id: u32,
    options: Once<'a, Options<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    targets: Option<Vec<Target<'a>>>,
    title: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct FieldConfig<'a> {
    defaults: Defaults<'a>,
    overrides: Vec<Value>,
}

#[derive(Serialize)]
struct Defaults<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    color: Option<Mode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom: Option<Once<'a, Custom>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decimals: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mappings: Option<[(); 0]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thresholds: Option<Thresholds<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'a str>,
}

#[derive(Serialize, PartialEq)]
struct Mode {
    mode: &'static str,
}

#[derive(Serialize)]
struct Thresholds<'a> {
    mode: &'static str,
    steps: Vec<Step<'a>>,
}

/// A threshold step; the base step's `value` is `null` (Grafana's types require it).
#[derive(Serialize)]
struct Step<'a> {
    color: &'a str,
    value: Option<f64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Target<'a> {
    datasource: &'a RawValue,
    editor_mode: &'static str,
    expr: &'a str,
    format: &'static str,
    instant: bool,
    legend_format: &'a str,
    range: bool,
    ref_id: &'a str,
}

#[derive(Serialize, PartialEq)]
#[serde(untagged)]
enum Options<'a> {
    Timeseries(TimeseriesOptions),
    Stat(StatOptions),
    Gauge(GaugeOptions),
    Bargauge(BargaugeOptions),
    Table(TableOptions),
    Heatmap(HeatmapOptions<'a>),
    Text(TextOptions<'a>),
}

#[derive(Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Legend {
    calcs: [(); 0],
    display_mode: &'static str,
    placement: &'static str,
    show_legend: bool,
}

#[derive(Serialize, PartialEq)]
struct Tooltip {
    mode: &'static str,
    sort: &'static str,
}

#[derive(Serialize, PartialEq)]
struct TimeseriesOptions {
    legend: Legend,
    tooltip: Tooltip,
}

#[derive(Serialize, PartialEq)]
struct Reduce {
    calcs: [&'static str; 1],
    fields: &'static str,
    values: bool,
}

const REDUCE: Reduce = Reduce {
    calcs: ["lastNotNull"],
    fields: "",
    values: false,
};

#[derive(Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct StatOptions {
    color_mode: &'static str,
    graph_mode: &'static str,
    justify_mode: &'static str,
    orientation: &'static str,
    percent_change_color_mode: &'static str,
    reduce_options: Reduce,
    show_percent_change: bool,
    text_mode: &'static str,
    wide_layout: bool,
}

#[derive(Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct GaugeOptions {
    min_viz_height: u32,
    min_viz_width: u32,
    orientation: &'static str,
    reduce_options: Reduce,
    show_threshold_labels: bool,
    show_threshold_markers: bool,
    sizing: &'static str,
}

#[derive(Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct BargaugeOptions {
    display_mode: &'static str,
    legend: Legend,
    max_viz_height: u32,
    min_viz_height: u32,
    min_viz_width: u32,
    name_placement: &'static str,
    orientation: &'static str,
    reduce_options: Reduce,
    show_unfilled: bool,
    sizing: &'static str,
    value_mode: &'static str,
}

#[derive(Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Footer {
    count_rows: bool,
    fields: [(); 0],
    reducer: [&'static str; 1],
    show: bool,
}

#[derive(Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct TableOptions {
    cell_height: &'static str,
    footer: Footer,
    frame_index: u32,
    show_header: bool,
}

#[derive(Serialize, PartialEq)]
struct HeatmapColor {
    exponent: f64,
    fill: &'static str,
    mode: &'static str,
    reverse: bool,
    scale: &'static str,
    scheme: &'static str,
    steps: u32,
}

#[derive(Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct HeatmapTooltip {
    mode: &'static str,
    show_color_scale: bool,
    y_histogram: bool,
}

#[derive(Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct YAxis<'a> {
    axis_placement: &'static str,
    reverse: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'a str>,
}

#[derive(Serialize, PartialEq)]
struct Color {
    color: &'static str,
}

#[derive(Serialize, PartialEq)]
struct Le {
    le: f64,
}

#[derive(Serialize, PartialEq)]
struct Show {
    show: bool,
}

#[derive(Serialize, PartialEq)]
struct Layout {
    layout: &'static str,
}

#[derive(Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct HeatmapOptions<'a> {
    calculate: bool,
    cell_gap: u32,
    color: HeatmapColor,
    exemplars: Color,
    filter_values: Le,
    legend: Show,
    rows_frame: Layout,
    show_value: &'static str,
    tooltip: HeatmapTooltip,
    y_axis: YAxis<'a>,
}

#[derive(Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Code {
    language: &'static str,
    show_line_numbers: bool,
    show_mini_map: bool,
}

#[derive(Serialize, PartialEq)]
struct TextOptions<'a> {
    code: Code,
    content: &'a str,
    mode: &'static str,
}

#[derive(Serialize, PartialEq)]
#[serde(untagged)]
enum Custom {
    Timeseries(TimeseriesCustom),
    Table(TableCustom),
    Heatmap(HeatmapCustom),
}

#[derive(Serialize, PartialEq)]
struct HideFrom {
    legend: bool,
    tooltip: bool,
    viz: bool,
}

const HIDE_FROM: HideFrom = HideFrom {
    legend: false,
    tooltip: false,
    viz: false,
};

#[derive(Serialize, PartialEq)]
struct Kind {
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize, PartialEq)]
struct Stacking {
    group: &'static str,
    mode: &'static str,
}

/// A timeseries' `fieldConfig.defaults.custom`: only the options that differ
/// from the timeseries plugin's own defaults. Grafana merges those under the
/// saved ones whenever the panel loads (`PanelPlugin.fieldConfigDefaults` sets
/// every registered option's `defaultValue`; `getPanelOptionsWithDefaults`
/// merges the saved `fieldConfig.defaults` over them: npm `@grafana/data`,
/// panel/). The defaults (Grafana 10.x to 12.x sources: public/app/plugins/panel/
/// timeseries/config.ts `defaultGraphConfig`, @grafana/ui `addAxisConfig`,
/// `addHideFrom`, `addStackingConfig`) are `TIMESERIES_GRAFANA_DEFAULTS` (its test);
/// writing them again made a bench panel 1,957 bytes instead of 1,239.
#[derive(Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct TimeseriesCustom {
    axis_soft_min: u32,
    fill_opacity: u32,
    show_points: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    stacking: Option<Stacking>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thresholds_style: Option<Mode>,
}

/// The timeseries plugin's field-config defaults genmon relies on (see
/// `TimeseriesCustom`), as `(path, JSON value)`.
#[cfg(test)]
const TIMESERIES_GRAFANA_DEFAULTS: &[(&str, &str)] = &[
    ("axisBorderShow", "false"),
    ("axisCenteredZero", "false"),
    ("axisColorMode", r#""text""#),
    ("axisLabel", r#""""#),
    ("axisPlacement", r#""auto""#),
    ("barAlignment", "0"),
    ("drawStyle", r#""line""#),
    ("gradientMode", r#""none""#),
    ("hideFrom", r#"{"legend": false, "tooltip": false, "viz": false}"#),
    ("insertNulls", "false"),
    ("lineInterpolation", r#""linear""#),
    ("lineWidth", "1"),
    ("pointSize", "5"),
    ("scaleDistribution", r#"{"type": "linear"}"#),
    ("spanNulls", "false"),
    ("stacking", r#"{"group": "A", "mode": "none"}"#),
    ("thresholdsStyle", r#"{"mode": "off"}"#),
];

#[derive(Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct TableCustom {
    align: &'static str,
    cell_options: Kind,
    inspect: bool,
}

#[derive(Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct HeatmapCustom {
    hide_from: HideFrom,
    scale_distribution: Kind,
}

fn legend(show: bool) -> Legend {
    Legend {
        calcs: [],
        display_mode: "list",
        placement: "bottom",
        show_legend: show,
    }
}

/// Options and `fieldConfig.defaults.custom` of each panel type, complete.
fn options(v: &Viz) -> (Options<'_>, Option<Custom>) {
    match v.kind {
        PanelType::Timeseries => (
            Options::Timeseries(TimeseriesOptions {
                legend: legend(true),
                tooltip: Tooltip {
                    mode: "multi",
                    sort: "desc",
                },
            }),
            Some(Custom::Timeseries(TimeseriesCustom {
                axis_soft_min: 0,
                fill_opacity: 10,
                show_points: "never",
                stacking: v.stack.then_some(Stacking {
                    group: "A",
                    mode: "normal",
                }),
                // Thresholds a timeseries carries are drawn: shaded when an
                // alert watches them, as lines otherwise (none: the default "off").
                thresholds_style: if v.threshold_lines {
                    Some(Mode { mode: "line+area" })
                } else if v.thresholds.is_empty() {
                    None
                } else {
                    Some(Mode { mode: "line" })
                },
            })),
        ),
        PanelType::Stat => (
            Options::Stat(StatOptions {
                color_mode: "value",
                // A sparkline needs a range query; on instant queries "area" draws nothing.
                graph_mode: if v.queries.iter().all(|q| q.instant) { "none" } else { "area" },
                justify_mode: "auto",
                orientation: "auto",
                percent_change_color_mode: "standard",
                reduce_options: REDUCE,
                show_percent_change: false,
                text_mode: "auto",
                wide_layout: true,
            }),
            None,
        ),
        PanelType::Gauge => (
            Options::Gauge(GaugeOptions {
                min_viz_height: 75,
                min_viz_width: 75,
                orientation: "auto",
                reduce_options: REDUCE,
                show_threshold_labels: false,
                show_threshold_markers: true,
                sizing: "auto",
            }),
            None,
        ),
        PanelType::Bargauge => (
            Options::Bargauge(BargaugeOptions {
                display_mode: "gradient",
                legend: legend(false),
                max_viz_height: 300,
                min_viz_height: 16,
                min_viz_width: 8,
                name_placement: "auto",
                orientation: "horizontal",
                reduce_options: REDUCE,
                show_unfilled: true,
                sizing: "auto",
                value_mode: "color",
            }),
            None,
        ),
        PanelType::Table => (
            Options::Table(TableOptions {
                cell_height: "sm",
                footer: Footer {
                    count_rows: false,
                    fields: [],
                    reducer: ["sum"],
                    show: false,
                },
                frame_index: 0,
                show_header: true,
            }),
            Some(Custom::Table(TableCustom {
                align: "auto",
                cell_options: Kind { kind: "auto" },
                inspect: false,
            })),
        ),
        PanelType::Heatmap => (
            Options::Heatmap(HeatmapOptions {
                calculate: false,
                cell_gap: 1,
                color: HeatmapColor {
                    exponent: 0.5,
                    fill: "dark-orange",
                    mode: "scheme",
                    reverse: false,
                    scale: "exponential",
                    scheme: "Oranges",
                    steps: 64,
                },
                exemplars: Color {
                    color: "rgba(255,0,255,0.7)",
                },
                filter_values: Le { le: 1e-9 },
                legend: Show { show: true },
                rows_frame: Layout { layout: "auto" },
                show_value: "auto",
                tooltip: HeatmapTooltip {
                    mode: "single",
                    show_color_scale: false,
                    y_histogram: false,
                },
                // The y axis of a bucket heatmap is `le`, in the panel's unit.
                y_axis: YAxis {
                    axis_placement: "left",
                    reverse: false,
                    unit: v.unit.as_deref().or_else(|| bucket_unit(v)),
                },
            }),
            Some(Custom::Heatmap(HeatmapCustom {
                hide_from: HIDE_FROM,
                scale_distribution: Kind { kind: "linear" },
            })),
        ),
        PanelType::Text => (
            Options::Text(TextOptions {
                code: Code {
                    language: "plaintext",
                    show_line_numbers: false,
                    show_mini_map: false,
                },
                content: v.content.as_deref().unwrap_or(""),
                mode: "markdown",
            }),
            None,
        ),
    }
}

/// The unit of a bucket heatmap's `le` axis when the panel names none: the
/// base unit its histogram's name ends in (`check` warns when there is none).
fn bucket_unit(v: &Viz) -> Option<&'static str> {
    let q = v.queries.iter().find(|q| q.format == QueryFormat::Heatmap)?;
    crate::check::units::bucket_unit(&q.expr)
}

/// A value a dashboard's panels repeat, serialized once ([`Repeated`]), or
/// serialized where it stands.
#[derive(Serialize)]
#[serde(untagged)]
enum Once<'a, T> {
    Raw(&'a RawValue),
    Typed(T),
}

/// Each distinct `options` and `fieldConfig.defaults.custom` of a dashboard's
/// panels, serialized once: panels of one type with the same settings repeat
/// them (a dashboard of 20 timeseries writes one `options` object 20 times).
/// Written back re-indented (`grafana::Pretty::write_raw_fragment`).
pub struct Repeated<'a> {
    seen: Vec<Seen<'a>>,
}

/// A distinct pair of options and custom field config, and both serialized.
struct Seen<'a> {
    options: Options<'a>,
    custom: Option<Custom>,
    raw_options: Box<RawValue>,
    raw_custom: Option<Box<RawValue>>,
}

impl Seen<'_> {
    fn is(&self, options: &Options, custom: &Option<Custom>) -> bool {
        self.options == *options && self.custom == *custom
    }
}

impl<'a> Repeated<'a> {
    /// Distinct pairs kept (the bench's dashboards have one; all panel
    /// types with every setting, fewer than 20).
    const MOST: usize = 32;

    /// Nothing serialized ahead: every panel serializes its own (the
    /// reference the tests compare [`Repeated::of`] with).
    #[cfg(test)]
    pub fn none() -> Repeated<'a> {
        Repeated { seen: Vec::new() }
    }

    /// The distinct options of `panels` and of the panels in their rows.
    pub fn of(panels: &'a [Panel]) -> Result<Repeated<'a>, String> {
        let mut r = Repeated { seen: Vec::new() };
        r.add(panels)?;
        Ok(r)
    }

    fn add(&mut self, panels: &'a [Panel]) -> Result<(), String> {
        for p in panels {
            match &p.body {
                PanelBody::Row { panels, .. } => self.add(panels)?,
                PanelBody::Viz(v) => {
                    let (o, c) = options(v);
                    // Bounded: each panel is compared with at most this many
                    // (a dashboard of a thousand distinct text panels is not
                    // quadratic); a panel left out serializes its own.
                    if self.seen.len() < Self::MOST && !self.seen.iter().any(|s| s.is(&o, &c)) {
                        let raw_options = super::grafana::raw(&o)?;
                        let raw_custom = c.as_ref().map(super::grafana::raw).transpose()?;
                        self.seen.push(Seen {
                            options: o,
                            custom: c,
                            raw_options,
                            raw_custom,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// `v`'s options and custom field config: serialized already when
    /// [`Repeated::of`] saw an equal pair, else to be serialized in place.
    fn get(&'a self, v: &'a Viz) -> (Once<'a, Options<'a>>, Option<Once<'a, Custom>>) {
        let (o, c) = options(v);
        match self.seen.iter().find(|s| s.is(&o, &c)) {
            Some(s) => (Once::Raw(&s.raw_options), s.raw_custom.as_deref().map(Once::Raw)),
            None => (Once::Typed(o), c.map(Once::Typed)),
        }
    }
}

/// A panel (or row, with its collapsed panels) as Grafana JSON.
/// `ds` is the datasource its queries go through: a [`Ds`] serialized once
/// per dashboard (every panel and query repeats it).
/// `repeated` holds the options its panels repeat ([`Repeated::of`] the
/// dashboard's panels).
pub fn panel<'a>(
    p: &'a Panel,
    ds: &'a RawValue,
    repeated: &'a Repeated<'a>,
    override_: &dyn Fn(&crate::spec::Override) -> Value,
) -> PanelJson<'a> {
    match &p.body {
        PanelBody::Row { collapsed, panels } => PanelJson::Row(RowJson {
            collapsed: *collapsed,
            grid_pos: grid(p),
            id: p.id,
            panels: panels.iter().map(|c| panel(c, ds, repeated, override_)).collect(),
            title: &p.title,
            kind: "row",
        }),
        PanelBody::Viz(v) => PanelJson::Viz(Box::new(viz(p, v, ds, repeated, override_))),
    }
}

fn viz<'a>(
    p: &'a Panel,
    v: &'a Viz,
    ds: &'a RawValue,
    repeated: &'a Repeated<'a>,
    override_: &dyn Fn(&crate::spec::Override) -> Value,
) -> VizJson<'a> {
    let (options, custom) = repeated.get(v);
    let is_text = v.kind == PanelType::Text;
    let color = match v.kind {
        PanelType::Text | PanelType::Heatmap => None, // heatmaps take their colors from `options.color`
        // Stat, gauge and bar gauge colour by threshold only in `thresholds` mode.
        PanelType::Timeseries => Some(Mode { mode: "palette-classic" }),
        _ => Some(Mode { mode: "thresholds" }),
    };
    let thresholds = (!is_text).then(|| {
        let mut steps = vec![Step {
            color: v.base_color.as_deref().unwrap_or("green"),
            value: None,
        }];
        steps.extend(v.thresholds.iter().map(|(value, color)| Step {
            color,
            value: Some(*value),
        }));
        Thresholds { mode: "absolute", steps }
    });
    let targets = (!is_text).then(|| {
        v.queries
            .iter()
            .map(|q| Target {
                datasource: ds,
                editor_mode: "code",
                expr: &q.expr,
                format: match q.format {
                    QueryFormat::TimeSeries => "time_series",
                    QueryFormat::Table => "table",
                    QueryFormat::Heatmap => "heatmap",
                },
                instant: q.instant,
                legend_format: q.legend.as_deref().unwrap_or("__auto"),
                range: !q.instant,
                ref_id: &q.ref_id,
            })
            .collect()
    });
    VizJson {
        datasource: (!is_text).then_some(ds),
        description: v.description.as_deref(),
        field_config: FieldConfig {
            defaults: Defaults {
                color,
                custom,
                decimals: v.decimals,
                mappings: (!is_text).then_some([]),
                max: v.max,
                min: v.min,
                thresholds,
                unit: v.unit.as_deref(),
            },
            overrides: v.overrides.iter().map(override_).collect(),
        },
        grid_pos: grid(p),
        id: p.id,
        options,
        targets,
        title: &p.title,
        kind: v.kind.id(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::*;

    fn viz(stack: bool, thresholds: usize, threshold_lines: bool) -> Viz {
        Viz {
            kind: PanelType::Timeseries,
            description: None,
            queries: Vec::new(),
            unit: None,
            min: None,
            max: None,
            decimals: None,
            thresholds: (0..thresholds).map(|i| (i as f64, "red".to_string())).collect(),
            base_color: None,
            threshold_lines,
            overrides: Vec::new(),
            stack,
            content: None,
            signal: None,
        }
    }

    /// What Grafana reads: the plugin's defaults with the saved options merged over them.
    fn as_grafana_reads(custom: &Value) -> Map<String, Value> {
        let mut merged: Map<String, Value> = TIMESERIES_GRAFANA_DEFAULTS
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::from_str(v).unwrap()))
            .collect();
        for (k, v) in custom.as_object().unwrap() {
            merged.insert(k.clone(), v.clone());
        }
        merged
    }

    #[test]
    fn timeseries_custom_is_read_as_the_full_option_set() {
        // (stack, threshold steps, alert-watched) -> stacking mode, thresholdsStyle mode.
        for (stack, steps, lines, stacking, style) in [
            (false, 0, false, "none", "off"),
            (true, 0, false, "normal", "off"),
            (false, 2, false, "none", "line"),
            (true, 1, true, "normal", "line+area"),
        ] {
            let v = viz(stack, steps, lines);
            let custom = serde_json::to_value(options(&v).1.unwrap()).unwrap();
            let full = json!({
                "axisBorderShow": false, "axisCenteredZero": false, "axisColorMode": "text",
                "axisLabel": "", "axisPlacement": "auto", "axisSoftMin": 0, "barAlignment": 0,
                "drawStyle": "line", "fillOpacity": 10, "gradientMode": "none",
                "hideFrom": {"legend": false, "tooltip": false, "viz": false},
                "insertNulls": false, "lineInterpolation": "linear", "lineWidth": 1, "pointSize": 5,
                "scaleDistribution": {"type": "linear"}, "showPoints": "never", "spanNulls": false,
                "stacking": {"group": "A", "mode": stacking}, "thresholdsStyle": {"mode": style},
            });
            assert_eq!(Value::Object(as_grafana_reads(&custom)), full, "stack={stack} steps={steps}");
            // Nothing written that Grafana would fill in with the same value.
            for (k, d) in TIMESERIES_GRAFANA_DEFAULTS {
                let d: Value = serde_json::from_str(d).unwrap();
                assert_ne!(custom.get(*k), Some(&d), "{k} written with Grafana's own default");
            }
        }
    }
}
