//! The Kubernetes manifests in deploy/kubernetes/ parse, agree with each other (completions,
//! parallelism and KCB_WORKERS; the volumes' claims and ConfigMap), and each pod's command line
//! and environment, taken from them, run as written on this machine: the Job's three worker pods
//! in parallel, then the merge pod, in a directory laid out as the pods' `/kcb` working
//! directory, against one `serve`. What the test adds is what the cluster would: the pod's
//! `JOB_COMPLETION_INDEX`, credentials (a shared config and credentials file with a profile per
//! role, as a mounted secret would give, the admin's the default) and `AWS_ENDPOINT_URL` (a
//! LocalStack's, say), the placeholders substituted as docs/many-machines.md does, and a short
//! scenario in place of the ConfigMap's (whose own is checked by `validate`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kcb::result::RunResult;
use yaml_rust2::{Yaml, YamlLoader};

use crate::common::aws_files;
use crate::common::peers::{free_port, repo, run_bounded, start_server};

/// The scenario the test puts in the ConfigMap's place: seconds, not the shipped minute at
/// 3000 records a second.
const SCENARIO: &str = r#"
name = "manifests-it"
duration = "2s"
warmup = "1s"
seed = 11
clock = "real"

[stream]
shards = 2

[workload]
rate_per_sec = 30
record_size = 200

consumers = 1

[[paths]]
kind = "plaintext"

[[paths]]
kind = "envelope"
cache = { max_age = "5m", max_messages = 100000 }

# Each role its own identity (the pod's own, the default chain's, is the admin).
[target]
kind = "aws"
[target.roles.producer]
profile = "kcb-producer"
[target.roles.consumer]
profile = "kcb-consumer"
[target.roles.resharder]
profile = "kcb-resharder"
"#;

const RUN_NAME: &str = "it-run";

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kinesis-crypto-bench"))
}

/// The one document of deploy/kubernetes/`name`.
fn manifest(name: &str) -> Yaml {
    let path = repo().join("deploy/kubernetes").join(name);
    let text = std::fs::read_to_string(&path).expect("manifest");
    let mut docs = YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
    assert_eq!(docs.len(), 1, "{}: one document", path.display());
    docs.remove(0)
}

fn text(y: &Yaml, what: &str) -> String {
    y.as_str()
        .unwrap_or_else(|| panic!("{what}: a string, got {y:?}"))
        .to_owned()
}

/// A pod's container as the manifest gives it.
struct Container {
    command: Vec<String>,
    env: Vec<(String, String)>,
    working_dir: String,
    /// (volume name, mount path).
    mounts: Vec<(String, String)>,
}

fn container(job: &Yaml) -> Container {
    let containers = job["spec"]["template"]["spec"]["containers"]
        .as_vec()
        .expect("containers");
    assert_eq!(containers.len(), 1, "one container");
    let c = &containers[0];
    let list = |y: &Yaml| y.as_vec().cloned().unwrap_or_default();
    Container {
        command: list(&c["command"])
            .iter()
            .map(|a| text(a, "command"))
            .collect(),
        env: list(&c["env"])
            .iter()
            .map(|e| (text(&e["name"], "env name"), text(&e["value"], "env value")))
            .collect(),
        working_dir: text(&c["workingDir"], "workingDir"),
        mounts: list(&c["volumeMounts"])
            .iter()
            .map(|m| {
                (
                    text(&m["name"], "mount"),
                    text(&m["mountPath"], "mountPath"),
                )
            })
            .collect(),
    }
}

