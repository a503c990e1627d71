//! The `tls` check: TCP to each resolved address (IPv4 and IPv6 told apart; refused, timed out and
//! unreachable told apart) or through the proxy's CONNECT tunnel, then a rustls handshake with the
//! effective trust anchors. On failure it names the exact fault (unknown issuer — a TLS-inspecting
//! proxy — expired, not yet valid, wrong name) and, always, which client families would trust it.

pub mod chain;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{CertificateError, Error as TlsError};

use crate::details::Details;
use crate::details::tls::{Connection, Session, Tls};
use crate::engine::check::{Activity, BoxFuture, Check, CheckInfo, Context};
use crate::model::millis;
use crate::model::{CheckId, Code, Finding, Outcome, Severity, Status, Step};
use crate::net::tunnel::{self, ConnectError, ConnectFailure, Io};
use chain::{CertInfo, Recorder};

static INFO: CheckInfo = CheckInfo {
    id: CheckId::Tls,
    title: "TCP and TLS",
    verifies: "each address accepts TCP on the API port, and the TLS handshake verifies with the trust anchors clients use",
    guide_step: "2. Check your network connection (TCP, TLS, certificates)",
    time_limit: Duration::from_secs(10),
    codes: &[
        &NO_PROXY_BYPASS,
        &CONNECT_REFUSED,
        &CONNECT_TIMEOUT_CODE,
        &UNREACHABLE,
        &NO_NETWORK,
        &FAMILY_UNREACHABLE,
        &UNKNOWN_ISSUER,
        &EXPIRED,
        &NOT_YET_VALID,
        &NAME_MISMATCH,
        &HANDSHAKE,
        &HANDSHAKE_TIMEOUT_CODE,
        &CLIENT_TRUST,
        &SLOW,
        &TRUST_FILE_MISSING,
        &MISSING_INTERMEDIATE,
        &NO_CA_CERTIFICATES,
        &IPV6_NO_ROUTE,
    ],
};

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

code!(
    NO_PROXY_BYPASS,
    "tls.no_proxy_bypass",
    "NO_PROXY sends clients direct, and only the proxy gets out",
    "A proxy variable is set, but a NO_PROXY entry matches the API host, so clients connect to it \
directly. Here the direct connection fails, while the proxy, asked to CONNECT to the API host, \
gets there: the network lets HTTPS out only through the proxy.\n\nFix: remove the entry from \
NO_PROXY and no_proxy.\n\nVerify: the proxy check shows the proxy in the path, and tls passes."
);
code!(
    MISSING_INTERMEDIATE,
    "tls.missing_intermediate",
    "The server does not send its intermediate certificate",
    "The server presented its certificate alone, issued by an intermediate CA it did not send (the \
certificate's Authority Information Access names where that intermediate lives). Browsers fetch \
missing intermediates; OpenSSL-based clients (Python, curl, Node.js), Go in most setups and rustls \
do not, so they fail with 'unable to get local issuer certificate'. This is not a TLS-inspecting \
proxy: no corporate root is needed.\n\nFix: on the server, serve the full chain (fullchain.pem). \
If you cannot change the server (a gateway run by someone else), add the intermediate to the bundle \
your client trusts (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, --ca-file here).\n\nVerify: the tls check \
passes."
);
code!(
    NO_CA_CERTIFICATES,
    "tls.no_ca_certificates",
    "This container has no CA certificates",
    "The trust store the client reads is empty: a slim image built without the ca-certificates \
package, or a bundle path that holds nothing. Every HTTPS connection fails verification: curl exits \
77 ('error setting certificate file'), Python fails with CERTIFICATE_VERIFY_FAILED, Go with 'x509: \
certificate signed by unknown authority'. With --pid the doctor reads the app's store through \
/proc/PID/root the way the app's client does (the OS bundle paths, certifi for Python, Node's bundled \
roots), so this is the app's own view.\n\nFix: install ca-certificates in the image (apt-get install \
ca-certificates, apk add ca-certificates, dnf install ca-certificates), or mount a bundle and point \
SSL_CERT_FILE at it.\n\nVerify: the tls check passes."
);
code!(
    TRUST_FILE_MISSING,
    "tls.trust_file_missing",
    "A variable names a CA file that does not exist or cannot be read",
    "SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE or NODE_EXTRA_CA_CERTS names a file that is \
not there (or not readable, or not a file). Clients fail in their own ways: the Python openai client \
fails when it is constructed, with a bare `FileNotFoundError: [Errno 2] No such file or directory` \
that names no file; requests raises `OSError: Could not find a suitable TLS CA certificate bundle`; \
curl exits 77; Node.js warns \"Ignoring extra certs\" and goes on without them.\n\nFix: point the \
variable at the CA bundle that exists in this environment (a path from another machine or image is \
the usual cause), or unset it.\n\nVerify: the tls check no longer reports it."
);

/// The trust variables and what a missing file does to the clients that read them.
const TRUST_VARIABLES: &[(&str, Severity, &str)] = &[
    (
        "SSL_CERT_FILE",
        Severity::Fail,
        "the Python openai client fails when it is constructed (FileNotFoundError, no file named); OpenSSL-based clients, curl among them, fail verification",
    ),
    (
        "REQUESTS_CA_BUNDLE",
        Severity::Fail,
        "Python requests raises OSError: Could not find a suitable TLS CA certificate bundle",
    ),
    ("CURL_CA_BUNDLE", Severity::Fail, "curl exits 77 (problem with the CA cert)"),
    (
        "NODE_EXTRA_CA_CERTS",
        Severity::Warn,
        "Node.js warns \"Ignoring extra certs\" and connects without them, so a private CA is not trusted",
    ),
];

