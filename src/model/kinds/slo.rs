//! The `slo` kind: error ratios per window and over the period, the error
//! budget, the SRE workbook's multi-window multi-burn-rate alerts, and an
//! alert for an SLO whose input series are gone.
//!
//! - Every ratio is a ratio of sums: `sum(rate(bad[w])) / sum(rate(total[w]))`
//!   for the burn windows, `sum(increase(bad[P])) / sum(increase(total[P]))`
//!   for the period `P` (as Pyrra does). Idle time contributes nothing, and a
//!   missing error series is zero errors (`or 0 * total`), not a missing SLO.
//! - The burn factors are the workbook's (14.4, 6, 3, 1) for every period; the
//!   windows scale with the period (Pyrra's choice), so an alert always means
//!   the same fraction of the budget consumed and no factor falls below 1.
//! - Generated tests feed raw counters (the SLI's own selectors) through the
//!   whole rule chain.

use std::collections::BTreeMap;

use promql_parser::label::{MatchOp, Matcher};
use promql_parser::parser::Expr;

use super::raw::value_for;
use super::{Case, Draft, Expansion, LinkKey, Rec, STEP, dur, fmt_num, r6, repeat, selector};
pub use crate::conventions::{LABEL_SLO, SLO_BUDGET_REMAINING, SLO_OBJECTIVE, slo_group, slo_ratio_record};
use crate::spec::{self, Severity, SloAlert, Spec};

/// The period the workbook's windows are written for.
const BASE_PERIOD: u64 = 30 * 86_400;
/// Multi-window multi-burn-rate alerts of the SRE workbook at 30 days:
/// (long window, short window, burn factor, page?).
const BURN_RATES: [(u64, u64, f64, bool); 4] = [
    (3_600, 300, 14.4, true),
    (6 * 3_600, 1_800, 6.0, true),
    (86_400, 2 * 3_600, 3.0, false),
    (3 * 86_400, 6 * 3_600, 1.0, false),
];
/// Requests a minute in generated tests.
const TEST_RATE: f64 = 1000.0;
/// `for` of the page, ticket and input-absent alerts.
const FOR_PAGE: u64 = 120;
const FOR_TICKET: u64 = 900;
const FOR_ABSENT: u64 = 600;

/// The SLO's name (its `slo` label).
pub fn slo_name(alert: &spec::Alert, s: &SloAlert) -> String {
    s.name.clone().unwrap_or_else(|| super::kebab(&alert.name))
}

/// Title of the burn-rate panel of an SLO on the `slos` dashboard.
pub fn slo_burn_panel(title: &str) -> String {
    format!("{title}: burn rate")
}

/// One burn-rate condition: both windows above `factor × budget`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Burn {
    pub long: u64,
    pub short: u64,
    pub factor: f64,
    pub page: bool,
}

/// The burn conditions of an SLO and every window they read, in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub burns: Vec<Burn>,
    pub windows: Vec<u64>,
}

/// The workbook's windows scaled to `period` (whole minutes, at least four
/// scrape intervals so `rate()` always has samples), factors unchanged.
pub fn plan(period_secs: u64, scrape_interval_secs: u64) -> Plan {
    let min = (4 * scrape_interval_secs).div_ceil(60).max(1) * 60;
    let scale = |w: u64| {
        let minutes = (w as f64 * period_secs as f64 / BASE_PERIOD as f64 / 60.0).round() as u64;
        (minutes * 60).max(min)
    };
    let burns: Vec<Burn> = BURN_RATES
        .iter()
        .map(|&(long, short, factor, page)| Burn {
            long: scale(long),
            short: scale(short),
            factor,
            page,
        })
        .collect();
    let mut windows: Vec<u64> = burns.iter().flat_map(|b| [b.long, b.short]).collect();
    windows.sort_unstable();
    windows.dedup();
    Plan { burns, windows }
}

/// The plan of `s` under `spec`'s scrape interval.
pub fn plan_of(spec: &Spec, s: &SloAlert) -> Plan {
    plan(s.period.secs(), spec.prometheus.scrape_interval.secs())
}

/// A duration as Prometheus writes it, largest units first (`5h36m`).
pub fn window_text(secs: u64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut left = secs;
    for (unit, n) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if left >= n {
            out.push_str(&format!("{}{unit}", left / n));
            left %= n;
        }
    }
    out
}

