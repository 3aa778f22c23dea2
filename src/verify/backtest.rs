//! Backtest: when an alert would have fired over a past range, from the
//! samples of a `query_range` on its expression. Pure functions: the
//! expression rewrite (recording rules inlined) and the firing arithmetic.

use std::collections::{BTreeMap, HashMap};

use promql_parser::parser::Expr;
use promql_parser::util::visitor::{ExprVisitorMut, walk_expr_mut};

/// How an alert's recorded inputs were evaluated for the backtest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The expression reads no series recorded by the spec's rules.
    Raw,
    /// Every recorded series it reads was replaced by its rule's expression.
    Inlined,
    /// Some recorded series are read as the server stored them (the rules
    /// must have run over the range): a selector with label matchers or `@`,
    /// a rule with static labels, or an inlined text beyond the size limit.
    Recorded,
}

impl Mode {
    /// The mode as the JSON report names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Raw => "raw",
            Mode::Inlined => "inlined",
            Mode::Recorded => "recorded",
        }
    }
}

/// Deepest chain of recording rules inlined (`a` reads `b` reads `c` …).
const MAX_INLINE_DEPTH: usize = 8;

/// A recording rule: its expression and static labels.
pub type Recording = (String, BTreeMap<String, String>);

/// Replace every series `expr` reads that a recording rule of `rules`
/// (record → rules of that name) produces with that rule's expression, as
/// exactly as PromQL allows: `rec` → `(expr)`, `rec[w]` → `(expr)[w:eval]`,
/// `rec offset o` → `last_over_time((expr)[eval:eval] offset o)`. A rule's
/// static labels are added with `label_replace`; matchers on them pick the
/// rules (`slo:x{slo="a"}` → the rule labelled `slo: a`), several rules of
/// one name are joined with `or`. A selector with a matcher on any other
/// label, or with `@`, is left as it is (a matcher cannot apply to an
/// expression), and so is a result longer than `max_bytes`.
pub fn inline(expr: &str, rules: &HashMap<String, Vec<Recording>>, eval: &str, max_bytes: usize) -> (String, Mode) {
    let Ok(mut ast) = crate::promql::parse(expr).map(std::sync::Arc::unwrap_or_clone) else {
        return (expr.to_string(), Mode::Recorded);
    };
    let mut v = Inliner {
        rules,
        eval,
        depth: 0,
        inlined: 0,
        kept: 0,
    };
    let _ = walk_expr_mut(&mut v, &mut ast);
    let out = ast.to_string();
    match (v.inlined, v.kept) {
        (0, 0) => (expr.to_string(), Mode::Raw),
        _ if out.len() > max_bytes => (expr.to_string(), Mode::Recorded),
        (_, 0) => (out, Mode::Inlined),
        _ => (out, Mode::Recorded),
    }
}

struct Inliner<'a> {
    rules: &'a HashMap<String, Vec<Recording>>,
    eval: &'a str,
    depth: usize,
    inlined: usize,
    kept: usize,
}

/// A PromQL string literal.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Inliner<'_> {
    /// The inlined form of the rules of `vs`'s name that its matchers select;
    /// `None` when that cannot be exact or the chain is too deep.
    fn body(&mut self, vs: &promql_parser::parser::VectorSelector, name: &str) -> Option<String> {
        if self.depth >= MAX_INLINE_DEPTH || vs.at.is_some() || !vs.matchers.or_matchers.is_empty() {
            return None;
        }
        let matchers: Vec<_> = vs.matchers.matchers.iter().filter(|m| m.name != "__name__").collect();
        let mut parts = Vec::new();
        for (expr, labels) in self.rules.get(name)? {
            let mut selected = true;
            for m in &matchers {
                selected &= m.is_match(labels.get(&m.name)?);
            }
            if !selected {
                continue;
            }
            let mut ast = std::sync::Arc::unwrap_or_clone(crate::promql::parse(expr).ok()?);
            self.depth += 1;
            let _ = walk_expr_mut(self, &mut ast);
            self.depth -= 1;
            let mut part = format!("({ast})");
            for (k, v) in labels {
                part = format!("label_replace({part}, {}, {}, \"\", \"\")", quoted(k), quoted(v));
            }
            parts.push(part);
        }
        match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(format!("({})", parts.join(" or "))),
        }
    }
}

