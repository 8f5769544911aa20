//! The client-side envelope path: records sealed in the harness before they reach Kinesis.
//!
//! - [`format`](mod@format): the byte-level envelope (a simplified, single-frame, unsigned AWS Encryption
//!   SDK message), with [`format::seal`], [`format::open`] and the overhead formula
//!   [`format::overhead_bytes`]. The layout is documented in `docs/envelope-format.md`.
//! - [`aead`]: the compact format's AEAD from aws-lc-rs or RustCrypto ([`AeadBackend`]).
//! - [`kpl`]: the Kinesis Producer Library's aggregated record (many user records in one Kinesis
//!   record), its aggregator and its reader.
//! - [`cache`]: data-key caching with the AWS Encryption SDK caching CMM's limits (max age, max
//!   messages, max bytes, LRU capacity), driven by an injected clock.

pub mod aead;
mod bytes;
pub mod cache;
pub mod esdk;
pub mod format;
pub mod kpl;

pub use aead::AeadBackend;
pub use cache::{CacheLimits, DecryptCache, EncryptCache};
pub use format::{
    open, overhead_bytes, parse_header, seal, DataKey, EncryptedDataKey, EncryptionContext,
    EnvelopeError, Header, Suite,
};
