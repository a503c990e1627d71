//! What `simulate` answers: the routes of an OpenAI-compatible API with bodies and headers in
//! the real API's shapes, and the error bodies of each fault. Success bodies follow the official
//! OpenAPI spec's examples (shared reference `openai-openapi.yaml`); error bodies are quoted from
//! public reports, each named where it is defined.

use serde_json::{Value, json};

use super::faults::Fault;

/// An answer before faults that change timing or the connection are applied.
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    /// The body, or for a stream its events in order (each a complete `data: …\n\n` block).
    pub body: Body,
}

pub enum Body {
    Whole(String),
    Events(Vec<String>),
}

/// The routes `simulate` serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Models,
    Chat,
    Responses,
    Embeddings,
    /// The legacy completions operation (Azure's deployments serve it; `Route::of` never does).
    Completions,
    NotFound,
}

impl Route {
    /// The route of `method path` (with or without a `/v1` prefix: clients differ).
    pub fn of(method: &str, path: &str) -> Self {
        let path = path.split('?').next().unwrap_or_default();
        let path = path.strip_prefix("/v1").unwrap_or(path).trim_end_matches('/');
        match (method, path) {
            ("GET", "/models") => Self::Models,
            ("POST", "/chat/completions") => Self::Chat,
            ("POST", "/responses") => Self::Responses,
            ("POST", "/embeddings") => Self::Embeddings,
            _ => Self::NotFound,
        }
    }
}

/// 500 as the API sends it today (openai/openai-node#1730 quotes the message; the request id is
/// the attempt's own).
fn server_error(request_id: &str) -> Value {
    json!({"error": {
        "message": format!("An error occurred while processing your request. You can retry your request, or contact us through our help center at help.openai.com if the error persists. Please include the request ID {request_id} in your message."),
        "type": "server_error", "param": null, "code": "server_error"}})
}

/// Cloudflare's JSON 502 in front of the API (quoted with its headers in a public repository's
/// code comment: openai-python 0.27 `APIError: Bad gateway.`, 2023-05-23).
const CF_BAD_GATEWAY: &str = r#"{"error":{"code":502,"message":"Bad gateway.","param":null,"type":"cf_bad_gateway"}}"#;

/// Cloudflare's HTML 502 page for the API host, as a public test suite quotes it ("<!DOCTYPE
/// html><html><head><title>api.openai.com | 502: Bad gateway</title>…"); the 503 page has the same
/// shape with its own title.
fn edge_html(status: u16, words: &str) -> Answer {
    let page = format!(
        "<!DOCTYPE html><html><head><title>api.openai.com | {status}: {words}</title></head><body><h1>{words}</h1><p>Cloudflare</p></body></html>"
    );
    Answer { status, content_type: "text/html; charset=UTF-8", headers: Vec::new(), body: Body::Whole(page) }
}

/// The "overloaded" message (quoted in langchain's retry logs, 2023: "That model is currently
/// overloaded with other requests. You can retry your request, …"); served as a 503.
fn overloaded(request_id: &str) -> Value {
    json!({"error": {
        "message": format!("That model is currently overloaded with other requests. You can retry your request, or contact us through our help center at help.openai.com if the error persists. (Please include the request ID {request_id} in your message.)"),
        "type": "server_error", "param": null, "code": null}})
}

/// 429 rate limit (a RateLimitError printed by the Python SDK, quoted in a public tutorial:
/// "Rate limit reached for gpt-3.5-turbo-1106 in organization org-… on requests per min (RPM):
/// Limit 3, Used 3, Requested 1. Please try again in 20s. …", type `requests`).
fn rate_limited(model: &str, secs: f64) -> Value {
    json!({"error": {
        "message": format!("Rate limit reached for {model} in organization org-simulate on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in {secs}s. Visit https://platform.openai.com/account/rate-limits to learn more."),
        "type": "requests", "param": null, "code": "rate_limit_exceeded"}})
}

/// 429 insufficient_quota (the shared reference's openai-facts, "Error shapes").
const QUOTA: &str = r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;

/// 401 for a wrong key (the Python SDK's AuthenticationError as users paste it: "Incorrect API
/// key provided: sk-…. You can find your API key at https://platform.openai.com/account/api-keys.").
const BAD_KEY: &str = r#"{"error":{"message":"Incorrect API key provided: sk-simu*****late. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;

fn bad_request(why: &str) -> Value {
    json!({"error": {"message": why, "type": "invalid_request_error", "param": null, "code": null}})
}

