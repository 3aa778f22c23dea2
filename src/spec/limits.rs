//! Bounds on the spec's text checked before anything expands it: file size,
//! nesting depth, and how much YAML aliases would expand to (a 5 KB spec of
//! nested aliases is 400 000 panels: a "billion laughs"). One pass over the
//! parser's events, linear in the text; nothing is expanded.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::Marker;

use super::Source;
use crate::diag::{Diagnostic, Pos};

/// Code of every limit problem.
pub const LIMIT: &str = "spec/limit";
/// Largest spec file, in bytes.
pub const MAX_SPEC_BYTES: u64 = 16 << 20;
/// Deepest nesting of mappings and sequences (the spec itself needs about 10).
pub const MAX_DEPTH: usize = 64;
/// Most nodes aliases may add beyond the document's own.
pub const MAX_ALIAS_NODES: u64 = 200_000;

fn pos(src: &Source, m: Marker) -> Pos {
    let line = m.line().max(1);
    let start: usize = src.text.split_inclusive('\n').take(line - 1).map(str::len).sum();
    let rest = &src.text[start.min(src.text.len())..];
    let offset = start + rest.char_indices().nth(m.col()).map_or(rest.len(), |(i, _)| i);
    Pos {
        line,
        col: m.col() + 1,
        offset,
        len: 1,
    }
}

fn limit(src: &Source, m: Marker, message: String, help: &str) -> Diagnostic {
    let mut d = Diagnostic::error(LIMIT, "", message).help(help);
    d.pos = Some(pos(src, m));
    d
}

/// Byte offset of the first `[`/`{` that opens a flow collection nested
/// deeper than [`MAX_DEPTH`]. Linear: brackets count only where a YAML node
/// can start (after `: `, `- `, `[`, `{`, `,` or indentation), never inside
/// quoted scalars, plain scalars (`rate(x[5m])`) or comments.
fn deep_flow(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    // Depth only grows at a `[` or `{`: a text with no more of them than the
    // limit cannot pass it (a spec's are mostly in PromQL), and counting
    // them is a vectorised search instead of a walk byte by byte.
    if memchr::memchr2_iter(b'[', b'{', b).take(MAX_DEPTH + 1).count() <= MAX_DEPTH {
        return None;
    }
    let (mut depth, mut at_start, mut i) = (0usize, true, 0usize);
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => at_start = true,
            b' ' | b'\t' | b'\r' => {}
            b'#' if i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n') => {
                i = b[i..].iter().position(|&x| x == b'\n').map_or(b.len(), |n| i + n);
                continue;
            }
            b'[' | b'{' if at_start => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' if depth > 0 => {
                depth -= 1;
                at_start = false;
            }
            b',' if depth > 0 => at_start = true,
            b':' | b'-' if b.get(i + 1).is_none_or(|n| matches!(n, b' ' | b'\n' | b'\r' | b'\t')) => at_start = true,
            b'"' | b'\'' if at_start => {
                // Skip the quoted scalar ('' and \" escapes included).
                let mut j = i + 1;
                while j < b.len() {
                    if b[j] == b'\\' && c == b'"' {
                        j += 2;
                        continue;
                    }
                    if b[j] == c {
                        if c == b'\'' && b.get(j + 1) == Some(&b'\'') {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j += 1;
                }
                i = j + 1;
                at_start = false;
                continue;
            }
            _ => at_start = false,
        }
        i += 1;
    }
    None
}

/// The text-only limits, checked before any YAML parser sees the text: the
/// file size, and flow collections nested too deep (the YAML scanner is
/// quadratic in flow nesting: 100 000 `[` take minutes).
pub fn precheck(src: &Source) -> Option<Diagnostic> {
    too_big(src).or_else(|| deep(src))
}

/// The file-size limit of [`precheck`].
pub fn too_big(src: &Source) -> Option<Diagnostic> {
    (src.text.len() as u64 > MAX_SPEC_BYTES).then(|| {
        Diagnostic::error(
            LIMIT,
            "",
            format!("the spec is {} bytes; genmon reads at most {MAX_SPEC_BYTES}", src.text.len()),
        )
        .help("split it, or generate less: a spec this large is not hand-written")
    })
}

/// Whether `text` nests flow collections deeper than [`MAX_DEPTH`]: the
/// guard before a YAML scanner reads any text (the loader's cut checks each
/// piece it parses, [`precheck`] the whole to say where).
pub fn nests_deep(text: &str) -> bool {
    deep_flow(text).is_some()
}

