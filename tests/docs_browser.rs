//! `genmon docs` in a real browser: the site of the repository's genmon.yaml
//! (with the results of a real `genmon test`) is loaded from `file://` in
//! Debian's headless Chromium, driven over the DevTools protocol on
//! 127.0.0.1. Every page loads without a console error, an uncaught
//! exception or a blocked resource; the alert table's sort and filter work;
//! no page scrolls sideways on a phone; every internal link resolves to a
//! file and anchor; screenshots of the index and one alert page are written
//! to `target/tmp/docs-screenshots/`.

mod common;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::ErrorKind;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

use common::{genmon, root, tool};

/// Time allowed for the whole browser session.
const BUDGET: Duration = Duration::from_secs(90);
/// The alert page shot for the README.
const SHOT_ALERT: &str = "HostMemoryAlmostFull";

/// Accessibility checks run in each page: text contrast at least 4.5:1 (WCAG
/// AA) against the nearest opaque background, labelled form controls, table
/// headers, the landmarks, `lang`, one `h1`. Returns the problems found.
const A11Y: &str = r#"(() => {
  const problems = [];
  const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bg = el => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  let texts = 0;
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    texts += 1;
    const l1 = lum(parse(getComputedStyle(el).color)), l2 = lum(bg(el));
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < 4.5) problems.push('contrast ' + ratio.toFixed(2) + ':1 of <' + el.tagName.toLowerCase() + '> ' + el.textContent.trim().slice(0, 40));
  }
  if (texts < 10) problems.push('only ' + texts + ' text elements checked');
  for (const c of document.querySelectorAll('input, select, textarea')) if (!c.labels || c.labels.length === 0) problems.push('unlabelled control #' + c.id);
  for (const t of document.querySelectorAll('table')) if (!t.querySelector('thead th')) problems.push('a table without column headers');
  for (const l of ['header', 'nav', 'main', 'footer']) if (!document.querySelector(l)) problems.push('no <' + l + '>');
  if (!document.documentElement.lang) problems.push('no lang');
  if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
  return problems.slice(0, 10);
})()"#;

/// Chromium, stopped by its PID (and its process group) when dropped.
struct Browser {
    child: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        // The browser leads its own process group: renderers and the zygote go with it.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A DevTools session on one page target.
struct Cdp {
    ws: WebSocket<TcpStream>,
    session: String,
    next: u64,
    deadline: Instant,
    /// Console errors, exceptions and log errors seen, with the page they came from.
    problems: Vec<String>,
    events: Vec<Value>,
    page: String,
}

impl Cdp {
    fn read(&mut self) -> Option<Value> {
        assert!(Instant::now() < self.deadline, "the browser session took longer than {BUDGET:?}");
        match self.ws.read() {
            Ok(Message::Text(t)) => serde_json::from_str(t.as_str()).ok(),
            Ok(_) => None,
            Err(tungstenite::Error::Io(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => None,
            Err(e) => panic!("DevTools connection failed: {e}"),
        }
    }

    /// Note an event; keep it for [`Cdp::wait_event`].
    fn note(&mut self, v: Value) {
        let method = v["method"].as_str().unwrap_or_default();
        let p = &v["params"];
        match method {
            "Runtime.exceptionThrown" => self
                .problems
                .push(format!("{}: uncaught exception: {}", self.page, p["exceptionDetails"])),
            "Runtime.consoleAPICalled" if matches!(p["type"].as_str(), Some("error" | "assert" | "warning")) => {
                self.problems.push(format!("{}: console.{}: {}", self.page, p["type"], p["args"]))
            }
            "Log.entryAdded" if matches!(p["entry"]["level"].as_str(), Some("error" | "warning")) => self
                .problems
                .push(format!("{}: {} {}", self.page, p["entry"]["source"], p["entry"]["text"])),
            _ => {}
        }
        self.events.push(v);
    }

    /// Call a method on the page (or the browser when `session` is false).
    fn call(&mut self, method: &str, params: Value, session: bool) -> Value {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if session {
            msg["sessionId"] = json!(self.session);
        }
        self.ws.send(Message::text(msg.to_string())).expect("send to DevTools");
        loop {
            let Some(v) = self.read() else { continue };
            if v["id"].as_u64() == Some(id) {
                assert!(v.get("error").is_none(), "{method} failed: {}", v["error"]);
                return v["result"].clone();
            }
            if v.get("method").is_some() {
                self.note(v);
            }
        }
    }

    fn wait_event(&mut self, method: &str) {
        if let Some(i) = self.events.iter().position(|e| e["method"] == method) {
            self.events.drain(..=i);
            return;
        }
        loop {
            let Some(v) = self.read() else { continue };
            let hit = v["method"] == method;
            if v.get("method").is_some() {
                self.note(v);
            }
            if hit {
                self.events.clear();
                return;
            }
        }
    }

    fn open(&mut self, file: &Path) {
        self.page = file.file_name().unwrap().to_string_lossy().into_owned();
        self.events.clear();
        let url = format!("file://{}", file.display());
        let r = self.call("Page.navigate", json!({"url": url}), true);
        assert!(r.get("errorText").is_none(), "cannot open {url}: {r}");
        self.wait_event("Page.loadEventFired");
    }

    fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true, "awaitPromise": true}),
            true,
        );
        assert!(r.get("exceptionDetails").is_none(), "{expr}: {}", r["exceptionDetails"]);
        r["result"]["value"].clone()
    }

    fn viewport(&mut self, width: u32, height: u32, mobile: bool) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
            true,
        );
    }

    fn screenshot(&mut self, to: &Path) {
        use base64::Engine;
        let r = self.call("Page.captureScreenshot", json!({"format": "png"}), true);
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().expect("screenshot data"))
            .expect("base64 screenshot");
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{} is not a real screenshot",
            to.display()
        );
        std::fs::write(to, png).expect("write screenshot");
    }
}

