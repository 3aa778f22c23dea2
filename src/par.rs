//! Data parallelism for the pure phases (lowering, rendering, loading):
//! scoped threads, order kept, so the output is byte-for-byte the same on one
//! core or many.

/// Map `f` over `items` on all cores (at most 8 threads, order kept).
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads < 2 || items.len() < 16 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Run `a` and `b` at the same time; both results, as if run one after the other.
pub fn join<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        return (a(), b());
    }
    std::thread::scope(|s| {
        let h = s.spawn(a);
        let rb = b();
        (h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), rb)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn map_keeps_order_on_many_threads() {
        let items: Vec<u64> = (0..1000).collect();
        let seen = std::sync::Mutex::new(std::collections::HashSet::new());
        let out = super::map(&items, |x| {
            seen.lock().map(|mut s| s.insert(std::thread::current().id())).ok();
            x * 3
        });
        assert_eq!(out, items.iter().map(|x| x * 3).collect::<Vec<_>>());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = seen.lock().map(|s| s.len()).unwrap_or(0);
        assert_eq!(threads > 1, cores > 1, "{threads} threads on {cores} cores");
    }

    #[test]
    fn join_returns_both_in_order() {
        let (a, b) = super::join(|| (0..100u32).sum::<u32>(), || "b".repeat(3));
        assert_eq!((a, b.as_str()), (4950, "bbb"));
    }
}
