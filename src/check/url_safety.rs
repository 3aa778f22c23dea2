//! `url/scheme`: URLs genmon writes into dashboards, alerts and configs are
//! `http(s)` (a `javascript:` link or runbook runs in the reader's Grafana
//! session). `secret/inline`: credentials in a URL or target (`user:pass@`)
//! would be written to world-readable files and shown in labels and links;
//! refused. `secret/query`: a query parameter that looks like a token; a
//! warning, since Alertmanager 0.25's webhook has no `url_file`.

use super::{Check, Ctx};
use crate::diag::Diagnostic;

pub struct UrlSafety;

const SCHEME: &str = "url/scheme";
const INLINE: &str = "secret/inline";
const QUERY: &str = "secret/query";

/// Query keys that carry secrets by convention.
const SECRET_KEYS: &[&str] = &[
    "token",
    "access_token",
    "api_key",
    "apikey",
    "key",
    "secret",
    "password",
    "passwd",
    "pass",
    "auth",
    "sig",
    "signature",
    "client_secret",
    "private_token",
];

pub(super) fn check_url(path: String, text: &str, out: &mut Vec<Diagnostic>) {
    let Ok(u) = url::Url::parse(text.trim()) else {
        // Relative links (`/d/uid`) carry no scheme and no credentials.
        if text.trim_start().starts_with('/') && !text.trim_start().starts_with("//") {
            return;
        }
        out.push(
            Diagnostic::error(SCHEME, path, format!("`{}` is not an absolute URL", text.escape_debug()))
                .help("write an absolute http(s) URL such as `https://runbooks.example.com/disk-full`"),
        );
        return;
    };
    if !matches!(u.scheme(), "http" | "https") {
        out.push(
            Diagnostic::error(SCHEME, path.clone(), format!("URL scheme `{}:` is not http or https", u.scheme()))
                .help("only http(s) URLs are written into dashboards, alerts and configs"),
        );
        return;
    }
    if !u.username().is_empty() || u.password().is_some() {
        out.push(
            Diagnostic::error(INLINE, path.clone(), "the URL holds credentials (`user:password@`)")
                .help("genmon writes this URL into world-readable files and links; remove the credentials (use a receiver whose secret comes from a `*_file`, or an endpoint that authenticates otherwise)"),
        );
    }
    if let Some((k, _)) = u
        .query_pairs()
        .find(|(k, _)| SECRET_KEYS.contains(&k.to_ascii_lowercase().as_str()))
    {
        out.push(
            Diagnostic::warning(QUERY, path, format!("the URL's query parameter `{k}` looks like a secret"))
                .help("it will be stored in a world-readable file; prefer a receiver whose secret comes from a `*_file`"),
        );
    }
}

impl Check for UrlSafety {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (SCHEME, "a URL is not http(s) (e.g. `javascript:`)"),
            (INLINE, "credentials written inline in a URL or scrape target"),
            (QUERY, "a URL query parameter looks like a secret"),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let s = cx.spec;
        let mut out = Vec::new();
        check_url("grafana.external_url".into(), &s.grafana.external_url, &mut out);
        if let Some(u) = &s.alertmanager.external_url {
            check_url("alertmanager.external_url".into(), u, &mut out);
        }
        if let Some(u) = &s.engine.url {
            check_url("engine.url".into(), u, &mut out);
        }
        if let Some(u) = &s.alerting.runbook_base_url {
            check_url("alerting.runbook_base_url".into(), u, &mut out);
        }
        for (di, d) in s.dashboards.iter().enumerate() {
            for (li, l) in d.links.iter().enumerate() {
                if let Some(u) = &l.url {
                    check_url(format!("dashboards[{di}].links[{li}].url"), u, &mut out);
                }
            }
        }
        for (gi, g) in s.rules.iter().enumerate() {
            for (ai, a) in g.alerts.iter().enumerate() {
                if let Some(u) = &a.runbook_url {
                    check_url(format!("rules[{gi}].alerts[{ai}].runbook_url"), u, &mut out);
                }
            }
        }
        for (ri, r) in s.alertmanager.receivers.iter().enumerate() {
            for (wi, w) in r.webhook.iter().enumerate() {
                check_url(format!("alertmanager.receivers[{ri}].webhook[{wi}].url"), &w.url, &mut out);
            }
            for (oi, o) in r.opsgenie.iter().enumerate() {
                if let Some(u) = &o.api_url {
                    check_url(format!("alertmanager.receivers[{ri}].opsgenie[{oi}].api_url"), u, &mut out);
                }
            }
        }
        for (ji, j) in s.prometheus.scrape_jobs.iter().enumerate() {
            for (ti, t) in j.targets.iter().enumerate() {
                if t.contains('@') {
                    out.push(
                        Diagnostic::error(INLINE, format!("prometheus.scrape_jobs[{ji}].targets[{ti}]"), "the target holds credentials (`user:password@`)")
                            .help("targets become the `instance` label and a world-readable config; Prometheus takes credentials from `basic_auth.password_file`, not the target"),
                    );
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn flags_scripts_credentials_and_tokens() {
        let y = r#"version: 1
alerting: {runbook_base_url: "javascript:alert(1)//"}
dashboards:
- {uid: a, title: A, links: [{title: x, url: "JavaScript:alert(1)"}, {title: y, url: /d/b}]}
alertmanager:
  route: {receiver: r}
  receivers: [{name: r, webhook: [{url: "https://u:p@hooks.example.com/x"}, {url: "https://h.example.com/?token=abc"}]}]
prometheus: {scrape_jobs: [{name: j, targets: ["admin:pw@db:9100"]}]}
"#;
        assert_eq!(
            problems(&UrlSafety, y),
            [
                "url/scheme@alerting.runbook_base_url",
                "url/scheme@dashboards[0].links[0].url",
                "secret/inline@alertmanager.receivers[0].webhook[0].url",
                "secret/query@alertmanager.receivers[0].webhook[1].url",
                "secret/inline@prometheus.scrape_jobs[0].targets[0]"
            ]
        );
        assert!(problems(&UrlSafety, "version: 1\n").is_empty());
    }
}
