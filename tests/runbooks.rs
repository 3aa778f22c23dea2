//! Every alert the default genmon.yaml generates links its own runbook
//! section, and that section exists: its `runbook_url` is docs/runbooks.md#
//! plus the alert's name, an anchor GitHub generates for one of the headings
//! (GitHub matches fragments ignoring case).

mod common;

use std::collections::BTreeSet;

use common::{files, render, root};
use serde_yaml_ng::Value;

const RUNBOOKS: &str = "https://github.com/genmon/genmon/blob/main/docs/runbooks.md#";

/// GitHub's heading anchor: lowercase; letters, digits, `-` and `_` kept;
/// spaces to `-`; everything else dropped; repeats get `-1`, `-2`, ….
fn github_anchors(markdown: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        let Some(text) = line.strip_prefix('#').filter(|_| !in_code) else {
            continue;
        };
        let text = text.trim_start_matches('#').trim();
        let slug: String = text
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        let mut unique = slug.clone();
        let mut n = 0;
        while !out.insert(unique.clone()) {
            n += 1;
            unique = format!("{slug}-{n}");
        }
    }
    out
}

#[test]
fn github_anchors_follow_githubs_rules() {
    let a = github_anchors("# Runbooks for the stack\n## HostCpuBusy\n```\n# not a heading\n```\n## HostCpuBusy\n");
    let want: BTreeSet<String> = ["runbooks-for-the-stack", "hostcpubusy", "hostcpubusy-1"].map(String::from).into();
    assert_eq!(a, want);
}

#[test]
fn every_generated_alert_links_an_existing_runbook_section() {
    let anchors = github_anchors(&std::fs::read_to_string(root().join("docs/runbooks.md")).unwrap());
    let urls = runbook_urls(&root().join("genmon.yaml"));
    let alerts = urls.len();
    let mut broken = Vec::new();
    for (name, url) in &urls {
        // The alert's own section, as for every other kind: an SLO's
        // `<Name>FastBurn` links `#<Name>FastBurn`, not the spec's `#<Name>`.
        match url.strip_prefix(RUNBOOKS) {
            Some(fragment) if fragment == name && anchors.contains(&fragment.to_lowercase()) => {}
            _ => broken.push(format!("{name}: runbook_url {url:?}")),
        }
    }
    assert!(alerts >= 20, "only {alerts} alerts rendered from genmon.yaml");
    assert!(
        broken.is_empty(),
        "alerts whose runbook_url is not a heading of docs/runbooks.md:\n{}",
        broken.join("\n")
    );
}

/// The runbook_url of each alert rendered from the spec at `spec`, by name.
fn runbook_urls(spec: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let out = render(spec);
    let mut urls = std::collections::BTreeMap::new();
    for file in files(&out.path().join("alerts"), ".rules.yml") {
        let doc: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        for g in doc["groups"].as_sequence().into_iter().flatten() {
            for rule in g["rules"].as_sequence().into_iter().flatten() {
                if let Some(name) = rule["alert"].as_str() {
                    let url = rule["annotations"]["runbook_url"].as_str().unwrap_or("(none)");
                    urls.insert(name.to_owned(), url.to_owned());
                }
            }
        }
    }
    urls
}

#[test]
fn each_alert_an_slo_generates_links_its_own_section() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("genmon.yaml"),
        r#"
version: 1
alerting: {runbook_base_url: "https://runbooks.example/#"}
metrics: {external: [http_requests_total]}
rules:
  - name: slos
    alerts:
      - name: Api
        slo: {objective: 99.5, bad: 'http_requests_total{code="5xx"}', total: http_requests_total}
      - name: Web
        slo: {objective: 99.5, bad: 'http_requests_total{code="4xx"}', total: http_requests_total}
        runbook_url: "https://wiki.example/web#"
      - name: Cdn
        slo: {objective: 99.5, bad: 'http_requests_total{code="3xx"}', total: http_requests_total}
        runbook_url: "https://wiki.example/cdn"
"#,
    )
    .unwrap();
    let urls = runbook_urls(&d.path().join("genmon.yaml"));
    let want = |name: &str, url: &str| assert_eq!(urls.get(name).map(String::as_str), Some(url), "{urls:#?}");
    for suffix in ["FastBurn", "SlowBurn", "InputAbsent"] {
        want(&format!("Api{suffix}"), &format!("https://runbooks.example/#Api{suffix}"));
        // An alert's own runbook_url ending in `#` is a base as well.
        want(&format!("Web{suffix}"), &format!("https://wiki.example/web#Web{suffix}"));
        // Any other URL is the user's choice, kept as written.
        want(&format!("Cdn{suffix}"), "https://wiki.example/cdn");
    }
}
