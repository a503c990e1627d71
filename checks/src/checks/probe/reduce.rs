//! "Simplify and reduce", automated (`--reduce`): when the user's payload fails with a 5xx or no
//! answer while the minimal request passes, shrink it to the smallest body that still fails, one
//! change at a time (greedy delta debugging): drop tools, `response_format`, optional parameters,
//! images, messages from the middle of the history, halve long contents. A change after which the
//! body passes is what makes the difference; a change after which it still fails is kept. Every
//! attempt asks for 1 output token; the number of requests and the input size sent are budgeted.

use serde_json::{Map, Value};

/// One way to make a body smaller, with what it removes in words.
#[derive(Debug, Clone)]
pub(super) struct Change {
    /// "the tools", "messages 2-5 of 9", "the 40 KB content of message 7".
    pub what: String,
    /// The body after the change.
    pub body: Value,
}

/// Keys a request needs; everything else is optional and may go.
const NEEDED: &[&str] = &["model", "messages", "input", "instructions", "max_completion_tokens", "max_output_tokens"];

/// Contents longer than this are halved.
const LONG: usize = 1024;

/// The candidate changes for `body`, the one that leaves the smallest body first: the budget
/// counts bytes sent, so the big cuts go first.
pub(super) fn changes(body: &Value) -> Vec<Change> {
    let mut out = candidates(body);
    out.sort_by_cached_key(|c| serde_json::to_vec(&c.body).map_or(usize::MAX, |b| b.len()));
    out
}

fn candidates(body: &Value) -> Vec<Change> {
    let Some(obj) = body.as_object() else { return Vec::new() };
    let mut out = Vec::new();
    let without = |keys: &[&str]| {
        let mut o: Map<String, Value> = obj.clone();
        for k in keys {
            o.remove(*k);
        }
        Value::Object(o)
    };
    if obj.contains_key("tools") {
        out.push(Change {
            what: "the tools".to_owned(),
            body: without(&["tools", "tool_choice", "parallel_tool_calls"]),
        });
    }
    if obj.contains_key("response_format") || obj.contains_key("text") {
        out.push(Change { what: "response_format".to_owned(), body: without(&["response_format", "text"]) });
    }
    let optional: Vec<&str> = obj
        .keys()
        .map(String::as_str)
        .filter(|k| {
            !NEEDED.contains(k)
                && !matches!(*k, "tools" | "tool_choice" | "parallel_tool_calls" | "response_format" | "text")
        })
        .collect();
    if !optional.is_empty() {
        out.push(Change {
            what: format!("the optional parameters ({})", optional.join(", ")),
            body: without(&optional),
        });
    }
    let list_key = if obj.get("messages").is_some_and(Value::is_array) { "messages" } else { "input" };
    if let Some(items) = obj.get(list_key).and_then(Value::as_array) {
        out.extend(image_change(obj, list_key, items));
        out.extend(middle_change(obj, list_key, items));
        out.extend(long_content_changes(obj, list_key, items));
    }
    out
}

fn with_items(obj: &Map<String, Value>, key: &str, items: Vec<Value>) -> Value {
    let mut o = obj.clone();
    o.insert(key.to_owned(), Value::Array(items));
    Value::Object(o)
}

fn is_image(part: &Value) -> bool {
    matches!(part.get("type").and_then(Value::as_str), Some("image_url" | "input_image"))
}

/// Every image part removed.
fn image_change(obj: &Map<String, Value>, key: &str, items: &[Value]) -> Option<Change> {
    let mut removed = 0;
    let items: Vec<Value> = items
        .iter()
        .map(|m| {
            let mut m = m.clone();
            if let Some(parts) = m.get_mut("content").and_then(Value::as_array_mut) {
                let before = parts.len();
                parts.retain(|p| !is_image(p));
                removed += before - parts.len();
            }
            m
        })
        .collect();
    (removed > 0).then(|| Change { what: format!("the {removed} image(s)"), body: with_items(obj, key, items) })
}

