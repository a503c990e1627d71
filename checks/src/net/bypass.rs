//! NO_PROXY as the cause. A proxy variable is set, but a NO_PROXY entry matches the API host, so
//! clients go direct; when the direct path fails (no lookup, no connection), the doctor asks the
//! bypassed proxy to CONNECT to the API host. If the proxy gets there, the NO_PROXY entry is what
//! breaks the clients, and `dns` or `tls` (whichever fails first) says so instead of blaming DNS
//! or a firewall. Used by both checks, so it lives here rather than in either.

use std::time::{Duration, Instant};

use crate::config::Config;
use crate::model::{Code, Finding, Outcome, Severity, Status};
use crate::net::context::Net;
use crate::net::tunnel;

/// The bypassed proxy reached the API host.
#[derive(Debug, Clone)]
pub struct Bypass {
    /// The proxy variable (`HTTPS_PROXY`, …).
    pub var: &'static str,
    /// The NO_PROXY entry that matched.
    pub entry: String,
    /// The proxy, password hidden.
    pub proxy: String,
    /// `host:port` of the API.
    pub api: String,
    /// How long the CONNECT took.
    pub elapsed_ms: u64,
}

impl Bypass {
    /// The finding's message, after `direct` (what failed on the direct path).
    #[must_use]
    pub fn message(&self, direct: &str) -> String {
        format!(
            "NO_PROXY entry `{}` sends clients straight to {}, and that fails here ({direct}); through {} ({}) the API host answers (CONNECT 200 in {} ms)",
            self.entry, self.api, self.var, self.proxy, self.elapsed_ms
        )
    }

    /// The remedy.
    #[must_use]
    pub fn remedy(&self) -> String {
        format!(
            "Remove `{}` from NO_PROXY (and no_proxy) so clients use {}: this network only lets HTTPS out through the proxy.\n\nVerify: openai-doctor shows the proxy in the path (proxy check) and tls passes.",
            self.entry, self.var
        )
    }
}

/// When NO_PROXY bypasses a valid proxy for the API host: whether that proxy reaches the API
/// host (`None`: no bypassed proxy, or it does not reach it either). Bounded by `timeout`.
pub async fn through_bypassed_proxy(config: &Config, net: &Net, timeout: Duration) -> Option<Bypass> {
    let choice = net.proxy.as_ref()?;
    let entry = choice.bypassed_by.clone()?;
    let url = choice.url.as_ref().ok()?;
    let started = Instant::now();
    let host = crate::config::bare_host(url);
    let port = url.port_or_known_default().unwrap_or(80);
    let work = async {
        let addrs = crate::net::resolve::client_addrs(config, &host, port, timeout).await.ok()?;
        let addr = std::net::SocketAddr::new(*addrs.first()?, port);
        let (mut stream, _) = tunnel::open_proxy(addr, url, net.roots.clone(), timeout).await.ok()?;
        let api_host = crate::config::bare_host(&config.base_url);
        let reply = tunnel::connect(stream.as_mut(), url, &api_host, config.api_port(), timeout).await.ok()?;
        (reply.status == 200).then(|| Bypass {
            var: choice.var,
            entry,
            proxy: choice.display(),
            api: format!("{api_host}:{}", config.api_port()),
            elapsed_ms: crate::model::millis(started.elapsed()),
        })
    };
    tokio::time::timeout(timeout, work).await.ok().flatten()
}

/// `out` as is, unless it failed while NO_PROXY bypasses a proxy that reaches the API host: then
/// that is named first, as the cause, with `code`.
pub async fn name_if_cause(
    config: &Config,
    net: &Net,
    out: Outcome,
    code: &'static Code,
    timeout: Duration,
) -> Outcome {
    let bypassed = net.proxy.as_ref().is_some_and(|c| c.bypassed_by.is_some());
    if out.status != Status::Fail || !bypassed {
        return out;
    }
    match through_bypassed_proxy(config, net, timeout).await {
        Some(b) => {
            let direct = out.summary.clone();
            let summary = format!("NO_PROXY `{}` bypasses {}, which reaches the API: {direct}", b.entry, b.var);
            out.cause_first(Finding::new(code, Severity::Fail, b.message(&direct), b.remedy()), summary)
        }
        None => out,
    }
}
