//! `genmon up`: the stack as local processes, without Docker. Renders the spec
//! for [`Profile::Local`] into `<state>/config/`, starts genmon-exporter,
//! Alertmanager, Prometheus (with `--target victoriametrics`: VictoriaMetrics,
//! vmagent and vmalert) and (when installed) Grafana on 127.0.0.1 with
//! their data under `<state>/data/` and logs under `<state>/logs/`, waits until
//! each is healthy, and supervises them until Ctrl-C/SIGTERM.
//!
//! One file per concern: [`services`] (what runs, with which flags),
//! [`binaries`] (finding programs), [`supervisor`] (children), [`lock`] (one
//! supervisor per state directory), [`signals`], [`http`] (health checks).

pub mod binaries;
pub mod http;
pub mod lock;
pub mod services;
pub mod signals;
pub mod supervisor;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cli::exit;
use crate::conventions as c;
use crate::model::Profile;
use crate::spec::Source;

use services::{Service, State};
use supervisor::{Running, Wait};

/// Exit code when a program of the stack is not installed.
pub const MISSING_PROGRAM: u8 = exit::USAGE;
/// Exit code when a child died or never became healthy.
pub const CHILD_FAILED: u8 = exit::INVALID;

/// How long one service may take to become healthy.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(60);

/// Environment variable with Grafana's admin password (as for docker compose).
pub const GRAFANA_PASSWORD_ENV: &str = "GRAFANA_ADMIN_PASSWORD";

/// Grafana's admin password: `$GRAFANA_ADMIN_PASSWORD`, else one generated
/// once and kept in `<state>/grafana-admin-password` (mode 0600).
fn grafana_password(st: &State) -> Result<String, String> {
    if let Ok(p) = std::env::var(GRAFANA_PASSWORD_ENV)
        && !p.is_empty()
    {
        return Ok(p);
    }
    let file = st.grafana_password();
    if let Ok(p) = std::fs::read_to_string(&file)
        && !p.trim().is_empty()
    {
        return Ok(p.trim().to_string());
    }
    let mut bytes = [0u8; 18];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .map_err(|e| format!("cannot read /dev/urandom for Grafana's password: {e} (set {GRAFANA_PASSWORD_ENV})"))?;
    let pw: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&file)
        .and_then(|mut f| std::io::Write::write_all(&mut f, format!("{pw}\n").as_bytes()))
        .map_err(|e| format!("cannot write {}: {e} (or set {GRAFANA_PASSWORD_ENV})", file.display()))?;
    Ok(pw)
}

/// Options of `genmon up`.
#[derive(Debug, Clone)]
pub struct Options {
    pub spec: PathBuf,
    pub state_dir: PathBuf,
    pub strict: bool,
    pub color: bool,
    /// `--target victoriametrics`: vmagent → VictoriaMetrics ← vmalert instead of Prometheus.
    pub engine: Option<crate::model::engine::EngineKind>,
}

