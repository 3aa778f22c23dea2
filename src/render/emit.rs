//! The generated files' YAML, written directly for the shapes they use.
//!
//! serde-saphyr (the crate genmon writes YAML with) decides each scalar's
//! style with checks that walk the string several times and builds a
//! `String` for every mapping key; on the bench spec that was a fifth of a
//! render's instructions. This emitter writes the same bytes for the subset
//! the generated files need (block mappings and sequences, plain scalars,
//! literal blocks in a mapping, integers and booleans) and gives up on
//! anything else: a scalar serde-saphyr would quote, a float, a `null`, a
//! sequence directly inside a sequence. [`super::yaml_into`] then writes the
//! whole value with serde-saphyr, so the output never depends on which path
//! wrote it. Debug builds (the tests) write every value both ways and compare.
//!
//! The style rules below copy serde-saphyr 2.2's (`ser/quoting.rs`: which
//! strings may be plain; `ser/serializer.rs`: indentation, block scalars),
//! which it does not export. `tests::plain_scalars_are_the_ones_serde_saphyr_writes_plain`
//! compares the two on strings built to hit every rule.

use std::fmt;

use serde::ser::{self, Serialize};

/// Why the fast path gave up: the value needs something serde-saphyr does
/// that this emitter does not (or a `Serialize` impl failed; serde-saphyr
/// then reports that error itself).
#[derive(Debug)]
pub(crate) struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not written by the fast path")
    }
}
impl std::error::Error for GiveUp {}
impl ser::Error for GiveUp {
    fn custom<T: fmt::Display>(_: T) -> Self {
        GiveUp
    }
}

type R<T = ()> = Result<T, GiveUp>;

/// Append `v` as YAML to `out`, or give up leaving `out` as it was.
pub(crate) fn write<T: Serialize + ?Sized>(out: &mut String, v: &T) -> R {
    let start = out.len();
    let r = v.serialize(Node { out, at: At::Root });
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// Where the next node is written.
#[derive(Clone, Copy)]
enum At {
    /// The document itself.
    Root,
    /// After `key:` of a block mapping whose keys sit at this column.
    Value(usize),
    /// After `- ` of a block sequence whose dashes sit at this column.
    Item(usize),
}

struct Node<'o> {
    out: &'o mut String,
    at: At,
}

fn indent(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

impl Node<'_> {
    /// A scalar whose text needs no quoting (a number, a boolean, a plain string).
    fn bare(self, text: &str) -> R {
        if let At::Value(_) = self.at {
            self.out.push(' ');
        }
        self.out.push_str(text);
        self.out.push('\n');
        Ok(())
    }

    fn string(self, s: &str) -> R {
        if s.contains('\n') {
            // serde-saphyr writes a literal block when the text can be one.
            return match self.at {
                At::Value(col) if block_safe(s) => {
                    literal(self.out, s, col + 2);
                    Ok(())
                }
                _ => Err(GiveUp),
            };
        }
        if plain_value(s, false) { self.bare(s) } else { Err(GiveUp) }
    }
}

/// `s` as a literal block scalar after `key:`, its lines at `col`.
fn literal(out: &mut String, s: &str, col: usize) {
    let content = s.trim_end_matches('\n');
    out.push_str(match s.len() - content.len() {
        0 => " |-\n",
        1 if !content.is_empty() => " |\n",
        _ => " |+\n",
    });
    for line in content.split('\n') {
        if !line.is_empty() {
            indent(out, col);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..(s.len() - content.len()).max(1) {
        out.push('\n');
    }
}

/// Whether serde-saphyr writes `s` (which holds a line break) as a literal
/// block without an indentation indicator: every character is allowed in a
/// block, the first line does not start with a space or a tab (left to
/// serde-saphyr), and there is text.
fn block_safe(s: &str) -> bool {
    let content = s.trim_end_matches('\n');
    !content.is_empty()
        && !content.starts_with([' ', '\t', '\n'])
        && s.chars().all(|ch| match ch {
            '\n' | '\t' => true,
            '\r' | '\u{0085}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' => false,
            c => matches!(c as u32, 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x0010_FFFF),
        })
}

/// Serializer methods for what the fast path leaves to serde-saphyr.
macro_rules! give_up {
    ($($f:ident($($t:ty),*) -> $r:ty;)*) => {$(
        fn $f(self, $(_: $t),*) -> $r {
            Err(GiveUp)
        }
    )*};
}

macro_rules! bare_int {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> R {
            self.bare(&v.to_string())
        }
    )*};
}

