//! The `exporter:` configuration section (`--config.file`).
//!
//! These serde structs reject unknown fields so that a typo is an error, and
//! derive [`schemars::JsonSchema`] so the main genmon spec can embed them as
//! its `exporter:` section.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// node_exporter's default filesystem type exclusion (pseudo filesystems).
pub const DEFAULT_EXCLUDE_FSTYPES: &str = "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$";
/// Debian's prometheus-node-exporter 1.5 default mount point exclusion (the
/// reference; upstream excludes only `/run/credentials/.+` of `/run` and
/// keeps `/mnt` and `/media`).
pub const DEFAULT_EXCLUDE_MOUNTPOINTS: &str = "^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)";
/// node_exporter's default block device exclusion (partitions, loop, ram).
pub const DEFAULT_EXCLUDE_DISKS: &str = "^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$";

/// The whole `exporter:` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ExporterConfig {
    /// Enable (`true`) or disable (`false`) collectors; absent ones keep their default.
    pub collectors: CollectorsConfig,
    /// Filesystem collector options.
    pub filesystem: FilesystemConfig,
    /// diskstats collector options.
    pub disk: DiskConfig,
    /// netdev and netclass collector options.
    pub network: NetworkConfig,
    /// Named groups of processes to account for.
    pub process_groups: Vec<ProcessGroupConfig>,
    /// Process groups: also export the per-thread families
    /// (`namedprocess_namegroup_thread_*{threadname}`), reading every member's
    /// `/proc/PID/task/*` on each scrape (process-exporter's `-threads`).
    pub process_threads: bool,
    /// Process groups: also export `namedprocess_namegroup_memory_bytes` with
    /// `memtype` `proportionalResident` and `proportionalSwapped` (PSS), from
    /// `/proc/PID/smaps_rollup` (process-exporter's `-gather-smaps`). The kernel
    /// walks every mapping of every member on each scrape.
    pub process_smaps: bool,
    /// HTTP(S) probes run on every scrape. Only these targets are ever probed.
    pub probes: Vec<ProbeConfig>,
    /// Textfile collector options.
    pub textfile: TextfileConfig,
}

/// Per-collector switches: collector name (node_exporter's, e.g. `cpu`,
/// `meminfo`, `netdev`; or `process`, `probe`) to on/off. Its JSON schema
/// lists the registered collectors, so `genmon check` locates a misspelled
/// name in the spec.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct CollectorsConfig(pub std::collections::BTreeMap<String, bool>);

/// An unknown collector name, with a "did you mean" when one is close.
pub fn unknown_collector(name: &str) -> String {
    let known: Vec<&str> = crate::collectors::names().collect();
    let hint = known
        .iter()
        .max_by(|a, b| strsim::jaro_winkler(a, name).total_cmp(&strsim::jaro_winkler(b, name)))
        .filter(|k| strsim::jaro_winkler(k, name) > 0.8)
        .map(|k| format!("did you mean `{k}`? "))
        .unwrap_or_default();
    format!("unknown collector `{name}`; {hint}known collectors: {}", known.join(", "))
}

impl<'de> Deserialize<'de> for CollectorsConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = std::collections::BTreeMap::<String, bool>::deserialize(d)?;
        if let Some(bad) = m.keys().find(|k| crate::collectors::registration(k).is_none()) {
            return Err(serde::de::Error::custom(unknown_collector(bad)));
        }
        Ok(CollectorsConfig(m))
    }
}

impl CollectorsConfig {
    /// The switch for collector `name`, if set.
    pub fn get(&self, name: &str) -> Option<bool> {
        self.0.get(name).copied()
    }
}

impl JsonSchema for CollectorsConfig {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CollectorsConfig".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let props: serde_json::Map<String, serde_json::Value> = crate::collectors::REGISTRY
            .iter()
            .map(|r| {
                let state = if r.default { "on" } else { "off" };
                let desc = format!("{} (default: {state}).", r.help);
                (r.name.to_string(), serde_json::json!({"type": "boolean", "description": desc}))
            })
            .collect();
        let mut m = serde_json::Map::new();
        m.insert("type".into(), "object".into());
        m.insert(
            "description".into(),
            "Turn collectors on (`true`) or off (`false`); absent ones keep their default.".into(),
        );
        m.insert("properties".into(), props.into());
        m.insert("additionalProperties".into(), false.into());
        m.into()
    }
}

/// Filesystem collector options. Each list entry is a regular expression that
/// must match the whole value; a list, when given, replaces the default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct FilesystemConfig {
    /// Filesystem types to skip (default: node_exporter's pseudo filesystem list).
    pub exclude_fstypes: Option<Vec<String>>,
    /// Mount points to skip (default: `/dev`, `/proc`, `/sys`, `/run/credentials/*`, `/var/lib/docker/*`).
    pub exclude_mountpoints: Option<Vec<String>>,
    /// Timeout for `statvfs` on one mount, e.g. `5s` (default 5s). A mount that
    /// hangs (dead NFS server) is skipped until its call returns.
    pub mount_timeout: Option<String>,
}

