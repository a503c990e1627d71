//! The support bundle against a real loopback world, with a fake key and a credentialed proxy:
//! every file is there, no secret survives in any of them, the request ids are the server's,
//! and Ctrl-C still yields a partial report and a bundle, with exit 130.

use std::io::Read;
use std::time::Duration;

use serde_json::json;

use crate::support::server::Reply;
use crate::support::world::World;
use crate::support::{FAKE_KEY, doctor, run, tinyproxy};

pub(crate) fn unzip(path: &std::path::Path) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            (f.name().to_owned(), text)
        })
        .collect()
}

pub(crate) fn bundle_in(dir: &std::path::Path) -> std::path::PathBuf {
    let zips: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip"))
        .collect();
    assert_eq!(zips.len(), 1, "exactly one bundle and no temporary file: {zips:?}");
    zips[0].clone()
}

#[test]
fn bundle_has_every_file_and_no_secret() {
    // The server derives each request id from the client's, so the test knows which it issued.
    let world = World::with_api(|s| {
        Reply::json(
            500,
            &json!({"error": {"message": "The server had an error", "type": "server_error", "code": null}}),
        )
        .header("x-request-id", &issued_id(s))
    });
    let password = "Pr0xy-Pa55word_z";
    let proxy = tinyproxy::start(Some(("doctor", password)));
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = doctor();
    cmd.current_dir(dir.path())
        .args(world.args())
        .args([
            "--probes",
            "2",
            "--bundle",
            "--skip",
            "container",
            "--base-url",
            &world.base_url().replace("api.test", "localhost"),
        ])
        .env("HTTPS_PROXY", proxy.url(Some(("doctor", password))))
        .env("NO_PROXY", "127.0.0.1")
        .env("OPENAI_ADMIN_KEY", "sk-admin-ADMINabcdefghijklmnopqrstuvwxyz0123456789")
        .env("OPENAI_WEBHOOK_SECRET", "whsec_webhooksecretvalue123");
    // Through the proxy, tinyproxy resolves the API host itself: use localhost (the world's
    // certificate names both api.test and localhost).
    let r = run(&mut cmd, &[password, "ADMINabcdefghijklmnop", "whsec_webhooksecretvalue123"]);
    let path = bundle_in(dir.path());
    assert!(
        r.stderr.contains(&format!("support bundle {}", path.file_name().unwrap().to_str().unwrap())),
        "{}",
        r.stderr
    );
    let sha = ring::digest::digest(&ring::digest::SHA256, &std::fs::read(&path).unwrap())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    assert!(r.stderr.contains(&sha), "stderr names the sha256: {}", r.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let files = unzip(&path);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["ticket.md", "report.json", "requests.jsonl", "environment.json", "README.txt"]);
    for (name, text) in &files {
        for secret in [FAKE_KEY, password, "ADMINabcdefghijklmnop", "whsec_webhooksecretvalue123"] {
            assert!(!text.contains(secret), "{secret:?} leaked in {name}:\n{text}");
        }
    }
    let text = |n: &str| files.iter().find(|(f, _)| f == n).unwrap().1.clone();
    let marker = r.stderr.split("ticket marker ").nth(1).unwrap().trim().to_owned();
    assert!(marker.starts_with("OD-") && text("ticket.md").contains(&marker), "{marker}");
    assert!(text("environment.json").contains("sk-proj-…WXYZ"), "the key shows as its hint");
    assert!(text("environment.json").contains(&format!("http://doctor:***@127.0.0.1:{}/", proxy.port)));
    // Request ids in the bundle are exactly the ones the server issued.
    let seen = world.api.seen();
    let lines: Vec<serde_json::Value> = text("requests.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v["check"] == "probe")
        .collect();
    assert_eq!(lines.len(), seen.len());
    for (line, s) in lines.iter().zip(&seen) {
        assert_eq!(line["client_request_id"].as_str(), s.header("x-client-request-id"));
        assert_eq!(line["request_id"].as_str().unwrap(), issued_id(s), "{line}");
    }
    let ticket = text("ticket.md");
    assert!(
        ticket.contains("## Failed requests") && ticket.contains(lines[0]["request_id"].as_str().unwrap()),
        "{ticket}"
    );
    assert!(ticket.contains("## Ruled out"), "{ticket}");
}

fn issued_id(s: &crate::support::server::Seen) -> String {
    format!("req_{}", s.header("x-client-request-id").unwrap_or("none").replace('-', ""))
}

#[cfg(unix)]
#[test]
fn ctrl_c_prints_a_partial_report_writes_the_bundle_and_exits_130() {
    let world = World::with_api(|_| Reply::json(200, &json!({"data": []})).after(Duration::from_secs(20)));
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("openai-doctor");
    let mut child = std::process::Command::new(bin)
        .current_dir(dir.path())
        .env_clear()
        .env("OPENAI_API_KEY", FAKE_KEY)
        .env("NO_COLOR", "1")
        .args(world.args())
        .args(["--format", "json", "--bundle", "--deadline", "30"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let start = std::time::Instant::now();
    let out = loop {
        if child.try_wait().unwrap().is_some() {
            break child.wait_with_output().unwrap();
        }
        assert!(start.elapsed() < Duration::from_secs(5), "the doctor did not stop after SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(out.status.code(), Some(130));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a partial JSON report");
    assert_eq!(doc["interrupted"], true);
    let errors: Vec<String> = crate::json_report::validator().iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "a partial report still matches the schema: {errors:?}");
    let probe = doc["checks"].as_array().unwrap().iter().find(|c| c["id"] == "probe").unwrap().clone();
    assert!(probe["summary"].as_str().unwrap().starts_with("interrupted while waiting for: GET"), "{probe}");
    assert_eq!(
        doc["checks"].as_array().unwrap().iter().find(|c| c["id"] == "tls").unwrap()["status"],
        "warn",
        "finished checks keep their results"
    );
    // Checks had not finished and none failed: neither a pass nor "no problem found".
    assert_eq!(doc["verdict"]["status"], "warn", "{}", doc["verdict"]);
    let verdict = doc["verdict"]["summary"].as_str().unwrap();
    assert!(!verdict.contains("no problem found"), "{verdict}");
    assert!(verdict.starts_with("interrupted before ") && verdict.contains("probe"), "{verdict}");
    let files = unzip(&bundle_in(dir.path()));
    assert!(files.iter().any(|(n, t)| n == "ticket.md" && t.contains("interrupted")));

    // The table a user sees after Ctrl-C.
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("openai-doctor"))
        .env_clear()
        .env("OPENAI_API_KEY", FAKE_KEY)
        .env("NO_COLOR", "1")
        .args(world.args())
        .args(["--deadline", "30"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let table = String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(table.contains("! Verdict: interrupted before "), "{table}");
    assert!(!table.contains("✓ Verdict") && !table.contains("no problem found"), "{table}");
}