/// One finding per trust variable naming a file that is not there, not a file, or unreadable.
fn trust_file_findings(cfg: &crate::config::Config) -> Vec<Finding> {
    let env = &cfg.env;
    TRUST_VARIABLES
        .iter()
        .filter_map(|&(var, severity, effect)| {
            let path = env.non_empty(var)?;
            let file = cfg.file(path);
            let problem = match std::fs::metadata(&file) {
                Ok(m) if m.is_file() => std::fs::File::open(&file).err().map(|e| e.to_string())?,
                Ok(_) => "it is not a file".to_owned(),
                Err(e) => e.to_string(),
            };
            Some(Finding::new(
                &TRUST_FILE_MISSING,
                severity,
                format!("{var}={path}: {problem}; {effect}"),
                format!("Point {var} at a CA bundle that exists here, or unset it."),
            ))
        })
        .collect()
}

/// A TCP connect slower than this, or a TLS handshake slower than twice this, is worth a warning.
pub const SLOW_CONNECT_MS: u64 = 1_000;

code!(
    SLOW,
    "tls.slow",
    "Connecting is slow (TCP over 1 s or TLS over 2 s)",
    "The TCP connect took over a second, or the TLS handshake over two. Every new connection pays \
it, on top of the request.\n\nUsual causes: a long or congested route (a VPN, a distant egress), \
a TLS-inspecting proxy that fetches the real certificate first, a throttled CPU (a container's CPU \
quota makes the handshake's crypto slow), packet loss with retransmits.\n\nFix: check the route \
and the proxy; raise the container's CPU limit; keep connections alive (reuse one client).\n\n\
Verify: the tls check passes without it."
);
code!(
    CONNECT_REFUSED,
    "tls.connect_refused",
    "TCP connection refused",
    "The address answered with a reset: nothing listens on that port there, or a firewall rejects \
the connection. Clients fail at once with ECONNREFUSED ('Connection error.').\n\nFix: check the \
port in OPENAI_BASE_URL; check egress firewall rules for this host.\n\nVerify: the tls check connects."
);
code!(
    CONNECT_TIMEOUT_CODE,
    "tls.connect_timeout",
    "TCP connection timed out",
    "No answer to the TCP handshake: packets are dropped on the way (an egress firewall, a security \
group without outbound 443, a VPC without NAT, as in a Lambda function in a private subnet). \
Clients wait for their connect timeout (5 s in the Python SDK), retry, and report 'Connection \
error.' or 'Request timed out.'.\n\nFix: allow outbound TCP 443 to the API (or route through your \
proxy: set HTTPS_PROXY).\n\nVerify: the tls check connects in milliseconds."
);
code!(
    UNREACHABLE,
    "tls.unreachable",
    "Network unreachable",
    "The host has no route to the address. Typical for IPv6 addresses on IPv4-only networks, or a \
host without a default route.\n\nFix: check the routing table and VPN; for IPv6, prefer IPv4.\n\nVerify: the tls check connects."
);
code!(
    NO_NETWORK,
    "tls.no_network",
    "This machine (or container) has no network: only loopback",
    "No route to the API because the only network interface is loopback: a container started with \
--network none, a pod whose network was not set up, a sandbox. Seen here when the API host is an \
IP address (no lookup to fail first).\n\nFix: give the container a network (drop --network none, \
docker network connect, the pod's CNI).\n\nVerify: the tls check connects."
);
code!(
    IPV6_NO_ROUTE,
    "tls.ipv6_no_route",
    "The host resolves only to IPv6 here, and this machine has no IPv6 route",
    "Every address the API host resolved to is IPv6, and the routing table has no IPv6 route to \
it (a container on a network without IPv6, a host or VPN with IPv4 only). The OS refuses at once: \
'Network is unreachable' or 'Cannot assign requested address' (errno 99), which clients report as \
'Connection error.'.\n\nFix: give the host an IPv4 address (an A record; an IPv4 line in /etc/hosts \
or --add-host), or give this network IPv6 (docker network create --ipv6, IPv6 egress for the \
VPC).\n\nVerify: the tls check connects."
);
code!(
    FAMILY_UNREACHABLE,
    "tls.family_unreachable",
    "Reachable over one IP family only",
    "Connections work over IPv4 or IPv6 but not both. Clients that race both families (Happy \
Eyeballs: curl, Go, recent Python and Node.js 20+) succeed; clients that try addresses in order \
(older Node.js, openai-node v4) may hang on the broken family first.\n\nFix: fix the broken family, \
or make clients prefer the working one (NODE_OPTIONS=--dns-result-order=ipv4first).\n\nVerify: both families connect."
);
code!(
    UNKNOWN_ISSUER,
    "tls.unknown_issuer",
    "The certificate's issuer is not trusted",
    "The server presented a chain that does not lead to a trusted root. When the issuer is not a \
public CA for api.openai.com (Let's Encrypt, Google Trust Services, ...), a TLS-inspecting proxy \
(Zscaler, Netskope, a corporate firewall) is in the path and re-signs traffic with its own CA. \
Python reports CERTIFICATE_VERIFY_FAILED / 'unable to get local issuer certificate', Node \
SELF_SIGNED_CERT_IN_CHAIN / UNABLE_TO_GET_ISSUER_CERT_LOCALLY.\n\nFix: get the proxy's root CA \
from IT. Python (openai/httpx, requests): SSL_CERT_FILE and REQUESTS_CA_BUNDLE replace the public \
roots, so point them at a bundle of the public roots plus that CA (cat \"$(python -m certifi)\" \
ca.pem > bundle.pem), never at the CA alone; Node.js: NODE_EXTRA_CA_CERTS=ca.pem (added to its \
roots); curl, Go: the OS store; --ca-file here. Never turn verification off.\n\nVerify: the tls check passes and lists your clients as trusting the chain."
);
code!(
    EXPIRED,
    "tls.expired",
    "The certificate has expired (or the clock is ahead)",
    "The presented certificate's validity ended before the local time. Either the server (or an \
intercepting proxy) serves an expired certificate, or this machine's clock is wrong — common in \
containers and VMs restored from snapshots.\n\nFix: compare the local clock with real time \
(`date -u`); fix NTP; if the clock is right, the server side must renew.\n\nVerify: the tls check passes."
);
code!(
    NOT_YET_VALID,
    "tls.not_yet_valid",
    "The certificate is not valid yet (the clock is behind?)",
    "The certificate's validity starts after the local time. Almost always this machine's clock is \
behind (a container or VM without time sync).\n\nFix: fix the clock (NTP, `timedatectl set-ntp \
true`, the hypervisor's time sync).\n\nVerify: `date -u` shows the real time and the tls check passes."
);
code!(
    NAME_MISMATCH,
    "tls.name_mismatch",
    "The certificate is not valid for this host",
    "The server presented a certificate for other names: the base URL points at the wrong server, \
DNS or a hosts-file entry sends the host elsewhere, or a proxy answers with its own certificate.\n\n\
Fix: check the host in OPENAI_BASE_URL and what it resolves to (see the dns check).\n\nVerify: the tls check passes."
);
code!(
    HANDSHAKE,
    "tls.handshake",
    "The TLS handshake failed",
    "The TLS handshake did not complete for a reason other than the certificate: the server speaks \
plain HTTP on this port, a middlebox resets the connection, or no protocol version or cipher \
is shared. The finding quotes the error.\n\nFix: as the error says; check the scheme and port of \
OPENAI_BASE_URL.\n\nVerify: the tls check passes."
);
code!(
    HANDSHAKE_TIMEOUT_CODE,
    "tls.handshake_timeout",
    "The TLS handshake did not finish",
    "TCP connected, but the server never completed the TLS handshake: a middlebox that accepts and \
stalls, a proxy that swallows the ClientHello, or a server that is overloaded.\n\nFix: check \
middleboxes on the path; try from another network.\n\nVerify: the handshake finishes in milliseconds."
);
code!(
    CLIENT_TRUST,
    "tls.client_trust",
    "Some clients would not trust this chain",
    "The doctor verified the chain (with the OS store and any --ca-file), but some client families \
use other stores: Python's httpx and requests use certifi (the Mozilla bundle) unless \
SSL_CERT_FILE / REQUESTS_CA_BUNDLE say otherwise; Node.js uses its own Mozilla bundle plus \
NODE_EXTRA_CA_CERTS. This is how 'curl works but Python fails' happens.\n\nFix: the finding \
names, per client, the one variable to set.\n\nVerify: every client you use is listed as trusting the chain."
);