impl<'o> ser::Serializer for Node<'o> {
    type Ok = ();
    type Error = GiveUp;
    type SerializeSeq = Seq<'o>;
    type SerializeTuple = ser::Impossible<(), GiveUp>;
    type SerializeTupleStruct = ser::Impossible<(), GiveUp>;
    type SerializeTupleVariant = ser::Impossible<(), GiveUp>;
    type SerializeMap = Map<'o>;
    type SerializeStruct = Map<'o>;
    type SerializeStructVariant = ser::Impossible<(), GiveUp>;

    give_up! {
        serialize_f32(f32) -> R; serialize_f64(f64) -> R; serialize_bytes(&[u8]) -> R; serialize_none() -> R;
        serialize_unit() -> R; serialize_unit_struct(&'static str) -> R;
        serialize_tuple(usize) -> R<Self::SerializeTuple>;
        serialize_tuple_struct(&'static str, usize) -> R<Self::SerializeTupleStruct>;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> R<Self::SerializeTupleVariant>;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> R<Self::SerializeStructVariant>;
    }
    fn serialize_bool(self, v: bool) -> R {
        self.bare(if v { "true" } else { "false" })
    }
    bare_int!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64);
    fn serialize_char(self, v: char) -> R {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> R {
        self.string(v)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> R {
        self.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, _: &'static str, _: &T) -> R {
        Err(GiveUp)
    }
    fn serialize_seq(self, _: Option<usize>) -> R<Seq<'o>> {
        let dash = match self.at {
            At::Root => 0,
            At::Value(col) => col,
            // `- - x`: serde-saphyr's own layout, not needed here.
            At::Item(_) => return Err(GiveUp),
        };
        Ok(Seq {
            out: self.out,
            at: self.at,
            dash,
            empty: true,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> R<Map<'o>> {
        let col = match self.at {
            At::Root => 0,
            At::Value(col) | At::Item(col) => col + 2,
        };
        Ok(Map {
            out: self.out,
            at: self.at,
            col,
            empty: true,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> R<Map<'o>> {
        self.serialize_map(Some(len))
    }
}

/// The end of a collection: an empty one is written in flow style (`[]`, `{}`).
fn close(out: &mut String, at: At, empty: bool, flow: &str) -> R {
    if empty {
        return Node { out, at }.bare(flow);
    }
    Ok(())
}

/// A block sequence; nothing is written until its first item (an empty one is `[]`).
pub(crate) struct Seq<'o> {
    out: &'o mut String,
    at: At,
    dash: usize,
    empty: bool,
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        if self.empty {
            self.empty = false;
            if let At::Value(_) = self.at {
                self.out.push('\n');
            }
        }
        indent(self.out, self.dash);
        self.out.push_str("- ");
        v.serialize(Node {
            out: self.out,
            at: At::Item(self.dash),
        })
    }
    fn end(self) -> R {
        close(self.out, self.at, self.empty, "[]")
    }
}

/// A block mapping whose keys sit at `col`; nothing is written until its
/// first entry (an empty one is `{}`).
pub(crate) struct Map<'o> {
    out: &'o mut String,
    at: At,
    col: usize,
    empty: bool,
}

impl Map<'_> {
    fn key_text(&mut self, k: &str) -> R {
        if !plain_key(k) {
            return Err(GiveUp);
        }
        match (self.empty, self.at) {
            // The first key of an item shares the dash's line; at the root, line 1.
            (true, At::Item(_) | At::Root) => {}
            (true, At::Value(_)) => {
                self.out.push('\n');
                indent(self.out, self.col);
            }
            (false, _) => indent(self.out, self.col),
        }
        self.empty = false;
        self.out.push_str(k);
        self.out.push(':');
        Ok(())
    }
}

impl ser::SerializeMap for Map<'_> {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> R {
        k.serialize(KeyText(self))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        v.serialize(Node {
            out: self.out,
            at: At::Value(self.col),
        })
    }
    fn end(self) -> R {
        close(self.out, self.at, self.empty, "{}")
    }
}

impl ser::SerializeStruct for Map<'_> {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, k: &'static str, v: &T) -> R {
        self.key_text(k)?;
        v.serialize(Node {
            out: self.out,
            at: At::Value(self.col),
        })
    }
    fn end(self) -> R {
        ser::SerializeMap::end(self)
    }
}

