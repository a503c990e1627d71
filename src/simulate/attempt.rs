//! One attempt as `simulate` saw it: what the server records and the audit judges. Bodies are
//! reduced to their size, a hash (to tell retries of one request from new ones) and their model;
//! kept whole only with `--log-bodies`.

use std::time::Duration;

use super::api::Route;
use super::faults::Fault;

/// One attempt as the server saw it.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Since the server started.
    pub at: Duration,
    pub method: String,
    pub path: String,
    pub route: Route,
    pub fault: Fault,
    /// What it answered (`None`: the connection was closed instead).
    pub status: Option<u16>,
    /// `x-stainless-retry-count`, as the official SDKs send it.
    pub retry_count: Option<u32>,
    /// `Idempotency-Key`, where a client sends one.
    pub idempotency_key: Option<String>,
    /// `x-stainless-lang` (python, js) or the User-Agent's product.
    pub client: String,
    pub body_len: usize,
    pub body_hash: u64,
    pub model: Option<String>,
    /// The body itself, only with `--log-bodies`.
    pub body: Option<String>,
    /// For a streamed answer: what the stream came to, once it ended.
    pub stream: Option<super::stream::SeenCell>,
}

/// One line per attempt for stderr.
pub fn line(a: &Attempt) -> String {
    let answer = a.status.map_or_else(|| "connection closed".to_owned(), |s| s.to_string());
    let retry = a.retry_count.map(|n| format!(", x-stainless-retry-count {n}")).unwrap_or_default();
    let client = if a.client.is_empty() { String::new() } else { format!(", {}", a.client) };
    format!(
        "simulate: {:>8.3}s {} {} → {answer} ({}{retry}{client}, {} bytes)",
        a.at.as_secs_f64(),
        a.method,
        a.path,
        a.fault,
        a.body_len
    )
}
