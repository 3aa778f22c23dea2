//! The commit journal: the list of renames and deletions that turn the old
//! tree into the new one, made durable before the first of them. A run killed
//! after the journal landed is finished by the next run ([`replay`]); a run
//! killed before it changed nothing but the staging folder, which the next
//! run removes. Either way the tree ends entirely old or entirely new.
//!
//! Format, one operation a line, the relative path last (paths never hold
//! control characters, so a tab separates the fields):
//!
//! ```text
//! # genmon journal 1
//! R\t<staged file>\t<path>      move a staged file into place
//! D\t<hash>\t<path>             remove a stale file if it still has this hash
//! M\t<staged file>              move the new manifest into place (last)
//! END
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use super::paths::{self, Kind};

/// The journal's name at the output root.
pub const JOURNAL: &str = ".genmon-journal";
/// Folder (at the root, same file system) where new files are staged.
pub const STAGING: &str = ".genmon-staging";
const HEADER: &str = "# genmon journal 1";
/// Largest journal read back (a hostile or corrupt one is refused, not loaded).
const MAX_JOURNAL: u64 = 64 << 20;

/// One step of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Move `staging/<staged>` to `<path>`.
    Rename { staged: String, path: PathBuf },
    /// Remove `<path>` if it is a regular file with this fingerprint (as in the manifest).
    Delete { hash: String, path: PathBuf },
    /// Move `staging/<staged>` to the manifest.
    Manifest { staged: String },
}

/// Serialize a journal.
pub fn encode(ops: &[Op]) -> String {
    let mut s = format!("{HEADER}\n");
    for op in ops {
        match op {
            Op::Rename { staged, path } => s.push_str(&format!("R\t{staged}\t{}\n", path.display())),
            Op::Delete { hash, path } => s.push_str(&format!("D\t{hash}\t{}\n", path.display())),
            Op::Manifest { staged } => s.push_str(&format!("M\t{staged}\n")),
        }
    }
    s.push_str("END\n");
    s
}

fn staged_ok(name: &str) -> bool {
    !name.is_empty() && name.len() <= 20 && name.bytes().all(|b| b.is_ascii_digit())
}

/// Parse a journal; every path is validated, so a hostile journal cannot
/// name anything outside the root.
pub fn decode(text: &str) -> Result<Vec<Op>, String> {
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err("it does not start with the journal header".into());
    }
    let mut ops = Vec::new();
    for (i, line) in lines.enumerate() {
        let n = i + 2;
        if line == "END" {
            return Ok(ops);
        }
        let f: Vec<&str> = line.splitn(3, '\t').collect();
        let op = match f.as_slice() {
            ["R", staged, path] if staged_ok(staged) => Op::Rename {
                staged: staged.to_string(),
                path: PathBuf::from(path),
            },
            ["D", hash, path] if super::fingerprint_ok(hash) => Op::Delete {
                hash: hash.to_string(),
                path: PathBuf::from(path),
            },
            ["M", staged] if staged_ok(staged) => Op::Manifest {
                staged: staged.to_string(),
            },
            _ => return Err(format!("line {n} is not an operation")),
        };
        if let Op::Rename { path, .. } | Op::Delete { path, .. } = &op
            && let Some(p) = paths::relative_problem(path)
        {
            return Err(format!("line {n}: path `{}` {p}", path.display()));
        }
        ops.push(op);
    }
    Err("it has no END line".into())
}

