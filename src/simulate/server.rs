//! The HTTP side of `simulate`: accepts connections (TLS when asked), asks the plan for each
//! attempt's fault, answers through `api`, applies timing faults, and records every attempt for
//! the audit. Request bodies are reduced to their size, a hash (to tell retries of one request
//! apart from new ones) and their model; they are kept whole only with `--log-bodies`.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};

use super::api::{self, Body, Route};
use super::attempt::Attempt;
use super::faults::{Fault, Plan};

/// Attempts kept for the audit: enough for any client's retries, bounded under a load test
/// (about 200 bytes each).
pub const MAX_KEPT: usize = 20_000;

/// Settings of a running server.
pub struct Settings {
    pub plan: Plan,
    /// Under `--provider azure`: the simulated Azure resource (else OpenAI's API).
    pub azure: Option<super::azure::Azure>,
    pub max_stall: Duration,
    pub log_bodies: bool,
    /// Where one line per attempt goes (stderr, redacted like every output), unless `--quiet`.
    pub log: Option<crate::output::Output>,
}

/// What the server shares with its connections.
pub struct Shared {
    pub settings: Settings,
    pub started: Instant,
    pub attempts: Mutex<Vec<Attempt>>,
    /// Attempts served beyond `MAX_KEPT`, counted but not kept.
    pub not_kept: std::sync::atomic::AtomicU64,
    /// Until when a `refuse` fault keeps the port closed.
    refusing: Mutex<Option<tokio::time::Instant>>,
    refuse_now: tokio::sync::Notify,
}

impl Shared {
    pub fn new(settings: Settings) -> Arc<Self> {
        Arc::new(Self {
            settings,
            started: Instant::now(),
            attempts: Mutex::new(Vec::new()),
            not_kept: std::sync::atomic::AtomicU64::new(0),
            refusing: Mutex::new(None),
            refuse_now: tokio::sync::Notify::new(),
        })
    }

    fn refuse_for(&self, d: Duration) {
        *self.refusing.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(tokio::time::Instant::now() + d);
        self.refuse_now.notify_one();
    }

    fn take_refusal(&self) -> Option<tokio::time::Instant> {
        self.refusing.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }

    /// The attempts so far.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.attempts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// Body errors: only a stalled body's abort, which makes hyper cut the connection.
type BodyError = Box<dyn std::error::Error + Send + Sync>;
type Reply = hyper::Response<BoxBody<Bytes, BodyError>>;

/// Serves on `listener` until the task is dropped.
pub async fn serve(mut listener: TcpListener, tls: Option<Arc<rustls::ServerConfig>>, shared: Arc<Shared>) {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let addr = listener.local_addr().ok();
    loop {
        if let (Some(until), Some(addr)) = (shared.take_refusal(), addr) {
            // Closing the listener is what makes connections refused; then listen again.
            drop(listener);
            tokio::time::sleep_until(until).await;
            listener = loop {
                match TcpListener::bind(addr).await {
                    Ok(l) => break l,
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            };
        }
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = shared.refuse_now.notified() => continue,
        };
        let Ok((tcp, _)) = accepted else {
            // Out of file descriptors, say: wait instead of spinning.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        // A second handle on the socket, so a `reset` can set SO_LINGER 0 while hyper owns it.
        let Some((tcp, handle_)) = tcp.into_std().ok().and_then(|s| {
            let other = s.try_clone().ok()?;
            TcpStream::from_std(s).ok().map(|t| (t, Arc::new(other)))
        }) else {
            continue;
        };
        let (shared, acceptor) = (shared.clone(), acceptor.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(req, shared.clone(), handle_.clone()));
            let conn = hyper::server::conn::http1::Builder::new();
            match acceptor {
                Some(acceptor) => {
                    // A handshake that never ends must not hold a task forever.
                    if let Ok(Ok(stream)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                        let _ = conn.serve_connection(TokioIo::new(stream), service).await;
                    }
                }
                None => {
                    let _ = conn.serve_connection(TokioIo::new(tcp), service).await;
                }
            }
        });
    }
}

/// The error that makes hyper close the connection without an answer.
#[derive(Debug)]
struct Disconnect;

impl std::fmt::Display for Disconnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("simulated disconnect")
    }
}

impl std::error::Error for Disconnect {}

