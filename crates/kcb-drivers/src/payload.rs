//! The plaintext every record carries: a 32-byte header (id, intended send time, checksum)
//! and a seeded body, so consumers measure end-to-end latency and the ledger knows what
//! arrived, twice, corrupted or not at all.
//!
//! Layout (big-endian): magic `KCB1` (4) | id u64 (8) | intended send time, ns since the run's
//! start, u64 (8) | body length u32 (4) | CRC-32 of id, time, length, body and (when not 0)
//! worker u32 (4) | worker u32 (4: 0 in a run on one machine, else the share `I` of `run
//! --worker I/N` that sent it) | body.

use std::time::Duration;

/// Header bytes in every payload (the smallest record a scenario may ask for).
pub const HEADER_BYTES: usize = 32;
const MAGIC: &[u8; 4] = b"KCB1";

/// What a consumer learns from a payload that verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Record id.
    pub id: u64,
    /// Intended send time since the run's start.
    pub intended: Duration,
    /// The worker that sent it (0: a run on one machine).
    pub worker: u32,
}

/// Why a payload did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Shorter than the header or than the length it states.
    #[error("payload truncated: {0} bytes")]
    Truncated(usize),
    /// Not a harness payload.
    #[error("bad magic")]
    BadMagic,
    /// The checksum does not match: the bytes were altered. The id is what the header claims.
    #[error("checksum mismatch for record {0}")]
    Checksum(u64),
}

impl PayloadError {
    /// The id the (untrusted) header claims, if any.
    pub fn claimed_id(&self) -> Option<u64> {
        match self {
            PayloadError::Checksum(id) => Some(*id),
            _ => None,
        }
    }
}

/// Bytes of the payload that begins `data` (its header's stated body length plus the header),
/// to split records that a destination wrote back to back (a Firehose object); `None` when
/// `data` does not begin with a header.
pub fn framed_len(data: &[u8]) -> Option<usize> {
    if data.len() < HEADER_BYTES || &data[..4] != MAGIC {
        return None;
    }
    let body = u32::from_be_bytes(data[20..24].try_into().ok()?) as usize;
    Some(HEADER_BYTES + body)
}

/// Fill `out` with bytes determined by (seed, id): SplitMix64, fast and replayable.
fn fill_body(seed: u64, id: u64, out: &mut [u8]) {
    let mut state = seed ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for chunk in out.chunks_mut(8) {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
    }
}

fn checksum(id: u64, intended_ns: u64, body_len: u32, body: &[u8], worker: u32) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&id.to_be_bytes());
    h.update(&intended_ns.to_be_bytes());
    h.update(&body_len.to_be_bytes());
    h.update(body);
    // A one-machine run's checksum is what it always was; a worker's covers its number too.
    if worker != 0 {
        h.update(&worker.to_be_bytes());
    }
    h.finalize()
}

/// Build a payload of `size` bytes (at least [`HEADER_BYTES`]), sent by `worker` (0: a run on
/// one machine).
pub fn build(seed: u64, id: u64, intended: Duration, size: usize, worker: u32) -> Vec<u8> {
    let size = size.max(HEADER_BYTES);
    let mut out = vec![0u8; size];
    let body_len = (size - HEADER_BYTES) as u32;
    fill_body(seed, id, &mut out[HEADER_BYTES..]);
    let ns = intended.as_nanos() as u64;
    let crc = checksum(id, ns, body_len, &out[HEADER_BYTES..], worker);
    out[0..4].copy_from_slice(MAGIC);
    out[4..12].copy_from_slice(&id.to_be_bytes());
    out[12..20].copy_from_slice(&ns.to_be_bytes());
    out[20..24].copy_from_slice(&body_len.to_be_bytes());
    out[24..28].copy_from_slice(&crc.to_be_bytes());
    out[28..32].copy_from_slice(&worker.to_be_bytes());
    out
}

/// The worker a payload's header names, unverified (0 when `data` is no payload): enough to
/// pass over another worker's record without opening it.
pub fn worker_of(data: &[u8]) -> u32 {
    match data.get(..HEADER_BYTES) {
        Some(h) if &h[..4] == MAGIC => u32::from_be_bytes([h[28], h[29], h[30], h[31]]),
        _ => 0,
    }
}

/// Verify a payload and read its stamp.
pub fn verify(payload: &[u8]) -> Result<Stamp, PayloadError> {
    if payload.len() < HEADER_BYTES {
        return Err(PayloadError::Truncated(payload.len()));
    }
    if &payload[0..4] != MAGIC {
        return Err(PayloadError::BadMagic);
    }
    let be64 =
        |r: std::ops::Range<usize>| u64::from_be_bytes(payload[r].try_into().unwrap_or([0; 8]));
    let be32 =
        |r: std::ops::Range<usize>| u32::from_be_bytes(payload[r].try_into().unwrap_or([0; 4]));
    let id = be64(4..12);
    let ns = be64(12..20);
    let body_len = be32(20..24);
    let crc = be32(24..28);
    let worker = be32(28..32);
    let body = &payload[HEADER_BYTES..];
    if body.len() != body_len as usize {
        return Err(PayloadError::Checksum(id));
    }
    if checksum(id, ns, body_len, body, worker) != crc {
        return Err(PayloadError::Checksum(id));
    }
    Ok(Stamp {
        id,
        intended: Duration::from_nanos(ns),
        worker,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_written_back_to_back_split_at_their_stated_lengths() {
        let a = build(7, 1, Duration::from_millis(3), 100, 0);
        let b = build(7, 2, Duration::from_millis(4), HEADER_BYTES, 0);
        let joined = [a.clone(), b.clone()].concat();
        assert_eq!(framed_len(&joined), Some(a.len()));
        assert_eq!(framed_len(&joined[a.len()..]), Some(b.len()));
        assert_eq!(framed_len(b"not a payload at all, thirty-two+"), None);
    }
    use proptest::prelude::*;

    #[test]
    fn round_trip() {
        let p = build(7, 42, Duration::from_millis(1500), 1024, 0);
        assert_eq!(p.len(), 1024);
        assert_eq!(
            verify(&p).unwrap(),
            Stamp {
                id: 42,
                intended: Duration::from_millis(1500),
                worker: 0,
            }
        );
        let w = build(7, 42, Duration::from_millis(1500), 1024, 3);
        assert_eq!(verify(&w).map(|s| s.worker), Ok(3));
        assert_eq!(worker_of(&w), 3);
        assert_eq!(w[32..], p[32..], "the body does not depend on the worker");
        assert_ne!(w[24..28], p[24..28], "the checksum covers the worker");
        assert_eq!(
            build(7, 42, Duration::ZERO, 100, 0)[32..],
            build(7, 42, Duration::ZERO, 100, 0)[32..]
        );
    }

    proptest! {
        #[test]
        fn any_flipped_bit_is_caught(size in 32usize..2048, bit in 0usize..16384, worker in 0u32..4) {
            let mut p = build(1, 9, Duration::from_secs(1), size, worker);
            let bit = bit % (size * 8);
            p[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(verify(&p).is_err());
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = verify(&bytes);
        }
    }
}
