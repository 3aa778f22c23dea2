//! `genmon verify`: the spec against a live Prometheus (see `crate::verify`).

use std::path::PathBuf;
use std::time::Duration;

use super::{Format, SpecArgs, exit};
use crate::model::Profile;
use crate::verify::api::{Auth, Limits};
use crate::verify::{Options, output};

/// How the verify report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyFormat {
    /// Aligned tables.
    Human,
    /// JSON with stable keys (docs/verify.md).
    Json,
    /// JUnit XML, one test case per check.
    Junit,
}

/// `genmon verify`'s flags.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Prometheus base URL, e.g. http://127.0.0.1:9090.
    #[arg(long, value_name = "URL")]
    pub prometheus: String,
    /// The spec file.
    #[arg(short = 'f', long = "file", default_value = "genmon.yaml", value_name = "FILE")]
    pub file: PathBuf,
    /// Days back from now to look at (existence range and backtest).
    #[arg(long, default_value_t = 7.0, value_name = "N")]
    pub days: f64,
    /// Backtest query step in seconds (default: the evaluation interval, or more so that a series has at most 11,000 points).
    #[arg(long, value_name = "SECONDS")]
    pub step: Option<u32>,
    /// Flag an alert as firing constantly when one series fires more than this percentage of the range.
    #[arg(long, default_value_t = 50.0, value_name = "PERCENT")]
    pub constant_percent: f64,
    /// Flag an alert as flapping when it would have fired more than this many times a day.
    #[arg(long, default_value_t = 5.0, value_name = "N")]
    pub flapping_per_day: f64,
    /// A recording rule or panel query touching more series than this is a finding.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_series: u64,
    /// Timeout of each request to Prometheus, in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
    /// Largest answer read from Prometheus; a larger one is an error.
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES")]
    pub max_response_bytes: usize,
    /// Requests to Prometheus in flight at once.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub concurrency: usize,
    /// Send `Authorization: Bearer <token>` with the token read from this file.
    #[arg(long, value_name = "FILE", conflicts_with = "basic_auth_user")]
    pub bearer_token_file: Option<PathBuf>,
    /// HTTP basic auth user (the password is read from --basic-auth-password-file).
    #[arg(long, value_name = "USER", requires = "basic_auth_password_file")]
    pub basic_auth_user: Option<String>,
    /// File holding the basic auth password.
    #[arg(long, value_name = "FILE", requires = "basic_auth_user")]
    pub basic_auth_password_file: Option<PathBuf>,
    /// Report format (stdout).
    #[arg(long, value_enum, default_value_t = VerifyFormat::Human)]
    pub format: VerifyFormat,
}

/// `genmon verify`.
pub fn verify(args: &VerifyArgs, color: bool) -> u8 {
    if !(args.days > 0.0 && args.days <= 3650.0) {
        eprintln!("error: --days must be more than 0 and at most 3650, not {}", args.days);
        return exit::USAGE;
    }
    if !(0.0..=100.0).contains(&args.constant_percent) || args.flapping_per_day < 0.0 || args.concurrency == 0 {
        eprintln!("error: --constant-percent must be 0-100, --flapping-per-day at least 0, --concurrency at least 1");
        return exit::USAGE;
    }
    let secret = |p: &PathBuf| {
        std::fs::read_to_string(p)
            .map(|s| s.trim_end_matches(['\r', '\n']).to_string())
            .map_err(|e| eprintln!("error: cannot read {}: {e}", p.display()))
    };
    let auth = match (&args.bearer_token_file, &args.basic_auth_user, &args.basic_auth_password_file) {
        (Some(f), _, _) => match secret(f) {
            Ok(t) => Auth::Bearer(t),
            Err(()) => return exit::USAGE,
        },
        (None, Some(user), Some(f)) => match secret(f) {
            Ok(password) => Auth::Basic {
                user: user.clone(),
                password,
            },
            Err(()) => return exit::USAGE,
        },
        _ => Auth::None,
    };
    let spec_args = SpecArgs {
        file: args.file.clone(),
        strict: false,
        format: Format::Human,
    };
    let (src, compiled) = match super::render::compile_reporting(&spec_args, (Profile::Compose, crate::pipeline::Deploy::Prometheus), color)
    {
        Ok(x) => x,
        Err(code) => return code,
    };
    let loaded = match crate::spec::load(&src) {
        Ok(l) => l,
        Err(_) => return exit::INVALID,
    };
    let opts = Options {
        prometheus: args.prometheus.clone(),
        days: args.days,
        step: args.step.map(i64::from),
        constant_ratio: args.constant_percent / 100.0,
        flapping_per_day: args.flapping_per_day,
        max_series: args.max_series,
        limits: Limits {
            timeout: Duration::from_secs(args.timeout.max(1)),
            max_response_bytes: args.max_response_bytes,
            concurrency: args.concurrency,
        },
        auth,
    };
    let report = match crate::verify::run(&src.name, &loaded, &compiled.model, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    match args.format {
        VerifyFormat::Human => super::out(&output::human(&report)),
        VerifyFormat::Json => super::out_json(&report),
        VerifyFormat::Junit => super::out(&output::junit(&report)),
    }
    if report.findings == 0 { exit::OK } else { exit::INVALID }
}
