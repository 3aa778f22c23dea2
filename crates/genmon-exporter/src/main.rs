//! `genmon-exporter`: host, process and probe metrics for Prometheus.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Arg, ArgAction, ArgMatches, CommandFactory, FromArgMatches, Parser};

use genmon_exporter::collectors::{self, REGISTRY};
use genmon_exporter::config::{self, ExporterConfig, parse_duration};
use genmon_exporter::framework::default_enabled;
use genmon_exporter::logging::{self, LogFormat};
use genmon_exporter::server::{self, ServeOptions};
use genmon_exporter::{Exporter, Paths};
use genmon_exporter::{healthcheck, webconfig};

/// Host, process and HTTP probe metrics exporter for Prometheus.
///
/// Collectors are enabled by default; switch them with `--collectors=a,b`,
/// `--collector.NAME` / `--no-collector.NAME` or `exporter.collectors` in
/// the config file. Precedence: flags > `--collectors` > config file > default.
#[derive(Parser, Debug)]
#[command(name = "genmon-exporter", version, max_term_width = 100)]
struct Cli {
    /// Address to listen on (`HOST:PORT`; port 0 picks a free port, logged at startup).
    #[arg(long = "web.listen-address", default_value = "127.0.0.1:9184", value_name = "ADDR")]
    listen: String,
    /// Scrapes served at once; more wait up to their timeout, then get 503.
    #[arg(long = "web.max-requests", default_value_t = 4, value_name = "N")]
    max_requests: usize,
    /// Scrape timeout when Prometheus sends no X-Prometheus-Scrape-Timeout-Seconds header.
    #[arg(long = "web.scrape-timeout", default_value = "10s", value_name = "DURATION")]
    scrape_timeout: String,
    /// Subtracted from Prometheus' scrape timeout so the answer arrives in time.
    #[arg(long = "web.scrape-timeout-margin", default_value = "500ms", value_name = "DURATION")]
    timeout_margin: String,
    /// Open connections at most (also kept below the open-file limit). When
    /// full, a new connection closes the oldest one with no request in progress.
    #[arg(long = "web.max-connections", default_value_t = 512, value_name = "N")]
    max_connections: usize,
    /// Time a client has to send a whole request head (slow clients are cut off).
    #[arg(long = "web.header-timeout", default_value = "10s", value_name = "DURATION")]
    header_timeout: String,
    /// Time a connection may stay open without traffic between requests.
    #[arg(long = "web.idle-timeout", default_value = "60s", value_name = "DURATION")]
    idle_timeout: String,
    /// TLS and basic auth: a Prometheus exporter-toolkit web config file
    /// (`tls_server_config`, `basic_auth_users` with bcrypt hashes).
    #[arg(long = "web.config.file", value_name = "FILE")]
    web_config: Option<PathBuf>,
    /// YAML config file with a top-level `exporter:` section (other top-level keys are ignored).
    #[arg(long = "config.file", value_name = "FILE")]
    config_file: Option<PathBuf>,
    /// Start with no collectors; enable each with --collector.NAME (as node_exporter).
    #[arg(long = "collector.disable-defaults")]
    disable_defaults: bool,
    /// Path under which to expose metrics.
    #[arg(long = "web.telemetry-path", default_value = "/metrics", value_name = "PATH")]
    telemetry_path: String,
    /// Regexp of mount points to exclude (replaces exporter.filesystem.exclude_mountpoints).
    #[arg(long = "collector.filesystem.mount-points-exclude", value_name = "REGEX")]
    fs_mount_exclude: Option<String>,
    /// Regexp of filesystem types to exclude (replaces exporter.filesystem.exclude_fstypes).
    #[arg(long = "collector.filesystem.fs-types-exclude", value_name = "REGEX")]
    fs_types_exclude: Option<String>,
    /// Regexp of network devices the netdev collector excludes (replaces exporter.network.exclude_devices).
    #[arg(long = "collector.netdev.device-exclude", value_name = "REGEX")]
    netdev_exclude: Option<String>,
    /// Regexp of block devices to exclude (replaces exporter.disk.exclude_devices).
    #[arg(long = "collector.diskstats.device-exclude", value_name = "REGEX")]
    disk_exclude: Option<String>,
    /// Comma-separated collectors to run, replacing the default set.
    #[arg(long = "collectors", value_delimiter = ',', value_name = "LIST")]
    collectors: Option<Vec<String>>,
    /// Host root filesystem (e.g. /host in a container). Mounts are then read
    /// from <procfs>/1/mounts and statvfs'ed under this path.
    #[arg(long = "path.rootfs", default_value = "/", value_name = "DIR")]
    rootfs: PathBuf,
    /// procfs mount point [default: <rootfs>/proc].
    #[arg(long = "path.procfs", value_name = "DIR")]
    procfs: Option<PathBuf>,
    /// sysfs mount point [default: <rootfs>/sys].
    #[arg(long = "path.sysfs", value_name = "DIR")]
    sysfs: Option<PathBuf>,
    /// udev database, read for node_disk_*info labels [default: <rootfs>/run/udev/data].
    #[arg(long = "path.udev.data", value_name = "DIR")]
    udev_data: Option<PathBuf>,
    /// Directory of *.prom files for the textfile collector (overrides exporter.textfile.directory).
    #[arg(long = "collector.textfile.directory", value_name = "DIR")]
    textfile_dir: Option<PathBuf>,
    /// Log format.
    #[arg(long = "log.format", value_enum, default_value = "logfmt")]
    log_format: LogFormat,
    /// Log level: error, warn, info, debug or trace.
    #[arg(long = "log.level", default_value = "info", value_name = "LEVEL")]
    log_level: String,
    /// Print the metric catalog (every metric this exporter can export) as JSON and exit.
    #[arg(long = "catalog")]
    catalog: bool,
    /// Print the JSON schema of the `exporter:` config section and exit.
    #[arg(long = "config.schema")]
    config_schema: bool,
    /// Load and validate the config file, then exit.
    #[arg(long = "config.check")]
    config_check: bool,
    /// Health probe for container HEALTHCHECKs (no curl needed): GET URL
    /// (e.g. http://127.0.0.1:9184/health), exit 0 on 200 within 5s, else 1.
    /// The body is not read; `http://user:pass@host/` sends basic auth.
    #[arg(long = "health-check", value_name = "URL")]
    health_check: Option<String>,
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn command() -> clap::Command {
    let mut cmd = Cli::command();
    for r in REGISTRY {
        let (name, state) = (r.name, if r.default { "enabled" } else { "disabled" });
        cmd = cmd
            .arg(
                Arg::new(leak(format!("collector.{name}")))
                    .long(leak(format!("collector.{name}")))
                    .action(ArgAction::SetTrue)
                    .help(leak(format!("Enable the {name} collector: {} (default: {state})", r.help))),
            )
            .arg(
                Arg::new(leak(format!("no-collector.{name}")))
                    .long(leak(format!("no-collector.{name}")))
                    .action(ArgAction::SetTrue)
                    .conflicts_with(leak(format!("collector.{name}")))
                    .help(leak(format!("Disable the {name} collector"))),
            );
    }
    cmd
}

fn enabled(m: &ArgMatches, cli: &Cli, cfg: &ExporterConfig) -> anyhow::Result<Vec<String>> {
    let mut on: Vec<String> = match &cli.collectors {
        Some(list) => {
            for c in list {
                if collectors::registration(c).is_none() {
                    anyhow::bail!("--collectors: {}", config::unknown_collector(c));
                }
            }
            list.clone()
        }
        // node_exporter's --collector.disable-defaults: only what is enabled explicitly.
        None if cli.disable_defaults => collectors::names()
            .filter(|n| cfg.collectors.get(n) == Some(true))
            .map(String::from)
            .collect(),
        None => collectors::names()
            .filter(|n| cfg.collectors.get(n).unwrap_or_else(|| default_enabled(n)))
            .map(String::from)
            .collect(),
    };
    for name in collectors::names() {
        if m.get_flag(&format!("collector.{name}")) && !on.iter().any(|c| c == name) {
            on.push(name.to_string());
        }
        if m.get_flag(&format!("no-collector.{name}")) {
            on.retain(|c| c != name);
        }
    }
    Ok(on)
}

fn main() {
    if let Err(e) = run() {
        eprintln!("genmon-exporter: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    let m = command().get_matches();
    let cli = Cli::from_arg_matches(&m)?;
    if let Some(url) = &cli.health_check {
        return healthcheck::check(url, healthcheck::TIMEOUT);
    }
    if cli.catalog {
        println!("{}", serde_json::to_string_pretty(&genmon_exporter::catalog::exporter_families())?);
        return Ok(());
    }
    if cli.config_schema {
        println!("{}", serde_json::to_string_pretty(&schemars::schema_for!(ExporterConfig))?);
        return Ok(());
    }
    logging::init(cli.log_format, &cli.log_level)?;
    let mut cfg = match &cli.config_file {
        Some(p) => config::load(p)?,
        None => ExporterConfig::default(),
    };
    if let Some(d) = &cli.textfile_dir {
        cfg.textfile.directory = Some(d.clone());
    }
    // node_exporter's flags take one regex; the config takes a list of them.
    if let Some(r) = &cli.fs_mount_exclude {
        cfg.filesystem.exclude_mountpoints = Some(vec![r.clone()]);
    }
    if let Some(r) = &cli.fs_types_exclude {
        cfg.filesystem.exclude_fstypes = Some(vec![r.clone()]);
    }
    if let Some(r) = &cli.netdev_exclude {
        cfg.network.exclude_devices = Some(vec![r.clone()]);
    }
    if let Some(r) = &cli.disk_exclude {
        cfg.disk.exclude_devices = Some(vec![r.clone()]);
    }
    cfg.validate().context("flags")?;
    let on = enabled(&m, &cli, &cfg)?;
    let paths = Paths {
        procfs: cli.procfs.clone().unwrap_or_else(|| cli.rootfs.join("proc")),
        sysfs: cli.sysfs.clone().unwrap_or_else(|| cli.rootfs.join("sys")),
        udev_data: cli.udev_data.clone().unwrap_or_else(|| cli.rootfs.join("run/udev/data")),
        rootfs: cli.rootfs.clone(),
    };
    let exporter = Exporter::from_config(&paths, &cfg, &on, PathBuf::from("/proc/self"))?;
    let web = cli.web_config.as_deref().map(webconfig::load).transpose()?.map(Arc::new);
    if cli.config_check {
        println!("config OK; collectors: {}", exporter.collector_names().join(", "));
        return Ok(());
    }
    let opts = ServeOptions {
        max_requests: cli.max_requests,
        default_timeout: parse_duration(&cli.scrape_timeout).context("--web.scrape-timeout")?,
        timeout_margin: parse_duration(&cli.timeout_margin).context("--web.scrape-timeout-margin")?,
        max_connections: cli.max_connections,
        header_timeout: parse_duration(&cli.header_timeout).context("--web.header-timeout")?,
        idle_timeout: parse_duration(&cli.idle_timeout).context("--web.idle-timeout")?,
        web,
        telemetry_path: cli.telemetry_path.clone(),
    };
    if opts.max_connections == 0 {
        anyhow::bail!("--web.max-connections must be at least 1");
    }
    if !cli.telemetry_path.starts_with('/') || ["/health", "/ready"].contains(&cli.telemetry_path.as_str()) {
        anyhow::bail!(
            "--web.telemetry-path {:?}: must start with / and not be /health or /ready",
            cli.telemetry_path
        );
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .max_blocking_threads(32)
        .enable_all()
        .build()?;
    let tls = opts.web.as_ref().is_some_and(|w| w.tls.is_some());
    let auth = opts.web.as_ref().is_some_and(|w| w.auth.is_some());
    let r = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&cli.listen)
            .await
            .with_context(|| format!("listening on {} (--web.listen-address)", cli.listen))?;
        let addr = listener.local_addr()?;
        tracing::info!(address = %addr, tls, basic_auth = auth, collectors = exporter.collector_names().join(","), version = genmon_exporter::framework::VERSION, "listening");
        match genmon_exporter::memory::release_startup() {
            Ok(n) => tracing::debug!(bytes = n, "startup code paged out"),
            Err(e) => tracing::debug!(error = %e, "startup memory not released"),
        }
        server::serve(listener, Arc::new(exporter), opts, server::shutdown_signal()).await
    });
    // A collector thread stuck in the kernel (a hung mount) must not keep
    // the process from exiting.
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    r
}
