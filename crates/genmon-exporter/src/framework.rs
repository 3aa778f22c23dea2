//! The framework: builds the enabled collectors, runs them concurrently on
//! each scrape, times each one and encodes the result.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Paths;
use super::collectors::{self, Collector, ScrapeContext};
use super::config::ExporterConfig;
use super::metric::{Family, encode_family, label};

/// Build-time version, exported as `genmon_exporter_build_info{version}`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Whether collector `name` is on by default.
pub fn default_enabled(name: &str) -> bool {
    collectors::registration(name).is_some_and(|r| r.default)
}

type Outcome = (anyhow::Result<Vec<Family>>, Duration);

/// Run and time one collector; a panic becomes an error, not a dead scrape.
fn run_one(c: &dyn Collector, ctx: &ScrapeContext) -> Outcome {
    let start = Instant::now();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.collect(ctx)))
        .unwrap_or_else(|_| Err(anyhow::anyhow!("collector panicked")));
    (r, start.elapsed())
}

/// The exporter: an ordered set of collectors.
pub struct Exporter {
    collectors: Vec<Arc<dyn Collector>>,
}

impl Exporter {
    /// An exporter running exactly these collectors.
    pub fn new(collectors: Vec<Arc<dyn Collector>>) -> Self {
        Exporter { collectors }
    }

    /// Build the collectors named in `enabled` (in [`collectors::REGISTRY`]
    /// order) from the config. `self_dir` is the exporter's own `/proc` directory.
    pub fn from_config(paths: &Paths, cfg: &ExporterConfig, enabled: &[String], self_dir: PathBuf) -> anyhow::Result<Self> {
        for e in enabled {
            if collectors::registration(e).is_none() {
                anyhow::bail!(
                    "unknown collector {e:?}; known collectors: {}",
                    collectors::names().collect::<Vec<_>>().join(", ")
                );
            }
        }
        let b = collectors::Build {
            paths,
            cfg,
            self_dir: &self_dir,
        };
        let mut out: Vec<Arc<dyn Collector>> = Vec::new();
        for r in collectors::REGISTRY.iter().filter(|r| enabled.iter().any(|e| e == r.name)) {
            out.push((r.build)(&b).map_err(|e| e.context(format!("collector {}", r.name)))?);
        }
        Ok(Exporter { collectors: out })
    }

    /// Names of the collectors that run.
    pub fn collector_names(&self) -> Vec<&'static str> {
        self.collectors.iter().map(|c| c.name()).collect()
    }

    /// Run the collectors and return the exposition text. Every collector
    /// that may block gets its own blocking thread, so they run concurrently;
    /// cheap ones (small procfs reads, see [`Collector::cheap`]) run on the
    /// scrape task meanwhile. A collector still running at `deadline`
    /// is reported as failed.
    pub async fn scrape(&self, deadline: Instant) -> String {
        let scrape_start = Instant::now();
        let handle = tokio::runtime::Handle::current();
        let ctx = ScrapeContext { deadline, handle };
        let n = self.collectors.len();
        let cheap: Vec<usize> = (0..n).filter(|&i| self.collectors[i].cheap()).collect();
        let singles: Vec<_> = (0..n)
            .filter(|&i| !self.collectors[i].cheap())
            .map(|i| {
                let (c, ctx) = (self.collectors[i].clone(), ctx.clone());
                (i, tokio::task::spawn_blocking(move || run_one(c.as_ref(), &ctx)))
            })
            .collect();
        let mut results: Vec<Option<Outcome>> = (0..n).map(|_| None).collect();
        // Cheap collectors run right here while the others work on their
        // threads: a thread hand-off costs more than the reads themselves.
        for &i in &cheap {
            results[i] = Some(run_one(self.collectors[i].as_ref(), &ctx));
        }
        let tdl = tokio::time::Instant::from_std(deadline);
        for (i, task) in singles {
            if let Ok(Ok(o)) = tokio::time::timeout_at(tdl, task).await {
                results[i] = Some(o);
            }
        }

        let mut dur = Family::with_capacity("node_scrape_collector_duration_seconds", n);
        let mut ok = Family::with_capacity("node_scrape_collector_success", n);
        let mut out = String::with_capacity(32 * 1024);
        for (c, r) in self.collectors.iter().zip(results) {
            let name = c.name();
            let (success, took) = match r {
                Some((Ok(fams), took)) => {
                    for f in &fams {
                        encode_family(&mut out, f);
                    }
                    (true, took)
                }
                Some((Err(e), took)) => {
                    // node_exporter: a source this host lacks (ErrNoData) is
                    // a debug message; any other failure is an error.
                    if e.downcast_ref::<collectors::NoData>().is_some() {
                        tracing::debug!(collector = name, error = format!("{e:#}"), "collector returned no data");
                    } else {
                        tracing::warn!(collector = name, error = format!("{e:#}"), "collector failed");
                    }
                    (false, took)
                }
                None => {
                    tracing::warn!(collector = name, "collector did not finish before the scrape deadline");
                    (false, scrape_start.elapsed())
                }
            };
            dur.push(vec![label("collector", name)], took.as_secs_f64());
            ok.push(vec![label("collector", name)], if success { 1.0 } else { 0.0 });
        }
        encode_family(&mut out, &dur);
        encode_family(&mut out, &ok);
        let mut bi = Family::catalog("genmon_exporter_build_info");
        bi.push(vec![label("version", VERSION)], 1.0);
        encode_family(&mut out, &bi);
        out
    }

    /// Scrape with a timeout from now.
    pub async fn scrape_within(&self, timeout: Duration) -> String {
        self.scrape(Instant::now() + timeout).await
    }
}
