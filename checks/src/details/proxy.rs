//! The proxy check's details: which proxy variable applies (and whether NO_PROXY bypasses it),
//! which are set, and, for a proxy in the path, its address, the connect time and its answer
//! to CONNECT.

use serde::{Deserialize, Serialize};

/// The proxy check's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proxy {
    /// The proxy the API host's requests use, or null.
    pub applies: Option<Applies>,
    /// Proxy variables set in the environment.
    pub set: Vec<String>,
    /// The address the proxy resolved to and was connected to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_addr: Option<String>,
    /// TCP (and TLS, for an https proxy) connect to the proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<u64>,
    /// The proxy's answer to CONNECT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_reply: Option<ConnectReply>,
}

/// The proxy that applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Applies {
    /// The variable it comes from.
    pub var: String,
    /// Its URL, password replaced by `***`.
    pub url: String,
    /// The NO_PROXY entry that bypasses it for the API host.
    pub bypassed_by: Option<String>,
}

/// The proxy's answer to CONNECT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectReply {
    /// Its status code.
    pub status: u16,
    /// Its reason phrase.
    pub reason: String,
    /// Time to the answer.
    pub elapsed_ms: u64,
}
