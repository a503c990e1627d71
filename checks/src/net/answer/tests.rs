//! Every real answer in `tests/fixtures/answers/` (and the bodies of
//! `tests/support/error_bodies.rs`) judged: the sender must be the file's `# sender:` line, and
//! class, retryability and fixer those of the table below, derived from each file's `# meaning:`
//! line. The table of class, answers and right verdicts is printed (`--nocapture`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Answer, Class, Fixer, judge};

#[path = "../../../../tests/support/error_bodies.rs"]
#[allow(dead_code)]
mod error_bodies;

/// One fixture file, parsed.
struct Fixture {
    name: String,
    sender: String,
    answer: Answer,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/answers")
}

/// Parses the README's format: `#` lines, the status line, header lines, a blank line, the body.
/// A headers-only file whose source printed the SDK's line is fed that line as its body (the
/// message the real body carried), so what the answer said is still judged.
fn parse(name: &str, text: &str) -> Fixture {
    let mut sender = String::new();
    let mut printed = Vec::new();
    let mut lines = text.split_inclusive('\n');
    let mut status_line = "";
    for line in lines.by_ref() {
        if let Some(s) = line.strip_prefix("# sender:") {
            sender = s.trim().to_owned();
        } else if let Some(p) = line.strip_prefix("# printed:") {
            printed.push(p.trim().to_owned());
        } else if line.starts_with("HTTP/") {
            status_line = line;
            break;
        }
    }
    assert!(!status_line.is_empty(), "{name}: no status line");
    let status: u16 = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status");
    let mut headers = Vec::new();
    for line in lines.by_ref() {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').unwrap_or_else(|| panic!("{name}: header line {line:?}"));
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let mut body: String = lines.collect();
    if body.trim().is_empty() && !printed.is_empty() {
        body = printed.join("\n");
    }
    let base_host = base_host(name).to_owned();
    let answer = Answer {
        status: (status != 0).then_some(status),
        headers,
        body: body.into_bytes(),
        base_host,
        ..Answer::default()
    };
    Fixture { name: name.to_owned(), sender, answer }
}

/// The base URL each report's client used (the doctor always knows its own).
fn base_host(name: &str) -> &'static str {
    match name {
        "cloudflare/522_gateway_helicone.http" => "oai.hconeai.com",
        "gateway/azure_apim_missing_subscription_key_401.http" => "contoso.azure-api.net",
        "gateway/cloudflare_ai_gateway_401_authentication_error.http" => "gateway.ai.cloudflare.com",
        "gateway/cloudflare_api_405_get_not_supported.http" => "api.cloudflare.com",
        "gateway/helicone_500_wraps_upstream_400.http" => "ai-gateway.helicone.ai",
        "gateway/helicone_proxy_relays_openai_401.http" => "oai.helicone.ai",
        n if n.starts_with("gateway/openrouter") => "openrouter.ai",
        n if n.starts_with("gateway/litellm") => "localhost:4000",
        n if n.starts_with("azure/") => "myresource.openai.azure.com",
        n if n.starts_with("compatible/vllm") => "localhost:8000",
        n if n.starts_with("compatible/ollama") => "localhost:11434",
        "other/nginx_413_in_front_of_compatible_api.http" => "webui.example",
        _ => "api.openai.com",
    }
}

use Class::{Access, Billing, Edge, Gateway as Gw, KeyOrProject as Key, Network, OpenAi, RateLimit, Request};
use Fixer::{GatewayOwner as Owner, NetworkTeam as Net, OpenAi as Oai, You};

/// A verdict: class, retryable, who can fix it.
type Verdict = (Class, bool, Fixer);

