use proptest::prelude::*;
use zeroize::Zeroizing;

use super::*;
use crate::format::KMS_PROVIDER_ID;

/// A real KMS key ARN shape: 75 bytes.
const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn data_key(byte: u8) -> DataKey {
    DataKey {
        plaintext: Zeroizing::new([byte; KEY_LEN]),
        encrypted: EncryptedDataKey {
            provider_id: KMS_PROVIDER_ID.into(),
            key_id: ARN.into(),
            ciphertext: vec![0xC5; 167],
        },
    }
}

fn base() -> EncryptionContext {
    [("purpose".to_string(), "kcb".to_string())].into()
}

/// A sealed message, its stored context and plaintext.
fn sealed(suite: EsdkSuite, frame: u32, len: usize, seed: u8) -> (Vec<u8>, Vec<u8>) {
    let signer = suite.signed().then(|| Signer::generate().expect("signer"));
    let ctx = stored_context(&base(), signer.as_ref());
    let plaintext: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect();
    let m = seal(
        suite,
        frame,
        &data_key(7),
        &ctx,
        signer.as_ref(),
        [seed; 32],
        &plaintext,
    )
    .expect("seal");
    (m, plaintext)
}

fn open_with(message: &[u8], byte: u8) -> Result<Vec<u8>, EnvelopeError> {
    let parsed = header::parse(message)?;
    open(message, &parsed, &[byte; KEY_LEN])
}

#[test]
fn both_suites_round_trip_at_every_frame_boundary_and_their_length_is_the_formula() {
    for suite in EsdkSuite::WRITABLE {
        for frame in [1u32, 16, 100, DEFAULT_FRAME_LENGTH] {
            let f = frame as usize;
            for len in [0, 1, f - 1, f, f + 1, 2 * f, 3 * f + 7] {
                let (m, p) = sealed(suite, frame, len, 3);
                let ctx = sized_context(suite, &base());
                let keys = [data_key(7).encrypted];
                assert_eq!(
                    m.len() as u64,
                    message_len(suite, frame, &ctx, &keys, len as u64),
                    "{suite} frame {frame} len {len}"
                );
                assert_eq!(open_with(&m, 7).expect("opens"), p);
                let parsed = header::parse(&m).expect("parses");
                assert_eq!(parsed.header.suite, suite);
                assert_eq!(parsed.header.frame_length, frame);
                assert_eq!(parsed.header.encrypted_keys, keys);
            }
        }
    }
}

#[test]
fn the_worked_example_of_the_format_document() {
    // docs/envelope-format.md: 1,024 B, context purpose=kcb, a 75-byte ARN, a 167-byte blob.
    let keys = [data_key(7).encrypted];
    let commit = message_len(EsdkSuite::Commit, 4096, &base(), &keys, 1024) - 1024;
    let signed = message_len(
        EsdkSuite::CommitSign,
        4096,
        &sized_context(EsdkSuite::CommitSign, &base()),
        &keys,
        1024,
    ) - 1024;
    // header 1+2+32+2 + (2+4+7+3) + 2+(6+7+75+167) + 1+4+32 = 347, tag 16, final frame 40.
    assert_eq!(commit, 347 + 16 + 40);
    // plus the public key pair (4+21+68) and the footer (2+103).
    assert_eq!(signed, commit + 93 + 105);
}

#[test]
fn an_exact_multiple_of_the_frame_ends_with_an_empty_final_frame() {
    let (m, _) = sealed(EsdkSuite::Commit, 16, 32, 1);
    let parsed = header::parse(&m).expect("parses");
    // Two regular frames of 16 + 32 bytes each, then the final frame: marker, seq 3, IV, len 0.
    let fin = parsed.body_start + 2 * (16 + body::REGULAR_FRAME_OVERHEAD);
    assert_eq!(&m[fin..fin + 4], &[0xFF; 4]);
    assert_eq!(&m[fin + 4..fin + 8], &3u32.to_be_bytes());
    assert_eq!(&m[fin + 20..fin + 24], &0u32.to_be_bytes());
}

#[test]
fn the_wrong_key_fails_the_commitment_before_any_frame() {
    for suite in EsdkSuite::WRITABLE {
        let (m, _) = sealed(suite, 64, 100, 9);
        assert_eq!(open_with(&m, 8), Err(EnvelopeError::Commitment));
    }
}

#[test]
fn reordered_frames_are_refused() {
    let (mut m, _) = sealed(EsdkSuite::Commit, 16, 40, 2);
    let start = header::parse(&m).expect("parses").body_start;
    let n = 16 + body::REGULAR_FRAME_OVERHEAD;
    let (a, b) = (start..start + n, start + n..start + 2 * n);
    let first = m[a.clone()].to_vec();
    let second = m[b.clone()].to_vec();
    m[a].copy_from_slice(&second);
    m[b].copy_from_slice(&first);
    assert!(matches!(open_with(&m, 7), Err(EnvelopeError::Malformed(_))));
}

