//! Helpers of the stack end-to-end tests (`genmon up` with the real
//! programs): free ports, a webhook receiver, `genmon up` as a child stopped
//! by PID, Prometheus-API queries.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use genmon::stack::http;
use serde_json::Value;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

/// Fail (never skip) when none of `names` is on PATH, saying how to install it.
pub fn require(names: &[&str], install: &str) {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = names.iter().any(|n| std::env::split_paths(&path).any(|d| d.join(n).is_file()));
    assert!(
        found,
        "`{}` is not installed; the stack test runs the real one: {install}  (scripts/test does this)",
        names.join("` or `")
    );
}

/// Webhook receiver: every POST body, in order.
pub fn webhook(listener: TcpListener) -> Arc<Mutex<Vec<Value>>> {
    let got = Arc::new(Mutex::new(Vec::new()));
    let out = got.clone();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            if let Some(body) = read_request(s)
                && let Ok(v) = serde_json::from_str(&body)
            {
                out.lock().unwrap().push(v);
            }
        }
    });
    got
}

/// Read one HTTP request, answer 200, return the body.
pub fn read_request(mut s: TcpStream) -> Option<String> {
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head_len, len) = loop {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
                .unwrap_or(0);
            break (i + 4, len);
        }
    };
    while buf.len() < head_len + len {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    Some(String::from_utf8_lossy(&buf[head_len..]).into_owned())
}

/// Answer 200 to everything on `listener` (the probe's target, once "fixed").
pub fn serve_ok(listener: TcpListener) {
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let _ = read_request(s);
        }
    });
}

/// `genmon up`, stopped (SIGTERM) when dropped.
pub struct Up {
    pub child: Child,
    pub state: PathBuf,
    pub out: PathBuf,
}

impl Up {
    pub fn start(spec: &Path, state: &Path, tag: &str) -> Up {
        Up::start_with(spec, state, tag, &[])
    }

    /// `genmon up` with more flags (`--target victoriametrics`).
    pub fn start_with(spec: &Path, state: &Path, tag: &str, more: &[&str]) -> Up {
        let out = state.with_file_name(format!("genmon-up-{tag}.out"));
        let f = std::fs::File::create(&out).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_genmon"))
            .arg("up")
            .arg("-f")
            .arg(spec)
            .arg("--state-dir")
            .arg(state)
            .args(more)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .expect("start genmon up");
        Up {
            child,
            state: state.to_path_buf(),
            out,
        }
    }

    /// Wait until genmon up reports every service healthy.
    pub fn wait_running(&mut self, limit: Duration) {
        let out = self.out.clone();
        self.wait("genmon up reports the stack running", limit, || {
            std::fs::read_to_string(&out).ok()?.contains("the stack is running").then_some(())
        });
    }

    pub fn term(&mut self) {
        // SAFETY: signalling our own child.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
    }

