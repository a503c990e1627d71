//! The `probe` check: is the key usable, and do simple authenticated requests work? A series of
//! `GET /models` (each with a fresh `X-Client-Request-Id`, retried with the SDKs' backoff and
//! `Retry-After` handling), then one minimal billable chat completion. Every non-2xx is
//! classified by status *and* body; the verdict says transient or persistent.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use reqwest::Method;

use crate::details::probe::{Chat, Class, Endpoint, LatencyMs, Probe, ReduceStep, Reduced};
use crate::details::{self, Details};
use crate::engine::check::{Activity, BoxFuture, Check, CheckInfo, Context};
use crate::engine::facts::Latency;
use crate::model::millis;
use crate::model::{CheckId, Code, Finding, Outcome, Severity, Status};
use crate::net::context::{ApiError, Fetched};
use crate::secret::SecretString;

mod answered;
mod azure_v1;
mod codes;
mod key;
mod rate;
mod reduce;
mod shape;
mod size;

pub use codes::*;
pub use key::inspect_key;

static INFO: CheckInfo = CheckInfo {
    id: CheckId::Probe,
    title: "Authenticated probe",
    verifies: "the API key, and a series of simple authenticated requests (GET /models, one 1-token chat completion), retried like the SDKs",
    guide_step: "3. Try a simpler request; 4. Retry with exponential backoff",
    // The SDKs' whole-request timeout: a request is bounded by it and by --deadline, nothing else.
    time_limit: crate::sdk::policy::SDK_DEFAULT_TIMEOUT,
    codes: &[
        &NO_KEY,
        &KEY_WHITESPACE,
        &KEY_FORMAT,
        &KEY_OTHER_VENDOR,
        &INVALID_KEY,
        &ORG_MISMATCH,
        &ACCOUNT_DEACTIVATED,
        &KEY_NOT_RECEIVED,
        &MODEL_ACCESS,
        &NO_ORGANIZATION,
        &REGION,
        &FORBIDDEN,
        &NOT_FOUND,
        &MODEL_NOT_FOUND,
        &RATE_LIMITED,
        &QUOTA,
        &SERVER_ERROR,
        &EDGE_ERROR,
        &CONNECTION,
        &REDIRECT,
        &UNEXPECTED,
        &INTERMITTENT,
        &STOPPED_EARLY,
        &NOT_MEASURED,
        &CLOCK_SKEW,
        &SLOW_FIRST_BYTE,
        &REDUCED,
        &PAYLOAD_FAILS,
        &PAYLOAD_SIZE,
        &PAYLOAD_CONTENT,
        &EDGE_BLOCKED,
        &PROXY_BLOCKED,
        &CAPTIVE_PORTAL,
        &NOT_API,
        &GATEWAY_ERROR,
        &BILLING,
        &KEY_SCOPES,
        &HTTPS_REQUIRED,
        &ORG_VERIFICATION,
        &REQUEST_REJECTED,
        &PROJECT_MISMATCH,
        &AZURE_API_VERSION,
        &AZURE_DEPLOYMENT,
        &BASE_URL_QUERY,
        &AZURE_CLIENT,
        &AZURE_V1,
    ],
};

/// Most bytes of a response body read.
const MAX_BODY: usize = 1024 * 1024;
/// Clock skew worth a warning.
const SKEW_WARN: i64 = 60;
/// A first byte of `GET /models` slower than this is worth a warning.
const SLOW_FIRST_BYTE_MS: u64 = 5_000;
/// Attempts of the billable completion at most (the first and the SDKs' two retries).
const CHAT_ATTEMPTS: u32 = 3;

/// The `probe` check.
#[derive(Debug)]
pub struct ProbeCheck;

impl Check for ProbeCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn needs(&self, _ctx: &Context) -> &'static [CheckId] {
        &[CheckId::Tls]
    }

    fn run<'a>(&'a self, ctx: &'a Context, activity: &'a Activity) -> BoxFuture<'a, Outcome> {
        Box::pin(run(ctx, activity))
    }

    fn offline(&self, ctx: &Context) -> Vec<Finding> {
        // Whether the key is there and shaped like one needs no network.
        inspect_key(&ctx.config.credential, &ctx.config.provider).1
    }
}

/// What one request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Ok,
    InvalidKey,
    OrgMismatch,
    AccountDeactivated,
    KeyNotReceived,
    ModelAccess,
    NoOrganization,
    Region,
    Forbidden,
    NotFound,
    ModelNotFound,
    RateLimited,
    Quota,
    Server(u16),
    Edge(u16),
    /// A JSON error from Cloudflare's edge (`cf_bad_gateway`, `cf_gateway_timeout`).
    CfEdge(u16),
    Transport(crate::net::context::Phase),
    /// A 3xx with a `Location`: the base URL redirects (never followed with the key).
    Redirect(u16),
    Other(u16),
    /// Cloudflare's firewall (1020) or rate limit (1015) in front of the API.
    EdgeBlocked(u16),
    /// A proxy or secure web gateway on the caller's network.
    Proxy(u16),
    /// A captive portal or login page.
    Portal(u16),
    /// Not the API, not recognised.
    NotApi(u16),
    /// The gateway at the base URL, its own error.
    Gateway(u16),
    /// `billing_not_active`, `billing_hard_limit_reached`.
    Billing,
    /// A restricted key without the scope.
    KeyScopes,
    /// The API was called over plain http.
    HttpsRequired,
    /// The organization must be verified.
    OrgVerification,
    /// The request itself: parameter, value, context length, retired model, too large.
    RequestRejected(u16),
    /// The OpenAI-Project header names another project.
    ProjectMismatch,
}

impl Kind {
    /// Its class: a bounded label for metrics.
    fn class(&self) -> Class {
        use crate::net::context::Phase;
        match self {
            Self::Ok => Class::Ok,
            Self::RateLimited | Self::Quota => Class::RateLimited,
            Self::InvalidKey
            | Self::OrgMismatch
            | Self::AccountDeactivated
            | Self::KeyNotReceived
            | Self::ModelAccess
            | Self::NoOrganization
            | Self::Region
            | Self::Forbidden
            | Self::KeyScopes
            | Self::OrgVerification
            | Self::ProjectMismatch => Class::Auth,
            Self::Billing => Class::RateLimited,
            Self::HttpsRequired | Self::RequestRejected(_) => Class::ClientError,
            Self::Gateway(s) if *s >= 500 => Class::ServerError,
            Self::Gateway(408) => Class::Timeout,
            Self::Gateway(_) => Class::ClientError,
            Self::EdgeBlocked(_) | Self::Proxy(_) | Self::Portal(_) | Self::NotApi(_) => Class::Other,
            Self::NotFound | Self::ModelNotFound => Class::ClientError,
            Self::Server(_) | Self::Edge(_) | Self::CfEdge(_) => Class::ServerError,
            Self::Transport(Phase::Timeout) => Class::Timeout,
            Self::Transport(_) => Class::Connection,
            Self::Redirect(_) => Class::Other,
            Self::Other(s) if (400..500).contains(s) => Class::ClientError,
            Self::Other(s) if *s >= 500 => Class::ServerError,
            Self::Other(_) => Class::Other,
        }
    }

