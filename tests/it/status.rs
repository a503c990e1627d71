//! The `status` check against a loopback status page: both formats, healthy, outage, garbage,
//! unreachable, and over HTTPS with a CA minted at test time.

use std::time::Duration;

use serde_json::json;

use crate::support::pki::{Pki, Validity};
use crate::support::server::{self, Reply, closed_port, silent};
use crate::support::status_pages::{HEALTHY, incident, incident_io, statuspage};
use crate::support::{doctor, run};

fn status_run(url: &str, extra: &[&str]) -> crate::support::Run {
    run(doctor().args(["--only", "status", "--format", "json", "--status-url", url]).args(extra), &[])
}

#[test]
fn healthy_statuspage_passes() {
    let srv = server::http(|s| match s.path.as_str() {
        "/api/v2/summary.json" => Reply::json(200, &statuspage(HEALTHY, json!([]))),
        _ => Reply::new(404, "text/plain", "no"),
    });
    let r = status_run(&srv.url(), &[]);
    assert_eq!(r.code, 0, "{r:?}");
    let c = r.check("status");
    assert_eq!(c["status"], "pass", "{c}");
    assert!(c["summary"].as_str().unwrap().contains("all 3 API components operational"), "{c}");
    assert!(c["summary"].as_str().unwrap().contains("not") || !c["summary"].as_str().unwrap().contains("ChatGPT"));
    assert_eq!(srv.seen().len(), 2, "both feeds are read: the summary hides components the other lists");
}

/// Statuspage's compatible summary without Chat Completions and Responses, incident.io's feed
/// with them (one degraded), a maintenance in progress with no component, an incident naming no
/// product, and ten degraded components: merged, grouped, and named with the page read.
#[test]
fn both_feeds_are_merged_and_what_the_summary_hides_is_seen() {
    let partial: &[(&str, &str)] = &[("Embeddings", "operational"), ("Files", "operational")];
    let full: &[(&str, &str)] = &[
        ("Embeddings", "operational"),
        ("Files", "operational"),
        ("Chat Completions", "degraded_performance"),
        ("Responses", "operational"),
    ];
    let mut summary = statuspage(
        partial,
        json!([{
            "id": "u1", "name": "Elevated error rates", "status": "investigating", "impact": "minor",
            "created_at": "2026-11-25T09:58:00Z", "incident_updates": [], "components": []
        }]),
    );
    summary["scheduled_maintenances"] = json!([{
        "id": "m1", "name": "Database maintenance", "status": "in_progress", "impact": "maintenance",
        "scheduled_for": "2026-11-25T09:00:00Z", "scheduled_until": "2026-11-25T11:00:00Z",
        "incident_updates": [], "components": []
    }]);
    let feed = incident_io(full, json!([]));
    let srv = server::http(move |s| match s.path.as_str() {
        "/api/v2/summary.json" => Reply::json(200, &summary),
        p if p.starts_with("/proxy/") => Reply::json(200, &feed),
        _ => Reply::new(404, "text/plain", "no"),
    });
    let r = status_run(&srv.url(), &[]);
    let c = r.check("status");
    let summary = c["summary"].as_str().unwrap();
    assert!(summary.contains("Chat Completions degraded"), "merged from the other feed: {c}");
    assert!(summary.contains("1 incident naming no product") && !summary.contains("other products"), "{c}");
    let findings = c["findings"].as_array().unwrap();
    let maintenance = findings.iter().find(|f| f["code"] == "status.maintenance").expect("maintenance");
    assert!(maintenance["message"].as_str().unwrap().contains("until 2026-11-25T11:00:00Z"), "{maintenance}");
    assert!(findings.iter().all(|f| f["remedy"].as_str().unwrap().contains(&srv.url())), "the page read is named: {c}");

    // Ten degraded API components are one finding.
    let ten: Vec<(String, &str)> = (0..10).map(|i| (format!("Realtime {i}"), "degraded_performance")).collect();
    let ten: Vec<(&str, &str)> = ten.iter().map(|(n, s)| (n.as_str(), *s)).collect();
    let page = statuspage(&ten, json!([]));
    let srv = server::http(move |s| match s.path.as_str() {
        "/api/v2/summary.json" => Reply::json(200, &page),
        _ => Reply::new(404, "text/plain", "no"),
    });
    let r = status_run(&srv.url(), &[]);
    let degraded: Vec<_> = r.check("status")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "status.degraded")
        .cloned()
        .collect();
    assert_eq!(degraded.len(), 1, "{}", r.check("status"));
}