    /// Everything that helps when something timed out.
    pub fn logs(&self) -> String {
        let mut s = format!(
            "--- genmon up output:\n{}\n",
            std::fs::read_to_string(&self.out).unwrap_or_default()
        );
        let mut logs: Vec<_> = std::fs::read_dir(self.state.join("logs"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        logs.sort();
        for l in logs {
            let text = std::fs::read_to_string(&l).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            s.push_str(&format!("--- {} (last 40 lines):\n", l.display()));
            for line in tail.iter().rev() {
                s.push_str(line);
                s.push('\n');
            }
        }
        s
    }

    /// Poll `f` until it returns Some, or fail with every log.
    pub fn wait<T>(&mut self, what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
        let t = Instant::now();
        loop {
            if let Some(v) = f() {
                eprintln!("[{:6.1}s] {what}", t.elapsed().as_secs_f64());
                return v;
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                panic!("genmon up exited ({st}) while waiting for: {what}\n{}", self.logs());
            }
            if t.elapsed() > limit {
                panic!("timed out after {}s waiting for: {what}\n{}", limit.as_secs(), self.logs());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    pub fn pids(&self) -> Vec<(String, i32)> {
        std::fs::read_to_string(self.state.join("pids"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once(' ').map(|(n, p)| (n.to_string(), p.parse().unwrap())))
            .collect()
    }

    /// SIGTERM, wait for exit 0, and check no child survived.
    pub fn stop(&mut self) {
        let pids = self.pids();
        assert!(pids.len() >= 3, "pids file lists the children: {pids:?}");
        self.term();
        let t = Instant::now();
        let status = loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                break st;
            }
            assert!(
                t.elapsed() < Duration::from_secs(40),
                "genmon up did not stop on SIGTERM\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        assert_eq!(status.code(), Some(0), "genmon up exits 0 on SIGTERM\n{}", self.logs());
        for (name, pid) in pids {
            // SAFETY: signal 0 only checks existence.
            let alive = unsafe { libc::kill(pid, 0) } == 0;
            assert!(!alive, "{name} (PID {pid}) still runs after genmon up stopped");
        }
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.term();
            let t = Instant::now();
            while self.child.try_wait().ok().flatten().is_none() && t.elapsed() < Duration::from_secs(20) {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn api(base: &str, path: &str) -> Option<Value> {
    let r = http::get(&format!("{base}{path}"), Duration::from_secs(5)).ok()?;
    (r.status == 200).then(|| serde_json::from_str(&r.body).ok()).flatten()
}

pub fn query(prom: &str, q: &str) -> Vec<Value> {
    api(prom, &format!("/api/v1/query?query={}", http::encode(q)))
        .and_then(|v| v["data"]["result"].as_array().cloned())
        .unwrap_or_default()
}

/// The spec's `alerting:`, `grafana:` and `alertmanager:` sections of the
/// stack tests: runbook and Grafana links, every alert to the test's webhook
/// within a second or two, resolved ones too.
pub fn alerting_yaml(webhook: u16) -> String {
    format!(
        r#"alerting:
  runbook_base_url: https://runbooks.example.com/
grafana:
  external_url: http://grafana.example.com
alertmanager:
  resolve_timeout: 5s
  route:
    receiver: test
    group_by: [alertname]
    group_wait: 1s
    group_interval: 1s
    repeat_interval: 1h
  receivers:
    - name: test
      webhook:
        - url: http://127.0.0.1:{webhook}/hook
"#
    )
}

/// The first notification of `alert` with `status` (`firing`, `resolved`) the webhook got.
pub fn delivered(hooks: &Arc<Mutex<Vec<Value>>>, alert: &str, status: &str) -> Option<Value> {
    hooks.lock().unwrap().iter().find_map(|p| {
        p["alerts"]
            .as_array()?
            .iter()
            .find(|a| a["labels"]["alertname"] == alert && a["status"] == status)
            .cloned()
    })
}

/// `genmon up <more>` of a minimal spec with nothing on PATH: its exit code
/// and stderr; the state directory must hold no PIDs (nothing started).
pub fn up_with_empty_path(more: &[&str]) -> (Option<i32>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let spec_file = tmp.path().join("genmon.yaml");
    std::fs::write(&spec_file, "version: 1\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_genmon"))
        .arg("up")
        .args(more)
        .arg("-f")
        .arg(&spec_file)
        .arg("--state-dir")
        .arg(tmp.path().join("state"))
        .env("PATH", tmp.path().join("empty"))
        .output()
        .unwrap();
    assert!(!tmp.path().join("state/pids").exists(), "nothing was started");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `genmon up <more>` on the spec `make_spec` writes for the ports
/// `new_ports` picks, once it runs. Ephemeral ports can be taken by someone
/// else between picking and binding: genmon up then refuses (exit 2,
/// "already in use"); pick again, three times at most.
pub fn up_on_free_ports<P>(
    spec_file: &Path,
    state: &Path,
    more: &[&str],
    new_ports: impl Fn() -> P,
    make_spec: impl Fn(&P) -> String,
) -> (Up, P) {
    (1..=3)
        .find_map(|attempt| {
            let ports = new_ports();
            std::fs::write(spec_file, make_spec(&ports)).unwrap();
            let mut up = Up::start_with(spec_file, state, &format!("1-{attempt}"), more);
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(90) {
                let out = std::fs::read_to_string(&up.out).unwrap_or_default();
                if out.contains("the stack is running") {
                    return Some((up, ports));
                }
                if let Ok(Some(_)) = up.child.try_wait() {
                    let out = std::fs::read_to_string(&up.out).unwrap_or_default();
                    if attempt < 3 && out.contains("already in use") {
                        eprintln!("port taken meanwhile, retrying: {out}");
                        return None;
                    }
                    panic!("genmon up exited before the stack ran\n{}", up.logs());
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            panic!("the stack did not come up within 90s\n{}", up.logs());
        })
        .expect("three attempts")
}
