//! Server-Sent Events as they arrive: undoes a `content-encoding` (gzip, deflate) chunk by chunk,
//! splits the text into events, and sorts each into what the verdict needs (content, the
//! terminating event, an error, the output stopped by a content filter, anything else). Pure:
//! bytes and arrival times in, timed events out.

use std::io::Write as _;
use std::time::Duration;

/// What an event is to the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Output text (a chat chunk's `delta.content`, `response.output_text.delta`).
    Content,
    /// The end of the answer: `data: [DONE]` (chat) or `response.completed` (Responses).
    Done,
    /// An error object inside the stream (the API's own, mid-answer).
    Error,
    /// A chat chunk whose `finish_reason` is `content_filter`: the provider's content filter
    /// (Azure OpenAI's, OpenAI's moderation) stopped the output.
    Filtered,
    /// A comment line (`: keep-alive`), a role chunk, usage, any other event.
    Other,
}

/// One event, when it became complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Since the request was sent.
    pub at: Duration,
    /// What it is.
    pub kind: Kind,
    /// Its text, cut to `SAMPLE_BYTES`, for the first `SAMPLE_EVENTS` events only.
    pub sample: Option<String>,
    /// The content-filter categories it flags (`filtered: true` in Azure's
    /// `content_filter_results`), e.g. `violence (severity medium)`; empty for most events.
    pub flagged: Vec<String>,
}

/// Events whose text is kept as a sample.
pub const SAMPLE_EVENTS: usize = 3;
/// Characters of an event's text kept in the sample (a line of a report).
pub const SAMPLE_BYTES: usize = 56;
/// Most bytes of one event held while waiting for its end (a longer one is counted, not kept).
const MAX_PENDING: usize = 64 * 1024;

/// How the body is encoded on the wire.
enum Decoder {
    Identity,
    Gzip(flate2::write::GzDecoder<Vec<u8>>),
    Deflate(flate2::write::ZlibDecoder<Vec<u8>>),
    /// An encoding the doctor cannot undo (br, zstd): events cannot be seen.
    Opaque,
}

/// Turns chunks into events.
pub struct Parser {
    decoder: Decoder,
    pending: Vec<u8>,
    seen: usize,
    /// The decoder failed: the rest cannot be read as events.
    pub undecodable: bool,
}

impl Parser {
    /// A parser for a body with this `content-encoding` (none: identity).
    #[must_use]
    pub fn new(encoding: Option<&str>) -> Self {
        let decoder = match encoding.map(|e| e.trim().to_ascii_lowercase()).as_deref() {
            None | Some("" | "identity") => Decoder::Identity,
            Some("gzip" | "x-gzip") => Decoder::Gzip(flate2::write::GzDecoder::new(Vec::new())),
            Some("deflate") => Decoder::Deflate(flate2::write::ZlibDecoder::new(Vec::new())),
            Some(_) => Decoder::Opaque,
        };
        Self { decoder, pending: Vec::new(), seen: 0, undecodable: false }
    }

    /// Whether events can be seen at all under this encoding.
    #[must_use]
    pub fn readable(&self) -> bool {
        !matches!(self.decoder, Decoder::Opaque) && !self.undecodable
    }

    /// Feeds a chunk that arrived at `at`; returns the events it completed.
    pub fn feed(&mut self, bytes: &[u8], at: Duration) -> Vec<Event> {
        let plain: Vec<u8> = match &mut self.decoder {
            Decoder::Identity => bytes.to_vec(),
            Decoder::Opaque => return Vec::new(),
            Decoder::Gzip(d) => {
                if d.write_all(bytes).and_then(|()| d.flush()).is_err() {
                    self.undecodable = true;
                }
                std::mem::take(d.get_mut())
            }
            Decoder::Deflate(d) => {
                if d.write_all(bytes).and_then(|()| d.flush()).is_err() {
                    self.undecodable = true;
                }
                std::mem::take(d.get_mut())
            }
        };
        self.pending.extend_from_slice(&plain);
        let mut out = Vec::new();
        while let Some((end, sep)) = boundary(&self.pending) {
            let block: Vec<u8> = self.pending.drain(..end + sep).take(end).collect();
            if let Some((kind, flagged)) = classify(&block) {
                let sample = (self.seen < SAMPLE_EVENTS).then(|| {
                    let text = String::from_utf8_lossy(&block);
                    let cut = text.char_indices().nth(SAMPLE_BYTES).map_or(text.len(), |(i, _)| i);
                    text[..cut].to_owned()
                });
                self.seen += 1;
                out.push(Event { at, kind, sample, flagged });
            }
        }
        if self.pending.len() > MAX_PENDING {
            // One event longer than any the API sends: count it as other, keep nothing.
            self.pending.clear();
            self.seen += 1;
            out.push(Event { at, kind: Kind::Other, sample: None, flagged: Vec::new() });
        }
        out
    }
}