/// Create the state directory and its folders owner-only (0700), tightening
/// them when they exist: logs, data and the Grafana password live there.
fn private_dirs(st: &State) -> Result<(), String> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    for d in [st.root.clone(), st.config(), st.root.join("logs"), st.root.join("data")] {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&d)
            .and_then(|()| std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)))
            .map_err(|e| format!("cannot create {} (mode 0700): {e}", d.display()))?;
    }
    Ok(())
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Run the stack until a signal or a child's death; returns the exit code.
pub fn up(o: &Options) -> u8 {
    let st = State {
        root: absolute(&o.state_dir),
    };
    if let Err(e) = private_dirs(&st) {
        eprintln!("error: {e} (choose another --state-dir)");
        return exit::USAGE;
    }
    let _lock = match lock::acquire(&st.root) {
        Ok(l) => l,
        Err(lock::LockError::Held(pid)) => {
            let who = pid.map(|p| format!(" (PID {p})")).unwrap_or_default();
            eprintln!(
                "error: genmon up is already running on {}{who}; stop it first (Ctrl-C or kill{}) or use another --state-dir",
                st.root.display(),
                pid.map(|p| format!(" {p}")).unwrap_or_default()
            );
            return exit::USAGE;
        }
        Err(lock::LockError::Io(e)) => {
            eprintln!("error: cannot lock {}: {e}", st.root.join("lock").display());
            return exit::USAGE;
        }
    };

    // Render the stack's configs for local processes.
    let src = match Source::read(&o.spec) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read spec {}: {e}", o.spec.display());
            return exit::USAGE;
        }
    };
    let compiled = match crate::pipeline::compile_for(
        &src,
        Profile::Local,
        o.strict,
        o.engine
            .map_or(crate::pipeline::Deploy::Prometheus, crate::pipeline::Deploy::Engine),
    ) {
        Ok(c) => c,
        Err(diags) => {
            eprint!("{}", crate::diag::report(&src, &diags, o.color));
            return exit::INVALID;
        }
    };
    if !compiled.warnings.is_empty() {
        eprint!("{}", crate::diag::report(&src, &compiled.warnings, o.color));
    }
    let mut artifacts = compiled.artifacts;
    localize_dashboard_path(&mut artifacts, &st.config().join(c::DIR_DASHBOARDS));
    if let Err(e) = crate::write::apply(&st.config(), &artifacts) {
        eprintln!("error: {e}");
        return exit::USAGE;
    }

    // Find every program before starting anything.
    let mut plan: Vec<(Service, PathBuf)> = Vec::new();
    let mut missing = Vec::new();
    let grafana = binaries::find(&binaries::GRAFANA);
    let grafana_password = match &grafana {
        Some(_) => match grafana_password(&st) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        },
        None => String::new(),
    };
    for mut svc in services::services(&compiled.model, &st, &grafana_password) {
        match binaries::find(&svc.program) {
            Some(p) => {
                // Grafana ≥ 10 ships one `grafana` binary: `grafana server …`.
                if p.file_name().is_some_and(|n| n == "grafana") {
                    svc.args.insert(0, "server".to_string());
                }
                plan.push((svc, p))
            }
            None if svc.optional => eprintln!(
                "genmon up: {} not found ({}); going on without it. To get it: {}",
                svc.name,
                svc.program.names.join(" or "),
                svc.program.install
            ),
            None => missing.push(svc),
        }
    }
    if !missing.is_empty() {
        for svc in &missing {
            eprintln!(
                "error: {} not found (looked for {} beside genmon and on PATH)",
                svc.name,
                svc.program.names.join(", ")
            );
        }
        let mut hints: Vec<&str> = missing.iter().map(|s| s.program.install).collect();
        hints.dedup();
        eprintln!("install it: {}", hints.join("; "));
        return MISSING_PROGRAM;
    }
    if let Some(msg) = busy_port(&compiled.model, plan.iter().map(|(s, _)| s.name.as_str())) {
        eprintln!("error: {msg}");
        return exit::USAGE;
    }

    signals::install();
    let mut running: Vec<Running> = Vec::new();
    for (svc, exe) in &plan {
        let r = match supervisor::start(svc, exe, &st) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {}: {e}", svc.name);
                supervisor::stop_all(&mut running);
                return CHILD_FAILED;
            }
        };
        eprintln!("genmon up: started {} (PID {})", svc.name, r.pid());
        running.push(r);
        supervisor::write_pids(&st, &running);
        let r = running.last_mut().expect("just pushed");
        match supervisor::wait_healthy(r, HEALTH_TIMEOUT) {
            Wait::Healthy => {}
            Wait::Signalled(sig) => return shutdown(&mut running, &st, sig),
            Wait::Died(status) => {
                let r = running.last().expect("just pushed");
                report_death(r, status);
                supervisor::stop_all(&mut running);
                return CHILD_FAILED;
            }
            Wait::TimedOut => {
                let r = running.last().expect("just pushed");
                eprintln!(
                    "error: {} did not become healthy within {}s ({} never answered 200). Last lines of {}:\n{}",
                    r.name,
                    HEALTH_TIMEOUT.as_secs(),
                    r.health_url,
                    r.log.display(),
                    supervisor::tail(&r.log, 20)
                );
                supervisor::stop_all(&mut running);
                return CHILD_FAILED;
            }
        }
    }

    println!("genmon up: the stack is running (state in {}):", st.root.display());
    for r in &running {
        println!("  {:16} {}  (PID {}, log {})", r.name, r.url, r.pid(), r.log.display());
    }
    if grafana.is_some() && std::env::var_os(GRAFANA_PASSWORD_ENV).is_none() {
        println!("  Grafana: user admin, password in {}", st.grafana_password().display());
    }
    println!("Ctrl-C stops it.");
    supervise(&mut running, &st)
}

