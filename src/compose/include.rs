//! `include:`: other spec files merged into the spec. Paths are relative to
//! the including file, globs match in sorted order, and every file must lie
//! within the main spec's directory tree. Bounded: at most
//! [`MAX_INCLUDE_DEPTH`] levels, [`MAX_INCLUDE_FILES`] files and
//! [`MAX_INCLUDE_BYTES`] bytes in all. A file reached twice is read once; a
//! file that includes itself (directly or not) is an error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Composed, Part, codes};
use crate::diag::Diagnostic;
use crate::spec::{Source, Spec};

/// Deepest chain of includes.
pub const MAX_INCLUDE_DEPTH: usize = 16;
/// Most files included in all.
pub const MAX_INCLUDE_FILES: usize = 512;
/// Most bytes of included files in all.
pub const MAX_INCLUDE_BYTES: u64 = 64 << 20;

/// Sections a fragment (an included file or a pack) may set; the rest
/// (`prometheus`, `stack`, `exporter`, …) belong to the main spec alone.
pub(super) const FRAGMENT_KEYS: &[&str] = &["version", "include", "packs", "overrides", "signals", "dashboards", "rules"];

/// Load every file `parts`' specs include, depth first, appending them to `parts` and `specs`.
pub(super) fn load_includes(parts: &mut Vec<Part>, specs: &mut Vec<Spec>, diags: &mut Vec<Diagnostic>) {
    let main = Path::new(&parts[0].source.name);
    let dir = main.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let root = match dir.canonicalize() {
        Ok(r) => r,
        Err(e) => {
            diags.push(Diagnostic::error(
                codes::INCLUDE,
                "include",
                format!("cannot read the spec's directory {}: {e}", dir.display()),
            ));
            return;
        }
    };
    let main_path = main
        .canonicalize()
        .unwrap_or_else(|_| root.join(main.file_name().unwrap_or_default()));
    let mut seen = vec![main_path.clone()];
    let mut bytes = 0u64;
    walk(0, &[main_path], &root, parts, specs, &mut seen, &mut bytes, diags);
}

#[allow(clippy::too_many_arguments)]
fn walk(
    part: usize,
    chain: &[PathBuf],
    root: &Path,
    parts: &mut Vec<Part>,
    specs: &mut Vec<Spec>,
    seen: &mut Vec<PathBuf>,
    bytes: &mut u64,
    diags: &mut Vec<Diagnostic>,
) {
    let dir = chain.last().and_then(|p| p.parent()).unwrap_or(root).to_path_buf();
    let includes = specs[part].include.clone();
    for (i, pattern) in includes.iter().enumerate() {
        let path = format!("include[{i}]");
        let err = |parts: &[Part], msg: String, help: &str| {
            Composed::diag_at(parts, part, Diagnostic::error(codes::INCLUDE, path.clone(), msg).help(help))
        };
        let files = match expand(pattern, &dir, root) {
            Ok(f) => f,
            Err((msg, help)) => {
                diags.push(err(parts, msg, help));
                continue;
            }
        };
        for file in files {
            if let Some(at) = chain.iter().position(|c| *c == file) {
                let cycle: Vec<String> = chain[at..].iter().chain([&file]).map(|p| shown(p, root)).collect();
                diags.push(err(
                    parts,
                    format!("include cycle: {}", cycle.join(" → ")),
                    "remove one of the includes: a file cannot include itself",
                ));
                continue;
            }
            if seen.contains(&file) {
                continue;
            }
            if chain.len() > MAX_INCLUDE_DEPTH {
                diags.push(err(
                    parts,
                    format!("includes nest deeper than {MAX_INCLUDE_DEPTH} levels"),
                    "include the files from a shallower level",
                ));
                return;
            }
            if seen.len() >= MAX_INCLUDE_FILES {
                diags.push(err(
                    parts,
                    format!("more than {MAX_INCLUDE_FILES} files included"),
                    "merge some of the files",
                ));
                return;
            }
            seen.push(file.clone());
            let src = match Source::read(&file) {
                Ok(s) => s,
                Err(e) => {
                    diags.push(err(
                        parts,
                        format!("cannot read {}: {e}", shown(&file, root)),
                        "check the path and its permissions",
                    ));
                    continue;
                }
            };
            *bytes += src.text.len() as u64;
            if *bytes > MAX_INCLUDE_BYTES {
                diags.push(err(
                    parts,
                    format!("included files exceed {} MiB in all", MAX_INCLUDE_BYTES >> 20),
                    "include fewer or smaller files",
                ));
                return;
            }
            let source = Arc::new(Source {
                name: relative_name(&parts[0].source.name, &file, root),
                text: src.text,
            });
            let Some(spec) = load_fragment(&source, parts.len(), part, parts, None, diags) else {
                continue;
            };
            let idx = parts.len() - 1;
            specs.push(spec);
            let mut next = chain.to_vec();
            next.push(file);
            walk(idx, &next, root, parts, specs, seen, bytes, diags);
        }
    }
}

