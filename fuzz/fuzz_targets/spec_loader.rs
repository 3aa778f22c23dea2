//! Fuzz the whole pipeline on arbitrary spec text: load (YAML + positions),
//! every check, lowering and every renderer must return, never panic.
#![no_main]

use genmon::model::Profile;
use genmon::spec::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let src = Source { name: "fuzz.yaml".into(), text: text.to_string() };
    match genmon::pipeline::compile(&src, Profile::Compose, false) {
        Ok(c) => {
            let _ = genmon::diag::report(&src, &c.warnings, false);
        }
        Err(diags) => {
            let _ = genmon::diag::report(&src, &diags, false);
        }
    }
});
