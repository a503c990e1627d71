//! The stream check's details: who answered the streaming request (status, ids, content type and
//! encoding, `Server`, `Via`) and its timings per event (capped), how it ended, and a short
//! sample of its first events. Events themselves are never kept.

use serde::{Deserialize, Serialize};

use super::words;

words! {
    /// How the body ended, as the verdict sees it.
    pub enum Ending {
        /// The body ended as HTTP says it should.
        Complete = "complete",
        /// The connection was closed mid-body.
        Closed = "closed",
        /// The connection was reset mid-body (RST).
        Reset = "reset",
        /// The doctor's time ran out with the stream still open.
        Deadline = "deadline",
        /// The byte cap was reached.
        Cap = "cap",
    }
}

/// The stream check's details.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stream {
    /// The model streamed.
    pub model: String,
    /// HTTP status of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `x-request-id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// `X-Client-Request-Id` sent.
    pub client_request_id: String,
    /// `Content-Type` of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `Content-Encoding` of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// `Server` of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// `Via` of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// Response head.
    pub ttfb_ms: u64,
    /// First body byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_byte_ms: Option<u64>,
    /// First event of any kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_event_ms: Option<u64>,
    /// First event with output text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_content_ms: Option<u64>,
    /// Last event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_event_ms: Option<u64>,
    /// Until the end (or the doctor stopped).
    pub total_ms: u64,
    /// Events seen.
    pub events: u32,
    /// Of which carried output text.
    pub content_events: u32,
    /// The terminating event (`[DONE]`, `response.completed`) arrived.
    pub done: bool,
    /// An error object came inside the stream.
    pub error_event: bool,
    /// The output ended with `finish_reason: "content_filter"`: the categories the stream
    /// flagged (Azure's `content_filter_results` with `filtered: true`, e.g. `violence (severity
    /// medium)`), empty when it named none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_filter: Option<String>,
    /// Body reads (TCP segments or their batches, as the client got them).
    pub chunks: u32,
    /// Body bytes as they came off the wire.
    pub bytes: u64,
    /// Each event's arrival, in order (the first `MAX_TIMED`).
    pub event_ms: Vec<u64>,
    /// Between consecutive events.
    pub gaps: Gaps,
    /// How it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ending: Option<Ending>,
    /// Silence between the last byte and the end.
    pub silence_before_end_ms: u64,
    /// The first few events' text, cut short.
    pub sample: Vec<String>,
    /// The encoding could not be undone (br, zstd, or a broken gzip): events were not seen.
    pub undecodable: bool,
}

/// Events whose arrival time is kept (a few output tokens make about 20).
pub const MAX_TIMED: usize = 512;

/// Gaps between consecutive events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gaps {
    /// Median.
    pub p50_ms: u64,
    /// Largest.
    pub max_ms: u64,
    /// From the first event to the last.
    pub spread_ms: u64,
}
