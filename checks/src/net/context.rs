//! The network context shared by every check: the effective path (proxy, resolver pins, trust
//! anchors) computed once, one HTTP client built from it, and the log of every request made.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Client, Method, Response};
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use serde::Serialize;
use url::Url;

use crate::config::Config;
use crate::model::{Step, millis};
use crate::net::proxy_env::{self, ProxyChoice};
use crate::secret::Redactor;

/// Connect timeout for the connections the doctor opens on its own (the Python SDK's 5 s). The
/// HTTP client's connect budget is the app's (`net::connect::Budget::for_app`: this under the
/// SDK's default timeout, else the app's timeout), given to the TCP connection and again to the
/// TLS handshake, as httpx does.
pub const CONNECT_TIMEOUT: Duration = crate::sdk::policy::SDK_CONNECT_TIMEOUT;

pub use crate::details::tls::TrustSources;

/// Loads the OS trust store plus `--ca-file` certificates.
///
/// # Errors
/// A `--ca-file` that cannot be read or holds no certificate (a usage error: exit 2).
pub fn load_roots(config: &Config) -> Result<(Arc<RootCertStore>, Arc<RootCertStore>, TrustSources), String> {
    if config.pid.is_some() {
        // The app's trust, read through its root as its client reads it: never the doctor's.
        let app = crate::net::app_trust::AppTrust::read(config);
        let mut store = app.client;
        let (system, mut errors) = (store.len(), app.errors);
        let extra = add_ca_files(config, &mut store, &mut errors)?;
        let sources = TrustSources {
            system,
            extra,
            errors,
            app: Some(app.whose),
            files: app.files,
            looked: app.looked,
            certifi: app.certifi,
        };
        return Ok((Arc::new(store), Arc::new(app.os), sources));
    }
    let mut store = RootCertStore::empty();
    // The OS store reads SSL_CERT_FILE / SSL_CERT_DIR itself: refuse a FIFO or a device first.
    // rustls-native-certs reads this process's own variables, whatever --pid diagnoses.
    crate::fsread::check_trust_env(&crate::config::Env::from_process())?;
    let native = rustls_native_certs::load_native_certs();
    let (system, _) = store.add_parsable_certificates(native.certs);
    let os_only = Arc::new(store.clone());
    let mut errors: Vec<String> = native.errors.iter().map(ToString::to_string).collect();
    let extra = add_ca_files(config, &mut store, &mut errors)?;
    Ok((Arc::new(store), os_only, TrustSources { system, extra, errors, ..TrustSources::default() }))
}

/// Adds every `--ca-file` (files of the doctor's own machine) to `store`; how many it added.
fn add_ca_files(config: &Config, store: &mut RootCertStore, errors: &mut Vec<String>) -> Result<usize, String> {
    let mut extra = 0;
    for path in &config.ca_files {
        let certs = read_pem_certs(path)?;
        let (added, ignored) = store.add_parsable_certificates(certs);
        if ignored > 0 {
            errors.push(format!("{}: {ignored} certificate(s) could not be used", path.display()));
        }
        extra += added;
    }
    Ok(extra)
}

/// Reads every certificate in a PEM file.
///
/// # Errors
/// Unreadable file, or no certificate in it.
pub fn read_pem_certs(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let bytes = crate::fsread::read_regular(path, "CA file", crate::fsread::CA_FILE_LIMIT)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("CA file {} is not valid PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "CA file {} holds no certificate (expected -----BEGIN CERTIFICATE----- blocks)",
            path.display()
        ));
    }
    Ok(certs)
}

