//! Structural errors, all at once: the parsed YAML is validated against the
//! spec's own JSON Schema (the one `genmon schema` prints) with the
//! `jsonschema` crate, and every violation becomes a diagnostic at its value,
//! with its full path and a fix. serde stops at the first error; this does not.

use std::sync::LazyLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::{Positions, Spec};
use crate::diag::{Diagnostic, did_you_mean};

/// The spec's JSON Schema and its compiled validator.
static SCHEMA: LazyLock<Option<(Value, Validator)>> = LazyLock::new(|| {
    let schema = serde_json::to_value(schemars::schema_for!(Spec)).ok()?;
    let validator = jsonschema::validator_for(&schema).ok()?;
    Some((schema, validator))
});

#[derive(Clone, Copy)]
enum At {
    Value,
    Key,
    Mapping,
}

/// One problem before it gets its position.
struct Problem {
    path: String,
    /// Where to point: the value, the key of the entry (unknown keys) or
    /// the mapping's first key (missing keys).
    at: At,
    message: String,
    help: String,
}

/// Every structural error of `text`, located; empty when the YAML does not
/// parse (the caller reports the syntax error) or matches the schema.
pub fn validate(code: &'static str, text: &str, positions: &Positions) -> Vec<Diagnostic> {
    let Ok(instance) = serde_yaml_ng::from_str::<Value>(text) else {
        return Vec::new();
    };
    let Some((schema, validator)) = SCHEMA.as_ref() else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    for e in validator.iter_errors(&instance) {
        convert(&e, &instance, schema, &mut problems);
    }
    merge_dedented(&mut problems);
    let mut out: Vec<Diagnostic> = problems
        .into_iter()
        .map(|p| {
            let mut d = Diagnostic::error(code, p.path.clone(), p.message).help(p.help);
            d.pos = match p.at {
                At::Value => positions.value(&p.path),
                At::Key => positions.key(&p.path),
                At::Mapping => positions.mapping(&p.path),
            };
            d
        })
        .collect();
    out.sort_by_key(|d| d.pos.map(|p| p.offset));
    out.dedup_by(|a, b| a.path == b.path && a.message == b.message);
    out
}

/// JSON pointer of the instance → spec path (`rules[0].alerts[1].for`).
fn spec_path(pointer: &str, instance: &Value) -> String {
    let mut path = String::new();
    let mut node = Some(instance);
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        match node {
            Some(Value::Array(a)) => {
                path.push_str(&format!("[{seg}]"));
                node = seg.parse::<usize>().ok().and_then(|i| a.get(i));
            }
            _ => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&seg);
                node = node.and_then(|n| n.get(&seg));
            }
        }
    }
    path
}

/// The value at a JSON pointer.
fn at<'a>(instance: &'a Value, pointer: &str) -> Option<&'a Value> {
    instance.pointer(pointer)
}

/// The schema object a keyword path leads to, following `$ref`s; the path's
/// last segment (the failing keyword) is dropped.
fn schema_node<'a>(schema: &'a Value, keyword_path: &str) -> Option<&'a Value> {
    let segs: Vec<&str> = keyword_path.split('/').skip(1).collect();
    let mut node = schema;
    for seg in &segs[..segs.len().saturating_sub(1)] {
        node = deref(schema, node);
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg == "$ref" {
            continue;
        }
        node = match node {
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => node.get(&seg)?,
        };
    }
    Some(deref(schema, node))
}

fn deref<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(p) => schema.pointer(p).unwrap_or(node),
        None => node,
    }
}

fn description(node: Option<&Value>) -> Option<String> {
    let d = node?.get("description")?.as_str()?;
    Some(d.split("\n\n").next().unwrap_or(d).replace('\n', " "))
}

fn show(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

fn kind_of(v: Option<&Value>) -> &'static str {
    match v {
        Some(Value::Null) | None => "nothing (null)",
        Some(Value::Bool(_)) => "a boolean",
        Some(Value::Number(_)) => "a number",
        Some(Value::String(_)) => "a string",
        Some(Value::Array(_)) => "a list",
        Some(Value::Object(_)) => "a mapping",
    }
}

fn type_name(t: &TypeKind) -> String {
    let one = |s: String| match s.as_str() {
        "object" => "a mapping".to_string(),
        "array" => "a list".to_string(),
        "integer" => "a whole number".to_string(),
        "number" => "a number".to_string(),
        "string" => "a string".to_string(),
        "boolean" => "true or false".to_string(),
        "null" => "nothing".to_string(),
        other => other.to_string(),
    };
    match t {
        TypeKind::Single(t) => one(t.to_string()),
        TypeKind::Multiple(set) => set.iter().map(|t| one(t.to_string())).collect::<Vec<_>>().join(" or "),
    }
}

