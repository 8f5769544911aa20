//! The crates' dependencies are the architecture (docs/architecture.md): each workspace crate may
//! depend only on the crates below it in the flow. Cargo refuses a cycle but not an arrow up the
//! flow that happens to be acyclic (the emulator depending on the result crate, say); this test
//! refuses that, and checks the architecture page names every crate.

use std::collections::{BTreeMap, BTreeSet};

use super::common::peers::repo;

/// Each crate and the workspace crates it may depend on (normal dependencies; dev-dependencies
/// may add fixtures such as `kcb-result`'s `testing` feature).
const ALLOWED: &[(&str, &[&str])] = &[
    ("kcb-replay", &[]),
    ("kcb-envelope", &[]),
    ("kcb-result", &[]),
    ("kcb-emulator", &["kcb-replay"]),
    ("kcb-readers", &["kcb-replay", "kcb-result"]),
    ("kcb-scenario", &["kcb-result"]),
    (
        "kcb-drivers",
        &["kcb-replay", "kcb-emulator", "kcb-result", "kcb-scenario"],
    ),
    (
        "kinesis-crypto-bench",
        &[
            "kcb-replay",
            "kcb-envelope",
            "kcb-result",
            "kcb-emulator",
            "kcb-readers",
            "kcb-scenario",
            "kcb-drivers",
        ],
    ),
];

/// Every workspace crate's name and its workspace dependencies, read from the manifests.
fn workspace_crates() -> BTreeMap<String, BTreeSet<String>> {
    dependencies(|k| k.starts_with("kcb-"))
}

/// Every workspace crate's name and those of its (normal) dependencies `keep` keeps.
fn dependencies(keep: impl Fn(&str) -> bool) -> BTreeMap<String, BTreeSet<String>> {
    let root = repo();
    let mut manifests = vec![root.join("harness/Cargo.toml")];
    for entry in std::fs::read_dir(root.join("crates")).expect("crates/") {
        let dir = entry.expect("entry").path();
        if dir.join("Cargo.toml").is_file() {
            manifests.push(dir.join("Cargo.toml"));
        }
    }
    manifests
        .iter()
        .map(|m| {
            let text = std::fs::read_to_string(m).expect("manifest");
            let doc: toml::Table = toml::from_str(&text).expect("manifest TOML");
            let name = doc["package"]["name"].as_str().expect("name").to_string();
            let deps = doc
                .get("dependencies")
                .and_then(|d| d.as_table())
                .map(|d| d.keys().filter(|k| keep(k)).cloned().collect())
                .unwrap_or_default();
            (name, deps)
        })
        .collect()
}

#[test]
fn every_crate_depends_only_on_crates_below_it() {
    let crates = workspace_crates();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let named: BTreeSet<&str> = crates.keys().map(String::as_str).collect();
    assert_eq!(
        named,
        allowed.keys().copied().collect::<BTreeSet<_>>(),
        "a crate was added or removed: give it its place in ALLOWED and docs/architecture.md"
    );
    for (name, deps) in &crates {
        for dep in deps {
            assert!(
                allowed[name.as_str()].contains(&dep.as_str()),
                "{name} depends on {dep}, an arrow up the flow (docs/architecture.md)"
            );
        }
    }
}

#[test]
fn the_architecture_page_names_every_crate() {
    let page = std::fs::read_to_string(repo().join("docs/architecture.md")).expect("page");
    for name in workspace_crates().keys() {
        assert!(
            page.contains(&format!("`{name}`")),
            "docs/architecture.md does not name the crate `{name}`"
        );
    }
}

/// The drivers' crate is the only place the AWS SDK's clients appear: no other crate may even
/// depend on an SDK client or `aws-config` (the emulator answers them; it plugs into their
/// HTTP layer, `aws-smithy-runtime-api`, as an in-process connector, and uses no client).
#[test]
fn only_the_drivers_depend_on_the_aws_sdk() {
    let sdk = |k: &str| k.starts_with("aws-sdk-") || k == "aws-config";
    let crates = dependencies(sdk);
    assert!(
        !crates["kcb-drivers"].is_empty(),
        "the drivers use the SDK clients"
    );
    for (name, deps) in crates.iter().filter(|(n, _)| *n != "kcb-drivers") {
        assert!(
            deps.is_empty(),
            "{name} depends on {deps:?}: SDK types belong in kcb-drivers' backend (docs/architecture.md)"
        );
    }
}
