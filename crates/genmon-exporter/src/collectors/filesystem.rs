//! `filesystem`: space and inodes of mounted filesystems, from the mount
//! table plus `statvfs(3)`.
//!
//! `statvfs` on a dead network mount can block forever, so for network and
//! FUSE filesystems ([`MAY_HANG_FSTYPES`]) the calls run on a long-lived
//! worker thread and the scrape waits at most `mount_timeout` per mount
//! (local filesystems answer from memory and are called inline: a thread
//! hand-off would cost more than the call). A
//! mount that timed out is reported with `node_filesystem_device_error 1`
//! and skipped by later scrapes until its pending call returns (the same
//! "stuck mounts" logic node_exporter uses).

use std::collections::HashSet;

use crate::metric::Kind;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use regex::Regex;

use super::{Collector, ScrapeContext};
use crate::config::{DEFAULT_EXCLUDE_FSTYPES, DEFAULT_EXCLUDE_MOUNTPOINTS, FilesystemConfig, exclusion, parse_duration};
use crate::metric::{Family, Labels, label};
use crate::{Paths, read_file};

/// Filesystem types whose `statvfs` can block on a server or a FUSE daemon;
/// only these go through the worker thread with a timeout.
pub static MAY_HANG_FSTYPES: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
    Regex::new(r"^(nfs4?|cifs|smb3?|smbfs|ceph|glusterfs|fuse(\..+)?|fuseblk|9p|sshfs|davfs2?|lustre|gpfs|afs|ncpfs|beegfs|vboxsf|virtiofs|autofs)$")
        .expect("valid regex")
});

/// One mount table entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Mount {
    /// Source device.
    pub device: String,
    /// Mount point (unescaped).
    pub mountpoint: String,
    /// Filesystem type.
    pub fstype: String,
    /// Mounted read-only.
    pub readonly: bool,
}

/// Undo the octal escapes (`\040` for space, ...) of `/proc/mounts`.
pub fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            let v = (b[i + 1] - b'0') as u32 * 64 + (b[i + 2] - b'0') as u32 * 8 + (b[i + 3] - b'0') as u32;
            if v <= 255 {
                out.push(v as u8);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parse a mount table (`/proc/mounts` format).
pub fn parse_mounts(text: &str) -> anyhow::Result<Vec<Mount>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_ascii_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        if f.len() < 4 {
            bail!("line {}: expected `device mountpoint fstype options ...`, got {line:?}", n + 1);
        }
        out.push(Mount {
            device: unescape(f[0]),
            mountpoint: unescape(f[1]),
            fstype: f[2].to_string(),
            readonly: f[3].split(',').any(|o| o == "ro"),
        });
    }
    Ok(out)
}

/// Drop excluded mounts and keep only the last (visible) entry per mount point.
pub fn select(mounts: Vec<Mount>, ex_fstype: Option<&Regex>, ex_mount: Option<&Regex>) -> Vec<Mount> {
    let mut seen = HashSet::new();
    let mut out: Vec<Mount> = mounts
        .into_iter()
        .rev()
        .filter(|m| !ex_fstype.is_some_and(|r| r.is_match(&m.fstype)))
        .filter(|m| !ex_mount.is_some_and(|r| r.is_match(&m.mountpoint)))
        .filter(|m| seen.insert(m.mountpoint.clone()))
        .collect();
    out.reverse();
    out
}

/// Sizes from one `statvfs` call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    /// Size in bytes.
    pub size: f64,
    /// Free bytes (including root-reserved).
    pub free: f64,
    /// Bytes available to unprivileged users.
    pub avail: f64,
    /// Total inodes.
    pub files: f64,
    /// Free inodes.
    pub files_free: f64,
    /// Read-only flag from statvfs.
    pub readonly: bool,
}

/// `statvfs(3)` on `path`.
pub fn statvfs(path: &Path) -> std::io::Result<Usage> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "path contains NUL"))?;
    // SAFETY: `c` is a valid NUL-terminated string and `st` a properly sized out-parameter.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let bs = st.f_frsize as f64;
    Ok(Usage {
        size: st.f_blocks as f64 * bs,
        free: st.f_bfree as f64 * bs,
        avail: st.f_bavail as f64 * bs,
        files: st.f_files as f64,
        files_free: st.f_ffree as f64,
        readonly: st.f_flag & libc::ST_RDONLY != 0,
    })
}