#[test]
fn major_outage_of_an_api_component_fails_and_is_the_root_cause() {
    let page = statuspage(
        &[("Chat Completions", "major_outage"), ("Embeddings", "operational")],
        json!([incident(
            "Elevated error rates on Chat Completions",
            "Chat Completions",
            "We are investigating elevated 500s."
        )]),
    );
    let srv = server::http(move |_| Reply::json(200, &page));
    let r = status_run(&srv.url(), &[]);
    assert_eq!(r.code, 1, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["verdict"]["root_cause"], "status");
    let c = r.check("status");
    assert_eq!(c["status"], "fail");
    let codes: Vec<&str> = c["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["status.major_outage", "status.incident"]);
    let incident_msg = c["findings"][1]["message"].as_str().unwrap();
    assert!(
        incident_msg.contains("Elevated error rates")
            && incident_msg.contains("since 2026-11-25T10:00:00Z")
            && incident_msg.contains("elevated 500s"),
        "{incident_msg}"
    );
}

#[test]
fn an_outage_of_chatgpt_alone_does_not_fail_the_api() {
    // statuspage() always puts ChatGPT in a major outage; only API components count.
    let page = statuspage(HEALTHY, json!([incident("ChatGPT login errors", "ChatGPT", "Investigating.")]));
    let srv = server::http(move |_| Reply::json(200, &page));
    let r = status_run(&srv.url(), &[]);
    let c = r.check("status");
    assert_eq!(c["status"], "pass", "{c}");
    assert!(c["summary"].as_str().unwrap().contains("1 incident on other products"), "{c}");
}

#[test]
fn degraded_is_a_warning_and_exit_0() {
    let page = statuspage(&[("Responses", "degraded_performance")], json!([]));
    let srv = server::http(move |_| Reply::json(200, &page));
    let r = status_run(&srv.url(), &[]);
    assert_eq!(r.code, 0);
    let c = r.check("status");
    assert_eq!(c["status"], "warn");
    assert_eq!(c["findings"][0]["code"], "status.degraded");
}

#[test]
fn incident_io_feed_is_read_when_the_summary_is_missing() {
    let feed = incident_io(
        &[("Chat Completions", "full_outage"), ("Responses", "operational")],
        json!([{"name": "Chat down", "status": "identified", "published_at": "2026-11-25T11:00:00Z",
                "affected_components": [{"component_id": "k0", "status": "full_outage"}],
                "updates": [{"published_at": "2026-11-25T11:05:00Z", "message_string": "Fix in progress"}]}]),
    );
    let srv = server::http(move |s| {
        if s.path == "/status/proxy/127.0.0.1" {
            Reply::json(200, &feed)
        } else {
            Reply::new(404, "text/plain", "not found")
        }
    });
    let r = status_run(&format!("{}/status", srv.url()), &[]);
    assert_eq!(r.code, 1, "{r:?}");
    let c = r.check("status");
    assert_eq!(c["status"], "fail");
    assert_eq!(c["details"]["format"], "incident_io");
    assert!(c["findings"][0]["message"].as_str().unwrap().contains("Chat Completions: major outage"), "{c}");
    assert!(c["findings"][1]["message"].as_str().unwrap().contains("Fix in progress"), "{c}");
    let paths: Vec<String> = srv.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(paths, ["/status/api/v2/summary.json", "/status/proxy/127.0.0.1"]);
}

#[test]
fn garbage_pages_are_a_warning_that_says_what_came_back() {
    for (reply, expect) in [
        (Reply::new(200, "text/html", "<!DOCTYPE html><html>Login</html>"), "HTML, not JSON"),
        (Reply::new(200, "application/json", "{\"ok\": true}"), "not a status page summary"),
        (Reply::new(200, "application/json", "{\"compon"), "not valid JSON"),
        (Reply::new(503, "text/plain", ""), "HTTP 503, empty body"),
        (Reply::new(200, "application/octet-stream", vec![0xff, 0xfe, 0x00, 0x01]), "binary data"),
    ] {
        let srv = server::http(move |_| reply.clone());
        let r = status_run(&srv.url(), &[]);
        assert_eq!(r.code, 0, "unknown status never fails: {r:?}");
        let c = r.check("status");
        assert_eq!(c["status"], "warn", "{c}");
        let msg = c["findings"][0]["message"].as_str().unwrap();
        assert!(msg.starts_with("status unknown:") && msg.contains(expect), "{expect}: {msg}");
    }
}

#[test]
fn an_unreachable_page_is_a_warning() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    let r = status_run(&url, &[]);
    assert_eq!(r.code, 0);
    let c = r.check("status");
    assert_eq!(c["status"], "warn");
    assert!(c["findings"][0]["message"].as_str().unwrap().contains("refused"), "{c}");
}

