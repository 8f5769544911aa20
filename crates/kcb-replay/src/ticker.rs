//! Precise wake-ups for the real clock. Tokio's timer ticks in whole milliseconds, which would
//! add up to a millisecond of schedule lag to every record. Instead one OS thread, sleeping with
//! the kernel's high-resolution timer, wakes each waiting task shortly before its instant
//! ([`LEAD`]), and the task spins the rest on its own worker and then goes on itself: the wake-up
//! of a parked worker (tens of microseconds) falls inside the lead, not after the instant.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use tokio::sync::oneshot;

#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    waiters: std::collections::HashMap<u64, oneshot::Sender<()>>,
    next: u64,
}

struct Shared {
    queue: Mutex<Queue>,
    changed: Condvar,
    stop: AtomicBool,
}

/// A wake-up thread; dropping the last handle stops it.
pub struct Ticker {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Ticker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ticker")
    }
}

/// How long before its instant a waiting task is woken; it spins the rest. Covers the kernel's
/// sleep overshoot and a parked worker's wake-up on a busy two-core machine; every wait costs up
/// to this much of a worker's time.
pub const LEAD: Duration = Duration::from_micros(150);

/// The thread itself sleeps until this much before a wake-up and spins the rest: the kernel's
/// sleep overshoots by tens of microseconds (its timer slack, and more in a virtual machine).
const SPIN: Duration = Duration::from_micros(100);

fn run(shared: Arc<Shared>) {
    let mut q = shared.queue.lock();
    while !shared.stop.load(Ordering::Relaxed) {
        let Some(Reverse((due, id))) = q.heap.peek().copied() else {
            shared.changed.wait_for(&mut q, Duration::from_millis(100));
            continue;
        };
        let now = Instant::now();
        if due > now + SPIN {
            shared.changed.wait_for(&mut q, due - now - SPIN);
            continue;
        }
        if due > now {
            drop(q);
            while Instant::now() < due {
                std::hint::spin_loop();
            }
            q = shared.queue.lock();
            continue;
        }
        q.heap.pop();
        if let Some(tx) = q.waiters.remove(&id) {
            let _ = tx.send(());
        }
    }
}

impl Ticker {
    /// Start the wake-up thread.
    pub fn start() -> Arc<Self> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        std::thread::Builder::new()
            .name("kcb-ticker".into())
            .spawn(move || run(s))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::warn!(error = %e, "no ticker thread; waits fall back to tokio's timer"));
        Arc::new(Self { shared })
    }

    /// Wait until `due`: woken [`LEAD`] before it, then spin to it.
    pub async fn sleep_until(&self, due: Instant) {
        let wake = due.checked_sub(LEAD).unwrap_or(due);
        if wake > Instant::now() {
            let (tx, rx) = oneshot::channel();
            {
                let mut q = self.shared.queue.lock();
                let id = q.next;
                q.next += 1;
                q.heap.push(Reverse((wake, id)));
                q.waiters.insert(id, tx);
            }
            self.shared.changed.notify_one();
            if rx.await.is_err() {
                tokio::time::sleep_until(wake.into()).await;
            }
        }
        while Instant::now() < due {
            std::hint::spin_loop();
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.changed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wakes_every_waiter_in_order_and_never_early() {
        let t = Ticker::start();
        let start = Instant::now();
        let mut handles = Vec::new();
        for i in (0..20u64).rev() {
            let t = t.clone();
            let due = start + Duration::from_micros(500 * i);
            handles.push(tokio::spawn(async move {
                t.sleep_until(due).await;
                (i, Instant::now() >= due)
            }));
        }
        for h in handles {
            let (_, on_time) = h.await.expect("task");
            assert!(on_time, "woken before its instant");
        }
    }
}
