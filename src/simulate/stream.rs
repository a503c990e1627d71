//! `simulate`'s stream faults, apart from the per-attempt faults they extend: what sits between
//! a client and a streaming API does to Server-Sent Events. A healthy stream is paced (events
//! one by one, `PACE` apart, as a model emits tokens); the faults cut it after N events (closed,
//! or reset), stall between events, hold every event until the end (a buffering proxy), or gzip
//! it without flushing (a compression layer that holds events). What the client did (stayed to
//! the end, or left) is recorded for the audit.

use std::io::Write as _;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::Bytes;

/// The stream faults' names, for help and errors.
pub const NAMES: &str = "stream-cut:N, stream-reset:N, stream-gap[:SECS], stream-buffer, stream-gzip";

/// Between two events of a healthy stream (a model at ~50 tokens/s).
pub const PACE: Duration = Duration::from_millis(20);

/// What a stream fault does (to streamed answers only; a plain answer is served as `ok`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFault {
    /// The stream ends after this many events, mid-body: closed (FIN), or reset (RST) as by a
    /// load balancer's idle timeout or a firewall.
    Cut { after: u32, reset: bool },
    /// This long between events (bounded by `--max-stall`), as from a stalled upstream.
    Gap(Duration),
    /// Every event held until the last, then all at once, as by nginx with proxy_buffering on.
    Buffer,
    /// `Content-Encoding: gzip` without a flush per event: the compressor holds them all.
    Gzip,
}

impl StreamFault {
    /// Parses `stream-…` (`name` without the argument, `arg` after `:`); `None`: not a stream fault.
    pub fn parse(word: &str, name: &str, arg: Option<&str>) -> Option<Result<Self, String>> {
        let no_arg = |f: Self| if arg.is_some() { Err(format!("`{word}` takes no `:` value")) } else { Ok(f) };
        let events = || -> Result<u32, String> {
            let a = arg.ok_or_else(|| format!("`{word}`: say after how many events, e.g. {name}:3"))?;
            let n: u32 = a.parse().map_err(|_| format!("`{word}`: `{a}` is not a number of events"))?;
            if n > 10_000 { Err(format!("`{word}`: at most 10000 events")) } else { Ok(n) }
        };
        Some(match name {
            "stream-cut" => events().map(|after| Self::Cut { after, reset: false }),
            "stream-reset" => events().map(|after| Self::Cut { after, reset: true }),
            "stream-gap" => {
                let v =
                    arg.map_or(Ok(5.0), |a| a.parse::<f64>().map_err(|_| format!("`{word}`: `{a}` is not seconds")));
                v.and_then(|v| {
                    if (0.0..=3600.0).contains(&v) {
                        Ok(Self::Gap(Duration::from_secs_f64(v)))
                    } else {
                        Err(format!("`{word}`: seconds must be between 0 and 3600"))
                    }
                })
            }
            "stream-buffer" => no_arg(Self::Buffer),
            "stream-gzip" => no_arg(Self::Gzip),
            _ => return None,
        })
    }
}

impl std::fmt::Display for StreamFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cut { after, reset: false } => write!(f, "stream closed after {after} events"),
            Self::Cut { after, reset: true } => write!(f, "stream reset after {after} events"),
            Self::Gap(d) => write!(f, "stream with {}s between events", d.as_secs_f64()),
            Self::Buffer => f.write_str("stream held to the end (buffered)"),
            Self::Gzip => f.write_str("stream gzipped, held by the compressor"),
        }
    }
}

/// What happened to one streamed answer, for the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// Events sent.
    pub events_sent: u32,
    /// Of how many.
    pub events_total: u32,
    /// The client closed the connection before the stream ended (its read timeout, say).
    pub client_left: bool,
    /// From the head to the end of the stream or the client's leaving.
    pub lasted: Duration,
}

/// Where the body task writes what it saw, and when the stream began (a client that leaves
/// during a gap is only noticed at the next write: until then the audit measures from here).
#[derive(Debug)]
pub struct Stream {
    pub started: Instant,
    pub seen: OnceLock<Seen>,
}

/// Shared between the body task and the attempt record.
pub type SeenCell = Arc<Stream>;

/// A cell for a stream that begins now.
pub fn cell() -> SeenCell {
    Arc::new(Stream { started: Instant::now(), seen: OnceLock::new() })
}

