//! Spec path → position in the YAML text, built from the YAML parser's marked
//! events (serde alone loses positions once a value is deserialized).

use foldhash::HashMap;
use std::collections::hash_map::Entry;

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

    /// Where the mapping at `path` starts: its first key (falls back to [`Positions::value`]).
    pub fn mapping(&self, path: &str) -> Option<Pos> {
        let prefix = if path.is_empty() { String::new() } else { format!("{path}.") };
        let first = self
            .maps()
            .keys
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix) && !k[prefix.len()..].contains(['.', '[']))
            .map(|(_, p)| *p)
            .min_by_key(|p| p.offset);
        first.or_else(|| self.value(path))
    }

    /// Where bytes `range` of the scalar `value` at `path` are in the file,
    /// when the scalar is written so that they can be found: on its line
    /// (plain, or quoted without escapes before the range) or in a literal
    /// block (`|`). `None` otherwise (the caller points at the whole value).
    pub fn within(&self, path: &str, range: std::ops::Range<usize>, value: &str) -> Option<Pos> {
        let at = *self.maps().values.get(path)?;
        let text = &*self.text;
        let token = value.get(range.clone())?;
        let rest = text.get(at.offset..)?;
        let start = if rest.starts_with('|') || value.contains('\n') {
            // Literal block: line i of the value is file line `first + i`, indented
            // (the parser marks either the `|` or the first content line).
            let before = value.get(..range.start)?;
            let (i, col) = (before.matches('\n').count(), before.rsplit('\n').next().unwrap_or("").len());
            let (first, indent) = if rest.starts_with('|') {
                let l = rest.lines().skip(1).find(|l| !l.trim().is_empty())?;
                (at.line + 1, l.len() - l.trim_start().len())
            } else {
                (at.line, at.col - 1)
            };
            line_starts(text).get(first - 1 + i)? + indent + col
        } else {
            at.offset + usize::from(rest.starts_with(['"', '\''])) + range.start
        };
        if text.get(start..start + token.len()) != Some(token) || token.contains('\n') {
            return None;
        }
        let line_begin = text[..start].rfind('\n').map_or(0, |i| i + 1);
        Some(Pos {
            line: text[..start].matches('\n').count() + 1,
            col: text[line_begin..start].chars().count() + 1,
            offset: start,
            len: token.len().max(1),
        })
    }

    /// The path of the mapping key that starts at byte `offset`.
    pub fn key_path_at(&self, offset: usize) -> Option<String> {
        self.maps().keys.iter().find(|(_, p)| p.offset == offset).map(|(k, _)| k.clone())
    }

    /// Where the key of the mapping entry at `path` is, if `path` is one.
    pub fn key_of(&self, path: &str) -> Option<Pos> {
        self.maps().keys.get(path).copied()
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

fn pos_of(text: &str, line_starts: &[usize], m: Marker, len: usize) -> Pos {
    // yaml-rust2 lines are 1-based, columns 0-based and counted in chars.
    let line = m.line().max(1);
    let start = line_starts.get(line - 1).copied().unwrap_or(0);
    let rest = &text[start.min(text.len())..];
    let offset = start + rest.char_indices().nth(m.col()).map(|(i, _)| i).unwrap_or(rest.len());
    Pos {
        line,
        col: m.col() + 1,
        offset,
        len,
    }
}

/// Keys given twice in one mapping: (key, first, second), in file order.
/// YAML requires unique keys; serde would keep the last one silently. Fed
/// the parser's events one at a time (the loader feeds it from the limits
/// pass, [`super::limits::scan`]); no paths are built (see
/// [`Positions::key_path_at`] for the path of a reported key).
#[derive(Default)]
pub struct DuplicateKeys {
    /// Per open mapping: its keys so far and whether a key comes next.
    stack: Vec<Option<(HashMap<String, Marker>, bool)>>,
    found: Vec<(String, Marker, Marker)>,
}

impl DuplicateKeys {
    fn value_done(&mut self) {
        if let Some(Some((_, expect_key))) = self.stack.last_mut() {
            *expect_key = true;
        }
    }

    /// No key was given twice.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// Every key given twice in one mapping of `text` (the text the events
    /// came from): the key, its first and its second position.
    pub fn found(self, text: &str) -> Vec<(String, Pos, Pos)> {
        if self.found.is_empty() {
            return Vec::new();
        }
        let starts = line_starts(text);
        self.found
            .into_iter()
            .map(|(key, a, b)| {
                let (mut first, mut second) = (pos_of(text, &starts, a, 0), pos_of(text, &starts, b, 0));
                first.len = token_len(text, first.offset, &key);
                second.len = token_len(text, second.offset, &key);
                (key, first, second)
            })
            .collect()
    }
}

impl MarkedEventReceiver for DuplicateKeys {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => {
                if let Some(Some((keys, expect_key))) = self.stack.last_mut()
                    && *expect_key
                {
                    *expect_key = false;
                    match keys.entry(value) {
                        Entry::Occupied(first) => self.found.push((first.key().clone(), *first.get(), mark)),
                        Entry::Vacant(slot) => {
                            slot.insert(mark);
                        }
                    }
                    return;
                }
                self.value_done();
            }
            Event::Alias(_) => self.value_done(),
            Event::MappingStart(..) => {
                self.value_done();
                self.stack.push(Some((HashMap::default(), true)));
            }
            Event::SequenceStart(..) => {
                self.value_done();
                self.stack.push(None);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

/// Bytes the key `key` takes at `offset` as written (quotes included), on a
/// char boundary.
fn token_len(text: &str, offset: usize, key: &str) -> usize {
    let rest = &text[offset.min(text.len())..];
    let line = rest.lines().next().unwrap_or("");
    let len = match line.chars().next() {
        Some(q @ ('"' | '\'')) => line[1..].find(q).map_or(line.len(), |i| i + 2),
        _ => key.len().min(line.len()),
    };
    (1..=len.max(1)).rev().find(|&l| rest.is_char_boundary(l)).unwrap_or(0)
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
    fn finds_a_token_inside_a_value() {
        let text = "a: 'x + ratez(y)'\nb: |\n  sum(\n    ratez(y))\n";
        let p = Positions::index(text);
        let one = p.within("a", 4..9, "x + ratez(y)").unwrap();
        assert_eq!((one.line, one.col, one.len), (1, 9, 5));
        let block = p.within("b", 7..12, "sum(\n  ratez(y))\n").unwrap();
        assert_eq!((block.line, block.col), (4, 5));
        assert!(p.within("a", 0..1, "not the value").is_none());
    }

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
