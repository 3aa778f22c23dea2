//! `alertmanager/receiver`: routes name receivers that exist, receivers are
//! used and well-formed; `alertmanager/matcher`: matchers parse.

use std::sync::LazyLock;

use regex::bytes::Regex;

use super::{Check, Ctx};
use crate::diag::Diagnostic;
use crate::spec::Route;

pub struct AlertmanagerRoutes;

const RECEIVER: &str = "alertmanager/receiver";
const MATCHER: &str = "alertmanager/matcher";

/// Matched on bytes without Unicode (`(?-u)`): `\s` is ASCII whitespace, as
/// in Alertmanager's own (Go) matcher syntax, every group starts and ends at
/// an ASCII character, and no UTF-8 automaton is built (a Unicode class cost
/// a small render a tenth of its CPU).
static MATCHER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?-u)^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^"\s,{}]*)\s*$"#).expect("regex")
});

/// The text of group `i` of a [`MATCHER_RE`] match on `m`.
fn group<'m>(m: &'m str, c: &regex::bytes::Captures, i: usize) -> &'m str {
    c.get(i).map_or("", |g| &m[g.range()])
}

/// Check one matcher (`severity="critical"`, `team=~"db|web"`).
pub fn matcher_error(m: &str) -> Option<String> {
    let Some(c) = MATCHER_RE.captures(m.as_bytes()) else {
        return Some(format!("`{m}` is not a matcher like `severity=\"critical\"`"));
    };
    if group(m, &c, 2).contains('~') {
        let v = group(m, &c, 3).trim_matches('"');
        // Parsed, not compiled: the same errors as `Regex::new`, without
        // building the automaton only to throw it away.
        if let Err(e) = regex_syntax::parse(&format!("^(?:{v})$")) {
            return Some(format!("`{m}`: bad regex: {}", e.to_string().lines().last().unwrap_or("")));
        }
    }
    None
}

/// Split a well-formed matcher into label name, operator and unquoted value.
pub fn parse_matcher(m: &str) -> Option<(String, String, String)> {
    let c = MATCHER_RE.captures(m.as_bytes())?;
    let v = group(m, &c, 3);
    let value = match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(ch) = chars.next() {
                if ch != '\\' {
                    out.push(ch);
                    continue;
                }
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some(x) => out.push(x),
                    None => out.push('\\'),
                }
            }
            out
        }
        None => v.to_string(),
    };
    Some((group(m, &c, 1).to_string(), group(m, &c, 2).to_string(), value))
}

fn walk(r: &Route, path: String, names: &[&str], used: &mut Vec<String>, out: &mut Vec<Diagnostic>) {
    if let Some(rc) = &r.receiver {
        used.push(rc.clone());
        if !names.contains(&rc.as_str()) {
            out.push(
                Diagnostic::error(RECEIVER, format!("{path}.receiver"), format!("receiver `{rc}` is not defined"))
                    .help(format!("define it under `alertmanager.receivers` (defined: {})", names.join(", "))),
            );
        }
    }
    for (i, m) in r.matchers.iter().enumerate() {
        if let Some(e) = matcher_error(m) {
            out.push(
                Diagnostic::error(MATCHER, format!("{path}.matchers[{i}]"), e)
                    .help("write `label=\"value\"`, `label!=\"v\"`, `label=~\"re\"` or `label!~\"re\"`"),
            );
        }
    }
    for (i, sub) in r.routes.iter().enumerate() {
        walk(sub, format!("{path}.routes[{i}]"), names, used, out);
    }
}

