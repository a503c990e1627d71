//! nginx (Debian's package) as a TLS reverse proxy in front of an upstream on loopback, run by the
//! test as its own process (`daemon off`, no master) with a configuration written to a temporary
//! directory. `scripts/test` and `.ci/run` install it; a missing binary fails the test with the
//! install command. Stops when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::pki::Pki;

/// How the proxy treats the upstream's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buffering {
    /// `proxy_buffering on` (nginx's default).
    On,
    /// `proxy_buffering off`.
    Off,
    /// `proxy_buffering on`, but the upstream answers with `X-Accel-Buffering: no` (added by a
    /// second, unbuffered nginx between the proxy and the API, as an application would send it).
    OnWithAccelNo,
}

pub struct Nginx {
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// The error log so far (what nginx said about the upstream).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn binary() -> PathBuf {
    for p in ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx", "/usr/local/bin/nginx"] {
        if std::path::Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!(
        "nginx is not installed: the streaming tests need it (apt-get install -y nginx; scripts/test and .ci/run do this)"
    );
}

/// Starts nginx on a free loopback port, serving TLS for `name` (and localhost, 127.0.0.1) with a
/// leaf of `pki`, proxying to
/// `127.0.0.1:upstream`.
pub fn start(pki: &Pki, name: &str, upstream: u16, buffering: Buffering) -> Nginx {
    let bin = binary();
    let mut last = String::new();
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let (cert, key) = pki.leaf_files(&[name, "localhost", "127.0.0.1"], dir.path());
        let port = super::server::closed_port();
        let inner = super::server::closed_port();
        let (outer_upstream, on_off) = match buffering {
            Buffering::On => (upstream, "on"),
            Buffering::Off => (upstream, "off"),
            Buffering::OnWithAccelNo => (inner, "on"),
        };
        let mut conf = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n\
events {{ worker_connections 64; }}\n\
http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
  server {{\n    listen 127.0.0.1:{port} ssl;\n    server_name {name};\n    ssl_certificate {cert};\n    ssl_certificate_key {key};\n\
    location / {{\n      proxy_pass http://127.0.0.1:{outer_upstream};\n      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n      proxy_buffering {on_off};\n      proxy_read_timeout 30s;\n    }}\n  }}\n",
            cert = cert.display(),
            key = key.display(),
        );
        if buffering == Buffering::OnWithAccelNo {
            conf.push_str(&format!(
                "  server {{\n    listen 127.0.0.1:{inner};\n    location / {{\n      proxy_pass http://127.0.0.1:{upstream};\n      proxy_http_version 1.1;\n      proxy_buffering off;\n      add_header X-Accel-Buffering no;\n    }}\n  }}\n"
            ));
        }
        conf.push_str("}\n");
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, conf).unwrap();
        let mut child = Command::new(&bin)
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-c")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let start = Instant::now();
        let ready = loop {
            let up = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                && (buffering != Buffering::OnWithAccelNo
                    || std::net::TcpStream::connect(("127.0.0.1", inner)).is_ok());
            if up {
                break true;
            }
            if start.elapsed() > Duration::from_secs(5) || child.try_wait().ok().flatten().is_some() {
                break false;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if ready {
            return Nginx { port, child, dir };
        }
        let _ = child.kill();
        let _ = child.wait();
        last = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
    }
    panic!("nginx did not start listening: {last}");
}
