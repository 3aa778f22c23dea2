//! Expands the subset of Prometheus' alert templates (Go `text/template`)
//! genmon writes, so generated promtool tests can state the exact annotations
//! an alert carries. Anything outside the subset is an error: the alert then
//! gets no generated test (and `alerts/untested` asks for one).
//!
//! Supported: `{{ $value }}`, `{{ $value | humanize }}` (also
//! `humanizePercentage`, `humanizeDuration`, `humanize1024`, and the `humanize $value` call
//! form), `{{ $labels.name }}`, `{{ with $labels.name }}…{{ . }}…{{ end }}`,
//! `{{ printf "%.Nf" $value }}`, `{{ $labels.name | urlquery }}`.

use std::borrow::Cow;
use std::collections::BTreeMap;

/// Expand `text` for a sample with `labels` and `value`.
pub fn expand(text: &str, labels: &BTreeMap<String, String>, value: f64) -> Result<String, String> {
    let mut out = String::with_capacity(text.len() + 16);
    expand_into(text, labels, value, None, &mut out)?;
    Ok(out)
}

/// [`expand`] appending to `out` (a buffer used again saves an allocation).
pub fn expand_to(text: &str, labels: &BTreeMap<String, String>, value: f64, out: &mut String) -> Result<(), String> {
    expand_into(text, labels, value, None, out)
}

/// Whether `text` can print the sample's value (`$value`, `.Value`): only
/// such texts change with it.
pub fn reads_value(text: &str) -> bool {
    text.contains("$value") || text.contains(".Value")
}

/// A value in a pipeline: the sample's value stays a number until printed
/// (Go passes the float itself from function to function), text borrows
/// the label it came from.
enum Val<'a> {
    Num(f64),
    Text(Cow<'a, str>),
}

impl<'a> Val<'a> {
    /// As a function's number argument.
    fn num(&self) -> Option<f64> {
        match self {
            Val::Num(v) => Some(*v),
            Val::Text(s) => s.parse().ok(),
        }
    }

    /// As printed.
    fn text(self) -> Cow<'a, str> {
        match self {
            Val::Num(v) => go_float(v).into(),
            Val::Text(s) => s,
        }
    }
}

fn expand_into(text: &str, labels: &BTreeMap<String, String>, value: f64, dot: Option<&str>, out: &mut String) -> Result<(), String> {
    let mut rest = text;
    while let Some(start) = pair(rest, b'{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = pair(after, b'}').ok_or("unclosed `{{`")?;
        let action = after[..end].trim_matches(|c: char| c == '-' || c.is_whitespace());
        rest = &after[end + 2..];
        if let Some(arg) = action.strip_prefix("with ") {
            // Find the matching {{ end }} (no nesting supported).
            let close = rest
                .find("{{ end }}")
                .or_else(|| rest.find("{{end}}"))
                .ok_or("`with` without `end`")?;
            let body = &rest[..close];
            rest = &rest[close + if rest[close..].starts_with("{{ end }}") { 9 } else { 7 }..];
            let v = term(arg.trim(), labels, value, dot)?.text();
            if !v.is_empty() {
                expand_into(body, labels, value, Some(&v), out)?;
            }
            continue;
        }
        out.push_str(&pipeline(action, labels, value, dot)?.text());
    }
    out.push_str(rest);
    Ok(())
}

/// Where `cc` (`{{` or `}}`) first occurs in `s` (`str::find` with a
/// two-byte pattern builds a substring searcher on every call).
fn pair(s: &str, c: u8) -> Option<usize> {
    let b = s.as_bytes();
    memchr::memchr_iter(c, b).find(|&i| b.get(i + 1) == Some(&c))
}

fn term<'a>(t: &str, labels: &'a BTreeMap<String, String>, value: f64, dot: Option<&'a str>) -> Result<Val<'a>, String> {
    if t == "$value" || t == ".Value" {
        return Ok(Val::Num(value));
    }
    if t == "." {
        return dot.map(|d| Val::Text(d.into())).ok_or_else(|| "`.` outside `with`".into());
    }
    if let Some(l) = t.strip_prefix("$labels.").or_else(|| t.strip_prefix(".Labels.")) {
        return Ok(Val::Text(labels.get(l).map_or("", String::as_str).into()));
    }
    Err(format!("unsupported template term `{t}`"))
}

