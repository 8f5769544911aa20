//! Data-key caching with the limits of the AWS Encryption SDK's caching CMM.
//!
//! [`EncryptCache`] lets one data key seal several messages of the same encryption context until
//! it reaches an age, message or byte limit; [`DecryptCache`] keeps unwrapped data keys by their
//! encrypted blob so repeated messages skip the KMS `Decrypt` call. Both are bounded by an entry
//! count with least-recently-used eviction.
//!
//! Nothing here reads a clock: every call takes `now`, the time since an arbitrary epoch, so a
//! test can run hours of schedule in microseconds (STYLE habit 6).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use super::format::{DataKey, EncryptionContext, KEY_LEN};

/// How long, how much and how many: the caching CMM's limits, plus the entry capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// An entry whose age (`now` minus the `now` it was put with) is at least this is never
    /// returned. `None`: no age limit (the ESDK requires one; the harness allows none to measure
    /// the other limits alone).
    pub max_age: Option<Duration>,
    /// Messages one data key may seal, counting the message it was generated for. `None`: no
    /// limit. The ESDK caps this at 2^32, the safe number of random 96-bit nonces per key.
    /// Ignored by [`DecryptCache`].
    pub max_messages: Option<u64>,
    /// Plaintext bytes one data key may seal in total, in bytes. A single message larger than
    /// this bypasses the cache. `None`: no limit. Ignored by [`DecryptCache`].
    pub max_bytes: Option<u64>,
    /// Entries held at most; the least recently used is evicted first. 0 disables caching.
    pub capacity: usize,
}

impl CacheLimits {
    /// AWS's own Kinesis caching example: max age 5 minutes, 100 messages per key, no byte
    /// limit, 100 entries.
    pub const fn kinesis_example() -> Self {
        CacheLimits {
            max_age: Some(Duration::from_secs(5 * 60)),
            max_messages: Some(100),
            max_bytes: None,
            capacity: 100,
        }
    }

    /// True when an entry put at `created` is younger than `max_age` at `now` (a `now` before
    /// `created` counts as age 0).
    fn is_fresh(&self, created: Duration, now: Duration) -> bool {
        self.max_age
            .is_none_or(|max| now.saturating_sub(created) < max)
    }

    /// True when one message of `plaintext_len` bytes fits `max_bytes` on its own.
    fn fits_alone(&self, plaintext_len: u64) -> bool {
        self.max_bytes.is_none_or(|max| plaintext_len <= max)
    }

    /// True when a key that has sealed `messages` messages may seal no more.
    fn messages_spent(&self, messages: u64) -> bool {
        self.max_messages.is_some_and(|max| messages >= max)
    }

    /// True when `entry` may seal one more message of `plaintext_len` bytes at `now`.
    fn allows_another<V>(
        &self,
        entry: &EncryptEntry<V>,
        plaintext_len: u64,
        now: Duration,
    ) -> bool {
        let messages_ok = self
            .max_messages
            .is_none_or(|max| entry.messages.saturating_add(1) <= max);
        let bytes_ok = self
            .max_bytes
            .is_none_or(|max| entry.bytes.saturating_add(plaintext_len) <= max);
        self.is_fresh(entry.created, now) && messages_ok && bytes_ok
    }
}

/// One cached encryption key and its use so far.
#[derive(Debug)]
struct EncryptEntry<V> {
    key: Arc<V>,
    /// `now` at put.
    created: Duration,
    /// Messages sealed with the key, including the one at put.
    messages: u64,
    /// Plaintext bytes sealed with the key, including the message at put.
    bytes: u64,
}

/// Encryption-side cache: one data key (or, for the ESDK, a data key with its signing key: any
/// `V`) per encryption context, reused within [`CacheLimits`].
///
/// Use: `get`; on `None`, generate a key (KMS `GenerateDataKey`), seal with it, then `put` it.
/// With `max_messages = m` and no other limit, `N` messages need exactly `ceil(N / m)` keys.
#[derive(Debug)]
pub struct EncryptCache<V = DataKey> {
    limits: CacheLimits,
    entries: Lru<EncryptEntry<V>>,
}

impl<V> EncryptCache<V> {
    /// An empty cache with these limits.
    pub fn new(limits: CacheLimits) -> Self {
        EncryptCache {
            limits,
            entries: Lru::new(limits.capacity),
        }
    }

    /// The limits this cache enforces.
    pub fn limits(&self) -> CacheLimits {
        self.limits
    }