/// Watch the children and print a status line until a signal or a death.
fn supervise(running: &mut [Running], st: &State) -> u8 {
    let tty = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut last_status = Instant::now() - Duration::from_secs(3600);
    loop {
        if let Some(sig) = signals::received() {
            if tty {
                eprintln!();
            }
            return shutdown(running, st, sig);
        }
        if let Some((i, status)) = supervisor::exited(running) {
            if tty {
                eprintln!();
            }
            report_death(&running[i], status);
            supervisor::stop_all(running);
            let _ = std::fs::remove_file(st.pids());
            eprintln!("genmon up: stopped the rest of the stack");
            return CHILD_FAILED;
        }
        let every = if tty { Duration::from_secs(2) } else { Duration::from_secs(30) };
        if last_status.elapsed() >= every {
            last_status = Instant::now();
            let parts: Vec<String> = running
                .iter()
                .map(|r| {
                    let ok = http::is_ok(&r.health_url, Duration::from_millis(500));
                    format!("{} {}", r.name, if ok { "ok" } else { "UNHEALTHY" })
                })
                .collect();
            let line = format!("genmon up: {} · up {}s", parts.join(" · "), started.elapsed().as_secs());
            if tty {
                eprint!("\r\x1b[2K{line}");
            } else {
                eprintln!("{line}");
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn report_death(r: &Running, status: std::process::ExitStatus) {
    eprintln!(
        "error: {} (PID {}) {}. Last lines of {}:\n{}",
        r.name,
        r.pid(),
        supervisor::describe(status),
        r.log.display(),
        supervisor::tail(&r.log, 20)
    );
}

fn shutdown(running: &mut [Running], st: &State, sig: i32) -> u8 {
    eprintln!("genmon up: {}; stopping {} service(s)…", signals::name(sig), running.len());
    supervisor::stop_all(running);
    let _ = std::fs::remove_file(st.pids());
    eprintln!("genmon up: stopped; data kept in {}", st.root.join("data").display());
    exit::OK
}

/// The Grafana dashboard provider points at the container path
/// `/var/lib/grafana/dashboards`; locally the dashboards are under `<state>/config/dashboards`.
fn localize_dashboard_path(artifacts: &mut [crate::render::Artifact], dir: &Path) {
    for a in artifacts.iter_mut() {
        if a.path.ends_with("grafana/dashboards/genmon.yml") {
            let text = String::from_utf8_lossy(&a.bytes).replace("/var/lib/grafana/dashboards", &dir.display().to_string());
            a.bytes = text.into_bytes();
        }
    }
}

/// A port of the stack another program already listens on.
fn busy_port<'a>(m: &crate::model::Model, names: impl Iterator<Item = &'a str>) -> Option<String> {
    let s = &m.stack;
    let agents = m.engine.iter().flat_map(|e| e.agents.iter());
    for name in names {
        let (port, key) = match name {
            c::SERVICE_EXPORTER => (s.exporter_port, "stack.exporter_port".to_string()),
            c::SERVICE_PROMETHEUS => (s.prometheus_port, "stack.prometheus_port".into()),
            c::SERVICE_ALERTMANAGER => (s.alertmanager_port, "stack.alertmanager_port".into()),
            c::SERVICE_GRAFANA => (s.grafana_port, "stack.grafana_port".into()),
            "victoriametrics" => (s.engine_port, "stack.engine_port".into()),
            crate::render::engine::SERVICE_VMALERT => (s.ruler_port, "stack.ruler_port".into()),
            // A scraper: the default one on `stack.agent_port`, or one of `engine.agents`.
            _ => match agents.clone().enumerate().find(|(_, a)| a.name == name) {
                Some((_, a)) if a.port == s.agent_port => (a.port, "stack.agent_port".into()),
                Some((i, a)) => (a.port, format!("engine.agents[{i}].port")),
                None => continue,
            },
        };
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            return Some(format!(
                "127.0.0.1:{port} ({name}, `{key}` in the spec) is already in use; stop what listens there or choose another port"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn state_folders_are_owner_only_even_when_they_existed() {
        let dir = tempfile::tempdir().unwrap();
        let st = State {
            root: dir.path().join("state"),
        };
        std::fs::create_dir_all(st.root.join("logs")).unwrap();
        std::fs::set_permissions(st.root.join("logs"), std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dirs(&st).unwrap();
        for d in [st.root.clone(), st.config(), st.root.join("logs"), st.root.join("data")] {
            let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", d.display());
        }
    }
}
