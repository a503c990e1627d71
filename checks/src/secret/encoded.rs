//! Known secrets in the encodings a server may echo them in: split across lines, JSON-escaped
//! (`\u0073k-…`, `\/`), percent-encoded (any character, either hex case) and base64 (at each of
//! the three byte alignments, standard and URL-safe alphabets). One forward scan of the text
//! decodes it unit by unit and feeds one Aho-Corasick automaton over every pattern, so the cost
//! is linear in the text whatever the number of secrets, and memory is a window of offsets.

use aho_corasick::automaton::Automaton as _;
use aho_corasick::{Anchored, MatchKind};

/// The patterns (decoded bytes) and what replaces each.
#[derive(Debug, Clone)]
pub(super) struct Encoded {
    dfa: aho_corasick::dfa::DFA,
    replacements: Vec<String>,
    longest: usize,
}

/// Base64 of `secret` as it appears inside any longer base64 text: for each alignment, the
/// characters that depend on the secret's bytes only. Short cores would match ordinary text.
pub(super) fn base64_cores(secret: &str) -> Vec<String> {
    use base64::Engine as _;
    let bytes = secret.as_bytes();
    let mut cores = Vec::new();
    for skip in 0..3 {
        let Some(body) = bytes.get(skip..) else { continue };
        let whole = body.len() / 3 * 3;
        for engine in
            [&base64::engine::general_purpose::STANDARD_NO_PAD, &base64::engine::general_purpose::URL_SAFE_NO_PAD]
        {
            let core = engine.encode(&body[..whole]);
            if core.len() >= 16 && !cores.contains(&core) {
                cores.push(core);
            }
        }
    }
    cores
}

impl Encoded {
    /// An automaton over `patterns` (pattern, replacement); `None` when there are none.
    pub(super) fn new(patterns: &[(String, String)]) -> Option<Self> {
        if patterns.is_empty() {
            return None;
        }
        let dfa = aho_corasick::dfa::DFA::builder()
            .match_kind(MatchKind::Standard)
            .build(patterns.iter().map(|(p, _)| p.as_bytes()))
            .ok()?;
        Some(Self {
            dfa,
            replacements: patterns.iter().map(|(_, r)| r.clone()).collect(),
            longest: patterns.iter().map(|(p, _)| p.len()).max().unwrap_or(0),
        })
    }

    /// `text` with every encoded occurrence replaced (the whole encoded span).
    pub(super) fn redact(&self, text: &str) -> Option<String> {
        let spans = self.find(text);
        if spans.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        for (start, end, pattern) in spans {
            out.push_str(&text[i..start]);
            out.push_str(&self.replacements[pattern]);
            i = end;
        }
        out.push_str(&text[i..]);
        Some(out)
    }

    /// The spans (start, end, pattern) of the matches, in order, without overlaps.
    fn find(&self, text: &str) -> Vec<(usize, usize, usize)> {
        let bytes = text.as_bytes();
        let Ok(mut sid) = self.dfa.start_state(Anchored::No) else { return Vec::new() };
        // The text offset where each of the last `longest` decoded bytes began.
        let ring = self.longest.max(1);
        let mut starts = vec![0usize; ring];
        let mut fed = 0usize;
        let mut spans: Vec<(usize, usize, usize)> = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let (decoded, len) = decode(bytes, i);
            let end = i + len;
            let mut feed = |b: u8, sid: &mut aho_corasick::automaton::StateID| {
                starts[fed % ring] = i;
                fed += 1;
                *sid = self.dfa.next_state(Anchored::No, *sid, b);
                if self.dfa.is_match(*sid) {
                    for m in 0..self.dfa.match_len(*sid) {
                        let pid = self.dfa.match_pattern(*sid, m);
                        let plen = self.dfa.pattern_len(pid);
                        let start = starts[(fed - plen) % ring];
                        push_span(&mut spans, (start, end, pid.as_usize()));
                    }
                }
            };
            match decoded {
                Unit::Skip => {}
                Unit::Byte(b) => feed(b, &mut sid),
                Unit::Char(c) => {
                    let mut buf = [0u8; 4];
                    for &b in c.encode_utf8(&mut buf).as_bytes() {
                        feed(b, &mut sid);
                    }
                }
            }
            i = end;
        }
        spans
    }
}

