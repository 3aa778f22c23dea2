//! Alert kinds → recording rules, alert drafts and generated test cases.
//!
//! Every signal an alert watches is recorded once as `signal:<name>:value`;
//! alerts and derived recordings read that series. Generated promtool tests
//! drive that recorded series (or the SLO's recorded error ratios) directly:
//! they test the alert's logic (thresholds, windows, `for`, labels and
//! annotations), not the signal's own PromQL. SLO tests feed raw counters.

mod absent;
mod anomaly;
mod exhaustion;
mod health;
pub mod raw;
mod regression;
pub mod slo;

pub use crate::conventions::{kebab, signal_record, snake};
mod threshold;

pub use slo::{LABEL_SLO, SLO_BUDGET_REMAINING, SLO_OBJECTIVE, slo_burn_panel, slo_group, slo_name, slo_ratio_record};

use std::collections::BTreeMap;

use crate::spec::{self, Baseline, Direction, Duration, Op, Severity, Spec, ThresholdValue, Worse};

/// Test series values are one sample per minute.
pub(crate) const STEP: u64 = 60;

/// A generated recording rule.
#[derive(Debug, Clone)]
pub struct Rec {
    pub record: String,
    pub expr: String,
    pub labels: BTreeMap<String, String>,
}

/// How an alert finds the panel that shows it.
#[derive(Debug, Clone)]
pub enum LinkKey {
    Signal(String),
    Expr(String),
    /// `(dashboard uid, panel title)` of a generated dashboard.
    Panel(String, String),
    /// The first panel that queries this metric (`up` for target-down alerts).
    Metric(String),
    None,
}

/// A generated test case: inputs, when to look, and what fires then
/// (labels of the alert's sample and its `$value`).
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub inputs: Vec<(String, String)>,
    pub eval: u64,
    pub fires: Vec<(BTreeMap<String, String>, f64)>,
    /// The same case as raw input series of the signal's own PromQL, when
    /// genmon can build them ([`Raw::build`]); `inputs` drive the recorded
    /// series instead.
    pub raw: Raw,
}

/// A signal, the labels of its test series (shared by a case's parts) and its value.
pub type RawPart = (String, std::sync::Arc<BTreeMap<String, String>>, f64);

/// How to make a case's raw input series: a recipe, followed only for an
/// alert whose tests can use them (its group records everything it reads),
/// so the other alerts never pay for inverting their signals' PromQL.
#[derive(Debug, Clone)]
pub struct Raw {
    /// The kind's own: [`raw::constant_inputs`] of each signal, with those
    /// labels, at that value, joined in order.
    parts: Option<Vec<RawPart>>,
    /// Samples per series.
    n: u64,
    /// No two parts may write the same series.
    distinct: bool,
    /// Else: the series driving `signal:<this>:value` in the case's
    /// inputs, from the signal's own PromQL ([`raw_of_recorded`]).
    recorded: Option<String>,
}

impl Raw {
    /// No raw series.
    pub const NONE: Raw = Raw {
        parts: None,
        n: 0,
        distinct: false,
        recorded: None,
    };

    /// The signals' series at these values, `n` samples each; with
    /// `distinct`, none if two parts would write the same series.
    pub fn constant(parts: Vec<RawPart>, n: u64, distinct: bool) -> Raw {
        Raw {
            parts: Some(parts),
            n,
            distinct,
            recorded: None,
        }
    }

    /// The raw series of a case whose recorded inputs are `inputs`, if
    /// genmon can build them.
    pub fn build(&self, spec: &Spec, inputs: &[(String, String)]) -> Option<Vec<(String, String)>> {
        let own = self.parts.as_ref().and_then(|parts| {
            let mut out: Vec<(String, String)> = Vec::new();
            for (signal, labels, v) in parts {
                for s in raw::constant_inputs(spec, signal, labels, *v, self.n)? {
                    if self.distinct && out.iter().any(|o| o.0 == s.0) {
                        return None;
                    }
                    out.push(s);
                }
            }
            Some(out)
        });
        own.or_else(|| raw_of_recorded(spec, self.recorded.as_deref()?, inputs))
    }
}

