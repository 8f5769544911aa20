//! The envelope path opens an ESDK message with several encrypted data keys as the ESDK's KMS
//! keyring does: the first `aws-kms` key that KMS decrypts opens it, whatever comes before, and
//! the service's own log shows each Decrypt tried.

use std::time::Duration;

use crate::common::*;
use kcb::path::envelope::esdk::{self, EsdkSuite};
use kcb::path::envelope::format::{DataKey, EncryptedDataKey, EncryptionContext, KMS_PROVIDER_ID};
use kcb::path::{EnvelopePath, OpenError, RecordFormat};

#[tokio::test]
async fn the_first_encrypted_key_kms_opens_is_used() {
    let w = World::new();
    let key = w.key("several keys").await;
    let context: EncryptionContext = [("purpose".to_string(), "kcb".to_string())].into();
    let out = w
        .producer
        .kms
        .generate_data_key(&key.arn, &context)
        .await
        .expect("GenerateDataKey");
    let real = EncryptedDataKey {
        provider_id: KMS_PROVIDER_ID.into(),
        key_id: out.key_arn.clone(),
        ciphertext: out.blob.clone(),
    };
    let foreign = EncryptedDataKey {
        provider_id: "raw-aes".into(),
        key_id: "wrapping key".into(),
        ciphertext: vec![9; 60],
    };
    // An aws-kms key KMS cannot decrypt (not a ciphertext of this service).
    let garbage = EncryptedDataKey {
        provider_id: KMS_PROVIDER_ID.into(),
        key_id: key.arn.clone(),
        ciphertext: vec![0xC5; 167],
    };
    let first = DataKey {
        plaintext: out.plaintext.clone(),
        encrypted: foreign,
    };
    let message = esdk::seal_for(
        EsdkSuite::Commit,
        4096,
        &first,
        &[garbage.clone(), real],
        &context,
        None,
        [4; 32],
        b"opened by the third key",
    )
    .expect("seal");
    let path = EnvelopePath::new(
        RecordFormat::Esdk {
            suite: EsdkSuite::Commit,
            frame_length: 4096,
        },
        key.arn.clone(),
        context.clone(),
        None,
        w.producer.kms.clone(),
        w.consumer.kms.clone(),
    );
    let decrypts = |ok: bool| {
        w.svc
            .control()
            .kms_calls()
            .iter()
            .filter(|c| c.op == "Decrypt" && c.ok == ok && c.principal == CONSUMER)
            .count()
    };
    let opened = path.open(&message, Duration::ZERO).await.expect("opens");
    assert_eq!(opened, b"opened by the third key");
    assert_eq!(
        (decrypts(false), decrypts(true)),
        (1, 1),
        "garbage tried, then the real key"
    );

    // With no aws-kms key KMS can open, the record is unreadable, not corrupted.
    let only_garbage = DataKey {
        plaintext: out.plaintext.clone(),
        encrypted: garbage,
    };
    let message = esdk::seal(
        EsdkSuite::Commit,
        4096,
        &only_garbage,
        &context,
        None,
        [5; 32],
        b"x",
    )
    .expect("seal");
    assert!(matches!(
        path.open(&message, Duration::ZERO).await,
        Err(OpenError::Unreadable(_))
    ));
}