    /// Returns the cached key for `context` if it is younger than `max_age` at `now` and sealing
    /// one more message of `plaintext_len` bytes keeps it within `max_messages` and `max_bytes`;
    /// that use is counted. An entry that fails a limit is evicted; an entry that has just sealed
    /// its last permitted message is evicted after being returned. A message larger than
    /// `max_bytes` on its own bypasses the cache and leaves the entry untouched.
    pub fn get(
        &mut self,
        context: &EncryptionContext,
        plaintext_len: u64,
        now: Duration,
    ) -> Option<Arc<V>> {
        let limits = self.limits;
        if !limits.fits_alone(plaintext_len) {
            return None;
        }
        let id = partition_key(context);
        let entry = self.entries.get_mut(&id)?;
        if !limits.allows_another(entry, plaintext_len, now) {
            self.entries.remove(&id);
            return None;
        }
        entry.messages = entry.messages.saturating_add(1);
        entry.bytes = entry.bytes.saturating_add(plaintext_len);
        let key = Arc::clone(&entry.key);
        if limits.messages_spent(entry.messages) {
            self.entries.remove(&id);
        }
        Some(key)
    }

    /// Stores a freshly generated `key` that has just sealed one message of `plaintext_len`
    /// bytes at `now` (so it starts at 1 message and `plaintext_len` bytes), replacing any entry
    /// for `context`. Not stored when it could never serve again (`max_messages <= 1`,
    /// `max_age` of zero) or when the message alone exceeds `max_bytes`.
    pub fn put(
        &mut self,
        context: &EncryptionContext,
        key: Arc<V>,
        plaintext_len: u64,
        now: Duration,
    ) {
        let limits = self.limits;
        let reusable = limits.fits_alone(plaintext_len)
            && !limits.messages_spent(1)
            && limits.is_fresh(now, now);
        if !reusable {
            return;
        }
        let entry = EncryptEntry {
            key,
            created: now,
            messages: 1,
            bytes: plaintext_len,
        };
        self.entries.insert(partition_key(context), entry);
    }

