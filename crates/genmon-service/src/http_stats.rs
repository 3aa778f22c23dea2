//! Storage of [`crate::HttpMetricsLayer`]'s two families, sharded per thread.
//!
//! Why not the `metrics` recorder: each request would touch cache lines every
//! worker thread shares (the in-flight gauge's compare-and-swap twice, the
//! histogram's lock-free bucket and its epoch fence, the handles' reference
//! count), and on a busy multi-core service those lines bounce between
//! cores: the layer cost 150 ns per request on one thread and 336 ns on two
//! (`cargo bench --bench layer`). Here a request adds to counters on its own
//! thread's cache lines (a shard) and takes no lock or shared reference count;
//! a scrape sums the shards. The families are written by
//! [`crate::Service::render`] (or [`write_http_metrics`] for a service that
//! renders its own `/metrics`).
//!
//! Series are never removed (as with the recorder without an idle timeout):
//! their number is bounded by routes × methods × status codes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};

use crate::HTTP_DURATION_BUCKETS;
use crate::catalog::{CATALOG, HTTP_ACTIVE, HTTP_DURATION};

/// Shards per series: more than the cores of most services' machines; threads
/// beyond that share shards (still correct, only contended).
const SHARDS: usize = 8;
/// Buckets of [`HTTP_DURATION_BUCKETS`] plus `+Inf`.
const BUCKETS: usize = HTTP_DURATION_BUCKETS.len() + 1;

/// The shard of the calling thread: threads take shards round robin.
fn shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local!(static MINE: usize = NEXT.fetch_add(1, Relaxed) % SHARDS);
    MINE.with(|s| *s)
}

/// One thread's counts of one series, on cache lines of its own.
#[repr(align(128))]
#[derive(Default)]
struct Shard {
    /// Observations per bucket (not cumulative): the first bound ≥ the value.
    buckets: [AtomicU64; BUCKETS],
    /// Sum of the observations in nanoseconds (exact; 584 years to overflow).
    sum_ns: AtomicU64,
}

/// Bucket bounds in nanoseconds, for an integer comparison per request.
fn bounds_ns() -> &'static [u64; BUCKETS - 1] {
    static B: OnceLock<[u64; BUCKETS - 1]> = OnceLock::new();
    B.get_or_init(|| std::array::from_fn(|i| (HTTP_DURATION_BUCKETS[i] * 1e9).round() as u64))
}

/// One `http_server_request_duration_seconds` series.
pub(crate) struct Series {
    /// Its label set, rendered (`k="v",…`, escaped).
    labels: String,
    shards: [Shard; SHARDS],
}

impl Series {
    /// Records one request of `ns` nanoseconds.
    pub(crate) fn record(&self, ns: u64) {
        let s = &self.shards[shard()];
        let bucket = bounds_ns().partition_point(|&b| b < ns);
        s.buckets[bucket].fetch_add(1, Relaxed);
        s.sum_ns.fetch_add(ns, Relaxed);
    }

    /// Cumulative bucket counts (the last is the count) and the sum in seconds.
    fn snapshot(&self) -> ([u64; BUCKETS], f64) {
        let mut counts = [0u64; BUCKETS];
        let mut sum_ns: u128 = 0;
        for s in &self.shards {
            for (c, b) in counts.iter_mut().zip(&s.buckets) {
                *c += b.load(Relaxed);
            }
            sum_ns += u128::from(s.sum_ns.load(Relaxed));
        }
        for i in 1..BUCKETS {
            counts[i] += counts[i - 1];
        }
        (counts, sum_ns as f64 / 1e9)
    }
}

/// Every series, by rendered label set (so a scrape lists them in order).
/// Requests reach theirs through handles the layer caches; this map is only
/// for creating a series and for scrapes.
fn registry() -> std::sync::MutexGuard<'static, BTreeMap<String, &'static Series>> {
    static R: Mutex<BTreeMap<String, &'static Series>> = Mutex::new(BTreeMap::new());
    R.lock().unwrap_or_else(|p| p.into_inner())
}

/// The series of this label set (name, value pairs in exposition order),
/// created on first use. The allocation lives as long as the process, like
/// the registry's series.
pub(crate) fn series(labels: &[(&str, &str)]) -> &'static Series {
    let mut text = String::new();
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        let _ = write!(text, "{k}=\"{}\"", escape(v));
    }
    registry().entry(text).or_insert_with_key(|text| {
        Box::leak(Box::new(Series {
            labels: text.clone(),
            shards: std::array::from_fn(|_| Shard::default()),
        }))
    })
}

/// A label value in the text exposition format: `\`, `"` and newlines escaped.
fn escape(v: &str) -> std::borrow::Cow<'_, str> {
    if !v.contains(['\\', '"', '\n']) {
        return v.into();
    }
    v.replace('\\', r"\\").replace('"', r#"\""#).replace('\n', r"\n").into()
}