/// The `tls` check.
#[derive(Debug)]
pub struct TlsCheck;

impl Check for TlsCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn needs(&self, ctx: &Context) -> &'static [CheckId] {
        if ctx.net.proxy_url().is_some() { &[CheckId::Dns, CheckId::Proxy] } else { &[CheckId::Dns] }
    }

    fn run<'a>(&'a self, ctx: &'a Context, activity: &'a Activity) -> BoxFuture<'a, Outcome> {
        Box::pin(run(ctx, activity))
    }
}

/// One attempt: a TCP connection (direct or via the proxy) and, when it opened, a handshake.
struct Attempt {
    label: String,
    family: &'static str,
    connect: Result<Duration, ConnectError>,
    handshake: Option<Handshake>,
}

struct Handshake {
    elapsed: Duration,
    result: Result<Session, HandshakeError>,
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
}

enum HandshakeError {
    /// The trust store is empty: nothing can verify.
    NoAnchors,
    Tls(TlsError),
    Timeout,
    Other(String),
}

async fn run(ctx: &Context, activity: &Activity) -> Outcome {
    let out = connect_and_judge(ctx, activity).await;
    // Only a failure to reach the host can be NO_PROXY's doing; a certificate problem cannot.
    let unreachable = out.findings.first().is_some_and(|f| {
        [&CONNECT_REFUSED, &CONNECT_TIMEOUT_CODE, &UNREACHABLE, &crate::net::resolve::ERROR]
            .iter()
            .any(|c| c.id == f.code)
    });
    if !unreachable {
        return out;
    }
    let timeout = activity.bounded(Duration::from_secs(5), Duration::from_millis(300));
    crate::net::bypass::name_if_cause(&ctx.config, &ctx.net, out, &NO_PROXY_BYPASS, timeout).await
}

