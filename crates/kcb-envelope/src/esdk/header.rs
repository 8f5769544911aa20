//! The message header and its authentication: written in format version 2, read in versions 2
//! and 1. Every integer is big-endian.
//!
//! ```text
//! v2: version 0x02 | suite u16 | message id (32) | AAD length u16 | [pair count u16 | pairs]
//!     | EDK count u16 | per EDK: u16 len, provider id, u16 len, provider info, u16 len, blob
//!     | content type u8 (0x02 framed) | frame length u32 | commitment key (32)
//!     then the header authentication tag (16); its IV is 12 zero bytes
//! v1: version 0x01 | type 0x80 | suite u16 | message id (16) | AAD length u16 | [context]
//!     | EDKs | content type u8 | reserved u32 (0) | IV length u8 (12) | frame length u32
//!     then the header authentication IV (12) and tag (16)
//! ```

use super::super::bytes::{put_context, put_encrypted_keys, put_field, Reader};
use super::super::format::{read_context, EncryptedDataKey, EncryptionContext, EnvelopeError};
use super::kdf::COMMITMENT_LEN;
use super::suite::EsdkSuite;

/// Content type of a framed body.
pub const FRAMED: u8 = 0x02;
/// Content type of a non-framed body (version 1 era; read as an error, never written).
pub const NON_FRAMED: u8 = 0x01;
/// IV length of every suite here.
pub const IV_LEN: usize = 12;
/// Authentication tag length of every suite here.
pub const TAG_LEN: usize = 16;
/// Version 1's message type byte (customer authenticated encrypted data).
const V1_TYPE: u8 = 0x80;

/// A parsed (or to-be-written) header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsdkHeader {
    /// The algorithm suite (and with it the format version).
    pub suite: EsdkSuite,
    /// The message id: 32 random bytes in version 2, 16 in version 1.
    pub message_id: Vec<u8>,
    /// The encryption context stored in the message (with `aws-crypto-public-key` for signing
    /// suites), sorted by key.
    pub context: EncryptionContext,
    /// The encrypted data keys, at least one, as written. A provider info that is not UTF-8 (a
    /// raw keyring's) is kept lossily; it is authenticated from the raw bytes, never re-encoded.
    pub encrypted_keys: Vec<EncryptedDataKey>,
    /// The frame length in bytes.
    pub frame_length: u32,
    /// Version 2: the commitment key.
    pub commitment: Option<[u8; COMMITMENT_LEN]>,
}

/// The serialized encryption context as the header (and KMS's AAD) carries it: empty for an
/// empty context, else the pair count and the pairs sorted by key.
pub fn serialize_context(context: &EncryptionContext) -> Result<Vec<u8>, EnvelopeError> {
    let mut out = Vec::new();
    if !context.is_empty() {
        put_context(&mut out, context)?;
    }
    Ok(out)
}

/// Bytes of the serialized context (see [`serialize_context`]).
pub fn context_len(context: &EncryptionContext) -> usize {
    if context.is_empty() {
        0
    } else {
        2 + context
            .iter()
            .map(|(k, v)| 4 + k.len() + v.len())
            .sum::<usize>()
    }
}

/// Bytes of the encrypted data keys with their count.
pub fn edks_len(keys: &[EncryptedDataKey]) -> usize {
    2 + keys
        .iter()
        .map(|e| 6 + e.provider_id.len() + e.key_id.len() + e.ciphertext.len())
        .sum::<usize>()
}

/// Version 2 header body length (without its authentication tag).
pub fn v2_header_len(context: &EncryptionContext, keys: &[EncryptedDataKey]) -> usize {
    1 + 2 + 32 + 2 + context_len(context) + edks_len(keys) + 1 + 4 + COMMITMENT_LEN
}

impl EsdkHeader {
    /// Encodes a version 2 header body (the bytes its authentication tag covers).
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        if self.suite.message_version() != 2 {
            return Err(EnvelopeError::Malformed(format!(
                "this build writes message format version 2 only, not {}",
                self.suite
            )));
        }
        let commitment = self.commitment.ok_or_else(|| {
            EnvelopeError::Malformed("a version 2 header needs its commitment key".into())
        })?;
        if self.encrypted_keys.is_empty() {
            return Err(EnvelopeError::Malformed(
                "at least one encrypted data key is required".into(),
            ));
        }
        let mut out =
            Vec::with_capacity(v2_header_len(&self.context, &self.encrypted_keys) + TAG_LEN);
        out.push(2);
        out.extend_from_slice(&self.suite.id().to_be_bytes());
        out.extend_from_slice(&self.message_id);
        let ctx = serialize_context(&self.context)?;
        put_field(&mut out, &ctx, "encryption context (AAD)")?;
        put_encrypted_keys(&mut out, &self.encrypted_keys)?;
        out.push(FRAMED);
        out.extend_from_slice(&self.frame_length.to_be_bytes());
        out.extend_from_slice(&commitment);
        Ok(out)
    }
}

