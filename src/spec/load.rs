//! YAML → [`Spec`]. Syntax and type errors become located diagnostics with a
//! "did you mean" hint for misspelt keys and values.

use std::sync::LazyLock;

use regex::Regex;
use yaml_rust2::parser::MarkedEventReceiver as _;

use super::{Positions, Source, Spec, split};
use crate::diag::{Diagnostic, Pos, did_you_mean};

/// Codes of the problems found while loading.
pub mod codes {
    /// The YAML is not well-formed.
    pub const SYNTAX: &str = "spec/syntax";
    /// A key is unknown, a value has the wrong type, or a required key is missing.
    pub const TYPE: &str = "spec/type";
    /// The spec's `version` is not supported.
    pub const VERSION: &str = "spec/version";
}

/// A loaded spec and the positions of its values.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub spec: Spec,
    pub positions: Positions,
}

static AT_LINE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r" at line \d+ column \d+").expect("regex"));
static PATH_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^((?:[A-Za-z_$][\w$-]*|\[\d+\])(?:\.[\w$-]+|\[\d+\])*): (.*)$").expect("regex"));
static UNKNOWN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"unknown (field|variant) `([^`]*)`, expected (?:one of )?(.*)$").expect("regex"));

/// Parse and type-check the spec. Returns every diagnostic found: all
/// duplicate keys; when serde (which stops at the first error) fails, every
/// structural error from the spec's JSON Schema ([`super::structure`]); a
/// clean spec takes serde's fast path alone.
pub fn load(src: &Source) -> Result<Loaded, Vec<Diagnostic>> {
    load_with(src, true)
}

/// [`load`], trying the long lists cut into items first ([`split`]) when `cut`.
fn load_with(src: &Source, cut: bool) -> Result<Loaded, Vec<Diagnostic>> {
    // The cut guards each piece it parses against deep nesting itself
    // ([`load_cut`]); the whole text is prechecked before its parse.
    if let Some(d) = super::limits::too_big(src) {
        return Err(vec![d]);
    }
    // The positions' copy of the text is made beside the parse (a core is
    // otherwise idle while the parse cuts the text).
    let (positions, cut_spec) = crate::par::join(|| Positions::index(&src.text), || cut.then(|| load_cut(src)).flatten());
    let spec = match cut_spec {
        Some(spec) => {
            #[cfg(test)]
            tests::CUTS.with(|n| n.set(n.get() + 1));
            #[cfg(debug_assertions)]
            {
                // The whole-text loader reads the same spec (or refuses the same version).
                let whole = load_with(src, false).map(|l| format!("{:?}", l.spec)).map_err(|d| d[0].code);
                let cut = (spec.version == 1).then(|| format!("{spec:?}")).ok_or(codes::VERSION);
                let brief = |r: &Result<String, &str>| r.as_ref().map_or_else(|c| format!("error {c}"), |_| "a spec".into());
                assert!(
                    cut == whole,
                    "the cut reads {} where the whole text reads {} ({})",
                    brief(&cut),
                    brief(&whole),
                    src.name
                );
            }
            spec
        }
        None => {
            if let Some(d) = super::limits::precheck(src) {
                return Err(vec![d]);
            }
            load_whole(src, &positions)?
        }
    };
    if spec.version != 1 {
        let mut d = Diagnostic::error(codes::VERSION, "version", format!("spec version {} is not supported", spec.version))
            .help("set `version: 1`");
        d.pos = positions.value("version");
        return Err(vec![d]);
    }
    Ok(Loaded { spec, positions })
}

/// The spec from its lists' items and the rest parsed side by side, when the
/// cut holds ([`split`]): the rest passes the whole-text checks (limits,
/// duplicate keys, its shape as the cut saw it) while the typed parse runs.
/// `None` sends the text to [`load_whole`], which reports what is wrong.
/// No YAML scanner reads a piece that nests too deep (the scanner is
/// quadratic in flow nesting): the rest is checked here, each item before
/// its parse ([`split::item`]), so the text-only limit runs on all cores.
fn load_cut(src: &Source) -> Option<Spec> {
    let cut = split::split(&src.text)?;
    if super::limits::nests_deep(&cut.rest) {
        return None;
    }
    let rest = Source {
        name: src.name.clone(),
        text: cut.rest.clone(),
    };
    let (holds, spec) = crate::par::join(
        || {
            let mut dups = super::positions::DuplicateKeys::default();
            let mut shape = split::Shape::default();
            let scanned = super::limits::scan(&rest, |ev, mark| {
                shape.see(&ev, mark);
                dups.on_event(ev, mark);
            });
            scanned.is_ok() && dups.is_empty() && shape.agrees(&cut.keys)
        },
        || split::parse(&cut),
    );
    spec.filter(|_| holds)
}

