//! `audit` on the embedded service's sample fleet (one stream of each protection, built through
//! the SDK clients): every stream's classification, key state, rotation and key policy as the
//! JSON gives them, the findings and their severities, the compliance figure (the share of
//! streams meeting the rules, counted here from the fleet's own list), the exit codes of
//! `--require` and of bad input, and `--apply`: afterwards every stream meets the rules and a
//! record written to each stream it changed was read back, encrypted.

use std::process::{Command, Output};

use serde_json::Value;

fn audit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"))
        .arg("audit")
        .args(args)
        .env_remove("AWS_PROFILE")
        .output()
        .expect("the binary runs")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stream<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["streams"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("{name} not in the audit: {report}"))
}

fn rules_of<'a>(report: &'a Value, name: &str) -> Vec<(&'a str, &'a str)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["stream"] == name)
        .map(|f| (f["rule"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect()
}

#[test]
fn every_protection_of_the_sample_fleet_is_classified_and_require_gates() {
    let out = audit(&["--format", "json", "--require", "customer-managed"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_of(&out);
    let expect = [
        ("kcb-audit-plain", "kinesis", "none"),
        ("kcb-audit-aws-managed", "kinesis", "aws-managed"),
        ("kcb-audit-cmk", "kinesis", "customer-managed"),
        ("kcb-audit-cmk-no-rotation", "kinesis", "customer-managed"),
        ("kcb-audit-cmk-open-policy", "kinesis", "customer-managed"),
        (
            "kcb-audit-cmk-pending-deletion",
            "kinesis",
            "customer-managed",
        ),
        ("kcb-audit-fh-aws-owned", "firehose", "aws-owned"),
        ("kcb-audit-fh-none", "firehose", "none"),
        ("kcb-audit-fh-cmk", "firehose", "customer-managed"),
        ("kcb-audit-fh-from-stream", "firehose", "customer-managed"),
    ];
    assert_eq!(r["streams"].as_array().unwrap().len(), expect.len());
    for (name, service, protection) in expect {
        let s = stream(&r, name);
        assert_eq!(s["service"], service, "{s}");
        assert_eq!(s["protection"], protection, "{s}");
        assert_eq!(s["harness_created"], true, "{s}");
    }
    // Keys: who manages them, their state, rotation and policy.
    let key = |name: &str| stream(&r, name)["key"].clone();
    assert_eq!(key("kcb-audit-aws-managed")["manager"], "AWS");
    assert_eq!(key("kcb-audit-cmk")["manager"], "CUSTOMER");
    assert_eq!(key("kcb-audit-cmk")["state"], "Enabled");
    assert_eq!(key("kcb-audit-cmk")["rotation"], true);
    assert_eq!(key("kcb-audit-cmk")["rotation_period_days"], 365);
    assert_eq!(
        key("kcb-audit-cmk")["policy_findings"],
        serde_json::json!([])
    );
    assert_eq!(key("kcb-audit-cmk-no-rotation")["rotation"], false);
    assert_eq!(
        key("kcb-audit-cmk-pending-deletion")["state"],
        "PendingDeletion"
    );
    assert!(key("kcb-audit-cmk-pending-deletion")["deletion_date"].is_string());
    let open = key("kcb-audit-cmk-open-policy")["policy_findings"].clone();
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    assert!(open[0].as_str().unwrap().contains("\"*\""), "{open}");
    for name in [
        "kcb-audit-plain",
        "kcb-audit-fh-aws-owned",
        "kcb-audit-fh-none",
    ] {
        assert!(stream(&r, name)["key"].is_null(), "{name}");
    }
    // A stream-sourced delivery stream has its source's key and says so.
    let from = stream(&r, "kcb-audit-fh-from-stream");
    assert_eq!(from["inherited_from"], "kcb-audit-cmk");
    assert_eq!(from["key"]["arn"], key("kcb-audit-cmk")["arn"]);
    assert_eq!(from["destination"]["protection"], "customer-managed");
    assert_eq!(
        stream(&r, "kcb-audit-fh-aws-owned")["destination"]["protection"],
        "none"
    );
    assert_eq!(
        stream(&r, "kcb-audit-fh-none")["destination"]["protection"],
        "aws-managed"
    );
    // Findings, by rule and severity.
    let findings: [(&str, &[(&str, &str)]); 7] = [
        ("kcb-audit-plain", &[("encryption-off", "high")]),
        ("kcb-audit-aws-managed", &[("aws-managed-key", "medium")]),
        ("kcb-audit-cmk", &[]),
        ("kcb-audit-fh-from-stream", &[]),
        ("kcb-audit-cmk-no-rotation", &[("rotation-off", "low")]),
        (
            "kcb-audit-cmk-open-policy",
            &[("key-policy-permissive", "high")],
        ),
        (
            "kcb-audit-cmk-pending-deletion",
            &[("key-pending-deletion", "critical")],
        ),
    ];
    for (name, want) in findings {
        assert_eq!(rules_of(&r, name), want, "{name}");
    }
    let mut fh = rules_of(&r, "kcb-audit-fh-aws-owned");
    fh.sort();
    assert_eq!(
        fh,
        [
            ("aws-owned-key", "medium"),
            ("destination-unencrypted", "low")
        ]
    );
    let total: u64 = r["findings_by_severity"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total as usize, r["findings"].as_array().unwrap().len());
    // Remediation: the commands name the stream, and a new key's policy is a restrictive one.
    let plain = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["stream"] == "kcb-audit-plain")
        .unwrap();
    let cmds: Vec<&str> = plain["remediation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(cmds[0].starts_with("aws kms create-key"), "{cmds:?}");
    assert!(
        cmds.iter()
            .any(|c| c.contains("start-stream-encryption --stream-name kcb-audit-plain")),
        "{cmds:?}"
    );
    let doc: Value = serde_json::from_str(plain["policy_document"].as_str().unwrap()).unwrap();
    assert!(!doc.to_string().contains("\"Principal\":\"*\""), "{doc}");
    // Compliance: customer-managed and Enabled, counted from the table above.
    let compliant: Vec<&str> = r["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["compliant"] == true)
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let mut want = vec![
        "kcb-audit-cmk",
        "kcb-audit-cmk-no-rotation",
        "kcb-audit-cmk-open-policy",
        "kcb-audit-fh-cmk",
        "kcb-audit-fh-from-stream",
    ];
    want.sort();
    let mut got = compliant.clone();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(
        r["compliance_percent"],
        100.0 * want.len() as f64 / expect.len() as f64
    );

    // With rotation required too, the key that does not rotate falls short.
    let r = json_of(&audit(&[
        "--format",
        "json",
        "--require",
        "customer-managed",
        "--require",
        "rotation",
    ]));
    assert_eq!(stream(&r, "kcb-audit-cmk-no-rotation")["compliant"], false);
    assert_eq!(stream(&r, "kcb-audit-cmk")["compliant"], true);
    // Nothing required: the audit reports and exits 0 (the baseline counts the open policy).
    let out = audit(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stream(&json_of(&out), "kcb-audit-cmk-open-policy")["compliant"],
        false
    );
    // Markdown: one table row per stream.
    let md = String::from_utf8(audit(&[]).stdout).unwrap();
    for (name, _, protection) in expect {
        assert!(
            md.lines()
                .any(|l| l.starts_with(&format!("| {name} |")) && l.contains(protection)),
            "{name}\n{md}"
        );
    }
    report_shows_the_audit(&out, &expect);
}

/// `report --audit`: the page's audit section holds every stream with its protection, the
/// compliance the JSON gives, a bar per protection of as many streams as the audit found of it,
/// and each finding's commands; the summary says the compliance too.
fn report_shows_the_audit(out: &Output, expect: &[(&str, &str, &str)]) {
    let r = json_of(out);
    let dir = std::env::temp_dir().join(format!("kcb-audit-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("audit.json");
    std::fs::write(&file, &out.stdout).unwrap();
    let report = Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"))
        .args(["report", "--audit"])
        .arg(&file)
        .arg("--out")
        .arg(dir.join("report"))
        .output()
        .expect("the binary runs");
    assert_eq!(
        report.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let html = std::fs::read_to_string(dir.join("report/index.html")).unwrap();
    let section = &html[html.find("<h2 id=\"audit\">").expect("an audit section")..];
    let compliance = format!(
        "Compliance {:.1}%",
        r["compliance_percent"].as_f64().unwrap()
    );
    assert!(section.contains(&compliance), "{compliance}");
    assert!(section.contains("data-plot=\"audit\""));
    for series in ["compliant", "falls short"] {
        assert!(
            section.contains(&format!("data-series=\"{series}\"")),
            "{series}"
        );
    }
    for (name, _, protection) in expect {
        assert!(
            section.contains(&format!("<td>{name}</td>"))
                && section.contains(&format!("<td>{protection}")),
            "{name} {protection}"
        );
    }
    // The numbers beside the plot: streams of each protection, as the JSON counts them.
    for protection in ["none", "aws-owned", "aws-managed", "customer-managed"] {
        let of: Vec<&Value> = r["streams"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["protection"] == protection)
            .collect();
        let ok = of.iter().filter(|s| s["compliant"] == true).count();
        let row = format!(
            "<tr><td>{protection}</td><td class=\"num\">{ok}</td><td class=\"num\">{}</td></tr>",
            of.len() - ok
        );
        assert!(section.contains(&row), "{row}");
    }
    // Every finding's commands, as the page escapes them.
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    };
    for f in r["findings"].as_array().unwrap() {
        for c in f["remediation"].as_array().unwrap() {
            assert!(section.contains(&escape(c.as_str().unwrap())), "{c}");
        }
    }
    let summary = std::fs::read_to_string(dir.join("report/summary.md")).unwrap();
    assert!(summary.contains(&compliance), "{summary}");
    // Not an audit: exit 2, naming the file.
    std::fs::write(&file, "{\"streams\": 1}").unwrap();
    let bad = Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"))
        .args(["report", "--audit"])
        .arg(&file)
        .arg("--out")
        .arg(dir.join("bad"))
        .output()
        .expect("the binary runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("audit.json"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_flags_and_rules_files_exit_2_naming_what_is_wrong() {
    let out = audit(&["--require", "encrypted"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--require") && err.contains("customer-managed, rotation, restrictive-policy"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("rules.toml");
    std::fs::write(&bad, "require = [\"customer-managed\", \"rotaton\"]\n").unwrap();
    let out = audit(&["--rules", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rules.toml") && err.contains("require[1]") && err.contains("rotaton"),
        "{err}"
    );
    std::fs::write(&bad, "max_rotation_period_days = 30\n").unwrap();
    let err =
        String::from_utf8_lossy(&audit(&["--rules", bad.to_str().unwrap()]).stderr).to_string();
    assert!(
        err.contains("max_rotation_period_days") && err.contains("90 to 2560"),
        "{err}"
    );
    // A rules file gates like the flags: rotation at least yearly fails the key without it.
    std::fs::write(
        &bad,
        "require = [\"customer-managed\"]\nmax_rotation_period_days = 365\n",
    )
    .unwrap();
    let out = audit(&["--rules", bad.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stream(&json_of(&out), "kcb-audit-cmk-no-rotation")["compliant"],
        false
    );
    // --apply off the embedded service needs --allow-destructive.
    let out = audit(&["--apply", "--endpoint-url", "http://127.0.0.1:9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-destructive"));
    let out = audit(&["--sample-fleet", "--target", "aws"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn apply_fixes_the_fleet_and_records_still_flow() {
    let out = audit(&[
        "--apply",
        "--format",
        "json",
        "--require",
        "customer-managed",
        "--require",
        "rotation",
        "--require",
        "restrictive-policy",
    ]);
    let r = json_of(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = &r["before"];
    let after = &r["after"];
    assert!(before["compliance_percent"].as_f64().unwrap() < 100.0);
    assert_eq!(after["compliance_percent"], 100.0, "{after}");
    for s in after["streams"].as_array().unwrap() {
        assert_eq!(s["protection"], "customer-managed", "{s}");
        assert_eq!(s["key"]["state"], "Enabled", "{s}");
        assert_eq!(s["key"]["rotation"], true, "{s}");
    }
    // Only the destination's encryption is left (it is not carried out), as a low finding.
    let left: Vec<&str> = after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(left, ["destination-unencrypted"]);
    // Each stream --apply changed had a record go through, encrypted at rest; a stream-sourced
    // delivery stream is tested through its source.
    let changed = [
        "kcb-audit-plain",
        "kcb-audit-aws-managed",
        "kcb-audit-cmk-no-rotation",
        "kcb-audit-cmk-open-policy",
        "kcb-audit-cmk-pending-deletion",
        "kcb-audit-fh-aws-owned",
        "kcb-audit-fh-none",
    ];
    let flows = r["flows"].as_array().unwrap();
    for name in changed {
        let f = flows
            .iter()
            .find(|f| f["stream"] == name)
            .unwrap_or_else(|| panic!("no flow check of {name}: {flows:?}"));
        assert_eq!(f["ok"], true, "{f}");
        assert!(
            f["detail"].as_str().unwrap().contains("encrypted at rest"),
            "{f}"
        );
    }
    assert_eq!(flows.len(), changed.len(), "{flows:?}");
    let actions = r["actions"].as_array().unwrap();
    assert!(
        actions.iter().all(|a| a["outcome"] != "failed"),
        "{actions:?}"
    );
    // A new key replaced the AWS-managed one; the stream that was fine kept its key.
    assert_ne!(
        stream(before, "kcb-audit-aws-managed")["key"]["arn"],
        stream(after, "kcb-audit-aws-managed")["key"]["arn"]
    );
    assert_eq!(
        stream(before, "kcb-audit-cmk")["key"]["arn"],
        stream(after, "kcb-audit-cmk")["key"]["arn"]
    );
}
