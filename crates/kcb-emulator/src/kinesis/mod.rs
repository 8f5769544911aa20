//! The embedded Kinesis: streams, shards, records, iterators, limits and SSE-KMS.

pub mod consumers;
pub mod iterator;
pub mod ops;
pub mod records;
pub mod reshard;
pub mod sse;
pub mod stream;
pub mod tags;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

pub use stream::{Shard, ShardLimits};

/// Capacity mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamMode {
    /// Shards as asked.
    Provisioned,
    /// Starts with 4 shards (4 MB/s write), as AWS's on-demand mode does.
    OnDemand,
}

impl StreamMode {
    /// Name as the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            StreamMode::Provisioned => "PROVISIONED",
            StreamMode::OnDemand => "ON_DEMAND",
        }
    }
}

/// Server-side encryption setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encryption {
    /// `NONE`.
    None,
    /// `KMS` under the key named (as the caller named it) whose ARN is given.
    Kms {
        /// The KeyId as given to StartStreamEncryption.
        key_id: String,
        /// The resolved key ARN.
        key_arn: String,
    },
}

/// One stream.
#[derive(Debug)]
pub struct Stream {
    /// Name.
    pub name: String,
    /// ARN.
    pub arn: String,
    /// Creation time.
    pub created: Duration,
    /// Capacity mode.
    pub mode: StreamMode,
    /// Shards.
    pub shards: Vec<Shard>,
    /// How long records are kept (the retention; shorter than AWS's 24 h minimum only when the
    /// harness sets it on the embedded service, to keep a long run's memory flat).
    pub retention: Duration,
    /// Encryption in force.
    pub encryption: Encryption,
    /// A change of encryption in progress, effective at the instant given.
    pub pending: Option<(Encryption, Duration)>,
    /// Distinguishes a stream from an earlier one of the same name (iterators of the old one fail).
    pub epoch: u64,
    /// Tags (at most 50), by key.
    pub tags: std::collections::BTreeMap<String, String>,
    /// A reshard in progress: the stream is UPDATING until then.
    pub resharding_until: Option<Duration>,
    /// Enhanced fan-out consumers registered (and those still being deregistered).
    pub consumers: Vec<consumers::Consumer>,
}

impl Stream {
    /// Apply a pending encryption change whose time has come.
    pub fn refresh(&mut self, now: Duration) {
        if let Some((enc, at)) = &self.pending {
            if *at <= now {
                self.encryption = enc.clone();
                self.pending = None;
            }
        }
        if self.resharding_until.is_some_and(|t| t <= now) {
            self.resharding_until = None;
        }
        consumers::refresh(self, now);
    }

    /// The retention in whole hours, as DescribeStream reports it (at least 1).
    pub fn retention_hours(&self) -> u64 {
        self.retention.as_secs().div_ceil(3600).max(1)
    }

    /// Drop the records older than the retention period (cheap when none is).
    pub fn expire(&mut self, now: Duration) {
        let cutoff = now.saturating_sub(self.retention);
        for sh in &mut self.shards {
            sh.trim(0, cutoff);
        }
    }

    /// Shards open for writing.
    pub fn open_shards(&self) -> usize {
        self.shards.iter().filter(|s| !s.closed).count()
    }

    /// `ACTIVE` or `UPDATING`.
    pub fn status(&self) -> &'static str {
        if self.pending.is_some() || self.resharding_until.is_some() {
            "UPDATING"
        } else {
            "ACTIVE"
        }
    }
}

/// All streams, each behind its own lock so paths do not contend.
#[derive(Debug, Default)]
pub struct Streams {
    by_name: Mutex<BTreeMap<String, Arc<Mutex<Stream>>>>,
    next_epoch: Mutex<u64>,
}

impl Streams {
    /// The stream by name.
    pub fn get(&self, name: &str) -> Option<Arc<Mutex<Stream>>> {
        self.by_name.lock().get(name).cloned()
    }

    /// Insert a new stream; false if the name is taken.
    pub fn insert(&self, mut stream: Stream) -> bool {
        let mut map = self.by_name.lock();
        if map.contains_key(&stream.name) {
            return false;
        }
        let mut epoch = self.next_epoch.lock();
        *epoch += 1;
        stream.epoch = *epoch;
        map.insert(stream.name.clone(), Arc::new(Mutex::new(stream)));
        true
    }

    /// Remove a stream.
    pub fn remove(&self, name: &str) -> bool {
        self.by_name.lock().remove(name).is_some()
    }

    /// Names in order.
    pub fn names(&self) -> Vec<String> {
        self.by_name.lock().keys().cloned().collect()
    }
}