/// Disk collector options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DiskConfig {
    /// Block devices to skip, as regexes (default: partitions, loop and ram devices).
    pub exclude_devices: Option<Vec<String>>,
}

/// Network collector options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// Interfaces the netdev collector skips, as regexes (default: `lo`, as
    /// Debian's node_exporter). netclass reports every interface.
    pub exclude_devices: Option<Vec<String>>,
}

/// A named group of processes, matched by command name or command line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessGroupConfig {
    /// Group name (the `group` label).
    pub name: String,
    /// Regex searched in the command name (`/proc/PID/comm`, at most 15 bytes).
    pub match_name: Option<String>,
    /// Regex searched in the command line (arguments joined by spaces).
    pub match_cmdline: Option<String>,
}

/// An HTTP(S) probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeConfig {
    /// Probe name (the `probe` label).
    pub name: String,
    /// `http://` or `https://` URL (the `target` label).
    pub url: String,
    /// Timeout, e.g. `5s` or `500ms` (default 5s). The scrape timeout, when
    /// shorter, wins.
    #[serde(default)]
    pub timeout: Option<String>,
    /// HTTP method (default `GET`).
    #[serde(default)]
    pub method: Option<String>,
    /// Accepted status codes (default: any 2xx).
    #[serde(default)]
    pub expect_status: Option<StatusList>,
    /// Accept any certificate (self-signed targets).
    #[serde(default)]
    pub tls_insecure: bool,
    /// PEM file with CA certificates to trust in addition to the built-in roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Bytes of response body read at most (default 10 MiB); a longer body
    /// fails the probe. The body is streamed and discarded, never kept.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub body_size_limit: Option<u64>,
}

/// One status code or a list of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum StatusList {
    /// A single code.
    One(u16),
    /// Several codes.
    Many(Vec<u16>),
}

impl StatusList {
    /// The codes as a vector.
    pub fn codes(&self) -> Vec<u16> {
        match self {
            StatusList::One(c) => vec![*c],
            StatusList::Many(v) => v.clone(),
        }
    }
}

/// Textfile collector options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TextfileConfig {
    /// Directory whose `*.prom` files are exported.
    pub directory: Option<PathBuf>,
    /// Bytes read from all textfiles in one scrape (default 32 MiB); a file
    /// that would pass the limit is skipped and sets `node_textfile_scrape_error`.
    #[schemars(range(min = 1))]
    pub max_bytes: Option<u64>,
}

/// The file layout: the exporter section lives under a top-level `exporter:`
/// key; other top-level keys (the rest of a genmon spec) are ignored.
#[derive(Deserialize)]
struct FileShape {
    #[serde(default)]
    exporter: Option<ExporterConfig>,
}

/// Largest config file read (it may be a whole genmon spec).
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// Load and validate a config file (a regular file of at most
/// [`MAX_CONFIG_BYTES`]; a FIFO or device is refused rather than waited on).
pub fn load(path: &Path) -> anyhow::Result<ExporterConfig> {
    let (text, _) = super::bounded::read_regular(path, MAX_CONFIG_BYTES).context("config file (--config.file)")?;
    parse(&text).with_context(|| format!("config file {}", path.display()))
}

/// Parse and validate config text (the whole file, with its `exporter:` key).
pub fn parse(text: &str) -> anyhow::Result<ExporterConfig> {
    let shape: FileShape = serde_yaml_ng::from_str(text)?;
    // No `exporter:` section means every default, as `genmon check` reads it.
    let cfg = shape.exporter.unwrap_or_default();
    cfg.validate()?;
    Ok(cfg)
}

/// Parse a duration like `5s`, `500ms`, `1m` or `1.5s`.
pub fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        bail!("invalid duration {s:?}: use a number with a unit, e.g. 5s, 500ms or 1m");
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("invalid duration {s:?}: use e.g. 5s, 500ms or 1m"))?;
    if !v.is_finite() || v <= 0.0 || v * mult > 3600.0 {
        bail!("invalid duration {s:?}: must be positive and at most 1h");
    }
    Ok(Duration::from_secs_f64(v * mult))
}

/// Compile a list of regexes into one anchored alternation.
pub fn compile_list(field: &str, list: &[String]) -> anyhow::Result<Option<Regex>> {
    if list.is_empty() {
        return Ok(None);
    }
    for (i, r) in list.iter().enumerate() {
        Regex::new(r).with_context(|| format!("{field}[{i}]: invalid regex {r:?}"))?;
    }
    let joined = list.iter().map(|r| format!("(?:{r})")).collect::<Vec<_>>().join("|");
    Ok(Some(Regex::new(&format!("^(?:{joined})$"))?))
}

