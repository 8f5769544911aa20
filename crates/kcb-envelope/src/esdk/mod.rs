//! AWS Encryption SDK messages, byte for byte: format version 2 written (suites `0x0478` and
//! `0x0578`, framed), versions 2 and 1 read. The layout and its byte arithmetic are in
//! `docs/envelope-format.md`; the Python ESDK reads what this writes and the reverse
//! (`harness/tests/it/esdk_peer.rs`).
//!
//! - [`header`], header and header authentication;
//! - [`body`], frames;
//! - [`kdf`], the data-encryption and commitment keys from the data key;
//! - [`sign`], the ECDSA P-384 footer of signing suites;
//! - [`suite`], the algorithm suites.

pub mod body;
pub mod header;
pub mod kdf;
pub mod sign;
pub mod suite;

use aws_lc_rs::aead::{Aad, Nonce};
use subtle::ConstantTimeEq;

use super::bytes::Reader;
use super::format::{DataKey, EncryptedDataKey, EncryptionContext, EnvelopeError, KEY_LEN};
use header::{EsdkHeader, IV_LEN, TAG_LEN};
pub use sign::{Signer, PUBLIC_KEY_CONTEXT_KEY};
pub use suite::EsdkSuite;

/// The ESDK's default frame length, bytes.
pub const DEFAULT_FRAME_LENGTH: u32 = 4096;
/// Largest frame length the ESDK accepts, bytes (2^31 - 1).
pub const MAX_FRAME_LENGTH: u32 = i32::MAX as u32;
/// Message id length in format version 2.
pub const MESSAGE_ID_LEN: usize = 32;

