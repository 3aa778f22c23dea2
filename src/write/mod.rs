//! The only code that touches the output tree, and it never leaves it.
//!
//! A render is committed in four steps: every changed file is written in
//! full to `.genmon-staging/` (and flushed); a journal listing every rename
//! and deletion is made durable at `.genmon-journal`; the operations run; the
//! journal is removed. A run killed at any point leaves either no journal (the
//! tree is still entirely old; the next run drops the staging folder) or a
//! complete journal that the next run finishes first ([`journal::recover`]),
//! so after the next run the tree is entirely new and no stale file survives.
//!
//! Boundaries: one run at a time per tree (`.genmon-lock`, an `flock`);
//! every path is relative and made of plain names ([`paths`]); no symlink or
//! special file is followed, read or removed; a stale file is removed only
//! when the manifest says genmon wrote it and its hash is unchanged; a file
//! genmon did not write is never overwritten (a clash is an error).

pub mod journal;
pub mod paths;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use self::journal::{JOURNAL, Op, STAGING};
use self::paths::Kind;
use crate::render::Artifact;

/// Manifest of generated files (path → fingerprint), at the output root.
pub const MANIFEST: &str = ".genmon-manifest";
/// Lock file at the output root: one render at a time per tree.
pub const LOCK: &str = ".genmon-lock";
/// Largest file genmon reads back to compare or hash (outputs are far smaller;
/// anything bigger is not a file genmon wrote).
pub const MAX_FILE: u64 = 256 << 20;
/// Largest manifest read back.
const MAX_MANIFEST: u64 = 64 << 20;

/// What a render changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub written: Vec<PathBuf>,
    pub unchanged: usize,
    pub removed: Vec<PathBuf>,
    /// Stale generated files left alone because someone edited them.
    pub kept_edited: Vec<PathBuf>,
    /// Manifest lines refused (a path outside the root, a bad hash, …).
    pub refused_manifest: Vec<String>,
    /// An interrupted earlier render was finished first.
    pub recovered: bool,
}

/// Why nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// Another render holds the tree's lock (its PID when known).
    Locked { lock: PathBuf, pid: Option<i32> },
    /// Files genmon would overwrite but did not write (or that were edited
    /// since): each entry names the file and why.
    Clash(Vec<String>),
    /// An I/O error or an unsafe tree; the message says what and where.
    Io(String),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Locked { lock, pid } => {
                let who = pid.map(|p| format!(" (PID {p})")).unwrap_or_default();
                write!(
                    f,
                    "another genmon render{who} is writing this tree (lock {}); wait for it to finish and run again",
                    lock.display()
                )
            }
            WriteError::Clash(list) => {
                write!(f, "{} files are in the way (nothing was changed):", list.len())?;
                for c in list {
                    write!(f, "\n  {c}")?;
                }
                Ok(())
            }
            WriteError::Io(m) => f.write_str(m),
        }
    }
}

impl From<String> for WriteError {
    fn from(m: String) -> Self {
        WriteError::Io(m)
    }
}

/// A difference between committed outputs and a fresh render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    Missing(PathBuf),
    Changed { path: PathBuf, diff: String },
    Stale(PathBuf),
}

