//! YAML → [`Spec`]. Syntax and type errors become located diagnostics with a
//! "did you mean" hint for misspelt keys and values.

use std::sync::LazyLock;

use regex::Regex;
use yaml_rust2::parser::MarkedEventReceiver as _;

use super::{Positions, Source, Spec};
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
    if let Some(d) = super::limits::precheck(src) {
        return Err(vec![d]);
    }
    let positions = Positions::index(&src.text);
    // Side by side: one pass of yaml-rust2's events checks the depth and
    // alias limits and finds duplicate keys; serde_yaml_ng's typed parse is
    // bounded on its own (recursion and alias-repetition limits), so it need
    // not wait. A limit exceeded wins over everything else, then duplicates.
    let (scanned, parsed) = crate::par::join(
        || {
            let mut dups = super::positions::DuplicateKeys::default();
            super::limits::scan(src, |ev, mark| dups.on_event(ev, mark)).map(|()| dups.found(&src.text))
        },
        || serde_yaml_ng::from_str::<Spec>(&src.text),
    );
    let duplicates = duplicate_keys(scanned.map_err(|d| vec![*d])?, &positions);
    if !duplicates.is_empty() {
        return Err(duplicates);
    }
    let spec: Spec = match parsed {
        Ok(s) => s,
        Err(e) => {
            let first = alert_kind_error(from_yaml_error(src, &e), &src.text, &positions);
            if first.code == crate::check::alert_kind::KIND {
                return Err(vec![first]);
            }
            // serde stops at the first error: report every structural one.
            let all = super::structure::validate(codes::TYPE, &src.text, &positions);
            return Err(if all.is_empty() { vec![first] } else { all });
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

    /// A spec source named `t.yaml` (also used by the sibling modules' tests).
    pub(in crate::spec) fn src(t: &str) -> Source {
        Source {
            name: "t.yaml".into(),
            text: t.into(),
        }
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

    #[test]
    fn version_is_checked() {
        let e = load(&src("version: 2\n")).unwrap_err();
        assert_eq!(e[0].code, codes::VERSION);
        assert_eq!(e[0].pos.map(|p| p.line), Some(1));
    }
}
