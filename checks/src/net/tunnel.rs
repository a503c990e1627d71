//! Connections as a client makes them: TCP with refused / timed out / unreachable told apart,
//! and an HTTP CONNECT tunnel through a proxy (with Basic credentials), read with bounded size
//! and time. Shared by the `proxy` check (does the tunnel open?) and `tls` (handshake through it).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

/// A byte stream: TCP, or TLS to an https proxy.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Why a TCP connection did not open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectFailure {
    /// RST: nothing listens, or a firewall rejects.
    Refused,
    /// No answer at all (packets dropped).
    Timeout,
    /// No route to the network or host.
    Unreachable,
    /// No route because this machine (or container) has no interface but loopback.
    NoNetwork,
    /// Anything else.
    Other,
}

impl ConnectFailure {
    /// Words for a report.
    #[must_use]
    pub fn words(&self) -> &'static str {
        match self {
            Self::Refused => "connection refused",
            Self::Timeout => "no answer (timed out)",
            Self::Unreachable => "network unreachable",
            Self::NoNetwork => "no network (the only interface is loopback)",
            Self::Other => "connection failed",
        }
    }
}

/// A failed TCP connect.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectError {
    /// The address tried.
    pub addr: SocketAddr,
    /// What happened.
    pub kind: ConnectFailure,
    /// The OS error text.
    pub detail: String,
    /// Time until the failure.
    pub elapsed_ms: u64,
}

/// Opens a TCP connection within `timeout`.
///
/// # Errors
/// The classified failure.
pub async fn tcp(addr: SocketAddr, timeout: Duration) -> Result<(TcpStream, Duration), ConnectError> {
    let start = Instant::now();
    let fail =
        |kind, detail: String| ConnectError { addr, kind, detail, elapsed_ms: crate::model::millis(start.elapsed()) };
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => {
            let _ = stream.set_nodelay(true);
            Ok((stream, start.elapsed()))
        }
        Ok(Err(e)) => {
            let kind = match e.kind() {
                std::io::ErrorKind::ConnectionRefused => ConnectFailure::Refused,
                std::io::ErrorKind::TimedOut => ConnectFailure::Timeout,
                std::io::ErrorKind::NetworkUnreachable
                | std::io::ErrorKind::HostUnreachable
                | std::io::ErrorKind::AddrNotAvailable => {
                    // With nothing but loopback, the cause is the missing network, not a route.
                    if crate::net::interfaces::only_loopback() {
                        ConnectFailure::NoNetwork
                    } else {
                        ConnectFailure::Unreachable
                    }
                }
                _ => ConnectFailure::Other,
            };
            Err(fail(kind, e.to_string()))
        }
        Err(_) => Err(fail(ConnectFailure::Timeout, format!("no answer within {:.1} s", timeout.as_secs_f64()))),
    }
}

/// The proxy's answer to CONNECT.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectReply {
    /// HTTP status.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// Response headers (names lower-cased).
    pub headers: Vec<(String, String)>,
    /// Time from sending CONNECT to the end of the response head.
    pub elapsed_ms: u64,
}

impl ConnectReply {
    /// All values of a header.
    #[must_use]
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
}

/// Why a CONNECT got no usable answer.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum TunnelError {
    /// Nothing came back in time.
    Timeout(String),
    /// The connection closed before a full response head.
    Closed(String),
    /// What came back is not HTTP.
    NotHttp(String),
    /// Socket error.
    Io(String),
}

/// Most bytes read for a CONNECT response head.
const MAX_HEAD: usize = 16 * 1024;

