//! Name resolution, two ways: through a nameserver with hickory (the system's, or `--dns-server`),
//! which shows TTLs and the exact failure (NXDOMAIN, SERVFAIL, REFUSED, no answer); and through
//! the OS resolver (`getaddrinfo`, which honours `/etc/hosts` and nsswitch), which is what
//! applications use. Also the `reqwest` resolver that makes every connection use `--dns-server`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};

// A lookup that failed for a reason other than the usual DNS answers. Owned here, where names
// are resolved: `dns` reports it, and so do `tls` and `proxy` when they resolve a host themselves.
code!(
    ERROR,
    "dns.error",
    "The lookup failed",
    "The lookup failed for a reason other than the usual DNS answers (a socket error, a malformed \
answer, no nameserver configured). The finding quotes the error.\n\nFix: as the error says; check \
/etc/resolv.conf.\n\nVerify: the dns check passes."
);

pub use crate::details::dns::{Failure, Lookup, Query};

/// A nameserver resolver and a description of where it sends queries.
#[derive(Clone)]
pub struct Nameserver {
    resolver: TokioResolver,
    timeout: Duration,
    /// `127.0.0.1:53 (from /etc/resolv.conf)` and the like.
    pub describe: String,
}

impl std::fmt::Debug for Nameserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nameserver").field("describe", &self.describe).finish_non_exhaustive()
    }
}

impl Nameserver {
    /// A resolver for `server`, or for the system configuration when `None`.
    ///
    /// # Errors
    /// The system configuration cannot be read.
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Result<Self, String> {
        let (config, opts, describe) = match server {
            Some(addr) => {
                let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
                for c in &mut ns.connections {
                    c.port = addr.port();
                }
                (
                    ResolverConfig::from_parts(None, vec![], vec![ns]),
                    ResolverOpts::default(),
                    format!("{addr} (--dns-server)"),
                )
            }
            None => {
                let (config, opts) = hickory_resolver::system_conf::read_system_conf()
                    .map_err(|e| format!("cannot read the system DNS configuration: {e}"))?;
                let servers: Vec<String> = config.name_servers.iter().map(|n| n.ip.to_string()).collect();
                let describe = format!(
                    "{} (system configuration)",
                    if servers.is_empty() { "none".to_owned() } else { servers.join(", ") }
                );
                (config, opts, describe)
            }
        };
        Self::build(config, opts, describe, timeout)
    }

    /// A resolver configured by another root's resolv.conf (`--pid`: the app's), described as
    /// `127.0.0.11 (SHOWN)` so the report says which file of which root it read.
    ///
    /// # Errors
    /// The file cannot be read, or its configuration cannot be used.
    #[cfg(unix)]
    pub fn from_file(path: &std::path::Path, shown: &str, timeout: Duration) -> Result<Self, String> {
        let text = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
        let (config, opts) =
            hickory_resolver::system_conf::parse_resolv_conf(text).map_err(|e| format!("cannot use {shown}: {e}"))?;
        let servers: Vec<String> = config.name_servers.iter().map(|n| n.ip.to_string()).collect();
        let describe = format!("{} ({shown})", if servers.is_empty() { "none".to_owned() } else { servers.join(", ") });
        Self::build(config, opts, describe, timeout)
    }

    fn build(
        config: ResolverConfig,
        mut opts: ResolverOpts,
        describe: String,
        timeout: Duration,
    ) -> Result<Self, String> {
        opts.timeout = timeout;
        opts.attempts = 1;
        opts.use_hosts_file = ResolveHosts::Never;
        opts.cache_size = 0;
        opts.ndots = 1;
        let resolver = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(opts)
            .build()
            .map_err(|e| format!("cannot build the DNS resolver: {e}"))?;
        Ok(Self { resolver, timeout, describe })
    }

    /// Looks up `host` (as a fully qualified name: no search domains) for `rtype` (A or AAAA).
    pub async fn lookup(&self, host: &str, rtype: RecordType) -> Lookup {
        let start = Instant::now();
        let fqdn = format!("{}.", host.trim_end_matches('.'));
        let query = if rtype == RecordType::AAAA { Query::Aaaa } else { Query::A };
        // hickory may retry over TCP past its own timeout: bound the whole lookup here.
        let result = tokio::time::timeout(self.timeout, self.resolver.lookup(fqdn.as_str(), rtype)).await;
        let elapsed_ms = crate::model::millis(start.elapsed());
        let Ok(result) = result else {
            return Lookup {
                query,
                addrs: Vec::new(),
                cname: Vec::new(),
                ttl: None,
                failure: Some(Failure::Timeout(elapsed_ms)),
                elapsed_ms,
            };
        };
        match result {
            Ok(lookup) => {
                let mut addrs = Vec::new();
                let mut cname = Vec::new();
                let mut ttl: Option<u32> = None;
                for r in lookup.answers() {
                    let ip = match &r.data {
                        RData::A(a) => IpAddr::V4(a.0),
                        RData::AAAA(a) => IpAddr::V6(a.0),
                        // The chain of aliases: a private endpoint shows as *.privatelink.*.
                        RData::CNAME(c) => {
                            cname.push(c.0.to_ascii().trim_end_matches('.').to_owned());
                            continue;
                        }
                        _ => continue,
                    };
                    addrs.push(ip);
                    ttl = Some(ttl.map_or(r.ttl, |t| t.min(r.ttl)));
                }
                let failure = addrs.is_empty().then_some(Failure::NoRecords);
                Lookup { query, addrs, cname, ttl, failure, elapsed_ms }
            }
            Err(e) => Lookup {
                query,
                addrs: Vec::new(),
                cname: Vec::new(),
                ttl: None,
                failure: Some(classify(&e, elapsed_ms)),
                elapsed_ms,
            },
        }
    }

