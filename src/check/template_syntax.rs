//! `template/syntax`: Go templates in alert labels and annotations are well
//! formed enough for Prometheus to load them: every `{{` is closed by `}}`
//! before the next `{{` opens (an unterminated action makes Prometheus refuse
//! the whole rule file).

use super::{Check, Ctx};
use crate::diag::Diagnostic;

pub struct TemplateSyntax;

const SYNTAX: &str = "template/syntax";

/// Byte offset of the first `{{` with no `}}` before the next `{{` (linear).
pub fn opens_unclosed(text: &str) -> Option<usize> {
    let mut rest = text;
    let mut base = 0;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        match (after.find("}}"), after.find("{{")) {
            (None, _) => return Some(base + open),
            (Some(c), Some(n)) if n < c => return Some(base + open),
            (Some(c), _) => {
                let consumed = open + 2 + c + 2;
                base += consumed;
                rest = &rest[consumed..];
            }
        }
    }
    None
}

impl Check for TemplateSyntax {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[(SYNTAX, "an alert template has an unterminated `{{` action")]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (gi, g) in cx.spec.rules.iter().enumerate() {
            for (ai, a) in g.alerts.iter().enumerate() {
                // Each text with where it sits under the alert (`.summary`,
                // `.annotations.team`): the path is written out only for a
                // text that fails.
                let at = super::AlertAt(gi, ai);
                let mut fields: Vec<(&str, &str, &str)> = Vec::new();
                for (k, v) in [("summary", &a.summary), ("description", &a.description)] {
                    if let Some(v) = v {
                        fields.push(("", k, v));
                    }
                }
                fields.extend(a.annotations.iter().map(|(k, v)| ("annotations.", k.as_str(), v.as_str())));
                fields.extend(a.labels.iter().map(|(k, v)| ("labels.", k.as_str(), v.as_str())));
                for (map, key, text) in fields {
                    if let Some(i) = opens_unclosed(text) {
                        let snippet: String = text[i..].chars().take(30).collect();
                        out.push(
                            Diagnostic::error(
                                SYNTAX,
                                format!("{at}.{map}{key}"),
                                format!("the template action `{snippet}` is never closed with `}}}}`"),
                            )
                            .help("close it (`{{ $value }}`), or write a literal `{{` as `{{ \"{{\" }}`"),
                        );
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn finds_unclosed_actions() {
        assert_eq!(opens_unclosed("{{ $value }} ok {{ $labels.x }}"), None);
        assert_eq!(opens_unclosed("value {{ $value"), Some(6));
        assert_eq!(opens_unclosed("{{ a {{ b }}"), Some(0));
        assert_eq!(opens_unclosed("plain }} text"), None);
        assert_eq!(opens_unclosed(&"{{".repeat(30_000)), Some(0));
    }

    #[test]
    fn flags_alert_templates() {
        let y = "version: 1\nrules:\n- name: g\n  alerts:\n  - {name: A, expr: up == 0, summary: 'down {{ $labels.instance', annotations: {x: '{{ ok }}'}}\n";
        assert_eq!(problems(&TemplateSyntax, y), ["template/syntax@rules[0].alerts[0].summary"]);
    }
}
