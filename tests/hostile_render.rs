//! The hostile-input corpus for `genmon check`/`render` (tests/hostile/spec,
//! tests/hostile/manifest; see tests/hostile/README.md). Every case has an
//! expected outcome, is bounded in CPU time and memory (measured with
//! `wait4(2)` on the real binary), and must never touch anything outside the
//! output root.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// CPU seconds and resident memory any hostile input may cost.
const MAX_CPU: Duration = Duration::from_secs(2);
const MAX_RSS_KB: i64 = 500 * 1024;
/// Wall-clock guard: a case still running after this is a hang.
const HANG: Duration = Duration::from_secs(30);

struct Run {
    code: Option<i32>,
    stderr: String,
    cpu: Duration,
    rss_kb: i64,
}

/// Run genmon with `args`, measuring its CPU time and peak RSS; kill it on a hang.
fn run(args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_genmon"))
        .current_dir(root())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run genmon");
    let pid = child.id() as i32;
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        // Keep the first MiB, drain the rest (a closed pipe would kill genmon).
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::Read::take(&mut err, 1 << 20), &mut s);
        let _ = std::io::copy(&mut err, &mut std::io::sink());
        String::from_utf8_lossy(&s).into_owned()
    });
    let t0 = Instant::now();
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    loop {
        // SAFETY: wait4 on our own child with valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        if t0.elapsed() > HANG {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("genmon {args:?} hung for {HANG:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    std::mem::forget(child);
    let tv = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    Run {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stderr: reader.join().unwrap(),
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        rss_kb: usage.ru_maxrss,
    }
}

/// The costliest case so far (CPU µs, RSS KB), printed by each test.
static WORST: std::sync::Mutex<(u128, i64, String)> = std::sync::Mutex::new((0, 0, String::new()));

