//! The client-side envelope: one record sealed under a KMS data key.
//!
//! Modelled on the AWS Encryption SDK message, simplified to one frame and no signature. Every
//! integer is big-endian. The layout, byte by byte, is documented in `docs/envelope-format.md`:
//!
//! ```text
//! version u8 (=1) | suite u8
//! | u16 context pair count | per pair, sorted by key: u16 key len, key, u16 value len, value
//! | u16 encrypted key count (>= 1) | per key: u16 len, provider id, u16 len, key id, u16 len, blob
//! | nonce (12 bytes) | u32 ciphertext length | ciphertext | tag (16 bytes)
//! ```
//!
//! The header is every byte before the nonce; it is the AEAD's associated data, so the
//! encryption context and the encrypted data keys are authenticated with the payload.

use std::collections::BTreeMap;
use std::fmt;

use zeroize::Zeroizing;

use super::aead::{self, AeadBackend};
use super::bytes::{put_context, put_encrypted_keys, Reader};

/// The only envelope version this module writes and reads.
pub const VERSION: u8 = 1;
/// Nonce length for both suites, in bytes.
pub const NONCE_LEN: usize = 12;
/// Authentication tag length for both suites, in bytes.
pub const TAG_LEN: usize = 16;
/// Data key length for both suites, in bytes.
pub const KEY_LEN: usize = 32;
/// Provider id written for keys wrapped by AWS KMS.
pub const KMS_PROVIDER_ID: &str = "aws-kms";
/// Bytes every sealed message carries whatever its context and keys: version 1, suite 1,
/// pair count 2, key count 2, nonce 12, ciphertext length 4, tag 16.
pub const FIXED_OVERHEAD: usize = 1 + 1 + 2 + 2 + NONCE_LEN + 4 + TAG_LEN;
/// Bytes of length prefixes per context pair (key length u16 + value length u16).
pub const PER_PAIR_OVERHEAD: usize = 2 + 2;
/// Bytes of length prefixes per encrypted data key (three u16 lengths).
pub const PER_KEY_OVERHEAD: usize = 2 + 2 + 2;
/// Largest length a u16-prefixed field (or a u16 count) may have.
pub const MAX_U16_FIELD: usize = u16::MAX as usize;
/// Largest plaintext one message may carry, in bytes (the u32 ciphertext length).
pub const MAX_PLAINTEXT: usize = u32::MAX as usize;

/// The authenticated cipher a message is sealed with; both take a 32-byte key, a 12-byte nonce
/// and produce a 16-byte tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Suite {
    /// AES-256-GCM; wire id 1.
    Aes256Gcm,
    /// ChaCha20-Poly1305 (RFC 8439); wire id 2.
    ChaCha20Poly1305,
}

impl Suite {
    /// Every suite, in wire-id order.
    pub const ALL: [Suite; 2] = [Suite::Aes256Gcm, Suite::ChaCha20Poly1305];

    /// The suite's id on the wire (one byte).
    pub fn id(self) -> u8 {
        match self {
            Suite::Aes256Gcm => 1,
            Suite::ChaCha20Poly1305 => 2,
        }
    }

    /// The suite for a wire id, or [`EnvelopeError::UnknownSuite`].
    pub fn from_id(id: u8) -> Result<Suite, EnvelopeError> {
        match id {
            1 => Ok(Suite::Aes256Gcm),
            2 => Ok(Suite::ChaCha20Poly1305),
            other => Err(EnvelopeError::UnknownSuite(other)),
        }
    }

    /// The suite's name as used in scenarios and reports: `aes-256-gcm` or `chacha20-poly1305`.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Aes256Gcm => "aes-256-gcm",
            Suite::ChaCha20Poly1305 => "chacha20-poly1305",
        }
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Encryption context: non-secret UTF-8 pairs bound to the message as associated data.
/// A `BTreeMap`, so iteration (and therefore the encoding) is sorted by key.
pub type EncryptionContext = BTreeMap<String, String>;

/// A data key as wrapped by a key provider (for KMS: the `GenerateDataKey` response's blob).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EncryptedDataKey {
    /// Who wrapped the key: [`KMS_PROVIDER_ID`] (`aws-kms`) for KMS. At most 65,535 bytes.
    pub provider_id: String,
    /// Which wrapping key: the KMS key ARN. At most 65,535 bytes.
    pub key_id: String,
    /// The wrapped key: KMS `CiphertextBlob` (167 bytes for a symmetric KMS key). At most
    /// 65,535 bytes.
    pub ciphertext: Vec<u8>,
}

