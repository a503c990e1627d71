//! The rules' shared vocabulary, used by every endpoint's rules: the problem sink, type and
//! range checks, content parts and images, metadata and names, unknown fields, sampling ranges.

pub(super) use serde_json::{Map, Value};

pub(super) use super::super::codes;
pub(super) use super::super::models::ModelInfo;
pub(super) use super::super::report::{Level, Problem};
pub(super) use crate::model::Code;

/// Collects problems.
#[derive(Default)]
pub struct Sink {
    /// Found so far.
    pub problems: Vec<Problem>,
}

impl Sink {
    pub(super) fn add(
        &mut self,
        level: Level,
        code: &'static Code,
        path: &str,
        message: String,
        fix: &str,
        api: Option<String>,
    ) {
        self.problems.push(Problem {
            path: if path.is_empty() { "/".to_owned() } else { path.to_owned() },
            level,
            code: code.id,
            message,
            fix: fix.to_owned(),
            api_message: api,
        });
    }
    pub(super) fn err(&mut self, code: &'static Code, path: &str, message: String, fix: &str) {
        self.add(Level::Error, code, path, message, fix, None);
    }
    pub(super) fn err_api(&mut self, code: &'static Code, path: &str, message: String, fix: &str, api: String) {
        self.add(Level::Error, code, path, message, fix, Some(api));
    }
    pub(super) fn warn(&mut self, code: &'static Code, path: &str, message: String, fix: &str) {
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

pub(super) fn wrong_type(s: &mut Sink, path: &str, expected: &str, got: &Value) {
    s.err_api(
        &codes::TYPE,
        path,
        format!("expected {expected}, got {}", type_name(got)),
        "Send the value with the expected type.",
        format!("Invalid type for '{}': expected {expected}, but got {} instead.", api_param(path), type_name(got)),
    );
}

pub(super) fn required(s: &mut Sink, path: &str, key: &str) {
    s.err_api(
        &codes::REQUIRED,
        path,
        format!("`{key}` is required"),
        "Add the missing field.",
        format!("Missing required parameter: '{}'.", api_param(&format!("{path}/{key}"))),
    );
}

pub(super) fn number_in(s: &mut Sink, obj: &Map<String, Value>, path: &str, key: &str, min: f64, max: f64) {
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

pub(super) fn integer_in(s: &mut Sink, obj: &Map<String, Value>, path: &str, key: &str, min: i64, max: i64) {
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

pub(super) fn is_name(name: &str, max: usize) -> bool {
    !name.is_empty() && name.len() <= max && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

pub(super) fn metadata(s: &mut Sink, obj: &Map<String, Value>, path: &str) {
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
        let kp = format!("{p}/{}", crate::checks::payload::parse::pointer_escape(k));
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

pub(super) const ROLES: &[&str] = &["developer", "system", "user", "assistant", "tool", "function"];
pub(super) const USER_PARTS: &[&str] = &["text", "image_url", "input_audio", "file"];

/// Checks content parts; returns the text found (for the json-word and token rules).
pub(super) fn content(s: &mut Sink, v: &Value, path: &str, allowed: &[&str], texts: &mut Vec<String>) {
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

pub(super) fn image(s: &mut Sink, part: &Map<String, Value>, pp: &str) {
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
pub(super) fn mb(bytes: usize) -> f64 {
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

pub(super) fn unknown_fields(s: &mut Sink, obj: &Map<String, Value>, known: &[&str], level: Level) {
    for k in obj.keys().filter(|k| !known.contains(&k.as_str())) {
        let message = format!("`{k}` is not a parameter of this endpoint");
        let api = format!("Unrecognized request argument supplied: {k}");
        match level {
            Level::Error => s.err_api(
                &codes::UNKNOWN_FIELD,
                &format!("/{}", crate::checks::payload::parse::pointer_escape(k)),
                message,
                "Remove it, or check its spelling.",
                api,
            ),
            Level::Warning => s.add(
                Level::Warning,
                &codes::UNKNOWN_FIELD,
                &format!("/{}", crate::checks::payload::parse::pointer_escape(k)),
                message,
                "Remove it, or check its spelling (new parameters may be missing from the doctor's list).",
                Some(api),
            ),
        }
    }
}

pub(super) fn model_name(obj: &Map<String, Value>) -> &str {
    obj.get("model").and_then(Value::as_str).unwrap_or("")
}

pub(super) fn sampling(s: &mut Sink, obj: &Map<String, Value>, _model: Option<&ModelInfo>) {
    number_in(s, obj, "", "temperature", 0.0, 2.0);
    number_in(s, obj, "", "top_p", 0.0, 1.0);
    number_in(s, obj, "", "frequency_penalty", -2.0, 2.0);
    number_in(s, obj, "", "presence_penalty", -2.0, 2.0);
}

pub(super) fn mentions_json(texts: &[String]) -> bool {
    texts.iter().any(|t| t.to_ascii_lowercase().contains("json"))
}
