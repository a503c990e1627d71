//! The tls check's details: the TCP connections tried, the chain the server sent, which
//! clients trust it, the session and its timings (or the handshake's error).

use serde::{Deserialize, Serialize};

/// The tls check's details (when it got as far as connecting).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// The API host.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// One TCP connect per address.
    pub connections: Vec<Connection>,
    /// The certificates the server sent, leaf first.
    pub chain: Vec<Cert>,
    /// Where the trust anchors came from.
    pub trust_anchors: TrustSources,
    /// Which client families trust the chain, and the fix for those that do not.
    pub clients: Vec<ClientTrust>,
    /// What the handshake agreed on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
    /// TCP connect to the address the handshake used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<u64>,
    /// The TLS handshake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake_ms: Option<u64>,
    /// Why the handshake failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One TCP connect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Connection {
    /// It connected.
    Connected {
        /// The address.
        to: String,
        /// `IPv4` or `IPv6`.
        family: String,
        /// Time to connect.
        connect_ms: u64,
    },
    /// It failed.
    Failed {
        /// The address.
        to: String,
        /// `IPv4` or `IPv6`.
        family: String,
        /// What happened, in words.
        error: String,
        /// The OS error text.
        detail: String,
        /// Time until the failure.
        after_ms: u64,
    },
}

/// One certificate, described.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cert {
    /// Subject common name.
    pub subject_cn: Option<String>,
    /// Subject organisation.
    pub subject_o: Option<String>,
    /// Issuer common name.
    pub issuer_cn: Option<String>,
    /// Issuer organisation.
    pub issuer_o: Option<String>,
    /// Valid from (RFC 3339).
    pub not_before: String,
    /// Valid until (RFC 3339).
    pub not_after: String,
    /// DNS names and IP addresses it is valid for.
    pub names: Vec<String>,
    /// Where its issuer's certificate can be fetched (AIA caIssuers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_issuers: Option<String>,
}

/// Would this client family trust the chain?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientTrust {
    /// Client family.
    pub client: String,
    /// The store it uses here.
    pub store: String,
    /// Verified against that store.
    pub trusted: bool,
    /// The one setting that would make it trust the chain.
    pub fix: String,
}

/// What a completed handshake agreed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// `TLSv1_3`.
    pub version: Option<String>,
    /// The cipher suite.
    pub cipher: Option<String>,
    /// The protocol ALPN chose.
    pub alpn: Option<String>,
}

/// Where the trust anchors came from, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustSources {
    /// Certificates from the operating system store (and `SSL_CERT_FILE`/`SSL_CERT_DIR`).
    pub system: usize,
    /// Certificates from `--ca-file`.
    pub extra: usize,
    /// Problems met while loading (unreadable files, bad certificates).
    pub errors: Vec<String>,
    /// With `--pid`: whose client's trust this is (`pid 1 (python3), a Python app (httpx/openai: certifi)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// With `--pid`: each file read, in which root, and how many certificates it gave.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// With `--pid`: the places looked in that held nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub looked: Vec<String>,
    /// With `--pid` and a Python app: the certifi bundle its client verifies with (then the
    /// anchors are that bundle); shown through `files`.
    #[serde(skip)]
    pub certifi: Option<String>,
}