/// The nesting limit of [`precheck`], located.
fn deep(src: &Source) -> Option<Diagnostic> {
    let offset = deep_flow(&src.text)?;
    let line = src.text[..offset].matches('\n').count() + 1;
    let line_start = src.text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let mut d = Diagnostic::error(LIMIT, "", format!("the spec nests deeper than {MAX_DEPTH} levels"))
        .help("flatten it: no part of the spec needs this depth");
    d.pos = Some(Pos {
        line,
        col: src.text[line_start..offset].chars().count() + 1,
        offset,
        len: 1,
    });
    Some(d)
}

/// One pass over the parser's events after [`precheck`]: the depth and alias
/// limits, and every event handed on to `also`, up to and including
/// `StreamEnd` (the duplicate-key scan, and over a cut spec's rest its
/// [`super::split::Shape`], ride on this pass instead of parsing the text
/// again). Stops at the first limit
/// exceeded, or at a YAML syntax error (the loader reports that).
pub fn scan(src: &Source, mut also: impl FnMut(Event, Marker)) -> Result<(), Box<Diagnostic>> {
    let mut parser = Parser::new_from_str(&src.text);
    // Per open collection: (anchor id, node count when it opened).
    let mut open: Vec<(usize, u64)> = Vec::new();
    let mut size: HashMap<usize, u64> = HashMap::new();
    let (mut nodes, mut added) = (0u64, 0u64);
    loop {
        let Ok((ev, mark)) = parser.next_token() else {
            return Ok(());
        };
        match ev {
            Event::StreamEnd => {
                also(ev, mark);
                return Ok(());
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                nodes += 1;
                open.push((anchor, nodes));
                if open.len() > MAX_DEPTH {
                    return Err(Box::new(limit(
                        src,
                        mark,
                        format!("the spec nests deeper than {MAX_DEPTH} levels"),
                        "flatten it: no part of the spec needs this depth",
                    )));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, start)) = open.pop()
                    && anchor != 0
                {
                    size.insert(anchor, nodes - start + 1);
                }
            }
            Event::Scalar(_, _, anchor, _) => {
                nodes += 1;
                if anchor != 0 {
                    size.insert(anchor, 1);
                }
            }
            Event::Alias(id) => {
                let n = size.get(&id).copied().unwrap_or(1);
                nodes = nodes.saturating_add(n);
                added = added.saturating_add(n);
                if added > MAX_ALIAS_NODES {
                    return Err(Box::new(limit(
                        src,
                        mark,
                        format!("aliases expand the spec by more than {MAX_ALIAS_NODES} nodes"),
                        "write the repeated parts out, or use fewer nested aliases (`*name`)",
                    )));
                }
            }
            _ => {}
        }
        also(ev, mark);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::load::tests::src;

    /// Every limit, as the loader applies them: [`precheck`], then [`scan`].
    fn check(src: &Source) -> Option<Diagnostic> {
        precheck(src).or_else(|| scan(src, |_, _| {}).err().map(|d| *d))
    }

    #[test]
    fn refuses_alias_bombs_and_deep_nesting_quickly() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let d = check(&src(&bomb)).expect("bomb refused");
        assert_eq!(d.code, LIMIT);
        assert!(d.pos.is_some_and(|p| p.line > 1), "{:?}", d.pos);
        let deep = format!("a: {}{}", "[".repeat(100), "]".repeat(100));
        assert!(check(&src(&deep)).is_some_and(|d| d.message.contains("deeper")));
        // Deeper still, the YAML scanner refuses it first (the loader reports that).
        let deeper = format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(crate::spec::load(&src(&deeper)).is_err());
        // The loader's single pass (limits and duplicate keys together): a
        // limit exceeded is the one error, even with a duplicate key before it.
        let Err(errs) = crate::spec::load(&src(&format!("x: 1\nx: 2\n{bomb}"))) else {
            panic!("bomb loaded")
        };
        assert_eq!(errs.iter().map(|d| d.code).collect::<Vec<_>>(), [LIMIT], "{errs:?}");
        // Within the limits, the same pass finds the duplicate.
        let Err(errs) = crate::spec::load(&src("x: 1\nt: &t {a: 1}\nu: *t\nx: 2\n")) else {
            panic!("duplicate loaded")
        };
        assert!(errs.iter().any(|d| d.message.contains("duplicate key `x`")), "{errs:?}");
        // Ordinary anchors are fine.
        assert!(check(&src("t: &t {a: 1, b: 2}\nu: *t\nv: [*t, *t]\n")).is_none());
    }
}