/// A configured exclusion, or the default regex.
pub fn exclusion(field: &str, list: &Option<Vec<String>>, default: &str) -> anyhow::Result<Option<Regex>> {
    match list {
        Some(l) => compile_list(field, l),
        None => Ok(Some(Regex::new(default)?)),
    }
}

/// One problem of the `exporter:` section that serde cannot see: the spec
/// path of the value (`exporter.probes[0].url`), what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub path: String,
    pub message: String,
    pub help: String,
}

impl ExporterConfig {
    /// Check everything serde cannot: regexes, durations, URLs, unique
    /// names. Fails with every problem, one per line.
    pub fn validate(&self) -> anyhow::Result<()> {
        let problems = self.problems();
        if problems.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = problems.iter().map(|p| format!("{}: {} ({})", p.path, p.message, p.help)).collect();
        bail!("{}", lines.join("\n"))
    }

    /// Every problem serde cannot see, each at its value; `genmon check`
    /// reports them located, genmon-exporter refuses to start on any.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut add = |path: String, message: String, help: &str| {
            out.push(Problem {
                path,
                message,
                help: help.to_string(),
            })
        };
        for name in self.collectors.0.keys() {
            if crate::collectors::registration(name).is_none() {
                add(
                    format!("exporter.collectors.{name}"),
                    unknown_collector(name),
                    "name a collector of `genmon-exporter --help` (node_exporter's names)",
                );
            }
        }
        let regex_help = "write a regular expression (Rust regex syntax, matched against the whole value)";
        let lists = [
            ("exporter.filesystem.exclude_fstypes", &self.filesystem.exclude_fstypes),
            ("exporter.filesystem.exclude_mountpoints", &self.filesystem.exclude_mountpoints),
            ("exporter.disk.exclude_devices", &self.disk.exclude_devices),
            ("exporter.network.exclude_devices", &self.network.exclude_devices),
        ];
        for (field, list) in lists {
            for (i, r) in list.iter().flatten().enumerate() {
                if let Err(e) = Regex::new(r) {
                    add(
                        format!("{field}[{i}]"),
                        format!("invalid regex {r:?}: {}", first_line(&e)),
                        regex_help,
                    );
                }
            }
        }
        let duration_help = "write a number with a unit: 5s, 500ms or 1m (at most 1h)";
        if let Some(t) = &self.filesystem.mount_timeout
            && let Err(e) = parse_duration(t)
        {
            add("exporter.filesystem.mount_timeout".into(), e.to_string(), duration_help);
        }
        if self.textfile.max_bytes == Some(0) {
            add(
                "exporter.textfile.max_bytes".into(),
                "max_bytes must be at least 1".into(),
                "the bytes read from all textfiles per scrape; leave it out for 32 MiB",
            );
        }
        let mut names = std::collections::HashSet::new();
        for (i, g) in self.process_groups.iter().enumerate() {
            let at = format!("exporter.process_groups[{i}]");
            if g.name.is_empty() {
                add(
                    format!("{at}.name"),
                    "`name` must not be empty".into(),
                    "name the group (the `group` label)",
                );
            } else if !names.insert(&g.name) {
                add(
                    format!("{at}.name"),
                    format!("duplicate group name {:?}", g.name),
                    "names must be unique",
                );
            }
            match (&g.match_name, &g.match_cmdline) {
                (Some(_), Some(_)) | (None, None) => add(
                    at,
                    "set exactly one of `match_name` or `match_cmdline`".into(),
                    "match_name searches the command name, match_cmdline the whole command line",
                ),
                (Some(r), None) | (None, Some(r)) => {
                    if let Err(e) = Regex::new(r) {
                        let key = if g.match_name.is_some() { "match_name" } else { "match_cmdline" };
                        add(
                            format!("{at}.{key}"),
                            format!("invalid regex {r:?}: {}", first_line(&e)),
                            regex_help,
                        );
                    }
                }
            }
        }
        let mut names = std::collections::HashSet::new();
        for (i, p) in self.probes.iter().enumerate() {
            let at = format!("exporter.probes[{i}]");
            if p.name.is_empty() {
                add(
                    format!("{at}.name"),
                    "`name` must not be empty".into(),
                    "name the probe (the `probe` label)",
                );
            } else if !names.insert(&p.name) {
                add(
                    format!("{at}.name"),
                    format!("duplicate probe name {:?}", p.name),
                    "names must be unique",
                );
            }
            match reqwest::Url::parse(&p.url) {
                Err(e) => add(
                    format!("{at}.url"),
                    format!("invalid url {:?}: {e}", p.url),
                    "write an http:// or https:// URL",
                ),
                Ok(url) if url.scheme() != "http" && url.scheme() != "https" => add(
                    format!("{at}.url"),
                    format!("url scheme `{}` is not probed", url.scheme()),
                    "probes speak HTTP: the url must start with http:// or https://",
                ),
                Ok(_) => {}
            }
            if let Some(t) = &p.timeout
                && let Err(e) = parse_duration(t)
            {
                add(format!("{at}.timeout"), e.to_string(), duration_help);
            }
            if let Some(m) = &p.method
                && reqwest::Method::from_bytes(m.as_bytes()).is_err()
            {
                add(
                    format!("{at}.method"),
                    format!("invalid HTTP method {m:?}"),
                    "use GET, HEAD, POST, ...",
                );
            }
            if p.body_size_limit == Some(0) {
                add(
                    format!("{at}.body_size_limit"),
                    "body_size_limit must be at least 1 byte".into(),
                    "the bytes of a response body read at most; leave it out for 10 MiB",
                );
            }
            for c in p.expect_status.iter().flat_map(StatusList::codes) {
                if !(100..=599).contains(&c) {
                    add(
                        format!("{at}.expect_status"),
                        format!("{c} is not an HTTP status code"),
                        "HTTP status codes are 100-599",
                    );
                }
            }
        }
        out
    }
}