async fn connect_and_judge(ctx: &Context, activity: &Activity) -> Outcome {
    let host = crate::config::bare_host(&ctx.config.base_url);
    let port = ctx.config.api_port();
    if ctx.config.base_url.scheme() != "https" {
        return Outcome::with_status(
            Status::Warn,
            format!("{} uses plain http: no TLS to check", ctx.config.base_url),
            Details::nothing(),
        )
        .and(Finding::new(
            &HANDSHAKE,
            Severity::Warn,
            "the base URL is http://, so requests and the API key cross the network unencrypted",
            "Use an https:// base URL.",
        ));
    }
    let proxy = ctx.net.proxy_url().cloned();
    let (dial_host, dial_port) = ctx.first_hop();
    activity.set(format!("resolving {dial_host}"));
    let ips = ctx.first_hop_addrs(activity.bounded(Duration::from_secs(5), Duration::from_secs(1))).await;
    let ips = match ips {
        Ok(ips) => ips,
        Err(e) => {
            return Outcome::with_status(Status::Fail, format!("{dial_host} does not resolve"), Details::nothing())
                .and(Finding::new(
                    &crate::net::resolve::ERROR,
                    Severity::Fail,
                    format!("{dial_host}: {e}"),
                    "See the dns check (run it with --only dns).",
                ));
        }
    };
    let Ok(server_name) = ServerName::try_from(host.clone()) else {
        return Outcome::with_status(
            Status::Fail,
            format!("`{host}` is not a valid TLS server name"),
            Details::nothing(),
        );
    };
    let recorder_roots = ctx.net.roots.clone();
    let connect_timeout = activity.bounded(crate::net::context::CONNECT_TIMEOUT, Duration::from_millis(800));
    activity.set(format!(
        "connecting to {} on port {dial_port}{}",
        ips.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        proxy.as_ref().map_or(String::new(), |p| format!(" (proxy {})", crate::net::proxy_env::redacted_url(p)))
    ));

    // Connect to every address at once; handshake on the first that opens, per family.
    let connects = ips.iter().map(|&ip| {
        let addr = SocketAddr::new(ip, dial_port);
        let family = if ip.is_ipv4() { "IPv4" } else { "IPv6" };
        let (proxy, roots, host) = (proxy.clone(), ctx.net.roots.clone(), host.clone());
        async move { (addr, family, open(addr, proxy.as_ref(), roots, &host, port, connect_timeout).await) }
    });
    let opened = futures_join_all(connects).await;

    let mut attempts = Vec::new();
    let mut handshaken_families: Vec<&str> = Vec::new();
    for (addr, family, result) in opened {
        let label = if proxy.is_some() { format!("{host}:{port} via proxy {addr}") } else { addr.to_string() };
        match result {
            Ok((stream, elapsed)) if !handshaken_families.contains(&family) => {
                handshaken_families.push(family);
                activity.set(format!("TLS handshake with {host} at {label}"));
                let timeout = activity.bounded(HANDSHAKE_TIMEOUT, Duration::from_millis(300));
                let hs = handshake(stream, server_name.clone(), recorder_roots.clone(), timeout).await;
                attempts.push(Attempt { label, family, connect: Ok(elapsed), handshake: Some(hs) });
            }
            Ok((_, elapsed)) => attempts.push(Attempt { label, family, connect: Ok(elapsed), handshake: None }),
            Err(e) => attempts.push(Attempt { label, family, connect: Err(e), handshake: None }),
        }
    }
    let mut out = judge(ctx, &host, port, &attempts);
    for finding in trust_file_findings(&ctx.config) {
        out = out.and(finding);
    }
    out
}

/// A TCP connection to `addr`, or through the proxy at `addr` a CONNECT tunnel to the API host.
async fn open(
    addr: SocketAddr,
    proxy: Option<&url::Url>,
    roots: Arc<rustls::RootCertStore>,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<(Box<dyn Io>, Duration), ConnectError> {
    let Some(url) = proxy else {
        return tunnel::tcp(addr, timeout).await.map(|(s, d)| (Box::new(s) as Box<dyn Io>, d));
    };
    let failed = |detail: String, elapsed_ms| ConnectError { addr, kind: ConnectFailure::Other, detail, elapsed_ms };
    match tunnel::open_proxy(addr, url, roots, timeout).await {
        Ok((mut s, d)) => match tunnel::connect(&mut s, url, host, port, timeout).await {
            Ok(r) if r.status == 200 => Ok((s, d)),
            Ok(r) => Err(failed(format!("proxy answered CONNECT with {} {}", r.status, r.reason), millis(d))),
            Err(e) => Err(failed(format!("proxy CONNECT failed: {e:?}"), millis(d))),
        },
        Err(tunnel::OpenError::Connect(e)) => Err(e),
        Err(tunnel::OpenError::Tls(text)) => Err(failed(text, 0)),
    }
}

/// Runs the futures concurrently (one task each) and returns their outputs in order.
async fn futures_join_all<F>(futs: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}

async fn handshake(
    stream: Box<dyn Io>,
    name: ServerName<'static>,
    roots: Arc<rustls::RootCertStore>,
    timeout: Duration,
) -> Handshake {
    let start = Instant::now();
    let Some(recorder) = Recorder::new(roots) else {
        return Handshake { elapsed: Duration::ZERO, result: Err(HandshakeError::NoAnchors), chain: Vec::new() };
    };
    let mut cfg = rustls::ClientConfig::builder_with_provider(crate::net::context::crypto())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let result = match tokio::time::timeout(timeout, connector.connect(name, stream)).await {
        Ok(Ok(tls)) => {
            let (_, conn) = tls.get_ref();
            Ok(Session {
                version: conn.protocol_version().map(|v| format!("{v:?}").replace("TLSv1_", "TLS 1.")),
                cipher: conn.negotiated_cipher_suite().map(|c| format!("{:?}", c.suite())),
                alpn: conn.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned()),
            })
        }
        Ok(Err(e)) => Err(match e.get_ref().and_then(|i| i.downcast_ref::<TlsError>()) {
            Some(tls) => HandshakeError::Tls(tls.clone()),
            None => HandshakeError::Other(e.to_string()),
        }),
        Err(_) => Err(HandshakeError::Timeout),
    };
    Handshake { elapsed: start.elapsed(), result, chain: recorder.chain() }
}

