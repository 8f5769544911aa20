//! What a stream must meet: `--require customer-managed`, `--require rotation`,
//! `--require restrictive-policy`, or a rules file (TOML) naming several:
//!
//! ```toml
//! require = ["customer-managed", "rotation"]
//! max_rotation_period_days = 365
//! ```

use serde::Deserialize;

use super::{Protection, StreamAudit};

/// The requirement names, as flags and the rules file spell them.
pub const REQUIREMENTS: [&str; 3] = ["customer-managed", "rotation", "restrictive-policy"];

/// The rules in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    /// Under a customer-managed key that is Enabled.
    pub customer_managed: bool,
    /// Under a key that rotates automatically.
    pub rotation: bool,
    /// Under a key whose policy has no finding.
    pub restrictive_policy: bool,
    /// Rotation at least this often.
    pub max_rotation_period_days: Option<i32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    require: Vec<String>,
    max_rotation_period_days: Option<i32>,
}

impl Rules {
    /// Add a requirement by name; the error says what would be valid.
    pub fn require(&mut self, name: &str) -> Result<(), String> {
        match name {
            "customer-managed" => self.customer_managed = true,
            "rotation" => self.rotation = true,
            "restrictive-policy" => self.restrictive_policy = true,
            other => {
                return Err(format!(
                    "unknown requirement \"{other}\": one of {}",
                    REQUIREMENTS.join(", ")
                ))
            }
        }
        Ok(())
    }

    /// Rules from a TOML file's text; errors name the file and the field.
    pub fn from_file(path: &str, text: &str) -> Result<Self, String> {
        let f: File = toml::from_str(text).map_err(|e| format!("{path}: {e}"))?;
        let mut r = Rules::default();
        for (i, name) in f.require.iter().enumerate() {
            r.require(name)
                .map_err(|e| format!("{path}: require[{i}]: {e}"))?;
        }
        if let Some(d) = f.max_rotation_period_days {
            if !(90..=2560).contains(&d) {
                return Err(format!(
                    "{path}: max_rotation_period_days = {d}: KMS rotates every 90 to 2560 days"
                ));
            }
            r.rotation = true;
            r.max_rotation_period_days = Some(d);
        }
        Ok(r)
    }

    /// Merge another set (flags on top of a file).
    pub fn merge(&mut self, other: &Rules) {
        self.customer_managed |= other.customer_managed;
        self.rotation |= other.rotation;
        self.restrictive_policy |= other.restrictive_policy;
        self.max_rotation_period_days = self
            .max_rotation_period_days
            .or(other.max_rotation_period_days);
    }

    /// True when nothing is required.
    pub fn is_empty(&self) -> bool {
        *self == Rules::default()
    }

    /// The requirements, by name, for the output.
    pub fn names(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.customer_managed {
            v.push("customer-managed".to_owned());
        }
        if self.rotation {
            v.push(match self.max_rotation_period_days {
                Some(d) => format!("rotation (every {d} days or sooner)"),
                None => "rotation".to_owned(),
            });
        }
        if self.restrictive_policy {
            v.push("restrictive-policy".to_owned());
        }
        v
    }

