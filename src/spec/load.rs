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

/// How serde-saphyr reads the spec: the limits of [`super::limits`] as a
/// budget, a key given twice is an error, and scalars resolve as
/// serde_yaml_ng resolves them (YAML 1.2 core booleans: `yes`/`on` are
/// strings; `<<` is an ordinary key; `~` read as a string is the text `~`).
fn options() -> serde_saphyr::Options {
    use super::limits::{MAX_ALIAS_NODES, MAX_DEPTH};
    let aliases = usize::try_from(MAX_ALIAS_NODES).unwrap_or(usize::MAX);
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    // A spec's own events, nodes and anchors are bounded by its size
    // (limits::precheck); what aliases add is bounded below.
    budget.max_events = usize::MAX;
    budget.max_nodes = usize::MAX;
    budget.max_anchors = usize::MAX;
    budget.max_documents = 1;
    // Every alias adds at least one node.
    budget.max_aliases = aliases;
    // One anchor used by every alert (`labels: *team`) is ordinary.
    budget.enforce_alias_anchor_ratio = false;
    let mut o = serde_saphyr::Options::default();
    o.budget = Some(budget);
    // Every replayed node is at least one event: this refuses whatever
    // limits::scan refuses (and a little more, which the careful path judges).
    o.alias_limits.max_total_replayed_events = aliases;
    o.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    o.merge_keys = serde_saphyr::MergeKeyPolicy::AsOrdinary;
    o.strict_booleans = true;
    o.null_as_string = true;
    o.leading_zero_numbers_as_strings = true;
    o.underscored_numbers_as_strings = true;
    // `.inf` and `.nan` reach our types, whose checks say why they are refused.
    o.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
    o.with_snippet = false;
    o
}

/// Parse and type-check the spec. Returns every diagnostic found: all
/// duplicate keys; when serde (which stops at the first error) fails, every
/// structural error from the spec's JSON Schema ([`super::structure`]).
///
/// A clean spec takes one pass ([`one_pass`]): serde-saphyr streams the
/// parser's events into serde, within the limits, refusing duplicate keys.
/// Whatever it refuses goes the careful way ([`careful`]), which loads what
/// genmon always read and serde-saphyr does not, and words and locates every
/// problem as before.
pub fn load(src: &Source) -> Result<Loaded, Vec<Diagnostic>> {
    if std::env::var_os("GENMON_LOADBENCH").is_some() {
        loadbench(&src.text);
    }
    if let Some(d) = super::limits::precheck(src) {
        return Err(vec![d]);
    }
    let positions = Positions::index(&src.text);
    let spec = match one_pass(&src.text) {
        Some(spec) => spec,
        None => careful(src, &positions)?,
    };
    if spec.version != 1 {
        let mut d = Diagnostic::error(codes::VERSION, "version", format!("spec version {} is not supported", spec.version))
            .help("set `version: 1`");
        d.pos = positions.value("version");
        return Err(vec![d]);
    }
    Ok(Loaded { spec, positions })
}

