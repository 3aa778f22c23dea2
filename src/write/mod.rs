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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

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

/// The manifest of `files` (each path and fingerprint, in path order).
fn manifest_bytes<'a>(files: impl Iterator<Item = (&'a Path, &'a str)>) -> Vec<u8> {
    let mut s = String::from("# Files generated by genmon (xxh3-128  path). genmon only deletes files listed here.\n");
    for (path, h) in files {
        s.push_str(h);
        s.push_str("  ");
        s.push_str(&path.to_string_lossy());
        s.push('\n');
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
/// `folder` says where its folder stands ([`paths::folder_of`]): under a
/// missing folder nothing is there to look at.
fn plan_one(root: &Path, a: &Artifact, folder: &paths::Folder, old: &BTreeMap<PathBuf, String>, force: bool) -> Result<Plan, String> {
    let full = match folder {
        Ok(None) => root.join(&a.path),
        Ok(Some(_)) => return Ok(Plan::Write),
        Err(e) => return Err(e.clone()),
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

/// The folder a file path is in (`""` at the root).
fn parent(rel: &Path) -> &Path {
    rel.parent().unwrap_or(Path::new(""))
}

/// A render being written into an output tree. Opened under the tree's lock
/// (an interrupted earlier render finished first, the manifest read); each
/// output is then [offered](Writer::offer) as soon as it is rendered, from
/// any thread, and the whole render [committed](Writer::commit) at once.
///
/// An offered output that changed is staged right away, so the caller can
/// free its bytes while the rest still renders (a render's outputs are
/// megabytes; held until the end, every one of their pages is fresh memory).
/// Nothing outside `.genmon-staging/` changes before the commit, and a
/// writer dropped without committing (an output failed to render, a clash)
/// removes what it staged: the tree stays entirely as it was.
pub struct Writer<'r> {
    root: &'r Path,
    staging: PathBuf,
    durability: Durability,
    force: bool,
    summary: Summary,
    old: BTreeMap<PathBuf, String>,
    /// Where each output folder stands, each looked at once ([`paths::folder_of`]).
    folders: Mutex<Folders>,
    /// The staging folder, made when the first file is staged.
    made: OnceLock<Result<(), String>>,
    /// Staged names are numbers, handed out in the order files are staged.
    next: AtomicUsize,
    /// A folder the tree does not have yet is staged whole under one name
    /// ([`Staged::InFolder`]); the staging folders made for its files.
    new_folders: Mutex<(HashMap<PathBuf, String>, HashSet<PathBuf>)>,
    /// Set once the journal owns the staging folder: from then on the next
    /// run finishes the commit, so dropping must not remove it.
    committed: bool,
    _lock: crate::stack::lock::Lock,
}

/// One output after [`Writer::offer`]: its path, fingerprint, and what
/// became of it.
pub struct Offered {
    path: PathBuf,
    hash: String,
    outcome: Result<Staged, Refused>,
}

/// Where an offered output stands.
enum Staged {
    /// The tree already holds these bytes.
    Same,
    /// Staged as `<name>`, moved into place alone.
    Alone(String),
    /// Staged inside the missing folder `folder`, moved with it.
    InFolder(PathBuf),
}

/// Why an offered output was not staged.
enum Refused {
    /// A path genmon must not write (checked again at the commit, which
    /// words it).
    Path,
    /// Something is in the way.
    Clash(String),
    /// Staging failed.
    Io(String),
}

/// What [`paths::folder_of`] found for each output folder.
type Folders = HashMap<PathBuf, paths::Folder>;

impl<'r> Writer<'r> {
    /// Take `root`'s lock (creating the root when missing), finish an
    /// interrupted earlier render, and read the manifest.
    pub fn open(root: &'r Path, durability: Durability, force: bool) -> Result<Writer<'r>, WriteError> {
        let lock = lock(root)?;
        let recovered = journal::recover(root)?;
        let (old, refused) = read_manifest(root)?;
        let mut folders = Folders::new();
        folders.insert(PathBuf::new(), Ok(None));
        Ok(Writer {
            root,
            staging: root.join(STAGING),
            durability,
            force,
            summary: Summary {
                recovered,
                refused_manifest: refused,
                ..Summary::default()
            },
            old,
            folders: Mutex::new(folders),
            made: OnceLock::new(),
            next: AtomicUsize::new(0),
            new_folders: Mutex::new((HashMap::new(), HashSet::new())),
            committed: false,
            _lock: lock,
        })
    }

    /// Plan one output and, when it changed, stage it. Safe to call from
    /// every thread at once; the caller may drop `a` right after.
    pub fn offer(&self, a: &Artifact) -> Offered {
        Offered {
            path: a.path.clone(),
            hash: fingerprint(&a.bytes),
            outcome: self.place(a),
        }
    }

    fn place(&self, a: &Artifact) -> Result<Staged, Refused> {
        if paths::relative_problem(&a.path).is_some() || a.path == Path::new(MANIFEST) {
            return Err(Refused::Path);
        }
        let folder = {
            let mut folders = self.folders.lock().unwrap_or_else(|e| e.into_inner());
            paths::folder_of(&mut folders, self.root, parent(&a.path))
        };
        match plan_one(self.root, a, &folder, &self.old, self.force).map_err(Refused::Clash)? {
            Plan::Same => Ok(Staged::Same),
            Plan::Write => self.stage(a, folder).map_err(Refused::Io),
        }
    }

    /// Make the staging folder, once: by the first file staged, or by the
    /// commit when no file changed but the manifest did.
    fn staging_folder(&self) -> Result<(), String> {
        self.made
            .get_or_init(|| fs::create_dir(&self.staging).map_err(|e| format!("cannot create {}: {e}", self.staging.display())))
            .clone()
    }

    /// Write `a` under the staging folder. A file whose folder exists is
    /// staged as `<n>` and moved alone; a folder the tree does not have yet
    /// (a first render, a new dashboard folder) is staged whole, as
    /// `<n>/...`, and moved into place with one rename (a first render of
    /// the bench spec: 3 renames instead of 606).
    fn stage(&self, a: &Artifact, folder: paths::Folder) -> Result<Staged, String> {
        self.staging_folder()?;
        let Ok(Some(folder)) = folder else {
            let name = self.next.fetch_add(1, Ordering::Relaxed).to_string();
            write_new(&self.staging.join(&name), &a.bytes)?;
            return Ok(Staged::Alone(name));
        };
        let inner = a
            .path
            .strip_prefix(&folder)
            .map_err(|_| format!("{} is not under {}", a.path.display(), folder.display()))?;
        let path = {
            let mut guard = self.new_folders.lock().unwrap_or_else(|e| e.into_inner());
            let (named, dirs) = &mut *guard;
            let name = named
                .entry(folder.clone())
                .or_insert_with(|| self.next.fetch_add(1, Ordering::Relaxed).to_string());
            let path = self.staging.join(&*name).join(inner);
            let dir = path.parent().unwrap_or(&self.staging);
            if !dirs.contains(dir) {
                fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e} (nothing was changed)", dir.display()))?;
                dirs.insert(dir.to_path_buf());
            }
            path
        };
        // Only creating the file holds its folder's lock in the kernel;
        // writing its bytes does not, so files stage on all cores.
        write_new(&path, &a.bytes)?;
        Ok(Staged::InFolder(folder))
    }

    /// Commit every offered output (each output of the render, in any
    /// order): refuse the whole render on a bad or doubled path, a clash or
    /// a failed staging; otherwise remove stale generated files, write the
    /// manifest and move everything into place through the journal.
    pub fn commit(mut self, mut offered: Vec<Offered>) -> Result<Summary, WriteError> {
        let t = crate::pipeline::Timer::start();
        let (mut summary, mut ops, manifest) = self.settle(&mut offered)?;
        let root = self.root;
        if ops.is_empty() && paths::read_regular(&root.join(MANIFEST), MAX_MANIFEST).is_some_and(|old| old == manifest) {
            t.lap("w.plan");
            return Ok(summary);
        }
        t.lap("w.plan");

        // The manifest and the journal join what is staged.
        let staged = (|| -> Result<(), String> {
            let name = self.next.fetch_add(1, Ordering::Relaxed).to_string();
            self.staging_folder()?;
            write_new(&self.staging.join(&name), &manifest)?;
            ops.push(Op::Manifest { staged: name });
            let j = self.staging.join("journal");
            fs::write(&j, journal::encode(&ops)).map_err(|e| format!("cannot write {}: {e} (nothing was changed)", j.display()))?;
            t.lap("w.stage");
            if self.durability == Durability::Flush {
                sync_filesystem(root)?;
            }
            t.lap("w.flush");
            Ok(())
        })();
        staged?;

        // Commit point: the journal lands atomically.
        let jpath = root.join(JOURNAL);
        fs::rename(self.staging.join("journal"), &jpath)
            .map_err(|e| format!("cannot write {}: {e} (nothing was changed)", jpath.display()))?;
        self.committed = true;
        if self.durability == Durability::Flush {
            sync_filesystem(root)?;
        }
        t.lap("w.commit");
        summary.removed = journal::run(root, &ops)?;
        t.lap("w.rename");
        if self.durability == Durability::Flush {
            sync_filesystem(root)?;
        }
        t.lap("w.flush");
        fs::remove_file(&jpath).map_err(|e| format!("cannot remove {}: {e}", jpath.display()))?;
        journal::clear_staging(root)?;
        t.lap("w.clean");
        Ok(summary)
    }

    /// Everything the commit decides before it touches the tree: the
    /// summary so far, the renames and deletions in path order, and the new
    /// manifest. `offered` ends sorted by path.
    fn settle(&mut self, offered: &mut [Offered]) -> Result<(Summary, Vec<Op>, Vec<u8>), WriteError> {
        // Stable: of two outputs with one path, the later one is the double.
        offered.sort_by(|a, b| a.path.cmp(&b.path));
        for (i, o) in offered.iter().enumerate() {
            if let Some(p) = paths::relative_problem(&o.path) {
                return Err(WriteError::Io(format!("refusing to write `{}`: the path {p}", o.path.display())));
            }
            if o.path == Path::new(MANIFEST) || (i > 0 && offered[i - 1].path == o.path) {
                return Err(WriteError::Clash(vec![format!("{}: two outputs want this path", o.path.display())]));
            }
        }
        let clashes: Vec<String> = offered
            .iter()
            .filter_map(|o| match &o.outcome {
                Err(Refused::Clash(e)) => Some(e.clone()),
                _ => None,
            })
            .collect();
        if !clashes.is_empty() {
            return Err(WriteError::Clash(clashes));
        }
        if let Some(e) = offered.iter().find_map(|o| match &o.outcome {
            Err(Refused::Io(e)) => Some(e.clone()),
            _ => None,
        }) {
            return Err(WriteError::Io(e));
        }

        let root = self.root;
        let mut summary = std::mem::take(&mut self.summary);
        // Hashed: `Path`'s ordering splits both paths into components at
        // every comparison (1.4 % of a render's instructions as a `BTreeSet`).
        let seen: HashSet<&Path, foldhash::fast::RandomState> = offered.iter().map(|o| o.path.as_path()).collect();
        let mut deletes = Vec::new();
        for (path, hash) in &self.old {
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
        let manifest = manifest_bytes(offered.iter().map(|o| (o.path.as_path(), o.hash.as_str())));
        let mut ops = Vec::with_capacity(offered.len() + deletes.len() + 1);
        let named = &self.new_folders.get_mut().unwrap_or_else(|e| e.into_inner()).0;
        let mut moved: HashSet<&Path> = HashSet::new();
        for o in offered.iter() {
            match &o.outcome {
                Ok(Staged::Same) => summary.unchanged += 1,
                Ok(Staged::Alone(name)) => {
                    summary.written.push(o.path.clone());
                    ops.push(Op::Rename {
                        staged: name.clone(),
                        path: o.path.clone(),
                    });
                }
                Ok(Staged::InFolder(folder)) => {
                    summary.written.push(o.path.clone());
                    if moved.insert(folder) {
                        let staged = named
                            .get(folder)
                            .ok_or_else(|| format!("{} was staged under no name", folder.display()))?;
                        ops.push(Op::Rename {
                            staged: staged.clone(),
                            path: folder.clone(),
                        });
                    }
                }
                // Every refusal returned above; should one slip through, the
                // render stops rather than leaving a file out.
                Err(_) => {
                    return Err(WriteError::Io(format!(
                        "{}: refused without a reason (a bug in genmon)",
                        o.path.display()
                    )));
                }
            }
        }
        ops.extend(deletes);
        Ok((summary, ops, manifest))
    }
}
impl Drop for Writer<'_> {
    /// A render that did not commit leaves nothing behind: what it staged
    /// goes (the lock is released after, as the fields drop).
    fn drop(&mut self) {
        if !self.committed && self.made.get().is_some() {
            let _ = journal::clear_staging(self.root);
        }
    }
}

/// [`apply`] with a choice of [`Durability`]; `force` overwrites generated
/// files that were edited by hand (never files genmon did not write).
pub fn apply_with(root: &Path, artifacts: &[Artifact], durability: Durability, force: bool) -> Result<Summary, WriteError> {
    let writer = Writer::open(root, durability, force)?;
    // Reading, comparing and staging are independent per file: on all cores.
    let offered = crate::par::map(artifacts, |a| writer.offer(a));
    writer.commit(offered)
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

    /// The manifest a render of `files` writes.
    fn manifest_of(files: &[Artifact]) -> Vec<u8> {
        let hashes: Vec<String> = files.iter().map(|a| fingerprint(&a.bytes)).collect();
        let mut entries: Vec<(&Path, &str)> = files.iter().zip(&hashes).map(|(a, h)| (a.path.as_path(), h.as_str())).collect();
        entries.sort();
        manifest_bytes(entries.into_iter())
    }

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
        fs::write(root.join(STAGING).join("1"), manifest_of(&new)).unwrap();
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
        assert_eq!(fs::read(root.join(MANIFEST)).unwrap(), manifest_of(&new));
        assert!(!root.join(JOURNAL).exists() && !root.join(STAGING).exists());
        // Replaying twice is harmless.
        assert!(!recover(root).unwrap());
    }

    /// A render whose outputs are staged as they come, then abandoned (an
    /// output failed to render) or refused (a clash), leaves the tree as it
    /// was: no staging folder, the old files and manifest untouched; and the
    /// lock goes with the writer.
    #[test]
    fn a_writer_that_does_not_commit_leaves_the_tree_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        apply(root, &[art("a/x.yml", "old")]).unwrap();
        let manifest = fs::read(root.join(MANIFEST)).unwrap();
        let unchanged = |why: &str| {
            assert!(!root.join(STAGING).exists(), "{why}: staging left behind");
            assert!(!root.join(JOURNAL).exists(), "{why}");
            assert_eq!(fs::read_to_string(root.join("a/x.yml")).unwrap(), "old", "{why}");
            assert!(!root.join("a/y.yml").exists() && !root.join("new").exists(), "{why}");
            assert_eq!(fs::read(root.join(MANIFEST)).unwrap(), manifest, "{why}");
        };
        let writer = Writer::open(root, Durability::NoFlush, false).unwrap();
        let offered = [art("a/x.yml", "new"), art("a/y.yml", "y"), art("new/z.yml", "z")].map(|a| writer.offer(&a));
        assert!(root.join(STAGING).exists(), "changed outputs are staged as they are offered");
        drop(offered);
        drop(writer);
        unchanged("abandoned");
        // Every output offered, then the commit refuses.
        let refused = |files: &[Artifact]| {
            let writer = Writer::open(root, Durability::NoFlush, false).unwrap();
            let offered = files.iter().map(|a| writer.offer(a)).collect();
            writer.commit(offered).unwrap_err()
        };
        // A file genmon did not write is in the way.
        fs::write(root.join("a/mine.yml"), "mine").unwrap();
        let e = refused(&[art("a/x.yml", "new"), art("a/mine.yml", "theirs"), art("new/z.yml", "z")]);
        assert!(
            matches!(&e, WriteError::Clash(c) if c.len() == 1 && c[0].starts_with("a/mine.yml: genmon did not write it")),
            "{e}"
        );
        unchanged("clash");
        assert_eq!(fs::read_to_string(root.join("a/mine.yml")).unwrap(), "mine");
        // Two outputs with one path, offered in any order.
        let e = refused(&[art("new/z.yml", "1"), art("a/x.yml", "new"), art("new/z.yml", "2")]);
        assert_eq!(e, WriteError::Clash(vec!["new/z.yml: two outputs want this path".into()]));
        unchanged("double");
        // The lock went with each writer: a render now goes through.
        fs::remove_file(root.join("a/mine.yml")).unwrap();
        let s = apply(root, &[art("a/x.yml", "new")]).unwrap();
        assert_eq!(s.written, [PathBuf::from("a/x.yml")]);
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
        let staging = root.join(STAGING);
        let mut writer = Writer::open(root, Durability::NoFlush, false).unwrap();
        // Offered one at a time, so the staged names are in this order.
        let mut offered: Vec<Offered> = new.iter().map(|a| writer.offer(a)).collect();
        let (_, ops, _) = writer.settle(&mut offered).unwrap();
        let rename = |staged: &str, path: &str| Op::Rename {
            staged: staged.into(),
            path: path.into(),
        };
        assert_eq!(
            ops,
            [
                rename("1", "a/fresh"),
                rename("0", "a/x.yml"),
                rename("2", "b"),
                rename("3", "top.yml"),
                // The old render's file, no longer generated.
                Op::Delete {
                    hash: fingerprint(b"o"),
                    path: "a/old.yml".into()
                },
            ],
            "{ops:?}"
        );
        assert_eq!(fs::read_to_string(staging.join("1/deep/y.yml")).unwrap(), "y");
        // The run dies once its journal has landed.
        let mut all = ops.clone();
        fs::write(staging.join("4"), manifest_of(&new)).unwrap();
        all.push(Op::Manifest { staged: "4".into() });
        fs::write(root.join(JOURNAL), journal::encode(&all)).unwrap();
        writer.committed = true;
        drop(writer);
        assert!(recover(root).unwrap());
        for a in &new {
            assert_eq!(fs::read(root.join(&a.path)).unwrap(), a.bytes, "{}", a.path.display());
        }
        assert!(!root.join("a/old.yml").exists());
        assert!(!root.join(JOURNAL).exists() && !staging.exists());
        assert!(!recover(root).unwrap(), "a second replay has nothing to do");
        // A whole render into a fresh root writes the same tree.
        let fresh = tempfile::tempdir().unwrap();
        let s = apply_with(fresh.path(), &new, Durability::NoFlush, false).unwrap();
        assert_eq!(s.written.len(), new.len());
        for a in &new {
            assert_eq!(fs::read(fresh.path().join(&a.path)).unwrap(), a.bytes, "{}", a.path.display());
        }
        assert_eq!(fs::read(fresh.path().join(MANIFEST)).unwrap(), manifest_of(&new));
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