    fn code(&self) -> &'static Code {
        match self {
            Self::Ok => &INTERMITTENT,
            Self::InvalidKey => &INVALID_KEY,
            Self::OrgMismatch => &ORG_MISMATCH,
            Self::AccountDeactivated => &ACCOUNT_DEACTIVATED,
            Self::KeyNotReceived => &KEY_NOT_RECEIVED,
            Self::ModelAccess => &MODEL_ACCESS,
            Self::NoOrganization => &NO_ORGANIZATION,
            Self::Region => &REGION,
            Self::Forbidden => &FORBIDDEN,
            Self::NotFound => &NOT_FOUND,
            Self::ModelNotFound => &MODEL_NOT_FOUND,
            Self::RateLimited => &RATE_LIMITED,
            Self::Quota => &QUOTA,
            Self::Server(_) => &SERVER_ERROR,
            Self::Edge(_) | Self::CfEdge(_) => &EDGE_ERROR,
            Self::Transport(_) => &CONNECTION,
            Self::Redirect(_) => &REDIRECT,
            Self::Other(_) => &UNEXPECTED,
            Self::EdgeBlocked(_) => &EDGE_BLOCKED,
            Self::Proxy(_) => &PROXY_BLOCKED,
            Self::Portal(_) => &CAPTIVE_PORTAL,
            Self::NotApi(_) => &NOT_API,
            Self::Gateway(_) => &GATEWAY_ERROR,
            Self::Billing => &BILLING,
            Self::KeyScopes => &KEY_SCOPES,
            Self::HttpsRequired => &HTTPS_REQUIRED,
            Self::OrgVerification => &ORG_VERIFICATION,
            Self::RequestRejected(_) => &REQUEST_REJECTED,
            Self::ProjectMismatch => &PROJECT_MISMATCH,
        }
    }

    /// A failure on the server's side of the request (a 5xx, an edge error, no answer): what a
    /// payload can trigger, and what `--reduce` looks for.
    fn server_side(&self) -> bool {
        matches!(self, Self::Server(_) | Self::Edge(_) | Self::CfEdge(_) | Self::Transport(_))
            || matches!(self, Self::NotApi(s) if *s >= 500)
    }

    /// Transient: another attempt may pass.
    fn transient(&self) -> bool {
        matches!(self, Self::RateLimited | Self::Server(_) | Self::Edge(_) | Self::CfEdge(_) | Self::Transport(_))
            || matches!(self, Self::Gateway(s) | Self::NotApi(s) if *s >= 500 || matches!(*s, 408 | 429))
    }

    fn label(&self) -> String {
        match self {
            Self::Ok => "ok".to_owned(),
            Self::InvalidKey => "401".to_owned(),
            Self::OrgMismatch => "401 mismatched_organization".to_owned(),
            Self::AccountDeactivated => "401 account_deactivated".to_owned(),
            Self::KeyNotReceived => "401 no key received".to_owned(),
            Self::ModelAccess => "403 no access to the model".to_owned(),
            Self::NoOrganization => "401 no_organization".to_owned(),
            Self::Region | Self::Forbidden => "403".to_owned(),
            Self::NotFound | Self::ModelNotFound => "404".to_owned(),
            Self::RateLimited => "429".to_owned(),
            Self::Quota => "429 quota".to_owned(),
            Self::Server(s) | Self::Other(s) => s.to_string(),
            Self::Redirect(s) => format!("{s} redirect"),
            Self::Edge(s) => format!("{s} (edge HTML)"),
            Self::CfEdge(s) => format!("{s} (Cloudflare edge)"),
            Self::Transport(phase) => format!("{phase} error"),
            Self::EdgeBlocked(s) => format!("{s} (Cloudflare block)"),
            Self::Proxy(s) => format!("{s} (proxy block page)"),
            Self::Portal(s) => format!("{s} (captive portal)"),
            Self::NotApi(s) => format!("{s} (not the API)"),
            Self::Gateway(s) => format!("{s} (the gateway's own error)"),
            Self::Billing => "billing".to_owned(),
            Self::KeyScopes => "missing scopes".to_owned(),
            Self::HttpsRequired => "403 https required".to_owned(),
            Self::OrgVerification => "verification required".to_owned(),
            Self::RequestRejected(s) => format!("{s} request rejected"),
            Self::ProjectMismatch => "401 project mismatch".to_owned(),
        }
    }
}

/// One request of the probe, as judged.
#[derive(Debug, Clone)]
struct Attempt {
    what: What,
    kind: Kind,
    status: Option<u16>,
    request_id: Option<String>,
    client_request_id: String,
    api_error: Option<ApiError>,
    transport_error: Option<String>,
    retry_after: Option<f64>,
    should_retry: bool,
    ttfb_ms: u64,
    total_ms: u64,
    server_date: Option<i64>,
    /// Cloudflare's request id (`CF-RAY`), which support asks for with an edge error.
    cf_ray: Option<String>,
    /// The body was longer than `MAX_BODY` and was cut.
    truncated: bool,
    /// Who answered, with the evidence and who can fix it (`None` without an answer).
    answered: Option<Box<crate::net::answer::Judgement>>,
    /// Where a redirect pointed.
    location: Option<url::Url>,
    /// The step of the connection it ran out of time in, when it did (the lookup, the connect,
    /// the handshake): what the verdict puts down to the check that named that step as slow.
    out_of_time_in: Option<crate::model::Step>,
    /// The name's lookup before connecting (in `ttfb_ms` and `total_ms`): outside every timeout
    /// of the SDKs, so left out of the latencies their timeouts are judged against.
    lookup_ms: u64,
}

/// The step every one of `attempts` ran out of time in, when they share one.
fn common_step(attempts: &[&Attempt]) -> &'static [crate::model::Step] {
    let first = attempts.first().and_then(|a| a.out_of_time_in);
    match first {
        Some(step) if attempts.iter().all(|a| a.out_of_time_in == Some(step)) => step.alone(),
        _ => &[],
    }
}

fn classify(f: &Fetched, what: What, judged: &crate::net::answer::Judgement) -> (Kind, Option<ApiError>) {
    let api = f.api_error.clone();
    if let Some(kind) = answered::kind_of(judged, f.status) {
        return (kind, api);
    }
    let code = api.as_ref().and_then(|e| e.code.clone()).unwrap_or_default();
    let html = f.looks_like_html();
    let says = |words: &str| api.as_ref().and_then(|e| e.message.as_deref()).is_some_and(|m| m.contains(words));
    let kind = match f.status {
        200..=299 => Kind::Ok,
        401 if code == "mismatched_organization" => Kind::OrgMismatch,
        401 if code == "account_deactivated" => Kind::AccountDeactivated,
        401 if code == "no_organization" => Kind::NoOrganization,
        401 if says("You didn't provide an API key") => Kind::KeyNotReceived,
        401 => Kind::InvalidKey,
        403 if code == "unsupported_country_region_territory" => Kind::Region,
        403 if says("does not have access to model") => Kind::ModelAccess,
        403 => Kind::Forbidden,
        404 if what != What::Models || code == "model_not_found" => Kind::ModelNotFound,
        404 => Kind::NotFound,
        429 if code == "insufficient_quota"
            || api.as_ref().and_then(|e| e.kind.as_deref()) == Some("insufficient_quota") =>
        {
            Kind::Quota
        }
        429 => Kind::RateLimited,
        s @ 300..=399 if f.redirect_target().is_some() => Kind::Redirect(s),
        s @ 500..=599 if html && api.is_none() => Kind::Edge(s),
        s @ 500..=599 if api.as_ref().and_then(|e| e.kind.as_deref()).is_some_and(|k| k.starts_with("cf_")) => {
            Kind::CfEdge(s)
        }
        s @ (408 | 409 | 500..=599) => Kind::Server(s),
        s => Kind::Other(s),
    };
    (kind, api)
}

fn now_unix() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Which kind of request an attempt was, without its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Models,
    Chat,
    Payload,
}

impl What {
    /// The word in facts and reports.
    fn as_str(self) -> &'static str {
        match self {
            Self::Models => "models",
            Self::Chat => "chat",
            Self::Payload => "payload",
        }
    }
}

/// What one probe request sends.
#[derive(Debug, Clone, Copy)]
enum Request<'a> {
    /// `GET /models`.
    Models,
    /// The minimal chat completion.
    Chat { model: &'a str },
    /// The user's own payload (`--send-payload`).
    Payload { endpoint: crate::request::Endpoint, body: &'a [u8] },
}

impl Request<'_> {
    fn what(&self) -> What {
        match self {
            Self::Models => What::Models,
            Self::Chat { .. } => What::Chat,
            Self::Payload { .. } => What::Payload,
        }
    }

    fn path(&self) -> &'static str {
        match self {
            Self::Models => "models",
            Self::Chat { .. } => "chat/completions",
            Self::Payload { endpoint, .. } => endpoint.path(),
        }
    }
}

