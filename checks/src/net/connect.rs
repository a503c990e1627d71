//! The connect budget of the doctor's HTTP client, as openai-python's httpx gives it: the connect
//! timeout once to the TCP connection and once more to the TLS handshake (httpcore passes it to
//! `connect_tcp` and again to `start_tls`), where reqwest's `connect_timeout` would cover both
//! together and fail a connection the app makes (TCP in 1 s, a handshake of 6 s through a slow
//! TLS-inspecting proxy). The connect timeout is 5 s under the SDK's default timeout, and the
//! app's own timeout when it sets one (`OpenAI(timeout=1.0)` is `httpx.Timeout(1.0)`: 1 s to
//! connect too; `sdk::policy::connect_timeout`). A connector layer times each step; the
//! handshake's start is marked by the TLS configuration's session store, which rustls asks first
//! thing when it starts one.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use std::time::Duration;

use rustls::client::{ClientSessionMemoryCache, ClientSessionStore, Tls12ClientSessionValue, Tls13ClientSessionValue};
use rustls::pki_types::ServerName;
use tokio::time::Instant;

use crate::model::Step;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

tokio::task_local! {
    /// When the TLS handshake of the connection being made started (set by `MarkingStore`).
    static HANDSHAKE: Arc<OnceLock<Instant>>;
}

/// The session store of the client's TLS configuration: rustls's own in-memory cache (what it
/// uses by default), which also marks when a handshake starts for the `Budget` layer around it.
#[derive(Debug)]
pub struct MarkingStore(ClientSessionMemoryCache);

impl MarkingStore {
    /// A store keeping sessions for as many servers as rustls's default (256).
    #[must_use]
    pub fn new() -> Arc<Self> {
        Arc::new(Self(ClientSessionMemoryCache::new(256)))
    }

    /// Outside a `Budget` (the `tls` check's own connections), nothing to mark.
    fn mark() {
        let _ = HANDSHAKE.try_with(|at| at.set(Instant::now()));
    }
}

impl ClientSessionStore for MarkingStore {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: rustls::NamedGroup) {
        self.0.set_kx_hint(server_name, group);
    }

    // rustls asks for the key-exchange hint and a session to resume before it writes its
    // ClientHello: the handshake starts now.
    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<rustls::NamedGroup> {
        Self::mark();
        self.0.kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.0.set_tls12_session(server_name, value);
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        Self::mark();
        self.0.tls12_session(server_name)
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.0.remove_tls12_session(server_name);
    }

    fn insert_tls13_ticket(&self, server_name: ServerName<'static>, value: Tls13ClientSessionValue) {
        self.0.insert_tls13_ticket(server_name, value);
    }

    fn take_tls13_ticket(&self, server_name: &ServerName<'static>) -> Option<Tls13ClientSessionValue> {
        Self::mark();
        self.0.take_tls13_ticket(server_name)
    }
}

/// A connection that ran out of its budget in one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfTime {
    /// The step: `Connect` (everything before the handshake) or `Tls`.
    pub step: Step,
    /// That step's budget.
    pub budget: Duration,
    /// How long the whole connection had been waited for.
    pub waited: Duration,
    /// Whether the budget is the app's own timeout (not the SDK's 5 s connect timeout).
    pub apps: bool,
}

/// Seconds as a budget is said: `5`, `1`, `0.25` (never `0` for a budget under a second).
fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 { format!("{s:.0}") } else { format!("{s:.3}").trim_end_matches('0').to_owned() }
}

/// Why a connection had `budget`, in words: the SDK's connect timeout, or the app's own timeout.
#[must_use]
pub fn budget_words(budget: Duration, apps: bool) -> String {
    if apps {
        format!("your timeout, {} s, as httpx applies it to connecting too", secs(budget))
    } else {
        format!("the connect timeout, {} s", secs(budget))
    }
}

