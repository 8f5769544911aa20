//! A sample fleet to audit: one stream of each protection, built through the SDK clients as the
//! admin, every resource tagged `created-by=kinesis-crypto-bench`. `audit` builds it on the
//! embedded service (which starts empty) and, with `--sample-fleet`, at an endpoint.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::backend::{BackendError, FirehoseDestination, FirehoseKey, FirehoseSource, Principal};
use crate::driver::kinesis::wait_for;
use crate::driver::CREATED_BY;
use crate::keypolicy::{restrictive_policy, root_statement};

/// The fleet's stream names (Kinesis, then Firehose), with the protection each is built with.
pub const STREAMS: [(&str, &str); 10] = [
    ("kcb-audit-plain", "kinesis: encryption off"),
    ("kcb-audit-aws-managed", "kinesis: alias/aws/kinesis"),
    (
        "kcb-audit-cmk",
        "kinesis: customer-managed key, rotation on, restrictive policy",
    ),
    (
        "kcb-audit-cmk-no-rotation",
        "kinesis: customer-managed key, rotation off",
    ),
    (
        "kcb-audit-cmk-open-policy",
        "kinesis: customer-managed key, a key policy open to \"*\"",
    ),
    (
        "kcb-audit-cmk-pending-deletion",
        "kinesis: customer-managed key scheduled for deletion",
    ),
    (
        "kcb-audit-fh-aws-owned",
        "firehose: AWS-owned key, destination without SSE-KMS",
    ),
    ("kcb-audit-fh-none", "firehose: encryption off"),
    ("kcb-audit-fh-cmk", "firehose: customer-managed key"),
    ("kcb-audit-fh-from-stream", "firehose: reads kcb-audit-cmk"),
];

const BUCKET: &str = "kcb-audit-destination";

fn tags() -> BTreeMap<String, String> {
    BTreeMap::from([
        (CREATED_BY.0.to_owned(), CREATED_BY.1.to_owned()),
        ("kcb-run".to_owned(), "audit-sample".to_owned()),
    ])
}

async fn stream(admin: &Principal, name: &str, key: Option<&str>) -> Result<String, BackendError> {
    admin.kinesis.create_stream(name, 1, false).await?;
    wait_for(admin, name, |_| true).await?;
    admin.kinesis.add_tags(name, &tags()).await?;
    if let Some(k) = key {
        admin.kinesis.start_encryption(name, k).await?;
        wait_for(admin, name, |i| i.encryption == "KMS").await?;
    }
    Ok(admin.kinesis.describe(name).await?.arn.unwrap_or_default())
}

async fn key(
    admin: &Principal,
    what: &str,
    policy: &str,
    rotate: bool,
) -> Result<String, BackendError> {
    let k = admin
        .kms
        .create_key_tagged(&format!("kcb audit sample: {what}"), &tags(), Some(policy))
        .await?;
    if rotate {
        admin.kms.enable_key_rotation(&k.arn, 365).await?;
    }
    Ok(k.arn)
}

async fn delivery(
    admin: &Principal,
    name: &str,
    source: &FirehoseSource,
    key: Option<&FirehoseKey>,
    role_arn: &str,
    destination_key: Option<&str>,
) -> Result<(), BackendError> {
    let destination = FirehoseDestination {
        bucket_arn: format!("arn:aws:s3:::{BUCKET}"),
        role_arn: role_arn.to_owned(),
        prefix: format!("{name}/"),
        size_mib: 1,
        interval_secs: 60,
        kms_key_arn: destination_key.map(str::to_owned),
    };
    let t = tags();
    let t: Vec<(&str, &str)> = t.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    admin
        .firehose
        .create_to(name, source, key, Some(&destination), &t)
        .await?;
    for _ in 0..600 {
        if admin.firehose.describe(name).await?.status == "ACTIVE" {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(BackendError::new(
        "DescribeDeliveryStream",
        "Timeout",
        format!("{name} did not become ACTIVE"),
    ))
}

/// Build the fleet; `users` are the key users the restrictive policies name.
pub async fn build(admin: &Principal, region: &str, users: &[String]) -> Result<(), BackendError> {
    let me = admin.sts.caller_identity().await?;
    let account = me.account.clone();
    let admins = vec![me.policy_principal()];
    let good = restrictive_policy(&account, &admins, users);
    let open = serde_json::to_string_pretty(&json!({
        "Version": "2012-10-17",
        "Statement": [root_statement(&account), {
            "Sid": "Anyone may decrypt", "Effect": "Allow", "Principal": "*",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
        }],
    }))
    .unwrap_or_default();
    stream(admin, "kcb-audit-plain", None).await?;
    stream(admin, "kcb-audit-aws-managed", Some("alias/aws/kinesis")).await?;
    let cmk = key(admin, "kcb-audit-cmk", &good, true).await?;
    let cmk_arn_stream = stream(admin, "kcb-audit-cmk", Some(&cmk)).await?;
    let k = key(admin, "kcb-audit-cmk-no-rotation", &good, false).await?;
    stream(admin, "kcb-audit-cmk-no-rotation", Some(&k)).await?;
    let k = key(admin, "kcb-audit-cmk-open-policy", &open, true).await?;
    stream(admin, "kcb-audit-cmk-open-policy", Some(&k)).await?;
    let k = key(admin, "kcb-audit-cmk-pending-deletion", &good, true).await?;
    stream(admin, "kcb-audit-cmk-pending-deletion", Some(&k)).await?;
    admin.kms.schedule_key_deletion(&k, 7).await?;
    admin.s3.create_bucket(BUCKET, region).await?;
    let role = format!(
        "arn:aws:iam::{account}:role/{}",
        crate::emulator::iam::DELIVERY
    );
    let direct = FirehoseSource::DirectPut;
    delivery(
        admin,
        "kcb-audit-fh-aws-owned",
        &direct,
        Some(&FirehoseKey::AwsOwned),
        &role,
        None,
    )
    .await?;
    delivery(
        admin,
        "kcb-audit-fh-none",
        &direct,
        None,
        &role,
        Some("alias/aws/s3"),
    )
    .await?;
    let k = key(admin, "kcb-audit-fh-cmk", &good, true).await?;
    delivery(
        admin,
        "kcb-audit-fh-cmk",
        &direct,
        Some(&FirehoseKey::CustomerManaged(k.clone())),
        &role,
        Some(&k),
    )
    .await?;
    let from = FirehoseSource::KinesisStream {
        stream_arn: cmk_arn_stream,
        role_arn: role.clone(),
    };
    delivery(
        admin,
        "kcb-audit-fh-from-stream",
        &from,
        None,
        &role,
        Some(&cmk),
    )
    .await?;
    Ok(())
}
