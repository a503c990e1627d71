//! `openai-doctor validate` and `--payload`: exit codes, the human report (snapshot), JSON,
//! stdin, and the payload check inside a run.

use std::path::PathBuf;

use crate::support::world::World;
use crate::support::{doctor, run};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/payloads").join(name).display().to_string()
}

#[test]
fn validate_exit_codes() {
    let valid: Vec<String> =
        ["valid_chat.json", "valid_responses.json", "valid_embeddings.json"].iter().map(|f| fixture(f)).collect();
    let r = run(doctor().arg("validate").args(&valid), &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("3 files checked: 0 errors, 0 warnings"), "{}", r.stdout);
    let r = run(doctor().args(["validate", &fixture("broken_chat.json")]), &[]);
    assert_eq!(r.code, 1);
    let r = run(doctor().args(["validate", &fixture("valid_chat.json"), "/nonexistent.json"]), &[]);
    assert_eq!(r.code, 2, "an unreadable file wins: {}", r.stdout);
    assert!(r.stdout.contains("cannot read payload /nonexistent.json"), "{}", r.stdout);
    let r = run(doctor().arg("validate"), &[]);
    assert_eq!(r.code, 2, "a file is required");
}

#[test]
fn validate_report_snapshot() {
    let r = run(doctor().args(["validate", &fixture("broken_chat.json"), &fixture("valid_embeddings.json")]), &[]);
    let text = r.stdout.replace(&fixture(""), "");
    insta::assert_snapshot!(text);
}

#[test]
fn validate_json_and_stdin() {
    let mut cmd = doctor();
    cmd.args(["validate", "--format", "json", "-"])
        .write_stdin(r#"{"model": "gpt-4o", "messages": [{"role": "bot", "content": "x"}]}"#);
    let r = run(&mut cmd, &[]);
    assert_eq!(r.code, 1);
    let doc = r.json();
    assert_eq!(doc["errors"], 1);
    assert_eq!(doc["files"][0]["file"], "<stdin>");
    let p = &doc["files"][0]["report"]["problems"][0];
    assert_eq!(
        (p["path"].as_str(), p["code"].as_str(), p["level"].as_str()),
        (Some("/messages/0/role"), Some("payload.enum"), Some("error"))
    );
    assert!(p["api_message"].as_str().unwrap().starts_with("Invalid value: 'bot'"));
}

#[test]
fn payload_check_in_a_run() {
    let world = World::healthy();
    let r = run(
        doctor()
            .args([
                "--format",
                "json",
                "--skip",
                "status,container",
                "--probes",
                "1",
                "--payload",
                &fixture("broken_chat.json"),
            ])
            .args(world.args()),
        &[],
    );
    let c = r.check("payload");
    assert_eq!(c["status"], "fail", "{c}");
    assert!(c["summary"].as_str().unwrap().contains("5 errors"), "{c}");
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["verdict"]["root_cause"], "payload");
    // The probe used the payload's model.
    let chat = world.api.seen().into_iter().find(|s| s.method == "POST").expect("a chat completion");
    let body: serde_json::Value = serde_json::from_slice(&chat.body).unwrap();
    assert_eq!(body["model"], "gpt-4o");
    // Without --payload the check is skipped with how to give one.
    let r = run(doctor().args(["--format", "json", "--only", "payload"]).args(world.args()), &[]);
    assert!(r.check("payload")["summary"].as_str().unwrap().contains("--payload FILE"));
}

#[test]
fn send_payload_shows_when_the_payload_itself_fails() {
    let world = World::with_api(|s| {
        if s.path.ends_with("/chat/completions") && s.body.len() > 300 {
            crate::support::server::Reply::json(500, &serde_json::json!({"error": {"message": "The server had an error processing your request.", "type": "server_error", "code": null}}))
                .header("x-request-id", "req_payload500")
        } else {
            crate::support::server::Reply::json(200, &serde_json::json!({"data": []}))
                .header("x-request-id", "req_fine")
        }
    });
    let r = run(
        doctor()
            .args([
                "--format",
                "json",
                "--only",
                "dns,tls,probe",
                "--probes",
                "1",
                "--send-payload",
                "--payload",
                &fixture("valid_chat.json"),
            ])
            .args(world.args()),
        &[],
    );
    let f = r.check("probe")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "probe.payload_fails")
        .cloned()
        .expect("payload finding");
    assert!(
        f["message"].as_str().unwrap().contains("the minimal request passes but your payload fails with 500"),
        "{f}"
    );
    assert!(f["message"].as_str().unwrap().contains("req_payload500"), "{f}");
    assert_eq!(r.code, 1);
}

/// A 1 MB chat body of ordinary sentences, as an application might send.
fn megabyte_payload(dir: &std::path::Path) -> PathBuf {
    let words = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "models", "count"];
    let (mut messages, mut size, mut i) = (Vec::new(), 0, 0usize);
    while size < 1_000_000 {
        let text: Vec<&str> = (0..200).map(|k| words[(i * 7 + k * 3) % words.len()]).collect();
        let text = text.join(" ");
        size += text.len();
        messages.push(serde_json::json!({"role": if i % 2 == 0 { "user" } else { "assistant" }, "content": text}));
        i += 1;
    }
    messages.push(serde_json::json!({"role": "user", "content": "Summarise."}));
    let path = dir.join("big.json");
    std::fs::write(&path, serde_json::json!({"model": "gpt-4.1", "messages": messages}).to_string()).unwrap();
    path
}

/// The doctor runs inside the user's container: under a 48 MiB limit, a whole run with a 1 MB
/// payload must complete (0.1.0 peaked at ~75 MiB with any payload and would be OOM-killed).
#[test]
fn a_run_with_a_megabyte_payload_completes_under_a_48_mib_memory_limit() {
    let cg = match crate::support::cgroup::MemoryCgroup::new(48 << 20) {
        Ok(cg) => cg,
        // CI runs on machines that have a memory controller: there a skip would hide a failure.
        Err(why) if std::env::var_os("CI").is_some() => panic!("CI must run the memory-limit test: {why}"),
        Err(why) => {
            crate::support::record_skip("a_run_with_a_megabyte_payload_completes_under_a_48_mib_memory_limit", &why);
            return;
        }
    };
    let world = World::healthy();
    let dir = tempfile::tempdir().unwrap();
    let payload = megabyte_payload(dir.path());
    let out = cg
        .command(&assert_cmd::cargo::cargo_bin("openai-doctor"))
        .args(world.args())
        .args(["--format", "json", "--probes", "2", "--payload"])
        .arg(&payload)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OPENAI_API_KEY", crate::support::FAKE_KEY)
        .output()
        .unwrap();
    let peak = cg.peak().unwrap_or(0);
    eprintln!("peak memory of the run in its cgroup: {:.1} MiB", peak as f64 / 1048576.0);
    assert_eq!(cg.oom_kills(), 0, "the kernel killed the doctor for memory");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let payload_check = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == "payload").unwrap().clone();
    assert!(payload_check["details"]["tokens"].as_u64().unwrap() > 200_000, "tokens were counted: {payload_check}");
}
