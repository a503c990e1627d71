//! Who answered (issue 23): the probe against loopback APIs that serve real answers quoted in
//! public reports (`tests/fixtures/answers/`). Each finding names the sender with its evidence and
//! who can fix it; a block page, an edge page or a gateway's own error is never read as the API's
//! key or server problem; every API request in the JSON report and the ticket says who answered;
//! the verdict line quotes the failing finding.

use serde_json::Value;

use crate::support::answers::reply;
use crate::support::server::Reply;
use crate::support::world::World;
use crate::support::{Run, doctor, run};

const MODELS: &str = r#"{"object":"list","data":[{"id":"gpt-4.1-nano","object":"model"}]}"#;

fn models_ok() -> Reply {
    Reply::new(200, "application/json", MODELS).header("x-request-id", "req_models_ok")
}

/// Every request gets the fixture.
fn serving(name: &'static str) -> World {
    World::with_api(move |_| reply(name))
}

/// `GET /models` passes (a gateway answers it from its routes); the completion gets the fixture.
fn chat_gets(name: &'static str) -> World {
    World::with_api(move |s| if s.method == "GET" { models_ok() } else { reply(name) })
}

fn probe(world: &World) -> Run {
    run(doctor().args(["--format", "json", "--skip", "status,container", "--probes", "1"]).args(world.args()), &[])
}

fn findings(r: &Run) -> Vec<Value> {
    r.check("probe")["findings"].as_array().unwrap().clone()
}

fn finding(r: &Run, code: &str) -> Value {
    findings(r).into_iter().find(|f| f["code"] == code).unwrap_or_else(|| panic!("no {code} in {}", r.check("probe")))
}

fn codes(r: &Run) -> Vec<String> {
    findings(r).iter().map(|f| f["code"].as_str().unwrap().to_owned()).collect()
}

fn text(f: &Value) -> String {
    format!("{} | {}", f["message"].as_str().unwrap_or(""), f["remedy"].as_str().unwrap_or(""))
}

#[test]
fn a_cloudflare_firewall_block_is_not_a_key_problem() {
    let r = probe(&serving("cloudflare/blocked_403_attention_required_api_openai_com.http"));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(!codes(&r).contains(&"probe.forbidden".to_owned()), "{}", r.check("probe"));
    let t = text(&finding(&r, "probe.edge_blocked"));
    assert!(t.contains("answered by Cloudflare's edge in front of api.openai.com"), "{t}");
    assert!(t.contains("you have been blocked"), "evidence quoted: {t}");
    assert!(t.contains("who can fix it: you"), "{t}");
    assert!(!t.contains("key's permissions"), "{t}");
}

#[test]
fn corporate_block_pages_go_to_the_network_team() {
    for (name, product) in [
        ("proxy/squid_err_access_denied_403_headers.http", "Squid"),
        ("proxy/zscaler_block_403_whatwaf.http", "Zscaler"),
        ("proxy/fortinet_web_filter_violation_403.http", "Fortinet"),
        // Palo Alto's block page comes as 503: still a block, never an API server error.
        ("proxy/paloalto_web_page_blocked_503.http", "Palo Alto"),
    ] {
        let r = probe(&serving(name));
        assert_eq!(codes(&r), ["probe.proxy_blocked"], "{name}: {}", r.check("probe"));
        let t = text(&finding(&r, "probe.proxy_blocked"));
        assert!(t.contains(product) && t.contains("who can fix it: your network team"), "{name}: {t}");
        assert!(!t.contains("status page") && !t.contains("key's permissions"), "{name}: {t}");
    }
}

#[test]
fn an_edge_522_in_front_of_a_gateway_is_for_the_gateways_operator() {
    let r = probe(&serving("cloudflare/522_gateway_helicone.http"));
    let t = text(&finding(&r, "probe.edge_error"));
    assert!(t.contains("in front of oai.hconeai.com") && t.contains("connect timeout"), "{t}");
    assert!(t.contains("who can fix it: your gateway's owner"), "{t}");
    assert!(!t.contains("contact support"), "OpenAI is not involved: {t}");
}

