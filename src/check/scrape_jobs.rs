//! `scrape/job`: job names are unique (the stack's own included) and targets
//! are `host:port`; `scrape/timeout`: timeouts fit in intervals.

use super::{Check, Ctx};
use crate::conventions as c;
use crate::diag::Diagnostic;

pub struct ScrapeJobs;

const JOB: &str = "scrape/job";
const TIMEOUT: &str = "scrape/timeout";

impl Check for ScrapeJobs {
    fn codes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (JOB, "a scrape job name is taken or a target is not host:port"),
            (TIMEOUT, "a scrape timeout is longer than its interval"),
        ]
    }

    fn run(&self, cx: &Ctx) -> Vec<Diagnostic> {
        let p = &cx.spec.prometheus;
        let mut out = Vec::new();
        let mut names: Vec<&str> = if cx.spec.stack.self_monitoring {
            vec![c::JOB_EXPORTER, c::JOB_PROMETHEUS, c::JOB_ALERTMANAGER]
        } else {
            vec![]
        };
        if p.scrape_timeout.millis() > p.scrape_interval.millis() {
            out.push(
                Diagnostic::error(
                    TIMEOUT,
                    "prometheus.scrape_timeout",
                    format!(
                        "scrape_timeout {} is longer than scrape_interval {}",
                        p.scrape_timeout, p.scrape_interval
                    ),
                )
                .help("Prometheus refuses this: make the timeout at most the interval"),
            );
        }
        for (i, j) in p.scrape_jobs.iter().enumerate() {
            let path = format!("prometheus.scrape_jobs[{i}]");
            if names.contains(&j.name.as_str()) {
                out.push(
                    Diagnostic::error(JOB, format!("{path}.name"), format!("job `{}` already exists", j.name))
                        .help("job names are unique; the stack's own jobs are genmon-exporter, prometheus and alertmanager"),
                );
            }
            names.push(&j.name);
            for (ti, t) in j.targets.iter().enumerate() {
                let ok = t
                    .rsplit_once(':')
                    .is_some_and(|(h, port)| !h.is_empty() && !h.contains('/') && port.parse::<u16>().is_ok());
                if !ok {
                    out.push(
                        Diagnostic::error(JOB, format!("{path}.targets[{ti}]"), format!("target `{t}` is not host:port"))
                            .help("write targets like `db-1:9100`; the path goes in `metrics_path`"),
                    );
                }
            }
            let interval = j.interval.as_ref().unwrap_or(&p.scrape_interval);
            let timeout = j.timeout.as_ref().unwrap_or(&p.scrape_timeout);
            if timeout.millis() > interval.millis() {
                out.push(
                    Diagnostic::error(
                        TIMEOUT,
                        format!("{path}.timeout"),
                        format!("timeout {timeout} is longer than interval {interval}"),
                    )
                    .help("make the timeout at most the interval"),
                );
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
    fn flags_duplicate_jobs_bad_targets_and_timeouts() {
        let bad = "version: 1\nprometheus:\n  scrape_jobs:\n  - {name: prometheus, targets: ['x:1']}\n  - {name: db, targets: ['http://db:9100/metrics'], interval: 5s, timeout: 10s}\n";
        assert_eq!(
            problems(&ScrapeJobs, bad),
            vec![
                "scrape/job@prometheus.scrape_jobs[0].name",
                "scrape/job@prometheus.scrape_jobs[1].targets[0]",
                "scrape/timeout@prometheus.scrape_jobs[1].timeout"
            ]
        );
    }

    #[test]
    fn accepts_good_jobs() {
        assert!(
            problems(
                &ScrapeJobs,
                "version: 1\nprometheus: {scrape_jobs: [{name: db, targets: ['db-1:9100']}]}\n"
            )
            .is_empty()
        );
    }
}
