//! `textfile`: `*.prom` files from a directory (node_exporter's textfile
//! contract). A bad file sets `node_textfile_scrape_error 1` and its metrics
//! are skipped; the other files are still merged. Families may span files,
//! but a conflicting HELP or TYPE is an error for the later file.
//!
//! The directory is writable by other programs, so reading is bounded: only
//! regular files (symlinks to them are followed) are opened, without blocking
//! (a FIFO never wedges a thread), at most [`MAX_FILES`] files per scrape,
//! and at most `max_bytes` bytes in all (default [`DEFAULT_MAX_BYTES`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::{Collector, ScrapeContext};
use crate::bounded;
use crate::catalog;
use crate::config::TextfileConfig;
use crate::metric::{Family, label};
use crate::textformat;

/// Default for `exporter.textfile.max_bytes`: bytes read from all textfiles
/// in one scrape (parsed, that is roughly five times as much memory).
pub const DEFAULT_MAX_BYTES: u64 = 32 << 20;
/// `*.prom` files read per scrape; more are an error (the first ones in name
/// order are still read).
pub const MAX_FILES: usize = 10_000;

/// The textfile collector.
pub struct Textfile {
    dir: Option<PathBuf>,
    max_bytes: u64,
}

impl Textfile {
    /// A collector for `*.prom` files in `dir` (none: exports nothing), with
    /// the default byte limit.
    pub fn new(dir: Option<PathBuf>) -> Self {
        Textfile {
            dir,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }

    /// A collector configured by the `exporter.textfile` section.
    pub fn from_config(cfg: &TextfileConfig) -> Self {
        Textfile {
            dir: cfg.directory.clone(),
            max_bytes: cfg.max_bytes.unwrap_or(DEFAULT_MAX_BYTES),
        }
    }
}

/// Merge `new` (one file's families) into `merged`, or reject the file whole.
pub fn merge(merged: &mut Vec<Family>, new: Vec<Family>) -> anyhow::Result<()> {
    let index: HashMap<String, usize> = merged.iter().enumerate().map(|(i, f)| (f.name.to_string(), i)).collect();
    // Validate everything first so a rejected file adds nothing.
    for f in &new {
        if catalog::lookup_own(&f.name).is_some() || catalog::exporter_families().iter().any(|m| m.name == f.name) {
            bail!("metric {} is exported by genmon-exporter itself; rename it", f.name);
        }
        if let Some(&i) = index.get(f.name.as_ref()) {
            let old = &merged[i];
            if old.kind != f.kind {
                bail!(
                    "metric {}: TYPE {} conflicts with TYPE {} from another file",
                    f.name,
                    f.kind.as_str(),
                    old.kind.as_str()
                );
            }
            if old.help != f.help {
                bail!(
                    "metric {}: HELP {:?} conflicts with HELP {:?} from another file",
                    f.name,
                    f.help,
                    old.help
                );
            }
            let keys: HashSet<_> = old.samples.iter().map(|s| (s.suffix, &s.labels)).collect();
            if let Some(s) = f.samples.iter().find(|s| keys.contains(&(s.suffix, &s.labels))) {
                bail!("metric {}{}: the same series is already in another file", f.name, s.suffix);
            }
        }
    }
    for f in new {
        match index.get(f.name.as_ref()) {
            Some(&i) => merged[i].samples.extend(f.samples),
            None => merged.push(f),
        }
    }
    Ok(())
}

/// Read and parse one file of at most `limit` bytes; returns its families,
/// mtime and size.
fn read_one(path: &Path, limit: u64) -> anyhow::Result<(Vec<Family>, f64, u64)> {
    let (text, meta) = bounded::read_regular(path, limit).map_err(|e| match e {
        bounded::ReadError::TooLarge { path, .. } => anyhow::anyhow!(
            "{path}: the textfiles read in this scrape would exceed exporter.textfile.max_bytes; \
             shrink the files or raise the limit"
        ),
        e => e.into(),
    })?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let fams =
        textformat::parse(&text, &format!("Metric read from {}", path.display())).with_context(|| format!("parsing {}", path.display()))?;
    Ok((fams, mtime, text.len() as u64))
}

impl Collector for Textfile {
    fn name(&self) -> &'static str {
        "textfile"
    }
    fn cheap(&self) -> bool {
        // Without a directory there is nothing to read: no blocking thread.
        self.dir.is_none()
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let Some(dir) = &self.dir else {
            // node_exporter exports the error gauge even without a directory.
            return Ok(vec![Family::single("node_textfile_scrape_error", 0.0)]);
        };
        let mut error = false;
        let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "prom"))
                .collect(),
            Err(e) => {
                tracing::warn!(directory = %dir.display(), error = %e, "cannot read textfile directory");
                error = true;
                Vec::new()
            }
        };
        files.sort();
        if files.len() > MAX_FILES {
            tracing::warn!(directory = %dir.display(), files = files.len(), max = MAX_FILES, "too many textfiles; reading the first ones only");
            files.truncate(MAX_FILES);
            error = true;
        }
        let mut merged = Vec::new();
        let mut mtimes = Family::with_capacity("node_textfile_mtime_seconds", files.len());
        let mut budget = self.max_bytes;
        for f in &files {
            match read_one(f, budget).and_then(|(fams, mtime, size)| {
                budget -= size;
                merge(&mut merged, fams).with_context(|| format!("merging {}", f.display()))?;
                Ok(mtime)
            }) {
                Ok(mtime) => mtimes.push(vec![label("file", f.display().to_string())], mtime),
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "skipping textfile");
                    error = true;
                }
            }
        }
        merged.push(mtimes);
        merged.push(Family::single("node_textfile_scrape_error", if error { 1.0 } else { 0.0 }));
        Ok(merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_rules() {
        let mut m = Vec::new();
        merge(
            &mut m,
            textformat::parse("# HELP a A.\n# TYPE a gauge\na{x=\"1\"} 1\n", "").unwrap(),
        )
        .unwrap();
        merge(
            &mut m,
            textformat::parse("# HELP a A.\n# TYPE a gauge\na{x=\"2\"} 2\n", "").unwrap(),
        )
        .unwrap();
        assert_eq!(m[0].samples.len(), 2);
        let e = merge(
            &mut m,
            textformat::parse("# HELP a B.\n# TYPE a gauge\na{x=\"3\"} 1\nb 1\n", "").unwrap(),
        );
        assert!(format!("{e:?}").contains("HELP"));
        assert_eq!(m.len(), 1, "rejected file adds nothing");
        let e = merge(&mut m, textformat::parse("# HELP a A.\n# TYPE a counter\na 1\n", "").unwrap());
        assert!(format!("{e:?}").contains("TYPE"));
        let e = merge(
            &mut m,
            textformat::parse("# HELP a A.\n# TYPE a gauge\na{x=\"1\"} 1\n", "").unwrap(),
        );
        assert!(format!("{e:?}").contains("same series"));
        let e = merge(&mut m, textformat::parse("node_scrape_collector_success 1\n", "").unwrap());
        assert!(format!("{e:?}").contains("genmon-exporter itself"));
    }
}
