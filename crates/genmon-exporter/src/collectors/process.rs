//! `process`: the exporter's own `process_*` metrics and named process
//! groups, read directly from `/proc/[pid]` (see docs/exporter.md for why not
//! sysinfo: a full sysinfo process refresh costs several times more).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use regex::Regex;

use super::cpu::USER_HZ;
use super::{Collector, ScrapeContext, num};
use crate::config::ProcessGroupConfig;
use crate::metric::{Family, label};
use crate::{Paths, read_file};

/// The fields of `/proc/PID/stat` we use.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcStat {
    /// Command name (`comm`).
    pub comm: String,
    /// User plus system CPU ticks.
    pub cpu_ticks: u64,
    /// User CPU ticks.
    pub utime: u64,
    /// System CPU ticks.
    pub stime: u64,
    /// Virtual memory size in bytes.
    pub vsize: u64,
    /// Threads.
    pub threads: u64,
    /// Start time in ticks since boot.
    pub start_ticks: u64,
    /// Resident set size in pages.
    pub rss_pages: u64,
    /// State letter (`R`, `S`, `D`, `Z`, ...).
    pub state: char,
    /// Minor page faults.
    pub minflt: u64,
    /// Major page faults.
    pub majflt: u64,
}

/// Parse `/proc/PID/stat`. The command name may contain spaces and
/// parentheses, so fields are counted from the last `)`.
pub fn parse_pid_stat(text: &str) -> anyhow::Result<ProcStat> {
    let open = text.find('(').context("no `(` before the command name")?;
    let close = text.rfind(')').context("no `)` after the command name")?;
    if close < open {
        bail!("malformed command name");
    }
    let comm = text[open + 1..close].to_string();
    // rest[0] is field 3 (state), so field N is rest[N - 3].
    let rest: Vec<&str> = text[close + 1..].split_ascii_whitespace().collect();
    let f = |n: usize| rest.get(n - 3).copied();
    let utime: u64 = num(f(14), "utime")?;
    let stime: u64 = num(f(15), "stime")?;
    Ok(ProcStat {
        comm,
        cpu_ticks: utime + stime,
        utime,
        stime,
        vsize: num(f(23), "vsize")?,
        threads: num(f(20), "num_threads")?,
        start_ticks: num(f(22), "starttime")?,
        rss_pages: num::<i64>(f(24), "rss")?.max(0) as u64,
        state: f(3).and_then(|s| s.chars().next()).context("no state")?,
        minflt: num(f(10), "minflt")?,
        majflt: num(f(12), "majflt")?,
    })
}

/// The fields of `/proc/PID/status` process-exporter uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcStatus {
    /// `VmSwap` in bytes (absent for kernel threads: 0).
    pub swap_bytes: u64,
    /// `voluntary_ctxt_switches`.
    pub voluntary: u64,
    /// `nonvoluntary_ctxt_switches`.
    pub nonvoluntary: u64,
}

/// Parse `/proc/PID/status`; a field that is present must be a number.
pub fn parse_pid_status(text: &str) -> anyhow::Result<ProcStatus> {
    let mut out = ProcStatus::default();
    for line in text.lines() {
        let Some((key, rest)) = line.split_once(':') else { continue };
        let slot = match key {
            "VmSwap" => &mut out.swap_bytes,
            "voluntary_ctxt_switches" => &mut out.voluntary,
            "nonvoluntary_ctxt_switches" => &mut out.nonvoluntary,
            _ => continue,
        };
        *slot = num(rest.split_ascii_whitespace().next(), key)?;
        if key == "VmSwap" {
            out.swap_bytes = out.swap_bytes.saturating_mul(1024);
        }
    }
    Ok(out)
}

/// `read_bytes` and `write_bytes` from `/proc/PID/io`.
pub fn parse_pid_io(text: &str) -> anyhow::Result<[u64; 2]> {
    let field = |name: &str| {
        let v = text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':')).map(str::trim);
        num::<u64>(v, name)
    };
    Ok([field("read_bytes")?, field("write_bytes")?])
}