fn judge(ctx: &Context, host: &str, port: u16, attempts: &[Attempt]) -> Outcome {
    let connects: Vec<Connection> = attempts
        .iter()
        .map(|a| match &a.connect {
            Ok(d) => Connection::Connected { to: a.label.clone(), family: a.family.to_owned(), connect_ms: millis(*d) },
            Err(e) => Connection::Failed {
                to: a.label.clone(),
                family: a.family.to_owned(),
                error: e.kind.words().to_owned(),
                detail: e.detail.clone(),
                after_ms: e.elapsed_ms,
            },
        })
        .collect();
    let hs = attempts.iter().find_map(|a| a.handshake.as_ref().map(|h| (a, h)));
    let chain_info: Vec<CertInfo> =
        hs.map(|(_, h)| h.chain.iter().filter_map(chain::describe).collect()).unwrap_or_default();
    let trust = hs
        .filter(|(_, h)| !h.chain.is_empty())
        .map(|(_, h)| {
            chain::client_trust(
                &h.chain,
                host,
                &ctx.net.roots_os,
                &ctx.config,
                ctx.config.ca_files.first().map(std::path::PathBuf::as_path),
                ctx.net.trust.certifi.as_deref().map(|shown| (&ctx.net.roots, shown)),
            )
        })
        .unwrap_or_default();
    let mut details = Tls {
        host: host.to_owned(),
        port,
        connections: connects,
        chain: chain_info.iter().map(CertInfo::shown).collect(),
        trust_anchors: ctx.net.trust.clone(),
        clients: trust.iter().map(chain::ClientTrust::shown).collect(),
        session: None,
        connect_ms: None,
        handshake_ms: None,
        error: None,
    };

    // No connection at all.
    let Some((attempt, hs)) = hs else {
        let facts = &ctx.facts;
        return no_connection(host, port, attempts, details, facts.hosts_pinned.get(), facts.private_endpoint.get());
    };

    let mut out = match &hs.result {
        Ok(session) => {
            let leaf = chain_info.first();
            let days = leaf.map(|c| (c.not_after_unix - jiff::Timestamp::now().as_second()) / 86_400);
            let summary = format!(
                "{}, {}{}, {}connect {} ms, handshake {} ms",
                session.version.as_deref().unwrap_or("TLS"),
                session.cipher.as_deref().unwrap_or(""),
                session.alpn.as_deref().map_or(String::new(), |a| format!(", ALPN {a}")),
                leaf.map_or(String::new(), |c| {
                    let days = days.unwrap_or(0);
                    format!("certificate from {} valid {}, ", c.issuer(), crate::model::plural(days, "more day"))
                }),
                attempt.connect.as_ref().map(|d| millis(*d)).unwrap_or(0),
                millis(hs.elapsed),
            );
            // With --pid: whose trust verified it, and from which file of which root.
            let summary = match (&ctx.net.trust.app, ctx.net.trust.files.first()) {
                (Some(app), Some(file)) => format!("{summary}; verified with the trust of {app}: {file}"),
                _ => summary,
            };
            details.session = Some(session.clone());
            let (connect_ms, handshake_ms) = (attempt.connect.as_ref().map_or(0, |d| millis(*d)), millis(hs.elapsed));
            let _ = (ctx.facts.connect_ms.set(connect_ms), ctx.facts.handshake_ms.set(handshake_ms));
            let slow = (connect_ms > SLOW_CONNECT_MS || handshake_ms > 2 * SLOW_CONNECT_MS).then(|| {
                Finding::new(
                    &SLOW,
                    Severity::Warn,
                    format!("connecting took {connect_ms} ms and the TLS handshake {handshake_ms} ms (over {SLOW_CONNECT_MS} ms / {} ms): every new connection pays it", 2 * SLOW_CONNECT_MS),
                    "Usual causes: a long route (VPN, distant egress), a TLS-inspecting proxy, a throttled CPU (container CPU quota), packet loss. See `openai-doctor explain tls.slow`.",
                )
                // The steps it names: those over their limit.
                .about(match (connect_ms > SLOW_CONNECT_MS, handshake_ms > 2 * SLOW_CONNECT_MS) {
                    (true, true) => &[Step::Connect, Step::Tls],
                    (true, false) => &[Step::Connect],
                    _ => &[Step::Tls],
                })
            });
            details.connect_ms = Some(connect_ms);
            details.handshake_ms = Some(handshake_ms);
            Outcome::from_findings(summary, details, slow.into_iter().collect())
        }
        Err(HandshakeError::NoAnchors) => {
            let t = &ctx.net.trust;
            let whose =
                t.app.as_deref().map_or_else(|| "the doctor's own OS store".to_owned(), |a| format!("{a}: its store"));
            let looked =
                if t.looked.is_empty() { String::new() } else { format!(" (looked for {})", t.looked.join(", ")) };
            let root = ctx.config.pid.map_or_else(String::new, |p| format!(" in /proc/{p}/root"));
            let msg = format!(
                "This container has no CA certificates: install ca-certificates (apt/apk/dnf). {whose} is empty{looked}{root}, so its clients cannot verify {host} or any server (curl exits 77, Python fails with CERTIFICATE_VERIFY_FAILED)"
            );
            details.error = Some(msg.clone());
            Outcome::with_status(Status::Fail, format!("TLS to {host} cannot be verified: no CA certificates"), details)
                .and(Finding::new(
                    &NO_CA_CERTIFICATES,
                    Severity::Fail,
                    msg,
                    "Install ca-certificates in the image (apt-get install ca-certificates / apk add ca-certificates / dnf install ca-certificates), or mount a CA bundle and set SSL_CERT_FILE to it.",
                ))
        }
        Err(err) => {
            let (code, msg, remedy) = explain_failure(err, &chain_info, host, port, &ctx.net.roots);
            details.error = Some(msg.clone());
            Outcome::with_status(Status::Fail, format!("TLS to {host} failed: {}", code.title.to_lowercase()), details)
                .and(Finding::new(code, Severity::Fail, msg, remedy))
        }
    };

    let trust_warning =
        if hs.result.is_ok() { client_trust_finding(&trust, ctx.net.trust.app.as_deref()) } else { None };
    for finding in trust_warning.into_iter().chain(family_finding(host, attempts)) {
        out = out.and(finding);
    }
    out
}

