//! Facts one check hands to the checks that depend on it (the runner guarantees the order):
//! the addresses `dns` found for the host the client connects to.

use std::net::IpAddr;
use std::sync::OnceLock;

/// Written once by the producing check, read by its dependents.
#[derive(Debug, Default)]
pub struct Facts {
    /// Addresses of the host the client connects to first: the API host, or the proxy's host
    /// when a proxy is in the path. Set by `dns`.
    pub connect_addrs: OnceLock<Vec<IpAddr>>,
}
