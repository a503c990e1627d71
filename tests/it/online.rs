//! Against the real service: the status page, DNS and TLS of api.openai.com, and with a real
//! OPENAI_API_KEY in the environment, the probe. Only with `--features online`; CI never enables
//! it (the rest of the suite stays on loopback): `cargo test --features online --test it online`.

use crate::support::{doctor, run};

#[test]
fn the_real_status_page_and_network_path() {
    let r = run(doctor().args(["--format", "json", "--only", "status,dns,tls"]), &[]);
    let status = r.check("status");
    assert_ne!(status["status"], "skip", "{status}");
    assert!(
        status["details"]["api_components"].as_array().is_some_and(|c| !c.is_empty()),
        "the real page lists API components: {status}"
    );
    assert_eq!(r.check("dns")["status"], "pass", "{}", r.check("dns"));
    assert_eq!(r.check("tls")["status"], "pass", "the public chain verifies with the OS store: {}", r.check("tls"));
}

#[test]
fn the_real_probe_with_your_key() {
    let Ok(key) = std::env::var("OPENAI_API_KEY") else {
        eprintln!("OPENAI_API_KEY is not set: the real probe is not run");
        return;
    };
    let r = run(
        doctor().env("OPENAI_API_KEY", &key).args([
            "--format",
            "json",
            "--only",
            "dns,tls,probe,timeout",
            "--probes",
            "2",
            "--no-billable",
        ]),
        &[&key],
    );
    let probe = r.check("probe");
    assert!(["pass", "warn"].contains(&probe["status"].as_str().unwrap()), "{probe}");
    assert!(
        r.json()["requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["request_id"].as_str().is_some_and(|id| id.starts_with("req_")))
    );
}
