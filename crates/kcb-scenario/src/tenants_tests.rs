//! Tests of `[tenants]`: the copies of each path, their keys and encryption context, faults
//! naming tenants, and what is refused.

use std::path::Path;

use super::*;

/// Two paths and `[tenants]` with `count` and `extra` (a `[[faults]]` entry or more), the
/// `[tenants]` table on line 7.
fn text(count: u32, paths: &str, extra: &str) -> String {
    format!(
        "name = \"t\"\nduration = \"10s\"\nwarmup = \"2s\"\n[workload]\nrate_per_sec = 10\nrecord_size = 100\n[tenants]\ncount = {count}\n{paths}{extra}"
    )
}

const PATHS: &str = "[[paths]]\nkind = \"envelope\"\nname = \"isolated\"\n[[paths]]\nkind = \"envelope\"\nname = \"pooled\"\ntenant_key = \"shared\"\n[[paths]]\nkind = \"plaintext\"\n";

fn parse_text(text: &str) -> Result<Scenario, ScenarioError> {
    parse(text, Path::new("scenarios/x.toml"))
}

fn ok(text: &str) -> Scenario {
    parse_text(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn err(text: &str) -> String {
    match parse_text(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn each_path_runs_once_per_tenant_with_its_key_arrangement() {
    let s = ok(&text(3, PATHS, ""));
    let names: Vec<&str> = s.paths.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "isolated-t1",
            "isolated-t2",
            "isolated-t3",
            "pooled-t1",
            "pooled-t2",
            "pooled-t3",
            "plaintext-t1",
            "plaintext-t2",
            "plaintext-t3"
        ]
    );
    assert_eq!(
        s.tenants,
        Some(TenantsSpec {
            count: 3,
            key: TenantKey::PerTenant,
            weights: Vec::new(),
        })
    );
    let t = |name: &str| s.path(name).and_then(|p| p.tenant.clone());
    assert_eq!(
        t("isolated-t2"),
        Some(TenantOf {
            group: "isolated".into(),
            index: 2,
            key: Some(TenantKey::PerTenant),
            rate_per_sec: 10.0,
        })
    );
    assert_eq!(t("pooled-t3").and_then(|t| t.key), Some(TenantKey::Shared));
    // Plaintext has no key for its tenants to have or share.
    assert_eq!(t("plaintext-t1").map(|t| t.key), Some(None));
    // Each envelope copy binds its tenant in the encryption context.
    for p in &s.paths {
        if let Protection::Envelope(e) = &p.protection {
            let index = p.tenant.as_ref().map(|t| t.index.to_string());
            assert_eq!(
                e.encryption_context.get("tenant"),
                index.as_ref(),
                "{}",
                p.name
            );
        }
    }
    // `[tenants] key` is the default a path's tenant_key overrides.
    let shared = ok(&text(2, PATHS, "").replace("count = 2\n", "count = 2\nkey = \"shared\"\n"));
    let key = |name: &str| shared.path(name).and_then(|p| p.tenant.as_ref()?.key);
    assert_eq!(key("isolated-t1"), Some(TenantKey::Shared));
    // Without [tenants], nothing changes.
    let plain = ok("name = \"t\"\nduration = \"10s\"\n[workload]\nrate_per_sec = 10\nrecord_size = 100\n[[paths]]\nkind = \"envelope\"\n");
    assert_eq!(plain.paths[0].name, "envelope");
    assert_eq!(
        (plain.paths[0].tenant.as_ref(), plain.tenants.as_ref()),
        (None, None)
    );
}

#[test]
fn weights_split_the_tenants_load_in_their_proportions() {
    let s = ok(&text(4, PATHS, "").replace("count = 4\n", "count = 4\nweights = [5, 1, 1, 1]\n"));
    let rate = |name: &str| s.path(name).map(|p| s.rate_of(p));
    // 4 tenants x 10 records/s = 40 a second per path, split 5:1:1:1.
    assert_eq!(rate("isolated-t1"), Some(25.0));
    assert_eq!(rate("pooled-t2"), Some(5.0));
    assert_eq!(rate("plaintext-t4"), Some(5.0));
    for group in ["isolated", "pooled", "plaintext"] {
        let total: f64 = (1..=4)
            .filter_map(|i| rate(&TenantOf::path_name(group, i)))
            .sum();
        assert_eq!(total, 40.0, "{group}");
    }
    // Without weights each tenant sends rate_per_sec; equal weights change nothing.
    let equal =
        ok(&text(4, PATHS, "").replace("count = 4\n", "count = 4\nweights = [3, 3, 3, 3]\n"));
    let plain = ok(&text(4, PATHS, ""));
    for (a, b) in equal.paths.iter().zip(&plain.paths) {
        assert_eq!(equal.rate_of(a), 10.0);
        assert_eq!(plain.rate_of(b), 10.0);
    }
    let refused = |weights: &str, rate_line: &str| {
        err(&text(2, PATHS, "")
            .replace("count = 2\n", &format!("count = 2\nweights = {weights}\n"))
            .replace("rate_per_sec = 10", rate_line))
    };
    let r = refused("[1, 2, 3]", "rate_per_sec = 10");
    assert!(
        r.contains(
            "x.toml:9: tenants.weights: must give one weight per tenant: 2 tenants, 3 weights"
        ),
        "{r}"
    );
    let r = refused("[1, 0]", "rate_per_sec = 10");
    assert!(
        r.contains("tenants.weights[1]: must be a whole number from 1 to 10000 (got 0)"),
        "{r}"
    );
    let r = refused("[1, -4]", "rate_per_sec = 10");
    assert!(r.contains("tenants.weights[1]"), "{r}");
    // 2 x 30,000 = 60,000 a second, 54,000 of it tenant 2's: above what a path may send.
    let r = refused("[1, 9]", "rate_per_sec = 30000");
    assert!(
        r.contains("tenants.weights[1]: tenant 2's share is 54000 records/s, above the 50000"),
        "{r}"
    );
    assert!(parse_text(
        &text(2, PATHS, "")
            .replace("count = 2\n", "count = 2\nweights = [1, 3]\n")
            .replace("rate_per_sec = 10", "rate_per_sec = 30000")
    )
    .is_ok());
}

#[test]
fn faults_name_tenants() {
    let fault = |body: &str| {
        let s = ok(&text(
            4,
            PATHS,
            &format!("[[faults]]\nkind = \"delete-key\"\nat = \"5s\"\n{body}"),
        ));
        s.faults[0].clone()
    };
    let f = fault("tenants = [3]\n");
    assert_eq!(f.paths, ["isolated-t3", "pooled-t3"]);
    assert_eq!(f.tenants, [3]);
    let f = fault("tenants = [2, 4]\npaths = [\"pooled\"]\n");
    assert_eq!(f.paths, ["pooled-t2", "pooled-t4"]);
    // A path as written stands for all its tenants; a copy's own name for itself.
    let f = fault("paths = [\"isolated\"]\n");
    assert_eq!(f.paths.len(), 4);
    assert!(f.tenants.is_empty());
    let f = fault("paths = [\"pooled-t1\"]\n");
    assert_eq!(f.paths, ["pooled-t1"]);
}

#[test]
fn bad_tenants_are_refused_naming_the_field() {
    let cases: Vec<(String, &str)> = vec![
        (text(0, PATHS, ""), "x.toml:8: tenants.count: must be 1 to 64 tenants (got 0)"),
        (text(65, PATHS, ""), "tenants.count: must be 1 to 64 tenants (got 65)"),
        (
            text(2, PATHS, "").replace("count = 2\n", "count = 2\nkey = \"each\"\n"),
            "tenants.key",
        ),
        (
            text(2, "[[paths]]\nkind = \"plaintext\"\ntenant_key = \"shared\"\n", ""),
            "paths[0].tenant_key: path \"plaintext\" has no key the run creates",
        ),
        (
            text(2, "[[paths]]\nkind = \"envelope\"\ntenant_key = \"both\"\n", ""),
            "paths[0].tenant_key",
        ),
        (
            text(2, "[[paths]]\nkind = \"sse-kms\"\nstream = \"mine\"\n", ""),
            "paths[0].stream: not a setting with [tenants]",
        ),
        (
            text(2, "[[paths]]\nkind = \"envelope\"\nkey = \"alias/mine\"\n", ""),
            "paths[0].key: not a setting with [tenants]",
        ),
        (
            text(2, "[[paths]]\nkind = \"envelope\"\nencryption_context = { tenant = \"x\" }\n", ""),
            "paths[0].encryption_context: \"tenant\" is set by [tenants]",
        ),
        (
            text(2, PATHS, "[[faults]]\nkind = \"delete-key\"\nat = \"5s\"\ntenants = [3]\n"),
            "faults[0].tenants[0]: must be a tenant from 1 to 2 (got 3)",
        ),
        (
            text(2, PATHS, "[[faults]]\nkind = \"delete-key\"\nat = \"5s\"\ntenants = [1, 1]\n"),
            "faults[0].tenants[1]: tenant 1 is listed twice",
        ),
        (
            text(2, PATHS, "[[faults]]\nkind = \"delete-key\"\nat = \"5s\"\npaths = [\"plaintext\"]\ntenants = [1]\n"),
            "faults[0].paths[0]: path \"plaintext-t1\" is kind \"plaintext\"",
        ),
        (
            "name = \"t\"\nduration = \"10s\"\n[workload]\nrate_per_sec = 10\nrecord_size = 100\n[[paths]]\nkind = \"envelope\"\ntenant_key = \"shared\"\n".to_owned(),
            "paths[0].tenant_key: only with a [tenants] table",
        ),
        (
            "name = \"t\"\nduration = \"10s\"\n[workload]\nrate_per_sec = 10\nrecord_size = 100\n[[paths]]\nkind = \"envelope\"\n[[faults]]\nkind = \"delete-key\"\nat = \"5s\"\ntenants = [1]\n".to_owned(),
            "faults[0].tenants: only with a [tenants] table",
        ),
        (
            "name = \"t\"\nduration = \"10s\"\n[workload]\nrate_per_sec = 10\nrecord_size = 100\n[[paths]]\nkind = \"envelope\"\n[[faults]]\nkind = \"delete-key\"\nname = \"d\"\nat = \"5s\"\n[expect.envelope]\n\"fault.d.hit_tenants\" = \"== 1\"\n".to_owned(),
            "`hit_tenants` counts tenants: it needs a [tenants] table",
        ),
    ];
    for (text, want) in cases {
        let got = err(&text);
        assert!(got.contains(want), "want {want:?}\ngot  {got}\n{text}");
    }
}
