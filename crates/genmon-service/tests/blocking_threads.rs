//! `tokio_blocking_threads` as a scrape reads it: blocking work held open
//! raises it by exactly the threads it holds, and once released and past the
//! runtime's keep-alive it falls back. Alone in its binary: the count is by
//! thread name, and other tests' runtimes would share the default one.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use genmon_service::Builder;

fn gauge(body: &str, name: &str) -> Option<f64> {
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).expect("parses");
    scrape.samples.iter().find(|s| s.metric == name).map(|s| match s.value {
        prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
        ref other => panic!("{name} is not a gauge: {other:?}"),
    })
}

#[cfg(target_os = "linux")]
#[test]
fn blocking_threads_rise_with_held_work_and_fall_when_released() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("genmon-blk-test-runtime") // longer than the kernel's 15 bytes
        .thread_keep_alive(Duration::from_millis(200))
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let service = Builder::new().without_listener().install().await.expect("install");
        let blocking = || gauge(&service.render(), "tokio_blocking_threads").expect("tokio_blocking_threads exported");
        assert_eq!(gauge(&service.render(), "tokio_workers"), Some(2.0));

        let settle = |want: f64| {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let got = blocking();
                if got == want {
                    return;
                }
                assert!(Instant::now() < deadline, "tokio_blocking_threads stayed {got}, want {want}");
                std::thread::sleep(Duration::from_millis(20));
            }
        };
        // The thread install asked for the name idles out after keep-alive.
        settle(0.0);

        const HELD: usize = 3;
        let (started_tx, started_rx) = mpsc::channel();
        let mut releases = Vec::new();
        let mut tasks = Vec::new();
        for _ in 0..HELD {
            let (release_tx, release_rx) = mpsc::channel::<()>();
            let started = started_tx.clone();
            releases.push(release_tx);
            tasks.push(tokio::task::spawn_blocking(move || {
                started.send(()).unwrap();
                let _ = release_rx.recv_timeout(Duration::from_secs(30));
            }));
        }
        for _ in 0..HELD {
            started_rx.recv_timeout(Duration::from_secs(10)).expect("blocking task started");
        }
        assert_eq!(blocking(), HELD as f64, "held blocking work shows");

        drop(releases);
        for t in tasks {
            t.await.unwrap();
        }
        settle(0.0);
    });
}