impl Check for AlertmanagerRoutes {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (RECEIVER, "a route names an undefined receiver, or a receiver is malformed"),
            (MATCHER, "a route or inhibit matcher does not parse"),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let am = &cx.spec.alertmanager;
        let names: Vec<&str> = am.receivers.iter().map(|r| r.name.as_str()).collect();
        let mut out = Vec::new();
        if am.route.receiver.is_none() {
            out.push(
                Diagnostic::error(RECEIVER, "alertmanager.route", "the root route has no receiver")
                    .help("set `alertmanager.route.receiver`: alerts no child route matches go there"),
            );
        }
        let mut used = Vec::new();
        walk(&am.route, "alertmanager.route".into(), &names, &mut used, &mut out);
        for (i, r) in am.receivers.iter().enumerate() {
            let path = format!("alertmanager.receivers[{i}]");
            if names.iter().filter(|n| **n == r.name).count() > 1 && names.iter().position(|n| *n == r.name) != Some(i) {
                out.push(
                    Diagnostic::error(RECEIVER, format!("{path}.name"), format!("receiver `{}` is defined twice", r.name))
                        .help("rename one"),
                );
            }
            for (wi, w) in r.webhook.iter().enumerate() {
                if !(w.url.starts_with("http://") || w.url.starts_with("https://")) {
                    out.push(
                        Diagnostic::error(
                            RECEIVER,
                            format!("{path}.webhook[{wi}].url"),
                            format!("webhook url `{}` is not an http(s) URL", w.url),
                        )
                        .help("write `http://host:port/path`"),
                    );
                }
            }
        }
        for (i, ir) in am.inhibit_rules.iter().enumerate() {
            for (field, list) in [("source_matchers", &ir.source_matchers), ("target_matchers", &ir.target_matchers)] {
                for (mi, m) in list.iter().enumerate() {
                    if let Some(e) = matcher_error(m) {
                        out.push(
                            Diagnostic::error(MATCHER, format!("alertmanager.inhibit_rules[{i}].{field}[{mi}]"), e)
                                .help("write `label=\"value\"`"),
                        );
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn flags_unknown_receivers_and_bad_matchers() {
        let bad = "version: 1\nalertmanager:\n  route: {receiver: ops, routes: [{receiver: nope, matchers: ['severity=critical', 'team=~\"(\"', 'bogus']}]}\n  receivers: [{name: ops, webhook: [{url: 'x'}]}]\n";
        assert_eq!(
            problems(&AlertmanagerRoutes, bad),
            vec![
                "alertmanager/receiver@alertmanager.route.routes[0].receiver",
                "alertmanager/matcher@alertmanager.route.routes[0].matchers[1]",
                "alertmanager/matcher@alertmanager.route.routes[0].matchers[2]",
                "alertmanager/receiver@alertmanager.receivers[0].webhook[0].url",
            ]
        );
    }

    /// A matcher's regex is parsed, not compiled: the same verdict and the
    /// same message as compiling it; the matcher itself is read as before.
    #[test]
    fn a_matchers_regex_is_judged_as_compiling_it_would() {
        for v in ["(", "db|web", "[z-a]", "a{2,1}", "\\p{Nope}", "(?P<x>a)(?P<x>b)", "é+", ".*", "a**"] {
            let m = format!("team=~\"{v}\"");
            let compiled = regex::Regex::new(&format!("^(?:{v})$"))
                .err()
                .map(|e| format!("`{m}`: bad regex: {}", e.to_string().lines().last().unwrap_or("")));
            assert_eq!(matcher_error(&m), compiled, "{m}");
        }
        assert_eq!(
            parse_matcher(r#" team =~ "db|wé\"b" "#),
            Some(("team".into(), "=~".into(), "db|wé\"b".into()))
        );
        assert_eq!(parse_matcher("env!=prod-é"), Some(("env".into(), "!=".into(), "prod-é".into())));
        assert_eq!(parse_matcher("1x=y"), None);
    }

    #[test]
    fn accepts_good_routes() {
        let good = "version: 1\nalertmanager:\n  route: {receiver: ops, routes: [{receiver: ops, matchers: ['severity=\"critical\"', 'team=~\"db|web\"']}]}\n  receivers: [{name: ops, webhook: [{url: 'http://x'}]}]\n";
        assert!(problems(&AlertmanagerRoutes, good).is_empty());
    }
}