/// The whole text at once. Side by side: one pass of yaml-rust2's events
/// checks the depth and alias limits and finds duplicate keys;
/// serde_yaml_ng's typed parse is bounded on its own (recursion and
/// alias-repetition limits), so it need not wait. A limit exceeded wins over
/// everything else, then duplicates.
fn load_whole(src: &Source, positions: &Positions) -> Result<Spec, Vec<Diagnostic>> {
    let (scanned, parsed) = crate::par::join(
        || {
            let mut dups = super::positions::DuplicateKeys::default();
            super::limits::scan(src, |ev, mark| dups.on_event(ev, mark)).map(|()| dups.found(&src.text))
        },
        || serde_yaml_ng::from_str::<Spec>(&src.text),
    );
    let duplicates = duplicate_keys(scanned.map_err(|d| vec![*d])?, positions);
    if !duplicates.is_empty() {
        return Err(duplicates);
    }
    parsed.map_err(|e| {
        let first = alert_kind_error(from_yaml_error(src, &e), &src.text, positions);
        if first.code == crate::check::alert_kind::KIND {
            return vec![first];
        }
        // serde stops at the first error: report every structural one.
        let all = super::structure::validate(codes::TYPE, &src.text, positions);
        if all.is_empty() { vec![first] } else { all }
    })
}

/// Every key given twice in one mapping (anywhere: `signals`, a dashboard, ...).
fn duplicate_keys(found: Vec<(String, Pos, Pos)>, positions: &Positions) -> Vec<Diagnostic> {
    found
        .into_iter()
        .map(|(key, first, second)| {
            let path = positions.key_path_at(second.offset).unwrap_or_default();
            let mut d = Diagnostic::error(
                codes::SYNTAX,
                path,
                format!("duplicate key `{key}` (first at line {}, column {})", first.line, first.col),
            )
            .help("a key appears once per mapping; the later one would silently replace the first: remove or rename one");
            d.pos = Some(second);
            d
        })
        .collect()
}

/// An alert with none or several kind keys (`Alert`'s `TryFrom`): serde
/// locates it at the alert's list; point at the extra kind key (or the alert's
/// name when it gives none) with the spec path of the alert itself.
fn alert_kind_error(mut d: Diagnostic, text: &str, positions: &Positions) -> Diagnostic {
    let Some(gives) = d
        .message
        .strip_prefix(super::ALERT_KIND_ERROR)
        .and_then(|m| m.split_once(" gives "))
    else {
        return d;
    };
    let extra = gives.1.split(", ").nth(1).map(|k| k.trim_matches('`').to_string());
    d.code = crate::check::alert_kind::KIND;
    d.help = Some(match &extra {
        Some(_) => "keep one way of saying when the alert fires".into(),
        None => format!("add one of {}", super::ALERT_KIND_KEYS.join(", ")),
    });
    let Some(at) = d.pos else { return d };
    // serde marks the alert's start in a block list but the list's start in a
    // flow list: the first alert at or after that mark with the reported name.
    let Some(name) = gives.0.rsplit_once("alert `").map(|(_, n)| n.trim_end_matches('`')) else {
        return d;
    };
    let list = d.path.clone();
    let named = |i: usize| {
        let p = positions.value_exact(&format!("{list}[{i}].name"))?;
        let v = text.get(p.offset..)?.trim_start_matches(['\'', '"']);
        let rest = v.strip_prefix(name)?;
        Some(rest.starts_with(['\'', '"', ',', '}', ' ', '\n', '\r', '#']) || rest.is_empty())
    };
    let mut items = (0..).map_while(|i| positions.value_exact(&format!("{list}[{i}]")).map(|p| (i, p)));
    let Some((i, _)) = items.find(|(i, p)| p.offset >= at.offset && named(*i) == Some(true)) else {
        return d;
    };
    let alert = format!("{list}[{i}]");
    let (path, pos) = match &extra {
        Some(k) => (format!("{alert}.{k}"), positions.key(&format!("{alert}.{k}"))),
        None => (format!("{alert}.name"), positions.value(&format!("{alert}.name"))),
    };
    d.path = path;
    d.pos = pos.or(d.pos);
    d
}

