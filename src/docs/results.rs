//! The results file `genmon test` leaves behind (`.genmon/test-results.json`
//! beside the spec), read by `genmon docs`. It names the spec's SHA-256, so
//! results of another version of the spec are shown as stale, not as today's.

use serde::{Deserialize, Serialize};
use sha2::Digest;

/// Default location, relative to the spec's directory.
pub const DEFAULT_PATH: &str = ".genmon/test-results.json";
/// Value of the `format` key.
pub const FORMAT: &str = "genmon-test-results/1";
/// Largest results file read (a bigger one is reported, not read).
const MAX_BYTES: u64 = 16 << 20;

/// The results of one `genmon test` run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestResults {
    /// [`FORMAT`].
    pub format: String,
    /// The spec file tested.
    pub spec: String,
    /// SHA-256 of the spec's text, hex.
    pub spec_sha256: String,
    pub results: Vec<Outcome>,
}

/// One row: a test file and an alert it checks (or `(expression tests)`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    pub file: String,
    pub alert: String,
    /// `pass` or `fail`.
    pub result: String,
}

/// SHA-256 of a spec's text, hex.
pub fn spec_sha256(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The results file as `genmon docs` found it.
#[derive(Debug)]
pub struct Loaded {
    pub path: String,
    pub results: Option<TestResults>,
    /// Whether they are of this very spec text.
    pub current: bool,
}

impl Loaded {
    /// Read `path` for the spec text `spec_text`. A missing file is "not run";
    /// an unreadable or malformed one is an error.
    pub fn read(path: &std::path::Path, spec_text: &str) -> Result<Loaded, String> {
        let shown = path.display().to_string();
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Loaded {
                    path: shown,
                    results: None,
                    current: false,
                });
            }
            Err(e) => return Err(format!("cannot read test results {shown}: {e}")),
        };
        if meta.len() > MAX_BYTES {
            return Err(format!("test results {shown} are larger than {} MiB", MAX_BYTES >> 20));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read test results {shown}: {e}"))?;
        let r: TestResults =
            serde_json::from_str(&text).map_err(|e| format!("{shown}: not a `genmon test` results file ({e}); run `genmon test` again"))?;
        if r.format != FORMAT {
            return Err(format!(
                "{shown}: format `{}`, expected `{FORMAT}`; run `genmon test` again",
                r.format
            ));
        }
        let current = r.spec_sha256 == spec_sha256(spec_text);
        Ok(Loaded {
            path: shown,
            results: Some(r),
            current,
        })
    }

    /// No results.
    pub fn none() -> Loaded {
        Loaded {
            path: String::new(),
            results: None,
            current: false,
        }
    }

    /// The results when they are of this spec.
    pub fn current(&self) -> Option<&TestResults> {
        self.results.as_ref().filter(|_| self.current)
    }

    /// `current`, `stale` or `none`.
    pub fn status(&self) -> &'static str {
        match (&self.results, self.current) {
            (Some(_), true) => "current",
            (Some(_), false) => "stale",
            (None, _) => "none",
        }
    }

    /// `pass`, `fail` or `not run` for one alert of one test file.
    pub fn result(&self, file: &str, alert: &str) -> &str {
        self.current()
            .and_then(|r| r.results.iter().find(|o| o.file == file && o.alert == alert))
            .map(|o| if o.result == "pass" { "pass" } else { "fail" })
            .unwrap_or("not run")
    }
}