#[derive(Default)]
struct WorkerState {
    current: Option<usize>,
    abandoned: bool,
}

type StatResult = std::io::Result<Usage>;
type StatFn = fn(&Path) -> StatResult;

/// A batch of paths for the worker; results go back on `reply`.
struct Job {
    paths: Arc<Vec<PathBuf>>,
    start: usize,
    reply: mpsc::Sender<(usize, StatResult)>,
}

/// A long-lived thread doing the `statvfs` calls (no thread creation per scrape).
struct Worker {
    jobs: mpsc::Sender<Job>,
    state: Arc<Mutex<WorkerState>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Worker {
    fn spawn(stuck: Arc<Mutex<HashSet<PathBuf>>>, stat: StatFn) -> std::io::Result<Worker> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let state: Arc<Mutex<WorkerState>> = Arc::default();
        let st = state.clone();
        std::thread::Builder::new()
            .name("statvfs".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                for job in rx {
                    for (i, p) in job.paths.iter().enumerate().skip(job.start) {
                        {
                            let mut s = lock(&st);
                            if s.abandoned {
                                return;
                            }
                            s.current = Some(i);
                        }
                        let r = stat(p);
                        {
                            let mut s = lock(&st);
                            s.current = None;
                            if s.abandoned {
                                // We were given up on: the mount answers again.
                                lock(&stuck).remove(p);
                                return;
                            }
                        }
                        if job.reply.send((i, r)).is_err() {
                            break;
                        }
                    }
                }
            })?;
        Ok(Worker { jobs, state })
    }
}

/// node_exporter's families, in the order of [`Usage`]'s values: name, help.
const FAMILIES: [(&str, &str); 6] = [
    ("node_filesystem_size_bytes", "Filesystem size in bytes."),
    ("node_filesystem_free_bytes", "Filesystem free space in bytes."),
    (
        "node_filesystem_avail_bytes",
        "Filesystem space available to non-root users in bytes.",
    ),
    ("node_filesystem_files", "Filesystem total file nodes."),
    ("node_filesystem_files_free", "Filesystem total free file nodes."),
    ("node_filesystem_readonly", "Filesystem read-only status."),
];

/// The filesystem collector.
pub struct Filesystem {
    paths: Paths,
    ex_fstype: Option<Regex>,
    ex_mount: Option<Regex>,
    mount_timeout: Duration,
    stuck: Arc<Mutex<HashSet<PathBuf>>>,
    worker: Mutex<Option<Worker>>,
    stat: StatFn,
}

impl Filesystem {
    /// A collector reading `<procfs>/1/mounts` (else `<procfs>/mounts`).
    pub fn new(paths: Paths, cfg: &FilesystemConfig) -> anyhow::Result<Self> {
        Ok(Filesystem {
            paths,
            ex_fstype: exclusion("exporter.filesystem.exclude_fstypes", &cfg.exclude_fstypes, DEFAULT_EXCLUDE_FSTYPES)?,
            ex_mount: exclusion(
                "exporter.filesystem.exclude_mountpoints",
                &cfg.exclude_mountpoints,
                DEFAULT_EXCLUDE_MOUNTPOINTS,
            )?,
            mount_timeout: match &cfg.mount_timeout {
                Some(t) => parse_duration(t)?,
                None => Duration::from_secs(5),
            },
            stuck: Arc::default(),
            worker: Mutex::new(None),
            stat: statvfs,
        })
    }

    fn stat_path(&self, mountpoint: &str) -> PathBuf {
        self.paths.rootfs.join(mountpoint.trim_start_matches('/'))
    }

