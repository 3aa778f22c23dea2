//! In-memory samples and the Prometheus text format (0.0.4) encoder.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::catalog::{self, MetricType};

/// Metric family type as written on the `# TYPE` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Monotonic counter.
    Counter,
    /// Gauge.
    Gauge,
    /// Histogram (`_bucket`, `_sum`, `_count` series).
    Histogram,
    /// Summary (quantile series, `_sum`, `_count`).
    Summary,
    /// Untyped.
    Untyped,
}

impl Kind {
    /// The keyword used on `# TYPE` lines.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
            Kind::Summary => "summary",
            Kind::Untyped => "untyped",
        }
    }

    /// Parse a `# TYPE` keyword.
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "counter" => Kind::Counter,
            "gauge" => Kind::Gauge,
            "histogram" => Kind::Histogram,
            "summary" => Kind::Summary,
            "untyped" => Kind::Untyped,
            _ => return None,
        })
    }
}

/// Label pairs of one sample.
pub type Labels = Vec<(Cow<'static, str>, String)>;

/// One sample (a series value) of a family.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Suffix appended to the family name: `""`, `"_bucket"`, `"_sum"` or `"_count"`.
    pub suffix: &'static str,
    /// Label pairs, in output order.
    pub labels: Labels,
    /// The value.
    pub value: f64,
}

/// A metric family: name, help, type and its samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// Family name.
    pub name: Cow<'static, str>,
    /// Help text (unescaped).
    pub help: Cow<'static, str>,
    /// Type.
    pub kind: Kind,
    /// Samples.
    pub samples: Vec<Sample>,
}

impl Family {
    /// A new empty family declared in [`crate::catalog::CATALOG`]; its help and
    /// type come from there. A name missing from the catalog is a programming
    /// error caught by the catalog tests; it gets an empty help rather than a panic.
    pub fn catalog(name: &'static str) -> Family {
        let (help, kind) = match catalog::CATALOG.iter().find(|m| m.name == name) {
            Some(m) => (
                m.help,
                match m.kind {
                    MetricType::Counter => Kind::Counter,
                    MetricType::Gauge | MetricType::Info => Kind::Gauge,
                    MetricType::Histogram => Kind::Histogram,
                    MetricType::Summary => Kind::Summary,
                    MetricType::Untyped => Kind::Untyped,
                },
            ),
            None => {
                debug_assert!(false, "metric {name} is not in the catalog");
                ("", Kind::Untyped)
            }
        };
        Family {
            name: Cow::Borrowed(name),
            help: Cow::Borrowed(help),
            kind,
            samples: Vec::new(),
        }
    }

    /// A new empty family with explicit type and help (node_exporter's
    /// families, whose help texts are part of the drop-in contract, and
    /// families named after their source, like `node_memory_<field>_bytes`).
    pub fn new(name: impl Into<Cow<'static, str>>, kind: Kind, help: impl Into<Cow<'static, str>>) -> Family {
        Family {
            name: name.into(),
            help: help.into(),
            kind,
            samples: Vec::new(),
        }
    }

    /// A gauge with one unlabelled sample.
    pub fn gauge1(name: impl Into<Cow<'static, str>>, help: impl Into<Cow<'static, str>>, value: f64) -> Family {
        let mut f = Family::new(name, Kind::Gauge, help);
        f.push0(value);
        f
    }

    /// A counter with one unlabelled sample.
    pub fn counter1(name: impl Into<Cow<'static, str>>, help: impl Into<Cow<'static, str>>, value: f64) -> Family {
        let mut f = Family::new(name, Kind::Counter, help);
        f.push0(value);
        f
    }

    /// Like [`Family::catalog`] with room for `n` samples.
    pub fn with_capacity(name: &'static str, n: usize) -> Family {
        let mut f = Family::catalog(name);
        f.samples.reserve(n);
        f
    }

    /// Add a sample with the given labels.
    pub fn push(&mut self, labels: Labels, value: f64) {
        self.samples.push(Sample { suffix: "", labels, value });
    }

    /// Add an unlabelled sample.
    pub fn push0(&mut self, value: f64) {
        self.push(Vec::new(), value);
    }

    /// Builder form of [`Family::push0`].
    pub fn single(name: &'static str, value: f64) -> Family {
        let mut f = Family::catalog(name);
        f.push0(value);
        f
    }
}

/// Shorthand to build one label pair.
pub fn label(name: &'static str, value: impl Into<String>) -> (Cow<'static, str>, String) {
    (Cow::Borrowed(name), value.into())
}

/// Append `v` in Prometheus float syntax.
pub fn write_value(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        // Integral values: print without a fraction and fast.
        let _ = write!(out, "{}", v as i64);
    } else {
        let _ = write!(out, "{v}");
    }
}

fn write_escaped(out: &mut String, s: &str, quote: bool) {
    if !s.bytes().any(|b| b == b'\\' || b == b'\n' || (quote && b == b'"')) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

/// Append one family in text format 0.0.4. Families without samples are skipped.
pub fn encode_family(out: &mut String, f: &Family) {
    if f.samples.is_empty() {
        return;
    }
    out.push_str("# HELP ");
    out.push_str(&f.name);
    out.push(' ');
    write_escaped(out, &f.help, false);
    out.push_str("\n# TYPE ");
    out.push_str(&f.name);
    out.push(' ');
    out.push_str(f.kind.as_str());
    out.push('\n');
    for s in &f.samples {
        out.push_str(&f.name);
        out.push_str(s.suffix);
        if !s.labels.is_empty() {
            out.push('{');
            for (i, (k, v)) in s.labels.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(k);
                out.push_str("=\"");
                write_escaped(out, v, true);
                out.push('"');
            }
            out.push('}');
        }
        out.push(' ');
        write_value(out, s.value);
        out.push('\n');
    }
}

/// Encode families in text format 0.0.4.
pub fn encode<'a>(families: impl IntoIterator<Item = &'a Family>) -> String {
    let mut out = String::with_capacity(16 * 1024);
    for f in families {
        encode_family(&mut out, f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_help_type_labels_and_escapes() {
        let mut f = Family::catalog("node_textfile_mtime_seconds");
        f.push(vec![label("file", "a\"b\\c\nd")], 1.0);
        let text = encode([&f]);
        assert_eq!(
            text,
            "# HELP node_textfile_mtime_seconds Unixtime mtime of textfiles successfully read.\n\
             # TYPE node_textfile_mtime_seconds gauge\n\
             node_textfile_mtime_seconds{file=\"a\\\"b\\\\c\\nd\"} 1\n"
        );
    }

    #[test]
    fn values() {
        let mut s = String::new();
        for v in [0.5, 1e20, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -3.0, 1.25e-7] {
            write_value(&mut s, v);
            s.push(' ');
        }
        assert_eq!(s, "0.5 100000000000000000000 NaN +Inf -Inf -3 0.000000125 ");
    }

    #[test]
    fn empty_family_is_skipped() {
        assert_eq!(encode([&Family::catalog("process_threads")]), "");
    }
}