/// The SLI as (selector of the counted part, selector of all events, the part is good events?).
fn sli(s: &SloAlert) -> Option<(String, String, bool)> {
    if let Some(l) = &s.latency {
        let (name, m) = super::split_selector(&l.histogram);
        let sep = if m.is_empty() { "" } else { ", " };
        return Some((
            format!("{name}_bucket{{{m}{sep}{}}}", super::le_matcher(l.le)),
            format!("{name}_count{{{m}}}"),
            true,
        ));
    }
    let total = s.total.clone()?;
    match (&s.bad, &s.good) {
        (Some(b), None) => Some((b.clone(), total, false)),
        (None, Some(g)) => Some((g.clone(), total, true)),
        _ => None,
    }
}

/// The SLI error ratio over `w`, a ratio of sums of `fun` (`rate` or `increase`).
/// A missing bad (good) series counts as zero bad (good) events.
pub fn error_ratio(s: &SloAlert, fun: &str, w: &str) -> Option<String> {
    let (part, total, good) = sli(s)?;
    let agg = if s.by.is_empty() {
        "sum".to_string()
    } else {
        format!("sum by ({})", s.by.join(", "))
    };
    let sum = |sel: &str| format!("{agg} ({fun}({sel}[{w}]))");
    let all = sum(&total);
    let part = format!("({} or 0 * {all})", sum(&part));
    Some(if good {
        format!("1 - {part} / {all}")
    } else {
        format!("{part} / {all}")
    })
}

impl super::AlertKind for SloAlert {
    fn expand(&self, cx: &super::Cx, x: &mut Expansion) {
        expand(cx.spec, cx.a, self, x);
    }
}

