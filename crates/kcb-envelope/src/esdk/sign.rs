//! The signature of signing suites: ECDSA P-384 over SHA-384 of the header, header
//! authentication and body, DER-encoded in the footer; the public key travels in the encryption
//! context as `aws-crypto-public-key` (base64 of the compressed point).
//!
//! Like the ESDK, every signature is made exactly [`SIGNATURE_LEN`] bytes long, so a message's
//! length is a function of its plaintext alone: a DER signature whose length differs is fixed by
//! replacing `s` with `n - s` (also a valid signature), and signed again if that is not enough.

use aws_lc_rs::digest::{Context, Digest, SHA384};
use aws_lc_rs::encoding::{AsBigEndian, EcPublicKeyCompressedBin};
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P384_SHA384_ASN1,
    ECDSA_P384_SHA384_ASN1_SIGNING,
};
use base64::Engine as _;

use super::super::format::EnvelopeError;

/// The encryption-context key that carries the public key.
pub const PUBLIC_KEY_CONTEXT_KEY: &str = "aws-crypto-public-key";
/// Length of a footer signature, in bytes (the ESDK's fixed length for P-384).
pub const SIGNATURE_LEN: usize = 103;
/// Length of the base64 public key in the context: 49 compressed-point bytes, 68 characters.
pub const PUBLIC_KEY_B64_LEN: usize = 68;

/// The order n of the P-384 group, big-endian.
const P384_ORDER: [u8; 48] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf,
    0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
];

/// A message signing key: an ECDSA P-384 key pair (its private half is wiped by aws-lc when
/// dropped), made for one message or for one cached set of materials.
pub struct Signer {
    pair: EcdsaKeyPair,
    public_b64: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("public_key", &self.public_b64)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A fresh key pair.
    pub fn generate() -> Result<Signer, EnvelopeError> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P384_SHA384_ASN1_SIGNING)
            .map_err(|_| EnvelopeError::Seal("ECDSA P-384 key generation"))?;
        let compressed: EcPublicKeyCompressedBin<'_> = pair
            .public_key()
            .as_be_bytes()
            .map_err(|_| EnvelopeError::Seal("ECDSA P-384 public key encoding"))?;
        let public_b64 = base64::engine::general_purpose::STANDARD.encode(compressed.as_ref());
        Ok(Signer { pair, public_b64 })
    }

    /// The value of `aws-crypto-public-key`: base64 of the compressed public point.
    pub fn public_key_b64(&self) -> &str {
        &self.public_b64
    }

    /// A [`SIGNATURE_LEN`]-byte DER signature of `digest` (SHA-384 of the signed bytes).
    pub fn sign(&self, digest: &Digest) -> Result<Vec<u8>, EnvelopeError> {
        for _ in 0..64 {
            let sig = self
                .pair
                .sign_digest(digest)
                .map_err(|_| EnvelopeError::Seal("ECDSA P-384 signature"))?;
            let sig = sig.as_ref().to_vec();
            if sig.len() == SIGNATURE_LEN {
                return Ok(sig);
            }
            if let Some(fixed) = negate_s(&sig).filter(|s| s.len() == SIGNATURE_LEN) {
                return Ok(fixed);
            }
        }
        Err(EnvelopeError::Seal(
            "ECDSA P-384 signature of the fixed length",
        ))
    }
}

/// A SHA-384 context over the bytes a signature covers.
pub fn digest_context() -> Context {
    Context::new(&SHA384)
}

/// Checks `signature` over `digest` with the base64 compressed public key from the context.
pub fn verify(public_b64: &str, digest: &Digest, signature: &[u8]) -> Result<(), EnvelopeError> {
    let public = base64::engine::general_purpose::STANDARD
        .decode(public_b64)
        .map_err(|_| {
            EnvelopeError::Malformed(format!("{PUBLIC_KEY_CONTEXT_KEY} is not valid base64"))
        })?;
    UnparsedPublicKey::new(&ECDSA_P384_SHA384_ASN1, &public)
        .verify_digest(digest, signature)
        .map_err(|_| EnvelopeError::Signature)
}