fn convert(e: &ValidationError<'_>, instance: &Value, schema: &Value, out: &mut Vec<Problem>) {
    let pointer = e.instance_path().as_str();
    let path = spec_path(pointer, instance);
    let value = at(instance, pointer);
    let node = schema_node(schema, e.schema_path().as_str());
    let problem = |message: String, help: String| Problem {
        path: path.clone(),
        at: At::Value,
        message,
        help,
    };
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known: Vec<&str> = node
                .and_then(|n| n.get("properties"))
                .and_then(Value::as_object)
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            for k in unexpected {
                let file_key = format!("{k}_file");
                let help = match did_you_mean(k, known.iter().copied()) {
                    _ if known.contains(&file_key.as_str()) => format!(
                        "did you mean `{file_key}`? secrets are read from files: write the value to a file only genmon's services can read and give its path"
                    ),
                    Some(b) => format!("did you mean `{b}`?"),
                    None if known.is_empty() => "remove it (see `genmon schema` for the spec's shape)".into(),
                    None => format!("valid keys here: {}", known.join(", ")),
                };
                out.push(Problem {
                    path: if path.is_empty() { k.clone() } else { format!("{path}.{k}") },
                    at: At::Key,
                    message: format!("unknown key `{k}`"),
                    help,
                });
            }
        }
        ValidationErrorKind::Required { property } => {
            let p = show(Some(property));
            let what = description(node.and_then(|n| n.get("properties")).and_then(|n| n.get(&p)));
            let help = match what {
                Some(w) => format!("add `{p}:` ({w})"),
                None => format!("add `{p}:`"),
            };
            out.push(Problem {
                at: At::Mapping,
                ..problem(format!("missing key `{p}`"), help)
            });
        }
        ValidationErrorKind::Type { kind } => {
            let help = match value {
                Some(Value::String(_)) | Some(Value::Number(_)) => {
                    "check the value's type against `genmon schema` (quote strings that look like numbers)".to_string()
                }
                _ => description(node).unwrap_or_else(|| "see `genmon schema` for the spec's shape".into()),
            };
            let found = match value {
                Some(Value::Object(_) | Value::Array(_) | Value::Null) | None => kind_of(value).to_string(),
                v => format!("{} `{}`", kind_of(v), show(v)),
            };
            out.push(problem(format!("expected {}, found {found}", type_name(kind)), help));
        }
        ValidationErrorKind::Enum { options } => {
            let opts: Vec<String> = options
                .as_array()
                .map(|a| a.iter().map(|o| show(Some(o))).collect())
                .unwrap_or_default();
            let got = show(value);
            let help = match did_you_mean(&got, opts.iter().map(String::as_str)) {
                Some(b) => format!("did you mean `{b}`?"),
                None => format!("valid values: {}", opts.join(", ")),
            };
            out.push(problem(format!("unknown value `{got}`"), help));
        }
        ValidationErrorKind::Constant { expected_value } => {
            let want = show(Some(expected_value));
            out.push(problem(
                format!("unknown value `{}`", show(value)),
                format!("did you mean `{want}`?"),
            ));
        }
        ValidationErrorKind::Pattern { pattern } => {
            // "A Prometheus duration: `30s`, `5m`" → "is not a Prometheus duration", "write one like `30s`, `5m`".
            let (message, help) = match description(node).as_deref().and_then(|d| d.split_once(": ")) {
                Some((what, examples)) if what.starts_with("A ") || what.starts_with("An ") => (
                    format!("`{}` is not {}{}", show(value), &what[..1].to_lowercase(), &what[1..]),
                    format!("write one like {}", examples.trim_end_matches('.')),
                ),
                _ => (
                    format!("`{}` is not valid here", show(value)),
                    description(node).unwrap_or_else(|| format!("the value must match `{pattern}`")),
                ),
            };
            out.push(problem(message, help));
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            // Branches whose type does not even match are not what the user meant.
            let meant: Vec<&Vec<ValidationError<'static>>> = context
                .iter()
                .filter(|branch| {
                    !branch
                        .iter()
                        .any(|b| matches!(b.kind(), ValidationErrorKind::Type { .. }) && b.instance_path().as_str() == pointer)
                })
                .collect();
            match meant.iter().min_by_key(|b| b.len()) {
                Some(branch) => {
                    for b in branch.iter() {
                        convert(b, instance, schema, out);
                    }
                }
                None => {
                    let mut types: Vec<String> = context
                        .iter()
                        .flatten()
                        .filter_map(|b| match b.kind() {
                            ValidationErrorKind::Type { kind } => Some(type_name(kind)),
                            _ => None,
                        })
                        .collect();
                    types.dedup();
                    let found = kind_of(value);
                    out.push(problem(
                        format!("expected {}, found {found}", types.join(" or ")),
                        description(node).unwrap_or_else(|| "see `genmon schema` for the spec's shape".into()),
                    ));
                }
            }
        }
        _ => out.push(problem(
            e.to_string(),
            description(node).unwrap_or_else(|| "see `genmon schema` for the spec's shape".into()),
        )),
    }
}