/// Expand an `slo` alert into its own rule group.
fn expand(spec: &Spec, a: &spec::Alert, s: &SloAlert, x: &mut Expansion) {
    let name = slo_name(a, s);
    let title = s.title.clone().unwrap_or_else(|| name.clone());
    let budget = 1.0 - s.objective / 100.0;
    let period = s.period.as_str();
    let plan = plan_of(spec, s);
    let lbl = BTreeMap::from([(LABEL_SLO.to_string(), name.clone())]);
    x.own_group = Some(slo_group(&name));
    x.low_is_bad.push((SLO_BUDGET_REMAINING.to_string(), None));
    x.threshold_line_panels.push(slo_burn_panel(&title));
    let Some((_, total, _)) = sli(s) else { return };
    for w in &plan.windows {
        let w = window_text(*w);
        x.recs.extend(error_ratio(s, "rate", &w).map(|expr| Rec {
            record: slo_ratio_record(&w),
            expr,
            labels: lbl.clone(),
        }));
    }
    x.recs.extend(error_ratio(s, "increase", period).map(|expr| Rec {
        record: slo_ratio_record(period),
        expr,
        labels: lbl.clone(),
    }));
    x.recs.push(Rec {
        record: SLO_OBJECTIVE.into(),
        expr: format!("vector({})", fmt_num(s.objective / 100.0)),
        labels: lbl.clone(),
    });
    x.recs.push(Rec {
        record: SLO_BUDGET_REMAINING.into(),
        expr: format!("1 - {}{{{LABEL_SLO}=\"{name}\"}} / {}", slo_ratio_record(period), fmt_num(budget)),
        labels: lbl.clone(),
    });
    let sel = |w: u64| format!("{}{{{LABEL_SLO}=\"{name}\"}}", slo_ratio_record(&window_text(w)));
    let wh = if s.by.is_empty() {
        String::new()
    } else {
        format!(
            " ({})",
            s.by.iter().map(|l| format!("{{{{ $labels.{l} }}}}")).collect::<Vec<_>>().join(" ")
        )
    };
    let raw = RawSli::new(s);
    // The alert's `for` is the page's (as its `severity` is).
    let for_page = a.for_.as_ref().map_or(FOR_PAGE, |d| d.secs());
    let link = LinkKey::Panel(crate::conventions::DASHBOARD_SLOS.into(), slo_burn_panel(&title));
    let thr = |b: &Burn| r6(b.factor * budget);
    let page_first = plan.burns[0];
    let ticket_first = plan.burns[2];
    // Constant error ratios: 1.5× the first page (ticket) threshold.
    let fast = r6(1.5 * thr(&page_first));
    let slow = r6(1.5 * thr(&ticket_first));
    for page in [true, false] {
        let burns: Vec<&Burn> = plan.burns.iter().filter(|b| b.page == page).collect();
        let parts: Vec<String> = burns
            .iter()
            .map(|b| {
                let t = fmt_num(thr(b));
                format!("({} > {t} and {} > {t})", sel(b.long), sel(b.short))
            })
            .collect();
        let (suffix, sev, speed, for_s) = if page {
            ("FastBurn", a.severity.or(Some(Severity::Critical)), "fast", for_page)
        } else {
            ("SlowBurn", Some(Severity::Warning), "slowly", FOR_TICKET)
        };
        let alert = format!("{}{suffix}", a.name);
        let eval = for_s + 3 * STEP;
        let n = eval / STEP + 1;
        let mut cases = Vec::new();
        if let Some(raw) = &raw {
            let fires = |e: f64| e <= 1.0 && e > thr(burns[0]);
            if page && fires(fast) {
                cases.push(Case {
                    name: format!("{alert} pages on a fast burn ({} errors)", pct(fast)),
                    inputs: raw.inputs(fast, n),
                    eval,
                    fires: vec![(raw.alert_labels(&name), fast)],
                    raw: None,
                });
            }
            if page && slow <= 1.0 && slow < thr(burns[1]) {
                cases.push(Case {
                    name: format!("{alert} stays quiet on a slow burn ({} errors)", pct(slow)),
                    inputs: raw.inputs(slow, n),
                    eval,
                    fires: vec![],
                    raw: None,
                });
            }
            if !page && fires(slow) {
                cases.push(Case {
                    name: format!("{alert} tickets on a slow burn ({} errors)", pct(slow)),
                    inputs: raw.inputs(slow, n),
                    eval,
                    fires: vec![(raw.alert_labels(&name), slow)],
                    raw: None,
                });
            }
            cases.push(Case {
                name: format!("{alert} stays quiet without errors"),
                inputs: raw.inputs(0.0, n),
                eval,
                fires: vec![],
                raw: None,
            });
        }
        let (b0, b1) = (burns[0], burns[1]);
        x.drafts.push(Draft {
            name: alert,
            expr: parts.join(" or "),
            for_: Some(dur(for_s)),
            severity: sev,
            summary: format!(
                "SLO {title}{wh} is burning its error budget {speed}: {{{{ $value | humanizePercentage }}}} errors over {} (or {})",
                window_text(b0.long),
                window_text(b1.long)
            ),
            description: format!(
                "{title} aims at {}% good events over {period} (error budget {}). Over the last {} (or {}) {{{{ $value | humanizePercentage }}}} of events failed, for {}; at {}× the sustainable rate the whole {period} budget {}. Open the SLO dashboard for the remaining budget and burn rates, then the service's own dashboards for what fails.",
                fmt_num(s.objective),
                pct(budget),
                window_text(b0.long),
                window_text(b1.long),
                dur(for_s),
                fmt_num(b0.factor),
                if page { "is gone within days: act now" } else { "runs out before the period ends: plan a fix this week" }
            ),
            link: link.clone(),
            cases,
        });
    }
    // The input itself: without it every ratio above is absent and the SLO is silent.
    let alert = format!("{}InputAbsent", a.name);
    let eval = FOR_ABSENT + 2 * STEP;
    let n = eval / STEP + 1;
    let mut cases = Vec::new();
    if let Some(raw) = &raw {
        cases.push(Case {
            name: format!("{alert} fires when no series match {total}"),
            inputs: vec![(selector("genmon_test_unrelated", &BTreeMap::new()), repeat(1.0, n))],
            eval,
            fires: vec![(raw.absent_labels.clone(), 1.0)],
            raw: None,
        });
        cases.push(Case {
            name: format!("{alert} stays quiet while {total} has series"),
            inputs: raw.inputs(0.0, n),
            eval,
            fires: vec![],
            raw: None,
        });
    }
    x.drafts.push(Draft {
        name: alert,
        expr: format!("absent({total})"),
        for_: Some(dur(FOR_ABSENT)),
        severity: Some(Severity::Warning),
        summary: format!("SLO {title} has no input: no series match {total}"),
        description: format!(
            "No series have matched `{total}` for {}, so the error ratios, the error budget and the burn-rate alerts of SLO {title} are blind. The service or its exporter may be down, or the metric or its labels were renamed.",
            dur(FOR_ABSENT)
        ),
        link,
        cases,
    });
}

