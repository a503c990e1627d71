//! Embeddings: inputs (count, emptiness), encoding_format, dimensions.

use serde_json::{Map, Value};

use super::common::*;

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
