//! genmon-exporter as a drop-in node_exporter: the real Debian
//! `prometheus-node-exporter` and genmon-exporter run side by side on this
//! host (and on fixture /proc and /sys trees), and every family
//! node_exporter exposes is compared: name, type, label names, HELP, the
//! label sets of its series, and values of stable gauges.

#[path = "common/mod.rs"]
mod common;
#[path = "exporter_util.rs"]
mod util;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use genmon::exporter::metric::{Family, Kind};
use genmon::exporter::textformat;
use util::{ExporterProc, get, promtool_check_raw as promtool_check};

/// A running node_exporter on an ephemeral 127.0.0.1 port, killed by PID on drop.
struct NodeExporter {
    child: Child,
    addr: String,
}

impl NodeExporter {
    fn start(args: &[&str]) -> NodeExporter {
        let bin = common::tool("prometheus-node-exporter", "prometheus-node-exporter");
        for _attempt in 0..5 {
            // node_exporter cannot report a port it picked: take a free one and
            // retry if another process grabs it meanwhile.
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let addr = format!("127.0.0.1:{port}");
            let mut child = Command::new(&bin)
                .arg(format!("--web.listen-address={addr}"))
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawning prometheus-node-exporter");
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if std::net::TcpStream::connect(&addr).is_ok() {
                    return NodeExporter { child, addr };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("prometheus-node-exporter did not start listening");
    }
}

impl Drop for NodeExporter {
    fn drop(&mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

fn scrape(addr: &str) -> (String, Vec<Family>) {
    let r = get(addr, "/metrics", &[]);
    assert_eq!(r.status, 200, "{addr}: {}", r.text());
    let text = r.text();
    let fams = textformat::parse(&text, "").unwrap_or_else(|e| panic!("{addr}: unparsable exposition: {e:#}"));
    (text, fams)
}

/// Families node_exporter may export that genmon-exporter does not, and why.
/// Prefixes end with `_`.
const DIFFERENCES: &[(&str, &str)] = &[
    (
        "node_exporter_build_info",
        "node_exporter's own build (Go version, revision); genmon-exporter reports genmon_exporter_build_info{version} rather than impersonate node_exporter's build",
    ),
    (
        "node_power_supply_",
        "powersupplyclass collector not implemented (not in the issue's list)",
    ),
    ("node_bcache_", "bcache collector not implemented (not in the issue's list)"),
    ("node_bonding_", "bonding collector not implemented (not in the issue's list)"),
    ("node_btrfs_", "btrfs collector not implemented (not in the issue's list)"),
    ("node_xfs_", "xfs collector not implemented (not in the issue's list)"),
    ("node_zfs_", "zfs collector not implemented (not in the issue's list)"),
    ("node_dmi_", "dmi collector not implemented (not in the issue's list)"),
    (
        "node_fibrechannel_",
        "fibrechannel collector not implemented (not in the issue's list)",
    ),
    ("node_infiniband_", "infiniband collector not implemented (not in the issue's list)"),
    ("node_ipvs_", "ipvs collector not implemented (not in the issue's list)"),
    ("node_nvme_", "nvme collector not implemented (not in the issue's list)"),
    ("node_rapl_", "rapl collector not implemented (not in the issue's list)"),
    ("node_tape_", "tapestats collector not implemented (not in the issue's list)"),
    (
        "node_systemd_",
        "systemd collector (on by default in Debian's build, off upstream; it talks to systemd over D-Bus): not implemented",
    ),
];

/// Samples whose values differ from node_exporter 1.5's on purpose: family,
/// the `method` label values concerned, and why.
const VALUE_DIFFERENCES: &[(&str, &[&str], &str)] = &[(
    "node_nfsd_requests_total",
    &["Verify", "Write", "RelLockOwner"],
    "node_exporter 1.5's procfs reads these NFSv4 operations from the slots of SetClientID, SetClientIDConfirm and Verify in /proc/net/rpc/nfsd (fixed in later procfs); genmon-exporter reads the kernel's slots",
)];

fn value_difference(name: &str, key: &SeriesKey) -> Option<&'static str> {
    let method = key.iter().find(|(k, _)| k == "method").map(|(_, v)| v.as_str());
    VALUE_DIFFERENCES
        .iter()
        .find(|(n, methods, _)| *n == name && method.is_some_and(|m| methods.contains(&m)))
        .map(|(_, _, why)| *why)
}

fn known_difference(name: &str) -> Option<&'static str> {
    DIFFERENCES
        .iter()
        .find(|(p, _)| if p.ends_with('_') { name.starts_with(p) } else { name == *p })
        .map(|(_, why)| *why)
}

type SeriesKey = Vec<(String, String)>;

fn series(f: &Family) -> BTreeSet<SeriesKey> {
    f.samples
        .iter()
        .map(|s| {
            let mut l: SeriesKey = s.labels.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
            l.sort();
            l
        })
        .collect()
}

fn label_names(f: &Family) -> BTreeSet<String> {
    f.samples.iter().flat_map(|s| s.labels.iter().map(|(k, _)| k.to_string())).collect()
}

/// Compare every node_exporter family (Go runtime and promhttp aside).
/// Returns (families compared, families that match, problems, known differences met).
/// node_exporter's own `process_*` come from its Go client whatever the
/// collectors; genmon-exporter's from its `process` collector, so they are
/// compared only when that collector runs (`compare_process`).
fn compare(ne: &[Family], ge: &[Family], compare_series: bool, compare_process: bool) -> (usize, usize, Vec<String>, Vec<String>) {
    let ge: BTreeMap<&str, &Family> = ge.iter().map(|f| (f.name.as_ref(), f)).collect();
    let (mut total, mut ok, mut problems, mut known) = (0, 0, Vec::new(), Vec::new());
    for f in ne {
        if f.name.starts_with("go_") || f.name.starts_with("promhttp_") || (!compare_process && f.name.starts_with("process_")) {
            continue;
        }
        total += 1;
        let Some(g) = ge.get(f.name.as_ref()) else {
            match known_difference(&f.name) {
                Some(why) => known.push(format!("{}: {why}", f.name)),
                None => problems.push(format!("{}: missing from genmon-exporter", f.name)),
            }
            continue;
        };
        let mut p = Vec::new();
        if f.kind != g.kind {
            p.push(format!("type {} vs {}", f.kind.as_str(), g.kind.as_str()));
        }
        if f.help != g.help {
            p.push(format!("HELP {:?} vs {:?}", f.help, g.help));
        }
        if label_names(f) != label_names(g) {
            p.push(format!("labels {:?} vs {:?}", label_names(f), label_names(g)));
        }
        // The collector sets differ by design; their label *names* are compared above.
        if compare_series && !f.name.starts_with("node_scrape_collector_") {
            let (a, b) = (series(f), series(g));
            if a != b {
                p.push(format!(
                    "series only in node_exporter {:?}, only in genmon-exporter {:?}",
                    a.difference(&b).collect::<Vec<_>>(),
                    b.difference(&a).collect::<Vec<_>>()
                ));
            }
        }
        if p.is_empty() {
            ok += 1;
        } else {
            problems.push(format!("{}: {}", f.name, p.join("; ")));
        }
    }
    (total, ok, problems, known)
}

fn value(fams: &[Family], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    fams.iter().find(|f| f.name == name)?.samples.iter().find_map(|s| {
        labels
            .iter()
            .all(|(k, v)| s.labels.iter().any(|(lk, lv)| lk == k && lv == v))
            .then_some(s.value)
    })
}

fn success_by_collector(fams: &[Family]) -> BTreeMap<String, f64> {
    fams.iter()
        .filter(|f| f.name == "node_scrape_collector_success")
        .flat_map(|f| &f.samples)
        .map(|s| (s.labels[0].1.clone(), s.value))
        .collect()
}

#[test]
fn same_families_as_node_exporter_on_this_host() {
    let ne_proc = NodeExporter::start(&[]);
    let ge_proc = ExporterProc::start(&[]);
    let (ne_text, ne) = scrape(&ne_proc.addr);
    let (ge_text, ge) = scrape(&ge_proc.addr);

    let (total, ok, problems, known) = compare(&ne, &ge, true, true);
    eprintln!("node_exporter families: {total}; identical in genmon-exporter: {ok}");
    for k in &known {
        eprintln!("  known difference: {k}");
    }
    for p in &problems {
        eprintln!("  PROBLEM: {p}");
    }
    assert!(
        problems.is_empty(),
        "{} families differ from node_exporter:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        total >= 100,
        "node_exporter exported only {total} families; is it running with its default collectors?"
    );
    assert!(
        ok * 100 >= total * 95,
        "only {ok} of {total} node_exporter families match (goal: 95%)"
    );

    // Collectors both have agree on success (including "no data" on this host).
    let (ns, gs) = (success_by_collector(&ne), success_by_collector(&ge));
    for (c, v) in &gs {
        if let Some(nv) = ns.get(c) {
            assert_eq!(
                v, nv,
                "node_scrape_collector_success{{collector={c:?}}}: genmon {v}, node_exporter {nv}"
            );
        }
    }

    // Stable values agree.
    let exact = |name: &str, labels: &[(&str, &str)]| {
        let (a, b) = (value(&ne, name, labels), value(&ge, name, labels));
        assert!(a.is_some(), "node_exporter lacks {name}{labels:?}");
        assert_eq!(a, b, "{name}{labels:?}: node_exporter {a:?}, genmon-exporter {b:?}");
    };
    exact("node_memory_MemTotal_bytes", &[]);
    exact("node_memory_SwapTotal_bytes", &[]);
    exact("node_boot_time_seconds", &[]);
    exact("node_filefd_maximum", &[]);
    exact("node_entropy_pool_size_bits", &[]);
    exact("node_nf_conntrack_entries_limit", &[]);
    exact("node_filesystem_size_bytes", &[("mountpoint", "/")]);
    exact("node_filesystem_files", &[("mountpoint", "/")]);
    exact("node_network_mtu_bytes", &[("device", "lo")]);
    exact("node_os_version", &[]);
    exact("node_uname_info", &[]);
    let cpus = |f: &[Family]| {
        value(f, "node_cpu_seconds_total", &[]).map(|_| {
            f.iter()
                .find(|x| x.name == "node_cpu_seconds_total")
                .unwrap()
                .samples
                .iter()
                .filter(|s| s.labels.iter().any(|(k, v)| k == "mode" && v == "idle"))
                .count()
        })
    };
    assert_eq!(cpus(&ne), cpus(&ge), "CPU count");
    // Slowly moving values: within 5% (or 1 unit) of what node_exporter read
    // just before and just after genmon-exporter's scrape (memory moves
    // while other tests start browsers and servers).
    let (_, ne_after) = scrape(&ne_proc.addr);
    for name in ["node_memory_MemAvailable_bytes", "node_load15"] {
        let (a1, a2, b) = (
            value(&ne, name, &[]).unwrap(),
            value(&ne_after, name, &[]).unwrap(),
            value(&ge, name, &[]).unwrap(),
        );
        let slack = (a1.abs().max(a2.abs()) * 0.05).max(1.0);
        assert!(
            b >= a1.min(a2) - slack && b <= a1.max(a2) + slack,
            "{name}: node_exporter {a1} then {a2}, genmon-exporter {b} in between"
        );
    }
    let (a, b) = (
        value(&ne, "node_time_seconds", &[]).unwrap(),
        value(&ge, "node_time_seconds", &[]).unwrap(),
    );
    assert!((a - b).abs() < 30.0, "node_time_seconds: {a} vs {b}");

    assert_lint_clean(&ge_text, &ne_text);
    assert!(
        ge.iter()
            .all(|f| f.kind != Kind::Untyped || f.name.starts_with("node_netstat_") || f.name.starts_with("node_vmstat_"))
    );
}

/// Write `files` (path relative to `root`, content) under `root`.
fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (rel, content) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
    }
}

