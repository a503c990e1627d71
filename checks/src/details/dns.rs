//! The dns check's details: the host looked up and every lookup (the nameserver's A and AAAA,
//! the OS resolver's), or, with an IP literal or a `--resolve` pin, the address used. `Lookup`
//! and `Failure` are also what `net::resolve` returns.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::words;

/// The dns check's details.
// One per run, and already boxed in `Details`: boxing `Looked` again would only add a hop.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Dns {
    /// The host was looked up.
    Looked(Looked),
    /// No lookup: an IP literal, a `--resolve` pin, or no usable DNS configuration.
    Direct(Direct),
}

/// What the lookups found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Looked {
    /// The host looked up: the API host, or the proxy's host when a proxy is in the path.
    pub host: String,
    /// `API host` or `proxy host`.
    pub role: String,
    /// The nameserver asked (system or `--dns-server`).
    pub nameserver: String,
    /// A, AAAA and the OS resolver's lookup.
    pub lookups: Vec<Lookup>,
    /// The hosts file's entries for the host.
    pub hosts_file: HostsFile,
    /// With a proxy: the API host as this machine resolves it.
    pub api_host_via_this_machine: Option<Lookup>,
    /// Each nameserver of resolv.conf asked on its own (when there are several).
    pub each_nameserver: Vec<EachNameserver>,
}

/// No lookup was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Direct {
    /// The host.
    pub host: String,
    /// With an IP literal or a `--resolve` pin: the address used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addrs: Vec<IpAddr>,
    /// The address comes from `--resolve`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pinned: bool,
}

/// The hosts file and its entries for the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostsFile {
    /// Where it is.
    pub path: String,
    /// Addresses it gives the host.
    pub entries: Vec<IpAddr>,
}

/// One nameserver's own answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EachNameserver {
    /// The nameserver.
    pub nameserver: String,
    /// Its answer.
    pub lookup: Lookup,
}

words! {
    /// Which lookup.
    pub enum Query {
        /// The nameserver's A records.
        A = "A",
        /// The nameserver's AAAA records.
        Aaaa = "AAAA",
        /// The OS resolver (getaddrinfo).
        System = "system",
    }
}

/// Why a lookup produced no address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Failure {
    /// The name does not exist (NXDOMAIN).
    NxDomain,
    /// The name exists but has no record of this type.
    NoRecords,
    /// SERVFAIL or another error code.
    ServFail(String),
    /// REFUSED: the server will not answer this client or this name.
    Refused,
    /// No answer within the time limit.
    Timeout(u64),
    /// Anything else (socket errors, malformed answers).
    Other(String),
}

impl Failure {
    /// Words for a report.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::NxDomain => "NXDOMAIN (the name does not exist)".to_owned(),
            Self::NoRecords => "no address records".to_owned(),
            Self::ServFail(code) => format!("{code} (the nameserver failed to answer)"),
            Self::Refused => "REFUSED (the nameserver will not answer this query)".to_owned(),
            Self::Timeout(ms) => format!("no answer within {:.1} s", Duration::from_millis(*ms).as_secs_f64()),
            Self::Other(e) => e.clone(),
        }
    }
}

/// One lookup's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    /// `A`, `AAAA`, or `system` for getaddrinfo.
    pub query: Query,
    /// Addresses found.
    pub addrs: Vec<IpAddr>,
    /// The aliases the answer went through, in order (`res.openai.azure.com` →
    /// `res.privatelink.openai.azure.com`): each CNAME's target, without the trailing dot.
    /// Nameserver lookups only; empty when the name itself holds the addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cname: Vec<String>,
    /// Smallest TTL of the answer, in seconds (nameserver lookups only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    /// Why there is no address, when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// Time taken.
    pub elapsed_ms: u64,
}