/// The same signature with `s` replaced by `n - s`, DER-encoded; `None` if `der` is not a
/// well-formed P-384 signature.
fn negate_s(der: &[u8]) -> Option<Vec<u8>> {
    let (r, s) = parse_der(der)?;
    let s = left_pad(s)?;
    let mut out = [0u8; 48];
    let mut borrow = 0i16;
    for i in (0..48).rev() {
        let d = i16::from(P384_ORDER[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(d < 0);
        out[i] = (d + 256 * borrow) as u8;
    }
    if borrow != 0 {
        return None;
    }
    Some(encode_der(r, &out))
}

/// `r` and `s` of a DER `SEQUENCE { INTEGER r, INTEGER s }` (short-form lengths only, as P-384's
/// are), each as the integer's content bytes.
fn parse_der(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&len, body) = rest.split_first()?;
    if tag != 0x30 || len >= 0x80 || usize::from(len) != body.len() {
        return None;
    }
    let (r, rest) = der_integer(body)?;
    let (s, rest) = der_integer(rest)?;
    rest.is_empty().then_some((r, s))
}

fn der_integer(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&len, rest) = rest.split_first()?;
    if tag != 0x02 || len >= 0x80 || rest.len() < usize::from(len) {
        return None;
    }
    Some(rest.split_at(usize::from(len)))
}

/// A DER integer's content as 48 big-endian bytes.
fn left_pad(v: &[u8]) -> Option<[u8; 48]> {
    let v = match v.iter().position(|&b| b != 0) {
        Some(i) => &v[i..],
        None => &[],
    };
    let mut out = [0u8; 48];
    out.get_mut(48usize.checked_sub(v.len())?..)?
        .copy_from_slice(v);
    Some(out)
}

fn encode_der(r: &[u8], s: &[u8; 48]) -> Vec<u8> {
    fn integer(out: &mut Vec<u8>, v: &[u8]) {
        let first = v
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(v.len().saturating_sub(1));
        let v = &v[first..];
        let pad = v.first().is_some_and(|&b| b >= 0x80);
        out.push(0x02);
        out.push((v.len() + usize::from(pad)) as u8);
        if pad {
            out.push(0);
        }
        out.extend_from_slice(v);
    }
    let mut body = Vec::with_capacity(104);
    integer(&mut body, r);
    integer(&mut body, s);
    let mut out = Vec::with_capacity(body.len() + 2);
    out.push(0x30);
    out.push(body.len() as u8);
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_of(bytes: &[u8]) -> Digest {
        let mut c = digest_context();
        c.update(bytes);
        c.finish()
    }

    #[test]
    fn every_signature_has_the_fixed_length_and_verifies() {
        let signer = Signer::generate().expect("key");
        assert_eq!(signer.public_key_b64().len(), PUBLIC_KEY_B64_LEN);
        for i in 0..40u32 {
            let d = digest_of(&i.to_be_bytes());
            let sig = signer.sign(&d).expect("signature");
            assert_eq!(sig.len(), SIGNATURE_LEN);
            verify(signer.public_key_b64(), &d, &sig).expect("verifies");
            let other = digest_of(&(i + 1000).to_be_bytes());
            assert_eq!(
                verify(signer.public_key_b64(), &other, &sig),
                Err(EnvelopeError::Signature)
            );
        }
    }

    #[test]
    fn negating_s_gives_another_valid_signature() {
        let signer = Signer::generate().expect("key");
        let d = digest_of(b"negate");
        let sig = signer.pair.sign_digest(&d).expect("sig").as_ref().to_vec();
        let neg = negate_s(&sig).expect("negated");
        assert_ne!(neg, sig);
        verify(signer.public_key_b64(), &d, &neg).expect("n - s verifies");
        assert_eq!(negate_s(&neg), Some(sig), "negating twice is the identity");
    }

    #[test]
    fn malformed_der_is_refused_without_panic() {
        for bad in [&[][..], &[0x30], &[0x30, 0x03, 0x02, 0x01], &[0x31, 0x00]] {
            assert_eq!(negate_s(bad), None);
        }
    }
}
