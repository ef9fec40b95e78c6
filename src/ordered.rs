//! Work on the thread pool, results in order: how `--dry-run` and `--check`
//! show files in path order as soon as each is next, holding no more than a
//! window of them however many there are, with no batch for the workers to
//! wait at and the printing done meanwhile on the calling thread.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

/// Runs `work` on every item on rayon's pool and hands the results to `take`,
/// on this thread, in the items' order: each run of results that became next
/// together in one call. The workers keep at most `ahead` items in front of
/// the last one taken, so that is all that is ever held.
pub fn ordered<T: Sync, R: Send>(
    items: &[T],
    ahead: usize,
    work: impl Fn(&T) -> R + Sync,
    mut take: impl FnMut(Vec<R>),
) {
    let next = AtomicUsize::new(0);
    // How many results were taken (`usize::MAX` once a worker panicked: nobody
    // waits then, and the panic goes on to the caller), for the workers to wait on.
    let taken = (Mutex::new(0usize), Condvar::new());
    let (sender, receiver) = mpsc::channel::<(usize, R)>();
    rayon::in_place_scope(|scope| {
        for _ in 0..rayon::current_num_threads().min(items.len()) {
            let sender = sender.clone();
            let (next, taken, work) = (&next, &taken, &work);
            scope.spawn(move |_| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(index) else { break };
                // The item next to be taken is always claimed and never waits here.
                let mut count = taken.0.lock().unwrap_or_else(|e| e.into_inner());
                while index >= count.saturating_add(ahead.max(1)) {
                    count = taken.1.wait(count).unwrap_or_else(|e| e.into_inner());
                }
                let stopped = *count == usize::MAX;
                drop(count);
                if stopped {
                    break;
                }
                let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(item))) {
                    Ok(result) => result,
                    Err(panic) => {
                        // The item it was on is never taken: let the others go rather than wait for it.
                        *taken.0.lock().unwrap_or_else(|e| e.into_inner()) = usize::MAX;
                        taken.1.notify_all();
                        std::panic::resume_unwind(panic);
                    }
                };
                if sender.send((index, result)).is_err() {
                    break;
                }
            });
        }
        drop(sender);
        let mut waiting: BTreeMap<usize, R> = BTreeMap::new();
        let mut expected = 0;
        for (index, result) in receiver {
            waiting.insert(index, result);
            let mut run = Vec::new();
            while let Some(result) = waiting.remove(&expected) {
                run.push(result);
                expected += 1;
            }
            if !run.is_empty() {
                take(run);
                let mut count = taken.0.lock().unwrap_or_else(|e| e.into_inner());
                if *count != usize::MAX {
                    *count = expected;
                }
                drop(count);
                taken.1.notify_all();
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_order_and_no_worker_runs_past_the_window() {
        let items: Vec<usize> = (0..500).collect();
        let taken = AtomicUsize::new(0);
        let mut seen = Vec::new();
        ordered(
            &items,
            8,
            |&i| {
                assert!(i < taken.load(Ordering::SeqCst) + 8, "item {i} started before item {} was taken", i - 8);
                // Slower for some items, so that results arrive out of order.
                std::thread::sleep(std::time::Duration::from_micros(if i % 7 == 0 { 300 } else { 10 }));
                i * 2
            },
            |run| {
                taken.fetch_add(run.len(), Ordering::SeqCst);
                seen.extend(run);
            },
        );
        assert_eq!(seen, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        let mut none = Vec::<usize>::new();
        ordered(&[] as &[usize], 8, |&i| i, |run| none.extend(run));
        assert!(none.is_empty());
    }

    #[test]
    fn a_panicking_item_ends_the_run_with_its_panic_instead_of_a_hang() {
        let items: Vec<usize> = (0..400).collect();
        let outcome = std::panic::catch_unwind(|| {
            ordered(
                &items,
                4,
                |&i| {
                    assert!(i != 3, "item 3 fails");
                    std::thread::sleep(std::time::Duration::from_micros(50));
                    i
                },
                |_| {},
            )
        });
        assert!(outcome.is_err(), "the panic reaches the caller");
    }
}