/// Adds a span, merging it with the previous one when they overlap (the earlier start wins).
fn push_span(spans: &mut Vec<(usize, usize, usize)>, mut span: (usize, usize, usize)) {
    // A longer match can cover several earlier ones: they all become one span, replaced as the
    // longest of them says.
    while let Some(&last) = spans.last() {
        if span.0 >= last.1 {
            break;
        }
        spans.pop();
        let pattern = if last.1 - last.0 > span.1 - span.0 { last.2 } else { span.2 };
        span = (last.0.min(span.0), last.1.max(span.1), pattern);
    }
    spans.push(span);
}

enum Unit {
    /// A line break, or an escaped one: transparent inside a secret.
    Skip,
    Byte(u8),
    Char(char),
}

fn hex(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// The unit at `i`: what it decodes to and how many bytes of the text it takes.
fn decode(bytes: &[u8], i: usize) -> (Unit, usize) {
    match bytes[i] {
        b'\n' | b'\r' => (Unit::Skip, 1),
        b'%' => match (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (Some(h), Some(l)) => (Unit::Byte(h * 16 + l), 3),
            _ => (Unit::Byte(b'%'), 1),
        },
        b'\\' => match bytes.get(i + 1) {
            Some(b'n' | b'r') => (Unit::Skip, 2),
            Some(b'/') => (Unit::Byte(b'/'), 2),
            Some(b'u') => {
                let code = bytes
                    .get(i + 2..i + 6)
                    .and_then(|h| h.iter().try_fold(0u32, |acc, &b| hex(b).map(|d| acc * 16 + u32::from(d))));
                match code.and_then(char::from_u32) {
                    Some(c) => (Unit::Char(c), 6),
                    None => (Unit::Byte(b'\\'), 1),
                }
            }
            _ => (Unit::Byte(b'\\'), 1),
        },
        b => (Unit::Byte(b), 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(secret: &str) -> Encoded {
        let mut patterns = vec![(secret.to_owned(), "***".to_owned())];
        patterns.extend(base64_cores(secret).into_iter().map(|c| (c, "***".to_owned())));
        Encoded::new(&patterns).unwrap()
    }

    #[test]
    fn every_echo_of_a_known_secret_is_found() {
        use base64::Engine as _;
        let key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123WXYZ";
        let e = encoded(key);
        let json_escaped: String = key.chars().map(|c| format!("\\u{:04x}", u32::from(c))).collect();
        let percent: String = key.bytes().map(|b| format!("%{b:02X}")).collect();
        let split = format!("{}\r\n{}", &key[..20], &key[20..]);
        let escaped_newline = format!("{}\\n{}", &key[..10], &key[10..]);
        let partly = format!("\\u0073k-proj-{}", &key[8..]);
        for prefix in ["", "a", "ab"] {
            let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{prefix}user:{key}"));
            for text in [&json_escaped, &percent, &split, &escaped_newline, &partly, &b64] {
                let wrapped = format!("before {text} after");
                let out = e.redact(&wrapped).unwrap_or_else(|| panic!("not found: {wrapped}"));
                assert!(out.starts_with("before ") && out.ends_with(" after"), "{out}");
                assert!(out.contains("***") && out.len() + 20 < wrapped.len(), "{wrapped} → {out}");
                assert!(!out.contains("ghijklmnop") && !out.contains("%6A%6B"), "{out}");
            }
        }
        assert!(e.redact("nothing here, not even sk-proj-abc").is_none());
    }
}
