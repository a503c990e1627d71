//! The `probe` and `timeout` checks against a scripted loopback API: healthy, always 500, flaky,
//! 401, 429 with Retry-After, 429 insufficient_quota, 403 region, a Cloudflare HTML 502, slow,
//! a key with a newline, no key, a Lambda deadline. Request ids in the report are the server's.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::server::{Reply, Seen};
use crate::support::world::World;
use crate::support::{FAKE_KEY, Run, doctor, run};

const MODELS: &str = r#"{"object":"list","data":[{"id":"gpt-4.1-nano","object":"model"}]}"#;

fn ok(n: usize) -> Reply {
    Reply::new(200, "application/json", MODELS)
        .header("x-request-id", &format!("req_ok{n:04}"))
        .header("openai-processing-ms", "12")
        .header("x-ratelimit-reset-requests", "6m0s")
}

fn api_error(status: u16, n: usize, message: &str, kind: &str, code: Option<&str>) -> Reply {
    Reply::json(status, &json!({"error": {"message": message, "type": kind, "param": null, "code": code}}))
        .header("x-request-id", &format!("req_err{n:04}"))
}

/// A world whose API answers request `n` (0-based) with `script(n, seen)`.
fn scripted(script: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static) -> World {
    let counter = Arc::new(AtomicUsize::new(0));
    World::with_api(move |s| script(counter.fetch_add(1, Ordering::SeqCst), s))
}

fn probe_run(world: &World, extra: &[&str]) -> Run {
    run(doctor().args(["--format", "json", "--skip", "status,container"]).args(world.args()).args(extra), &[])
}

fn status_of(r: &Run, id: &str) -> String {
    r.check(id)["status"].as_str().unwrap().to_owned()
}

