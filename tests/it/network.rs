//! The network path against loopback worlds: a DNS server (hickory, in process), TLS servers with
//! rcgen CAs (trusted, interception, expired, wrong name), silent and closed ports, and tinyproxy.
//! In each world the right check fails first, the others are skipped as blocked, the finding names
//! the cause and the fix, and the run ends within --deadline.

use std::time::Duration;

use serde_json::json;

use crate::support::dns::{self, blackhole};
use crate::support::pki::{Pki, Validity};
use crate::support::server::{self, Reply, closed_port, silent};
use crate::support::status_pages::{HEALTHY, statuspage};
use crate::support::{Run, doctor, run, tinyproxy};

/// A healthy status page, so `status` passes and does not muddy the verdict.
fn status_page() -> server::Server {
    server::http(|_| Reply::json(200, &statuspage(HEALTHY, json!([]))))
}

/// Runs the doctor in JSON. Unless the test brings its own, a loopback nameserver with an empty
/// zone answers every lookup, so nothing leaves loopback.
fn doctor_run(base_url: &str, status: &server::Server, extra: &[&str], env: &[(&str, &str)], secrets: &[&str]) -> Run {
    let fallback = dns::serve(&[]);
    let mut cmd = doctor();
    cmd.args(["--format", "json", "--skip", "container", "--base-url", base_url, "--status-url", &status.url()])
        .args(extra);
    if !extra.contains(&"--dns-server") {
        cmd.args(["--dns-server", &fallback.arg()]);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd, secrets)
}

fn statuses(r: &Run) -> Vec<(String, String, Option<String>)> {
    r.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| ["status", "dns", "tls", "proxy"].contains(&c["id"].as_str().unwrap()))
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
                c["blocked_by"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn st(v: &[(&str, &str, Option<&str>)]) -> Vec<(String, String, Option<String>)> {
    v.iter().map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), c.map(str::to_owned))).collect()
}