#[test]
fn same_output_as_node_exporter_on_fixture_trees() {
    // Collectors whose data this host lacks, on the fixture trees under
    // tests/fixtures/node (copied, since node_exporter must see plain files).
    let fixtures = common::root().join("tests/fixtures/node");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures, dir.path());
    let (procfs, sysfs) = (dir.path().join("proc"), dir.path().join("sys"));
    let collectors = [
        "cpu",
        "cpufreq",
        "edac",
        "entropy",
        "filefd",
        "loadavg",
        "meminfo",
        "netstat",
        "pressure",
        "schedstat",
        "sockstat",
        "softnet",
        "stat",
        "thermal_zone",
        "udp_queues",
        "vmstat",
        "arp",
        "conntrack",
        "mdadm",
        "hwmon",
        "nfs",
        "nfsd",
        "diskstats",
    ];
    let mut args: Vec<String> = vec![
        format!("--path.procfs={}", procfs.display()),
        format!("--path.sysfs={}", sysfs.display()),
        format!("--path.udev.data={}", dir.path().join("udev").display()),
        "--collector.disable-defaults".into(),
        "--collector.textfile".into(),
        format!("--collector.textfile.directory={}", dir.path().join("textfile").display()),
    ];
    args.extend(collectors.iter().map(|c| format!("--collector.{c}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ne_proc = NodeExporter::start(&args);
    let ge_proc = ExporterProc::start(&args);
    let (ne_text, ne) = scrape(&ne_proc.addr);
    let (ge_text, ge) = scrape(&ge_proc.addr);
    let (total, ok, problems, _) = compare(&ne, &ge, true, false);
    // Values too: the fixtures are static, so every sample must be equal.
    let mut value_problems = Vec::new();
    let gmap: BTreeMap<&str, &Family> = ge.iter().map(|f| (f.name.as_ref(), f)).collect();
    for f in ne
        .iter()
        .filter(|f| f.name.starts_with("node_") && !f.name.starts_with("node_scrape_"))
    {
        let Some(g) = gmap.get(f.name.as_ref()) else { continue };
        for s in &f.samples {
            let mut key: SeriesKey = s.labels.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
            key.sort();
            let gv = g.samples.iter().find(|x| {
                let mut k2: SeriesKey = x.labels.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
                k2.sort();
                k2 == key
            });
            match gv {
                Some(x) if (x.value - s.value).abs() <= s.value.abs() * 1e-9 => {}
                Some(x) if value_difference(&f.name, &key).is_some() => {
                    eprintln!(
                        "known value difference {}{key:?}: node_exporter {}, genmon-exporter {}: {}",
                        f.name,
                        s.value,
                        x.value,
                        value_difference(&f.name, &key).unwrap_or_default()
                    );
                }
                other => value_problems.push(format!(
                    "{}{key:?}: node_exporter {}, genmon-exporter {:?}",
                    f.name,
                    s.value,
                    other.map(|x| x.value)
                )),
            }
        }
    }
    eprintln!("fixture: {ok}/{total} families identical");
    assert!(problems.is_empty(), "families differ on the fixtures:\n{}", problems.join("\n"));
    assert!(
        value_problems.is_empty(),
        "values differ on the fixtures:\n{}",
        value_problems.join("\n")
    );
    assert!(total >= 40, "node_exporter exported only {total} families from the fixtures");
    let (ns, gs) = (success_by_collector(&ne), success_by_collector(&ge));
    assert_eq!(ns, gs, "collector success on the fixtures");
    assert_lint_clean(&ge_text, &ne_text);
}

/// `promtool check metrics` finds nothing in genmon-exporter's output beyond
/// what it finds in node_exporter's: node_exporter's own names
/// (`node_memory_Active_bytes`, `node_entropy_available_bits`, ...) break
/// promtool's naming lints, and a drop-in must keep them.
fn assert_lint_clean(ge_text: &str, ne_text: &str) {
    let ne_lint = promtool_check(ne_text);
    let inherited: BTreeSet<&str> = ne_lint.lines().collect();
    let ge_lint = promtool_check(ge_text);
    let extra: Vec<&str> = ge_lint.lines().filter(|l| !inherited.contains(l)).collect();
    assert!(
        extra.is_empty(),
        "promtool check metrics, beyond node_exporter's own names:\n{}",
        extra.join("\n")
    );
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        let ty = e.file_type().unwrap();
        if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path()).unwrap(), &dst).unwrap();
        } else if ty.is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

