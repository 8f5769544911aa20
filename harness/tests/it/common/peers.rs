//! The Python peers scripts/test.sh installs into target/peers/venv: where they are, and what a
//! test does when they are missing (fails under `KCB_REQUIRE_PEERS`, as on CI; else says it
//! skipped, loudly).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

/// The peers' Python (`KCB_PYTHON`, else the virtual environment scripts/test.sh makes) if it
/// can import every one of `modules`; otherwise `None` after failing the test when peers are
/// required, or printing that the test's Python half is skipped.
pub fn python_with(modules: &[&str]) -> Option<PathBuf> {
    let p = std::env::var_os("KCB_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/peers/venv/bin/python"));
    let imports = format!("import {}", modules.join(", "));
    let ok = p.is_file()
        && Command::new(&p)
            .args(["-c", &imports])
            .output()
            .is_ok_and(|o| o.status.success());
    if ok {
        return Some(p);
    }
    let msg = format!(
        "the Python peer ({}) is not installed: run scripts/test.sh, which installs \
         scripts/peers/requirements.txt into target/peers/venv (or set KCB_PYTHON)",
        modules.join(", ")
    );
    if std::env::var_os("KCB_REQUIRE_PEERS").is_some() {
        panic!("{msg}");
    }
    eprintln!("SKIPPED the Python half of this test: {msg}");
    None
}