/// Print the costliest case so far, then fail with every misbehaving case of `what`.
fn finish(what: &str, failures: &[String]) {
    if let Ok(w) = WORST.lock() {
        eprintln!("costliest case so far: {} ({} ms CPU); peak RSS {} MB", w.2, w.0 / 1000, w.1 / 1024);
    }
    assert!(
        failures.is_empty(),
        "{} {what} misbehaved:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn bounded(name: &str, r: &Run, failures: &mut Vec<String>) {
    if let Ok(mut w) = WORST.lock() {
        if r.cpu.as_micros() > w.0 {
            *w = (r.cpu.as_micros(), w.1.max(r.rss_kb), name.to_string());
        }
        w.1 = w.1.max(r.rss_kb);
    }
    if r.cpu > MAX_CPU || r.rss_kb > MAX_RSS_KB {
        failures.push(format!(
            "{name}: cost {:?} CPU and {} MB (limits {MAX_CPU:?}, 500 MB)",
            r.cpu,
            r.rss_kb / 1024
        ));
    }
}

fn cases(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(root().join("tests/hostile").join(dir))
        .unwrap_or_else(|e| panic!("tests/hostile/{dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}

fn header<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|l| l.strip_prefix(&format!("# {key}: ")))
}

/// Check a spec (committed or generated): exit 1 with `error[code]`, bounded,
/// and `render` writes nothing anywhere.
fn expect_refused(name: &str, spec: &Path, code: &str, strict: bool, failures: &mut Vec<String>) {
    let spec_s = spec.to_str().unwrap();
    let mut args = vec!["check", "--format", "short", "-f", spec_s];
    if strict {
        args.insert(1, "--strict");
    }
    let r = run(&args);
    bounded(name, &r, failures);
    if r.code != Some(1) || !r.stderr.contains(&format!("error[{code}]")) {
        let head: String = r.stderr.chars().take(600).collect();
        failures.push(format!("{name}: want exit 1 with error[{code}], got {:?}:\n{head}", r.code));
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a/b/out");
    let mut args = vec!["render", "-f", spec_s, "-o", out.to_str().unwrap()];
    if strict {
        args.insert(1, "--strict");
    }
    let r = run(&args);
    let left: Vec<_> = files(tmp.path(), "");
    if r.code == Some(0) || !left.is_empty() {
        failures.push(format!("{name}: render exited {:?} and left {left:?}", r.code));
    }
}

#[test]
fn hostile_specs_are_refused_with_their_code_quickly_and_write_nothing() {
    let all = cases("spec", "yaml");
    assert!(all.len() >= 60, "only {} hostile specs", all.len());
    let mut failures = Vec::new();
    for path in &all {
        let text = fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let code = header(&text, "expect").unwrap_or_else(|| panic!("{name} has no `# expect:` header"));
        let strict = header(&text, "flags") == Some("strict");
        expect_refused(&name, path, code, strict, &mut failures);
    }
    finish("hostile specs", &failures);
}

/// Inputs too large to commit, generated here.
#[test]
fn generated_hostile_specs_are_bounded() {
    let sig = |expr: &str| {
        format!(
            "version: 1\nsignals:\n  up: {{expr: '{expr}', title: Up}}\ndashboards:\n- {{uid: a, title: A, panels: [{{signal: up}}]}}\n"
        )
    };
    let big: Vec<(&str, &str, String)> = vec![
        (
            "abs-20000",
            "promql/parse",
            sig(&format!("{}up{}", "abs(".repeat(20_000), ")".repeat(20_000))),
        ),
        ("plus-20000", "promql/parse", sig(&vec!["up"; 20_000].join(" + "))),
        ("dollars-30000", "promql/parse", sig(&format!("up{}", "$".repeat(30_000)))),
        (
            "flow-nesting-100000",
            "spec/limit",
            format!("version: 1\nsignals: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
        ),
        (
            "diagnostics-20000-on-one-line",
            "panel/signal",
            format!(
                "version: 1\nsignals:\n  up: {{expr: up, title: Up}}\ndashboards:\n- {{uid: a, title: A, panels: [{}]}}\n",
                vec!["{signal: nope}"; 20_000].join(", ")
            ),
        ),
        (
            "alias-400k-panels",
            "spec/limit",
            format!(
                "version: 1\nsignals:\n  up: {{expr: up, title: Up}}\ndashboards:\n- &d {{uid: a, title: A, rows: &R [&r {{title: r, panels: [{}]}}{}]}}\n{}",
                vec!["{signal: up}"; 20].join(", "),
                ", *r".repeat(19),
                "- *d\n".repeat(1000)
            ),
        ),
        ("template-open-100000", "template/syntax", {
            let mut s = sig("up");
            s.push_str(&format!(
                "rules:\n- name: g\n  alerts:\n  - {{name: A, expr: up == 0, severity: info, summary: '{}', description: d, runbook_url: 'https://r.example.com/', panel: a/Up}}\n",
                "{{".repeat(100_000)
            ));
            s
        }),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (name, code, text) in &big {
        let p = tmp.path().join(format!("{name}.yaml"));
        fs::write(&p, text).unwrap();
        expect_refused(name, &p, code, false, &mut failures);
    }
    // A spec over the size limit is refused before it is read whole.
    let huge = tmp.path().join("huge.yaml");
    let f = fs::File::create(&huge).unwrap();
    f.set_len(17 << 20).unwrap();
    let r = run(&["check", "-f", huge.to_str().unwrap()]);
    bounded("huge-17MiB", &r, &mut failures);
    if r.code != Some(2) || !r.stderr.contains("larger than") {
        failures.push(format!("huge-17MiB: want exit 2 `larger than`, got {:?}: {}", r.code, r.stderr));
    }
    finish("generated cases", &failures);
}

fn sha(b: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// The fingerprint genmon records today (manifests before 2026-12 hold SHA-256).
fn xxh3(b: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(b))
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo {}", p.display());
}

/// Build the tree a case names. `outside` holds `x.yml`; `victim` is a file
/// beside the root. Both must survive every case.
fn setup(kind: &str, root: &Path, outside: &Path, victim: &Path, spec: &str) {
    use std::os::unix::fs::symlink;
    let dash = root.join("dashboards/a.json");
    let mk = |p: &Path| fs::create_dir_all(p.parent().unwrap()).unwrap();
    match kind {
        "none" => {}
        "link-dir" => symlink(outside, root.join("linked")).unwrap(),
        "link-file" => symlink(victim, root.join("link.yml")).unwrap(),
        "fifo" => mkfifo(&root.join("fifo.yml")),
        "dir" => fs::create_dir(root.join("adir.yml")).unwrap(),
        "dashboards-link" => symlink(outside, root.join("dashboards")).unwrap(),
        "alerts-link" => symlink(outside, root.join("alerts")).unwrap(),
        "dashboards-file" => fs::write(root.join("dashboards"), "not a folder").unwrap(),
        "target-link" => {
            mk(&dash);
            symlink(victim, &dash).unwrap();
        }
        "target-fifo" => {
            mk(&dash);
            mkfifo(&dash);
        }
        "target-dir" => fs::create_dir_all(&dash).unwrap(),
        "user-file" => {
            fs::create_dir_all(root.join("alerts")).unwrap();
            fs::write(root.join("alerts/g.rules.yml"), "# my own rules\ngroups: []\n").unwrap();
        }
        "edited" => {
            let r = run(&["render", "-f", spec, "-o", root.to_str().unwrap()]);
            assert_eq!(r.code, Some(0), "{}", r.stderr);
            fs::write(&dash, "{\"edited\": true}").unwrap();
        }
        "staging-link" => symlink(outside, root.join(".genmon-staging")).unwrap(),
        "staging-fifo" => mkfifo(&root.join(".genmon-staging")),
        "lock-link" => symlink(victim, root.join(".genmon-lock")).unwrap(),
        "manifest-link" => symlink(victim, root.join(".genmon-manifest")).unwrap(),
        "manifest-fifo" => mkfifo(&root.join(".genmon-manifest")),
        "journal-fifo" => mkfifo(&root.join(".genmon-journal")),
        "journal-link" => symlink(victim, root.join(".genmon-journal")).unwrap(),
        other => panic!("unknown setup `{other}`"),
    }
}

#[test]
fn hostile_manifests_journals_and_trees_never_touch_anything_outside() {
    let spec = root().join("tests/hostile/manifest/base.yaml");
    let spec = spec.to_str().unwrap();
    let mut all = cases("manifest", "manifest");
    all.extend(cases("manifest", "journal"));
    all.extend(cases("manifest", "tree"));
    assert!(all.len() >= 40, "only {} manifest cases", all.len());
    let mut failures = Vec::new();
    for path in &all {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let raw = fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&raw);
        let kind = header(&text, "setup").unwrap_or_else(|| panic!("{name}: no `# setup:`"));
        let expect = header(&text, "expect").unwrap_or_else(|| panic!("{name}: no `# expect:`"));
        let (code, want) = expect.split_once(' ').unwrap_or((expect, ""));
        let code: i32 = code.parse().unwrap_or_else(|_| panic!("{name}: `# expect: CODE [stderr text]`"));
        // The body is everything after the two header lines.
        let body: Vec<u8> = raw.splitn(3, |b| *b == b'\n').nth(2).unwrap_or_default().to_vec();

        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("out");
        let outside = tmp.path().join("outside");
        let victim = tmp.path().join("victim.txt");
        fs::create_dir_all(&root).unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("x.yml"), "x\n").unwrap();
        fs::write(&victim, "victim\n").unwrap();
        setup(kind, &root, &outside, &victim, spec);
        let vs = sha(b"victim\n");
        let body = String::from_utf8_lossy(&body)
            .replace("{VICTIM_SHA_UPPER}", &vs.to_uppercase())
            .replace("{VICTIM_SHA}", &vs)
            .replace("{VICTIM_XXH3}", &xxh3(b"victim\n"))
            .replace("{X_SHA}", &sha(b"x\n"))
            .replace("{VICTIM}", victim.to_str().unwrap());
        match path.extension().and_then(|e| e.to_str()) {
            Some("manifest") => fs::write(root.join(".genmon-manifest"), body.as_bytes()).unwrap(),
            Some("journal") => fs::write(root.join(".genmon-journal"), body.as_bytes()).unwrap(),
            _ => {}
        }
        let r = run(&["render", "--no-sync", "-f", spec, "-o", root.to_str().unwrap()]);
        bounded(&name, &r, &mut failures);
        if r.code != Some(code) || !r.stderr.contains(want) {
            failures.push(format!("{name}: want exit {code} with `{want}`, got {:?}:\n{}", r.code, r.stderr));
        }
        if fs::read(&victim).ok().as_deref() != Some(b"victim\n".as_slice()) {
            failures.push(format!("{name}: the file outside the root was changed or removed"));
        }
        let outside_files = files(&outside, "");
        if outside_files != [outside.join("x.yml")] || fs::read(outside.join("x.yml")).ok().as_deref() != Some(b"x\n".as_slice()) {
            failures.push(format!("{name}: the folder outside the root changed: {outside_files:?}"));
        }
        let mut beside: Vec<_> = fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        beside.sort();
        if beside != ["out", "outside", "victim.txt"] {
            failures.push(format!("{name}: something was created beside the root: {beside:?}"));
        }
    }
    finish("manifest cases", &failures);
}

#[test]
fn a_manifest_of_100k_lines_is_read_in_bounded_time() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("out");
    fs::create_dir_all(&root).unwrap();
    let mut m = String::new();
    for i in 0..100_000 {
        m.push_str(&format!("{}  dashboards/gone-{i}.json\n", "a".repeat(64)));
    }
    fs::write(root.join(".genmon-manifest"), m).unwrap();
    let spec = root_spec();
    let r = run(&["render", "--no-sync", "-f", &spec, "-o", root.to_str().unwrap()]);
    let mut failures = Vec::new();
    bounded("manifest-100k-lines", &r, &mut failures);
    assert!(failures.is_empty() && r.code == Some(0), "{failures:?} {:?} {}", r.code, r.stderr);
}

fn root_spec() -> String {
    root().join("tests/hostile/manifest/base.yaml").display().to_string()
}
