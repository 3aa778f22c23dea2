//! Command-line interface: flags defined once (clap derive), one file per
//! sub-command, named exit codes.

pub(crate) mod bench_spec;
mod docs;
mod explain;
mod render;
mod test;
mod up;
mod verify;

use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

/// Exit codes, documented in `--help` and the README.
pub mod exit {
    /// Everything is fine.
    pub const OK: u8 = 0;
    /// The spec has errors, outputs are stale (`--check`), tests failed, or `verify` found problems.
    pub const INVALID: u8 = 1;
    /// Bad usage or an I/O error (unreadable spec, unwritable output, Prometheus unreachable for `verify`).
    pub const USAGE: u8 = 2;
}

/// genmon: one typed spec → Grafana dashboards, Prometheus rules and the configs of a whole monitoring stack.
#[derive(Debug, Parser)]
#[command(
    name = "genmon",
    version,
    about,
    after_help = "Exit codes: 0 ok, 1 spec errors / stale outputs / failed tests / verify findings / policy violations (docs --strict), 2 usage or I/O error (verify: Prometheus cannot be queried).\nDocs: README.md; spec schema: `genmon schema`."
)]
pub struct Cli {
    /// When to color diagnostics.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    pub color: Color,
    #[command(subcommand)]
    pub command: Command,
}

/// Color choice.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style, with the spec line and a caret.
    Human,
    /// One line each: `file:line:col: level[code]: message`.
    Short,
    /// JSON array, for tools.
    Json,
}

/// Which stack the generated configs address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    /// docker compose (services by name); what the repository commits.
    Compose,
    /// Local processes on 127.0.0.1 (`genmon up`).
    Local,
}

/// Where the rendered stack runs (`--target`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    /// Local processes on 127.0.0.1 (`genmon up`), with Prometheus.
    Local,
    /// docker compose, with Prometheus; what the repository commits.
    Compose,
    /// Grafana Mimir: rule namespace for `mimirtool rules sync`, Prometheus in agent mode, ruler wiring (under mimir/).
    Mimir,
    /// VictoriaMetrics: rules for vmalert, vmagent remote-writing to the engine (under victoriametrics/).
    #[value(name = "victoriametrics")]
    VictoriaMetrics,
    /// Also Prometheus Operator and Grafana objects under kubernetes/ (PrometheusRule, ScrapeConfig, AlertmanagerConfig, dashboard ConfigMaps / GrafanaDashboards).
    Kubernetes,
}

/// Options shared by commands that read a spec.
#[derive(Debug, clap::Args)]
pub struct SpecArgs {
    /// The spec file.
    #[arg(short = 'f', long = "file", default_value = "genmon.yaml", value_name = "FILE")]
    pub file: PathBuf,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
    /// Diagnostic format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Sub-commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the spec and write dashboards/, alerts/ and provisioning/ (atomically; nothing is written when anything is wrong).
    Render {
        #[command(flatten)]
        spec: SpecArgs,
        /// Output root (dashboards/, alerts/, provisioning/ go under it).
        #[arg(short = 'o', long = "out", default_value = ".", value_name = "DIR")]
        out: PathBuf,
        /// Write nothing; exit 1 and print a unified diff when committed outputs are stale.
        #[arg(long)]
        check: bool,
        /// Which stack the configs address (hosts: compose service names or 127.0.0.1).
        #[arg(long, value_enum)]
        profile: Option<ProfileArg>,
        /// What the outputs deploy to (default: compose, or what --profile says); kubernetes also writes kubernetes/; mimir and victoriametrics write their files under mimir/ or victoriametrics/ (docs/scaling-out.md).
        #[arg(long, value_enum)]
        target: Option<TargetArg>,
        /// Do not flush the outputs to disk before swapping them in (still atomic
        /// against a failed or interrupted run, not against a power loss; faster).
        #[arg(long)]
        no_sync: bool,
        /// Overwrite generated files that were edited by hand (files genmon did not write are never overwritten).
        #[arg(long)]
        force: bool,
    },
    /// Validate the spec only (same checks as render, nothing written).
    Check {
        #[command(flatten)]
        spec: SpecArgs,
        /// `kubernetes`: also the checks of `render --target kubernetes` (names, labels, secrets, sizes).
        #[arg(long, value_enum)]
        target: Option<TargetArg>,
    },
    /// Run the alert tests: render into a temporary directory, then `promtool test rules` on every generated test file and the ones you keep in alerts/tests/ (exit 1 on any failure, 2 when promtool is missing).
    Test {
        #[command(flatten)]
        spec: SpecArgs,
        /// Where to leave the results as JSON for `genmon docs` (default: .genmon/test-results.json beside the spec).
        #[arg(long, value_name = "FILE")]
        results: Option<PathBuf>,
        /// `kubernetes`: also run every test against the rules inside the generated PrometheusRule objects.
        #[arg(long, value_enum)]
        target: Option<TargetArg>,
    },
    /// Write a static HTML catalog (alerts, SLOs, dashboards, signals, policy report) to DIR, or print it as JSON. Exit 1 on spec errors, or with --strict when a policy does not hold; 2 on usage or I/O errors.
    Docs(docs::DocsArgs),
    /// Run the stack as local processes, without Docker: genmon-exporter, Prometheus (with --target victoriametrics: VictoriaMetrics, vmagent and vmalert), Alertmanager and (when installed) Grafana on 127.0.0.1, configs rendered into <state>/config, data in <state>/data, logs in <state>/logs. Ctrl-C stops everything (exit 0); exit 1 when a service dies, 2 when a program is missing.
    Up {
        #[command(flatten)]
        spec: SpecArgs,
        /// Where configs, data, logs, PIDs and the lock live.
        #[arg(long = "state-dir", default_value = ".genmon", value_name = "DIR")]
        state_dir: PathBuf,
        /// local: Prometheus evaluates the rules; victoriametrics: vmagent → VictoriaMetrics ← vmalert (apt-get install victoria-metrics).
        #[arg(long, value_enum, default_value_t = TargetArg::Local)]
        target: TargetArg,
    },
    /// Check the spec against a live Prometheus: every metric, label and variable value it uses exists; how often each alert would have fired over the last days (backtest); how many series each rule and panel query touches. Exit 0 when all holds, 1 on findings or spec errors, 2 on bad usage or when Prometheus cannot be queried.
    Verify(verify::VerifyArgs),
    /// Show an alert, signal or dashboard (by uid) as it ends up after includes, packs and overrides, and where each value came from.
    Explain {
        #[command(flatten)]
        spec: SpecArgs,
        /// Alert name, signal name or dashboard uid.
        name: String,
    },
    /// Print the spec's JSON Schema (for editors; the repository commits it as genmon.schema.json).
    Schema,
    /// List every check code with what it means.
    Codes,
    /// Print shell completions.
    Completions {
        /// Shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print a generated spec for benchmarks (N dashboards × M timeseries panels, R alert rules).
    #[command(hide = true)]
    BenchSpec {
        #[arg(long, default_value_t = 200)]
        dashboards: usize,
        #[arg(long, default_value_t = 20)]
        panels: usize,
        #[arg(long, default_value_t = 2000)]
        rules: usize,
    },
}

/// Write `text` to stdout. A closed pipe (`genmon schema | head -c1`) ends
/// the process quietly with exit 0, as ripgrep does; `print!` would panic.
pub fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(i32::from(exit::OK));
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(i32::from(exit::USAGE));
    }
}