/// The redactor for a run: the API key (shown as its hint), every variable whose name says it
/// holds a secret (`*_KEY`, `*_SECRET`, `*_TOKEN`, `*_PASSWORD`, ...), and the password of every
/// proxy variable (or the whole value, when it holds credentials but does not parse).
#[must_use]
pub fn redactor_for(config: &Config) -> Redactor {
    let mut redactor = Redactor::new();
    if let Some(key) = config.api_key().filter(|k| !crate::secret::is_public_placeholder(k.expose())) {
        redactor.add_key(key);
    }
    // A base URL's password, read as written: `https://u:GW/pass@host` holds `GW/pass`, which a
    // URL parser (seeing host `u`) would never report.
    if let Some(secret) = crate::secret::url_credential(config.base_url.as_str()) {
        redactor.add_password(&crate::net::proxy_env::percent_decode(&secret));
        redactor.add_password(&secret);
    }
    for (name, value) in config.env.iter() {
        if value.contains("://")
            && value.contains('@')
            && let Some(secret) = crate::secret::url_credential(value)
        {
            redactor.add_password(&secret);
        }
        if crate::secret::is_secret_name(name) {
            // Only values shaped like a secret: `TOKENIZERS_PARALLELISM=false` is no secret, and
            // replacing every `false` would corrupt the reports.
            if !crate::secret::looks_like_secret(value) || crate::secret::is_public_placeholder(value) {
                continue;
            }
            if value.trim().starts_with("sk-") {
                redactor.add_key(&crate::secret::SecretString::new(value));
            } else {
                redactor.add_password(value);
            }
        } else if name.to_ascii_uppercase().ends_with("_PROXY") {
            match proxy_env::parse_proxy_url(value) {
                Ok(url) => {
                    if let Some(pw) = proxy_env::url_password(&url) {
                        redactor.add_password(&pw);
                    } else if !url.username().is_empty() {
                        // `http://KEY@proxy`: a user name alone is the credential.
                        redactor.add_password(&proxy_env::percent_decode(url.username()));
                    }
                }
                Err(_) if value.contains('@') => redactor.add_password(value),
                Err(_) => {}
            }
        }
    }
    redactor
}

/// The crypto provider of every TLS connection and verifier (ring), built once.
#[must_use]
pub fn crypto() -> Arc<rustls::crypto::CryptoProvider> {
    static PROVIDER: std::sync::OnceLock<Arc<rustls::crypto::CryptoProvider>> = std::sync::OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider())).clone()
}

/// A rustls client configuration trusting `roots`, with the ring provider.
#[must_use]
pub fn tls_config(roots: Arc<RootCertStore>, alpn: &[&[u8]]) -> rustls::ClientConfig {
    let mut cfg = rustls::ClientConfig::builder_with_provider(crypto())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    cfg
}

/// One HTTP request the doctor made, as it goes into the JSON report and the bundle.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    /// When it was sent (RFC 3339, UTC).
    pub at: String,
    /// The check that made it.
    pub check: crate::model::CheckId,
    /// HTTP method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// HTTP status, when a response came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Where a redirect (3xx) pointed: the next hop, never followed with the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Transport error, when none came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Total time until the body was read or the error happened.
    pub duration_ms: u64,
    /// Time until the response head arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttfb_ms: Option<u64>,
    /// Attempt number within a probe series (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// `X-Client-Request-Id` the doctor sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
    /// `x-request-id` the server answered with (Azure's `apim-request-id` when it sent none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// `apim-request-id`: Azure OpenAI's request id (its support asks for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apim_request_id: Option<String>,
    /// `openai-processing-ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_ms: Option<u64>,
    /// OpenAI's error code from the body (`invalid_api_key`, `insufficient_quota`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `x-ratelimit-*` headers as sent.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub ratelimit: std::collections::BTreeMap<String, String>,
    /// Who answered (requests to the base URL that got an answer): the API, an edge, a proxy, a
    /// gateway, a portal, with the evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<crate::net::answer::Attribution>,
}

/// A response with its body read up to a limit.
#[derive(Debug)]
pub struct Fetched {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body, at most `limit` bytes.
    pub body: Vec<u8>,
    /// The body was longer than the limit and was cut.
    pub truncated: bool,
    /// OpenAI's error object, for answers of 400 and above whose body holds one.
    pub api_error: Option<ApiError>,
    /// Time until the response head arrived.
    pub ttfb: Duration,
    /// Total time.
    pub elapsed: Duration,
    /// The URL that answered.
    pub url: Option<Url>,
}