/// An alert before annotations and links are resolved.
#[derive(Debug, Clone)]
pub struct Draft {
    pub name: String,
    pub expr: String,
    pub for_: Option<Duration>,
    pub severity: Option<Severity>,
    pub summary: String,
    pub description: String,
    pub link: LinkKey,
    /// Generated test cases; empty for raw `expr` alerts.
    pub cases: Vec<Case>,
}

/// What one spec alert expands to.
#[derive(Debug, Clone, Default)]
pub struct Expansion {
    /// A generated group holding everything (SLOs), instead of the alert's group.
    pub own_group: Option<String>,
    pub recs: Vec<Rec>,
    pub drafts: Vec<Draft>,
    /// Signals whose `signal:<name>:value` recording this alert needs.
    pub signals: Vec<String>,
    /// Recorded series where low values are bad, with the level the alert fires below.
    pub low_is_bad: Vec<(String, Option<f64>)>,
    /// Titles of generated panels that draw their thresholds as lines.
    pub threshold_line_panels: Vec<String>,
}

/// `v` as rules, tests and messages spell it: an integer without a point,
/// anything else rounded to 11 significant digits, which rounds away binary
/// noise (0.1 * 3 → 0.3). A render spells thousands of numbers, so the
/// common spellings take no `format!`: an integer is written directly, and a
/// number whose shortest spelling has 11 significant digits or fewer
/// already is its own rounding.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return (v as i64).to_string();
    }
    let shortest = v.to_string();
    if significant_digits(&shortest) <= 11 {
        return shortest;
    }
    let r: f64 = format!("{v:.10e}").parse().unwrap_or(v);
    r.to_string()
}

/// Significant digits of a number as `f64`'s `Display` spells it (never
/// with an exponent: `0.0000001`, `120000000000000000000`).
fn significant_digits(s: &str) -> usize {
    let digits = s.trim_start_matches('-').trim_start_matches(['0', '.']);
    match digits.contains('.') {
        true => digits.len() - 1,
        false => digits.trim_end_matches('0').len(),
    }
}

/// Labels a signal's result keeps, when its outermost aggregation says so.
/// Every alert on a signal asks several times: each expression is parsed once
/// per thread (memoized by its text, so never stale; at most 4,096 kept).
pub fn signal_labels(spec: &Spec, signal: &str) -> Option<Vec<String>> {
    thread_local!(static MEMO: PerExpr<Option<Vec<String>>> = PerExpr::default());
    let expr = &spec.signals.get(signal)?.expr;
    per_expr(&MEMO, expr, || kept_labels(expr))
}

/// A per-thread memo by signal expression: a spec repeats a few signals in
/// many alerts, and what is derived from one depends on its text alone.
type PerExpr<V> = std::cell::RefCell<foldhash::HashMap<String, V>>;

/// `f()` for `expr`, memoized in `memo` (bounded: it starts over at 4096 entries).
fn per_expr<V: Clone>(memo: &'static std::thread::LocalKey<PerExpr<V>>, expr: &str, f: impl FnOnce() -> V) -> V {
    if let Some(hit) = memo.with_borrow(|m| m.get(expr).cloned()) {
        return hit;
    }
    let v = f();
    memo.with_borrow_mut(|m| {
        if m.len() >= 4096 {
            m.clear();
        }
        m.insert(expr.to_string(), v.clone());
    });
    v
}

fn kept_labels(expr: &str) -> Option<Vec<String>> {
    let e = crate::promql::parse(expr).ok()?;
    fn by(e: &promql_parser::parser::Expr) -> Option<Vec<String>> {
        use promql_parser::parser::{Expr, LabelModifier};
        match e {
            Expr::Aggregate(a) => match &a.modifier {
                Some(LabelModifier::Include(l)) => Some(l.labels.clone()),
                _ => Some(Vec::new()),
            },
            Expr::Paren(p) => by(&p.expr),
            Expr::Binary(b) => by(&b.rhs).or_else(|| by(&b.lhs)),
            Expr::Call(c) => c
                .args
                .args
                .iter()
                .find_map(|a| by(a))
                .map(|l| l.into_iter().filter(|x| x != "le").collect()),
            _ => None,
        }
    }
    by(&e)
}