/// Carry out `ops` under `root`. Idempotent: a step already done (its staged
/// file gone, its stale file gone) is skipped, so a replay after a crash in
/// the middle of a replay is safe. Every step runs on directories opened
/// without following symlinks ([`paths::at`]), so nothing outside the root is
/// reached even if the tree changes under us. Returns the paths removed.
pub fn run(root: &Path, ops: &[Op]) -> Result<Vec<PathBuf>, String> {
    let staging = paths::at::dir(root, Path::new(STAGING), false).ok();
    let staged_exists = |name: &str| staging.is_some() && paths::kind(&root.join(STAGING).join(name)).is_ok_and(|k| k != Kind::Absent);
    let mut removed = Vec::new();
    // Folders opened for renames, reused by the files that share them
    // (forgotten at a deletion, which may remove folders).
    let mut dirs: std::collections::HashMap<&Path, std::os::fd::OwnedFd> = std::collections::HashMap::new();
    for op in ops {
        match op {
            Op::Rename { staged, path } => {
                if !staged_exists(staged) {
                    continue;
                }
                let (parent, name) = split(path)?;
                let dir = match dirs.entry(parent) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => e.insert(
                        paths::at::dir(root, parent, true)
                            .map_err(|e| format!("cannot create {}: {e} (a symlink or file in the way?)", root.join(parent).display()))?,
                    ),
                };
                let from = staging.as_ref().ok_or("the staging folder vanished")?;
                paths::at::rename(from, staged, dir, name)
                    .map_err(|e| format!("cannot move {} into place: {e}", root.join(path).display()))?;
            }
            Op::Delete { hash, path } => {
                dirs.clear();
                let Ok((parent, name)) = split(path) else {
                    continue;
                };
                let Ok(dir) = paths::at::dir(root, parent, false) else {
                    continue;
                };
                let Some(bytes) = paths::at::read(&dir, name, super::MAX_FILE) else {
                    continue;
                };
                if super::same_fingerprint(&bytes, hash) && paths::at::remove(&dir, name, false).is_ok() {
                    removed.push(path.clone());
                    remove_empty_parents(root, path);
                }
            }
            Op::Manifest { staged } => {
                if !staged_exists(staged) {
                    continue;
                }
                let from = staging.as_ref().ok_or("the staging folder vanished")?;
                let dir = paths::at::dir(root, Path::new(""), false).map_err(|e| format!("cannot open {}: {e}", root.display()))?;
                paths::at::rename(from, staged, &dir, std::ffi::OsStr::new(super::MANIFEST))
                    .map_err(|e| format!("cannot move {} into place: {e}", root.join(super::MANIFEST).display()))?;
            }
        }
    }
    Ok(removed)
}

/// A relative file path's folder and name.
fn split(path: &Path) -> Result<(&Path, &std::ffi::OsStr), String> {
    match (path.parent(), path.file_name()) {
        (Some(p), Some(n)) => Ok((p, n)),
        _ => Err(format!("`{}` is not a file path", path.display())),
    }
}

/// Remove the folders of `rel` that the deletion emptied (never the root).
fn remove_empty_parents(root: &Path, rel: &Path) {
    let mut dir = rel.parent();
    while let Some(d) = dir {
        let Ok((parent, name)) = split(d) else {
            break;
        };
        let Ok(fd) = paths::at::dir(root, parent, false) else {
            break;
        };
        if paths::at::remove(&fd, name, true).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// Finish a commit an earlier run left half done, then clear the staging
/// folder. Returns whether a journal was replayed.
pub fn recover(root: &Path) -> Result<bool, String> {
    let path = root.join(JOURNAL);
    let replayed = match paths::kind(&path).map_err(|e| format!("cannot inspect {}: {e}", path.display()))? {
        Kind::Absent => false,
        Kind::File { .. } => {
            let text = paths::read_regular(&path, MAX_JOURNAL)
                .ok_or_else(|| format!("cannot read {} (or it is larger than 64 MiB)", path.display()))?;
            let ops = decode(&String::from_utf8_lossy(&text))
                .map_err(|e| format!("{} is not a journal genmon wrote: {e}; remove it and render again", path.display()))?;
            run(root, &ops)?;
            true
        }
        _ => {
            return Err(format!("{} is not a regular file; remove it and render again", path.display()));
        }
    };
    clear_staging(root)?;
    if replayed {
        fs::remove_file(&path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    Ok(replayed)
}

/// Remove the staging folder (a symlink there is removed, never followed).
pub fn clear_staging(root: &Path) -> Result<(), String> {
    let staging = root.join(STAGING);
    let r = match paths::kind(&staging).map_err(|e| e.to_string())? {
        Kind::Absent => Ok(()),
        Kind::Dir => fs::remove_dir_all(&staging),
        _ => fs::remove_file(&staging),
    };
    r.map_err(|e| format!("cannot remove {}: {e}", staging.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let ops = vec![
            Op::Rename {
                staged: "0".into(),
                path: "dashboards/Team A/x.json".into(),
            },
            Op::Delete {
                hash: "a".repeat(64),
                path: "alerts/older.rules.yml".into(),
            },
            Op::Delete {
                hash: "b".repeat(32),
                path: "alerts/old.rules.yml".into(),
            },
            Op::Manifest { staged: "1".into() },
        ];
        assert_eq!(decode(&encode(&ops)).unwrap(), ops);
        let no_end = encode(&ops).replace("END\n", "");
        assert!(decode(&no_end).unwrap_err().contains("END"));
        let escape = format!("{HEADER}\nD\t{}\t../victim\nEND\n", "a".repeat(64));
        assert!(decode(&escape).unwrap_err().contains(".."));
        let abs = format!("{HEADER}\nR\t0\t/etc/passwd\nEND\n");
        assert!(decode(&abs).unwrap_err().contains("absolute"));
        let staged = format!("{HEADER}\nR\t../../x\tdashboards/a.json\nEND\n");
        assert!(decode(&staged).is_err());
    }
}
