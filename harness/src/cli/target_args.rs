//! The target flags `run`, `cleanup` and `audit` share: `--target`, `--endpoint-url`,
//! `--region`, `--role`.

use crate::runner::target::TargetFlags;

/// Where a command goes, as its flags say.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// Where to go: `embedded` (the default: the embedded service, or --endpoint-url with the
    /// harness's principals) or `aws` (credentials, profiles and region from the standard AWS
    /// configuration; overrides a scenario's [target] kind).
    #[arg(long, value_parser = ["embedded", "aws"])]
    pub target: Option<String>,
    /// This endpoint (a `serve` on loopback, LocalStack, moto) instead of the embedded service
    /// (or of AWS's own, with --target aws, which also reads it from AWS_ENDPOINT_URL as the AWS
    /// SDKs do). Without --target aws the harness's principals sign as
    /// admin/producer/consumer/resharder.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Region (default: us-east-1 for --endpoint-url; the AWS configuration's with --target
    /// aws).
    #[arg(long)]
    pub region: Option<String>,
    /// A role's credentials with --target aws: ROLE=profile:NAME or
    /// ROLE=arn:aws:iam::ACCOUNT:role/NAME (STS AssumeRole); ROLE is admin, producer, consumer
    /// or resharder. Repeatable; overrides a scenario's [target.roles].
    #[arg(long = "role", value_name = "ROLE=SOURCE")]
    pub roles: Vec<String>,
}

impl TargetArgs {
    /// The runner's target flags; a bad `--role` is an error naming it.
    pub fn flags(&self) -> Result<TargetFlags, String> {
        let embedded = self.target.as_deref() == Some("embedded");
        let mut flags = TargetFlags {
            aws: self.target.as_deref() == Some("aws"),
            embedded,
            endpoint_url: self.endpoint_url.clone().filter(|_| !embedded),
            region: self.region.clone(),
            roles: Vec::new(),
        };
        for r in &self.roles {
            flags.roles.push(crate::backend::aws::parse_role_flag(r)?);
        }
        Ok(flags)
    }
}
