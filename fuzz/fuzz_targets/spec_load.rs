//! Fuzz the loader alone (fast: many more inputs a second than the whole
//! pipeline): YAML in, a spec or diagnostics out, never a panic. Fuzz builds
//! keep debug assertions on, so every spec loaded with its long lists cut
//! into items is also checked against the whole-text parse.
#![no_main]

use genmon::spec::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = genmon::spec::load(&Source { name: "fuzz.yaml".into(), text: text.to_string() });
});