fn pct(v: f64) -> String {
    format!("{}%", crate::model::template::g4(v * 100.0))
}

/// Raw input series that drive an SLI: the counted part and all events.
#[derive(Debug, Clone)]
struct RawSli {
    /// Series of the counted part (bad or good events).
    part: String,
    /// Series of the rest (when `part` is counted in the total) or of all events.
    other: String,
    part_in_total: bool,
    good: bool,
    by: BTreeMap<String, String>,
    /// Labels `absent(total)` returns.
    absent_labels: BTreeMap<String, String>,
}

/// A selector's metric name and matchers.
fn parse_selector(sel: &str) -> Option<(String, Vec<Matcher>)> {
    match crate::promql::parse(sel).ok()? {
        Expr::VectorSelector(vs) => super::raw::name_and_matchers(&vs),
        _ => None,
    }
}

impl RawSli {
    fn new(s: &SloAlert) -> Option<RawSli> {
        let (part, total, good) = sli(s)?;
        let (pname, pm) = parse_selector(&part)?;
        let (tname, tm) = parse_selector(&total)?;
        // The bucket a latency SLI counts, as Prometheus 2.x writes its bound.
        let le = s.latency.as_ref().map(|l| fmt_num(l.le));
        let by: BTreeMap<String, String> =
            s.by.iter()
                .map(|l| {
                    let v = pm
                        .iter()
                        .chain(&tm)
                        .find(|m| &m.name == l && matches!(m.op, MatchOp::Equal))
                        .map(|m| m.value.clone())
                        .unwrap_or_else(|| format!("test-{l}"));
                    (l.clone(), v)
                })
                .collect();
        let labels_for = |ms: &[Matcher]| -> Option<BTreeMap<String, String>> {
            let mut out = by.clone();
            for m in ms {
                let v = match out.get(&m.name) {
                    Some(v) if m.is_match(v) => continue,
                    Some(_) => return None,
                    None => value_for(m, true, le.as_deref().filter(|_| m.name == "le"))?,
                };
                out.insert(m.name.clone(), v);
            }
            Some(out)
        };
        let matches = |name: &str, labels: &BTreeMap<String, String>, want: &str, ms: &[Matcher]| {
            name == want && ms.iter().all(|m| m.is_match(labels.get(&m.name).map(String::as_str).unwrap_or("")))
        };
        // Bad (good) events of the same metric are part of the total: they carry its labels too.
        let part_labels = if pname == tname {
            labels_for(&[pm.clone(), tm.clone()].concat())?
        } else {
            labels_for(&pm)?
        };
        let mut other_labels = labels_for(&tm)?;
        let part_in_total = matches(&pname, &part_labels, &tname, &tm);
        if pname == tname {
            // The rest: in the total, not in the part.
            for m in &pm {
                if !other_labels.contains_key(&m.name) {
                    other_labels.insert(m.name.clone(), value_for(m, false, None)?);
                }
            }
            if matches(&tname, &other_labels, &pname, &pm) {
                return None;
            }
        }
        let absent_labels = tm
            .iter()
            .filter(|m| matches!(m.op, MatchOp::Equal))
            .map(|m| (m.name.clone(), m.value.clone()))
            .collect();
        Some(RawSli {
            part: selector(&pname, &part_labels),
            other: selector(&tname, &other_labels),
            part_in_total,
            good,
            by,
            absent_labels,
        })
    }

    /// Counters with a constant error ratio `e` for `n` minutes; without
    /// errors the bad series does not exist at all.
    fn inputs(&self, e: f64, n: u64) -> Vec<(String, String)> {
        let counter = |per_min: f64| format!("0+{}x{}", fmt_num(r6(per_min)), n.saturating_sub(1));
        let (part, other) = match (self.good, self.part_in_total) {
            (false, true) => (e * TEST_RATE, (1.0 - e) * TEST_RATE),
            (false, false) | (true, false) => (if self.good { (1.0 - e) * TEST_RATE } else { e * TEST_RATE }, TEST_RATE),
            (true, true) => ((1.0 - e) * TEST_RATE, e * TEST_RATE),
        };
        let mut out = Vec::new();
        if self.good || e > 0.0 {
            out.push((self.part.clone(), counter(part)));
        }
        out.push((self.other.clone(), counter(other)));
        out
    }

