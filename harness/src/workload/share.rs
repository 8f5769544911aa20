//! A worker's share of a run split across machines (`run --worker I/N`): which of the global
//! schedule's records it sends, under which partition keys, and which records read back are its
//! own to account.
//!
//! The schedule is the same whatever N: record `i` is due at the same instant and carries the
//! same body. Worker `I` of `N` sends the ids `i` with `i mod N = I - 1`, its producers splitting
//! those as a single machine's split the whole; its partition keys are its own (`w<I>-pk-<k>`),
//! and every record's header names it, so the workers' records never collide and a consumer
//! knows a record is another worker's before it opens it.

/// Worker `index` of `count` (1-based), or the whole run on one machine (1 of 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerShare {
    /// This worker, from 1.
    pub index: u32,
    /// How many workers share the run.
    pub count: u32,
}

impl Default for WorkerShare {
    fn default() -> Self {
        Self::WHOLE
    }
}

/// The environment variables a worker's share is read from when `--worker` is not given.
pub const ENV_VARS: [&str; 4] = [
    "JOB_COMPLETION_INDEX",
    "KCB_WORKERS",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "AWS_BATCH_JOB_ARRAY_SIZE",
];

impl WorkerShare {
    /// The whole run, on one machine.
    pub const WHOLE: WorkerShare = WorkerShare { index: 1, count: 1 };

    /// Parse `I/N` (1 ≤ I ≤ N).
    pub fn parse(s: &str) -> Result<WorkerShare, String> {
        let bad = || format!("--worker {s:?}: expected I/N with 1 <= I <= N (e.g. 2/3)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(WorkerShare { index, count })
    }

    /// The share the job engine gives this process, when `--worker` is not given: a Kubernetes
    /// Indexed Job's `JOB_COMPLETION_INDEX` (0-based) with `KCB_WORKERS` (the Job's
    /// completions, which the manifest passes: Kubernetes gives a pod only its index), or an
    /// AWS Batch array job's `AWS_BATCH_JOB_ARRAY_INDEX` and `AWS_BATCH_JOB_ARRAY_SIZE`.
    /// `None` when neither is set; an error names the variable that is wrong.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Option<WorkerShare>, String> {
        let pair = |index_var: &str, count_var: &str, hint: &str| {
            let Some(index) = get(index_var) else {
                return Ok(None);
            };
            let count = get(count_var).ok_or_else(|| {
                format!("{index_var}={index} is set but {count_var} is not: {hint}")
            })?;
            let i: u32 = index.trim().parse().map_err(|_| {
                format!("{index_var}={index:?}: expected a 0-based index (0, 1, ...)")
            })?;
            let n: u32 = count
                .trim()
                .parse()
                .map_err(|_| format!("{count_var}={count:?}: expected the number of workers"))?;
            if i >= n {
                return Err(format!(
                    "{index_var}={i} is not below {count_var}={n} (the index is 0-based)"
                ));
            }
            Ok(Some(WorkerShare {
                index: i + 1,
                count: n,
            }))
        };
        if let Some(w) = pair(
            "JOB_COMPLETION_INDEX",
            "KCB_WORKERS",
            "set KCB_WORKERS to the Job's completions in the pod's env",
        )? {
            return Ok(Some(w));
        }
        pair(
            "AWS_BATCH_JOB_ARRAY_INDEX",
            "AWS_BATCH_JOB_ARRAY_SIZE",
            "AWS Batch sets both for an array job",
        )
    }

    /// True for a run on one machine (1 of 1).
    pub fn is_whole(&self) -> bool {
        self.count <= 1
    }

    /// What the record header's worker field holds: 0 on one machine, else `I`.
    pub fn header(&self) -> u32 {
        if self.is_whole() {
            0
        } else {
            self.index
        }
    }

    /// Producer `k` of `n` of this worker, as a producer of the whole run: `(k', n')` such that
    /// `Pacer::share(k', n')` gives exactly this worker's every `n`th id from its `k`th.
    pub fn producer(&self, k: u64, n: u64) -> (u64, u64) {
        let count = u64::from(self.count.max(1));
        (u64::from(self.index - 1) + count * k, count * n.max(1))
    }

    /// Partition key of record `id` among `keys` keys: `pk-<k>` on one machine, `w<I>-pk-<k>`
    /// for a worker (its own records numbered from 0, so every worker spreads over all `keys`).
    pub fn partition_key(&self, id: u64, keys: u32) -> String {
        let keys = u64::from(keys.max(1));
        if self.is_whole() {
            format!("pk-{}", id % keys)
        } else {
            let nth = id / u64::from(self.count);
            format!("w{}-pk-{}", self.index, nth % keys)
        }
    }