/// The middle half of the history removed (the first message, often the system prompt, and the
/// last ones stay).
fn middle_change(obj: &Map<String, Value>, key: &str, items: &[Value]) -> Option<Change> {
    let n = items.len();
    if n < 4 {
        return None;
    }
    let (from, to) = (1, 1 + (n - 2) / 2);
    let mut kept = items.to_vec();
    kept.drain(from..to);
    // A tool message must follow the assistant message that called it: drop orphans.
    let kept = drop_orphan_tool_messages(kept);
    Some(Change { what: format!("messages {}-{} of {n}", from + 1, to), body: with_items(obj, key, kept) })
}

fn drop_orphan_tool_messages(items: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for m in items {
        let is_tool = m.get("role").and_then(Value::as_str) == Some("tool");
        let follows_call = out
            .last()
            .is_some_and(|p| p.get("tool_calls").is_some() || p.get("role").and_then(Value::as_str) == Some("tool"));
        if !is_tool || follows_call {
            out.push(m);
        }
    }
    out
}

/// The longest string content halved, for each message that has one over `LONG` bytes.
fn long_content_changes(obj: &Map<String, Value>, key: &str, items: &[Value]) -> Vec<Change> {
    let mut out = Vec::new();
    for (i, m) in items.iter().enumerate() {
        let Some(text) = m.get("content").and_then(Value::as_str) else { continue };
        if text.len() <= LONG {
            continue;
        }
        let mut cut = text.len() / 2;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let mut items = items.to_vec();
        items[i]["content"] = Value::String(text[..cut].to_owned());
        out.push(Change {
            what: format!("half of the {} KB content of message {}", text.len() / 1024, i + 1),
            body: with_items(obj, key, items),
        });
    }
    out
}

/// The body as sent while reducing: 1 output token, no streaming.
pub(super) fn cheap(body: &Value) -> Value {
    let mut b = body.clone();
    if let Some(o) = b.as_object_mut() {
        o.remove("max_tokens");
        o.remove("stream");
        o.remove("stream_options");
        let key = if o.contains_key("input") && !o.contains_key("messages") {
            "max_output_tokens"
        } else {
            "max_completion_tokens"
        };
        // The Responses API needs at least 16 output tokens.
        o.insert(key.to_owned(), Value::from(if key == "max_output_tokens" { 16 } else { 1 }));
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_go_from_the_biggest_and_keep_bodies_valid() {
        let long = "x".repeat(5000);
        let body = json!({
            "model": "gpt-4.1", "temperature": 0.2, "tools": [{"type": "function"}], "tool_choice": "auto",
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]},
                {"role": "assistant", "content": null, "tool_calls": [{"id": "c1"}]},
                {"role": "tool", "tool_call_id": "c1", "content": long},
                {"role": "user", "content": "and now?"}
            ]
        });
        let changes = changes(&body);
        let whats: Vec<&str> = changes.iter().map(|c| c.what.as_str()).collect();
        assert!(whats[0].contains("content of message 4"), "the biggest cut first: {whats:?}");
        let tools = changes.iter().find(|c| c.what == "the tools").unwrap();
        assert!(tools.body.get("tool_choice").is_none());
        assert!(whats.contains(&"response_format"));
        assert!(whats.iter().any(|w| w.contains("temperature")));
        assert!(whats.iter().any(|w| w.contains("image")));
        let middle = changes.iter().find(|c| c.what.starts_with("messages")).unwrap();
        let roles: Vec<&str> =
            middle.body["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
        assert!(
            !roles.windows(2).any(|w| w[1] == "tool" && w[0] != "assistant" && w[0] != "tool"),
            "no orphan tool message: {roles:?}"
        );
        assert!(whats.iter().any(|w| w.contains("content of message 4")));
        assert_eq!(cheap(&body)["max_completion_tokens"], 1);
    }
}