/// A header read from a message, with where its parts end.
#[derive(Debug, Clone)]
pub struct ParsedHeader {
    /// The header's fields.
    pub header: EsdkHeader,
    /// Length of the header body (the authenticated bytes).
    pub body_len: usize,
    /// The header authentication IV (12 zero bytes in version 2).
    pub auth_iv: [u8; IV_LEN],
    /// The header authentication tag.
    pub auth_tag: [u8; TAG_LEN],
    /// Offset of the message body (after the header authentication).
    pub body_start: usize,
}

/// Reads the header and its authentication from the start of `message`. Checks structure only;
/// nothing is authenticated yet.
pub fn parse(message: &[u8]) -> Result<ParsedHeader, EnvelopeError> {
    let mut r = Reader::new(message);
    let version = r.u8("version")?;
    let suite = match version {
        2 => r.u16("algorithm suite id")?,
        1 => {
            let t = r.u8("message type")?;
            if t != V1_TYPE {
                return Err(EnvelopeError::Malformed(format!(
                    "version 1 message type 0x{t:02X}, expected 0x80"
                )));
            }
            r.u16("algorithm suite id")?
        }
        other => return Err(EnvelopeError::UnknownVersion(other)),
    };
    let suite = EsdkSuite::from_id(suite).ok_or(EnvelopeError::UnknownEsdkSuite(suite))?;
    if suite.message_version() != version {
        return Err(EnvelopeError::Malformed(format!(
            "suite {suite} belongs to format version {}, the message says {version}",
            suite.message_version()
        )));
    }
    let message_id = r.take(suite.message_id_len(), "message id")?.to_vec();
    let aad_len = usize::from(r.u16("AAD length")?);
    let context = if aad_len == 0 {
        EncryptionContext::new()
    } else {
        let aad = r.take(aad_len, "encryption context")?;
        let mut inner = Reader::new(aad);
        let ctx = read_context(&mut inner)?;
        if inner.remaining() != 0 {
            return Err(EnvelopeError::Malformed(format!(
                "AAD length {aad_len} does not match its encryption context"
            )));
        }
        ctx
    };
    let encrypted_keys = read_edks(&mut r)?;
    let content_type = r.u8("content type")?;
    if content_type == NON_FRAMED {
        return Err(EnvelopeError::Malformed(
            "non-framed message bodies are not supported; write framed messages".into(),
        ));
    }
    if content_type != FRAMED {
        return Err(EnvelopeError::Malformed(format!(
            "content type 0x{content_type:02X} is neither framed (0x02) nor non-framed (0x01)"
        )));
    }
    let (frame_length, commitment) = if version == 2 {
        let frame_length = r.u32("frame length")?;
        let commitment = r.array::<COMMITMENT_LEN>("commitment key")?;
        (frame_length, Some(commitment))
    } else {
        if r.u32("reserved")? != 0 {
            return Err(EnvelopeError::Malformed("reserved field is not 0".into()));
        }
        let iv_len = r.u8("IV length")?;
        if usize::from(iv_len) != IV_LEN {
            return Err(EnvelopeError::Malformed(format!(
                "IV length {iv_len}, the suite's is {IV_LEN}"
            )));
        }
        (r.u32("frame length")?, None)
    };
    if frame_length == 0 {
        return Err(EnvelopeError::Malformed(
            "frame length 0 in a framed message".into(),
        ));
    }
    let body_len = r.pos;
    let auth_iv = if version == 2 {
        [0u8; IV_LEN]
    } else {
        r.array::<IV_LEN>("header authentication IV")?
    };
    let auth_tag = r.array::<TAG_LEN>("header authentication tag")?;
    Ok(ParsedHeader {
        header: EsdkHeader {
            suite,
            message_id,
            context,
            encrypted_keys,
            frame_length,
            commitment,
        },
        body_len,
        auth_iv,
        auth_tag,
        body_start: r.pos,
    })
}

fn read_edks(r: &mut Reader<'_>) -> Result<Vec<EncryptedDataKey>, EnvelopeError> {
    let count = r.u16("encrypted data key count")?;
    if count == 0 {
        return Err(EnvelopeError::Malformed(
            "encrypted data key count is 0; at least one is required".into(),
        ));
    }
    let mut keys = Vec::with_capacity(usize::from(count).min(64));
    for _ in 0..count {
        let provider_id = r.string("provider id")?;
        let len = usize::from(r.u16("provider info length")?);
        let info = r.take(len, "provider info")?;
        let len = usize::from(r.u16("encrypted data key length")?);
        let ciphertext = r.take(len, "encrypted data key")?.to_vec();
        keys.push(EncryptedDataKey {
            provider_id,
            key_id: String::from_utf8_lossy(info).into_owned(),
            ciphertext,
        });
    }
    Ok(keys)
}