/// A key written as a string that reads as an integer (`'1':`, `!!str 1:`).
/// serde-saphyr compares keys as YAML values, so `1` and `'1'` differ for it,
/// yet both are the key `1` of a map of strings (the later silently replacing
/// the first): a spec with such a key goes the careful way, whose duplicate
/// check compares keys as text.
static QUOTED_INTEGER_KEY: LazyLock<Regex> = LazyLock::new(|| {
    let int = r"[-+]?(?:[0-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+)";
    Regex::new(&format!(r#"(?:'{int}'|"{int}")[ \t]*:|!!str\b"#)).expect("regex")
});

/// Most empty values [`one_pass`] writes out before it leaves the spec to
/// the careful path (each one costs a pass up to it).
const MAX_EMPTY: usize = 8;

/// The spec read by serde-saphyr, or `None` when it refused the text.
///
/// An empty value where a list or mapping goes (`rules:` with every rule
/// commented out) is YAML's null, which serde-saphyr refuses there;
/// serde_yaml_ng (and so genmon) always read it as an empty list or mapping.
/// Each one is written out (`rules: []`) in a copy of the text, and the pass
/// runs again.
fn one_pass(text: &str) -> Option<Spec> {
    if QUOTED_INTEGER_KEY.is_match(text) {
        return None;
    }
    let mut patched = std::borrow::Cow::Borrowed(text);
    for _ in 0..=MAX_EMPTY {
        let e = match serde_saphyr::from_str_with_options::<Spec>(&patched, options()) {
            Ok(spec) => return Some(spec),
            Err(e) => e,
        };
        let (at, empty) = empty_collection(&patched, &e)?;
        patched.to_mut().insert_str(at, empty);
    }
    None
}

/// Where to write `[]` or `{}` when serde-saphyr's error is a list or mapping
/// found empty: the byte offset after the value's `:` (or `-`, or `?`), and
/// what to insert there.
fn empty_collection(text: &str, e: &serde_saphyr::Error) -> Option<(usize, &'static str)> {
    let serde_saphyr::Error::Unexpected { expected, location } = e.without_snippet() else {
        return None;
    };
    let empty = match *expected {
        "sequence start" => " []",
        "mapping start" => " {}",
        _ => return None,
    };
    let line = usize::try_from(location.line()).ok()?.checked_sub(1)?;
    let col = usize::try_from(location.column()).ok()?.checked_sub(1)?;
    let start = if line == 0 {
        0
    } else {
        text.match_indices('\n').nth(line - 1)?.0 + 1
    };
    let rest = text.get(start..)?;
    // serde-saphyr marks the value's indicator; nothing follows it but
    // blanks up to the end of the line, a comment, or the end of a flow
    // collection's entry.
    let at = start + rest.char_indices().nth(col).map_or(rest.len(), |(i, _)| i);
    let after = text[at..].strip_prefix([':', '-', '?'])?;
    let value = after.trim_start_matches([' ', '\t']);
    let nothing = value.is_empty() || value.starts_with(['\n', '\r', '#', ',', '}', ']']);
    nothing.then_some((at + 1, empty))
}

/// The spec read with yaml-rust2 and serde_yaml_ng, side by side: one pass
/// of yaml-rust2's events checks the depth and alias limits and finds
/// duplicate keys (located, both positions); serde_yaml_ng's typed parse
/// (bounded on its own) gives serde's error with its spec path. A limit
/// exceeded wins over everything else, then duplicates.
fn careful(src: &Source, positions: &Positions) -> Result<Spec, Vec<Diagnostic>> {
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

    /// A spec source named `t.yaml` (also used by the sibling modules' tests).
    pub(in crate::spec) fn src(t: &str) -> Source {
        Source {
            name: "t.yaml".into(),
            text: t.into(),
        }
    }

    /// What serde-saphyr read, as JSON, or `None` when it refused the text
    /// (the careful path then decides, as before).
    fn fast(t: &str) -> Option<serde_json::Value> {
        let spec = one_pass(t)?;
        Some(serde_json::to_value(spec).expect("spec as JSON"))
    }

    /// What the careful path (yaml-rust2 and serde_yaml_ng) read, as JSON.
    fn careful_json(t: &str) -> Result<serde_json::Value, Vec<Diagnostic>> {
        let s = src(t);
        let spec = careful(&s, &Positions::index(t))?;
        Ok(serde_json::to_value(spec).expect("spec as JSON"))
    }

    /// YAML forms whose reading could differ between YAML libraries: each is
    /// read the same by the one pass as by the careful path, or refused by
    /// the one pass (the careful path then reads or reports it as before).
    const FORMS: &[&str] = &[
        // Booleans: YAML 1.2 core only; `yes`/`on`/`y` are not booleans.
        "version: 1\nstack: {self_monitoring: yes}\n",
        "version: 1\nstack: {self_monitoring: no}\n",
        "version: 1\nstack: {self_monitoring: on}\n",
        "version: 1\nstack: {self_monitoring: off}\n",
        "version: 1\nstack: {self_monitoring: y}\n",
        "version: 1\nstack: {self_monitoring: True}\n",
        "version: 1\nstack: {self_monitoring: FALSE}\n",
        // Integers: octal, hex, binary, signs, leading zeros, underscores, floats.
        "version: 1\nstack: {grafana_port: 0o7000}\n",
        "version: 1\nstack: {grafana_port: 0x1F00}\n",
        "version: 1\nstack: {grafana_port: 0b101}\n",
        "version: 1\nstack: {grafana_port: +3000}\n",
        "version: 1\nstack: {grafana_port: 0755}\n",
        "version: 1\nstack: {grafana_port: 3000.0}\n",
        "version: 1\nstack: {grafana_port: 99999}\n",
        "version: 1\nstack: {grafana_port: 3_000}\n",
        "version: 1\nstack: {grafana_port: '3000'}\n",
        "version: '1'\n",
        "version: 1\nstack: {grafana_port: -1}\n",
        "version: 1\nstack: {grafana_port: ~}\n",
        "version: 1\nstack: {grafana_port: }\n",
        "version: 1.0\n",
        "version: !!int 1\n",
        "version: !!str 1\n",
        "version: !custom 1\n",
        // Strings: every plain scalar is its text, null-like ones included.
        "version: 1\nprometheus: {external_labels: {a: yes, b: 1_000, c: 0755, d: 1.0, e: ~, f: null, g: .inf, h: 0x10, i: 1e3, j: 12:30, k: 2001-12-14, l: true, m: '', n: Off}}\n",
        "version: 1\nprometheus:\n  external_labels:\n    a:\n    b: !!str 1\n    c: !!map {}\n",
        "version: 1\nalerting: {runbook_base_url: ~}\n",
        "version: 1\nalerting: {runbook_base_url: .nan}\n",
        "version: 1\nprometheus: {external_labels: {a: 'it''s', b: \"tab\\there\", c: \"\\u00e9\", d: \"\\x41\"}}\n",
        "version: 1\nprometheus:\n  external_labels:\n    a: >-\n      folded\n      text\n    b: |+\n      keep\n\n    c: |2-\n        indented\n    d: plain\n      continued\n",
        // Numbers or names (untagged enums): what is a number is read as one.
        "version: 1\nrules: [{name: g, alerts: [{name: A, threshold: {signal: s, op: '>', value: 1_000}, severity: critical, summary: s, description: d}]}]\n",
        "version: 1\nrules: [{name: g, alerts: [{name: A, threshold: {signal: s, op: '>', value: 0755}, severity: critical, summary: s, description: d}]}]\n",
        "version: 1\nrules: [{name: g, alerts: [{name: A, threshold: {signal: s, op: '>', value: 0x10}, severity: critical, summary: s, description: d}]}]\n",
        "version: 1\nrules: [{name: g, alerts: [{name: A, threshold: {signal: s, op: '>', value: 1e3}, severity: critical, summary: s, description: d}]}]\n",
        "version: 1\nrules: [{name: g, alerts: [{name: A, threshold: {signal: s, op: '>', value: .inf}, severity: critical, summary: s, description: d}]}]\n",
        "version: 1\nrules: [{name: g, alerts: [{name: A, threshold: {signal: s, op: '>', value: -.Inf}, severity: critical, summary: s, description: d}]}]\n",
        "version: 1\nrules: [{name: g, alerts: [{name: A, threshold: {signal: s, op: '>', value: .NaN}, severity: critical, summary: s, description: d}]}]\n",
        "version: 1\nrules: [{name: g, alerts: [{name: A, threshold: {signal: s, op: '>', value: yes}, severity: critical, summary: s, description: d}]}]\n",
        "version: 1\nrules: [{name: g, alerts: [{name: A, threshold: {signal: s, op: '>', value: '5'}, severity: critical, summary: s, description: d}]}]\n",
        "version: 1\nrules: [{name: g, alerts: [{name: A, threshold: {signal: s, op: '>', value: ~}, severity: critical, summary: s, description: d}]}]\n",
        "version: 1\nrules: [{name: g, alerts: [{name: A, threshold: {signal: s, op: '>', value: 07}, severity: critical, summary: s, description: d}]}]\n",
        "version: 1\npacks: [node, {name: db}, 1_0, 010]\n",
        // Merge keys are ordinary keys (genmon never merged them); anchors and aliases.
        "version: 1\nalerting: {<<: {runbook_base_url: x}}\n",
        "version: 1\nprometheus: {external_labels: {<<: {a: b}}}\n",
        "version: 1\nprometheus: {external_labels: &l {a: b}}\nalertmanager: {}\nstack: {}\ngrafana: {}\nmetrics: {}\nalerting: {}\nsignals: {}\nrules: [{name: g, alerts: [{name: A, expr: up == 0, severity: critical, summary: s, description: d, labels: *l}]}]\n",
        "version: &v 1\nstack: {grafana_port: *v}\n",
        // Duplicate keys, in structs and in maps, spelt alike or not.
        "version: 1\nstack: {grafana_port: 1, grafana_port: 2}\n",
        "version: 1\nprometheus: {external_labels: {a: '1', a: '2'}}\n",
        "version: 1\nprometheus: {external_labels: {a: '1', \"a\": '2'}}\n",
        "version: 1\nprometheus: {external_labels: {1: a, 0x1: b}}\n",
        "version: 1\nprometheus: {external_labels: {1: a, '1': b}}\n",
        "version: 1\nprometheus: {external_labels: {true: a, 'true': b}}\n",
        "version: 1\nprometheus: {external_labels: {~: a, null: b}}\n",
        // Empty values, empty documents, several documents, markers, BOM.
        "version: 1\nstack:\n",
        "version: 1\nstack: ~\n",
        "version: 1\nsignals:\n",
        "version: 1\ndashboards:\n",
        "version: 1\ndashboards: ~\n",
        "version: 1\nrules:\n  - name: g\n    alerts:\n",
        "version: 1\nrules:\n  - name: g\n    alerts: # none yet\n    recording:\r\nsignals:\t\nstack:\n",
        "version: 1\nrules:\n  -\n",
        "version: 1\nrules: [{name: g, alerts: }]\n",
        "version: 1\nrules: [{name: g, alerts:}]\n",
        "version: 1\nsignals: {a: }\n",
        "version: 1\nstack: \"\"\n",
        "version: 1\nstack: !!null\n",
        "version: 1\nstack: &s\n",
        "version: 1\nstack:\n  5\n",
        "version: 1\ndashboards: -\n",
        "",
        "# only a comment\n",
        "---\n",
        "---\nversion: 1\n",
        "version: 1\n...\n",
        "version: 1\n---\nversion: 1\n",
        "version: 1\n---\n",
        "%YAML 1.1\n---\nversion: 1\n",
        "%YAML 1.2\n---\nversion: 1\nstack: {self_monitoring: yes}\n",
        "\u{feff}version: 1\n",
        "version: 1\nprometheus: {external_labels: {a: \"\u{feff}x\"}}\n",
        "version: 1\r\nstack: {grafana_port: 3001}\r\n",
        "{version: 1, stack: {grafana_port: 3001}}",
        "version: 1\n\tstack: {}\n",
        "version: 1\nstack: {grafana_port: 3001\n",
        "version: 1\nx: *nope\n",
    ];

    /// Forms the one pass reads although serde_yaml_ng refused them: a number
    /// quoted or written with `_` where a number is wanted, and an empty
    /// value right before a flow mapping's `}` (YAML 1.2 allows it).
    fn lenient() -> Vec<(&'static str, &'static str, serde_json::Value)> {
        vec![
            ("version: 1\nstack: {grafana_port: 3_000}\n", "/stack/grafana_port", 3000.into()),
            ("version: 1\nstack: {grafana_port: '3000'}\n", "/stack/grafana_port", 3000.into()),
            ("version: '1'\n", "/version", 1.into()),
            (
                "version: 1\nrules: [{name: g, alerts:}]\n",
                "/rules/0/alerts",
                serde_json::json!([]),
            ),
        ]
    }

    #[test]
    fn one_pass_reads_every_form_as_the_careful_path() {
        let mut read = 0;
        for t in FORMS {
            let Some(new) = fast(t) else { continue };
            read += 1;
            match careful_json(t) {
                Ok(old) => assert_eq!(new, old, "{t:?} is read differently"),
                Err(d) => {
                    let Some((_, at, want)) = lenient().into_iter().find(|(form, ..)| form == t) else {
                        panic!("{t:?}: the one pass reads what genmon refused: {d:?}")
                    };
                    assert_eq!(new.pointer(at), Some(&want), "{t:?}");
                }
            }
        }
        assert!(read > 20, "only {read} forms read by the one pass");
    }

    #[test]
    fn lenient_forms_are_read_by_the_one_pass() {
        for (form, ..) in lenient() {
            assert!(FORMS.contains(&form) && fast(form).is_some(), "{form:?}");
        }
    }

    /// An empty value where a list or mapping goes is an empty one, in the
    /// one pass (not the careful way), in block and flow style, up to
    /// MAX_EMPTY of them; more still load, the careful way.
    #[test]
    fn empty_values_are_empty_lists_and_mappings() {
        let t = "version: 1\nstack:\nsignals: # none yet\ndashboards:\r\nrules:\n  - name: g\n    alerts: \n    recording: [ ]\n  - {name: h, alerts: , interval: 1m}\n";
        let spec = fast(t).expect("read in one pass");
        assert_eq!(spec["signals"], serde_json::json!({}));
        assert_eq!(spec["dashboards"], serde_json::json!([]));
        assert_eq!(spec["rules"][0]["alerts"], serde_json::json!([]));
        assert_eq!(spec["rules"][1]["alerts"], serde_json::json!([]));
        assert_eq!(spec["rules"][1]["interval"], "1m");
        let many: String = (0..=MAX_EMPTY).map(|i| format!("  - name: g{i}\n    alerts:\n")).collect();
        let many = format!("version: 1\nrules:\n{many}");
        assert!(fast(&many).is_none(), "more than MAX_EMPTY go the careful way");
        let loaded = load(&src(&many)).expect("loads the careful way");
        assert_eq!(loaded.spec.rules.len(), MAX_EMPTY + 1);
        assert!(loaded.spec.rules.iter().all(|g| g.alerts.is_empty()));
    }

    /// `1` and `'1'` are one key of a map of strings: a duplicate, as before.
    #[test]
    fn a_key_spelt_as_number_and_as_string_is_a_duplicate() {
        for t in [
            "version: 1\nprometheus: {external_labels: {1: a, '1': b}}\n",
            "version: 1\nprometheus: {external_labels: {\"1\": a, 1: b}}\n",
            "version: 1\nprometheus: {external_labels: {!!str 1: a, 1: b}}\n",
        ] {
            let e = load(&src(t)).unwrap_err();
            assert_eq!(e.len(), 1, "{e:?}");
            assert_eq!(e[0].code, codes::SYNTAX);
            assert!(e[0].message.starts_with("duplicate key `1` (first at line 2, column "), "{e:?}");
            assert_eq!(e[0].path, "prometheus.external_labels.1");
        }
        // Two spellings of one integer are two keys of a map of strings, as before.
        let spec = load(&src("version: 1\nprometheus: {external_labels: {1: a, 0x1: b}}\n"))
            .unwrap()
            .spec;
        assert_eq!(spec.prometheus.external_labels.len(), 2);
    }

    /// Every spec in the repository (examples, test specs, fuzz seeds, the
    /// bad-spec corpus): the one pass reads what the careful path reads.
    #[test]
    fn one_pass_reads_the_repository_specs_as_the_careful_path() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![root.to_path_buf()];
        let (mut read, mut refused) = (0, 0);
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).expect("repository directory").flatten() {
                let p = e.path();
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if p.is_dir() {
                    if !name.starts_with('.') && !matches!(name, "target" | "prof-target" | "node_modules") {
                        dirs.push(p);
                    }
                    continue;
                }
                if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
                    continue;
                }
                let Ok(t) = std::fs::read_to_string(&p) else { continue };
                match fast(&t) {
                    Some(new) => {
                        read += 1;
                        let old = careful_json(&t).unwrap_or_else(|d| panic!("{}: read by the one pass only: {d:?}", p.display()));
                        assert_eq!(new, old, "{} is read differently", p.display());
                    }
                    None => refused += 1,
                }
            }
        }
        assert!(read >= 30 && refused >= 30, "{read} specs read, {refused} refused");
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

