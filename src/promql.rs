//! PromQL helpers over `promql-parser`: parse expressions that contain Grafana
//! variables, list metric names and rate windows, derive rule expressions.

use foldhash::HashMap;
use std::sync::{LazyLock, Mutex};

use promql_parser::parser::{self, Expr};
use promql_parser::util::visitor::{ExprVisitorMut, walk_expr_mut};
use promql_parser::util::{ExprVisitor, walk_expr};
use regex::bytes::Regex;

/// Range used in place of Grafana's interval variables while parsing; rate
/// windows of exactly this length are Grafana's and are not linted.
pub const GRAFANA_RANGE_SENTINEL: &str = "11d11h11m11s";
const SENTINEL_MS: u64 = ((11 * 24 + 11) * 3600 + 11 * 60 + 11) * 1000;

/// Grafana's variable syntax. Its `\w` is JavaScript's, ASCII only (as here):
/// `$hé` is the variable `h`. Matched on bytes without Unicode (`(?-u)`):
/// every match starts and ends at an ASCII character, so it is the same
/// match on the text, and a Unicode class (even `[^}]`) made each process
/// build a UTF-8 automaton (a tenth of a small render's CPU).
const VAR_RE: &str = r"(?-u)\$\{([A-Za-z_][0-9A-Za-z_]*)(?::[^}]*)?\}|\$([A-Za-z_][0-9A-Za-z_]*)|\[\[([A-Za-z_][0-9A-Za-z_]*)\]\]";
static VAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(VAR_RE).expect("regex"));
/// [`VAR`] anchored at the start: matching at one position costs what the
/// variable's length does, not the rest of the text (no quadratic scans).
static VAR_HERE: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!("^(?:{VAR_RE})")).expect("regex"));

/// Longest expression genmon parses, in bytes.
pub const MAX_EXPR_BYTES: usize = 32 * 1024;
/// Deepest bracket nesting plus binary operators genmon parses. The parsed
/// tree is walked and printed recursively; real expressions stay far below
/// this, hostile ones (`abs(abs(…` ×20 000, `up + up + …` ×20 000) would
/// overflow the stack.
pub const MAX_EXPR_DEPTH: usize = 256;

