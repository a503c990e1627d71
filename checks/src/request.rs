//! What the doctor may send besides its own minimal requests: the endpoints a body can be for,
//! how a body's shape tells its endpoint, and the user's payload as given. Shared by the
//! configuration, the `payload` check and the probe (which sends the payload).

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

/// Which API a body is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `POST /v1/chat/completions`.
    Chat,
    /// `POST /v1/responses`.
    Responses,
    /// `POST /v1/embeddings`.
    Embeddings,
}

impl Endpoint {
    /// Parses `chat`, `responses`, `embeddings`.
    ///
    /// # Errors
    /// Any other word.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "chat" => Ok(Self::Chat),
            "responses" => Ok(Self::Responses),
            "embeddings" => Ok(Self::Embeddings),
            _ => Err(format!("`{s}` is not an endpoint (chat, responses, embeddings)")),
        }
    }

    /// The path under the base URL.
    #[must_use]
    pub fn path(self) -> &'static str {
        match self {
            Self::Chat => "chat/completions",
            Self::Responses => "responses",
            Self::Embeddings => "embeddings",
        }
    }

    /// Human name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Chat => "Chat Completions",
            Self::Responses => "Responses",
            Self::Embeddings => "Embeddings",
        }
    }
}

/// The endpoint a body's top-level fields say it is for.
#[must_use]
pub fn detect(obj: &Map<String, Value>) -> Option<Endpoint> {
    let model = obj.get("model").and_then(Value::as_str).unwrap_or("");
    if obj.contains_key("messages") {
        Some(Endpoint::Chat)
    } else if obj.contains_key("input") && model.starts_with("text-embedding") {
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

/// A body to validate.
#[derive(Debug, Clone)]
pub struct PayloadInput {
    /// File name, or `<stdin>`.
    pub name: String,
    /// The bytes.
    pub bytes: Arc<Vec<u8>>,
    /// The endpoint, when given (`--endpoint`).
    pub endpoint: Option<Endpoint>,
}
