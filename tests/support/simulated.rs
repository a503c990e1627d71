//! The doctor's own `simulate` as a background API server on a free loopback port (plain HTTP:
//! a proxy in front of it terminates TLS), with a fault plan. Killed when dropped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Simulated {
    pub port: u16,
    child: Child,
}

impl Simulated {
    /// `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }
}

impl Drop for Simulated {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `openai-doctor simulate --faults FAULTS` and waits until it listens.
pub fn start(faults: &str) -> Simulated {
    start_with(faults, &[], &[])
}

/// As [`start`], with more flags (`--provider azure`) and variables (the key it accepts).
pub fn start_with(faults: &str, flags: &[&str], vars: &[(&str, &str)]) -> Simulated {
    let bin = assert_cmd::cargo::cargo_bin("openai-doctor");
    for _ in 0..5 {
        let port = super::server::closed_port();
        let mut child = Command::new(&bin)
            .args(["simulate", "--quiet", "--listen", &format!("127.0.0.1:{port}"), "--faults", faults])
            .args(flags)
            .env_clear()
            .env("OPENAI_API_KEY", "simulated-not-a-real-key")
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("simulate starts");
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Simulated { port, child };
            }
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("simulate did not start listening");
}