fn from_yaml_error(src: &Source, e: &serde_yaml_ng::Error) -> Diagnostic {
    let full = e.to_string();
    let msg = AT_LINE.replace(&full, "").to_string();
    let (path, msg) = match PATH_PREFIX.captures(&msg) {
        Some(c) => (c[1].to_string(), c[2].to_string()),
        None => (String::new(), msg.clone()),
    };
    let syntax = !msg.contains("unknown field")
        && !msg.contains("unknown variant")
        && !msg.contains("missing field")
        && !msg.contains("invalid type")
        && !msg.contains("invalid value")
        && !msg.contains("is not a duration")
        && !msg.contains("did not match any variant")
        && !msg.contains("invalid length");
    let code = if syntax { codes::SYNTAX } else { codes::TYPE };
    let mut d = Diagnostic::error(code, path, msg.clone());
    if let Some(loc) = e.location() {
        let line = loc.line().max(1);
        let start = src.text.split_inclusive('\n').take(line - 1).map(str::len).sum::<usize>();
        let rest = &src.text[start.min(src.text.len())..];
        let col = loc.column().max(1);
        let offset = start + rest.char_indices().nth(col - 1).map(|(i, _)| i).unwrap_or(rest.len());
        let word = src.text[offset..]
            .find([' ', '\n', ':', ',', '}', ']'])
            .unwrap_or(src.text.len() - offset);
        d.pos = Some(Pos {
            line,
            col,
            offset,
            len: word.max(1),
        });
    }
    d.help = hint(&msg);
    if syntax && let Some(pos) = d.pos {
        // yaml's "found character that cannot start any token" at a tab.
        let line_start = src.text[..pos.offset].rfind('\n').map_or(0, |i| i + 1);
        let line = src.text[line_start..].lines().next().unwrap_or("");
        let indent = &line[..line.len() - line.trim_start().len()];
        if indent.contains('\t') || src.text[pos.offset..].starts_with('\t') {
            d.message = "a tab character: YAML indents with spaces only".into();
            d.help = Some("replace the tab with spaces (and set your editor to insert spaces in .yaml files)".into());
        }
    }
    d
}