fn launch(profile: &Path) -> (Browser, Cdp) {
    let chromium = tool("chromium", "chromium");
    let child = {
        use std::os::unix::process::CommandExt;
        Command::new(chromium)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromium")
    };
    let browser = Browser { child };
    let deadline = Instant::now() + BUDGET;
    // Chromium writes the port it bound and the browser's path here.
    let active = profile.join("DevToolsActivePort");
    let (port, path) = loop {
        if let Ok(t) = std::fs::read_to_string(&active)
            && let Some((port, path)) = t.split_once('\n')
            && !path.trim().is_empty()
        {
            break (port.trim().to_string(), path.trim().to_string());
        }
        assert!(Instant::now() < deadline, "chromium did not open its DevTools port");
        std::thread::sleep(Duration::from_millis(50));
    };
    let stream = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect to DevTools");
    // The handshake waits for the browser as long as the session may take
    // (a busy machine answers it late); then reads poll every 500 ms.
    stream
        .set_read_timeout(Some(
            deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1)),
        ))
        .unwrap();
    let (ws, _) = tungstenite::client(format!("ws://127.0.0.1:{port}{path}"), stream).expect("DevTools websocket");
    ws.get_ref().set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let mut cdp = Cdp {
        ws,
        session: String::new(),
        next: 0,
        deadline,
        problems: Vec::new(),
        events: Vec::new(),
        page: String::new(),
    };
    let target = cdp.call("Target.createTarget", json!({"url": "about:blank"}), false)["targetId"].clone();
    let session = cdp.call("Target.attachToTarget", json!({"targetId": target, "flatten": true}), false);
    cdp.session = session["sessionId"].as_str().expect("session id").to_string();
    for m in ["Page.enable", "Runtime.enable", "Log.enable"] {
        cdp.call(m, json!({}), true);
    }
    (browser, cdp)
}

/// The site of the repository's spec, with the results of a real `genmon test`.
fn site(dir: &Path) -> PathBuf {
    // Relative to the repository root, as a user runs it (the pages show the path).
    let spec = Path::new("genmon.yaml");
    let results = dir.join("results.json");
    let t = genmon(
        &root(),
        &["test", "-f", spec.to_str().unwrap(), "--results", results.to_str().unwrap()],
    );
    assert!(t.status.success(), "genmon test failed:\n{}", String::from_utf8_lossy(&t.stderr));
    let out = dir.join("site");
    let d = genmon(
        &root(),
        &[
            "docs",
            "-f",
            spec.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
        ],
    );
    assert!(d.status.success(), "genmon docs failed:\n{}", String::from_utf8_lossy(&d.stderr));
    out
}

fn pages(site: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(site)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    out.sort();
    out
}