/// Why `expr` is too big or too deep to parse safely, or `None`. One linear
/// pass; brackets and binary operators outside strings and label matchers.
pub fn shape_problem(expr: &str) -> Option<String> {
    if expr.len() > MAX_EXPR_BYTES {
        return Some(format!(
            "the expression is {} bytes long; genmon parses at most {MAX_EXPR_BYTES}",
            expr.len()
        ));
    }
    let (mut depth, mut max_depth, mut ops, mut braces) = (0usize, 0usize, 0usize, 0usize);
    let mut in_str: Option<u8> = None;
    let b = expr.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = in_str {
            if c == b'\\' {
                i += 1;
            } else if c == q {
                in_str = None;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' | b'\'' | b'`' => in_str = Some(c),
            b'(' | b'[' => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            b'{' => braces += 1,
            b'}' => braces = braces.saturating_sub(1),
            b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'<' | b'>' | b'=' | b'!' if braces == 0 => ops += 1,
            c if c.is_ascii_alphabetic() && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b':')) => {
                let end = b[i..]
                    .iter()
                    .position(|x| !(x.is_ascii_alphanumeric() || *x == b'_' || *x == b':'))
                    .map_or(b.len(), |n| i + n);
                if braces == 0 && matches!(&expr[i..end], "and" | "or" | "unless" | "atan2") {
                    ops += 1;
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    (max_depth + ops > MAX_EXPR_DEPTH).then(|| {
        format!(
            "the expression nests {max_depth} brackets deep and has {ops} operators; genmon parses at most {MAX_EXPR_DEPTH} of both together"
        )
    })
}

/// Names of the variables (`$x`, `${x}`, `${x:fmt}`, `[[x]]`) used in `text`.
pub fn variables(text: &str) -> Vec<String> {
    VAR.captures_iter(text.as_bytes())
        .filter_map(|c| c.get(1).or(c.get(2)).or(c.get(3)).map(|m| text[m.range()].to_string()))
        .collect()
}

/// Replace variables outside string literals with something PromQL parses:
/// a duration in range/offset position, `1` elsewhere. Inside strings they stay.
pub fn substitute_vars(expr: &str) -> String {
    substitute(expr, &mut |_| {})
}

/// Variables used as values (outside strings, ranges and offsets): a rule
/// cannot drop them, and `1` in their place would be silently wrong.
pub fn value_variables(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    substitute(expr, &mut |v| out.push(v.to_string()));
    out
}

/// [`substitute_vars`], calling `on_value` with each variable used as a value.
fn substitute(expr: &str, on_value: &mut dyn FnMut(&str)) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut in_str: Option<char> = None;
    let mut i = 0;
    let bytes = expr.as_bytes();
    while i < expr.len() {
        let c = expr[i..].chars().next().unwrap_or(' ');
        if let Some(q) = in_str {
            out.push(c);
            if c == '\\' {
                if let Some(n) = expr[i + 1..].chars().next() {
                    out.push(n);
                    i += n.len_utf8();
                }
            } else if c == q {
                in_str = None;
            }
            i += c.len_utf8();
            continue;
        }
        if c == '"' || c == '\'' || c == '`' {
            in_str = Some(c);
            out.push(c);
            i += 1;
            continue;
        }
        if (c == '$' || (c == '[' && bytes.get(i + 1) == Some(&b'[')))
            && let Some(m) = VAR_HERE.find(&bytes[i..])
        {
            let before = out.trim_end();
            let duration_ctx = before.ends_with('[') || before.ends_with(':') || before.ends_with("offset");
            if !duration_ctx {
                on_value(&expr[i..][m.range()]);
            }
            out.push_str(if duration_ctx { GRAFANA_RANGE_SENTINEL } else { "1" });
            i += m.end();
            continue;
        }
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Parse results by expression text. Specs repeat expressions (a signal on
/// several dashboards, one query per instance of a template), and parsing
/// compiles a regex per `=~` matcher, so each distinct text is parsed once.
type Memo<V> = LazyLock<Mutex<HashMap<String, V>>>;
static PARSED: Memo<Result<std::sync::Arc<Expr>, String>> = LazyLock::new(Default::default);
/// Rule forms by rate window, then expression.
static RULE_FORM: Memo<HashMap<String, Result<String, String>>> = LazyLock::new(Default::default);
/// Entries kept before a memo starts over (bounds memory for long-lived callers).
const MEMO_CAP: usize = 100_000;

/// The value memoized in `m` under `key` (a look-up allocates nothing).
fn memo<V: Clone>(m: &Mutex<HashMap<String, V>>, key: &str, f: impl FnOnce() -> V) -> V {
    if let Some(v) = m.lock().ok().and_then(|g| g.get(key).cloned()) {
        return v;
    }
    let v = f();
    if let Ok(mut g) = m.lock() {
        if g.len() >= MEMO_CAP {
            g.clear();
        }
        g.insert(key.to_string(), v.clone());
    }
    v
}

/// Parse an expression that may contain Grafana variables. Expressions
/// longer or deeper than [`shape_problem`] allows are refused unparsed.
/// Memoized and shared: a repeated expression costs a look-up, not a parse
/// or a deep copy of its syntax tree.
pub fn parse(expr: &str) -> Result<std::sync::Arc<Expr>, String> {
    if let Some(p) = shape_problem(expr) {
        return Err(p);
    }
    memo(&PARSED, expr, || {
        parser::parse(&substitute_vars(expr))
            .map(std::sync::Arc::new)
            .map_err(|e| e.to_string())
    })
}

/// The metric name a selector selects: `name{…}` or `{__name__="name", …}`.
pub fn selector_name(vs: &parser::VectorSelector) -> Option<String> {
    vs.name.clone().or_else(|| {
        vs.matchers
            .matchers
            .iter()
            .find(|m| m.name == "__name__" && matches!(m.op, promql_parser::label::MatchOp::Equal))
            .map(|m| m.value.clone())
    })
}

/// Metric names selected by the expression (selectors without a name are skipped).
pub fn metric_names(expr: &Expr) -> Vec<String> {
    struct V(Vec<String>);
    impl ExprVisitor for V {
        type Error = ();
        fn pre_visit(&mut self, e: &Expr) -> Result<bool, ()> {
            let vs = match e {
                Expr::VectorSelector(vs) => Some(vs),
                Expr::MatrixSelector(ms) => Some(&ms.vs),
                _ => None,
            };
            if let Some(n) = vs.and_then(selector_name)
                && !self.0.contains(&n)
            {
                self.0.push(n);
            }
            Ok(true)
        }
    }
    let mut v = V(Vec::new());
    let _ = walk_expr(&mut v, expr);
    v.0
}

/// `(function, window in ms)` of every `rate`/`irate`/`increase`/`delta`/`deriv`… call
/// over a range selector, except Grafana-variable windows.
pub fn rate_windows(expr: &Expr) -> Vec<(&'static str, u64)> {
    struct V(Vec<(&'static str, u64)>);
    impl ExprVisitor for V {
        type Error = ();
        fn pre_visit(&mut self, e: &Expr) -> Result<bool, ()> {
            if let Expr::Call(c) = e
                && matches!(c.func.name, "rate" | "irate" | "increase" | "delta" | "idelta" | "deriv")
            {
                for a in &c.args.args {
                    if let Expr::MatrixSelector(ms) = a.as_ref() {
                        let ms_len = ms.range.as_millis() as u64;
                        if ms_len != SENTINEL_MS {
                            self.0.push((c.func.name, ms_len));
                        }
                    }
                }
            }
            Ok(true)
        }
    }
    let mut v = V(Vec::new());
    let _ = walk_expr(&mut v, expr);
    v.0
}

/// The rule form of a dashboard expression: Grafana interval variables become
/// `window`, and matchers on dashboard variables (`instance=~"$instance"`) are dropped.
pub fn for_rule(expr: &str, window: &str) -> Result<String, String> {
    let hit = RULE_FORM.lock().ok().and_then(|g| g.get(window)?.get(expr).cloned());
    if let Some(v) = hit {
        return v;
    }
    let v = for_rule_uncached(expr, window);
    if let Ok(mut g) = RULE_FORM.lock() {
        let by_expr = g.entry(window.to_string()).or_default();
        if by_expr.len() >= MEMO_CAP {
            by_expr.clear();
        }
        by_expr.insert(expr.to_string(), v.clone());
    }
    v
}

fn for_rule_uncached(expr: &str, window: &str) -> Result<String, String> {
    if variables(expr).is_empty() {
        return Ok(expr.to_string());
    }
    if let Some(v) = value_variables(expr).first() {
        return Err(format!(
            "`{expr}` uses the dashboard variable `{v}` as a value, which a rule cannot have"
        ));
    }
    // Rewritten in place: a copy of the shared tree.
    let mut ast = std::sync::Arc::unwrap_or_clone(parse(expr)?);
    struct V;
    impl ExprVisitorMut for V {
        type Error = ();
        fn pre_visit(&mut self, e: &mut Expr) -> Result<bool, ()> {
            let vs = match e {
                Expr::VectorSelector(vs) => Some(vs),
                Expr::MatrixSelector(ms) => Some(&mut ms.vs),
                _ => None,
            };
            if let Some(vs) = vs {
                vs.matchers.matchers.retain(|m| variables(&m.value).is_empty());
            }
            Ok(true)
        }
    }
    let _ = walk_expr_mut(&mut V, &mut ast);
    let printed = ast.to_string();
    let printed_sentinel = {
        let d = std::time::Duration::from_millis(SENTINEL_MS);
        promql_parser::util::display_duration(&d)
    };
    let out = printed
        .replace(&format!("[{printed_sentinel}"), &format!("[{window}"))
        .replace(&format!("offset {printed_sentinel}"), &format!("offset {window}"));
    if out.contains(&printed_sentinel) || !variables(&out).is_empty() {
        return Err(format!("`{expr}` uses a dashboard variable where a rule cannot drop it"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_only_outside_strings() {
        assert_eq!(
            substitute_vars(r#"rate(x{i=~"$instance"}[$__rate_interval])"#),
            format!(r#"rate(x{{i=~"$instance"}}[{GRAFANA_RANGE_SENTINEL}])"#)
        );
        assert_eq!(substitute_vars("x > $limit"), "x > 1");
    }

    #[test]
    fn lists_metric_names_and_windows() {
        let e = parse(r#"sum(rate(a_total[1m])) / sum(rate(b_total[$__rate_interval])) + {__name__="c"}"#).unwrap();
        assert_eq!(metric_names(&e), vec!["a_total", "b_total", "c"]);
        assert_eq!(rate_windows(&e), vec![("rate", 60_000)]);
    }

    #[test]
    fn rule_form_drops_dashboard_matchers() {
        let r = for_rule(
            r#"1 - avg by (instance) (rate(cpu_total{mode="idle",instance=~"$instance"}[$__rate_interval]))"#,
            "5m",
        )
        .unwrap();
        assert_eq!(r, r#"1 - avg by (instance) (rate(cpu_total{mode="idle"}[5m]))"#);
        assert_eq!(for_rule("up == 0", "5m").unwrap(), "up == 0");
    }

    #[test]
    fn hostile_shapes_are_refused_in_linear_time() {
        let t = std::time::Instant::now();
        for e in [
            format!("{}up{}", "abs(".repeat(20_000), ")".repeat(20_000)),
            vec!["up"; 20_000].join(" + "),
            vec!["up"; 2_000].join(" or "),
            "x".repeat(MAX_EXPR_BYTES + 1),
        ] {
            assert!(parse(&e).is_err(), "{}", &e[..40]);
        }
        let dollars = format!("up{}", "$".repeat(30_000));
        assert_eq!(substitute_vars(&dollars), dollars);
        assert!(t.elapsed() < std::time::Duration::from_secs(2), "{:?}", t.elapsed());
        // Long but ordinary expressions still parse.
        let ok = vec![r#"rate(http_requests_total{job="api",code=~"5..",path!="/x-y"}[5m])"#; 100].join(" + ");
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn lists_variables() {
        assert_eq!(
            variables("a $x ${y} ${z:csv} [[w]] $__rate_interval"),
            vec!["x", "y", "z", "w", "__rate_interval"]
        );
        // Grafana's `\w` is JavaScript's, ASCII only: `$hé` is `$h` then text.
        assert_eq!(variables("up{a=\"$hé\", b=\"${dc}é\"}"), vec!["h", "dc"]);
    }
}
