//! The framed body: regular frames of exactly the frame length, then one final frame holding
//! what is left (possibly nothing). Each frame is sealed with AES-256-GCM under the derived key,
//! its IV the sequence number (big-endian, left-padded with zeros to 12 bytes), its AAD the
//! message id, the content string, the sequence number (u32) and the content length (u64).
//!
//! ```text
//! regular: sequence number u32 | IV (12) | content (frame length) | tag (16)
//! final:   0xFFFFFFFF | sequence number u32 | IV (12) | content length u32 | content | tag (16)
//! ```

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};

use super::super::bytes::Reader;
use super::super::format::{EnvelopeError, KEY_LEN};
use super::header::{IV_LEN, TAG_LEN};

/// The final frame's marker where a regular frame's sequence number would be.
const FINAL_MARKER: u32 = u32::MAX;
const FRAME_STRING: &[u8] = b"AWSKMSEncryptionClient Frame";
const FINAL_FRAME_STRING: &[u8] = b"AWSKMSEncryptionClient Final Frame";
/// Most frames one message may have (sequence numbers 1 ..= 2^32 - 1).
pub const MAX_FRAMES: u64 = u32::MAX as u64;
/// Bytes a regular frame adds to its content: sequence number, IV, tag.
pub const REGULAR_FRAME_OVERHEAD: usize = 4 + IV_LEN + TAG_LEN;
/// Bytes the final frame adds to its content: marker, sequence number, IV, length, tag.
pub const FINAL_FRAME_OVERHEAD: usize = 4 + 4 + IV_LEN + 4 + TAG_LEN;

/// How a plaintext of `len` bytes is framed: `(regular frames, final frame content)`. Like the
/// ESDK, a plaintext that is an exact multiple of the frame length ends with an empty final
/// frame.
pub fn frames(len: u64, frame_length: u32) -> (u64, u64) {
    let f = u64::from(frame_length.max(1));
    (len / f, len % f)
}

/// Body length for a plaintext of `len` bytes.
pub fn body_len(len: u64, frame_length: u32) -> u64 {
    let (regular, last) = frames(len, frame_length);
    regular * (u64::from(frame_length) + REGULAR_FRAME_OVERHEAD as u64)
        + FINAL_FRAME_OVERHEAD as u64
        + last
}

/// The AES-256-GCM key a message's frames (and header tag) are sealed with.
pub fn cipher(key: &[u8; KEY_LEN]) -> Result<LessSafeKey, EnvelopeError> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| EnvelopeError::Seal("AES-256-GCM key"))
}

/// The IV of frame `seq`.
pub fn frame_iv(seq: u32) -> [u8; IV_LEN] {
    let mut iv = [0u8; IV_LEN];
    iv[IV_LEN - 4..].copy_from_slice(&seq.to_be_bytes());
    iv
}

fn frame_aad(message_id: &[u8], last: bool, seq: u32, len: usize) -> Vec<u8> {
    let label = if last {
        FINAL_FRAME_STRING
    } else {
        FRAME_STRING
    };
    let mut aad = Vec::with_capacity(message_id.len() + label.len() + 12);
    aad.extend_from_slice(message_id);
    aad.extend_from_slice(label);
    aad.extend_from_slice(&seq.to_be_bytes());
    aad.extend_from_slice(&(len as u64).to_be_bytes());
    aad
}

/// Appends the framed body of `plaintext` to `out`.
pub fn seal(
    key: &LessSafeKey,
    message_id: &[u8],
    frame_length: u32,
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), EnvelopeError> {
    let f = usize::try_from(frame_length.max(1)).unwrap_or(usize::MAX);
    let (regular, _) = frames(plaintext.len() as u64, frame_length);
    if regular + 1 > MAX_FRAMES {
        return Err(EnvelopeError::TooLarge {
            field: "frame count",
            len: usize::try_from(regular + 1).unwrap_or(usize::MAX),
            max: MAX_FRAMES as usize,
        });
    }
    let mut chunks = plaintext.chunks_exact(f);
    let mut seq: u32 = 1;
    for chunk in chunks.by_ref() {
        let iv = frame_iv(seq);
        out.extend_from_slice(&seq.to_be_bytes());
        out.extend_from_slice(&iv);
        seal_into(
            key,
            iv,
            &frame_aad(message_id, false, seq, chunk.len()),
            chunk,
            out,
        )?;
        seq += 1;
    }
    let rest = chunks.remainder();
    let iv = frame_iv(seq);
    out.extend_from_slice(&FINAL_MARKER.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&iv);
    out.extend_from_slice(&(rest.len() as u32).to_be_bytes());
    seal_into(
        key,
        iv,
        &frame_aad(message_id, true, seq, rest.len()),
        rest,
        out,
    )
}

fn seal_into(
    key: &LessSafeKey,
    iv: [u8; IV_LEN],
    aad: &[u8],
    content: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), EnvelopeError> {
    let start = out.len();
    out.extend_from_slice(content);
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(aad),
            &mut out[start..],
        )
        .map_err(|_| EnvelopeError::Seal("AES-256-GCM"))?;
    out.extend_from_slice(tag.as_ref());
    Ok(())
}

/// Reads, verifies and decrypts the framed body that starts at `r`'s position; returns the
/// plaintext, leaving `r` after the final frame. Frames must come in order from 1, each
/// regular frame exactly `frame_length` long, the final one at most that.
pub(crate) fn open(
    key: &LessSafeKey,
    message_id: &[u8],
    frame_length: u32,
    r: &mut Reader<'_>,
) -> Result<Vec<u8>, EnvelopeError> {
    let f = usize::try_from(frame_length).unwrap_or(usize::MAX);
    let mut plaintext = Vec::new();
    let mut expected: u32 = 1;
    loop {
        let first = r.u32("frame sequence number")?;
        let last = first == FINAL_MARKER;
        let seq = if last {
            r.u32("final frame sequence number")?
        } else {
            first
        };
        if seq != expected {
            return Err(EnvelopeError::Malformed(format!(
                "frame {seq} where frame {expected} was due"
            )));
        }
        let iv = r.array::<IV_LEN>("frame IV")?;
        if iv != frame_iv(seq) {
            return Err(EnvelopeError::Malformed(format!(
                "frame {seq}'s IV is not its sequence number"
            )));
        }
        let len = if last {
            let len = r.u32("final frame length")? as usize;
            if len > f {
                return Err(EnvelopeError::Malformed(format!(
                    "final frame of {len} bytes exceeds the frame length {f}"
                )));
            }
            len
        } else {
            f
        };
        let content = r.take(len, "frame content")?;
        let tag = r.take(TAG_LEN, "frame tag")?;
        let start = plaintext.len();
        plaintext.extend_from_slice(content);
        plaintext.extend_from_slice(tag);
        key.open_in_place(
            Nonce::assume_unique_for_key(iv),
            Aad::from(frame_aad(message_id, last, seq, len)),
            &mut plaintext[start..],
        )
        .map_err(|_| EnvelopeError::Authentication)?;
        plaintext.truncate(start + len);
        if last {
            return Ok(plaintext);
        }
        expected = expected
            .checked_add(1)
            .filter(|&s| s != FINAL_MARKER)
            .ok_or_else(|| {
                EnvelopeError::Malformed("more frames than a message may have".into())
            })?;
    }
}