    /// Run statvfs on every path, each bounded by the mount timeout and the deadline.
    fn stat_all(&self, paths: Vec<PathBuf>, deadline: Instant) -> Vec<Option<StatResult>> {
        let mut results: Vec<Option<StatResult>> = (0..paths.len()).map(|_| None).collect();
        let paths = Arc::new(paths);
        let mut start = 0;
        while start < paths.len() && Instant::now() < deadline {
            // Take the idle worker (a concurrent scrape makes its own).
            let worker = match lock(&self.worker).take() {
                Some(w) => w,
                None => match Worker::spawn(self.stuck.clone(), self.stat) {
                    Ok(w) => w,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot start the statvfs thread");
                        break;
                    }
                },
            };
            let (reply, rx) = mpsc::channel();
            if worker
                .jobs
                .send(Job {
                    paths: paths.clone(),
                    start,
                    reply,
                })
                .is_err()
            {
                continue; // the worker is gone: the next round spawns a fresh one
            }
            let mut next = start;
            let mut healthy = true;
            while next < paths.len() {
                let wait = self.mount_timeout.min(deadline.saturating_duration_since(Instant::now()));
                match rx.recv_timeout(wait) {
                    Ok((i, r)) => {
                        results[i] = Some(r);
                        next = i + 1;
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        let mut s = lock(&worker.state);
                        if let Some(i) = s.current {
                            s.abandoned = true;
                            healthy = false;
                            tracing::warn!(mountpoint = %paths[i].display(), "statvfs timed out; skipping the mount until it returns");
                            lock(&self.stuck).insert(paths[i].clone());
                            results[i] = Some(Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "statvfs timed out")));
                            next = i + 1;
                            break;
                        }
                        drop(s);
                        if Instant::now() >= deadline {
                            // Results arriving later are dropped with the channel.
                            next = paths.len();
                            break;
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        healthy = false;
                        break;
                    }
                }
            }
            if healthy {
                *lock(&self.worker) = Some(worker);
            }
            if next <= start {
                break;
            }
            start = next;
        }
        results
    }
}