fn hint(msg: &str) -> Option<String> {
    if let Some(c) = UNKNOWN.captures(msg) {
        let (what, got) = (&c[1], &c[2]);
        let expected: Vec<&str> = c[3]
            .split(", ")
            .map(|s| s.trim_matches(['`', ' '].as_ref()))
            .filter(|s| !s.is_empty())
            .collect();
        return Some(match did_you_mean(got, expected.iter().copied()) {
            Some(e) => format!("did you mean `{e}`?"),
            None => format!("valid {what}s here: {}", expected.join(", ")),
        });
    }
    if msg.starts_with("missing field") {
        return Some("add the missing key (see `genmon schema` for the spec's shape)".into());
    }
    if msg.contains("invalid type") {
        return Some("check the value's type against `genmon schema` (quote strings that look like numbers)".into());
    }
    None
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    thread_local! {
        /// Loads on this thread that took the cut (the lists' items parsed side by side).
        pub(in crate::spec) static CUTS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// A spec source named `t.yaml` (also used by the sibling modules' tests).
    pub(in crate::spec) fn src(t: &str) -> Source {
        Source {
            name: "t.yaml".into(),
            text: t.into(),
        }
    }

    /// Block YAML for `v` (keys plain when they can be, every string
    /// double-quoted), with the first entry of the mapping at JSON pointer
    /// `twice` written a second time.
    fn block(v: &serde_json::Value, path: &str, indent: usize, twice: &str, out: &mut String) {
        use serde_json::Value;
        let pad = " ".repeat(indent);
        let nested = |v: &Value| matches!(v, Value::Object(m) if !m.is_empty()) || matches!(v, Value::Array(a) if !a.is_empty());
        let inline = |v: &Value| match v {
            Value::Object(_) => "{}".to_string(),
            Value::Array(_) => "[]".to_string(),
            v => v.to_string(),
        };
        match v {
            Value::Object(m) => {
                let first = m.iter().next().filter(|_| path == twice);
                for (k, x) in m.iter().chain(first) {
                    let key = if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        k.clone()
                    } else {
                        Value::from(k.as_str()).to_string()
                    };
                    let at = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                    if nested(x) {
                        out.push_str(&format!("{pad}{key}:\n"));
                        block(x, &at, indent + 2, twice, out);
                    } else {
                        out.push_str(&format!("{pad}{key}: {}\n", inline(x)));
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    if nested(x) {
                        out.push_str(&format!("{pad}-\n"));
                        block(x, &format!("{path}/{i}"), indent + 2, twice, out);
                    } else {
                        out.push_str(&format!("{pad}- {}\n", inline(x)));
                    }
                }
            }
            v => out.push_str(&format!("{pad}{}\n", inline(v))),
        }
    }

    /// The items of the long lists are read by the typed parse alone when
    /// the cut holds, so that parse must refuse a key given twice in every
    /// mapping of a dashboard or a rule group. Each mapping of a spec that
    /// has every kind of one, written with a key twice, is refused as the
    /// whole-text loader refuses it; and every map the schema gives those
    /// items is among them.
    #[test]
    fn a_key_given_twice_anywhere_in_an_item_is_refused() {
        use serde_json::Value;
        let extra = r#"
  - name: more
    recording:
      - {record: a:b:c, expr: up, labels: {x: y, z: w}}
    alerts:
      - {name: T, severity: warning, threshold: {signal: requests, op: '>', value: 1, thresholds_by: {instance: {a: 1, b: 2}}}, labels: {a: b}, annotations: {c: d}}
      - {name: N, severity: warning, anomaly: {signal: requests, sigma: 4, window: 1d, direction: up}}
      - {name: R, severity: warning, regression: {signal: requests, percent: 20, baseline: lastweek}}
      - {name: E, severity: warning, exhaustion: {signal: requests, within: 4h, limit: 0}}
      - {name: S, severity: critical, slo: {objective: 99.9, period: 7d, latency: {histogram: h_bucket, le: 0.5}, by: [job]}}
      - {name: H, severity: warning, health: {name: h, components: [{signal: requests, bad: 1, good: 0, weight: 2}], below: 40}}
    tests:
      - interval: 1m
        external_labels: {cluster: c, region: r}
        input_series: [{series: 'up{job="a"}', values: '1x10'}]
        alert_rule_test:
          - {eval_time: 5m, alertname: T, exp_alerts: [{exp_labels: {severity: warning, a: b}, exp_annotations: {summary: s, c: d}}]}
        promql_expr_test:
          - {expr: up, eval_time: 1m, exp_samples: [{labels: 'up{job="a"}', value: 1}]}
"#;
        let text = include_str!("../../tests/specs/full.yaml").replacen("\nservices:", &format!("{extra}services:"), 1);
        let value: Value = serde_yaml_ng::from_str(&text).unwrap();
        let mut base = String::new();
        block(&value, "", 0, "-", &mut base);
        let before = CUTS.with(std::cell::Cell::get);
        let loaded = load(&src(&base)).unwrap_or_else(|d| panic!("{d:?}\n{base}"));
        assert_eq!(CUTS.with(std::cell::Cell::get) - before, 1, "not cut:\n{base}");
        // (Its keys come sorted: compare the items.)
        let items = |s: &Spec| format!("{:?}{:?}", s.dashboards, s.rules);
        assert!(
            items(&loaded.spec) == items(&load(&src(&text)).unwrap().spec),
            "the written spec reads otherwise"
        );

        // Every mapping in the items, with the names of the maps among them.
        let mut maps = std::collections::BTreeSet::new();
        let mut stack: Vec<(String, &Value)> = ["dashboards", "rules"].iter().map(|k| (format!("/{k}"), &value[k])).collect();
        let mut tried = 0;
        while let Some((path, v)) = stack.pop() {
            match v {
                Value::Object(m) => {
                    stack.extend(m.iter().map(|(k, x)| (format!("{path}/{k}"), x)));
                    let twice = m.keys().next().unwrap();
                    let mut text = String::new();
                    block(&value, "", 0, &path, &mut text);
                    let d = load(&src(&text))
                        .err()
                        .unwrap_or_else(|| panic!("{path}: `{twice}` twice is accepted:\n{text}"));
                    assert_eq!(d[0].code, codes::SYNTAX, "{path}: {d:?}");
                    assert!(d[0].message.starts_with(&format!("duplicate key `{twice}`")), "{path}: {d:?}");
                    maps.insert(path.rsplit('/').next().unwrap().to_string());
                    tried += 1;
                }
                Value::Array(a) => stack.extend(a.iter().enumerate().map(|(i, x)| (format!("{path}/{i}"), x))),
                _ => {}
            }
        }
        assert!(tried > 60, "{tried}");

        // The maps the schema gives a dashboard or a rule group, anywhere in them.
        let schema = serde_json::to_value(schemars::schema_for!(Spec)).unwrap();
        let defs = &schema["$defs"];
        let mut seen = std::collections::BTreeSet::new();
        let mut todo = vec!["Dashboard".to_string(), "RuleGroup".to_string()];
        let mut schema_maps = std::collections::BTreeSet::new();
        while let Some(def) = todo.pop() {
            if !seen.insert(def.clone()) {
                continue;
            }
            let node = &defs[&def];
            assert!(!node.is_null(), "no schema for {def}");
            let text = node.to_string();
            for r in text.split("\"$ref\":\"#/$defs/").skip(1) {
                todo.push(r.split('"').next().unwrap().to_string());
            }
            let props = node["properties"].as_object().into_iter().flatten();
            let variants = node["oneOf"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|v| v["properties"].as_object().into_iter().flatten());
            for (name, p) in props.chain(variants) {
                let p = p["anyOf"]
                    .as_array()
                    .and_then(|a| a.iter().find(|x| !x["additionalProperties"].is_null()))
                    .unwrap_or(p);
                if p["type"] == "object" && p["additionalProperties"].is_object() {
                    schema_maps.insert(name.clone());
                }
            }
        }
        assert!(
            schema_maps.contains("thresholds_by") && schema_maps.contains("exp_labels"),
            "{schema_maps:?}"
        );
        let untried: Vec<_> = schema_maps.difference(&maps).collect();
        assert!(
            untried.is_empty(),
            "no `{untried:?}` map in this test's items: add one, so that its repeated keys are tried"
        );
    }

    /// How the loader reads YAML forms whose reading differs between YAML
    /// libraries and versions (YAML 1.1 vs 1.2, libyaml vs others): what a
    /// spec means must not change when the YAML crate does. `Ok` is the
    /// value at a JSON pointer into the loaded spec, `Err` the first code.
    #[test]
    fn yaml_forms_read_as_genmon_always_read_them() {
        use serde_json::{Value, json};
        let alert = |v: &str| {
            format!(
                "version: 1\nrules: [{{name: g, alerts: [{{name: A, threshold: {{signal: s, op: '>', value: {v}}}, severity: critical, summary: s, description: d}}]}}]\n"
            )
        };
        let value = "/rules/0/alerts/0/threshold/value";
        let port = |v: &str| format!("version: 1\nstack: {{grafana_port: {v}}}\n");
        let flag = |v: &str| format!("version: 1\nstack: {{self_monitoring: {v}}}\n");
        let label = |v: &str| format!("version: 1\nprometheus: {{external_labels: {{a: {v}}}}}\n");
        let labels = "/prometheus/external_labels";
        let cases: Vec<(String, &str, Result<Value, &str>)> = vec![
            // Booleans: YAML 1.2 core spellings only; YAML 1.1's yes/on/y are not booleans.
            (flag("True"), "/stack/self_monitoring", Ok(json!(true))),
            (flag("FALSE"), "/stack/self_monitoring", Ok(json!(false))),
            (flag("yes"), "", Err(codes::TYPE)),
            (flag("no"), "", Err(codes::TYPE)),
            (flag("on"), "", Err(codes::TYPE)),
            (flag("off"), "", Err(codes::TYPE)),
            (flag("y"), "", Err(codes::TYPE)),
            // Integers: 0o/0x/0b prefixes and a sign; no YAML 1.1 octal (0755), no `_`, no quotes.
            (port("0o7000"), "/stack/grafana_port", Ok(json!(3584))),
            (port("0x1F00"), "/stack/grafana_port", Ok(json!(7936))),
            (port("0b101"), "/stack/grafana_port", Ok(json!(5))),
            (port("+3000"), "/stack/grafana_port", Ok(json!(3000))),
            (port("0755"), "", Err(codes::TYPE)),
            (port("3_000"), "", Err(codes::TYPE)),
            (port("'3000'"), "", Err(codes::TYPE)),
            (port("3000.0"), "", Err(codes::TYPE)),
            (port("99999"), "", Err(codes::TYPE)),
            (port("~"), "", Err(codes::TYPE)),
            ("version: '1'\n".into(), "", Err(codes::TYPE)),
            ("version: !!int 1\n".into(), "/version", Ok(json!(1))),
            ("version: !custom 1\n".into(), "/version", Ok(json!(1))),
            // Where a string goes, every plain scalar is its own text.
            (label("yes"), labels, Ok(json!({"a": "yes"}))),
            (label("1_000"), labels, Ok(json!({"a": "1_000"}))),
            (label("0755"), labels, Ok(json!({"a": "0755"}))),
            (label("1.0"), labels, Ok(json!({"a": "1.0"}))),
            (label("0x10"), labels, Ok(json!({"a": "0x10"}))),
            (label("~"), labels, Ok(json!({"a": "~"}))),
            (label("null"), labels, Ok(json!({"a": "null"}))),
            (label(".inf"), labels, Ok(json!({"a": ".inf"}))),
            (label("12:30"), labels, Ok(json!({"a": "12:30"}))),
            (label("2001-12-14"), labels, Ok(json!({"a": "2001-12-14"}))),
            (label("''"), labels, Ok(json!({"a": ""}))),
            (label("'it''s'"), labels, Ok(json!({"a": "it's"}))),
            (label("\"t\\u00e9\""), labels, Ok(json!({"a": "t\u{e9}"}))),
            ("version: 1\nprometheus:\n  external_labels:\n    a: >-\n      folded\n      text\n    b: |\n      kept\n    c: plain\n      continued\n".into(), labels, Ok(json!({"a": "folded text", "b": "kept\n", "c": "plain continued"}))),
            // A number or a level's name: what reads as a number is one.
            (alert("0.5"), value, Ok(json!(0.5))),
            (alert("1e3"), value, Ok(json!(1000.0))),
            (alert("0x10"), value, Ok(json!(16.0))),
            (alert("1_000"), value, Ok(json!("1_000"))),
            (alert("0755"), value, Ok(json!("0755"))),
            (alert("yes"), value, Ok(json!("yes"))),
            (alert("'5'"), value, Ok(json!("5"))),
            ("version: 1\npacks: [node, 1_0, 010]\n".into(), "/packs", Ok(json!(["node", "1_0", "010"]))),
            // Anchors and aliases; `<<` is an ordinary key (never merged).
            ("version: &v 1\nstack: {grafana_port: *v}\n".into(), "/stack/grafana_port", Ok(json!(1))),
            ("version: 1\nprometheus: {external_labels: &l {a: b}}\nkubernetes: {labels: *l}\n".into(), "/kubernetes/labels", Ok(json!({"a": "b"}))),
            ("version: 1\nalerting: {<<: {runbook_base_url: x}}\n".into(), "", Err(codes::TYPE)),
            ("version: 1\nstack: {grafana_port: *nope}\n".into(), "", Err(codes::SYNTAX)),
            // Keys given twice, compared as text.
            ("version: 1\nstack: {grafana_port: 1, grafana_port: 2}\n".into(), "", Err(codes::SYNTAX)),
            ("version: 1\nprometheus: {external_labels: {a: x, \"a\": y}}\n".into(), "", Err(codes::SYNTAX)),
            ("version: 1\nprometheus: {external_labels: {1: x, '1': y}}\n".into(), "", Err(codes::SYNTAX)),
            ("version: 1\nprometheus: {external_labels: {true: x, 'true': y}}\n".into(), "", Err(codes::SYNTAX)),
            ("version: 1\nprometheus: {external_labels: {1: x, 0x1: y}}\n".into(), labels, Ok(json!({"1": "x", "0x1": "y"}))),
            // An empty value is an empty list or mapping; null (`~`) is not.
            ("version: 1\nstack:\n".into(), "/stack/grafana_port", Ok(json!(3000))),
            ("version: 1\nsignals: # none yet\n".into(), "/signals", Ok(json!({}))),
            ("version: 1\ndashboards:\r\n".into(), "/dashboards", Ok(json!([]))),
            ("version: 1\nrules:\n  - name: g\n    alerts:\n".into(), "/rules/0/alerts", Ok(json!([]))),
            ("version: 1\nrules: [{name: g, alerts: , interval: 1m}]\n".into(), "/rules/0/alerts", Ok(json!([]))),
            ("version: 1\nstack: ~\n".into(), "", Err(codes::TYPE)),
            ("version: 1\ndashboards: ~\n".into(), "", Err(codes::TYPE)),
            ("version: 1\nrules: [{name: g, alerts:}]\n".into(), "", Err(codes::SYNTAX)),
            // Documents: one, markers allowed, a BOM skipped; empty or several refused.
            ("---\nversion: 1\n...\n".into(), "/version", Ok(json!(1))),
            ("%YAML 1.1\n---\nversion: 1\n".into(), "/version", Ok(json!(1))),
            ("\u{feff}version: 1\n".into(), "/version", Ok(json!(1))),
            ("{version: 1, stack: {grafana_port: 3001}}".into(), "/stack/grafana_port", Ok(json!(3001))),
            ("version: 1\n---\nversion: 1\n".into(), "", Err(codes::SYNTAX)),
            ("".into(), "", Err(codes::TYPE)),
            ("# only a comment\n".into(), "", Err(codes::TYPE)),
            ("version: 1\n\tstack: {}\n".into(), "", Err(codes::SYNTAX)),
        ];
        let mut wrong = Vec::new();
        for (t, at, want) in &cases {
            let got = match load(&src(t)) {
                Ok(l) => Ok(serde_json::to_value(&l.spec)
                    .expect("spec as JSON")
                    .pointer(at)
                    .cloned()
                    .unwrap_or(Value::Null)),
                Err(d) => Err(d[0].code),
            };
            if got != *want {
                wrong.push(format!("{t:?} at {at:?}: got {got:?}, want {want:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn unknown_key_points_at_it_and_suggests() {
        let e = load(&src("version: 1\ndashboards:\n  - uid: a\n    titel: x\n")).unwrap_err();
        assert_eq!(e[0].code, codes::TYPE);
        assert_eq!(e[0].pos.map(|p| (p.line, p.col)), Some((4, 5)));
        assert_eq!(e[0].help.as_deref(), Some("did you mean `title`?"));
        assert_eq!(e[0].path, "dashboards[0].titel");
        assert_eq!(e.len(), 1, "the misspelt key is not also reported missing: {e:?}");
    }

    #[test]
    fn syntax_error_is_located() {
        let e = load(&src("version: 1\ndashboards: [\n")).unwrap_err();
        assert_eq!(e[0].code, codes::SYNTAX);
        assert!(e[0].pos.is_some());
    }

    /// Flow collections nested past the limit in a cut list's item, or in
    /// the rest of a cut spec, never reach a YAML scanner (quadratic in that
    /// nesting: minutes at this depth); the spec is refused with the limit,
    /// located, as when the whole text is read.
    #[test]
    fn deep_nesting_in_a_cut_piece_is_refused_where_it_is() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let item = |i: usize, extra: &str| format!("- uid: d{i}\n  title: B{i}\n{extra}");
        let in_item = format!(
            "version: 1\ndashboards:\n{}{}{}",
            item(0, ""),
            item(1, &format!("  tags: {deep}\n")),
            item(2, "")
        );
        let in_rest = format!("version: 1\nx: {deep}\ndashboards:\n{}{}", item(0, ""), item(1, ""));
        for (text, line) in [(in_item, 7), (in_rest, 2)] {
            let s = src(&text);
            assert!(split::split(&s.text).is_some(), "not cut: {}", &text[..60]);
            let e = load(&s).unwrap_err();
            assert_eq!(
                (e[0].code, e[0].pos.map(|p| p.line)),
                (super::super::limits::LIMIT, Some(line)),
                "{e:?}"
            );
        }
    }

    #[test]
    fn version_is_checked() {
        let e = load(&src("version: 2\n")).unwrap_err();
        assert_eq!(e[0].code, codes::VERSION);
        assert_eq!(e[0].pos.map(|p| p.line), Some(1));
    }

    /// Differential: specs mutated line by line (quotes, list dashes,
    /// indents, anchors, document markers, fake keys) load the same with the
    /// long lists cut into items as from the whole text: the same spec, or
    /// the same diagnostics at the same positions.
    #[test]
    fn cut_and_whole_loads_agree_on_mutated_specs() {
        let mut many =
            String::from("version: 1\nsignals:\n  s: {title: S, expr: 'rate(x_total[5m])', thresholds: {high: 3}}\ndashboards:\n");
        for i in 0..12 {
            many.push_str(&format!(
                "# board {i}\n- uid: d{i}\n  title: 'Board {i}'\n  panels:\n  - signal: s\n    title: \"P: {i}\"\n  - {{signal: s}}\n"
            ));
        }
        many.push_str("rules:\n");
        for i in 0..6 {
            many.push_str(&format!("  - name: g{i}\n    alerts:\n      - name: A{i}\n        threshold: {{signal: s, op: '>', value: high}}\n        severity: warning\n\n"));
        }
        let seeds = [
            include_str!("../../fuzz/seeds/genmon.yaml"),
            many.as_str(),
            "version: 1\nsignals:\n  s: {title: S, expr: 'rate(x_total[5m])'}\ndashboards:\n- uid: a\n  title: A\n  panels:\n  - {signal: s}\n- uid: b\n  title: B\n  description: |\n    - text\n  panels: [{signal: s}]\nrules:\n  - name: g\n    alerts:\n    - {name: A, threshold: {signal: s, op: '>', value: 1}, severity: warning, summary: s, description: d}\n  - name: h\n    alerts: []\n",
        ];
        let snippets = [
            "\"",
            "'",
            "- ",
            "  - x: 1",
            "# c",
            "&a ",
            "*a",
            "---",
            "...",
            "dashboards:",
            "rules:",
            "|",
            "  \"a",
            "\t",
            "-",
            "? k",
            "%TAG ! x",
            "  ",
            "}",
            "[",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let (mut cut_taken, mut runs, mut valid) = (0, 0, 0);
        let before = CUTS.with(std::cell::Cell::get);
        for seed in seeds {
            for _ in 0..300 {
                let mut lines: Vec<String> = seed.lines().map(str::to_string).collect();
                for _ in 0..1 + next(3) {
                    let i = next(lines.len());
                    match next(6) {
                        0 => {
                            lines.remove(i);
                        }
                        1 => lines.insert(i, lines[i].clone()),
                        2 => lines.insert(i, snippets[next(snippets.len())].to_string()),
                        3 => {
                            let at = next(lines[i].len() + 1);
                            if lines[i].is_char_boundary(at) {
                                lines[i].insert_str(at, snippets[next(snippets.len())]);
                            }
                        }
                        4 => lines[i] = format!("{}{}", " ".repeat(next(3)), lines[i].trim_start_matches(' ')),
                        _ => {
                            let j = next(lines.len());
                            lines.swap(i, j);
                        }
                    }
                    if lines.is_empty() {
                        lines.push("version: 1".into());
                    }
                }
                let s = src(&(lines.join("\n") + "\n"));
                runs += 1;
                if split::split(&s.text).is_some() {
                    cut_taken += 1;
                }
                let show = |r: Result<Loaded, Vec<Diagnostic>>| match r {
                    Ok(l) => Ok(format!("{:?}", l.spec)),
                    Err(d) => Err(format!("{d:?}")),
                };
                let whole = show(load_with(&s, false));
                valid += usize::from(whole.is_ok());
                assert_eq!(show(load_with(&s, true)), whole, "{}", s.text);
            }
        }
        assert!(cut_taken * 2 > runs, "only {cut_taken} of {runs} mutants were cut");
        // Most mutants that load at all load through the cut.
        let loaded_cut = CUTS.with(std::cell::Cell::get) - before;
        assert!(
            loaded_cut * 3 > valid * 2,
            "only {loaded_cut} of the {valid} valid mutants (of {runs}) loaded through the cut"
        );
    }
}

#[cfg(test)]
mod bench_cut {
    /// `benches/render-vs-python.sh`'s spec takes the cut: its items parse
    /// on all cores, only a few lines of the rest on one.
    #[test]
    fn the_bench_spec_is_cut_into_its_dashboards_and_groups() {
        let text = crate::cli::bench_spec::generate(20, 5, 200);
        let before = super::tests::CUTS.with(std::cell::Cell::get);
        let loaded = super::load(&super::tests::src(&text)).unwrap();
        assert_eq!(super::tests::CUTS.with(std::cell::Cell::get) - before, 1);
        let cut = crate::spec::split::split(&text).unwrap();
        assert_eq!(cut.items.len(), loaded.spec.dashboards.len() + loaded.spec.rules.len());
        assert!(cut.rest.len() * 20 < text.len(), "rest of {} bytes", cut.rest.len());
    }
}