/// The soft "Max open files" limit from `/proc/PID/limits` (`None` if unlimited).
pub fn parse_max_fds(text: &str) -> anyhow::Result<Option<u64>> {
    parse_limit(text, "Max open files")
}

/// The soft limit named `what` from `/proc/PID/limits` (`None` if unlimited).
pub fn parse_limit(text: &str, what: &str) -> anyhow::Result<Option<u64>> {
    let line = text
        .lines()
        .find(|l| l.starts_with(what))
        .with_context(|| format!("no `{what}` line"))?;
    let soft = line[what.len()..].split_ascii_whitespace().next().context("no soft limit")?;
    if soft == "unlimited" {
        return Ok(None);
    }
    Ok(Some(soft.parse().with_context(|| format!("soft limit {soft:?} is not a number"))?))
}

/// `Pss` and `SwapPss` from `/proc/PID/smaps_rollup`, in bytes.
pub fn parse_smaps_rollup(text: &str) -> anyhow::Result<[u64; 2]> {
    let field = |name: &str| {
        let v = text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':'));
        num::<u64>(v.and_then(|v| v.split_ascii_whitespace().next()), name).map(|kb| kb.saturating_mul(1024))
    };
    Ok([field("Pss")?, field("SwapPss")?])
}

/// The kernel function a task sleeps in, from `/proc/PID/wchan` (`None` when
/// running: the kernel writes `0`, or nothing when the address is hidden).
pub fn parse_wchan(text: &str) -> Option<&str> {
    let w = text.trim();
    (!w.is_empty() && w != "0").then_some(w)
}

fn page_size() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if v > 0 { v as f64 } else { 4096.0 }
}

fn count_fds(dir: &Path) -> std::io::Result<u64> {
    Ok(std::fs::read_dir(dir.join("fd"))?.count() as u64)
}

enum Matcher {
    Name(Regex),
    Cmdline(Regex),
}

struct Group {
    name: String,
    matcher: Matcher,
}

/// The process collector.
pub struct Process {
    paths: Paths,
    self_dir: PathBuf,
    groups: Vec<Group>,
    page_size: f64,
    /// Read every member's `task/*` for the `thread_*` families.
    threads: bool,
    /// Read every member's `smaps_rollup` for the proportional memory types.
    smaps: bool,
    counters: std::sync::Mutex<CounterHistory>,
}

/// The per-process counters summed per group, in this order: user and
/// system CPU ticks, minor and major page faults, bytes read and written,
/// voluntary and nonvoluntary context switches.
const COUNTERS: usize = 8;
type Counters = [u64; COUNTERS];

/// Keeps the groups' counters (`cpu_seconds_total`, `*_page_faults_total`,
/// `*_bytes_total`, `context_switches_total`) monotonic: what processes that
/// exited counted stays counted (as process-exporter does), so a restart of
/// a group member is not a counter reset.
#[derive(Default)]
struct CounterHistory {
    /// Per group: counters of members gone since the exporter started.
    gone: Vec<Counters>,
    /// Members seen by the last scrape: (pid, start ticks) -> (counters, groups).
    live: std::collections::HashMap<(u32, u64), (Counters, Vec<usize>)>,
    /// Per (group, thread name): counters of threads gone. Names no thread
    /// carries any more are forgotten, as process-exporter does, so thread
    /// names that change all the time cannot grow this without bound.
    threads_gone: std::collections::HashMap<(usize, String), Counters>,
    /// Threads seen by the last scrape: (tid, start ticks) -> (counters, name, groups).
    threads_live: std::collections::HashMap<(u32, u64), (Counters, String, Vec<usize>)>,
    /// process-exporter's scrape error counters: general, per process, partial.
    errors: [u64; 3],
}

/// One thread of a member, from `/proc/PID/task/TID/*`.
struct ThreadSample {
    key: (u32, u64),
    name: String,
    counters: Counters,
    state: usize,
    wchan: Option<String>,
}

/// The state letter as process-exporter counts it: Running, Sleeping,
/// Waiting (uninterruptible), Zombie, Other.
fn state_index(state: char) -> usize {
    match state {
        'R' => 0,
        'S' => 1,
        'D' => 2,
        'Z' => 3,
        _ => 4,
    }
}

