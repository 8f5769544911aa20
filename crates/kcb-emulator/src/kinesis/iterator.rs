//! Shard iterators: opaque tokens naming a stream, shard and position, expiring five minutes
//! after they were issued.

use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::wire::ApiError;

/// How long an iterator lives (developer guide, quotas).
pub const ITERATOR_TTL: Duration = Duration::from_secs(300);

/// What an iterator points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Stream name.
    pub stream: String,
    /// Stream epoch (a re-created stream invalidates old iterators).
    pub epoch: u64,
    /// Shard index.
    pub shard: usize,
    /// Index of the next record to return.
    pub next: usize,
    /// Issue time, nanoseconds since the epoch.
    pub issued_ns: u64,
}

impl Position {
    /// Encode as an opaque token.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// Decode a token; `InvalidArgumentException` if it is not one of ours,
    /// `ExpiredIteratorException` if older than [`ITERATOR_TTL`].
    pub fn decode(token: &str, now: Duration) -> Result<Self, ApiError> {
        let invalid = || ApiError::new("InvalidArgumentException", "Invalid ShardIterator.");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| invalid())?;
        let pos: Position = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        let issued = Duration::from_nanos(pos.issued_ns);
        if now.saturating_sub(issued) > ITERATOR_TTL {
            return Err(ApiError::new(
                "ExpiredIteratorException",
                format!("Iterator expired. The iterator was created at time {} while right now it is {} which is further in the future than the tolerated delay of 300000 milliseconds.", issued.as_millis(), now.as_millis()),
            ));
        }
        Ok(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_expiry() {
        let p = Position {
            stream: "s".into(),
            epoch: 1,
            shard: 2,
            next: 7,
            issued_ns: 1_000_000_000,
        };
        let t = p.encode();
        assert_eq!(Position::decode(&t, Duration::from_secs(2)).unwrap(), p);
        let e = Position::decode(&t, Duration::from_secs(302)).unwrap_err();
        assert_eq!(e.code, "ExpiredIteratorException");
        assert_eq!(
            Position::decode("!!", Duration::ZERO).unwrap_err().code,
            "InvalidArgumentException"
        );
    }
}
