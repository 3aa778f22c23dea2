//! Prometheus durations (`30s`, `5m`, `1h30m`, `28d`), kept as written.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Prometheus duration such as `15s`, `5m` or `1h30m`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Duration {
    millis: u64,
    text: String,
}

impl Duration {
    /// Parse a Prometheus duration (`[0-9]+(y|w|d|h|m|s|ms)` repeated, largest unit first).
    pub fn parse(s: &str) -> Result<Duration, String> {
        let bad = || {
            format!("`{s}` is not a duration: write a number and a unit, like `30s`, `5m`, `1h30m` or `7d` (units: ms, s, m, h, d, w, y)")
        };
        if s.is_empty() {
            return Err(bad());
        }
        let units: [(&str, u64); 7] = [
            ("y", 365 * 86_400_000),
            ("w", 7 * 86_400_000),
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1_000),
            ("ms", 1),
        ];
        let bytes = s.as_bytes();
        let (mut i, mut total, mut last_rank) = (0usize, 0u64, None::<usize>);
        while i < bytes.len() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if start == i {
                return Err(bad());
            }
            let n: u64 = s[start..i].parse().map_err(|_| bad())?;
            let ustart = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            let unit = &s[ustart..i];
            let rank = units.iter().position(|(u, _)| *u == unit).ok_or_else(bad)?;
            if last_rank.is_some_and(|r| rank <= r) {
                return Err(bad());
            }
            last_rank = Some(rank);
            total = n.checked_mul(units[rank].1).and_then(|v| total.checked_add(v)).ok_or_else(bad)?;
        }
        Ok(Duration {
            millis: total,
            text: s.to_string(),
        })
    }

    /// Build from whole seconds (printed in the largest exact unit).
    pub fn from_secs(secs: u64) -> Duration {
        let (n, unit) = if secs > 0 && secs.is_multiple_of(86_400) {
            (secs / 86_400, 'd')
        } else if secs > 0 && secs.is_multiple_of(3_600) {
            (secs / 3_600, 'h')
        } else if secs > 0 && secs.is_multiple_of(60) {
            (secs / 60, 'm')
        } else {
            (secs, 's')
        };
        // Not `format!`: a render builds a few of these per generated test.
        let mut text = n.to_string();
        text.push(unit);
        Duration { millis: secs * 1000, text }
    }

    /// Length in milliseconds.
    pub fn millis(&self) -> u64 {
        self.millis
    }

    /// Length in seconds (fractional part dropped).
    pub fn secs(&self) -> u64 {
        self.millis / 1000
    }

    /// The duration as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Duration({})", self.text)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Duration::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^([0-9]+(ms|s|m|h|d|w|y))+$",
            "description": "A Prometheus duration: `30s`, `5m`, `1h30m`, `7d`."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Duration;

    #[test]
    fn parses_prometheus_durations() {
        assert_eq!(Duration::parse("15s").unwrap().millis(), 15_000);
        assert_eq!(Duration::parse("1h30m").unwrap().millis(), 5_400_000);
        assert_eq!(Duration::parse("500ms").unwrap().millis(), 500);
        assert_eq!(Duration::parse("30d").unwrap().secs(), 30 * 86_400);
    }

    #[test]
    fn rejects_bad_durations() {
        for bad in ["", "5", "m", "5x", "1m1h", "5m5m", "-1s", "1.5h", "99999999999999999999y"] {
            assert!(Duration::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn from_secs_uses_largest_exact_unit() {
        assert_eq!(Duration::from_secs(3600).as_str(), "1h");
        assert_eq!(Duration::from_secs(90).as_str(), "90s");
        assert_eq!(Duration::from_secs(300).as_str(), "5m");
    }
}
