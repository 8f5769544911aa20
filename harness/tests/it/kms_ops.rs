//! Every KMS operation of the embedded service, through the real SDK: keys, aliases, data keys,
//! encryption contexts, the key lifecycle (disable, schedule deletion, cancel, delete), rotation,
//! and the shared request quota.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::*;

fn ctx(stream: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("aws:kinesis:arn".to_string(), stream.to_string())])
}

#[tokio::test]
async fn create_describe_list_keys_and_aliases() {
    let w = World::new();
    let a = w.key("first").await;
    let b = w.key("second").await;
    assert_eq!(a.state, "Enabled");
    assert_ne!(a.id, b.id);
    assert!(
        a.arn.starts_with("arn:aws:kms:us-east-1:111122223333:key/"),
        "{}",
        a.arn
    );
    assert!(a.arn.ends_with(&a.id));

    let keys = w.admin.kms.list_keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys.contains(&a.id) && keys.contains(&b.id));

    // DescribeKey by id, by ARN and by alias name all find the same key.
    w.admin
        .kms
        .create_alias("alias/bench", &a.id)
        .await
        .unwrap();
    for r in [
        a.id.as_str(),
        a.arn.as_str(),
        "alias/bench",
        "arn:aws:kms:us-east-1:111122223333:alias/bench",
    ] {
        let d = w.admin.kms.describe_key(r).await.unwrap();
        assert_eq!(
            (d.id.as_str(), d.state.as_str()),
            (a.id.as_str(), "Enabled"),
            "{r}"
        );
    }
    assert_eq!(
        w.admin.kms.list_aliases().await.unwrap(),
        [("alias/bench".to_string(), a.id.clone())]
    );

    assert_code(
        w.admin.kms.create_alias("alias/bench", &b.id).await,
        "AlreadyExistsException",
    );
    assert_code(
        w.admin.kms.create_alias("alias/aws/mine", &b.id).await,
        "NotAuthorizedException",
    );
    assert_code(
        w.admin.kms.create_alias("alias/other", "no-such-key").await,
        "NotFoundException",
    );
    assert_code(
        w.admin.kms.describe_key("alias/nothing").await,
        "NotFoundException",
    );
}

#[tokio::test]
async fn generate_data_key_then_decrypt_with_the_same_context() {
    let w = World::new();
    let key = w.key("k").await;
    let dk = w
        .producer
        .kms
        .generate_data_key(&key.id, &ctx("s1"))
        .await
        .unwrap();
    assert_eq!(dk.key_arn, key.arn);
    assert_eq!(dk.blob.len(), 167, "blob padded to AWS's length");
    assert_ne!(dk.plaintext.as_slice(), &[0u8; 32]);

    let plain = w
        .consumer
        .kms
        .decrypt_data_key(&dk.blob, &ctx("s1"))
        .await
        .unwrap();
    assert_eq!(plain.as_slice(), dk.plaintext.as_slice());

    // Two data keys are different keys.
    let other = w
        .producer
        .kms
        .generate_data_key(&key.id, &ctx("s1"))
        .await
        .unwrap();
    assert_ne!(other.plaintext.as_slice(), dk.plaintext.as_slice());
    assert_ne!(other.blob, dk.blob);
}

#[tokio::test]
async fn decrypt_with_a_wrong_context_is_invalid_ciphertext() {
    let w = World::new();
    let key = w.key("k").await;
    let dk = w
        .producer
        .kms
        .generate_data_key(&key.id, &ctx("s1"))
        .await
        .unwrap();
    assert_code(
        w.consumer.kms.decrypt_data_key(&dk.blob, &ctx("s2")).await,
        "InvalidCiphertextException",
    );
    assert_code(
        w.consumer
            .kms
            .decrypt_data_key(&dk.blob, &BTreeMap::new())
            .await,
        "InvalidCiphertextException",
    );

    let mut tampered = dk.blob.clone();
    tampered[45] ^= 1;
    assert_code(
        w.consumer.kms.decrypt_data_key(&tampered, &ctx("s1")).await,
        "InvalidCiphertextException",
    );
    assert_code(
        w.consumer
            .kms
            .decrypt(b"not a blob at all", &ctx("s1"))
            .await,
        "InvalidCiphertextException",
    );
}

#[tokio::test]
async fn encrypt_and_decrypt_round_trip() {
    let w = World::new();
    let key = w.key("k").await;
    let secret = payload(7, 4096);
    let sealed = w
        .producer
        .kms
        .encrypt(&key.id, &secret, &ctx("t"))
        .await
        .unwrap();
    assert!(
        !sealed.windows(32).any(|win| win == &secret[..32]),
        "ciphertext leaks plaintext"
    );
    let opened = w.consumer.kms.decrypt(&sealed, &ctx("t")).await.unwrap();
    assert_eq!(opened.as_slice(), secret.as_slice());
    assert_code(
        w.consumer.kms.decrypt(&sealed, &ctx("u")).await,
        "InvalidCiphertextException",
    );
    assert_code(
        w.producer
            .kms
            .encrypt(&key.id, &payload(1, 4097), &ctx("t"))
            .await,
        "ValidationException",
    );
}

