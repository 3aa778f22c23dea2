//! A real axum service instrumented with the library, scraped over HTTP on
//! 127.0.0.1: what Prometheus reads must parse, be lint-clean for promtool,
//! and carry route templates (never raw paths).

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use genmon_service::{Builder, CATALOG, HttpMetricsLayer};

async fn item(Path(id): Path<u32>) -> StatusCode {
    if id % 2 == 0 {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrape_is_parseable_promtool_clean_and_route_bounded() {
    // A busy port is an error naming the address, and installs nothing:
    // the next install in this process succeeds.
    let busy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let busy_addr = busy.local_addr().unwrap();
    let err = Builder::new()
        .metrics_listen(busy_addr)
        .install()
        .await
        .err()
        .expect("busy port fails");
    assert!(err.to_string().contains(&busy_addr.to_string()), "{err}");
    drop(busy);
    // The layer's histogram keeps OpenTelemetry's buckets: asking for others
    // is an error naming the metric, not silently ignored.
    let err = Builder::new()
        .buckets(genmon_service::catalog::HTTP_DURATION, &[0.1, 1.0])
        .without_listener()
        .install()
        .await
        .err()
        .expect("custom buckets for the layer's histogram fail");
    assert!(err.to_string().contains("http_server_request_duration_seconds"), "{err}");

    let service = Builder::new()
        .metrics_listen("127.0.0.1:0".parse().unwrap())
        .install()
        .await
        .expect("install");
    let metrics_addr = service.metrics_addr().expect("listener");

    let app = Router::new()
        .route("/items/{id}", get(item))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(HttpMetricsLayer::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app_addr = listener.local_addr().unwrap();
    let server = tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(service.shutdown_signal())
            .into_future(),
    );

    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    for id in [2, 4, 6, 1] {
        let r = client.get(format!("http://{app_addr}/items/{id}")).send().await.expect("request");
        assert_eq!(r.status().as_u16(), if id % 2 == 0 { 200 } else { 500 });
    }
    let r = client.get(format!("http://{app_addr}/no/such/path")).send().await.expect("request");
    assert_eq!(r.status().as_u16(), 404);

    let get = |path: &'static str| {
        let client = client.clone();
        async move { client.get(format!("http://{metrics_addr}{path}")).send().await.expect(path) }
    };
    assert_eq!(get("/health").await.status().as_u16(), 200);
    assert_eq!(get("/ready").await.status().as_u16(), 200);
    service.set_ready(false);
    assert_eq!(get("/ready").await.status().as_u16(), 503);
    service.set_ready(true);

    let resp = get("/metrics").await;
    assert_eq!(resp.status().as_u16(), 200);
    let body = resp.text().await.unwrap();

    // What Prometheus reads.
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).expect("parses");
    // prometheus-parse 0.2 cuts label sets at the first '}', so a route
    // template like /items/{id} is matched on the exact exposition line;
    // promtool below parses it with Prometheus' own parser.
    let count = |route: &str, code: &str| -> f64 {
        let prefix = format!(
            "http_server_request_duration_seconds_count{{http_request_method=\"GET\",http_route=\"{route}\",http_response_status_code=\"{code}\"}} "
        );
        body.lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .map(|v| v.parse::<f64>().unwrap())
            .sum()
    };
    assert_eq!(count("/items/{id}", "200"), 3.0, "{body}");
    assert_eq!(count("/items/{id}", "500"), 1.0, "{body}");
    assert_eq!(count("unmatched", "404"), 1.0, "{body}");
    assert!(
        !scrape
            .samples
            .iter()
            .any(|s| s.labels.values().any(|v| v.contains("/items/2") || v.contains("/no/such"))),
        "a raw path became a label value:\n{body}"
    );
    assert!(
        body.contains("http_server_request_duration_seconds_bucket{"),
        "histogram, not summary:\n{body}"
    );
    assert!(body.contains(r#"le="0.005""#), "OpenTelemetry buckets:\n{body}");
    let value = |name: &str| -> f64 {
        let s = scrape
            .samples
            .iter()
            .find(|s| s.metric == name)
            .unwrap_or_else(|| panic!("no {name} in:\n{body}"));
        match s.value {
            prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Untyped(v) => v,
            ref other => panic!("{name}: {other:?}"),
        }
    };
    assert!(value("process_resident_memory_bytes") > 1e5);
    assert!(value("process_open_fds") >= 3.0);
    assert!(value("process_threads") >= 2.0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let start = value("process_start_time_seconds");
    assert!(start <= now + 1.0 && start > now - 3600.0, "start {start} vs now {now}");
    assert_eq!(value("tokio_workers"), 2.0);
    assert_eq!(value("http_server_active_requests"), 0.0, "every finished request left the gauge");
    for m in CATALOG
        .iter()
        .filter(|m| m.name.starts_with("process_") || m.name.starts_with("tokio_") || m.name.starts_with("http_"))
    {
        assert!(
            body.contains(&format!("# TYPE {} ", m.name)),
            "catalog metric {} not exposed:\n{body}",
            m.name
        );
    }

    // What promtool's linter says about it.
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool not found: apt-get install prometheus");
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "promtool check metrics: {}{}\n{body}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // Graceful shutdown: the app server returns, /ready stops answering 200.
    service.shutdown();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("app drained")
        .unwrap()
        .unwrap();
    let ready = client.get(format!("http://{metrics_addr}/ready")).send().await;
    assert!(ready.map(|r| r.status().as_u16() != 200).unwrap_or(true));
}
