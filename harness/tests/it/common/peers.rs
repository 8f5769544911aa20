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
    missing(
        "the Python half of this test",
        format!(
            "the Python peer ({}) is not installed: run scripts/test.sh, which installs \
             scripts/peers/requirements.txt into target/peers/venv (or set KCB_PYTHON)",
            modules.join(", ")
        ),
    )
}

/// A peer is missing: the test fails under `KCB_REQUIRE_PEERS` (as on CI), else says loudly
/// that `what` is skipped.
fn missing<T>(what: &str, msg: String) -> Option<T> {
    if std::env::var_os("KCB_REQUIRE_PEERS").is_some() {
        panic!("{msg}");
    }
    eprintln!("SKIPPED {what}: {msg}");
    None
}

/// A child process, killed (and reaped) when dropped.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A peer's server on 127.0.0.1: the process, its port, and the file its output goes to.
pub struct PeerServer {
    /// The process.
    pub child: Killed,
    /// Its port.
    pub port: u16,
    /// Where its output goes.
    pub log: PathBuf,
}

impl PeerServer {
    /// What it printed.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its endpoint URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// A port free on 127.0.0.1 a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port()
}

/// Longest wait for a peer's server to take connections.
const PEER_START: std::time::Duration = std::time::Duration::from_secs(20);

/// Start `command` (which must listen on 127.0.0.1:`port`), its output into `dir/<name>.log`,
/// and wait, bounded, until the port answers.
pub fn start_server(name: &str, mut command: Command, port: u16, dir: &Path) -> PeerServer {
    use std::net::{Ipv4Addr, SocketAddr, TcpStream};
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let log = dir.join(format!("{name}.log"));
    let out = std::fs::File::create(&log).expect("the peer's log");
    command
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("log handle"))
        .stderr(out);
    let child = Killed(
        command
            .spawn()
            .unwrap_or_else(|e| panic!("{name} starts: {e}")),
    );
    let mut server = PeerServer { child, port, log };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + PEER_START;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return server;
        }
        if let Some(status) = server.child.0.try_wait().expect("the peer's status") {
            panic!(
                "{name} exited ({status}) before listening: {}",
                server.log()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{name} not listening on {addr} after {PEER_START:?}: {}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// moto_server (the script next to the peers' Python, else `python -m moto.server`) on a free
/// loopback port.
pub fn start_moto(python: &Path, dir: &Path) -> PeerServer {
    let port = free_port();
    let script = python.with_file_name("moto_server");
    let mut command = if script.is_file() {
        Command::new(script)
    } else {
        let mut c = Command::new(python);
        c.args(["-m", "moto.server"]);
        c
    };
    command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
    start_server("moto_server", command, port, dir)
}

/// The npm peers' directory (`KCB_NPM_PEERS`, else target/peers/npm, where scripts/test.sh
/// installs scripts/peers/package.json) if kinesalite and node are there; otherwise `None`
/// after failing the test when peers are required, or printing that it is skipped.
pub fn kinesalite_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KCB_NPM_PEERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/peers/npm"));
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if node_ok && dir.join("node_modules/kinesalite/package.json").is_file() {
        return Some(dir);
    }
    missing(
        "this test",
        format!(
            "the npm peer (kinesalite) is not installed{}: run scripts/test.sh, which installs \
             scripts/peers/package.json into target/peers/npm with npm (or set KCB_NPM_PEERS)",
            if node_ok { "" } else { " and node is missing" }
        ),
    )
}

/// kinesalite on a free loopback port (scripts/peers/kinesalite.js).
pub fn start_kinesalite(npm: &Path, dir: &Path) -> PeerServer {
    let port = free_port();
    let mut command = Command::new("node");
    command
        .arg(repo().join("scripts/peers/kinesalite.js"))
        .arg(npm)
        .arg(port.to_string());
    start_server("kinesalite", command, port, dir)
}

/// Run `command` with stdout and stderr to files in `dir`, killed past `limit`: its status and
/// its output.
pub fn run_bounded(
    mut command: Command,
    dir: &Path,
    limit: std::time::Duration,
) -> (std::process::ExitStatus, String) {
    use std::fs::File;
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let (out, err) = (dir.join("run.stdout"), dir.join("run.stderr"));
    command
        .stdin(Stdio::null())
        .stdout(File::create(&out).expect("stdout file"))
        .stderr(File::create(&err).expect("stderr file"));
    let mut child = Killed(command.spawn().expect("the binary starts"));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("the run's status") {
            break status;
        }
        assert!(Instant::now() < deadline, "the run took over {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = format!(
        "stdout:\n{}\nstderr:\n{}",
        std::fs::read_to_string(&out).unwrap_or_default(),
        std::fs::read_to_string(&err).unwrap_or_default()
    );
    (status, output)
}
