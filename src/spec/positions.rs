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
                cursor: std::cell::Cell::new((0, 0)),
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

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, idx: usize },
}

struct Builder<'a> {
    text: &'a str,
    /// Last (char index, byte offset) converted: events come in text order,
    /// so each conversion walks on from the last one (linear in the text,
    /// not quadratic in a long line's length).
    cursor: std::cell::Cell<(usize, usize)>,
    stack: Vec<Frame>,
    out: Maps,
}

impl Builder<'_> {
    fn pos(&self, m: Marker, len: usize) -> Pos {
        // yaml-rust2 lines are 1-based, columns 0-based and counted in chars.
        let line = m.line().max(1);
        let (mut ci, mut bi) = self.cursor.get();
        if m.index() < ci {
            (ci, bi) = (0, 0);
        }
        let rest = &self.text[bi.min(self.text.len())..];
        let offset = bi + rest.char_indices().nth(m.index() - ci).map_or(rest.len(), |(i, _)| i);
        self.cursor.set((m.index(), offset));
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
        // Look no further than the scalar can reach (a 300 KB line of short
        // scalars must not be rescanned for each of them).
        let mut window = (p.offset + 2 * value.len() + 64).min(self.text.len());
        while !self.text.is_char_boundary(window) {
            window -= 1;
        }
        let line_end = self.text[p.offset..window].find('\n').map_or(window, |i| p.offset + i);
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
