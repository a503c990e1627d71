//! The stream's verdict from its timeline and the answer's headers: buffered, cut, stalled,
//! compressed, a slow first token, or healthy. Pure, so every rule is tested on numbers; the
//! thresholds are the evidence a rule rests on, each said where it is defined.

use std::fmt::Write as _;
use std::time::Duration;

use super::codes::{
    BUFFERED, COMPRESSED, CONTENT_FILTER, CUT, ERROR_EVENT, NOT_EVENT_STREAM, SLOW_FIRST_TOKEN, STALLED,
};
use super::measure::{Ending, Timeline};
use crate::model::{Finding, Severity};

/// Events spread over less than this arrived together: a model emits its tokens one by one,
/// milliseconds apart at the very least (300 tokens/s is 3 ms a token; a dozen tokens span tens
/// of milliseconds), while a buffered body is a few kilobytes read in one go.
pub const BUFFER_SPREAD_MS: u64 = 10;
/// Fewer events than this cannot show buffering.
pub const MIN_EVENTS_TO_JUDGE: u32 = 4;
/// A first output token this long after the head is slow enough to name.
pub const SLOW_FIRST_TOKEN_MS: u64 = 5_000;
/// A gap between two events this long, in a stream that did end, is worth a warning.
pub const SLOW_GAP_MS: u64 = 5_000;
/// Idle timeouts a cut may land on, with whose default they are: AWS load balancers (60 s, AWS's
/// docs quoted in conbench/conbench#1158), nginx `proxy_read_timeout` (60 s), Cloudflare (~100 s,
/// the 524 the probe names).
const IDLE_TIMEOUTS: [(u64, &str); 2] = [
    (
        60,
        "a 60 s idle timeout: the default of AWS load balancers (ALB/ELB idle_timeout) and of nginx's proxy_read_timeout",
    ),
    (100, "a ~100 s limit: Cloudflare's proxy read timeout"),
];

