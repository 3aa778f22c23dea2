//! The catalog as a static site: askama templates under `templates/docs/`,
//! every value HTML-escaped by askama, inline CSS and a little inline JS, no
//! external assets (the pages' Content-Security-Policy forbids them), only
//! relative links, so it works from `file://` and any static server.

use std::collections::BTreeMap;

use askama::Template;

use super::{AlertDoc, Catalog};

/// What templates call: anchors and pages by name, formatting.
pub struct Helpers {
    signal_anchors: BTreeMap<String, String>,
    alert_pages: BTreeMap<String, String>,
}

impl Helpers {
    fn new(c: &Catalog) -> Helpers {
        Helpers {
            signal_anchors: c.signals.iter().map(|s| (s.name.clone(), s.anchor.clone())).collect(),
            alert_pages: c.alerts.iter().map(|a| (a.name.clone(), a.page.clone())).collect(),
        }
    }

    /// Links only to the web: a spec's `javascript:` URL stays text.
    pub fn is_web(&self, url: &str) -> bool {
        url.starts_with("https://") || url.starts_with("http://")
    }

    pub fn slug(&self, s: &str) -> String {
        super::slug(s)
    }

    /// A value as a CSS class suffix (`not run` → `not-run`).
    pub fn css(&self, s: &str) -> String {
        super::slug(s)
    }

    pub fn signal_anchor(&self, name: &str) -> String {
        self.signal_anchors.get(name).cloned().unwrap_or_default()
    }

    pub fn alert_page(&self, name: &str) -> String {
        self.alert_pages.get(name).cloned().unwrap_or_default()
    }

    /// Sort key of a severity: critical first.
    pub fn severity_rank(&self, s: &str) -> u8 {
        match s {
            "critical" => 0,
            "warning" => 1,
            "info" => 2,
            _ => 3,
        }
    }

    /// A Prometheus duration in seconds (sort key); 0 when empty.
    pub fn seconds(&self, d: &str) -> u64 {
        crate::spec::Duration::parse(d).map(|d| d.secs()).unwrap_or(0)
    }
}

macro_rules! page {
    ($name:ident, $path:literal) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $name<'a> {
            c: &'a Catalog,
            #[allow(dead_code)] // not every page calls a helper
            h: &'a Helpers,
            nav: &'static str,
        }
    };
}

page!(Index, "docs/index.html");
page!(Alerts, "docs/alerts.html");
page!(Slos, "docs/slos.html");
page!(Dashboards, "docs/dashboards.html");
page!(Signals, "docs/signals.html");

#[derive(Template)]
#[template(path = "docs/alert.html")]
struct AlertPage<'a> {
    c: &'a Catalog,
    h: &'a Helpers,
    nav: &'static str,
    a: &'a AlertDoc,
}

/// Every page of the site: (file name, bytes). File names are the catalog's
/// slugs (ASCII letters, digits, `-`, `_`), so none leaves the output directory.
pub fn site(c: &Catalog) -> Result<Vec<(String, Vec<u8>)>, askama::Error> {
    let h = &Helpers::new(c);
    let mut out = vec![
        ("index.html".to_string(), Index { c, h, nav: "index" }.render()?),
        ("alerts.html".to_string(), Alerts { c, h, nav: "alerts" }.render()?),
        ("slos.html".to_string(), Slos { c, h, nav: "slos" }.render()?),
        ("dashboards.html".to_string(), Dashboards { c, h, nav: "dashboards" }.render()?),
        ("signals.html".to_string(), Signals { c, h, nav: "signals" }.render()?),
    ];
    for a in &c.alerts {
        out.push((a.page.clone(), AlertPage { c, h, nav: "alerts", a }.render()?));
    }
    Ok(out.into_iter().map(|(p, s)| (p, s.into_bytes())).collect())
}
