//! The command-line contract: help, usage errors (exit 2), subcommands, exit codes.

use crate::support::{doctor, run};

#[test]
fn help_lists_the_groups_and_examples() {
    let r = run(doctor().arg("--help"), &[]);
    assert_eq!(r.code, 0);
    for text in
        ["Target:", "Network:", "Request:", "Output:", "--base-url", "--deadline", "Inside a container", "Exit codes"]
    {
        assert!(r.stdout.contains(text), "--help lacks {text:?}:\n{}", r.stdout);
    }
    assert!(!r.stdout.contains("--api-key"), "the key is never a flag");
}

#[test]
fn unknown_flags_exit_2_with_a_helpful_message() {
    let r = run(doctor().arg("--bogus"), &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--bogus") && r.stderr.contains("--help"), "{}", r.stderr);
}

#[test]
fn bad_values_exit_2_and_say_what_is_wrong() {
    for (args, expect) in [
        (vec!["--base-url", "ftp://x"], "scheme"),
        (vec!["--deadline", "0"], "out of range"),
        (vec!["--deadline", "-1"], "out of range"),
        (vec!["--deadline", "1e-300"], "out of range"),
        (vec!["--max-retries", "4000000000"], "0..=100"),
        (vec!["--resolve", "api.openai.com:0:127.0.0.1"], "not a port number"),
        (vec!["--timeout", "soon"], "not a number"),
        (vec!["--resolve", "api.openai.com:443"], "HOST:PORT:ADDR"),
        (vec!["--dns-server", "dns.google"], "IP or IP:PORT"),
        (vec!["--only", "nosuch"], "not a check id"),
        (vec!["--format", "xml"], "table"),
    ] {
        let r = run(doctor().args(&args), &[]);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.contains(expect), "{args:?}: stderr lacks {expect:?}:\n{}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: nothing on stdout on a usage error");
    }
}

#[test]
fn an_unreadable_ca_file_is_an_input_error() {
    let r = run(doctor().args(["--ca-file", "/nonexistent/ca.pem", "--only", "container"]), &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("cannot read CA file /nonexistent/ca.pem"), "{}", r.stderr);
    let dir = tempfile::tempdir().unwrap();
    let junk = crate::support::write(dir.path(), "junk.pem", "not a certificate\n");
    let r = run(doctor().arg("--ca-file").arg(&junk).args(["--only", "container"]), &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("holds no certificate"), "{}", r.stderr);
}

#[test]
fn checks_lists_every_id_in_report_order() {
    let r = run(doctor().arg("checks"), &[]);
    assert_eq!(r.code, 0);
    // From the list itself: a new check is listed without touching this test.
    let ids: Vec<&str> = openai_doctor_checks::CheckId::ALL.iter().map(|id| id.as_str()).collect();
    assert!(ids.len() >= 8, "{ids:?}");
    let positions: Vec<usize> =
        ids.iter().map(|id| r.stdout.find(&format!("{id} ")).unwrap_or_else(|| panic!("{id} missing"))).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "order: {positions:?}\n{}", r.stdout);
    assert!(r.stdout.contains("guide step"), "{}", r.stdout);
}

#[test]
fn explain_prints_the_long_text_and_rejects_unknown_codes() {
    let r = run(doctor().args(["explain", "status.major_outage"]), &[]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Fix:") && r.stdout.contains("Verify:"), "{}", r.stdout);
    let r = run(doctor().args(["explain", "nope"]), &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("container.ndots"), "lists known codes: {}", r.stderr);
}

#[test]
fn version_is_printed() {
    let r = run(doctor().arg("--version"), &[]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("openai-doctor "), "{}", r.stdout);
}

#[test]
fn readme_lists_every_finding_code_and_the_checks_in_order() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let missing: Vec<&str> = openai_doctor_checks::catalog::all()
        .iter()
        .map(|c| c.id)
        .filter(|id| !readme.contains(&format!("| `{id}` |")))
        .collect();
    assert!(missing.is_empty(), "README's finding-code table lacks: {missing:?}");
    let table = readme.split("## The checks").nth(1).unwrap();
    // Every row of the section's first table, however many: a row without its check fails too.
    let ids: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let order: Vec<&str> = openai_doctor_checks::CheckId::ALL.iter().map(|id| id.as_str()).collect();
    assert_eq!(ids, order);
}

#[cfg(target_os = "linux")]
#[test]
fn pid_diagnoses_another_process_with_its_environment_and_keeps_its_secrets() {
    let world = crate::support::world::World::healthy();
    let dir = tempfile::tempdir().unwrap();
    // The app: its own key, base URL, a proxy with a password and a CA file that is not there.
    let mut app = std::process::Command::new("sleep")
        .arg("30")
        .env_clear()
        .env("OPENAI_API_KEY", crate::support::FAKE_KEY)
        .env("OPENAI_BASE_URL", world.base_url())
        .env("HTTPS_PROXY", "http://alice:PIDSECRET-77pw@127.0.0.1:9")
        .env("NO_PROXY", "api.test")
        .env("SSL_CERT_FILE", "/nonexistent/app-ca.pem")
        .spawn()
        .unwrap();
    let pid = app.id().to_string();
    // The doctor's own environment has no key, and a base URL of its own that --pid overrides:
    // the app's view is what is diagnosed, unless the command line says otherwise.
    let r = run(
        doctor()
            .env_remove("OPENAI_API_KEY")
            .env("OPENAI_BASE_URL", "https://doctors-own.invalid/v1")
            .current_dir(dir.path())
            .args(["--pid", &pid, "--format", "json", "--only", "dns,tls,proxy", "--bundle"])
            .args(["--dns-server", &world.dns.arg(), "--ca-file", world.pki.ca_file.to_str().unwrap()]),
        &["PIDSECRET-77pw"],
    );
    let _ = app.kill();
    let _ = app.wait();
    let doc = r.json();
    assert_eq!(doc["target"]["base_url"], world.base_url(), "the app's OPENAI_BASE_URL: {doc}");
    assert!(doc["target"]["process"].as_str().unwrap().starts_with(&format!("pid {pid} (sleep)")), "{doc}");
    let proxy = r.check("proxy");
    assert!(proxy["summary"].as_str().unwrap().contains("NO_PROXY `api.test` bypasses HTTPS_PROXY"), "{proxy}");
    let tls = r.check("tls");
    assert!(tls.to_string().contains("/nonexistent/app-ca.pem"), "the app's SSL_CERT_FILE: {tls}");
    for (name, text) in crate::bundle::unzip(&crate::bundle::bundle_in(dir.path())) {
        assert!(!text.contains("PIDSECRET-77pw") && !text.contains(crate::support::FAKE_KEY), "secret in {name}");
    }

    let r = run(doctor().args(["--pid", "999999999", "--only", "container"]), &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("no such process"), "{}", r.stderr);
}