#[test]
fn site_loads_in_chromium_without_console_errors_and_reads_on_a_phone() {
    let tmp = tempfile::tempdir().unwrap();
    let site = site(tmp.path());
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("docs-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let (_browser, mut cdp) = launch(&tmp.path().join("profile"));

    // Desktop: every page, and the screenshots.
    cdp.viewport(1280, 900, false);
    let all = pages(&site);
    assert!(all.len() > 10, "too few pages: {all:?}");
    for p in &all {
        cdp.open(p);
        let title = cdp.eval("document.title");
        assert!(
            title.as_str().is_some_and(|t| t.ends_with("genmon catalog")),
            "{}: title {title}",
            p.display()
        );
        assert_eq!(cdp.eval("document.querySelectorAll('main').length"), json!(1), "{}", p.display());
        let a11y = cdp.eval(A11Y);
        assert_eq!(a11y, json!([]), "{}: accessibility problems", p.display());
    }
    cdp.open(&site.join("index.html"));
    cdp.screenshot(&shots.join("index.png"));
    cdp.open(&site.join(format!("alert-{SHOT_ALERT}.html")));
    assert_eq!(
        cdp.eval("document.querySelectorAll('.res-pass').length > 0"),
        json!(true),
        "the alert page shows no passing test from the genmon test run"
    );
    cdp.screenshot(&shots.join("alert.png"));

    // The alert table: sorting by severity puts critical first; filtering counts.
    cdp.open(&site.join("alerts.html"));
    let total = cdp.eval("document.querySelectorAll('#alerts tbody tr').length").as_u64().unwrap();
    let critical = cdp
        .eval("document.querySelectorAll('#alerts tbody tr[data-sev=critical]').length")
        .as_u64()
        .unwrap();
    assert!(critical > 0 && critical < total);
    cdp.eval("document.querySelector('button[data-col=\"1\"]').click()");
    assert_eq!(
        cdp.eval("document.querySelector('#alerts tbody tr').dataset.sev"),
        json!("critical")
    );
    assert_eq!(
        cdp.eval("document.querySelector('button[data-col=\"1\"]').parentNode.getAttribute('aria-sort')"),
        json!("ascending")
    );
    cdp.eval("var s = document.getElementById('sev'); s.value = 'critical'; s.dispatchEvent(new Event('change'))");
    assert_eq!(
        cdp.eval("document.querySelectorAll('#alerts tbody tr:not([hidden])').length"),
        json!(critical)
    );
    assert_eq!(
        cdp.eval("document.getElementById('count').textContent"),
        json!(format!("{critical} of {total} alerts"))
    );
    cdp.eval("var s = document.getElementById('sev'); s.value = ''; s.dispatchEvent(new Event('change')); var q = document.getElementById('q'); q.value = 'zzz-no-such-alert'; q.dispatchEvent(new Event('input'))");
    assert_eq!(
        cdp.eval("document.querySelectorAll('#alerts tbody tr:not([hidden])').length"),
        json!(0)
    );

    // A phone: nothing scrolls the page sideways (wide tables scroll in their own box).
    cdp.viewport(375, 800, true);
    for p in &all {
        cdp.open(p);
        let wide = cdp.eval("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        if wide.as_i64().is_none_or(|w| w > 0) {
            let culprits = cdp.eval(
                "Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth && !e.closest('.scroll')).slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 60))",
            );
            panic!("{} is {wide}px wider than a phone: {culprits}", p.display());
        }
    }
    cdp.open(&site.join(format!("alert-{SHOT_ALERT}.html")));
    cdp.screenshot(&shots.join("alert-phone.png"));

    assert!(cdp.problems.is_empty(), "the browser reported:\n{}", cdp.problems.join("\n"));
    // Browser.close lets chromium exit cleanly; the guard kills what is left.
    let _ = cdp.call("Browser.close", json!({}), false);
}

/// Ids of every element of a page.
fn ids(doc: &scraper::Html) -> BTreeSet<String> {
    let sel = scraper::Selector::parse("[id]").unwrap();
    doc.select(&sel).filter_map(|e| e.value().attr("id")).map(str::to_string).collect()
}

#[test]
fn every_internal_link_resolves_and_every_page_is_reachable() {
    let tmp = tempfile::tempdir().unwrap();
    let site = site(tmp.path());
    let docs: BTreeMap<String, scraper::Html> = pages(&site)
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                scraper::Html::parse_document(&std::fs::read_to_string(p).unwrap()),
            )
        })
        .collect();
    let anchors: BTreeMap<&str, BTreeSet<String>> = docs.iter().map(|(n, d)| (n.as_str(), ids(d))).collect();
    let refs = scraper::Selector::parse("[href], [src]").unwrap();
    let mut broken = Vec::new();
    let mut external_assets = Vec::new();
    let mut links: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut checked = 0;
    for (name, doc) in &docs {
        for el in doc.select(&refs) {
            let tag = el.value().name();
            let Some(target) = el.value().attr("href").or_else(|| el.value().attr("src")) else {
                continue;
            };
            if target.starts_with("https://") || target.starts_with("http://") {
                // Runbooks and Grafana are links out; nothing the page loads may be.
                if tag != "a" {
                    external_assets.push(format!("{name}: <{tag}> loads {target}"));
                }
                continue;
            }
            checked += 1;
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let file = if file.is_empty() { name.as_str() } else { file };
            match anchors.get(file) {
                None => broken.push(format!("{name}: {target}: no file {file}")),
                Some(ids) if !anchor.is_empty() && !ids.contains(anchor) => {
                    broken.push(format!("{name}: {target}: {file} has no id {anchor}"))
                }
                Some(_) => {
                    links.entry(name.as_str()).or_default().insert(file.to_string());
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} internal links: the check reads nothing");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(external_assets.is_empty(), "{}", external_assets.join("\n"));
    // Every page is reachable from the index.
    let mut seen = BTreeSet::from(["index.html".to_string()]);
    let mut queue = VecDeque::from(["index.html".to_string()]);
    while let Some(p) = queue.pop_front() {
        for next in links.get(p.as_str()).into_iter().flatten() {
            if seen.insert(next.clone()) {
                queue.push_back(next.clone());
            }
        }
    }
    let unreachable: Vec<&String> = docs.keys().filter(|k| !seen.contains(*k)).collect();
    assert!(unreachable.is_empty(), "not reachable from index.html: {unreachable:?}");
}
