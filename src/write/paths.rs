//! Every name that becomes a path under the output root is checked here, and
//! every file operation below the root goes through these guards: relative
//! paths of plain components only, no symlinks or non-directories on the way
//! down, only regular files read, hashed or replaced.

use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Longest file or directory name most file systems accept, in bytes.
pub const MAX_NAME_BYTES: usize = 255;

/// Why `name` cannot be one component of an output path, or `None` when it can.
///
/// Refused: empty, `.`/`..`, a leading `.` (genmon's own bookkeeping files
/// start with `.genmon-`), `/` or `\`, NUL and other control characters,
/// more than [`MAX_NAME_BYTES`] bytes.
pub fn component_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".into());
    }
    if name == "." || name == ".." {
        return Some(format!("`{name}` would leave its directory"));
    }
    if name.starts_with('.') {
        return Some("starts with `.` (hidden files and genmon's own `.genmon-*` files are reserved)".into());
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '/' | '\\')) {
        return Some(format!("contains the path separator `{c}`"));
    }
    if name.chars().any(char::is_control) {
        return Some("contains a control character (NUL, newline, …)".into());
    }
    if name.len() > MAX_NAME_BYTES {
        return Some(format!("is {} bytes long; file names are at most {MAX_NAME_BYTES}", name.len()));
    }
    None
}

/// Why `rel` is not a safe relative output path, or `None` when it is.
pub fn relative_problem(rel: &Path) -> Option<String> {
    if rel.as_os_str().is_empty() {
        return Some("is empty".into());
    }
    for c in rel.components() {
        match c {
            Component::Normal(n) => {
                let Some(n) = n.to_str() else {
                    return Some("is not UTF-8".into());
                };
                if let Some(p) = component_problem(n) {
                    return Some(format!("has a component that {p}"));
                }
            }
            Component::ParentDir => return Some("contains `..`".into()),
            Component::RootDir | Component::Prefix(_) => return Some("is absolute".into()),
            Component::CurDir => return Some("contains `.`".into()),
        }
    }
    None
}

/// What is at a path, without following a symlink there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Absent,
    File {
        len: u64,
    },
    Dir,
    /// A symlink, FIFO, socket or device: never read, written or removed.
    Other,
}

/// Look at `path` without following a final symlink.
pub fn kind(path: &Path) -> std::io::Result<Kind> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Ok(Kind::File { len: m.len() }),
        Ok(m) if m.file_type().is_dir() => Ok(Kind::Dir),
        Ok(_) => Ok(Kind::Other),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Kind::Absent),
        Err(e) => Err(e),
    }
}

/// Check that every directory between `root` and `rel`'s file is a real
/// directory (or absent), never a symlink or a file. Returns the full path.
pub fn guarded(root: &Path, rel: &Path) -> Result<PathBuf, String> {
    if let Some(p) = relative_problem(rel) {
        return Err(format!("refusing path `{}`: it {p}", rel.display()));
    }
    let mut cur = root.to_path_buf();
    let comps: Vec<_> = rel.components().collect();
    for c in &comps[..comps.len().saturating_sub(1)] {
        cur.push(c);
        // Nothing can be below a missing folder (the commit creates
        // folders without following links anyway: `at::dir`).
        if !folder_at(&cur)? {
            break;
        }
    }
    Ok(root.join(rel))
}

/// Whether the folder at `full` is a real directory (`true`) or absent
/// (`false`); an error when a file, symlink or special file is in the way.
fn folder_at(full: &Path) -> Result<bool, String> {
    match kind(full) {
        Ok(Kind::Dir) => Ok(true),
        Ok(Kind::Absent) => Ok(false),
        Ok(Kind::File { .. }) => Err(format!("{} is a file where a directory must be", full.display())),
        Ok(Kind::Other) => Err(format!(
            "{} is a symlink or special file; genmon does not write through it",
            full.display()
        )),
        Err(e) => Err(format!("cannot inspect {}: {e}", full.display())),
    }
}

/// Where a folder under the root stands ([`folder_of`]).
pub type Folder = Result<Option<PathBuf>, String>;

/// [`guarded`] for the folder `rel` (relative to `root`), each folder on
/// the way looked at once however many outputs share it: `seen` holds the
/// folders already looked at (at least the root, `""`, as `Ok(None)`), and
/// those on the way not in it yet are looked at and added. `Ok(None)` when
/// the folder and every folder above it is a real directory; `Ok(Some(f))`
/// when `f` (the folder or the shallowest of its ancestors) is absent, so
/// nothing below it exists; `Err` (as [`guarded`] words it) when a file,
/// symlink or special file is in the way.
pub fn folder_of(seen: &mut std::collections::HashMap<PathBuf, Folder>, root: &Path, rel: &Path) -> Folder {
    if let Some(known) = seen.get(rel) {
        return known.clone();
    }
    let mut cur = PathBuf::new();
    let mut above: Folder = Ok(None);
    for c in rel.components() {
        cur.push(c);
        if let Some(known) = seen.get(&cur) {
            above = known.clone();
            continue;
        }
        let here = match above {
            Ok(None) => folder_at(&root.join(&cur)).map(|present| (!present).then(|| cur.clone())),
            ref other => other.clone(),
        };
        seen.insert(cur.clone(), here.clone());
        above = here;
    }
    above
}

