//! `process_*` and `tokio_*` metrics, read at scrape time and appended to the
//! recorder's output in the Prometheus text format (the `metrics` facade has
//! no fractional counters, and these values are sampled, not recorded).

use std::fmt::Write as _;

fn family(out: &mut String, name: &str, kind: &str, help: &str, value: f64) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
}

/// Appends the process metrics (Linux: from /proc/self; elsewhere none).
pub(crate) fn write_process(out: &mut String) {
    #[cfg(target_os = "linux")]
    if let Some(p) = linux::read() {
        family(
            out,
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            p.cpu_seconds,
        );
        family(
            out,
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            p.resident_bytes,
        );
        family(
            out,
            "process_virtual_memory_bytes",
            "gauge",
            "Virtual memory size in bytes.",
            p.virtual_bytes,
        );
        family(
            out,
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since unix epoch in seconds.",
            p.start_time,
        );
        family(out, "process_threads", "gauge", "Number of OS threads in the process.", p.threads);
        if let Some(fds) = p.open_fds {
            family(out, "process_open_fds", "gauge", "Number of open file descriptors.", fds);
        }
        if let Some(max) = p.max_fds {
            family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.", max);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = out;
}

/// Appends the tokio runtime metrics of `handle`. `thread_name` is the name
/// the runtime gives its threads (see [`runtime_thread_name`]); without it (or
/// off Linux) `tokio_blocking_threads` is left out rather than guessed.
pub(crate) fn write_tokio(out: &mut String, handle: &tokio::runtime::Handle, thread_name: Option<&str>) {
    let m = handle.metrics();
    let workers = m.num_workers();
    family(
        out,
        "tokio_workers",
        "gauge",
        "Worker threads of the tokio runtime.",
        workers as f64,
    );
    #[cfg(target_os = "linux")]
    if let Some(count) = thread_name.and_then(linux::threads_named) {
        // A multi-thread runtime starts its workers through the blocking
        // pool, so they carry the same name; a current-thread runtime's
        // worker is the thread calling block_on, named by its owner.
        let blocking = match handle.runtime_flavor() {
            tokio::runtime::RuntimeFlavor::CurrentThread => count,
            _ => count.saturating_sub(workers),
        };
        family(
            out,
            "tokio_blocking_threads",
            "gauge",
            "Threads of the tokio runtime's blocking pool (busy or idle), workers excluded.",
            blocking as f64,
        );
    }
    #[cfg(not(target_os = "linux"))]
    let _ = thread_name;
    family(
        out,
        "tokio_alive_tasks",
        "gauge",
        "Tasks alive in the tokio runtime.",
        m.num_alive_tasks() as f64,
    );
    family(
        out,
        "tokio_global_queue_depth",
        "gauge",
        "Tasks waiting in the tokio runtime's global queue.",
        m.global_queue_depth() as f64,
    );
    #[cfg(target_has_atomic = "64")]
    {
        let busy: f64 = (0..workers).map(|w| m.worker_total_busy_duration(w).as_secs_f64()).sum();
        let parks: u64 = (0..workers).map(|w| m.worker_park_count(w)).sum();
        family(
            out,
            "tokio_worker_busy_seconds_total",
            "counter",
            "Time tokio workers spent busy, summed over workers.",
            busy,
        );
        family(
            out,
            "tokio_worker_parks_total",
            "counter",
            "Times tokio workers parked, summed over workers.",
            parks as f64,
        );
    }
}

/// The name the current runtime gives its threads (`Builder::thread_name`,
/// default `tokio-runtime-worker`), asked of one of its blocking-pool threads
/// (tokio has no stable accessor). That thread then idles in the pool for
/// the runtime's keep-alive (10 s by default) like any other.
pub(crate) async fn runtime_thread_name() -> Option<String> {
    tokio::task::spawn_blocking(|| std::thread::current().name().map(str::to_owned))
        .await
        .ok()
        .flatten()
}

#[cfg(target_os = "linux")]
mod linux {
    /// Threads of this process whose name is `name` as the kernel keeps it
    /// (`/proc/self/task/*/comm`: the first 15 bytes; Rust's std truncates
    /// thread names the same way). None when /proc cannot be read.
    pub(super) fn threads_named(name: &str) -> Option<usize> {
        let want = &name.as_bytes()[..name.len().min(15)];
        let mut n = 0;
        for task in std::fs::read_dir("/proc/self/task").ok()? {
            let Ok(task) = task else { continue };
            // A thread that exited since the listing has no comm: not counted.
            let Ok(comm) = std::fs::read(task.path().join("comm")) else {
                continue;
            };
            if comm.strip_suffix(b"\n").unwrap_or(&comm) == want {
                n += 1;
            }
        }
        Some(n)
    }

    pub(super) struct Process {
        pub cpu_seconds: f64,
        pub resident_bytes: f64,
        pub virtual_bytes: f64,
        pub start_time: f64,
        pub threads: f64,
        pub open_fds: Option<f64>,
        pub max_fds: Option<f64>,
    }

    pub(super) fn read() -> Option<Process> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let boot = std::fs::read_to_string("/proc/stat").ok()?;
        parse(&stat, &boot, ticks_per_second()?, page_size()?).map(|mut p| {
            p.open_fds = std::fs::read_dir("/proc/self/fd").ok().map(|d| d.count() as f64);
            p.max_fds = max_fds();
            p
        })
    }

    /// Parses /proc/self/stat (proc(5)) and the `btime` line of /proc/stat.
    pub(super) fn parse(stat: &str, proc_stat: &str, ticks: f64, page: f64) -> Option<Process> {
        // The command name (field 2) may hold spaces and parentheses: the
        // fields that follow start after the last ')'; field 3 is at index 0.
        let rest = &stat[stat.rfind(')')? + 1..];
        let f: Vec<&str> = rest.split_ascii_whitespace().collect();
        let field = |n: usize| -> Option<f64> { f.get(n - 3)?.parse().ok() };
        let btime: f64 = proc_stat.lines().find_map(|l| l.strip_prefix("btime "))?.trim().parse().ok()?;
        Some(Process {
            cpu_seconds: (field(14)? + field(15)?) / ticks,
            threads: field(20)?,
            start_time: btime + field(22)? / ticks,
            virtual_bytes: field(23)?,
            resident_bytes: field(24)? * page,
            open_fds: None,
            max_fds: None,
        })
    }

    fn ticks_per_second() -> Option<f64> {
        // SAFETY: sysconf has no preconditions.
        let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        (t > 0).then_some(t as f64)
    }

    fn page_size() -> Option<f64> {
        // SAFETY: sysconf has no preconditions.
        let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        (p > 0).then_some(p as f64)
    }

    fn max_fds() -> Option<f64> {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit writes into the rlimit we own.
        let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
        (rc == 0 && lim.rlim_cur != libc::RLIM_INFINITY).then_some(lim.rlim_cur as f64)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::linux::parse;

    #[test]
    fn parses_proc_stat_with_parentheses_in_the_name() {
        let stat = "4242 (we ird) (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 7 0 1000 104857600 2560 18446744073709551615";
        let p = parse(stat, "cpu 1 2 3\nbtime 1700000000\n", 100.0, 4096.0).expect("parses");
        assert_eq!(p.cpu_seconds, 4.0);
        assert_eq!(p.threads, 7.0);
        assert_eq!(p.start_time, 1_700_000_010.0);
        assert_eq!(p.virtual_bytes, 104_857_600.0);
        assert_eq!(p.resident_bytes, 2560.0 * 4096.0);
    }

    #[test]
    fn truncated_stat_is_none_not_a_panic() {
        assert!(parse("1 (x) S 1 2", "btime 5\n", 100.0, 4096.0).is_none());
        assert!(parse("no paren", "btime 5\n", 100.0, 4096.0).is_none());
        assert!(
            parse(
                "1 (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 7 0 1000 1 2",
                "",
                100.0,
                4096.0
            )
            .is_none()
        );
    }
}
