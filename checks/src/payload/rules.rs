//! The rules: what the API checks in a request body (types, enums, ranges, names, limits) and
//! what a schema cannot say (tool-call pairing, `json_object` without the word JSON, parameters
//! reasoning models reject, a last turn from the assistant). Every problem has a JSON pointer,
//! a fix and, where known, the API's own 400 text.

use serde_json::{Map, Value};

use super::codes;
use super::models::ModelInfo;
use super::{Endpoint, Level, Problem};
use crate::model::Code;

/// Collects problems.
#[derive(Default)]
pub struct Sink {
    /// Found so far.
    pub problems: Vec<Problem>,
}

impl Sink {
    fn add(&mut self, level: Level, code: &'static Code, path: &str, message: String, fix: &str, api: Option<String>) {
        self.problems.push(Problem {
            path: if path.is_empty() { "/".to_owned() } else { path.to_owned() },
            level,
            code: code.id,
            message,
            fix: fix.to_owned(),
            api_message: api,
        });
    }
    fn err(&mut self, code: &'static Code, path: &str, message: String, fix: &str) {
        self.add(Level::Error, code, path, message, fix, None);
    }
    fn err_api(&mut self, code: &'static Code, path: &str, message: String, fix: &str, api: String) {
        self.add(Level::Error, code, path, message, fix, Some(api));
    }
    fn warn(&mut self, code: &'static Code, path: &str, message: String, fix: &str) {
        self.add(Level::Warning, code, path, message, fix, None);
    }
}

/// `/messages/1/role` → `messages[1].role`, the way the API names parameters.
#[must_use]
pub fn api_param(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.split('/').filter(|p| !p.is_empty()) {
        if part.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&part.replace("~1", "/").replace("~0", "~"));
        }
    }
    out
}

/// "a string", "an object", ... as the API words types.
#[must_use]
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a decimal",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong_type(s: &mut Sink, path: &str, expected: &str, got: &Value) {
    s.err_api(
        &codes::TYPE,
        path,
        format!("expected {expected}, got {}", type_name(got)),
        "Send the value with the expected type.",
        format!("Invalid type for '{}': expected {expected}, but got {} instead.", api_param(path), type_name(got)),
    );
}

fn required(s: &mut Sink, path: &str, key: &str) {
    s.err_api(
        &codes::REQUIRED,
        path,
        format!("`{key}` is required"),
        "Add the missing field.",
        format!("Missing required parameter: '{}'.", api_param(&format!("{path}/{key}"))),
    );
}

fn number_in(s: &mut Sink, obj: &Map<String, Value>, path: &str, key: &str, min: f64, max: f64) {
    let Some(v) = obj.get(key) else { return };
    let p = format!("{path}/{key}");
    match v.as_f64() {
        Some(x) if x < min || x > max => s.err_api(
            &codes::RANGE,
            &p,
            format!("`{key}` is {x}; it must be between {min} and {max}"),
            "Use a value in the allowed range.",
            if x > max {
                format!(
                    "Invalid '{}': decimal above maximum value. Expected a value <= {max}, but got {x} instead.",
                    api_param(&p)
                )
            } else {
                format!(
                    "Invalid '{}': decimal below minimum value. Expected a value >= {min}, but got {x} instead.",
                    api_param(&p)
                )
            },
        ),
        Some(_) => {}
        None if v.is_null() => {}
        None => wrong_type(s, &p, "a number", v),
    }
}

fn integer_in(s: &mut Sink, obj: &Map<String, Value>, path: &str, key: &str, min: i64, max: i64) {
    let Some(v) = obj.get(key) else { return };
    let p = format!("{path}/{key}");
    match v.as_i64() {
        Some(x) if x < min || x > max => s.err(
            &codes::RANGE,
            &p,
            format!("`{key}` is {x}; it must be between {min} and {max}"),
            "Use a value in the allowed range.",
        ),
        Some(_) => {}
        None if v.is_null() => {}
        None => wrong_type(s, &p, "an integer", v),
    }
}

