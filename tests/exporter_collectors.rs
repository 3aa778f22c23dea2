//! Collector tests against the fixture tree `tests/fixtures/exporter`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use genmon::exporter::collectors::{self, Collector, ScrapeContext};
use genmon::exporter::config::{self, ExporterConfig};
use genmon::exporter::{Exporter, Family, Paths};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exporter")
}

fn paths() -> Paths {
    Paths {
        rootfs: fixtures().join("rootfs"),
        procfs: fixtures().join("proc"),
        sysfs: fixtures().join("sys"),
        udev_data: fixtures().join("rootfs/run/udev/data"),
    }
}

fn run(c: &dyn Collector) -> anyhow::Result<Vec<Family>> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ctx = ScrapeContext {
        deadline: Instant::now() + Duration::from_secs(5),
        handle: rt.handle().clone(),
    };
    c.collect(&ctx)
}

/// `name{k="v",...}` → value for every sample, label pairs in output order.
fn flat(fams: &[Family]) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for f in fams {
        for s in &f.samples {
            let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
            let l = if labels.is_empty() {
                String::new()
            } else {
                format!("{{{}}}", labels.join(","))
            };
            out.push((format!("{}{}{}", f.name, s.suffix, l), s.value));
        }
    }
    out
}

fn get(fams: &[Family], series: &str) -> f64 {
    flat(fams)
        .into_iter()
        .find(|(k, _)| k == series)
        .unwrap_or_else(|| panic!("no series {series} in {:#?}", flat(fams)))
        .1
}

fn absent(fams: &[Family], series_prefix: &str) -> bool {
    !flat(fams).iter().any(|(k, _)| k.starts_with(series_prefix))
}

