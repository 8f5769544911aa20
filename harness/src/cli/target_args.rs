//! The target flags `cleanup` and `audit` share: `--target`, `--endpoint-url`, `--region`,
//! `--role`.

use crate::runner::target::TargetFlags;

/// Where a command goes, as its flags say.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// `aws` to use the AWS configuration's credentials (default: the harness's principals at
    /// --endpoint-url, or the embedded service).
    #[arg(long, value_parser = ["embedded", "aws"])]
    pub target: Option<String>,
    /// The endpoint (a `serve`, LocalStack, moto), or one in place of AWS's with --target aws
    /// (which also reads it from AWS_ENDPOINT_URL).
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Region.
    #[arg(long)]
    pub region: Option<String>,
    /// A role's credentials with --target aws: admin=profile:NAME or admin=arn:...
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