/// No TCP connection to any address: the worst failure decides the code.
fn no_connection(
    host: &str,
    port: u16,
    attempts: &[Attempt],
    details: Tls,
    pinned: Option<&Vec<IpAddr>>,
    private_endpoint: Option<&Vec<IpAddr>>,
) -> Outcome {
    let errors: Vec<&ConnectError> = attempts.iter().filter_map(|a| a.connect.as_ref().err()).collect();
    let worst = errors
        .iter()
        .map(|e| &e.kind)
        .find(|k| **k == ConnectFailure::Timeout)
        .or_else(|| errors.first().map(|e| &e.kind))
        .cloned()
        .unwrap_or(ConnectFailure::Other);
    let code = match worst {
        ConnectFailure::Refused => &CONNECT_REFUSED,
        ConnectFailure::Timeout => &CONNECT_TIMEOUT_CODE,
        ConnectFailure::Unreachable => &UNREACHABLE,
        ConnectFailure::NoNetwork => &NO_NETWORK,
        ConnectFailure::Other => &HANDSHAKE,
    };
    let mut list = errors
        .iter()
        .map(|e| format!("{}: {} after {} ms ({})", e.addr, e.kind.words(), e.elapsed_ms, e.detail))
        .collect::<Vec<_>>()
        .join("; ");
    // Every address tried came from a hosts-file line that overrides DNS: that line is the cause.
    let from_hosts_file = pinned.is_some_and(|p| !errors.is_empty() && errors.iter().all(|e| p.contains(&e.addr.ip())));
    if from_hosts_file {
        list.push_str(&format!(
            "; these addresses come from the {host} line of the hosts file, which overrides DNS (see the dns check): that line is the likely cause"
        ));
    }
    // Every address tried is an Azure resource's private endpoint (the dns check said so): this
    // machine is outside its virtual network, and that is the cause.
    let outside_vnet = !from_hosts_file
        && private_endpoint.is_some_and(|p| !errors.is_empty() && errors.iter().all(|e| p.contains(&e.addr.ip())));
    if outside_vnet {
        list.push_str(&format!(
            "; these are the private endpoint's addresses of {host} (see the dns check): they answer only inside its virtual network, so this machine is outside it"
        ));
    }
    // Only IPv6 addresses, and no IPv6 route here: one sentence, not an errno's label.
    let v6: Vec<std::net::Ipv6Addr> = errors
        .iter()
        .filter_map(|e| match e.addr.ip() {
            IpAddr::V6(ip) => Some(ip),
            IpAddr::V4(_) => None,
        })
        .collect();
    let only_v6 = !errors.is_empty() && v6.len() == attempts.len() && worst == ConnectFailure::Unreachable;
    if only_v6 && v6.iter().all(|ip| crate::net::interfaces::ipv6_route_to(*ip) == Some(false)) {
        let sentence = format!("{host} resolves only to IPv6 here, and this machine has no IPv6 route");
        let addrs = v6.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        let said = errors.first().map_or(String::new(), |e| e.detail.clone());
        let source = if from_hosts_file { "the hosts file" } else { "the lookup" };
        return Outcome::with_status(Status::Fail, sentence.clone(), details).and(Finding::new(
            &IPV6_NO_ROUTE,
            Severity::Fail,
            format!("{sentence}: {source} gave {addrs}, and /proc/net/ipv6_route has no route to it but loopback's (the OS said: {said})"),
            "Give the host an IPv4 address (an A record, or an IPv4 line in /etc/hosts / --add-host), or give this network IPv6 (docker network create --ipv6, IPv6 egress).",
        ));
    }
    let summary = format!("cannot connect to {host}:{port}: {}", worst.words());
    let remedy = match worst {
        ConnectFailure::Refused => {
            "Check the port in OPENAI_BASE_URL and egress firewall rules; nothing accepts connections there."
        }
        ConnectFailure::Timeout => {
            "Packets are dropped: allow outbound TCP 443 (security groups, firewall, NAT for private subnets) or route through your proxy (HTTPS_PROXY)."
        }
        ConnectFailure::Unreachable => "No route: check the routing table, VPN, and IPv6 support.",
        ConnectFailure::NoNetwork => crate::net::interfaces::NO_NETWORK_FIX,
        ConnectFailure::Other => "See the error; check the proxy settings (proxy check).",
    };
    let remedy = if from_hosts_file {
        "Remove or correct the host's line in the hosts file (/etc/hosts; in a container, --add-host or the pod's hostAliases put it there), then connect to what DNS answers."
    } else if outside_vnet {
        "Run the app from inside the resource's virtual network (or a peered network, or a VPN/ExpressRoute with routes to the private endpoint's subnet); or enable public network access on the resource and stop resolving the privatelink zone here (the DNS forwarder, the private DNS zone link, a hosts-file entry)."
    } else {
        remedy
    };

    Outcome::with_status(Status::Fail, summary, details).and(Finding::new(code, Severity::Fail, list, remedy))
}

