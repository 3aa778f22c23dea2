//! `services/name`, `services/params`: what a `services:` entry must get
//! right before it expands (`src/services.rs`). Everything it expands to is
//! checked like hand-written parts (metrics and labels against the
//! `genmon-service` catalog, alerts, SLOs), and problems found there point
//! back at the service.

use super::{Check, Ctx};
use crate::diag::Diagnostic;

pub struct Services;

const NAME: &str = "services/name";
const PARAMS: &str = "services/params";

impl Check for Services {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (NAME, "a service name is invalid or given twice"),
            (PARAMS, "a service's alert level or SLO is out of range"),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut bad = |path: String, msg: String, help: &str| out.push(Diagnostic::error(PARAMS, path, msg).help(help.to_string()));
        let mut names_out = Vec::new();
        for (i, s) in cx.spec.services.iter().enumerate() {
            let at = format!("services[{i}]");
            if !crate::services::valid_name(&s.name) {
                names_out.push(
                    Diagnostic::error(NAME, format!("{at}.name"), format!("service name `{}` is not usable", s.name)).help(
                        "use lowercase letters, digits and `-`, starting with a letter, at most 32 characters (it names the dashboard `service-<name>` and the SLOs)",
                    ),
                );
            } else if let Some(j) = cx.spec.services[..i].iter().position(|o| o.name == s.name) {
                names_out.push(
                    Diagnostic::error(
                        NAME,
                        format!("{at}.name"),
                        format!("service `{}` is declared twice (also services[{j}])", s.name),
                    )
                    .help("give each service its own name"),
                );
            }
            let a = &s.alerts;
            if !(a.error_ratio > 0.0 && a.error_ratio < 1.0) {
                bad(
                    format!("{at}.alerts.error_ratio"),
                    format!("error_ratio {} is not a ratio between 0 and 1 (exclusive)", a.error_ratio),
                    "e.g. `0.05` fires when more than 5% of a route's requests fail",
                );
            }
            if !(a.latency_p99 > 0.0 && a.latency_p99.is_finite()) {
                bad(
                    format!("{at}.alerts.latency_p99"),
                    format!("latency_p99 {} is not a positive number of seconds", a.latency_p99),
                    "e.g. `0.5` fires when a route's p99 latency is above 500 ms",
                );
            }
            let Some(slo) = &s.slo else { continue };
            if slo.availability.is_none() && slo.latency.is_none() {
                bad(
                    format!("{at}.slo"),
                    "an SLO without `availability` or `latency` measures nothing".into(),
                    "add `availability: 99.9` and/or `latency: {le: 0.25, objective: 99}`, or remove `slo`",
                );
            }
            if let Some(l) = &slo.latency {
                let buckets = genmon_service::HTTP_DURATION_BUCKETS;
                if !buckets.contains(&l.le) {
                    let list: Vec<String> = buckets.iter().map(|b| crate::model::kinds::fmt_num(*b)).collect();
                    let near = buckets
                        .iter()
                        .min_by(|x, y| (*x - l.le).abs().total_cmp(&(*y - l.le).abs()))
                        .map(|b| crate::model::kinds::fmt_num(*b))
                        .unwrap_or_default();
                    bad(
                        format!("{at}.slo.latency.le"),
                        format!(
                            "le {} is not a bucket bound of `{}`: the share of requests faster than it cannot be counted",
                            l.le,
                            genmon_service::catalog::HTTP_DURATION
                        ),
                        &format!("use one of the library's bounds ({}), e.g. `{near}`", list.join(", ")),
                    );
                }
            }
        }
        names_out.extend(out);
        names_out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::problems;

    #[test]
    fn names_levels_and_buckets() {
        let svc = |name: &str, rest: &str| format!("  - {{name: {name}, scrape: {{name: {name}, targets: ['127.0.0.1:9464']}}{rest}}}\n");
        let good = format!(
            "version: 1\nservices:\n{}{}",
            svc("checkout", ", slo: {availability: 99.9, latency: {le: 0.25, objective: 99}}"),
            svc("cart-api2", "")
        );
        assert!(problems(&Services, &good).is_empty());
        let bad = format!(
            "version: 1\nservices:\n{}{}{}{}",
            svc("Checkout", ""),
            svc("a", ", alerts: {error_ratio: 5, latency_p99: 0}"),
            svc("a", ", slo: {latency: {le: 0.2, objective: 99}}"),
            svc("b", ", slo: {per_route: true}"),
        );
        assert_eq!(
            problems(&Services, &bad),
            vec![
                "services/name@services[0].name",
                "services/name@services[2].name",
                "services/params@services[1].alerts.error_ratio",
                "services/params@services[1].alerts.latency_p99",
                "services/params@services[2].slo.latency.le",
                "services/params@services[3].slo",
            ]
        );
    }
}