fn pipeline<'a>(action: &str, labels: &'a BTreeMap<String, String>, value: f64, dot: Option<&'a str>) -> Result<Val<'a>, String> {
    let mut parts = action.split('|').map(str::trim);
    let head = parts.next().ok_or("empty action")?;
    let mut words = head.split_whitespace();
    let first = words.next().ok_or("empty action")?;
    let mut cur = match first {
        "humanize" | "humanizePercentage" | "humanizeDuration" | "humanize1024" => {
            let arg = words.next().ok_or("function without argument")?;
            apply(first, term(arg, labels, value, dot)?)?
        }
        "printf" => {
            let fmt = words.next().ok_or("printf without format")?.trim_matches('"');
            let arg = words.next().ok_or("printf without argument")?;
            let v = term(arg, labels, value, dot)?.num().ok_or("printf of a non-number")?;
            let prec = fmt
                .strip_prefix("%.")
                .and_then(|f| f.strip_suffix('f'))
                .and_then(|p| p.parse::<usize>().ok())
                .ok_or("unsupported printf format")?;
            Val::Text(format!("{v:.prec$}").into())
        }
        t => term(t, labels, value, dot)?,
    };
    for f in parts {
        cur = apply(f, cur)?;
    }
    Ok(cur)
}

fn apply<'a>(func: &str, arg: Val<'a>) -> Result<Val<'a>, String> {
    if func == "urlquery" {
        return Ok(Val::Text(urlquery(&arg.text()).into()));
    }
    let v = arg.num().ok_or_else(|| format!("`{func}` of a non-number"))?;
    Ok(Val::Text(
        match func {
            "humanize" => humanize(v),
            "humanizePercentage" => format!("{}%", g4(v * 100.0)),
            "humanizeDuration" => humanize_duration(v),
            "humanize1024" => humanize1024(v),
            _ => return Err(format!("unsupported template function `{func}`")),
        }
        .into(),
    ))
}