/// Shared: every alert on a signal tests with the same labels, and a case
/// copies them only where it owns them (the labels an alert fires with).
fn test_labels(spec: &Spec, signal: &str) -> std::sync::Arc<BTreeMap<String, String>> {
    thread_local!(static MEMO: PerExpr<std::sync::Arc<BTreeMap<String, String>>> = PerExpr::default());
    match spec.signals.get(signal) {
        Some(s) => per_expr(&MEMO, &s.expr, || std::sync::Arc::new(test_labels_uncached(spec, signal))),
        None => std::sync::Arc::new(test_labels_uncached(spec, signal)),
    }
}

fn test_labels_uncached(spec: &Spec, signal: &str) -> BTreeMap<String, String> {
    match signal_labels(spec, signal) {
        Some(ls) => ls.into_iter().map(|l| (l.clone(), format!("test-{l}"))).collect(),
        None => {
            // The signal keeps every label: its series carry the labels its
            // selectors fix (`job="node"`) and so does the alert.
            let mut out = spec.signals.get(signal).map(|s| fixed_labels(&s.expr)).unwrap_or_default();
            out.insert("instance".to_string(), "test-host".to_string());
            out
        }
    }
}

/// Labels every selector of `expr` fixes to one value (`job="node"` in all of them).
fn fixed_labels(expr: &str) -> BTreeMap<String, String> {
    use promql_parser::parser::Expr;
    use promql_parser::util::{ExprVisitor, walk_expr};
    struct V(Option<BTreeMap<String, String>>);
    impl ExprVisitor for V {
        type Error = ();
        fn pre_visit(&mut self, e: &Expr) -> Result<bool, ()> {
            let vs = match e {
                Expr::VectorSelector(vs) => vs,
                Expr::MatrixSelector(ms) => &ms.vs,
                _ => return Ok(true),
            };
            let eq: BTreeMap<String, String> = vs
                .matchers
                .matchers
                .iter()
                .filter(|m| m.name != "__name__" && matches!(m.op, promql_parser::label::MatchOp::Equal))
                .map(|m| (m.name.clone(), m.value.clone()))
                .collect();
            self.0 = Some(match self.0.take() {
                None => eq,
                Some(mut all) => {
                    all.retain(|k, v| eq.get(k) == Some(v));
                    all
                }
            });
            Ok(true)
        }
    }
    let Ok(e) = crate::promql::parse(expr) else {
        return BTreeMap::new();
    };
    let mut v = V(None);
    let _ = walk_expr(&mut v, &e);
    v.0.unwrap_or_default()
}

/// ` on {{ $labels.a }} {{ $labels.b }}` for the labels a signal keeps.
fn where_tpl(spec: &Spec, signal: &str) -> String {
    match signal_labels(spec, signal) {
        Some(ls) if ls.is_empty() => String::new(),
        Some(ls) => format!(
            " on {}",
            ls.iter().map(|l| format!("{{{{ $labels.{l} }}}}")).collect::<Vec<_>>().join(" ")
        ),
        None => "{{ with $labels.instance }} on {{ . }}{{ end }}".to_string(),
    }
}

/// A series selector, `name{k="v", ...}`, as promtool's `input_series`
/// read it: each value a PromQL string (`\\`, `"` and line breaks escaped).
pub(crate) fn selector(name: &str, labels: &BTreeMap<String, String>) -> String {
    let mut s = String::with_capacity(name.len() + 2 + labels.iter().map(|(k, v)| k.len() + v.len() + 5).sum::<usize>());
    s.push_str(name);
    s.push('{');
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(k);
        s.push_str("=\"");
        for c in v.chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '"' => s.push_str("\\\""),
                '\n' => s.push_str("\\n"),
                c => s.push(c),
            }
        }
        s.push('"');
    }
    s.push('}');
    s
}

fn title(spec: &Spec, signal: &str) -> String {
    spec.signals
        .get(signal)
        .and_then(|s| s.title.clone())
        .unwrap_or_else(|| signal.to_string())
}

fn unit<'a>(spec: &'a Spec, signal: &str) -> Option<&'a str> {
    spec.signals.get(signal).and_then(|s| s.unit.as_deref())
}

/// How a value of `unit` reads, as a Prometheus template of `$value`
/// (format, suffix) and as text now: seconds as a duration, bytes in IEC
/// units, ratios as a percentage.
fn unit_format(unit: Option<&str>) -> (&'static str, &'static str) {
    match unit {
        Some("percentunit") => ("humanizePercentage", ""),
        Some("s") => ("humanizeDuration", ""),
        Some("bytes") => ("humanize1024", "B"),
        Some("Bps") => ("humanize1024", "B/s"),
        Some("percent") => ("humanize", "%"),
        Some("ms") => ("humanize", "ms"),
        _ => ("humanize", ""),
    }
}

