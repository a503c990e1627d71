//! A scripted HTTP/1.1 server (optionally TLS) on 127.0.0.1:0, running on its own thread with a
//! current-thread runtime, stopped on drop. The handler sees each request and returns a reply.
//! A streaming chat completion (`"stream": true`) is answered as the real API answers it, events
//! one by one (`stream_reply`), without the handler: worlds scripted for plain requests stay as
//! they are, and their counts of `seen` requests too (streams are counted in `streamed`). Tests
//! about streams use `simulate`'s faults and nginx.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// What the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: std::time::Instant,
}

impl Seen {
    /// A header's value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A scripted reply.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self::new(status, "application/json", body.to_string())
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    tls: bool,
    seen: Arc<Mutex<Vec<Seen>>>,
    streamed: Arc<std::sync::atomic::AtomicUsize>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// `http://127.0.0.1:PORT` or `https://localhost:PORT` (TLS leaves are minted for localhost).
    pub fn url(&self) -> String {
        if self.tls {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://127.0.0.1:{}", self.addr.port())
        }
    }

    /// Requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Streaming chat completions answered so far.
    pub fn streamed(&self) -> usize {
        self.streamed.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Plain HTTP.
pub fn http(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
    start(Arc::new(handler), None)
}

/// HTTPS with the given rustls configuration.
pub fn https(tls: Arc<ServerConfig>, handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
    start(Arc::new(handler), Some(tls))
}

fn start(handler: Handler, tls: Option<Arc<ServerConfig>>) -> Server {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (stop_tx, mut stop_rx) = oneshot::channel();
    let is_tls = tls.is_some();
    let seen2 = seen.clone();
    let streamed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let streamed2 = streamed.clone();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
            loop {
                let (tcp, _) = tokio::select! {
                    _ = &mut stop_rx => break,
                    accepted = listener.accept() => match accepted { Ok(a) => a, Err(_) => continue },
                };
                // As production servers do: without it, Nagle and delayed ACKs add 40 ms stalls.
                let _ = tcp.set_nodelay(true);
                let (handler, seen, acceptor) = (handler.clone(), seen2.clone(), acceptor.clone());
                let streamed = streamed2.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let (handler, seen, streamed) = (handler.clone(), seen.clone(), streamed.clone());
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body.collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
                            if parts.uri.path().ends_with("/chat/completions") && is_stream(&body) {
                                streamed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                return Ok::<_, Infallible>(stream_reply());
                            }
                            let s = Seen {
                                method: parts.method.to_string(),
                                path: parts.uri.path_and_query().map(ToString::to_string).unwrap_or_default(),
                                headers: parts
                                    .headers
                                    .iter()
                                    .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                                    .collect(),
                                body,
                                at: std::time::Instant::now(),
                            };
                            seen.lock().unwrap().push(s.clone());
                            let reply = handler(&s);
                            tokio::time::sleep(reply.delay).await;
                            let mut resp = hyper::Response::builder().status(reply.status);
                            for (k, v) in &reply.headers {
                                resp = resp.header(k, v);
                            }
                            Ok::<_, Infallible>(resp.body(Full::new(Bytes::from(reply.body)).boxed()).unwrap())
                        }
                    });
                    let conn = hyper::server::conn::http1::Builder::new();
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(tcp).await {
                                let _ = conn.serve_connection(TokioIo::new(stream), service).await;
                            }
                        }
                        None => {
                            let _ = conn.serve_connection(TokioIo::new(tcp), service).await;
                        }
                    }
                });
            }
        });
    });
    Server { addr, tls: is_tls, seen, streamed, stop: Some(stop_tx), thread: Some(thread) }
}

/// Whether a request body asks for a stream.
fn is_stream(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| v["stream"] == true)
}

