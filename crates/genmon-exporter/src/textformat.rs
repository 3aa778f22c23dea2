//! A strict parser for the Prometheus text exposition format (0.0.4), used to
//! validate and merge textfile collector input.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use anyhow::{Context, bail};

use super::metric::{Family, Kind, Labels, Sample};

fn is_name(s: &str, colons: bool) -> bool {
    let mut it = s.bytes();
    let ok_first = |b: u8| b.is_ascii_alphabetic() || b == b'_' || (colons && b == b':');
    match it.next() {
        Some(b) if ok_first(b) => {}
        _ => return false,
    }
    it.all(|b| ok_first(b) || b.is_ascii_digit())
}

/// Whether `s` is a valid metric name.
pub fn is_metric_name(s: &str) -> bool {
    is_name(s, true)
}

fn unescape_help(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') => out.push('\n'),
                Some('\\') => out.push('\\'),
                Some(o) => {
                    out.push('\\');
                    out.push(o);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Parse a float the way Prometheus does (`NaN`, `+Inf`, `-Inf` included).
pub fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" | "nan" => Some(f64::NAN),
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        _ => {
            let v: f64 = s.parse().ok()?;
            v.is_finite().then_some(v)
        }
    }
}

/// Parse `{a="b",...}` starting at `s` (which begins with `{`); return labels and the rest.
fn parse_labels(s: &str) -> anyhow::Result<(Labels, &str)> {
    let mut labels: Labels = Vec::new();
    let mut rest = &s[1..];
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix('}') {
            return Ok((labels, r));
        }
        let eq = rest.find('=').context("expected `label=\"value\"`")?;
        let name = rest[..eq].trim();
        if !is_name(name, false) {
            bail!("invalid label name {name:?}");
        }
        if labels.iter().any(|(k, _)| k == name) {
            bail!("duplicate label {name:?}");
        }
        rest = rest[eq + 1..].trim_start();
        let Some(r) = rest.strip_prefix('"') else {
            bail!("label {name}: value must be quoted")
        };
        let mut value = String::new();
        let mut chars = r.char_indices();
        let end = loop {
            match chars.next() {
                None => bail!("label {name}: unterminated value"),
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    _ => bail!("label {name}: invalid escape in value"),
                },
                Some((_, c)) => value.push(c),
            }
        };
        labels.push((Cow::Owned(name.to_string()), value));
        rest = r[end + 1..].trim_start();
        if let Some(r) = rest.strip_prefix(',') {
            rest = r;
        } else if !rest.starts_with('}') {
            bail!("expected `,` or `}}` after label {name}");
        }
    }
}

struct Builder {
    fam: Family,
    has_help: bool,
    has_type: bool,
}

