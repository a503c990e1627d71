//! Facts one check hands to the checks that depend on it (the runner guarantees the order):
//! the addresses `dns` found for the host the client connects to, and the latencies `probe`
//! measured for `timeout`.

use std::net::IpAddr;
use std::sync::OnceLock;

/// Written once by the producing check, read by its dependents.
#[derive(Debug, Default)]
pub struct Facts {
    /// Addresses of the host the client connects to first: the API host, or the proxy's host
    /// when a proxy is in the path. Set by `dns`.
    pub connect_addrs: OnceLock<Vec<IpAddr>>,
    /// Latencies of the probe's successful requests. Set by `probe`.
    pub latencies: OnceLock<Vec<Latency>>,
}

/// One successful request's timing.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Latency {
    /// `models` or `chat`.
    pub what: &'static str,
    /// Time to the response head.
    pub ttfb_ms: u64,
    /// Time to the end of the body.
    pub total_ms: u64,
}