async fn handle(
    req: hyper::Request<hyper::body::Incoming>,
    shared: Arc<Shared>,
    socket: Arc<std::net::TcpStream>,
) -> Result<Reply, Disconnect> {
    let (parts, body) = req.into_parts();
    // Bodies are capped: the simulated API, like the real one, refuses huge requests.
    let body = http_body_util::Limited::new(body, 64 << 20).collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let request_id = format!("req_{:032x}", fastrand::u128(..));
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (route, fault, answer) = match &shared.settings.azure {
        Some(azure) => azure.serve(&parts, &json, || shared.settings.plan.next(), now),
        None => {
            let route = Route::of(parts.method.as_str(), parts.uri.path());
            let fault = if route == Route::NotFound { Fault::Ok } else { shared.settings.plan.next() };
            (route, fault, api::answer(route, &json, fault, &request_id, now))
        }
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let attempt = Attempt {
        at: shared.started.elapsed(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        route,
        fault,
        status: (!fault.closes_connection()).then_some(answer.status),
        retry_count: header("x-stainless-retry-count").and_then(|v| v.trim().parse().ok()),
        idempotency_key: header("idempotency-key"),
        client: header("x-stainless-lang").unwrap_or_else(|| {
            header("user-agent")
                .map(|ua| ua.split(['/', ' ']).next().unwrap_or_default().to_owned())
                .unwrap_or_default()
        }),
        body_len: body.len(),
        body_hash: {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            body.hash(&mut h);
            h.finish()
        },
        model: json.get("model").and_then(Value::as_str).map(str::to_owned),
        body: shared.settings.log_bodies.then(|| String::from_utf8_lossy(&body).into_owned()),
        stream: matches!(answer.body, Body::Events(_)).then(super::stream::cell),
    };
    let seen = attempt.stream.clone();
    if let Some(out) = &shared.settings.log {
        let _ = out.stderr(&super::attempt::line(&attempt));
    }
    {
        let mut kept = shared.attempts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.len() < MAX_KEPT {
            kept.push(attempt);
        } else {
            shared.not_kept.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let max_stall = shared.settings.max_stall;
    match fault {
        Fault::Disconnect => return Err(Disconnect),
        Fault::Reset | Fault::Refuse(_) => {
            // Linger 0: the last close of the socket sends RST instead of FIN.
            let _ = socket2::SockRef::from(socket.as_ref()).set_linger(Some(Duration::ZERO));
            if let Fault::Refuse(d) = fault {
                shared.refuse_for(d.min(max_stall));
            }
            return Err(Disconnect);
        }
        Fault::Slow(d) => tokio::time::sleep(d.min(max_stall)).await,
        _ => {}
    }
    let mut resp = hyper::Response::builder().status(answer.status).header("content-type", answer.content_type);
    // An edge's or a proxy's page never carries the API's headers: clients (and the doctor) tell
    // the sender by them. Azure's answers carry Azure's own (`azure::serve`).
    if shared.settings.azure.is_none() && !matches!(fault, Fault::Edge(_) | Fault::EdgeBlocked | Fault::ProxyBlock) {
        resp = resp
            .header("x-request-id", &request_id)
            .header("openai-version", "2020-10-01")
            .header("openai-processing-ms", fastrand::u32(80..400).to_string())
            .header("openai-organization", "org-simulate")
            .header("x-ratelimit-limit-requests", "10000")
            .header("x-ratelimit-remaining-requests", "9999")
            .header("x-ratelimit-reset-requests", "6ms")
            .header("x-ratelimit-limit-tokens", "10000000")
            .header("x-ratelimit-remaining-tokens", "9999990")
            .header("x-ratelimit-reset-tokens", "0s");
    }
    for (k, v) in &answer.headers {
        resp = resp.header(*k, v);
    }
    let body = match (answer.body, fault) {
        (Body::Whole(text), Fault::Stall) => stalled(vec![text.into_bytes()], 0, max_stall),
        (Body::Whole(text), _) => full(text.into_bytes()),
        (Body::Events(events), Fault::Stall) => {
            let list = events.into_iter().map(String::into_bytes).collect();
            stalled(list, 1, max_stall)
        }
        (Body::Events(events), fault) => {
            let stream_fault = if let Fault::Stream(f) = fault { Some(f) } else { None };
            let gzip_ok = header("accept-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("gzip"));
            let (body, gzipped) = super::stream::body(
                events,
                stream_fault,
                max_stall,
                socket,
                gzip_ok,
                seen.unwrap_or_else(super::stream::cell),
            );
            if gzipped {
                resp = resp.header("content-encoding", "gzip");
            }
            body
        }
    };
    Ok(resp.body(body).unwrap_or_else(|_| hyper::Response::new(full(Vec::new()))))
}

/// A body that sends the first `keep` parts (none: only the headers went out), then nothing
/// until `max_stall`, then ends the connection mid-body.
fn stalled(parts: Vec<Vec<u8>>, keep: usize, max_stall: Duration) -> BoxBody<Bytes, BodyError> {
    let (mut tx, body) = http_body_util::channel::Channel::<Bytes, BodyError>::new(4);
    tokio::spawn(async move {
        for part in parts.into_iter().take(keep) {
            if tx.send_data(Bytes::from(part)).await.is_err() {
                return;
            }
        }
        tokio::time::sleep(max_stall).await;
        // Aborting (not finishing) the body makes hyper close the connection: the client sees
        // a response cut short, as after a proxy's idle timeout.
        tx.abort(Box::new(Disconnect));
    });
    body.boxed()
}

fn full(bytes: Vec<u8>) -> BoxBody<Bytes, BodyError> {
    Full::new(Bytes::from(bytes)).map_err(|e| match e {}).boxed()
}