/// A mapping key: only a string that may be plain.
struct KeyText<'m, 'o>(&'m mut Map<'o>);

impl ser::Serializer for KeyText<'_, '_> {
    type Ok = ();
    type Error = GiveUp;
    type SerializeSeq = ser::Impossible<(), GiveUp>;
    type SerializeTuple = ser::Impossible<(), GiveUp>;
    type SerializeTupleStruct = ser::Impossible<(), GiveUp>;
    type SerializeTupleVariant = ser::Impossible<(), GiveUp>;
    type SerializeMap = ser::Impossible<(), GiveUp>;
    type SerializeStruct = ser::Impossible<(), GiveUp>;
    type SerializeStructVariant = ser::Impossible<(), GiveUp>;

    give_up! {
        serialize_bool(bool) -> R; serialize_i8(i8) -> R; serialize_i16(i16) -> R; serialize_i32(i32) -> R;
        serialize_i64(i64) -> R; serialize_u8(u8) -> R; serialize_u16(u16) -> R; serialize_u32(u32) -> R;
        serialize_u64(u64) -> R; serialize_f32(f32) -> R; serialize_f64(f64) -> R; serialize_char(char) -> R;
        serialize_bytes(&[u8]) -> R; serialize_none() -> R; serialize_unit() -> R;
        serialize_unit_struct(&'static str) -> R; serialize_unit_variant(&'static str, u32, &'static str) -> R;
        serialize_seq(Option<usize>) -> R<Self::SerializeSeq>; serialize_tuple(usize) -> R<Self::SerializeTuple>;
        serialize_tuple_struct(&'static str, usize) -> R<Self::SerializeTupleStruct>;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> R<Self::SerializeTupleVariant>;
        serialize_map(Option<usize>) -> R<Self::SerializeMap>;
        serialize_struct(&'static str, usize) -> R<Self::SerializeStruct>;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> R<Self::SerializeStructVariant>;
    }
    fn serialize_str(self, v: &str) -> R {
        self.0.key_text(v)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, _: &'static str, _: &T) -> R {
        Err(GiveUp)
    }
}

// ---- Which strings may be plain (serde-saphyr 2.2, `ser/quoting.rs`) ----

/// A mapping key serde-saphyr writes plain: its `is_plain_safe` (YAML 1.2
/// ambiguity, no `:` at all, not `<<`) and its flow-safe value check.
pub(crate) fn plain_key(s: &str) -> bool {
    // The common key, a lowercase identifier: plain unless it is a word
    // YAML 1.1 reads as a boolean, a null or a number.
    let b = s.as_bytes();
    if b.first().is_some_and(u8::is_ascii_lowercase) && b.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_') {
        return !matches!(
            s,
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null" | "nan" | "inf"
        );
    }
    !ambiguous(s, true) && s != "<<" && !s.contains(':') && plain_value(s, true)
}

/// A value serde-saphyr writes plain (`is_plain_value_safe`, YAML 1.1
/// ambiguity as its default options use).
pub(crate) fn plain_value(s: &str, in_flow: bool) -> bool {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false; // empty: ambiguous
    };
    if first.is_ascii_whitespace() || last.is_ascii_whitespace() {
        return false;
    }
    match b {
        [b'-' | b'?', b1, ..] if b1.is_ascii_whitespace() => return false,
        [b'-' | b'?']
        | [
            b',' | b':' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`',
            ..,
        ] => return false,
        _ => {}
    }
    if ambiguous(s, false) || starts_with_document_marker(s) {
        return false;
    }
    // No early exit: this folds to vector code, a few bytes per instruction.
    let odd = b.iter().fold(false, |odd, &c| odd | !(0x20..0x7F).contains(&c));
    if odd {
        return plain_text_slow(s, in_flow);
    }
    // ASCII text without control characters: no `: `, no ` #`, no trailing
    // `:`, and in flow context (keys) no flow indicator.
    last != b':'
        && !(in_flow && b.iter().any(|c| matches!(c, b',' | b'[' | b']' | b'{' | b'}')))
        && memchr::memchr2_iter(b':', b'#', b).all(|i| match b[i] {
            b':' => b.get(i + 1) != Some(&b' '),
            _ => b[i - 1] != b' ',
        })
}

/// [`plain_value`]'s character checks for text that is not all printable
/// ASCII (whitespace and control characters beyond ASCII count too), and
/// for flow context.
fn plain_text_slow(s: &str, in_flow: bool) -> bool {
    if s.contains(": ") || s.trim().ends_with(':') {
        return false;
    }
    let flow_special = |c: char| in_flow && matches!(c, ',' | '[' | ']' | '{' | '}');
    !s.chars().any(|c| needs_escaping(c) || flow_special(c)) && !comment_start(s)
}

/// serde-saphyr's `is_controll_which_needs_escaping`.
fn needs_escaping(c: char) -> bool {
    c.is_control() || matches!(c, '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}')
}

/// A `#` after whitespace (it would start a comment).
fn comment_start(s: &str) -> bool {
    memchr::memchr_iter(b'#', s.as_bytes()).any(|i| s[..i].chars().next_back().is_some_and(char::is_whitespace))
}

fn starts_with_document_marker(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("---").or_else(|| s.strip_prefix("...")) else {
        return false;
    };
    rest.is_empty() || rest.as_bytes().first().is_some_and(u8::is_ascii_whitespace)
}

/// Whether a reader could take `s` for something other than a string
/// (`is_ambiguous`).
fn ambiguous(s: &str, yaml_12: bool) -> bool {
    // Numbers and dates start with one of these; every other ambiguous
    // spelling is one of the short words below.
    match s.as_bytes().first() {
        None => return true,
        Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'_') => {}
        Some(_) if s.len() <= 5 => {}
        Some(_) => return false,
    }
    let word = |w: &str| s.eq_ignore_ascii_case(w);
    s.is_empty()
        || s == "~"
        || word("null")
        || word("true")
        || word("false")
        || is_numeric(s, yaml_12)
        || word("nan")
        || word("inf")
        || word("+inf")
        || word("-inf")
        || (!yaml_12
            && (word("yes")
                || word("y")
                || word("on")
                || word("no")
                || word("n")
                || word("off")
                || is_yaml11_timestamp(s)
                || matches!(s, "<<" | "=")))
}

fn is_numeric(s: &str, yaml_12: bool) -> bool {
    if !matches!(s.as_bytes().first(), Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'_')) {
        return false;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return true;
    }
    // Every number below is spelled with these alone (`5m` is not a number).
    if !s
        .bytes()
        .all(|c| c.is_ascii_hexdigit() || matches!(c, b'x' | b'X' | b'o' | b'O' | b'+' | b'-' | b'.' | b'_' | b':'))
    {
        return false;
    }
    if !yaml_12 {
        if is_yaml11_sexagesimal(s) {
            return true;
        }
        if let Some((radix, digits)) = radix_digits(unsigned)
            && is_digit_run(digits, radix, false)
        {
            return true;
        }
    }
    let normalized;
    let s = if !yaml_12 && s.contains('_') {
        normalized = s.replace('_', "");
        normalized.as_str()
    } else {
        s
    };
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if let Some((radix, digits)) = radix_digits(unsigned) {
        let digits = if !yaml_12 && (s.starts_with("0b") || s.starts_with("0o")) {
            digits.strip_prefix(['+', '-']).unwrap_or(digits)
        } else {
            digits
        };
        return is_digit_run(digits, radix, true);
    }
    let mantissa = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if !is_digit_run(exponent, 10, true) {
                return false;
            }
            mantissa
        }
        None => unsigned,
    };
    match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            if !whole.is_empty() && !is_digit_run(whole, 10, true) {
                return false;
            }
            if !yaml_12 {
                fraction.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            } else if fraction.is_empty() {
                !whole.is_empty()
            } else {
                is_digit_run(fraction, 10, true)
            }
        }
        None => is_digit_run(mantissa, 10, true),
    }
}

