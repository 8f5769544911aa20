//! What sealing and opening a record costs on the client-side envelope path, per AEAD and
//! record size, against copying the plaintext: `cargo bench --bench envelope`.
//! (The harness's own runs measure what the whole path costs through Kinesis.)

use std::collections::BTreeMap;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
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

fn seal_open(c: &mut Criterion) {
    let key = key();
    let ctx = BTreeMap::from([("purpose".to_string(), "bench".to_string())]);
    for size in [64usize, 1024, 16 * 1024, 256 * 1024, 1024 * 1024 - 512] {
        let plaintext = vec![0x5au8; size];
        let mut g = c.benchmark_group(format!("envelope/{size}B"));
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function("copy (plaintext path)", |b| b.iter(|| plaintext.clone()));
        for suite in [Suite::Aes256Gcm, Suite::ChaCha20Poly1305] {
            g.bench_with_input(
                BenchmarkId::new("seal", suite.name()),
                &plaintext,
                |b, p| b.iter(|| format::seal(suite, &key, &ctx, [3u8; 12], p).expect("seal")),
            );
            let sealed = format::seal(suite, &key, &ctx, [3u8; 12], &plaintext).expect("seal");
            g.bench_with_input(BenchmarkId::new("open", suite.name()), &sealed, |b, m| {
                b.iter(|| format::open(m, &key.plaintext, &ctx).expect("open"))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, seal_open);
criterion_main!(benches);