/// Redirects: a request to the API (under the base URL) is never redirected by the client. The
/// client would drop the key on the way (another port or host) and the API's answer would then
/// blame a proxy; or follow `https` → `http` and show a pass from a server that never saw the key.
/// The probe reports the redirect itself instead ("the base URL redirects to X: use X"). Other
/// requests (the status page) follow up to five hops, as before.
fn redirect_policy(base: &Url) -> reqwest::redirect::Policy {
    let base = base.as_str().trim_end_matches('/').to_owned();
    reqwest::redirect::Policy::custom(move |attempt| {
        let first = attempt.previous().first().map(Url::as_str).unwrap_or_default();
        if first.starts_with(&base) {
            attempt.stop()
        } else if attempt.previous().len() > 5 {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

impl Fetched {
    /// An HTML page (an edge or proxy error page, a login page), by content type or first bytes.
    #[must_use]
    pub fn looks_like_html(&self) -> bool {
        let head = self.body.trim_ascii_start();
        self.content_type.as_deref().is_some_and(|c| c.to_ascii_lowercase().contains("text/html"))
            || (head.starts_with(b"<") && !head.starts_with(b"<?xml"))
    }

    /// A header's value as text.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The answer as `net::answer` judges it, for a request to `base`.
    #[must_use]
    pub fn answer(&self, base: &Url) -> crate::net::answer::Answer {
        let headers = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let answer = crate::net::answer::Answer {
            status: Some(self.status),
            headers,
            body: self.body.clone(),
            base_host: crate::net::answer::host_of(base),
            sent: crate::net::answer::Sent::default(),
        };
        // The URL asked tells whether an api-version was sent (Azure's 404 is the same without).
        match &self.url {
            Some(u) => answer.with_url(u),
            None => answer,
        }
    }
    /// Where a redirect points (its `Location`, resolved against the request's URL).
    #[must_use]
    pub fn redirect_target(&self) -> Option<Url> {
        if !(300..400).contains(&self.status) {
            return None;
        }
        let location = self.header("location")?;
        self.url.as_ref().map_or_else(|| Url::parse(location).ok(), |base| base.join(location).ok())
    }

    /// The `x-request-id`, capped (see `cap_request_id`); Azure's `apim-request-id` when there is
    /// none (Azure's front door answers a bad key with only that one).
    #[must_use]
    pub fn request_id(&self) -> Option<String> {
        self.header("x-request-id").or_else(|| self.header("apim-request-id")).map(cap_request_id)
    }
}

/// Longest request id kept, in characters. OpenAI's are `req_` and 32 hex digits; a server that
/// sends hundreds of kilobytes must not multiply them into every line of the report.
pub const MAX_REQUEST_ID: usize = 200;

/// `id`, or its first `MAX_REQUEST_ID` characters marked as cut with the length it had.
#[must_use]
pub fn cap_request_id(id: &str) -> String {
    match id.char_indices().nth(MAX_REQUEST_ID) {
        None => id.to_owned(),
        Some((end, _)) => format!("{}…[cut: {} bytes]", &id[..end], id.len()),
    }
}

/// What to record about a request besides what the exchange shows.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// `X-Client-Request-Id` sent with it.
    pub client_request_id: Option<String>,
    /// Attempt number in a series.
    pub attempt: Option<u32>,
}

/// The phase of a request that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Name resolution.
    Dns,
    /// TCP connect.
    Connect,
    /// TLS handshake or certificate.
    Tls,
    /// The proxy or its tunnel.
    Proxy,
    /// No complete answer in time.
    Timeout,
    /// Too many redirects.
    Redirect,
    /// Anything else on the HTTP level.
    Http,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Dns => "dns",
            Self::Connect => "connect",
            Self::Tls => "tls",
            Self::Proxy => "proxy",
            Self::Timeout => "timeout",
            Self::Redirect => "redirect",
            Self::Http => "http",
        })
    }
}

/// A lookup of `Net::resolve_ahead` that failed.
#[derive(Debug, Clone)]
pub struct LookupFailed {
    /// Why, in words (redacted).
    pub why: String,
    /// After how long.
    pub took: Duration,
    /// It ran out of time (rather than being answered with an error).
    pub ran_out_of_time: bool,
}

/// Why a request got no (complete) response, in words a user can act on.
#[derive(Debug, Clone)]
pub struct FetchError {
    /// Which phase failed.
    pub phase: Phase,
    /// The error chain, one line, redacted.
    pub message: String,
    /// The step of the connection the request ran out of time in, when it did (a connect or
    /// handshake over its budget); `None` for every other failure.
    pub out_of_time_in: Option<Step>,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The chain often names the phase already ("dns error: NXDOMAIN ...", "tunnel error: ...:
        // dns error: ..."): say it once.
        let phase = format!("{} error", self.phase);
        if self.message.to_ascii_lowercase().contains(&phase) {
            f.write_str(&self.message)
        } else {
            write!(f, "{phase}: {}", self.message)
        }
    }
}

