//! The probe's details: the key's hint, the `GET /models` series, its latencies, the one chat
//! completion, the clock skew and what `--reduce` found. `Class` is the one definition of the
//! outcome classes `openai_doctor_probe_attempts{class}` counts (the schema's enum is tested
//! against it).

use serde::{Deserialize, Serialize};

use super::words;

words! {
    /// Outcome class of a probe request: a bounded label for metrics.
    pub enum Class {
        /// A 2xx.
        Ok = "ok",
        /// 429: rate limit or quota.
        RateLimited = "rate_limited",
        /// 401 and 403: the key, the organisation, the project, the region.
        Auth = "auth",
        /// Another 4xx.
        ClientError = "client_error",
        /// 5xx, edge errors.
        ServerError = "server_error",
        /// No answer in time.
        Timeout = "timeout",
        /// DNS, connect, TLS, proxy or a reset.
        Connection = "connection",
        /// Anything else (1xx, 3xx).
        Other = "other",
    }
}

words! {
    /// Which request a series entry is.
    pub enum Endpoint {
        /// `GET /models`.
        Models = "models",
    }
}

/// The probe's details. Empty series and absent parts mean "not measured".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// The key's hint: prefix and last four characters.
    pub key: String,
    /// The API base URL.
    pub base_url: String,
    /// The model probed.
    pub model: String,
    /// The `GET /models` series, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<Attempt>,
    /// Latencies of the series' successful requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<LatencyMs>,
    /// The one billable chat completion (its last attempt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<Chat>,
    /// Local clock minus the server's `Date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_skew_s: Option<i64>,
    /// `--reduce`: the smallest body that still fails and the steps to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduced: Option<Reduced>,
    /// `--reduce` after no answer: a neutral control of the payload's size, and the bisection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_or_content: Option<SizeOrContent>,
}

/// One request of the series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attempt {
    /// Which request.
    pub attempt_of: Endpoint,
    /// HTTP status, when one came.
    pub status: Option<u16>,
    /// What it came to, in words (`ok`, `401`, `502 (edge HTML)`).
    pub result: String,
    /// Its class.
    pub class: Class,
    /// `x-request-id` of the answer.
    pub request_id: Option<String>,
    /// `X-Client-Request-Id` the doctor sent.
    pub client_request_id: String,
    /// Time to the response head.
    pub ttfb_ms: u64,
    /// Time to the end of the body (or the error).
    pub total_ms: u64,
    /// The transport error, when there was no answer.
    pub error: Option<String>,
    /// Who answered (`api`, `cloudflare`, `proxy:squid`, `gateway:litellm`, …), when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
}

/// Nearest-rank latencies of the successful requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyMs {
    /// Median.
    pub p50: u64,
    /// 95th percentile.
    pub p95: u64,
    /// Slowest, when any succeeded.
    pub max: Option<u64>,
}

/// The chat completion's last attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chat {
    /// HTTP status, when one came.
    pub status: Option<u16>,
    /// What it came to, in words.
    pub result: String,
    /// `x-request-id` of the answer.
    pub request_id: Option<String>,
    /// `X-Client-Request-Id` the doctor sent.
    pub client_request_id: String,
    /// Time to the end of the body.
    pub total_ms: u64,
    /// Attempts made (the SDKs' retries).
    pub attempts: usize,
    /// Who answered its last attempt, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
}

/// What `--reduce` found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reduced {
    /// The smallest body that still fails (the user's JSON, as sent).
    pub minimal_body: serde_json::Value,
    /// What `minimal_body` holds: the user's texts (`--reduce-keep-text`) or only their shape.
    pub minimal_body_is: String,
    /// Bytes of the original payload.
    pub original_bytes: usize,
    /// Bytes of the minimal body.
    pub minimal_bytes: usize,
    /// Each change tried.
    pub steps: Vec<ReduceStep>,
    /// Why it stopped before trying every change.
    pub stopped: Option<String>,
}

/// Size or content: what a neutral control of the payload's size, and the bisection over control
/// sizes when it failed too, showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeOrContent {
    /// `size` (the control failed too) or `content` (it passed).
    pub cause: String,
    /// Bytes of the control: the payload's size.
    pub control_bytes: usize,
    /// The control's request id (`client <uuid>` when the server sent none).
    pub control_request_id: String,
    /// Each control's timeout.
    pub control_timeout_ms: u64,
    /// The largest size known to pass (size only).
    pub passes_at_bytes: Option<usize>,
    /// The smallest size known to fail (size only).
    pub fails_at_bytes: Option<usize>,
    /// Each bisection step.
    pub steps: Vec<SizeStep>,
    /// Why the bisection stopped before its resolution.
    pub stopped: Option<String>,
}

/// One control size the bisection tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeStep {
    /// Bytes of the body.
    pub bytes: usize,
    /// Whether it got no answer (or a 5xx).
    pub fails: bool,
    /// The request's id (`client <uuid>` when the server sent none).
    pub request_id: String,
}

/// One change `--reduce` tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReduceStep {
    /// What the change removed.
    pub without: String,
    /// Whether the body still failed without it.
    pub still_fails: bool,
    /// The request's id (`client <uuid>` when the server sent none).
    pub request_id: String,
}
