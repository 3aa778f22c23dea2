//! Helpers for the operations services measure most. Names and labels are in
//! [`crate::CATALOG`], so genmon's dashboards find them.

use std::time::Instant;

use metrics::SharedString;

use crate::catalog::{CACHE_REQUESTS, ERRORS, OP_DURATION, QUEUE_DEPTH};

/// Times `f` as `operation_duration_seconds{operation, outcome="ok"|"error"}`.
pub fn time<T, E>(operation: impl Into<SharedString>, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    let start = Instant::now();
    let result = f();
    record(operation.into(), start, result.is_ok());
    result
}

/// Times the future `fut` like [`time`]; a future dropped unfinished is not recorded.
pub async fn timed<T, E>(operation: impl Into<SharedString>, fut: impl Future<Output = Result<T, E>>) -> Result<T, E> {
    let operation = operation.into();
    let start = Instant::now();
    let result = fut.await;
    record(operation, start, result.is_ok());
    result
}

fn record(operation: SharedString, start: Instant, ok: bool) {
    let outcome = if ok { "ok" } else { "error" };
    metrics::histogram!(OP_DURATION, "operation" => operation, "outcome" => outcome).record(start.elapsed().as_secs_f64());
}

/// Counts a cache lookup: `cache_requests_total{cache, result="hit"|"miss"}`.
pub fn cache_lookup(cache: impl Into<SharedString>, hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    metrics::counter!(CACHE_REQUESTS, "cache" => cache.into(), "result" => result).increment(1);
}

/// Sets `queue_depth{queue}`.
pub fn queue_depth(queue: impl Into<SharedString>, depth: usize) {
    metrics::gauge!(QUEUE_DEPTH, "queue" => queue.into()).set(depth as f64);
}

/// Counts an error: `errors_total{kind}`. Keep `kind` to a fixed set (an
/// enum's name), never a message.
pub fn error(kind: impl Into<SharedString>) {
    metrics::counter!(ERRORS, "kind" => kind.into()).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics_exporter_prometheus::PrometheusBuilder;

    #[test]
    fn helpers_record_under_catalog_names() {
        let recorder = PrometheusBuilder::new()
            .set_buckets(crate::OPERATION_DURATION_BUCKETS)
            .expect("buckets")
            .build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            assert_eq!(time("db.query", || Ok::<_, ()>(3)), Ok(3));
            assert_eq!(time("db.query", || Err::<(), _>("boom")), Err("boom"));
            cache_lookup("sessions", true);
            cache_lookup("sessions", false);
            cache_lookup("sessions", false);
            queue_depth("emails", 7);
            error("timeout");
        });
        let text = handle.render();
        for line in [
            r#"operation_duration_seconds_count{operation="db.query",outcome="ok"} 1"#,
            r#"operation_duration_seconds_count{operation="db.query",outcome="error"} 1"#,
            r#"cache_requests_total{cache="sessions",result="hit"} 1"#,
            r#"cache_requests_total{cache="sessions",result="miss"} 2"#,
            r#"queue_depth{queue="emails"} 7"#,
            r#"errors_total{kind="timeout"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in:\n{text}");
        }
    }
}
