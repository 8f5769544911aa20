//! The AWS Encryption SDK's algorithm suites this harness writes (message format version 2) and
//! reads (versions 2 and 1). All use AES-256-GCM with a 12-byte IV and a 16-byte tag.

use std::fmt;

/// One ESDK algorithm suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EsdkSuite {
    /// `0x0478` AES_256_GCM_HKDF_SHA512_COMMIT_KEY: format version 2, key commitment, no signature.
    Commit,
    /// `0x0578` AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384: as `Commit`, with an ECDSA P-384
    /// signature over the whole message (the ESDK's default).
    CommitSign,
    /// `0x0178` AES_256_GCM_IV12_TAG16_HKDF_SHA256: format version 1, read only.
    V1Hkdf,
    /// `0x0378` AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384: format version 1, read only.
    V1HkdfSign,
}

/// The hash HKDF uses for a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KdfHash {
    /// HKDF-SHA256.
    Sha256,
    /// HKDF-SHA384.
    Sha384,
    /// HKDF-SHA512.
    Sha512,
}

impl EsdkSuite {
    /// The suites this harness writes, default first.
    pub const WRITABLE: [EsdkSuite; 2] = [EsdkSuite::CommitSign, EsdkSuite::Commit];

    /// The suite's id on the wire (two bytes, big-endian).
    pub fn id(self) -> u16 {
        match self {
            EsdkSuite::Commit => 0x0478,
            EsdkSuite::CommitSign => 0x0578,
            EsdkSuite::V1Hkdf => 0x0178,
            EsdkSuite::V1HkdfSign => 0x0378,
        }
    }

    /// The suite for a wire id, if this build knows it.
    pub fn from_id(id: u16) -> Option<EsdkSuite> {
        [
            EsdkSuite::Commit,
            EsdkSuite::CommitSign,
            EsdkSuite::V1Hkdf,
            EsdkSuite::V1HkdfSign,
        ]
        .into_iter()
        .find(|s| s.id() == id)
    }

    /// The name scenarios and reports use: the ESDK's own name in kebab case.
    pub fn name(self) -> &'static str {
        match self {
            EsdkSuite::Commit => "aes-256-gcm-hkdf-sha512-commit-key",
            EsdkSuite::CommitSign => "aes-256-gcm-hkdf-sha512-commit-key-ecdsa-p384",
            EsdkSuite::V1Hkdf => "aes-256-gcm-iv12-tag16-hkdf-sha256",
            EsdkSuite::V1HkdfSign => "aes-256-gcm-iv12-tag16-hkdf-sha384-ecdsa-p384",
        }
    }

    /// The suite a scenario names: its kebab-case name or its hex id (`"0x0578"`); only the
    /// suites this harness writes.
    pub fn parse(text: &str) -> Option<EsdkSuite> {
        let t = text.trim().to_ascii_lowercase();
        EsdkSuite::WRITABLE
            .into_iter()
            .find(|s| s.name() == t || format!("0x{:04x}", s.id()) == t)
    }

    /// The message format version the suite belongs to (1 or 2).
    pub fn message_version(self) -> u8 {
        match self {
            EsdkSuite::Commit | EsdkSuite::CommitSign => 2,
            EsdkSuite::V1Hkdf | EsdkSuite::V1HkdfSign => 1,
        }
    }

    /// Whether the message ends with an ECDSA P-384 signature footer.
    pub fn signed(self) -> bool {
        matches!(self, EsdkSuite::CommitSign | EsdkSuite::V1HkdfSign)
    }

    /// Whether the header carries a commitment key that opening must check.
    pub fn committing(self) -> bool {
        self.message_version() == 2
    }

    /// HKDF's hash for the data-encryption key.
    pub fn kdf(self) -> KdfHash {
        match self {
            EsdkSuite::Commit | EsdkSuite::CommitSign => KdfHash::Sha512,
            EsdkSuite::V1Hkdf => KdfHash::Sha256,
            EsdkSuite::V1HkdfSign => KdfHash::Sha384,
        }
    }

    /// Message id length: 32 bytes in version 2, 16 in version 1.
    pub fn message_id_len(self) -> usize {
        if self.message_version() == 2 {
            32
        } else {
            16
        }
    }
}

impl fmt::Display for EsdkSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (0x{:04X})", self.name(), self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_hex_ids_parse_to_the_writable_suites_only() {
        for s in EsdkSuite::WRITABLE {
            assert_eq!(EsdkSuite::parse(s.name()), Some(s));
            assert_eq!(EsdkSuite::parse(&format!("0x{:04X}", s.id())), Some(s));
            assert_eq!(EsdkSuite::from_id(s.id()), Some(s));
        }
        assert_eq!(EsdkSuite::parse("0x0578"), Some(EsdkSuite::CommitSign));
        assert_eq!(EsdkSuite::parse("0x0478"), Some(EsdkSuite::Commit));
        assert_eq!(EsdkSuite::parse("0x0178"), None, "version 1 is read only");
        assert_eq!(EsdkSuite::from_id(0x0178), Some(EsdkSuite::V1Hkdf));
        assert_eq!(EsdkSuite::from_id(0x0014), None);
    }
}