#[test]
fn billing_not_active_is_billing_and_never_transient() {
    for name in ["api/billing_not_active_429.http", "api/billing_hard_limit_reached_400.http"] {
        let r = probe(&serving(name));
        assert_eq!(codes(&r), ["probe.billing"], "{name}: {}", r.check("probe"));
        let t = text(&finding(&r, "probe.billing"));
        assert!(t.contains("billing") && !t.to_lowercase().contains("transient"), "{name}: {t}");
        assert!(t.contains("answered by OpenAI's API"), "{name}: {t}");
    }
}

#[test]
fn scopes_https_and_verification_get_their_own_cause() {
    for (name, code, words) in [
        ("api/missing_scopes_model_request_401.http", "probe.key_scopes", "model.request"),
        ("api/https_required_403.http", "probe.https_required", "https://api.openai.com/v1"),
        ("api/org_verification_stream_400.http", "probe.org_verification", "Verify"),
        ("api/unsupported_country_region_territory.http", "probe.region", "country"),
    ] {
        let r = probe(&serving(name));
        let t = text(&finding(&r, code));
        assert!(t.contains(words), "{name}: {t}");
        assert!(!t.contains("Create a new key") && !t.contains("run `validate`"), "{name}: {t}");
    }
}

#[test]
fn a_gateways_own_cooldown_and_timeout_are_the_gateways() {
    let r = probe(&chat_gets("gateway/litellm_no_deployments_cooldown_429.http"));
    let t = text(&finding(&r, "probe.gateway_error"));
    assert!(t.contains("LiteLLM") && t.contains("cooldown") && t.contains("5 s"), "{t}");
    assert!(t.contains("who can fix it: your gateway's owner"), "{t}");
    assert!(!codes(&r).contains(&"probe.rate_limited".to_owned()), "{}", r.check("probe"));
    // The models list the gateway answered itself is no proof the upstream works.
    assert!(t.contains("GET /models"), "{t}");

    let r = probe(&chat_gets("gateway/litellm_timeout_408_azure_upstream.http"));
    let t = text(&finding(&r, "probe.gateway_error"));
    assert!(t.contains("timeout") && !codes(&r).contains(&"probe.server_error".to_owned()), "{t}");
}

#[test]
fn an_upstream_error_relayed_by_a_gateway_names_both() {
    // LiteLLM relays Azure's 429 with a daily wait: a quota, for whoever owns the upstream.
    let r = probe(&chat_gets("gateway/litellm_relays_azure_429.http"));
    let f = findings(&r).into_iter().find(|f| f["severity"] == "fail").expect("a failure");
    let t = text(&f);
    assert!(t.contains("relayed") && t.contains("LiteLLM"), "{t}");
    assert!(t.contains("who can fix it: your gateway's owner"), "{t}");
    assert!(!t.to_lowercase().contains("transient"), "{t}");
    // The upstream is Azure: its fix is said in Azure's terms, never OpenAI's platform.
    assert!(t.contains("Tokens per Minute") && !t.contains("platform.openai.com"), "{t}");
}

#[test]
fn a_compatible_servers_own_error_is_said_in_its_terms() {
    // vLLM and Ollama serve the models themselves (issue 27): their envelope names them, and the
    // fix is theirs (the served name, `ollama pull`), not OpenAI's keys or status page.
    for (name, who, fix) in [
        ("compatible/vllm_model_does_not_exist_404.http", "vLLM's OpenAI-compatible server", "--served-model-name"),
        ("compatible/ollama_model_not_found_404.http", "Ollama's OpenAI-compatible server", "`ollama pull ollama`"),
    ] {
        let r = probe(&chat_gets(name));
        let f = findings(&r).into_iter().find(|f| f["severity"] == "fail").expect("a failure");
        let t = text(&f);
        assert!(t.contains(&format!("answered by {who}")), "{name}: {t}");
        assert!(t.contains(fix) && !t.contains("platform.openai.com"), "{name}: {t}");
        let json = r.json();
        let tags: Vec<&str> =
            json["requests"].as_array().unwrap().iter().filter_map(|q| q["answered_by"]["sender"].as_str()).collect();
        assert!(tags.iter().any(|t| t.starts_with("compatible:")), "{name}: {tags:?}");
    }
}

