//! The compact format's AEAD, from one of two implementations: aws-lc-rs (AWS-LC, the library
//! the SDK's TLS already links; assembly with AES-NI, VAES, AVX-512 and stitched GCM where the CPU
//! has them) or RustCrypto's `aes-gcm` and `chacha20poly1305` (portable Rust with AES-NI/CLMUL
//! and AVX2 backends chosen at run time, no VAES or AVX-512 paths). Both produce the same bytes
//! for the same key, nonce, associated data and plaintext (`tests::backends_agree`), so a record
//! sealed by one opens with the other; a run names the one it used in its result.

use std::fmt;

use aes_gcm::aead::consts::{U12, U32};
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, CHACHA20_POLY1305};
use chacha20poly1305::ChaCha20Poly1305;

use super::format::{EnvelopeError, Suite, KEY_LEN, NONCE_LEN, TAG_LEN};

/// Which implementation seals and opens the compact format's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AeadBackend {
    /// aws-lc-rs (the default: the faster on every size measured, see `docs/performance.md`).
    #[default]
    AwsLc,
    /// RustCrypto's `aes-gcm` and `chacha20poly1305`.
    RustCrypto,
}

impl AeadBackend {
    /// Every backend, the default first.
    pub const ALL: [AeadBackend; 2] = [AeadBackend::AwsLc, AeadBackend::RustCrypto];

    /// The backend's name in scenarios, results and benchmarks: `aws-lc-rs` or `rustcrypto`.
    pub fn name(self) -> &'static str {
        match self {
            AeadBackend::AwsLc => "aws-lc-rs",
            AeadBackend::RustCrypto => "rustcrypto",
        }
    }
}

impl fmt::Display for AeadBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Encrypts `msg` with `aad`, returning ciphertext followed by the 16-byte tag.
pub fn seal(
    backend: AeadBackend,
    suite: Suite,
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    msg: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    match backend {
        AeadBackend::AwsLc => {
            let key = lc_key(suite, key)?;
            let mut out = Vec::with_capacity(msg.len() + TAG_LEN);
            out.extend_from_slice(msg);
            key.seal_in_place_append_tag(
                Nonce::assume_unique_for_key(*nonce),
                Aad::from(aad),
                &mut out,
            )
            .map_err(|_| EnvelopeError::Seal(suite.name()))?;
            Ok(out)
        }
        AeadBackend::RustCrypto => {
            let payload = Payload { msg, aad };
            let nonce = GenericArray::<u8, U12>::from(*nonce);
            // Borrow the key as a GenericArray (no copy); the cipher's own copy is wiped on drop
            // where the cipher crate supports it (see "Key material" in docs/envelope-format.md).
            let key: &GenericArray<u8, U32> = key.into();
            let result = match suite {
                Suite::Aes256Gcm => Aes256Gcm::new(key).encrypt(&nonce, payload),
                Suite::ChaCha20Poly1305 => ChaCha20Poly1305::new(key).encrypt(&nonce, payload),
            };
            result.map_err(|_| EnvelopeError::Seal(suite.name()))
        }
    }
}

/// Verifies and decrypts ciphertext-followed-by-tag; a tag that does not verify is
/// [`EnvelopeError::Authentication`].
pub fn open(
    backend: AeadBackend,
    suite: Suite,
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    msg: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    match backend {
        AeadBackend::AwsLc => {
            let key = lc_key(suite, key)?;
            let mut buf = msg.to_vec();
            let len = key
                .open_in_place(
                    Nonce::assume_unique_for_key(*nonce),
                    Aad::from(aad),
                    &mut buf,
                )
                .map_err(|_| EnvelopeError::Authentication)?
                .len();
            buf.truncate(len);
            Ok(buf)
        }
        AeadBackend::RustCrypto => {
            let payload = Payload { msg, aad };
            let nonce = GenericArray::<u8, U12>::from(*nonce);
            let key: &GenericArray<u8, U32> = key.into();
            let result = match suite {
                Suite::Aes256Gcm => Aes256Gcm::new(key).decrypt(&nonce, payload),
                Suite::ChaCha20Poly1305 => ChaCha20Poly1305::new(key).decrypt(&nonce, payload),
            };
            result.map_err(|_| EnvelopeError::Authentication)
        }
    }
}

/// The aws-lc-rs key for `suite`; its key schedule lives in AWS-LC's object, released on drop.
fn lc_key(suite: Suite, key: &[u8; KEY_LEN]) -> Result<LessSafeKey, EnvelopeError> {
    let algorithm = match suite {
        Suite::Aes256Gcm => &AES_256_GCM,
        Suite::ChaCha20Poly1305 => &CHACHA20_POLY1305,
    };
    UnboundKey::new(algorithm, key)
        .map(LessSafeKey::new)
        .map_err(|_| EnvelopeError::Seal(suite.name()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Same key, nonce, AAD and plaintext: the same bytes from both, and each opens the
        /// other's; a flipped bit fails both.
        #[test]
        fn backends_agree(
            key in any::<[u8; KEY_LEN]>(),
            nonce in any::<[u8; NONCE_LEN]>(),
            aad in proptest::collection::vec(any::<u8>(), 0..64),
            msg in proptest::collection::vec(any::<u8>(), 0..2048),
            chacha in any::<bool>(),
            flip in any::<usize>(),
        ) {
            let suite = if chacha { Suite::ChaCha20Poly1305 } else { Suite::Aes256Gcm };
            let lc = seal(AeadBackend::AwsLc, suite, &key, &nonce, &aad, &msg).unwrap();
            let rc = seal(AeadBackend::RustCrypto, suite, &key, &nonce, &aad, &msg).unwrap();
            prop_assert_eq!(&lc, &rc);
            prop_assert_eq!(lc.len(), msg.len() + TAG_LEN);
            for backend in AeadBackend::ALL {
                prop_assert_eq!(&open(backend, suite, &key, &nonce, &aad, &lc).unwrap(), &msg);
                let mut bad = lc.clone();
                let at = flip % bad.len();
                bad[at] ^= 1 << (flip % 8);
                prop_assert_eq!(
                    open(backend, suite, &key, &nonce, &aad, &bad),
                    Err(EnvelopeError::Authentication)
                );
            }
        }
    }

    /// RFC 8439 §2.8.2's AEAD test vector, through both backends.
    #[test]
    fn chacha20_poly1305_rfc8439_vector() {
        let key: [u8; 32] = std::array::from_fn(|i| 0x80 + i as u8);
        let nonce = [
            0x07, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
        ];
        let aad = hex::decode("50515253c0c1c2c3c4c5c6c7").unwrap();
        let msg = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let tag = hex::decode("1ae10b594f09e26a7e902ecbd0600691").unwrap();
        let head = hex::decode("d31a8d34648e60db7b86afbc53ef7ec2").unwrap();
        for backend in AeadBackend::ALL {
            let out = seal(backend, Suite::ChaCha20Poly1305, &key, &nonce, &aad, msg).unwrap();
            assert_eq!(&out[..16], &head[..], "{backend}");
            assert_eq!(&out[out.len() - 16..], &tag[..], "{backend}");
        }
    }
}
