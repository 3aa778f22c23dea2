//! The spec's long lists parsed side by side. A spec's bulk is the items of
//! `dashboards:` and `rules:`; YAML parsers are serial, so the loader cuts
//! those block lists into their items by text ([`split`]), parses the items
//! and the rest of the spec at the same time, and puts the spec back
//! together. The cut is an optimisation only and never changes what a spec
//! means. It is taken when the text is plainly shaped (no directives,
//! document markers or byte order mark, no tab at a line's start, no line
//! break other than `\n` and `\r\n`, no anchor, alias or tag anywhere, items
//! at one indent under their key), and it holds only when
//! - the rest, with each cut list written `key: []`, passes the event pass of
//!   the whole-text loader (limits, duplicate keys, no anchors) and the
//!   parser sees a top-level key on exactly the lines where the cut put one
//!   ([`Shape`]): nothing the rest opens (a quoted scalar, a flow
//!   collection) runs across a cut list;
//! - each item, parsed on its own as a one-item block list, is one item:
//!   nothing it opens runs past its end, and its typed parse refuses a
//!   repeated key (serde's derive for struct fields, [`super::unique`] for
//!   maps).
//!
//! Then the whole text reads as the rest with the items in their lists.
//! Anything else falls back to the whole-text loader, so errors are exactly
//! those of the whole parse. Debug builds check every cut against it.

use yaml_rust2::parser::Event;
use yaml_rust2::scanner::Marker;

use super::{Dashboard, RuleGroup, Spec};

/// Top-level keys whose block lists are cut into items.
const KEYS: [&str; 2] = ["dashboards", "rules"];

/// Fewest items worth cutting for.
const MIN_ITEMS: usize = 2;

/// A spec cut into its lists' items and the rest.
#[derive(Debug, PartialEq)]
pub struct Split<'a> {
    /// The spec with each cut list written as `key: []`.
    pub rest: String,
    /// Each item's key (index into [`KEYS`]) and text (a one-item block list).
    pub items: Vec<(usize, &'a str)>,
    /// 1-based lines of the rest where the cut saw a top-level key, to
    /// compare with the [`Shape`] the parser sees.
    pub keys: Vec<usize>,
}

/// Cut `text` at the items of its top-level block lists `dashboards:` and
/// `rules:`; `None` when the text is not plainly shaped enough to cut by
/// lines, or has too few items to gain from it.
pub fn split(text: &str) -> Option<Split<'_>> {
    if text.starts_with('\u{feff}') || odd_line_break(text) || node_property(text) {
        return None;
    }
    let mut rest = String::with_capacity(text.len() / 8);
    let mut rest_lines = 0;
    let mut items: Vec<(usize, &str)> = Vec::new();
    let mut keys = Vec::new();
    // The list being cut: (key index, item indent, start of the open item).
    let mut list: Option<(usize, usize, Option<usize>)> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start_matches(' ').len();
        let content = &body[indent..];
        if body.starts_with(['%', '\t']) || body.starts_with("---") || body.starts_with("...") {
            return None;
        }
        if content.is_empty() || content.starts_with('#') {
            if list.is_none() {
                rest.push_str(line);
                rest_lines += 1;
            }
            continue;
        }
        if let Some((key, item_indent, open)) = &mut list {
            let dash = content == "-" || content.starts_with("- ");
            if indent == *item_indent && dash {
                if let Some(s) = open.replace(start) {
                    items.push((*key, &text[s..start]));
                }
                continue;
            }
            if indent > *item_indent && open.is_some() {
                continue;
            }
            if indent != 0 || open.is_none() {
                // Less indented than the items but not a top-level key, or
                // content before the first `- `: not a plain block list.
                return None;
            }
            if let Some(s) = open.take() {
                items.push((*key, &text[s..start]));
            }
            list = None;
        }
        rest_lines += 1;
        if indent == 0 && !content.starts_with('-') {
            keys.push(rest_lines);
            if let Some(key) = cut_key(content)
                && let Some(item_indent) = first_item_indent(&text[at..])
            {
                rest.push_str(KEYS[key]);
                rest.push_str(": []\n");
                list = Some((key, item_indent, None));
                continue;
            }
        }
        rest.push_str(line);
    }
    if let Some((key, _, open)) = list {
        let s = open?;
        items.push((key, &text[s..]));
    }
    (items.len() >= MIN_ITEMS).then_some(Split { rest, items, keys })
}

