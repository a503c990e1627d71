//! What people see: snapshots of the table for a healthy and a broken world (colours off), of
//! `--help` and `checks`; colour only when asked or on a terminal; `-v` adds the waterfall.

use serde_json::json;

use crate::support::pki::{Pki, Validity};
use crate::support::server::{self, Reply};
use crate::support::world::World;
use crate::support::{doctor, run};

/// Snapshot settings: timings, ports, day counts, dates, temp paths and the version vary.
fn stable() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d+(\.\d+)? (ms|s)\b", "[T]");
    settings.add_filter(r":\d{2,5}\b", ":[PORT]");
    // The day count may wrap onto the next line: filter the number alone.
    settings.add_filter(r"valid \d+ more", "valid [N] more");
    settings.add_filter(r"openai-doctor \d+\.\d+\.\d+", "openai-doctor [VERSION]");
    settings.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIME]");
    settings.add_filter(r"/tmp/[^\s)]+", "[TMP]");
    settings
}

#[test]
fn table_for_a_healthy_world() {
    let world = World::healthy();
    let r = run(doctor().args(world.args()).args(["--skip", "container", "--probes", "2"]), &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    stable().bind(|| insta::assert_snapshot!(r.stdout));
}

#[test]
fn table_for_an_intercepting_proxy() {
    let zscaler = Pki::new("Zscaler Root CA", "Zscaler Inc.");
    let api = server::https(zscaler.server_config(&["api.test"], Validity::Current), |_| Reply::json(200, &json!({})));
    let world = World::healthy();
    let base = format!("https://api.test:{}/v1", api.addr.port());
    let r = run(doctor().args(world.args_without_ca()).args(["--skip", "container", "--base-url", &base]), &[]);
    assert_eq!(r.code, 1);
    stable().bind(|| insta::assert_snapshot!(r.stdout));
}

#[test]
fn help_and_checks_snapshots() {
    let r = run(doctor().arg("--help"), &[]);
    insta::assert_snapshot!("help", r.stdout);
    let r = run(doctor().arg("checks"), &[]);
    insta::assert_snapshot!("checks", r.stdout);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let world = World::healthy();
    let piped = run(doctor().args(world.args()).args(["--only", "dns"]).env_remove("NO_COLOR"), &[]);
    assert!(!piped.stdout.contains('\x1b'), "piped output has no ANSI codes");
    let always = run(doctor().args(world.args()).args(["--only", "dns", "--color", "always"]), &[]);
    assert!(always.stdout.contains("\x1b[32m✓\x1b[0m"), "{:?}", always.stdout);
    let never = run(doctor().args(world.args()).args(["--only", "dns", "--color", "never"]), &[]);
    assert!(!never.stdout.contains('\x1b'));
    assert!(piped.stderr.is_empty(), "no progress line when stderr is not a terminal: {:?}", piped.stderr);
}

#[test]
fn verbose_adds_details_the_waterfall_and_the_requests() {
    let world = World::healthy();
    let r = run(doctor().args(world.args()).args(["--skip", "container", "--probes", "1", "-v"]), &[]);
    for text in [
        "Network path",
        "DNS lookup",
        "TCP connect",
        "TLS handshake",
        "first byte",
        "Requests (",
        "GET /v1/models",
        "POST /v1/chat/completions",
        "took ",
    ] {
        assert!(r.stdout.contains(text), "-v lacks {text:?}:\n{}", r.stdout);
    }
    for line in r.stdout.lines() {
        assert!(line.chars().count() <= 80 || !line.contains(' '), "over 80 columns: {line:?}");
    }
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = run(doctor().args(["completions", shell]), &[]);
        assert_eq!(r.code, 0);
        assert!(r.stdout.contains("openai-doctor") && r.stdout.contains("deadline"), "{shell}");
    }
    let r = run(doctor().arg("man"), &[]);
    assert!(r.stdout.starts_with(".ie") && r.stdout.contains(".TH openai-doctor 1"), "{}", &r.stdout[..200]);
}