fn finding(r: &Run, check: &str, i: usize) -> (String, String, String) {
    let f = &r.check(check)["findings"][i];
    (
        f["code"].as_str().unwrap().to_owned(),
        f["message"].as_str().unwrap().to_owned(),
        f["remedy"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn healthy_path_through_the_test_nameserver_and_ca() {
    let pki = Pki::new("Doctor Test Root", "openai-doctor tests");
    let api =
        server::https(pki.server_config(&["api.test"], Validity::Current), |_| Reply::json(200, &json!({"data": []})));
    let ns = dns::serve(&[("api.test", "127.0.0.1")]);
    let status = status_page();
    let base = format!("https://api.test:{}/v1", api.addr.port());
    let r =
        doctor_run(&base, &status, &["--dns-server", &ns.arg(), "--ca-file", pki.ca_file.to_str().unwrap()], &[], &[]);
    assert_eq!(
        statuses(&r),
        st(&[("status", "pass", None), ("dns", "pass", None), ("tls", "warn", None), ("proxy", "info", None)]),
        "{}",
        r.stdout
    );
    assert_eq!(r.code, 0);
    let dns = r.check("dns");
    assert!(dns["summary"].as_str().unwrap().contains("api.test → 127.0.0.1"), "{dns}");
    assert_eq!(dns["details"]["lookups"][0]["ttl"], 300);
    let tls = r.check("tls");
    assert!(tls["summary"].as_str().unwrap().contains("TLS 1.3"), "{tls}");
    assert_eq!(tls["details"]["chain"][0]["names"][0], "api.test");
    // Trusted by the doctor through --ca-file, by no real client: it says which and how to fix each.
    let (code, msg, fix) = finding(&r, "tls", 0);
    assert_eq!(code, "tls.client_trust");
    assert!(msg.contains("Python openai / httpx") && msg.contains("Node.js openai") && msg.contains("curl"), "{msg}");
    assert!(
        fix.contains("SSL_CERT_FILE") && fix.contains("NODE_EXTRA_CA_CERTS") && fix.contains("REQUESTS_CA_BUNDLE"),
        "{fix}"
    );
}

#[test]
fn curl_works_but_python_requests_and_node_do_not() {
    // SSL_CERT_FILE holds the CA: OS-store clients and httpx trust it; requests and Node.js do not.
    let pki = Pki::new("Corp Root", "Corp");
    let api = server::https(pki.server_config(&["api.test"], Validity::Current), |_| Reply::json(200, &json!({})));
    let ns = dns::serve(&[("api.test", "127.0.0.1")]);
    let status = status_page();
    let base = format!("https://api.test:{}/v1", api.addr.port());
    let ca = pki.ca_file.to_str().unwrap();
    let r =
        doctor_run(&base, &status, &["--dns-server", &ns.arg(), "--only", "dns,tls"], &[("SSL_CERT_FILE", ca)], &[]);
    let clients = r.check("tls")["details"]["clients"].clone();
    let trusted: Vec<(&str, bool)> = clients
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["client"].as_str().unwrap(), c["trusted"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        trusted,
        [
            ("curl, Go, OS tools", true),
            ("Python openai / httpx", true),
            ("Python requests", false),
            ("Node.js openai", false)
        ]
    );
    let (_, msg, fix) = finding(&r, "tls", 0);
    assert!(msg.contains("Python requests, Node.js openai"), "{msg}");
    assert!(
        fix.contains("REQUESTS_CA_BUNDLE") && fix.contains("NODE_EXTRA_CA_CERTS") && !fix.contains("SSL_CERT_FILE="),
        "{fix}"
    );
}

#[test]
fn interception_ca_is_named_with_the_fix_per_client() {
    let zscaler = Pki::new("Zscaler Root CA", "Zscaler Inc.");
    let api = server::https(zscaler.server_config(&["api.test"], Validity::Current), |_| Reply::json(200, &json!({})));
    let ns = dns::serve(&[("api.test", "127.0.0.1")]);
    let status = status_page();
    let r = doctor_run(
        &format!("https://api.test:{}/v1", api.addr.port()),
        &status,
        &["--dns-server", &ns.arg()],
        &[],
        &[],
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["verdict"]["root_cause"], "tls");
    let (code, msg, fix) = finding(&r, "tls", 0);
    assert_eq!(code, "tls.unknown_issuer");
    assert!(msg.contains("CN=Zscaler Root CA, O=Zscaler Inc.") && msg.contains("TLS-inspecting proxy"), "{msg}");
    for var in ["SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "--ca-file"] {
        assert!(fix.contains(var), "{var} missing from {fix}");
    }
}

#[test]
fn expired_not_yet_valid_and_wrong_name_are_told_apart() {
    let pki = Pki::new("Doctor Test Root", "tests");
    let ns = dns::serve(&[("api.test", "127.0.0.1")]);
    let status = status_page();
    let ca = pki.ca_file.to_str().unwrap().to_owned();
    for (names, validity, code, words) in [
        (&["api.test"][..], Validity::Expired, "tls.expired", vec!["valid until 2021-01-01", "local clock"]),
        (
            &["api.test"][..],
            Validity::NotYetValid,
            "tls.not_yet_valid",
            vec!["valid from 2999-01-01", "clock is probably behind"],
        ),
        (
            &["other.example", "www.other.example"][..],
            Validity::Current,
            "tls.name_mismatch",
            vec!["valid for other.example, www.other.example, not for api.test"],
        ),
    ] {
        let api = server::https(pki.server_config(names, validity), |_| Reply::json(200, &json!({})));
        let r = doctor_run(
            &format!("https://api.test:{}/v1", api.addr.port()),
            &status,
            &["--dns-server", &ns.arg(), "--ca-file", &ca],
            &[],
            &[],
        );
        let (c, msg, _) = finding(&r, "tls", 0);
        assert_eq!(c, code, "{msg}");
        for w in words {
            assert!(msg.contains(w), "{code}: {w:?} missing in {msg}");
        }
        assert_eq!(r.code, 1);
    }
}

#[test]
fn nxdomain_fails_dns_and_blocks_tls() {
    let ns = dns::serve(&[("api.test", "127.0.0.1")]);
    let status = status_page();
    let r = doctor_run("https://missing.test/v1", &status, &["--dns-server", &ns.arg()], &[], &[]);
    assert_eq!(
        statuses(&r),
        st(&[("status", "pass", None), ("dns", "fail", None), ("tls", "skip", Some("dns")), ("proxy", "info", None)])
    );
    assert_eq!(r.json()["verdict"]["root_cause"], "dns");
    let (code, msg, _) = finding(&r, "dns", 0);
    assert_eq!(code, "dns.nxdomain");
    assert!(msg.contains("NXDOMAIN") && msg.contains(&ns.arg()), "{msg}");
}

#[test]
fn refused_by_a_nameserver_that_does_not_serve_the_name() {
    let ns = dns::serve(&[("api.test", "127.0.0.1")]);
    let status = status_page();
    let r = doctor_run(
        "https://api.elsewhere.example/v1",
        &status,
        &["--dns-server", &ns.arg(), "--only", "dns,tls"],
        &[],
        &[],
    );
    let (code, msg, _) = finding(&r, "dns", 0);
    assert_eq!(code, "dns.refused", "{msg}");
}

#[test]
fn a_silent_nameserver_is_a_timeout_within_the_deadline() {
    let hole = blackhole();
    let status = status_page();
    let r = doctor_run(
        "https://api.test/v1",
        &status,
        &["--dns-server", &hole.addr.to_string(), "--deadline", "6"],
        &[],
        &[],
    );
    assert!(r.elapsed < Duration::from_secs(7), "took {:?}", r.elapsed);
    let (code, msg, fix) = finding(&r, "dns", 0);
    assert_eq!(code, "dns.timeout", "{msg}");
    assert!(msg.contains("no answer within") && msg.contains(&hole.addr.to_string()), "{msg}");
    assert!(fix.contains("port 53"), "{fix}");
    assert_eq!(statuses(&r)[2], ("tls".to_owned(), "skip".to_owned(), Some("dns".to_owned())));
}

#[test]
fn closed_port_and_silent_listener() {
    let status = status_page();
    let r = doctor_run(&format!("https://127.0.0.1:{}/v1", closed_port()), &status, &[], &[], &[]);
    assert_eq!(finding(&r, "tls", 0).0, "tls.connect_refused");
    assert_eq!(r.json()["verdict"]["root_cause"], "tls");
    let s = silent();
    let r = doctor_run(&format!("https://127.0.0.1:{}/v1", s.addr.port()), &status, &["--deadline", "4"], &[], &[]);
    assert!(r.elapsed < Duration::from_secs(5), "took {:?}", r.elapsed);
    let (code, msg, _) = finding(&r, "tls", 0);
    assert_eq!(code, "tls.handshake_timeout", "{msg}");
}

#[test]
fn a_dead_proxy_is_the_root_cause_and_tls_is_blocked() {
    let status = status_page();
    let port = closed_port();
    let r = doctor_run(
        "https://api.openai.com/v1",
        &status,
        &["--skip", "status"],
        &[("HTTPS_PROXY", &format!("http://127.0.0.1:{port}"))],
        &[],
    );
    assert_eq!(
        statuses(&r),
        st(&[("status", "skip", None), ("dns", "pass", None), ("tls", "skip", Some("proxy")), ("proxy", "fail", None)])
    );
    assert_eq!(r.json()["verdict"]["root_cause"], "proxy");
    let (code, msg, fix) = finding(&r, "proxy", 1);
    assert_eq!(code, "proxy.refused");
    assert!(msg.contains("from HTTPS_PROXY") && msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
    assert!(fix.contains("HTTPS_PROXY"), "{fix}");
}

#[test]
fn a_stalled_proxy_ends_within_the_deadline() {
    let status = status_page();
    let s = silent();
    let r = doctor_run(
        "https://api.openai.com/v1",
        &status,
        &["--skip", "status", "--deadline", "4"],
        &[("HTTPS_PROXY", &format!("http://{}", s.addr))],
        &[],
    );
    assert!(r.elapsed < Duration::from_secs(5), "took {:?}", r.elapsed);
    let (code, msg, _) = finding(&r, "proxy", 1);
    assert_eq!(code, "proxy.timeout", "{msg}");
    assert!(msg.contains("accepted the connection but no answer to CONNECT"), "{msg}");
}

#[test]
fn malformed_proxy_variables_and_typos() {
    let status = status_page();
    let r = doctor_run(
        "https://api.openai.com/v1",
        &status,
        &["--only", "proxy"],
        &[("https_proxy", "ftp://p:1"), ("HTTPS_PROXY", "http://other:1"), ("HTTP_PORXY", "x")],
        &[],
    );
    let p = r.check("proxy");
    let codes: Vec<&str> = p["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["proxy.case_conflict", "proxy.typo", "proxy.bad_url"], "{p}");
    assert_eq!(p["status"], "fail");
}

#[test]
fn no_proxy_bypass_is_reported_and_the_connection_is_direct() {
    let status = status_page();
    let r = doctor_run(
        "https://api.openai.com/v1",
        &status,
        &["--only", "proxy"],
        &[("HTTPS_PROXY", "http://127.0.0.1:9"), ("NO_PROXY", "localhost,.openai.com")],
        &[],
    );
    let p = r.check("proxy");
    assert_eq!(p["status"], "info", "{p}");
    assert!(p["summary"].as_str().unwrap().contains("NO_PROXY `.openai.com` bypasses HTTPS_PROXY"), "{p}");
    assert!(r.json()["target"]["proxy"].is_null());
}

#[test]
fn no_proxy_is_named_when_only_the_bypassed_proxy_gets_through() {
    // Direct, the client goes where --resolve pins localhost (127.0.0.3: nothing listens); the
    // proxy resolves localhost itself and reaches the API. NO_PROXY=localhost is the cause.
    let pki = Pki::new("Doctor Test Root", "tests");
    let api = server::https(pki.server_config(&["localhost"], Validity::Current), |_| Reply::json(200, &json!({})));
    let status = status_page();
    let port = api.addr.port();
    let base = format!("https://localhost:{port}/v1");
    let ca = pki.ca_file.to_str().unwrap().to_owned();
    let proxy = tinyproxy::start(None);
    let pin = format!("localhost:{port}:127.0.0.3");
    let r = doctor_run(
        &base,
        &status,
        &["--ca-file", &ca, "--resolve", &pin, "--only", "dns,tls,proxy"],
        &[("HTTPS_PROXY", &proxy.url(None)), ("NO_PROXY", "localhost,127.0.0.1")],
        &[],
    );
    let tls = r.check("tls");
    assert_eq!(tls["status"], "fail", "{tls}");
    let (code, msg, fix) = finding(&r, "tls", 0);
    assert_eq!(code, "tls.no_proxy_bypass", "{tls}");
    assert!(
        msg.starts_with(&format!("NO_PROXY entry `localhost` sends clients straight to localhost:{port}")),
        "{msg}"
    );
    assert!(msg.contains("through HTTPS_PROXY") && msg.contains("CONNECT 200"), "{msg}");
    assert!(fix.starts_with("Remove `localhost` from NO_PROXY"), "{fix}");
    assert_eq!(r.json()["verdict"]["root_cause"], "tls");
    // The direct failure is still there, after the cause.
    let codes: Vec<&str> = tls["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes[1], "tls.connect_refused", "{tls}");

    // Without the bypass the same world passes through the proxy: the finding is not a guess.
    let r = doctor_run(
        &base,
        &status,
        &["--ca-file", &ca, "--resolve", &pin, "--only", "dns,tls,proxy"],
        &[("HTTPS_PROXY", &proxy.url(None)), ("NO_PROXY", "127.0.0.1")],
        &[],
    );
    assert_eq!(r.check("proxy")["status"], "pass", "{}", r.stdout);
    assert_ne!(r.check("tls")["status"], "fail", "{}", r.check("tls"));
}

#[test]
fn through_tinyproxy_open_and_with_basic_auth() {
    let pki = Pki::new("Doctor Test Root", "tests");
    let api = server::https(pki.server_config(&["localhost"], Validity::Current), |_| Reply::json(200, &json!({})));
    let status = status_page();
    let base = format!("https://localhost:{}/v1", api.addr.port());
    let ca = pki.ca_file.to_str().unwrap().to_owned();

    let open = tinyproxy::start(None);
    let r = doctor_run(
        &base,
        &status,
        &["--ca-file", &ca],
        &[("HTTPS_PROXY", &open.url(None)), ("NO_PROXY", "127.0.0.1")],
        &[],
    );
    assert_eq!(
        statuses(&r),
        st(&[("status", "pass", None), ("dns", "pass", None), ("tls", "warn", None), ("proxy", "pass", None)]),
        "{}",
        r.stdout
    );
    assert!(r.check("proxy")["summary"].as_str().unwrap().contains("→ 200"), "{}", r.check("proxy"));
    assert_eq!(r.check("tls")["details"]["session"]["version"], "TLS 1.3");

    let password = "s3cr3t-Pa55word";
    let authed = tinyproxy::start(Some(("doctor", password)));
    let good = authed.url(Some(("doctor", password)));
    let r = doctor_run(
        &base,
        &status,
        &["--ca-file", &ca, "-v"],
        &[("HTTPS_PROXY", &good), ("NO_PROXY", "127.0.0.1")],
        &[password],
    );
    assert_eq!(r.check("proxy")["status"], "pass", "{}", r.stdout);
    assert_eq!(r.json()["target"]["proxy"], format!("http://doctor:***@127.0.0.1:{}/", authed.port));

    let wrong = authed.url(Some(("doctor", "wrong-password-123")));
    let r =
        doctor_run(&base, &status, &[], &[("HTTPS_PROXY", &wrong), ("NO_PROXY", "127.0.0.1")], &["wrong-password-123"]);
    let (code, msg, fix) = finding(&r, "proxy", 1);
    assert_eq!(code, "proxy.auth_required", "{msg}");
    assert!(msg.contains("rejected the credentials") && msg.contains("Basic"), "{msg}");
    assert!(fix.contains("http://<user>:<password>@<host>:<port>"), "{fix}");
    assert_eq!(statuses(&r)[2], ("tls".to_owned(), "skip".to_owned(), Some("proxy".to_owned())));

    let none = authed.url(None);
    let r = doctor_run(&base, &status, &[], &[("HTTPS_PROXY", &none), ("NO_PROXY", "127.0.0.1")], &[]);
    let (_, msg, _) = finding(&r, "proxy", 1);
    assert!(msg.contains("requires credentials and the proxy URL has none"), "{msg}");

    // The table output (a person's view) carries no password either.
    let mut cmd = doctor();
    cmd.args(["-v", "--base-url", &base, "--status-url", &status.url()])
        .env("HTTPS_PROXY", &good)
        .env("NO_PROXY", "127.0.0.1");
    let t = run(&mut cmd, &[password]);
    assert!(t.stdout.contains("doctor:***@"), "{}", t.stdout);
}

#[test]
fn ipv6_only_answers_are_a_warning() {
    let ns = dns::serve(&[("v6.test", "::1")]);
    let status = status_page();
    let r = doctor_run("https://v6.test/v1", &status, &["--dns-server", &ns.arg(), "--only", "dns"], &[], &[]);
    let d = r.check("dns");
    assert_eq!(d["status"], "warn", "{d}");
    assert_eq!(finding(&r, "dns", 0).0, "dns.ipv6_only");
    assert!(d["summary"].as_str().unwrap().contains("v6.test → ::1"), "{d}");
}

#[test]
fn reachable_over_ipv4_only_is_a_warning_not_a_failure() {
    // The name has A and AAAA records; the server listens on 127.0.0.1 only, so ::1 refuses.
    let pki = Pki::new("Doctor Test Root", "tests");
    let api = server::https(pki.server_config(&["dual.test"], Validity::Current), |_| Reply::json(200, &json!({})));
    let ns = dns::serve(&[("dual.test", "127.0.0.1"), ("dual.test", "::1")]);
    let status = status_page();
    let base = format!("https://dual.test:{}/v1", api.addr.port());
    let r = doctor_run(
        &base,
        &status,
        &["--dns-server", &ns.arg(), "--ca-file", pki.ca_file.to_str().unwrap(), "--only", "dns,tls"],
        &[],
        &[],
    );
    let tls = r.check("tls");
    assert_eq!(tls["status"], "warn", "one family working is not a failure: {tls}");
    let codes: Vec<&str> = tls["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"tls.family_unreachable"), "{tls}");
    let msg =
        tls["findings"].as_array().unwrap().iter().find(|f| f["code"] == "tls.family_unreachable").unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned();
    assert!(msg.contains("connects over IPv4 but not over IPv6") && msg.contains("connection refused"), "{msg}");
    assert_eq!(r.code, 0);
}

#[test]
fn dropped_packets_are_a_connect_timeout_within_the_deadline() {
    let hole = server::blackholed();
    let status = status_page();
    let r = doctor_run(
        &format!("https://127.0.0.1:{}/v1", hole.addr.port()),
        &status,
        &["--deadline", "4", "--only", "dns,tls"],
        &[],
        &[],
    );
    assert!(r.elapsed < Duration::from_secs(5), "took {:?}", r.elapsed);
    let (code, msg, fix) = finding(&r, "tls", 0);
    assert_eq!(code, "tls.connect_timeout", "{msg}");
    assert!(msg.contains(&format!("127.0.0.1:{}", hole.addr.port())) && msg.contains("timed out"), "{msg}");
    assert!(fix.contains("outbound TCP 443"), "{fix}");
}

#[test]
fn resolve_pins_the_host_for_every_connection() {
    let world = crate::support::world::World::healthy();
    let port = world.api.addr.port();
    // An empty nameserver: only the pin can make api.test reach the world.
    let empty = dns::serve(&[]);
    let r = run(
        doctor()
            .args(["--format", "json", "--skip", "container", "--probes", "1", "--no-billable"])
            .args([
                "--base-url",
                &world.base_url(),
                "--ca-file",
                world.pki.ca_file.to_str().unwrap(),
                "--status-url",
                &world.status.url(),
            ])
            .args(["--dns-server", &empty.arg(), "--resolve", &format!("api.test:{port}:127.0.0.1")]),
        &[],
    );
    assert!(
        r.check("dns")["summary"].as_str().unwrap().contains("pinned by --resolve to 127.0.0.1"),
        "{}",
        r.check("dns")
    );
    assert_eq!(r.check("tls")["details"]["connections"][0]["to"], format!("127.0.0.1:{port}"));
    assert_eq!(r.check("probe")["status"], "pass", "the HTTP client uses the pin too: {}", r.check("probe"));
    assert_eq!(world.api.seen().len(), 1);
}

#[test]
fn errors_through_a_proxy_name_the_proxy() {
    let status = status_page();
    let port = closed_port();
    let proxy = format!("http://127.0.0.1:{port}");
    let r = doctor_run(
        "https://api.test/v1",
        &status,
        &["--only", "status"],
        &[("HTTPS_PROXY", &proxy), ("HTTP_PROXY", &proxy)],
        &[],
    );
    let msg = r.check("status")["findings"][0]["message"].as_str().unwrap().to_owned();
    assert!(msg.contains(&format!("(through proxy http://127.0.0.1:{port}/)")), "{msg}");
    // Bypassed by NO_PROXY: the status page is reached directly and passes.
    let r = doctor_run(
        "https://api.test/v1",
        &status,
        &["--only", "status"],
        &[("HTTPS_PROXY", &proxy), ("NO_PROXY", "127.0.0.1")],
        &[],
    );
    assert_eq!(r.check("status")["status"], "pass", "{}", r.check("status"));
}

#[test]
fn localhost_in_the_hosts_file_is_not_flagged() {
    // /etc/hosts maps localhost on every machine: that is how it resolves, not an override.
    let world = crate::support::world::World::healthy();
    let base = world.base_url().replace("api.test", "localhost");
    let r = run(doctor().args(world.args()).args(["--base-url", &base, "--format", "json", "--only", "dns"]), &[]);
    let dns = r.check("dns");
    assert!(dns["findings"].as_array().unwrap().iter().all(|f| f["code"] != "dns.hosts_file"), "{dns}");
}

#[test]
fn slow_phases_are_findings_naming_the_phase() {
    // A nameserver that answers after 1.3 s passes, but every new connection pays it.
    let world = crate::support::world::World::healthy();
    let relay = dns::slow(world.dns.addr, Duration::from_millis(1300));
    let mut args = world.args();
    let at = args.iter().position(|a| a == "--dns-server").unwrap();
    args[at + 1] = relay.arg();
    let r = run(doctor().args(&args).args(["--format", "json", "--only", "dns"]), &[]);
    let d = r.check("dns");
    assert_eq!(d["status"], "warn", "{d}");
    assert!(d["findings"].as_array().unwrap().iter().any(|f| f["code"] == "dns.slow"), "{d}");

    // A TLS handshake held back for 2.2 s.
    let forward = server::slow_forward(world.api.addr, Duration::from_millis(2200));
    let base = format!("https://api.test:{}/v1", forward.port());
    let r = run(doctor().args(world.args()).args(["--base-url", &base, "--format", "json", "--only", "dns,tls"]), &[]);
    let t = r.check("tls");
    assert!(t["findings"].as_array().unwrap().iter().any(|f| f["code"] == "tls.slow"), "{t}");
    assert_eq!(t["status"], "warn", "{t}");
}

#[test]
fn trust_variables_naming_missing_files_are_findings_of_their_own() {
    let world = crate::support::world::World::healthy();
    let r = run(
        doctor()
            .args(world.args())
            .args(["--format", "json", "--only", "dns,tls"])
            .env("SSL_CERT_FILE", "/nonexistent/corp-ca.pem")
            .env("NODE_EXTRA_CA_CERTS", "/nonexistent/extra.pem"),
        &[],
    );
    let t = r.check("tls");
    let found: Vec<&serde_json::Value> =
        t["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "tls.trust_file_missing").collect();
    assert_eq!(found.len(), 2, "{t}");
    let ssl = found.iter().find(|f| f["message"].as_str().unwrap().starts_with("SSL_CERT_FILE=")).unwrap();
    assert_eq!(ssl["severity"], "fail");
    assert!(
        ssl["message"].as_str().unwrap().contains("/nonexistent/corp-ca.pem")
            && ssl["message"].as_str().unwrap().contains("FileNotFoundError"),
        "{ssl}"
    );
    assert_eq!(t["status"], "fail", "the Python client cannot even be constructed");
    assert_eq!(r.code, 1);
}

#[test]
fn a_missing_intermediate_is_not_called_an_inspecting_proxy() {
    let mi = crate::support::pki::missing_intermediate(&["api.test", "localhost"]);
    let api = server::https(mi.server.clone(), |_| Reply::json(200, &json!({"data": []})));
    let names = dns::serve(&[("api.test", "127.0.0.1")]);
    let status = status_page();
    let base = format!("https://api.test:{}/v1", api.addr.port());
    let r = run(
        doctor().args([
            "--base-url",
            &base,
            "--dns-server",
            &names.arg(),
            "--ca-file",
            mi.root_file.to_str().unwrap(),
            "--status-url",
            &status.url(),
            "--format",
            "json",
            "--only",
            "dns,tls",
        ]),
        &[],
    );
    let t = r.check("tls");
    assert_eq!(t["findings"][0]["code"], "tls.missing_intermediate", "{t}");
    let msg = t["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains("Doctor Test Intermediate R1") && msg.contains("http://r1.i.doctor.test/"), "{msg}");
    assert!(!t.to_string().contains("Zscaler"), "not an inspecting proxy: {t}");
}

#[test]
fn a_chain_of_one_without_aia_is_told_apart_by_the_evidence() {
    // (intermediate CN, its organization) → what the doctor must say.
    let cases = [
        // A trusted root of the same organization: the server leaves its intermediate out.
        (
            ("Doctor Test Gateway 7", "openai-doctor tests"),
            "tls.missing_intermediate",
            "a trusted root of the same organization (openai-doctor tests: Doctor Test Public Root)",
        ),
        // The issuer's name says intermediate/issuing CA.
        (
            ("Acme Issuing CA 2", "Acme Corp"),
            "tls.missing_intermediate",
            "the issuer's name says it is an intermediate",
        ),
        // Nothing says which: both possibilities, and how to tell.
        (("Edge Gateway", "Acme Corp"), "tls.unknown_issuer", "Either a TLS-inspecting proxy"),
    ];
    for ((cn, org), code, says) in cases {
        let alone = crate::support::pki::leaf_alone(&["api.test", "localhost"], None, (cn, org));
        let api = server::https(alone.server.clone(), |_| Reply::json(200, &json!({"data": []})));
        let names = dns::serve(&[("api.test", "127.0.0.1")]);
        let base = format!("https://api.test:{}/v1", api.addr.port());
        let r = run(
            doctor().args([
                "--base-url",
                &base,
                "--dns-server",
                &names.arg(),
                "--ca-file",
                alone.root_file.to_str().unwrap(),
                "--format",
                "json",
                "--only",
                "dns,tls",
            ]),
            &[],
        );
        let t = r.check("tls");
        let f = &t["findings"][0];
        assert_eq!(f["code"], code, "{cn}: {t}");
        let msg = f["message"].as_str().unwrap();
        assert!(msg.contains(says) && msg.contains(cn), "{cn}: {msg}");
        if code == "tls.missing_intermediate" {
            assert!(msg.contains("the server does not send its intermediate"), "{msg}");
            assert!(!msg.contains("proxy"), "{msg}");
        } else {
            assert!(msg.contains("or the server does not send its intermediate"), "{msg}");
            assert!(
                msg.contains(&format!("openssl s_client -connect api.test:{} -showcerts", api.addr.port())),
                "{msg}"
            );
            assert!(msg.contains("from another network"), "{msg}");
            // The one advice: a bundle of the public roots plus the CA for Python, never the CA alone.
            let remedy = f["remedy"].as_str().unwrap();
            assert!(
                remedy.contains("SSL_CERT_FILE=bundle.pem") && !remedy.contains("SSL_CERT_FILE=ca.pem"),
                "{remedy}"
            );
        }
    }
}

/// The doctor in a private mount namespace with the given resolv.conf (and hosts file), aimed at
/// a world whose API host the nameservers there resolve; `None` when the machine cannot do it.
fn run_with_resolver_files(test: &str, resolv_conf: &str, hosts: Option<&str>, args: &[String]) -> Option<Run> {
    let dir = tempfile::tempdir().unwrap();
    let conf = crate::support::write(dir.path(), "resolv.conf", resolv_conf);
    let hosts = hosts.map(|h| crate::support::write(dir.path(), "hosts", h));
    let cmd = crate::support::netns::with_resolver_files(
        &assert_cmd::cargo::cargo_bin("openai-doctor"),
        &conf,
        hosts.as_deref(),
    );
    let mut cmd = match cmd {
        Ok(c) => c,
        Err(why) => {
            crate::support::netns::unavailable(test, &why);
            return None;
        }
    };
    let out = cmd
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OPENAI_API_KEY", crate::support::FAKE_KEY)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!stdout.contains(crate::support::FAKE_KEY));
    Some(Run {
        code: out.status.code().unwrap_or(-1),
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: Duration::ZERO,
    })
}

#[test]
fn a_silent_nameserver_among_several_is_named_with_its_cost() {
    // 127.77.0.9 holds port 53 and never answers; 127.77.0.1 serves api.test.
    let Ok(silent) = std::net::UdpSocket::bind("127.77.0.9:53") else {
        crate::support::netns::unavailable("a_silent_nameserver_among_several", "cannot bind 127.77.0.9:53");
        return;
    };
    let names = dns::serve_at("127.77.0.1:53".parse().unwrap(), &[("api.test", "127.0.0.1")]);
    let world = crate::support::world::World::healthy();
    let base = format!("https://api.test:{}/v1", world.api.addr.port());
    let args: Vec<String> = ["--base-url", &base, "--format", "json", "--only", "dns", "--deadline", "15"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let conf = "nameserver 127.77.0.9\nnameserver 127.77.0.1\noptions timeout:2 attempts:1\n";
    let Some(r) = run_with_resolver_files("a_silent_nameserver_among_several", conf, None, &args) else { return };
    let d = r.check("dns");
    let f = d["findings"].as_array().unwrap().iter().find(|f| f["code"] == "dns.dead_nameserver").cloned();
    let f = f.unwrap_or_else(|| panic!("no dns.dead_nameserver: {d}"));
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("127.77.0.9") && msg.contains("127.77.0.1 does") && msg.contains("2 s"), "{msg}");
    assert_ne!(d["status"], "fail", "the name resolves, later: {d}");
    drop((silent, names));
}

#[test]
fn a_search_domain_that_answers_for_the_api_host_is_the_root_cause() {
    // With ndots:5 the C library tries api.test.corp.test first, and that name exists.
    let Ok(names) = std::panic::catch_unwind(|| {
        dns::serve_at(
            "127.77.0.2:53".parse().unwrap(),
            &[("api.test", "127.0.0.1"), ("api.test.corp.test", "127.0.0.3")],
        )
    }) else {
        crate::support::netns::unavailable("a_search_domain_that_answers", "cannot bind 127.77.0.2:53");
        return;
    };
    let world = crate::support::world::World::healthy();
    let base = format!("https://api.test:{}/v1", world.api.addr.port());
    let args: Vec<String> =
        ["--base-url", &base, "--format", "json", "--only", "dns,tls"].iter().map(|s| (*s).to_owned()).collect();
    let conf = "nameserver 127.77.0.2\nsearch corp.test\noptions ndots:5\n";
    let Some(r) = run_with_resolver_files("a_search_domain_that_answers", conf, None, &args) else { return };
    let d = r.check("dns");
    assert_eq!((d["status"].as_str(), r.json()["verdict"]["root_cause"].as_str()), (Some("fail"), Some("dns")), "{d}");
    let msg = d["findings"][0]["message"].as_str().unwrap();
    assert_eq!(d["findings"][0]["code"], "dns.search_hijack", "{d}");
    assert!(msg.contains("127.0.0.3") && msg.contains("api.test.corp.test") && msg.contains("ndots:5"), "{msg}");
    assert!(d["findings"][0]["remedy"].as_str().unwrap().contains("trailing dot"));
    drop(names);
}

#[test]
fn a_hosts_file_pin_to_a_dead_address_is_named_as_the_cause() {
    let Ok(names) =
        std::panic::catch_unwind(|| dns::serve_at("127.77.0.4:53".parse().unwrap(), &[("api.test", "127.0.0.1")]))
    else {
        crate::support::netns::unavailable("a_hosts_file_pin", "cannot bind 127.77.0.4:53");
        return;
    };
    let world = crate::support::world::World::healthy();
    let base = format!("https://api.test:{}/v1", world.api.addr.port());
    let args: Vec<String> = ["--base-url", &base, "--format", "json", "--only", "dns,tls", "--deadline", "10"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let hosts = "127.0.0.1 localhost\n127.0.0.5 api.test\n";
    let Some(r) = run_with_resolver_files("a_hosts_file_pin", "nameserver 127.77.0.4\n", Some(hosts), &args) else {
        return;
    };
    let d = r.check("dns");
    let pin = d["findings"].as_array().unwrap().iter().find(|f| f["code"] == "dns.hosts_file").cloned();
    let pin = pin.unwrap_or_else(|| panic!("no dns.hosts_file: {d}"));
    assert_eq!(pin["severity"], "warn");
    let msg = pin["message"].as_str().unwrap();
    assert!(msg.contains("127.0.0.5") && msg.contains("DNS answers 127.0.0.1"), "{msg}");
    let t = r.check("tls");
    let cause = t["findings"][0]["message"].as_str().unwrap();
    assert!(cause.contains("line of the hosts file"), "{t}");
    assert!(t["findings"][0]["remedy"].as_str().unwrap().contains("hosts file"), "{t}");
    drop(names);
}

/// Azure's private endpoint as its DNS answers it: the resource's host is an alias of its
/// `privatelink` name, which the private zone answers with the endpoint's address. Only `dns`
/// runs, so nothing connects to 10.x (tls would, and the loopback audit allows loopback only);
/// what tls says when it cannot reach the endpoint is a unit test of the tls check.
#[test]
fn an_azure_private_endpoint_is_named() {
    let alias = "res.privatelink.openai.azure.com";
    let ns = dns::serve_zone("azure.com", &[("res.openai.azure.com", alias), (alias, "10.20.30.40")]);
    let status = status_page();
    let base = "https://res.openai.azure.com/openai/v1";
    let r = doctor_run(base, &status, &["--dns-server", &ns.arg(), "--only", "dns"], &[], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    let d = r.check("dns");
    assert_eq!(d["status"], "pass", "DNS works; only the connection tells inside from outside: {d}");
    let (code, message, remedy) = finding(&r, "dns", 0);
    assert_eq!(code, "dns.private_endpoint", "{d}");
    assert!(message.contains("10.20.30.40") && message.contains(alias), "{message}");
    assert!(remedy.contains("inside the VNet") && remedy.contains("public network access"), "{remedy}");
    assert_eq!(d["findings"][0]["severity"], "info", "{d}");
    assert_eq!(d["details"]["lookups"][0]["cname"], json!([alias]), "{d}");

    // The alias, but a public answer: this machine's DNS does not know the private zone. (Only
    // dns runs: nothing connects to the address.)
    let ns = dns::serve_zone("azure.com", &[("res.openai.azure.com", alias), (alias, "20.43.1.2")]);
    let r = doctor_run(base, &status, &["--dns-server", &ns.arg(), "--only", "dns"], &[], &[]);
    let (code, message, remedy) = finding(&r, "dns", 0);
    assert_eq!(code, "dns.private_endpoint_public", "{:?}", r.check("dns"));
    assert!(message.contains("20.43.1.2") && message.contains("Public access is disabled"), "{message}");
    assert!(remedy.contains("privatelink.openai.azure.com") && remedy.contains("168.63.129.16"), "{remedy}");

    // The alias and a loopback answer (a local tunnel's): pinned to this machine, never "public";
    // a documentation address reaches no resource and is not public either.
    for (addr, severity, words) in
        [("127.0.0.1", "info", "pinned to this machine"), ("198.51.100.7", "warn", "no client reaches the resource")]
    {
        let ns = dns::serve_zone("azure.com", &[("res.openai.azure.com", alias), (alias, addr)]);
        let r = doctor_run(base, &status, &["--dns-server", &ns.arg(), "--only", "dns"], &[], &[]);
        let (code, message, _) = finding(&r, "dns", 0);
        assert_eq!(code, "dns.private_endpoint_local", "{:?}", r.check("dns"));
        assert_eq!(r.check("dns")["findings"][0]["severity"], severity, "{:?}", r.check("dns"));
        assert!(
            message.contains(addr) && message.contains(words) && !message.contains("its public address"),
            "{message}"
        );
    }

    // The same private answer for a host that is not Azure's says nothing of private endpoints.
    let ns = dns::serve(&[("llm.test", "10.20.30.40")]);
    let r = doctor_run("https://llm.test/v1", &status, &["--dns-server", &ns.arg(), "--only", "dns"], &[], &[]);
    assert!(
        r.check("dns")["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["code"].as_str().unwrap().contains("private_endpoint"))
    );
}

/// The world's flags with its nameserver replaced by `ns`.
fn with_nameserver(world: &crate::support::world::World, ns: &str) -> Vec<String> {
    let mut args = world.args();
    let at = args.iter().position(|a| a == "--dns-server").unwrap();
    args[at + 1] = ns.to_owned();
    args
}

#[test]
fn a_slow_lookup_counts_against_no_timeout_of_the_apps() {
    // 1.5 s per lookup and the app's --timeout 1: openai-python succeeds (no timeout of httpx
    // bounds getaddrinfo), so the doctor must not blame the timeout; dns names the slowness.
    let world = crate::support::world::World::healthy();
    let relay = dns::slow(world.dns.addr, Duration::from_millis(1500));
    let r = run(
        doctor().args(with_nameserver(&world, &relay.arg())).args([
            "--format",
            "json",
            "--only",
            "dns,probe,timeout",
            "--timeout",
            "1",
            "--probes",
            "1",
            "--no-billable",
        ]),
        &[],
    );
    let doc = r.json();
    let status = |id: &str| doc["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()["status"].clone();
    assert_eq!(
        (status("dns"), status("probe"), status("timeout")),
        (json!("warn"), json!("pass"), json!("pass")),
        "{doc}"
    );
    assert_eq!(r.code, 0, "{doc}");
}

#[test]
fn a_nameserver_answering_in_four_seconds_is_slow_not_dead() {
    // The C library waits 5 s for a nameserver (timeout:5): 4 s is slow for the app, not a failure.
    let world = crate::support::world::World::healthy();
    let relay = dns::slow(world.dns.addr, Duration::from_secs(4));
    let r = run(doctor().args(with_nameserver(&world, &relay.arg())).args(["--format", "json", "--only", "dns"]), &[]);
    let doc = r.json();
    let dns_check = doc["checks"].as_array().unwrap().iter().find(|c| c["id"] == "dns").unwrap().clone();
    assert_eq!(dns_check["status"], "warn", "{dns_check}");
    assert!(dns_check["findings"].to_string().contains("dns.slow"), "{dns_check}");
}