async fn attempt(ctx: &Context, key: &SecretString, request: Request<'_>, number: u32, timeout: Duration) -> Attempt {
    let what = request.what();
    let method = if matches!(request, Request::Models) { Method::GET } else { Method::POST };
    let mut req = crate::net::authed::request(&ctx.net, &ctx.config, key, method, request.path(), number);
    match request {
        Request::Models => {}
        Request::Chat { model } => {
            let body = ctx.config.provider.minimal_chat(model, "Reply with OK.", 1);
            req = req.json(body.to_string().into_bytes());
        }
        Request::Payload { body, .. } => req = req.json(body.to_vec()),
    }
    let (meta, client_request_id) = (req.meta(), req.client_request_id.clone());
    let req = req.builder;
    let start = Instant::now();
    // The name is resolved before the connection, outside the connect timeout, as the SDKs do;
    // a slow resolver (that `dns` names) costs time, not the request.
    let lookup = match ctx.net.resolve_ahead(&ctx.config, &ctx.config.base_url, timeout).await {
        None => Duration::ZERO,
        Some(Ok(took)) => took,
        Some(Err(failed)) => {
            let mut a = transport_failure(what, client_request_id, start, crate::net::context::Phase::Dns);
            a.transport_error = Some(format!(
                "dns error: looking up {} failed after {:.1} s: {}",
                ctx.config.base_url.host_str().unwrap_or_default(),
                failed.took.as_secs_f64(),
                failed.why
            ));
            a.out_of_time_in = failed.ran_out_of_time.then_some(crate::model::Step::Resolve);
            return a;
        }
    };
    let timeout = timeout.saturating_sub(lookup).max(Duration::from_millis(100));
    match ctx.net.send(INFO.id, req, MAX_BODY, timeout, meta).await {
        Ok(f) => {
            // The key's shape (never the key) lets the judge name an OpenAI key sent to Azure.
            let judged = crate::net::answer::judge(&ctx.net.answer_of(&f).with_key(key.expose()));
            let (kind, api_error) = classify(&f, what, &judged);
            let now = now_unix();
            Attempt {
                what,
                should_retry: crate::sdk::should_retry(f.status, &f.headers, now),
                retry_after: crate::sdk::parse_retry_after(&f.headers, now),
                request_id: f.request_id(),
                server_date: f.header("date").and_then(crate::sdk::http_date_unix),
                cf_ray: f.header("cf-ray").map(str::to_owned),
                truncated: f.truncated,
                location: f.redirect_target(),
                status: Some(f.status),
                kind,
                client_request_id,
                api_error,
                transport_error: None,
                // What the app waits for includes its lookup of the name.
                ttfb_ms: millis(lookup + f.ttfb),
                total_ms: millis(lookup + f.elapsed),
                answered: Some(Box::new(judged)),
                out_of_time_in: None,
                lookup_ms: millis(lookup),
            }
        }
        Err(e) => {
            let mut a = transport_failure(what, client_request_id, start, e.phase);
            a.transport_error = Some(e.to_string());
            a.out_of_time_in = e.out_of_time_in;
            a
        }
    }
}

/// An attempt that ended without an answer, in `phase`.
fn transport_failure(
    what: What,
    client_request_id: String,
    start: Instant,
    phase: crate::net::context::Phase,
) -> Attempt {
    Attempt {
        what,
        kind: Kind::Transport(phase),
        status: None,
        request_id: None,
        client_request_id,
        api_error: None,
        transport_error: None,
        retry_after: None,
        should_retry: true,
        ttfb_ms: 0,
        total_ms: millis(start.elapsed()),
        server_date: None,
        cf_ray: None,
        truncated: false,
        answered: None,
        location: None,
        out_of_time_in: None,
        lookup_ms: 0,
    }
}

/// Where a redirect of the base URL points, as a base URL (the path of the request removed),
/// and whether it is a downgrade to plain http.
fn redirect_base(cfg: &crate::config::Config, first: &Attempt) -> Option<(String, bool)> {
    let to = first.location.as_ref()?;
    let downgrade = cfg.base_url.scheme() == "https" && to.scheme() == "http";
    let text = to.as_str();
    let path = if first.what == What::Chat { "/chat/completions" } else { "/models" };
    let base = text.split(['?', '#']).next().unwrap_or(text);
    Some((base.strip_suffix(path).unwrap_or(base).to_owned(), downgrade))
}

/// What sending the user's payload showed, next to the minimal request.
fn payload_finding(p: &Attempt, minimal: Option<&Attempt>) -> Finding {
    let ids = p.request_id.clone().unwrap_or_else(|| format!("client {}", p.client_request_id));
    let quoted = p
        .api_error
        .as_ref()
        .and_then(|e| e.message.clone())
        .map_or_else(String::new, |m| format!(": \"{}\"", m.trim()));
    let minimal_ok = minimal.is_some_and(|m| m.kind == Kind::Ok);
    match &p.kind {
        Kind::Ok => Finding::new(
            &PAYLOAD_FAILS,
            Severity::Info,
            format!("your payload also works ({} in {} ms, request id {ids})", p.status.unwrap_or(0), p.total_ms),
            "",
        ),
        kind if kind.server_side() && minimal_ok => Finding::new(
            &PAYLOAD_FAILS,
            Severity::Fail,
            format!(
                "the minimal request passes but your payload fails with {}{quoted} (request id {ids})",
                p.kind.label()
            ),
            "The payload triggers it: simplify and reduce (shorten the history, drop images and tools, lower max tokens), find the part that fails, then contact support with the request id.",
        ),
        other => {
            let judged = p.answered.as_deref();
            let mut msg = format!("your payload fails with {}{quoted}", other.label());
            if let Some(j) = judged {
                if let Some(what) = answered::what(j) {
                    let _ = write!(msg, "; {what}");
                }
                let _ = write!(msg, "; {}", answered::attribution(j));
            }
            let _ = write!(msg, " (request id {ids})");
            // `validate` checks the payload's shape: it helps with the request's own errors, not
            // with billing, access or the network.
            let remedy = judged.and_then(|j| answered::fix(j)).map_or_else(
                || {
                    "Fix what the sender's message names; `openai-doctor validate` checks the payload's shape offline."
                        .to_owned()
                },
                str::to_owned,
            );
            Finding::new(&PAYLOAD_FAILS, Severity::Fail, msg, remedy)
        }
    }
}

/// The doctor's own limit for one request: whatever is left of the check's time (not the
/// user's `--timeout`, which the `timeout` check judges against the latency measured here).
fn attempt_limit(activity: &Activity) -> Duration {
    activity.bounded(crate::sdk::policy::SDK_DEFAULT_TIMEOUT, Duration::from_millis(300))
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    crate::model::nearest_rank(sorted, p).unwrap_or(0)
}

/// What the probe aims at: the model it names and, with a payload, the payload's endpoint.
struct Aim {
    model: String,
    /// Send the billable chat completion (off with --no-billable, or with no Azure deployment named).
    chat: bool,
    payload: Option<(crate::request::Endpoint, Option<String>)>,
}

impl Aim {
    /// The payload's model, when a payload is given: that is the model the user calls.
    fn of(cfg: &crate::config::Config) -> Self {
        let payload = cfg.payload.as_ref().and_then(|p| {
            let doc: serde_json::Value = serde_json::from_slice(&p.bytes).ok()?;
            let obj = doc.as_object()?;
            let endpoint = p.endpoint.or_else(|| crate::request::detect(obj))?;
            Some((endpoint, obj.get("model").and_then(serde_json::Value::as_str).map(str::to_owned)))
        });
        let model = payload.as_ref().and_then(|(_, m)| m.clone()).unwrap_or_else(|| cfg.model.clone());
        Self { model, payload, chat: cfg.billable }
    }
}