fn first_line(e: &regex::Error) -> String {
    e.to_string().lines().last().unwrap_or("").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_example_parses() {
        let cfg = parse(
            r#"
exporter:
  collectors: {cpu: true, diskstats: false}
  filesystem: {exclude_fstypes: [tmpfs, "ext.*"], exclude_mountpoints: ["/boot"]}
  network: {exclude_devices: [lo, "veth.*"]}
  process_groups:
    - {name: sshd, match_name: "^sshd$"}
    - {name: java, match_cmdline: "java .*-jar"}
  probes:
    - {name: site, url: "https://example.com/", timeout: 2s, method: HEAD, expect_status: [200, 301], tls_insecure: true}
    - {name: api, url: "http://127.0.0.1:8080/health", expect_status: 204}
  textfile: {directory: /var/lib/genmon/textfile}
other_genmon_section: {ignored: true}
"#,
        )
        .unwrap();
        assert_eq!(cfg.collectors.get("cpu"), Some(true));
        assert_eq!(cfg.collectors.get("diskstats"), Some(false));
        assert_eq!(cfg.probes[1].expect_status.as_ref().unwrap().codes(), vec![204]);
        let re = compile_list("x", cfg.network.exclude_devices.as_ref().unwrap()).unwrap().unwrap();
        assert!(re.is_match("veth123") && re.is_match("lo") && !re.is_match("eth0") && !re.is_match("lo0"));
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            ("exporter: {collectors: {cpus: true}}", "did you mean `cpu`?"),
            ("exporter: {probes: [{name: a, url: 'ftp://x'}]}", "exporter.probes[0]"),
            (
                "exporter: {probes: [{name: a, url: 'http://x', timeout: 5}]}",
                "use a number with a unit",
            ),
            ("exporter: {probes: [{name: a, url: 'http://x', timeout: '5 parsecs'}]}", "timeout"),
            ("exporter: {process_groups: [{name: a}]}", "exactly one of"),
            ("exporter: {process_groups: [{name: a, match_name: '('}]}", "invalid regex"),
            (
                "exporter: {network: {exclude_devices: ['[']}}",
                "exporter.network.exclude_devices[0]",
            ),
        ];
        for (text, want) in cases {
            let err = format!("{:#}", parse(text).unwrap_err());
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn no_section_means_defaults() {
        assert_eq!(parse("version: 1\n").unwrap(), ExporterConfig::default());
    }

    #[test]
    fn every_problem_at_its_value() {
        let cfg = parse_unchecked(
            "exporter: {filesystem: {exclude_fstypes: [ok, '('], mount_timeout: 5 seconds}, probes: [{name: a, url: 'ftp://x'}]}",
        );
        let paths: Vec<String> = cfg.problems().into_iter().map(|p| p.path).collect();
        assert_eq!(
            paths,
            [
                "exporter.filesystem.exclude_fstypes[1]",
                "exporter.filesystem.mount_timeout",
                "exporter.probes[0].url"
            ]
        );
    }

    fn parse_unchecked(text: &str) -> ExporterConfig {
        let shape: FileShape = serde_yaml_ng::from_str(text).unwrap();
        shape.exporter.unwrap()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("0s").is_err() && parse_duration("5").is_err() && parse_duration("-1s").is_err());
    }

    #[test]
    fn schema_generates() {
        let schema = schemars::schema_for!(ExporterConfig);
        let json = serde_json::to_string(&schema).unwrap();
        assert!(json.contains("process_groups") && json.contains("tls_insecure"));
        assert!(json.contains("\"meminfo\"") && json.contains("\"additionalProperties\":false"));
    }
}
