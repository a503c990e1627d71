//! What `--reduce` reports of the user's payload by default: its shape, not its text. System
//! prompts and user content (names, ids, health data) must not travel into a bundle whose
//! README says "attach as it is": every string but the structural ones (roles, types, the
//! model, ids) becomes its size, an estimate of its tokens and a SHA-256 prefix, so support can still see
//! which part made the difference and match it against the user's own copy.

use serde_json::Value;

/// Keys whose string values are structure, not content.
const STRUCTURAL: &[&str] = &[
    "role",
    "type",
    "model",
    "id",
    "tool_call_id",
    "detail",
    "format",
    "object",
    "tool_choice",
    "reasoning_effort",
    "service_tier",
    "finish_reason",
];

/// `text` as its shape: `‹text: 40000 bytes, ~10000 tokens, sha256 1a2b…›`. The token count is
/// the usual estimate (4 bytes a token): the exact counter belongs to the payload check, which
/// counts the whole payload in its own report, and checks do not import each other.
pub(super) fn summary(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    let hex: String = digest.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("‹text: {} bytes, ~{} tokens, sha256 {hex}…›", text.len(), text.len().div_ceil(4))
}

/// `body` with every content string replaced by its summary.
pub(super) fn shape(body: &Value) -> Value {
    shape_under(body, None)
}

fn shape_under(value: &Value, key: Option<&str>) -> Value {
    match value {
        Value::String(s) if key.is_some_and(|k| STRUCTURAL.contains(&k)) => Value::String(s.clone()),
        Value::String(s) => Value::String(summary(s)),
        Value::Array(items) => Value::Array(items.iter().map(|v| shape_under(v, key)).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape_under(v, Some(k.as_str())))).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_keeps_roles_and_sizes_and_drops_the_text() {
        let body = serde_json::json!({
            "model": "gpt-4.1", "temperature": 0.3,
            "messages": [
                {"role": "system", "content": "You are the triage assistant of St. Mary's clinic."},
                {"role": "user", "name": "Jane_Roe", "content": [{"type": "text", "text": "Patient Jane Roe, ID 4711-0815, has chest pain"}]},
            ],
        });
        let shaped = shape(&body);
        let text = shaped.to_string();
        for secret in ["St. Mary", "Jane", "4711-0815", "chest pain"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(shaped["messages"][0]["role"], "system");
        assert_eq!(shaped["messages"][1]["content"][0]["type"], "text");
        assert_eq!(shaped["model"], "gpt-4.1");
        assert_eq!(shaped["temperature"], 0.3);
        let summary = shaped["messages"][1]["content"][0]["text"].as_str().unwrap();
        assert!(summary.starts_with("‹text: 46 bytes") && summary.contains("sha256 "), "{summary}");
    }
}