/// The answer to `route` for a request with `body`, under `fault` (timing faults answer like
/// `Ok`; the server applies their timing).
pub fn answer(route: Route, body: &Value, fault: Fault, request_id: &str, now: u64) -> Answer {
    let model = body.get("model").and_then(Value::as_str).unwrap_or("gpt-4.1-nano");
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let error = |status: u16, v: String| Answer {
        status,
        content_type: "application/json",
        headers: Vec::new(),
        body: Body::Whole(v),
    };
    match fault {
        Fault::Server500 => return error(500, server_error(request_id).to_string()),
        Fault::BadGateway { html: false } => return error(502, CF_BAD_GATEWAY.to_owned()),
        Fault::BadGateway { html: true } => return edge_html(502, "Bad gateway"),
        Fault::Unavailable { html: false } => return error(503, overloaded(request_id).to_string()),
        Fault::Unavailable { html: true } => return edge_html(503, "Service unavailable"),
        Fault::RateLimit { retry_after } => {
            let secs = retry_after.as_secs_f64();
            let mut a = error(429, rate_limited(model, secs).to_string());
            // Both, as the SDKs read them: retry-after-ms first, then Retry-After (whole seconds,
            // rounded up so a client that reads only it never comes back early).
            a.headers.push(("retry-after", format!("{}", secs.ceil())));
            a.headers.push(("retry-after-ms", format!("{}", retry_after.as_millis())));
            return a;
        }
        Fault::Quota => return error(429, QUOTA.to_owned()),
        Fault::Unauthorized => return error(401, BAD_KEY.to_owned()),
        // Azure's alone: refused at start under OpenAI (`Fault::openai_has`).
        Fault::BadRequest | Fault::ContentFilter | Fault::Refused(_) => {
            return error(
                400,
                bad_request("Invalid value for 'messages': the simulated request was refused.").to_string(),
            );
        }
        Fault::Edge(code) => return page(super::pages::edge(code, "api.openai.com")),
        Fault::EdgeBlocked => return page(super::pages::edge_blocked("api.openai.com")),
        Fault::ProxyBlock => return page(super::pages::proxy_block()),
        Fault::Ok
        | Fault::Slow(_)
        | Fault::Stall
        | Fault::Disconnect
        | Fault::Reset
        | Fault::Refuse(_)
        | Fault::Stream(_) => {}
    }
    match route {
        Route::Models => ok(models(now)),
        Route::Chat if stream => events(chat_chunks(model, now)),
        Route::Chat => ok(chat(model, now)),
        Route::Responses if stream => events(response_events(model, now)),
        Route::Responses => ok(response(model, now)),
        Route::Embeddings => ok(embeddings(model, body)),
        Route::Completions => ok(completion(model, now)),
        Route::NotFound => error(
            404,
            json!({"error": {"message": "Invalid URL (the simulated API serves GET /v1/models, POST /v1/chat/completions, /v1/responses, /v1/embeddings)", "type": "invalid_request_error", "param": null, "code": null}}).to_string(),
        ),
    }
}

/// A page that is not the API's answer (an edge's, a proxy's), served as HTML.
fn page(p: super::pages::Page) -> Answer {
    Answer { status: p.status, content_type: "text/html; charset=UTF-8", headers: p.headers, body: Body::Whole(p.body) }
}

pub fn ok(v: Value) -> Answer {
    Answer { status: 200, content_type: "application/json", headers: Vec::new(), body: Body::Whole(v.to_string()) }
}

pub fn events(list: Vec<String>) -> Answer {
    Answer {
        status: 200,
        content_type: "text/event-stream; charset=utf-8",
        headers: Vec::new(),
        body: Body::Events(list),
    }
}

fn models(now: u64) -> Value {
    models_of(&["gpt-4.1-nano", "gpt-4.1-mini", "gpt-4o-mini", "text-embedding-3-small"], now)
}

/// The models list with `ids`, in the API's shape.
pub fn models_of(ids: &[&str], now: u64) -> Value {
    let data: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": now.saturating_sub(86_400 * 400), "owned_by": "system"}))
        .collect();
    json!({"object": "list", "data": data})
}

pub const TEXT: &str = "Simulated answer from openai-doctor.";

fn chat(model: &str, now: u64) -> Value {
    json!({
        "id": format!("chatcmpl-sim{now:x}"),
        "object": "chat.completion",
        "created": now,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": TEXT, "refusal": null, "annotations": []},
                     "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 7, "total_tokens": 16},
        "service_tier": "default",
        "system_fingerprint": "fp_simulate"
    })
}

