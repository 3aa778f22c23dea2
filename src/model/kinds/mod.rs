//! Alert kinds → recording rules, alert drafts and generated test cases.
//!
//! Every signal an alert watches is recorded once as `signal:<name>:value`;
//! alerts and derived recordings read that series. Generated promtool tests
//! drive that recorded series (or the SLO's recorded error ratios) directly:
//! they test the alert's logic (thresholds, windows, `for`, labels and
//! annotations), not the signal's own PromQL. SLO tests feed raw counters.

pub mod slo;

pub use slo::{LABEL_SLO, SLO_BUDGET_REMAINING, SLO_OBJECTIVE, slo_burn_panel, slo_group, slo_name, slo_ratio_record};

use std::collections::BTreeMap;

use crate::spec::{self, Baseline, Direction, Duration, Op, Severity, Spec, ThresholdValue, Worse};

/// Test series values are one sample per minute.
pub(crate) const STEP: u64 = 60;

/// `signal:<name>:value`: the rule form of a signal.
pub fn signal_record(name: &str) -> String {
    format!("signal:{}:value", snake(name))
}

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
}

pub fn snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out
}

pub fn kebab(s: &str) -> String {
    snake(s).replace('_', "-")
}

pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    // Round away binary noise (0.1 * 3 → 0.3).
    let r: f64 = format!("{v:.10e}").parse().unwrap_or(v);
    format!("{r}")
}