fn is_name(name: &str, max: usize) -> bool {
    !name.is_empty() && name.len() <= max && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn metadata(s: &mut Sink, obj: &Map<String, Value>, path: &str) {
    let Some(v) = obj.get("metadata") else { return };
    let p = format!("{path}/metadata");
    let Some(m) = v.as_object() else {
        if !v.is_null() {
            wrong_type(s, &p, "an object", v);
        }
        return;
    };
    if m.len() > 16 {
        s.err(
            &codes::RANGE,
            &p,
            format!("metadata has {} pairs; at most 16 are allowed", m.len()),
            "Keep 16 key-value pairs at most.",
        );
    }
    for (k, val) in m {
        let kp = format!("{p}/{}", super::parse::pointer_escape(k));
        if k.chars().count() > 64 {
            s.err(
                &codes::RANGE,
                &kp,
                format!("metadata key is {} characters; at most 64", k.chars().count()),
                "Shorten the key.",
            );
        }
        match val.as_str() {
            Some(t) if t.chars().count() > 512 => s.err(
                &codes::RANGE,
                &kp,
                format!("metadata value is {} characters; at most 512", t.chars().count()),
                "Shorten the value.",
            ),
            Some(_) => {}
            None => wrong_type(s, &kp, "a string", val),
        }
    }
}

const ROLES: &[&str] = &["developer", "system", "user", "assistant", "tool", "function"];
const USER_PARTS: &[&str] = &["text", "image_url", "input_audio", "file"];

/// Checks content parts; returns the text found (for the json-word and token rules).
fn content(s: &mut Sink, v: &Value, path: &str, allowed: &[&str], texts: &mut Vec<String>) {
    match v {
        Value::String(t) => texts.push(t.clone()),
        Value::Array(parts) => {
            if parts.is_empty() {
                s.err(
                    &codes::RANGE,
                    path,
                    "content is an empty array".to_owned(),
                    "Give at least one content part, or a string.",
                );
            }
            for (i, part) in parts.iter().enumerate() {
                let pp = format!("{path}/{i}");
                let Some(obj) = part.as_object() else {
                    wrong_type(s, &pp, "an object", part);
                    continue;
                };
                let Some(kind) = obj.get("type").and_then(Value::as_str) else {
                    required(s, &pp, "type");
                    continue;
                };
                if !allowed.contains(&kind) {
                    s.err_api(
                        &codes::ENUM,
                        &format!("{pp}/type"),
                        format!("content part type `{kind}` is not allowed here (allowed: {})", allowed.join(", ")),
                        "Use one of the allowed part types for this role.",
                        format!(
                            "Invalid value: '{kind}'. Supported values are: {}.",
                            allowed.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ")
                        ),
                    );
                    continue;
                }
                match kind {
                    "text" | "input_text" | "output_text" => match obj.get("text") {
                        Some(Value::String(t)) => texts.push(t.clone()),
                        Some(other) => wrong_type(s, &format!("{pp}/text"), "a string", other),
                        None => required(s, &pp, "text"),
                    },
                    "image_url" => image(s, obj, &pp),
                    "input_audio" => match obj.get("input_audio").and_then(Value::as_object) {
                        Some(a) => {
                            if a.get("data").and_then(Value::as_str).is_none() {
                                required(s, &format!("{pp}/input_audio"), "data");
                            }
                            match a.get("format").and_then(Value::as_str) {
                                Some("wav" | "mp3") => {}
                                Some(f) => s.err(
                                    &codes::ENUM,
                                    &format!("{pp}/input_audio/format"),
                                    format!("audio format `{f}` is not supported (wav, mp3)"),
                                    "Send wav or mp3.",
                                ),
                                None => required(s, &format!("{pp}/input_audio"), "format"),
                            }
                        }
                        None => required(s, &pp, "input_audio"),
                    },
                    "file" if !obj.get("file").is_some_and(Value::is_object) => required(s, &pp, "file"),
                    _ => {}
                }
            }
        }
        Value::Null => {}
        other => wrong_type(s, path, "a string or an array of content parts", other),
    }
}

fn image(s: &mut Sink, part: &Map<String, Value>, pp: &str) {
    let Some(img) = part.get("image_url") else {
        required(s, pp, "image_url");
        return;
    };
    let ip = format!("{pp}/image_url");
    let Some(img) = img.as_object() else {
        wrong_type(s, &ip, "an object with a url", img);
        return;
    };
    match img.get("url") {
        Some(Value::String(url)) => {
            if let Some(data) = url.strip_prefix("data:") {
                let b64 = data.split_once(',').map_or("", |(_, b)| b);
                let decoded = b64.len() / 4 * 3;
                if decoded > 20 * 1024 * 1024 {
                    s.err(
                        &codes::IMAGE,
                        &format!("{ip}/url"),
                        format!("inline image is {:.1} MB; the API accepts images up to 20 MB", mb(decoded)),
                        "Downscale or compress the image, or pass an https URL.",
                    );
                } else if decoded > 5 * 1024 * 1024 {
                    s.warn(
                        &codes::IMAGE,
                        &format!("{ip}/url"),
                        format!(
                            "inline image is {:.1} MB of base64 in the body: slow to upload and parse",
                            mb(decoded)
                        ),
                        "Downscale the image (the model sees at most 2048×768 at detail high), or pass an https URL.",
                    );
                }
            } else if !(url.starts_with("https://") || url.starts_with("http://")) {
                s.err(
                    &codes::IMAGE,
                    &format!("{ip}/url"),
                    "image url is neither an http(s) URL nor a data: URL".to_owned(),
                    "Pass https://... or data:image/png;base64,....",
                );
            }
        }
        Some(other) => wrong_type(s, &format!("{ip}/url"), "a string", other),
        None => required(s, &ip, "url"),
    }
    if let Some(d) = img.get("detail")
        && !matches!(d.as_str(), Some("auto" | "low" | "high"))
    {
        s.err(
            &codes::ENUM,
            &format!("{ip}/detail"),
            format!("detail is {d}; it must be auto, low or high"),
            "Use auto, low or high.",
        );
    }
}

#[allow(clippy::cast_precision_loss)]
fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Everything the token counter needs from a request.
#[derive(Debug, Default)]
pub struct Texts {
    /// Prompt texts (message contents, instructions, tool definitions).
    pub prompt: Vec<String>,
    /// Embedding inputs, one per input.
    pub inputs: Vec<String>,
    /// Messages (for per-message overhead).
    pub messages: usize,
    /// Requested output tokens.
    pub max_output: Option<u64>,
}

fn unknown_fields(s: &mut Sink, obj: &Map<String, Value>, known: &[&str], level: Level) {
    for k in obj.keys().filter(|k| !known.contains(&k.as_str())) {
        let message = format!("`{k}` is not a parameter of this endpoint");
        let api = format!("Unrecognized request argument supplied: {k}");
        match level {
            Level::Error => s.err_api(
                &codes::UNKNOWN_FIELD,
                &format!("/{}", super::parse::pointer_escape(k)),
                message,
                "Remove it, or check its spelling.",
                api,
            ),
            Level::Warning => s.add(
                Level::Warning,
                &codes::UNKNOWN_FIELD,
                &format!("/{}", super::parse::pointer_escape(k)),
                message,
                "Remove it, or check its spelling (new parameters may be missing from the doctor's list).",
                Some(api),
            ),
        }
    }
}

const CHAT_FIELDS: &[&str] = &[
    "model",
    "messages",
    "audio",
    "frequency_penalty",
    "function_call",
    "functions",
    "logit_bias",
    "logprobs",
    "max_completion_tokens",
    "max_tokens",
    "metadata",
    "modalities",
    "n",
    "parallel_tool_calls",
    "prediction",
    "presence_penalty",
    "prompt_cache_key",
    "prompt_cache_retention",
    "reasoning_effort",
    "response_format",
    "safety_identifier",
    "seed",
    "service_tier",
    "stop",
    "store",
    "stream",
    "stream_options",
    "temperature",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "user",
    "verbosity",
    "web_search_options",
];

/// Chat Completions.
#[allow(clippy::too_many_lines)]
pub fn chat(s: &mut Sink, obj: &Map<String, Value>, model: Option<&ModelInfo>, t: &mut Texts) {
    unknown_fields(s, obj, CHAT_FIELDS, Level::Warning);
    match obj.get("model") {
        Some(Value::String(_)) => {}
        Some(other) => wrong_type(s, "/model", "a string", other),
        None => required(s, "", "model"),
    }
    let messages = match obj.get("messages") {
        Some(Value::Array(m)) => m.as_slice(),
        Some(other) => {
            wrong_type(s, "/messages", "an array", other);
            &[]
        }
        None => &[],
    };
    if obj.get("messages").is_some_and(Value::is_array) && messages.is_empty() {
        s.err_api(
            &codes::RANGE,
            "/messages",
            "messages is empty".to_owned(),
            "Send at least one message (usually a user message).",
            "[] is too short - 'messages'".to_owned(),
        );
    }
    t.messages = messages.len();
    // Tool-call pairing: ids an assistant asked for, not yet answered.
    let mut pending: Vec<(String, usize)> = Vec::new();
    let flush = |s: &mut Sink, pending: &mut Vec<(String, usize)>, at: &str| {
        if pending.is_empty() {
            return;
        }
        let ids: Vec<String> = pending.iter().map(|(id, _)| id.clone()).collect();
        let from = pending[0].1;
        s.err_api(
            &codes::TOOL_PAIRING,
            &format!("/messages/{from}/tool_calls"),
            format!("tool call(s) {} of message {from} get no `tool` message in reply {at}", ids.join(", ")),
            "After an assistant message with tool_calls, send one role:\"tool\" message per call, with the matching tool_call_id, before any other message.",
            format!("An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: {}", ids.join(", ")),
        );
        pending.clear();
    };
    for (i, m) in messages.iter().enumerate() {
        let mp = format!("/messages/{i}");
        let Some(msg) = m.as_object() else {
            wrong_type(s, &mp, "an object", m);
            continue;
        };
        let role = match msg.get("role") {
            Some(Value::String(r)) if ROLES.contains(&r.as_str()) => r.as_str(),
            Some(Value::String(r)) => {
                s.err_api(
                    &codes::ENUM,
                    &format!("{mp}/role"),
                    format!("role `{r}` does not exist"),
                    "Use developer, system, user, assistant or tool.",
                    format!("Invalid value: '{r}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'."),
                );
                continue;
            }
            Some(other) => {
                wrong_type(s, &format!("{mp}/role"), "a string", other);
                continue;
            }
            None => {
                required(s, &mp, "role");
                continue;
            }
        };
        if let Some(name) = msg.get("name") {
            match name.as_str() {
                Some(n) if !is_name(n, 64) => s.err_api(
                    &codes::PATTERN,
                    &format!("{mp}/name"),
                    format!("name `{n}` may only hold a-z, A-Z, 0-9, _ and -"),
                    "Use letters, digits, _ and - only.",
                    format!("Invalid '{}': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.", api_param(&format!("{mp}/name"))),
                ),
                Some(_) => {}
                None => wrong_type(s, &format!("{mp}/name"), "a string", name),
            }
        }
        let has_calls = msg.get("tool_calls").is_some_and(|c| c.as_array().is_some_and(|a| !a.is_empty()))
            || msg.get("function_call").is_some();
        if role != "tool" {
            flush(s, &mut pending, &format!("(message {i} is a {role} message)"));
        }
        match role {
            "developer" | "system" => match msg.get("content") {
                Some(c) => content(s, c, &format!("{mp}/content"), &["text"], &mut t.prompt),
                None => required(s, &mp, "content"),
            },
            "user" => match msg.get("content") {
                Some(c) => content(s, c, &format!("{mp}/content"), USER_PARTS, &mut t.prompt),
                None => required(s, &mp, "content"),
            },
            "assistant" => {
                match msg.get("content") {
                    Some(c) => content(s, c, &format!("{mp}/content"), &["text", "refusal"], &mut t.prompt),
                    None if !has_calls => s.err(
                        &codes::REQUIRED,
                        &mp,
                        "an assistant message needs `content` unless it has `tool_calls`".to_owned(),
                        "Add content, or the tool_calls it made.",
                    ),
                    None => {}
                }
                if let Some(calls) = msg.get("tool_calls") {
                    let Some(calls) = calls.as_array() else {
                        wrong_type(s, &format!("{mp}/tool_calls"), "an array", calls);
                        continue;
                    };
                    for (j, call) in calls.iter().enumerate() {
                        let cp = format!("{mp}/tool_calls/{j}");
                        let Some(call) = call.as_object() else {
                            wrong_type(s, &cp, "an object", call);
                            continue;
                        };
                        match call.get("id").and_then(Value::as_str) {
                            Some(id) => pending.push((id.to_owned(), i)),
                            None => required(s, &cp, "id"),
                        }
                        if let Some(f) = call.get("function").and_then(Value::as_object) {
                            match f.get("arguments") {
                                Some(Value::String(a)) => t.prompt.push(a.clone()),
                                Some(other) => wrong_type(s, &format!("{cp}/function/arguments"), "a string", other),
                                None => required(s, &format!("{cp}/function"), "arguments"),
                            }
                            if f.get("name").and_then(Value::as_str).is_none() {
                                required(s, &format!("{cp}/function"), "name");
                            }
                        } else if call.get("type").and_then(Value::as_str) != Some("custom") {
                            required(s, &cp, "function");
                        }
                    }
                }
            }
            "tool" => {
                match msg.get("content") {
                    Some(c) => content(s, c, &format!("{mp}/content"), &["text"], &mut t.prompt),
                    None => required(s, &mp, "content"),
                }
                match msg.get("tool_call_id").and_then(Value::as_str) {
                    Some(id) => {
                        if let Some(pos) = pending.iter().position(|(p, _)| p == id) {
                            pending.remove(pos);
                        } else {
                            s.err_api(
                                &codes::TOOL_PAIRING,
                                &format!("{mp}/tool_call_id"),
                                format!("tool message answers `{id}`, which no preceding assistant message called"),
                                "Send tool messages right after the assistant message whose tool_calls they answer, with its ids.",
                                "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.".to_owned(),
                            );
                        }
                    }
                    None => required(s, &mp, "tool_call_id"),
                }
            }
            _ => {}
        }
    }
    flush(s, &mut pending, "(the conversation ends)");
    if let Some(last) = messages.last().and_then(Value::as_object)
        && last.get("role").and_then(Value::as_str) == Some("assistant")
        && !last.contains_key("tool_calls")
    {
        s.warn(&codes::LAST_ASSISTANT, &format!("/messages/{}", messages.len() - 1), "the last message is from the assistant; the model answers the last user turn, so this probably repeats or ignores it".to_owned(), "End with a user message (or tool results).");
    }

    sampling(s, obj, model);
    integer_in(s, obj, "", "n", 1, 128);
    integer_in(s, obj, "", "top_logprobs", 0, 20);
    if obj.contains_key("top_logprobs") && obj.get("logprobs").and_then(Value::as_bool) != Some(true) {
        s.err_api(
            &codes::CONFLICT,
            "/top_logprobs",
            "top_logprobs needs logprobs: true".to_owned(),
            "Set logprobs to true, or drop top_logprobs.",
            "Invalid value for 'top_logprobs': logprobs must be set to true if top_logprobs is set.".to_owned(),
        );
    }
    if let Some(lb) = obj.get("logit_bias") {
        match lb.as_object() {
            Some(map) => {
                for (k, v) in map {
                    let p = format!("/logit_bias/{}", super::parse::pointer_escape(k));
                    if k.parse::<u32>().is_err() {
                        s.err(
                            &codes::TYPE,
                            &p,
                            format!("logit_bias key `{k}` is not a token id"),
                            "Keys are token ids (integers as strings), from the model's tokenizer.",
                        );
                    }
                    match v.as_f64() {
                        Some(x) if !(-100.0..=100.0).contains(&x) => s.err(
                            &codes::RANGE,
                            &p,
                            format!("bias {x} is outside -100..100"),
                            "Use a bias from -100 to 100.",
                        ),
                        Some(_) => {}
                        None => wrong_type(s, &p, "a number", v),
                    }
                }
            }
            None if lb.is_null() => {}
            None => wrong_type(s, "/logit_bias", "an object", lb),
        }
    }
    if let Some(stop) = obj.get("stop") {
        match stop {
            Value::String(_) | Value::Null => {}
            Value::Array(a) if a.len() > 4 => s.err(
                &codes::RANGE,
                "/stop",
                format!("stop has {} sequences; at most 4", a.len()),
                "Keep 4 stop sequences at most.",
            ),
            Value::Array(a) if a.is_empty() => s.err(
                &codes::RANGE,
                "/stop",
                "stop is an empty array".to_owned(),
                "Drop stop, or give 1 to 4 sequences.",
            ),
            Value::Array(_) => {}
            other => wrong_type(s, "/stop", "a string or an array of strings", other),
        }
    }
    for key in ["max_tokens", "max_completion_tokens"] {
        integer_in(s, obj, "", key, 1, i64::MAX);
    }
    if obj.contains_key("max_tokens") && obj.contains_key("max_completion_tokens") {
        s.warn(
            &codes::CONFLICT,
            "/max_tokens",
            "both max_tokens and max_completion_tokens are set".to_owned(),
            "Send only max_completion_tokens: max_tokens is deprecated and reasoning models reject it.",
        );
    }
    t.max_output = obj.get("max_completion_tokens").or_else(|| obj.get("max_tokens")).and_then(Value::as_u64);
    if obj.contains_key("stream_options") && obj.get("stream").and_then(Value::as_bool) != Some(true) {
        s.err_api(
            &codes::CONFLICT,
            "/stream_options",
            "stream_options needs stream: true".to_owned(),
            "Set stream to true, or drop stream_options.",
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.".to_owned(),
        );
    }
    metadata(s, obj, "");
    // The json-word rule looks at the messages only, as the API does: before tools join the texts.
    response_format(s, obj, &t.prompt);
    tools(s, obj, &mut t.prompt);
    if let Some(m) = model
        && m.reasoning
    {
        reasoning_params(s, obj, model_name(obj));
    }
}

fn model_name(obj: &Map<String, Value>) -> &str {
    obj.get("model").and_then(Value::as_str).unwrap_or("")
}

fn sampling(s: &mut Sink, obj: &Map<String, Value>, _model: Option<&ModelInfo>) {
    number_in(s, obj, "", "temperature", 0.0, 2.0);
    number_in(s, obj, "", "top_p", 0.0, 1.0);
    number_in(s, obj, "", "frequency_penalty", -2.0, 2.0);
    number_in(s, obj, "", "presence_penalty", -2.0, 2.0);
}

fn reasoning_params(s: &mut Sink, obj: &Map<String, Value>, model: &str) {
    if obj.contains_key("max_tokens") {
        s.err_api(
            &codes::REASONING_PARAM,
            "/max_tokens",
            format!("{model} is a reasoning model: it rejects max_tokens"),
            "Use max_completion_tokens (it counts reasoning tokens too: leave room).",
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.".to_owned(),
        );
    }
    for (key, default) in [("temperature", 1.0), ("top_p", 1.0), ("presence_penalty", 0.0), ("frequency_penalty", 0.0)]
    {
        if let Some(x) = obj.get(key).and_then(Value::as_f64)
            && (x - default).abs() > f64::EPSILON
        {
            s.err_api(
                &codes::REASONING_PARAM,
                &format!("/{key}"),
                format!("{model} is a reasoning model: it only accepts the default {key} ({default})"),
                "Drop the parameter for reasoning models.",
                format!("Unsupported value: '{key}' does not support {x} with this model. Only the default ({default}) value is supported."),
            );
        }
    }
    if obj.get("logprobs").and_then(Value::as_bool) == Some(true) {
        s.err_api(
            &codes::REASONING_PARAM,
            "/logprobs",
            format!("{model} is a reasoning model: it does not return logprobs"),
            "Drop logprobs.",
            "Unsupported parameter: 'logprobs' is not supported with this model.".to_owned(),
        );
    }
    if obj.contains_key("stop") && (model.starts_with("o3") || model.starts_with("o4")) {
        s.err_api(
            &codes::REASONING_PARAM,
            "/stop",
            format!("{model} does not support stop sequences"),
            "Drop stop for o3 and o4-mini.",
            "Unsupported parameter: 'stop' is not supported with this model.".to_owned(),
        );
    }
}

fn tools(s: &mut Sink, obj: &Map<String, Value>, prompt: &mut Vec<String>) {
    let mut names: Vec<String> = Vec::new();
    if let Some(v) = obj.get("tools") {
        match v.as_array() {
            Some(list) => {
                if list.len() > 128 {
                    s.err_api(&codes::RANGE, "/tools", format!("{} tools; at most 128", list.len()), "Send 128 tools at most (fewer is better for accuracy).", format!("Invalid 'tools': array too long. Expected an array with maximum length 128, but got an array with length {} instead.", list.len()));
                }
                for (i, tool) in list.iter().enumerate() {
                    let tp = format!("/tools/{i}");
                    prompt.push(tool.to_string());
                    let Some(tool) = tool.as_object() else {
                        wrong_type(s, &tp, "an object", tool);
                        continue;
                    };
                    if tool.get("type").and_then(Value::as_str) == Some("custom") {
                        continue;
                    }
                    let Some(f) = tool.get("function").and_then(Value::as_object) else {
                        required(s, &tp, "function");
                        continue;
                    };
                    match f.get("name").and_then(Value::as_str) {
                        Some(n) if !is_name(n, 64) => s.err_api(
                            &codes::PATTERN,
                            &format!("{tp}/function/name"),
                            format!("function name `{n}` must be 1-64 characters of a-z, A-Z, 0-9, _ and -"),
                            "Rename the function.",
                            format!("Invalid '{}': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]{{1,64}}$'.", api_param(&format!("{tp}/function/name"))),
                        ),
                        Some(n) if names.iter().any(|x| x == n) => s.err(&codes::TOOLS, &format!("{tp}/function/name"), format!("function `{n}` is defined twice"), "Give every tool a distinct name."),
                        Some(n) => names.push(n.to_owned()),
                        None => required(s, &format!("{tp}/function"), "name"),
                    }
                    if let Some(p) = f.get("parameters")
                        && !p.is_object()
                    {
                        wrong_type(s, &format!("{tp}/function/parameters"), "an object (a JSON Schema)", p);
                    }
                }
            }
            None => wrong_type(s, "/tools", "an array", v),
        }
    }
    let has_tools = obj.get("tools").and_then(Value::as_array).is_some_and(|t| !t.is_empty());
    if let Some(choice) = obj.get("tool_choice") {
        if !has_tools && choice.as_str() != Some("none") {
            s.err_api(
                &codes::TOOLS,
                "/tool_choice",
                "tool_choice is set but there are no tools".to_owned(),
                "Drop tool_choice, or add tools.",
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.".to_owned(),
            );
        }
        match choice {
            Value::String(c) if !matches!(c.as_str(), "none" | "auto" | "required") => s.err(
                &codes::ENUM,
                "/tool_choice",
                format!("tool_choice `{c}` is not none, auto or required"),
                "Use none, auto, required, or {\"type\": \"function\", \"function\": {\"name\": ...}}.",
            ),
            Value::Object(o) => {
                let name = o.get("function").and_then(|f| f.get("name")).and_then(Value::as_str);
                if let Some(n) = name
                    && has_tools
                    && !names.iter().any(|x| x == n)
                {
                    s.err(
                        &codes::TOOLS,
                        "/tool_choice/function/name",
                        format!("tool_choice names `{n}`, which is not among the tools"),
                        "Name one of the functions in tools.",
                    );
                }
            }
            _ => {}
        }
    }
    if obj.contains_key("parallel_tool_calls") && !has_tools {
        s.err_api(&codes::TOOLS, "/parallel_tool_calls", "parallel_tool_calls is set but there are no tools".to_owned(), "Drop parallel_tool_calls, or add tools.", "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified.".to_owned());
    }
}

fn mentions_json(texts: &[String]) -> bool {
    texts.iter().any(|t| t.to_ascii_lowercase().contains("json"))
}

fn response_format(s: &mut Sink, obj: &Map<String, Value>, texts: &[String]) {
    let Some(rf) = obj.get("response_format") else { return };
    let Some(rf) = rf.as_object() else {
        wrong_type(s, "/response_format", "an object", rf);
        return;
    };
    match rf.get("type").and_then(Value::as_str) {
        Some("text") => {}
        Some("json_object") => {
            if !mentions_json(texts) {
                s.err_api(
                    &codes::JSON_WORD,
                    "/response_format/type",
                    "response_format json_object needs the word \"JSON\" in the messages".to_owned(),
                    "Say in a system or user message that the answer must be JSON (or use json_schema).",
                    "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.".to_owned(),
                );
            }
        }
        Some("json_schema") => match rf.get("json_schema").and_then(Value::as_object) {
            Some(js) => match js.get("name").and_then(Value::as_str) {
                Some(n) if !is_name(n, 64) => s.err(
                    &codes::PATTERN,
                    "/response_format/json_schema/name",
                    format!("schema name `{n}` must be 1-64 characters of a-z, A-Z, 0-9, _ and -"),
                    "Rename the schema.",
                ),
                Some(_) => {}
                None => required(s, "/response_format/json_schema", "name"),
            },
            None => required(s, "/response_format", "json_schema"),
        },
        Some(other) => s.err(
            &codes::ENUM,
            "/response_format/type",
            format!("response_format type `{other}` is not text, json_object or json_schema"),
            "Use text, json_object or json_schema.",
        ),
        None => required(s, "/response_format", "type"),
    }
}

const RESPONSES_FIELDS: &[&str] = &[
    "model",
    "input",
    "instructions",
    "previous_response_id",
    "conversation",
    "max_output_tokens",
    "temperature",
    "top_p",
    "top_logprobs",
    "metadata",
    "store",
    "stream",
    "stream_options",
    "parallel_tool_calls",
    "max_tool_calls",
    "tools",
    "tool_choice",
    "truncation",
    "background",
    "include",
    "reasoning",
    "service_tier",
    "text",
    "prompt",
    "prompt_cache_key",
    "prompt_cache_retention",
    "safety_identifier",
    "user",
];

/// Responses.
pub fn responses(s: &mut Sink, obj: &Map<String, Value>, model: Option<&ModelInfo>, t: &mut Texts) {
    unknown_fields(s, obj, RESPONSES_FIELDS, Level::Warning);
    if let Some(ins) = obj.get("instructions") {
        match ins {
            Value::String(i) => t.prompt.push(i.clone()),
            Value::Null => {}
            other => wrong_type(s, "/instructions", "a string", other),
        }
    }
    let mut input_texts = Vec::new();
    match obj.get("input") {
        Some(Value::String(i)) => input_texts.push(i.clone()),
        Some(Value::Array(items)) => {
            t.messages = items.len();
            for (i, item) in items.iter().enumerate() {
                let ip = format!("/input/{i}");
                let Some(o) = item.as_object() else {
                    wrong_type(s, &ip, "an object", item);
                    continue;
                };
                let kind = o.get("type").and_then(Value::as_str).unwrap_or("message");
                if kind != "message" {
                    continue;
                }
                match o.get("role").and_then(Value::as_str) {
                    Some("user" | "assistant" | "system" | "developer") => {}
                    Some(r) => s.err(
                        &codes::ENUM,
                        &format!("{ip}/role"),
                        format!("role `{r}` is not user, assistant, system or developer"),
                        "Use user, assistant, system or developer (tool results are function_call_output items).",
                    ),
                    None => required(s, &ip, "role"),
                }
                match o.get("content") {
                    Some(c) => content(
                        s,
                        c,
                        &format!("{ip}/content"),
                        &["input_text", "input_image", "input_file", "output_text", "refusal", "input_audio"],
                        &mut input_texts,
                    ),
                    None => required(s, &ip, "content"),
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(other) => wrong_type(s, "/input", "a string or an array of input items", other),
    }
    if let Some(m) = obj.get("max_output_tokens").and_then(Value::as_i64)
        && m < 16
    {
        s.err(
            &codes::RANGE,
            "/max_output_tokens",
            format!("max_output_tokens is {m}; the minimum is 16"),
            "Use 16 or more (reasoning tokens count too).",
        );
    }
    t.max_output = obj.get("max_output_tokens").and_then(Value::as_u64);
    sampling(s, obj, model);
    integer_in(s, obj, "", "top_logprobs", 0, 20);
    metadata(s, obj, "");
    if obj.get("previous_response_id").is_some_and(|v| !v.is_null())
        && obj.get("conversation").is_some_and(|v| !v.is_null())
    {
        s.err(
            &codes::CONFLICT,
            "/conversation",
            "previous_response_id and conversation cannot both be set".to_owned(),
            "Use one way to carry the conversation.",
        );
    }
    let format_type = obj.get("text").and_then(|t| t.get("format")).and_then(|f| f.get("type")).and_then(Value::as_str);
    if format_type == Some("json_object") && !mentions_json(&input_texts) {
        s.err_api(
            &codes::JSON_WORD,
            "/text/format/type",
            "text.format json_object needs the word \"JSON\" in the input (instructions alone do not count)".to_owned(),
            "Say in the input that the answer must be JSON (or use json_schema).",
            "Response input messages must contain the word 'json' in some form to use 'text.format' of type 'json_object'.".to_owned(),
        );
    }
    if let Some(m) = model
        && m.reasoning
    {
        for (key, default) in [("temperature", 1.0), ("top_p", 1.0)] {
            if let Some(x) = obj.get(key).and_then(Value::as_f64)
                && (x - default).abs() > f64::EPSILON
            {
                s.err_api(
                    &codes::REASONING_PARAM,
                    &format!("/{key}"),
                    format!("{} is a reasoning model: it only accepts the default {key}", model_name(obj)),
                    "Drop the parameter for reasoning models.",
                    format!("Unsupported parameter: '{key}' is not supported with this model."),
                );
            }
        }
    }
    t.prompt.extend(input_texts);
}

/// Embeddings.
pub fn embeddings(s: &mut Sink, obj: &Map<String, Value>, t: &mut Texts) {
    unknown_fields(s, obj, &["model", "input", "encoding_format", "dimensions", "user"], Level::Error);
    let model = model_name(obj);
    match obj.get("input") {
        Some(Value::String(i)) => {
            if i.is_empty() {
                s.err(
                    &codes::EMBEDDINGS_INPUT,
                    "/input",
                    "input is an empty string".to_owned(),
                    "Send non-empty text.",
                );
            }
            t.inputs.push(i.clone());
        }
        Some(Value::Array(items)) => {
            if items.is_empty() || items.len() > 2048 {
                s.err(
                    &codes::EMBEDDINGS_INPUT,
                    "/input",
                    format!("input has {} items; it must have 1 to 2048", items.len()),
                    "Send 1 to 2048 inputs per request; split larger batches.",
                );
            }
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(x) if x.is_empty() => s.err(
                        &codes::EMBEDDINGS_INPUT,
                        &format!("/input/{i}"),
                        "an input is an empty string".to_owned(),
                        "Drop empty inputs.",
                    ),
                    Value::String(x) => t.inputs.push(x.clone()),
                    Value::Number(_) => {}
                    Value::Array(a) if a.is_empty() => s.err(
                        &codes::EMBEDDINGS_INPUT,
                        &format!("/input/{i}"),
                        "a token array is empty".to_owned(),
                        "Drop empty inputs.",
                    ),
                    Value::Array(_) => {}
                    other => {
                        wrong_type(s, &format!("/input/{i}"), "a string, a token id or an array of token ids", other)
                    }
                }
            }
        }
        Some(other) => wrong_type(s, "/input", "a string or an array", other),
        None => required(s, "", "input"),
    }
    match obj.get("encoding_format").map(|v| v.as_str()) {
        None | Some(Some("float" | "base64")) => {}
        Some(_) => s.err(
            &codes::ENUM,
            "/encoding_format",
            "encoding_format must be float or base64".to_owned(),
            "Use float or base64.",
        ),
    }
    if obj.contains_key("dimensions") {
        integer_in(s, obj, "", "dimensions", 1, 3072);
        if model.starts_with("text-embedding-ada") {
            s.err(
                &codes::CONFLICT,
                "/dimensions",
                format!("{model} does not support dimensions"),
                "Use text-embedding-3-small or -large, or drop dimensions.",
            );
        }
    }
}

/// The endpoint a body is for, from its shape.
#[must_use]
pub fn detect(obj: &Map<String, Value>) -> Option<Endpoint> {
    if obj.contains_key("messages") {
        Some(Endpoint::Chat)
    } else if obj.contains_key("input") && model_name(obj).starts_with("text-embedding") {
        Some(Endpoint::Embeddings)
    } else if obj.contains_key("input")
        || obj.contains_key("instructions")
        || obj.contains_key("previous_response_id")
        || obj.contains_key("prompt")
    {
        Some(Endpoint::Responses)
    } else {
        None
    }
}
