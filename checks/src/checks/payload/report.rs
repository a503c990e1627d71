//! What validating a body found: problems (error or warning, with a JSON pointer, the fix and
//! the API's own words) and the body's size in bytes and tokens.

use serde::Serialize;

use super::models;
use crate::request::Endpoint;

pub use crate::details::payload::Level;

/// One problem in a body.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// JSON pointer (`/messages/1/role`).
    pub path: String,
    /// Error or warning.
    pub level: Level,
    /// Finding code (`payload.enum`, ...).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The API's own 400 message for it, when known, to match what you saw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_message: Option<String>,
}

/// What validation found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Detected or given endpoint.
    pub endpoint: Option<Endpoint>,
    /// The `model` field.
    pub model: Option<String>,
    /// Size of the body.
    pub bytes: usize,
    /// Prompt tokens (for embeddings: all inputs), when counted.
    pub tokens: Option<u64>,
    /// The model's context window (for embeddings: per-input limit), when known.
    pub context: Option<u64>,
    /// Tokenizer used.
    pub encoding: Option<models::Encoding>,
    /// Inline (base64) images: count and decoded bytes.
    pub images: (usize, usize),
    /// The problems, errors first.
    pub problems: Vec<Problem>,
}

impl Report {
    /// As the report's details show it.
    #[must_use]
    pub fn shown(&self) -> crate::details::payload::Payload {
        crate::details::payload::Payload {
            endpoint: self.endpoint,
            model: self.model.clone(),
            bytes: self.bytes,
            tokens: self.tokens,
            context: self.context,
            encoding: self.encoding,
            images: self.images,
            problems: self
                .problems
                .iter()
                .map(|p| crate::details::payload::Problem {
                    path: p.path.clone(),
                    level: p.level,
                    code: p.code.to_owned(),
                    message: p.message.clone(),
                    fix: p.fix.clone(),
                    api_message: p.api_message.clone(),
                })
                .collect(),
        }
    }

    /// Number of errors.
    #[must_use]
    pub fn errors(&self) -> usize {
        self.problems.iter().filter(|p| p.level == Level::Error).count()
    }

    /// Number of warnings.
    #[must_use]
    pub fn warnings(&self) -> usize {
        self.problems.iter().filter(|p| p.level == Level::Warning).count()
    }

    /// "Chat Completions request for gpt-4o, 12.3 KiB, 3,210 of 128,000 tokens".
    #[must_use]
    pub fn describe(&self) -> String {
        let mut out = match self.endpoint {
            Some(e) => format!("{} request", e.name()),
            None => "request of unknown kind".to_owned(),
        };
        if let Some(m) = &self.model {
            out.push_str(&format!(" for {m}"));
        }
        out.push_str(&format!(", {}", human_size(self.bytes)));
        match (self.tokens, self.context) {
            (Some(t), Some(c)) if self.endpoint == Some(Endpoint::Embeddings) => {
                out.push_str(&format!(", {} tokens ({} per input at most)", thousands(t), thousands(c)))
            }
            (Some(t), Some(c)) => out.push_str(&format!(", {} of {} tokens", thousands(t), thousands(c))),
            (Some(t), None) => out.push_str(&format!(", {} tokens", thousands(t))),
            (None, _) if !models::TOKENS => out.push_str(", tokens not counted (built without the tokens feature)"),
            _ => {}
        }
        if self.images.0 > 0 {
            out.push_str(&format!(
                ", {} ({})",
                crate::model::plural(self.images.0, "inline image"),
                human_size(self.images.1)
            ));
        }
        out
    }
}

/// `1,234,567`.
#[must_use]
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `12.3 KiB`.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn human_size(b: usize) -> String {
    match b {
        0..1024 => format!("{b} bytes"),
        1024..1_048_576 => format!("{:.1} KiB", b as f64 / 1024.0),
        _ => format!("{:.1} MiB", b as f64 / 1_048_576.0),
    }
}
