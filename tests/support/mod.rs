//! The loopback worlds black-box tests run the binary against: a test PKI minted by rcgen at test
//! time, HTTP(S) servers on 127.0.0.1:0, and status-page documents in both formats.
//! Nothing here touches a non-loopback address.

#![allow(dead_code)]

pub mod answers;
pub mod cgroup;
pub mod dns;
pub mod docker;
pub mod error_bodies;
pub mod netns;
pub mod nginx;
pub mod pki;
pub mod server;
pub mod simulated;
pub mod status_pages;
pub mod tinyproxy;
pub mod world;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

/// A fake key in the shape of a real project key. Tests assert it never appears in any output.
pub const FAKE_KEY: &str = "sk-proj-TESTabcdefghijklmnopqrstuvwxyzT3BlbkFJ0123456789ABCDWXYZ";

/// The binary with a scrubbed environment (no proxies, no OPENAI_* from the developer's shell),
/// a fake key, no colour, and status checks pointed nowhere unless a test says otherwise.
pub fn doctor() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("openai-doctor").expect("binary is built");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("OPENAI_API_KEY", FAKE_KEY)
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "0")
        .timeout(Duration::from_secs(60));
    cmd
}

/// A finished run: exit code, stdout, stderr, wall time.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// Parses stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// The JSON report's entry for check `id`.
    pub fn check(&self, id: &str) -> serde_json::Value {
        self.json()["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no check {id}"))
    }
}

/// Runs `cmd`, and asserts the fake key and the given secrets appear in neither stdout nor stderr.
pub fn run(cmd: &mut assert_cmd::Command, secrets: &[&str]) -> Run {
    let start = Instant::now();
    let Output { status, stdout, stderr } = cmd.output().expect("binary runs");
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        elapsed: start.elapsed(),
    };
    for secret in std::iter::once(&FAKE_KEY).chain(secrets) {
        assert!(!run.stdout.contains(secret), "secret leaked on stdout:\n{}", run.stdout);
        assert!(!run.stderr.contains(secret), "secret leaked on stderr:\n{}", run.stderr);
    }
    run
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("temp file is writable");
    path
}

/// Records a skipped test: says so on stderr (captured by the test harness) and, when
/// `scripts/test` asks through `OPENAI_DOCTOR_SKIPPED` (a file), appends a line there, so that
/// its closing line can name every skipped test. The callers assert first that CI is not set:
/// CI must run everything.
pub fn record_skip(test: &str, why: &str) {
    eprintln!("SKIPPED {test}: {why}");
    if let Some(file) = std::env::var_os("OPENAI_DOCTOR_SKIPPED") {
        use std::io::Write;
        let line = format!("{test}: {}\n", why.replace('\n', " "));
        // One write per line in append mode: concurrent tests do not interleave.
        if let Ok(mut f) = std::fs::OpenOptions::new().append(true).create(true).open(file) {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// PATH with the project venv's bin/ first (`scripts/test` makes it with the tests' Python
/// packages: `OPENAI_DOCTOR_VENV`, which `.ci/run` sets and `scripts/loopback-audit` inherits, else
/// `.venv/`), so that `cargo test` alone and the audit's run under strace find them too.
pub fn path_with_venv() -> std::ffi::OsString {
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv");
    let named = std::env::var_os("OPENAI_DOCTOR_VENV").map(std::path::PathBuf::from);
    let rest = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<std::path::PathBuf> = std::env::split_paths(&rest).collect();
    for venv in [Some(project), named].into_iter().flatten() {
        let bin = venv.join("bin");
        if bin.is_dir() && !dirs.contains(&bin) {
            dirs.insert(0, bin);
        }
    }
    std::env::join_paths(dirs).unwrap_or(rest)
}