/// What the answer's head says about who handled it, for naming the layer.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// `Server`.
    pub server: Option<String>,
    /// `Via`.
    pub via: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Content-Length` (an event stream never knows its length up front).
    pub content_length: Option<u64>,
    /// The proxy in the path, redacted.
    pub proxy: Option<String>,
    /// The API host (`api.openai.com`, or a gateway's).
    pub host: String,
    /// `x-request-id`.
    pub request_id: Option<String>,
}

impl Evidence {
    /// Who answered, in words: `nginx/1.22.1 (Server) at api.test`, `a proxy (Via: 1.1 squid)`.
    #[must_use]
    pub fn who(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.server {
            parts.push(format!("Server: {s}"));
        }
        if let Some(v) = &self.via {
            parts.push(format!("Via: {v}"));
        }
        if let Some(p) = &self.proxy {
            parts.push(format!("through proxy {p}"));
        }
        let mut out = format!("answered by {}", self.host);
        if !parts.is_empty() {
            let _ = write!(out, " ({})", parts.join("; "));
        }
        out
    }

    fn nginx(&self) -> bool {
        let s = self.server.as_deref().unwrap_or_default().to_ascii_lowercase();
        s.contains("nginx") || s.contains("openresty")
    }
}

/// The layer that buffers, as the evidence names it, and its fix.
fn buffering_layer(e: &Evidence) -> (String, String) {
    if let Some(enc) = &e.content_encoding {
        return (
            format!("a compression layer (Content-Encoding: {enc}) that holds events until its window fills"),
            "Exclude text/event-stream from compression where it is added (nginx: drop it from gzip_types; Express compression: a filter; Starlette's GZipMiddleware: not on streaming routes), or flush after each event.".to_owned(),
        );
    }
    if e.nginx() {
        return (
            format!("nginx (Server: {}), whose proxy_buffering is on by default", e.server.as_deref().unwrap_or("nginx")),
            "In the nginx location that proxies to the API: `proxy_buffering off;` (or have the upstream answer with `X-Accel-Buffering: no`); keep gzip off for text/event-stream.".to_owned(),
        );
    }
    if let Some(via) = &e.via {
        return (
            format!("a proxy or gateway that says so (Via: {via})"),
            "Turn on the gateway's response streaming (Azure API Management: forward-request buffer-response=\"false\"), or exempt the API host from the proxy's inspection.".to_owned(),
        );
    }
    if let Some(p) = &e.proxy {
        return (
            format!("the proxy in the path ({p}), if it inspects TLS"),
            "Exempt the API host from the proxy's TLS inspection (or add it to NO_PROXY where policy allows)."
                .to_owned(),
        );
    }
    if let Some(s) = &e.server {
        return (
            format!("the server that answered (Server: {s})"),
            "Turn off response buffering in that server or gateway for text/event-stream.".to_owned(),
        );
    }
    (
        "a layer between the client and the API that names itself nowhere (no Server or Via header)".to_owned(),
        "Look for a reverse proxy, gateway or TLS-inspecting proxy on the path and turn off its response buffering for text/event-stream.".to_owned(),
    )
}

/// The verdict: a summary and the findings (none: healthy).
#[must_use]
pub fn judge(t: &Timeline, e: &Evidence, read_timeout: Duration) -> (String, Vec<Finding>) {
    let mut findings = Vec::new();
    let ids = e.request_id.as_deref().map(|id| format!(" (request id {id})")).unwrap_or_default();
    let event_stream =
        e.content_type.as_deref().is_some_and(|c| c.to_ascii_lowercase().starts_with("text/event-stream"));
    if !event_stream {
        findings.push(Finding::new(
            &NOT_EVENT_STREAM,
            Severity::Fail,
            format!(
                "the streaming request was answered with Content-Type {}, not text/event-stream; {}{ids}",
                e.content_type.as_deref().unwrap_or("(none)"),
                e.who()
            ),
            "Point the client at an endpoint that streams, or let the layer that rewrote the answer pass event streams unchanged.",
        ));
        return ("not an event stream".to_owned(), findings);
    }
    if t.error_event {
        findings.push(Finding::new(
            &ERROR_EVENT,
            Severity::Fail,
            format!("the stream carried an error object after {} events{ids}", t.events),
            "Retry the request; if it persists, contact support with the request id.",
        ));
    }
    if let Some(categories) = &t.content_filter {
        findings.push(content_filter_finding(categories, e, t.content_events, &ids));
    }
    let ending = t.ending.unwrap_or(Ending::Complete);
    if ending == Ending::Cap && !t.done {
        findings.push(Finding::new(
            &NOT_EVENT_STREAM,
            Severity::Fail,
            format!(
                "the answer passed {} bytes ({} events) without its end, where a stream of a few output tokens is about 5 KB: not the API's stream; {}{ids}",
                t.bytes,
                t.events,
                e.who()
            ),
            "Look at what answers on the path (a gateway or proxy page sent as an event stream) and let the API's stream through unchanged.",
        ));
        return ("an endless answer, not the API's stream".to_owned(), findings);
    }
    let cut = !t.done && matches!(ending, Ending::Complete | Ending::Closed | Ending::Reset);
    if cut {
        findings.push(cut_finding(t, e, ending, &ids));
    } else if ending == Ending::Deadline && !t.done {
        let idle = t.silence_before_end_ms;
        findings.push(Finding::new(
            &STALLED,
            Severity::Fail,
            format!(
                "the stream sent {} events in {} ms, then nothing for {:.1} s until the doctor's time ran out, without an end; {}{ids}",
                t.events,
                t.total_ms.saturating_sub(idle),
                idle as f64 / 1000.0,
                e.who()
            ),
            format!(
                "Find the layer that holds the stream open ({}); give your client a read timeout between chunks that fits your users (now {:.0} s: httpx.Timeout(read=…), Node's timeout).",
                e.who(),
                read_timeout.as_secs_f64()
            ),
        ));
    }
    // Gaps once output began: the wait before the first token is the model's (judged below).
    let after_first = t.first_content_ms.unwrap_or(u64::MAX);
    let late: Vec<u64> = t.event_ms.iter().copied().filter(|ms| *ms >= after_first).collect();
    let max_gap = late.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    if t.done && max_gap > SLOW_GAP_MS {
        findings.push(Finding::new(
            &STALLED,
            Severity::Warn,
            format!(
                "the stream ended, but one event came {:.1} s after the one before (gaps p50 {} ms): something on the path holds events back at times; {}{ids}",
                max_gap as f64 / 1000.0,
                t.gaps.p50_ms,
                e.who()
            ),
            format!(
                "Find the layer that holds events (a proxy or gateway between you and the API); keep the client's read timeout between chunks above such a wait (now {:.0} s).",
                read_timeout.as_secs_f64()
            ),
        ));
    }
    let buffered = buffered(t, e);
    if buffered {
        let (layer, fix) = buffering_layer(e);
        let mut msg = format!(
            "the {} events arrived together: the first {} ms after the request, all of them within {} ms; a model sends tokens one by one, so {layer} held them; {}{ids}",
            t.events,
            t.first_event_ms.unwrap_or(t.total_ms),
            t.gaps.spread_ms,
            e.who()
        );
        if let Some(len) = e.content_length {
            let _ =
                write!(msg, "; Content-Length {len} on an event stream: the whole body was known before it was sent");
        }
        findings.push(Finding::new(&BUFFERED, Severity::Fail, msg, fix));
    }
    if let Some(enc) = &e.content_encoding {
        if t.undecodable {
            findings.push(Finding::new(
                &COMPRESSED,
                Severity::Warn,
                format!("the event stream came with Content-Encoding {enc}, which the doctor cannot undo: its events could not be timed; {}", e.who()),
                "Exclude text/event-stream from compression where it is added, so events pass as they are produced.",
            ));
        } else if !buffered {
            findings.push(Finding::new(
                &COMPRESSED,
                Severity::Info,
                format!("the event stream came with Content-Encoding {enc}, yet its events arrived one by one (the compressor flushes per event); {}", e.who()),
                "",
            ));
        }
    }
    if !buffered && let Some(first) = t.first_content_ms {
        let wait = first.saturating_sub(t.ttfb_ms);
        if wait > SLOW_FIRST_TOKEN_MS {
            let past_timeout = Duration::from_millis(wait) > read_timeout;
            findings.push(Finding::new(
                &SLOW_FIRST_TOKEN,
                if past_timeout { Severity::Warn } else { Severity::Info },
                format!(
                    "the first output text came {:.1} s after the answer's head ({} ms): the model's time, not the path's (the events that followed came one by one, gaps p50 {} ms)",
                    wait as f64 / 1000.0,
                    t.ttfb_ms,
                    t.gaps.p50_ms
                ),
                format!(
                    "Nothing to fix on the network. Give the client a read timeout between chunks above this wait (now {:.0} s), or use a faster model.",
                    read_timeout.as_secs_f64()
                ),
            ));
        }
    }
    (summary(t, buffered, cut), findings)
}

/// Events held back: enough of them, all within a few milliseconds, or a `Content-Length` on an
/// event stream (the body was complete before its head was sent).
#[must_use]
pub fn buffered(t: &Timeline, e: &Evidence) -> bool {
    let together = t.events >= MIN_EVENTS_TO_JUDGE && t.gaps.spread_ms <= BUFFER_SPREAD_MS;
    let undecodable_in_one_go = t.undecodable && t.chunks <= 2 && t.bytes > 0;
    (together || undecodable_in_one_go || e.content_length.is_some()) && t.ending != Some(Ending::Deadline)
}

/// The output stopped by a content filter, in the terms of whoever filtered it.
fn content_filter_finding(categories: &str, e: &Evidence, content_events: u32, ids: &str) -> Finding {
    let azure = crate::net::answer::is_azure_host(&e.host);
    let which = if categories.is_empty() {
        "the stream named no category".to_owned()
    } else {
        format!("flagged: {categories}")
    };
    let (who, fix) = if azure {
        (
            "Azure OpenAI's content filter (the configuration assigned to this deployment) stopped the output",
            "The resource's owner reviews the deployment's content filter configuration (Azure AI Foundry → Guardrails & controls → Content filters); change the prompt; in the app, treat finish_reason content_filter as an incomplete answer. Retrying the same prompt ends the same way.",
        )
    } else {
        (
            "the provider's content filter stopped the output",
            "Change the prompt; in the app, treat finish_reason content_filter as an incomplete answer. Retrying the same prompt ends the same way.",
        )
    };
    Finding::new(
        &CONTENT_FILTER,
        Severity::Warn,
        format!(
            "the stream ended with finish_reason \"content_filter\" after {content_events} events with text: {who} ({which}); the path delivered it, the answer is cut by policy, and the SDKs do not raise; {}{ids}",
            e.who()
        ),
        fix,
    )
}

fn cut_finding(t: &Timeline, e: &Evidence, ending: Ending, ids: &str) -> Finding {
    let secs = t.total_ms as f64 / 1000.0;
    let idle = t.silence_before_end_ms;
    let how = match ending {
        Ending::Reset => "reset (RST) mid-body: a firewall, proxy or load balancer on the path ended it".to_owned(),
        Ending::Closed => "closed mid-body without the last chunk".to_owned(),
        _ => "ended as if complete, but without the terminating event: a layer ended the response early".to_owned(),
    };
    let mut msg = format!(
        "the stream was cut after {} events / {secs:.1} s without data: [DONE] (or response.completed): the connection was {how}",
        t.events
    );
    for (limit, who) in IDLE_TIMEOUTS {
        let near = |ms: u64| ms.abs_diff(limit * 1000) <= 1_500;
        if near(idle) {
            let _ = write!(msg, "; the cut came after {:.1} s of silence: {who}", idle as f64 / 1000.0);
        } else if near(t.total_ms) {
            let _ = write!(msg, "; the cut came {secs:.1} s after the request: {who}, or a total time limit");
        }
    }
    // What openai-python raises, as measured against `simulate`'s stream faults (tests/it/stream.rs);
    // versions before the wrapping raise httpx's error itself (openai/openai-python#2065, #2356).
    let raises = match ending {
        Ending::Reset => {
            "openai-python raises openai.APIConnectionError (\"Connection error.\") from httpx's ReadError: Connection reset by peer"
        }
        Ending::Closed => {
            "openai-python raises openai.APIConnectionError (\"Connection error.\") from httpx's RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)"
        }
        _ => "a client that stops at the end of the body may take the partial text for the whole answer",
    };
    let _ = write!(msg, "; {}. {raises}; the SDK does not retry a stream that started{ids}", e.who());
    Finding::new(
        &CUT,
        Severity::Fail,
        msg,
        "Raise the idle timeout of the layer that cut (an ALB's idle_timeout, nginx proxy_read_timeout, the gateway's limit) above your streams' longest silence; catch the error in the client and retry the whole request.",
    )
}

fn summary(t: &Timeline, buffered: bool, cut: bool) -> String {
    // Short enough for one line of the table: the gaps' median and the rest are in the details.
    let first = t.first_event_ms.map_or_else(|| "no event".to_owned(), |ms| format!("first {ms} ms"));
    let how = if buffered {
        "held back, then all at once in"
    } else if cut {
        "then cut, after"
    } else if t.done {
        "one by one in"
    } else {
        "unfinished after"
    };
    format!("{} events {how} {} ms: {first}, gaps up to {} ms", t.events, t.total_ms, t.gaps.max_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::stream::measure::Gaps;

    fn timeline(events: &[u64], done: bool, ending: Ending) -> Timeline {
        let mut gaps: Vec<u64> = events.windows(2).map(|w| w[1] - w[0]).collect();
        gaps.sort_unstable();
        Timeline {
            ttfb_ms: 50,
            first_event_ms: events.first().copied(),
            first_content_ms: events.get(1).copied(),
            last_event_ms: events.last().copied(),
            total_ms: events.last().copied().unwrap_or(0) + 1,
            events: events.len() as u32,
            content_events: events.len().saturating_sub(2) as u32,
            done,
            event_ms: events.to_vec(),
            gaps: Gaps {
                p50_ms: crate::model::nearest_rank(&gaps, 0.5).unwrap_or(0),
                max_ms: gaps.last().copied().unwrap_or(0),
                spread_ms: events.last().unwrap_or(&0) - events.first().unwrap_or(&0),
            },
            ending: Some(ending),
            ..Timeline::default()
        }
    }

    fn sse() -> Evidence {
        Evidence {
            content_type: Some("text/event-stream; charset=utf-8".into()),
            host: "api.test".into(),
            ..Evidence::default()
        }
    }

    fn codes(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.code).collect()
    }

    const T: Duration = Duration::from_secs(600);

    #[test]
    fn a_paced_stream_is_healthy() {
        let t = timeline(&[300, 320, 345, 360, 390, 410], true, Ending::Complete);
        let (summary, f) = judge(&t, &sse(), T);
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(summary, "6 events one by one in 411 ms: first 300 ms, gaps up to 30 ms");
    }

    #[test]
    fn everything_at_the_end_is_buffered_and_names_nginx() {
        let t = timeline(&[900, 900, 901, 901, 902, 902], true, Ending::Complete);
        let e = Evidence { server: Some("nginx/1.22.1".into()), ..sse() };
        let (summary, f) = judge(&t, &e, T);
        assert_eq!(codes(&f), ["stream.buffered"]);
        assert!(f[0].message.contains("nginx/1.22.1") && f[0].message.contains("within 2 ms"), "{}", f[0].message);
        assert!(f[0].remedy.contains("proxy_buffering off") && f[0].remedy.contains("X-Accel-Buffering: no"));
        assert!(summary.contains("all at once"), "{summary}");
        // A gateway that says Via, a proxy in the path, and nothing at all are each named.
        let via = Evidence { via: Some("1.1 google".into()), ..sse() };
        assert!(judge(&t, &via, T).1[0].message.contains("Via: 1.1 google"));
        let none = judge(&t, &sse(), T).1;
        assert!(none[0].message.contains("names itself nowhere"), "{}", none[0].message);
    }

    #[test]
    fn few_events_cannot_show_buffering_but_a_content_length_does() {
        let t = timeline(&[900, 900, 901], true, Ending::Complete);
        assert!(judge(&t, &sse(), T).1.is_empty());
        let e = Evidence { content_length: Some(812), ..sse() };
        assert_eq!(codes(&judge(&t, &e, T).1), ["stream.buffered"]);
    }

    #[test]
    fn a_gzipped_buffered_stream_names_the_compression() {
        let t = timeline(&[700, 700, 700, 701, 701], true, Ending::Complete);
        let e = Evidence { content_encoding: Some("gzip".into()), server: Some("nginx".into()), ..sse() };
        let f = judge(&t, &e, T).1;
        assert_eq!(codes(&f), ["stream.buffered"]);
        assert!(f[0].message.contains("Content-Encoding: gzip"), "{}", f[0].message);
        // Compressed but flushed per event: information only.
        let paced = timeline(&[300, 330, 360, 390, 420], true, Ending::Complete);
        let f = judge(&paced, &e, T).1;
        assert_eq!(codes(&f), ["stream.compressed"]);
        assert_eq!(f[0].severity, Severity::Info);
    }

    #[test]
    fn a_cut_says_after_how_many_events_how_and_what_the_sdk_raises() {
        let t = timeline(&[300, 320, 340], false, Ending::Reset);
        let f = judge(&t, &sse(), T).1;
        assert_eq!(codes(&f), ["stream.cut"]);
        assert!(f[0].message.contains("cut after 3 events") && f[0].message.contains("RST"), "{}", f[0].message);
        assert!(f[0].message.contains("APIConnectionError") && f[0].message.contains("Connection reset by peer"));
        // A cut after 60 s of silence names the idle timeouts that have that default.
        let mut idle = timeline(&[300, 320], false, Ending::Closed);
        idle.silence_before_end_ms = 60_020;
        idle.total_ms = 60_340;
        let f = judge(&idle, &sse(), T).1;
        assert!(f[0].message.contains("ALB") && f[0].message.contains("60.0 s of silence"), "{}", f[0].message);
        assert!(f[0].message.contains("incomplete chunked read"), "closed mid-body: {}", f[0].message);
        // An end without [DONE], even a clean one, is a cut.
        let clean = timeline(&[300, 320, 340, 360], false, Ending::Complete);
        assert_eq!(codes(&judge(&clean, &sse(), T).1), ["stream.cut"]);
    }

    #[test]
    fn a_content_filter_is_named_in_its_providers_terms() {
        let mut t = timeline(&[300, 320, 340, 360, 380], true, Ending::Complete);
        t.content_filter = Some("violence (severity medium)".into());
        let azure = Evidence { host: "myresource.openai.azure.com".into(), ..sse() };
        let f = judge(&t, &azure, T).1;
        assert_eq!(codes(&f), ["stream.content_filter"]);
        assert_eq!(f[0].severity, Severity::Warn);
        assert!(
            f[0].message.contains("Azure OpenAI's content filter")
                && f[0].message.contains("violence (severity medium)"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].remedy.contains("Content filters") && f[0].remedy.contains("incomplete answer"),
            "{}",
            f[0].remedy
        );
        t.content_filter = Some(String::new());
        let f = judge(&t, &sse(), T).1;
        assert!(f[0].message.contains("named no category") && !f[0].remedy.contains("Azure"), "{}", f[0].message);
    }

    #[test]
    fn a_stall_a_slow_first_token_and_a_wrong_content_type() {
        let mut stalled = timeline(&[300, 320], false, Ending::Deadline);
        stalled.silence_before_end_ms = 8_000;
        stalled.total_ms = 8_320;
        assert_eq!(codes(&judge(&stalled, &sse(), T).1), ["stream.stalled"]);

        let slow = timeline(&[80, 7_000, 7_020, 7_045, 7_070], true, Ending::Complete);
        let f = judge(&slow, &sse(), T).1;
        assert_eq!(codes(&f), ["stream.slow_first_token"]);
        assert_eq!(f[0].severity, Severity::Info, "under the client's read timeout");
        assert_eq!(judge(&slow, &sse(), Duration::from_secs(5)).1[0].severity, Severity::Warn);

        let gappy = timeline(&[300, 320, 6_400, 6_420, 6_440], true, Ending::Complete);
        let f = judge(&gappy, &sse(), T).1;
        assert_eq!(codes(&f), ["stream.stalled"]);
        assert!(f[0].severity == Severity::Warn && f[0].message.contains("6.1 s after"), "{}", f[0].message);

        let mut endless = timeline(&[10, 20, 30], false, Ending::Cap);
        endless.bytes = 262_200;
        let f = judge(&endless, &sse(), T).1;
        assert_eq!(codes(&f), ["stream.not_event_stream"]);
        assert!(f[0].message.contains("262200 bytes"), "{}", f[0].message);

        let json = Evidence { content_type: Some("application/json".into()), ..sse() };
        assert_eq!(codes(&judge(&slow, &json, T).1), ["stream.not_event_stream"]);
    }
}