/// Sends `CONNECT host:port` over `stream` (with Basic credentials from the proxy URL) and reads
/// the response head within `timeout`.
///
/// # Errors
/// No complete, parseable response head in time.
pub async fn connect(
    stream: &mut (impl Io + ?Sized),
    proxy: &Url,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<ConnectReply, TunnelError> {
    let start = Instant::now();
    let authority = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
    let mut req = format!(
        "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: openai-doctor/{}\r\n",
        env!("CARGO_PKG_VERSION")
    );
    if !proxy.username().is_empty() {
        let user = crate::net::proxy_env::percent_decode(proxy.username());
        let pass = crate::net::proxy_env::url_password(proxy).unwrap_or_default();
        req.push_str(&format!("Proxy-Authorization: Basic {}\r\n", b64(format!("{user}:{pass}").as_bytes())));
    }
    req.push_str("\r\n");
    let io = async {
        stream.write_all(req.as_bytes()).await.map_err(|e| TunnelError::Io(e.to_string()))?;
        let mut head = Vec::with_capacity(1024);
        let mut buf = [0u8; 1024];
        loop {
            // Read byte-wise up to the end of the head: whatever follows belongs to the tunnel.
            let n = stream.read(&mut buf[..1]).await.map_err(|e| TunnelError::Io(e.to_string()))?;
            if n == 0 {
                return Err(TunnelError::Closed(if head.is_empty() {
                    "the proxy closed the connection without answering".to_owned()
                } else {
                    format!("the proxy closed the connection after {} bytes", head.len())
                }));
            }
            head.push(buf[0]);
            if head.ends_with(b"\r\n\r\n") {
                break;
            }
            if head.len() == 5 && !head.starts_with(b"HTTP/") {
                return Err(TunnelError::NotHttp(describe_bytes(&head)));
            }
            if head.len() >= MAX_HEAD {
                return Err(TunnelError::NotHttp(format!("response head larger than {} KiB", MAX_HEAD / 1024)));
            }
        }
        parse_head(&head, start)
    };
    match tokio::time::timeout(timeout, io).await {
        Ok(r) => r,
        Err(_) => Err(TunnelError::Timeout(format!("no answer to CONNECT within {:.1} s", timeout.as_secs_f64()))),
    }
}

fn describe_bytes(b: &[u8]) -> String {
    if b.first() == Some(&0x16) || b.first() == Some(&0x15) {
        "the proxy answered with TLS: it expects https:// in the proxy URL".to_owned()
    } else {
        format!("the proxy answered {:?}, not HTTP", String::from_utf8_lossy(b))
    }
}

/// Standard base64 (RFC 4648), as `Proxy-Authorization: Basic` carries it.
fn b64(input: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(input)
}

pub(crate) fn parse_head(head: &[u8], start: Instant) -> Result<ConnectReply, TunnelError> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
        return Err(TunnelError::NotHttp(format!("bad status line {status_line:?}")));
    };
    let status: u16 = code
        .parse()
        .ok()
        .filter(|_| version.starts_with("HTTP/"))
        .ok_or_else(|| TunnelError::NotHttp(format!("bad status line {status_line:?}")))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(ConnectReply {
        status,
        reason: parts.next().unwrap_or("").to_owned(),
        headers,
        elapsed_ms: crate::model::millis(start.elapsed()),
    })
}

/// Why the stream to a proxy did not open.
#[derive(Debug, Clone)]
pub enum OpenError {
    /// TCP failed.
    Connect(ConnectError),
    /// TLS with an https proxy failed.
    Tls(String),
}

/// Opens the stream to a proxy: TCP, plus TLS when the proxy URL is https (verified with `roots`).
///
/// # Errors
/// Connect failure, or a failed TLS handshake with the proxy.
pub async fn open_proxy(
    addr: SocketAddr,
    proxy: &Url,
    roots: Arc<rustls::RootCertStore>,
    timeout: Duration,
) -> Result<(Box<dyn Io>, Duration), OpenError> {
    let (tcp, elapsed) = tcp(addr, timeout).await.map_err(OpenError::Connect)?;
    if proxy.scheme() != "https" {
        return Ok((Box::new(tcp), elapsed));
    }
    let host = crate::config::bare_host(proxy);
    let name = rustls::pki_types::ServerName::try_from(host)
        .map_err(|e| OpenError::Tls(format!("proxy host is not a valid TLS name: {e}")))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(crate::net::context::tls_config(roots, &[])));
    match tokio::time::timeout(timeout, connector.connect(name, tcp)).await {
        Ok(Ok(tls)) => Ok((Box::new(tls), elapsed)),
        Ok(Err(e)) => Err(OpenError::Tls(format!("TLS with the proxy failed: {e}"))),
        Err(_) => Err(OpenError::Tls("TLS with the proxy did not finish in time".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(b64(i.as_bytes()), o);
        }
    }

    #[test]
    fn heads_parse() {
        let r = parse_head(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\nProxy-Authenticate: Negotiate\r\n\r\n", Instant::now()).unwrap();
        assert_eq!(r.status, 407);
        assert_eq!(r.header_values("proxy-authenticate"), ["Basic realm=\"x\"", "Negotiate"]);
        assert!(matches!(parse_head(b"SSH-2.0-x\r\n\r\n", Instant::now()), Err(TunnelError::NotHttp(_))));
    }

    #[test]
    fn credentials_are_decoded() {
        use crate::net::proxy_env::percent_decode;
        assert_eq!(percent_decode("p%40ss%3A1"), "p@ss:1");
        assert_eq!(percent_decode("a+b"), "a+b");
        assert_eq!(percent_decode("a&b=c"), "a&b=c");
    }
}
