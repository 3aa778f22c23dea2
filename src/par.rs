//! Data parallelism for the pure phases (lowering, rendering, loading):
//! rayon's pool, order kept, so the output is byte-for-byte the same on one
//! core or many.

use rayon::prelude::*;

/// Map `f` over `items` on all cores, order kept. One pool of threads serves
/// every call (threads started per call cost their start-up, and each new
/// thread's allocator heap its fresh pages), and idle threads steal work, so
/// one slow item (a big dashboard, the heaviest check) does not hold back a
/// fixed share of the others.
///
/// Each item is a job of its own: left to itself, rayon splits a list only
/// a few times (by the number of threads) and runs each part's items one
/// after the other, so a thread that finishes its part early (the bench
/// spec's 200 short rule groups beside 200 long dashboards) had nothing
/// left to steal while the other worked through its part alone.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    items.par_iter().with_max_len(1).map(&f).collect()
}

/// [`map`] taking the items: each moves into its call.
pub fn map_owned<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    items.into_par_iter().with_max_len(1).map(&f).collect()
}

/// Run `a` and `b` at the same time; both results, as if run one after the other.
pub fn join<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    rayon::join(a, b)
}

/// Run `f` on one of the pool's threads and return what it returns. A
/// command made of many parallel steps (a render) then starts each where it
/// already runs: the thread that calls [`map`] takes items itself, instead
/// of handing the step to the pool and sleeping until a pool thread is
/// woken, has finished it, and wakes it in turn.
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}

/// Free `v` on the pool while the caller goes on: a big value is hundreds
/// of thousands of small frees, which would otherwise hold up a sequential
/// step. Once nothing else reads it, only its memory is left to give back.
pub fn drop_later<T: Send + 'static>(v: T) {
    rayon::spawn(move || drop(v));
}

#[cfg(test)]
mod tests {
    #[test]
    fn map_keeps_order_on_many_threads() {
        let items: Vec<u64> = (0..200).collect();
        let seen = std::sync::Mutex::new(std::collections::HashSet::new());
        let out = super::map(&items, |x| {
            seen.lock().map(|mut s| s.insert(std::thread::current().id())).ok();
            // Long enough (40 ms in all) that the caller cannot finish alone
            // before the other threads start taking items.
            std::thread::sleep(std::time::Duration::from_micros(200));
            x * 3
        });
        assert_eq!(out, items.iter().map(|x| x * 3).collect::<Vec<_>>());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = seen.lock().map(|s| s.len()).unwrap_or(0);
        assert_eq!(threads > 1, cores > 1, "{threads} threads on {cores} cores");
    }

    #[test]
    fn map_keeps_order_when_items_take_unequal_time() {
        let items: Vec<u64> = (0..64).collect();
        let out = super::map(&items, |x| {
            if x % 7 == 0 {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            x + 1
        });
        assert_eq!(out, (1..=64).collect::<Vec<_>>());
        assert_eq!(super::map(&[5u8], |x| *x), [5]);
        assert_eq!(super::map_owned(items, |x| x * 2), (0..64).map(|x| x * 2).collect::<Vec<_>>());
        assert!(super::map(&[] as &[u8], |x| *x).is_empty());
    }

    #[test]
    fn on_pool_runs_on_a_pool_thread() {
        assert!(rayon::current_thread_index().is_none());
        let (index, sum) = super::on_pool(|| {
            let sum: u64 = super::map(&(0..1000u64).collect::<Vec<_>>(), |x| x * 2).iter().sum();
            (rayon::current_thread_index(), sum)
        });
        assert!(index.is_some());
        assert_eq!(sum, 999_000);
    }

    #[test]
    fn drop_later_frees_on_another_thread() {
        struct Tell(std::sync::mpsc::Sender<std::thread::ThreadId>);
        impl Drop for Tell {
            fn drop(&mut self) {
                self.0.send(std::thread::current().id()).ok();
            }
        }
        let (tx, rx) = std::sync::mpsc::channel();
        super::drop_later(Tell(tx));
        let freed_on = rx.recv_timeout(std::time::Duration::from_secs(10)).expect("dropped");
        assert_ne!(freed_on, std::thread::current().id());
    }

    #[test]
    fn join_returns_both_in_order() {
        let (a, b) = super::join(|| (0..100u32).sum::<u32>(), || "b".repeat(3));
        assert_eq!((a, b.as_str()), (4950, "bbb"));
    }
}