    /// Entries held (at most `capacity`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One cached decryption key.
struct DecryptEntry {
    key: Arc<Zeroizing<[u8; KEY_LEN]>>,
    /// `now` at put.
    created: Duration,
}

/// Decryption-side cache: plaintext data keys by their encrypted blob (KMS `CiphertextBlob`).
/// Only `max_age` and `capacity` apply; message and byte limits are encryption-side.
pub struct DecryptCache {
    limits: CacheLimits,
    entries: Lru<DecryptEntry>,
}

impl std::fmt::Debug for DecryptCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecryptCache")
            .field("limits", &self.limits)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl DecryptCache {
    /// An empty cache with these limits (`max_messages` and `max_bytes` are ignored).
    pub fn new(limits: CacheLimits) -> Self {
        DecryptCache {
            limits,
            entries: Lru::new(limits.capacity),
        }
    }

    /// The plaintext key for `blob` if cached and younger than `max_age` at `now`; an entry at or
    /// past `max_age` is evicted.
    pub fn get(&mut self, blob: &[u8], now: Duration) -> Option<Arc<Zeroizing<[u8; KEY_LEN]>>> {
        let limits = self.limits;
        let entry = self.entries.get_mut(blob)?;
        if !limits.is_fresh(entry.created, now) {
            self.entries.remove(blob);
            return None;
        }
        Some(Arc::clone(&entry.key))
    }

    /// Stores the plaintext `key` unwrapped from `blob` at `now`, replacing any entry for `blob`.
    pub fn put(&mut self, blob: &[u8], key: Arc<Zeroizing<[u8; KEY_LEN]>>, now: Duration) {
        if !self.limits.is_fresh(now, now) {
            return;
        }
        let entry = DecryptEntry { key, created: now };
        self.entries.insert(blob.to_vec(), entry);
    }

    /// Entries held (at most `capacity`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The cache partition for a context: each pair, in key order, as `u64` big-endian key length,
/// key bytes, `u64` big-endian value length, value bytes. Unambiguous and stable across runs.
fn partition_key(context: &EncryptionContext) -> Vec<u8> {
    let size: usize = context.iter().map(|(k, v)| 16 + k.len() + v.len()).sum();
    let mut out = Vec::with_capacity(size);
    for (key, value) in context {
        for part in [key, value] {
            out.extend_from_slice(&(part.len() as u64).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
    }
    out
}

/// A map bounded to `capacity` entries that evicts the least recently used (by `get_mut` or
/// `insert`) first. Both operations are O(log n).
#[derive(Debug)]
struct Lru<V> {
    capacity: usize,
    /// Monotonic use counter; higher is more recent.
    tick: u64,
    entries: HashMap<Vec<u8>, Slot<V>>,
    /// Last-use tick to key, oldest first.
    recency: BTreeMap<u64, Vec<u8>>,
}

#[derive(Debug)]
struct Slot<V> {
    value: V,
    last_used: u64,
}

impl<V> Lru<V> {
    fn new(capacity: usize) -> Self {
        Lru {
            capacity,
            tick: 0,
            entries: HashMap::new(),
            recency: BTreeMap::new(),
        }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn next_tick(&mut self) -> u64 {
        self.tick = self.tick.wrapping_add(1);
        self.tick
    }

    /// The value for `key`, marked most recently used.
    fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let tick = self.next_tick();
        let slot = self.entries.get_mut(key)?;
        let old = std::mem::replace(&mut slot.last_used, tick);
        if let Some(id) = self.recency.remove(&old) {
            self.recency.insert(tick, id);
        }
        Some(&mut slot.value)
    }

    /// Inserts or replaces `key`, then evicts least recently used entries beyond capacity.
    fn insert(&mut self, key: Vec<u8>, value: V) {
        if self.capacity == 0 {
            return;
        }
        self.remove(&key);
        let tick = self.next_tick();
        self.recency.insert(tick, key.clone());
        self.entries.insert(
            key,
            Slot {
                value,
                last_used: tick,
            },
        );
        while self.entries.len() > self.capacity {
            match self.recency.pop_first() {
                Some((_, oldest)) => self.entries.remove(&oldest),
                None => break,
            };
        }
    }

    fn remove(&mut self, key: &[u8]) {
        if let Some(slot) = self.entries.remove(key) {
            self.recency.remove(&slot.last_used);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::format::EncryptedDataKey;
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    const SECOND: Duration = Duration::from_secs(1);

    fn limits(
        max_age: Option<Duration>,
        max_messages: Option<u64>,
        max_bytes: Option<u64>,
    ) -> CacheLimits {
        CacheLimits {
            max_age,
            max_messages,
            max_bytes,
            capacity: 100,
        }
    }

    fn ctx(stream: &str) -> EncryptionContext {
        [("stream".to_string(), stream.to_string())].into()
    }

    /// The n-th generated key; its key id records n.
    fn fresh_key(n: u64) -> Arc<DataKey> {
        Arc::new(DataKey {
            plaintext: Zeroizing::new([n as u8; KEY_LEN]),
            encrypted: EncryptedDataKey {
                provider_id: "aws-kms".into(),
                key_id: format!("key-{n}"),
                ciphertext: n.to_be_bytes().to_vec(),
            },
        })
    }

    /// Seals `messages` messages of `plaintext_len` bytes, one every `every`, as the envelope
    /// path would; returns how many keys had to be generated.
    fn keys_needed(
        cache: &mut EncryptCache,
        context: &EncryptionContext,
        messages: u64,
        plaintext_len: u64,
        every: Duration,
    ) -> u64 {
        let mut generated = 0;
        for i in 0..messages {
            let now = every * u32::try_from(i).expect("test sizes fit u32");
            if cache.get(context, plaintext_len, now).is_none() {
                generated += 1;
                cache.put(context, fresh_key(generated), plaintext_len, now);
            }
        }
        generated
    }

    #[test]
    fn max_messages_100_needs_ceil_n_over_100_keys() {
        for (n, keys) in [
            (0, 0),
            (1, 1),
            (99, 1),
            (100, 1),
            (101, 2),
            (250, 3),
            (1000, 10),
        ] {
            let mut cache = EncryptCache::new(limits(None, Some(100), None));
            assert_eq!(
                keys_needed(&mut cache, &ctx("a"), n, 100, SECOND),
                keys,
                "n={n}"
            );
        }
    }

    #[test]
    fn max_messages_1_never_reuses_and_never_stores() {
        let mut cache = EncryptCache::new(limits(None, Some(1), None));
        assert_eq!(keys_needed(&mut cache, &ctx("a"), 10, 1, SECOND), 10);
        assert!(cache.is_empty());
    }

    #[test]
    fn max_age_five_minutes_over_an_hour_at_one_per_second_needs_12_keys() {
        let mut cache = EncryptCache::new(limits(Some(300 * SECOND), None, None));
        assert_eq!(keys_needed(&mut cache, &ctx("a"), 3600, 100, SECOND), 12);
    }

    #[test]
    fn an_entry_at_max_age_is_never_returned() {
        let max_age = 300 * SECOND;
        let mut cache = EncryptCache::new(limits(Some(max_age), None, None));
        let start = 1000 * SECOND;
        cache.put(&ctx("a"), fresh_key(1), 10, start);
        let just_before = start + max_age - Duration::from_nanos(1);
        assert!(cache.get(&ctx("a"), 10, just_before).is_some());
        assert!(cache.get(&ctx("a"), 10, start + max_age).is_none());
        assert!(cache.is_empty(), "expired entry is evicted");
        assert!(cache.get(&ctx("a"), 10, just_before).is_none());
    }

    #[test]
    fn max_bytes_limits_plaintext_per_key() {
        let mut cache = EncryptCache::new(limits(None, None, Some(10_000)));
        // 10 messages of 1,000 bytes per key: 95 messages need 10 keys.
        assert_eq!(keys_needed(&mut cache, &ctx("a"), 95, 1_000, SECOND), 10);
        let mut cache = EncryptCache::new(limits(None, None, Some(10_000)));
        // 3 messages of 3,000 bytes per key (a 4th would reach 12,000).
        assert_eq!(keys_needed(&mut cache, &ctx("a"), 9, 3_000, SECOND), 3);
    }

    #[test]
    fn a_message_larger_than_max_bytes_is_never_served_and_leaves_the_entry() {
        let mut cache = EncryptCache::new(limits(None, None, Some(10_000)));
        assert_eq!(keys_needed(&mut cache, &ctx("a"), 5, 10_001, SECOND), 5);
        assert!(cache.is_empty(), "oversized messages are not cached");
        cache.put(&ctx("a"), fresh_key(1), 100, Duration::ZERO);
        assert!(cache.get(&ctx("a"), 20_000, SECOND).is_none());
        cache.put(&ctx("a"), fresh_key(2), 20_000, SECOND);
        let served = cache.get(&ctx("a"), 100, 2 * SECOND).expect("entry kept");
        assert_eq!(served.encrypted.key_id, "key-1");
    }

    #[test]
    fn the_first_limit_reached_wins() {
        // 100 messages or 5,000 bytes: 100-byte messages hit the byte limit first (50 each).
        let mut cache = EncryptCache::new(limits(Some(300 * SECOND), Some(100), Some(5_000)));
        assert_eq!(keys_needed(&mut cache, &ctx("a"), 200, 100, SECOND / 10), 4);
        // 1-byte messages at 1/s: the age limit (300 per key) beats 1,000 messages.
        let mut cache = EncryptCache::new(limits(Some(300 * SECOND), Some(1_000), Some(5_000)));
        assert_eq!(keys_needed(&mut cache, &ctx("a"), 900, 1, SECOND), 3);
    }

    #[test]
    fn the_kinesis_example_cuts_key_generation_to_one_percent() {
        let mut cache = EncryptCache::new(CacheLimits::kinesis_example());
        // 10,000 records at 100 per second: well inside the 5-minute age limit.
        assert_eq!(
            keys_needed(&mut cache, &ctx("a"), 10_000, 1_024, SECOND / 100),
            100
        );
    }

    #[test]
    fn a_served_key_is_the_cached_one() {
        let mut cache = EncryptCache::new(limits(None, Some(10), None));
        let key = fresh_key(1);
        cache.put(&ctx("a"), Arc::clone(&key), 1, Duration::ZERO);
        let served = cache.get(&ctx("a"), 1, SECOND).expect("cached");
        assert!(Arc::ptr_eq(&key, &served));
    }

    #[test]
    fn contexts_are_separate_partitions() {
        let mut cache = EncryptCache::new(limits(None, Some(100), None));
        cache.put(&ctx("a"), fresh_key(1), 1, Duration::ZERO);
        assert!(cache.get(&ctx("b"), 1, SECOND).is_none());
        assert!(cache.get(&EncryptionContext::new(), 1, SECOND).is_none());
        let two: EncryptionContext = [("a".into(), "b".into()), ("c".into(), "d".into())].into();
        let joined: EncryptionContext = [("a".into(), "bc".into()), ("".into(), "d".into())].into();
        assert_ne!(partition_key(&two), partition_key(&joined));
        assert_eq!(
            cache.get(&ctx("a"), 1, SECOND).unwrap().encrypted.key_id,
            "key-1"
        );
    }

    #[test]
    fn capacity_evicts_the_least_recently_used() {
        let mut cache = EncryptCache::new(CacheLimits {
            capacity: 2,
            ..limits(None, None, None)
        });
        cache.put(&ctx("a"), fresh_key(1), 1, Duration::ZERO);
        cache.put(&ctx("b"), fresh_key(2), 1, SECOND);
        assert!(cache.get(&ctx("a"), 1, 2 * SECOND).is_some()); // a is now the most recent
        cache.put(&ctx("c"), fresh_key(3), 1, 3 * SECOND); // evicts b
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&ctx("b"), 1, 4 * SECOND).is_none());
        assert!(cache.get(&ctx("a"), 1, 4 * SECOND).is_some());
        assert!(cache.get(&ctx("c"), 1, 4 * SECOND).is_some());
        // Replacing an entry does not grow the cache.
        cache.put(&ctx("c"), fresh_key(4), 1, 5 * SECOND);
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn capacity_zero_caches_nothing() {
        let mut cache = EncryptCache::new(CacheLimits {
            capacity: 0,
            ..limits(None, None, None)
        });
        assert_eq!(keys_needed(&mut cache, &ctx("a"), 7, 1, SECOND), 7);
        assert!(cache.is_empty());
    }

    #[test]
    fn decrypt_cache_honours_age_and_capacity() {
        let mut cache = DecryptCache::new(CacheLimits {
            capacity: 2,
            ..limits(Some(60 * SECOND), Some(1), Some(1))
        });
        let key = |b: u8| Arc::new(Zeroizing::new([b; KEY_LEN]));
        cache.put(b"blob-1", key(1), Duration::ZERO);
        // Message and byte limits do not apply on the decrypt side.
        for _ in 0..5 {
            assert_eq!(**cache.get(b"blob-1", SECOND).unwrap(), [1; KEY_LEN]);
        }
        assert!(cache.get(b"blob-2", SECOND).is_none());
        cache.put(b"blob-2", key(2), SECOND);
        assert!(cache.get(b"blob-1", 2 * SECOND).is_some()); // blob-1 most recent
        cache.put(b"blob-3", key(3), 3 * SECOND); // evicts blob-2
        assert_eq!(cache.len(), 2);
        assert!(cache.get(b"blob-2", 4 * SECOND).is_none());
        assert!(cache.get(b"blob-1", 59 * SECOND).is_some());
        assert!(cache.get(b"blob-1", 60 * SECOND).is_none());
        assert_eq!(cache.len(), 1);
        assert!(format!("{cache:?}").contains("len: 1"));
    }

    proptest! {
        #[test]
        fn prop_keys_generated_is_ceil_n_over_max_messages(
            n in 0u64..3_000,
            max_messages in 1u64..500,
            plaintext_len in 0u64..10_000,
        ) {
            let mut cache = EncryptCache::new(limits(None, Some(max_messages), None));
            let keys = keys_needed(&mut cache, &ctx("a"), n, plaintext_len, SECOND);
            prop_assert_eq!(keys, n.div_ceil(max_messages));
        }

        #[test]
        fn prop_no_served_key_ever_exceeds_a_limit(
            max_age_secs in 1u64..100,
            max_messages in 1u64..50,
            max_bytes in 1u64..5_000,
            capacity in 0usize..4,
            steps in prop::collection::vec((0u64..5_000, 0u64..20, 0usize..5), 0..300),
        ) {
            let limits = CacheLimits {
                max_age: Some(Duration::from_secs(max_age_secs)),
                max_messages: Some(max_messages),
                max_bytes: Some(max_bytes),
                capacity,
            };
            let mut cache: EncryptCache = EncryptCache::new(limits);
            // key id -> (created, messages, bytes)
            let mut usage: HashMap<String, (Duration, u64, u64)> = HashMap::new();
            let mut now = Duration::ZERO;
            let mut generated = 0;
            for (len, advance_secs, stream) in steps {
                now += Duration::from_secs(advance_secs);
                let context = ctx(&stream.to_string());
                match cache.get(&context, len, now) {
                    Some(key) => {
                        let used = usage.get_mut(&key.encrypted.key_id).expect("known key");
                        used.1 += 1;
                        used.2 += len;
                        prop_assert!(now - used.0 < limits.max_age.unwrap());
                        prop_assert!(used.1 <= max_messages);
                        prop_assert!(used.2 <= max_bytes);
                    }
                    None => {
                        generated += 1;
                        let key = fresh_key(generated);
                        usage.insert(key.encrypted.key_id.clone(), (now, 1, len));
                        cache.put(&context, key, len, now);
                    }
                }
                prop_assert!(cache.len() <= capacity);
            }
        }
    }
}