/// The shared network context.
#[derive(Debug)]
pub struct Net {
    client: Client,
    /// The proxy that applies to the API URL, if a proxy variable is set.
    pub proxy: Option<ProxyChoice>,
    /// Trust anchors for every TLS connection (OS store + `--ca-file`).
    pub roots: Arc<RootCertStore>,
    /// The OS store alone (as curl and Go see it).
    pub roots_os: Arc<RootCertStore>,
    /// Where they came from.
    pub trust: TrustSources,
    /// Scrubs every string that leaves the process.
    pub redactor: Redactor,
    /// `NO_PROXY` (or `no_proxy`), as the client sees it.
    no_proxy: Option<String>,
    log: Mutex<Vec<RequestRecord>>,
    /// The base URL: answers to requests under it are attributed to their sender.
    base: Url,
    /// The client's resolver, with the names resolved ahead of a request.
    ahead: crate::net::resolve::AheadResolver,
    /// The client's connect budget (the app's, as httpx gives it).
    connect: crate::net::connect::Budget,
    /// The app calls the base URL as an OpenAI-compatible server (see `answer::Sent::compatible`).
    compatible: bool,
}

/// Why the network context could not be built: the caller tells the user's mistake (exit 2)
/// from a client that would not build from a valid configuration (exit 3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// The configuration names something unusable: a trust file, a proxy URL, a nameserver.
    #[error("{0}")]
    Input(String),
    /// The HTTP client did not build from a valid configuration (a bug, or the platform's TLS).
    #[error("{0}")]
    Client(String),
}

impl Net {
    /// Builds the context from a configuration.
    ///
    /// # Errors
    /// Unusable `--ca-file`, or an HTTP client that cannot be built from the settings.
    pub fn new(config: &Config) -> Result<Self, NetError> {
        let (roots, roots_os, trust) = load_roots(config).map_err(NetError::Input)?;
        let proxy = proxy_env::choose(&config.env, &config.base_url);
        let redactor = redactor_for(config);

        let connect = crate::net::connect::Budget::for_app(config.client_timeout);
        let mut tls = tls_config(roots.clone(), &[b"http/1.1"]);
        // Marks each handshake's start for the connect budget.
        tls.resumption = rustls::client::Resumption::store(crate::net::connect::MarkingStore::new());
        let mut builder = Client::builder()
            .use_preconfigured_tls(tls)
            .user_agent(concat!("openai-doctor/", env!("CARGO_PKG_VERSION")))
            // Not reqwest's connect_timeout, which would cover the connection and the handshake
            // together: each its own, as httpx gives them.
            .connector_layer(connect)
            .redirect(redirect_policy(&config.base_url))
            .http1_only()
            .no_proxy();
        let no_proxy = proxy_env::no_proxy(&config.env).map(str::to_owned);
        if let Some(url) = proxy.as_ref().and_then(ProxyChoice::in_path) {
            let mut p = reqwest::Proxy::all(url.as_str())
                .map_err(|e| NetError::Input(format!("proxy {}: {e}", proxy_env::redacted_url(url))))?;
            p = p.no_proxy(no_proxy.as_deref().and_then(reqwest::NoProxy::from_string));
            builder = builder.proxy(p);
        }
        let mut ahead = crate::net::resolve::AheadResolver::default();
        if let Some(server) = config.dns_server {
            let ns =
                crate::net::resolve::Nameserver::new(Some(server), Duration::from_secs(3)).map_err(NetError::Input)?;
            ahead.ns = Some(Arc::new(ns));
        }
        builder = builder.dns_resolver(Arc::new(ahead.clone()));
        for pin in &config.resolve {
            builder = builder.resolve(&pin.host, std::net::SocketAddr::new(pin.addr, pin.port));
        }
        let client = builder
            .build()
            .map_err(|e| NetError::Client(format!("cannot build the HTTP client: {}", error_chain(&e))))?;
        Ok(Self {
            client,
            proxy,
            roots,
            roots_os,
            trust,
            redactor,
            no_proxy,
            log: Mutex::new(Vec::new()),
            base: config.base_url.clone(),
            compatible: config.provider == crate::provider::Provider::Compatible,
            ahead,
            connect,
        })
    }

