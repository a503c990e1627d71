//! Token counting with the models' real vocabularies, exact to tiktoken: split the text with
//! the encoding's pattern, then count each piece's byte-pair merges. The vocabularies are laid
//! out at build time (build.rs) and mapped in place, so the binary carries about 6 MiB of tables
//! and a run touches only the pages it needs; each encoding loads on first use.

#[cfg(feature = "tokens")]
mod merge;
#[cfg(feature = "tokens")]
mod split;
#[cfg(feature = "tokens")]
mod vocab;

#[cfg(feature = "tokens")]
use std::sync::OnceLock;

use super::models::Encoding;
#[cfg(feature = "tokens")]
use split::Splitter;
#[cfg(feature = "tokens")]
use vocab::Vocab;

/// Without the `tokens` feature nothing is counted (`models::TOKENS` says so).
#[cfg(not(feature = "tokens"))]
#[must_use]
pub fn count(_encoding: Encoding, _text: &str) -> usize {
    0
}

#[cfg(feature = "tokens")]
static O200K_DATA: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/o200k_base.vocab"));
#[cfg(feature = "tokens")]
static CL100K_DATA: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cl100k_base.vocab"));

/// A vocabulary with its pretokenizer.
#[cfg(feature = "tokens")]
struct Tokenizer {
    vocab: Vocab,
    split: Splitter,
}

#[cfg(feature = "tokens")]
fn tokenizer(encoding: Encoding) -> &'static Tokenizer {
    static O200K: OnceLock<Tokenizer> = OnceLock::new();
    static CL100K: OnceLock<Tokenizer> = OnceLock::new();
    match encoding {
        Encoding::O200kBase => {
            O200K.get_or_init(|| Tokenizer { vocab: Vocab::new(O200K_DATA), split: Splitter::o200k() })
        }
        Encoding::Cl100kBase => {
            CL100K.get_or_init(|| Tokenizer { vocab: Vocab::new(CL100K_DATA), split: Splitter::cl100k() })
        }
    }
}

/// The number of tokens `text` is in `encoding`.
#[cfg(feature = "tokens")]
#[must_use]
pub fn count(encoding: Encoding, text: &str) -> usize {
    let t = tokenizer(encoding);
    let mut n = 0;
    t.split.for_each(text, |piece| n += merge::count(&t.vocab, piece.as_bytes()));
    n
}

#[cfg(all(test, feature = "tokens"))]
mod tests {
    use super::*;

    #[test]
    fn token_counts_match_tiktoken() {
        // Reference counts from tiktoken for the same strings.
        assert_eq!(count(Encoding::O200kBase, "Hello, world!"), 4);
        assert_eq!(count(Encoding::Cl100kBase, "Hello, world!"), 4);
        assert_eq!(count(Encoding::O200kBase, ""), 0);
    }

    /// The reference: bpe-openai, the tokenizer 0.1.0 shipped (itself tested against tiktoken).
    fn reference(encoding: Encoding, text: &str) -> usize {
        match encoding {
            Encoding::O200kBase => bpe_openai::o200k_base().count(text),
            Encoding::Cl100kBase => bpe_openai::cl100k_base().count(text),
        }
    }

    const ENCODINGS: [Encoding; 2] = [Encoding::O200kBase, Encoding::Cl100kBase];

    #[test]
    fn every_token_is_found_by_its_bytes() {
        for (data, name) in [(O200K_DATA, "o200k"), (CL100K_DATA, "cl100k")] {
            let vocab = Vocab::new(data);
            assert!(vocab.len() > 100_000, "{name}");
            for rank in 0..u32::try_from(vocab.len()).unwrap() {
                assert_eq!(vocab.rank(vocab.token(rank)), Some(rank), "{name} rank {rank}");
            }
        }
    }

    /// A deterministic corpus: English, code, CJK, emoji, whitespace runs, contractions, digits,
    /// and random bytes decoded lossily.
    fn corpus() -> Vec<String> {
        let mut texts: Vec<String> = [
            "",
            "Hello, world!",
            "The quick brown fox jumps over the lazy dog. It's what we're told they've done, I'll say.",
            "fn main() {\n    let x: Vec<u8> = vec![1, 2, 3];\n    println!(\"{x:?}\");\n}\n",
            "def f(a, b):\r\n\treturn a  +  b   \n\n\n",
            "日本語のテキストと中文文本，还有한국어 텍스트。",
            "😀🎉👍🏽 family: 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵",
            "   leading spaces and trailing   ",
            "\u{a0}\u{2003}unicode\u{3000}spaces\u{a0}",
            "numbers 1234567890 3.14159 1,000,000 and 12th",
            "CamelCaseWords HTTPServer iPhone XMLHttpRequest",
            "URL https://api.openai.com/v1/chat/completions?x=1&y=2 and a path ./a/b/c.rs\n/usr/bin",
            "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
            "  \n  a\n\n  b  \t\n",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        let mut state: u64 = 42;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for len in [1usize, 7, 64, 300, 4096] {
            let bytes: Vec<u8> = (0..len).map(|_| (next() & 0xff) as u8).collect();
            texts.push(String::from_utf8_lossy(&bytes).into_owned());
        }
        // One long piece: letters without a space (the heap path).
        let letters: String = (0..5000).map(|_| char::from(b'a' + (next() % 26) as u8)).collect();
        texts.push(letters);
        texts
    }

    #[test]
    fn counts_equal_the_reference_on_the_corpus() {
        for text in corpus() {
            for enc in ENCODINGS {
                assert_eq!(count(enc, &text), reference(enc, &text), "{enc:?} on {:?}", &text[..text.len().min(80)]);
            }
        }
    }

    #[test]
    fn counts_equal_the_reference_on_a_megabyte_of_mixed_text() {
        let corpus = corpus();
        let mut text = String::new();
        let mut i = 0;
        while text.len() < 1 << 20 {
            text.push_str(&corpus[i % corpus.len()]);
            text.push(' ');
            i += 7;
        }
        for enc in ENCODINGS {
            assert_eq!(count(enc, &text), reference(enc, &text), "{enc:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(crate::fuzz::cases(300)))]

        /// Any text, whitespace and marks included: the same count as the reference.
        #[test]
        fn any_text_counts_like_the_reference(text in "(\\PC|\\s|[\r\n\t ]){0,120}") {
            for enc in ENCODINGS {
                proptest::prop_assert_eq!(count(enc, &text), reference(enc, &text));
            }
        }
    }

    #[test]
    fn the_quadratic_and_the_heap_merge_agree() {
        let vocab = tokenizer(Encoding::O200kBase).vocab;
        for text in corpus() {
            tokenizer(Encoding::O200kBase).split.for_each(&text, |piece| {
                let (a, b) = merge::count_both(&vocab, piece.as_bytes());
                assert_eq!(a, b, "{piece:?}");
            });
        }
    }
}