/// `$(VAR)` in a command expanded as Kubernetes does: a defined variable's value, `$$` a `$`,
/// anything else left as written.
fn expand(s: &str, vars: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(a) = after.strip_prefix('$') {
            out.push('$');
            rest = a;
        } else if let Some((name, a)) = after.strip_prefix('(').and_then(|a| a.split_once(')')) {
            match vars.iter().rev().find(|(k, _)| k == name) {
                Some((_, v)) => out.push_str(v),
                None => out.push_str(&format!("$({name})")),
            }
            rest = a;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The placeholders docs/many-machines.md's `sed` fills in.
fn substitute(v: &str, start_at: &str) -> String {
    v.replace("@START_AT@", start_at)
        .replace("@RUN_NAME@", RUN_NAME)
}

/// `c`'s command as the pod would run it (working directory, environment, command), the
/// cluster's additions in `extra`.
fn pod_command(c: &Container, root: &Path, start_at: &str, extra: &[(String, String)]) -> Command {
    let mut vars: Vec<(String, String)> = extra.to_vec();
    vars.extend(
        c.env
            .iter()
            .map(|(k, v)| (k.clone(), substitute(v, start_at))),
    );
    let argv: Vec<String> = c.command.iter().map(|a| expand(a, &vars)).collect();
    let path = format!(
        "{}:{}",
        bin().parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(root.join(c.working_dir.trim_start_matches('/')))
        .env_clear()
        .env("PATH", path)
        .envs(vars);
    cmd
}

#[test]
fn manifests_parse_and_their_pods_run_as_written() {
    let pvc = manifest("results-pvc.yaml");
    let config = manifest("scenario-configmap.yaml");
    let workers = manifest("workers-job.yaml");
    let merge = manifest("merge-job.yaml");
    assert_eq!(text(&pvc["kind"], "kind"), "PersistentVolumeClaim");
    assert_eq!(text(&config["kind"], "kind"), "ConfigMap");
    for job in [&workers, &merge] {
        assert_eq!(text(&job["apiVersion"], "apiVersion"), "batch/v1");
        assert_eq!(text(&job["kind"], "kind"), "Job");
        assert_eq!(
            text(
                &job["spec"]["template"]["spec"]["restartPolicy"],
                "restartPolicy"
            ),
            "Never"
        );
    }
    assert_eq!(
        text(&workers["spec"]["completionMode"], "completionMode"),
        "Indexed"
    );
    let completions = workers["spec"]["completions"]
        .as_i64()
        .expect("completions");
    assert_eq!(workers["spec"]["parallelism"].as_i64(), Some(completions));
    let pod = container(&workers);
    let merger = container(&merge);
    let n = pod
        .env
        .iter()
        .find(|(k, _)| k == "KCB_WORKERS")
        .map(|(_, v)| v.clone())
        .expect("KCB_WORKERS");
    assert_eq!(n, completions.to_string(), "KCB_WORKERS = completions");

    // The volumes name the claim and the ConfigMap that exist, mounted under the working
    // directory (where the commands' relative paths resolve).
    let pvc_name = text(&pvc["metadata"]["name"], "pvc name");
    let config_name = text(&config["metadata"]["name"], "configmap name");
    for (job, c) in [(&workers, &pod), (&merge, &merger)] {
        let volumes = job["spec"]["template"]["spec"]["volumes"]
            .as_vec()
            .expect("volumes");
        for (name, at) in &c.mounts {
            let v = volumes
                .iter()
                .find(|v| v["name"].as_str() == Some(name))
                .unwrap_or_else(|| panic!("mount {name}: no such volume"));
            if let Some(claim) = v["persistentVolumeClaim"]["claimName"].as_str() {
                assert_eq!(claim, pvc_name);
            } else {
                assert_eq!(v["configMap"]["name"].as_str(), Some(config_name.as_str()));
            }
            assert!(
                at.starts_with(&format!("{}/", c.working_dir)),
                "{at} is under the working directory {}",
                c.working_dir
            );
        }
    }

    let dir = std::env::temp_dir().join(format!("kcb-manifests-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // The pods' filesystem: the volumes at their mount paths under `dir`.
    for (_, at) in pod.mounts.iter().chain(&merger.mounts) {
        std::fs::create_dir_all(dir.join(at.trim_start_matches('/'))).expect("mount");
    }
    let mount = |c: &Container, volume: &str| {
        c.mounts
            .iter()
            .find(|(name, _)| name == volume)
            .map(|(_, at)| dir.join(at.trim_start_matches('/')))
            .unwrap_or_else(|| panic!("the {volume} volume"))
    };
    let scenario_mount = mount(&pod, "scenario");
    assert_eq!(mount(&pod, "results"), mount(&merger, "results"));

    // The ConfigMap's own scenario is a valid one.
    let shipped = text(&config["data"]["scenario.toml"], "scenario.toml");
    let shipped_file = dir.join("shipped.toml");
    std::fs::write(&shipped_file, shipped).expect("write");
    let v = Command::new(bin())
        .arg("validate")
        .arg(&shipped_file)
        .output()
        .expect("validate");
    assert!(
        v.status.success(),
        "the ConfigMap's scenario: {}",
        String::from_utf8_lossy(&v.stderr)
    );
    std::fs::write(scenario_mount.join("scenario.toml"), SCENARIO).expect("scenario");

    let port = free_port();
    let mut serve = Command::new(bin());
    serve.args(["serve", "--port", &port.to_string()]);
    let serve = start_server("serve", serve, port, &dir);
    let (config_file, credentials_file) = aws_files(&dir.join("secret"));
    let cluster = |index: Option<i64>| {
        let mut v: Vec<(String, String)> = vec![
            ("AWS_ENDPOINT_URL".into(), serve.url()),
            ("AWS_CONFIG_FILE".into(), config_file.display().to_string()),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                credentials_file.display().to_string(),
            ),
            ("AWS_PROFILE".into(), "kcb-admin".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ];
        if let Some(i) = index {
            v.push(("JOB_COMPLETION_INDEX".into(), i.to_string()));
        }
        v
    };
    let start_at =
        humantime::format_rfc3339_seconds(std::time::SystemTime::now() + Duration::from_secs(4))
            .to_string();
    // The Job's pods in parallel, each its own logs, then the merge pod.
    std::thread::scope(|scope| {
        let pods: Vec<_> = (0..completions)
            .map(|i| {
                let cmd = pod_command(&pod, &dir, &start_at, &cluster(Some(i)));
                let logs = dir.join(format!("pod-{i}"));
                std::fs::create_dir_all(&logs).expect("logs");
                scope.spawn(move || run_bounded(cmd, &logs, Duration::from_secs(120)))
            })
            .collect();
        for (i, p) in pods.into_iter().enumerate() {
            let (status, log) = p.join().expect("pod thread");
            assert!(status.success(), "worker pod {i}: {log}");
        }
    });
    let logs = dir.join("merge-pod");
    std::fs::create_dir_all(&logs).expect("logs");
    let (status, log) = run_bounded(
        pod_command(&merger, &dir, &start_at, &cluster(None)),
        &logs,
        Duration::from_secs(60),
    );
    assert!(status.success(), "merge pod: {log}");

    let results = mount(&merger, "results").join(RUN_NAME);
    let merged = RunResult::read(&results.join("merged/result.json")).expect("merged result");
    let w = merged.workers.as_ref().expect("a merged result");
    assert_eq!(w.count as i64, completions);
    for p in &merged.paths {
        let shares: u64 = (0..completions)
            .map(|i| {
                let r = RunResult::read(&results.join(format!("worker-{i}/result.json")))
                    .expect("a worker's result");
                assert_eq!(r.worker.as_ref().map(|w| w.index as i64), Some(i + 1));
                r.path(&p.name).expect("path").ledger.sent
            })
            .sum();
        assert!(p.ledger.sent > 0, "{}", p.name);
        assert_eq!(p.ledger.sent, shares, "{}: merged = the shares", p.name);
        assert_eq!(
            p.ledger.read, p.ledger.sent,
            "{}: every record read",
            p.name
        );
        assert!(p.ledger.balances(), "{}", p.name);
        assert_eq!(p.ledger.lost, 0, "{}", p.name);
    }
    // The merge pod removed what worker 1 kept.
    let left = Command::new(bin())
        .args([
            "cleanup",
            "--dry-run",
            "--endpoint-url",
            &serve.url(),
            "--result",
        ])
        .arg(results.join("worker-0"))
        .output()
        .expect("cleanup");
    assert!(left.status.success());
    // Streams gone; keys can only wait out KMS's deletion window.
    let listed = String::from_utf8_lossy(&left.stdout).to_string();
    assert!(
        listed
            .lines()
            .all(|l| l.starts_with("key") && l.ends_with("already pending deletion")),
        "{listed}"
    );
    assert!(listed.contains("key"), "the envelope path's key: {listed}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn kubernetes_expansion_as_documented() {
    let vars = vec![
        ("A".to_string(), "1".to_string()),
        ("B".to_string(), "x".to_string()),
    ];
    assert_eq!(expand("r/$(A)/w-$(B)", &vars), "r/1/w-x");
    assert_eq!(expand("$$(A) $(C) $x", &vars), "$(A) $(C) $x");
}