/// A key dedented out of its mapping shows up twice: as unknown where it
/// landed and as missing where it belongs. Say that once, at the key.
fn merge_dedented(problems: &mut Vec<Problem>) {
    let mut merged = Vec::new();
    for (i, p) in problems.iter().enumerate() {
        let Some(k) = p.message.strip_prefix("unknown key `").and_then(|m| m.strip_suffix('`')) else {
            continue;
        };
        let parent = p.path.strip_suffix(k).map(|s| s.trim_end_matches('.')).unwrap_or("");
        let missing = format!("missing key `{k}`");
        if let Some(j) = problems
            .iter()
            .position(|q| q.message == missing && q.path.starts_with(parent) && q.path.len() > parent.len())
        {
            merged.push((i, j));
        }
    }
    for (i, j) in merged.iter().rev() {
        let owner = problems[*j].path.clone();
        let p = &mut problems[*i];
        let key = p.path.rsplit('.').next().unwrap_or("").to_string();
        let level = if p.path.contains('.') {
            format!("`{}`", &p.path[..p.path.len() - key.len() - 1])
        } else {
            "the top level".to_string()
        };
        p.message = format!("`{key}` belongs to `{owner}` but is indented as a key of {level}");
        p.help = format!("indent `{key}:` to line up with the other keys of `{owner}`");
    }
    let mut drop: Vec<usize> = merged.iter().map(|(_, j)| *j).collect();
    // A misspelt key is one mistake, not also a missing one.
    for p in problems.iter() {
        let Some((meant, _)) = p.help.strip_prefix("did you mean `").and_then(|h| h.split_once('`')) else {
            continue;
        };
        let parent = p.path.rsplit_once('.').map_or("", |(a, _)| a);
        let missing = format!("missing key `{meant}`");
        drop.extend(problems.iter().position(|q| q.message == missing && q.path == parent));
    }
    let mut i = 0;
    problems.retain(|_| {
        i += 1;
        !drop.contains(&(i - 1))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs(text: &str) -> Vec<(String, usize, usize, String, String)> {
        validate("spec/type", text, &Positions::index(text))
            .into_iter()
            .map(|d| {
                let p = d.pos.unwrap();
                (d.path, p.line, p.col, d.message, d.help.unwrap_or_default())
            })
            .collect()
    }

    #[test]
    fn every_structural_error_at_once_at_its_value() {
        let e = errs(
            "version: 1\nprometheus:\n  scrape_interval: 15sec\ndashboards:\n  - uid: a\n    titel: x\nrules:\n  - name: g\n    alerts:\n      - name: A\n        expr: up == 0\n        for: 10 minutes\n",
        );
        assert_eq!(e.len(), 3, "{e:#?}");
        assert_eq!((e[0].0.as_str(), e[0].1, e[0].2), ("prometheus.scrape_interval", 3, 20), "{e:#?}");
        assert!(
            e.iter().any(|x| x.0 == "dashboards[0].titel" && x.4 == "did you mean `title`?"),
            "{e:#?}"
        );
        let f = e.iter().find(|x| x.0 == "rules[0].alerts[0].for").expect("for");
        assert_eq!((f.1, f.2), (12, 14));
        assert!(f.4.contains("30s"), "{f:?}");
    }

    #[test]
    fn a_dedented_key_is_reported_as_dedented() {
        let e = errs("version: 1\ndashboards:\n  - uid: a\ntitle: x\n");
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!((e[0].1, e[0].2), (4, 1));
        assert!(e[0].3.contains("belongs to `dashboards[0]`"), "{e:#?}");
    }

    #[test]
    fn a_clean_spec_has_no_structural_errors() {
        let text = include_str!("../../genmon.yaml");
        assert!(errs(text).is_empty(), "{:#?}", errs(text));
    }
}
