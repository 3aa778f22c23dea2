//! Fuzz what genmon reads back from the output tree: the manifest and the
//! commit journal. Every entry they accept must be a safe relative path.
#![no_main]

use genmon::write::{journal, parse_manifest, paths};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (entries, _) = parse_manifest(&text);
    for p in entries.keys() {
        assert!(paths::relative_problem(p).is_none(), "manifest accepted {p:?}");
    }
    // The map is built in bulk from one sort: it must be what inserting the
    // accepted lines one by one builds (the later line for a path wins).
    let mut one_by_one = std::collections::BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((h, p)) = line.split_once("  ") else { continue };
        let hash_ok = matches!(h.len(), 32 | 64) && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if hash_ok && paths::relative_problem(std::path::Path::new(p)).is_none() {
            one_by_one.insert(std::path::PathBuf::from(p), h.to_string());
        }
    }
    assert_eq!(entries, one_by_one);
    if let Ok(ops) = journal::decode(&text) {
        for op in &ops {
            if let journal::Op::Rename { path, .. } | journal::Op::Delete { path, .. } = op {
                assert!(paths::relative_problem(path).is_none(), "journal accepted {path:?}");
            }
        }
    }
});