#[test]
fn cpu() {
    let f = run(&collectors::cpu::Cpu::new(&paths())).unwrap();
    assert_eq!(get(&f, "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"}"), 10.0);
    assert_eq!(get(&f, "node_cpu_seconds_total{cpu=\"1\",mode=\"steal\"}"), 0.02);
    assert_eq!(get(&f, "node_cpu_seconds_total{cpu=\"1\",mode=\"idle\"}"), 250.0);
    assert_eq!(get(&f, "node_cpu_guest_seconds_total{cpu=\"1\",mode=\"user\"}"), 0.0);
    assert_eq!(flat(&f).len(), 20);
}

#[test]
fn memory_load_uptime() {
    let f = run(&collectors::meminfo::Meminfo::new(&paths())).unwrap();
    assert_eq!(get(&f, "node_memory_MemTotal_bytes"), 8000000.0 * 1024.0);
    assert_eq!(get(&f, "node_memory_MemAvailable_bytes"), 5000000.0 * 1024.0);
    assert_eq!(get(&f, "node_memory_SwapFree_bytes"), 1500000.0 * 1024.0);
    assert_eq!(get(&f, "node_memory_Cached_bytes"), 3000000.0 * 1024.0);
    let f = run(&collectors::loadavg::Loadavg::new(&paths())).unwrap();
    assert_eq!(get(&f, "node_load15"), 1.75);
    let f = run(&collectors::stat::Stat::new(&paths())).unwrap();
    assert_eq!(get(&f, "node_boot_time_seconds"), 1700000000.0);
}

#[test]
fn disk_excludes_partitions_and_loop() {
    let c = collectors::diskstats::Diskstats::new(&paths(), &Default::default()).unwrap();
    let f = run(&c).unwrap();
    assert_eq!(get(&f, "node_disk_read_bytes_total{device=\"sda\"}"), 20000.0 * 512.0);
    assert_eq!(get(&f, "node_disk_written_bytes_total{device=\"nvme0n1\"}"), 200000.0 * 512.0);
    assert_eq!(get(&f, "node_disk_io_time_seconds_total{device=\"sda\"}"), 1.5);
    assert_eq!(get(&f, "node_disk_reads_completed_total{device=\"dm-0\"}"), 100.0);
    for dev in ["sda1", "nvme0n1p1", "loop0"] {
        assert!(absent(&f, &format!("node_disk_read_bytes_total{{device=\"{dev}\"")), "{dev}");
    }
}

#[test]
fn network_excludes_lo_and_reads_operstate() {
    let c = collectors::netdev::Netdev::new(&paths(), &Default::default()).unwrap();
    let f = run(&c).unwrap();
    assert_eq!(get(&f, "node_network_receive_bytes_total{device=\"eth0\"}"), 1000000.0);
    assert_eq!(get(&f, "node_network_transmit_drop_total{device=\"eth0\"}"), 4.0);
    assert!(absent(&f, "node_network_receive_bytes_total{device=\"lo\""));
    let up = run(&collectors::netclass::Netclass::new(&paths())).unwrap();
    assert_eq!(get(&up, "node_network_up{device=\"eth0\"}"), 1.0);
    assert_eq!(get(&up, "node_network_up{device=\"wlan0\"}"), 0.0);
    let cfg = config::NetworkConfig {
        exclude_devices: Some(vec!["wlan.*".into()]),
    };
    let f = run(&collectors::netdev::Netdev::new(&paths(), &cfg).unwrap()).unwrap();
    assert_eq!(get(&f, "node_network_receive_packets_total{device=\"lo\"}"), 29.0);
    assert!(absent(&f, "node_network_receive_bytes_total{device=\"wlan0\""));
}

#[test]
fn filesystem_with_rootfs() {
    let c = collectors::filesystem::Filesystem::new(paths(), &Default::default()).unwrap();
    let f = run(&c).unwrap();
    let l = |mp: &str, dev: &str, fs: &str| format!("{{device=\"{dev}\",mountpoint=\"{mp}\",fstype=\"{fs}\"}}");
    // "/" is statvfs'ed at <rootfs>, "/data" at <rootfs>/data: both exist in the fixture tree.
    assert!(get(&f, &format!("node_filesystem_size_bytes{}", l("/", "/dev/vda", "ext4"))) > 0.0);
    assert_eq!(get(&f, &format!("node_filesystem_readonly{}", l("/data", "/dev/vdb", "ext4"))), 1.0);
    assert_eq!(get(&f, &format!("node_filesystem_readonly{}", l("/", "/dev/vda", "ext4"))), 0.0);
    // A mount point that does not exist is a device error, not a collector failure.
    assert_eq!(
        get(&f, &format!("node_filesystem_device_error{}", l("/missing", "/dev/vdc", "xfs"))),
        1.0
    );
    assert!(absent(&f, "node_filesystem_size_bytes{device=\"/dev/vdc\""));
    for excluded in ["proc", "sysfs", "devtmpfs", "overlay"] {
        assert!(
            absent(&f, &format!("node_filesystem_device_error{{device=\"{excluded}\"")),
            "{excluded}"
        );
    }
    let cfg = config::FilesystemConfig {
        exclude_fstypes: Some(vec!["ext4".into()]),
        exclude_mountpoints: Some(vec![]),
        mount_timeout: Some("1s".into()),
    };
    let f = run(&collectors::filesystem::Filesystem::new(paths(), &cfg).unwrap()).unwrap();
    assert!(absent(&f, "node_filesystem_size_bytes{device=\"/dev/vda\""));
    assert_eq!(get(&f, &format!("node_filesystem_device_error{}", l("/proc", "proc", "proc"))), 1.0);
}

#[test]
fn process_own_and_groups() {
    let groups = config::parse(
        "exporter:\n  process_groups:\n    - {name: nginx, match_name: '^nginx$'}\n    - {name: java-app, match_cmdline: 'java .*app\\.jar'}\n    - {name: none, match_name: '^nothing$'}\n",
    )
    .unwrap()
    .process_groups;
    let c = collectors::process::Process::new(paths(), fixtures().join("proc/self"), &groups).unwrap();
    let f = run(&c).unwrap();
    assert_eq!(get(&f, "process_cpu_seconds_total"), 3.0);
    assert_eq!(get(&f, "process_threads"), 5.0);
    assert_eq!(get(&f, "process_open_fds"), 3.0);
    assert_eq!(get(&f, "process_max_fds"), 1024.0);
    assert_eq!(get(&f, "process_start_time_seconds"), 1700000010.0);
    let page = get(&f, "process_resident_memory_bytes") / 2500.0;
    assert!(page >= 4096.0, "page size {page}");
    assert_eq!(get(&f, "namedprocess_namegroup_num_procs{groupname=\"nginx\"}"), 2.0);
    let cpu = |g: &str| {
        ["user", "system"]
            .map(|m| {
                get(
                    &f,
                    &format!("namedprocess_namegroup_cpu_seconds_total{{groupname=\"{g}\",mode=\"{m}\"}}"),
                )
            })
            .iter()
            .sum::<f64>()
    };
    assert_eq!(cpu("nginx"), 3.0);
    assert_eq!(
        get(&f, "namedprocess_namegroup_memory_bytes{groupname=\"nginx\",memtype=\"resident\"}"),
        1500.0 * page
    );
    assert_eq!(get(&f, "namedprocess_namegroup_open_filedesc{groupname=\"nginx\"}"), 6.0);
    assert_eq!(get(&f, "namedprocess_namegroup_num_procs{groupname=\"java-app\"}"), 1.0);
    assert_eq!(cpu("java-app"), 12.0);
    assert_eq!(get(&f, "namedprocess_namegroup_num_procs{groupname=\"none\"}"), 0.0);
    // process-exporter's other namegroup families: /proc/PID/{stat,status,io,limits}.
    let g = |name: &str, extra: &str| get(&f, &format!("namedprocess_namegroup_{name}{{groupname=\"nginx\"{extra}}}"));
    assert_eq!(g("read_bytes_total", ""), 1500.0);
    assert_eq!(g("write_bytes_total", ""), 300.0);
    assert_eq!(g("minor_page_faults_total", ""), 1200.0);
    assert_eq!(g("major_page_faults_total", ""), 7.0);
    assert_eq!(g("context_switches_total", ",ctxswitchtype=\"voluntary\""), 30.0);
    assert_eq!(g("context_switches_total", ",ctxswitchtype=\"nonvoluntary\""), 5.0);
    assert_eq!(g("memory_bytes", ",memtype=\"swapped\""), 12.0 * 1024.0);
    assert_eq!(g("states", ",state=\"Running\""), 1.0);
    assert_eq!(g("states", ",state=\"Sleeping\""), 1.0);
    for s in ["Waiting", "Zombie", "Other"] {
        assert_eq!(g("states", &format!(",state=\"{s}\"")), 0.0, "{s}");
    }
    // 4 open fds of a soft limit of 8 is worse than 2 of 1024.
    assert_eq!(g("worst_fd_ratio", ""), 0.5);
    // java has no readable io/status/limits (another user's process):
    // counted as 0, as process-exporter does, not a failed scrape.
    let java = |name: &str| get(&f, &format!("namedprocess_namegroup_{name}{{groupname=\"java-app\"}}"));
    assert_eq!(java("read_bytes_total"), 0.0);
    assert_eq!(java("worst_fd_ratio"), 0.0);
    assert_eq!(java("minor_page_faults_total"), 500.0);
}

#[test]
fn bad_proc_content_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stat"), "cpu0 1 2 x\n").unwrap();
    std::fs::write(dir.path().join("loadavg"), "garbage\n").unwrap();
    let p = Paths {
        rootfs: dir.path().into(),
        procfs: dir.path().into(),
        sysfs: dir.path().into(),
        udev_data: dir.path().into(),
    };
    let e = format!("{:#}", run(&collectors::cpu::Cpu::new(&p)).unwrap_err());
    assert!(e.contains("stat") && e.contains("system"), "{e}");
    let e = format!("{:#}", run(&collectors::loadavg::Loadavg::new(&p)).unwrap_err());
    assert!(e.contains("loadavg"), "{e}");
    let e = format!("{:#}", run(&collectors::meminfo::Meminfo::new(&p)).unwrap_err());
    assert!(e.contains("meminfo"), "{e}");
}

