//! The client-side envelope path: data keys from KMS GenerateDataKey (through the caching CMM
//! when configured), records sealed with AES-256-GCM or ChaCha20-Poly1305, data keys opened with
//! KMS Decrypt (cached the same way). Plaintext keys are zeroized when their last use ends.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rand::RngCore;
use zeroize::Zeroizing;

use super::envelope::cache::{CacheLimits, DecryptCache, EncryptCache};
use super::envelope::format::{
    self, DataKey, EncryptedDataKey, EncryptionContext, Suite, KMS_PROVIDER_ID,
};
use super::OpenError;
use crate::backend::{BackendError, KmsApi};

/// Envelope encryption for one path: a producer-side KMS client that generates data keys and a
/// consumer-side one that decrypts them.
pub struct EnvelopePath {
    suite: Suite,
    key_id: String,
    context: EncryptionContext,
    producer_kms: KmsApi,
    consumer_kms: KmsApi,
    encrypt_cache: Option<Mutex<EncryptCache>>,
    decrypt_cache: Option<Mutex<DecryptCache>>,
    overhead: Mutex<Option<usize>>,
    crypto: Mutex<CryptoTotals>,
    /// With a cache, one KMS fetch at a time per direction: producers (or consumers) that miss
    /// together wait for the first one's key instead of each calling KMS.
    fetching_encrypt: tokio::sync::Mutex<()>,
    fetching_decrypt: tokio::sync::Mutex<()>,
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
            .field("suite", &self.suite.name())
            .field("key_id", &self.key_id)
            .field("cached", &self.encrypt_cache.is_some())
            .finish()
    }
}

impl EnvelopePath {
    /// An envelope path sealing under KMS key `key_id` with `context` bound.
    pub fn new(
        suite: Suite,
        key_id: String,
        context: EncryptionContext,
        cache: Option<CacheLimits>,
        producer_kms: KmsApi,
        consumer_kms: KmsApi,
    ) -> Self {
        Self {
            suite,
            key_id,
            context,
            producer_kms,
            consumer_kms,
            encrypt_cache: cache.map(|l| Mutex::new(EncryptCache::new(l))),
            decrypt_cache: cache.map(|l| Mutex::new(DecryptCache::new(l))),
            overhead: Mutex::new(None),
            crypto: Mutex::new(CryptoTotals::default()),
            fetching_encrypt: tokio::sync::Mutex::new(()),
            fetching_decrypt: tokio::sync::Mutex::new(()),
        }
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
        let key = DataKey {
            plaintext: key_bytes,
            encrypted: EncryptedDataKey {
                provider_id: KMS_PROVIDER_ID.into(),
                key_id: self.key_id.clone(),
                ciphertext: vec![0u8; 167],
            },
        };
        let per_size = budget / sizes.len().max(1) as u32;
        let mut out = Vec::new();
        for &size in sizes {
            let payload = vec![0x5au8; usize::try_from(size).unwrap_or(usize::MAX)];
            let nonce = [7u8; format::NONCE_LEN];
            let Ok(sample) = format::seal(self.suite, &key, &self.context, nonce, &payload) else {
                continue;
            };
            let started = std::time::Instant::now();
            let (mut records, mut seal_ns, mut open_ns) = (0u64, 0u64, 0u64);
            // At least 20 records, then until the size's share of the budget is spent.
            while records < 20 || (started.elapsed() < per_size && records < 1_000_000) {
                let batch = 10;
                let t = thread_cpu_ns();
                for _ in 0..batch {
                    let _ = std::hint::black_box(format::seal(
                        self.suite,
                        &key,
                        &self.context,
                        nonce,
                        std::hint::black_box(&payload),
                    ));
                }
                let u = thread_cpu_ns();
                for _ in 0..batch {
                    let _ = std::hint::black_box(format::open(
                        std::hint::black_box(&sample),
                        &key.plaintext,
                        &self.context,
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

    /// Bytes an envelope adds to its plaintext (known after the first data key).
    pub fn overhead_bytes(&self) -> usize {
        self.overhead.lock().unwrap_or(0)
    }

    async fn data_key(&self, len: u64, now: Duration) -> Result<Arc<DataKey>, BackendError> {
        let _single = match &self.encrypt_cache {
            Some(cache) => {
                if let Some(k) = cache.lock().get(&self.context, len, now) {
                    return Ok(k);
                }
                let guard = self.fetching_encrypt.lock().await;
                if let Some(k) = cache.lock().get(&self.context, len, now) {
                    return Ok(k);
                }
                Some(guard)
            }
            None => None,
        };
        let out = self
            .producer_kms
            .generate_data_key(&self.key_id, &self.context)
            .await?;
        let key = Arc::new(DataKey {
            plaintext: out.plaintext.clone(),
            encrypted: EncryptedDataKey {
                provider_id: KMS_PROVIDER_ID.into(),
                key_id: out.key_arn.clone(),
                ciphertext: out.blob.clone(),
            },
        });
        *self.overhead.lock() = Some(format::overhead_bytes(
            &self.context,
            std::slice::from_ref(&key.encrypted),
        ));
        if let Some(cache) = &self.encrypt_cache {
            cache.lock().put(&self.context, key.clone(), len, now);
        }
        Ok(key)
    }

    /// Seal one payload.
    pub async fn seal(&self, payload: &[u8], now: Duration) -> Result<Vec<u8>, BackendError> {
        let key = self.data_key(payload.len() as u64, now).await?;
        let mut nonce = [0u8; format::NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let t = thread_cpu_ns();
        let sealed = format::seal(self.suite, &key, &self.context, nonce, payload)
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
        now: Duration,
    ) -> Result<Arc<Zeroizing<[u8; 32]>>, OpenError> {
        let _single = match &self.decrypt_cache {
            Some(cache) => {
                if let Some(k) = cache.lock().get(&edk.ciphertext, now) {
                    return Ok(k);
                }
                let guard = self.fetching_decrypt.lock().await;
                if let Some(k) = cache.lock().get(&edk.ciphertext, now) {
                    return Ok(k);
                }
                Some(guard)
            }
            None => None,
        };
        let key = self
            .consumer_kms
            .decrypt_data_key(&edk.ciphertext, &self.context)
            .await
            .map_err(OpenError::from_kms)?;
        let key = Arc::new(key);
        if let Some(cache) = &self.decrypt_cache {
            cache.lock().put(&edk.ciphertext, key.clone(), now);
        }
        Ok(key)
    }

    /// Open one record: parse, get the data key, then check the context, verify and decrypt.
    pub async fn open(&self, data: &[u8], now: Duration) -> Result<Vec<u8>, OpenError> {
        let (header, _) =
            format::parse_header(data).map_err(|e| OpenError::Corrupted(e.to_string()))?;
        let edk = header
            .encrypted_keys
            .iter()
            .find(|k| k.provider_id == KMS_PROVIDER_ID)
            .ok_or_else(|| OpenError::Corrupted("no aws-kms encrypted data key".into()))?;
        let key = self.plaintext_key(edk, now).await?;
        let t = thread_cpu_ns();
        let opened = format::open(data, &key, &self.context)
            .map_err(|e| OpenError::Corrupted(e.to_string()));
        let spent = thread_cpu_ns().saturating_sub(t);
        let mut c = self.crypto.lock();
        c.open_ns += spent;
        c.open_bytes += opened.as_ref().map(|p| p.len() as u64).unwrap_or(0);
        c.open_records += 1;
        opened
    }
}