    /// An answer to a request under the base URL, as `net::answer` judges it: the base's host,
    /// and whether the app calls it as an OpenAI-compatible server.
    #[must_use]
    pub fn answer_of(&self, f: &Fetched) -> crate::net::answer::Answer {
        f.answer(&self.base).for_compatible(self.compatible)
    }

    /// The proxy in the path to the API: set, valid, and not bypassed by `NO_PROXY`.
    #[must_use]
    pub fn proxy_url(&self) -> Option<&Url> {
        self.proxy.as_ref().and_then(ProxyChoice::in_path)
    }

    /// The proxy a request to `url` goes through, if any (redacted, for messages).
    #[must_use]
    pub fn proxy_for(&self, url: &Url) -> Option<String> {
        let proxy = self.proxy_url()?;
        let bypassed = match (self.no_proxy.as_deref(), url.host_str()) {
            (Some(list), Some(host)) => proxy_env::no_proxy_list_match(list, host).is_some(),
            _ => false,
        };
        (!bypassed).then(|| proxy_env::redacted_url(proxy))
    }

    /// Resolves the host of `url` ahead of a request to it, the way the client would but outside
    /// its connect timeout (the SDKs' connect timeout does not include name resolution), and keeps
    /// the answer for the client's connections. `None` when the client makes no lookup of its own
    /// (an IP literal, a `--resolve` pin, a proxy in the path) or the name is resolved already;
    /// else how long the lookup took, or why it failed after how long.
    pub async fn resolve_ahead(
        &self,
        config: &Config,
        url: &Url,
        timeout: Duration,
    ) -> Option<Result<Duration, LookupFailed>> {
        let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']');
        let port = url.port_or_known_default()?;
        if host.parse::<std::net::IpAddr>().is_ok()
            || config.pin_for(host, port).is_some()
            || self.proxy_for(url).is_some()
            || self.ahead.cached(host).is_some()
        {
            return None;
        }
        let start = Instant::now();
        Some(match self.ahead.ahead(host, timeout).await {
            Ok(_) => Ok(start.elapsed()),
            Err(failure) => Err(LookupFailed {
                why: self.redactor.redact(&failure.describe()),
                took: start.elapsed(),
                ran_out_of_time: matches!(failure, crate::net::resolve::Failure::Timeout(_)),
            }),
        })
    }

    /// The HTTP client every check uses.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Every request made so far, in order.
    #[must_use]
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Appends a request to the log (URLs and errors are redacted first).
    pub fn record(&self, mut rec: RequestRecord) {
        rec.url = self.redactor.redact(&rec.url);
        rec.location = rec.location.map(|l| self.redactor.redact(&l));
        rec.error = rec.error.map(|e| self.redactor.redact(&e));
        if let Some(a) = &mut rec.answered_by {
            a.who = self.redactor.redact(&a.who);
            for e in &mut a.evidence {
                *e = self.redactor.redact(e);
            }
        }
        if let Ok(mut log) = self.log.lock() {
            log.push(rec);
        }
    }

    /// GET `url`, read at most `limit` bytes of the body within `timeout`, and log it.
    ///
    /// # Errors
    /// No response, or the body could not be read in time.
    pub async fn get(
        &self,
        check: crate::model::CheckId,
        url: &Url,
        limit: usize,
        timeout: Duration,
    ) -> Result<Fetched, FetchError> {
        self.send(check, self.client.request(Method::GET, url.clone()), limit, timeout, Meta::default()).await
    }

    /// Sends `request`, reads at most `limit` bytes of the body within `timeout`, and logs the
    /// exchange with its request ids, timings and rate-limit headers.
    ///
    /// # Errors
    /// No response, or the body could not be read in time.
    pub async fn send(
        &self,
        check: crate::model::CheckId,
        request: reqwest::RequestBuilder,
        limit: usize,
        timeout: Duration,
        meta: Meta,
    ) -> Result<Fetched, FetchError> {
        let at = now_rfc3339();
        let start = Instant::now();
        // Built once: the method and URL for the log come from the request itself (no copy of
        // the body, which with --send-payload can be large).
        let request = request.timeout(timeout).build();
        let (method, url) =
            request.as_ref().map_or((String::new(), String::new()), |r| (r.method().to_string(), r.url().to_string()));
        let result = tokio::time::timeout(timeout, async {
            let response =
                self.client.execute(request.map_err(|e| self.classify(&e))?).await.map_err(|e| self.classify(&e))?;
            let ttfb = start.elapsed();
            read_limited(response, limit, ttfb).await.map_err(|e| self.classify(&e))
        })
        .await
        .unwrap_or_else(|_| Err(FetchError { phase: Phase::Timeout, message: String::new(), out_of_time_in: None }))
        .map_err(|mut e| {
            // The time actually waited: the connect timeout may have ended it long before `timeout`
            // (a connect budget's error says it already).
            if e.phase == Phase::Timeout && e.out_of_time_in.is_none() {
                let waited = start.elapsed();
                e.message = if waited + Duration::from_millis(100) < timeout {
                    format!(
                        "no connection within {:.1} s ({})",
                        waited.as_secs_f64(),
                        crate::net::connect::budget_words(self.connect.tcp, self.connect.apps)
                    )
                } else {
                    format!("no complete answer within {:.1} s", waited.as_secs_f64())
                };
            }
            // A refusal or a timeout through a proxy is the proxy's as much as the server's.
            if let Some(proxy) = Url::parse(&url).ok().and_then(|u| self.proxy_for(&u)) {
                e.message.push_str(&format!(" (through proxy {proxy})"));
            }
            e
        });
        let elapsed = start.elapsed();
        let ok = result.as_ref().ok();
        let to_api = Url::parse(&url).is_ok_and(|u| {
            u.host_str() == self.base.host_str() && u.port_or_known_default() == self.base.port_or_known_default()
        });
        let answered_by = ok.filter(|_| to_api).map(|f| crate::net::answer::judge(&self.answer_of(f)).attribution());
        self.record(RequestRecord {
            at,
            check,
            method,
            url,
            status: ok.map(|f| f.status),
            location: ok.and_then(Fetched::redirect_target).map(|u| u.to_string()),
            error: result.as_ref().err().map(ToString::to_string),
            duration_ms: millis(elapsed),
            ttfb_ms: ok.map(|f| millis(f.ttfb)),
            attempt: meta.attempt,
            client_request_id: meta.client_request_id,
            request_id: ok.and_then(Fetched::request_id),
            apim_request_id: ok.and_then(|f| f.header("apim-request-id")).map(cap_request_id),
            processing_ms: ok.and_then(|f| f.header("openai-processing-ms")).and_then(|v| v.trim().parse().ok()),
            error_code: ok.and_then(|f| f.api_error.as_ref()).and_then(|e| e.code.clone()),
            ratelimit: ok
                .map(|f| {
                    f.headers
                        .iter()
                        .filter(|(k, _)| k.as_str().starts_with("x-ratelimit-"))
                        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default(),
            answered_by,
        });
        result.map(|mut f| {
            f.elapsed = elapsed;
            f
        })
    }

    /// Sorts a reqwest error into a phase, with its whole chain in one redacted line.
    #[must_use]
    pub fn classify(&self, e: &reqwest::Error) -> FetchError {
        let chain = error_chain(e);
        let lower = chain.to_ascii_lowercase();
        if e.is_redirect() {
            return FetchError {
                phase: Phase::Redirect,
                message: self.redactor.redact(&format!("too many redirects (a redirect loop?): {chain}")),
                out_of_time_in: None,
            };
        }
        // The connect budget ran out in one step: its own words, and the step.
        if let Some(o) = crate::net::connect::out_of_time(e) {
            return FetchError { phase: Phase::Timeout, message: o.to_string(), out_of_time_in: Some(o.step) };
        }
        let phase = if e.is_timeout() || lower.contains("timed out") {
            Phase::Timeout
        } else if lower.contains("dns error")
            || lower.contains("failed to lookup")
            || lower.contains("name or service not known")
        {
            Phase::Dns
        } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            Phase::Tls
        } else if lower.contains("proxy") || lower.contains("tunnel") {
            Phase::Proxy
        } else if e.is_connect() {
            Phase::Connect
        } else {
            Phase::Http
        };
        FetchError { phase, message: self.redactor.redact(&chain), out_of_time_in: None }
    }
}

