//! Data keys never reach a log, a report or a result file: a run with every log level on, its
//! output directory and its report are searched for the plaintext data keys KMS returned.

use std::path::Path;
use std::process::Command;

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("kcb-secrets-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("tempdir");
    d
}

fn read_all(dir: &Path, out: &mut String) {
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            read_all(&p, out);
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&p).expect("file")));
        }
    }
}

#[test]
fn no_data_key_reaches_logs_results_or_reports() {
    let dir = tempdir("run");
    let f = dir.join("s.toml");
    std::fs::write(
        &f,
        "name = \"secrets\"\nduration = \"30s\"\nclock = \"virtual\"\n[workload]\nrate_per_sec = 2\nrecord_size = 64\n\
         [[paths]]\nkind = \"envelope\"\n[[paths]]\nkind = \"sse-kms\"\n",
    )
    .expect("write");
    let bin = env!("CARGO_BIN_EXE_kinesis-crypto-bench");
    let out = Command::new(bin)
        .env("KCB_LOG", "trace")
        .args(["run", "--no-progress", "--out"])
        .arg(dir.join("out"))
        .arg(&f)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = Command::new(bin)
        .args(["report", "--out"])
        .arg(dir.join("report"))
        .arg(dir.join("out/result.json"))
        .output()
        .expect("report runs");
    assert_eq!(report.status.code(), Some(0));
    let mut everything = String::from_utf8_lossy(&out.stdout).into_owned();
    everything.push_str(&String::from_utf8_lossy(&out.stderr));
    read_all(&dir.join("out"), &mut everything);
    read_all(&dir.join("report"), &mut everything);
    // The trace log is not empty (the test would prove nothing if logging were off) ...
    assert!(
        out.stderr.len() > 1000,
        "expected a trace log, got {} bytes",
        out.stderr.len()
    );
    // ... and no KMS response body with a plaintext data key appears in it or in any file.
    assert!(
        !everything.contains("\"Plaintext\""),
        "a KMS Plaintext member reached the output"
    );
}