/// `{{ $value | <format> }}<suffix>` for a signal's unit.
fn shown(spec: &Spec, signal: &str) -> String {
    let (f, suffix) = unit_format(unit(spec, signal));
    ["{{ $value | ", f, " }}", suffix].concat()
}

/// A number of the signal's unit, written as [`shown`] would write it.
fn shown_number(spec: &Spec, signal: &str, v: f64) -> String {
    unit_text(unit(spec, signal), v)
}

/// A number of a Grafana `unit` as alert text shows it (`95%`, `1.5s`, `2GiB`).
pub fn unit_text(unit: Option<&str>, v: f64) -> String {
    let (f, suffix) = unit_format(unit);
    let mut text = match f {
        "humanizePercentage" => format!("{}%", crate::model::template::g4(v * 100.0)),
        "humanizeDuration" => crate::model::template::humanize_duration(v),
        "humanize1024" => crate::model::template::humanize1024(v),
        _ => fmt_num(v),
    };
    text.push_str(suffix);
    text
}

/// Round to 6 significant digits (test inputs stay short and exact in text).
pub(crate) fn r6(v: f64) -> f64 {
    // An integer below a million already has at most six digits.
    if v.fract() == 0.0 && v.abs() < 1e6 {
        return v;
    }
    format!("{v:.5e}").parse().unwrap_or(v)
}

pub(crate) fn repeat(v: f64, n: u64) -> String {
    let mut s = fmt_num(v);
    s.push('x');
    s.push_str(&n.saturating_sub(1).to_string());
    s
}

pub(crate) fn dur(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

/// What a kind's expansion reads: the spec (signals, settings) and the alert.
pub struct Cx<'a> {
    pub spec: &'a Spec,
    pub a: &'a spec::Alert,
}

impl Cx<'_> {
    /// The alert's `for` in seconds, else the kind's default.
    fn for_secs(&self, default: u64) -> u64 {
        self.a.for_.as_ref().map(|d| d.secs()).unwrap_or(default)
    }

    /// An alert of this spec alert's name, severity and `for` (else `default_for`).
    fn draft(&self, expr: String, default_for: u64, summary: String, description: String, link: LinkKey, cases: Vec<Case>) -> Draft {
        Draft {
            name: self.a.name.clone(),
            expr,
            for_: Some(self.a.for_.clone().unwrap_or_else(|| dur(default_for))),
            severity: self.a.severity,
            summary,
            description,
            link,
            cases,
        }
    }
}

/// One alert kind (one module each): how it expands into recording rules,
/// alerts and generated test cases. Adding a kind: a module, a [`Kind`] variant.
pub trait AlertKind {
    fn expand(&self, cx: &Cx, x: &mut Expansion);

