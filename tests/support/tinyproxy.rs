//! tinyproxy (Debian's package) started by a test on a free loopback port with its own
//! configuration: open, or with BasicAuth. `.ci/run` installs it; a missing binary fails the test
//! with the install command.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Tinyproxy {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Tinyproxy {
    /// `http://127.0.0.1:PORT` (with credentials when given).
    pub fn url(&self, creds: Option<(&str, &str)>) -> String {
        match creds {
            Some((u, p)) => format!("http://{u}:{p}@127.0.0.1:{}", self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn binary() -> PathBuf {
    for p in ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy", "/usr/local/bin/tinyproxy"] {
        if std::path::Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!(
        "tinyproxy is not installed: the real-proxy tests need it (apt-get install -y tinyproxy; .ci/run does this)"
    );
}

/// Starts tinyproxy; `auth` adds `BasicAuth user password`.
pub fn start(auth: Option<(&str, &str)>) -> Tinyproxy {
    let bin = binary();
    let mut last_error = String::new();
    for _ in 0..5 {
        let port = super::server::closed_port();
        let dir = tempfile::tempdir().unwrap();
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nLogLevel Info\nAllow 127.0.0.1\nDisableViaHeader Yes\n"
        );
        if let Some((u, p)) = auth {
            conf.push_str(&format!("BasicAuth {u} {p}\n"));
        }
        // Running as root, tinyproxy wants an unprivileged user to switch to.
        if is_root() {
            conf.push_str("User nobody\nGroup nogroup\n");
        }
        let path = dir.path().join("tinyproxy.conf");
        std::fs::write(&path, conf).unwrap();
        let mut child = Command::new(&bin)
            .arg("-d")
            .arg("-c")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tinyproxy starts");
        let stderr = child.stderr.take().unwrap();
        // Wait until it listens.
        let start = Instant::now();
        let ready = loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break true;
            }
            if start.elapsed() > Duration::from_secs(5) || child.try_wait().ok().flatten().is_some() {
                break false;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if ready {
            std::thread::spawn(move || for _ in BufReader::new(stderr).lines() {});
            return Tinyproxy { port, child, _dir: dir };
        }
        let _ = child.kill();
        let _ = child.wait();
        let said: Vec<String> = BufReader::new(stderr).lines().map_while(Result::ok).collect();
        last_error = said.join("\n");
    }
    panic!("tinyproxy did not start listening: {last_error}");
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
}