/// File → (class, retryable, who can fix it), from its `# meaning:` line. `None`: not an error
/// (a success's headers, a stream).
#[rustfmt::skip]
const EXPECTED: &[(&str, Option<Verdict>)] = &[
    ("api/billing_hard_limit_reached_400.http", Some((Billing, false, You))),
    ("api/billing_hard_limit_reached_400_headers.http", Some((Billing, false, You))),
    ("api/billing_not_active_429.http", Some((Billing, false, You))),
    ("api/context_length_exceeded_messages_400.http", Some((Request, false, You))),
    ("api/context_length_exceeded_requested_400.http", Some((Request, false, You))),
    ("api/https_required_403.http", Some((Request, false, You))),
    ("api/insufficient_quota_code_null_2023.http", Some((Billing, false, You))),
    ("api/invalid_api_key_401.http", Some((Key, false, You))),
    ("api/missing_scopes_model_request_401.http", Some((Key, false, You))),
    ("api/model_deprecated_404.http", Some((Request, false, You))),
    ("api/model_not_found_no_access_404_2023.http", Some((Access, false, You))),
    ("api/org_verification_model_gpt_image_1.http", Some((Access, false, You))),
    ("api/org_verification_stream_400.http", Some((Access, false, You))),
    ("api/overloaded_503_2023.http", Some((OpenAi, true, Oai))),
    ("api/rate_limit_request_too_large_tpm_429.http", Some((Request, false, You))),
    ("api/rate_limit_slow_down_429.http", Some((RateLimit, true, You))),
    ("api/server_error_500.http", Some((OpenAi, true, Oai))),
    ("api/unsupported_country_region_territory.http", Some((Access, false, You))),
    ("api/unsupported_parameter_max_tokens_400.http", Some((Request, false, You))),
    ("api/unsupported_value_temperature_400.http", Some((Request, false, You))),
    ("azure/429_rate_limit_try_again.http", Some((RateLimit, true, You))),
    ("azure/429_token_rate_limit_headers.http", Some((RateLimit, true, You))),
    ("azure/429_token_rate_limit_region_wording.http", Some((RateLimit, true, You))),
    ("azure/api_version_not_supported_400.http", Some((Request, false, You))),
    ("azure/content_filter_400_2023.http", Some((Request, false, You))),
    ("azure/content_filter_400_innererror.http", Some((Request, false, You))),
    ("azure/deployment_not_found_404.http", Some((Request, true, You))),
    ("azure/deployment_not_found_404_headers.http", Some((Request, true, You))),
    ("azure/entra_token_rejected_401.http", Some((Key, false, You))),
    ("azure/invalid_key_401.http", Some((Key, false, You))),
    ("azure/invalid_key_401_behind_apim.http", Some((Key, false, You))),
    ("azure/missing_api_version_404.http", Some((Request, false, You))),
    ("azure/model_requires_newer_api_version.http", Some((Request, false, You))),
    ("azure/operation_not_supported_400.http", Some((Request, false, You))),
    ("azure/operation_not_supported_400_headers.http", Some((Request, false, You))),
    ("azure/public_access_disabled_403.http", Some((Access, false, You))),
    ("azure/public_access_disabled_403_accessdenied.http", Some((Access, false, You))),
    ("azure/resource_not_found_404.http", Some((Request, false, You))),
    ("azure/response_headers_azure_success.http", None),
    ("azure/stream_content_filter_annotations.http", None),
    ("azure/unsupported_value_temperature_400.http", Some((Request, false, You))),
    ("azure/vnet_firewall_denied_403.http", Some((Access, false, You))),
    ("azure/vnet_firewall_denied_403_headers.http", Some((Access, false, You))),
    ("cloudflare/520_api_openai_com.http", Some((Edge, true, Oai))),
    ("compatible/ollama_model_not_found_404.http", Some((Request, false, You))),
    ("compatible/ollama_native_model_not_found_404.http", Some((Request, false, You))),
    ("compatible/vllm_context_length_400.http", Some((Request, false, You))),
    ("compatible/vllm_model_does_not_exist_404.http", Some((Request, false, You))),
    ("compatible/vllm_unsupported_media_type_400.http", Some((Request, false, You))),
    ("cloudflare/520_api_openai_com_text.http", Some((Edge, true, Oai))),
    ("cloudflare/522_gateway_helicone.http", Some((Edge, true, Owner))),
    ("cloudflare/blocked_403_attention_required_api_openai_com.http", Some((Edge, false, You))),
    ("gateway/azure_apim_missing_subscription_key_401.http", Some((Gw, false, Owner))),
    ("gateway/cloudflare_ai_gateway_401_authentication_error.http", Some((Gw, false, Owner))),
    ("gateway/cloudflare_api_405_get_not_supported.http", Some((Gw, false, Owner))),
    ("gateway/helicone_500_wraps_upstream_400.http", Some((Request, false, You))),
    ("gateway/helicone_proxy_relays_openai_401.http", Some((Key, false, You))),
    ("gateway/litellm_cooldown_429_headers.http", Some((Gw, true, Owner))),
    ("gateway/litellm_no_connected_db_400.http", Some((Gw, false, Owner))),
    ("gateway/litellm_no_connected_db_401.http", Some((Gw, false, Owner))),
    ("gateway/litellm_no_deployments_cooldown_429.http", Some((Gw, true, Owner))),
    ("gateway/litellm_relays_azure_429.http", Some((Billing, false, Owner))),
    ("gateway/litellm_timeout_408_azure_upstream.http", Some((Gw, true, Owner))),
    ("gateway/litellm_timeout_504.http", Some((Gw, true, Owner))),
    ("gateway/openrouter_429_upstream_cloudflare_1015.http", Some((RateLimit, true, You))),
    ("gateway/openrouter_relays_openai_400.http", Some((Request, false, You))),
    ("portal/captive_portal_meta_refresh_200.http", Some((Network, false, You))),
    ("proxy/fortinet_web_filter_violation_403.http", Some((Network, false, Net))),
    ("proxy/paloalto_web_page_blocked_503.http", Some((Network, false, Net))),
    ("proxy/squid_err_access_denied_403_2013.http", Some((Network, false, Net))),
    ("proxy/squid_err_access_denied_403_headers.http", Some((Network, false, Net))),
    ("proxy/zscaler_block_403_whatwaf.http", Some((Network, false, Net))),
    ("proxy/zscaler_block_ai_client_fetch_models.http", Some((Network, false, Net))),
    // Held out: added after the rules were written, expectations set before running them.
    ("api/insufficient_quota_429_2025.http", Some((Billing, false, You))),
    ("api/model_not_found_or_no_access_404_2024.http", Some((Access, false, You))),
    ("api/rate_limit_rpm_60_message_2023.http", Some((RateLimit, true, You))),
    ("api/rate_limit_rpm_free_tier_2023.http", Some((RateLimit, true, You))),
    ("cloudflare/502_api_openai_com_html_2023.http", Some((Edge, true, Oai))),
    ("cloudflare/502_json_cf_bad_gateway_headers.http", Some((Edge, true, Oai))),
    ("cloudflare/502_plain_page_cloudflare_footer.http", Some((Edge, true, Oai))),
    ("gateway/litellm_invalid_model_name_400.http", Some((Gw, false, Owner))),
    ("gateway/openrouter_no_auth_credentials_401.http", Some((Gw, false, You))),
    ("other/nginx_413_in_front_of_compatible_api.http", Some((Class::Unknown, false, Owner))),
];

