//! Spec path → position in the YAML text, built from the YAML parser's marked
//! events (serde alone loses positions once a value is deserialized).

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::diag::Pos;

/// Positions of every value (and mapping key) in a YAML document. Built on
/// first use: a clean spec never needs them.
#[derive(Debug, Default, Clone)]
pub struct Positions {
    text: std::sync::Arc<str>,
    maps: std::sync::OnceLock<Maps>,
}

#[derive(Debug, Default, Clone)]
struct Maps {
    values: HashMap<String, Pos>,
    keys: HashMap<String, Pos>,
}

impl Positions {
    /// Positions of `text`. Never fails: on a YAML syntax error the map holds what came before it.
    pub fn index(text: &str) -> Positions {
        Positions {
            text: text.into(),
            maps: std::sync::OnceLock::new(),
        }
    }

    fn maps(&self) -> &Maps {
        self.maps.get_or_init(|| {
            let text = &*self.text;
            let mut b = Builder {
                text,
                line_starts: line_starts(text),
                stack: Vec::new(),
                out: Maps::default(),
            };
            let mut parser = Parser::new_from_str(text);
            let _ = parser.load(&mut b, false);
            b.out
        })
    }

    /// Where the value at `path` starts; falls back to the nearest ancestor.
    pub fn value(&self, path: &str) -> Option<Pos> {
        let values = &self.maps().values;
        let mut p = path;
        loop {
            if let Some(pos) = values.get(p) {
                return Some(*pos);
            }
            p = parent(p)?;
        }
    }

    /// Where the value at exactly `path` starts (no ancestor fallback).
    pub fn value_exact(&self, path: &str) -> Option<Pos> {
        self.maps().values.get(path).copied()
    }

    /// Where the key of the mapping entry at `path` is (falls back to [`Positions::value`]).
    pub fn key(&self, path: &str) -> Option<Pos> {
        self.maps().keys.get(path).copied().or_else(|| self.value(path))
    }
}

fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect()
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, idx: usize },
}

struct Builder<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    stack: Vec<Frame>,
    out: Maps,
}

impl Builder<'_> {
    fn pos(&self, m: Marker, len: usize) -> Pos {
        // yaml-rust2 lines are 1-based, columns 0-based and counted in chars.
        let line = m.line().max(1);
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let rest = &self.text[start.min(self.text.len())..];
        let offset = start + rest.char_indices().nth(m.col()).map(|(i, _)| i).unwrap_or(rest.len());
        Pos {
            line,
            col: m.col() + 1,
            offset,
            len,
        }
    }

    /// Path of the next value under the top frame.
    fn child_path(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Map { path, key }) => {
                let k = key.clone().unwrap_or_default();
                if path.is_empty() { k } else { format!("{path}.{k}") }
            }
            Some(Frame::Seq { path, idx }) => format!("{path}[{idx}]"),
        }
    }

    fn advance(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { key, .. }) => *key = None,
            Some(Frame::Seq { idx, .. }) => *idx += 1,
            None => {}
        }
    }

    fn scalar_len(&self, m: Marker, value: &str) -> usize {
        // Length of the scalar as written on its first line (quotes included when present).
        let p = self.pos(m, 0);
        let line_end = self.text[p.offset..].find('\n').map(|i| p.offset + i).unwrap_or(self.text.len());
        let on_line = &self.text[p.offset..line_end];
        let first = on_line.chars().next();
        if matches!(first, Some('"') | Some('\'')) {
            let q = first.unwrap_or('"');
            on_line[1..].find(q).map(|i| i + 2).unwrap_or(on_line.len())
        } else if matches!(first, Some('|') | Some('>')) {
            1
        } else {
            value.len().min(on_line.trim_end().len()).max(1)
        }
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => {
                if let Some(Frame::Map { path, key }) = self.stack.last_mut()
                    && key.is_none()
                {
                    let full = if path.is_empty() {
                        value.clone()
                    } else {
                        format!("{path}.{value}")
                    };
                    *key = Some(value.clone());
                    let len = self.scalar_len(mark, &value);
                    let pos = self.pos(mark, len);
                    self.out.keys.insert(full, pos);
                    return;
                }
                let path = self.child_path();
                let len = self.scalar_len(mark, &value);
                let pos = self.pos(mark, len);
                self.out.values.insert(path, pos);
                self.advance();
            }
            Event::Alias(_) => {
                let path = self.child_path();
                let pos = self.pos(mark, 1);
                self.out.values.insert(path, pos);
                self.advance();
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let path = self.child_path();
                let pos = self.pos(mark, 1);
                self.out.values.entry(path.clone()).or_insert(pos);
                self.stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map { path, key: None }
                } else {
                    Frame::Seq { path, idx: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.advance();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Positions;

    #[test]
    fn maps_paths_to_lines_and_columns() {
        let text = "version: 1\ndashboards:\n  - uid: a\n    panels:\n      - title: \"x y\"\n        queries: [{expr: up}]\n";
        let p = Positions::index(text);
        let v = p.value("dashboards[0].panels[0].title").unwrap();
        assert_eq!((v.line, v.col, v.len), (5, 16, 5));
        let k = p.key("dashboards[0].panels[0].title").unwrap();
        assert_eq!((k.line, k.col), (5, 9));
        let e = p.value("dashboards[0].panels[0].queries[0].expr").unwrap();
        assert_eq!((e.line, e.col), (6, 26));
        assert_eq!(&text[e.offset..e.offset + e.len], "up");
        // Unknown paths fall back to the nearest ancestor.
        assert_eq!(p.value("dashboards[0].nope").unwrap().line, 3);
    }
}