/// Seals `plaintext` as one ESDK message under `key` (its plaintext data key and the
/// encrypted data key written into the header).
///
/// `context` is the stored encryption context: for a signing suite it must hold
/// `aws-crypto-public-key` equal to `signer`'s public key (as the ESDK's CMM adds it before
/// asking KMS for the data key, so KMS binds it too). `message_id` must be random and never
/// reused (the key derivation's salt).
pub fn seal(
    suite: EsdkSuite,
    frame_length: u32,
    key: &DataKey,
    context: &EncryptionContext,
    signer: Option<&Signer>,
    message_id: [u8; MESSAGE_ID_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    seal_for(
        suite,
        frame_length,
        key,
        &[],
        context,
        signer,
        message_id,
        plaintext,
    )
}

/// [`seal`], with `others` written after `key.encrypted` in the header: the same data key
/// wrapped for other keys (as an ESDK multi-keyring writes it), so any of them can open it.
#[allow(clippy::too_many_arguments)]
pub fn seal_for(
    suite: EsdkSuite,
    frame_length: u32,
    key: &DataKey,
    others: &[EncryptedDataKey],
    context: &EncryptionContext,
    signer: Option<&Signer>,
    message_id: [u8; MESSAGE_ID_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    if !(1..=MAX_FRAME_LENGTH).contains(&frame_length) {
        return Err(EnvelopeError::Malformed(format!(
            "frame length {frame_length} is outside 1 ..= {MAX_FRAME_LENGTH}"
        )));
    }
    match (suite.signed(), signer) {
        (true, Some(s)) if context.get(PUBLIC_KEY_CONTEXT_KEY).map(String::as_str) == Some(s.public_key_b64()) => {}
        (true, Some(_)) | (true, None) => {
            return Err(EnvelopeError::Malformed(format!(
                "suite {suite} needs a signer whose public key is the context's {PUBLIC_KEY_CONTEXT_KEY}"
            )))
        }
        (false, _) if context.contains_key(PUBLIC_KEY_CONTEXT_KEY) => {
            return Err(EnvelopeError::Malformed(format!(
                "{PUBLIC_KEY_CONTEXT_KEY} is reserved for signing suites"
            )))
        }
        (false, _) => {}
    }
    let derived = kdf::derive(suite, &key.plaintext, &message_id)?;
    let mut encrypted_keys = vec![key.encrypted.clone()];
    encrypted_keys.extend_from_slice(others);
    let total = message_len(
        suite,
        frame_length,
        context,
        &encrypted_keys,
        plaintext.len() as u64,
    );
    let header = EsdkHeader {
        suite,
        message_id: message_id.to_vec(),
        context: context.clone(),
        encrypted_keys,
        frame_length,
        commitment: derived.commitment,
    };
    let mut out = header.encode()?;
    out.reserve(
        usize::try_from(total)
            .unwrap_or(0)
            .saturating_sub(out.len()),
    );
    let cipher = body::cipher(&derived.encryption_key)?;
    let tag = cipher
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key([0u8; IV_LEN]),
            Aad::from(&out[..]),
            &mut [],
        )
        .map_err(|_| EnvelopeError::Seal("AES-256-GCM header tag"))?;
    out.extend_from_slice(tag.as_ref());
    body::seal(&cipher, &message_id, frame_length, plaintext, &mut out)?;
    if let Some(signer) = signer.filter(|_| suite.signed()) {
        let mut d = sign::digest_context();
        d.update(&out);
        let sig = signer.sign(&d.finish())?;
        out.extend_from_slice(&(sig.len() as u16).to_be_bytes());
        out.extend_from_slice(&sig);
    }
    Ok(out)
}

/// Bytes of a message with this context (as stored: with the public key for signing suites)
/// and these encrypted keys for a plaintext of `plaintext_len` bytes: header, header tag,
/// frames, and for signing suites the 105-byte footer.
pub fn message_len(
    suite: EsdkSuite,
    frame_length: u32,
    context: &EncryptionContext,
    keys: &[EncryptedDataKey],
    plaintext_len: u64,
) -> u64 {
    let header = header::v2_header_len(context, keys) + TAG_LEN;
    let footer = if suite.signed() {
        2 + sign::SIGNATURE_LEN
    } else {
        0
    };
    (header + footer) as u64 + body::body_len(plaintext_len, frame_length)
}

/// The stored context of a message: the path's context, plus for a signing suite the public
/// key of `signer`.
pub fn stored_context(base: &EncryptionContext, signer: Option<&Signer>) -> EncryptionContext {
    let mut c = base.clone();
    if let Some(s) = signer {
        c.insert(
            PUBLIC_KEY_CONTEXT_KEY.to_owned(),
            s.public_key_b64().to_owned(),
        );
    }
    c
}

/// The context a signing suite's message would store, with a placeholder public key of the
/// right length (for sizes computed before any key exists).
pub fn sized_context(suite: EsdkSuite, base: &EncryptionContext) -> EncryptionContext {
    let mut c = base.clone();
    if suite.signed() {
        c.insert(
            PUBLIC_KEY_CONTEXT_KEY.to_owned(),
            "A".repeat(sign::PUBLIC_KEY_B64_LEN),
        );
    }
    c
}

/// Opens a message whose header was parsed as `parsed` with the plaintext data key of one of
/// its encrypted keys: checks the commitment key (version 2), the header tag, every frame in
/// order, the signature (signing suites: the public key from the stored context), and that
/// nothing follows. Returns the plaintext.
pub fn open(
    message: &[u8],
    parsed: &header::ParsedHeader,
    data_key: &[u8; KEY_LEN],
) -> Result<Vec<u8>, EnvelopeError> {
    let h = &parsed.header;
    let derived = kdf::derive(h.suite, data_key, &h.message_id)?;
    if let (Some(stored), Some(ours)) = (h.commitment, derived.commitment) {
        if !bool::from(stored.ct_eq(&ours)) {
            return Err(EnvelopeError::Commitment);
        }
    }
    let cipher = body::cipher(&derived.encryption_key)?;
    let header_bytes = message
        .get(..parsed.body_len)
        .ok_or(EnvelopeError::Malformed(
            "header shorter than parsed".into(),
        ))?;
    let mut tag = parsed.auth_tag;
    cipher
        .open_in_place(
            Nonce::assume_unique_for_key(parsed.auth_iv),
            Aad::from(header_bytes),
            &mut tag,
        )
        .map_err(|_| EnvelopeError::Authentication)?;
    let mut r = Reader {
        buf: message,
        pos: parsed.body_start,
    };
    let plaintext = body::open(&cipher, &h.message_id, h.frame_length, &mut r)?;
    if h.suite.signed() {
        let signed_len = r.pos;
        let len = usize::from(r.u16("signature length")?);
        let sig = r.take(len, "signature")?;
        let public = h.context.get(PUBLIC_KEY_CONTEXT_KEY).ok_or_else(|| {
            EnvelopeError::Malformed(format!(
                "signed suite {} without {PUBLIC_KEY_CONTEXT_KEY} in its context",
                h.suite
            ))
        })?;
        let mut d = sign::digest_context();
        d.update(&message[..signed_len]);
        sign::verify(public, &d.finish(), sig)?;
    }
    match r.remaining() {
        0 => Ok(plaintext),
        extra => Err(EnvelopeError::TrailingBytes { extra }),
    }
}

/// Largest plaintext whose message is at most `limit` bytes, or `None` when even an empty
/// one is larger.
pub fn max_plaintext_within(
    suite: EsdkSuite,
    frame_length: u32,
    context: &EncryptionContext,
    keys: &[EncryptedDataKey],
    limit: u64,
) -> Option<u64> {
    let len = |p| message_len(suite, frame_length, context, keys, p);
    if len(0) > limit {
        return None;
    }
    // message_len is increasing in the plaintext length: bisect.
    let (mut lo, mut hi) = (0u64, limit);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if len(mid) <= limit {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Some(lo)
}

#[cfg(test)]
mod tests;