    /// Addresses for `host`: A and AAAA together (for connections).
    pub async fn addrs(&self, host: &str) -> Result<Vec<IpAddr>, Failure> {
        let (a, aaaa) = tokio::join!(self.lookup(host, RecordType::A), self.lookup(host, RecordType::AAAA));
        let addrs: Vec<IpAddr> = a.addrs.iter().chain(&aaaa.addrs).copied().collect();
        if addrs.is_empty() { Err(a.failure.unwrap_or(Failure::NoRecords)) } else { Ok(addrs) }
    }
}

fn classify(e: &NetError, elapsed_ms: u64) -> Failure {
    match e {
        NetError::Dns(DnsError::NoRecordsFound(nr)) => {
            if nr.response_code == ResponseCode::NXDomain {
                Failure::NxDomain
            } else {
                Failure::NoRecords
            }
        }
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => Failure::Refused,
        NetError::Dns(DnsError::ResponseCode(code)) => Failure::ServFail(code.to_string().to_ascii_uppercase()),
        NetError::Timeout => Failure::Timeout(elapsed_ms),
        other => {
            let text = other.to_string();
            if text.contains("timed out") { Failure::Timeout(elapsed_ms) } else { Failure::Other(text) }
        }
    }
}

/// Resolves through the OS (`getaddrinfo`), bounded by `timeout`.
pub async fn system_lookup(host: &str, timeout: Duration) -> Lookup {
    let start = Instant::now();
    let target = format!("{}:0", host.trim_start_matches('[').trim_end_matches(']'));
    let result = tokio::time::timeout(timeout, tokio::net::lookup_host(target)).await;
    let elapsed_ms = crate::model::millis(start.elapsed());
    let (addrs, failure) = match result {
        Ok(Ok(iter)) => {
            let mut addrs: Vec<IpAddr> = Vec::new();
            for a in iter {
                if !addrs.contains(&a.ip()) {
                    addrs.push(a.ip());
                }
            }
            let failure = addrs.is_empty().then_some(Failure::NoRecords);
            (addrs, failure)
        }
        Ok(Err(e)) => {
            let text = e.to_string();
            let lower = text.to_ascii_lowercase();
            let failure = if lower.contains("not known")
                || lower.contains("no address associated")
                || lower.contains("nodename nor servname")
            {
                Failure::NxDomain
            } else if lower.contains("temporary failure") {
                Failure::ServFail(format!("temporary failure ({text})"))
            } else {
                Failure::Other(text)
            };
            (Vec::new(), Some(failure))
        }
        Err(_) => (Vec::new(), Some(Failure::Timeout(elapsed_ms))),
    };
    Lookup { query: Query::System, addrs, cname: Vec::new(), ttl: None, failure, elapsed_ms }
}

/// Addresses for `host:port` the way the client would get them: an IP literal as is, a
/// `--resolve` pin, `--dns-server`, or else the OS resolver.
///
/// # Errors
/// Why the name did not resolve, in words.
pub async fn client_addrs(
    config: &crate::config::Config,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<Vec<IpAddr>, String> {
    if let Ok(ip) = host.parse() {
        return Ok(vec![ip]);
    }
    if let Some(addr) = config.pin_for(host, port) {
        return Ok(vec![addr]);
    }
    if let Some(server) = config.dns_server {
        let ns = Nameserver::new(Some(server), timeout)?;
        return ns.addrs(host).await.map_err(|f| f.describe());
    }
    let l = system_lookup(host, timeout).await;
    if l.addrs.is_empty() {
        Err(l.failure.map_or_else(|| "no address".to_owned(), |f| f.describe()))
    } else {
        Ok(l.addrs)
    }
}

/// What the client resolves names with: the answers looked up ahead of a request (outside the
/// connect timeout, as the SDKs resolve: their connect timeout does not include name resolution),
/// else `--dns-server`, else the OS (`getaddrinfo`).
#[derive(Debug, Clone, Default)]
pub struct AheadResolver {
    /// Names resolved ahead, kept for the run (a pooled connection is reused, not re-resolved).
    pub cache: Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<IpAddr>>>>,
    /// `--dns-server`, when given.
    pub ns: Option<Arc<Nameserver>>,
}

impl AheadResolver {
    /// The addresses resolved ahead for `host`, if any.
    #[must_use]
    pub fn cached(&self, host: &str) -> Option<Vec<IpAddr>> {
        self.cache.lock().ok()?.get(&host.to_ascii_lowercase()).cloned()
    }

    /// Resolves `host` as the client would, bounded by `timeout` alone, and keeps the answer for
    /// the client's next connections.
    ///
    /// # Errors
    /// Why the name did not resolve.
    pub async fn ahead(&self, host: &str, timeout: Duration) -> Result<Vec<IpAddr>, Failure> {
        let addrs = match &self.ns {
            Some(ns) => tokio::time::timeout(timeout, ns.addrs(host))
                .await
                .map_err(|_| Failure::Timeout(crate::model::millis(timeout)))??,
            None => {
                let l = system_lookup(host, timeout).await;
                if l.addrs.is_empty() {
                    return Err(l.failure.unwrap_or_else(|| Failure::Other("no address".to_owned())));
                }
                l.addrs
            }
        };
        if let Ok(mut c) = self.cache.lock() {
            c.insert(host.to_ascii_lowercase(), addrs.clone());
        }
        Ok(addrs)
    }
}

impl reqwest::dns::Resolve for AheadResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let this = self.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = if let Some(ips) = this.cached(&host) {
                ips.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect()
            } else if let Some(ns) = &this.ns {
                let ips = ns.addrs(&host).await.map_err(|f| -> Box<dyn std::error::Error + Send + Sync> {
                    format!("dns error: {}", f.describe()).into()
                })?;
                ips.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect()
            } else {
                tokio::net::lookup_host(format!("{host}:0")).await?.collect()
            };
            let iter: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(iter)
        })
    }
}