#[test]
fn textfile_good_files_merge() {
    let c = collectors::textfile::Textfile::new(Some(fixtures().join("textfile/good")));
    let f = run(&c).unwrap();
    assert_eq!(get(&f, "app_jobs_total{queue=\"a\"}"), 10.0);
    assert_eq!(get(&f, "app_jobs_total{queue=\"c\"}"), 1.0);
    assert_eq!(f.iter().filter(|f| f.name == "app_jobs_total").count(), 1, "merged into one family");
    assert_eq!(get(&f, "backup_last_success_timestamp_seconds"), 1.7e9);
    assert_eq!(get(&f, "node_textfile_scrape_error"), 0.0);
    let mtimes: Vec<_> = flat(&f)
        .into_iter()
        .filter(|(k, _)| k.starts_with("node_textfile_mtime_seconds"))
        .collect();
    assert_eq!(mtimes.len(), 2);
    assert!(mtimes.iter().all(|(_, v)| *v > 1e9));
}

#[test]
fn textfile_bad_file_sets_error_and_keeps_others() {
    let c = collectors::textfile::Textfile::new(Some(fixtures().join("textfile/mixed")));
    let f = run(&c).unwrap();
    assert_eq!(get(&f, "node_textfile_scrape_error"), 1.0);
    assert_eq!(get(&f, "app_jobs_total{queue=\"a\"}"), 10.0);
    assert!(absent(&f, "broken_metric"));
    assert!(absent(&f, "app_jobs_total{queue=\"z\"}"), "conflicting HELP rejects the whole file");
    let mtimes = flat(&f)
        .into_iter()
        .filter(|(k, _)| k.starts_with("node_textfile_mtime_seconds"))
        .count();
    assert_eq!(mtimes, 1);
    // No directory configured: no data, which is not a failure (node_exporter
    // still exports its error gauge).
    let f = run(&collectors::textfile::Textfile::new(None)).unwrap();
    assert_eq!(get(&f, "node_textfile_scrape_error"), 0.0);
    assert_eq!(flat(&f).len(), 1);
    // A missing directory is a scrape error.
    let f = run(&collectors::textfile::Textfile::new(Some("/nonexistent/genmon".into()))).unwrap();
    assert_eq!(get(&f, "node_textfile_scrape_error"), 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framework_times_collectors_and_separates_failure_from_no_data() {
    let dir = tempfile::tempdir().unwrap();
    let p = Paths {
        rootfs: dir.path().into(),
        procfs: dir.path().into(), // empty: cpu has nothing to read → failure
        sysfs: dir.path().into(),
        udev_data: dir.path().into(),
    };
    let e = Exporter::from_config(
        &p,
        &ExporterConfig::default(),
        &["cpu".into(), "textfile".into()],
        fixtures().join("proc/self"),
    )
    .unwrap();
    let text = e.scrape_within(Duration::from_secs(5)).await;
    assert!(text.contains("node_scrape_collector_success{collector=\"cpu\"} 0\n"), "{text}");
    assert!(text.contains("node_scrape_collector_success{collector=\"textfile\"} 1\n"), "{text}");
    assert!(
        text.contains("node_scrape_collector_duration_seconds{collector=\"cpu\"} "),
        "{text}"
    );
    assert!(text.contains("genmon_exporter_build_info{version=\""), "{text}");
    assert!(!text.contains("node_cpu_seconds_total"), "{text}");
    let err = Exporter::from_config(&p, &ExporterConfig::default(), &["gpu".into()], "/proc/self".into())
        .err()
        .unwrap();
    assert!(err.to_string().contains("unknown collector"));
}

/// A group member that exits keeps its CPU seconds in the group's counter
/// (process-exporter's semantics): a counter must not go down.
#[test]
fn process_group_cpu_is_a_counter_across_exits() {
    let dir = tempfile::tempdir().unwrap();
    for pid in ["100", "101", "102"] {
        let d = dir.path().join(pid);
        std::fs::create_dir_all(&d).unwrap();
        for f in ["stat", "cmdline", "io", "status"] {
            let src = fixtures().join("proc").join(pid).join(f);
            if src.exists() {
                std::fs::copy(src, d.join(f)).unwrap();
            }
        }
    }
    std::fs::copy(fixtures().join("proc/stat"), dir.path().join("stat")).unwrap();
    let p = Paths {
        rootfs: fixtures().join("rootfs"),
        procfs: dir.path().into(),
        sysfs: fixtures().join("sys"),
        udev_data: fixtures().join("rootfs/run/udev/data"),
    };
    let groups = config::parse("exporter:\n  process_groups:\n    - {name: nginx, match_name: '^nginx$'}\n")
        .unwrap()
        .process_groups;
    let c = collectors::process::Process::new(p, fixtures().join("proc/self"), &groups).unwrap();
    let cpu = |f: &[Family], m: &str| {
        get(
            f,
            &format!("namedprocess_namegroup_cpu_seconds_total{{groupname=\"nginx\",mode=\"{m}\"}}"),
        )
    };
    let before = run(&c).unwrap();
    assert_eq!((cpu(&before, "user"), cpu(&before, "system")), (1.5, 1.5));
    std::fs::remove_dir_all(dir.path().join("101")).unwrap();
    let after = run(&c).unwrap();
    assert_eq!(get(&after, "namedprocess_namegroup_num_procs{groupname=\"nginx\"}"), 1.0);
    // So do the other counters: bytes read, page faults, context switches.
    for (name, v) in [
        ("read_bytes_total", 1500.0),
        ("major_page_faults_total", 7.0),
        ("context_switches_total{groupname=\"nginx\",ctxswitchtype=\"voluntary\"}", 30.0),
    ] {
        let key = if name.contains('{') {
            format!("namedprocess_namegroup_{name}")
        } else {
            format!("namedprocess_namegroup_{name}{{groupname=\"nginx\"}}")
        };
        assert_eq!((get(&before, &key), get(&after, &key)), (v, v), "{key}");
    }
    assert_eq!(
        (cpu(&after, "user"), cpu(&after, "system")),
        (1.5, 1.5),
        "the exited member's CPU stays counted"
    );
}

/// A copy of the fixture tree's `stat` and the listed pid directories, so a
/// test can change processes and threads between scrapes.
fn proc_copy(pids: &[&str]) -> (tempfile::TempDir, Paths) {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                copy(&e.path(), &to.join(e.file_name()));
            } else {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    for pid in pids {
        copy(&fixtures().join("proc").join(pid), &dir.path().join(pid));
    }
    std::fs::copy(fixtures().join("proc/stat"), dir.path().join("stat")).unwrap();
    let p = Paths {
        procfs: dir.path().into(),
        ..paths()
    };
    (dir, p)
}

fn worker_group(p: Paths, threads: bool, smaps: bool) -> collectors::process::Process {
    let groups = config::parse("exporter:\n  process_groups:\n    - {name: worker, match_name: '^worker$'}\n")
        .unwrap()
        .process_groups;
    collectors::process::Process::new(p, fixtures().join("proc/self"), &groups)
        .unwrap()
        .gather(threads, smaps)
}

#[test]
fn process_group_threads_smaps_and_wchan_as_process_exporter() {
    let (dir, p) = proc_copy(&["100", "103"]);
    let c = worker_group(p.clone(), true, true);
    let f = run(&c).unwrap();
    let g = |rest: &str| get(&f, &format!("namedprocess_namegroup_{rest}"));
    let t = |fam: &str, thread: &str, extra: &str| {
        get(
            &f,
            &format!("namedprocess_namegroup_{fam}{{groupname=\"worker\",threadname=\"{thread}\"{extra}}}"),
        )
    };
    // Per thread name: count, CPU (ticks / 100), I/O, faults, context switches.
    assert_eq!(t("thread_count", "worker", ""), 1.0);
    assert_eq!(t("thread_count", "pool-1", ""), 1.0);
    assert_eq!(t("thread_cpu_seconds_total", "pool-1", ",mode=\"user\""), 0.04);
    assert_eq!(t("thread_cpu_seconds_total", "pool-1", ",mode=\"system\""), 0.08);
    assert_eq!(t("thread_io_bytes_total", "worker", ",iomode=\"read\""), 100.0);
    assert_eq!(t("thread_io_bytes_total", "pool-1", ",iomode=\"write\""), 400.0);
    assert_eq!(t("thread_major_page_faults_total", "worker", ""), 2.0);
    assert_eq!(t("thread_minor_page_faults_total", "pool-1", ""), 10.0);
    assert_eq!(t("thread_context_switches_total", "pool-1", ",ctxswitchtype=\"voluntary\""), 7.0);
    assert_eq!(t("thread_context_switches_total", "worker", ",ctxswitchtype=\"nonvoluntary\""), 1.0);
    // With threads, the group's context switches are its threads' (status
    // counts the main thread only) and threads count in `states`.
    assert_eq!(g("context_switches_total{groupname=\"worker\",ctxswitchtype=\"voluntary\"}"), 12.0);
    assert_eq!(g("states{groupname=\"worker\",state=\"Sleeping\"}"), 2.0);
    assert_eq!(g("states{groupname=\"worker\",state=\"Running\"}"), 1.0);
    // wchan: the process' and each thread's, `0` (running) not counted.
    assert_eq!(g("threads_wchan{groupname=\"worker\",wchan=\"do_epoll_wait\"}"), 2.0);
    assert!(absent(&f, "namedprocess_namegroup_threads_wchan{groupname=\"worker\",wchan=\"0\""));
    // smaps_rollup, kB -> bytes.
    assert_eq!(
        g("memory_bytes{groupname=\"worker\",memtype=\"proportionalResident\"}"),
        1234.0 * 1024.0
    );
    assert_eq!(
        g("memory_bytes{groupname=\"worker\",memtype=\"proportionalSwapped\"}"),
        10.0 * 1024.0
    );
    assert_eq!(g("memory_bytes{groupname=\"worker\",memtype=\"swapped\"}"), 16.0 * 1024.0);
    for e in ["errors", "procread_errors", "partial_errors"] {
        assert_eq!(get(&f, &format!("namedprocess_scrape_{e}")), 0.0, "{e}");
    }

    // A thread exits and another of the same name starts: the name's
    // counters keep what the first counted.
    let task = dir.path().join("103/task");
    std::fs::remove_dir_all(task.join("104")).unwrap();
    std::fs::create_dir_all(task.join("105")).unwrap();
    std::fs::write(
        task.join("105/stat"),
        "105 (pool-1) S 1 103 103 0 -1 4194560 1 0 0 0 1 0 0 0 20 0 2 0 7200 200000000 3000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0",
    )
    .unwrap();
    let f = run(&c).unwrap();
    let user = get(
        &f,
        "namedprocess_namegroup_thread_cpu_seconds_total{groupname=\"worker\",threadname=\"pool-1\",mode=\"user\"}",
    );
    assert_eq!(user, 0.05);
    // 105 has no io, status nor wchan: counted as 0, not an error.
    assert_eq!(get(&f, "namedprocess_scrape_partial_errors"), 0.0);

    // Without the options: none of the thread families, no PSS, the main
    // thread's context switches, processes only in `states`.
    let plain = run(&worker_group(p.clone(), false, false)).unwrap();
    assert!(absent(&plain, "namedprocess_namegroup_thread_"));
    assert!(absent(
        &plain,
        "namedprocess_namegroup_memory_bytes{groupname=\"worker\",memtype=\"proportional"
    ));
    assert_eq!(
        get(
            &plain,
            "namedprocess_namegroup_context_switches_total{groupname=\"worker\",ctxswitchtype=\"voluntary\"}"
        ),
        5.0
    );
    assert_eq!(
        get(&plain, "namedprocess_namegroup_states{groupname=\"worker\",state=\"Sleeping\"}"),
        1.0
    );
    assert_eq!(
        get(
            &plain,
            "namedprocess_namegroup_threads_wchan{groupname=\"worker\",wchan=\"do_epoll_wait\"}"
        ),
        1.0
    );
}

#[test]
fn process_group_scrape_error_counters() {
    let (dir, p) = proc_copy(&["103"]);
    let c = worker_group(p, false, true);
    let count = |f: &[Family], e: &str| get(f, &format!("namedprocess_scrape_{e}"));
    // A member whose io and smaps_rollup are unreadable is one partial error
    // per scrape; a process whose stat cannot be parsed, a procread error.
    std::fs::remove_file(dir.path().join("103/io")).unwrap();
    std::fs::remove_file(dir.path().join("103/smaps_rollup")).unwrap();
    std::fs::create_dir_all(dir.path().join("666")).unwrap();
    std::fs::write(dir.path().join("666/stat"), "garbage").unwrap();
    run(&c).unwrap();
    let f = run(&c).unwrap();
    assert_eq!((count(&f, "partial_errors"), count(&f, "procread_errors")), (2.0, 2.0));
    // The io that could not be read counts 0.
    assert_eq!(get(&f, "namedprocess_namegroup_read_bytes_total{groupname=\"worker\"}"), 0.0);
    // /proc cannot be listed: the collector fails and the general counter
    // says so once /proc is back.
    let moved = dir.path().with_extension("moved");
    std::fs::rename(dir.path(), &moved).unwrap();
    assert!(run(&c).is_err());
    std::fs::rename(&moved, dir.path()).unwrap();
    let f = run(&c).unwrap();
    assert_eq!(count(&f, "errors"), 1.0);
    assert_eq!(count(&f, "partial_errors"), 3.0);
}

#[test]
fn a_missing_source_is_no_data_not_a_failure() {
    // node_exporter's ErrNoData: logged at debug, not as a failed collector
    // on every scrape. The fixture /proc has no mdstat, schedstat nor rpc.
    let p = paths();
    let cs: [Box<dyn Collector>; 4] = [
        Box::new(collectors::mdadm::Mdadm::new(&p)),
        Box::new(collectors::nfs::Nfs::new(&p)),
        Box::new(collectors::nfsd::Nfsd::new(&p)),
        Box::new(collectors::schedstat::Schedstat::new(&p)),
    ];
    for c in &cs {
        let e = run(c.as_ref()).err().unwrap_or_else(|| panic!("{}: no error", c.name()));
        assert!(e.downcast_ref::<collectors::NoData>().is_some(), "{}: {e:#}", c.name());
    }
    // Any other read error stays a failure.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("mdstat")).unwrap();
    let p = Paths {
        procfs: dir.path().into(),
        ..paths()
    };
    let e = run(&collectors::mdadm::Mdadm::new(&p)).unwrap_err();
    assert!(e.downcast_ref::<collectors::NoData>().is_none(), "{e:#}");
}