#[test]
fn node_exporter_flags_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[("t/x.prom", "# HELP my_metric M.\n# TYPE my_metric gauge\nmy_metric 7\n")],
    );
    let tdir = format!("--collector.textfile.directory={}", dir.path().join("t").display());
    let ge = ExporterProc::start(&[
        "--web.telemetry-path=/node",
        "--collector.disable-defaults",
        "--collector.loadavg",
        "--collector.textfile",
        "--collector.filesystem",
        &tdir,
        "--collector.filesystem.mount-points-exclude=^/.*",
        "--collector.filesystem.fs-types-exclude=^$",
        "--collector.netdev.device-exclude=.*",
        "--collector.diskstats.device-exclude=.*",
    ]);
    assert_eq!(get(&ge.addr, "/metrics", &[]).status, 404);
    let r = get(&ge.addr, "/node", &[]);
    assert_eq!(r.status, 200);
    let fams = textformat::parse(&r.text(), "").unwrap();
    let names: BTreeSet<&str> = fams.iter().map(|f| f.name.as_ref()).collect();
    assert!(names.contains("node_load1") && names.contains("my_metric"), "{names:?}");
    assert!(
        !names.contains("node_cpu_seconds_total"),
        "cpu must be off with --collector.disable-defaults"
    );
    assert!(!names.contains("node_filesystem_size_bytes"), "every mount point is excluded");
    let collectors: BTreeSet<String> = success_by_collector(&fams).into_keys().collect();
    assert_eq!(collectors, ["filesystem", "loadavg", "textfile"].map(String::from).into());
}