#[tokio::test]
async fn disable_key_gives_disabled_exception_and_enable_key_restores_it() {
    let w = World::new();
    let key = w.key("k").await;
    let dk = w
        .producer
        .kms
        .generate_data_key(&key.id, &ctx("s"))
        .await
        .unwrap();

    w.admin.kms.disable_key(&key.id).await.unwrap();
    assert_eq!(
        w.admin.kms.describe_key(&key.id).await.unwrap().state,
        "Disabled"
    );
    assert_code(
        w.producer.kms.generate_data_key(&key.id, &ctx("s")).await,
        "DisabledException",
    );
    assert_code(
        w.producer.kms.encrypt(&key.id, b"x", &ctx("s")).await,
        "DisabledException",
    );
    assert_code(
        w.consumer.kms.decrypt_data_key(&dk.blob, &ctx("s")).await,
        "DisabledException",
    );

    w.admin.kms.enable_key(&key.id).await.unwrap();
    assert_eq!(
        w.admin.kms.describe_key(&key.id).await.unwrap().state,
        "Enabled"
    );
    let plain = w
        .consumer
        .kms
        .decrypt_data_key(&dk.blob, &ctx("s"))
        .await
        .unwrap();
    assert_eq!(plain.as_slice(), dk.plaintext.as_slice());
    w.producer
        .kms
        .generate_data_key(&key.id, &ctx("s"))
        .await
        .unwrap();
}

#[tokio::test]
async fn pending_deletion_is_invalid_state_and_cancel_returns_the_key_disabled() {
    let w = World::new();
    let key = w.key("k").await;
    let dk = w
        .producer
        .kms
        .generate_data_key(&key.id, &ctx("s"))
        .await
        .unwrap();

    assert_code(
        w.admin.kms.schedule_key_deletion(&key.id, 6).await,
        "ValidationException",
    );
    assert_code(
        w.admin.kms.schedule_key_deletion(&key.id, 31).await,
        "ValidationException",
    );
    w.admin.kms.schedule_key_deletion(&key.id, 7).await.unwrap();
    assert_eq!(
        w.admin.kms.describe_key(&key.id).await.unwrap().state,
        "PendingDeletion"
    );
    assert_code(
        w.producer.kms.generate_data_key(&key.id, &ctx("s")).await,
        "KMSInvalidStateException",
    );
    assert_code(
        w.consumer.kms.decrypt_data_key(&dk.blob, &ctx("s")).await,
        "KMSInvalidStateException",
    );
    assert_code(
        w.admin.kms.enable_key(&key.id).await,
        "KMSInvalidStateException",
    );
    assert_code(
        w.admin.kms.schedule_key_deletion(&key.id, 7).await,
        "KMSInvalidStateException",
    );

    w.admin.kms.cancel_key_deletion(&key.id).await.unwrap();
    assert_eq!(
        w.admin.kms.describe_key(&key.id).await.unwrap().state,
        "Disabled"
    );
    assert_code(
        w.producer.kms.generate_data_key(&key.id, &ctx("s")).await,
        "DisabledException",
    );
    assert_code(
        w.admin.kms.cancel_key_deletion(&key.id).await,
        "KMSInvalidStateException",
    );

    w.admin.kms.enable_key(&key.id).await.unwrap();
    let plain = w
        .consumer
        .kms
        .decrypt_data_key(&dk.blob, &ctx("s"))
        .await
        .unwrap();
    assert_eq!(plain.as_slice(), dk.plaintext.as_slice());
}