    /// Labels of a burn-rate alert's sample.
    fn alert_labels(&self, slo: &str) -> BTreeMap<String, String> {
        let mut l = self.by.clone();
        l.insert(LABEL_SLO.into(), slo.into());
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slo(yaml: &str) -> SloAlert {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    #[test]
    fn windows_scale_with_the_period_and_factors_stay() {
        let month = plan(30 * 86_400, 15);
        assert_eq!(
            month.burns.iter().map(|b| (b.long, b.short, b.factor)).collect::<Vec<_>>(),
            [
                (3_600, 300, 14.4),
                (21_600, 1_800, 6.0),
                (86_400, 7_200, 3.0),
                (259_200, 21_600, 1.0)
            ]
        );
        let day = plan(86_400, 15);
        // 1h → 2m, 5m → 10s (raised to four scrape intervals, 1m).
        assert_eq!((day.burns[0].long, day.burns[0].short), (120, 60));
        assert_eq!(day.burns[3].long, 8_640);
        for p in [86_400, 7 * 86_400, 28 * 86_400, 30 * 86_400] {
            let pl = plan(p, 15);
            assert!(pl.burns.iter().all(|b| b.factor >= 1.0));
            assert!(pl.windows.iter().all(|w| *w < p), "no window is the period itself");
        }
        assert_eq!(plan(86_400, 30).burns[0].short, 120);
    }

    #[test]
    fn window_text_is_a_prometheus_duration() {
        assert_eq!(window_text(300), "5m");
        assert_eq!(window_text(20_160), "5h36m");
        assert_eq!(window_text(2 * 86_400 + 19 * 3_600 + 720), "2d19h12m");
        for s in [60, 20_160, 241_920] {
            assert_eq!(crate::spec::Duration::parse(&window_text(s)).unwrap().secs(), s);
        }
    }

    #[test]
    fn error_ratio_is_a_ratio_of_sums_with_missing_errors_as_zero() {
        let s = slo("{objective: 99, bad: 'r{code=\"5xx\"}', total: r, by: [route]}");
        assert_eq!(
            error_ratio(&s, "increase", "30d").unwrap(),
            "(sum by (route) (increase(r{code=\"5xx\"}[30d])) or 0 * sum by (route) (increase(r[30d]))) / sum by (route) (increase(r[30d]))"
        );
        let g = slo("{objective: 99, good: ok, total: r}");
        assert_eq!(
            error_ratio(&g, "rate", "5m").unwrap(),
            "1 - (sum (rate(ok[5m])) or 0 * sum (rate(r[5m]))) / sum (rate(r[5m]))"
        );
    }

    #[test]
    fn raw_series_split_one_metric_into_bad_and_the_rest() {
        let s = slo("{objective: 99, bad: 'r{code=~\"5..\"}', total: 'r{job=\"api\"}', by: [route]}");
        let raw = RawSli::new(&s).unwrap();
        assert_eq!(raw.part, r#"r{code="500", job="api", route="test-route"}"#);
        assert_eq!(raw.other, r#"r{code="genmon-test", job="api", route="test-route"}"#);
        assert!(raw.part_in_total);
        assert_eq!(
            raw.inputs(0.1, 3),
            [
                (raw.part.clone(), "0+100x2".to_string()),
                (raw.other.clone(), "0+900x2".to_string())
            ]
        );
        assert_eq!(
            raw.inputs(0.0, 3),
            [(raw.other.clone(), "0+1000x2".to_string())],
            "no bad series at all"
        );
        let lat = slo("{objective: 99, latency: {histogram: 'h{p=\"a\"}', le: 0.25}}");
        let raw = RawSli::new(&lat).unwrap();
        assert_eq!(
            (raw.part.as_str(), raw.other.as_str()),
            (r#"h_bucket{le="0.25", p="a"}"#, r#"h_count{p="a"}"#)
        );
        assert_eq!(raw.inputs(0.1, 2)[0].1, "0+900x1");
    }
}