/// A data key in both forms: the 32-byte plaintext (zeroized on drop) and its wrapped form.
/// `Debug` prints `<redacted>` in place of the plaintext.
#[derive(Clone)]
pub struct DataKey {
    /// The plaintext data key, 32 bytes, wiped when dropped.
    pub plaintext: Zeroizing<[u8; KEY_LEN]>,
    /// The same key wrapped by its provider, written into every message it seals.
    pub encrypted: EncryptedDataKey,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("plaintext", &"<redacted>")
            .field("encrypted", &self.encrypted)
            .finish()
    }
}

/// The parsed header: every field before the nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Envelope version; always [`VERSION`] (1).
    pub version: u8,
    /// The AEAD the payload is sealed with.
    pub suite: Suite,
    /// The encryption context, as written (sorted by key).
    pub context: EncryptionContext,
    /// The wrapped data keys, at least one, in written order.
    pub encrypted_keys: Vec<EncryptedDataKey>,
}

impl Header {
    /// Encodes the header (the AAD): fails with [`EnvelopeError::TooLarge`] when a field or
    /// count exceeds 65,535, [`EnvelopeError::UnknownVersion`] for a version other than 1, and
    /// [`EnvelopeError::Malformed`] when there is no encrypted key.
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        if self.version != VERSION {
            return Err(EnvelopeError::UnknownVersion(self.version));
        }
        if self.encrypted_keys.is_empty() {
            return Err(EnvelopeError::Malformed(
                "at least one encrypted data key is required".into(),
            ));
        }
        let mut out = Vec::with_capacity(header_len(&self.context, &self.encrypted_keys));
        out.push(self.version);
        out.push(self.suite.id());
        put_context(&mut out, &self.context)?;
        put_encrypted_keys(&mut out, &self.encrypted_keys)?;
        Ok(out)
    }
}

/// Everything that can go wrong sealing or opening an envelope. Opening never panics: every
/// malformed input maps to one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The message ended inside `field`.
    #[error("envelope truncated in {field}: {needed} bytes needed at offset {offset}, {available} available")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Byte offset where the field starts.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the message from `offset`.
        available: usize,
    },
    /// The version byte is not 1.
    #[error(
        "unknown message format version {0}; compact envelopes are version 1, ESDK messages 1 or 2"
    )]
    UnknownVersion(u8),
    /// The suite byte is not 1 (aes-256-gcm) or 2 (chacha20-poly1305).
    #[error("unknown suite id {0}; known: 1 = aes-256-gcm, 2 = chacha20-poly1305")]
    UnknownSuite(u8),
    /// The message's encryption context differs from the expected one at `key`
    /// (the context is authenticated but not secret, so values are shown).
    #[error("encryption context mismatch at key {key:?}: expected {expected:?}, found {found:?}")]
    ContextMismatch {
        /// The first key (in sorted order) whose presence or value differs.
        key: String,
        /// The expected value, `None` when the key was not expected.
        expected: Option<String>,
        /// The message's value, `None` when the message lacks the key.
        found: Option<String>,
    },
    /// The AEAD tag did not verify: wrong key, or the header or payload was altered.
    #[error("authentication failed: wrong data key, or the message was altered")]
    Authentication,
    /// A field, count or plaintext exceeds what its length prefix can express.
    #[error("{field} is {len}, above the format's maximum of {max}")]
    TooLarge {
        /// The field that is too large.
        field: &'static str,
        /// Its length in bytes (or items, for counts).
        len: usize,
        /// The largest length the format allows.
        max: usize,
    },
    /// Bytes follow the authentication tag.
    #[error("{extra} trailing bytes after the authentication tag")]
    TrailingBytes {
        /// How many bytes follow the tag.
        extra: usize,
    },
    /// The AEAD refused to encrypt (only possible past its length limit).
    #[error("the {0} cipher refused to encrypt")]
    Seal(&'static str),
    /// An ESDK message names an algorithm suite this build does not read.
    #[error("unknown ESDK algorithm suite 0x{0:04X}; this build reads 0x0478 and 0x0578 (version 2), 0x0178 and 0x0378 (version 1)")]
    UnknownEsdkSuite(u16),
    /// The ESDK header's commitment key is not the one the data key derives: wrong key, or an
    /// altered message id or commitment.
    #[error("key commitment mismatch: the data key does not commit to this message")]
    Commitment,
    /// The ESDK footer's ECDSA signature does not verify over the message.
    #[error("signature does not verify: the message was altered or signed by another key")]
    Signature,
    /// Structurally invalid: bad UTF-8, unsorted or duplicate context keys, no encrypted key.
    #[error("malformed envelope: {0}")]
    Malformed(String),
}