/// A chat completion stream in the API's shape: a role chunk, five content chunks, the finish
/// chunk and `[DONE]`, 20 ms apart, chunked (no Content-Length), as the API sends it.
fn stream_reply() -> hyper::Response<http_body_util::combinators::BoxBody<Bytes, Infallible>> {
    let chunk = |delta: serde_json::Value, finish: serde_json::Value| {
        let v = serde_json::json!({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4.1-nano",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]});
        format!("data: {v}\n\n")
    };
    let mut events = vec![chunk(serde_json::json!({"role": "assistant", "content": ""}), serde_json::Value::Null)];
    for w in ["1 ", "2 ", "3 ", "4 ", "5"] {
        events.push(chunk(serde_json::json!({"content": w}), serde_json::Value::Null));
    }
    events.push(chunk(serde_json::json!({}), serde_json::json!("stop")));
    events.push("data: [DONE]\n\n".to_owned());
    let (mut tx, body) = http_body_util::channel::Channel::<Bytes, Infallible>::new(2);
    tokio::spawn(async move {
        for (i, e) in events.into_iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if tx.send_data(Bytes::from(e)).await.is_err() {
                return;
            }
        }
    });
    hyper::Response::builder()
        .status(200)
        .header("content-type", "text/event-stream; charset=utf-8")
        .header("x-request-id", "req_stream_test")
        .body(body.boxed())
        .unwrap()
}

/// A TCP listener that accepts connections and never says a word (a blackholed peer).
pub struct Silent {
    pub addr: SocketAddr,
    _listener: std::net::TcpListener,
}

/// Starts a silent listener. The kernel completes handshakes from the backlog; nobody reads.
pub fn silent() -> Silent {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    Silent { addr: listener.local_addr().unwrap(), _listener: listener }
}

/// A loopback port with nothing listening on it (connections are refused).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A TLS server that reads each request head, answers with `bytes` as they are (raw HTTP), then
/// keeps the connection open without sending anything more when `stall` is set, or closes it.
/// For peers no well-behaved server library would imitate.
pub fn raw_tls(tls: Arc<ServerConfig>, bytes: Vec<u8>, stall: bool) -> Server {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let (stop_tx, mut stop_rx) = oneshot::channel();
    let bytes = Arc::new(bytes);
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            let acceptor = tokio_rustls::TlsAcceptor::from(tls);
            loop {
                let (tcp, _) = tokio::select! {
                    _ = &mut stop_rx => break,
                    accepted = listener.accept() => match accepted { Ok(a) => a, Err(_) => continue },
                };
                let (acceptor, bytes) = (acceptor.clone(), bytes.clone());
                tokio::spawn(async move {
                    let Ok(mut stream) = acceptor.accept(tcp).await else { return };
                    let mut head = Vec::new();
                    let mut b = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match stream.read(&mut b).await {
                            Ok(1) => head.push(b[0]),
                            _ => return,
                        }
                    }
                    let _ = stream.write_all(&bytes).await;
                    let _ = stream.flush().await;
                    if stall {
                        tokio::time::sleep(Duration::from_secs(120)).await;
                    }
                });
            }
        });
    });
    Server {
        addr,
        tls: true,
        seen: Arc::default(),
        streamed: Arc::default(),
        stop: Some(stop_tx),
        thread: Some(thread),
    }
}

/// A loopback port where connections time out, as behind a firewall that drops packets: a
/// listener with a backlog of 0 whose one slot is taken, so the kernel drops further SYNs.
pub struct Blackholed {
    pub addr: SocketAddr,
    _listener: std::net::TcpListener,
    _filler: std::net::TcpStream,
}

pub fn blackholed() -> Blackholed {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(0).unwrap();
        let addr = listener.local_addr().unwrap();
        let filler = std::net::TcpStream::connect(addr).unwrap();
        Blackholed { addr, _listener: listener.into_std().unwrap(), _filler: filler }
    })
}

/// A TCP forwarder on loopback to `upstream` that holds the server's first bytes back for
/// `delay`: a TLS handshake through it takes at least that long (a slow route or an inspecting
/// proxy). It stops with the process.
pub fn slow_forward(upstream: SocketAddr, delay: Duration) -> SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let Ok(server) = std::net::TcpStream::connect(upstream) else { return };
                let (mut c_read, mut s_write) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c_read, &mut s_write);
                });
                let (mut s_read, mut c_write) = (server, client);
                let mut first = true;
                let mut buf = [0u8; 16384];
                while let Ok(n) = s_read.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if std::mem::take(&mut first) {
                        std::thread::sleep(delay);
                    }
                    if c_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}
