//! Resident memory: what the exporter gives back once it is serving.
//!
//! Most of genmon-exporter's RSS is its own code, not data (docs/exporter.md,
//! Benchmark). Flag parsing, config loading, TLS and collector setup run once;
//! their pages stay resident unless given back, and the kernel's read-ahead
//! and fault-around map whole neighbourhoods of what a scrape runs. So once
//! listening, the exporter
//!
//! - marks its own file-backed, read-only mappings (code, read-only data,
//!   unwind tables) `MADV_RANDOM`, so a later fault reads the page it needs
//!   rather than a read-ahead window around it, and
//! - pages them out (`MADV_PAGEOUT`) and drops the now unmapped pages of
//!   the executable from the page cache (`POSIX_FADV_DONTNEED`): startup code
//!   leaves memory, as the kernel frees its `__init` sections; what scrapes
//!   run faults back in, page by page, on the first scrape;
//! - trims the heap eagerly (glibc's `M_TRIM_THRESHOLD`, `M_TOP_PAD`): a
//!   scrape's buffers are freed after each answer, the memory goes back.
//!
//! Shared libraries are left alone: their pages are shared with other
//! processes and the kernel does not page those out for us.

use std::path::Path;

/// A mapping of `/proc/PID/maps`: start, end, whether it is writable, and
/// its path.
fn mappings(maps: &str) -> impl Iterator<Item = (usize, usize, bool, &str)> {
    maps.lines().filter_map(|l| {
        // Fields are separated by one space; the path, after padding, may hold spaces.
        let mut f = l.splitn(6, ' ');
        let (range, perms) = (f.next()?, f.next()?);
        let path = f.nth(3)?.trim_start();
        let (a, b) = range.split_once('-')?;
        let (a, b) = (usize::from_str_radix(a, 16).ok()?, usize::from_str_radix(b, 16).ok()?);
        Some((a, b, perms.as_bytes().get(1) == Some(&b'w'), path))
    })
}

/// The read-only mappings of `exe` in `maps` (the text of `/proc/PID/maps`),
/// as (start, length).
pub fn exe_ranges(maps: &str, exe: &Path) -> Vec<(usize, usize)> {
    let exe = exe.to_string_lossy();
    mappings(maps)
        .filter(|&(a, b, writable, path)| !writable && b > a && path == exe)
        .map(|(a, b, _, _)| (a, b - a))
        .collect()
}

/// Give back startup memory as described in the module documentation;
/// returns how many bytes of the executable were paged out. Best effort:
/// a kernel without `MADV_PAGEOUT` (before 5.4) keeps the pages.
pub fn release_startup() -> std::io::Result<usize> {
    // SAFETY: mallopt only changes glibc's trimming thresholds.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 * 1024);
        libc::mallopt(libc::M_TOP_PAD, 0);
    }
    let exe = std::fs::read_link("/proc/self/exe")?;
    let maps = std::fs::read_to_string("/proc/self/maps")?;
    let mut released = 0;
    for (addr, len) in exe_ranges(&maps, &exe) {
        // SAFETY: the range is one of our own read-only file mappings;
        // MADV_RANDOM and MADV_PAGEOUT are hints that never change its
        // contents, only when its pages are read back from the file.
        unsafe {
            libc::madvise(addr as *mut libc::c_void, len, libc::MADV_RANDOM);
            if libc::madvise(addr as *mut libc::c_void, len, libc::MADV_PAGEOUT) == 0 {
                released += len;
            }
        }
    }
    // MADV_PAGEOUT unmaps the pages but may leave them in the page cache
    // (large folios, pages being written back), where fault-around would map
    // them again. Now that no one maps them, drop the clean ones from the
    // cache; a page another process maps stays.
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(&exe)?;
    // SAFETY: a hint on an open descriptor; it never changes file contents.
    unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    Ok(released)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_executables_read_only_mappings() {
        let maps = "\
55d0c0000000-55d0c0100000 r--p 00000000 fd:01 123 /usr/bin/genmon-exporter
55d0c0100000-55d0c0500000 r-xp 00100000 fd:01 123 /usr/bin/genmon-exporter
55d0c0500000-55d0c0510000 rw-p 00500000 fd:01 123 /usr/bin/genmon-exporter
55d0c1000000-55d0c1100000 rw-p 00000000 00:00 0 [heap]
7f0000000000-7f0000100000 r-xp 00000000 fd:01 456 /usr/lib/x86_64-linux-gnu/libc.so.6
7f0000200000-7f0000201000 r--p 00000000 fd:01 789                        /usr/bin/genmon-exporter (deleted)
7f0000300000-7f0000301000 r--p 00000000 fd:01 790                        /opt/my dir/genmon-exporter
";
        let got = exe_ranges(maps, Path::new("/usr/bin/genmon-exporter"));
        assert_eq!(got, vec![(0x55d0c0000000, 0x100000), (0x55d0c0100000, 0x400000)]);
        let got = exe_ranges(maps, Path::new("/opt/my dir/genmon-exporter"));
        assert_eq!(got, vec![(0x7f0000300000, 0x1000)]);
        assert!(exe_ranges("garbage\n\n", Path::new("/x")).is_empty());
    }

    #[test]
    fn releases_this_process_code() {
        // The test binary is an executable like the exporter: its code is
        // mapped read-only and can be paged out without harm.
        let n = release_startup().unwrap();
        assert!(n > 0, "nothing released");
    }
}