/// The end of the first event in `buf` (a blank line: LF LF, CRLF CRLF or CR CR) and the
/// separator's length.
fn boundary(buf: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i + 1 < buf.len() {
        if buf[i] == b'\n' && buf[i + 1] == b'\n' {
            return Some((i, 2));
        }
        if buf[i] == b'\r' && buf[i + 1] == b'\n' {
            if buf.get(i + 2) == Some(&b'\r') && buf.get(i + 3) == Some(&b'\n') {
                return Some((i, 4));
            }
        } else if buf[i] == b'\r' && buf[i + 1] == b'\r' {
            return Some((i, 2));
        }
        i += 1;
    }
    None
}

/// What an event block is, and the content-filter categories it flags; `None` for an empty block.
fn classify(block: &[u8]) -> Option<(Kind, Vec<String>)> {
    let text = String::from_utf8_lossy(block);
    let mut name = None;
    let mut data = String::new();
    let mut any = false;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        any = true;
        let (field, value) = line.split_once(':').map_or((line, ""), |(f, v)| (f, v.strip_prefix(' ').unwrap_or(v)));
        match field {
            "event" => name = Some(value.to_owned()),
            "data" => {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(value);
            }
            _ => {}
        }
    }
    if !any {
        return None;
    }
    let data = data.trim();
    if data == "[DONE]" {
        return Some((Kind::Done, Vec::new()));
    }
    let json: serde_json::Value = serde_json::from_str(data).unwrap_or(serde_json::Value::Null);
    let kind = name.as_deref().or_else(|| json.get("type").and_then(serde_json::Value::as_str)).unwrap_or_default();
    let choices = json.get("choices").and_then(serde_json::Value::as_array);
    let filtered_end = choices.is_some_and(|c| {
        c.iter().any(|ch| ch.get("finish_reason").and_then(serde_json::Value::as_str) == Some("content_filter"))
    });
    let kind = match kind {
        "response.completed" => Kind::Done,
        "error" | "response.failed" => Kind::Error,
        "response.output_text.delta" => Kind::Content,
        _ if json.get("error").is_some_and(|e| !e.is_null()) => Kind::Error,
        _ if filtered_end => Kind::Filtered,
        _ if json
            .pointer("/choices/0/delta/content")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|c| !c.is_empty()) =>
        {
            Kind::Content
        }
        _ => Kind::Other,
    };
    Some((kind, flagged(&json)))
}

