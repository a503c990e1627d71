//! Chat Completions: messages and roles, content parts, tool calls and their pairing, sampling
//! ranges, tools and tool_choice, response_format, and what reasoning models reject.

use serde_json::{Map, Value};

use super::common::*;

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
                    let p = format!("/logit_bias/{}", crate::checks::payload::parse::pointer_escape(k));
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
    // The API answers 400 invalid_parameter_combination (langchain-ai/langgraph#5943).
    if obj.contains_key("max_tokens") && obj.contains_key("max_completion_tokens") {
        s.err_api(
            &codes::CONFLICT,
            "/max_tokens",
            "both max_tokens and max_completion_tokens are set".to_owned(),
            "Send only max_completion_tokens: max_tokens is deprecated and reasoning models reject it.",
            "Setting 'max_tokens' and 'max_completion_tokens' at the same time is not supported.".to_owned(),
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
