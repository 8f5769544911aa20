//! The client-side envelope path: data keys from KMS GenerateDataKey (through the caching CMM
//! when configured), records sealed as AWS Encryption SDK messages (or in the compact format
//! with AES-256-GCM or ChaCha20-Poly1305), data keys opened with KMS Decrypt (cached the same
//! way). Plaintext keys are zeroized when their last use ends.
//!
//! As the ESDK does, a signing suite makes a fresh ECDSA P-384 key pair for each set of
//! encryption materials (each record without a cache; each cached data key with one) and adds
//! its public key to the encryption context before asking KMS for the data key, so KMS binds it.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rand::RngCore;
use zeroize::Zeroizing;

use super::envelope::aead::AeadBackend;
use super::envelope::cache::{CacheLimits, DecryptCache, EncryptCache};
use super::envelope::esdk::{self, EsdkSuite, Signer, PUBLIC_KEY_CONTEXT_KEY};
use super::envelope::format::{
    self, DataKey, EncryptedDataKey, EncryptionContext, EnvelopeError, Suite, KMS_PROVIDER_ID,
};
use super::OpenError;
use crate::backend::{BackendError, KmsApi};

/// How the path writes a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFormat {
    /// An AWS Encryption SDK message (format version 2) of this suite and frame length.
    Esdk {
        /// The algorithm suite.
        suite: EsdkSuite,
        /// Plaintext bytes per frame.
        frame_length: u32,
    },
    /// The compact single-frame format with this AEAD, from this implementation.
    Compact(Suite, AeadBackend),
}

/// What one data key seals with: the key, and for a signing suite the message signing key and
/// the context that carries its public key (the ESDK's encryption materials).
pub struct Materials {
    key: DataKey,
    signer: Option<Signer>,
    context: EncryptionContext,
}

impl std::fmt::Debug for Materials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Materials")
            .field("key", &self.key)
            .field("signed", &self.signer.is_some())
            .finish()
    }
}

/// A record's header as read before its data key is fetched.
enum ReadHeader {
    /// A compact record's header, and the AEAD backend the path opens it with.
    Compact(format::Header, AeadBackend),
    Esdk(esdk::header::ParsedHeader),
}

impl ReadHeader {
    /// The stored context (sent with Decrypt) and the encrypted data keys.
    fn context_and_keys(&self) -> (&EncryptionContext, &[EncryptedDataKey]) {
        match self {
            ReadHeader::Compact(h, _) => (&h.context, &h.encrypted_keys),
            ReadHeader::Esdk(p) => (&p.header.context, &p.header.encrypted_keys),
        }
    }
}

/// Envelope encryption for one path: a producer-side KMS client that generates data keys and a
/// consumer-side one that decrypts them.
pub struct EnvelopePath {
    format: RecordFormat,
    key_id: String,
    context: EncryptionContext,
    producer_kms: KmsApi,
    consumer_kms: KmsApi,
    encrypt_cache: Option<Mutex<EncryptCache<Materials>>>,
    decrypt_cache: Option<Mutex<DecryptCache>>,
    /// The first encrypted data key, which fixes every record's length from then on.
    first_edk: Mutex<Option<EncryptedDataKey>>,
    crypto: Mutex<CryptoTotals>,
    /// With a single-flight cache, one KMS fetch at a time per direction: producers (or
    /// consumers) that miss together wait for the first one's key instead of each calling KMS.
    single_flight: bool,
    fetching_encrypt: tokio::sync::Mutex<()>,
    fetching_decrypt: tokio::sync::Mutex<()>,
    /// KMS fetches for the cache in flight, per direction.
    in_flight: [AtomicU32; 2],
    /// Cache misses that met a fetch in flight: single-flight, those that then found its key
    /// (a call saved); otherwise those that made a call of their own (a call it would save).
    concurrent_misses: AtomicU64,
}

/// One KMS fetch for the cache in flight, until dropped; says whether another was already.
struct Fetching<'a>(&'a AtomicU32);

impl<'a> Fetching<'a> {
    fn start(count: &'a AtomicU32) -> (Self, bool) {
        let before = count.fetch_add(1, Ordering::Relaxed);
        (Self(count), before > 0)
    }
}

impl Drop for Fetching<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a miss holds while it fetches: its place among the fetches in flight and, single-flight,
/// its turn.
struct Fetch<'a> {
    _fetching: Fetching<'a>,
    _turn: Option<tokio::sync::MutexGuard<'a, ()>>,
}

