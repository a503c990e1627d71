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
    let ids = ["status", "dns", "tls", "proxy", "payload", "probe", "timeout", "container"];
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
    let ids: Vec<&str> =
        table.lines().filter_map(|l| l.strip_prefix("| `")).filter_map(|l| l.split('`').next()).take(8).collect();
    let order: Vec<&str> = openai_doctor_checks::CheckId::ALL.iter().map(|id| id.as_str()).collect();
    assert_eq!(ids, order);
}