fn radix_digits(s: &str) -> Option<(u32, &str)> {
    match s.as_bytes() {
        [b'0', b'b' | b'B', ..] => Some((2, &s[2..])),
        [b'0', b'o' | b'O', ..] => Some((8, &s[2..])),
        [b'0', b'x' | b'X', ..] => Some((16, &s[2..])),
        _ => None,
    }
}

fn is_digit_run(s: &str, radix: u32, strict_underscores: bool) -> bool {
    let is_digit = |b: u8| b.is_ascii() && char::from(b).is_digit(radix);
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.iter().enumerate().all(|(i, &b)| {
            is_digit(b)
                || (b == b'_'
                    && (!strict_underscores || (i > 0 && is_digit(bytes[i - 1]) && bytes.get(i + 1).is_some_and(|&next| is_digit(next)))))
        })
}

fn is_yaml11_sexagesimal(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    let Some((first, rest)) = integer.split_once(':') else {
        return false;
    };
    let Some(first_digit) = first.as_bytes().first() else {
        return false;
    };
    if !first_digit.is_ascii_digit()
        || (fraction.is_none() && *first_digit == b'0')
        || !first.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return false;
    }
    if !rest.split(':').all(|part| match part.as_bytes() {
        [digit] => digit.is_ascii_digit(),
        [tens, units] => matches!(tens, b'0'..=b'5') && units.is_ascii_digit(),
        _ => false,
    }) {
        return false;
    }
    fraction.is_none_or(|part| part.bytes().all(|b| b.is_ascii_digit() || b == b'_'))
}