/// Whether `text` has a line break YAML (1.1, libyaml) reads besides `\n`
/// and `\r\n`: a lone `\r`, NEL, LS or PS.
fn odd_line_break(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memchr3_iter(b'\r', 0xC2, 0xE2, b).any(|i| match b[i] {
        b'\r' => b.get(i + 1) != Some(&b'\n'),
        0xC2 => b.get(i + 1) == Some(&0x85),
        _ => b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xA8 | 0xA9)),
    })
}

/// Whether `text` may give a node an anchor (`&a`), an alias (`*a`) or a
/// tag (`!t`): one of those characters first on its line, or after an
/// indicator a node follows (`- `, `: `, `? `, `[`, `{`, `,`) with only
/// blanks between. YAML puts these properties nowhere else; a false alarm
/// (in a quoted scalar, a comment) only costs the cut.
fn node_property(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memchr3_iter(b'&', b'*', b'!', b).any(|i| {
        let before = b[..i].iter().rposition(|x| !matches!(x, b' ' | b'\t'));
        before.is_none_or(|j| matches!(b[j], b'\n' | b'-' | b':' | b'?' | b'[' | b'{' | b','))
    })
}

/// Index into [`KEYS`] of a key line `dashboards:` / `rules:` whose value
/// follows on the next lines (nothing after the colon but a comment).
fn cut_key(line: &str) -> Option<usize> {
    KEYS.iter().position(|k| {
        line.strip_prefix(k).and_then(|r| r.strip_prefix(':')).is_some_and(|r| {
            let after = r.trim_start_matches(' ');
            after.is_empty() || (after.starts_with('#') && after.len() < r.len())
        })
    })
}

/// Indent of the first line of `text` with content, when it begins a block
/// list item (`- ` or a lone `-`).
fn first_item_indent(text: &str) -> Option<usize> {
    let line = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .find(|l| !l.trim_start_matches(' ').is_empty() && !l.trim_start_matches(' ').starts_with('#'))?;
    let content = line.trim_start_matches(' ');
    (content == "-" || content.starts_with("- ")).then_some(line.len() - content.len())
}

/// One parsed item of a cut list.
pub enum Item {
    Dashboard(Dashboard),
    Group(RuleGroup),
}

/// Parse one item's text (a one-item block list) as its key's type; `None`
/// on any error, or when it nests too deep to parse safely (the caller
/// parses the whole text, after its precheck, to report it).
pub fn item(key: usize, text: &str) -> Option<Item> {
    if super::limits::nests_deep(text) {
        return None;
    }
    fn one<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
        let mut v: Vec<T> = serde_yaml_ng::from_str(text).ok()?;
        (v.len() == 1).then(|| v.pop()).flatten()
    }
    match KEYS.get(key)? {
        &"dashboards" => one(text).map(Item::Dashboard),
        _ => one(text).map(Item::Group),
    }
}

/// Parse a [`Split`]: the rest and the items side by side, then the spec
/// they make. `None` on any error. Each item is guarded against deep
/// nesting here ([`item`]); the rest by the caller, before any scanner reads
/// it ([`super::load`]'s cut, which also scans the rest meanwhile).
pub fn parse(s: &Split) -> Option<Spec> {
    let (rest, items) = crate::par::join(
        || serde_yaml_ng::from_str::<Spec>(&s.rest).ok(),
        || crate::par::map(&s.items, |(k, t)| item(*k, t)),
    );
    let mut spec = rest?;
    // A cut list is `[]` in the rest.
    let cut = |k: usize| s.items.iter().any(|(key, _)| *key == k);
    if (cut(0) && !spec.dashboards.is_empty()) || (cut(1) && !spec.rules.is_empty()) {
        return None;
    }
    for it in items {
        match it? {
            Item::Dashboard(d) => spec.dashboards.push(d),
            Item::Group(g) => spec.rules.push(g),
        }
    }
    Some(spec)
}