async fn read_limited(mut response: Response, limit: usize, ttfb: Duration) -> Result<Fetched, reqwest::Error> {
    let status = response.status().as_u16();
    let url = Some(response.url().clone());
    let headers = response.headers().clone();
    let content_type =
        response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await? {
        let room = limit.saturating_sub(body.len());
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    // Only error answers are worth parsing as OpenAI's error object.
    let api_error = if status >= 400 { error_body(&body) } else { None };
    Ok(Fetched { status, content_type, headers, body, truncated, api_error, ttfb, elapsed: Duration::ZERO, url })
}

/// OpenAI's error object: `{"error": {"message", "type", "code", "param"}}`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ApiError {
    /// Human message.
    #[serde(default)]
    pub message: Option<String>,
    /// Error type (`invalid_request_error`, `server_error`, ...).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Error code (`invalid_api_key`, `insufficient_quota`, ...).
    #[serde(default, deserialize_with = "string_or_number")]
    pub code: Option<String>,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v: Option<serde_json::Value> = serde::Deserialize::deserialize(d)?;
    Ok(match v {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// Parses OpenAI's error body (`None` for anything else: HTML pages, empty bodies).
#[must_use]
pub fn error_body(body: &[u8]) -> Option<ApiError> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        error: ApiError,
    }
    serde_json::from_slice::<Envelope>(body).ok().map(|e| e.error)
}

/// The error and all its sources, joined with `: `, without repeats and without the wrappers
/// that say nothing (reqwest's "error sending request for url (...)", hyper's "client error
/// (Connect)"): `tcp connect error: Connection refused (os error 111)`.
#[must_use]
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        let noise = text.starts_with("error sending request for url")
            || text.starts_with("client error (")
            || text.starts_with("error trying to connect")
            || text == "error resolving DNS";
        if noise || parts.iter().any(|p| p.contains(&text)) {
            // Said already (a wrapper quoting its source), or a wrapper that says nothing.
        } else if let Some(p) = parts.iter_mut().find(|p| text.starts_with(p.as_str())) {
            // A source that repeats its wrapper's words and adds to them: keep only the fuller one
            // ("dns error" + "dns error: error resolving DNS: ..." said once).
            *p = text;
        } else {
            parts.push(text);
        }
        cur = err.source();
    }
    if parts.is_empty() {
        return e.to_string();
    }
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(": ");
        }
        let _ = write!(out, "{p}");
    }
    // A cause that repeats the words before it ("dns error: dns error: …"): once.
    let mut segments: Vec<&str> = Vec::new();
    for seg in out.split(": ") {
        if segments.last().is_none_or(|last| !last.eq_ignore_ascii_case(seg)) {
            segments.push(seg);
        }
    }
    segments.join(": ")
}