/// What the probe measured.
struct Measured {
    /// The `GET /models` series.
    series: Vec<Attempt>,
    /// Why the series stopped before `--probes` requests, if it did.
    stopped_early: Option<String>,
    /// The one billable chat completion.
    chat: Vec<Attempt>,
    /// The user's payload, sent once (`--send-payload`).
    payload: Option<Attempt>,
    /// `--reduce`: what shrinking the failing payload showed.
    reduced: Option<Reduction>,
    /// `--reduce` after no answer: size or content (see `size`).
    sized: Option<size::SizeTest>,
}

/// What `--reduce` found.
struct Reduction {
    /// Each change tried: what it removed, whether the body still failed, the request id.
    steps: Vec<(String, bool, String)>,
    /// The smallest body that still fails.
    minimal: serde_json::Value,
    original_bytes: usize,
    minimal_bytes: usize,
    /// Why it stopped before trying every change, if it did.
    stopped: Option<String>,
}

impl Measured {
    /// The series and the chat completion: what the verdict rests on.
    fn all(&self) -> Vec<&Attempt> {
        self.series.iter().chain(&self.chat).collect()
    }

    fn series_ok(&self) -> usize {
        self.series.iter().filter(|a| a.kind == Kind::Ok).count()
    }
}

async fn run(ctx: &Context, activity: &Activity) -> Outcome {
    let cfg = &ctx.config;
    let (key, mut findings) = inspect_key(&cfg.credential, &cfg.provider);
    let azure = cfg.provider.azure();
    // URLs the app's SDK cannot build right: nothing is sent that the app could not send.
    if let Some(problem) = &cfg.url_problem {
        findings.push(Finding::new(
            &BASE_URL_QUERY,
            Severity::Fail,
            problem.clone(),
            "Remove the query and fragment from the base URL (or AZURE_OPENAI_ENDPOINT); query parameters go in the client's default_query, and Azure's api-version in api_version= / OPENAI_API_VERSION.",
        ));
        return Outcome::from_findings("the SDKs' request URLs break on this base URL", Details::nothing(), findings);
    }
    // The AzureOpenAI client cannot start without an api-version; set but empty, it sends
    // `api-version=` and Azure answers 404. A plain client with an Azure base URL sends what it
    // has, and Azure's answer is judged as it comes.
    let version = azure.filter(|a| a.style == crate::provider::AzureStyle::Deployments);
    if let Some(a) = version
        && a.api_version.as_deref().is_none_or(|v| v.trim().is_empty())
    {
        let what = if a.api_version.is_none() {
            "OPENAI_API_VERSION is not set: the AzureOpenAI client refuses to start (\"Must provide either the `api_version` argument or the `OPENAI_API_VERSION` environment variable\")"
        } else {
            "OPENAI_API_VERSION (or --api-version) is set but empty: the AzureOpenAI client sends `api-version=` on every request, and Azure answers 404 \"Resource not found\""
        };
        findings.push(Finding::new(
            &AZURE_API_VERSION,
            Severity::Fail,
            what,
            "export OPENAI_API_VERSION=2024-10-21 (or another version on Microsoft Learn's \"Azure OpenAI API version lifecycle\" page), or --api-version.",
        ));
        return Outcome::from_findings("no api-version for Azure OpenAI", Details::nothing(), findings);
    }
    if azure.is_some_and(|a| a.style == crate::provider::AzureStyle::PlainClient) {
        findings.insert(
            0,
            Finding::new(
                &AZURE_CLIENT,
                Severity::Warn,
                format!(
                    "{}: the OpenAI client sends OpenAI's paths ({}) and {} as a bearer token there, which Azure's deployments API refuses; the probe sends what the app sends",
                    cfg.provider_why.split(" is an Azure").next().unwrap_or("the base URL"),
                    cfg.api_label("POST", "chat/completions"),
                    cfg.credential.var
                ),
                "Use base_url https://NAME.openai.azure.com/openai/v1/ with the OpenAI client (the deployment as model=), or the AzureOpenAI client with AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY and OPENAI_API_VERSION (and unset OPENAI_BASE_URL).",
            ),
        );
    }
    let Some(key) = key else {
        return Outcome::from_findings("no usable API key", Details::nothing(), findings);
    };
    let mut aim = Aim::of(cfg);
    if azure.is_some_and(|a| a.deployment_from.is_some())
        && aim.model.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        findings.push(Finding::new(
            &AZURE_DEPLOYMENT,
            Severity::Fail,
            format!(
                "the deployment's name {:?} holds white space or a line break: the SDKs send it percent-encoded ({}), and Azure has no deployment of that name",
                aim.model,
                cfg.api_label("POST", "chat/completions")
            ),
            "Store the deployment's name without the trailing newline or spaces (printf %s, not echo; check .env files and secret stores).",
        ));
    }
    let no_deployment = azure
        .is_some_and(|a| a.deployment_from.is_none() && a.style != crate::provider::AzureStyle::PlainClient)
        && aim.payload.is_none();
    if no_deployment && cfg.billable {
        aim.chat = false;
        findings.push(Finding::new(
            &AZURE_DEPLOYMENT,
            Severity::Warn,
            format!(
                "no deployment named (--model, AZURE_OPENAI_DEPLOYMENT): the chat completion to {} was not sent, since Azure routes it by the deployment's name",
                cfg.api_label("POST", "chat/completions").replace(&format!("/{}/", cfg.model), "/{deployment}/")
            ),
            "Run with --model DEPLOYMENT: the name in Azure AI Foundry > Deployments (the clients take it as model=, on the v1 API too).",
        ));
    }
    let details = Probe {
        key: key.hint(),
        base_url: cfg.base_url.to_string(),
        // With Azure and no deployment named, no model was aimed at: the default is no answer.
        model: if no_deployment { "(no deployment named)".to_owned() } else { aim.model.clone() },
        series: Vec::new(),
        latency_ms: None,
        chat: None,
        clock_skew_s: None,
        reduced: None,
        size_or_content: None,
    };
    let (series, stopped_early, slowest) = series(ctx, activity, &key).await;
    // Not one request fitted in the time left: nothing was measured, so nothing passed.
    if series.is_empty() {
        return not_measured(activity, details);
    }
    let mut measured = Measured { series, stopped_early, chat: Vec::new(), payload: None, reduced: None, sized: None };
    extra_requests(ctx, activity, &key, &aim, slowest, &mut measured).await;
    // Only once the resource answered: an offer, never a measurement.
    if measured.series_ok() > 0 {
        let number = u32::try_from(measured.series.len() + measured.chat.len()).unwrap_or(0) + 1;
        findings.extend(azure_v1::offer(ctx, activity, &key, number).await);
    }
    let latencies: Vec<Latency> = measured
        .all()
        .iter()
        .filter(|a| a.kind == Kind::Ok)
        // What the app's timeouts see: from connecting on, the lookup left out (`dns` names it).
        .map(|a| Latency {
            what: a.what.as_str(),
            ttfb_ms: a.ttfb_ms.saturating_sub(a.lookup_ms),
            total_ms: a.total_ms.saturating_sub(a.lookup_ms),
        })
        .collect();
    let _ = ctx.facts.latencies.set(latencies);
    if measured.chat.last().is_some_and(|c| c.kind == Kind::Ok) {
        let _ = ctx.facts.chat_model.set(aim.model.clone());
    }
    judge(cfg, &aim, &measured, details, findings)
}