/// What the parser's events show of the rest's shape: the lines of the
/// top-level keys, and whether any anchor or alias appears. Fed the events
/// of the limits pass ([`super::limits::scan`]) over the rest.
#[derive(Default)]
pub struct Shape {
    depth: usize,
    /// At the top level: the next node is a key.
    key_next: bool,
    pub keys: Vec<usize>,
    pub anchors: bool,
    /// More than one document, or a root that is not a mapping.
    pub odd: bool,
    /// The pass reached the end of the text (it stops at a syntax error,
    /// which the whole parse reports).
    pub complete: bool,
}

impl Shape {
    /// Take in one event of the limits pass.
    pub fn see(&mut self, ev: &Event, mark: Marker) {
        match ev {
            Event::Scalar(_, _, a, _) | Event::SequenceStart(a, _) | Event::MappingStart(a, _) if *a != 0 => {
                self.anchors = true;
            }
            Event::Alias(_) => self.anchors = true,
            Event::DocumentStart if !self.keys.is_empty() => self.odd = true,
            Event::StreamEnd => self.complete = true,
            _ => {}
        }
        let starts = matches!(
            ev,
            Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..) | Event::Alias(_)
        );
        if starts {
            match self.depth {
                0 if !matches!(ev, Event::MappingStart(..)) => self.odd = true,
                1 => {
                    if self.key_next {
                        self.keys.push(mark.line());
                    }
                    self.key_next = !self.key_next;
                }
                _ => {}
            }
        }
        match ev {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                self.depth += 1;
                if self.depth == 1 {
                    self.key_next = true;
                }
            }
            Event::SequenceEnd | Event::MappingEnd => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
    }

    /// The parser saw the rest as the cut did: top-level keys on exactly the
    /// cut's `keys` lines, to the end, with no anchor.
    pub fn agrees(&self, keys: &[usize]) -> bool {
        self.complete && !self.anchors && !self.odd && self.keys == keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::load::tests::src;

    /// The cut of `text`, and whether the parser's events over the rest agree with it.
    fn cut(text: &str) -> Option<(Split<'_>, bool)> {
        let c = split(text)?;
        let mut shape = Shape::default();
        crate::spec::limits::scan(&src(&c.rest), |ev, m| shape.see(&ev, m)).unwrap();
        let agrees = shape.agrees(&c.keys);
        Some((c, agrees))
    }

    fn whole(text: &str) -> String {
        format!("{:?}", serde_yaml_ng::from_str::<Spec>(text).unwrap())
    }

    const SIGNALS: &str = "version: 1\nsignals:\n  s: {title: S, expr: 'rate(x_total[5m])'}\n";

    /// Plainly shaped lists are cut, the parser agrees, and the spec put
    /// back together is the spec of the whole text.
    #[test]
    fn plain_lists_are_cut_and_read_as_the_whole_text() {
        let items0 = "dashboards:   # the boards\n- uid: a\n  title: A\n  panels:\n  - {signal: s}\n\n# between\n- uid: b\n  title: 'B: - not an item'\n  description: |\n    - a line of text, not an item\n\n    more\n  panels: [{signal: s}]\n-   {uid: c, title: C}\n";
        let items2 = "dashboards:\n  - uid: a\n    title: A\n  # a comment at the items' indent\n  - uid: b\n    title: >-\n      folded\n      - text\n";
        let rules = "rules:\n- name: g\n  alerts:\n  - {name: A, threshold: {signal: s, op: '>', value: 1}, severity: warning}\n- name: h\n  alerts: []\nstack: {grafana_port: 3001}\n";
        let texts = [
            format!("{SIGNALS}{items0}{rules}"),
            format!("{SIGNALS}{items2}{rules}"),
            format!("{rules}{SIGNALS}{items0}"),
            format!("{SIGNALS}{items0}").replace('\n', "\r\n"),
        ];
        for text in &texts {
            let (c, agrees) = cut(text).unwrap_or_else(|| panic!("not cut:\n{text}"));
            assert!(agrees, "the parser disagrees with the cut of\n{text}\n{:?}", c.keys);
            let spec = parse(&c).unwrap_or_else(|| panic!("the cut does not parse:\n{text}"));
            assert_eq!(format!("{spec:?}"), whole(text), "{text}");
        }
        // The loader takes the cut.
        let before = crate::spec::load::tests::CUTS.with(std::cell::Cell::get);
        for text in &texts {
            crate::spec::load(&src(text)).unwrap();
        }
        let taken = crate::spec::load::tests::CUTS.with(std::cell::Cell::get) - before;
        assert_eq!(taken, texts.len());
        let (c, _) = cut(&texts[0]).unwrap();
        assert_eq!(c.items.len(), 5, "{:?}", c.items);
        assert!(c.items[1].1.contains("- a line of text, not an item"), "{:?}", c.items[1]);
        assert_eq!(
            c.rest,
            format!("{SIGNALS}dashboards: []\nrules: []\nstack: {{grafana_port: 3001}}\n")
        );
        assert_eq!(c.keys, [1, 2, 4, 5, 6]);
    }

    /// Texts a cut by lines could misread are not cut, or the parser's
    /// events disagree with the cut; either way the loader reads the whole
    /// text, and reads it as it always did.
    #[test]
    fn texts_that_do_not_cut_plainly_are_read_whole() {
        let two = "- uid: a\n  title: A\n- uid: b\n  title: B\n";
        let texts = [
            // An anchor and an alias.
            format!("{SIGNALS}dashboards:\n- &a {{uid: a, title: A}}\n- uid: b\n  title: B\n  links: []\n"),
            // A directive, a document marker.
            format!("%YAML 1.2\n---\n{SIGNALS}dashboards:\n{two}"),
            format!("{SIGNALS}dashboards:\n{two}...\n"),
            // A top-level key that is text in a quoted scalar.
            format!("version: 1\nalerting:\n  runbook_base_url: \"https://x/\ndashboards:\n- uid: a\"\ndashboards:\n{two}"),
            // An item that begins on the line after its `-`.
            format!("{SIGNALS}dashboards:\n-\n  uid: a\n  title: A\n- uid: b\n  title: B\n"),
            // A flow list beside a cut one.
            format!("{SIGNALS}dashboards:\n{two}rules: [{{name: g, alerts: []}}, {{name: h, alerts: []}}]\n"),
            // Tabs.
            format!("{SIGNALS}dashboards:\n{two}\tfoo: 1\n"),
            // Content between the key and its first item.
            format!("{SIGNALS}dashboards:\n  x\n{two}"),
            // A byte order mark (serde_yaml_ng reads the rest after one as a second document).
            format!("\u{feff}{SIGNALS}dashboards:\n{two}"),
        ];
        for text in &texts {
            if let Some((c, agrees)) = cut(text) {
                // A cut the events vouch for, when it parses, reads as the whole text.
                if let (true, Some(s)) = (agrees, parse(&c)) {
                    let whole = serde_yaml_ng::from_str::<Spec>(text).map(|w| format!("{w:?}"));
                    assert_eq!(whole.ok(), Some(format!("{s:?}")), "cut, agreed and read differently:\n{text}");
                }
            }
            let loaded = crate::spec::load(&src(text))
                .map(|l| format!("{:?}", l.spec))
                .map_err(|d| d[0].code);
            let want = match serde_yaml_ng::from_str::<Spec>(text) {
                Ok(s) => Ok(format!("{s:?}")),
                Err(_) => Err(loaded.clone().err().unwrap_or("an error")),
            };
            assert_eq!(loaded, want, "{text}");
        }
        // The anchored item is not cut; the rest's quoted scalar that runs
        // across a cut list is cut by lines, and the parser's events over
        // the rest veto the cut.
        assert!(cut(&texts[0]).is_none(), "{}", texts[0]);
        let (_, agrees) = cut(&texts[3]).unwrap_or_else(|| panic!("not cut:\n{}", texts[3]));
        assert!(!agrees, "{}", texts[3]);
        // An item that begins on the line after its `-`, and a flow list in
        // the rest, are read the same cut or whole: the cut holds.
        for i in [4, 5] {
            let (c, agrees) = cut(&texts[i]).unwrap_or_else(|| panic!("not cut:\n{}", texts[i]));
            assert!(agrees, "{}", texts[i]);
            let cut = parse(&c).map(|s| format!("{s:?}"));
            assert_eq!(cut, Some(whole(&texts[i])), "{}\n{:?}", texts[i], c);
        }
    }

    /// A rest whose quoted scalar swallows a cut list and still closes
    /// parses on its own, with the list's key inside the scalar: the events
    /// show no key on that line, so the cut is refused and the text reads
    /// as one scalar, as YAML says.
    #[test]
    fn a_rest_that_parses_but_swallows_a_list_does_not_hold() {
        let text = "version: 1\nalerting:\n  runbook_base_url: \"https://x/\ndashboards:\n  - uid: a\n    title: A\n  - uid: b\n    title: B\nrules: \"\n";
        let (c, agrees) = cut(text).unwrap();
        assert!(serde_yaml_ng::from_str::<Spec>(&c.rest).is_ok(), "{}", c.rest);
        assert_eq!(c.items.len(), 2);
        assert!(!agrees);
        let spec = crate::spec::load(&src(text)).unwrap().spec;
        assert!(spec.dashboards.is_empty(), "{:?}", spec.dashboards);
        assert_eq!(format!("{spec:?}"), whole(text));
    }

    /// Anchors, aliases and tags in an item, and line breaks other than
    /// `\n`/`\r\n`, keep the text whole; the characters elsewhere do not.
    #[test]
    fn node_properties_and_odd_line_breaks_are_not_cut() {
        for line in [
            "&a x",
            "  - *a",
            "- !!str 1",
            "k: &a v",
            "k:\t*a",
            "? !t k",
            "k: [a, *b]",
            "k: {a: 1,&b c: 2}",
            "  !x",
            "\"k\": *a",
        ] {
            assert!(node_property(line), "{line:?}");
        }
        for line in [
            "expr: up{job!=\"x\"} * 100",
            "expr: 'a*b'",
            "regex: .*",
            "title: a & b",
            "k: v # *x",
            "expr: sum(x) by (a) * on (a) y",
        ] {
            assert!(!node_property(line), "{line:?}");
        }
        assert!(node_property("k: v\n  *a"), "first on a later line");
        assert!(!odd_line_break("a\r\nb\n\u{2027}\u{c2}"));
        for t in ["a\rb", "a\r", "a\u{85}", "a\u{2028}b", "\u{2029}"] {
            assert!(odd_line_break(t), "{t:?}");
        }
        let two = "dashboards:\n- uid: a\n  title: A\n- uid: b\n  title: B\n";
        assert!(split(&format!("{SIGNALS}{two}")).is_some());
        for text in [
            format!("{SIGNALS}{two}").replace("title: B", "title: &t B"),
            format!("{SIGNALS}{two}").replace("title: B", "title: !!str B"),
            format!("{SIGNALS}{two}").replacen('\n', "\r", 1),
            format!("{SIGNALS}{two}").replace("title: B", "title: B\u{2028}"),
            format!("{SIGNALS}{two}").replace("title: B", "title: B\u{85}"),
            format!("\u{feff}{SIGNALS}{two}"),
        ] {
            assert!(split(&text).is_none(), "{text:?}");
        }
    }

    /// A pass the parser could not finish (a syntax error after the last
    /// item) never vouches for a cut, even when the lines it saw agree.
    #[test]
    fn an_unfinished_pass_does_not_agree() {
        let text = format!("{SIGNALS}dashboards:\n- uid: a\n  title: A\n- uid: b\n  title: B\n");
        let c = split(&text).unwrap();
        let mut events = Vec::new();
        let mut p = yaml_rust2::parser::Parser::new_from_str(&c.rest);
        while let Ok((ev, m)) = p.next_token() {
            let end = ev == Event::StreamEnd;
            events.push((ev, m));
            if end {
                break;
            }
        }
        let feed = |n: usize| {
            let mut shape = Shape::default();
            events.iter().take(n).for_each(|(ev, m)| shape.see(ev, *m));
            shape.agrees(&c.keys)
        };
        assert!(feed(events.len()));
        assert!(!feed(events.len() - 1));
    }

    /// An item's error is the whole parse's error, with its position.
    #[test]
    fn an_error_in_an_item_is_reported_as_in_the_whole_text() {
        let text = format!("{SIGNALS}dashboards:\n- uid: a\n  title: A\n- uid: b\n  titel: B\n");
        assert!(cut(&text).is_some_and(|(c, agrees)| agrees && parse(&c).is_none()));
        let d = crate::spec::load(&src(&text)).unwrap_err();
        assert_eq!((d[0].code, d[0].pos.map(|p| (p.line, p.col))), ("spec/type", Some((8, 3))), "{d:?}");
    }
}
