//! `os`: `/etc/os-release` (node_exporter's `os`).

use std::collections::HashMap;

use super::{Collector, ScrapeContext, read_opt};
use crate::Paths;
use crate::metric::{Family, Kind, label};

/// `node_os_info` labels and their os-release keys.
const INFO: [(&str, &str); 12] = [
    ("build_id", "BUILD_ID"),
    ("id", "ID"),
    ("id_like", "ID_LIKE"),
    ("image_id", "IMAGE_ID"),
    ("image_version", "IMAGE_VERSION"),
    ("name", "NAME"),
    ("pretty_name", "PRETTY_NAME"),
    ("variant", "VARIANT"),
    ("variant_id", "VARIANT_ID"),
    ("version", "VERSION"),
    ("version_codename", "VERSION_CODENAME"),
    ("version_id", "VERSION_ID"),
];

/// Parse os-release `KEY=value` lines (values optionally quoted).
pub fn parse(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else { continue };
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(v);
        out.insert(
            k.to_string(),
            v.replace("\\\"", "\"")
                .replace("\\\\", "\\")
                .replace("\\$", "$")
                .replace("\\`", "`"),
        );
    }
    out
}

/// The `major.minor` part of a version id (`"22.04.1"` -> 22.04).
pub fn major_minor(v: &str) -> Option<f64> {
    let mut it = v.split('.');
    let major = it.next()?;
    let s = match it.next() {
        Some(minor) => format!("{major}.{minor}"),
        None => major.to_string(),
    };
    s.parse().ok()
}

/// The os collector.
pub struct Os {
    paths: Paths,
}

impl Os {
    /// A collector reading `<rootfs>/etc/os-release` (else `<rootfs>/usr/lib/os-release`).
    pub fn new(paths: &Paths) -> Self {
        Os { paths: paths.clone() }
    }
}

impl Collector for Os {
    fn name(&self) -> &'static str {
        "os"
    }
    fn collect(&self, _: &ScrapeContext) -> anyhow::Result<Vec<Family>> {
        let etc = self.paths.rootfs.join("etc/os-release");
        let text = match read_opt(&etc)? {
            Some(t) => t,
            None => super::read_or_no_data(&self.paths.rootfs.join("usr/lib/os-release"))?,
        };
        let m = parse(&text);
        let get = |k: &str| m.get(k).cloned().unwrap_or_default();
        let mut info = Family::new(
            "node_os_info",
            Kind::Gauge,
            "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
        );
        info.push(INFO.iter().map(|(l, k)| label(l, get(k))).collect(), 1.0);
        let mut out = vec![info];
        if let Some(v) = major_minor(&get("VERSION_ID")) {
            let mut ver = Family::new(
                "node_os_version",
                Kind::Gauge,
                "Metric containing the major.minor part of the OS version.",
            );
            ver.push(
                vec![label("id", get("ID")), label("id_like", get("ID_LIKE")), label("name", get("NAME"))],
                v,
            );
            out.push(ver);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let m = parse("NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n# c\nPRETTY_NAME='x \\\"y\\\"'\n");
        assert_eq!(m["NAME"], "Debian GNU/Linux");
        assert_eq!(m["ID"], "debian");
        assert_eq!(m["PRETTY_NAME"], "x \"y\"");
        assert_eq!(major_minor("12"), Some(12.0));
        assert_eq!(major_minor("22.04.3"), Some(22.04));
        assert_eq!(major_minor(""), None);
    }
}