/// The clients that would not trust a chain the doctor trusts.
fn client_trust_finding(trust: &[chain::ClientTrust], app: Option<&str>) -> Option<Finding> {
    let untrusting: Vec<_> = trust.iter().filter(|t| !t.trusted).collect();
    if untrusting.is_empty() {
        return None;
    }
    let fixes = untrusting.iter().map(|t| format!("{}: {}", t.client, t.fix)).collect::<Vec<_>>().join("; ");
    Some(Finding::new(
        &CLIENT_TRUST,
        Severity::Warn,
        format!(
            "{} trusts this chain, but these clients would not: {}",
            app.map_or_else(|| "the doctor".to_owned(), |a| format!("the client of {a}")),
            untrusting.iter().map(|t| t.client).collect::<Vec<_>>().join(", ")
        ),
        fixes,
    ))
}

/// One address family failing while the other works.
fn family_finding(host: &str, attempts: &[Attempt]) -> Option<Finding> {
    let failed_families: Vec<&str> = attempts.iter().filter(|a| a.connect.is_err()).map(|a| a.family).collect();
    let ok_families: Vec<&str> = attempts.iter().filter(|a| a.connect.is_ok()).map(|a| a.family).collect();
    let bad = failed_families.iter().find(|f| !ok_families.contains(f))?;
    let e = attempts.iter().find(|a| a.family == *bad).and_then(|a| a.connect.as_ref().err());
    Some(Finding::new(
        &FAMILY_UNREACHABLE,
        Severity::Warn,
        format!(
            "{host} connects over {} but not over {bad} ({})",
            ok_families.first().unwrap_or(&"?"),
            e.map_or(String::new(), |e| format!("{}: {}", e.addr, e.kind.words()))
        ),
        "Clients with Happy Eyeballs (curl, Go, Node.js 20+) recover; for older Node.js set NODE_OPTIONS=--dns-result-order=ipv4first, or fix the broken family.",
    ))
}