#[test]
fn a_captive_portal_answering_200_is_not_a_pass() {
    let r = probe(&serving("portal/captive_portal_meta_refresh_200.http"));
    assert_eq!(r.check("probe")["status"], "fail", "{}", r.check("probe"));
    let t = text(&finding(&r, "probe.captive_portal"));
    assert!(t.to_lowercase().contains("log in to the network"), "{t}");
}

#[test]
fn an_unrecognised_page_is_not_from_the_api_and_keeps_its_title() {
    let r = probe(&serving("other/nginx_413_in_front_of_compatible_api.http"));
    let t = text(&finding(&r, "probe.not_api"));
    assert!(t.contains("413 Request Entity Too Large"), "{t}");
}

#[test]
fn every_request_says_who_answered_in_json_and_ticket() {
    let world = serving("proxy/squid_err_access_denied_403_headers.http");
    let r = probe(&world);
    let reqs: Vec<Value> =
        r.json()["requests"].as_array().unwrap().iter().filter(|q| q["check"] == "probe").cloned().collect();
    assert!(!reqs.is_empty());
    for q in &reqs {
        assert_eq!(q["answered_by"]["sender"], "proxy:squid", "{q}");
        let evidence = q["answered_by"]["evidence"].as_array().unwrap();
        assert!(evidence.iter().any(|e| e.as_str().unwrap().contains("X-Squid-Error")), "{q}");
        assert_eq!(q["answered_by"]["fixer"], "network_team", "{q}");
    }
    // The probe's own details say it too, per request of the series.
    assert_eq!(r.check("probe")["details"]["series"][0]["answered_by"], "proxy:squid", "{}", r.check("probe"));
    let ticket = run(
        doctor().args(["--format", "markdown", "--skip", "status,container", "--probes", "1"]).args(world.args()),
        &[],
    );
    assert!(ticket.stdout.contains("answered by"), "{}", ticket.stdout);
    assert!(ticket.stdout.contains("proxy:squid"), "{}", ticket.stdout);
}

#[test]
fn the_verdict_line_quotes_the_failing_finding() {
    // The minimal completion fails alone: the verdict says why, not "5 of 5 … OK".
    let r = probe(&chat_gets("api/unsupported_parameter_max_tokens_400.http"));
    let verdict = r.json()["verdict"]["summary"].as_str().unwrap().to_owned();
    assert!(verdict.contains("root cause: probe"), "{verdict}");
    assert!(verdict.contains("max_completion_tokens") || verdict.contains("max_tokens"), "{verdict}");
    assert!(!verdict.contains(" OK"), "{verdict}");
}

#[test]
fn simulate_serves_edge_and_proxy_pages_and_the_doctor_names_their_senders() {
    // The doctor itself is the client `simulate` runs: what users can test their own clients with.
    let dir = tempfile::tempdir().unwrap();
    for (faults, code, words) in [
        ("edge:522x20", "probe.edge_error", "connect timeout"),
        ("edge-blockedx20", "probe.edge_blocked", "you have been blocked"),
        ("proxy-blockx20", "probe.proxy_blocked", "Squid"),
    ] {
        let out = dir.path().join(format!("{code}.json"));
        let script = format!(
            "'{}' --format json --skip status,container --probes 1 > '{}'",
            env!("CARGO_BIN_EXE_openai-doctor"),
            out.display()
        );
        let sim = run(
            doctor().args(["simulate", "--quiet", "--format", "json", "--faults", faults, "--", "sh", "-c", &script]),
            &[],
        );
        let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{faults}: {e}\n{}\n{}", sim.stdout, sim.stderr));
        let probe = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == "probe").unwrap().clone();
        let f = probe["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("{faults}: no {code} in {probe}"))
            .clone();
        assert!(text(&f).contains(words), "{faults}: {}", text(&f));
    }
}
