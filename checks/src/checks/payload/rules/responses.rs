//! Responses: input items, instructions, max_output_tokens, text.format, conversation state.

use serde_json::{Map, Value};

use super::common::*;

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