fn fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(root()).expect("tests/fixtures/answers") {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            let path = f.unwrap().path();
            if path.extension().is_some_and(|e| e == "http") {
                let name = format!(
                    "{}/{}",
                    dir.file_name().unwrap().to_string_lossy(),
                    path.file_name().unwrap().to_string_lossy()
                );
                out.push(parse(&name, &std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The bodies of `tests/support/error_bodies.rs` as the API (or Cloudflare) sends them.
fn error_bodies() -> Vec<(String, &'static str, Answer, Verdict)> {
    use error_bodies::*;
    let api = |status: u16, body: &str| Answer {
        status: Some(status),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
        base_host: "api.openai.com".into(),
        ..Answer::default()
    };
    let mut cf = api(502, CF_BAD_GATEWAY);
    cf.headers.push(("cf-ray".into(), CF_BAD_GATEWAY_RAY.into()));
    vec![
        ("MISMATCHED_ORGANIZATION".into(), "api", api(401, MISMATCHED_ORGANIZATION), (Key, false, You)),
        ("ACCOUNT_DEACTIVATED".into(), "api", api(401, ACCOUNT_DEACTIVATED), (Key, false, You)),
        ("NO_API_KEY".into(), "api", api(401, NO_API_KEY), (Key, false, You)),
        ("NO_ORGANIZATION".into(), "api", api(401, NO_ORGANIZATION), (Key, false, You)),
        ("PROJECT_MODEL_ACCESS".into(), "api", api(403, PROJECT_MODEL_ACCESS), (Access, false, You)),
        ("CF_BAD_GATEWAY".into(), "cloudflare", cf, (Edge, true, Oai)),
        ("CF_GATEWAY_TIMEOUT".into(), "cloudflare", api(524, CF_GATEWAY_TIMEOUT), (Edge, true, Oai)),
    ]
}

#[test]
fn every_real_answer_is_attributed_and_classified() {
    let files = fixtures();
    assert!(files.len() >= 63, "only {} fixtures found", files.len());
    let expected: BTreeMap<&str, Option<Verdict>> = EXPECTED.iter().copied().collect();
    // (class → answers, right) and the wrong verdicts, reported together.
    let mut table: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut wrong = Vec::new();
    let mut check = |name: &str, want_sender: &str, a: &Answer, want: Option<Verdict>| {
        let j = judge(a);
        let not_an_error = j.diagnosis.is_none() && matches!(j.sender, super::Sender::Api | super::Sender::Azure);
        let got = (!not_an_error).then_some((j.class, j.retryable, j.fixer));
        let row = want.map_or("(not an error)".to_owned(), |w| w.0.as_str().to_owned());
        let entry = table.entry(format!("{row} [{}]", want_sender.split(':').next().unwrap_or(""))).or_default();
        entry.0 += 1;
        if j.sender.tag() == want_sender && got == want {
            entry.1 += 1;
        } else {
            wrong.push(format!(
                "{name}: sender {} (want {want_sender}), verdict {got:?} (want {want:?}); evidence {:?}; {}",
                j.sender.tag(),
                j.evidence,
                j.what
            ));
        }
        // Every verdict says who answered with evidence, and never invents a fix for an unknown.
        assert!(!j.evidence.is_empty(), "{name}: no evidence");
        if let Some(d) = &j.diagnosis
            && d.id == "unknown"
        {
            assert!(d.fix.is_none(), "{name}: a fix invented for an unknown error");
        }
    };
    for f in &files {
        let want = expected.get(f.name.as_str()).unwrap_or_else(|| panic!("{}: not in the expectation table", f.name));
        check(&f.name, &f.sender, &f.answer, *want);
    }
    assert_eq!(expected.len(), files.len(), "the table lists files that are gone");
    for (name, sender, a, want) in error_bodies() {
        check(&format!("error_bodies::{name}"), sender, &a, Some(want));
    }
    let (mut total, mut right) = (0, 0);
    println!("| class [sender] | answers | right verdicts |\n| --- | --- | --- |");
    for (class, (n, r)) in &table {
        println!("| {class} | {n} | {r} |");
        total += n;
        right += r;
    }
    println!("| **all** | {total} | {right} |");
    assert!(wrong.is_empty(), "{} of {total} wrong:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn facts_are_read_from_the_messages() {
    let files = fixtures();
    let get = |n: &str| judge(&files.iter().find(|f| f.name == n).unwrap().answer);
    let ctx = get("api/context_length_exceeded_requested_400.http");
    let d = ctx.diagnosis.unwrap();
    assert!(d.what.contains("4130 tokens for a window of 4096 (over by 34)"), "{}", d.what);
    assert!(d.what.contains("1000 of them asked for the completion"), "{}", d.what);
    let tpm = get("api/rate_limit_request_too_large_tpm_429.http").diagnosis.unwrap();
    assert_eq!(tpm.id, "rate_limit.request_too_large");
    assert!(
        tpm.what.contains("tokens-per-minute") && tpm.what.contains("limit 30000, requested 30601"),
        "{}",
        tpm.what
    );
    let azure = get("azure/429_token_rate_limit_headers.http").diagnosis.unwrap();
    assert_eq!((azure.id, azure.wait_s), ("rate_limit.tokens", Some(55.0)));
    let cooldown = get("gateway/litellm_no_deployments_cooldown_429.http");
    assert!(cooldown.what.contains("wait 5 s"), "{}", cooldown.what);
    let scopes = get("api/missing_scopes_model_request_401.http").diagnosis.unwrap();
    assert!(scopes.what.contains("model.request"), "{}", scopes.what);
    let param = get("api/unsupported_parameter_max_tokens_400.http").diagnosis.unwrap();
    assert!(param.fix.unwrap().contains("`max_completion_tokens` instead of `max_tokens`"));
    let edge = get("cloudflare/522_gateway_helicone.http");
    assert!(
        edge.what.contains("in front of oai.hconeai.com") && edge.what.contains("connect timeout"),
        "{}",
        edge.what
    );
    let unknown = get("gateway/openrouter_relays_openai_400.http");
    let d = unknown.diagnosis.unwrap();
    assert_eq!((d.id, d.fix), ("unknown", None));
    assert!(d.quoted.starts_with("Response input messages must contain the word 'json'"), "{}", d.quoted);
}

#[test]
fn renamed_upstream_headers_give_the_wait_and_the_kind() {
    // LiteLLM renames the upstream's headers (`llm_provider-…`); the wait and kind still count.
    let a = Answer {
        status: Some(429),
        headers: vec![
            ("x-litellm-version".into(), "1.0".into()),
            ("llm_provider-retry-after".into(), "7".into()),
            ("llm_provider-x-ratelimit-remaining-requests".into(), "0".into()),
            ("llm_provider-x-ratelimit-limit-requests".into(), "500".into()),
        ],
        body: br#"{"error": {"message": "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit exceeded", "type": "throttling_error", "param": null, "code": "429"}}"#.to_vec(),
        base_host: "localhost:4000".into(),
        ..Answer::default()
    };
    let j = judge(&a);
    assert_eq!(j.sender.tag(), "gateway:litellm");
    let d = j.diagnosis.unwrap();
    assert_eq!((d.id, d.wait_s, d.retryable), ("rate_limit.requests", Some(7.0), true));
    assert!(d.what.contains("limit 500"), "{}", d.what);
    assert!(j.evidence.iter().any(|e| e.contains("llm_provider-retry-after")), "{:?}", j.evidence);
}

#[test]
fn an_unrecognised_page_is_not_the_api_and_keeps_its_title() {
    let a = Answer {
        status: Some(403),
        headers: vec![("content-type".into(), "text/html".into())],
        body: b"<html><head><title>Request Rejected</title></head><body>The requested URL was rejected.</body></html>"
            .to_vec(),
        base_host: "api.openai.com".into(),
        ..Answer::default()
    };
    let j = judge(&a);
    assert_eq!(j.sender, super::Sender::Unknown { title: Some("Request Rejected".into()) });
    assert_eq!((j.fixer, j.fix), (Fixer::NetworkTeam, None));
    assert!(j.what.contains("not from the API"), "{}", j.what);
}

#[test]
fn a_407_is_a_proxy_asking_for_credentials() {
    let a = Answer {
        status: Some(407),
        headers: vec![("proxy-authenticate".into(), "Basic realm=\"corp\"".into())],
        body: Vec::new(),
        base_host: "api.openai.com".into(),
        ..Answer::default()
    };
    let j = judge(&a);
    assert_eq!(j.sender.tag(), "proxy");
    assert_eq!((j.class, j.fixer), (Class::Network, Fixer::NetworkTeam));
    assert!(j.what.contains("asks for credentials"), "{}", j.what);
}

#[test]
fn an_unknown_error_is_quoted_with_retryability_from_status_and_no_fix() {
    let a = Answer {
        status: Some(502),
        headers: vec![("x-request-id".into(), "req_1".into())],
        body: br#"{"error": {"message": "Something new", "type": "brand_new_error", "code": "brand_new"}}"#.to_vec(),
        base_host: "api.openai.com".into(),
        ..Answer::default()
    };
    let j = judge(&a);
    let d = j.diagnosis.unwrap();
    assert_eq!((d.id, d.class, d.retryable, d.fix.as_deref()), ("unknown", Class::OpenAi, true, None));
    assert_eq!(d.quoted, "Something new");
    let a = Answer {
        status: Some(400),
        body: br#"{"error": {"message": "odd", "type": "weird", "code": "x"}}"#.to_vec(),
        ..a
    };
    let d = judge(&a).diagnosis.unwrap();
    assert_eq!((d.retryable, d.fix), (false, None));
}

#[test]
fn go_durations_and_message_waits() {
    use super::catalogue::{go_duration, message_wait};
    assert_eq!(go_duration("6m0s"), Some(360.0));
    assert_eq!(go_duration("1m3.5s"), Some(63.5));
    assert_eq!(go_duration("20ms"), Some(0.02));
    assert_eq!(go_duration("0"), Some(0.0));
    assert_eq!(go_duration("7 seconds"), None);
    assert_eq!(message_wait("Please try again in 20s. Contact"), Some(20.0));
    assert_eq!(message_wait("Try again in 60 seconds. ..."), Some(60.0));
    assert_eq!(message_wait("Please retry after 86400 seconds."), Some(86400.0));
    assert_eq!(message_wait("no wait here"), None);
}

#[test]
fn a_models_words_are_not_evidence() {
    // A streamed answer (or a JSON completion) that talks about Zscaler, Squid or LiteLLM is still
    // the API's: markers are read in pages and error messages, not in a model's text.
    let stream =
        "data: {\"choices\":[{\"delta\":{\"content\":\"Zscaler, Squid's ERR_ACCESS_DENIED and litellm\"}}]}\n\n";
    for (body, headers) in [
        (stream.to_owned(), vec![("x-request-id".to_owned(), "req_1".to_owned())]),
        (stream.to_owned(), vec![]),
        (
            r#"{"object":"chat.completion","choices":[{"message":{"content":"litellm.Timeout and no connected db"}}]}"#
                .to_owned(),
            vec![("x-request-id".to_owned(), "req_2".to_owned())],
        ),
    ] {
        let a = Answer {
            status: Some(200),
            headers,
            body: body.into_bytes(),
            base_host: "api.openai.com".into(),
            ..Answer::default()
        };
        let j = judge(&a);
        assert_eq!(j.sender, super::Sender::Api, "{:?}", j.evidence);
    }
}

#[test]
fn redirects_and_huge_headers() {
    let redirect = |to: &str| Answer {
        status: Some(302),
        headers: vec![("location".into(), to.into()), ("content-type".into(), "text/html".into())],
        body: b"<html>Moved</html>".to_vec(),
        base_host: "api.openai.com".into(),
        ..Answer::default()
    };
    // A moved base URL is not a login page; a redirect to a login page is.
    assert_eq!(judge(&redirect("https://api.example.com/v1/models")).sender.tag(), "unknown");
    assert_eq!(judge(&redirect("http://hotspot.example/login?dst=x")).sender.tag(), "portal");
    // A hostile server's 100 KB header is not copied into the evidence.
    let a = Answer {
        status: Some(500),
        headers: vec![("x-request-id".into(), "x".repeat(100 * 1024))],
        body: br#"{"error": {"message": "boom", "type": "server_error"}}"#.to_vec(),
        base_host: "api.openai.com".into(),
        ..Answer::default()
    };
    let j = judge(&a);
    assert!(j.evidence.iter().all(|e| e.chars().count() < 300), "{:?}", j.evidence);
}

/// The judgement of one fixture, knowing what the request sent.
fn judged(name: &str, sent: super::Sent) -> super::Judgement {
    let files = fixtures();
    let f = files.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("{name}: no such fixture"));
    judge(&Answer { sent, ..f.answer.clone() })
}

/// Words each Azure answer's fix (and what) must have: Azure's terms, the facts read from it.
/// `sent` is what the request carried, where it changes the verdict.
#[rustfmt::skip]
const AZURE_WORDS: &[(&str, &[&str], &[&str])] = &[
    // (file, words of `what`, words of the fix)
    ("azure/429_rate_limit_try_again.http", &["a rate limit"], &["Wait 50 s as Azure asks", "Tokens per Minute", "Azure AI Foundry"]),
    ("azure/429_token_rate_limit_headers.http", &["tokens per minute", "resets in 55 s"], &["Wait 55 s", "in x-rate-limit-reset-tokens; no Retry-After", "Tokens per Minute"]),
    ("azure/429_token_rate_limit_region_wording.http", &["tokens per minute", "45 s"], &["Wait 45 s", "Tokens per Minute", "Quota page"]),
    ("azure/api_version_not_supported_400.http", &["api-version"], &["OPENAI_API_VERSION", "api-version-lifecycle", "2024-10-21", "/openai/v1/"]),
    ("azure/content_filter_400_2023.http", &["Azure OpenAI's content filter blocked the prompt", "not the key"], &["Content filters", "this deployment", "fails the same way"]),
    ("azure/content_filter_400_innererror.http", &["violence (severity medium)", "innererror.content_filter_result"], &["Content filters"]),
    ("azure/deployment_not_found_404.http", &["deployment's name, not the model's"], &["deployment name (not the model name)", "Azure AI Foundry → Deployments", "5 minutes"]),
    ("azure/deployment_not_found_404_headers.http", &["no deployment of this name"], &["deployment name (not the model name)"]),
    ("azure/entra_token_rejected_401.http", &["bearer token", "audience"], &["cognitiveservices.azure.com/.default", "api-key", "Cognitive Services OpenAI User"]),
    ("azure/invalid_key_401.http", &["key and endpoint are checked together"], &["Keys and Endpoint", "AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT", "same resource"]),
    ("azure/invalid_key_401_behind_apim.http", &["key and endpoint"], &["Keys and Endpoint"]),
    ("azure/missing_api_version_404.http", &["no api-version"], &["api-version=", "2024-10-21", "Keys and Endpoint"]),
    ("azure/model_requires_newer_api_version.http", &["2024-12-01-preview or later"], &["OPENAI_API_VERSION", "2024-12-01-preview or later"]),
    ("azure/operation_not_supported_400.http", &["text-embedding-3-large", "chatCompletion"], &["embedding model's deployment", "Azure AI Foundry → Deployments"]),
    ("azure/operation_not_supported_400_headers.http", &["gpt-35-turbo-16k", "legacy completions path"], &["Call chat completions", "chat model's deployment"]),
    ("azure/resource_not_found_404.http", &["wrong path", "no api-version"], &["Keys and Endpoint", "/openai/deployments/{deployment}/chat/completions"]),
    ("azure/unsupported_value_temperature_400.http", &["`temperature`"], &["set it to 1"]),
    ("azure/public_access_disabled_403.http", &["network rules", "not the problem"], &["privatelink.openai.azure.com", "Networking"]),
    ("azure/public_access_disabled_403_accessdenied.http", &["network rules"], &["private endpoint"]),
    ("azure/vnet_firewall_denied_403.http", &["selected networks"], &["Firewalls and virtual networks"]),
    ("azure/vnet_firewall_denied_403_headers.http", &["network rules"], &["virtual network"]),
];

#[test]
fn every_azure_answer_is_fixed_in_azures_terms() {
    let files = fixtures();
    println!("| fixture | class | retryable | what | fix |\n| --- | --- | --- | --- | --- |");
    let mut seen = 0;
    for f in files.iter().filter(|f| f.name.starts_with("azure/")) {
        let j = judge(&f.answer);
        let fix = j.fix.clone().unwrap_or_default();
        println!("| `{}` | {} | {} | {} | {} |", f.name, j.class.as_str(), j.retryable, j.what, fix);
        // Never OpenAI's platform for an answer Azure sent.
        assert!(!fix.contains("platform.openai.com") && !j.what.contains("platform.openai.com"), "{}: {fix}", f.name);
        if let Some((_, what, words)) = AZURE_WORDS.iter().find(|(n, _, _)| *n == f.name) {
            seen += 1;
            for w in *what {
                assert!(j.what.contains(w), "{}: what lacks {w:?}: {}", f.name, j.what);
            }
            for w in *words {
                assert!(fix.contains(w), "{}: fix lacks {w:?}: {fix}", f.name);
            }
        } else {
            assert!(j.diagnosis.is_none(), "{}: an error without expected fix words", f.name);
        }
    }
    assert_eq!(seen, AZURE_WORDS.len(), "a fixture of AZURE_WORDS is gone");
}

#[test]
fn any_answer_azure_relays_gets_no_openai_platform_advice() {
    // OpenAI's own errors, as if an Azure resource had answered them: their fixes must not send
    // the user to platform.openai.com (Azure's equivalent, or no fix).
    for f in fixtures().iter().filter(|f| f.name.starts_with("api/")) {
        let a = Answer { base_host: "myresource.openai.azure.com".into(), ..f.answer.clone() };
        let j = judge(&a);
        assert_eq!(j.sender, super::Sender::Azure, "{}", f.name);
        let fix = j.fix.unwrap_or_default();
        assert!(!fix.contains("platform.openai.com"), "{}: {fix}", f.name);
    }
}

#[test]
fn an_openai_key_sent_to_azure_is_named() {
    let sent = |k: &str| super::Sent { key: Some(super::KeyShape::of(k)), ..super::Sent::default() };
    let j = judged("azure/invalid_key_401.http", sent("sk-proj-abcdefghijklmnopqrstuvwxyz0123"));
    assert!(j.what.contains("sends an OpenAI key (sk-…) to Azure OpenAI"), "{}", j.what);
    let fix = j.fix.unwrap();
    assert!(fix.contains("api-key header") && fix.contains("Keys and Endpoint"), "{fix}");
    assert!(!fix.contains("sk-proj-abc"), "the key itself is never repeated: {fix}");
    // An Azure-shaped key: key and endpoint together, no word of OpenAI keys.
    let j = judged("azure/invalid_key_401.http", sent("0123456789abcdef0123456789abcdef"));
    assert!(!j.what.contains("OpenAI key") && j.what.contains("checked together"), "{}", j.what);
    assert_eq!(super::KeyShape::of("sk-ant-api03-xyz"), super::KeyShape::Other);
}

#[test]
fn azures_404_is_told_apart_by_the_api_version_sent() {
    let url = |u: &str| url::Url::parse(u).unwrap();
    let none =
        Answer::default().with_url(&url("https://r.openai.azure.com/openai/deployments/d/chat/completions")).sent;
    let some = Answer::default()
        .with_url(&url("https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21"))
        .sent;
    assert_eq!((none.api_version.clone(), some.api_version.clone()), (Some(None), Some(Some("2024-10-21".into()))));
    let j = judged("azure/missing_api_version_404.http", none);
    let d = j.diagnosis.unwrap();
    assert_eq!(d.id, "resource_not_found.api_version");
    assert!(d.fix.unwrap().contains("set OPENAI_API_VERSION") && j.what.contains("no api-version"), "{}", j.what);
    let j = judged("azure/resource_not_found_404.http", some);
    assert_eq!(j.diagnosis.as_ref().unwrap().id, "resource_not_found");
    assert!(j.what.contains("api-version=2024-10-21 was sent") && j.what.contains("path"), "{}", j.what);
}

#[test]
fn a_gateway_wrapping_an_upstream_429_is_judged_as_that_429() {
    // LiteLLM's 429 carries Azure's own 429 in its message: the upstream's status, wait and
    // class count (a daily quota, not a passing limit), and the fix is Azure's, for the owner.
    let j = judged("gateway/litellm_relays_azure_429.http", super::Sent::default());
    assert_eq!(j.sender.tag(), "gateway:litellm");
    assert!(j.evidence.iter().any(|e| e.contains("upstream's 429")), "{:?}", j.evidence);
    let d = j.diagnosis.as_ref().unwrap();
    assert_eq!((d.id, d.wait_s, d.retryable), ("rate_limit.quota", Some(86400.0), false));
    assert_eq!((j.class, j.retryable, j.fixer), (Class::Billing, false, Fixer::GatewayOwner));
    let fix = j.fix.unwrap();
    assert!(fix.starts_with("For the gateway's owner") && fix.contains("Tokens per Minute"), "{fix}");
    assert!(!fix.contains("platform.openai.com"), "{fix}");
    // A transient upstream 429 stays retryable through the gateway.
    let cool = judged("azure/429_rate_limit_try_again.http", super::Sent::default());
    assert!(cool.retryable);
}

#[test]
fn compatible_servers_are_named_and_fixed_in_their_terms() {
    let cases: [(&str, &str, &[&str]); 5] = [
        (
            "compatible/vllm_model_does_not_exist_404.http",
            "compatible:vllm",
            &["GET /v1/models", "--served-model-name"],
        ),
        ("compatible/vllm_context_length_400.http", "compatible:vllm", &["--max-model-len"]),
        ("compatible/vllm_unsupported_media_type_400.http", "compatible:vllm", &["Content-Type: application/json"]),
        ("compatible/ollama_model_not_found_404.http", "compatible:ollama", &["`ollama pull ollama`", "ollama list"]),
        (
            "compatible/ollama_native_model_not_found_404.http",
            "compatible:ollama",
            &["`ollama pull claude-3-5-sonnet-latest`"],
        ),
    ];
    for (name, tag, words) in cases {
        let j = judged(name, super::Sent::default());
        assert_eq!(j.sender.tag(), tag, "{name}: {:?}", j.evidence);
        assert!(j.sender.describe(&j.base_host).contains("OpenAI-compatible server"), "{name}");
        let fix = j.fix.unwrap_or_default();
        for w in words {
            assert!(fix.contains(w), "{name}: fix lacks {w:?}: {fix}");
        }
        assert!(!fix.contains("platform.openai.com"), "{name}: {fix}");
    }
    // The envelope, not the port, names vLLM: on any host.
    let files = fixtures();
    let f = files.iter().find(|f| f.name == "compatible/vllm_model_does_not_exist_404.http").unwrap();
    let elsewhere = Answer {
        base_host: "gpu-box.internal:9000".into(),
        headers: vec![("server".into(), "uvicorn".into())],
        ..f.answer.clone()
    };
    let j = judge(&elsewhere);
    assert_eq!(j.sender.tag(), "compatible:vllm");
    assert!(j.evidence.iter().any(|e| e.contains("uvicorn")), "{:?}", j.evidence);
    // vLLM's model list (owned_by "vllm", as BerriAI/litellm#7744 quotes it) names it on success.
    let list = Answer {
        status: Some(200),
        body: br#"{"object":"list","data":[{"id":"/q/Llama-3.3-70B","object":"model","owned_by":"vllm","root":"/q/Llama-3.3-70B","parent":null,"max_model_len":4096}]}"#.to_vec(),
        base_host: "10.0.0.5:8080".into(),
        ..Answer::default()
    };
    assert_eq!(judge(&list).sender.tag(), "compatible:vllm");
    // Cloudflare's JSON error (a numeric code too) in front of any host stays Cloudflare's.
    let cf = Answer {
        status: Some(502),
        headers: vec![("cf-ray".into(), "8f0c1e2d3a4b5c6d-AMS".into())],
        body: error_bodies::CF_BAD_GATEWAY.as_bytes().to_vec(),
        base_host: "api.test:8443".into(),
        ..Answer::default()
    };
    assert_eq!(judge(&cf).sender.tag(), "cloudflare");
    // OpenAI's own answer is never taken for a compatible server's.
    let api = judged("api/invalid_api_key_401.http", super::Sent::default());
    assert_eq!(api.sender.tag(), "api");
}
