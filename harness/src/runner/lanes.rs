//! Where a run's tasks run. On the real clock the consumers get a runtime of their own (one
//! thread, `kcb-readers`): a poll that decodes and opens a few dozen records runs for a
//! millisecond or two without a point where tokio could switch tasks, and on the shared
//! runtime a producer whose instant came meanwhile had to wait for it. On a thread of their
//! own the operating system lets the woken producer in. Producers, the fault plan and the
//! drain stay on the main runtime. On the virtual clock everything stays on the current
//! runtime (its paused clock belongs to it).

use std::future::Future;

use tokio::task::JoinHandle;

/// A runtime for one group of tasks; dropping it stops what still runs on it.
pub struct Lane {
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Lane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lane")
            .field("own_runtime", &self.runtime.is_some())
            .finish()
    }
}

impl Lane {
    /// The consumers' lane for a run on the real clock (`virtual_time` false) or the virtual one.
    pub fn readers(virtual_time: bool) -> Self {
        if virtual_time {
            return Self { runtime: None };
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("kcb-readers")
            .enable_all()
            .build()
            .map_err(
                |e| tracing::warn!(error = %e, "no readers' runtime; consumers share the main one"),
            )
            .ok();
        Self { runtime }
    }

    /// True when the lane has a runtime of its own.
    pub fn own_runtime(&self) -> bool {
        self.runtime.is_some()
    }

    /// Start a task on the lane.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.runtime {
            Some(rt) => rt.spawn(task),
            None => tokio::spawn(task),
        }
    }
}

impl Drop for Lane {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn real_clock_readers_run_on_their_own_thread_virtual_ones_here() {
        let real = Lane::readers(false);
        assert!(real.own_runtime());
        let name = real
            .spawn(async { std::thread::current().name().map(str::to_owned) })
            .await
            .expect("task");
        assert_eq!(name.as_deref(), Some("kcb-readers"));
        let virt = Lane::readers(true);
        assert!(!virt.own_runtime());
        assert_eq!(virt.spawn(async { 7 }).await.expect("task"), 7);
    }
}