/// The series of `GET /models`: each request follows the previous one at once after a success,
/// or after the SDKs' backoff (or the server's Retry-After) after a retryable failure. Returns
/// the attempts, why it stopped early (if it did) and the slowest request.
async fn series(ctx: &Context, activity: &Activity, key: &SecretString) -> (Vec<Attempt>, Option<String>, Duration) {
    let cfg = &ctx.config;
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut failures_in_a_row: i64 = 0;
    let mut slowest = Duration::ZERO;
    for i in 0..cfg.probes {
        let mut wait = Duration::ZERO;
        if let Some(last) = attempts.last().filter(|a| a.kind != Kind::Ok) {
            if !last.kind.transient() || !last.should_retry {
                break;
            }
            // The SDKs' wait: the server's Retry-After, else backoff by retries already taken.
            wait =
                Duration::from_secs_f64(crate::sdk::backoff(last.retry_after, failures_in_a_row - 1, fastrand::f64()));
        }
        // Stop rather than run past the deadline: the next request needs its wait plus about
        // as long as the slowest so far.
        let need = wait + slowest.max(Duration::from_millis(200)) + Duration::from_millis(300);
        if activity.time_left() < need {
            let why = format!(
                "stopped after {} of {} requests: the next one (wait {:.1} s, then up to {:.1} s) would pass the deadline",
                attempts.len(),
                cfg.probes,
                wait.as_secs_f64(),
                slowest.as_secs_f64()
            );
            return (attempts, Some(why), slowest);
        }
        if !wait.is_zero() {
            activity
                .set_local(format!("waiting {:.1} s before retrying (SDK backoff / Retry-After)", wait.as_secs_f64()));
            tokio::time::sleep(wait).await;
        }
        activity.set(format!("GET {} (request {} of {})", cfg.api_url("models"), i + 1, cfg.probes));
        let a = attempt(ctx, key, Request::Models, i + 1, attempt_limit(activity)).await;
        slowest = slowest.max(Duration::from_millis(a.total_ms));
        failures_in_a_row = if a.kind == Kind::Ok { 0 } else { failures_in_a_row + 1 };
        attempts.push(a);
    }
    (attempts, None, slowest)
}

/// The one billable request when the cheap ones work, and the user's own payload when asked (it
/// costs money): "simplify and reduce" needs to know whether the minimal request passes where
/// the real one fails.
async fn extra_requests(
    ctx: &Context,
    activity: &Activity,
    key: &SecretString,
    aim: &Aim,
    slowest: Duration,
    m: &mut Measured,
) {
    let cfg = &ctx.config;
    let series_ok = m.series_ok();
    let mut number = u32::try_from(m.series.len()).unwrap_or(0);
    // The completion is retried like the SDKs retry it (at most 3 attempts, 1 token each), so
    // its verdict rests on more than one request; never past the deadline.
    let mut slowest = slowest;
    for retries_taken in 0..CHAT_ATTEMPTS {
        if !aim.chat || series_ok == 0 {
            break;
        }
        let mut wait = Duration::ZERO;
        if let Some(last) = m.chat.last() {
            if last.kind == Kind::Ok || !last.kind.transient() || !last.should_retry {
                break;
            }
            wait = Duration::from_secs_f64(crate::sdk::backoff(
                last.retry_after,
                i64::from(retries_taken) - 1,
                fastrand::f64(),
            ));
        }
        if activity.time_left() <= wait + slowest + Duration::from_secs(1) {
            break;
        }
        if !wait.is_zero() {
            activity
                .set_local(format!("waiting {:.1} s before retrying the completion (SDK backoff)", wait.as_secs_f64()));
            tokio::time::sleep(wait).await;
        }
        activity.set(format!("POST {} (model {}, 1 output token)", cfg.api_url("chat/completions"), aim.model));
        number += 1;
        let a = attempt(ctx, key, Request::Chat { model: &aim.model }, number, attempt_limit(activity)).await;
        slowest = slowest.max(Duration::from_millis(a.total_ms));
        m.chat.push(a);
    }
    if let (true, Some(input), Some((endpoint, _))) = (cfg.send_payload, cfg.payload.as_ref(), aim.payload.as_ref())
        && series_ok > 0
        && activity.time_left() > Duration::from_secs(2)
    {
        activity.set(format!("POST {} (your payload {})", cfg.api_url(endpoint.path()), input.name));
        let request = Request::Payload { endpoint: *endpoint, body: &input.bytes };
        let sent = attempt(ctx, key, request, number + 1, size::payload_limit(activity, cfg.reduce.is_some())).await;
        let minimal_ok = m.chat.last().map_or(series_ok > 0, |c| c.kind == Kind::Ok);
        if let (Some(budget), true, true) = (cfg.reduce, minimal_ok, sent.kind.server_side()) {
            let first = number + 2;
            // No answer at all: size on the path or content? A neutral control of the same size tells.
            if size::no_answer(&sent.kind) {
                let aimed = (*endpoint, aim.model.as_str());
                let at = (budget, first);
                m.sized = size::size_or_content(ctx, activity, key, aimed, input.bytes.len(), at, slowest).await;
            }
            let used = m.sized.as_ref().map_or(0, |s| s.requests);
            if !m.sized.as_ref().is_some_and(size::SizeTest::size_is_the_cause) && used < budget {
                let at = (budget.saturating_sub(used), first + used);
                m.reduced = reduce_payload(ctx, activity, key, *endpoint, &input.bytes, at, slowest).await;
            }
        }
        m.payload = Some(sent);
    }
}

/// Greedy delta debugging over the failing payload (see `reduce`): a change after which the body
/// still fails is kept; one after which it passes is what triggers the failure. Bounded by the
/// request budget, by twice the original's bytes sent in all, and by the deadline.
async fn reduce_payload(
    ctx: &Context,
    activity: &Activity,
    key: &SecretString,
    endpoint: crate::request::Endpoint,
    original: &[u8],
    (budget, first_number): (u32, u32),
    slowest: Duration,
) -> Option<Reduction> {
    let mut current: serde_json::Value = serde_json::from_slice(original).ok()?;
    let (mut steps, mut needed): (Vec<(String, bool, String)>, Vec<String>) = (Vec::new(), Vec::new());
    let (mut requests, mut sent_bytes, mut stopped) = (0u32, 0usize, None);
    // A round tries the changes of the current body until one is kept; a round that keeps none
    // ends the search.
    'rounds: loop {
        for change in reduce::changes(&current) {
            if needed.contains(&change.what) {
                continue;
            }
            let body = serde_json::to_vec(&reduce::cheap(&change.body)).unwrap_or_default();
            if requests >= budget {
                stopped = Some(format!("the request budget ({budget}, --reduce-requests) is spent"));
                break 'rounds;
            }
            if sent_bytes + body.len() > 2 * original.len() {
                stopped = Some("twice the original payload's size has been sent".to_owned());
                break 'rounds;
            }
            if activity.time_left() < slowest + Duration::from_secs(2) {
                stopped = Some("the deadline is near (--deadline)".to_owned());
                break 'rounds;
            }
            activity.set(format!("reducing your payload: without {} ({} bytes)", change.what, body.len()));
            requests += 1;
            sent_bytes += body.len();
            let request = Request::Payload { endpoint, body: &body };
            let a = attempt(ctx, key, request, first_number + requests - 1, attempt_limit(activity)).await;
            let id = a.request_id.clone().unwrap_or_else(|| format!("client {}", a.client_request_id));
            let still_fails = a.kind.server_side();
            steps.push((change.what.clone(), still_fails, id));
            if still_fails {
                current = change.body;
                continue 'rounds;
            }
            needed.push(change.what);
        }
        break;
    }
    let minimal_bytes = serde_json::to_vec(&current).map_or(0, |b| b.len());
    Some(Reduction { steps, minimal: current, original_bytes: original.len(), minimal_bytes, stopped })
}

