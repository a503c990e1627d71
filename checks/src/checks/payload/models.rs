//! What the validator knows about models: context window, maximum output, tokenizer, and whether
//! the model reasons (and so rejects `max_tokens`, non-default `temperature`, ...).
//!
//! Numbers are from OpenAI's model pages (https://platform.openai.com/docs/models/<model>), as
//! published on the dates noted. Matching is by longest prefix, so dated snapshots
//! (`gpt-4o-2024-08-06`) match their family.

pub use crate::details::payload::Encoding;

/// One model family.
#[derive(Debug, Clone, Copy)]
pub struct ModelInfo {
    /// Name prefix.
    pub prefix: &'static str,
    /// Context window, tokens (input + output).
    pub context: u64,
    /// Maximum output tokens (0 for embedding models).
    pub max_output: u64,
    /// Tokenizer.
    pub encoding: Encoding,
    /// A reasoning model.
    pub reasoning: bool,
}

const fn m(prefix: &'static str, context: u64, max_output: u64, encoding: Encoding, reasoning: bool) -> ModelInfo {
    ModelInfo { prefix, context, max_output, encoding, reasoning }
}

use Encoding::{Cl100kBase as CL, O200kBase as O2};

/// Longest prefix first within each family.
pub static MODELS: &[ModelInfo] = &[
    // gpt-5 family: 400,000 context, 128,000 output (models/gpt-5, -mini, -nano; 2025-08).
    // gpt-5-chat-latest is the non-reasoning ChatGPT model: 128,000 / 16,384 (models/gpt-5-chat-latest).
    m("gpt-5-chat", 128_000, 16_384, O2, false),
    m("gpt-5", 400_000, 128_000, O2, true),
    // gpt-4.1 family: 1,047,576 context, 32,768 output (models/gpt-4.1; 2025-04).
    m("gpt-4.1", 1_047_576, 32_768, O2, false),
    // gpt-4o and gpt-4o-mini: 128,000 / 16,384 (models/gpt-4o, models/gpt-4o-mini; 2024-08 snapshots).
    m("gpt-4o", 128_000, 16_384, O2, false),
    m("chatgpt-4o", 128_000, 16_384, O2, false),
    // o-series: 200,000 / 100,000 (models/o1, o3, o3-mini, o4-mini); o1-mini 128,000 / 65,536.
    m("o1-mini", 128_000, 65_536, O2, true),
    m("o1", 200_000, 100_000, O2, true),
    m("o3", 200_000, 100_000, O2, true),
    m("o4-mini", 200_000, 100_000, O2, true),
    // gpt-4-turbo: 128,000 / 4,096; gpt-4: 8,192 / 8,192 (models/gpt-4-turbo, models/gpt-4).
    m("gpt-4-turbo", 128_000, 4_096, CL, false),
    m("gpt-4", 8_192, 8_192, CL, false),
    // gpt-3.5-turbo: 16,385 / 4,096 (models/gpt-3.5-turbo).
    m("gpt-3.5-turbo", 16_385, 4_096, CL, false),
    // Embeddings: 8,192 input tokens per input (models/text-embedding-3-small, -large, ada-002).
    m("text-embedding", 8_192, 0, CL, false),
];

/// The family of `model`, if known.
#[must_use]
pub fn lookup(model: &str) -> Option<&'static ModelInfo> {
    let model = model.trim().to_ascii_lowercase();
    MODELS.iter().filter(|m| model.starts_with(m.prefix)).max_by_key(|m| m.prefix.len())
}

/// Whether this build counts tokens (the default `tokens` feature; its tables make the binary
/// about 6 MiB larger).
pub const TOKENS: bool = cfg!(feature = "tokens");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_pick_the_family() {
        assert_eq!(lookup("gpt-4o-2024-08-06").unwrap().prefix, "gpt-4o");
        assert_eq!(lookup("gpt-4o-mini").unwrap().context, 128_000);
        assert_eq!(lookup("gpt-4-0613").unwrap().context, 8_192);
        assert_eq!(lookup("gpt-4-turbo-2024-04-09").unwrap().prefix, "gpt-4-turbo");
        assert!(lookup("gpt-5-mini").unwrap().reasoning);
        assert!(!lookup("gpt-5-chat-latest").unwrap().reasoning);
        assert!(lookup("o3-mini").unwrap().reasoning);
        assert!(lookup("llama-3").is_none());
    }
}