/// `v` as pretty JSON and a newline. serde_json refuses only maps with
/// non-string keys and `Serialize` impls that fail, which none of genmon's
/// output types have; should one appear, the command fails with the error,
/// it never prints an empty line.
pub fn json_text<T: serde::Serialize + ?Sized>(v: &T) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(v)?;
    text.push('\n');
    Ok(text)
}

/// Print [`json_text`] of `v` on stdout; exit 2 with the error when it fails.
pub fn out_json<T: serde::Serialize + ?Sized>(v: &T) {
    match json_text(v) {
        Ok(text) => out(&text),
        Err(e) => {
            eprintln!("error: cannot write the output as JSON: {e}\nhelp: this is a bug in genmon; please report it with the spec");
            std::process::exit(i32::from(exit::USAGE));
        }
    }
}

/// Run the CLI; returns the process exit code.
pub fn main() -> u8 {
    let cli = Cli::parse();
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none(),
    };
    match cli.command {
        Command::Render {
            spec,
            out,
            check,
            profile,
            target,
            no_sync,
            force,
        } => match render::profile_for(target, profile) {
            Ok((profile, engine)) => render::render(&spec, &out, check, (profile, engine), no_sync, force, color),
            Err(code) => code,
        },
        Command::Check { spec, target } => render::check(&spec, target, color),
        Command::Test { spec, results, target } => test::test(&spec, results.as_deref(), target, color),
        Command::Docs(args) => docs::docs(&args, color),
        Command::Up { spec, state_dir, target } => up::up(&spec, &state_dir, target, color),
        Command::Verify(args) => verify::verify(&args, color),
        Command::Explain { spec, name } => explain::explain(&spec, &name, color),
        Command::Schema => {
            let schema = schemars::schema_for!(crate::spec::Spec);
            out_json(&schema);
            exit::OK
        }
        Command::Codes => {
            let mut codes = crate::check::all_codes();
            codes.extend([
                (crate::spec::load_codes::SYNTAX, "the YAML is not well-formed"),
                (crate::spec::load_codes::TYPE, "unknown key, wrong type or missing key"),
                (crate::spec::load_codes::VERSION, "unsupported spec version"),
                (
                    crate::spec::limits::LIMIT,
                    "the spec is too large, too deep, or its aliases expand too far",
                ),
            ]);
            codes.extend(crate::render::kubernetes::CODES.iter().copied());
            codes.sort();
            out(&codes.iter().map(|(code, what)| format!("{code:28} {what}\n")).collect::<String>());
            exit::OK
        }
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "genmon", &mut buf);
            out(&String::from_utf8_lossy(&buf));
            exit::OK
        }
        Command::BenchSpec { dashboards, panels, rules } => {
            out(&bench_spec::generate(dashboards, panels, rules));
            exit::OK
        }
    }
}

#[cfg(test)]
mod tests {
    /// A value serde_json refuses is an error, never an empty line.
    #[test]
    fn json_output_refused_is_an_error() {
        struct Refused;
        impl serde::Serialize for Refused {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("refused"))
            }
        }
        let e = super::json_text(&Refused).unwrap_err();
        assert!(e.to_string().contains("refused"), "{e}");
        assert_eq!(super::json_text(&[1]).unwrap(), "[\n  1\n]\n");
    }
}