/// Read a regular file of at most `max` bytes; `None` for anything else
/// (absent, too big, a symlink, FIFO or directory: never opened).
pub fn read_regular(path: &Path, max: u64) -> Option<Vec<u8>> {
    match kind(path) {
        Ok(Kind::File { len }) if len <= max => {}
        _ => return None,
    }
    use std::os::unix::fs::OpenOptionsExt;
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    if !f.metadata().ok()?.file_type().is_file() {
        return None;
    }
    let mut buf = Vec::new();
    f.take(max + 1).read_to_end(&mut buf).ok()?;
    (buf.len() as u64 <= max).then_some(buf)
}

/// File operations relative to directories opened one component at a time
/// with `O_NOFOLLOW`: the kernel refuses a symlink anywhere on the way, so a
/// directory swapped for a symlink between a check and a write cannot lead
/// outside the root.
pub mod at {
    use std::ffi::CString;
    use std::io::{Error, Read, Result};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Component, Path};

    fn c(p: &std::ffi::OsStr) -> Result<CString> {
        CString::new(p.as_bytes()).map_err(Error::other)
    }

    fn check(rc: i32) -> Result<i32> {
        if rc < 0 { Err(Error::last_os_error()) } else { Ok(rc) }
    }

    const DIR_FLAGS: i32 = libc::O_DIRECTORY | libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC;

    /// Open `root/rel` as a directory, refusing symlinks and anything but
    /// plain names in `rel`; with `create`, missing folders are made (0755).
    pub fn dir(root: &Path, rel: &Path, create: bool) -> Result<OwnedFd> {
        // SAFETY: a valid NUL-terminated path; the fd is owned below.
        let fd = check(unsafe { libc::open(c(root.as_os_str())?.as_ptr(), libc::O_DIRECTORY | libc::O_PATH | libc::O_CLOEXEC) })?;
        // SAFETY: `fd` is a fresh descriptor we own.
        let mut cur = unsafe { OwnedFd::from_raw_fd(fd) };
        for comp in rel.components() {
            let Component::Normal(name) = comp else {
                return Err(Error::other(format!("`{}` is not a plain relative path", rel.display())));
            };
            let name = c(name)?;
            if create {
                // SAFETY: valid dirfd and path; EEXIST is fine.
                let rc = unsafe { libc::mkdirat(cur.as_raw_fd(), name.as_ptr(), 0o755) };
                if rc < 0 && Error::last_os_error().raw_os_error() != Some(libc::EEXIST) {
                    return Err(Error::last_os_error());
                }
            }
            // SAFETY: valid dirfd and path; the fd is owned below.
            let fd = check(unsafe { libc::openat(cur.as_raw_fd(), name.as_ptr(), DIR_FLAGS) })?;
            // SAFETY: `fd` is a fresh descriptor we own.
            cur = unsafe { OwnedFd::from_raw_fd(fd) };
        }
        Ok(cur)
    }

    /// Move `from` (in `from_dir`) to `to` (in `to_dir`), replacing a file
    /// (or a symlink itself, never its target) that is there.
    pub fn rename(from_dir: &OwnedFd, from: &str, to_dir: &OwnedFd, to: &std::ffi::OsStr) -> Result<()> {
        let (f, t) = (c(std::ffi::OsStr::new(from))?, c(to)?);
        // SAFETY: valid dirfds and NUL-terminated names.
        check(unsafe { libc::renameat(from_dir.as_raw_fd(), f.as_ptr(), to_dir.as_raw_fd(), t.as_ptr()) }).map(drop)
    }

    /// Read `name` in `dir` if it is a regular file of at most `max` bytes
    /// (never a symlink, FIFO or device; never blocks).
    pub fn read(dir: &OwnedFd, name: &std::ffi::OsStr, max: u64) -> Option<Vec<u8>> {
        let n = c(name).ok()?;
        let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
        // SAFETY: valid dirfd and path; the fd is owned below.
        let fd = check(unsafe { libc::openat(dir.as_raw_fd(), n.as_ptr(), flags) }).ok()?;
        // SAFETY: `fd` is a fresh descriptor we own.
        let f = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        let m = f.metadata().ok()?;
        if !m.file_type().is_file() || m.len() > max {
            return None;
        }
        let mut buf = Vec::new();
        f.take(max + 1).read_to_end(&mut buf).ok()?;
        (buf.len() as u64 <= max).then_some(buf)
    }

    /// Remove the file (or, with `dir`, the empty folder) `name` in `parent`.
    pub fn remove(parent: &OwnedFd, name: &std::ffi::OsStr, is_dir: bool) -> Result<()> {
        let n = c(name)?;
        let flags = if is_dir { libc::AT_REMOVEDIR } else { 0 };
        // SAFETY: valid dirfd and NUL-terminated name.
        check(unsafe { libc::unlinkat(parent.as_raw_fd(), n.as_ptr(), flags) }).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        for bad in ["", ".", "..", ".hidden", "a/b", "a\\b", "a\0b", "a\nb", &"x".repeat(256)] {
            assert!(component_problem(bad).is_some(), "{bad:?} accepted");
        }
        for good in ["Infrastructure", "Team A", "ünïcode", "a.b", &"x".repeat(255)] {
            assert_eq!(component_problem(good), None, "{good:?} refused");
        }
    }

    #[test]
    fn relative_paths() {
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "./a", "a/.genmon-journal"] {
            assert!(relative_problem(Path::new(bad)).is_some(), "{bad:?} accepted");
        }
        assert_eq!(relative_problem(Path::new("dashboards/Team A/x.json")), None);
    }

    #[test]
    fn guarded_refuses_symlinked_directories() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("dashboards")).unwrap();
        let e = guarded(dir.path(), Path::new("dashboards/x.json")).unwrap_err();
        assert!(e.contains("symlink"), "{e}");
        assert!(guarded(dir.path(), Path::new("alerts/x.yml")).is_ok());
    }

    /// One look per folder says what [`guarded`] says per file: the
    /// shallowest absent folder, or what is in the way.
    #[test]
    fn folders_agree_with_guarded() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::write(root.join("a/file"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("a/link")).unwrap();
        let rels = ["a/b", "a/b/c/d", "a/b/c", "a/file/x", "a/link/y", "new/deep", "", "a"];
        let mut got = std::collections::HashMap::from([(PathBuf::new(), Ok(None))]);
        for rel in rels {
            let here = folder_of(&mut got, root, Path::new(rel));
            assert_eq!(got.get(Path::new(rel)), Some(&here), "{rel}");
        }
        let want: [Folder; 8] = [
            Ok(None),
            Ok(Some("a/b/c".into())),
            Ok(Some("a/b/c".into())),
            Err(format!("{} is a file where a directory must be", root.join("a/file").display())),
            Err(format!(
                "{} is a symlink or special file; genmon does not write through it",
                root.join("a/link").display()
            )),
            Ok(Some("new".into())),
            Ok(None),
            Ok(None),
        ];
        for (rel, want) in rels.iter().zip(want) {
            assert_eq!(got.get(Path::new(rel)), Some(&want), "{rel}");
            // guarded says the same of a file in that folder.
            let g = guarded(root, &Path::new(rel).join("f.yml"));
            assert_eq!(g.as_ref().err(), want.as_ref().err(), "{rel}");
        }
        assert_eq!(got.get(Path::new("new")), Some(&Ok(Some("new".into()))));
    }

    #[test]
    fn at_refuses_symlinks_on_the_way() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("l")).unwrap();
        assert!(at::dir(dir.path(), Path::new("l"), false).is_err());
        assert!(at::dir(dir.path(), Path::new("l/x"), true).is_err());
        assert!(!outside.path().join("x").exists());
        assert!(at::dir(dir.path(), Path::new("../x"), true).is_err());
        let d = at::dir(dir.path(), Path::new("a/b"), true).unwrap();
        std::fs::write(dir.path().join("a/b/f"), "f").unwrap();
        assert_eq!(at::read(&d, "f".as_ref(), 10), Some(b"f".to_vec()));
        at::remove(&d, "f".as_ref(), false).unwrap();
        assert!(!dir.path().join("a/b/f").exists());
    }

    #[test]
    fn read_regular_never_opens_fifos_or_follows_links() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(read_regular(&fifo, 10), None);
        fs::write(dir.path().join("f"), "abc").unwrap();
        std::os::unix::fs::symlink(dir.path().join("f"), dir.path().join("l")).unwrap();
        assert_eq!(read_regular(&dir.path().join("l"), 10), None);
        assert_eq!(read_regular(&dir.path().join("f"), 10), Some(b"abc".to_vec()));
        assert_eq!(read_regular(&dir.path().join("f"), 2), None);
    }
}
