//! What sealing and opening a record costs on the client-side envelope path, per format, suite
//! and record size, against copying the plaintext: `cargo bench --bench envelope`.
//! (The harness's own runs measure what the whole path costs through Kinesis.)
//!
//! - `esdk/<size>`: AWS Encryption SDK messages, suites 0x0478 and 0x0578; `seal` reuses one
//!   signing key (a cache hit), `seal+keypair` makes a P-384 key pair per record as a run
//!   without a data-key cache does, so the signature's cost per record is visible.
//! - `compact/<size>`: the compact format, AES-256-GCM and ChaCha20-Poly1305, per AEAD backend
//!   (aws-lc-rs, RustCrypto), header included.
//! - `aead/<size>`: the AEAD alone per backend and suite (what `openssl speed -evp` measures; see
//!   `scripts/compare-aead.sh`).
//! - `esdk-parts`: the ESDK suites' other primitives alone, from aws-lc-rs: an ECDSA P-384 key
//!   pair, a signature and a verification of a SHA-384 digest (what `openssl speed ecdsap384`
//!   measures), and a message's HKDF derivation (HKDF-SHA512 with the commitment key, suite
//!   0x0578; HKDF-SHA384, 0x0378 (read only); HKDF-SHA256, 0x0178 (read only)).

use std::collections::BTreeMap;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kcb::path::envelope::aead::{self, AeadBackend};
use kcb::path::envelope::esdk::{self, EsdkSuite, Signer};
use kcb::path::envelope::format::{self, DataKey, EncryptedDataKey, Suite, KMS_PROVIDER_ID};
use zeroize::Zeroizing;

fn key() -> DataKey {
    DataKey {
        plaintext: Zeroizing::new([7u8; 32]),
        encrypted: EncryptedDataKey {
            provider_id: KMS_PROVIDER_ID.into(),
            key_id: "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"
                .into(),
            ciphertext: vec![1u8; 167],
        },
    }
}

fn esdk_seal_open(c: &mut Criterion) {
    let key = key();
    let base = BTreeMap::from([("purpose".to_string(), "bench".to_string())]);
    for size in [64usize, 1024, 64 * 1024, 1024 * 1024] {
        let plaintext = vec![0x5au8; size];
        let mut g = c.benchmark_group(format!("esdk/{size}B"));
        g.throughput(Throughput::Bytes(size as u64));
        if size >= 64 * 1024 {
            g.sample_size(20);
        }
        for suite in EsdkSuite::WRITABLE {
            let signer = suite.signed().then(|| Signer::generate().expect("signer"));
            let ctx = esdk::stored_context(&base, signer.as_ref());
            let seal = |signer: Option<&Signer>, ctx: &BTreeMap<String, String>| {
                esdk::seal(suite, 4096, &key, ctx, signer, [3u8; 32], &plaintext).expect("seal")
            };
            g.bench_function(BenchmarkId::new("seal", suite.name()), |b| {
                b.iter(|| seal(signer.as_ref(), &ctx))
            });
            if suite.signed() {
                g.bench_function(BenchmarkId::new("seal+keypair", suite.name()), |b| {
                    b.iter(|| {
                        let s = Signer::generate().expect("signer");
                        seal(Some(&s), &esdk::stored_context(&base, Some(&s)))
                    })
                });
            }
            let sealed = seal(signer.as_ref(), &ctx);
            g.bench_function(BenchmarkId::new("open", suite.name()), |b| {
                b.iter(|| {
                    let parsed = esdk::header::parse(&sealed).expect("parse");
                    esdk::open(&sealed, &parsed, &key.plaintext).expect("open")
                })
            });
        }
        g.finish();
    }
}

fn compact_seal_open(c: &mut Criterion) {
    let key = key();
    let ctx = BTreeMap::from([("purpose".to_string(), "bench".to_string())]);
    for size in [64usize, 1024, 16 * 1024, 256 * 1024, 1024 * 1024 - 512] {
        let plaintext = vec![0x5au8; size];
        let mut g = c.benchmark_group(format!("compact/{size}B"));
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function("copy (plaintext path)", |b| b.iter(|| plaintext.clone()));
        for backend in AeadBackend::ALL {
            for suite in Suite::ALL {
                let id = format!("{suite}/{backend}");
                g.bench_with_input(BenchmarkId::new("seal", &id), &plaintext, |b, p| {
                    b.iter(|| {
                        format::seal_with(backend, suite, &key, &ctx, [3u8; 12], p).expect("seal")
                    })
                });
                let sealed = format::seal_with(backend, suite, &key, &ctx, [3u8; 12], &plaintext)
                    .expect("seal");
                g.bench_with_input(BenchmarkId::new("open", &id), &sealed, |b, m| {
                    b.iter(|| format::open_with(backend, m, &key.plaintext, &ctx).expect("open"))
                });
            }
        }
        g.finish();
    }
}

/// The AEAD alone, a fresh key schedule per call as the envelope path makes per record.
fn aead_seal_open(c: &mut Criterion) {
    let key = [7u8; 32];
    let nonce = [3u8; 12];
    let aad = [0u8; 13];
    for size in [64usize, 1024, 16 * 1024, 64 * 1024, 1024 * 1024] {
        let plaintext = vec![0x5au8; size];
        let mut g = c.benchmark_group(format!("aead/{size}B"));
        g.throughput(Throughput::Bytes(size as u64));
        if size >= 64 * 1024 {
            g.sample_size(30);
        }
        for backend in AeadBackend::ALL {
            for suite in Suite::ALL {
                let id = format!("{suite}/{backend}");
                g.bench_with_input(BenchmarkId::new("seal", &id), &plaintext, |b, p| {
                    b.iter(|| aead::seal(backend, suite, &key, &nonce, &aad, p).expect("seal"))
                });
                let sealed = aead::seal(backend, suite, &key, &nonce, &aad, &plaintext).unwrap();
                g.bench_with_input(BenchmarkId::new("open", &id), &sealed, |b, m| {
                    b.iter(|| aead::open(backend, suite, &key, &nonce, &aad, m).expect("open"))
                });
            }
        }
        g.finish();
    }
}

fn esdk_parts(c: &mut Criterion) {
    use kcb::path::envelope::esdk::{kdf, sign};
    let mut g = c.benchmark_group("esdk-parts");
    let signer = Signer::generate().expect("signer");
    let mut ctx = sign::digest_context();
    ctx.update(&[0x5au8; 1024]);
    let digest = ctx.finish();
    let signature = signer.sign(&digest).expect("sign");
    g.bench_function("p384/keypair", |b| {
        b.iter(|| Signer::generate().expect("signer"))
    });
    g.bench_function("p384/sign", |b| {
        b.iter(|| signer.sign(&digest).expect("sign"))
    });
    g.bench_function("p384/verify", |b| {
        b.iter(|| sign::verify(signer.public_key_b64(), &digest, &signature).expect("verify"))
    });
    let data_key = [7u8; 32];
    let message_id = [9u8; 32];
    for id in [0x0578u16, 0x0378, 0x0178] {
        let suite = EsdkSuite::from_id(id).expect("suite");
        g.bench_function(BenchmarkId::new("hkdf", format!("{id:04x}")), |b| {
            b.iter(|| kdf::derive(suite, &data_key, &message_id).expect("derive"))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    esdk_seal_open,
    compact_seal_open,
    aead_seal_open,
    esdk_parts
);
criterion_main!(benches);