impl Collector for Filesystem {
    fn name(&self) -> &'static str {
        "filesystem"
    }
    fn cheap(&self) -> bool {
        // Calls that may hang are bounded by `mount_timeout` on the worker thread.
        true
    }
    fn collect(&self, ctx: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        // As node_exporter: the mount table of PID 1 (the host's, when the
        // exporter runs in its own mount namespace), else our own.
        let pid1 = self.paths.proc("1/mounts");
        let path = if pid1.exists() { pid1 } else { self.paths.proc("mounts") };
        let mounts = parse_mounts(&read_file(&path)?).with_context(|| format!("parsing {}", path.display()))?;
        let mounts = select(mounts, self.ex_fstype.as_ref(), self.ex_mount.as_ref());
        let stuck = lock(&self.stuck).clone();
        let (todo, skipped): (Vec<&Mount>, Vec<&Mount>) = mounts.iter().partition(|m| !stuck.contains(&self.stat_path(&m.mountpoint)));
        // Local filesystems answer statvfs from memory: call it inline. Only
        // network and FUSE filesystems, which can hang, pay for the worker thread.
        let (remote_idx, local_idx): (Vec<usize>, Vec<usize>) = (0..todo.len()).partition(|&i| MAY_HANG_FSTYPES.is_match(&todo[i].fstype));
        let mut results: Vec<Option<StatResult>> = (0..todo.len()).map(|_| None).collect();
        for &i in &local_idx {
            results[i] = Some((self.stat)(&self.stat_path(&todo[i].mountpoint)));
        }
        if !remote_idx.is_empty() {
            let remote = self.stat_all(
                remote_idx.iter().map(|&i| self.stat_path(&todo[i].mountpoint)).collect(),
                ctx.deadline,
            );
            for (&i, r) in remote_idx.iter().zip(remote) {
                results[i] = r;
            }
        }

        let mut fams: Vec<Family> = FAMILIES.iter().map(|(n, h)| Family::new(*n, Kind::Gauge, *h)).collect();
        let mut err = Family::new(
            "node_filesystem_device_error",
            Kind::Gauge,
            "Whether an error occurred while getting statistics for the given device.",
        );
        let labels = |m: &Mount| -> Labels {
            vec![
                label("device", m.device.clone()),
                label("mountpoint", m.mountpoint.clone()),
                label("fstype", m.fstype.clone()),
            ]
        };
        for (m, r) in todo.iter().zip(results) {
            match r {
                Some(Ok(u)) => {
                    let values = [
                        u.size,
                        u.free,
                        u.avail,
                        u.files,
                        u.files_free,
                        if u.readonly || m.readonly { 1.0 } else { 0.0 },
                    ];
                    for (f, v) in fams.iter_mut().zip(values) {
                        f.push(labels(m), v);
                    }
                    err.push(labels(m), 0.0);
                }
                Some(Err(e)) => {
                    tracing::debug!(mountpoint = %m.mountpoint, error = %e, "statvfs failed");
                    err.push(labels(m), 1.0);
                }
                None => err.push(labels(m), 1.0),
            }
        }
        for m in skipped {
            err.push(labels(m), 1.0);
        }
        fams.push(err);
        Ok(fams)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_filters_mounts() {
        let text = "proc /proc proc rw 0 0\n/dev/vda / ext4 rw,relatime 0 0\n/dev/vdb /mnt/my\\040disk ext4 ro,relatime 0 0\ntmpfs /run tmpfs rw 0 0\n/dev/vde /srv/my\\040data ext4 ro 0 0\noverlay /var/lib/docker/overlay2/x/merged overlay rw 0 0\n/dev/vdc / xfs rw 0 0\nsysfs /sys sysfs rw 0 0\n/dev/vdd /sys/x ext4 rw 0 0\n";
        let m = parse_mounts(text).unwrap();
        assert_eq!(m[2].mountpoint, "/mnt/my disk");
        assert!(m[2].readonly && !m[1].readonly);
        let fs = Regex::new(DEFAULT_EXCLUDE_FSTYPES).unwrap();
        let mp = Regex::new(DEFAULT_EXCLUDE_MOUNTPOINTS).unwrap();
        let sel = select(m, Some(&fs), Some(&mp));
        let got: Vec<(&str, &str)> = sel.iter().map(|m| (m.mountpoint.as_str(), m.fstype.as_str())).collect();
        // Debian's node_exporter defaults exclude /mnt and /run too.
        assert_eq!(got, [("/srv/my data", "ext4"), ("/", "xfs")]);
        assert!(parse_mounts("a b c\n").is_err());
    }

    #[test]
    fn unescapes() {
        assert_eq!(unescape("a\\040b\\011c\\134"), "a b\tc\\");
        assert_eq!(unescape("a\\04"), "a\\04");
        assert_eq!(unescape("\\999"), "\\999");
    }

    fn fake_stat(p: &Path) -> StatResult {
        if p.ends_with("hang") {
            std::thread::sleep(Duration::from_secs(3));
        }
        Ok(Usage {
            size: 100.0,
            free: 50.0,
            avail: 40.0,
            files: 10.0,
            files_free: 5.0,
            readonly: false,
        })
    }

    #[test]
    fn hung_network_mount_is_cut_off_then_skipped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mounts"),
            "srv:/a /a nfs4 rw 0 0\nsrv:/hang /hang nfs4 rw 0 0\nsrv:/b /b nfs4 rw 0 0\n/dev/vda / ext4 rw 0 0\n",
        )
        .unwrap();
        let paths = Paths {
            rootfs: "/".into(),
            procfs: dir.path().into(),
            sysfs: dir.path().into(),
            udev_data: dir.path().into(),
        };
        let cfg = FilesystemConfig {
            mount_timeout: Some("300ms".into()),
            ..Default::default()
        };
        let mut fs = Filesystem::new(paths, &cfg).unwrap();
        fs.stat = fake_stat;
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let ctx = ScrapeContext {
            deadline: Instant::now() + Duration::from_secs(10),
            handle: rt.handle().clone(),
        };
        let err_of = |fams: &[Family], mp: &str| {
            let f = fams.iter().find(|f| f.name == "node_filesystem_device_error").unwrap();
            f.samples.iter().find(|s| s.labels[1].1 == mp).map(|s| s.value)
        };
        let start = Instant::now();
        let fams = fs.collect(&ctx).unwrap();
        let took = start.elapsed();
        assert!(took < Duration::from_millis(1500), "took {took:?}");
        assert_eq!(err_of(&fams, "/hang"), Some(1.0));
        assert_eq!(err_of(&fams, "/a"), Some(0.0));
        assert_eq!(err_of(&fams, "/b"), Some(0.0), "mounts after the hung one still measured");
        assert_eq!(err_of(&fams, "/"), Some(0.0));
        assert_eq!(fams[0].samples.len(), 3);
        // While the call hangs the mount is skipped at once.
        let start = Instant::now();
        let fams = fs.collect(&ctx).unwrap();
        assert!(start.elapsed() < Duration::from_millis(200));
        assert_eq!(err_of(&fams, "/hang"), Some(1.0));
        // Once it returns, it is measured again (at most 300ms more).
        std::thread::sleep(Duration::from_millis(3200));
        assert!(lock(&fs.stuck).is_empty());
    }

    #[test]
    fn statvfs_root_works() {
        let u = statvfs(Path::new("/")).unwrap();
        assert!(u.size > 0.0 && u.avail <= u.free);
        assert!(statvfs(Path::new("/nonexistent/genmon")).is_err());
    }
}