/// Go's `urlquery` (`url.QueryEscape`): a query-string value, space as `+`,
/// every byte but `A-Za-z0-9-_.~` as `%XX`.
pub fn urlquery(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// How Go prints zero, NaN and the infinities in every float format.
fn go_special(v: f64) -> Option<String> {
    if v == 0.0 {
        Some("0".into())
    } else if v.is_nan() {
        Some("NaN".into())
    } else if v.is_infinite() {
        Some(if v > 0.0 { "+Inf" } else { "-Inf" }.into())
    } else {
        None
    }
}

/// Go's `%v` of a float64 (shortest representation, exponent outside 1e-4..1e21).
pub fn go_float(v: f64) -> String {
    if let Some(s) = go_special(v) {
        return s;
    }
    let exp = v.abs().log10().floor() as i32;
    if !(-4..21).contains(&exp) {
        let s = format!("{v:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        return format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    format!("{v}")
}

/// Go's `%.4g`.
pub fn g4(v: f64) -> String {
    if let Some(s) = go_special(v) {
        return s;
    }
    // A whole number of up to four digits prints as itself (the common
    // case: thresholds and test values); the exponent form below is slow.
    if v.fract() == 0.0 && (1.0..1e4).contains(&v.abs()) {
        return (v as i64).to_string();
    }
    g4_exp(v)
}

/// [`g4`] of a finite, non-zero `v`, through Rust's exponent formatting.
fn g4_exp(v: f64) -> String {
    let s = format!("{v:.3e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = e.parse().unwrap_or(0);
    let trim = |x: &str| -> String {
        if x.contains('.') {
            x.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            x.to_string()
        }
    };
    if !(-4..4).contains(&exp) {
        return format!("{}e{}{:02}", trim(m), if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    let decimals = (3 - exp).max(0) as usize;
    trim(&format!("{v:.decimals$}"))
}

/// Prometheus' `humanize`.
pub fn humanize(mut v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return g4(v);
    }
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", g4(v))
}

/// Prometheus' `humanize1024` (IEC prefixes, `%.4g`).
pub fn humanize1024(mut v: f64) -> String {
    if v.abs() <= 1.0 || !v.is_finite() {
        return g4(v);
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    format!("{}{prefix}", g4(v))
}

/// Prometheus' `humanizeDuration`.
pub fn humanize_duration(v: f64) -> String {
    if !v.is_finite() {
        return g4(v);
    }
    if v == 0.0 {
        return "0s".into();
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        let a = v.abs();
        let d = a as i64;
        let (s, m, h, days) = (d % 60, (d / 60) % 60, (d / 3600) % 24, d / 86400);
        return if days != 0 {
            format!("{sign}{days}d {h}h {m}m {s}s")
        } else if h != 0 {
            format!("{sign}{h}h {m}m {s}s")
        } else if m != 0 {
            format!("{sign}{m}m {s}s")
        } else {
            format!("{sign}{}s", g4(a))
        };
    }
    let mut v = v;
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", g4(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(
            [g4(2.0), g4(1.045), g4(0.0144), g4(12345.0), g4(0.00001)],
            ["2", "1.045", "0.0144", "1.234e+04", "1e-05"]
        );
        assert_eq!(
            [g4(9999.0), g4(10000.0), g4(-42.0), g4(-10000.0)],
            ["9999", "1e+04", "-42", "-1e+04"]
        );
        // The whole-number shortcut prints what the general path prints.
        for n in (-10_001..=10_001).filter(|n| *n != 0) {
            let v = f64::from(n);
            assert_eq!(g4(v), g4_exp(v), "{v}");
        }
        assert_eq!([humanize(0.5), humanize(1500.0), humanize(2.0)], ["500m", "1.5k", "2"]);
        assert_eq!(
            [
                humanize1024(0.5),
                humanize1024(1536.0),
                humanize1024(10.0 * 1024.0 * 1024.0 * 1024.0)
            ],
            ["0.5", "1.5ki", "10Gi"]
        );
        assert_eq!(
            [humanize_duration(43200.5), humanize_duration(90061.0), humanize_duration(30.0)],
            ["12h 0m 0s", "1d 1h 1m 1s", "30s"]
        );
        assert_eq!([go_float(0.5), go_float(1e21), go_float(3.0)], ["0.5", "1e+21", "3"]);
    }

    #[test]
    fn expands_the_supported_subset() {
        let labels = l(&[("instance", "h1")]);
        assert_eq!(
            expand(
                "x is {{ $value | humanizePercentage }}{{ with $labels.instance }} on {{ . }}{{ end }}",
                &labels,
                0.5
            )
            .unwrap(),
            "x is 50% on h1"
        );
        assert_eq!(expand("{{ with $labels.job }}job {{ . }}{{ end }}!", &labels, 1.0).unwrap(), "!");
        assert_eq!(
            expand("{{ printf \"%.1f\" $value }} {{ humanize $value }}", &labels, 2.25).unwrap(),
            "2.2 2.25"
        );
        assert!(expand("{{ range $labels }}{{ end }}", &labels, 1.0).is_err());
        let odd = l(&[("instance", "a b&c#d/é")]);
        assert_eq!(
            expand("?var-instance={{ $labels.instance | urlquery }}", &odd, 1.0).unwrap(),
            "?var-instance=a+b%26c%23d%2F%C3%A9"
        );
    }

    /// Generated tests skip re-expanding texts that cannot print the value:
    /// every way the subset reads it must be seen by `reads_value`.
    #[test]
    fn reads_value_sees_every_text_that_prints_the_value() {
        let labels = l(&[("instance", "h1")]);
        for t in [
            "{{ $value }}",
            "{{$value|humanize}}",
            "{{ humanizeDuration $value }}",
            "{{ printf \"%.2f\" $value }}",
            "{{ .Value }}",
            "{{ with $labels.instance }}{{ $value }} on {{ . }}{{ end }}",
            "on {{ $labels.instance }}",
            "{{ with $labels.instance }}on {{ . }}{{ end }}",
            "no template at all",
        ] {
            let changes = expand(t, &labels, 1.5).unwrap() != expand(t, &labels, 2.5).unwrap();
            assert_eq!(reads_value(t), changes, "{t}");
        }
    }
}