/// Makes reqwest resolve every name through `--dns-server`.
#[derive(Debug, Clone)]
pub struct ReqwestResolver(pub Arc<Nameserver>);

impl reqwest::dns::Resolve for ReqwestResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let ns = self.0.clone();
        Box::pin(async move {
            let addrs = ns.addrs(name.as_str()).await.map_err(|f| -> Box<dyn std::error::Error + Send + Sync> {
                format!("dns error: {}", f.describe()).into()
            })?;
            let iter: reqwest::dns::Addrs = Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(iter)
        })
    }
}

/// Whether an address is private, loopback, link-local, CGNAT or unspecified: one this machine or
/// its own network answers, not the internet (documentation and reserved ranges aside).
#[must_use]
pub fn is_non_public(ip: IpAddr) -> bool {
    matches!(special_kind(ip), Some("loopback" | "link-local" | "unspecified" | "private"))
}

/// A private range, as a private endpoint (a VNet, a LAN) uses it: RFC 1918, the shared address
/// space (100.64.0.0/10, some VNets use it), unique local IPv6 (fc00::/7). Loopback and
/// link-local are not.
#[must_use]
pub fn is_private_range(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || (v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1])),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// What kind of special-purpose address `ip` is: `None` for a globally routable (public) one,
/// else `loopback`, `link-local`, `unspecified`, `private`, `documentation`, `benchmarking`,
/// `protocol-assignment`, `multicast` or `reserved`. Only a public address may be called public
/// (std's `is_global` is not stable; these are IANA's special-purpose registries, the parts a DNS
/// answer meets). `is_non_public` and the private-endpoint findings share it.
#[must_use]
pub fn special_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if o[0] == 0 {
                Some("unspecified")
            } else if is_private_range(ip) {
                Some("private")
            } else if matches!(o, [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _]) {
                Some("documentation")
            } else if o[0] == 198 && (o[1] & 0xfe) == 18 {
                Some("benchmarking")
            } else if matches!(o, [192, 0, 0, _]) {
                Some("protocol-assignment")
            } else if o[0] >= 224 && o[0] < 240 {
                Some("multicast")
            } else if o[0] >= 240 {
                Some("reserved")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if let Some(v4) = v6.to_ipv4_mapped() {
                special_kind(IpAddr::V4(v4))
            } else if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if (s[0] & 0xffc0) == 0xfe80 {
                Some("link-local")
            } else if (s[0] & 0xfe00) == 0xfc00 {
                Some("private")
            } else if (s[0], s[1]) == (0x2001, 0x0db8) {
                Some("documentation")
            } else if s[0] >= 0xff00 {
                Some("multicast")
            } else if (s[0] & 0xe000) != 0x2000 {
                // Global unicast is 2000::/3; the rest is reserved or special.
                Some("reserved")
            } else {
                None
            }
        }
    }
}

/// Whether this host has a route to `addr`'s family: a UDP "connect" picks a route and sends nothing.
#[must_use]
pub fn has_route(addr: IpAddr) -> bool {
    let bind: SocketAddr =
        if addr.is_ipv6() { "[::]:0".parse().expect("literal") } else { "0.0.0.0:0".parse().expect("literal") };
    std::net::UdpSocket::bind(bind).and_then(|s| s.connect(SocketAddr::new(addr, 443))).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_ranges() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(is_non_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["162.159.140.245", "2606:4700:7::f3", "2a06:98c1:58::f3"] {
            assert!(!is_non_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn failures_read_well() {
        assert!(Failure::Timeout(3000).describe().contains("3.0 s"));
        assert!(Failure::NxDomain.describe().contains("does not exist"));
    }
}