impl std::fmt::Display for OutOfTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (waited, budget) = (self.waited.as_secs_f64(), self.budget.as_secs_f64());
        let words = budget_words(self.budget, self.apps);
        match self.step {
            Step::Tls if self.apps => {
                write!(f, "no TLS handshake within {budget:.1} s of connecting, {waited:.1} s in all ({words})")
            }
            Step::Tls => write!(
                f,
                "no TLS handshake within {budget:.1} s of connecting, {waited:.1} s in all ({words}, given to the handshake on its own, as httpx does)"
            ),
            _ => write!(f, "no connection within {waited:.1} s ({words})"),
        }
    }
}

impl std::error::Error for OutOfTime {}

/// The connect budget: `tcp` for everything before the TLS handshake (the TCP connection, and
/// through a proxy its CONNECT), then `tls` for the handshake from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Until the handshake starts.
    pub tcp: Duration,
    /// The handshake.
    pub tls: Duration,
    /// Whether these are the app's own timeout (said so when it runs out).
    pub apps: bool,
}

impl Budget {
    /// The budget of an app whose per-attempt timeout is `client_timeout`: the SDK's 5 s connect
    /// timeout under its default timeout, else the app's timeout, each to TCP and to TLS.
    #[must_use]
    pub fn for_app(client_timeout: Duration) -> Self {
        let each = crate::sdk::policy::connect_timeout(client_timeout);
        Self { tcp: each, tls: each, apps: client_timeout != crate::sdk::policy::SDK_DEFAULT_TIMEOUT }
    }
}

impl<S> tower_layer::Layer<S> for Budget {
    type Service = Budgeted<S>;

    fn layer(&self, inner: S) -> Budgeted<S> {
        Budgeted { inner, budget: *self }
    }
}

/// The client's connector within a `Budget`.
#[derive(Debug, Clone)]
pub struct Budgeted<S> {
    inner: S,
    budget: Budget,
}

impl<S, R> tower_service::Service<R> for Budgeted<S>
where
    S: tower_service::Service<R, Error = BoxError>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let handshake = Arc::new(OnceLock::new());
        // The handshake starts inside a poll of this future: the store sees the mark there.
        let connecting = HANDSHAKE.scope(handshake.clone(), self.inner.call(request));
        Box::pin(self.budget.within(connecting, handshake))
    }
}

impl Budget {
    /// `connecting`, cut when the step it is in runs out of its budget.
    async fn within<T>(
        self,
        connecting: impl Future<Output = Result<T, BoxError>>,
        handshake: Arc<OnceLock<Instant>>,
    ) -> Result<T, BoxError> {
        let start = Instant::now();
        let mut connecting = std::pin::pin!(connecting);
        loop {
            let (step, budget, ends) = match handshake.get() {
                Some(at) => (Step::Tls, self.tls, *at + self.tls),
                None => (Step::Connect, self.tcp, start + self.tcp),
            };
            match tokio::time::timeout_at(ends, &mut connecting).await {
                Ok(done) => return done,
                // The handshake started while the TCP budget ran: its own budget from its start.
                Err(_) if step == Step::Connect && handshake.get().is_some() => {}
                Err(_) => return Err(Box::new(OutOfTime { step, budget, waited: start.elapsed(), apps: self.apps })),
            }
        }
    }
}