/// Requests in flight per method, one row of cache lines per shard.
#[repr(align(128))]
struct ActiveShard([AtomicI64; crate::layer::METHODS]);

static ACTIVE: [ActiveShard; SHARDS] = [const { ActiveShard([const { AtomicI64::new(0) }; crate::layer::METHODS]) }; SHARDS];
/// Methods seen, so a scrape shows only those (as the recorder did). Written
/// once per method, read by every request: on a cache line of its own, so no
/// other static's writes invalidate it.
#[repr(align(128))]
struct Seen([AtomicBool; crate::layer::METHODS]);
static ACTIVE_SEEN: Seen = Seen([const { AtomicBool::new(false) }; crate::layer::METHODS]);

/// A request of method index `method` started.
pub(crate) fn active_inc(method: usize) {
    if !ACTIVE_SEEN.0[method].load(Relaxed) {
        ACTIVE_SEEN.0[method].store(true, Relaxed);
    }
    ACTIVE[shard()].0[method].fetch_add(1, Relaxed);
}

/// A request of method index `method` ended (possibly on another thread than
/// it started: the shards' sum is what counts).
pub(crate) fn active_dec(method: usize) {
    ACTIVE[shard()].0[method].fetch_sub(1, Relaxed);
}

fn help(name: &str) -> &'static str {
    CATALOG.iter().find(|m| m.name == name).map_or("", |m| m.help)
}

/// Appends both families in the text exposition format (nothing for a family
/// without series yet).
pub fn write_http_metrics(out: &mut String) {
    let series: Vec<&'static Series> = registry().values().copied().collect();
    if !series.is_empty() {
        let _ = writeln!(out, "# HELP {HTTP_DURATION} {}", help(HTTP_DURATION));
        let _ = writeln!(out, "# TYPE {HTTP_DURATION} histogram");
        for s in series {
            let (counts, sum) = s.snapshot();
            for (bound, c) in HTTP_DURATION_BUCKETS.iter().zip(&counts) {
                let _ = writeln!(out, "{HTTP_DURATION}_bucket{{{},le=\"{bound}\"}} {c}", s.labels);
            }
            let count = counts[BUCKETS - 1];
            let _ = writeln!(out, "{HTTP_DURATION}_bucket{{{},le=\"+Inf\"}} {count}", s.labels);
            let _ = writeln!(out, "{HTTP_DURATION}_sum{{{}}} {sum}", s.labels);
            let _ = writeln!(out, "{HTTP_DURATION}_count{{{}}} {count}", s.labels);
        }
    }
    let seen: Vec<usize> = (0..crate::layer::METHODS).filter(|&m| ACTIVE_SEEN.0[m].load(Relaxed)).collect();
    if !seen.is_empty() {
        let _ = writeln!(out, "# HELP {HTTP_ACTIVE} {}", help(HTTP_ACTIVE));
        let _ = writeln!(out, "# TYPE {HTTP_ACTIVE} gauge");
        for m in seen {
            let n: i64 = ACTIVE.iter().map(|s| s.0[m].load(Relaxed)).sum();
            // A request moving between threads mid-scrape can be read as
            // ended before it is read as started: never show that as -1.
            let _ = writeln!(
                out,
                "{HTTP_ACTIVE}{{{}=\"{}\"}} {}",
                crate::catalog::LABEL_METHOD,
                crate::layer::METHOD_LABELS[m],
                n.max(0)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_upper_inclusive_and_cumulative() {
        let s = series(&[("test", "buckets_are_upper_inclusive")]);
        // 5 ms exactly is in le="0.005"; 5 ms + 1 ns is not; 11 s only in +Inf.
        for ns in [5_000_000, 5_000_001, 11_000_000_000] {
            s.record(ns);
        }
        let (counts, sum) = s.snapshot();
        assert_eq!(counts[0], 1);
        assert_eq!(counts[1], 2);
        assert_eq!(counts[BUCKETS - 2], 2);
        assert_eq!(counts[BUCKETS - 1], 3);
        assert!((sum - 11.010_000_001).abs() < 1e-9, "{sum}");
    }

    #[test]
    fn threads_on_other_shards_all_count() {
        let s = series(&[("test", "threads_on_other_shards")]);
        std::thread::scope(|scope| {
            for _ in 0..2 * SHARDS {
                scope.spawn(|| {
                    for _ in 0..1000 {
                        s.record(1);
                    }
                });
            }
        });
        assert_eq!(s.snapshot().0[BUCKETS - 1], 2000 * SHARDS as u64);
    }

    #[test]
    fn label_values_are_escaped() {
        let s = series(&[("route", "/a\"b\\c\nd")]);
        assert_eq!(s.labels, r#"route="/a\"b\\c\nd""#);
        assert!(std::ptr::eq(s, series(&[("route", "/a\"b\\c\nd")])), "one series per label set");
    }
}