/// What reducing the payload showed, as a finding.
fn reduction_finding(r: &Reduction) -> Finding {
    let kept: Vec<&str> = r.steps.iter().filter(|s| s.1).map(|s| s.0.as_str()).collect();
    let needed: Vec<&str> = r.steps.iter().filter(|s| !s.1).map(|s| s.0.as_str()).collect();
    let mut msg = format!(
        "--reduce sent {} request(s): the payload still fails at {} bytes (from {})",
        r.steps.len(),
        r.minimal_bytes,
        r.original_bytes
    );
    if !kept.is_empty() {
        let _ = write!(msg, " without {}", kept.join(", "));
    }
    if needed.is_empty() {
        msg.push_str("; no single part made the difference");
    } else {
        let _ = write!(msg, "; it passes without {}: that is what triggers the failure", needed.join(", or without "));
    }
    if let Some(why) = &r.stopped {
        let _ = write!(msg, " (stopped early: {why})");
    }
    let ids: Vec<&str> = r.steps.iter().map(|s| s.2.as_str()).collect();
    let _ = write!(msg, ". Request ids: {}", ids.join(", "));
    Finding::new(
        &REDUCED,
        Severity::Info,
        msg,
        "Send the support team the minimal failing body (in the report's details and the bundle) with these request ids; work around the part that triggers it.",
    )
}

/// The outcome when not one request fitted in the time left: never a pass.
fn not_measured(activity: &Activity, details: Probe) -> Outcome {
    let left = activity.time_left().as_secs_f64();
    Outcome::with_status(Status::Fail, "no request sent: too little of the deadline was left", details).and(
        Finding::new(
            &NOT_MEASURED,
            Severity::Fail,
            format!(
                "the probe did not send a single request: {left:.1} s of the run deadline was left when it \
                 started, and one request needs about 0.5 s"
            ),
            "Nothing was measured, so nothing is known to work. Run again with a longer --deadline \
             (the default is 20 s); if an earlier step was slow, its own timing in this report says which.",
        ),
    )
}

/// Judges what was measured: details, clock skew, and one finding per kind of failure.
fn judge(
    cfg: &crate::config::Config,
    aim: &Aim,
    m: &Measured,
    mut details: Probe,
    mut findings: Vec<Finding>,
) -> Outcome {
    if let Some(p) = &m.payload {
        findings.push(payload_finding(p, m.chat.last()));
    }
    if let Some(s) = &m.sized {
        size::judge(s, &mut findings);
        details.size_or_content = Some(size::details(s));
    } else if m.payload.as_ref().is_some_and(|p| size::no_answer(&p.kind)) {
        size::untold(cfg.reduce.is_some(), &mut findings);
    }
    if let Some(r) = &m.reduced {
        findings.push(reduction_finding(r));
        details.reduced = Some(Reduced {
            minimal_body: if cfg.reduce_keep_text { r.minimal.clone() } else { shape::shape(&r.minimal) },
            minimal_body_is: if cfg.reduce_keep_text {
                "text (--reduce-keep-text)".to_owned()
            } else {
                "shape: every text as its size, estimated tokens and sha256".to_owned()
            },
            original_bytes: r.original_bytes,
            minimal_bytes: r.minimal_bytes,
            steps: r
                .steps
                .iter()
                .map(|(what, still_fails, id)| ReduceStep {
                    without: what.clone(),
                    still_fails: *still_fails,
                    request_id: id.clone(),
                })
                .collect(),
            stopped: r.stopped.clone(),
        });
    }
    let mut totals: Vec<u64> = m.series.iter().filter(|a| a.kind == Kind::Ok).map(|a| a.total_ms).collect();
    totals.sort_unstable();
    details.series = m
        .series
        .iter()
        .map(|a| details::probe::Attempt {
            attempt_of: Endpoint::Models,
            status: a.status,
            result: a.kind.label(),
            class: a.kind.class(),
            request_id: a.request_id.clone(),
            client_request_id: a.client_request_id.clone(),
            ttfb_ms: a.ttfb_ms,
            total_ms: a.total_ms,
            error: a.transport_error.clone(),
            answered_by: a.answered.as_ref().map(|j| j.sender.tag()),
        })
        .collect();
    details.latency_ms =
        Some(LatencyMs { p50: percentile(&totals, 0.5), p95: percentile(&totals, 0.95), max: totals.last().copied() });
    if let Some(c) = m.chat.last() {
        details.chat = Some(Chat {
            status: c.status,
            result: c.kind.label(),
            request_id: c.request_id.clone(),
            client_request_id: c.client_request_id.clone(),
            total_ms: c.total_ms,
            attempts: m.chat.len(),
            answered_by: c.answered.as_ref().map(|j| j.sender.tag()),
        });
    }
    let all = m.all();
    if let Some(date) = all.iter().rev().find_map(|a| a.server_date) {
        #[allow(clippy::cast_possible_truncation)]
        let skew = now_unix() as i64 - date;
        details.clock_skew_s = Some(skew);
        findings.extend(clock_skew(skew));
    }
    let mut first_bytes: Vec<u64> = m.series.iter().filter(|a| a.kind == Kind::Ok).map(|a| a.ttfb_ms).collect();
    first_bytes.sort_unstable();
    let median_first_byte = percentile(&first_bytes, 0.5);
    if median_first_byte > SLOW_FIRST_BYTE_MS {
        findings.push(Finding::new(
            &SLOW_FIRST_BYTE,
            Severity::Warn,
            format!("{} answered its first byte after {median_first_byte} ms (median; over {SLOW_FIRST_BYTE_MS} ms) for a request with no body", cfg.api_label("GET", "models")),
            "Usual causes: a proxy or gateway that queues or inspects traffic, a congested route, an incident (see the status check). Give your client a timeout that fits (see the timeout check).",
        ));
    }
    if let Some(why) = &m.stopped_early {
        let remedy = "Give a longer --deadline for a fuller series.";
        findings.push(Finding::new(&STOPPED_EARLY, Severity::Info, why.clone(), remedy));
    }
    let failed: Vec<&Attempt> = all.iter().copied().filter(|a| a.kind != Kind::Ok).collect();
    if failed.is_empty() {
        let mut summary = format!(
            "{} of {} {} OK (p50 {} ms, p95 {} ms)",
            m.series_ok(),
            m.series.len(),
            cfg.api_label("GET", "models"),
            percentile(&totals, 0.5),
            percentile(&totals, 0.95)
        );
        if let Some(c) = m.chat.last() {
            let _ = write!(summary, "; chat completion OK ({}, {} ms)", aim.model, c.total_ms);
        }
        // The payload's failure is the news, not the minimal requests' success.
        if let Some(p) = m.payload.as_ref().filter(|p| p.kind != Kind::Ok) {
            summary =
                format!("your payload failed with {} while the minimal requests passed ({summary})", p.kind.label());
        }
        return Outcome::from_findings(summary, details, findings);
    }
    let endpoints = [(cfg.api_label("GET", "models"), &m.series), (cfg.api_label("POST", "chat/completions"), &m.chat)];
    judge_failures(cfg, aim, &endpoints, details, findings)
}

/// A warning when the local clock is more than a minute off the server's.
fn clock_skew(skew: i64) -> Option<Finding> {
    (skew.abs() > SKEW_WARN).then(|| {
        Finding::new(
            &CLOCK_SKEW,
            Severity::Warn,
            format!(
                "the local clock is {} s {} the server's",
                skew.abs(),
                if skew > 0 { "ahead of" } else { "behind" }
            ),
            "Enable time sync (NTP, timedatectl set-ntp true, the host's clock).",
        )
    })
}

/// `500 ×2, 429 ×1`: failures counted by kind.
fn counts(failed: &[&Attempt]) -> String {
    let mut groups: BTreeMap<String, usize> = BTreeMap::new();
    for a in failed {
        *groups.entry(a.kind.label()).or_default() += 1;
    }
    groups.iter().map(|(label, n)| format!("{label} ×{n}")).collect::<Vec<_>>().join(", ")
}