#[test]
fn a_silent_page_ends_within_the_deadline_as_a_warning() {
    let s = silent();
    let r = status_run(&format!("http://{}", s.addr), &["--deadline", "2"]);
    assert!(r.elapsed < Duration::from_secs(3), "took {:?}", r.elapsed);
    let c = r.check("status");
    assert_eq!(c["status"], "warn", "{c}");
    assert!(c["findings"][0]["message"].as_str().unwrap().contains("no complete answer within"), "{c}");
}

#[test]
fn https_page_with_a_test_ca_passes_only_when_the_ca_is_trusted() {
    let pki = Pki::new("Doctor Test CA", "openai-doctor tests");
    let page = statuspage(HEALTHY, json!([]));
    let srv = server::https(pki.server_config(&["localhost"], Validity::Current), move |_| Reply::json(200, &page));
    let ca = pki.ca_file.to_str().unwrap();
    let trusted = status_run(&srv.url(), &["--ca-file", ca]);
    assert_eq!(trusted.check("status")["status"], "pass", "{:?}", trusted);
    let untrusted = status_run(&srv.url(), &[]);
    let c = untrusted.check("status");
    assert_eq!(c["status"], "warn", "{c}");
    let msg = c["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains("tls error") && msg.to_lowercase().contains("certificate"), "{msg}");
}

#[test]
fn table_output_fits_80_columns_and_names_the_root_cause() {
    let page = statuspage(
        &[("Chat Completions", "major_outage")],
        json!([incident(
            "Elevated errors on Chat Completions for some users",
            "Chat Completions",
            "We have identified the issue and are rolling out a fix to all regions."
        )]),
    );
    let srv = server::http(move |_| Reply::json(200, &page));
    let world = crate::support::world::World::healthy();
    let r = run(doctor().args(world.args()).args(["--status-url", &srv.url()]), &[]);
    assert_eq!(r.code, 1);
    for line in r.stdout.lines() {
        assert!(line.chars().count() <= 80, "line over 80 columns: {line:?}");
    }
    assert!(r.stdout.contains("root cause: status"), "{}", r.stdout);
    assert!(r.stdout.contains("fix: "), "{}", r.stdout);
    assert!(!r.stdout.contains('\x1b'), "no ANSI codes when piped");
}

#[test]
fn an_unresolvable_status_page_says_each_cause_once() {
    let dns = crate::support::dns::serve(&[("api.test", "127.0.0.1")]);
    let r = run(
        doctor().args([
            "--format",
            "json",
            "--only",
            "status",
            "--status-url",
            "http://nosuch.test",
            "--dns-server",
            &dns.arg(),
        ]),
        &[],
    );
    let msg = r.check("status")["findings"][0]["message"].as_str().unwrap().to_owned();
    assert_eq!(msg.matches("dns error").count(), 1, "{msg}");
    assert!(msg.contains("NXDOMAIN"), "{msg}");
}

/// Azure OpenAI and other servers are not on OpenAI's status page: without --status-url the
/// check does not read it and says, as a skip that blocks nothing, where to look. A loopback
/// nameserver is given so that a regression would look status.openai.com up there and never
/// leave loopback. With --status-url the page named is read, whatever the provider.
#[test]
fn other_providers_are_not_judged_by_openai_status() {
    let ns = crate::support::dns::serve(&[]);
    let only_status = ["--only", "status", "--dns-server", &ns.arg()];
    let r = run(
        doctor().args(["--format", "json", "--base-url", "https://res.openai.azure.com/openai/v1"]).args(only_status),
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let c = r.check("status");
    assert_eq!(c["status"], "skip", "never a pass claiming health: {c}");
    assert!(c["blocked_by"].is_null(), "not applicable, not blocked: {c}");
    let summary = c["summary"].as_str().unwrap();
    assert!(
        summary.contains("https://azure.status.microsoft/en-us/status") && summary.contains("Resource Health"),
        "{c}"
    );
    assert_eq!(c["findings"][0]["code"], "status.not_applicable", "{c}");

    // A compatible server: its operator's status; the person's view says it without -v.
    let r = run(doctor().args(["--base-url", "https://openrouter.ai/api/v1"]).args(only_status), &[]);
    assert!(r.stdout.contains("not applicable") && r.stdout.contains("https://status.openrouter.ai"), "{}", r.stdout);

    // --status-url typed: read, as for OpenAI.
    let srv = server::http(|s| match s.path.as_str() {
        "/api/v2/summary.json" => Reply::json(200, &statuspage(HEALTHY, json!([]))),
        _ => Reply::new(404, "text/plain", "no"),
    });
    let r = status_run(&srv.url(), &["--base-url", "https://res.openai.azure.com/openai/v1"]);
    assert_eq!(r.check("status")["status"], "pass", "{r:?}");
    assert_eq!(srv.seen().len(), 2);
}