#[allow(clippy::all)]
fn loadbench(t: &str) {
    fn med(name: &str, mut f: impl FnMut()) {
        let mut v: Vec<f64> = (0..15)
            .map(|_| {
                let n = std::time::Instant::now();
                f();
                n.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        eprintln!("{name:40} median {:.2} ms min {:.2}", v[7], v[0]);
    }
    let s = Source {
        name: "x".into(),
        text: t.into(),
    };
    med("saphyr options()", || {
        drop(serde_saphyr::from_str_with_options::<Spec>(t, options()))
    });
    med("saphyr no budget", || {
        let mut o = options();
        o.budget = None;
        drop(serde_saphyr::from_str_with_options::<Spec>(t, o))
    });
    med("saphyr no budget, dups passthrough", || {
        let mut o = options();
        o.budget = None;
        o.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
        drop(serde_saphyr::from_str_with_options::<Spec>(t, o))
    });
    med("saphyr defaults", || drop(serde_saphyr::from_str::<Spec>(t)));
    med("saphyr Value", || {
        drop(serde_saphyr::from_str_with_options::<serde_json::Value>(t, options()))
    });
    med("one_pass", || drop(one_pass(t)));
    med("regex", || {
        std::hint::black_box(QUOTED_INTEGER_KEY.is_match(t));
    });
    med("serde_yaml_ng", || drop(serde_yaml_ng::from_str::<Spec>(t)));
    med("serde_yaml_ng Value", || drop(serde_yaml_ng::from_str::<serde_yaml_ng::Value>(t)));
    med("scan+dups", || {
        let mut dups = super::positions::DuplicateKeys::default();
        drop(super::limits::scan(&s, |ev, mark| dups.on_event(ev, mark)).map(|()| dups.found(t)))
    });
    med("yaml-rust2 events", || {
        let mut p = yaml_rust2::parser::Parser::new_from_str(t);
        let mut n = 0;
        while let Ok((ev, _)) = p.next_token() {
            if ev == yaml_rust2::parser::Event::StreamEnd {
                break;
            }
            n += 1;
        }
        std::hint::black_box(n);
    });
    med("scan noop", || drop(super::limits::scan(&s, |_, _| {})));
    med("precheck", || drop(super::limits::precheck(&s)));
    med("careful", || drop(careful(&s, &Positions::index(t))));
    med("granit events", || {
        let mut p = serde_saphyr::granit_parser::Parser::new_from_str(t);
        let mut n = 0;
        while let Some(Ok(_)) = p.next() {
            n += 1;
        }
        std::hint::black_box(n);
    });
}