#[tokio::test]
async fn after_the_waiting_period_the_key_is_not_found_and_its_blobs_are_unreadable() {
    let w = World::new();
    w.svc.control().set_kms_day(Duration::from_secs(1));
    let key = w.key("k").await;
    w.admin
        .kms
        .create_alias("alias/doomed", &key.id)
        .await
        .unwrap();
    let dk = w
        .producer
        .kms
        .generate_data_key(&key.id, &ctx("s"))
        .await
        .unwrap();
    w.admin.kms.schedule_key_deletion(&key.id, 7).await.unwrap();

    // Seven "days" of one second each: still pending just before the end.
    w.advance(Duration::from_millis(6_900));
    assert_code(
        w.producer.kms.generate_data_key(&key.id, &ctx("s")).await,
        "KMSInvalidStateException",
    );
    w.advance(Duration::from_millis(200));

    assert_code(
        w.producer.kms.generate_data_key(&key.id, &ctx("s")).await,
        "NotFoundException",
    );
    assert_code(
        w.consumer.kms.decrypt_data_key(&dk.blob, &ctx("s")).await,
        "NotFoundException",
    );
    assert_code(w.admin.kms.describe_key(&key.id).await, "NotFoundException");
    assert_code(
        w.admin.kms.cancel_key_deletion(&key.id).await,
        "NotFoundException",
    );
    assert!(!w.admin.kms.list_keys().await.unwrap().contains(&key.id));
    assert!(
        w.admin.kms.list_aliases().await.unwrap().is_empty(),
        "the alias went with the key"
    );
}

#[tokio::test]
async fn key_rotation_can_be_enabled_and_read_back() {
    let w = World::new();
    let key = w.key("k").await;
    assert_eq!(
        w.admin.kms.key_rotation_status(&key.id).await.unwrap(),
        (false, None)
    );
    w.admin.kms.enable_key_rotation(&key.id, 180).await.unwrap();
    assert_eq!(
        w.admin.kms.key_rotation_status(&key.id).await.unwrap(),
        (true, Some(180))
    );
    assert_code(
        w.admin.kms.enable_key_rotation(&key.id, 89).await,
        "ValidationException",
    );
    assert_code(
        w.admin.kms.enable_key_rotation(&key.id, 2561).await,
        "ValidationException",
    );

    w.admin.kms.disable_key(&key.id).await.unwrap();
    assert_code(
        w.admin.kms.enable_key_rotation(&key.id, 365).await,
        "KMSInvalidStateException",
    );
}

#[tokio::test]
async fn exceeding_the_kms_quota_is_throttling_until_the_clock_moves() {
    let w = World::new();
    let key = w.key("k").await;
    w.svc.control().set_kms_quota(2.0);
    w.producer
        .kms
        .generate_data_key(&key.id, &ctx("s"))
        .await
        .unwrap();
    let blob = w
        .producer
        .kms
        .encrypt(&key.id, b"x", &ctx("s"))
        .await
        .unwrap();
    // The quota is shared by the cryptographic operations of every caller; key administration
    // has quotas of its own (KMS developer guide, "Request quotas"), so it is not throttled.
    assert_code(
        w.producer.kms.generate_data_key(&key.id, &ctx("s")).await,
        "ThrottlingException",
    );
    assert_code(
        w.consumer.kms.decrypt(&blob, &ctx("s")).await,
        "ThrottlingException",
    );
    assert!(w.admin.kms.describe_key(&key.id).await.is_ok());

    w.advance(Duration::from_millis(500));
    w.producer
        .kms
        .generate_data_key(&key.id, &ctx("s"))
        .await
        .unwrap();
    assert_code(
        w.producer.kms.generate_data_key(&key.id, &ctx("s")).await,
        "ThrottlingException",
    );

    // The service logs every call, refused ones too.
    let calls = w.svc.control().kms_calls();
    let refused = calls.iter().filter(|c| !c.ok).count();
    assert_eq!(refused, 3);
    assert!(
        calls.iter().all(|c| c.via_stream.is_none()),
        "direct calls only"
    );
}

#[tokio::test]
async fn unknown_keys_are_not_found() {
    let w = World::new();
    let ghost = "00000000-0000-0000-0000-000000000000";
    assert_code(w.admin.kms.describe_key(ghost).await, "NotFoundException");
    assert_code(w.admin.kms.enable_key(ghost).await, "NotFoundException");
    assert_code(w.admin.kms.disable_key(ghost).await, "NotFoundException");
    assert_code(
        w.admin.kms.schedule_key_deletion(ghost, 7).await,
        "NotFoundException",
    );
    assert_code(
        w.admin.kms.key_rotation_status(ghost).await,
        "NotFoundException",
    );
    assert_code(
        w.producer.kms.generate_data_key(ghost, &ctx("s")).await,
        "NotFoundException",
    );
    assert_code(
        w.producer.kms.encrypt(ghost, b"x", &ctx("s")).await,
        "NotFoundException",
    );
}