fn is_yaml11_timestamp(mut s: &str) -> bool {
    fn digits(s: &mut &str, min: usize, max: usize) -> bool {
        let len = s.bytes().take_while(u8::is_ascii_digit).count();
        if !(min..=max).contains(&len) {
            return false;
        }
        *s = &s[len..];
        true
    }
    fn prefix(s: &mut &str, ch: char) -> bool {
        match s.strip_prefix(ch) {
            Some(rest) => {
                *s = rest;
                true
            }
            None => false,
        }
    }
    if !digits(&mut s, 4, 4) || !prefix(&mut s, '-') || !digits(&mut s, 1, 2) || !prefix(&mut s, '-') || !digits(&mut s, 1, 2) {
        return false;
    }
    if s.is_empty() {
        return true;
    }
    if let Some(rest) = s.strip_prefix(['T', 't']) {
        s = rest;
    } else {
        let rest = s.trim_start_matches([' ', '\t']);
        if rest.len() == s.len() {
            return false;
        }
        s = rest;
    }
    if !digits(&mut s, 1, 2) || !prefix(&mut s, ':') || !digits(&mut s, 1, 2) || !prefix(&mut s, ':') || !digits(&mut s, 1, 2) {
        return false;
    }
    if prefix(&mut s, '.') || prefix(&mut s, ',') {
        digits(&mut s, 0, usize::MAX);
    }
    s = s.trim_start_matches([' ', '\t']);
    if s.is_empty() || s == "Z" {
        return true;
    }
    if !(prefix(&mut s, '+') || prefix(&mut s, '-')) || !digits(&mut s, 1, 2) {
        return false;
    }
    if prefix(&mut s, ':') && !digits(&mut s, 2, 2) {
        return false;
    }
    s.is_empty()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::testing::Rng;

    /// `v` as serde-saphyr writes it, with the generated files' options.
    fn saphyr<T: Serialize>(v: &T) -> String {
        let mut out = String::new();
        crate::render::saphyr_into(&mut out, v).expect("serde-saphyr writes it");
        out
    }

    /// Characters that decide a scalar's style, and some that do not.
    const CHARS: &[char] = &[
        '0', '1', '5', '9', '+', '-', '.', '_', ':', ' ', '#', 'e', 'E', 'x', 'b', 'o', 'a', 'f', 'i', 'n', 'y', 'T', 'Z', 't', 'l', 'u',
        ',', '[', ']', '{', '}', '?', '!', '&', '*', '|', '>', '"', '\'', '%', '@', '`', '<', '=', '~', '\t', '\r', 'é', '\u{85}',
        '\u{a0}', '\u{2028}', '\u{3000}', '\u{feff}', '\u{7f}',
    ];

    /// Spellings YAML 1.1 or 1.2 reads as something else, and near misses.
    const TRICKY: &[&str] = &[
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5",
        "2001-1-1 1:2:3",
        "2001-12-14x",
        "1:30",
        "190:20:30.15",
        "1:60",
        "0:30",
        "-1:30",
        "1_000",
        "1__0",
        "_1",
        "0b1_0",
        "0x_1F",
        "0x1F",
        "0o17",
        "+.inf",
        "-.Inf",
        ".NaN",
        "+inf",
        "-INF",
        "nan",
        "Null",
        "NULL",
        "~",
        "TRUE",
        "False",
        "yes",
        "Yes",
        "Y",
        "n",
        "on",
        "Off",
        "<<",
        "=",
        "---",
        "...",
        "--- x",
        "...x",
        "---x",
        "- x",
        "-x",
        "? x",
        "?x",
        "a: b",
        "a:b",
        "a:",
        "a #b",
        "a#b",
        "12e3",
        "12e",
        ".5",
        "5.",
        "0.",
        "1.2.3",
        "5m",
        "0+6600x12",
        "1e+5",
        "-2E-05",
        "0b",
        "0x",
        "y",
        "yes",
        "no",
        "on",
        "off",
        "true",
        "false",
        "null",
        "nan",
        "inf",
        "yes_",
        "nano",
        "info",
        "on1",
        "a_b",
        "http://a.b/c?d=e&f={{ $labels.x | urlquery }}",
        "{{ $value }}",
        "x{a=\"b\"}",
        "a,b",
        "a[0]",
        "=x",
        "<<x",
    ];

    fn is_plain_value_by_saphyr(s: &str) -> bool {
        saphyr(&BTreeMap::from([("k", s)])) == format!("k: {s}\n")
    }
    fn is_plain_key_by_saphyr(s: &str) -> bool {
        saphyr(&BTreeMap::from([(s, "v")])) == format!("{s}: v\n")
    }

    fn check(s: &str, seen: &mut [usize; 2]) {
        let (value, key) = (is_plain_value_by_saphyr(s), is_plain_key_by_saphyr(s));
        assert_eq!(plain_value(s, false), value, "value {s:?}: serde-saphyr writes it plain: {value}");
        assert_eq!(plain_key(s), key, "key {s:?}: serde-saphyr writes it plain: {key}");
        seen[0] += usize::from(value);
        seen[1] += usize::from(key);
    }

    /// Every string of up to three of [`CHARS`], the [`TRICKY`] ones, and
    /// longer random ones: plain exactly when serde-saphyr writes it plain.
    #[test]
    fn plain_scalars_are_the_ones_serde_saphyr_writes_plain() {
        let mut seen = [0; 2];
        let mut total = 0;
        let mut s = String::new();
        for a in CHARS {
            for b in CHARS.iter().chain([&'\0']) {
                for c in CHARS.iter().chain([&'\0']) {
                    s.clear();
                    s.extend([*a, *b, *c].into_iter().filter(|&c| c != '\0'));
                    check(&s, &mut seen);
                    total += 1;
                }
            }
        }
        for t in TRICKY {
            check(t, &mut seen);
            for (pre, post) in [("x", ""), ("", "x"), ("", " "), ("", ":"), ("+", ""), ("-", "")] {
                check(&format!("{pre}{t}{post}"), &mut seen);
            }
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..30_000 {
            s.clear();
            // Mostly digits and separators, so numbers and dates come up.
            for _ in 0..4 + rng.below(10) {
                s.push(if rng.below(2) == 0 {
                    CHARS[rng.below(10)]
                } else {
                    CHARS[rng.below(CHARS.len())]
                });
            }
            check(&s, &mut seen);
            total += 1;
        }
        // The comparison means something only if both answers came up often.
        assert!(seen[0] > total / 10 && seen[0] < total * 9 / 10, "{seen:?} of {total}");
        assert!(seen[1] > total / 20 && seen[1] < total * 9 / 10, "{seen:?} of {total}");
    }

    /// A document of the shapes the generated files use.
    #[derive(Clone, Debug)]
    enum Doc {
        Str(String),
        Int(i64),
        Bool(bool),
        Float(f64),
        Seq(Vec<Doc>),
        Map(Vec<(String, Doc)>),
    }

    impl Serialize for Doc {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use ser::{SerializeMap, SerializeSeq};
            match self {
                Doc::Str(v) => s.serialize_str(v),
                Doc::Int(v) => s.serialize_i64(*v),
                Doc::Bool(v) => s.serialize_bool(*v),
                Doc::Float(v) => s.serialize_f64(*v),
                Doc::Seq(items) => {
                    let mut q = s.serialize_seq(Some(items.len()))?;
                    for i in items {
                        q.serialize_element(i)?;
                    }
                    q.end()
                }
                Doc::Map(entries) => {
                    let mut m = s.serialize_map(Some(entries.len()))?;
                    for (k, v) in entries {
                        m.serialize_entry(k, v)?;
                    }
                    m.end()
                }
            }
        }
    }

    const STRINGS: &[&str] = &[
        "up",
        "5m",
        "0+6600x12",
        "rate(x[5m]) > 0.5",
        "a: b",
        "yes",
        "",
        "x #y",
        "line\nline",
        "line\n",
        "a\n\nb\n\n",
        "\nstarts empty",
        " indented\nsecond",
        "tab\there",
        "é—ü",
        "trailing ",
        "{{ $value | humanize }}",
        "- x",
        "multi\n  indented\nlines",
        "\n",
        "100",
        "\tfirst tab\nsecond",
    ];
    const KEYS: &[&str] = &["name", "for", "labels", "a b", "on", "x:y", "123", "série", "?q", "-k"];

    fn doc(rng: &mut Rng, depth: usize) -> Doc {
        let leaf = depth >= 4 || rng.below(3) == 0;
        match if leaf { rng.below(5) } else { 5 + rng.below(2) } {
            0 | 1 => Doc::Str(STRINGS[rng.below(STRINGS.len())].to_string()),
            2 => Doc::Int(rng.next() as i64 >> rng.below(64)),
            3 => Doc::Bool(rng.below(2) == 0),
            4 => {
                if rng.below(8) == 0 {
                    Doc::Float(0.5)
                } else {
                    Doc::Str(STRINGS[rng.below(4)].to_string())
                }
            }
            5 => Doc::Seq((0..rng.below(4)).map(|_| doc(rng, depth + 1)).collect()),
            _ => {
                let n = rng.below(4);
                let mut keys: Vec<&str> = (0..n).map(|_| KEYS[rng.below(KEYS.len())]).collect();
                keys.sort_unstable();
                keys.dedup();
                Doc::Map(keys.into_iter().map(|k| (k.to_string(), doc(rng, depth + 1))).collect())
            }
        }
    }

    /// Random documents of mappings, sequences and scalars: whatever the
    /// fast path writes, serde-saphyr writes byte for byte.
    #[test]
    fn documents_are_written_as_serde_saphyr_writes_them() {
        let mut rng = Rng(42);
        let (mut written, mut given_up) = (0, 0);
        for _ in 0..20_000 {
            let d = doc(&mut rng, 0);
            let mut ours = String::from("# header\n");
            match write(&mut ours, &d) {
                Ok(()) => {
                    assert_eq!(ours, format!("# header\n{}", saphyr(&d)), "{d:?}");
                    written += 1;
                }
                Err(GiveUp) => {
                    assert_eq!(ours, "# header\n", "a give-up leaves the buffer as it was: {d:?}");
                    given_up += 1;
                }
            }
        }
        assert!(written > 5_000 && given_up > 1_000, "written {written}, given up {given_up}");
    }

    /// The cases the generated files depend on, spelled out.
    #[test]
    fn the_generated_files_shapes_are_written_by_the_fast_path() {
        let s = |v: &str| Doc::Str(v.to_string());
        let map = |e: Vec<(&str, Doc)>| Doc::Map(e.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
        let rule = map(vec![
            ("alert", s("HighLatency")),
            ("expr", s("histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))) > 0.5")),
            ("for", s("10m")),
            ("labels", map(vec![("severity", s("page"))])),
            (
                "annotations",
                map(vec![(
                    "description",
                    s("p99 is {{ $value | humanizeDuration }}.\nSee the runbook.\n"),
                )]),
            ),
        ]);
        let file = map(vec![
            (
                "groups",
                Doc::Seq(vec![map(vec![("name", s("g")), ("rules", Doc::Seq(vec![rule.clone(), rule]))])]),
            ),
            ("empty", Doc::Seq(vec![])),
            ("none", map(vec![])),
            ("count", Doc::Int(3)),
        ]);
        let mut ours = String::new();
        write(&mut ours, &file).expect("the fast path writes a rule file");
        assert_eq!(ours, saphyr(&file));
        assert!(ours.contains("    annotations:\n      description: |\n        p99 is"), "{ours}");
        assert!(ours.contains("empty: []\nnone: {}\n"), "{ours}");
        // What it leaves to serde-saphyr.
        for d in [
            Doc::Float(1.5),
            s("yes"),
            s(" x"),
            Doc::Seq(vec![Doc::Seq(vec![])]),
            Doc::Seq(vec![s("x\n")]),
        ] {
            assert!(write(&mut String::new(), &map(vec![("k", d.clone())])).is_err(), "{d:?}");
            assert!(
                write(&mut String::new(), &map(vec![("n", s("x"))])).is_err(),
                "`n` is a YAML 1.1 boolean"
            );
        }
    }
}
