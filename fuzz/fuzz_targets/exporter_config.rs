//! Fuzz the exporter's two configuration parsers: the `exporter:` section
//! (`--config.file`) and the exporter-toolkit web config
//! (`--web.config.file`). Any text must be accepted or refused with an
//! error, never panic. File names in the web config resolve under a
//! directory that does not exist, so nothing outside is read.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = genmon::exporter::config::parse(text);
    let _ = genmon::exporter::webconfig::parse(text, std::path::Path::new("/nonexistent/genmon-fuzz"));
});