/// One verdict per endpoint (models, the chat completion): an endpoint whose every request
/// failed fails, whatever the other one did ("GET /models works; POST /chat/completions failed
/// 3 of 3"); transient failures among successes are intermittent. Failures are grouped by
/// endpoint and kind: one finding each, quoting OpenAI and listing the request ids.
fn judge_failures(
    cfg: &crate::config::Config,
    aim: &Aim,
    endpoints: &[(String, &Vec<Attempt>)],
    details: Probe,
    mut findings: Vec<Finding>,
) -> Outcome {
    let everything_failed = endpoints.iter().all(|(_, a)| a.iter().all(|x| x.kind != Kind::Ok));
    let mut parts = Vec::new();
    let mut intermittent = Vec::new();
    let mut any_persistent = false;
    for (label, attempts) in endpoints.iter().filter(|(_, a)| !a.is_empty()) {
        let failed: Vec<&Attempt> = attempts.iter().filter(|a| a.kind != Kind::Ok).collect();
        let (n, ok) = (attempts.len(), attempts.len() - failed.len());
        let persistent = ok == 0;
        any_persistent |= persistent;
        let mut groups: BTreeMap<String, Vec<&Attempt>> = BTreeMap::new();
        for a in &failed {
            groups.entry(a.kind.label()).or_default().push(a);
        }
        let models_passed = endpoints.first().is_some_and(|(_, a)| a.iter().any(|x| x.kind == Kind::Ok));
        for list in groups.values() {
            findings.push(failure_finding(cfg, aim, persistent, list, models_passed));
        }
        let counted = counts(&failed);
        parts.push(match (ok, failed.len()) {
            (_, 0) => format!("{label} works ({ok} of {n})"),
            (0, f) => format!("{label} failed {f} of {n} ({counted})"),
            (_, f) => format!("{label}: {f} of {n} requests failed ({counted})"),
        });
        if !persistent && failed.iter().any(|a| a.kind.transient()) {
            let rate = rate::Rate::of(failed.len(), n);
            intermittent.push((
                format!(
                    "intermittent: {label}: {} of {n} requests failed ({counted}); {}; {}",
                    failed.len(),
                    rate.describe(),
                    rate.rule()
                ),
                rate.fails(),
                common_step(&failed),
            ));
        }
    }
    let all_failed: Vec<&Attempt> =
        endpoints.iter().flat_map(|(_, a)| a.iter()).filter(|a| a.kind != Kind::Ok).collect();
    let summary =
        if everything_failed { format!("every request failed ({})", counts(&all_failed)) } else { parts.join("; ") };
    for (i, (text, fails, steps)) in intermittent.into_iter().enumerate() {
        let severity = if fails { Severity::Fail } else { Severity::Warn };
        findings.insert(i, Finding::new(&INTERMITTENT, severity, text, "Keep retries on with exponential backoff (SDK default: 2 retries); report persistent rates to support with the request ids. Compare reruns by their intervals, not by their verdicts alone: overlapping intervals are the same world.").about(steps));
    }
    let mut out = Outcome::from_findings(summary, details, findings);
    if any_persistent && out.status != Status::Fail {
        out.status = Status::Fail;
    }
    out
}

/// One finding for attempts that failed the same way.
fn failure_finding(
    cfg: &crate::config::Config,
    aim: &Aim,
    persistent: bool,
    list: &[&Attempt],
    models_passed: bool,
) -> Finding {
    let first = list[0];
    let kind = &first.kind;
    // Transient errors among successes are a warning; so is a rate limit among successes. When
    // every request failed, each kind of failure is a failure: a failed check never rests on
    // warnings alone.
    let severity =
        if !persistent && (kind.transient() || *kind == Kind::RateLimited) { Severity::Warn } else { Severity::Fail };
    let ids: Vec<String> = list
        .iter()
        .map(|a| a.request_id.clone().unwrap_or_else(|| format!("client {}", a.client_request_id)))
        .collect();
    let endpoint = if first.what == What::Chat {
        cfg.api_label("POST", "chat/completions")
    } else {
        cfg.api_label("GET", "models")
    };
    let times = if list.len() > 1 { format!(" ×{}", list.len()) } else { String::new() };
    let mut msg = format!("{endpoint}{times} → {}", kind.label());
    let judged = first.answered.as_deref();
    if let Some(e) = &first.api_error {
        // White space collapsed: gateways wrap messages over lines.
        let quote = crate::net::answer::one_line(e.message.as_deref().unwrap_or(""));
        let _ = write!(msg, ": \"{quote}\"");
        if let Some(code) = &e.code {
            let _ = write!(msg, " (code {code})");
        }
    } else if let Some(d) =
        judged.and_then(|j| j.diagnosis.as_ref()).filter(|d| !d.quoted.is_empty() && d.id != "unknown")
    {
        // A bare message (no OpenAI envelope) the catalogue knows: a gateway's text, plain text
        // in the API's wording. An unknown one is not quoted: a body may echo credentials.
        let whole = crate::net::answer::one_line(&d.quoted);
        let quoted: String = whole.chars().take(300).collect();
        let _ = write!(msg, ": \"{}{}\"", quoted, if quoted.len() < whole.len() { "…" } else { "" });
    }
    if let Some(e) = &first.transport_error {
        // The label names the phase already ("dns error"): once.
        let e = e.strip_prefix(&format!("{}: ", kind.label())).unwrap_or(e);
        let _ = write!(msg, ": {e}");
    }
    if first.truncated {
        let _ = write!(msg, " (the body was over {} MiB: only the first MiB was read)", MAX_BODY / (1024 * 1024));
    }
    match kind {
        Kind::Edge(_) => msg.push_str("; an HTML page from the edge (Cloudflare) or a proxy, not the API"),
        Kind::CfEdge(_) => msg.push_str("; Cloudflare's edge answered, not the API"),
        _ => {}
    }
    if matches!(kind, Kind::Edge(524) | Kind::CfEdge(524)) {
        msg.push_str("; 524 means the API did not answer within Cloudflare's ~100 s, so Cloudflare closed the request");
    }
    if let (Kind::Edge(_) | Kind::CfEdge(_), Some(ray)) = (kind, &first.cf_ray) {
        let _ = write!(msg, "; CF-RAY {ray} (support asks for it)");
    }
    if let (Kind::Redirect(_), Some((base, downgrade))) = (kind, redirect_base(cfg, first)) {
        let _ = write!(msg, "; the base URL redirects to {base}");
        if base.trim_end_matches('/') == cfg.base_url.as_str().trim_end_matches('/') {
            msg.push_str(" (to itself: a redirect loop, not followed)");
        } else if downgrade {
            msg.push_str(" (a downgrade to plain http: not followed, the key was not sent there)");
        } else {
            msg.push_str(" (not followed: clients drop the key on such a hop, and the API then answers 401)");
        }
    }
    if *kind == Kind::OrgMismatch {
        match &cfg.org {
            Some(org) => {
                let _ = write!(msg, "; the request named organization {org} (from --org / OPENAI_ORG_ID)");
            }
            None => msg.push_str("; the doctor sent no OpenAI-Organization header: something on the way added one"),
        }
    }
    if *kind == Kind::RateLimited
        && let Some(ra) = first.retry_after
    {
        let _ = write!(msg, "; the server asks to wait {ra:.1} s");
    }
    if let Some(j) = judged {
        // A redirect's own words say where it points.
        if let Some(what) = answered::what(j).filter(|_| !matches!(kind, Kind::Redirect(_))) {
            let _ = write!(msg, "; {what}");
        }
        if first.retry_after.is_none()
            && let Some(w) = j.diagnosis.as_ref().and_then(|d| d.wait_s)
        {
            let _ = write!(
                msg,
                "; the answer asks to wait {w:.0} s in its message or in headers the SDKs do not read (no Retry-After)"
            );
        }
        // A hop in front of another API may list models from its own configuration; a server
        // that serves the models itself (vLLM, Ollama) may not.
        let hop = matches!(j.sender, crate::net::answer::Sender::Gateway { product, .. }
            if !product.is_some_and(crate::net::answer::Gateway::compatible_server));
        if first.what == What::Chat && models_passed && hop {
            msg.push_str(
                "; GET /models passed, but a gateway may answer it from its own configuration: no proof that its upstream works",
            );
        }
        let _ = write!(msg, "; {}", answered::attribution(j));
    }
    let _ = write!(msg, ". Request ids: {}", ids.join(", "));
    Finding::new(kind.code(), severity, msg, remedy(cfg, aim, first, persistent)).about(common_step(list))
}