impl ExprVisitorMut for Inliner<'_> {
    type Error = ();

    fn pre_visit(&mut self, e: &mut Expr) -> Result<bool, ()> {
        let (vs, range) = match &*e {
            Expr::VectorSelector(vs) => (vs, None),
            Expr::MatrixSelector(ms) => (&ms.vs, Some(ms.range)),
            _ => return Ok(true),
        };
        let Some(name) = crate::promql::selector_name(vs).filter(|n| self.rules.contains_key(n)) else {
            return Ok(false);
        };
        let offset = vs.offset.as_ref().map(|o| format!(" offset {o}"));
        let Some(body) = self.body(vs, &name) else {
            self.kept += 1;
            return Ok(false);
        };
        let eval = self.eval;
        let text = match (range, offset) {
            (None, None) => body,
            (None, Some(o)) => format!("last_over_time({body}[{eval}:{eval}]{o})"),
            (Some(r), o) => format!(
                "{body}[{}:{eval}]{}",
                promql_parser::util::display_duration(&r),
                o.unwrap_or_default()
            ),
        };
        match crate::promql::parse(&text) {
            Ok(new) => {
                *e = std::sync::Arc::unwrap_or_clone(new);
                self.inlined += 1;
            }
            Err(_) => self.kept += 1,
        }
        Ok(false)
    }
}

/// One period an alert would have fired: start (Unix seconds) and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Firing {
    pub start: i64,
    pub seconds: i64,
}

/// Firing periods of one series whose expression returned a sample at each
/// of `active` (sorted Unix seconds of a `query_range` with `step`): a run of
/// consecutive steps starting at `t0` fires at the first step `t` with
/// `t - t0 >= for` (as Prometheus' rule evaluation does at each interval) and
/// fires until the first step at which the expression returns nothing. A run
/// shorter than `for` never fires. With `keep_firing_for`, a firing goes on
/// that long after its run ends, and a run starting within it continues it.
pub fn firings(active: &[i64], step: i64, for_secs: i64, keep_firing_for: i64) -> Vec<Firing> {
    let step = step.max(1);
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &t in active {
        match runs.last_mut() {
            Some((_, end)) if t - *end <= step => *end = t,
            _ => runs.push((t, t)),
        }
    }
    let hold = (for_secs.max(0) + step - 1) / step * step;
    let mut out: Vec<Firing> = Vec::new();
    // End (exclusive) of the firing in progress, with `keep_firing_for`.
    let mut open_until = i64::MIN;
    for (t0, t1) in runs {
        let run_end = t1 + step;
        if let Some(last) = out.last_mut()
            && keep_firing_for > 0
            && t0 <= open_until
        {
            last.seconds = run_end + keep_firing_for - last.start;
            open_until = run_end + keep_firing_for;
            continue;
        }
        let fires_at = t0 + hold;
        if fires_at > t1 {
            continue;
        }
        out.push(Firing {
            start: fires_at,
            seconds: run_end + keep_firing_for.max(0) - fires_at,
        });
        open_until = run_end + keep_firing_for.max(0);
    }
    out
}

/// Step for a `range` (seconds): at least `min` (the evaluation interval),
/// at most 11,000 points per series (Prometheus' limit); when the range
/// needs more than `min`, rounded up to 1, 2, 5, 10, 15, 20 or 30 seconds or a
/// whole minute.
pub fn step_for(range: i64, min: i64) -> i64 {
    let need = (range + MAX_POINTS - 1) / MAX_POINTS;
    if need <= min.max(1) {
        return min.max(1);
    }
    match [1, 2, 5, 10, 15, 20, 30, 60].into_iter().find(|&n| n >= need) {
        Some(n) => n,
        None => (need + 59) / 60 * 60,
    }
}