/// The categories an Azure chunk flags: `filtered: true` in a choice's `content_filter_results`
/// or a prompt's (`prompt_filter_results`, `prompt_annotations`), with their severity.
fn flagged(json: &serde_json::Value) -> Vec<String> {
    let mut results = Vec::new();
    for c in json.get("choices").and_then(serde_json::Value::as_array).into_iter().flatten() {
        results.extend(c.get("content_filter_results"));
    }
    for key in ["prompt_filter_results", "prompt_annotations"] {
        for p in json.get(key).and_then(serde_json::Value::as_array).into_iter().flatten() {
            results.extend(p.get("content_filter_results"));
        }
    }
    let mut out = Vec::new();
    for r in results.iter().filter_map(|r| r.as_object()) {
        for (category, v) in r {
            if v.get("filtered").and_then(serde_json::Value::as_bool) == Some(true) {
                out.push(match v.get("severity").and_then(serde_json::Value::as_str) {
                    Some(sev) => format!("{category} (severity {sev})"),
                    None => category.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAT: &str = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"1 \"}}]}\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"2\"}}]}\n\n\
: keep-alive\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n\
data: [DONE]\n\n";

    fn kinds(events: &[Event]) -> Vec<Kind> {
        events.iter().map(|e| e.kind).collect()
    }

    #[test]
    fn chat_chunks_split_anywhere_give_the_same_events() {
        use Kind::{Content, Done, Other};
        let want = vec![Other, Content, Content, Other, Other, Done];
        for size in [1, 3, 7, 64, CHAT.len()] {
            let mut p = Parser::new(None);
            let mut got = Vec::new();
            for (i, piece) in CHAT.as_bytes().chunks(size).enumerate() {
                got.extend(p.feed(piece, Duration::from_millis(i as u64)));
            }
            assert_eq!(kinds(&got), want, "chunks of {size}");
            assert_eq!(got.iter().filter(|e| e.sample.is_some()).count(), SAMPLE_EVENTS);
        }
    }

    #[test]
    fn responses_events_and_errors_and_crlf() {
        let text = "event: response.created\r\ndata: {\"type\":\"response.created\"}\r\n\r\n\
event: response.output_text.delta\r\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\r\n\r\n\
event: response.completed\r\ndata: {\"type\":\"response.completed\"}\r\n\r\n\
data: {\"error\":{\"message\":\"The server had an error while processing your request.\"}}\n\n";
        let mut p = Parser::new(None);
        let got = p.feed(text.as_bytes(), Duration::ZERO);
        assert_eq!(kinds(&got), [Kind::Other, Kind::Content, Kind::Done, Kind::Error]);
    }

    #[test]
    fn a_gzipped_stream_is_read_as_it_comes() {
        use flate2::write::GzEncoder;
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(CHAT.as_bytes()).unwrap();
        let gz = enc.finish().unwrap();
        let mut p = Parser::new(Some("gzip"));
        let mut got = Vec::new();
        for piece in gz.chunks(5) {
            got.extend(p.feed(piece, Duration::ZERO));
        }
        assert_eq!(got.len(), 6);
        assert_eq!(got.last().unwrap().kind, Kind::Done);
        assert!(p.readable());
        let mut br = Parser::new(Some("br"));
        assert!(br.feed(b"\x1b\x00", Duration::ZERO).is_empty());
        assert!(!br.readable());
    }

    #[test]
    fn a_content_filtered_end_and_its_categories() {
        // The shape Azure documents for a filtered completion chunk (no public report quotes a
        // whole one; tests/fixtures/answers/README.md lists it as not found): finish_reason
        // content_filter, the category that fired in content_filter_results.
        let text = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"1 2\"}}]}\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"content_filter\",\"content_filter_results\":{\"hate\":{\"filtered\":false,\"severity\":\"safe\"},\"violence\":{\"filtered\":true,\"severity\":\"medium\"}}}]}\n\n\
data: [DONE]\n\n";
        let got = Parser::new(None).feed(text.as_bytes(), Duration::ZERO);
        assert_eq!(kinds(&got), [Kind::Content, Kind::Filtered, Kind::Done]);
        assert_eq!(got[1].flagged, ["violence (severity medium)"]);
        // OpenAI's plain form, without categories.
        let plain = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"content_filter\"}]}\n\n";
        let got = Parser::new(None).feed(plain.as_bytes(), Duration::ZERO);
        assert_eq!((kinds(&got), got[0].flagged.is_empty()), (vec![Kind::Filtered], true));
    }

    #[test]
    fn azures_real_annotation_chunks_are_not_a_filter() {
        // tests/fixtures/answers/azure/stream_content_filter_annotations.http (openai-python#1677):
        // a prompt annotation with every category safe, choices [] — neither content nor a cut.
        let fixture = include_str!("../../../../tests/fixtures/answers/azure/stream_content_filter_annotations.http");
        // The body: after the status line's blank line (the comments quote "data:" too); the
        // excerpt's last event lacks its blank line, which closes it here.
        let body = format!("{}\n", &fixture[fixture.find("\n\ndata: ").expect("a stream") + 2..]);
        let got = Parser::new(None).feed(body.as_bytes(), Duration::ZERO);
        assert_eq!(kinds(&got), [Kind::Other, Kind::Other, Kind::Content]);
        assert!(got.iter().all(|e| e.flagged.is_empty()), "{got:?}");
    }

    #[test]
    fn an_endless_event_is_bounded() {
        let mut p = Parser::new(None);
        let big = vec![b'a'; MAX_PENDING + 10];
        let got = p.feed(&big, Duration::ZERO);
        assert_eq!(kinds(&got), [Kind::Other]);
        assert!(p.pending.is_empty());
    }
}
