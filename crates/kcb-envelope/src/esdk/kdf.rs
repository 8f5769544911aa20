//! Key derivation: the data key never encrypts directly. Version 2 (committing suites) derives
//! the data-encryption key and a commitment key with HKDF-SHA512, salted with the message id;
//! version 1 derives the data-encryption key with HKDF (SHA-256 or SHA-384), no salt, the
//! message id in the info.

use aws_lc_rs::hkdf::{KeyType, Salt, HKDF_SHA256, HKDF_SHA384, HKDF_SHA512};
use zeroize::Zeroizing;

use super::super::format::{EnvelopeError, KEY_LEN};
use super::suite::{EsdkSuite, KdfHash};

/// Label of the data-encryption key's info in version 2 (after the suite id).
const DERIVE_KEY_LABEL: &[u8] = b"DERIVEKEY";
/// The commitment key's info in version 2.
const COMMIT_KEY_LABEL: &[u8] = b"COMMITKEY";
/// Commitment key length, bytes (the header's algorithm suite data).
pub const COMMITMENT_LEN: usize = 32;

struct Len(usize);

impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// What a message's data key yields: the key that encrypts frames and seals the header, and
/// (version 2) the commitment key written in the header.
pub struct Derived {
    /// Encrypts the body and the header authentication tag; wiped on drop.
    pub encryption_key: Zeroizing<[u8; KEY_LEN]>,
    /// Version 2 only: the commitment key the header carries.
    pub commitment: Option<[u8; COMMITMENT_LEN]>,
}

/// Derives a message's keys from its data key and message id.
pub fn derive(
    suite: EsdkSuite,
    data_key: &[u8; KEY_LEN],
    message_id: &[u8],
) -> Result<Derived, EnvelopeError> {
    let alg = match suite.kdf() {
        KdfHash::Sha256 => HKDF_SHA256,
        KdfHash::Sha384 => HKDF_SHA384,
        KdfHash::Sha512 => HKDF_SHA512,
    };
    let id = suite.id().to_be_bytes();
    let mut encryption_key = Zeroizing::new([0u8; KEY_LEN]);
    if suite.committing() {
        let prk = Salt::new(alg, message_id).extract(data_key);
        let info = [&id[..], DERIVE_KEY_LABEL];
        prk.expand(&info, Len(KEY_LEN))
            .and_then(|okm| okm.fill(encryption_key.as_mut()))
            .map_err(|_| EnvelopeError::Seal("HKDF"))?;
        let mut commitment = [0u8; COMMITMENT_LEN];
        prk.expand(&[COMMIT_KEY_LABEL], Len(COMMITMENT_LEN))
            .and_then(|okm| okm.fill(&mut commitment))
            .map_err(|_| EnvelopeError::Seal("HKDF"))?;
        Ok(Derived {
            encryption_key,
            commitment: Some(commitment),
        })
    } else {
        let prk = Salt::new(alg, &[]).extract(data_key);
        let info = [&id[..], message_id];
        prk.expand(&info, Len(KEY_LEN))
            .and_then(|okm| okm.fill(encryption_key.as_mut()))
            .map_err(|_| EnvelopeError::Seal("HKDF"))?;
        Ok(Derived {
            encryption_key,
            commitment: None,
        })
    }
}