#[tokio::test]
async fn a_grant_lets_its_grantee_use_the_key_until_it_is_retired_or_revoked() {
    let w = World::new();
    let key = w.key("granted").await;
    // The consumer may not GenerateDataKey by policy; a grant lets it.
    assert_code(
        w.consumer
            .kms
            .generate_data_key(&key.id, &Default::default())
            .await,
        "AccessDeniedException",
    );
    let (id, token) = w
        .admin
        .kms
        .create_grant(&key.id, "consumer", &["GenerateDataKey"])
        .await
        .unwrap();
    w.consumer
        .kms
        .generate_data_key(&key.id, &Default::default())
        .await
        .unwrap();
    let grants = w.admin.kms.list_grants(&key.id).await.unwrap();
    assert_eq!(
        grants,
        vec![(
            id.clone(),
            "consumer".to_string(),
            vec!["GenerateDataKey".to_string()]
        )]
    );
    // Retired by its grantee, with its token.
    w.consumer.kms.retire_grant(&token).await.unwrap();
    assert_code(
        w.consumer
            .kms
            .generate_data_key(&key.id, &Default::default())
            .await,
        "AccessDeniedException",
    );
    assert_code(
        w.admin.kms.revoke_grant(&key.id, &id).await,
        "NotFoundException",
    );
    // Revoked by the admin.
    let (id, _) = w
        .admin
        .kms
        .create_grant(&key.id, "consumer", &["GenerateDataKey", "Decrypt"])
        .await
        .unwrap();
    w.admin.kms.revoke_grant(&key.id, &id).await.unwrap();
    assert_code(
        w.consumer
            .kms
            .generate_data_key(&key.id, &Default::default())
            .await,
        "AccessDeniedException",
    );
    assert!(w.admin.kms.list_grants(&key.id).await.unwrap().is_empty());
    // Without kms:CreateGrant, no grant; an unknown operation is refused.
    assert_code(
        w.producer
            .kms
            .create_grant(&key.id, "producer", &["Decrypt"])
            .await,
        "AccessDeniedException",
    );
    assert_code(
        w.admin
            .kms
            .create_grant(&key.id, "consumer", &["Sign"])
            .await,
        "ValidationException",
    );
}

#[tokio::test]
async fn rotation_adds_material_each_period_and_on_demand_and_old_blobs_stay_readable() {
    let w = World::new();
    w.svc.control().set_kms_day(Duration::from_secs(1));
    let key = w.key("rotating").await;
    let ctx = Default::default();
    let versions = || w.svc.control().key_material_versions(&key.id);
    // A blob sealed before any rotation; its material version is in the blob.
    let before = w
        .producer
        .kms
        .encrypt(&key.id, b"before", &ctx)
        .await
        .unwrap();
    w.admin.kms.enable_key_rotation(&key.id, 90).await.unwrap();
    w.advance(Duration::from_secs(89));
    assert!(w.admin.kms.key_rotations(&key.id).await.unwrap().is_empty());
    w.advance(Duration::from_secs(1));
    let rotations = w.admin.kms.key_rotations(&key.id).await.unwrap();
    assert_eq!(rotations.len(), 1, "one period passed: {rotations:?}");
    assert_eq!(rotations[0].1, "AUTOMATIC");
    assert_eq!(versions(), 2);
    // Two more periods at once: two more rotations, each at its own date.
    w.advance(Duration::from_secs(180));
    let rotations = w.admin.kms.key_rotations(&key.id).await.unwrap();
    assert_eq!(rotations.len(), 3);
    assert!(
        (rotations[2].0 - rotations[1].0 - 90.0).abs() < 1e-3,
        "{rotations:?}"
    );
    // On demand, then off: no more automatic rotations.
    w.admin.kms.rotate_on_demand(&key.id).await.unwrap();
    w.admin.kms.disable_key_rotation(&key.id).await.unwrap();
    w.advance(Duration::from_secs(1_000));
    let rotations = w.admin.kms.key_rotations(&key.id).await.unwrap();
    assert_eq!(
        rotations.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
        vec!["AUTOMATIC", "AUTOMATIC", "AUTOMATIC", "ON_DEMAND"]
    );
    assert_eq!(versions(), 5);
    // New blobs use the newest material; the first still decrypts with its own.
    let after = w
        .producer
        .kms
        .encrypt(&key.id, b"after", &ctx)
        .await
        .unwrap();
    assert_ne!(before[..40], after[..40]);
    assert_eq!(
        &w.consumer.kms.decrypt(&before, &ctx).await.unwrap()[..],
        b"before"
    );
    assert_eq!(
        &w.consumer.kms.decrypt(&after, &ctx).await.unwrap()[..],
        b"after"
    );
    // At most 10 on-demand rotations a key; none of a disabled key.
    for _ in 0..9 {
        w.admin.kms.rotate_on_demand(&key.id).await.unwrap();
    }
    assert_code(
        w.admin.kms.rotate_on_demand(&key.id).await,
        "LimitExceededException",
    );
    let other = w.key("disabled").await;
    w.admin.kms.disable_key(&other.id).await.unwrap();
    assert_code(
        w.admin.kms.rotate_on_demand(&other.id).await,
        "KMSInvalidStateException",
    );
}