/// Now, as RFC 3339 UTC with millisecond precision.
#[must_use]
pub fn now_rfc3339() -> String {
    let now = jiff::Timestamp::now();
    format!("{now:.3}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;

    #[tokio::test]
    async fn a_connect_timeout_says_the_time_actually_waited() {
        // A listener whose backlog is full: Linux drops the next SYN, so the connect times out.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(0).unwrap();
        let addr = listener.local_addr().unwrap();
        let _filler = std::net::TcpStream::connect(addr).unwrap();
        let cfg = Config::new(crate::config::Env::from_pairs([("OPENAI_API_KEY", "sk-x")]));
        let net = Net::new(&cfg).unwrap();
        let url = Url::parse(&format!("https://{addr}/v1/models")).unwrap();
        let start = Instant::now();
        let e = net.get(crate::model::CheckId::Probe, &url, 1024, Duration::from_secs(12)).await.unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(8), "{:?}", start.elapsed());
        assert_eq!(e.phase, Phase::Timeout, "{e}");
        assert!(e.message.starts_with("no connection within 5.0 s (the connect timeout, 5 s)"), "{e}");

        // The app's own timeout is its connect timeout (httpx.Timeout(1.0) connects within 1 s).
        let mut cfg = cfg;
        cfg.client_timeout = Duration::from_secs(1);
        let net = Net::new(&cfg).unwrap();
        let start = Instant::now();
        let e = net.get(crate::model::CheckId::Probe, &url, 1024, Duration::from_secs(12)).await.unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
        assert_eq!(e.phase, Phase::Timeout, "{e}");
        assert!(
            e.message
                .starts_with("no connection within 1.0 s (your timeout, 1 s, as httpx applies it to connecting too)"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_name_is_resolved_ahead_once_and_never_for_a_literal() {
        let cfg = Config::new(crate::config::Env::from_pairs([("OPENAI_API_KEY", "sk-x")]));
        let net = Net::new(&cfg).unwrap();
        let literal = Url::parse("https://127.0.0.1:9/v1").unwrap();
        assert!(net.resolve_ahead(&cfg, &literal, Duration::from_secs(5)).await.is_none());
        let named = Url::parse("https://localhost:9/v1").unwrap();
        assert!(matches!(net.resolve_ahead(&cfg, &named, Duration::from_secs(5)).await, Some(Ok(_))));
        assert!(net.ahead.cached("localhost").is_some_and(|a| !a.is_empty()));
        assert!(net.resolve_ahead(&cfg, &named, Duration::from_secs(5)).await.is_none(), "kept for the run");
    }

    #[test]
    fn an_error_chain_says_each_cause_once() {
        #[derive(Debug)]
        struct E(&'static str, Option<Box<E>>);
        impl std::fmt::Display for E {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for E {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_deref().map(|e| e as _)
            }
        }
        let inner = E("error resolving DNS: no record found for status.test", None);
        let middle = E("dns error: error resolving DNS: no record found for status.test", Some(Box::new(inner)));
        let outer = E("dns error", Some(Box::new(middle)));
        assert_eq!(error_chain(&outer), "dns error: error resolving DNS: no record found for status.test");
        // A wrapper and its source with the same words, each adding its own: each said once.
        let inner = E("dns error: failed to lookup address information: Name does not resolve", None);
        let outer = E("Dns Error: dns error", Some(Box::new(inner)));
        assert_eq!(error_chain(&outer), "Dns Error: failed to lookup address information: Name does not resolve");
        // The phase named inside the chain (through a proxy tunnel) is not put in front again.
        let e = FetchError {
            phase: Phase::Dns,
            message: "tunnel error: dns error: failed to lookup".to_owned(),
            out_of_time_in: None,
        };
        assert_eq!(e.to_string(), "tunnel error: dns error: failed to lookup");
        let e = FetchError { phase: Phase::Dns, message: "failed to lookup".to_owned(), out_of_time_in: None };
        assert_eq!(e.to_string(), "dns error: failed to lookup");
    }

    #[test]
    fn the_redactor_knows_every_secret_in_the_environment() {
        let env = Env::from_pairs([
            ("OPENAI_API_KEY", "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789WXYZ"),
            ("OPENAI_WEBHOOK_SECRET", "whsec_webhooksecret42"),
            // Not the proxy in the path (the API is https), its password is scrubbed all the same.
            ("HTTP_PROXY", "http://bob:pl%40in-pass@proxy:3128"),
            // curl accepts user:password@host:port without a scheme.
            ("all_proxy", "bob:s3cr3t-pw@proxy:3128"),
            // A scheme the doctor does not parse: the whole value is a secret then.
            ("ALL_PROXY", "socks5://u:sockspw1@host:1080"),
            ("SSL_CERT_FILE", "/etc/ssl/ca.pem"),
            // Named like a secret, shaped like a setting: left alone.
            ("TOKENIZERS_PARALLELISM", "false"),
            ("https_proxy", "http://USERONLYTOKEN@proxy:3128"),
        ]);
        let r = redactor_for(&Config::new(env));
        let out = r.redact("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789WXYZ whsec_webhooksecret42 pl@in-pass s3cr3t-pw socks5://u:sockspw1@host:1080 /etc/ssl/ca.pem false USERONLYTOKEN");
        assert_eq!(out, "sk-proj-…WXYZ *** *** *** *** /etc/ssl/ca.pem false ***");
    }

    #[test]
    fn a_documented_placeholder_key_is_no_secret_but_a_real_one_is() {
        // Ollama's docs: api_key="ollama" (required, but unused); its advice names `ollama pull`.
        let r = redactor_for(&Config::new(Env::from_pairs([("OPENAI_API_KEY", "ollama"), ("VLLM_API_KEY", "EMPTY")])));
        assert_eq!(r.redact("ollama pull llama3.2 (EMPTY)"), "ollama pull llama3.2 (EMPTY)");
        let r = redactor_for(&Config::new(Env::from_pairs([("OPENAI_API_KEY", "ollama-team-key-93f1")])));
        assert!(!r.redact("key ollama-team-key-93f1").contains("ollama-team-key-93f1"));
    }
}
