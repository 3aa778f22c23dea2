//! Fuzz the textfile collector's exposition-format parser: any input must
//! parse or fail without panicking, and whatever it accepts must survive
//! the exporter's own encoder and parse again to the same samples.
#![no_main]

use genmon::exporter::metric::encode_family;
use genmon::exporter::textformat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(fams) = textformat::parse(text, "fuzz") else { return };
    let mut merged = Vec::new();
    if genmon::exporter::collectors::textfile::merge(&mut merged, fams).is_err() {
        return;
    }
    let mut out = String::new();
    for f in &merged {
        encode_family(&mut out, f);
    }
    let again = textformat::parse(&out, "fuzz").unwrap_or_else(|e| panic!("re-parsing our own output failed: {e:#}\n{out}"));
    let count = |fs: &[genmon::exporter::Family]| fs.iter().map(|f| f.samples.len()).sum::<usize>();
    assert_eq!(count(&merged), count(&again), "sample count changed through encode\n{out}");
});
