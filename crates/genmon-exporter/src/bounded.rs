//! Reading files that other people control (textfiles, config files) without
//! letting them block or exhaust the exporter: open without blocking (a FIFO
//! with no writer would otherwise wedge the reading thread), accept only
//! regular files (no `/dev/zero`, FIFOs, sockets or directories, also
//! through symlinks), and read at most a fixed number of bytes.

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Opening, stat or reading failed.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not a regular file (a FIFO, device, socket or directory).
    #[error("{path} is a {kind}, not a regular file; only regular files are read")]
    NotRegular {
        /// The file.
        path: String,
        /// What it is instead.
        kind: &'static str,
    },
    /// Larger than the limit.
    #[error("{path} is larger than the {limit}-byte limit; shrink the file or raise the limit")]
    TooLarge {
        /// The file.
        path: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// Not UTF-8.
    #[error("{path} is not UTF-8 text")]
    NotUtf8 {
        /// The file.
        path: String,
    },
}

fn kind(ft: std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "directory"
    } else if ft.is_fifo() {
        "FIFO"
    } else if ft.is_char_device() {
        "character device"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_socket() {
        "socket"
    } else {
        "special file"
    }
}

/// Open `path` without blocking, check it is a regular file (after following
/// symlinks) and read at most `limit` bytes of it; a longer file is an error.
/// Returns the text and the file's metadata (from the opened descriptor, so
/// both describe the same file).
pub fn read_regular(path: &Path, limit: u64) -> Result<(String, std::fs::Metadata), ReadError> {
    let p = || path.display().to_string();
    let io = |source| ReadError::Io { path: p(), source };
    // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer.
    // O_NOCTTY: a terminal device never becomes our controlling terminal.
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)
        .map_err(io)?;
    let meta = f.metadata().map_err(io)?;
    if !meta.file_type().is_file() {
        return Err(ReadError::NotRegular {
            path: p(),
            kind: kind(meta.file_type()),
        });
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge { path: p(), limit });
    }
    // The file may grow between fstat and read: read one byte past the limit
    // to notice, never more.
    let mut buf = Vec::with_capacity(meta.len() as usize);
    let mut f = f;
    Read::by_ref(&mut f).take(limit + 1).read_to_end(&mut buf).map_err(io)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge { path: p(), limit });
    }
    let text = String::from_utf8(buf).map_err(|_| ReadError::NotUtf8 { path: p() })?;
    Ok((text, meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_small_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok");
        std::fs::write(&ok, "a 1\n").unwrap();
        assert_eq!(read_regular(&ok, 4).unwrap().0, "a 1\n");
        assert!(matches!(read_regular(&ok, 3), Err(ReadError::TooLarge { limit: 3, .. })));
        let e = read_regular(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_regular(&fifo, 1 << 20).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        let e = read_regular(dir.path(), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
        std::fs::write(&ok, b"\xff\xfe").unwrap();
        assert!(matches!(read_regular(&ok, 10), Err(ReadError::NotUtf8 { .. })));
    }
}
