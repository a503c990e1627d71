//! The `Check` trait, the context a check runs in, and the registry of checks in report order.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::config::Config;
use crate::model::{CheckId, Code, Outcome};
use crate::net::context::Net;

/// A boxed future, as the `Check` trait returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Static facts about a check.
#[derive(Debug)]
pub struct CheckInfo {
    /// Stable id.
    pub id: CheckId,
    /// Human title.
    pub title: &'static str,
    /// What it verifies, in one sentence.
    pub verifies: &'static str,
    /// The troubleshooting-guide step it follows.
    pub guide_step: &'static str,
    /// Its own time limit (the run deadline may cut it shorter).
    pub time_limit: Duration,
    /// Every finding code it can emit, for the catalogue (`explain`) and README.
    pub codes: &'static [&'static Code],
}

/// What the check is doing right now (so a timeout can say what it was waiting for), and when
/// its time runs out (so it can shorten its own waits and report, instead of being cut off).
#[derive(Debug, Clone)]
pub struct Activity {
    /// What the check waits for, and whether that is the network (a time-out then points at a
    /// firewall or a stalled peer) or local work (validation, a backoff of its own).
    doing: Arc<Mutex<(String, bool)>>,
    ends_at: tokio::time::Instant,
}

impl Default for Activity {
    fn default() -> Self {
        Self::until(tokio::time::Instant::now() + Duration::from_secs(3600))
    }
}

impl Activity {
    /// An activity whose time runs out at `ends_at`.
    #[must_use]
    pub fn until(ends_at: tokio::time::Instant) -> Self {
        Self { doing: Arc::default(), ends_at }
    }

    /// Time left before the check is cut off.
    #[must_use]
    pub fn time_left(&self) -> Duration {
        self.ends_at.saturating_duration_since(tokio::time::Instant::now())
    }

    /// `want`, shortened so that it ends `margin` before the check is cut off.
    #[must_use]
    pub fn bounded(&self, want: Duration, margin: Duration) -> Duration {
        want.min(self.time_left().saturating_sub(margin))
    }

    /// Records what the check is waiting for now: something on the network.
    pub fn set(&self, what: impl Into<String>) {
        if let Ok(mut a) = self.doing.lock() {
            *a = (what.into(), true);
        }
    }

    /// Records local work the check is doing now (no network wait).
    pub fn set_local(&self, what: impl Into<String>) {
        if let Ok(mut a) = self.doing.lock() {
            *a = (what.into(), false);
        }
    }

    /// The last thing recorded.
    #[must_use]
    pub fn get(&self) -> String {
        self.doing.lock().map(|a| a.0.clone()).unwrap_or_default()
    }

    /// Whether the last thing recorded is a wait on the network.
    #[must_use]
    pub fn on_network(&self) -> bool {
        self.doing.lock().is_ok_and(|a| a.1)
    }
}

/// Everything a check may read.
#[derive(Debug)]
pub struct Context {
    /// The validated configuration.
    pub config: Config,
    /// The shared network context.
    pub net: Net,
    /// Facts checks hand to their dependents.
    pub facts: crate::engine::facts::Facts,
}

impl Context {
    /// The first host and port the client connects to: the proxy's when a proxy is in the
    /// path, else the API's.
    #[must_use]
    pub fn first_hop(&self) -> (String, u16) {
        match self.net.proxy_url() {
            Some(url) => (crate::config::bare_host(url), url.port_or_known_default().unwrap_or(80)),
            None => (crate::config::bare_host(&self.config.base_url), self.config.api_port()),
        }
    }

    /// Addresses of the first hop: what `dns` found, or, when `dns` was not selected, a lookup
    /// the way the client would do it (IP literal, `--resolve`, `--dns-server`, the OS).
    ///
    /// # Errors
    /// Why the name did not resolve, in words.
    pub async fn first_hop_addrs(&self, timeout: Duration) -> Result<Vec<std::net::IpAddr>, String> {
        if let Some(addrs) = self.facts.connect_addrs.get() {
            return Ok(addrs.clone());
        }
        let (host, port) = self.first_hop();
        crate::net::resolve::client_addrs(&self.config, &host, port, timeout).await
    }

    /// A context for `config`, with the network context built from it.
    ///
    /// # Errors
    /// See [`Net::new`].
    pub fn new(config: Config) -> Result<Self, crate::net::context::NetError> {
        let net = Net::new(&config)?;
        Ok(Self { config, net, facts: crate::engine::facts::Facts::default() })
    }
}

/// One check of the checklist.
pub trait Check: Send + Sync {
    /// Static facts.
    fn info(&self) -> &'static CheckInfo;

    /// Ids of the checks that must pass (or warn) before this one runs, given the configuration.
    fn needs(&self, _ctx: &Context) -> &'static [CheckId] {
        &[]
    }

    /// Runs the check. Record what it waits for in `activity`.
    fn run<'a>(&'a self, ctx: &'a Context, activity: &'a Activity) -> BoxFuture<'a, Outcome>;

    /// What the check can tell without the network (the key's presence and shape), reported
    /// even when a check it needs failed and it did not run.
    fn offline(&self, _ctx: &Context) -> Vec<crate::model::Finding> {
        Vec::new()
    }
}