    /// How `s` falls short of the rules (empty: it meets them). With no rules, the compliance
    /// baseline applies: a customer-managed key, Enabled, with no permissive policy.
    pub fn shortfalls(&self, s: &StreamAudit) -> Vec<String> {
        let baseline = Rules {
            customer_managed: true,
            restrictive_policy: true,
            ..Rules::default()
        };
        let r = if self.is_empty() { &baseline } else { self };
        let mut out = Vec::new();
        if r.customer_managed {
            if s.protection != Protection::CustomerManaged {
                out.push(format!(
                    "protection is {}, not customer-managed",
                    s.protection.name()
                ));
            } else if let Some(state) = s.key_state().filter(|st| *st != "Enabled") {
                out.push(format!("its customer-managed key is {state}"));
            }
        }
        if r.rotation {
            match &s.key {
                None => out.push(format!(
                    "no key of the account to rotate ({})",
                    s.protection.name()
                )),
                Some(k) if !k.rotation => out.push("its key does not rotate".to_owned()),
                Some(k) => {
                    if let (Some(max), Some(d)) =
                        (r.max_rotation_period_days, k.rotation_period_days)
                    {
                        if d > max {
                            out.push(format!("its key rotates every {d} days, more than {max}"));
                        }
                    }
                }
            }
        }
        if r.restrictive_policy {
            if let Some(k) = s.key.as_ref().filter(|k| !k.policy_findings.is_empty()) {
                out.push(format!(
                    "its key policy is overly permissive ({} findings)",
                    k.policy_findings.len()
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::KeyAudit;

    fn stream(protection: Protection, key: Option<KeyAudit>) -> StreamAudit {
        StreamAudit {
            name: "s".into(),
            service: "kinesis",
            arn: None,
            protection,
            key,
            inherited_from: None,
            destination: None,
            harness_created: false,
        }
    }

    fn key(state: &str, rotation: Option<i32>, findings: usize) -> KeyAudit {
        KeyAudit {
            arn: "arn:aws:kms:us-east-1:111122223333:key/k".into(),
            manager: "CUSTOMER".into(),
            state: state.into(),
            rotation: rotation.is_some(),
            rotation_period_days: rotation,
            deletion_date: None,
            policy_findings: vec!["open".into(); findings],
            unreadable: vec![],
            harness_created: false,
        }
    }

    #[test]
    fn each_rule_fails_exactly_the_streams_short_of_it() {
        let mut cm = Rules::default();
        cm.require("customer-managed").unwrap();
        assert_eq!(
            cm.shortfalls(&stream(Protection::AwsManaged, None)).len(),
            1
        );
        assert!(cm
            .shortfalls(&stream(
                Protection::CustomerManaged,
                Some(key("Enabled", None, 3))
            ))
            .is_empty());
        assert!(cm.shortfalls(&stream(
            Protection::CustomerManaged,
            Some(key("Disabled", None, 0))
        ))[0]
            .contains("Disabled"));
        let yearly = Rules::from_file(
            "r.toml",
            "require = [\"rotation\"]\nmax_rotation_period_days = 365",
        )
        .unwrap();
        assert!(yearly
            .shortfalls(&stream(
                Protection::CustomerManaged,
                Some(key("Enabled", Some(365), 0))
            ))
            .is_empty());
        assert!(yearly.shortfalls(&stream(
            Protection::CustomerManaged,
            Some(key("Enabled", Some(730), 0))
        ))[0]
            .contains("730"));
        assert_eq!(
            yearly
                .shortfalls(&stream(
                    Protection::CustomerManaged,
                    Some(key("Enabled", None, 0))
                ))
                .len(),
            1
        );
        assert_eq!(
            yearly.shortfalls(&stream(Protection::AwsOwned, None)).len(),
            1
        );
        // The baseline (nothing asked) counts a permissive policy.
        let none = Rules::default();
        assert_eq!(
            none.shortfalls(&stream(
                Protection::CustomerManaged,
                Some(key("Enabled", None, 2))
            ))
            .len(),
            1
        );
        assert!(none
            .shortfalls(&stream(
                Protection::CustomerManaged,
                Some(key("Enabled", None, 0))
            ))
            .is_empty());
    }

    #[test]
    fn a_rules_file_names_the_file_and_the_field_it_got_wrong() {
        let e = Rules::from_file("r.toml", "require = [\"x\"]").unwrap_err();
        assert!(
            e.contains("r.toml") && e.contains("require[0]") && e.contains("customer-managed"),
            "{e}"
        );
        let e = Rules::from_file("r.toml", "requires = []").unwrap_err();
        assert!(e.contains("r.toml") && e.contains("requires"), "{e}");
    }
}