/// The `OutOfTime` in an error's chain, if any.
#[must_use]
pub fn out_of_time(e: &(dyn std::error::Error + 'static)) -> Option<OutOfTime> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(o) = err.downcast_ref::<OutOfTime>() {
            return Some(*o);
        }
        cur = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget() -> Budget {
        Budget { tcp: Duration::from_millis(200), tls: Duration::from_millis(200), apps: false }
    }

    /// A connection that "connects" after `tcp`, marks its handshake, then takes `tls`.
    async fn connection(tcp: Duration, tls: Duration) -> Result<(), BoxError> {
        tokio::time::sleep(tcp).await;
        MarkingStore::mark();
        tokio::time::sleep(tls).await;
        Ok(())
    }

    async fn run(tcp: u64, tls: u64) -> Result<(), BoxError> {
        let handshake = Arc::new(OnceLock::new());
        let c = HANDSHAKE.scope(handshake.clone(), connection(Duration::from_millis(tcp), Duration::from_millis(tls)));
        budget().within(c, handshake).await
    }

    #[tokio::test]
    async fn each_step_has_its_own_budget() {
        // 150 ms + 150 ms: over one budget in all, within each step's.
        assert!(run(150, 150).await.is_ok());
        let e = run(600, 0).await.unwrap_err();
        let o = out_of_time(e.as_ref()).unwrap();
        assert_eq!(o.step, Step::Connect);
        assert!(o.waited >= Duration::from_millis(200) && o.waited < Duration::from_millis(500), "{o:?}");
        assert!(e.to_string().starts_with("no connection within 0.2 s (the connect timeout,"), "{e}");
        let e = run(150, 600).await.unwrap_err();
        let o = out_of_time(e.as_ref()).unwrap();
        assert_eq!(o.step, Step::Tls);
        assert!(o.waited >= Duration::from_millis(350) && o.waited < Duration::from_millis(650), "{o:?}");
        assert!(e.to_string().starts_with("no TLS handshake within 0.2 s of connecting"), "{e}");
    }

    /// Issue 24 review: httpx gives a float timeout to every phase, connecting included
    /// (`httpx.Timeout(1.0)` has `connect=1.0`); only the SDK's default has `connect=5.0`.
    #[test]
    fn the_apps_timeout_is_its_connect_budget_unless_it_is_the_sdks_default() {
        let sdk = Budget::for_app(Duration::from_secs(600));
        assert_eq!(sdk, Budget { tcp: Duration::from_secs(5), tls: Duration::from_secs(5), apps: false });
        let one = Budget::for_app(Duration::from_secs(1));
        assert_eq!(one, Budget { tcp: Duration::from_secs(1), tls: Duration::from_secs(1), apps: true });
        assert_eq!(Budget::for_app(Duration::from_secs(20)).tls, Duration::from_secs(20), "longer than 5 s too");
        assert_eq!(Budget::for_app(Duration::from_millis(250)).tcp, Duration::from_millis(250));

        let tls = OutOfTime {
            step: Step::Tls,
            budget: Duration::from_secs(1),
            waited: Duration::from_millis(1300),
            apps: true,
        };
        assert_eq!(
            tls.to_string(),
            "no TLS handshake within 1.0 s of connecting, 1.3 s in all (your timeout, 1 s, as httpx applies it to connecting too)"
        );
        let tcp = OutOfTime {
            step: Step::Connect,
            budget: Duration::from_millis(250),
            waited: Duration::from_millis(251),
            apps: true,
        };
        assert_eq!(
            tcp.to_string(),
            "no connection within 0.3 s (your timeout, 0.25 s, as httpx applies it to connecting too)"
        );
        let sdk = OutOfTime {
            step: Step::Connect,
            budget: Duration::from_secs(5),
            waited: Duration::from_secs(5),
            apps: false,
        };
        assert_eq!(sdk.to_string(), "no connection within 5.0 s (the connect timeout, 5 s)");
    }

    #[tokio::test]
    async fn an_apps_short_timeout_cuts_the_handshake_at_its_own_length() {
        let b = Budget::for_app(Duration::from_millis(300));
        let handshake = Arc::new(OnceLock::new());
        let c = HANDSHAKE.scope(handshake.clone(), connection(Duration::from_millis(50), Duration::from_secs(3)));
        let e = b.within(c, handshake).await.unwrap_err();
        let o = out_of_time(e.as_ref()).unwrap();
        assert_eq!((o.step, o.budget, o.apps), (Step::Tls, Duration::from_millis(300), true));
        assert!(o.waited < Duration::from_secs(1), "{o:?}");
        assert!(e.to_string().contains("(your timeout, 0.3 s, as httpx applies it to connecting too)"), "{e}");
    }

    #[test]
    fn outside_a_budget_the_store_marks_nothing_and_keeps_sessions() {
        let store = MarkingStore::new();
        let name = ServerName::try_from("api.test").unwrap();
        assert!(store.kx_hint(&name).is_none());
        store.set_kx_hint(name.clone(), rustls::NamedGroup::X25519);
        assert_eq!(store.kx_hint(&name), Some(rustls::NamedGroup::X25519));
    }
}
