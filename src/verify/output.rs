//! How a verify [`Report`] is printed: aligned tables for people, JSON with
//! stable keys (the `Report` fields) for tools, JUnit XML for CI (one test
//! case per check).

use super::{Location, Report};

/// Rows of the cost table in the human output (JSON lists them all).
pub const TOP_COST: usize = 10;

/// `1d2h3m4s` (zero units left out; `0s` for nothing or less).
pub fn duration(secs: i64) -> String {
    crate::model::kinds::slo::window_text(secs.max(0) as u64)
}

/// Unix seconds as `YYYY-MM-DD HH:MM` UTC (days to civil date: Howard Hinnant's algorithm).
pub fn utc(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

fn at(l: &Option<Location>) -> String {
    l.as_ref()
        .map(|l| format!("{}:{}:{} {}", l.file, l.line, l.column, l.path))
        .unwrap_or_else(|| "(generated)".into())
}

/// Columns padded to their widest cell; the last column is not padded.
fn table(rows: &[Vec<String>], right: &[usize]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::from("  ");
        for (c, cell) in r.iter().enumerate() {
            let w = widths[c];
            if c + 1 == r.len() && !right.contains(&c) {
                line.push_str(cell);
            } else if right.contains(&c) {
                line.push_str(&format!("{cell:>w$}  "));
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The report for people.
pub fn human(r: &Report) -> String {
    let days = (r.end - r.start) as f64 / 86_400.0;
    let mut out = format!(
        "genmon verify: {} from {} to {} UTC ({days} days, step {})\n\n",
        r.prometheus,
        utc(r.start),
        utc(r.end),
        duration(r.step_seconds)
    );
    let missing: Vec<_> = r.existence.iter().filter(|e| !e.ok).collect();
    out.push_str(&format!("Existence: {} checks, {} failing\n", r.existence.len(), missing.len()));
    let rows: Vec<Vec<String>> = missing.iter().map(|e| vec![at(&e.location), e.message.clone()]).collect();
    out.push_str(&table(&rows, &[]));
    out.push('\n');
    let flagged = r.backtest.iter().filter(|b| !b.ok).count();
    out.push_str(&format!(
        "Backtest: {} alerts, {flagged} flagged (constant: firing > {}% of the range; flapping: > {} firings/day)\n",
        r.backtest.len(),
        r.constant_ratio * 100.0,
        r.flapping_per_day
    ));
    let mut rows = vec![vec![
        "ALERT".to_string(),
        "FOR".into(),
        "FIRINGS".into(),
        "FIRING".into(),
        "LONGEST".into(),
        "PER DAY".into(),
        "MODE".into(),
        "FLAGS".into(),
    ]];
    for b in &r.backtest {
        rows.push(vec![
            b.alert.clone(),
            duration(b.for_seconds),
            b.firings.to_string(),
            duration(b.firing_seconds),
            duration(b.longest_seconds),
            format!("{:.2}", b.firings_per_day),
            b.mode.as_str().to_string(),
            b.flags.join(","),
        ]);
    }
    out.push_str(&table(&rows, &[1, 2, 3, 4, 5]));
    out.push('\n');
    let over = r.cost.iter().filter(|c| !c.ok).count();
    out.push_str(&format!(
        "Cost: {} rules and panel queries, {over} over {} series; the {} most expensive:\n",
        r.cost.len(),
        r.max_series,
        TOP_COST.min(r.cost.len())
    ));
    let mut rows = vec![vec!["SERIES".to_string(), "KIND".into(), "NAME".into()]];
    for c in r.cost.iter().take(TOP_COST) {
        rows.push(vec![c.series.to_string(), c.kind.replace('_', " "), c.name.clone()]);
    }
    out.push_str(&table(&rows, &[0]));
    out.push_str(&format!("\n{} finding{}\n", r.findings, if r.findings == 1 { "" } else { "s" }));
    out
}

/// Text safe in XML attributes and content (characters XML 1.0 forbids dropped).
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// One test case: `(name, failure message or None, details)`.
type Case = (String, Option<String>, String);

fn suite(name: &str, cases: &[Case]) -> String {
    let failures = cases.iter().filter(|c| c.1.is_some()).count();
    let mut out = format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">\n",
        xml(name),
        cases.len()
    );
    for (case, failure, details) in cases {
        let class = format!("genmon.verify.{name}");
        match failure {
            None => out.push_str(&format!("    <testcase classname=\"{class}\" name=\"{}\"/>\n", xml(case))),
            Some(msg) => out.push_str(&format!(
                "    <testcase classname=\"{class}\" name=\"{}\">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                xml(case),
                xml(msg),
                xml(details)
            )),
        }
    }
    out.push_str("  </testsuite>\n");
    out
}

/// The report as JUnit XML: suites `existence`, `backtest` and `cost`.
pub fn junit(r: &Report) -> String {
    let existence: Vec<Case> = r
        .existence
        .iter()
        .map(|e| {
            let path = e.location.as_ref().map_or("", |l| l.path.as_str());
            (
                format!("{path}: {}", e.subject),
                (!e.ok).then(|| e.message.clone()),
                at(&e.location),
            )
        })
        .collect();
    let backtest: Vec<Case> = r
        .backtest
        .iter()
        .map(|b| {
            let msg = format!(
                "{} would have fired {} times for {} in all ({:.0}% of the range at most per series, {:.2} firings/day): {}",
                b.alert,
                b.firings,
                duration(b.firing_seconds),
                b.firing_ratio * 100.0,
                b.firings_per_day,
                b.flags.join(", ")
            );
            (
                b.alert.clone(),
                (!b.ok).then_some(msg),
                format!("{}\nexpr: {}", at(&b.location), b.expr),
            )
        })
        .collect();
    let cost: Vec<Case> = r
        .cost
        .iter()
        .map(|c| {
            let msg = format!("{} touches {} series (more than {})", c.name, c.series, r.max_series);
            (
                c.name.clone(),
                (!c.ok).then_some(msg),
                format!("{}\nexpr: {}", at(&c.location), c.expr),
            )
        })
        .collect();
    let total = existence.len() + backtest.len() + cost.len();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"genmon verify\" tests=\"{total}\" failures=\"{}\">\n{}{}{}</testsuites>\n",
        r.findings,
        suite("existence", &existence),
        suite("backtest", &backtest),
        suite("cost", &cost)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_dates() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(4500), "1h15m");
        assert_eq!(duration(90_061), "1d1h1m1s");
        assert_eq!(utc(0), "1970-01-01 00:00");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00");
        assert_eq!(utc(1_796_000_000), "2026-11-30 00:53");
    }

    #[test]
    fn xml_escapes_and_drops_control_characters() {
        assert_eq!(xml("a<b & \"c\" 'd'\u{1}>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
    }

    #[test]
    fn table_aligns_columns() {
        let t = table(
            &[
                vec!["A".into(), "1".into(), "x".into()],
                vec!["BBB".into(), "100".into(), "y".into()],
            ],
            &[1],
        );
        assert_eq!(t, "  A      1  x\n  BBB  100  y\n");
    }
}