/// Parse exposition text into families (in first-seen order). Rejects
/// malformed lines, duplicate HELP/TYPE, TYPE after samples, duplicate
/// series, and client-side timestamps (not supported, as in node_exporter).
/// Families without HELP get `default_help`.
pub fn parse(text: &str, default_help: &str) -> anyhow::Result<Vec<Family>> {
    let mut fams: Vec<Builder> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut seen: HashSet<(String, Vec<(String, String)>)> = HashSet::new();
    let get = |fams: &mut Vec<Builder>, by_name: &mut HashMap<String, usize>, name: &str| -> usize {
        *by_name.entry(name.to_string()).or_insert_with(|| {
            fams.push(Builder {
                fam: Family {
                    name: Cow::Owned(name.to_string()),
                    help: Cow::Owned(default_help.to_string()),
                    kind: Kind::Untyped,
                    samples: Vec::new(),
                },
                has_help: false,
                has_type: false,
            });
            fams.len() - 1
        })
    };
    for (n, line) in text.lines().enumerate() {
        let at = || format!("line {}", n + 1);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            let c = c.trim_start();
            let (kw, rest) = c.split_once([' ', '\t']).unwrap_or((c, ""));
            if kw != "HELP" && kw != "TYPE" {
                continue; // plain comment
            }
            let rest = rest.trim_start();
            let (name, arg) = rest.split_once([' ', '\t']).unwrap_or((rest, ""));
            if !is_metric_name(name) {
                bail!("{}: invalid metric name {name:?} in # {kw}", at());
            }
            let i = get(&mut fams, &mut by_name, name);
            let b = &mut fams[i];
            if kw == "HELP" {
                if b.has_help {
                    bail!("{}: second HELP line for {name}", at());
                }
                b.has_help = true;
                b.fam.help = Cow::Owned(unescape_help(arg));
            } else {
                if b.has_type {
                    bail!("{}: second TYPE line for {name}", at());
                }
                if !b.fam.samples.is_empty() {
                    bail!("{}: TYPE line for {name} after its samples", at());
                }
                b.has_type = true;
                b.fam.kind = Kind::parse(arg.trim()).with_context(|| format!("{}: unknown type {:?} for {name}", at(), arg.trim()))?;
            }
            continue;
        }
        // Sample line.
        let name_end = line.find(['{', ' ', '\t']).unwrap_or(line.len());
        let sname = &line[..name_end];
        if !is_metric_name(sname) {
            bail!("{}: invalid metric name {sname:?}", at());
        }
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if rest.starts_with('{') {
            let (l, r) = parse_labels(rest).with_context(at)?;
            labels = l;
            rest = r;
        }
        let mut parts = rest.split_ascii_whitespace();
        let vs = parts.next().with_context(|| format!("{}: {sname}: missing value", at()))?;
        let value = parse_value(vs).with_context(|| format!("{}: {sname}: invalid value {vs:?}", at()))?;
        if parts.next().is_some() {
            bail!("{}: {sname}: client-side timestamps are not supported; remove the timestamp", at());
        }
        // Which family does the sample belong to?
        let mut target = (sname, "");
        for suffix in ["_bucket", "_sum", "_count"] {
            if let Some(base) = sname.strip_suffix(suffix)
                && let Some(&i) = by_name.get(base)
            {
                let k = fams[i].fam.kind;
                if k == Kind::Histogram || (k == Kind::Summary && suffix != "_bucket") {
                    target = (base, suffix);
                }
            }
        }
        let i = get(&mut fams, &mut by_name, target.0);
        let fam = &mut fams[i].fam;
        if fam.kind == Kind::Histogram && target.1.is_empty() {
            bail!("{}: histogram {} sample without _bucket/_sum/_count", at(), target.0);
        }
        if target.1 == "_bucket" && !labels.iter().any(|(k, _)| k == "le") {
            bail!("{}: {sname}: histogram bucket without `le` label", at());
        }
        let mut key: Vec<(String, String)> = labels.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        key.sort();
        if !seen.insert((sname.to_string(), key)) {
            bail!("{}: duplicate series {sname}{{...}}", at());
        }
        fam.samples.push(Sample {
            suffix: target.1,
            labels,
            value,
        });
    }
    Ok(fams.into_iter().map(|b| b.fam).filter(|f| !f.samples.is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::encode;

    #[test]
    fn parses_and_roundtrips() {
        let text = "# HELP app_jobs_total Jobs done.\n# TYPE app_jobs_total counter\napp_jobs_total{kind=\"a\\\"b\"} 3\n# comment\napp_temp 21.5\n# TYPE app_lat histogram\napp_lat_bucket{le=\"1\"} 1\napp_lat_bucket{le=\"+Inf\"} 2\napp_lat_sum 1.5\napp_lat_count 2\n";
        let f = parse(text, "From x.").unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].kind, Kind::Counter);
        assert_eq!(f[1].help, "From x.");
        assert_eq!(f[2].samples.len(), 4);
        assert_eq!(f[2].samples[2].suffix, "_sum");
        let out = encode(&f);
        assert!(out.contains("app_jobs_total{kind=\"a\\\"b\"} 3\n"), "{out}");
        assert!(out.contains("app_lat_bucket{le=\"+Inf\"} 2\n"), "{out}");
        assert!(out.contains("# HELP app_temp From x.\n# TYPE app_temp untyped\n"), "{out}");
    }

    #[test]
    fn rejects_bad_input() {
        for (text, want) in [
            ("1bad 1\n", "invalid metric name"),
            ("m{a=\"1\" 1\n", "expected `,`"),
            ("m{a=1} 1\n", "must be quoted"),
            ("m abc\n", "invalid value"),
            ("m 1 12345\n", "timestamps"),
            ("m 1\nm 2\n", "duplicate series"),
            ("m 1\n# TYPE m gauge\n", "after its samples"),
            ("# TYPE m gauge\n# TYPE m counter\n", "second TYPE"),
            ("# TYPE m foo\n", "unknown type"),
            ("# TYPE h histogram\nh_bucket 1\n", "without `le`"),
            ("m{a=\"1\",a=\"2\"} 1\n", "duplicate label"),
            ("m{a=\"x\\q\"} 1\n", "invalid escape"),
            ("m\n", "missing value"),
        ] {
            let e = format!("{:#}", parse(text, "").unwrap_err());
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }
}
