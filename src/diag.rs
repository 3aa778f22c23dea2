//! Diagnostics: every problem genmon finds carries a stable code, a level, the
//! spec path it concerns (resolved to file:line:col when printed), a message
//! and a one-line hint. Checks return them; [`report`] prints them.

use std::fmt;

use serde::Serialize;

use crate::spec::Source;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

/// A position in the spec file (1-based line and column, byte offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
    #[serde(skip)]
    pub offset: usize,
    #[serde(skip)]
    pub len: usize,
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// Stable `area/name` code, e.g. `promql/parse`.
    pub code: &'static str,
    pub level: Level,
    /// Spec path (`dashboards[0].panels[2].queries[0].expr`); empty for the whole file.
    pub path: String,
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Where in the file; filled from `path` by the loader's position map.
    pub pos: Option<Pos>,
    /// The part of the value at `path` the problem is in: a byte range of
    /// the value's text (a PromQL error's token), pointed at when the
    /// value is written so that the range can be found in the file.
    #[serde(skip)]
    pub within: Option<(std::ops::Range<usize>, String)>,
    /// The key of the value at `path`, shown beside a problem on its line
    /// (so that a long line cut around the problem still names its key).
    #[serde(skip)]
    pub key: Option<Pos>,
    /// The file the problem is in, when not the main spec (an included file or a pack).
    #[serde(rename = "file", skip_serializing_if = "Option::is_none", serialize_with = "source_name")]
    pub source: Option<std::sync::Arc<Source>>,
}

fn source_name<S: serde::Serializer>(src: &Option<std::sync::Arc<Source>>, s: S) -> Result<S::Ok, S::Error> {
    match src {
        Some(src) => s.serialize_str(&src.name),
        None => s.serialize_none(),
    }
}

impl Diagnostic {
    /// An error at `path`.
    pub fn error(code: &'static str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            level: Level::Error,
            path: path.into(),
            message: message.into(),
            help: None,
            pos: None,
            within: None,
            key: None,
            source: None,
        }
    }

    /// A warning at `path`.
    pub fn warning(code: &'static str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(code, path, message)
        }
    }

    /// Point at bytes `range` of the value `text` rather than the whole value.
    pub fn within(mut self, range: std::ops::Range<usize>, text: &str) -> Self {
        self.within = Some((range, text.to_string()));
        self
    }

    /// Add a fix hint.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(f, "{level}[{}]: {}", self.code, self.message)
    }
}

/// The candidate nearest to `got` when it is close enough to be a typo
/// (Damerau-Levenshtein distance at most 2, or a third of its length).
pub fn did_you_mean<'a>(got: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(got, c), c))
        .filter(|(dist, c)| *dist > 0 && *dist <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

/// True when any diagnostic is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.level == Level::Error)
}

/// Most diagnostics [`report`] draws in full; the rest are counted.
pub const MAX_SHOWN: usize = 100;
/// Longest source line drawn under a diagnostic (longer ones: position only).
const MAX_SNIPPET_LINE: usize = 1000;

/// Print diagnostics rustc-style, with the spec line and a caret under the
/// problem, followed by a one-line summary.
pub fn report(src: &Source, diags: &[Diagnostic], color: bool) -> String {
    use annotate_snippets::{AnnotationKind, Level as L, Renderer, Snippet};
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    let mut out = String::new();
    let main = src;
    for d in diags.iter().take(MAX_SHOWN) {
        let src = d.source.as_deref().unwrap_or(main);
        let level = match d.level {
            Level::Error => L::ERROR,
            Level::Warning => L::WARNING,
        };
        let title = if d.path.is_empty() {
            d.message.clone()
        } else {
            format!("{} (at `{}`)", d.message, d.path)
        };
        let title = level.primary_title(title).id(d.code);
        let note = format!("in {}", src.name);
        let long_line = d.pos.is_some_and(|p| {
            let line_start = src.text[..p.offset.min(src.text.len())].rfind('\n').map_or(0, |i| i + 1);
            src.text[line_start..].find('\n').unwrap_or(src.text.len() - line_start) > MAX_SNIPPET_LINE
        });
        let at = d
            .pos
            .map(|p| format!("at {}:{}:{}", src.name, p.line, p.col))
            .unwrap_or(note.clone());
        let mut group = if long_line {
            title.element(L::NOTE.message(at.as_str()))
        } else if let Some(pos) = d.pos {
            // Hand the renderer only the lines around the problem: rendering
            // from the whole file costs O(file) per diagnostic.
            let text = src.text.as_str();
            let end = (pos.offset + pos.len.max(1)).min(text.len());
            let start = pos.offset.min(end);
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
            let mut snippet = Snippet::source(&text[line_start..line_end])
                .path(src.name.as_str())
                .line_start(pos.line)
                .fold(true)
                .annotation(AnnotationKind::Primary.span(start - line_start..end - line_start));
            if let Some(k) = d.key.filter(|k| k.line == pos.line && k.offset + k.len < start) {
                snippet = snippet.annotation(AnnotationKind::Context.span(k.offset - line_start..k.offset + k.len - line_start));
            }
            title.element(snippet)
        } else {
            title.element(L::NOTE.message(note.as_str()))
        };
        if let Some(h) = &d.help {
            group = group.element(L::HELP.message(h.as_str()));
        }
        out.push_str(&renderer.render(&[group]).to_string());
        out.push_str("\n\n");
    }
    if diags.len() > MAX_SHOWN {
        out.push_str(&format!(
            "… and {} more (`--format short` lists them all, one per line)\n",
            diags.len() - MAX_SHOWN
        ));
    }
    let errors = diags.iter().filter(|d| d.level == Level::Error).count();
    let warnings = diags.len() - errors;
    if !diags.is_empty() {
        out.push_str(&format!(
            "{}: {errors} error{}, {warnings} warning{}\n",
            main.name,
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" }
        ));
    }
    out
}

/// One line per diagnostic: `file:line:col: level[code]: message (help: hint)`, for editors and grep.
pub fn report_short(src: &Source, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let (line, col) = d.pos.map(|p| (p.line, p.col)).unwrap_or((1, 1));
        let name = d.source.as_deref().map_or(src.name.as_str(), |s| s.name.as_str());
        out.push_str(&format!("{name}:{line}:{col}: {d}"));
        if let Some(h) = &d.help {
            out.push_str(&format!(" (help: {h})"));
        }
        out.push('\n');
    }
    out
}