type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// The error that makes hyper end the connection mid-body.
#[derive(Debug)]
struct Cut;

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("simulated stream cut")
    }
}

impl std::error::Error for Cut {}

/// The body of a streamed answer under `fault` (none: healthy), and whether it is gzipped.
/// `socket` is the connection's second handle, for a reset; `gzip_ok`: the client accepts gzip.
pub fn body(
    events: Vec<String>,
    fault: Option<StreamFault>,
    max_stall: Duration,
    socket: Arc<std::net::TcpStream>,
    gzip_ok: bool,
    seen: SeenCell,
) -> (BoxBody<Bytes, BodyError>, bool) {
    let gzip = fault == Some(StreamFault::Gzip) && gzip_ok;
    let (mut tx, body) = http_body_util::channel::Channel::<Bytes, BodyError>::new(4);
    let total = u32::try_from(events.len()).unwrap_or(u32::MAX);
    tokio::spawn(async move {
        let mut sent = 0u32;
        let record = |sent: u32, left: bool| {
            let lasted = seen.started.elapsed();
            let _ = seen.seen.set(Seen { events_sent: sent, events_total: total, client_left: left, lasted });
        };
        let pace = match fault {
            Some(StreamFault::Gap(d)) => d.min(max_stall),
            _ => PACE,
        };
        let mut held: Vec<u8> = Vec::new();
        let mut encoder = gzip.then(|| flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()));
        for (i, event) in events.into_iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(pace).await;
            }
            if let Some(StreamFault::Cut { after, reset }) = fault
                && sent >= after
            {
                if reset {
                    // Linger 0: the close that follows sends RST instead of FIN.
                    let _ = socket2::SockRef::from(socket.as_ref()).set_linger(Some(Duration::ZERO));
                }
                // Aborting the body makes hyper drop the connection without the last chunk: the
                // client sees "incomplete chunked read" (or a reset).
                tx.abort(Box::new(Cut));
                record(sent, false);
                return;
            }
            let out = match (&mut encoder, fault) {
                (Some(enc), _) => {
                    let _ = enc.write_all(event.as_bytes());
                    // No flush: only what the compressor emits on its own goes out (its header).
                    std::mem::take(enc.get_mut())
                }
                (None, Some(StreamFault::Buffer)) => {
                    held.extend_from_slice(event.as_bytes());
                    Vec::new()
                }
                (None, _) => event.into_bytes(),
            };
            sent += 1;
            if !out.is_empty() && tx.send_data(Bytes::from(out)).await.is_err() {
                record(sent, true);
                return;
            }
        }
        if let Some(enc) = encoder {
            held = enc.finish().unwrap_or_default();
        }
        if !held.is_empty() && tx.send_data(Bytes::from(held)).await.is_err() {
            record(sent, true);
            return;
        }
        record(sent, false);
    });
    (body.boxed(), gzip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_faults_parse_and_say_why_not() {
        let p = |w: &str| {
            let (name, arg) = w.split_once(':').map_or((w, None), |(n, a)| (n, Some(a)));
            StreamFault::parse(w, name, arg)
        };
        assert_eq!(p("stream-cut:3"), Some(Ok(StreamFault::Cut { after: 3, reset: false })));
        assert_eq!(p("stream-reset:0"), Some(Ok(StreamFault::Cut { after: 0, reset: true })));
        assert_eq!(p("stream-gap"), Some(Ok(StreamFault::Gap(Duration::from_secs(5)))));
        assert_eq!(p("stream-gap:0.5"), Some(Ok(StreamFault::Gap(Duration::from_millis(500)))));
        assert_eq!(p("stream-buffer"), Some(Ok(StreamFault::Buffer)));
        assert_eq!(p("stream-gzip"), Some(Ok(StreamFault::Gzip)));
        assert_eq!(p("500"), None);
        for (bad, words) in [
            ("stream-cut", "after how many"),
            ("stream-cut:x", "not a number"),
            ("stream-cut:99999", "at most"),
            ("stream-gap:-1", "between 0 and 3600"),
            ("stream-buffer:1", "takes no"),
        ] {
            let err = p(bad).unwrap().unwrap_err();
            assert!(err.contains(words), "{bad}: {err}");
        }
    }
}
