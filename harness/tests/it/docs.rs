//! The documentation a newcomer reads in order: the README stays short, the book under `docs/`
//! lists every page in `docs/SUMMARY.md` (laid out for mdBook), and every relative link and
//! anchor in the README, the book, `scenarios/README.md` and `deploy/README.md` leads somewhere.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::common::peers::repo;

/// The Markdown files checked: the README, every page of the book, and the two guides that
/// sit beside what they document.
fn pages() -> Vec<PathBuf> {
    let root = repo();
    let mut out = vec![
        root.join("README.md"),
        root.join("scenarios/README.md"),
        root.join("deploy/README.md"),
    ];
    let mut book: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    book.sort();
    out.extend(book);
    out
}

/// The lines of `text` outside fenced code blocks, with inline code spans blanked.
fn prose(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut kept = String::new();
        let mut in_code = false;
        for c in line.chars() {
            if c == '`' {
                in_code = !in_code;
                kept.push(c);
            } else if !in_code {
                kept.push(c);
            }
        }
        out.push(kept);
    }
    out
}

/// GitHub's (and mdBook's) anchor for a heading: lower case, punctuation dropped but `-` and
/// `_`, spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown file's headings.
fn anchors(file: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(file).expect("page");
    let mut fenced = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if !fenced && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// Every inline link `[text](target)` in the prose of `text`.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose(text) {
        let mut rest = line.as_str();
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_relative_link_and_anchor_leads_somewhere() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("page");
        let dir = page.parent().expect("dir");
        for target in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let file = if path.is_empty() {
                page.clone()
            } else {
                dir.join(path)
            };
            let shown = page.strip_prefix(repo()).unwrap_or(&page).display();
            if !file.exists() {
                broken.push(format!("{shown}: {target}: no such file"));
                continue;
            }
            if let Some(a) = anchor {
                if file.extension().is_some_and(|x| x == "md") && !anchors(&file).contains(a) {
                    broken.push(format!("{shown}: {target}: no heading with that anchor"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_book_lists_every_page_and_the_readme_stays_short() {
    let root = repo();
    let summary = std::fs::read_to_string(root.join("docs/SUMMARY.md")).expect("SUMMARY.md");
    let listed: BTreeSet<String> = links(&summary).into_iter().collect();
    for page in pages() {
        let Ok(inside) = page.strip_prefix(root.join("docs")) else {
            continue;
        };
        let name = inside.display().to_string();
        if name != "SUMMARY.md" {
            assert!(
                listed.contains(&name),
                "docs/SUMMARY.md does not list {name}"
            );
        }
    }
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
    let lines = readme.lines().count();
    assert!(
        lines <= 250,
        "README.md has {lines} lines; the rest belongs in the book"
    );
}

#[test]
fn slugs_are_githubs() {
    assert_eq!(
        slug(" Reports, capacity plans, the regression gate, the nightly run"),
        "reports-capacity-plans-the-regression-gate-the-nightly-run"
    );
    assert_eq!(slug(" `kind = \"rotate-key\"`"), "kind--rotate-key");
}

/// Every `KCB_*` environment variable the code reads, found in its sources, is listed in the
/// binary's `--help` (the tests' own switches aside).
#[test]
fn every_environment_variable_the_code_reads_is_in_help() {
    const TEST_ONLY: &[&str] = &["KCB_PRINT_GOLDEN"];
    let root = repo();
    let mut dirs = vec![root.join("harness/src")];
    for e in std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .flatten()
    {
        dirs.push(e.path().join("src"));
    }
    let mut names = BTreeSet::new();
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("source");
                for (i, _) in text.match_indices("\"KCB_") {
                    let rest = &text[i + 1..];
                    let end = rest
                        .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
                        .unwrap_or(rest.len());
                    names.insert(rest[..end].to_string());
                }
            }
        }
    }
    assert!(names.contains("KCB_LOG"), "the scan found {names:?}");
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_kinesis-crypto-bench"))
        .arg("--help")
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&help.stdout);
    for name in names.iter().filter(|n| !TEST_ONLY.contains(&n.as_str())) {
        assert!(help.contains(name.as_str()), "--help does not list {name}");
    }
}
