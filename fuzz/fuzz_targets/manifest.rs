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
    if let Ok(ops) = journal::decode(&text) {
        for op in &ops {
            if let journal::Op::Rename { path, .. } | journal::Op::Delete { path, .. } = op {
                assert!(paths::relative_problem(path).is_none(), "journal accepted {path:?}");
            }
        }
    }
});