/// The fingerprint genmon records for a file it wrote: XXH3-128, 32
/// lowercase hex digits. It tells an output still as genmon wrote it from
/// one edited since (it guards against accidents, not against someone who
/// can write the output tree anyway, who could delete the file outright), and
/// hashes a render's megabytes ~10x faster than SHA-256.
fn fingerprint(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// A recorded fingerprint: XXH3-128 (32 hex digits), or SHA-256 (64) as
/// manifests and journals written before 2026-12 hold.
fn fingerprint_ok(s: &str) -> bool {
    matches!(s.len(), 32 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Whether `bytes` have the recorded fingerprint `h` (of either kind).
fn same_fingerprint(bytes: &[u8], h: &str) -> bool {
    if h.len() == 64 {
        sha256_hex(bytes) == h
    } else {
        fingerprint(bytes) == h
    }
}

/// SHA-256 in lowercase hex: the fingerprint of manifests before 2026-12.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The manifest's entries and the lines refused (a hostile manifest names
/// nothing outside the root: such lines are reported, never used).
fn read_manifest(root: &Path) -> Result<(BTreeMap<PathBuf, String>, Vec<String>), String> {
    let path = root.join(MANIFEST);
    let text = match paths::kind(&path).map_err(|e| format!("cannot inspect {}: {e}", path.display()))? {
        Kind::Absent => return Ok((BTreeMap::new(), Vec::new())),
        Kind::File { .. } => paths::read_regular(&path, MAX_MANIFEST)
            .ok_or_else(|| format!("cannot read {} (or it is larger than 64 MiB)", path.display()))?,
        _ => {
            return Err(format!(
                "{} is not a regular file (a symlink?); remove it and render again",
                path.display()
            ));
        }
    };
    Ok(parse_manifest(&String::from_utf8_lossy(&text)))
}

/// Parse a manifest: the entries genmon may act on, and the lines it refuses
/// (a path out of the root, a bad hash, no separator).
pub fn parse_manifest(text: &str) -> (BTreeMap<PathBuf, String>, Vec<String>) {
    let mut entries: Vec<(Cow<'_, str>, &str)> = Vec::new();
    let mut refused = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let show = || {
            format!(
                "{MANIFEST}:{}: {}",
                i + 1,
                line.chars().take(200).flat_map(char::escape_debug).collect::<String>()
            )
        };
        let Some((h, p)) = line.split_once("  ") else {
            refused.push(format!("{}: not `hash  path`", show()));
            continue;
        };
        if !fingerprint_ok(h) {
            refused.push(format!("{}: not a hash (32 or 64 lowercase hex digits)", show()));
            continue;
        }
        if let Some(problem) = paths::relative_problem(Path::new(p)) {
            refused.push(format!("{}: the path {problem}", show()));
            continue;
        }
        entries.push((canonical(p), h));
    }
    // One sort on the paths' bytes, then one bulk build, instead of a
    // `BTreeMap` insertion per line: `Path`'s ordering splits both paths
    // into components at every comparison, and 17 of those per insertion
    // made a 100,000-line manifest cost most of a second. The sort is
    // stable, so of two lines naming one path the later one wins, as with
    // insertion; `collect` then checks the order once (n comparisons).
    entries.sort_by(|a, b| path_order(a.0.as_bytes(), b.0.as_bytes()));
    let entries = entries.into_iter().map(|(p, h)| (PathBuf::from(&*p), h.to_string())).collect();
    (entries, refused)
}

/// `p` spelled as its components joined by `/` (a path that passed
/// [`paths::relative_problem`] can still hold `a//b` or `a/./b`, which name
/// the same file as `a/b`).
fn canonical(p: &str) -> Cow<'_, str> {
    if p.contains("//") || p.ends_with('/') || p.contains("/./") || p.ends_with("/.") {
        let parts: Vec<&str> = Path::new(p).components().filter_map(|c| c.as_os_str().to_str()).collect();
        Cow::Owned(parts.join("/"))
    } else {
        Cow::Borrowed(p)
    }
}

/// The order of `Path`'s `Ord` on canonical relative paths, on their bytes:
/// components compare in turn, so `/` sorts below every other byte
/// (`a/b` < `a-b`, as component `a` < `a-b`).
fn path_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let same = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let rank = |c: u8| if c == b'/' { 0 } else { u16::from(c) + 1 };
    match (a.get(same), b.get(same)) {
        (Some(&x), Some(&y)) => rank(x).cmp(&rank(y)),
        _ => a.len().cmp(&b.len()),
    }
}

fn manifest_bytes(artifacts: &[Artifact]) -> Vec<u8> {
    let mut s = String::from("# Files generated by genmon (xxh3-128  path). genmon only deletes files listed here.\n");
    // Hashing the whole render (megabytes) on all cores.
    let hashes = crate::par::map(artifacts, |a| fingerprint(&a.bytes));
    for (a, h) in artifacts.iter().zip(hashes) {
        s.push_str(&format!("{h}  {}\n", a.path.display()));
    }
    s.into_bytes()
}

/// Flush everything staged under `root` to disk with one `syncfs(2)` (one
/// flush for the whole render instead of an fsync per file).
fn sync_filesystem(root: &Path) -> Result<(), String> {
    use std::os::fd::AsRawFd;
    let dir = fs::File::open(root).map_err(|e| format!("cannot open {}: {e}", root.display()))?;
    // SAFETY: `dir` is an open descriptor for the duration of the call.
    if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(format!("cannot flush {} to disk: {e}", root.display()));
    }
    Ok(())
}

/// Whether [`apply_with`] flushes to disk at each step of the commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Flush before the journal lands and before it is removed: the outputs
    /// survive a power loss.
    Flush,
    /// No flush: still atomic against a killed or failed run (the page cache
    /// survives a process), faster (scratch directories, CI checkouts).
    NoFlush,
}