/// A cache's answer: its entry, or the fetch to make.
enum Cached<'a, T> {
    Hit(T),
    Miss(Fetch<'a>),
}

/// CPU time spent sealing and opening records (the record format and its AEAD; KMS calls
/// excluded), on the thread that did it (the thread's CPU clock, so time the thread spent
/// waiting for a core does not count), and the bytes processed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CryptoTotals {
    /// Plaintext bytes sealed.
    pub seal_bytes: u64,
    /// Records sealed.
    pub seal_records: u64,
    /// CPU time spent sealing, ns.
    pub seal_ns: u64,
    /// Plaintext bytes opened.
    pub open_bytes: u64,
    /// Records opened.
    pub open_records: u64,
    /// CPU time spent opening, ns.
    pub open_ns: u64,
}

/// What sealing and opening one record of a size costs, measured in a tight loop before the
/// load (the thread's CPU clock over many records, so the clock's own cost is spread thin).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// Plaintext bytes of the record.
    pub plaintext_bytes: u64,
    /// Records sealed and opened.
    pub records: u64,
    /// CPU time per seal, ns.
    pub seal_ns: f64,
    /// CPU time per open, ns.
    pub open_ns: f64,
}

/// The thread's CPU time now, ns (0 where the platform has no thread CPU clock).
fn thread_cpu_ns() -> u64 {
    cpu_time::ThreadTime::try_now()
        .map(|t| u64::try_from(t.as_duration().as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl std::fmt::Debug for EnvelopePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvelopePath")
            .field("format", &self.format)
            .field("key_id", &self.key_id)
            .field("cached", &self.encrypt_cache.is_some())
            .finish()
    }
}

/// Bytes of the record `format` writes for `plaintext_len` bytes with `context` bound and `edk`
/// as its one encrypted data key.
pub fn record_len(
    format: RecordFormat,
    context: &EncryptionContext,
    edk: &EncryptedDataKey,
    plaintext_len: u64,
) -> u64 {
    let keys = std::slice::from_ref(edk);
    match format {
        RecordFormat::Compact(..) => plaintext_len + format::overhead_bytes(context, keys) as u64,
        RecordFormat::Esdk {
            suite,
            frame_length,
        } => esdk::message_len(
            suite,
            frame_length,
            &esdk::sized_context(suite, context),
            keys,
            plaintext_len,
        ),
    }
}

/// The sizes of a data key as KMS wraps it, for estimates made before the first call: a
/// 75-character key ARN (`arn:aws:kms:<region>:<account>:key/<uuid>` in a nine-character
/// region such as us-east-1) and the `CiphertextBlob` KMS returns for a 32-byte data key under
/// a symmetric key (the embedded service pads its blobs to the same length).
pub const STAND_IN_KEY: (usize, usize) = (75, crate::emulator::kms::keys::AWS_DATA_KEY_BLOB_BYTES);

/// A stand-in encrypted data key of [`STAND_IN_KEY`]'s sizes.
pub fn stand_in_key() -> EncryptedDataKey {
    EncryptedDataKey {
        provider_id: KMS_PROVIDER_ID.to_owned(),
        key_id: "k".repeat(STAND_IN_KEY.0),
        ciphertext: vec![0; STAND_IN_KEY.1],
    }
}

impl EnvelopePath {
    /// An envelope path sealing under KMS key `key_id` with `context` bound.
    pub fn new(
        format: RecordFormat,
        key_id: String,
        context: EncryptionContext,
        cache: Option<CacheLimits>,
        producer_kms: KmsApi,
        consumer_kms: KmsApi,
    ) -> Self {
        Self {
            format,
            key_id,
            context,
            producer_kms,
            consumer_kms,
            encrypt_cache: cache.map(|l| Mutex::new(EncryptCache::new(l))),
            decrypt_cache: cache.map(|l| Mutex::new(DecryptCache::new(l))),
            first_edk: Mutex::new(None),
            crypto: Mutex::new(CryptoTotals::default()),
            single_flight: false,
            fetching_encrypt: tokio::sync::Mutex::new(()),
            fetching_decrypt: tokio::sync::Mutex::new(()),
            in_flight: [AtomicU32::new(0), AtomicU32::new(0)],
            concurrent_misses: AtomicU64::new(0),
        }
    }

    /// With a cache: misses wait for one KMS call in flight (`true`), or each makes its own,
    /// as the AWS Encryption SDK's caching CMM does (`false`, the default).
    pub fn single_flight(mut self, on: bool) -> Self {
        self.single_flight = on;
        self
    }

    /// Whether the path has a data-key cache.
    pub fn cached(&self) -> bool {
        self.encrypt_cache.is_some()
    }

    /// Cache misses that met a KMS call for the cache in flight: single-flight, the calls it
    /// saved; otherwise, the calls it would save.
    pub fn concurrent_misses(&self) -> u64 {
        self.concurrent_misses.load(Ordering::Relaxed)
    }

    /// AEAD time and bytes so far.
    pub fn crypto(&self) -> CryptoTotals {
        *self.crypto.lock()
    }

    /// Seal and open records of each of `sizes` bytes in a tight loop, with a local data key
    /// (no KMS call), for about `budget` in all: what one record of each size costs in CPU
    /// time. Runs on the calling thread, before the load.
    pub fn calibrate(&self, sizes: &[u64], budget: std::time::Duration) -> Vec<Calibration> {
        let mut key_bytes = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key_bytes.as_mut());
        let Ok(materials) = self.local_materials(DataKey {
            plaintext: key_bytes,
            encrypted: EncryptedDataKey {
                provider_id: KMS_PROVIDER_ID.into(),
                key_id: self.key_id.clone(),
                ciphertext: vec![0u8; 167],
            },
        }) else {
            return Vec::new();
        };
        let per_size = budget / sizes.len().max(1) as u32;
        let mut out = Vec::new();
        for &size in sizes {
            let payload = vec![0x5au8; usize::try_from(size).unwrap_or(usize::MAX)];
            let Ok(sample) = self.seal_with(&materials, &payload) else {
                continue;
            };
            // Read once, as a record's header is read once before its key is fetched; the
            // open timed below is what a run times.
            let Ok(header) = self.header_of(&sample) else {
                continue;
            };
            let started = std::time::Instant::now();
            let (mut records, mut seal_ns, mut open_ns) = (0u64, 0u64, 0u64);
            // At least 20 records, then until the size's share of the budget is spent.
            while records < 20 || (started.elapsed() < per_size && records < 1_000_000) {
                let batch = 10;
                let t = thread_cpu_ns();
                for _ in 0..batch {
                    // Without a cache a signing suite makes a key pair per record, as the run does.
                    if self.encrypt_cache.is_none() && self.signs() {
                        let _ = std::hint::black_box(Signer::generate());
                    }
                    let _ = std::hint::black_box(
                        self.seal_with(&materials, std::hint::black_box(&payload)),
                    );
                }
                let u = thread_cpu_ns();
                for _ in 0..batch {
                    let _ = std::hint::black_box(self.open_with(
                        std::hint::black_box(&sample),
                        &header,
                        &materials.key.plaintext,
                    ));
                }
                let v = thread_cpu_ns();
                seal_ns += u.saturating_sub(t);
                open_ns += v.saturating_sub(u);
                records += batch;
            }
            out.push(Calibration {
                plaintext_bytes: size,
                records,
                seal_ns: seal_ns as f64 / records as f64,
                open_ns: open_ns as f64 / records as f64,
            });
        }
        out
    }

    /// The record format.
    pub fn format(&self) -> RecordFormat {
        self.format
    }

    fn signs(&self) -> bool {
        matches!(self.format, RecordFormat::Esdk { suite, .. } if suite.signed())
    }

    /// Bytes of the record that seals `plaintext_len` bytes, from the format's arithmetic
    /// (known once the first data key has come: its encrypted form is in every record).
    pub fn sealed_len(&self, plaintext_len: u64) -> Option<u64> {
        let edk = self.first_edk.lock().clone()?;
        Some(self.len_with(&edk, plaintext_len))
    }

    fn len_with(&self, edk: &EncryptedDataKey, plaintext_len: u64) -> u64 {
        record_len(self.format, &self.context, edk, plaintext_len)
    }

    /// The largest plaintext whose record is at most `limit` bytes (once the first data key has
    /// come), `Some(0)` when none fits.
    pub fn max_plaintext_within(&self, limit: u64) -> Option<u64> {
        let edk = self.first_edk.lock().clone()?;
        if self.len_with(&edk, 0) > limit {
            return Some(0);
        }
        let (mut lo, mut hi) = (0u64, limit);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if self.len_with(&edk, mid) <= limit {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Some(lo)
    }

    /// Materials for a key that did not come from KMS (calibration): for a signing suite, a
    /// fresh signing key and its public key in the context.
    fn local_materials(&self, key: DataKey) -> Result<Materials, EnvelopeError> {
        let signer = self.signs().then(Signer::generate).transpose()?;
        Ok(Materials {
            context: esdk::stored_context(&self.context, signer.as_ref()),
            key,
            signer,
        })
    }

    /// Seals `payload` with `m` in the path's format (fresh nonce or message id).
    fn seal_with(&self, m: &Materials, payload: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
        match self.format {
            RecordFormat::Compact(suite, backend) => {
                let mut nonce = [0u8; format::NONCE_LEN];
                rand::rngs::OsRng.fill_bytes(&mut nonce);
                format::seal_with(backend, suite, &m.key, &m.context, nonce, payload)
            }
            RecordFormat::Esdk {
                suite,
                frame_length,
            } => {
                let mut id = [0u8; esdk::MESSAGE_ID_LEN];
                rand::rngs::OsRng.fill_bytes(&mut id);
                esdk::seal(
                    suite,
                    frame_length,
                    &m.key,
                    &m.context,
                    m.signer.as_ref(),
                    id,
                    payload,
                )
            }
        }
    }

    /// A look in a cache (`direction` 0: the producers', 1: the consumers'): its entry, or, on
    /// a miss, the fetch this caller is to make. Single-flight, a miss first waits its turn and
    /// looks again (an entry then is a call saved); otherwise a miss that meets a fetch in
    /// flight is a call single-flight would save.
    async fn miss<T>(&self, direction: usize, get: impl Fn() -> Option<T>) -> Cached<'_, T> {
        if let Some(hit) = get() {
            return Cached::Hit(hit);
        }
        let (fetching, met) = Fetching::start(&self.in_flight[direction]);
        let turn = if self.single_flight {
            let lock = [&self.fetching_encrypt, &self.fetching_decrypt][direction];
            let turn = lock.lock().await;
            if let Some(hit) = get() {
                self.concurrent_misses.fetch_add(1, Ordering::Relaxed);
                return Cached::Hit(hit);
            }
            Some(turn)
        } else {
            if met {
                self.concurrent_misses.fetch_add(1, Ordering::Relaxed);
            }
            None
        };
        Cached::Miss(Fetch {
            _fetching: fetching,
            _turn: turn,
        })
    }

    async fn materials(&self, len: u64, now: Duration) -> Result<Arc<Materials>, BackendError> {
        let _fetch = match &self.encrypt_cache {
            Some(cache) => match self
                .miss(0, || cache.lock().get(&self.context, len, now))
                .await
            {
                Cached::Hit(k) => return Ok(k),
                Cached::Miss(fetch) => Some(fetch),
            },
            None => None,
        };
        let signer = if self.signs() {
            let t = thread_cpu_ns();
            let signer = Signer::generate()
                .map_err(|e| BackendError::new("Seal", "EnvelopeSealFailed", e.to_string()))?;
            self.crypto.lock().seal_ns += thread_cpu_ns().saturating_sub(t);
            Some(signer)
        } else {
            None
        };
        let context = esdk::stored_context(&self.context, signer.as_ref());
        let out = self
            .producer_kms
            .generate_data_key(&self.key_id, &context)
            .await?;
        let materials = Arc::new(Materials {
            key: DataKey {
                plaintext: out.plaintext.clone(),
                encrypted: EncryptedDataKey {
                    provider_id: KMS_PROVIDER_ID.into(),
                    key_id: out.key_arn.clone(),
                    ciphertext: out.blob.clone(),
                },
            },
            signer,
            context,
        });
        self.first_edk
            .lock()
            .get_or_insert_with(|| materials.key.encrypted.clone());
        if let Some(cache) = &self.encrypt_cache {
            cache.lock().put(&self.context, materials.clone(), len, now);
        }
        Ok(materials)
    }

    /// Seal one payload.
    pub async fn seal(&self, payload: &[u8], now: Duration) -> Result<Vec<u8>, BackendError> {
        let materials = self.materials(payload.len() as u64, now).await?;
        let t = thread_cpu_ns();
        let sealed = self
            .seal_with(&materials, payload)
            .map_err(|e| BackendError::new("Seal", "EnvelopeSealFailed", e.to_string()));
        let spent = thread_cpu_ns().saturating_sub(t);
        let mut c = self.crypto.lock();
        c.seal_ns += spent;
        c.seal_bytes += payload.len() as u64;
        c.seal_records += 1;
        sealed
    }

    async fn plaintext_key(
        &self,
        edk: &EncryptedDataKey,
        context: &EncryptionContext,
        now: Duration,
    ) -> Result<Arc<Zeroizing<[u8; 32]>>, OpenError> {
        let _fetch = match &self.decrypt_cache {
            Some(cache) => match self
                .miss(1, || cache.lock().get(&edk.ciphertext, now))
                .await
            {
                Cached::Hit(k) => return Ok(k),
                Cached::Miss(fetch) => Some(fetch),
            },
            None => None,
        };
        let key = self
            .consumer_kms
            .decrypt_data_key(&edk.ciphertext, context)
            .await
            .map_err(OpenError::from_kms)?;
        let key = Arc::new(key);
        if let Some(cache) = &self.decrypt_cache {
            cache.lock().put(&edk.ciphertext, key.clone(), now);
        }
        Ok(key)
    }

    /// The record's stored context and encrypted data keys, its context checked against the
    /// path's before any KMS call: equal for the compact format; for the ESDK the path's pairs
    /// plus, for a signing suite only, `aws-crypto-public-key`.
    fn header_of(&self, data: &[u8]) -> Result<ReadHeader, EnvelopeError> {
        match self.format {
            RecordFormat::Compact(_, backend) => {
                let (h, _) = format::parse_header(data)?;
                format::check_context(&self.context, &h.context)?;
                Ok(ReadHeader::Compact(h, backend))
            }
            RecordFormat::Esdk { .. } => {
                let parsed = esdk::header::parse(data)?;
                let h = &parsed.header;
                let mut expected = self.context.clone();
                if h.suite.signed() {
                    if let Some(pk) = h.context.get(PUBLIC_KEY_CONTEXT_KEY) {
                        expected.insert(PUBLIC_KEY_CONTEXT_KEY.to_owned(), pk.clone());
                    }
                }
                format::check_context(&expected, &h.context)?;
                Ok(ReadHeader::Esdk(parsed))
            }
        }
    }

    /// Verifies and decrypts `data`, whose header [`Self::header_of`] read, with its plaintext
    /// data key.
    fn open_with(
        &self,
        data: &[u8],
        header: &ReadHeader,
        key: &[u8; 32],
    ) -> Result<Vec<u8>, EnvelopeError> {
        match header {
            ReadHeader::Compact(_, backend) => {
                format::open_with(*backend, data, key, &self.context)
            }
            ReadHeader::Esdk(parsed) => esdk::open(data, parsed, key),
        }
    }

    /// Open one record: parse and check the context, get the data key of its first `aws-kms`
    /// encrypted key that KMS opens, then verify and decrypt.
    pub async fn open(&self, data: &[u8], now: Duration) -> Result<Vec<u8>, OpenError> {
        let header = self
            .header_of(data)
            .map_err(|e| OpenError::Corrupted(e.to_string()))?;
        let (context, keys) = header.context_and_keys();
        let mut kms_keys = keys.iter().filter(|k| k.provider_id == KMS_PROVIDER_ID);
        let first = kms_keys
            .next()
            .ok_or_else(|| OpenError::Corrupted("no aws-kms encrypted data key".into()))?;
        let mut key = self.plaintext_key(first, context, now).await;
        for edk in kms_keys {
            if !matches!(key, Err(OpenError::Unreadable(_))) {
                break;
            }
            key = self.plaintext_key(edk, context, now).await;
        }
        let key = key?;
        let t = thread_cpu_ns();
        let opened = self
            .open_with(data, &header, &key)
            .map_err(|e| OpenError::Corrupted(e.to_string()));
        let spent = thread_cpu_ns().saturating_sub(t);
        let mut c = self.crypto.lock();
        c.open_ns += spent;
        c.open_bytes += opened.as_ref().map(|p| p.len() as u64).unwrap_or(0);
        c.open_records += 1;
        opened
    }
}