/// Most points Prometheus returns per series of a range query.
pub const MAX_POINTS: i64 = 11_000;

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(from: i64, n: i64, step: i64) -> Vec<i64> {
        (0..n).map(|i| from + i * step).collect()
    }

    #[test]
    fn mode_text_is_the_json_name() {
        for m in [Mode::Raw, Mode::Inlined, Mode::Recorded] {
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str(), "{m:?}");
        }
    }

    #[test]
    fn a_run_shorter_than_for_does_not_fire() {
        // 5 steps of 60 s active, for 10m: never fires.
        assert!(firings(&steps(0, 5, 60), 60, 600, 0).is_empty());
        // 30 steps: fires 10 minutes in, for 20 minutes.
        assert_eq!(firings(&steps(0, 30, 60), 60, 600, 0), vec![Firing { start: 600, seconds: 1200 }]);
    }

    #[test]
    fn exactly_for_fires_for_one_step() {
        // Active at 0..=600: fires at 600 (600 - 0 >= 600), gone at 660.
        assert_eq!(firings(&steps(0, 11, 60), 60, 600, 0), vec![Firing { start: 600, seconds: 60 }]);
        assert!(firings(&steps(0, 10, 60), 60, 600, 0).is_empty());
    }

    #[test]
    fn gaps_split_runs_and_keep_firing_for_joins_them() {
        let mut t = steps(0, 20, 60);
        t.extend(steps(1500, 20, 60));
        assert_eq!(
            firings(&t, 60, 300, 0),
            vec![Firing { start: 300, seconds: 900 }, Firing { start: 1800, seconds: 900 }]
        );
        // Kept firing 10 minutes: the second run (starting 300 s after) continues the first.
        assert_eq!(
            firings(&t, 60, 300, 600),
            vec![Firing {
                start: 300,
                seconds: 2700 - 300 + 600
            }]
        );
    }

    #[test]
    fn for_zero_fires_at_once() {
        assert_eq!(firings(&[120], 60, 0, 0), vec![Firing { start: 120, seconds: 60 }]);
    }

    #[test]
    fn step_is_bounded() {
        assert_eq!(step_for(3 * 86_400, 15), 30);
        assert_eq!(step_for(7 * 86_400, 15), 60);
        assert_eq!(step_for(86_400, 15), 15);
        assert_eq!(step_for(86_400, 13), 13);
        assert_eq!(step_for(14 * 86_400, 15), 120);
        assert_eq!(step_for(3600, 15), 15);
        assert_eq!(step_for(365 * 86_400, 15), 2880);
        assert!(365 * 86_400 / step_for(365 * 86_400, 15) <= MAX_POINTS);
    }

    #[test]
    fn inlines_recording_rules_exactly_or_says_not() {
        let rule = |e: &str| vec![(e.to_string(), BTreeMap::new())];
        let labelled = |e: &str, slo: &str| (e.to_string(), BTreeMap::from([("slo".to_string(), slo.to_string())]));
        let rules: HashMap<String, Vec<Recording>> = [
            ("a:x:value".to_string(), rule("rate(x_total[5m])")),
            ("a:y:value".to_string(), rule("a:x:value * 2")),
            (
                "slo:e:r".to_string(),
                vec![labelled("rate(a[5m])", "a"), labelled("rate(b[5m])", "b")],
            ),
        ]
        .into();
        let eval = "15s";
        assert_eq!(
            inline("a:y:value > 1", &rules, eval, 10_000),
            ("((rate(x_total[5m])) * 2) > 1".into(), Mode::Inlined)
        );
        assert_eq!(
            inline("avg_over_time(a:x:value[1d])", &rules, eval, 10_000),
            ("avg_over_time((rate(x_total[5m]))[1d:15s])".into(), Mode::Inlined)
        );
        assert_eq!(
            inline("a:x:value offset 1d", &rules, eval, 10_000),
            ("last_over_time((rate(x_total[5m]))[15s:15s] offset 1d)".into(), Mode::Inlined)
        );
        assert_eq!(inline("up == 0", &rules, eval, 10_000), ("up == 0".into(), Mode::Raw));
        let (e, m) = inline(r#"a:x:value{instance="a"} > 1"#, &rules, eval, 10_000);
        assert_eq!((e.as_str(), m), (r#"a:x:value{instance="a"} > 1"#, Mode::Recorded));
        // Static labels: matchers pick the rule, label_replace adds them.
        assert_eq!(
            inline(r#"slo:e:r{slo="b"} > 1"#, &rules, eval, 10_000),
            (r#"label_replace((rate(b[5m])), "slo", "b", "", "") > 1"#.into(), Mode::Inlined)
        );
        assert_eq!(
            inline("slo:e:r > 1", &rules, eval, 10_000),
            (
                r#"(label_replace((rate(a[5m])), "slo", "a", "", "") or label_replace((rate(b[5m])), "slo", "b", "", "")) > 1"#.into(),
                Mode::Inlined
            )
        );
        assert_eq!(inline(r#"slo:e:r{slo="c"} > 1"#, &rules, eval, 10_000).1, Mode::Recorded);
        assert_eq!(inline("a:y:value > 1", &rules, eval, 10), ("a:y:value > 1".into(), Mode::Recorded));
    }
}
