//! Structured logging: `json` (one JSON object per line) or `logfmt`.

use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `ts=... level=info msg="..." key=value`
    Logfmt,
    /// One JSON object per line.
    Json,
}

/// Quote a logfmt value when needed.
pub fn logfmt_value(out: &mut String, v: &str) {
    if !v.is_empty() && !v.bytes().any(|b| b <= b' ' || b == b'"' || b == b'=' || b == b'\\' || b >= 0x7f) {
        out.push_str(v);
        return;
    }
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
}

struct LogfmtVisitor<'a> {
    out: &'a mut String,
    msg: Option<String>,
}

impl Visit for LogfmtVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.msg = Some(value.to_string());
        } else {
            self.out.push(' ');
            self.out.push_str(field.name());
            self.out.push('=');
            logfmt_value(self.out, value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

/// A `tracing` event formatter writing logfmt.
pub struct Logfmt;

impl<S, N> FormatEvent<S, N> for Logfmt
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, _: &FmtContext<'_, S, N>, mut w: Writer<'_>, event: &Event<'_>) -> std::fmt::Result {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let mut fields = String::new();
        let mut v = LogfmtVisitor {
            out: &mut fields,
            msg: None,
        };
        event.record(&mut v);
        let msg = v.msg.take().unwrap_or_default();
        let mut line = String::new();
        let _ = write!(
            line,
            "ts={}.{:03} level={} target={} msg=",
            now.as_secs(),
            now.subsec_millis(),
            event.metadata().level().as_str().to_ascii_lowercase(),
            event.metadata().target()
        );
        logfmt_value(&mut line, &msg);
        line.push_str(&fields);
        writeln!(w, "{line}")
    }
}

/// The levels `--log.level` accepts.
pub const LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];

/// Check a `--log.level` value. Only the level names are accepted: a tracing
/// filter string would take a typo (`debgu`) as a target name and silently
/// log nothing.
pub fn parse_level(level: &str) -> anyhow::Result<&'static str> {
    LEVELS.iter().copied().find(|l| *l == level).ok_or_else(|| {
        let hint = LEVELS
            .iter()
            .map(|l| (strsim::levenshtein(l, level), *l))
            .min()
            .filter(|(d, _)| *d <= 2)
            .map(|(_, l)| format!(" (did you mean {l:?}?)"))
            .unwrap_or_default();
        anyhow::anyhow!("invalid --log.level {level:?}{hint}; use one of {}", LEVELS.join(", "))
    })
}

/// Install the global subscriber writing to stderr.
pub fn init(format: LogFormat, level: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(parse_level(level)?)?;
    let b = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let r = match format {
        LogFormat::Json => b.json().try_init(),
        LogFormat::Logfmt => b.event_format(Logfmt).try_init(),
    };
    r.map_err(|e| anyhow::anyhow!("installing the logger: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_values() {
        let mut s = String::new();
        logfmt_value(&mut s, "plain");
        s.push(' ');
        logfmt_value(&mut s, "two words \"q\"");
        s.push(' ');
        logfmt_value(&mut s, "");
        assert_eq!(s, "plain \"two words \\\"q\\\"\" \"\"");
    }

    #[test]
    fn levels() {
        assert_eq!(parse_level("debug").unwrap(), "debug");
        let e = parse_level("debgu").unwrap_err().to_string();
        assert!(e.contains("did you mean \"debug\"") && e.contains("error, warn"), "{e}");
        assert!(parse_level("genmon=debug").is_err() && parse_level("").is_err() && parse_level("INFO").is_err());
    }
}
