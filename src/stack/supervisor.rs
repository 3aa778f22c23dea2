//! Starting, watching and stopping the children: logs to
//! `<state>/logs/<service>.log`, PIDs to `<state>/pids`, each child in its own
//! process group (Ctrl-C reaches only `genmon up`, which stops them in order)
//! and with a parent-death signal so none outlives a killed supervisor.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::services::{Service, State};
use super::signals;

/// How long a child gets between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(10);

/// A running service.
#[derive(Debug)]
pub struct Running {
    pub name: String,
    pub child: std::process::Child,
    pub log: PathBuf,
    pub health_url: String,
    pub url: String,
}

impl Running {
    /// The child's PID.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }
}

/// Open a log for appending, owner-only (0600, tightened when it existed;
/// logs can hold URLs and tokens), never through a symlink.
pub fn open_log(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let f = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(f)
}

/// Start `svc` (program at `exe`), its output appended to its log.
pub fn start(svc: &Service, exe: &Path, st: &State) -> Result<Running, String> {
    let log = st.log(&svc.name);
    let mut f = open_log(&log).map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let _ = writeln!(f, "--- genmon up: {} {}", exe.display(), svc.args.join(" "));
    let err = f.try_clone().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.args(&svc.args)
        .envs(svc.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&st.root)
        .stdin(Stdio::null())
        .stdout(Stdio::from(f))
        .stderr(Stdio::from(err))
        .process_group(0);
    // SAFETY: prctl is async-signal-safe; it only sets this child's parent-death signal.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    Ok(Running {
        name: svc.name.clone(),
        child,
        log,
        health_url: svc.health_url.clone(),
        url: svc.url.clone(),
    })
}

/// Record the children's PIDs (`<service> <pid>` per line).
pub fn write_pids(st: &State, running: &[Running]) {
    let text: String = running.iter().map(|r| format!("{} {}\n", r.name, r.pid())).collect();
    let _ = std::fs::write(st.pids(), text);
}

/// Why waiting for health stopped.
#[derive(Debug)]
pub enum Wait {
    Healthy,
    Died(ExitStatus),
    TimedOut,
    Signalled(i32),
}

/// Poll the health URL until 200, the child exits, a signal arrives or `limit` passes.
pub fn wait_healthy(r: &mut Running, limit: Duration) -> Wait {
    let t = Instant::now();
    loop {
        if let Some(sig) = signals::received() {
            return Wait::Signalled(sig);
        }
        if let Ok(Some(st)) = r.child.try_wait() {
            return Wait::Died(st);
        }
        if super::http::is_ok(&r.health_url, Duration::from_secs(2)) {
            return Wait::Healthy;
        }
        if t.elapsed() > limit {
            return Wait::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The first child that has exited, with its status.
pub fn exited(running: &mut [Running]) -> Option<(usize, ExitStatus)> {
    running
        .iter_mut()
        .enumerate()
        .find_map(|(i, r)| r.child.try_wait().ok().flatten().map(|s| (i, s)))
}

/// Stop every child, last started first: SIGTERM, then SIGKILL after [`GRACE`].
pub fn stop_all(running: &mut [Running]) {
    for r in running.iter_mut().rev() {
        if r.child.try_wait().ok().flatten().is_some() {
            continue;
        }
        // SAFETY: kill on a PID we spawned and have not reaped.
        unsafe {
            libc::kill(r.pid(), libc::SIGTERM);
        }
        let t = Instant::now();
        loop {
            if r.child.try_wait().ok().flatten().is_some() {
                break;
            }
            if t.elapsed() > GRACE {
                eprintln!("genmon up: {} ignored SIGTERM for {}s; killing it", r.name, GRACE.as_secs());
                let _ = r.child.kill();
                let _ = r.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A child's exit, for humans.
pub fn describe(st: ExitStatus) -> String {
    match (st.code(), st.signal()) {
        (Some(c), _) => format!("exited with status {c}"),
        (None, Some(s)) => format!("was killed by signal {s} ({})", signals::name(s)),
        _ => format!("{st}"),
    }
}

/// The last `n` lines of a log.
pub fn tail(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn logs_are_owner_only_and_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("x.log");
        std::fs::write(&log, "old\n").unwrap();
        std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(open_log(&log).unwrap());
        assert_eq!(std::fs::metadata(&log).unwrap().permissions().mode() & 0o777, 0o600);
        drop(open_log(&dir.path().join("new.log")).unwrap());
        assert_eq!(
            std::fs::metadata(dir.path().join("new.log")).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::os::unix::fs::symlink(&log, dir.path().join("link.log")).unwrap();
        assert!(open_log(&dir.path().join("link.log")).is_err());
    }
}
