//! One `genmon up` per state directory: an exclusive `flock` on
//! `<state>/lock`, holding the PID of the owner so the second one can say who.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

/// Held for as long as `genmon up` runs; the kernel drops the lock when the
/// process dies, so a stale file never blocks the next run.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another live `genmon up` holds it (its PID, when readable).
    Held(Option<i32>),
    /// The lock file could not be opened.
    Io(std::io::Error),
}

/// Take the lock on `<state>/lock` and write our PID into it.
pub fn acquire(state: &Path) -> Result<Lock, LockError> {
    acquire_file(&state.join("lock"))
}

/// Take an exclusive lock on the file `path` (created 0600 when missing) and
/// write our PID into it.
pub fn acquire_file(path: &Path) -> Result<Lock, LockError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(LockError::Io)?;
    // SAFETY: flock on a file descriptor we own; no memory is shared.
    let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let mut s = String::new();
        let _ = f.read_to_string(&mut s);
        let pid = s.trim().parse::<i32>().ok().filter(|p| alive(*p));
        return Err(LockError::Held(pid));
    }
    f.set_len(0).map_err(LockError::Io)?;
    f.rewind().map_err(LockError::Io)?;
    writeln!(f, "{}", std::process::id()).map_err(LockError::Io)?;
    Ok(Lock { _file: f })
}

/// Whether a process with this PID exists (`kill(pid, 0)`).
pub fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence and permission.
    pid > 0 && unsafe { libc::kill(pid, 0) } == 0
}