fn chat_chunks(model: &str, now: u64) -> Vec<String> {
    let chunk = |delta: Value, finish: Value| {
        let v = json!({"id": format!("chatcmpl-sim{now:x}"), "object": "chat.completion.chunk", "created": now,
            "model": model, "system_fingerprint": "fp_simulate",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]});
        format!("data: {v}\n\n")
    };
    let mut out = vec![chunk(json!({"role": "assistant", "content": ""}), Value::Null)];
    for word in TEXT.split_inclusive(' ') {
        out.push(chunk(json!({"content": word}), Value::Null));
    }
    out.push(chunk(json!({}), json!("stop")));
    out.push("data: [DONE]\n\n".to_owned());
    out
}

/// A legacy completion (the OpenAPI spec's `CreateCompletionResponse`).
fn completion(model: &str, now: u64) -> Value {
    json!({
        "id": format!("cmpl-sim{now:x}"),
        "object": "text_completion",
        "created": now,
        "model": model,
        "choices": [{"text": TEXT, "index": 0, "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 7, "total_tokens": 16}
    })
}

fn response(model: &str, now: u64) -> Value {
    json!({
        "id": format!("resp_sim{now:x}"),
        "object": "response",
        "created_at": now,
        "status": "completed",
        "error": null,
        "incomplete_details": null,
        "model": model,
        "output": [{"type": "message", "id": format!("msg_sim{now:x}"), "status": "completed", "role": "assistant",
                    "content": [{"type": "output_text", "text": TEXT, "annotations": []}]}],
        "parallel_tool_calls": true,
        "tool_choice": "auto",
        "tools": [],
        "usage": {"input_tokens": 9, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 7,
                  "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 16}
    })
}

pub fn response_events(model: &str, now: u64) -> Vec<String> {
    let done = response(model, now);
    let mut created = done.clone();
    created["status"] = json!("in_progress");
    created["output"] = json!([]);
    let event = |name: &str, seq: usize, mut v: Value| {
        v["type"] = json!(name);
        v["sequence_number"] = json!(seq);
        format!("event: {name}\ndata: {v}\n\n")
    };
    let mut out = vec![event("response.created", 0, json!({"response": created}))];
    for (i, word) in TEXT.split_inclusive(' ').enumerate() {
        out.push(event(
            "response.output_text.delta",
            i + 1,
            json!({"item_id": format!("msg_sim{now:x}"), "output_index": 0, "content_index": 0, "delta": word}),
        ));
    }
    out.push(event("response.completed", out.len(), json!({"response": done})));
    out
}

fn embeddings(model: &str, body: &Value) -> Value {
    let inputs = match body.get("input") {
        Some(Value::Array(items)) => items.len().max(1),
        _ => 1,
    };
    let base64 = body.get("encoding_format").and_then(Value::as_str) == Some("base64");
    let vector: Vec<f32> = (0u16..8).map(|i| f32::from(i) / 8.0 - 0.5).collect();
    let embedding = if base64 {
        let bytes: Vec<u8> = vector.iter().flat_map(|f| f.to_le_bytes()).collect();
        json!(base64_encode(&bytes))
    } else {
        json!(vector)
    };
    let data: Vec<Value> =
        (0..inputs).map(|i| json!({"object": "embedding", "index": i, "embedding": embedding.clone()})).collect();
    json!({"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": 4, "total_tokens": 4}})
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_with_and_without_the_v1_prefix() {
        assert_eq!(Route::of("GET", "/v1/models"), Route::Models);
        assert_eq!(Route::of("POST", "/chat/completions"), Route::Chat);
        assert_eq!(Route::of("POST", "/v1/responses?x=1"), Route::Responses);
        assert_eq!(Route::of("GET", "/v1/chat/completions"), Route::NotFound);
    }

    #[test]
    fn a_stream_ends_with_done_and_every_event_parses() {
        let a = answer(Route::Chat, &json!({"stream": true, "model": "m"}), Fault::Ok, "req_x", 1);
        let Body::Events(list) = a.body else { panic!("a stream") };
        assert_eq!(list.last().unwrap(), "data: [DONE]\n\n");
        for e in &list[..list.len() - 1] {
            let v: Value = serde_json::from_str(e.strip_prefix("data: ").unwrap().trim()).unwrap();
            assert_eq!(v["object"], "chat.completion.chunk");
        }
    }

    #[test]
    fn rate_limits_carry_both_retry_headers() {
        let a = answer(
            Route::Chat,
            &json!({}),
            Fault::RateLimit { retry_after: std::time::Duration::from_millis(1500) },
            "r",
            1,
        );
        assert_eq!(a.status, 429);
        assert!(a.headers.contains(&("retry-after", "2".to_owned())));
        assert!(a.headers.contains(&("retry-after-ms", "1500".to_owned())));
    }

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64_encode(b"Man"), "TWFu");
        assert_eq!(base64_encode(b"Ma"), "TWE=");
        assert_eq!(base64_encode(b"M"), "TQ==");
    }
}