/// Load one fragment as a spec of its own and add it as a part; `None` (with diagnostics) when it does not load.
pub(super) fn load_fragment(
    source: &Arc<Source>,
    idx: usize,
    by: usize,
    parts: &mut Vec<Part>,
    pack: Option<String>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Spec> {
    debug_assert_eq!(idx, parts.len());
    let loaded = match crate::spec::load(source) {
        Ok(l) => l,
        Err(ds) => {
            diags.extend(ds.into_iter().map(|mut d| {
                d.source = Some(source.clone());
                d
            }));
            return None;
        }
    };
    let top = match serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&source.text) {
        Ok(serde_yaml_ng::Value::Mapping(m)) => m,
        _ => serde_yaml_ng::Mapping::new(),
    };
    parts.push(Part {
        source: source.clone(),
        positions: loaded.positions.clone(),
        pack,
        by,
        receivers: top.get("alertmanager").and_then(|a| a.get("receivers")).is_some(),
    });
    let mut ok = true;
    {
        let m = &top;
        for key in m.keys().filter_map(|k| k.as_str()) {
            let allowed = FRAGMENT_KEYS.contains(&key) || fragment_subkeys_ok(m, key);
            if !allowed {
                ok = false;
                diags.push(Composed::diag_at(
                    parts,
                    idx,
                    Diagnostic::error(
                        codes::PACK,
                        key.to_string(),
                        format!("`{key}` can only be set in the main spec, not in an included file or pack"),
                    )
                    .help(format!(
                        "move it to {}; included files may set {}, grafana.folders and alertmanager.receivers",
                        parts[0].source.name,
                        FRAGMENT_KEYS[1..].join(", ")
                    )),
                ));
            }
        }
    }
    ok.then_some(loaded.spec)
}

/// `grafana` with only `folders`, `alertmanager` with only `receivers`.
fn fragment_subkeys_ok(m: &serde_yaml_ng::Mapping, key: &str) -> bool {
    let only = match key {
        "grafana" => "folders",
        "alertmanager" => "receivers",
        _ => return false,
    };
    m.get(key)
        .and_then(|v| v.as_mapping())
        .is_some_and(|sub| sub.keys().all(|k| k.as_str() == Some(only)))
}

/// The files `pattern` names, sorted; each within `root`.
fn expand(pattern: &str, dir: &Path, root: &Path) -> Result<Vec<PathBuf>, (String, &'static str)> {
    if pattern.trim().is_empty() {
        return Err((
            "an empty include path".into(),
            "name a file relative to this one, e.g. `alerts/db.yaml`",
        ));
    }
    if Path::new(pattern).is_absolute() {
        return Err((
            format!("`{pattern}` is an absolute path"),
            "include paths are relative to the including file, within the spec's directory",
        ));
    }
    let joined = dir.join(pattern);
    let mut files: Vec<PathBuf> = if pattern.contains(['*', '?', '[']) {
        let Some(text) = joined.to_str() else {
            return Err((format!("`{pattern}` is not valid UTF-8"), "rename the files"));
        };
        let opts = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: true,
        };
        match glob::glob_with(text, opts) {
            Ok(paths) => paths
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .take(MAX_INCLUDE_FILES + 1)
                .collect(),
            Err(e) => {
                return Err((
                    format!("`{pattern}` is not a valid glob: {e}"),
                    "globs use `*`, `?`, `[abc]` and `**`",
                ));
            }
        }
    } else {
        vec![joined]
    };
    if files.is_empty() {
        return Err((
            format!("`{pattern}` matches no file"),
            "check the pattern; it is relative to the including file",
        ));
    }
    let mut out = Vec::with_capacity(files.len());
    for f in files.drain(..) {
        let canon = f.canonicalize().map_err(|e| {
            (
                format!("cannot include `{}`: {e}", f.display()),
                "check the path; it is relative to the including file",
            )
        })?;
        if !canon.starts_with(root) {
            return Err((
                format!("`{pattern}` leads outside the spec's directory ({})", root.display()),
                "include only files within the main spec's directory tree (no `..` above it, no symlinks out of it)",
            ));
        }
        if !canon.is_file() {
            return Err((
                format!("`{pattern}` is not a file"),
                "name a spec file (a directory needs a glob: `dir/*.yaml`)",
            ));
        }
        out.push(canon);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn shown(p: &Path, root: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

/// The name diagnostics show for an included file: the main spec's directory as the user wrote it, joined with the file's path under the root.
fn relative_name(main: &str, file: &Path, root: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap_or(file);
    match Path::new(main).parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(d) => d.join(rel).display().to_string(),
        None => rel.display().to_string(),
    }
}