/// Seals `plaintext` under `key` with a fresh `nonce`, binding `context` and `key.encrypted`.
///
/// The nonce must never repeat under one data key (pick it at random: 96 random bits are safe for
/// up to 2^32 messages per key). The sealed length is `plaintext.len() +
/// overhead_bytes(context, &[key.encrypted])` bytes. The AEAD is the default backend's
/// ([`AeadBackend::AwsLc`]); [`seal_with`] chooses.
pub fn seal(
    suite: Suite,
    key: &DataKey,
    context: &EncryptionContext,
    nonce: [u8; NONCE_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    seal_with(
        AeadBackend::default(),
        suite,
        key,
        context,
        nonce,
        plaintext,
    )
}

/// [`seal`] with the AEAD from `backend` (the bytes do not depend on it).
pub fn seal_with(
    backend: AeadBackend,
    suite: Suite,
    key: &DataKey,
    context: &EncryptionContext,
    nonce: [u8; NONCE_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(EnvelopeError::TooLarge {
            field: "plaintext",
            len: plaintext.len(),
            max: MAX_PLAINTEXT,
        });
    }
    let header = Header {
        version: VERSION,
        suite,
        context: context.clone(),
        encrypted_keys: vec![key.encrypted.clone()],
    };
    let mut out = header.encode()?;
    let sealed = aead::seal(backend, suite, &key.plaintext, &nonce, &out, plaintext)?;
    out.reserve(NONCE_LEN + 4 + sealed.len());
    out.extend_from_slice(&nonce);
    let ciphertext_len = u32::try_from(plaintext.len()).map_err(|_| EnvelopeError::TooLarge {
        field: "plaintext",
        len: plaintext.len(),
        max: MAX_PLAINTEXT,
    })?;
    out.extend_from_slice(&ciphertext_len.to_be_bytes());
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Parses the header of `message` and returns it with the header length in bytes (the offset of
/// the nonce, which is also the AAD length). Does not authenticate anything.
pub fn parse_header(message: &[u8]) -> Result<(Header, usize), EnvelopeError> {
    let mut reader = Reader::new(message);
    let version = reader.u8("version")?;
    if version != VERSION {
        return Err(EnvelopeError::UnknownVersion(version));
    }
    let suite = Suite::from_id(reader.u8("suite")?)?;
    let context = read_context(&mut reader)?;
    let encrypted_keys = read_encrypted_keys(&mut reader)?;
    let header = Header {
        version,
        suite,
        context,
        encrypted_keys,
    };
    Ok((header, reader.pos))
}

/// Opens `message` with the plaintext data `key`, returning the plaintext.
///
/// Rejects, in this order: a malformed or truncated header, a context different from
/// `expected_context` ([`EnvelopeError::ContextMismatch`], checked before any decryption), a
/// truncated body, trailing bytes, and a tag that does not verify. The AEAD is the default
/// backend's; [`open_with`] chooses.
pub fn open(
    message: &[u8],
    key: &[u8; KEY_LEN],
    expected_context: &EncryptionContext,
) -> Result<Vec<u8>, EnvelopeError> {
    open_with(AeadBackend::default(), message, key, expected_context)
}

/// [`open`] with the AEAD from `backend`.
pub fn open_with(
    backend: AeadBackend,
    message: &[u8],
    key: &[u8; KEY_LEN],
    expected_context: &EncryptionContext,
) -> Result<Vec<u8>, EnvelopeError> {
    let (header, header_len) = parse_header(message)?;
    check_context(expected_context, &header.context)?;
    let aad = message.get(..header_len).ok_or(EnvelopeError::Truncated {
        field: "header",
        offset: 0,
        needed: header_len,
        available: message.len(),
    })?;
    let mut reader = Reader {
        buf: message,
        pos: header_len,
    };
    let nonce = reader.array::<NONCE_LEN>("nonce")?;
    let ciphertext_len = reader.u32("ciphertext length")? as usize;
    let sealed_len = ciphertext_len
        .checked_add(TAG_LEN)
        .ok_or_else(|| EnvelopeError::Malformed("ciphertext length overflows".into()))?;
    let sealed = reader.take(sealed_len, "ciphertext and tag")?;
    let extra = reader.remaining();
    if extra != 0 {
        return Err(EnvelopeError::TrailingBytes { extra });
    }
    aead::open(backend, header.suite, key, &nonce, aad, sealed)
}

/// Sealed length minus plaintext length, in bytes, for a message with this context and these
/// encrypted keys:
///
/// `38 + Σ_pairs (4 + |key| + |value|) + Σ_keys (6 + |provider id| + |key id| + |blob|)`
///
/// (lengths in UTF-8 bytes). Does not check the u16 limits; [`seal`] does.
pub fn overhead_bytes(context: &EncryptionContext, keys: &[EncryptedDataKey]) -> usize {
    header_len(context, keys) + NONCE_LEN + 4 + TAG_LEN
}

/// Header (AAD) length in bytes: `6 + Σ_pairs (4 + |k| + |v|) + Σ_keys (6 + |p| + |id| + |blob|)`.
pub fn header_len(context: &EncryptionContext, keys: &[EncryptedDataKey]) -> usize {
    let pairs: usize = context
        .iter()
        .map(|(k, v)| PER_PAIR_OVERHEAD + k.len() + v.len())
        .sum();
    let edks: usize = keys
        .iter()
        .map(|e| PER_KEY_OVERHEAD + e.provider_id.len() + e.key_id.len() + e.ciphertext.len())
        .sum();
    1 + 1 + 2 + pairs + 2 + edks
}

/// The first difference between the expected and the found context, as an error.
pub fn check_context(
    expected: &EncryptionContext,
    found: &EncryptionContext,
) -> Result<(), EnvelopeError> {
    if expected == found {
        return Ok(());
    }
    let mut keys: Vec<&String> = expected.keys().chain(found.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (want, got) = (expected.get(key), found.get(key));
        if want != got {
            return Err(EnvelopeError::ContextMismatch {
                key: key.clone(),
                expected: want.cloned(),
                found: got.cloned(),
            });
        }
    }
    Ok(())
}

pub(super) fn read_context(reader: &mut Reader<'_>) -> Result<EncryptionContext, EnvelopeError> {
    let count = reader.u16("encryption context pair count")?;
    let mut context = EncryptionContext::new();
    let mut previous: Option<String> = None;
    for _ in 0..count {
        let key = reader.string("encryption context key")?;
        let value = reader.string("encryption context value")?;
        if previous.as_ref().is_some_and(|p| *p >= key) {
            return Err(EnvelopeError::Malformed(format!(
                "encryption context key {key:?} is out of order or duplicated"
            )));
        }
        previous = Some(key.clone());
        context.insert(key, value);
    }
    Ok(context)
}

fn read_encrypted_keys(reader: &mut Reader<'_>) -> Result<Vec<EncryptedDataKey>, EnvelopeError> {
    let count = reader.u16("encrypted data key count")?;
    if count == 0 {
        return Err(EnvelopeError::Malformed(
            "encrypted data key count is 0; at least one is required".into(),
        ));
    }
    let mut keys = Vec::new();
    for _ in 0..count {
        let provider_id = reader.string("provider id")?;
        let key_id = reader.string("key id")?;
        let len = usize::from(reader.u16("encrypted data key blob length")?);
        let ciphertext = reader.take(len, "encrypted data key blob")?.to_vec();
        keys.push(EncryptedDataKey {
            provider_id,
            key_id,
            ciphertext,
        });
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A 52-byte key ARN, as in the brief's concrete overhead case.
    const ARN_52: &str = "arn:aws:kms:us-east-1:111122223333:alias/kcb-bench-1";
    /// A real KMS key ARN shape: 75 bytes.
    const ARN_75: &str =
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn data_key(byte: u8, key_id: &str, blob_len: usize) -> DataKey {
        DataKey {
            plaintext: Zeroizing::new([byte; KEY_LEN]),
            encrypted: EncryptedDataKey {
                provider_id: KMS_PROVIDER_ID.to_string(),
                key_id: key_id.to_string(),
                ciphertext: vec![0xC5; blob_len],
            },
        }
    }

    fn context(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn suite_strategy() -> impl Strategy<Value = Suite> {
        prop_oneof![Just(Suite::Aes256Gcm), Just(Suite::ChaCha20Poly1305)]
    }

    fn context_strategy() -> impl Strategy<Value = EncryptionContext> {
        prop::collection::btree_map("[a-zA-Z0-9:_-]{0,12}", "\\PC{0,16}", 0..6)
    }

    #[test]
    fn suite_ids_and_names_are_stable() {
        assert_eq!(Suite::Aes256Gcm.id(), 1);
        assert_eq!(Suite::ChaCha20Poly1305.id(), 2);
        assert_eq!(Suite::Aes256Gcm.name(), "aes-256-gcm");
        assert_eq!(Suite::ChaCha20Poly1305.name(), "chacha20-poly1305");
        for suite in Suite::ALL {
            assert_eq!(Suite::from_id(suite.id()), Ok(suite));
        }
        assert_eq!(Suite::from_id(0), Err(EnvelopeError::UnknownSuite(0)));
        assert_eq!(Suite::from_id(3), Err(EnvelopeError::UnknownSuite(3)));
    }

    #[test]
    fn round_trip_both_suites() {
        let key = data_key(7, ARN_75, 167);
        let ctx = context(&[("purpose", "bench"), ("stream", "orders")]);
        for suite in Suite::ALL {
            let sealed = seal(suite, &key, &ctx, [9; NONCE_LEN], b"hello kinesis").unwrap();
            assert_eq!(
                open(&sealed, &key.plaintext, &ctx).unwrap(),
                b"hello kinesis"
            );
            let (header, _) = parse_header(&sealed).unwrap();
            assert_eq!(header.suite, suite);
        }
    }

    #[test]
    fn suites_produce_different_ciphertexts() {
        let key = data_key(7, ARN_52, 167);
        let ctx = context(&[]);
        let a = seal(Suite::Aes256Gcm, &key, &ctx, [1; 12], b"same").unwrap();
        let c = seal(Suite::ChaCha20Poly1305, &key, &ctx, [1; 12], b"same").unwrap();
        assert_eq!(a.len(), c.len());
        assert_ne!(a, c);
    }

    #[test]
    fn debug_redacts_the_plaintext_key() {
        let key = data_key(0xAB, ARN_52, 3);
        let shown = format!("{key:?}");
        assert!(shown.contains("<redacted>"));
        assert!(!shown.contains("171"), "decimal key byte leaked: {shown}");
        assert!(shown.contains(ARN_52));
    }

    #[test]
    fn overhead_matches_sealed_length_and_hand_computation() {
        assert_eq!(ARN_52.len(), 52);
        let key = data_key(1, ARN_52, 167);
        let ctx = context(&[("purpose", "bench")]);
        // By hand, from the documented layout:
        let hand = 1 // version
            + 1 // suite
            + 2 // context pair count
            + (2 + "purpose".len() + 2 + "bench".len()) // one pair: 16
            + 2 // encrypted key count
            + (2 + "aws-kms".len() + 2 + 52 + 2 + 167) // one key: 232
            + 12 // nonce
            + 4 // ciphertext length
            + 16; // tag
        assert_eq!(hand, 286);
        assert_eq!(
            overhead_bytes(&ctx, std::slice::from_ref(&key.encrypted)),
            286
        );
        for len in [0usize, 1, 10, 1000] {
            let plaintext = vec![0x5A; len];
            let sealed = seal(Suite::Aes256Gcm, &key, &ctx, [0; 12], &plaintext).unwrap();
            assert_eq!(sealed.len() - plaintext.len(), 286);
        }
    }

    #[test]
    fn one_kms_key_with_a_real_arn_costs_255_bytes_like_the_esdk() {
        let key = data_key(1, ARN_75, 167);
        assert_eq!(ARN_75.len(), 75);
        let ctx = EncryptionContext::new();
        let per_key = overhead_bytes(&ctx, std::slice::from_ref(&key.encrypted)) - FIXED_OVERHEAD;
        assert_eq!(per_key, 255);
        let ctx = context(&[("purpose", "bench")]);
        assert_eq!(
            overhead_bytes(&ctx, std::slice::from_ref(&key.encrypted)),
            309
        );
        let two = [key.encrypted.clone(), key.encrypted.clone()];
        assert_eq!(overhead_bytes(&ctx, &two), 309 + 255);
    }

    #[test]
    fn parse_header_returns_fields_and_aad_length() {
        let key = data_key(3, ARN_52, 167);
        let ctx = context(&[("purpose", "bench")]);
        let sealed = seal(Suite::ChaCha20Poly1305, &key, &ctx, [4; 12], b"x").unwrap();
        let (header, len) = parse_header(&sealed).unwrap();
        assert_eq!(len, header_len(&ctx, std::slice::from_ref(&key.encrypted)));
        assert_eq!(len, 286 - 32);
        assert_eq!(
            header,
            Header {
                version: 1,
                suite: Suite::ChaCha20Poly1305,
                context: ctx,
                encrypted_keys: vec![key.encrypted.clone()],
            }
        );
        assert_eq!(header.encode().unwrap(), sealed[..len]);
        assert_eq!(sealed[len..len + 12], [4; 12]);
    }

    /// The worked byte-level example in docs/envelope-format.md; keep the two in step.
    #[test]
    fn documented_example_bytes() {
        let key = DataKey {
            plaintext: Zeroizing::new([0x42; KEY_LEN]),
            encrypted: EncryptedDataKey {
                provider_id: "aws-kms".into(),
                key_id: "arn:k".into(),
                ciphertext: vec![0xB0, 0xB1, 0xB2],
            },
        };
        let ctx = context(&[("stream", "s")]);
        let nonce = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let sealed = seal(Suite::Aes256Gcm, &key, &ctx, nonce, b"hi").unwrap();
        let expected_header = concat!(
            "01",                       // version
            "01",                       // suite: aes-256-gcm
            "0001",                     // 1 context pair
            "0006",                     // key length 6
            "73747265616d",             // "stream"
            "0001",                     // value length 1
            "73",                       // "s"
            "0001",                     // 1 encrypted key
            "0007",                     // provider id length 7
            "6177732d6b6d73",           // "aws-kms"
            "0005",                     // key id length 5
            "61726e3a6b",               // "arn:k"
            "0003",                     // blob length 3
            "b0b1b2",                   // blob
            "000000000000000000000001", // nonce
            "00000002",                 // ciphertext length 2
        );
        // ciphertext "20e2", then the 16-byte tag; checked against Python cryptography AESGCM.
        let expected_body = "20e2d11debaef252471eeb707f25ecb3bd16";
        assert_eq!(hex(&sealed), format!("{expected_header}{expected_body}"));
        assert_eq!(
            sealed.len(),
            2 + overhead_bytes(&ctx, std::slice::from_ref(&key.encrypted))
        );
        assert_eq!(sealed.len(), 2 + 38 + 11 + 21);
    }

    #[test]
    fn wrong_key_fails_authentication() {
        let key = data_key(1, ARN_52, 167);
        let ctx = context(&[("purpose", "bench")]);
        for suite in Suite::ALL {
            let sealed = seal(suite, &key, &ctx, [0; 12], b"payload").unwrap();
            assert_eq!(
                open(&sealed, &[2; KEY_LEN], &ctx),
                Err(EnvelopeError::Authentication)
            );
        }
    }

    #[test]
    fn context_mismatch_is_reported_before_decryption() {
        let key = data_key(1, ARN_52, 167);
        let ctx = context(&[("purpose", "bench"), ("stream", "a")]);
        let sealed = seal(Suite::Aes256Gcm, &key, &ctx, [0; 12], b"payload").unwrap();
        // A wrong key too: the context check must come first.
        let other = context(&[("purpose", "bench"), ("stream", "b")]);
        assert_eq!(
            open(&sealed, &[2; KEY_LEN], &other),
            Err(EnvelopeError::ContextMismatch {
                key: "stream".into(),
                expected: Some("b".into()),
                found: Some("a".into()),
            })
        );
        let missing = context(&[("purpose", "bench")]);
        assert_eq!(
            open(&sealed, &key.plaintext, &missing),
            Err(EnvelopeError::ContextMismatch {
                key: "stream".into(),
                expected: None,
                found: Some("a".into()),
            })
        );
        let extra = context(&[("purpose", "bench"), ("stream", "a"), ("z", "1")]);
        assert!(matches!(
            open(&sealed, &key.plaintext, &extra),
            Err(EnvelopeError::ContextMismatch { found: None, .. })
        ));
    }

    #[test]
    fn header_fields_are_bound_by_the_tag() {
        let key = data_key(1, ARN_52, 167);
        let ctx = context(&[("purpose", "bench")]);
        let sealed = seal(Suite::Aes256Gcm, &key, &ctx, [0; 12], b"payload").unwrap();
        // Swap the key id for another of the same length: parses, but must not authenticate.
        let mut other = key.clone();
        other.encrypted.key_id = ARN_52.replace("bench", "bunch");
        let (_, len) = parse_header(&sealed).unwrap();
        let mut forged = Header {
            version: 1,
            suite: Suite::Aes256Gcm,
            context: ctx.clone(),
            encrypted_keys: vec![other.encrypted],
        }
        .encode()
        .unwrap();
        assert_eq!(forged.len(), len);
        forged.extend_from_slice(&sealed[len..]);
        assert!(parse_header(&forged).is_ok());
        assert_eq!(
            open(&forged, &key.plaintext, &ctx),
            Err(EnvelopeError::Authentication)
        );
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let key = data_key(1, ARN_52, 167);
        let ctx = context(&[]);
        let mut sealed = seal(Suite::Aes256Gcm, &key, &ctx, [0; 12], b"payload").unwrap();
        sealed.push(0);
        assert_eq!(
            open(&sealed, &key.plaintext, &ctx),
            Err(EnvelopeError::TrailingBytes { extra: 1 })
        );
    }

    #[test]
    fn unknown_version_and_suite_are_rejected() {
        let key = data_key(1, ARN_52, 167);
        let ctx = context(&[]);
        let sealed = seal(Suite::Aes256Gcm, &key, &ctx, [0; 12], b"p").unwrap();
        let mut v2 = sealed.clone();
        v2[0] = 2;
        assert_eq!(parse_header(&v2), Err(EnvelopeError::UnknownVersion(2)));
        let mut s9 = sealed;
        s9[1] = 9;
        assert_eq!(
            open(&s9, &key.plaintext, &ctx),
            Err(EnvelopeError::UnknownSuite(9))
        );
        assert!(matches!(
            parse_header(&[]),
            Err(EnvelopeError::Truncated {
                field: "version",
                ..
            })
        ));
    }

    #[test]
    fn zero_encrypted_keys_is_malformed() {
        // version, suite, 0 pairs, 0 keys.
        let bytes = [1, 1, 0, 0, 0, 0];
        assert!(matches!(
            parse_header(&bytes),
            Err(EnvelopeError::Malformed(_))
        ));
        let header = Header {
            version: 1,
            suite: Suite::Aes256Gcm,
            context: EncryptionContext::new(),
            encrypted_keys: vec![],
        };
        assert!(matches!(header.encode(), Err(EnvelopeError::Malformed(_))));
    }

    #[test]
    fn unsorted_or_duplicate_context_keys_are_malformed() {
        let pair = |k: &[u8], v: &[u8]| {
            let mut out = (k.len() as u16).to_be_bytes().to_vec();
            out.extend_from_slice(k);
            out.extend_from_slice(&(v.len() as u16).to_be_bytes());
            out.extend_from_slice(v);
            out
        };
        for (first, second) in [(b"b", b"a"), (b"a", b"a")] {
            let mut bytes = vec![1, 1, 0, 2];
            bytes.extend(pair(first, b"1"));
            bytes.extend(pair(second, b"2"));
            bytes.extend([0, 1]);
            bytes.extend(pair(b"p", b"k"));
            bytes.extend([0, 0]);
            assert!(
                matches!(parse_header(&bytes), Err(EnvelopeError::Malformed(_))),
                "{:?}",
                parse_header(&bytes)
            );
        }
    }

    #[test]
    fn invalid_utf8_is_malformed() {
        let bytes = [1, 1, 0, 1, 0, 1, 0xFF, 0, 0, 0, 1];
        assert!(matches!(
            parse_header(&bytes),
            Err(EnvelopeError::Malformed(_))
        ));
    }

    #[test]
    fn oversized_fields_are_too_large() {
        let key = data_key(1, ARN_52, 167);
        let ctx = context(&[("big", &"v".repeat(MAX_U16_FIELD + 1))]);
        assert_eq!(
            seal(Suite::Aes256Gcm, &key, &ctx, [0; 12], b""),
            Err(EnvelopeError::TooLarge {
                field: "encryption context value",
                len: MAX_U16_FIELD + 1,
                max: MAX_U16_FIELD,
            })
        );
        let ok = context(&[("big", &"v".repeat(MAX_U16_FIELD))]);
        let sealed = seal(Suite::Aes256Gcm, &key, &ok, [0; 12], b"x").unwrap();
        assert_eq!(open(&sealed, &key.plaintext, &ok).unwrap(), b"x");
        let mut blob = key.clone();
        blob.encrypted.ciphertext = vec![0; MAX_U16_FIELD + 1];
        assert!(matches!(
            seal(Suite::Aes256Gcm, &blob, &ok, [0; 12], b""),
            Err(EnvelopeError::TooLarge { .. })
        ));
    }

    proptest! {
        #[test]
        fn prop_round_trip(
            suite in suite_strategy(),
            ctx in context_strategy(),
            payload in prop::collection::vec(any::<u8>(), 0..4096),
            key_byte in any::<u8>(),
            nonce in any::<[u8; 12]>(),
        ) {
            let key = data_key(key_byte, ARN_75, 167);
            let sealed = seal(suite, &key, &ctx, nonce, &payload).unwrap();
            prop_assert_eq!(
                sealed.len() - payload.len(),
                overhead_bytes(&ctx, std::slice::from_ref(&key.encrypted))
            );
            prop_assert_eq!(open(&sealed, &key.plaintext, &ctx).unwrap(), payload);
        }

        #[test]
        fn prop_any_flipped_bit_is_rejected(
            suite in suite_strategy(),
            ctx in context_strategy(),
            payload in prop::collection::vec(any::<u8>(), 0..512),
            bit in any::<prop::sample::Index>(),
        ) {
            let key = data_key(5, ARN_52, 167);
            let mut sealed = seal(suite, &key, &ctx, [3; 12], &payload).unwrap();
            let bit = bit.index(sealed.len() * 8);
            sealed[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(open(&sealed, &key.plaintext, &ctx).is_err());
        }

        #[test]
        fn prop_any_truncation_is_rejected(
            suite in suite_strategy(),
            ctx in context_strategy(),
            payload in prop::collection::vec(any::<u8>(), 0..512),
            cut in any::<prop::sample::Index>(),
        ) {
            let key = data_key(5, ARN_52, 167);
            let sealed = seal(suite, &key, &ctx, [3; 12], &payload).unwrap();
            let keep = cut.index(sealed.len());
            prop_assert!(open(&sealed[..keep], &key.plaintext, &ctx).is_err());
        }

        #[test]
        fn prop_a_different_context_is_rejected(
            suite in suite_strategy(),
            ctx in context_strategy(),
            other in context_strategy(),
            payload in prop::collection::vec(any::<u8>(), 0..256),
        ) {
            prop_assume!(ctx != other);
            let key = data_key(5, ARN_52, 167);
            let sealed = seal(suite, &key, &ctx, [3; 12], &payload).unwrap();
            let result = open(&sealed, &key.plaintext, &other);
            prop_assert!(
                matches!(result, Err(EnvelopeError::ContextMismatch { .. })),
                "{:?}",
                result
            );
        }

        #[test]
        fn prop_arbitrary_bytes_never_panic(
            bytes in prop::collection::vec(any::<u8>(), 0..600),
            prefix in prop::sample::select(vec![vec![], vec![1u8], vec![1, 1], vec![1, 2]]),
        ) {
            let mut input = prefix;
            input.extend_from_slice(&bytes);
            let _ = parse_header(&input);
            let _ = open(&input, &[0; KEY_LEN], &EncryptionContext::new());
        }

        #[test]
        fn prop_corrupted_messages_never_panic(
            payload in prop::collection::vec(any::<u8>(), 0..256),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        ) {
            let key = data_key(5, ARN_52, 167);
            let ctx = context(&[("purpose", "bench")]);
            let mut sealed = seal(Suite::Aes256Gcm, &key, &ctx, [3; 12], &payload).unwrap();
            for (at, byte) in edits {
                let i = at.index(sealed.len());
                sealed[i] = byte;
            }
            let _ = parse_header(&sealed);
            let _ = open(&sealed, &key.plaintext, &ctx);
        }
    }
}