/// Write `artifacts` under `root` atomically and remove stale generated files.
pub fn apply(root: &Path, artifacts: &[Artifact]) -> Result<Summary, WriteError> {
    apply_with(root, artifacts, Durability::Flush, false)
}

/// Take the tree's lock, creating the root when missing.
pub fn lock(root: &Path) -> Result<crate::stack::lock::Lock, WriteError> {
    fs::create_dir_all(root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
    let path = root.join(LOCK);
    crate::stack::lock::acquire_file(&path).map_err(|e| match e {
        crate::stack::lock::LockError::Held(pid) => WriteError::Locked { lock: path.clone(), pid },
        crate::stack::lock::LockError::Io(e) => WriteError::Io(format!("cannot lock {}: {e}", path.display())),
    })
}

/// Finish an interrupted render of `root`, if any (under the tree's lock).
/// Afterwards the tree is entirely what one render wrote. Returns whether a
/// journal was replayed.
pub fn recover(root: &Path) -> Result<bool, WriteError> {
    let _lock = lock(root)?;
    Ok(journal::recover(root)?)
}

/// What to do with one new file.
enum Plan {
    Same,
    Write,
}

/// Decide whether `a` may go to its path: absent, identical, or a file the
/// manifest says genmon wrote and nobody edited since. Anything else clashes.
/// `folders` says where its folder stands ([`paths::folders`]): under a
/// missing folder nothing is there to look at.
fn plan_one(root: &Path, a: &Artifact, folders: &Folders, old: &BTreeMap<PathBuf, String>, force: bool) -> Result<Plan, String> {
    let full = match folders.get(parent(&a.path)) {
        Some(Ok(None)) => root.join(&a.path),
        Some(Ok(Some(_))) => return Ok(Plan::Write),
        Some(Err(e)) => return Err(e.clone()),
        None => paths::guarded(root, &a.path)?,
    };
    let what = match paths::kind(&full).map_err(|e| format!("cannot inspect {}: {e}", full.display()))? {
        Kind::Absent => return Ok(Plan::Write),
        Kind::Dir => "a directory is in the way",
        Kind::Other => "a symlink or special file is in the way (genmon never writes through it)",
        Kind::File { len } => {
            let cur = paths::read_regular(&full, MAX_FILE);
            match (cur, old.get(&a.path)) {
                (Some(cur), _) if len == a.bytes.len() as u64 && cur == a.bytes => return Ok(Plan::Same),
                (Some(cur), Some(h)) if same_fingerprint(&cur, h) => return Ok(Plan::Write),
                (_, Some(_)) if force => return Ok(Plan::Write),
                (_, Some(_)) => "genmon wrote it but it was edited since; move the edits into the spec, or pass --force to overwrite them",
                (_, None) => "genmon did not write it (it is not in the manifest); move it away, or rename the dashboard/group in the spec",
            }
        }
    };
    Err(format!("{}: {what}", a.path.display()))
}

/// Create `path` (it must not exist) holding `bytes`.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e} (nothing was changed)", path.display()))?;
    f.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e} (nothing was changed)", path.display()))
}

fn stage(staging: &Path, n: usize, bytes: &[u8]) -> Result<String, String> {
    let name = n.to_string();
    write_new(&staging.join(&name), bytes)?;
    Ok(name)
}

/// The folder a file path is in (`""` at the root).
fn parent(rel: &Path) -> &Path {
    rel.parent().unwrap_or(Path::new(""))
}

/// What [`paths::folders`] found for each output folder.
type Folders = HashMap<PathBuf, paths::Folder>;