    /// Whether a record read back under `partition_key` is this worker's own to account (a
    /// whole run owns every record; an empty key, as a Firehose object's records have, is
    /// decided by the header instead).
    pub fn owns_key(&self, partition_key: &str) -> bool {
        if self.is_whole() || partition_key.is_empty() {
            return true;
        }
        partition_key
            .strip_prefix('w')
            .and_then(|rest| rest.split_once('-'))
            .is_some_and(|(i, _)| i == self.index.to_string())
    }

    /// Whether a record whose header names `worker` is this worker's own.
    pub fn owns_header(&self, worker: u32) -> bool {
        self.is_whole() || worker == self.index
    }

    /// `I/N`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::pacer::{Pacer, Pairing};
    use std::collections::BTreeSet;
    use std::time::Duration;

    #[test]
    fn parses_shares_and_refuses_what_is_not_one() {
        assert_eq!(
            WorkerShare::parse("2/3"),
            Ok(WorkerShare { index: 2, count: 3 })
        );
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", ""] {
            let e = WorkerShare::parse(bad).unwrap_err();
            assert!(e.contains("I/N"), "{bad}: {e}");
        }
    }

    #[test]
    fn reads_the_engines_zero_based_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(WorkerShare::from_env(env(&[])), Ok(None));
        assert_eq!(
            WorkerShare::from_env(env(&[("JOB_COMPLETION_INDEX", "0"), ("KCB_WORKERS", "3")])),
            Ok(Some(WorkerShare { index: 1, count: 3 }))
        );
        assert_eq!(
            WorkerShare::from_env(env(&[
                ("AWS_BATCH_JOB_ARRAY_INDEX", "4"),
                ("AWS_BATCH_JOB_ARRAY_SIZE", "5")
            ])),
            Ok(Some(WorkerShare { index: 5, count: 5 }))
        );
        let e = WorkerShare::from_env(env(&[("JOB_COMPLETION_INDEX", "1")])).unwrap_err();
        assert!(e.contains("KCB_WORKERS"), "{e}");
        let e = WorkerShare::from_env(env(&[("JOB_COMPLETION_INDEX", "3"), ("KCB_WORKERS", "3")]))
            .unwrap_err();
        assert!(e.contains("0-based"), "{e}");
    }

    #[test]
    fn every_worker_count_splits_the_same_schedule_without_overlap() {
        let pacer = Pacer::new(7.0, Duration::from_secs(13), Pairing::ALONE);
        let whole: BTreeSet<u64> = (0..pacer.total()).collect();
        for count in 1..=5u32 {
            for producers in 1..=3u64 {
                let mut seen = BTreeSet::new();
                for index in 1..=count {
                    let w = WorkerShare { index, count };
                    for k in 0..producers {
                        let (k2, n2) = w.producer(k, producers);
                        for id in pacer.share(k2, n2) {
                            assert!(seen.insert(id), "{count} workers: id {id} twice");
                            assert_eq!(id % u64::from(count), u64::from(index - 1));
                        }
                    }
                }
                assert_eq!(seen, whole, "{count} workers x {producers} producers");
            }
        }
    }

    #[test]
    fn partition_keys_are_disjoint_and_each_worker_uses_them_all() {
        let keys = 4;
        let mut owners = std::collections::BTreeMap::new();
        for index in 1..=3 {
            let w = WorkerShare { index, count: 3 };
            let mine: BTreeSet<String> = (0..300u64)
                .filter(|id| id % 3 == u64::from(index - 1))
                .map(|id| w.partition_key(id, keys))
                .collect();
            assert_eq!(mine.len(), keys as usize);
            for k in mine {
                assert!(w.owns_key(&k));
                for other in (1..=3).filter(|o| *o != index) {
                    assert!(!WorkerShare {
                        index: other,
                        count: 3
                    }
                    .owns_key(&k));
                }
                assert!(owners.insert(k, index).is_none());
            }
        }
        assert_eq!(WorkerShare::WHOLE.partition_key(5, keys), "pk-1");
        assert!(WorkerShare {
            index: 1,
            count: 12
        }
        .owns_key("w1-pk-0"));
        assert!(!WorkerShare {
            index: 1,
            count: 12
        }
        .owns_key("w11-pk-0"));
    }
}