fn codes(r: &Run, id: &str) -> Vec<String> {
    r.check(id)["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_owned()).collect()
}

fn message(r: &Run, id: &str, code: &str) -> String {
    r.check(id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {}", r.check(id)))["message"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn requests(r: &Run) -> Vec<Value> {
    r.json()["requests"].as_array().unwrap().iter().filter(|q| q["check"] == "probe").cloned().collect()
}

#[test]
fn healthy_series_records_the_servers_request_ids() {
    let world = scripted(|n, _| ok(n));
    let r = probe_run(&world, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(status_of(&r, "probe"), "pass");
    assert!(r.check("probe")["summary"].as_str().unwrap().starts_with("5 of 5 GET /models OK"), "{}", r.check("probe"));
    let reqs = requests(&r);
    assert_eq!(reqs.len(), 6, "5 GET /models and one chat completion");
    let seen = world.api.seen();
    assert_eq!(seen.len(), 6);
    for (q, s) in reqs.iter().zip(&seen) {
        // The ids in the report are exactly the ones the server issued and received.
        assert_eq!(
            q["request_id"].as_str().unwrap(),
            format!("req_ok{:04}", seen.iter().position(|x| x.at == s.at).unwrap())
        );
        assert_eq!(q["client_request_id"].as_str(), s.header("x-client-request-id"));
        assert_eq!(q["client_request_id"].as_str().unwrap().len(), 36, "a UUID");
        assert_eq!(s.header("authorization"), Some(format!("Bearer {FAKE_KEY}").as_str()));
        assert_eq!(q["processing_ms"], 12);
        assert_eq!(q["ratelimit"]["x-ratelimit-reset-requests"], "6m0s");
    }
    let ids: std::collections::HashSet<_> =
        reqs.iter().map(|q| q["client_request_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 6, "a fresh client request id each time");
    let chat = seen.last().unwrap();
    assert_eq!((chat.method.as_str(), chat.path.as_str()), ("POST", "/v1/chat/completions"));
    let body: Value = serde_json::from_slice(&chat.body).unwrap();
    assert_eq!((body["model"].as_str(), body["max_completion_tokens"].as_u64()), (Some("gpt-4.1-nano"), Some(1)));
    assert_eq!(status_of(&r, "timeout"), "pass");
}

#[test]
fn no_billable_skips_the_chat_completion() {
    let world = scripted(|n, _| ok(n));
    let r = probe_run(&world, &["--no-billable", "--probes", "2"]);
    assert_eq!(world.api.seen().len(), 2);
    assert!(world.api.seen().iter().all(|s| s.method == "GET"), "no POST was sent");
    assert_eq!(status_of(&r, "probe"), "pass");
}

#[test]
fn always_500_is_persistent_with_request_ids_and_backoff() {
    let world = scripted(|n, _| {
        api_error(
            500,
            n,
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            None,
        )
    });
    let r = probe_run(&world, &["--probes", "3"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["verdict"]["root_cause"], "probe");
    assert_eq!(status_of(&r, "probe"), "fail");
    assert!(
        r.check("probe")["summary"].as_str().unwrap().contains("every request failed (500 ×3)"),
        "{}",
        r.check("probe")
    );
    let msg = message(&r, "probe", "probe.server_error");
    assert!(msg.contains("req_err0000, req_err0001, req_err0002") && msg.contains("Sorry about that"), "{msg}");
    // SDK backoff between attempts: at least 0.375 s, then 0.75 s (jitter only shortens 0.5/1.0).
    let seen = world.api.seen();
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(375), "{:?}", seen[1].at - seen[0].at);
    assert!(seen[2].at - seen[1].at >= Duration::from_millis(750), "{:?}", seen[2].at - seen[1].at);
    assert_eq!(r.check("timeout")["blocked_by"], "probe");
}

#[test]
fn flaky_500s_are_intermittent_and_exit_0() {
    let world =
        scripted(|n, _| if n % 2 == 1 { api_error(500, n, "Internal error", "server_error", None) } else { ok(n) });
    let r = probe_run(&world, &["--no-billable"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(status_of(&r, "probe"), "warn");
    assert_eq!(codes(&r, "probe"), ["probe.intermittent", "probe.server_error"]);
    assert!(
        message(&r, "probe", "probe.intermittent").contains("2 of 5 requests failed (500 ×2)"),
        "{}",
        r.check("probe")
    );
}

#[test]
fn a_401_stops_the_series_and_quotes_openai() {
    let world = scripted(|n, _| {
        api_error(
            401,
            n,
            "Incorrect API key provided: sk-proj-****WXYZ.",
            "invalid_request_error",
            Some("invalid_api_key"),
        )
    });
    let r = probe_run(&world, &[]);
    assert_eq!(world.api.seen().len(), 1, "retrying a 401 cannot help");
    assert_eq!(codes(&r, "probe"), ["probe.invalid_key"]);
    let msg = message(&r, "probe", "probe.invalid_key");
    assert!(
        msg.contains("Incorrect API key provided")
            && msg.contains("code invalid_api_key")
            && msg.contains("req_err0000"),
        "{msg}"
    );
}

#[test]
fn retry_after_is_honoured() {
    let world = scripted(|n, _| {
        if n == 0 {
            api_error(429, n, "Rate limit reached for requests", "requests", Some("rate_limit_exceeded"))
                .header("retry-after", "1")
        } else {
            ok(n)
        }
    });
    let r = probe_run(&world, &["--probes", "2", "--no-billable"]);
    let seen = world.api.seen();
    let gap = seen[1].at - seen[0].at;
    assert!(gap >= Duration::from_millis(1000), "waited only {gap:?} after retry-after: 1");
    assert!(gap < Duration::from_millis(1800), "waited {gap:?}");
    assert_eq!(status_of(&r, "probe"), "warn");
    assert!(
        message(&r, "probe", "probe.rate_limited").contains("the server asks to wait 1.0 s"),
        "{}",
        r.check("probe")
    );
}

#[test]
fn insufficient_quota_is_not_retried_and_fails() {
    let world = scripted(|n, _| {
        api_error(
            429,
            n,
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            Some("insufficient_quota"),
        )
    });
    let r = probe_run(&world, &[]);
    assert_eq!(world.api.seen().len(), 1);
    assert_eq!(status_of(&r, "probe"), "fail");
    assert_eq!(codes(&r, "probe"), ["probe.quota"]);
    assert!(r.check("probe")["findings"][0]["remedy"].as_str().unwrap().contains("Retrying cannot help"));
}

#[test]
fn region_block_is_named() {
    let world = scripted(|n, _| {
        api_error(
            403,
            n,
            "Country, region, or territory not supported",
            "request_forbidden",
            Some("unsupported_country_region_territory"),
        )
    });
    let r = probe_run(&world, &[]);
    assert_eq!(codes(&r, "probe"), ["probe.region"]);
    assert_eq!(r.code, 1);
}

#[test]
fn an_html_502_is_from_the_edge() {
    let world = scripted(|_, _| {
        Reply::new(502, "text/html; charset=UTF-8", "<!DOCTYPE html><html><head><title>api.openai.com | 502: Bad gateway</title></head><body>Cloudflare</body></html>")
            .header("server", "cloudflare")
            .header("cf-ray", "8c0ffee-SJC")
    });
    let r = probe_run(&world, &["--probes", "2"]);
    assert_eq!(codes(&r, "probe"), ["probe.edge_error"]);
    assert!(message(&r, "probe", "probe.edge_error").contains("from the edge (Cloudflare)"), "{}", r.check("probe"));
}

#[test]
fn wrong_base_url_and_wrong_model() {
    let world = scripted(|n, s| {
        if s.path.starts_with("/v1/chat") {
            api_error(
                404,
                n,
                "The model `gpt-9` does not exist or you do not have access to it.",
                "invalid_request_error",
                Some("model_not_found"),
            )
        } else {
            ok(n)
        }
    });
    let r = probe_run(&world, &["--model", "gpt-9", "--probes", "1"]);
    assert_eq!(codes(&r, "probe"), ["probe.model_not_found"]);
    assert!(message(&r, "probe", "probe.model_not_found").contains("gpt-9"), "{}", r.check("probe"));
    let world = scripted(|_, _| Reply::new(404, "text/plain", "404 page not found"));
    let r = probe_run(&world, &["--probes", "1"]);
    assert_eq!(codes(&r, "probe"), ["probe.not_found"]);
}

#[test]
fn a_key_with_a_newline_is_named_and_trimmed() {
    let world = scripted(|n, _| ok(n));
    let r = run(
        doctor()
            .env("OPENAI_API_KEY", format!("{FAKE_KEY}\n"))
            .args(["--format", "json", "--only", "dns,tls,probe", "--probes", "1", "--no-billable"])
            .args(world.args()),
        &[],
    );
    assert_eq!(codes(&r, "probe"), ["probe.key_whitespace"]);
    assert!(message(&r, "probe", "probe.key_whitespace").contains("ends with a line break"), "{}", r.check("probe"));
    assert_eq!(
        world.api.seen()[0].header("authorization"),
        Some(format!("Bearer {FAKE_KEY}").as_str()),
        "sent trimmed"
    );
}

#[test]
fn no_key_fails_the_probe_and_blocks_timeout() {
    let world = scripted(|n, _| ok(n));
    let r = run(
        doctor()
            .env_remove("OPENAI_API_KEY")
            .args(["--format", "json", "--skip", "status,container"])
            .args(world.args()),
        &[],
    );
    assert_eq!(codes(&r, "probe"), ["probe.no_key"]);
    assert!(world.api.seen().is_empty());
    assert_eq!(r.check("timeout")["blocked_by"], "probe");
}

#[test]
fn a_timeout_shorter_than_the_api_fails() {
    let world = scripted(|n, _| ok(n).after(Duration::from_millis(1500)));
    let r = probe_run(&world, &["--timeout", "1", "--probes", "2", "--no-billable"]);
    assert_eq!(status_of(&r, "timeout"), "fail");
    let msg = message(&r, "timeout", "timeout.too_short");
    assert!(msg.contains("your 1 s timeout is shorter than the 1.5 s the API took"), "{msg}");
    assert_eq!(r.check("timeout")["details"]["recommended"]["timeout_s"], 10.0);
}

#[test]
fn lambda_with_sdk_defaults_is_killed_before_retries_finish() {
    let world = scripted(|n, _| ok(n));
    let r = run(
        doctor()
            .env("AWS_LAMBDA_FUNCTION_NAME", "summarise")
            .args([
                "--format",
                "json",
                "--skip",
                "status,container",
                "--platform-deadline",
                "29",
                "--probes",
                "1",
                "--no-billable",
            ])
            .args(world.args()),
        &[],
    );
    assert_eq!(status_of(&r, "timeout"), "fail");
    assert_eq!(codes(&r, "timeout"), ["timeout.platform", "timeout.default_on_serverless", "timeout.retry_budget"]);
    let t = r.check("timeout");
    let budget = t["findings"][2].clone();
    assert!(
        budget["message"]
            .as_str()
            .unwrap()
            .contains("worst case 1801.5 s (3 attempts × 600 s + backoff) exceeds the AWS Lambda deadline of 29 s"),
        "{budget}"
    );
    assert!(budget["remedy"].as_str().unwrap().contains("timeout=8 s with max_retries=2"), "{budget}");
}

#[test]
fn a_slow_server_stops_the_series_within_the_deadline() {
    let world = scripted(|n, _| ok(n).after(Duration::from_millis(1200)));
    let r = probe_run(&world, &["--deadline", "5"]);
    assert!(r.elapsed < Duration::from_secs(6), "took {:?}", r.elapsed);
    assert!(codes(&r, "probe").contains(&"probe.stopped_early".to_owned()), "{}", r.check("probe"));
    assert!(message(&r, "probe", "probe.stopped_early").contains("would pass the deadline"));
}

#[test]
fn organization_and_project_headers_are_sent_and_validated() {
    let world = scripted(|n, _| ok(n));
    let r = run(
        doctor().env("OPENAI_ORG_ID", "org-abc123").args(world.args()).args([
            "--format",
            "json",
            "--only",
            "dns,tls,probe",
            "--probes",
            "1",
            "--no-billable",
            "--project",
            "proj_xyz",
        ]),
        &[],
    );
    assert_eq!(r.check("probe")["status"], "pass");
    let seen = &world.api.seen()[0];
    assert_eq!(
        (seen.header("openai-organization"), seen.header("openai-project")),
        (Some("org-abc123"), Some("proj_xyz"))
    );
    let r = run(doctor().env("OPENAI_ORG_ID", "org-abc\n").args(world.args()), &[]);
    assert_eq!(r.code, 2, "a line break in a header value is an input error");
    assert!(r.stderr.contains("OPENAI_ORG_ID") && r.stderr.contains("newline"), "{}", r.stderr);
}

/// A reply with a real error body quoted in a public report (tests/support/error_bodies.rs).
fn real(status: u16, body: &str, n: usize) -> Reply {
    Reply::new(status, "application/json", body.to_owned()).header("x-request-id", &format!("req_real{n:04}"))
}

#[test]
fn each_401_gets_its_own_cause_and_fix() {
    use crate::support::error_bodies::{ACCOUNT_DEACTIVATED, MISMATCHED_ORGANIZATION, NO_API_KEY};
    let world = scripted(|n, _| real(401, MISMATCHED_ORGANIZATION, n));
    let r = probe_run(&world, &["--org", "org-WRONGorg1234"]);
    assert_eq!(codes(&r, "probe"), ["probe.org_mismatch"]);
    let msg = message(&r, "probe", "probe.org_mismatch");
    assert!(msg.contains("org-WRONGorg1234") && msg.contains("mismatched_organization"), "{msg}");
    assert!(!r.check("probe")["findings"][0]["remedy"].as_str().unwrap().contains("Create a new key"));

    let world = scripted(|n, _| real(401, ACCOUNT_DEACTIVATED, n));
    let r = probe_run(&world, &[]);
    assert_eq!(codes(&r, "probe"), ["probe.account_deactivated"]);
    assert!(r.check("probe")["findings"][0]["remedy"].as_str().unwrap().contains("not just the key"));

    let world = scripted(|n, _| real(401, crate::support::error_bodies::NO_ORGANIZATION, n));
    let r = probe_run(&world, &[]);
    assert_eq!(codes(&r, "probe"), ["probe.no_organization"]);
    assert!(r.check("probe")["findings"][0]["remedy"].as_str().unwrap().contains("organization"));

    let world = scripted(|n, _| real(401, NO_API_KEY, n));
    let r = probe_run(&world, &[]);
    assert_eq!(codes(&r, "probe"), ["probe.key_not_received"]);
    assert!(world.api.seen()[0].header("authorization").is_some(), "the doctor did send the key");
    assert!(r.check("probe")["findings"][0]["remedy"].as_str().unwrap().contains("removed the Authorization header"));
    // The API's own placeholder is no secret: the text around it survives redaction whole.
    let msg = message(&r, "probe", "probe.key_not_received");
    assert!(msg.contains("using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or"), "{msg}");
    assert_eq!(world.api.seen().len(), 1, "a 401 is not retried");
}

#[test]
fn cloudflare_json_errors_are_edge_errors_with_their_ray() {
    use crate::support::error_bodies::{CF_BAD_GATEWAY, CF_BAD_GATEWAY_RAY, CF_GATEWAY_TIMEOUT};
    let world = scripted(|n, _| {
        real(502, CF_BAD_GATEWAY, n).header("server", "cloudflare").header("cf-ray", CF_BAD_GATEWAY_RAY)
    });
    let r = probe_run(&world, &["--probes", "1"]);
    assert_eq!(codes(&r, "probe"), ["probe.edge_error"], "{}", r.check("probe"));
    let msg = message(&r, "probe", "probe.edge_error");
    assert!(msg.contains("Cloudflare's edge answered") && msg.contains(CF_BAD_GATEWAY_RAY), "{msg}");

    let world = scripted(|n, _| real(524, CF_GATEWAY_TIMEOUT, n).header("server", "cloudflare"));
    let r = probe_run(&world, &["--probes", "1"]);
    let msg = message(&r, "probe", "probe.edge_error");
    assert!(msg.contains("~100 s"), "{msg}");
    assert!(r.check("probe")["findings"][0]["remedy"].as_str().unwrap().contains("stream"), "{}", r.check("probe"));
}

#[test]
fn remedies_say_what_was_seen() {
    // A 429 without Retry-After is not told to wait for it.
    let world = scripted(|n, _| api_error(429, n, "Rate limit reached", "requests", Some("rate_limit_exceeded")));
    let r = probe_run(&world, &["--probes", "1"]);
    let f = &r.check("probe")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "probe.rate_limited")
        .cloned()
        .unwrap();
    assert!(f["remedy"].as_str().unwrap().contains("no Retry-After was sent"), "{f}");
    // GET /models has no body to simplify; the status page named is the one read.
    let world = scripted(|n, _| api_error(500, n, "The server had an error", "server_error", None));
    let r = probe_run(&world, &["--probes", "1"]);
    let remedy = r.check("probe")["findings"][0]["remedy"].as_str().unwrap().to_owned();
    assert!(!remedy.contains("simplify") && remedy.contains(&world.status.url()), "{remedy}");
}

#[test]
fn a_failing_completion_is_judged_on_its_own_endpoint_and_retried_like_the_sdks() {
    let world = World::with_api(|s| {
        if s.method == "POST" {
            api_error(500, 0, "The server had an error while processing your request.", "server_error", None)
        } else {
            ok(0)
        }
    });
    let r = probe_run(&world, &[]);
    assert_eq!((r.code, status_of(&r, "probe")), (1, "fail".to_owned()), "{}", r.check("probe"));
    let summary = r.check("probe")["summary"].as_str().unwrap().to_owned();
    assert!(
        summary.contains("GET /models works (5 of 5)")
            && summary.contains("POST /chat/completions failed 3 of 3 (500 ×3)"),
        "{summary}"
    );
    assert!(!codes(&r, "probe").contains(&"probe.intermittent".to_owned()), "never intermittent: {}", r.check("probe"));
    let posts: Vec<_> = world.api.seen().into_iter().filter(|s| s.method == "POST").collect();
    assert_eq!(posts.len(), 3, "the completion is retried twice, like the SDKs");
    assert!(posts[1].at - posts[0].at >= Duration::from_millis(375), "with the SDKs' backoff");
    assert!(posts.iter().all(|p| String::from_utf8_lossy(&p.body).contains("\"max_completion_tokens\":1")));

    // A non-retryable answer on the completion is not retried, and is never intermittent.
    let world = World::with_api(|s| {
        if s.method == "POST" {
            api_error(
                404,
                0,
                "The model `gpt-4.1-nano` does not exist or you do not have access to it.",
                "invalid_request_error",
                Some("model_not_found"),
            )
        } else {
            ok(0)
        }
    });
    let r = probe_run(&world, &[]);
    assert_eq!(status_of(&r, "probe"), "fail");
    assert_eq!(codes(&r, "probe"), ["probe.model_not_found"]);
    assert_eq!(world.api.seen().iter().filter(|s| s.method == "POST").count(), 1);
    assert!(
        r.check("probe")["summary"].as_str().unwrap().contains("POST /chat/completions failed 1 of 1"),
        "{}",
        r.check("probe")
    );
}

#[test]
fn a_slow_first_byte_is_a_warning() {
    let world = World::with_api(|_| ok(0).after(Duration::from_millis(5300)));
    let r = probe_run(&world, &["--probes", "1", "--no-billable", "--only", "probe"]);
    assert!(codes(&r, "probe").contains(&"probe.slow_first_byte".to_owned()), "{}", r.check("probe"));
    assert_eq!(status_of(&r, "probe"), "warn");
}

/// An API that fails with 500 only when a chosen part is in the body: a tool output over 20 KB.
#[test]
fn reduce_finds_the_part_of_the_payload_that_fails() {
    let world = World::with_api(|s| {
        let body = String::from_utf8_lossy(&s.body).into_owned();
        if s.method == "POST" && body.contains("\"role\":\"tool\"") && body.len() > 20_000 {
            api_error(500, 0, "The server had an error while processing your request.", "server_error", None)
                .header("x-request-id", "req_reduce_fail")
        } else {
            ok(0)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut messages = vec![json!({"role": "system", "content": "You are careful."})];
    for i in 0..6 {
        messages.push(json!({"role": "user", "content": format!("question {i}")}));
        messages.push(json!({"role": "assistant", "content": format!("answer {i}")}));
    }
    messages.push(json!({"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}));
    messages.push(json!({"role": "tool", "tool_call_id": "c1", "content": "r".repeat(40_000)}));
    messages.push(json!({"role": "user", "content": "summarise"}));
    let body = json!({"model": "gpt-4.1", "temperature": 0.3, "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}], "messages": messages});
    let path = crate::support::write(dir.path(), "p.json", &body.to_string());
    let r = probe_run(
        &world,
        &[
            "--only",
            "payload,probe",
            "--probes",
            "1",
            "--payload",
            path.to_str().unwrap(),
            "--send-payload",
            "--reduce",
            "--deadline",
            "30",
        ],
    );
    let p = r.check("probe");
    let msg = message(&r, "probe", "probe.reduced");
    assert!(
        msg.contains("still fails at") && msg.contains("without half of the 39 KB content"),
        "kept changes are named: {msg}"
    );
    assert!(msg.contains("it passes without half of the 19 KB content"), "the tool output is what triggers it: {msg}");
    let reduced = &p["details"]["reduced"];
    assert!(reduced["minimal_bytes"].as_u64() < reduced["original_bytes"].as_u64(), "{reduced}");
    assert!(reduced["minimal_body"].to_string().contains("\"role\":\"tool\""), "the tool output stays: {reduced}");
    let posts: Vec<_> = world.api.seen().into_iter().filter(|s| s.path.ends_with("/chat/completions")).collect();
    assert!(posts.len() <= 2 + 12, "within the request budget: {}", posts.len());
    assert!(posts.iter().skip(2).all(|s| String::from_utf8_lossy(&s.body).contains("\"max_completion_tokens\":1")));
}

#[test]
fn a_project_without_access_to_the_model_is_named() {
    use crate::support::error_bodies::PROJECT_MODEL_ACCESS;
    let world = World::with_api(|s| if s.method == "POST" { real(403, PROJECT_MODEL_ACCESS, 0) } else { ok(0) });
    let r = probe_run(&world, &[]);
    assert_eq!(codes(&r, "probe"), ["probe.model_access"], "{}", r.check("probe"));
    let f = &r.check("probe")["findings"][0];
    assert!(
        f["remedy"].as_str().unwrap().contains("Limits") && f["remedy"].as_str().unwrap().contains("gpt-4.1-nano"),
        "{f}"
    );
    assert_eq!(world.api.seen().iter().filter(|s| s.method == "POST").count(), 1, "a 403 is not retried");
}

/// A silent nameserver (127.77.0.24) listed before a working one (127.77.0.25, which knows
/// `api.test`) in the `/etc/resolv.conf` of a private mount namespace: the C library's resolver
/// waits its 5 s timeout on the first before asking the second. The doctor runs there with
/// `args` (and `--base-url`, `--ca-file`, `--status-url`, the key); `None` when the namespace or
/// the loopback addresses are not available here (the skip is recorded).
fn behind_a_silent_nameserver(test: &str, world: &World, args: &[&str]) -> Option<Run> {
    // One such world at a time: the tests share its addresses (a second bind would skip).
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let Ok(silent) = std::net::UdpSocket::bind("127.77.0.24:53") else {
        crate::support::netns::unavailable(test, "cannot bind 127.77.0.24:53");
        return None;
    };
    let Ok(names) = std::panic::catch_unwind(|| {
        crate::support::dns::serve_at("127.77.0.25:53".parse().unwrap(), &[("api.test", "127.0.0.1")])
    }) else {
        crate::support::netns::unavailable(test, "cannot bind 127.77.0.25:53");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    // The C library's defaults: timeout 5 s, 2 attempts.
    let conf = crate::support::write(dir.path(), "resolv.conf", "nameserver 127.77.0.24\nnameserver 127.77.0.25\n");
    let cmd = crate::support::netns::with_resolver_files(&assert_cmd::cargo::cargo_bin("openai-doctor"), &conf, None);
    let mut cmd = match cmd {
        Ok(c) => c,
        Err(why) => {
            crate::support::netns::unavailable(test, &why);
            return None;
        }
    };
    let ca = world.pki.ca_file.display().to_string();
    let started = std::time::Instant::now();
    let out = cmd
        .args(["--base-url", &world.base_url(), "--ca-file", &ca, "--status-url", &world.status.url()])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OPENAI_API_KEY", FAKE_KEY)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    drop((silent, names));
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    };
    assert!(!r.stdout.contains(FAKE_KEY) && !r.stderr.contains(FAKE_KEY));
    Some(r)
}

/// The C library's resolver with a silent nameserver first and a working one second: every
/// lookup takes its 5 s timeout, then answers. The app's SDK waits (its connect timeout does not
/// include name resolution, its request timeout is 600 s) and the API answers: the probe must
/// pass, or the dns finding must be the root cause, and every time in a message is real.
#[test]
fn a_slow_nameserver_named_by_dns_does_not_fail_the_probe() {
    let test = "a_slow_nameserver_named_by_dns_does_not_fail_the_probe";
    let world = scripted(|n, _| ok(n));
    // The default deadline (20 s), as in the report of the issue.
    let args = ["--format", "json", "--only", "dns,tls,probe", "--probes", "3", "--no-billable"];
    let Some(r) = behind_a_silent_nameserver(test, &world, &args) else { return };
    let dns = r.check("dns");
    assert!(codes(&r, "dns").contains(&"dns.dead_nameserver".to_owned()), "{dns}");
    let probe = r.check("probe");
    let root = r.json()["verdict"]["root_cause"].clone();
    assert!(probe["status"] == "pass" || root == "dns", "probe {probe}\nroot cause {root}");
    assert_ne!(root, "probe", "{}", r.stdout);
    assert!(probe["summary"].as_str().unwrap().starts_with("3 of 3 GET /models OK"), "{probe}");
    // Every request of the series answered (one new connection, then reused, as the SDKs' pool).
    let series = probe["details"]["series"].as_array().unwrap();
    assert_eq!(series.len(), 3, "{probe}");
    assert!(series.iter().all(|a| a["status"] == 200), "{probe}");
    // The first request's time is the app's: the lookup (one silent nameserver, 5 s) included;
    // the next ones pay no lookup again.
    let totals: Vec<u64> = series.iter().map(|a| a["total_ms"].as_u64().unwrap()).collect();
    assert!(totals[0] >= 4_500, "{totals:?}");
    assert!(totals[1..].iter().all(|t| *t < 2_000), "{totals:?}");
    // No "within N s" claims a wait shorter than the time the run took.
    for text in [r.stdout.as_str(), r.stderr.as_str()] {
        for (i, _) in text.match_indices("within ") {
            let n: String = text[i + 7..].chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
            if let Ok(secs) = n.parse::<f64>() {
                assert!(secs <= r.elapsed.as_secs_f64() + 0.5, "\"within {secs} s\" in a {:?} run", r.elapsed);
            }
        }
    }
}

/// The same silent nameserver with a deadline too short for the probe's own lookup: `dns` ends
/// after about 5 s naming the silent nameserver, and the probe's lookup then runs out of what is
/// left of the 7 s deadline. The probe failed only in the phase `dns` named: the root cause is
/// `dns`, in JSON and on the table's verdict line, and the probe's finding points at it.
#[test]
fn a_probe_that_fails_only_on_the_named_slow_nameserver_blames_dns() {
    let test = "a_probe_that_fails_only_on_the_named_slow_nameserver_blames_dns";
    let world = scripted(|n, _| ok(n));
    let only = ["--only", "dns,tls,probe", "--probes", "3", "--no-billable", "--deadline", "10"];
    let Some(r) = behind_a_silent_nameserver(test, &world, &[&["--format", "json"][..], &only].concat()) else {
        return;
    };
    let Some(t) = behind_a_silent_nameserver(test, &world, &[&["--format", "table"][..], &only].concat()) else {
        return;
    };
    assert_eq!((r.code, t.code), (1, 1), "{}\n{}", r.stdout, t.stdout);
    let verdict = &r.json()["verdict"];
    assert_eq!((verdict["root_cause"].as_str(), verdict["status"].as_str()), (Some("dns"), Some("fail")), "{verdict}");
    let summary = verdict["summary"].as_str().unwrap();
    assert!(summary.starts_with("2 checks failed; root cause: dns — nameserver 127.77.0.24"), "{summary}");
    assert!(summary.ends_with("`probe` failed only because of it"), "{summary}");
    // The root cause's line fails, with the finding that is now proven to cause a failure.
    assert_eq!(status_of(&r, "dns"), "fail", "{}", r.check("dns"));
    let dead = message(&r, "dns", "dns.dead_nameserver");
    assert!(dead.ends_with("here it failed `probe` (its requests ran out of time resolving the API's name)"), "{dead}");
    // The probe failed, and says why: its lookup ran out of the time the deadline left.
    assert_eq!(status_of(&r, "probe"), "fail", "{}", r.check("probe"));
    let failed = message(&r, "probe", "probe.connection");
    assert!(
        failed.starts_with(
            "because of `dns` (dns.dead_nameserver): GET /models → dns error: looking up api.test failed after"
        ),
        "{failed}"
    );
    // The phase is said once, not "dns error: dns error:".
    assert!(!failed.contains("dns error: dns error"), "{failed}");
    // The table's verdict line says the same (wrapped to the terminal's width).
    let table = t.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(table.contains("✗ Verdict: 2 checks failed; root cause: dns — nameserver 127.77.0.24"), "{}", t.stdout);
    assert!(table.contains("`probe` failed only because of it"), "{}", t.stdout);
    assert!(table.contains("✗ because of `dns` (dns.dead_nameserver): GET /models"), "{}", t.stdout);
}

/// An API failing 60 % of requests gets a verdict by a stated rule: the observed rate with its
/// 95 % Wilson interval for the sample size is in the finding, and the check fails when the
/// interval's lower bound is above 25 %. Deterministic sequences (never more than two 500s in a
/// row, so the SDKs' backoff stays short): 6 of 10 is a failure; 3 of 5 (the same 60 %, too few
/// requests to say more) is a warning; each rerun of the same sequence gives the same verdict.
#[test]
fn a_60_percent_failure_rate_is_judged_by_its_interval() {
    let fails_at = |pattern: &'static [bool]| {
        scripted(move |n, _| {
            if pattern.get(n).copied().unwrap_or(false) {
                api_error(500, n, "The server had an error while processing your request.", "server_error", None)
            } else {
                ok(n)
            }
        })
    };
    const TEN: &[bool] = &[true, false, true, false, true, true, false, true, false, true];
    const FIVE: &[bool] = &[true, false, true, true, false];
    for _ in 0..2 {
        let world = fails_at(TEN);
        let r = probe_run(&world, &["--no-billable", "--probes", "10", "--deadline", "40"]);
        assert_eq!((r.code, status_of(&r, "probe")), (1, "fail".to_owned()), "{}", r.check("probe"));
        let msg = message(&r, "probe", "probe.intermittent");
        assert!(msg.contains("6 of 10 requests failed (500 ×6)"), "{msg}");
        assert!(msg.contains("failure rate 60 % (95 % interval 31–83 %, n = 10)"), "{msg}");
        assert!(
            msg.contains("a failure: the rule is a failure when the interval's lower bound is above 25 %"),
            "{msg}"
        );
        assert_eq!(r.json()["verdict"]["root_cause"], "probe");

        let world = fails_at(FIVE);
        let r = probe_run(&world, &["--no-billable", "--probes", "5", "--deadline", "30"]);
        assert_eq!((r.code, status_of(&r, "probe")), (0, "warn".to_owned()), "{}", r.check("probe"));
        let msg = message(&r, "probe", "probe.intermittent");
        assert!(msg.contains("3 of 5 requests failed (500 ×3)"), "{msg}");
        assert!(msg.contains("failure rate 60 % (95 % interval 23–88 %, n = 5)"), "{msg}");
        assert!(msg.contains("a warning: the rule is"), "{msg}");
    }
}

/// The connect timeout (5 s) is given to the TLS handshake on its own, as httpx gives it
/// (httpcore passes it to `connect_tcp` and again to `start_tls`), not shared with the TCP
/// connection: a server whose handshake answer is held back 6 s, with TCP at once, fails in the
/// handshake after 5 s of it, and the finding names that step (not "no connection").
#[test]
fn a_handshake_over_the_connect_timeout_fails_in_its_own_step() {
    let world = scripted(|n, _| ok(n));
    let forward = crate::support::server::slow_forward(world.api.addr, Duration::from_secs(6));
    let base = format!("https://api.test:{}/v1", forward.port());
    let r = probe_run(&world, &["--base-url", &base, "--only", "probe", "--probes", "1", "--no-billable"]);
    let failed = message(&r, "probe", "probe.connection");
    assert!(failed.contains("GET /models → timeout error: no TLS handshake within 5.0 s of connecting, "), "{failed}");
    assert!(
        failed.contains(" s in all (the connect timeout, 5 s, given to the handshake on its own, as httpx does)"),
        "{failed}"
    );
    assert!(r.elapsed < Duration::from_secs(12), "{:?}", r.elapsed);
}

/// Issue 24 review: an app's own timeout is its connect timeout too (`OpenAI(timeout=1.0)` is
/// `httpx.Timeout(1.0)`, connect included), so `--timeout 1` gives TCP and the handshake 1 s each,
/// and the finding says whose budget ran out.
#[test]
fn the_apps_own_timeout_is_its_connect_timeout() {
    let world = scripted(|n, _| ok(n));
    let forward = crate::support::server::slow_forward(world.api.addr, Duration::from_secs(6));
    let base = format!("https://api.test:{}/v1", forward.port());
    let r = probe_run(
        &world,
        &[
            "--base-url",
            &base,
            "--only",
            "probe",
            "--probes",
            "1",
            "--no-billable",
            "--timeout",
            "1",
            "--max-retries",
            "0",
        ],
    );
    let failed = message(&r, "probe", "probe.connection");
    assert!(failed.contains("GET /models → timeout error: no TLS handshake within 1.0 s of connecting, "), "{failed}");
    assert!(failed.contains(" s in all (your timeout, 1 s, as httpx applies it to connecting too)"), "{failed}");
    assert!(r.elapsed < Duration::from_secs(5), "cut at 1 s, not the SDK's 5 s: {:?}", r.elapsed);
}