/// Stage `files` under `staging` and return the renames that move them into
/// place. A file whose folder exists is staged as `<n>` and moved alone; a
/// folder the tree does not have yet (a first render, a new dashboard
/// folder; `folders` says which) is staged whole, as `<n>/...`, and moved
/// into place with one rename (a first render of the bench spec: 3 renames
/// instead of 606). Staged names are numbers: `0..files.len()` for files,
/// `files.len()` is the manifest's, folders after it.
fn stage_files(staging: &Path, files: &[&Artifact], folders: &Folders) -> Result<Vec<Op>, String> {
    let mut ops = Vec::with_capacity(files.len());
    // A missing folder's staged name.
    let mut named: HashMap<&Path, String> = HashMap::new();
    // Each file's staged path and bytes, in the order given; the staging
    // folders they need.
    let mut writes: Vec<(PathBuf, &[u8])> = Vec::with_capacity(files.len());
    let mut dirs: HashSet<PathBuf> = HashSet::new();
    for (n, a) in files.iter().enumerate() {
        let folder = match folders.get(parent(&a.path)) {
            Some(Ok(Some(folder))) => folder,
            Some(Err(e)) => return Err(e.clone()),
            _ => {
                let name = n.to_string();
                writes.push((staging.join(&name), &a.bytes));
                ops.push(Op::Rename {
                    staged: name,
                    path: a.path.clone(),
                });
                continue;
            }
        };
        let name = match named.get(folder.as_path()) {
            Some(name) => name.clone(),
            None => {
                let name = (files.len() + 1 + named.len()).to_string();
                ops.push(Op::Rename {
                    staged: name.clone(),
                    path: folder.clone(),
                });
                named.insert(folder, name.clone());
                name
            }
        };
        let inner = a
            .path
            .strip_prefix(folder)
            .map_err(|_| format!("{} is not under {}", a.path.display(), folder.display()))?;
        let path = staging.join(&name).join(inner);
        let dir = path.parent().unwrap_or(staging);
        if !dirs.contains(dir) {
            dirs.insert(dir.to_path_buf());
        }
        writes.push((path, &a.bytes));
    }
    for dir in &dirs {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e} (nothing was changed)", dir.display()))?;
    }
    // On all cores, each core taking a run of files (outputs come sorted by
    // path: a folder's files are next to each other): only creating a file
    // holds its folder's lock, writing its bytes does not (200 files of
    // 32 kB into one tmpfs folder: 5.0 ms on one core, 3.7 ms on two,
    // medians of 40).
    let written = crate::par::map(&writes, |(path, bytes)| write_new(path, bytes));
    written.into_iter().collect::<Result<(), String>>()?;
    Ok(ops)
}

/// [`apply`] with a choice of [`Durability`]; `force` overwrites generated
/// files that were edited by hand (never files genmon did not write).
pub fn apply_with(root: &Path, artifacts: &[Artifact], durability: Durability, force: bool) -> Result<Summary, WriteError> {
    let t = crate::pipeline::Timer::start();
    let _lock = lock(root)?;
    let mut summary = Summary {
        recovered: journal::recover(root)?,
        ..Summary::default()
    };
    // Hashed: a `BTreeSet` of paths split both into components at each of
    // its ~10 comparisons per insertion (1.4 % of a render's instructions).
    let mut seen: HashSet<&Path, foldhash::fast::RandomState> = HashSet::with_capacity_and_hasher(artifacts.len(), Default::default());
    for a in artifacts {
        if let Some(p) = paths::relative_problem(&a.path) {
            return Err(WriteError::Io(format!("refusing to write `{}`: the path {p}", a.path.display())));
        }
        if a.path == Path::new(MANIFEST) || !seen.insert(&a.path) {
            return Err(WriteError::Clash(vec![format!("{}: two outputs want this path", a.path.display())]));
        }
    }
    let (old, refused) = read_manifest(root)?;
    summary.refused_manifest = refused;

    // Plan everything before touching anything.
    let mut clashes = Vec::new();
    let mut to_write = Vec::new();
    // Reading and comparing what is on disk is independent per file.
    let folders = paths::folders(root, artifacts.iter().map(|a| parent(&a.path)));
    let plans = crate::par::map(artifacts, |a| plan_one(root, a, &folders, &old, force));
    for (a, plan) in artifacts.iter().zip(plans) {
        match plan {
            Ok(Plan::Same) => summary.unchanged += 1,
            Ok(Plan::Write) => to_write.push(a),
            Err(e) => clashes.push(e),
        }
    }
    if !clashes.is_empty() {
        return Err(WriteError::Clash(clashes));
    }
    let mut deletes = Vec::new();
    for (path, hash) in &old {
        if seen.contains(path.as_path()) {
            continue;
        }
        let Ok(full) = paths::guarded(root, path) else {
            summary.kept_edited.push(path.clone());
            continue;
        };
        match paths::kind(&full) {
            Ok(Kind::Absent) => {}
            _ => match paths::read_regular(&full, MAX_FILE) {
                Some(bytes) if same_fingerprint(&bytes, hash) => deletes.push(Op::Delete {
                    hash: hash.clone(),
                    path: path.clone(),
                }),
                _ => summary.kept_edited.push(path.clone()),
            },
        }
    }
    // The new manifest hashes every output (megabytes): when files change
    // anyway it is computed while they are staged.
    let mut manifest = None;
    if to_write.is_empty() && deletes.is_empty() {
        let m = manifest_bytes(artifacts);
        if paths::read_regular(&root.join(MANIFEST), MAX_MANIFEST).is_some_and(|old| old == m) {
            t.lap("w.plan");
            return Ok(summary);
        }
        manifest = Some(m);
    }
    t.lap("w.plan");

    // Stage.
    let staging = root.join(STAGING);
    fs::create_dir(&staging).map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
    let mut ops = Vec::with_capacity(to_write.len() + deletes.len() + 1);
    let staged = (|| -> Result<(), String> {
        // A core idle while files are staged hashes the manifest meanwhile.
        let stage_all = || stage_files(&staging, &to_write, &folders);
        let (renames, manifest) = match manifest.take() {
            Some(m) => (stage_all(), m),
            None => crate::par::join(stage_all, || manifest_bytes(artifacts)),
        };
        ops.extend(renames?);
        ops.extend(deletes);
        ops.push(Op::Manifest {
            staged: stage(&staging, to_write.len(), &manifest)?,
        });
        let j = staging.join("journal");
        fs::write(&j, journal::encode(&ops)).map_err(|e| format!("cannot write {}: {e} (nothing was changed)", j.display()))?;
        t.lap("w.stage");
        if durability == Durability::Flush {
            sync_filesystem(root)?;
        }
        t.lap("w.flush");
        Ok(())
    })();
    if let Err(e) = staged {
        let _ = journal::clear_staging(root);
        return Err(WriteError::Io(e));
    }

    // Commit point: the journal lands atomically.
    let jpath = root.join(JOURNAL);
    fs::rename(staging.join("journal"), &jpath).map_err(|e| {
        let _ = journal::clear_staging(root);
        format!("cannot write {}: {e} (nothing was changed)", jpath.display())
    })?;
    if durability == Durability::Flush {
        sync_filesystem(root)?;
    }
    t.lap("w.commit");
    summary.removed = journal::run(root, &ops)?;
    t.lap("w.rename");
    if durability == Durability::Flush {
        sync_filesystem(root)?;
    }
    t.lap("w.flush");
    fs::remove_file(&jpath).map_err(|e| format!("cannot remove {}: {e}", jpath.display()))?;
    journal::clear_staging(root)?;
    t.lap("w.clean");
    summary.written = to_write.iter().map(|a| a.path.clone()).collect();
    Ok(summary)
}

