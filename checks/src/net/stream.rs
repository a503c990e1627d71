//! The streaming send: a request on the shared client (the app's proxy, trust and resolution)
//! whose body is handed over chunk by chunk with each chunk's arrival time, so a check can time
//! events. Bounded by an instant (the check's deadline) and a byte cap; nothing is kept here but
//! the count of bytes. The exchange goes into the request log when the stream is dropped.

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use url::Url;

use crate::model::{CheckId, millis};
use crate::net::context::{FetchError, Meta, Net, Phase, RequestRecord, cap_request_id, now_rfc3339};

/// One piece of the body as it arrived.
#[derive(Debug)]
pub struct Chunk {
    /// Since the request was sent.
    pub at: Duration,
    /// The bytes, as they came off the wire (still compressed under a `content-encoding`).
    pub bytes: bytes::Bytes,
}

/// How a body ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The server ended the body as HTTP says (last chunk, or all of `content-length`).
    Complete,
    /// The instant given to [`Net::stream`] passed first.
    Deadline,
    /// More than the byte cap arrived; the rest was not read.
    Cap,
    /// The connection ended mid-body: closed (`reset: false`) or reset by a peer.
    Broken {
        /// A TCP reset (RST), not a close.
        reset: bool,
        /// The error chain, redacted.
        message: String,
    },
}

/// One step of a stream.
#[derive(Debug)]
pub enum Next {
    /// A chunk arrived.
    Chunk(Chunk),
    /// The body ended (every later call says the same).
    End(End),
}

/// A response whose body is being read. Dropping it closes the connection and logs the exchange.
#[derive(Debug)]
pub struct Streaming<'n> {
    net: &'n Net,
    response: Option<reqwest::Response>,
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Time until the response head arrived.
    pub ttfb: Duration,
    start: Instant,
    until: tokio::time::Instant,
    max_bytes: usize,
    read: usize,
    end: Option<End>,
    record: Option<RequestRecord>,
}

impl Streaming<'_> {
    /// A header's value as text.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Bytes of body read so far.
    #[must_use]
    pub fn bytes_read(&self) -> usize {
        self.read
    }

    /// Since the request was sent.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// The next chunk, or how the body ended.
    pub async fn next(&mut self) -> Next {
        if let Some(end) = &self.end {
            return Next::End(end.clone());
        }
        let Some(response) = self.response.as_mut() else {
            return Next::End(End::Complete);
        };
        let step = match tokio::time::timeout_at(self.until, response.chunk()).await {
            Err(_) => Err(End::Deadline),
            Ok(Ok(None)) => Err(End::Complete),
            Ok(Err(e)) => {
                let reset = is_reset(&e);
                Err(End::Broken { reset, message: self.net.classify(&e).message })
            }
            Ok(Ok(Some(bytes))) => {
                self.read += bytes.len();
                if self.read > self.max_bytes { Err(End::Cap) } else { Ok(bytes) }
            }
        };
        match step {
            Ok(bytes) => Next::Chunk(Chunk { at: self.start.elapsed(), bytes }),
            Err(end) => {
                // Drop the connection now: a cut or capped body must not be read on.
                self.response = None;
                self.end = Some(end.clone());
                Next::End(end)
            }
        }
    }
}

impl Drop for Streaming<'_> {
    fn drop(&mut self) {
        if let Some(mut rec) = self.record.take() {
            rec.duration_ms = millis(self.start.elapsed());
            rec.error = match &self.end {
                None | Some(End::Complete) => None,
                Some(End::Deadline) => Some("the stream was still open when the doctor's time ran out".to_owned()),
                Some(End::Cap) => Some(format!("the stream passed {} bytes: the rest was not read", self.max_bytes)),
                Some(End::Broken { message, .. }) => Some(format!("the stream broke off: {message}")),
            };
            self.net.record(rec);
        }
    }
}

/// Whether a reqwest error is a connection reset (an `io::Error` of that kind in its chain).
fn is_reset(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && matches!(io.kind(), std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted)
        {
            return true;
        }
        cur = err.source();
    }
    crate::net::context::error_chain(e).to_ascii_lowercase().contains("connection reset")
}

impl Net {
    /// Sends `request` and returns as soon as the response head arrives, for the body to be read
    /// chunk by chunk with [`Streaming::next`]. Nothing waits past `until`; at most `max_bytes`
    /// of body are read.
    ///
    /// # Errors
    /// No response head before `until` (or the connection failed): the exchange is logged.
    pub async fn stream(
        &self,
        check: CheckId,
        request: reqwest::RequestBuilder,
        until: tokio::time::Instant,
        max_bytes: usize,
        meta: Meta,
    ) -> Result<Streaming<'_>, FetchError> {
        let at = now_rfc3339();
        let start = Instant::now();
        let request = request.build();
        let (method, url) =
            request.as_ref().map_or((String::new(), String::new()), |r| (r.method().to_string(), r.url().to_string()));
        let mut record = RequestRecord {
            at,
            check,
            method,
            url: url.clone(),
            status: None,
            location: None,
            error: None,
            duration_ms: 0,
            ttfb_ms: None,
            attempt: meta.attempt,
            client_request_id: meta.client_request_id,
            request_id: None,
            apim_request_id: None,
            processing_ms: None,
            error_code: None,
            ratelimit: std::collections::BTreeMap::new(),
            // A stream is logged at its head, before any body: too little to judge the sender.
            answered_by: None,
        };
        let sent = async {
            let request = request.map_err(|e| self.classify(&e))?;
            self.client().execute(request).await.map_err(|e| self.classify(&e))
        };
        let outcome = tokio::time::timeout_at(until, sent).await.unwrap_or_else(|_| {
            Err(FetchError {
                phase: Phase::Timeout,
                message: format!("no response head within {:.1} s", start.elapsed().as_secs_f64()),
                out_of_time_in: None,
            })
        });
        let response = match outcome {
            Ok(r) => r,
            Err(mut e) => {
                // A refusal or a timeout through a proxy is the proxy's as much as the server's.
                if let Some(proxy) = Url::parse(&url).ok().and_then(|u| self.proxy_for(&u)) {
                    e.message.push_str(&format!(" (through proxy {proxy})"));
                }
                record.error = Some(e.to_string());
                record.duration_ms = millis(start.elapsed());
                self.record(record);
                return Err(e);
            }
        };
        let ttfb = start.elapsed();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        record.status = Some(status);
        record.ttfb_ms = Some(millis(ttfb));
        record.request_id = text("x-request-id").or_else(|| text("apim-request-id")).map(|id| cap_request_id(&id));
        record.apim_request_id = text("apim-request-id").map(|id| cap_request_id(&id));
        // The stream is never followed to another place either: a redirect is logged with its target.
        record.location = text("location");
        record.processing_ms = text("openai-processing-ms").and_then(|v| v.trim().parse().ok());
        record.ratelimit = headers
            .iter()
            .filter(|(k, _)| k.as_str().starts_with("x-ratelimit-"))
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        Ok(Streaming {
            net: self,
            response: Some(response),
            status,
            headers,
            ttfb,
            start,
            until,
            max_bytes,
            read: 0,
            end: None,
            record: Some(record),
        })
    }
}