/// Labels a signal's result keeps, when its outermost aggregation says so.
pub fn signal_labels(spec: &Spec, signal: &str) -> Option<Vec<String>> {
    let s = spec.signals.get(signal)?;
    let e = crate::promql::parse(&s.expr).ok()?;
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

fn test_labels(spec: &Spec, signal: &str) -> BTreeMap<String, String> {
    match signal_labels(spec, signal) {
        Some(ls) => ls.into_iter().map(|l| (l.clone(), format!("test-{l}"))).collect(),
        None => BTreeMap::from([("instance".to_string(), "test-host".to_string())]),
    }
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

pub(crate) fn selector(name: &str, labels: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{name}{{{}}}", inner.join(", "))
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
    format!("{{{{ $value | {f} }}}}{suffix}")
}

/// A number of the signal's unit, written as [`shown`] would write it.
fn shown_number(spec: &Spec, signal: &str, v: f64) -> String {
    let (f, suffix) = unit_format(unit(spec, signal));
    let text = match f {
        "humanizePercentage" => format!("{}%", crate::model::template::g4(v * 100.0)),
        "humanizeDuration" => crate::model::template::humanize_duration(v),
        "humanize1024" => crate::model::template::humanize1024(v),
        _ => fmt_num(v),
    };
    format!("{text}{suffix}")
}

/// Round to 6 significant digits (test inputs stay short and exact in text).
pub(crate) fn r6(v: f64) -> f64 {
    format!("{v:.5e}").parse().unwrap_or(v)
}

pub(crate) fn repeat(v: f64, n: u64) -> String {
    format!("{}x{}", fmt_num(v), n.saturating_sub(1))
}

pub(crate) fn dur(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

/// Expand one spec alert.
pub fn expand(spec: &Spec, a: &spec::Alert) -> Expansion {
    let for_secs = |default: u64| a.for_.as_ref().map(|d| d.secs()).unwrap_or(default);
    let mut x = Expansion::default();
    let draft = |expr: String, default_for: u64, summary: String, description: String, link: LinkKey, cases: Vec<Case>| Draft {
        name: a.name.clone(),
        expr,
        for_: Some(a.for_.clone().unwrap_or_else(|| dur(default_for))),
        severity: a.severity,
        summary,
        description,
        link,
        cases,
    };
    if let Some(t) = &a.threshold {
        let sig = spec.signals.get(&t.signal);
        let v = match &t.value {
            ThresholdValue::Number(v) => *v,
            ThresholdValue::Level(l) => sig.and_then(|s| s.thresholds.get(l).copied()).unwrap_or(0.0),
        };
        let rec = signal_record(&t.signal);
        let what = title(spec, &t.signal);
        let (verb, op) = match t.op {
            Op::Gt | Op::Ge => ("above", t.op.as_str()),
            Op::Lt | Op::Le => ("below", t.op.as_str()),
            Op::Eq => ("equal to", "=="),
            Op::Ne => ("not equal to", "!="),
        };
        let step = if v == 0.0 { 1.0 } else { v.abs() * 0.1 };
        let (fire, quiet) = match t.op {
            Op::Gt | Op::Ge => (r6(v + step), r6(v - step)),
            Op::Lt | Op::Le => (r6(v - step), r6(v + step)),
            Op::Eq => (v, r6(v + step)),
            Op::Ne => (r6(v + step), v),
        };
        let f = for_secs(300);
        let eval = f + 2 * STEP;
        let labels = test_labels(spec, &t.signal);
        let series = selector(&rec, &labels);
        let n = eval / STEP + 1;
        let cases = vec![
            Case {
                name: format!("{} fires when {what} is {}", a.name, fmt_num(fire)),
                inputs: vec![(series.clone(), repeat(fire, n))],
                eval,
                fires: vec![(labels.clone(), fire)],
            },
            Case {
                name: format!("{} stays quiet when {what} is {}", a.name, fmt_num(quiet)),
                inputs: vec![(series, repeat(quiet, n))],
                eval,
                fires: vec![],
            },
        ];
        x.signals.push(t.signal.clone());
        x.drafts.push(draft(
            format!("{rec} {op} {}", fmt_num(v)),
            300,
            format!("{what} is {verb} {}{}", shown_number(spec, &t.signal, v), where_tpl(spec, &t.signal)),
            format!(
                "{what} has been {}, {verb} the threshold of {} ({op} {}), for {}. Check the linked panel for the trend and the runbook for what to do.",
                shown(spec, &t.signal),
                shown_number(spec, &t.signal, v),
                fmt_num(v),
                dur(f)
            ),
            LinkKey::Signal(t.signal.clone()),
            cases,
        ));
    } else if let Some(ab) = &a.absent {
        let f = for_secs(if ab.job.is_some() { 300 } else { 600 });
        let eval = f + 2 * STEP;
        let n = eval / STEP + 1;
        if let Some(job) = &ab.job {
            let sel = format!("up{{job=\"{job}\"}}");
            let host = BTreeMap::from([
                ("instance".to_string(), "test-host:9100".to_string()),
                ("job".to_string(), job.clone()),
            ]);
            let cases = vec![
                Case {
                    name: format!("{} fires when the target is down", a.name),
                    inputs: vec![(selector("up", &host), repeat(0.0, n))],
                    eval,
                    fires: vec![(host.clone(), 0.0)],
                },
                Case {
                    name: format!("{} fires when the job has no targets", a.name),
                    inputs: vec![(
                        selector("up", &BTreeMap::from([("job".to_string(), "some-other-job".to_string())])),
                        repeat(1.0, n),
                    )],
                    eval,
                    fires: vec![(BTreeMap::from([("job".to_string(), job.clone())]), 1.0)],
                },
                Case {
                    name: format!("{} stays quiet while the target is up", a.name),
                    inputs: vec![(selector("up", &host), repeat(1.0, n))],
                    eval,
                    fires: vec![],
                },
            ];
            x.drafts.push(draft(
                format!("{sel} == 0 or absent({sel})"),
                300,
                format!("Scrape target of job {job} is down{{{{ with $labels.instance }}}} ({{{{ . }}}}){{{{ end }}}}"),
                format!("Prometheus has not been able to scrape job `{job}` for {} (or the job has no targets at all). Its metrics, dashboards and alerts are blind until it is back: check that the process runs and that its port answers.", dur(f)),
                LinkKey::Metric("up".into()),
                cases,
            ));
        } else if let Some(sel) = &ab.selector {
            let mut cases = Vec::new();
            if let Ok(promql_parser::parser::Expr::VectorSelector(vs)) = crate::promql::parse(sel) {
                let eq: BTreeMap<String, String> = vs
                    .matchers
                    .matchers
                    .iter()
                    .filter(|m| matches!(m.op, promql_parser::label::MatchOp::Equal) && m.name != "__name__")
                    .map(|m| (m.name.clone(), m.value.clone()))
                    .collect();
                let all_eq = vs
                    .matchers
                    .matchers
                    .iter()
                    .all(|m| matches!(m.op, promql_parser::label::MatchOp::Equal));
                if let Some(name) = &vs.name {
                    cases.push(Case {
                        name: format!("{} fires when no series match", a.name),
                        inputs: vec![(selector("genmon_test_unrelated", &BTreeMap::new()), repeat(1.0, n))],
                        eval,
                        fires: vec![(eq.clone(), 1.0)],
                    });
                    if all_eq {
                        cases.push(Case {
                            name: format!("{} stays quiet while the series exists", a.name),
                            inputs: vec![(selector(name, &eq), repeat(1.0, n))],
                            eval,
                            fires: vec![],
                        });
                    }
                }
            }
            x.drafts.push(draft(
                format!("absent({sel})"),
                600,
                format!("No series match {sel}"),
                format!(
                    "No series have matched `{sel}` for {}. The exporter may be down, renamed the metric, or the label values changed.",
                    dur(f)
                ),
                match crate::promql::parse(sel) {
                    Ok(promql_parser::parser::Expr::VectorSelector(vs)) => vs.name.map_or(LinkKey::None, LinkKey::Metric),
                    _ => LinkKey::None,
                },
                cases,
            ));
        }
    } else if let Some(an) = &a.anomaly {
        let rec = signal_record(&an.signal);
        let w = an.window.as_str();
        let avg = format!("signal:{}:avg_over_time_{w}", snake(&an.signal));
        let sd = format!("signal:{}:stddev_over_time_{w}", snake(&an.signal));
        x.signals.push(an.signal.clone());
        x.recs.push(Rec {
            record: avg.clone(),
            expr: format!("avg_over_time({rec}[{w}])"),
            labels: BTreeMap::new(),
        });
        x.recs.push(Rec {
            record: sd.clone(),
            expr: format!("stddev_over_time({rec}[{w}])"),
            labels: BTreeMap::new(),
        });
        let (z, how) = match an.direction {
            Direction::Both => (format!("abs({rec} - {avg}) / {sd}"), "away from"),
            Direction::Up => (format!("({rec} - {avg}) / {sd}"), "above"),
            Direction::Down => (format!("({avg} - {rec}) / {sd}"), "below"),
        };
        let k = an.sigma;
        let what = title(spec, &an.signal);
        let f = for_secs(600);
        // Baseline alternates b-1, b+1 (mean b, σ 1); the anomaly jumps far away.
        let (base, n_base) = (10.0, 600u64);
        let spike = if an.direction == Direction::Down { -90.0 } else { 100.0 };
        let eval = (n_base + 1) * STEP + f + STEP;
        let n_spike = (eval / STEP + 1) - n_base;
        let mut vals: Vec<f64> = (0..n_base).map(|i| if i % 2 == 0 { base - 1.0 } else { base + 1.0 }).collect();
        let quiet_vals: Vec<f64> = (0..n_base + n_spike)
            .map(|i| if i % 2 == 0 { base - 1.0 } else { base + 1.0 })
            .collect();
        vals.extend(std::iter::repeat_n(spike, n_spike as usize));
        let mean = vals.iter().sum::<f64>() / vals.len() as f64;
        let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / vals.len() as f64;
        let zv = match an.direction {
            Direction::Down => (mean - spike) / var.sqrt(),
            _ => (spike - mean).abs() / var.sqrt(),
        };
        let labels = test_labels(spec, &an.signal);
        let series = selector(&rec, &labels);
        let text = |v: &[f64]| v.iter().map(|x| fmt_num(*x)).collect::<Vec<_>>().join(" ");
        let mut cases = Vec::new();
        if zv > k {
            cases.push(Case {
                name: format!("{} fires on a jump of {what}", a.name),
                inputs: vec![(series.clone(), text(&vals))],
                eval,
                fires: vec![(labels.clone(), zv)],
            });
        }
        cases.push(Case {
            name: format!("{} stays quiet on normal noise", a.name),
            inputs: vec![(series, text(&quiet_vals))],
            eval,
            fires: vec![],
        });
        x.drafts.push(draft(
            format!("{z} > {} and {sd} > 0", fmt_num(k)),
            600,
            format!("{what} is unusual{}: {{{{ $value | humanize }}}}σ {how} its {w} mean", where_tpl(spec, &an.signal)),
            format!(
                "{what} has been more than {} standard deviations {how} its own {w} average for {}. This is a change in behaviour, not a fixed limit: compare the linked panel with the same time yesterday, and check recent deploys, traffic and cron jobs first.",
                fmt_num(k),
                dur(f)
            ),
            LinkKey::Signal(an.signal.clone()),
            cases,
        ));
    } else if let Some(rg) = &a.regression {
        let rec = signal_record(&rg.signal);
        x.signals.push(rg.signal.clone());
        let (base_expr, base_text, lag) = match rg.baseline {
            Baseline::Yesterday => (format!("{rec} offset 1d"), "the same time yesterday".to_string(), 86_400u64),
            Baseline::Lastweek => (format!("{rec} offset 1w"), "the same time last week".to_string(), 7 * 86_400),
            Baseline::Average => {
                let w = rg.window.as_str();
                let avg = format!("signal:{}:avg_over_time_{w}", snake(&rg.signal));
                x.recs.push(Rec {
                    record: avg.clone(),
                    expr: format!("avg_over_time({rec}[{w}])"),
                    labels: BTreeMap::new(),
                });
                (avg, format!("its {w} average"), 0)
            }
        };
        let p = rg.percent / 100.0;
        let (cmp, limit, word) = match rg.worse {
            Worse::Higher => (">", 1.0 + p, "higher"),
            Worse::Lower => ("<", 1.0 - p, "lower"),
        };
        let what = title(spec, &rg.signal);
        let f = for_secs(900);
        let labels = test_labels(spec, &rg.signal);
        let series = selector(&rec, &labels);
        let base = 10.0;
        let bad = match rg.worse {
            Worse::Higher => base * (1.0 + p) * 2.0,
            Worse::Lower => base * (1.0 - p) / 2.0,
        };
        let mut cases = Vec::new();
        if lag > 0 {
            let n_base = lag / STEP;
            let eval = lag + f + 2 * STEP;
            let n_bad = eval / STEP + 1 - n_base;
            cases.push(Case {
                name: format!("{} fires when {what} is {word} than {base_text}", a.name),
                inputs: vec![(series.clone(), format!("{} {}", repeat(base, n_base), repeat(bad, n_bad)))],
                eval,
                fires: vec![(labels.clone(), bad / base)],
            });
            cases.push(Case {
                name: format!("{} stays quiet when {what} is as usual", a.name),
                inputs: vec![(series, repeat(base, n_base + n_bad))],
                eval,
                fires: vec![],
            });
        } else {
            let n_base = 600u64;
            let eval = n_base * STEP + f + STEP;
            let n_bad = eval / STEP + 1 - n_base;
            let avg = (base * n_base as f64 + bad * n_bad as f64) / (n_base + n_bad) as f64;
            let ratio = bad / avg;
            if (cmp == ">" && ratio > limit) || (cmp == "<" && ratio < limit) {
                cases.push(Case {
                    name: format!("{} fires when {what} is {word} than {base_text}", a.name),
                    inputs: vec![(series.clone(), format!("{} {}", repeat(base, n_base), repeat(bad, n_bad)))],
                    eval,
                    fires: vec![(labels.clone(), ratio)],
                });
            }
            cases.push(Case {
                name: format!("{} stays quiet when {what} is as usual", a.name),
                inputs: vec![(series, repeat(base, n_base + n_bad))],
                eval,
                fires: vec![],
            });
        }
        x.drafts.push(draft(
            format!("{rec} / {base_expr} {cmp} {} and {base_expr} > 0", fmt_num(limit)),
            900,
            format!("{what} regressed{}: {{{{ $value | humanizePercentage }}}} of {base_text}", where_tpl(spec, &rg.signal)),
            format!(
                "{what} is {{{{ $value | humanizePercentage }}}} of {base_text} ({word} is worse; the alert fires beyond {}%), for {}. Compare the linked panel with the baseline and check what changed since: deploys, configuration, dependencies, traffic mix.",
                fmt_num(rg.percent),
                dur(f)
            ),
            LinkKey::Signal(rg.signal.clone()),
            cases,
        ));
    } else if let Some(ex) = &a.exhaustion {
        let rec = signal_record(&ex.signal);
        x.signals.push(ex.signal.clone());
        let w = ex.window.as_str();
        let l = fmt_num(ex.limit);
        let within = ex.within.secs();
        let deriv = format!("deriv({rec}[{w}])");
        let expr = if ex.direction == Direction::Up {
            format!("({l} - {rec}) / {deriv} < {within} and {deriv} > 0 and {rec} < {l}")
        } else {
            format!("({rec} - {l}) / -{deriv} < {within} and {deriv} < 0 and {rec} > {l}")
        };
        let what = title(spec, &ex.signal);
        let f = for_secs(1800);
        let eval = f + 3 * STEP;
        let left = (within / 2) as f64 + 0.5;
        let labels = test_labels(spec, &ex.signal);
        let series = selector(&rec, &labels);
        // Falls (rises) 60 per minute, i.e. 1 per second: `left` seconds remain at `eval`.
        let (start, slope): (f64, f64) = if ex.direction == Direction::Up {
            (ex.limit - left - eval as f64, 60.0)
        } else {
            (ex.limit + left + eval as f64, -60.0)
        };
        let n = eval / STEP + 1;
        let cases = vec![
            Case {
                name: format!(
                    "{} fires when {what} runs out in {}",
                    a.name,
                    crate::model::template::humanize_duration(left)
                ),
                inputs: vec![(
                    series.clone(),
                    format!(
                        "{}{}{}x{}",
                        fmt_num(start),
                        if slope < 0.0 { "-" } else { "+" },
                        fmt_num(slope.abs()),
                        n - 1
                    ),
                )],
                eval,
                fires: vec![(labels.clone(), left)],
            },
            Case {
                name: format!("{} stays quiet while {what} is flat", a.name),
                inputs: vec![(series, repeat(start, n))],
                eval,
                fires: vec![],
            },
        ];
        x.drafts.push(draft(
            expr,
            1800,
            format!("{what}{} will reach {l} in {{{{ $value | humanizeDuration }}}}", where_tpl(spec, &ex.signal)),
            format!(
                "At the trend of the last {w}, {what} reaches its limit ({l}) in {{{{ $value | humanizeDuration }}}} (alerting horizon: {}). Find what is consuming it (largest or fastest-growing users on the linked panel), then free or add capacity before it runs out.",
                ex.within
            ),
            LinkKey::Signal(ex.signal.clone()),
            cases,
        ));
    } else if let Some(h) = &a.health {
        let by = h.by.join(", ");
        let level = if h.by.is_empty() { "global".to_string() } else { h.by.join("_") };
        let record = format!("{level}:{}:score", snake(&h.name));
        // Each component tagged with its index, so `or` keeps them all; a component
        // without data drops out of both sums: the weights renormalise over the rest.
        let tag = |i: usize, e: String| {
            format!(
                "label_replace({e}, \"{}\", \"{i}\", \"\", \"\")",
                crate::conventions::LABEL_HEALTH_COMPONENT
            )
        };
        let mut terms = Vec::new();
        let mut weights = Vec::new();
        for (i, c) in h.components.iter().enumerate() {
            let rec = signal_record(&c.signal);
            let span = c.bad - c.good;
            let norm = format!(
                "clamp(({rec} - {}) / {}, 0, 1)",
                fmt_num(c.good),
                fmt_num(if span == 0.0 { 1.0 } else { span })
            );
            let w = fmt_num(c.weight);
            terms.push(tag(i, format!("{w} * max by ({by}) ({norm})")));
            weights.push(tag(i, format!("0 * max by ({by}) ({rec}) + {w}")));
        }
        for c in &h.components {
            if !x.signals.contains(&c.signal) {
                x.signals.push(c.signal.clone());
            }
        }
        x.recs.push(Rec {
            record: record.clone(),
            expr: format!(
                "clamp(100 * (1 - sum by ({by}) ({}) / sum by ({by}) ({})), 0, 100)",
                terms.join(" or "),
                weights.join(" or ")
            ),
            labels: BTreeMap::new(),
        });
        let f = for_secs(900);
        let eval = f + 2 * STEP;
        let n = eval / STEP + 1;
        let labels: BTreeMap<String, String> = h.by.iter().map(|l| (l.clone(), format!("test-{l}"))).collect();
        let mut bad_inputs = Vec::new();
        let mut good_inputs = Vec::new();
        let mut seen = Vec::new();
        for c in &h.components {
            if seen.contains(&&c.signal) {
                continue;
            }
            seen.push(&c.signal);
            // Past the ends, so each component clamps to exactly 1 (0).
            let span = c.bad - c.good;
            bad_inputs.push((selector(&signal_record(&c.signal), &labels), repeat(r6(c.bad + span), n)));
            good_inputs.push((selector(&signal_record(&c.signal), &labels), repeat(r6(c.good - span), n)));
        }
        // All components at 1: both sums add the same weights, the score is 0.
        let mut cases = Vec::new();
        if 0.0 < h.below {
            let distinct = bad_inputs.len();
            cases.push(Case {
                name: format!("{} fires when every component is bad", a.name),
                inputs: bad_inputs.clone(),
                eval,
                fires: vec![(labels.clone(), 0.0)],
            });
            if distinct > 1 {
                cases.push(Case {
                    name: format!("{} fires when only its first signal has data, and it is bad", a.name),
                    inputs: bad_inputs[..1].to_vec(),
                    eval,
                    fires: vec![(labels.clone(), 0.0)],
                });
            }
        }
        cases.push(Case {
            name: format!("{} stays quiet when every component is good", a.name),
            inputs: good_inputs,
            eval,
            fires: vec![],
        });
        let parts: Vec<String> = h.components.iter().map(|c| title(spec, &c.signal)).collect();
        let wh = if h.by.is_empty() {
            String::new()
        } else {
            format!(
                " on {}",
                h.by.iter().map(|l| format!("{{{{ $labels.{l} }}}}")).collect::<Vec<_>>().join(" ")
            )
        };
        x.drafts.push(draft(
            format!("{record} < {}", fmt_num(h.below)),
            900,
            format!("Health score{wh} is {{{{ $value | humanize }}}}/100"),
            format!(
                "The {} health score (100 = all good, 0 = all bad) has been below {} for {}. It combines: {}. Open the linked dashboard and look for the component at or past its bad level.",
                h.name,
                fmt_num(h.below),
                dur(f),
                parts.join(", ")
            ),
            LinkKey::Expr(record),
            cases,
        ));
    } else if let Some(s) = &a.slo {
        slo::expand(spec, a, s, &mut x);
    } else {
        x.drafts.push(Draft {
            name: a.name.clone(),
            expr: a.expr.clone().unwrap_or_default(),
            for_: a.for_.clone(),
            severity: a.severity,
            summary: a.name.clone(),
            description: String::new(),
            link: LinkKey::Expr(a.expr.clone().unwrap_or_default()),
            cases: Vec::new(),
        });
    }
    x
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
    std::sync::LazyLock::new(|| regex::Regex::new(r#"(\w+)\s*=~\s*"\$\{?(\w+)\}?""#).expect("regex"));

/// `(label, variable)` of the signal's dashboard-variable matchers
/// (`instance=~"$instance"`) on labels its recorded series keeps: an alert's
/// `panel_url` sets each variable to the alert's label value.
pub fn link_vars(spec: &Spec, signal: &str) -> Vec<(String, String)> {
    let Some(s) = spec.signals.get(signal) else { return Vec::new() };
    let kept = signal_labels(spec, signal);
    let mut out: Vec<(String, String)> = VAR_MATCHER
        .captures_iter(&s.expr)
        .filter(|c| kept.as_ref().is_none_or(|k| k.iter().any(|l| *l == c[1])))
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// [`alert_bands`] of every signal an anomaly, regression or exhaustion alert watches.
pub fn all_alert_bands(spec: &Spec) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out = BTreeMap::new();
    for a in spec.rules.iter().flat_map(|g| &g.alerts) {
        let sig = a
            .anomaly
            .as_ref()
            .map(|x| &x.signal)
            .or(a.regression.as_ref().map(|x| &x.signal))
            .or(a.exhaustion.as_ref().map(|x| &x.signal));
        if let Some(sig) = sig
            && !out.contains_key(sig)
        {
            out.insert(sig.clone(), alert_bands(spec, sig));
        }
    }
    out
}

/// Extra panel series showing the dynamic limits of the alerts watching
/// `signal`: `(legend, expr)`. They keep the signal's dashboard-variable
/// matchers (`instance=~"$instance"`) on the labels its result keeps, so they
/// follow the panel's selection.
pub fn alert_bands(spec: &Spec, signal: &str) -> Vec<(String, String)> {
    let vars: Vec<String> = spec
        .signals
        .get(signal)
        .and_then(|s| crate::promql::parse(&s.expr).ok().map(|_| s.expr.clone()))
        .map(|e| {
            // Only labels the recorded series still has: filtering on a label the
            // signal aggregates away would hide the line whenever a variable is set.
            let kept = signal_labels(spec, signal);
            let mut v: Vec<String> = VAR_MATCHER
                .captures_iter(&e)
                .filter(|c| kept.as_ref().is_none_or(|k| k.iter().any(|l| *l == c[1])))
                .map(|c| format!("{}=~\"${}\"", &c[1], &c[2]))
                .collect();
            v.dedup();
            v
        })
        .unwrap_or_default();
    let m = if vars.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", vars.join(", "))
    };
    let sn = snake(signal);
    let value = format!("{}{m}", signal_record(signal));
    let mut out = Vec::new();
    for a in spec.rules.iter().flat_map(|g| &g.alerts) {
        if let Some(an) = a.anomaly.as_ref().filter(|x| x.signal == signal) {
            let w = an.window.as_str();
            let (avg, sd) = (
                format!("signal:{sn}:avg_over_time_{w}{m}"),
                format!("signal:{sn}:stddev_over_time_{w}{m}"),
            );
            let k = fmt_num(an.sigma);
            if an.direction != Direction::Down {
                out.push((format!("{}: above mean + {k}σ", a.name), format!("{avg} + {k} * {sd}")));
            }
            if an.direction != Direction::Up {
                out.push((format!("{}: below mean - {k}σ", a.name), format!("{avg} - {k} * {sd}")));
            }
        }
        if let Some(rg) = a.regression.as_ref().filter(|x| x.signal == signal) {
            let base = match rg.baseline {
                Baseline::Yesterday => format!("{value} offset 1d"),
                Baseline::Lastweek => format!("{value} offset 1w"),
                Baseline::Average => format!("signal:{sn}:avg_over_time_{}{m}", rg.window),
            };
            let f = if rg.worse == Worse::Higher {
                1.0 + rg.percent / 100.0
            } else {
                1.0 - rg.percent / 100.0
            };
            out.push((
                format!("{}: limit ({}% of baseline)", a.name, fmt_num(f * 100.0)),
                format!("{} * ({base})", fmt_num(f)),
            ));
        }
        if let Some(ex) = a.exhaustion.as_ref().filter(|x| x.signal == signal) {
            out.push((
                format!("{}: forecast in {}", a.name, ex.within),
                format!("predict_linear({value}[{}], {})", ex.window, ex.within.secs()),
            ));
        }
    }
    out
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
