//! Stopping a run early (Ctrl-C, SIGTERM): the load stops at once, active faults are lifted,
//! the drain is short and bounded, and the result says it was interrupted. The binary's signal
//! handler triggers it; a second signal exits at once, printing what the run had made (kept
//! here as it is provisioned) so it can be removed by hand.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;

/// The longest an interrupted run drains (less when the scenario's `drain_timeout` is less).
pub const INTERRUPTED_DRAIN: Duration = Duration::from_secs(2);

/// A run's stop request, shared by the signal handler, the producers and the runner.
#[derive(Debug, Default)]
pub struct Interrupt {
    set: AtomicBool,
    notify: Notify,
    made: Mutex<Vec<String>>,
}

impl Interrupt {
    /// A fresh, untriggered interrupt.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Ask the run to stop; wakes everything waiting in [`Interrupt::wait`].
    pub fn trigger(&self) {
        self.set.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Whether the run was asked to stop.
    pub fn is_set(&self) -> bool {
        self.set.load(Ordering::SeqCst)
    }

    /// Resolves once the run is asked to stop (at once if it already was).
    pub async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_set() {
                return;
            }
            notified.await;
        }
    }

    /// Note a resource the run made (a stream, a key), for the message of a second interrupt.
    pub fn made(&self, what: String) {
        self.made.lock().push(what);
    }

    /// Forget the resources noted so far (the run removed them).
    pub fn removed_all(&self) {
        self.made.lock().clear();
    }

    /// The resources the run made and has not removed.
    pub fn left_behind(&self) -> Vec<String> {
        self.made.lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waiters_wake_on_trigger_and_later_waits_return_at_once() {
        let i = Interrupt::new();
        let waiter = tokio::spawn({
            let i = i.clone();
            async move { i.wait().await }
        });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!waiter.is_finished());
        i.trigger();
        waiter.await.expect("woken");
        i.wait().await;
        assert!(i.is_set());
    }
}