/// What to do about a kind of failure.
fn remedy(cfg: &crate::config::Config, aim: &Aim, first: &Attempt, persistent: bool) -> String {
    let status_page = cfg.status_url.as_str().trim_end_matches('/');
    // The sender knows better than the status when it is not the API itself, when a gateway
    // relayed the error, when an edge fronts someone else than OpenAI, or for the long tail.
    if let Some(j) = first.answered.as_deref() {
        // Azure's answers are not OpenAI's API either: their fixes are in Azure's terms (the
        // resource's Keys and Endpoint page, the deployment), never platform.openai.com's.
        let not_the_api = !matches!(j.sender, crate::net::answer::Sender::Api);
        let long_tail = matches!(
            first.kind,
            Kind::Billing
                | Kind::KeyScopes
                | Kind::HttpsRequired
                | Kind::OrgVerification
                | Kind::RequestRejected(_)
                | Kind::ProjectMismatch
        );
        let edge_for_others =
            matches!(first.kind, Kind::Edge(_) | Kind::CfEdge(_)) && j.fixer != crate::net::answer::Fixer::OpenAi;
        let edge_524 = matches!(first.kind, Kind::Edge(524) | Kind::CfEdge(524));
        if (long_tail || edge_for_others || (not_the_api && !matches!(first.kind, Kind::Edge(_) | Kind::CfEdge(_))))
            && !edge_524
            && let Some(f) = answered::fix(j)
        {
            return f.to_owned();
        }
    }
    match &first.kind {
        Kind::OrgMismatch => "Unset OPENAI_ORG_ID (and --org), or set it to the organization the key belongs to; a new key will not help.".to_owned(),
        Kind::AccountDeactivated => "The account is deactivated, not just the key: its owner should read OpenAI's email and contact support; a new key of the same account fails the same way.".to_owned(),
        Kind::NoOrganization => "The account behind the key belongs to no organization (a new key of the same account fails the same way): join or create an organization on platform.openai.com, or contact OpenAI through help.openai.com.".to_owned(),
        Kind::ModelAccess => format!("Allow {} for the project (Settings → Project → Limits: model access), or use a model the project may use (--model; GET /models lists them).", aim.model),
        Kind::KeyNotReceived => "Something between you and the API (a proxy, an API gateway, a load balancer) removed the Authorization header: let it through, or reach the API without that hop.".to_owned(),
        Kind::Edge(524) | Kind::CfEdge(524) => "Stream the response (stream: true) so bytes flow before ~100 s, or shorten the request (fewer output tokens, a smaller input); retry with backoff.".to_owned(),
        Kind::RateLimited if first.retry_after.is_none() => "Transient: no Retry-After was sent, so back off exponentially with jitter (the SDKs do) and retry; see the x-ratelimit-* headers (-v).".to_owned(),
        Kind::InvalidKey => match &cfg.provider {
            crate::provider::Provider::Compatible => format!("Use the key that {}'s operator issued ({}, sent as a bearer token); OpenAI's keys work only at api.openai.com.", cfg.api_host(), cfg.credential.var),
            crate::provider::Provider::Azure(_) => "Take the key and the endpoint together from the Azure resource's Keys and Endpoint page.".to_owned(),
            crate::provider::Provider::Openai => "Create a new key at https://platform.openai.com/api-keys; check OPENAI_ORG_ID / OPENAI_PROJECT_ID match the key.".to_owned(),
        },
        Kind::Region => "The API does not serve this location; see OpenAI's supported countries.".to_owned(),
        Kind::Forbidden => "Check the key's permissions and the project's model access.".to_owned(),
        Kind::NotFound => format!("Check the base URL ({}): it must end in /v1.", cfg.base_url),
        Kind::ModelNotFound => format!("Use a model GET /models lists for this key (--model; now {}).", aim.model),
        Kind::RateLimited => "Transient: wait for the Retry-After time and retry with backoff; see the x-ratelimit-* headers (-v).".to_owned(),
        Kind::Quota => "Retrying cannot help: add credit or raise the spend limit (https://platform.openai.com/settings/organization/billing).".to_owned(),
        Kind::Server(_) | Kind::Edge(_) | Kind::CfEdge(_) | Kind::Transport(_) if !persistent => "Transient: retry with exponential backoff and jitter (the SDKs do, twice by default).".to_owned(),
        // Both requests are as small as requests get: there is nothing to simplify.
        Kind::Server(_) | Kind::Edge(_) | Kind::CfEdge(_) => match &cfg.provider {
            crate::provider::Provider::Openai => format!("Persistent, on a minimal request: check {status_page}; contact support with the request ids above."),
            crate::provider::Provider::Azure(_) => "Persistent, on a minimal request: check the resource's Resource Health in the Azure portal and https://azure.status.microsoft/en-us/status; open an Azure support request with the apim-request-id and x-request-id above.".to_owned(),
            crate::provider::Provider::Compatible => "Persistent, on a minimal request: the server's operator can tell more (its logs, its upstream); give them the request ids above.".to_owned(),
        },
        Kind::Transport(_) => "Persistent: see the dns, tls and proxy checks.".to_owned(),
        Kind::Billing => "Fix billing at https://platform.openai.com/settings/organization/billing (the account's owner); no retry helps.".to_owned(),
        Kind::KeyScopes => "Give the key the permission it lacks (https://platform.openai.com/api-keys), or use a key with All permissions.".to_owned(),
        Kind::HttpsRequired => "Use https://api.openai.com/v1 as the base URL.".to_owned(),
        Kind::OrgVerification => "Verify the organization (Settings → Organization → General), or use another model.".to_owned(),
        Kind::RequestRejected(_) => "Change the request as the message says; retries fail the same way.".to_owned(),
        Kind::ProjectMismatch => "Unset OPENAI_PROJECT_ID (and --project), or set it to the key's project.".to_owned(),
        Kind::EdgeBlocked(_) => "Call from another network or egress IP; if it persists, contact OpenAI support with the Ray ID.".to_owned(),
        Kind::Proxy(_) => "Ask your network team to let this client reach the API's host.".to_owned(),
        Kind::Portal(_) => "Log in to the network, or use another one.".to_owned(),
        Kind::NotApi(_) => "Something other than the API answered: find that hop (the base URL, a proxy, a load balancer); its owner can tell more. The doctor does not know this sender, so it invents no fix.".to_owned(),
        Kind::Gateway(_) => "The gateway's owner can tell more: its keys, timeouts, cooldowns and routes are its own.".to_owned(),
        Kind::Redirect(_) => match redirect_base(cfg, first) {
            Some((base, true)) => format!("Something answers the base URL with a redirect to plain http ({base}): a key sent there travels in clear. Fix the base URL or the gateway; never point a client at http."),
            Some((base, false)) => format!("The base URL redirects to {base}: use {base} (--base-url / OPENAI_BASE_URL)."),
            None => "The base URL redirects: use the address it points to.".to_owned(),
        },
        Kind::Other(_) | Kind::Ok => "See the sender's message above: the doctor's catalogue does not know this error, so it invents no fix.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        assert_eq!(percentile(&[], 0.5), 0);
        assert_eq!(percentile(&[10, 20, 30, 40], 0.5), 20);
        assert_eq!(percentile(&[10, 20, 30, 40], 0.95), 40);
        assert_eq!(percentile(&[7], 0.95), 7);
    }
}