fn explain_failure(
    err: &HandshakeError,
    chain: &[CertInfo],
    host: &str,
    port: u16,
    roots: &rustls::RootCertStore,
) -> (&'static Code, String, String) {
    let leaf = chain.first();
    let now = jiff::Timestamp::now();
    let clock = format!("local clock {}", now.strftime("%Y-%m-%dT%H:%M:%SZ"));
    let ca_fixes = &format!("Get your proxy's root CA (ca.pem) from IT. {}", chain::trust_advice("ca.pem"));
    match err {
        HandshakeError::Timeout => (
            &HANDSHAKE_TIMEOUT_CODE,
            format!("{host}: connected, but the TLS handshake did not finish in time"),
            "Something on the path accepts the connection and stalls: check middleboxes and the proxy.".to_owned(),
        ),
        HandshakeError::NoAnchors => (
            &NO_CA_CERTIFICATES,
            format!("{host}: no CA certificates to verify with"),
            "Install ca-certificates (apt/apk/dnf).".to_owned(),
        ),
        HandshakeError::Other(e) => (
            &HANDSHAKE,
            format!("{host}: {e}"),
            "Check the scheme and port of OPENAI_BASE_URL, and the proxy settings.".to_owned(),
        ),
        HandshakeError::Tls(TlsError::InvalidCertificate(cert_err)) => match cert_err {
            // A chain of one whose leaf was issued by an intermediate it names (AIA): the server
            // left its intermediate out. An inspecting proxy mints leaves that name no such place.
            CertificateError::UnknownIssuer
                if chain.len() == 1 && chain[0].ca_issuers.is_some() && !chain[0].self_issued =>
            {
                let issuer = chain[0].issuer();
                let at = chain[0].ca_issuers.clone().unwrap_or_default();
                (
                    &MISSING_INTERMEDIATE,
                    format!(
                        "{host} sent only its own certificate, issued by {issuer}, without that intermediate certificate (the certificate says it lives at {at}): browsers fetch it, but OpenSSL-based clients (Python, curl, Node.js) and rustls do not"
                    ),
                    "On the server: serve the full chain (the leaf and its intermediate: fullchain.pem, not cert.pem). If you cannot fix the server: add the intermediate to the bundle your client trusts (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, --ca-file). No corporate root is involved.".to_owned(),
                )
            }
            // A chain of one naming no place for its issuer: a server without its intermediate
            // and an inspecting proxy look alike. Say which the evidence favours, or both.
            CertificateError::UnknownIssuer if chain.len() == 1 && !chain[0].self_issued => {
                let issuer = chain[0].issuer();
                match chain::intermediate_evidence(&chain[0], roots) {
                    Some(why) => (
                        &MISSING_INTERMEDIATE,
                        format!(
                            "{host} sent only its own certificate, issued by {issuer}, without that intermediate (the certificate names no place to fetch it): the server does not send its intermediate, as {why}; OpenSSL-based clients (Python, curl, Node.js) and rustls fail"
                        ),
                        "On the server: serve the full chain (the leaf and its intermediate: fullchain.pem, not cert.pem). If you cannot fix the server: add the intermediate to the bundle your client trusts (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, --ca-file). No corporate root is involved.".to_owned(),
                    ),
                    None => (
                        &UNKNOWN_ISSUER,
                        format!(
                            "{host} sent only its own certificate, issued by {issuer}, which no trusted root vouches for and which names no place to fetch its issuer. Either a TLS-inspecting proxy on this network re-signs traffic with its own CA, or the server does not send its intermediate. To tell: `openssl s_client -connect {host}:{port} -showcerts` here and from another network (a phone hotspot): the same issuer on both means the server (it must serve its full chain), another issuer here means a proxy on this network"
                        ),
                        format!("If it is the server: serve the full chain (fullchain.pem). If it is a proxy: {ca_fixes}"),
                    ),
                }
            }
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                let top = chain.last();
                let issuer = top.map_or_else(|| "an unknown issuer".to_owned(), CertInfo::issuer);
                (
                    &UNKNOWN_ISSUER,
                    format!(
                        "{host} presented a certificate issued by {issuer}, which no trusted root vouches for: a TLS-inspecting proxy (Zscaler, Netskope, a corporate firewall) usually does this"
                    ),
                    ca_fixes.to_owned(),
                )
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::ExpiredRevocationList => {
                let until = leaf.map_or_else(String::new, |c| format!("valid until {}", c.not_after));
                (&EXPIRED, format!("{host}: the certificate has expired ({until}; {clock})"), "If the local clock is wrong (check `date -u`), fix it (NTP); otherwise the server side must renew the certificate.".to_owned())
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                let from = leaf.map_or_else(String::new, |c| format!("valid from {}", c.not_before));
                (
                    &NOT_YET_VALID,
                    format!(
                        "{host}: the certificate is not valid yet ({from}; {clock}): this machine's clock is probably behind"
                    ),
                    "Fix the clock: enable NTP (timedatectl set-ntp true) or the VM/container time sync.".to_owned(),
                )
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                let names = leaf.map_or_else(String::new, |c| c.names.join(", "));
                (
                    &NAME_MISMATCH,
                    format!("{host}: the certificate is valid for {names}, not for {host}"),
                    "Check OPENAI_BASE_URL's host and what it resolves to (dns check, hosts file).".to_owned(),
                )
            }
            other => (&UNKNOWN_ISSUER, format!("{host}: certificate rejected: {other:?}"), ca_fixes.to_owned()),
        },
        HandshakeError::Tls(TlsError::InvalidMessage(m)) => (
            &HANDSHAKE,
            format!("{host}: the server did not speak TLS ({m:?}): plain HTTP on this port?"),
            "Check the scheme and port of OPENAI_BASE_URL.".to_owned(),
        ),
        HandshakeError::Tls(other) => {
            (&HANDSHAKE, format!("{host}: {other}"), "Check the proxy and middleboxes on the path.".to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed_out(addr: &str) -> Attempt {
        Attempt {
            label: addr.to_owned(),
            family: "IPv4",
            connect: Err(ConnectError {
                addr: addr.parse().unwrap(),
                kind: ConnectFailure::Timeout,
                detail: "connection timed out".into(),
                elapsed_ms: 10_000,
            }),
            handshake: None,
        }
    }

    fn details() -> Tls {
        Tls {
            host: "res.openai.azure.com".into(),
            port: 443,
            connections: Vec::new(),
            chain: Vec::new(),
            trust_anchors: crate::details::tls::TrustSources::default(),
            clients: Vec::new(),
            session: None,
            connect_ms: None,
            handshake_ms: None,
            error: None,
        }
    }

    /// The dns check's private-endpoint addresses, all timing out: the machine is outside the
    /// VNet, and the finding says so with the fix; another address is not blamed on it.
    #[test]
    fn a_private_endpoint_out_of_reach_is_named() {
        let endpoint: Vec<IpAddr> = vec!["10.20.30.40".parse().unwrap()];
        let attempts = [timed_out("10.20.30.40:443")];
        let out = no_connection("res.openai.azure.com", 443, &attempts, details(), None, Some(&endpoint));
        assert_eq!(out.status, Status::Fail);
        let f = &out.findings[0];
        assert!(f.message.contains("private endpoint") && f.message.contains("outside"), "{}", f.message);
        assert!(f.remedy.contains("virtual network") && f.remedy.contains("public network access"), "{}", f.remedy);

        let attempts = [timed_out("192.0.2.7:443")];
        let out = no_connection("res.openai.azure.com", 443, &attempts, details(), None, Some(&endpoint));
        assert!(!out.findings[0].message.contains("private endpoint"), "{}", out.findings[0].message);
        let out = no_connection("res.openai.azure.com", 443, &[timed_out("10.20.30.40:443")], details(), None, None);
        assert!(!out.findings[0].message.contains("private endpoint"), "no dns fact, no claim");
    }
}