/// Whether a read failed because the process or thread exited meanwhile.
fn vanished(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ESRCH)
}

fn read_stat(dir: &Path) -> std::io::Result<ProcStat> {
    parse_pid_stat(&std::fs::read_to_string(dir.join("stat"))?).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// A task's (process or thread) counters: CPU ticks and page faults from its
/// stat, I/O bytes from `io`, context switches from `status`; its swap bytes
/// (`status`); and whether `io` was unreadable (other users' tasks, without
/// privileges: 0 there, as process-exporter).
fn task_counters(dir: &Path, st: &ProcStat) -> (Counters, u64, bool) {
    let status = std::fs::read_to_string(dir.join("status"))
        .ok()
        .and_then(|t| parse_pid_status(&t).ok())
        .unwrap_or_default();
    let io = std::fs::read_to_string(dir.join("io")).ok().and_then(|t| parse_pid_io(&t).ok());
    let [r, w] = io.unwrap_or([0, 0]);
    let c = [
        st.utime,
        st.stime,
        st.minflt,
        st.majflt,
        r,
        w,
        status.voluntary,
        status.nonvoluntary,
    ];
    (c, status.swap_bytes, io.is_none())
}

fn read_wchan(dir: &Path) -> std::io::Result<Option<String>> {
    Ok(parse_wchan(&std::fs::read_to_string(dir.join("wchan"))?).map(str::to_string))
}

/// A member's threads; none when it has only one, as process-exporter.
fn read_threads(pdir: &Path) -> std::io::Result<Vec<ThreadSample>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(pdir.join("task"))?.flatten() {
        let name = e.file_name();
        let Some(tid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        // A thread that exits while we read it is skipped.
        let dir = e.path();
        let Ok(st) = read_stat(&dir) else {
            continue;
        };
        let (counters, _, _) = task_counters(&dir, &st);
        out.push(ThreadSample {
            key: (tid, st.start_ticks),
            state: state_index(st.state),
            wchan: read_wchan(&dir).ok().flatten(),
            name: st.comm,
            counters,
        });
    }
    if out.len() < 2 {
        out.clear();
    }
    Ok(out)
}

fn add(into: &mut Counters, c: &Counters) {
    for (a, b) in into.iter_mut().zip(c) {
        *a = a.saturating_add(*b);
    }
}

impl Process {
    /// A collector for the process whose `/proc` directory is `self_dir`
    /// (normally `/proc/self`) and the configured groups, scanned in `<procfs>`.
    pub fn new(paths: Paths, self_dir: PathBuf, groups: &[ProcessGroupConfig]) -> anyhow::Result<Self> {
        let groups = groups
            .iter()
            .map(|g| {
                let matcher = match (&g.match_name, &g.match_cmdline) {
                    (Some(r), None) => Matcher::Name(Regex::new(r)?),
                    (None, Some(r)) => Matcher::Cmdline(Regex::new(r)?),
                    _ => bail!("process group {:?}: set exactly one of match_name or match_cmdline", g.name),
                };
                Ok(Group {
                    name: g.name.clone(),
                    matcher,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Process {
            paths,
            self_dir,
            groups,
            page_size: page_size(),
            threads: false,
            smaps: false,
            counters: Default::default(),
        })
    }

    /// Also gather per-thread counters (process-exporter's `-threads`) and
    /// proportional memory from `smaps_rollup` (its `-gather-smaps`).
    pub fn gather(mut self, threads: bool, smaps: bool) -> Self {
        self.threads = threads;
        self.smaps = smaps;
        self
    }

    fn own(&self, btime: Option<u64>) -> anyhow::Result<Vec<Family>> {
        let path = self.self_dir.join("stat");
        let st = parse_pid_stat(&read_file(&path)?).with_context(|| format!("parsing {}", path.display()))?;
        let mut out = vec![
            Family::single("process_cpu_seconds_total", st.cpu_ticks as f64 / USER_HZ),
            Family::single("process_resident_memory_bytes", st.rss_pages as f64 * self.page_size),
        ];
        if let Ok(n) = count_fds(&self.self_dir) {
            out.push(Family::single("process_open_fds", n as f64));
        }
        let limits = self.self_dir.join("limits");
        let limits_text = read_file(&limits)?;
        if let Some(max) = parse_max_fds(&limits_text).with_context(|| format!("parsing {}", limits.display()))? {
            out.push(Family::single("process_max_fds", max as f64));
        }
        out.push(Family::single("process_virtual_memory_bytes", st.vsize as f64));
        // Unlimited is RLIM_INFINITY, as the Go client reports it.
        if let Ok(vmax) = parse_limit(&limits_text, "Max address space") {
            out.push(Family::single("process_virtual_memory_max_bytes", vmax.unwrap_or(u64::MAX) as f64));
        }
        out.push(Family::single("process_threads", st.threads as f64));
        if let Some(bt) = btime {
            out.push(Family::single(
                "process_start_time_seconds",
                bt as f64 + st.start_ticks as f64 / USER_HZ,
            ));
        }
        Ok(out)
    }

    /// Per group, the counters of its members now plus those gone; per group
    /// and thread name, the number of threads and their counters now plus
    /// those of threads gone; the scrape error counters plus `errors`.
    fn account(&self, live: LiveProcs, threads_live: LiveThreads, errors: [u64; 3]) -> Accounted {
        let mut h = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        h.gone.resize(self.groups.len(), [0; COUNTERS]);
        let old = std::mem::replace(&mut h.live, live);
        for (key, (c, groups)) in old {
            if !h.live.contains_key(&key) {
                for g in groups {
                    add(&mut h.gone[g], &c);
                }
            }
        }
        let mut out = h.gone.clone();
        for (c, groups) in h.live.values() {
            for &g in groups {
                add(&mut out[g], c);
            }
        }

        let old = std::mem::replace(&mut h.threads_live, threads_live);
        for (key, (c, name, groups)) in old {
            if !h.threads_live.contains_key(&key) {
                for g in groups {
                    add(h.threads_gone.entry((g, name.clone())).or_default(), &c);
                }
            }
        }
        let mut threads: std::collections::BTreeMap<(usize, String), (u64, Counters)> = Default::default();
        for (c, name, groups) in h.threads_live.values() {
            for &g in groups {
                let t = threads.entry((g, name.clone())).or_default();
                t.0 += 1;
                add(&mut t.1, c);
            }
        }
        h.threads_gone.retain(|k, _| threads.contains_key(k));
        for (k, c) in &h.threads_gone {
            if let Some(t) = threads.get_mut(k) {
                add(&mut t.1, c);
            }
        }

        for (a, b) in h.errors.iter_mut().zip(errors) {
            *a = a.saturating_add(b);
        }
        (out, threads, h.errors)
    }

    fn groups(&self, btime: Option<u64>) -> anyhow::Result<Vec<Family>> {
        #[derive(Default, Clone)]
        struct Acc {
            procs: u64,
            rss: u64,
            vsize: u64,
            swap: u64,
            /// `Pss` and `SwapPss` (with `smaps`).
            pss: [u64; 2],
            fds: u64,
            threads: u64,
            oldest: Option<u64>,
            /// Running, Sleeping, Waiting, Zombie, Other.
            states: [u64; 5],
            worst_fd_ratio: f64,
            wchans: std::collections::BTreeMap<String, u64>,
        }
        let n = self.groups.len();
        let mut acc = vec![Acc::default(); n];
        let mut live = LiveProcs::new();
        let mut threads_live = LiveThreads::new();
        // General, per-process and partial read errors of this scrape.
        let mut errors = [0u64; 3];
        let need_cmdline = self.groups.iter().any(|g| matches!(g.matcher, Matcher::Cmdline(_)));
        let dir = self.paths.procfs.as_path();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                self.account(live, threads_live, [1, 0, 0]);
                return Err(anyhow::Error::new(e).context(format!("listing {}", dir.display())));
            }
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            if !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let pdir = e.path();
            // Processes come and go while we scan: a vanished one is simply
            // skipped; one whose stat cannot be read or parsed is an error.
            let st = match read_stat(&pdir) {
                Ok(st) => st,
                Err(e) if vanished(&e) => continue,
                Err(_) => {
                    errors[1] += 1;
                    continue;
                }
            };
            let cmdline = if need_cmdline {
                std::fs::read(pdir.join("cmdline"))
                    .map(|b| {
                        let s = String::from_utf8_lossy(&b).replace('\0', " ");
                        s.trim_end().to_string()
                    })
                    .unwrap_or_default()
            } else {
                String::new()
            };
            let member_of: Vec<usize> = (self.groups.iter().enumerate())
                .filter(|(_, g)| match &g.matcher {
                    Matcher::Name(r) => r.is_match(&st.comm),
                    Matcher::Cmdline(r) => r.is_match(&cmdline),
                })
                .map(|(i, _)| i)
                .collect();
            if member_of.is_empty() {
                continue;
            }
            // What a member's other files add. Other users' fd dirs and io
            // files are unreadable without privileges: as process-exporter,
            // count what we can (0 for what we cannot read) and count the
            // member in `namedprocess_scrape_partial_errors`.
            let (mut c, swap, mut partial) = task_counters(&pdir, &st);
            let fds = count_fds(&pdir).map_err(|_| partial = true).unwrap_or(0);
            let max_fds = match std::fs::read_to_string(pdir.join("limits")) {
                Ok(t) => parse_max_fds(&t).ok().flatten(),
                Err(_) => {
                    partial = true;
                    None
                }
            };
            let wchan = read_wchan(&pdir).map_err(|_| partial = true).ok().flatten();
            let pss = if self.smaps {
                let r = std::fs::read_to_string(pdir.join("smaps_rollup"))
                    .ok()
                    .and_then(|t| parse_smaps_rollup(&t).ok());
                partial |= r.is_none();
                r.unwrap_or([0, 0])
            } else {
                [0, 0]
            };
            let threads = if self.threads {
                read_threads(&pdir).map_err(|_| partial = true).unwrap_or_default()
            } else {
                Vec::new()
            };
            errors[2] += u64::from(partial);
            let mut states = [0u64; 5];
            states[state_index(st.state)] += 1;
            let mut wchans: Vec<&str> = wchan.as_deref().into_iter().collect();
            if !threads.is_empty() {
                // As process-exporter: with threads, the process' context
                // switches are its threads' (its status counts the main
                // thread only) and each thread counts in `states` too.
                c[6] = threads.iter().map(|t| t.counters[6]).sum();
                c[7] = threads.iter().map(|t| t.counters[7]).sum();
                for t in &threads {
                    states[t.state] += 1;
                    wchans.extend(t.wchan.as_deref());
                }
            }
            for &i in &member_of {
                let a = &mut acc[i];
                a.procs += 1;
                a.rss += st.rss_pages;
                a.vsize += st.vsize;
                a.swap += swap;
                a.pss[0] += pss[0];
                a.pss[1] += pss[1];
                a.threads += st.threads;
                a.oldest = Some(a.oldest.map_or(st.start_ticks, |o| o.min(st.start_ticks)));
                a.fds += fds;
                for (s, v) in a.states.iter_mut().zip(states) {
                    *s += v;
                }
                for w in &wchans {
                    *a.wchans.entry(w.to_string()).or_default() += 1;
                }
                if let Some(max) = max_fds.filter(|&m| m > 0) {
                    a.worst_fd_ratio = a.worst_fd_ratio.max(fds as f64 / max as f64);
                }
            }
            if let Ok(pid) = name.parse::<u32>() {
                for t in threads {
                    threads_live.insert(t.key, (t.counters, t.name, member_of.clone()));
                }
                live.insert((pid, st.start_ticks), (c, member_of));
            }
        }
        let (counters, threads, errors) = self.account(live, threads_live, errors);
        // process-exporter's families and labels.
        let fam = |name: &'static str, per_group: usize| Family::with_capacity(name, per_group * n);
        let mut procs = fam("namedprocess_namegroup_num_procs", 1);
        let mut cpu = fam("namedprocess_namegroup_cpu_seconds_total", 2);
        let mut read = fam("namedprocess_namegroup_read_bytes_total", 1);
        let mut write = fam("namedprocess_namegroup_write_bytes_total", 1);
        let mut major = fam("namedprocess_namegroup_major_page_faults_total", 1);
        let mut minor = fam("namedprocess_namegroup_minor_page_faults_total", 1);
        let mut ctx = fam("namedprocess_namegroup_context_switches_total", 2);
        let mut mem = fam("namedprocess_namegroup_memory_bytes", if self.smaps { 5 } else { 3 });
        let mut fds = fam("namedprocess_namegroup_open_filedesc", 1);
        let mut worst = fam("namedprocess_namegroup_worst_fd_ratio", 1);
        let mut threads_fam = fam("namedprocess_namegroup_num_threads", 1);
        let mut states = fam("namedprocess_namegroup_states", 5);
        let mut oldest = fam("namedprocess_namegroup_oldest_start_time_seconds", 1);
        let mut wchan = fam("namedprocess_namegroup_threads_wchan", 1);
        for (g, (a, c)) in self.groups.iter().zip(acc.iter().zip(&counters)) {
            let l = || vec![label("groupname", g.name.clone())];
            let l2 = |k: &'static str, v: &str| vec![label("groupname", g.name.clone()), label(k, v)];
            procs.push(l(), a.procs as f64);
            cpu.push(l2("mode", "user"), c[0] as f64 / USER_HZ);
            cpu.push(l2("mode", "system"), c[1] as f64 / USER_HZ);
            minor.push(l(), c[2] as f64);
            major.push(l(), c[3] as f64);
            read.push(l(), c[4] as f64);
            write.push(l(), c[5] as f64);
            ctx.push(l2("ctxswitchtype", "voluntary"), c[6] as f64);
            ctx.push(l2("ctxswitchtype", "nonvoluntary"), c[7] as f64);
            mem.push(l2("memtype", "resident"), a.rss as f64 * self.page_size);
            mem.push(l2("memtype", "virtual"), a.vsize as f64);
            mem.push(l2("memtype", "swapped"), a.swap as f64);
            if self.smaps {
                mem.push(l2("memtype", "proportionalResident"), a.pss[0] as f64);
                mem.push(l2("memtype", "proportionalSwapped"), a.pss[1] as f64);
            }
            fds.push(l(), a.fds as f64);
            worst.push(l(), a.worst_fd_ratio);
            threads_fam.push(l(), a.threads as f64);
            for (v, s) in a.states.iter().zip(["Running", "Sleeping", "Waiting", "Zombie", "Other"]) {
                states.push(l2("state", s), *v as f64);
            }
            // An empty group has no oldest process: 0, as process-exporter reports it.
            let start = match (a.oldest, btime) {
                (Some(t), Some(bt)) => bt as f64 + t as f64 / USER_HZ,
                _ => 0.0,
            };
            oldest.push(l(), start);
            for (w, v) in &a.wchans {
                wchan.push(l2("wchan", w), *v as f64);
            }
        }
        let mut out = vec![
            procs,
            cpu,
            read,
            write,
            major,
            minor,
            ctx,
            mem,
            fds,
            worst,
            threads_fam,
            states,
            oldest,
            wchan,
        ];
        if self.threads {
            out.extend(thread_families(&self.groups, &threads));
        }
        for (name, v) in [
            "namedprocess_scrape_errors",
            "namedprocess_scrape_procread_errors",
            "namedprocess_scrape_partial_errors",
        ]
        .into_iter()
        .zip(errors)
        {
            out.push(Family::single(name, v as f64));
        }
        Ok(out)
    }
}

/// Live members: (pid, start ticks) -> (counters, groups).
type LiveProcs = std::collections::HashMap<(u32, u64), (Counters, Vec<usize>)>;
/// Live threads of members: (tid, start ticks) -> (counters, thread name, groups).
type LiveThreads = std::collections::HashMap<(u32, u64), (Counters, String, Vec<usize>)>;
/// Per group counters; per (group, thread name) thread count and counters;
/// scrape error counters.
type Accounted = (
    Vec<Counters>,
    std::collections::BTreeMap<(usize, String), (u64, Counters)>,
    [u64; 3],
);

/// process-exporter's `thread_*` families, per group and thread name.
fn thread_families(groups: &[Group], threads: &std::collections::BTreeMap<(usize, String), (u64, Counters)>) -> Vec<Family> {
    let n = threads.len();
    let fam = |name: &'static str, per: usize| Family::with_capacity(name, per * n);
    let mut count = fam("namedprocess_namegroup_thread_count", 1);
    let mut cpu = fam("namedprocess_namegroup_thread_cpu_seconds_total", 2);
    let mut io = fam("namedprocess_namegroup_thread_io_bytes_total", 2);
    let mut major = fam("namedprocess_namegroup_thread_major_page_faults_total", 1);
    let mut minor = fam("namedprocess_namegroup_thread_minor_page_faults_total", 1);
    let mut ctx = fam("namedprocess_namegroup_thread_context_switches_total", 2);
    for ((g, name), (k, c)) in threads {
        let Some(g) = groups.get(*g) else { continue };
        let l = || vec![label("groupname", g.name.clone()), label("threadname", name.clone())];
        let l3 =
            |k: &'static str, v: &'static str| vec![label("groupname", g.name.clone()), label("threadname", name.clone()), label(k, v)];
        count.push(l(), *k as f64);
        cpu.push(l3("mode", "user"), c[0] as f64 / USER_HZ);
        cpu.push(l3("mode", "system"), c[1] as f64 / USER_HZ);
        minor.push(l(), c[2] as f64);
        major.push(l(), c[3] as f64);
        io.push(l3("iomode", "read"), c[4] as f64);
        io.push(l3("iomode", "write"), c[5] as f64);
        ctx.push(l3("ctxswitchtype", "voluntary"), c[6] as f64);
        ctx.push(l3("ctxswitchtype", "nonvoluntary"), c[7] as f64);
    }
    vec![count, cpu, io, major, minor, ctx]
}

impl Collector for Process {
    fn name(&self) -> &'static str {
        "process"
    }
    fn cheap(&self) -> bool {
        // Scanning every /proc/[pid] for groups is not.
        self.groups.is_empty()
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let btime = std::fs::read_to_string(self.paths.proc("stat"))
            .ok()
            .and_then(|t| super::stat::parse_btime(&t).ok());
        let mut out = self.own(btime)?;
        if !self.groups.is_empty() {
            out.extend(self.groups(btime)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_comm() {
        let text = "42 (my (weird) proc) S 1 42 42 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 7 0 12345 1000000 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";
        let st = parse_pid_stat(text).unwrap();
        assert_eq!(st.comm, "my (weird) proc");
        assert_eq!(st.cpu_ticks, 200);
        assert_eq!(st.threads, 7);
        assert_eq!(st.start_ticks, 12345);
        assert_eq!(st.rss_pages, 300);
        assert!(parse_pid_stat("42 (x) S 1 2").is_err());
        assert!(parse_pid_stat("garbage").is_err());
    }

    #[test]
    fn parses_status_and_io() {
        let st = parse_pid_status("Name:\tx\nVmSwap:\t      16 kB\nvoluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t3\n").unwrap();
        assert_eq!((st.swap_bytes, st.voluntary, st.nonvoluntary), (16384, 7, 3));
        // Kernel threads have no VmSwap line.
        assert_eq!(parse_pid_status("Name:\tkthreadd\n").unwrap(), ProcStatus::default());
        assert!(parse_pid_status("VmSwap:\tlots kB\n").is_err());
        assert_eq!(
            parse_pid_io("rchar: 5\nread_bytes: 4096\nwrite_bytes: 8192\n").unwrap(),
            [4096, 8192]
        );
        assert!(parse_pid_io("rchar: 5\n").is_err());
        let st = parse_pid_stat("1 (init) D 0 1 1 0 -1 0 11 0 22 0 1 1 0 0 20 0 1 0 1 1 1 0").unwrap();
        assert_eq!((st.state, st.minflt, st.majflt), ('D', 11, 22));
    }

    #[test]
    fn parses_limits() {
        let text = "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n";
        assert_eq!(parse_max_fds(text).unwrap(), Some(1024));
        assert_eq!(parse_max_fds("Max open files unlimited unlimited files\n").unwrap(), None);
        assert!(parse_max_fds("nothing").is_err());
    }
}
