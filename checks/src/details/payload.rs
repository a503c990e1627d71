//! The payload check's details: what validating the body found (the same document
//! `openai-doctor validate --format json` prints for one file).

use serde::{Deserialize, Serialize};

use super::words;
use crate::request::Endpoint;

words! {
    /// Error (the API rejects it) or warning (it probably does not do what you want).
    pub enum Level {
        /// Plausible but probably wrong.
        Warning = "warning",
        /// The API rejects it.
        Error = "error",
    }
}

words! {
    /// Which BPE a model uses.
    pub enum Encoding {
        /// gpt-4o, gpt-4.1, gpt-5, o-series.
        O200kBase = "o200k_base",
        /// gpt-4, gpt-3.5-turbo, text-embedding-*.
        Cl100kBase = "cl100k_base",
    }
}

/// The payload check's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
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
    pub encoding: Option<Encoding>,
    /// Inline (base64) images: count and decoded bytes.
    pub images: (usize, usize),
    /// The problems, errors first.
    pub problems: Vec<Problem>,
}

/// One problem in a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    /// JSON pointer (`/messages/1/role`).
    pub path: String,
    /// Error or warning.
    pub level: Level,
    /// Finding code (`payload.enum`, ...).
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The API's own 400 message for it, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_message: Option<String>,
}