#[test]
fn a_swapped_context_is_refused_by_the_header_tag() {
    let (m, _) = sealed(EsdkSuite::Commit, 4096, 10, 4);
    // "kcb" -> "kcc": same length, so the header still parses.
    let at = m
        .windows(3)
        .position(|w| w == b"kcb")
        .expect("context value");
    let mut bad = m.clone();
    bad[at + 2] = b'c';
    assert_eq!(open_with(&bad, 7), Err(EnvelopeError::Authentication));
}

#[test]
fn a_signature_from_another_key_is_refused() {
    let (m, _) = sealed(EsdkSuite::CommitSign, 4096, 10, 5);
    let (other, _) = sealed(EsdkSuite::CommitSign, 4096, 10, 5);
    let mut bad = m.clone();
    let n = bad.len();
    bad[n - 103..].copy_from_slice(&other[other.len() - 103..]);
    assert_eq!(open_with(&bad, 7), Err(EnvelopeError::Signature));
}

#[test]
fn version_1_and_unknown_suites_are_named() {
    let (mut m, _) = sealed(EsdkSuite::Commit, 4096, 10, 6);
    m[1..3].copy_from_slice(&0x0014u16.to_be_bytes());
    assert_eq!(
        header::parse(&m).map(|_| ()),
        Err(EnvelopeError::UnknownEsdkSuite(0x0014))
    );
    m[0] = 3;
    assert_eq!(
        header::parse(&m).map(|_| ()),
        Err(EnvelopeError::UnknownVersion(3))
    );
}

#[test]
fn several_encrypted_data_keys_are_written_and_read_in_order() {
    let key = data_key(7);
    let raw = EncryptedDataKey {
        provider_id: "raw-aes".into(),
        // A raw keyring's provider info is binary; the reader keeps it lossily.
        key_id: String::from_utf8_lossy(&[0xff, 0x00, 0x80]).into_owned(),
        ciphertext: vec![1; 60],
    };
    let other_kms = EncryptedDataKey {
        provider_id: KMS_PROVIDER_ID.into(),
        key_id: ARN.replace("1234abcd", "99999999"),
        ciphertext: vec![2; 167],
    };
    let others = [raw.clone(), other_kms.clone()];
    let m = seal_for(
        EsdkSuite::Commit,
        4096,
        &key,
        &others,
        &base(),
        None,
        [1; 32],
        b"three keys",
    )
    .expect("seal");
    let parsed = header::parse(&m).expect("parses");
    let keys = &parsed.header.encrypted_keys;
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[0], key.encrypted);
    assert_eq!(keys[2], other_kms);
    assert_eq!(keys[1].provider_id, "raw-aes");
    let all = [key.encrypted.clone(), raw, other_kms];
    assert_eq!(
        m.len() as u64,
        message_len(EsdkSuite::Commit, 4096, &base(), &all, 10)
    );
    assert_eq!(
        open(&m, &parsed, &[7; KEY_LEN]).expect("opens"),
        b"three keys"
    );
}

#[test]
fn the_largest_plaintext_within_a_limit_is_exact() {
    let ctx = sized_context(EsdkSuite::CommitSign, &base());
    let keys = [data_key(7).encrypted];
    for limit in [1_048_576u64, 5000, 700] {
        let p =
            max_plaintext_within(EsdkSuite::CommitSign, 4096, &ctx, &keys, limit).expect("fits");
        assert!(message_len(EsdkSuite::CommitSign, 4096, &ctx, &keys, p) <= limit);
        assert!(message_len(EsdkSuite::CommitSign, 4096, &ctx, &keys, p + 1) > limit);
    }
    assert_eq!(
        max_plaintext_within(EsdkSuite::CommitSign, 4096, &ctx, &keys, 100),
        None
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_flipped_bit_is_rejected(
        len in 0usize..300,
        frame in prop::sample::select(vec![16u32, 64, 4096]),
        signed in any::<bool>(),
        pick in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let suite = if signed { EsdkSuite::CommitSign } else { EsdkSuite::Commit };
        let (mut m, _) = sealed(suite, frame, len, 11);
        let i = pick.index(m.len());
        m[i] ^= 1 << bit;
        prop_assert!(open_with(&m, 7).is_err(), "bit {} of byte {} flipped, still opened", bit, i);
    }

    #[test]
    fn any_truncation_is_rejected(len in 0usize..300, cut in any::<prop::sample::Index>(), signed in any::<bool>()) {
        let suite = if signed { EsdkSuite::CommitSign } else { EsdkSuite::Commit };
        let (m, _) = sealed(suite, 64, len, 12);
        let keep = cut.index(m.len());
        prop_assert!(open_with(&m[..keep], 7).is_err());
        let mut longer = m.clone();
        longer.push(0);
        prop_assert_eq!(open_with(&longer, 7), Err(EnvelopeError::TrailingBytes { extra: 1 }));
    }

    #[test]
    fn no_input_panics_the_parser(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = open_with(&bytes, 7);
        let mut v2 = vec![2u8, 0x04, 0x78];
        v2.extend_from_slice(&bytes);
        let _ = open_with(&v2, 7);
        let mut v1 = vec![1u8, 0x80, 0x01, 0x78];
        v1.extend_from_slice(&bytes);
        let _ = open_with(&v1, 7);
    }
}