    /// Extra series on the watched signal's panel showing where the alert fires,
    /// `(legend, expr)`; `m` is the matcher block the panel's selection needs.
    fn bands(&self, _cx: &Cx, _m: &str) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// The kind of a spec alert, borrowed from its condition.
#[derive(Debug, Clone, Copy)]
pub enum Kind<'a> {
    Threshold(&'a spec::ThresholdAlert),
    Absent(&'a spec::AbsentAlert),
    Anomaly(&'a spec::AnomalyAlert),
    Regression(&'a spec::RegressionAlert),
    Exhaustion(&'a spec::ExhaustionAlert),
    Slo(&'a spec::SloAlert),
    Health(&'a spec::HealthAlert),
    /// Raw PromQL: genmon cannot invent its inputs, so it has no generated cases.
    Expr(&'a str),
}

impl<'a> Kind<'a> {
    /// The alert's kind.
    pub fn of(a: &'a spec::Alert) -> Kind<'a> {
        match &a.condition {
            spec::Condition::Expr(k) => Kind::Expr(k),
            spec::Condition::Threshold(k) => Kind::Threshold(k),
            spec::Condition::Absent(k) => Kind::Absent(k),
            spec::Condition::Anomaly(k) => Kind::Anomaly(k),
            spec::Condition::Regression(k) => Kind::Regression(k),
            spec::Condition::Exhaustion(k) => Kind::Exhaustion(k),
            spec::Condition::Slo(k) => Kind::Slo(k),
            spec::Condition::Health(k) => Kind::Health(k),
        }
    }

    /// The kind's implementation; `None` for raw `expr` alerts.
    fn imp(&self) -> Option<&'a dyn AlertKind> {
        Some(match *self {
            Kind::Threshold(k) => k,
            Kind::Absent(k) => k,
            Kind::Anomaly(k) => k,
            Kind::Regression(k) => k,
            Kind::Exhaustion(k) => k,
            Kind::Slo(k) => k,
            Kind::Health(k) => k,
            Kind::Expr(_) => return None,
        })
    }

    /// The one signal the alert watches (threshold, anomaly, regression, exhaustion).
    pub fn signal(&self) -> Option<&'a str> {
        match self {
            Kind::Threshold(k) => Some(&k.signal),
            Kind::Anomaly(k) => Some(&k.signal),
            Kind::Regression(k) => Some(&k.signal),
            Kind::Exhaustion(k) => Some(&k.signal),
            _ => None,
        }
    }
}

/// Expand one spec alert.
pub fn expand(spec: &Spec, a: &spec::Alert) -> Expansion {
    // Most kinds make one alert (an empty vector's first push reserves four).
    let mut x = Expansion {
        drafts: Vec::with_capacity(1),
        ..Expansion::default()
    };
    let cx = Cx { spec, a };
    let kind = Kind::of(a);
    let Some(imp) = kind.imp() else {
        let e = a.expr().unwrap_or_default().to_string();
        x.drafts.push(Draft {
            name: a.name.clone(),
            expr: e.clone(),
            for_: a.for_.clone(),
            severity: a.severity,
            summary: a.name.clone(),
            description: String::new(),
            link: LinkKey::Expr(e),
            cases: Vec::new(),
        });
        return x;
    };
    imp.expand(&cx, &mut x);
    if let Some(sig) = kind.signal() {
        for case in x.drafts.iter_mut().flat_map(|d| &mut d.cases) {
            case.raw.recorded = Some(sig.to_string());
        }
    }
    x
}

/// Raw series for a case that drives only `signal:<sig>:value` (gauge signals).
fn raw_of_recorded(spec: &Spec, signal: &str, inputs: &[(String, String)]) -> Option<Vec<(String, String)>> {
    let [(series, values)] = inputs else { return None };
    let promql_parser::parser::Expr::VectorSelector(vs) = &*crate::promql::parse(series).ok()? else {
        return None;
    };
    if vs.name.as_deref() != Some(signal_record(signal).as_str()) {
        return None;
    }
    let labels: BTreeMap<String, String> = vs
        .matchers
        .matchers
        .iter()
        .filter(|m| m.name != "__name__")
        .map(|m| (m.name.clone(), m.value.clone()))
        .collect();
    raw::series_inputs(spec, signal, &labels, &raw::expand_values(values)?)
}

/// Split `metric{matchers}` into the metric and the matchers inside the braces.
pub(crate) fn split_selector(sel: &str) -> (String, String) {
    match sel.split_once('{') {
        Some((n, rest)) => (n.trim().to_string(), rest.trim_end().trim_end_matches('}').trim().to_string()),
        None => (sel.trim().to_string(), String::new()),
    }
}

/// `le` matcher that works on Prometheus 2.x (`0.5`, `1`) and 3.x (`1.0`).
pub(crate) fn le_matcher(le: f64) -> String {
    let s = fmt_num(le).replace('.', "\\\\.");
    format!("le=~\"{s}(\\\\.0)?\"")
}

static VAR_MATCHER: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r#"([A-Za-z0-9_]+)\s*=~\s*"\$\{?([A-Za-z0-9_]+)\}?""#).expect("regex"));

/// `(label, variable)` of the signal's dashboard-variable matchers
/// (`instance=~"$instance"`) on labels its recorded series keeps: an alert's
/// `panel_url` sets each variable to the alert's label value.
pub fn link_vars(spec: &Spec, signal: &str) -> Vec<(String, String)> {
    thread_local!(static MEMO: PerExpr<Vec<(String, String)>> = PerExpr::default());
    let Some(s) = spec.signals.get(signal) else { return Vec::new() };
    per_expr(&MEMO, &s.expr, || link_vars_uncached(spec, signal, &s.expr))
}

fn link_vars_uncached(spec: &Spec, signal: &str, expr: &str) -> Vec<(String, String)> {
    let kept = signal_labels(spec, signal);
    let mut out: Vec<(String, String)> = VAR_MATCHER
        .captures_iter(expr)
        .filter(|c| kept.as_ref().is_none_or(|k| k.iter().any(|l| *l == c[1])))
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// [`alert_bands`] of every signal an alert watches, when any of them draws one
/// (one pass over the alerts).
pub fn all_alert_bands(spec: &Spec) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut matchers: BTreeMap<&str, String> = BTreeMap::new();
    for a in spec.rules.iter().flat_map(|g| &g.alerts) {
        let k = Kind::of(a);
        let (Some(sig), Some(imp)) = (k.signal(), k.imp()) else { continue };
        let m = matchers.entry(sig).or_insert_with(|| band_matchers(spec, sig));
        let bands = imp.bands(&Cx { spec, a }, m);
        if !bands.is_empty() {
            out.entry(sig.to_string()).or_default().extend(bands);
        }
    }
    out
}

/// The matcher block (`{instance=~"$instance"}`) that makes a limit line on a
/// signal's panel follow the panel's selection: the signal's dashboard-variable
/// matchers on labels its recorded series keeps ([`link_vars`]). Filtering on a
/// label the signal aggregates away would hide the line whenever a variable is set.
fn band_matchers(spec: &Spec, signal: &str) -> String {
    let vars: Vec<String> = link_vars(spec, signal)
        .into_iter()
        .map(|(label, var)| format!("{label}=~\"${var}\""))
        .collect();
    if vars.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", vars.join(", "))
    }
}

/// Recording rule names genmon generates for `spec` (for `promql/unknown-metric`).
pub fn recorded_names(spec: &Spec) -> Vec<String> {
    let mut out = Vec::new();
    for a in spec.rules.iter().flat_map(|g| &g.alerts) {
        let x = expand(spec, a);
        out.extend(x.signals.iter().map(|s| signal_record(s)));
        out.extend(x.recs.into_iter().map(|r| r.record));
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
pub(crate) mod testing {
    //! Expand one alert of a small spec, for the per-kind unit tests.
    use super::*;

    /// Signals the kind tests use: `cpu` (a ratio by instance), `lat` (seconds), `free` (bytes).
    const SIGNALS: &str = "signals:\n  cpu: {expr: 'avg by (instance) (rate(cpu_seconds_total{mode!=\"idle\", instance=~\"$instance\"}[$__rate_interval]))', unit: percentunit, thresholds: {critical: 0.9}}\n  lat: {expr: 'max by (job) (probe_duration_seconds)', unit: s}\n  free: {expr: node_filesystem_avail_bytes, unit: bytes}\n";

    /// The expansion of `alert` (a YAML flow mapping) in a spec with [`SIGNALS`].
    pub fn expand_yaml(alert: &str) -> Expansion {
        let yaml = format!("version: 1\n{SIGNALS}rules:\n- name: g\n  alerts:\n  - {alert}\n");
        let spec: Spec = serde_yaml_ng::from_str(&yaml).unwrap_or_else(|e| panic!("test spec does not load: {e}"));
        expand(&spec, &spec.rules[0].alerts[0])
    }

    /// Every generated case fires or stays quiet as its name says.
    pub fn cases_agree_with_names(x: &Expansion) {
        for d in &x.drafts {
            assert!(!d.cases.is_empty(), "{} has no generated cases", d.name);
            for c in &d.cases {
                assert_eq!(c.name.contains("quiet"), c.fires.is_empty(), "{}", c.name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// The fast paths spell every number as rounding it always did.
    #[test]
    fn numbers_are_spelled_as_rounding_to_11_digits_does() {
        fn rounded(v: f64) -> String {
            if v.fract() == 0.0 && v.abs() < 1e15 {
                return format!("{}", v as i64);
            }
            let r: f64 = format!("{v:.10e}").parse().unwrap_or(v);
            format!("{r}")
        }
        let mut values = vec![
            0.0,
            -0.0,
            0.1 * 3.0,
            1.0 / 3.0,
            2.0 / 3.0,
            0.55,
            1e-7,
            1.5e-300,
            5e-324,
            1e15,
            1e16,
            1e21,
            1.5e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            123_456_789.123_456_78,
            0.1 + 0.2,
            99.99999999999,
            99.999999999999,
            1e15 + 0.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        // Decimal fractions of every length, as specs write them, and noise around them.
        for digits in 1..=17u32 {
            for k in [1u64, 3, 7, 9, 11, 123, 999, 4_503_599, 123_456_789_012_345] {
                let v = k as f64 / 10f64.powi(digits as i32);
                values.extend([v, v * 3.0, v + f64::EPSILON, v * (1.0 + 1e-12), -v]);
            }
        }
        // Bit patterns from a fixed xorshift: every exponent, every mantissa.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(f64::from_bits(x));
        }
        for v in values {
            assert_eq!(super::fmt_num(v), rounded(v), "{v:e} ({:#x})", v.to_bits());
        }
    }

    /// A case's raw series are a recipe, followed when a test asks: the
    /// signal's own series at the value, none where two parts would write
    /// the same series, the recorded inputs inverted when the kind has none.
    #[test]
    fn raw_recipes_build_the_signals_own_series() {
        use std::sync::Arc;
        let x = super::testing::expand_yaml("{name: Slow, threshold: {signal: lat, op: '>', value: 0.5}, for: 5m}");
        let spec: super::Spec =
            serde_yaml_ng::from_str("version: 1\nsignals:\n  lat: {expr: 'max by (job) (probe_duration_seconds)', unit: s}\n").unwrap();
        let case = &x.drafts[0].cases[0];
        let built = case.raw.build(&spec, &case.inputs).expect("a gauge's maximum inverts");
        assert_eq!(built.len(), 1, "{built:?}");
        assert!(built[0].0.starts_with("probe_duration_seconds{"), "{built:?}");
        assert!(built[0].1.starts_with(&super::fmt_num(case.fires[0].1)), "{built:?}");
        let job: Arc<std::collections::BTreeMap<String, String>> = Arc::new([("job".to_string(), "test-job".to_string())].into());
        let twice = |distinct| {
            super::Raw::constant(
                vec![("lat".into(), job.clone(), 1.0), ("lat".into(), job.clone(), 2.0)],
                3,
                distinct,
            )
        };
        assert_eq!(twice(false).build(&spec, &[]).map(|v| v.len()), Some(2));
        assert_eq!(twice(true).build(&spec, &[]), None, "the same series twice");
        assert_eq!(super::Raw::NONE.build(&spec, &case.inputs), None);
        let recorded = super::Raw {
            recorded: Some("lat".into()),
            ..super::Raw::NONE
        };
        let inputs = [("signal:lat:value{job=\"test-job\"}".to_string(), "2x3".to_string())];
        let from_recorded = recorded.build(&spec, &inputs).expect("inverts the recorded inputs");
        assert!(from_recorded[0].0.starts_with("probe_duration_seconds{"), "{from_recorded:?}");
    }

    #[test]
    fn r6_keeps_six_significant_digits() {
        let got = [110.0, -42.0, 999_999.0, 1_234_567.0, 0.123_456_789, 6_600.000_000_1].map(super::r6);
        assert_eq!(got, [110.0, -42.0, 999_999.0, 1_234_570.0, 0.123_457, 6600.0]);
    }

    /// A test series' selector reads back (as PromQL, which promtool's
    /// series notation is) with the very label values it was given.
    #[test]
    fn a_selector_reads_back_with_its_label_values() {
        let labels: std::collections::BTreeMap<String, String> = [("instance", "host-1"), ("path", r#"C:\dir "x""#), ("msg", "two\nlines")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let text = super::selector("m_total", &labels);
        let promql_parser::parser::Expr::VectorSelector(vs) = promql_parser::parser::parse(&text).expect("parses") else {
            panic!("{text} is not a selector")
        };
        assert_eq!(vs.name.as_deref(), Some("m_total"), "{text}");
        let read: std::collections::BTreeMap<String, String> =
            vs.matchers.matchers.iter().map(|m| (m.name.clone(), m.value.clone())).collect();
        assert_eq!(read, labels, "{text}");
        assert_eq!(super::selector("up", &Default::default()), "up{}");
    }
}
