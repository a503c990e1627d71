//! What one streamed answer showed, in numbers: first byte, first event, first content, each
//! event's arrival, the end and how it came. Pure: the check feeds it chunks and the end; it keeps
//! timings (capped) and a short sample, never the events themselves.

use std::time::Duration;

use super::sse::{Event, Kind, Parser};
pub use crate::details::stream::{Ending, Gaps, MAX_TIMED, Stream as Timeline};
use crate::model::millis;

/// Accumulates a stream.
pub struct Recorder {
    parser: Parser,
    t: Timeline,
    last_byte: Duration,
    flagged: Vec<String>,
}

impl Recorder {
    /// A recorder for a body with this `content-encoding`, whose head came after `ttfb`; `head`
    /// holds what the answer's head said (its timings are filled in here).
    #[must_use]
    pub fn new(encoding: Option<&str>, ttfb: Duration, head: Timeline) -> Self {
        Self {
            parser: Parser::new(encoding),
            t: Timeline { ttfb_ms: millis(ttfb), ..head },
            last_byte: ttfb,
            flagged: Vec::new(),
        }
    }

    /// A chunk arrived at `at`.
    pub fn chunk(&mut self, bytes: &[u8], at: Duration) {
        self.t.chunks += 1;
        self.t.bytes += bytes.len() as u64;
        self.t.first_byte_ms.get_or_insert(millis(at));
        self.last_byte = at;
        for e in self.parser.feed(bytes, at) {
            self.event(e);
        }
    }

    fn event(&mut self, e: Event) {
        let ms = millis(e.at);
        self.t.events += 1;
        self.t.first_event_ms.get_or_insert(ms);
        self.t.last_event_ms = Some(ms);
        if self.t.event_ms.len() < MAX_TIMED {
            self.t.event_ms.push(ms);
        }
        match e.kind {
            Kind::Content => {
                self.t.content_events += 1;
                self.t.first_content_ms.get_or_insert(ms);
            }
            Kind::Done => self.t.done = true,
            Kind::Error => self.t.error_event = true,
            Kind::Filtered => {
                self.t.content_filter.get_or_insert_with(String::new);
            }
            Kind::Other => {}
        }
        // Categories flagged anywhere in the stream (Azure sends them in annotation chunks too).
        for f in e.flagged {
            self.flagged.push(f);
        }
        if let Some(s) = e.sample {
            self.t.sample.push(s);
        }
    }

    /// The body ended at `at`, this way.
    #[must_use]
    pub fn finish(mut self, ending: Ending, at: Duration) -> Timeline {
        self.t.total_ms = millis(at);
        self.t.ending = Some(ending);
        self.t.silence_before_end_ms = millis(at.saturating_sub(self.last_byte));
        self.t.undecodable = !self.parser.readable();
        if let Some(c) = &mut self.t.content_filter {
            self.flagged.sort();
            self.flagged.dedup();
            *c = self.flagged.join(", ");
        }
        let mut gaps: Vec<u64> = self.t.event_ms.windows(2).map(|w| w[1] - w[0]).collect();
        gaps.sort_unstable();
        self.t.gaps = Gaps {
            p50_ms: crate::model::nearest_rank(&gaps, 0.5).unwrap_or(0),
            max_ms: gaps.last().copied().unwrap_or(0),
            spread_ms: self.t.last_event_ms.zip(self.t.first_event_ms).map_or(0, |(l, f)| l - f),
        };
        self.t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(word: &str) -> String {
        format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{word}\"}}}}]}}\n\n")
    }

    #[test]
    fn timings_of_a_paced_stream() {
        let mut r = Recorder::new(None, Duration::from_millis(100), Timeline::default());
        for (i, w) in ["a", "b", "c", "d"].iter().enumerate() {
            r.chunk(content(w).as_bytes(), Duration::from_millis(300 + 20 * i as u64));
        }
        r.chunk(b"data: [DONE]\n\n", Duration::from_millis(400));
        let t = r.finish(Ending::Complete, Duration::from_millis(401));
        assert_eq!((t.ttfb_ms, t.first_byte_ms, t.first_content_ms), (100, Some(300), Some(300)));
        assert_eq!((t.events, t.content_events, t.done), (5, 4, true));
        assert_eq!(t.event_ms, [300, 320, 340, 360, 400]);
        assert_eq!(t.gaps, Gaps { p50_ms: 20, max_ms: 40, spread_ms: 100 });
        assert_eq!((t.total_ms, t.silence_before_end_ms), (401, 1));
        assert_eq!(t.sample.len(), 3);
    }

    #[test]
    fn a_filtered_end_keeps_the_categories_flagged_anywhere() {
        let mut r = Recorder::new(None, Duration::ZERO, Timeline::default());
        r.chunk(content("a").as_bytes(), Duration::from_millis(10));
        r.chunk(
            b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"content_filter\",\"content_filter_results\":{\"sexual\":{\"filtered\":true,\"severity\":\"high\"}}}]}\n\ndata: [DONE]\n\n",
            Duration::from_millis(20),
        );
        let t = r.finish(Ending::Complete, Duration::from_millis(21));
        assert_eq!(t.content_filter.as_deref(), Some("sexual (severity high)"));
        assert!(t.done);
        // A stream without the filtered end has none, whatever its annotations say.
        let mut r = Recorder::new(None, Duration::ZERO, Timeline::default());
        r.chunk(content("a").as_bytes(), Duration::from_millis(10));
        assert_eq!(r.finish(Ending::Complete, Duration::from_millis(11)).content_filter, None);
    }

    #[test]
    fn timings_are_capped() {
        let mut r = Recorder::new(None, Duration::ZERO, Timeline::default());
        let text = content("x").repeat(MAX_TIMED + 50);
        r.chunk(text.as_bytes(), Duration::from_millis(5));
        let t = r.finish(Ending::Closed, Duration::from_millis(9));
        assert_eq!(t.events as usize, MAX_TIMED + 50);
        assert_eq!(t.event_ms.len(), MAX_TIMED);
        assert_eq!(t.sample.len(), super::super::sse::SAMPLE_EVENTS);
        assert!(!t.done);
    }
}
