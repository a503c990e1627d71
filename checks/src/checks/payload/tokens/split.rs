//! The pretokenizer: splits text into the pieces BPE merges within, with each encoding's
//! pattern (OpenAI's, as tiktoken and bpe-openai use them). The patterns' `\s+(?!\S)` needs a
//! look-ahead the regex engine lacks; as bpe-openai does, it is written `\s+$` (end of text) or
//! `\s+\s` with its last character given back to the next piece.

use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input};

/// cl100k_base (GPT-4, GPT-3.5, the embedding models).
const CL100K: [&str; 3] = [
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+$",
    "\\s+\\s",
    "\\s+",
];

/// o200k_base (GPT-4o and later).
const O200K: [&str; 3] = [
    concat!(
        "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        "|\\p{N}{1,3}",
        "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*",
        "|\\s*[\\r\\n]+",
        "|\\s+$",
    ),
    "\\s+\\s",
    "\\s+",
];

/// The second pattern's match ends with one character of look-ahead.
const LOOKAHEAD: usize = 1;

/// A compiled pattern set.
pub(super) struct Splitter(Regex);

impl Splitter {
    pub(super) fn cl100k() -> Self {
        Self(Regex::new_many(&CL100K).expect("the cl100k pattern compiles"))
    }

    pub(super) fn o200k() -> Self {
        Self(Regex::new_many(&O200K).expect("the o200k pattern compiles"))
    }

    /// Calls `each` with every piece of `text`, in order.
    pub(super) fn for_each<'t>(&self, text: &'t str, mut each: impl FnMut(&'t str)) {
        // One cache for the whole text: `find` would fetch one from a pool for every piece.
        let mut cache = self.0.create_cache();
        let mut at = 0;
        while at < text.len() {
            let input = Input::new(text).range(at..).anchored(Anchored::Yes);
            let Some(m) = self.0.search_with(&mut cache, &input) else {
                // Every character matches one of the patterns; never reached on valid UTF-8.
                each(&text[at..]);
                return;
            };
            let mut end = m.end();
            if m.pattern().as_usize() == LOOKAHEAD {
                end -= text[at..end].chars().next_back().map_or(0, char::len_utf8);
            }
            if end <= at {
                each(&text[at..]);
                return;
            }
            each(&text[at..end]);
            at = end;
        }
    }
}
