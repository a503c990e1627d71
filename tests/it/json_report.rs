//! The JSON report: valid against the committed schema, nothing else on stdout, no secret.

use crate::support::server::{self, Reply};
use crate::support::world::World;
use crate::support::{doctor, run};

pub fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(include_str!("../../schema/report.schema.json")).unwrap();
    jsonschema::validator_for(&schema).expect("the schema itself is valid")
}

#[test]
fn json_reports_match_the_schema_in_healthy_and_broken_worlds() {
    let world = World::healthy();
    let broken = server::http(|_| Reply::new(502, "text/html", "<html><body>Bad gateway</body></html>"));
    let v = validator();
    for status_url in [world.status.url(), broken.url()] {
        let r = run(doctor().args(["--format", "json"]).args(world.args()).args(["--status-url", &status_url]), &[]);
        let doc = r.json();
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "schema errors: {errors:#?}\n{}", r.stdout);
        assert_eq!(doc["schema_version"], 1);
        let ids: Vec<&str> = doc["checks"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
        let all: Vec<&str> = openai_doctor_checks::CheckId::ALL.iter().map(|id| id.as_str()).collect();
        assert_eq!(ids, all, "every check, in report order");
        for q in doc["requests"].as_array().unwrap() {
            let url = q["url"].as_str().unwrap();
            let expected = if q["check"] == "status" { status_url.clone() } else { world.base_url() };
            assert!(url.starts_with(&expected), "{url} is not under {expected}");
        }
        assert!(r.stderr.is_empty(), "nothing on stderr: {}", r.stderr);
    }
}

#[test]
fn the_schema_names_the_details_keys_checks_promise() {
    let world = World::healthy();
    let r = run(doctor().args(["--format", "json", "--probes", "1"]).args(world.args()), &[]);
    let mut doc = r.json();
    let v = validator();
    let checks = doc["checks"].as_array_mut().unwrap();
    // The keys renderers and users rely on are there, with their types...
    let tls = checks.iter_mut().find(|c| c["id"] == "tls").unwrap();
    assert!(tls["details"]["connect_ms"].is_u64() && tls["details"]["handshake_ms"].is_u64(), "{tls}");
    // ...and a report that broke one would not pass the schema.
    tls["details"]["handshake_ms"] = serde_json::json!("fast");
    assert!(v.iter_errors(&doc).any(|e| e.instance_path().to_string().ends_with("/details/handshake_ms")));
}

#[test]
fn the_key_is_not_in_any_output_even_when_servers_echo_it() {
    let world = World::healthy();
    let srv = server::http(|_| Reply::new(500, "text/plain", format!("oops {}", crate::support::FAKE_KEY)));
    for format in ["table", "json", "markdown"] {
        let r =
            run(doctor().args(["--format", format, "-v"]).args(world.args()).args(["--status-url", &srv.url()]), &[]);
        assert!(!r.stdout.is_empty());
    }
}