/// Compare a fresh render with what is on disk (for `render --check`).
pub fn drift(root: &Path, artifacts: &[Artifact]) -> Vec<Drift> {
    let mut out = Vec::new();
    for a in artifacts {
        let cur = paths::guarded(root, &a.path).ok().and_then(|t| paths::read_regular(&t, MAX_FILE));
        match cur {
            None => out.push(Drift::Missing(a.path.clone())),
            Some(cur) if cur != a.bytes => {
                let old = String::from_utf8_lossy(&cur).into_owned();
                let new = String::from_utf8_lossy(&a.bytes).into_owned();
                let p = a.path.display().to_string();
                let diff = similar::TextDiff::from_lines(&old, &new)
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{p}"), &format!("b/{p}"))
                    .to_string();
                out.push(Drift::Changed {
                    path: a.path.clone(),
                    diff,
                });
            }
            Some(_) => {}
        }
    }
    // Hashed, as in [`apply_with`]: no component-wise path comparisons.
    let new: HashSet<&Path, foldhash::fast::RandomState> = artifacts.iter().map(|a| a.path.as_path()).collect();
    let (old, _) = read_manifest(root).unwrap_or_default();
    for path in old.keys() {
        if !new.contains(path.as_path()) && paths::guarded(root, path).is_ok_and(|p| paths::kind(&p).is_ok_and(|k| k != Kind::Absent)) {
            out.push(Drift::Stale(path.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_reads_as_line_by_line_insertion_would() {
        let h = |c: char| c.to_string().repeat(32);
        let paths = [
            "a-b",
            "a/b",
            "a//b",
            "a/b/",
            "a/./b",
            "a/b.json",
            "a/b/c",
            "a.b",
            "a",
            "ab",
            "a/é",
            "a/z",
            "a/B",
            "b/a",
            "a/b",
            "dashboards/x-10.json",
            "dashboards/x-2.json",
            "dashboards/x/1.json",
            "../up",
            "/abs",
            "a/../b",
        ];
        let mut text = String::from("# header\n\nnot a line\n");
        for (i, p) in paths.iter().enumerate() {
            let c = char::from_digit(i as u32 % 16, 16).unwrap();
            text.push_str(&format!("{}  {p}\n", h(c)));
        }
        let (got, refused) = parse_manifest(&text);
        let mut want = BTreeMap::new();
        for line in text.lines().skip(3) {
            let (hash, p) = line.split_once("  ").unwrap();
            if paths::relative_problem(Path::new(p)).is_none() {
                want.insert(PathBuf::from(p), hash.to_string());
            }
        }
        assert_eq!(got, want);
        assert_eq!(refused.len(), 4, "{refused:?}");
        // The later of two lines for one path wins, however it is spelled.
        assert_eq!(got[Path::new("a/b")], h('e'));
        // Sorting on bytes with `/` lowest is `Path`'s order.
        let mut sorted: Vec<&str> = paths.to_vec();
        sorted.sort_by(|a, b| path_order(canonical(a).as_bytes(), canonical(b).as_bytes()));
        assert!(sorted.windows(2).all(|w| Path::new(w[0]) <= Path::new(w[1])), "{sorted:?}");
    }

    #[test]
    fn fingerprints_are_xxh3_128_and_older_sha256_ones_still_match() {
        // XXH3-128 of the empty input (the reference implementation's test vector).
        assert_eq!(fingerprint(b""), "99aa06d3014798d86001c324468d497f");
        assert_eq!(fingerprint(b"abc"), "06b05ab6733a618578af5f94892f3950");
        assert!(fingerprint_ok(&fingerprint(b"abc")));
        assert!(same_fingerprint(b"abc", &fingerprint(b"abc")));
        assert!(!same_fingerprint(b"abd", &fingerprint(b"abc")));
        let sha = sha256_hex(b"abc");
        assert_eq!(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(fingerprint_ok(&sha) && same_fingerprint(b"abc", &sha) && !same_fingerprint(b"abd", &sha));
        for bad in [
            "",
            "abc",
            &"A".repeat(32),
            &"g".repeat(32),
            &"a".repeat(31),
            &"a".repeat(48),
            &"a".repeat(65),
        ] {
            assert!(!fingerprint_ok(bad), "{bad}");
        }
    }

    #[test]
    fn a_manifest_of_sha256_hashes_still_guards_and_is_rewritten_in_xxh3() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // What an older genmon left: three outputs and their SHA-256 manifest.
        for (p, b) in [("a/x.yml", "x"), ("a/y.yml", "y"), ("a/z.yml", "z")] {
            fs::create_dir_all(root.join("a")).unwrap();
            fs::write(root.join(p), b).unwrap();
        }
        let old: String = [("a/x.yml", "x"), ("a/y.yml", "y"), ("a/z.yml", "z")]
            .iter()
            .map(|(p, b)| format!("{}  {p}\n", sha256_hex(b.as_bytes())))
            .collect();
        fs::write(root.join(MANIFEST), format!("# Files generated by genmon (sha256  path).\n{old}")).unwrap();
        fs::write(root.join("a/z.yml"), "edited").unwrap();
        // x is regenerated (unedited: overwritten), y is stale (unedited:
        // removed), z is stale but edited (kept).
        let s = apply_with(root, &[art("a/x.yml", "x2")], Durability::NoFlush, false).unwrap();
        assert_eq!(s.written, vec![PathBuf::from("a/x.yml")]);
        assert_eq!(s.removed, vec![PathBuf::from("a/y.yml")]);
        assert_eq!(s.kept_edited, vec![PathBuf::from("a/z.yml")]);
        assert!(s.refused_manifest.is_empty(), "{:?}", s.refused_manifest);
        assert_eq!(fs::read_to_string(root.join("a/z.yml")).unwrap(), "edited");
        let now = fs::read_to_string(root.join(MANIFEST)).unwrap();
        assert!(now.contains(&format!("{}  a/x.yml\n", fingerprint(b"x2"))), "{now}");
        assert!(!now.contains("a/y.yml") && !now.contains("a/z.yml"), "{now}");
    }

    fn art(p: &str, b: &str) -> Artifact {
        Artifact {
            path: PathBuf::from(p),
            bytes: b.as_bytes().to_vec(),
        }
    }

    #[test]
    fn writes_then_removes_only_unedited_stale_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        apply(root, &[art("a/x.yml", "x"), art("a/y.yml", "y"), art("a/z.yml", "z")]).unwrap();
        fs::write(root.join("a/z.yml"), "edited").unwrap();
        fs::write(root.join("a/mine.yml"), "user file").unwrap();
        let s = apply_with(root, &[art("a/x.yml", "x2")], Durability::NoFlush, false).unwrap();
        assert_eq!(s.written, vec![PathBuf::from("a/x.yml")]);
        assert_eq!(s.removed, vec![PathBuf::from("a/y.yml")]);
        assert_eq!(s.kept_edited, vec![PathBuf::from("a/z.yml")]);
        assert_eq!(fs::read_to_string(root.join("a/mine.yml")).unwrap(), "user file");
        assert_eq!(fs::read_to_string(root.join("a/x.yml")).unwrap(), "x2");
        // No temporary files are left behind.
        assert!(!root.join(STAGING).exists() && !root.join(JOURNAL).exists());
    }

    #[test]
    fn drift_reports_changes_missing_and_stale() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        apply(root, &[art("x.yml", "a\n"), art("old.yml", "o\n")]).unwrap();
        let d = drift(root, &[art("x.yml", "b\n"), art("new.yml", "n\n")]);
        assert!(matches!(&d[0], Drift::Changed { diff, .. } if diff.contains("-a") && diff.contains("+b")));
        assert_eq!(d[1], Drift::Missing(PathBuf::from("new.yml")));
        assert_eq!(d[2], Drift::Stale(PathBuf::from("old.yml")));
    }

    #[test]
    fn leftovers_of_an_interrupted_run_are_cleaned_and_targets_kept() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        apply(root, &[art("a/x.yml", "old")]).unwrap();
        // An interrupted run dies after staging, before its journal landed.
        fs::create_dir(root.join(STAGING)).unwrap();
        fs::write(root.join(STAGING).join("0"), "half-written").unwrap();
        assert_eq!(fs::read_to_string(root.join("a/x.yml")).unwrap(), "old");
        apply(root, &[art("a/x.yml", "new")]).unwrap();
        assert_eq!(fs::read_to_string(root.join("a/x.yml")).unwrap(), "new");
        assert!(!root.join(STAGING).exists());
    }

    #[test]
    fn a_landed_journal_is_finished_by_the_next_run() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        apply(root, &[art("a/x.yml", "old"), art("a/gone.yml", "g")]).unwrap();
        // A run died right after its journal landed: nothing moved yet.
        let new = [art("a/x.yml", "new")];
        fs::create_dir(root.join(STAGING)).unwrap();
        fs::write(root.join(STAGING).join("0"), "new").unwrap();
        fs::write(root.join(STAGING).join("1"), manifest_bytes(&new)).unwrap();
        let ops = vec![
            Op::Rename {
                staged: "0".into(),
                path: "a/x.yml".into(),
            },
            Op::Delete {
                hash: fingerprint(b"g"),
                path: "a/gone.yml".into(),
            },
            Op::Manifest { staged: "1".into() },
        ];
        fs::write(root.join(JOURNAL), journal::encode(&ops)).unwrap();
        assert!(recover(root).unwrap());
        assert_eq!(fs::read_to_string(root.join("a/x.yml")).unwrap(), "new");
        assert!(!root.join("a/gone.yml").exists());
        assert_eq!(fs::read(root.join(MANIFEST)).unwrap(), manifest_bytes(&new));
        assert!(!root.join(JOURNAL).exists() && !root.join(STAGING).exists());
        // Replaying twice is harmless.
        assert!(!recover(root).unwrap());
    }

    /// Folders the tree lacks are staged whole and moved in with one rename
    /// each; files in folders it has are moved one by one; and a run that
    /// died right after its journal landed is finished by the next one.
    #[test]
    fn a_folder_the_tree_lacks_moves_in_whole_and_a_replay_finishes_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        apply(root, &[art("a/old.yml", "o")]).unwrap();
        let new = [
            art("a/x.yml", "x"),
            art("a/fresh/deep/y.yml", "y"),
            art("a/fresh/z.yml", "z"),
            art("b/c/w.yml", "w"),
            art("top.yml", "t"),
        ];
        let files: Vec<&Artifact> = new.iter().collect();
        let staging = root.join(STAGING);
        fs::create_dir(&staging).unwrap();
        let folders = paths::folders(root, files.iter().map(|a| parent(&a.path)));
        let ops = stage_files(&staging, &files, &folders).unwrap();
        let rename = |staged: &str, path: &str| Op::Rename {
            staged: staged.into(),
            path: path.into(),
        };
        assert_eq!(
            ops,
            [
                rename("0", "a/x.yml"),
                rename("6", "a/fresh"),
                rename("7", "b"),
                rename("4", "top.yml")
            ],
            "{ops:?}"
        );
        assert_eq!(fs::read_to_string(staging.join("6/deep/y.yml")).unwrap(), "y");
        // The run dies once its journal has landed.
        let mut all = ops.clone();
        fs::write(staging.join("5"), manifest_bytes(&new)).unwrap();
        all.push(Op::Manifest { staged: "5".into() });
        fs::write(root.join(JOURNAL), journal::encode(&all)).unwrap();
        assert!(recover(root).unwrap());
        for a in &new {
            assert_eq!(fs::read(root.join(&a.path)).unwrap(), a.bytes, "{}", a.path.display());
        }
        assert_eq!(fs::read_to_string(root.join("a/old.yml")).unwrap(), "o");
        assert!(!root.join(JOURNAL).exists() && !staging.exists());
        assert!(!recover(root).unwrap(), "a second replay has nothing to do");
        // A whole render into a fresh root writes the same tree.
        let fresh = tempfile::tempdir().unwrap();
        let s = apply_with(fresh.path(), &new, Durability::NoFlush, false).unwrap();
        assert_eq!(s.written.len(), new.len());
        for a in &new {
            assert_eq!(fs::read(fresh.path().join(&a.path)).unwrap(), a.bytes, "{}", a.path.display());
        }
        assert_eq!(fs::read(fresh.path().join(MANIFEST)).unwrap(), manifest_bytes(&new));
    }

    #[test]
    fn hostile_manifest_lines_are_refused_and_nothing_outside_is_removed() {
        let parent = tempfile::tempdir().unwrap();
        let root = parent.path().join("out");
        fs::create_dir(&root).unwrap();
        fs::write(parent.path().join("victim.txt"), "v").unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("x.yml"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("linked")).unwrap();
        let h = fingerprint(b"v");
        let hx = sha256_hex(b"x");
        fs::write(
            root.join(MANIFEST),
            format!(
                "{h}  ../victim.txt\n{h}  {}/victim.txt\n{hx}  linked/x.yml\nnot a line\n",
                parent.path().display()
            ),
        )
        .unwrap();
        let s = apply(&root, &[art("a.yml", "a")]).unwrap();
        assert_eq!(s.refused_manifest.len(), 3, "{:?}", s.refused_manifest);
        assert_eq!(s.kept_edited, vec![PathBuf::from("linked/x.yml")]);
        assert!(parent.path().join("victim.txt").exists());
        assert!(outside.path().join("x.yml").exists());
    }

    #[test]
    fn files_genmon_did_not_write_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("alerts/tests")).unwrap();
        fs::write(root.join("alerts/tests/g.test.yml"), "mine").unwrap();
        let e = apply(root, &[art("alerts/tests/g.test.yml", "generated"), art("b.yml", "b")]).unwrap_err();
        assert!(
            matches!(&e, WriteError::Clash(c) if c.len() == 1 && c[0].contains("did not write")),
            "{e}"
        );
        assert_eq!(fs::read_to_string(root.join("alerts/tests/g.test.yml")).unwrap(), "mine");
        assert!(!root.join("b.yml").exists());
        // Edited generated files need --force.
        apply(root, &[art("c.yml", "c")]).unwrap();
        fs::write(root.join("c.yml"), "edited").unwrap();
        assert!(matches!(apply(root, &[art("c.yml", "c2")]), Err(WriteError::Clash(_))));
        apply_with(root, &[art("c.yml", "c2")], Durability::NoFlush, true).unwrap();
        assert_eq!(fs::read_to_string(root.join("c.yml")).unwrap(), "c2");
    }

    #[test]
    fn a_held_lock_stops_a_second_render() {
        let dir = tempfile::tempdir().unwrap();
        let _held = lock(dir.path()).unwrap();
        assert!(matches!(apply(dir.path(), &[art("a.yml", "a")]), Err(WriteError::Locked { .. })));
        assert!(!dir.path().join("a.yml").exists());
    }

    #[test]
    fn failed_write_leaves_old_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        apply(root, &[art("a/x.yml", "old")]).unwrap();
        // A directory where a file must go makes the second write fail.
        fs::create_dir_all(root.join("b/blocked.yml")).unwrap();
        let err = apply(root, &[art("a/x.yml", "new"), art("b/blocked.yml", "n")]);
        assert!(err.is_err());
        assert_eq!(fs::read_to_string(root.join("a/x.yml")).unwrap(), "old");
    }
}
