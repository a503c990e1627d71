//! `openai-doctor serve`: the doctor as a Prometheus exporter, like blackbox_exporter.
//! `/probe?checks=…&target=…` answers a run as OpenMetrics (or Prometheus 0.0.4 text when the
//! scraper asks for it); runs are cached for `--cache` seconds, so a fleet of scrapers costs one
//! run per interval, and concurrent scrapes of the same probe share the run in flight. A scrape
//! never outlives `--deadline` nor the `X-Prometheus-Scrape-Timeout-Seconds` it was sent with.
//! `/metrics` is the exporter's own health, `/report` the last run's JSON report. The billable
//! request is off unless `--allow-billable`; the listener is loopback unless `--listen` says
//! otherwise; targets other than the configured base URL must be allowed by name. What bounds
//! the work a scraper can cause (canonical check sets, caps, timeouts) is in `limits`.

mod limits;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use openai_doctor_checks::engine::runner::{self, Selection};
use openai_doctor_checks::model::CheckId;
use openai_doctor_checks::{Config, RunReport, url};

use crate::cli::ServeArgs;
use crate::exit::AppError;
use crate::output::Output;
use crate::report::openmetrics::{self, Dialect};
use crate::report::{Target, json};
use crate::setup::Session;

/// What one probe asks for: the checks (a canonical set), the target and, when a scraper's
/// timeout shortened it, the budget (the cache key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Probe {
    only: Vec<CheckId>,
    target: url::Url,
    budget: Option<u64>,
}

/// One finished run, as every scrape of it answers (or why it could not run).
struct Done {
    at: Instant,
    result: Result<(RunReport, Target), String>,
    /// The redacted document per dialect, rendered once: a cached scrape only copies bytes.
    rendered: [std::sync::OnceLock<Bytes>; 2],
}

impl Done {
    fn document(&self, run: &RunReport, target: &Target, dialect: Dialect, output: &Output) -> Bytes {
        let slot = &self.rendered[usize::from(dialect == Dialect::Prometheus)];
        slot.get_or_init(|| Bytes::from(output.redactor().redact(&openmetrics::render(run, target, dialect)))).clone()
    }
}

/// A run: in flight (`None`) or done. The run is its own task, shared by every scrape of it: a
/// scraper that goes away neither cancels it nor makes the next one start another.
type Cell = tokio::sync::watch::Receiver<Option<Arc<Done>>>;

struct State {
    base: Config,
    selection: Selection,
    allowed: Vec<url::Url>,
    cache_for: Duration,
    deadline: Duration,
    output: Output,
    runs: Mutex<HashMap<Probe, Cell>>,
    limits: limits::Limits,
    last: Mutex<Option<Arc<Done>>>,
    shutting_down: AtomicBool,
    /// Wakes scrapes waiting on a run when shutdown begins.
    stop: tokio::sync::watch::Sender<bool>,
    started: Instant,
    runs_total: AtomicU64,
    scrapes_ok: AtomicU64,
    scrapes_cached: AtomicU64,
    scrapes_bad: AtomicU64,
    scrapes_failed: AtomicU64,
}

/// Runs `serve` until Ctrl-C or SIGTERM.
///
/// # Errors
/// A bad configuration or an address that cannot be bound (exit 2).
pub fn run(args: ServeArgs) -> Result<u8, AppError> {
    if args.run.bundle.is_some() || args.run.output.is_some() || args.run.payload.is_some() {
        return Err(AppError::usage("serve answers scrapes: --bundle, --output and --payload do not apply"));
    }
    let (mut base, selection) = crate::setup::prepare(&args.run)?;
    base.billable = args.allow_billable;
    // A configuration that cannot make a run (an unreadable --ca-file) fails now, not per scrape.
    Session::new(base.clone()).map_err(|e| crate::setup::net_error(&e, str::to_owned))?;
    let output = Output::new(openai_doctor_checks::net::context::redactor_for(&base));
    let mut allowed = vec![base.base_url.clone()];
    allowed.extend(args.allow_target.iter().cloned());
    // The Azure endpoint as the user wrote it (AZURE_OPENAI_ENDPOINT) names the configured target
    // too, not only the base URL the AzureOpenAI client builds from it.
    if let Some(azure) = base.provider.azure() {
        allowed.push(azure.endpoint.clone());
    }
    let state = Arc::new(State {
        deadline: base.deadline,
        base,
        selection,
        allowed,
        cache_for: args.cache,
        output: output.clone(),
        runs: Mutex::new(HashMap::new()),
        limits: limits::Limits::default(),
        last: Mutex::new(None),
        shutting_down: AtomicBool::new(false),
        stop: tokio::sync::watch::channel(false).0,
        started: Instant::now(),
        runs_total: AtomicU64::new(0),
        scrapes_ok: AtomicU64::new(0),
        scrapes_cached: AtomicU64::new(0),
        scrapes_bad: AtomicU64::new(0),
        scrapes_failed: AtomicU64::new(0),
    });
    let runtime = crate::setup::runtime()?;
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| AppError::usage(format!("cannot listen on {}: {e}", args.listen)))?;
        let addr = listener.local_addr().map_err(|e| AppError::internal(e.to_string()))?;
        let reach = if addr.ip().is_loopback() { "loopback only" } else { "reachable from other hosts" };
        let billable = if args.allow_billable { "on (--allow-billable)" } else { "off" };
        output.stderr(&format!(
            "serve: http://{addr}/probe ({reach}); /metrics, /report; cache {}s; billable request {billable}",
            args.cache.as_secs_f64()
        ))?;
        tokio::spawn(sweep(state.clone()));
        let accepting = accept(listener, state.clone());
        tokio::pin!(accepting);
        tokio::select! {
            () = &mut accepting => {}
            () = crate::signals::interrupted() => {}
        }
        // Scrapes that arrive now get a clean 503 for a moment instead of a refused connection.
        state.shutting_down.store(true, Ordering::SeqCst);
        let _ = state.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(1), accepting).await;
        Ok(crate::exit::OK)
    });
    // A run in flight (a lookup on a blocking thread, say) must not hold the exit up.
    runtime.shutdown_background();
    result
}

/// Drops expired runs from the cache now and then, so the memory of a burst of probes is given
/// back without waiting for the next new probe.
async fn sweep(state: Arc<State>) {
    let every = state.cache_for.max(Duration::from_secs(1));
    loop {
        tokio::time::sleep(every).await;
        let mut runs = state.runs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        runs.retain(|_, c| c.borrow().as_ref().is_none_or(|d| d.at.elapsed() < state.cache_for));
        runs.shrink_to_fit();
    }
}

async fn accept(listener: tokio::net::TcpListener, state: Arc<State>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let Some(slot) = state.limits.connection() else {
            // Over the cap: say so and close, without reading what the client sends.
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt as _;
                let mut tcp = tcp;
                let _ = tokio::time::timeout(Duration::from_secs(1), tcp.write_all(limits::BUSY)).await;
            });
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(route(&req, &state).await) }
            });
            let connection = limits::http1().serve_connection(TokioIo::new(tcp), service);
            let _ = tokio::time::timeout(limits::CONNECTION_LIFETIME, connection).await;
            drop(slot);
        });
    }
}

type Reply = hyper::Response<Full<Bytes>>;

fn reply(status: u16, content_type: &str, body: impl Into<Bytes>) -> Reply {
    hyper::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())))
}

fn text(status: u16, body: String) -> Reply {
    reply(status, "text/plain; charset=utf-8", body + "\n")
}

async fn route(req: &hyper::Request<hyper::body::Incoming>, state: &Arc<State>) -> Reply {
    if state.shutting_down.load(Ordering::SeqCst) {
        return text(503, "openai-doctor serve is shutting down".to_owned());
    }
    if req.method() != hyper::Method::GET {
        return text(405, "only GET".to_owned());
    }
    let dialect = negotiate(req.headers().get("accept").and_then(|v| v.to_str().ok()));
    match req.uri().path() {
        "/probe" => probe(req, state, dialect).await,
        "/metrics" => reply(200, dialect.content_type(), own_metrics(state, dialect)),
        "/report" => match state.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone() {
            Some(done) => match &done.result {
                Ok((run, target)) => {
                    let mut doc = json::document(run, target);
                    state.output.redactor().redact_json(&mut doc);
                    reply(200, "application/json", doc.to_string())
                }
                Err(why) => text(500, state.output.redactor().redact(why)),
            },
            None => text(404, "no run yet: scrape /probe first".to_owned()),
        },
        "/" => text(200, "openai-doctor serve: /probe?checks=dns,tls&target=URL, /metrics, /report".to_owned()),
        other => text(404, format!("no such page: {other} (/probe, /metrics, /report)")),
    }
}

/// OpenMetrics when the scraper lists it, else Prometheus 0.0.4 text (what older scrapers and
/// curl get).
fn negotiate(accept: Option<&str>) -> Dialect {
    if accept.is_some_and(|a| a.contains("application/openmetrics-text")) {
        Dialect::OpenMetrics
    } else {
        Dialect::Prometheus
    }
}

/// The probe a query asks for, or why it is malformed.
fn parse_query(query: &str, state: &State) -> Result<Probe, String> {
    let mut only = state.selection.only.clone();
    let mut target = state.base.base_url.clone();
    for pair in url::form_urlencoded::parse(query.as_bytes()) {
        match pair.0.as_ref() {
            "checks" => {
                only = Vec::new();
                for id in pair.1.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    only.push(CheckId::parse(id)?);
                }
                only = limits::canonical(only);
            }
            "target" => {
                let url = openai_doctor_checks::config::parse_http_url("target", &pair.1)?;
                // A trailing slash is no other target (…/v1 and …/v1/ are one base URL to the SDKs).
                let same = |a: &url::Url| {
                    let path = |u: &url::Url| u.path().trim_end_matches('/').to_owned();
                    a.origin() == url.origin() && path(a) == path(&url) && a.query() == url.query()
                };
                let Some(allowed) = state.allowed.iter().find(|a| same(a)) else {
                    return Err(format!(
                        "target {url} is not allowed: serve probes its base URL and those given with --allow-target"
                    ));
                };
                // The configured endpoint, however written, is the configured run.
                let configured = state.base.provider.azure().is_some_and(|a| a.endpoint == *allowed);
                target = if configured { state.base.base_url.clone() } else { allowed.clone() };
            }
            other => return Err(format!("unknown parameter `{other}` (checks, target)")),
        }
    }
    Ok(Probe { only: limits::canonical(only), target, budget: None })
}

/// The scrape's time budget: `--deadline`, or less when Prometheus says its timeout is shorter.
fn budget(req: &hyper::Request<hyper::body::Incoming>, deadline: Duration) -> Duration {
    let header = req.headers().get("x-prometheus-scrape-timeout-seconds").and_then(|v| v.to_str().ok());
    let scrape = header.and_then(|v| v.trim().parse::<f64>().ok()).filter(|s| s.is_finite() && *s > 0.0);
    // Half a second for the answer to travel, as blackbox_exporter keeps.
    scrape.map_or(deadline, |s| deadline.min(Duration::from_secs_f64((s - 0.5).max(0.1))))
}

async fn probe(req: &hyper::Request<hyper::body::Incoming>, state: &Arc<State>, dialect: Dialect) -> Reply {
    let probe = match parse_query(req.uri().query().unwrap_or_default(), state) {
        Ok(p) => p,
        Err(why) => {
            state.scrapes_bad.fetch_add(1, Ordering::Relaxed);
            return text(400, state.output.redactor().redact(&why));
        }
    };
    let budget = budget(req, state.deadline);
    let probe = Probe { budget: limits::budget_key(budget, state.deadline), ..probe };
    let mut cell = {
        let mut runs = state.runs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let fresh = |c: &Cell| c.borrow().as_ref().is_none_or(|d| d.at.elapsed() < state.cache_for);
        match runs.get(&probe) {
            Some(c) if fresh(c) => c.clone(),
            _ => {
                // Expired entries go first, so the cache holds at most MAX_CACHED probes.
                runs.retain(|_, c| fresh(c));
                if runs.len() >= limits::MAX_CACHED {
                    state.scrapes_failed.fetch_add(1, Ordering::Relaxed);
                    return text(
                        503,
                        format!(
                            "serve keeps at most {} distinct probes (check set, target, budget) and all are in use; try again once one expires (--cache)",
                            limits::MAX_CACHED
                        ),
                    );
                }
                let Some(slot) = state.limits.run() else {
                    state.scrapes_failed.fetch_add(1, Ordering::Relaxed);
                    return text(
                        503,
                        format!(
                            "{} runs are in flight (serve's cap); a scrape of one of them waits for it, a new probe is refused: try again shortly",
                            limits::MAX_RUNS
                        ),
                    );
                };
                let (tx, rx) = tokio::sync::watch::channel(None);
                let run = one_run(state.clone(), probe.clone(), budget);
                tokio::spawn(async move {
                    let done = run.await;
                    drop(slot);
                    let _ = tx.send(Some(done));
                });
                runs.insert(probe, rx.clone());
                rx
            }
        }
    };
    if cell.borrow().is_some() {
        state.scrapes_cached.fetch_add(1, Ordering::Relaxed);
    }
    let mut stop = state.stop.subscribe();
    let work = async move { cell.wait_for(Option::is_some).await.ok().and_then(|d| d.clone()) };
    let answer = tokio::select! {
        a = tokio::time::timeout(budget + Duration::from_millis(200), work) => a,
        _ = stop.wait_for(|s| *s) => return text(503, "openai-doctor serve is shutting down".to_owned()),
    };
    let answer = match answer {
        Ok(Some(done)) => Ok(done),
        Ok(None) => return text(500, "the run ended without a result".to_owned()),
        Err(e) => Err(e),
    };
    match answer {
        Ok(done) => match &done.result {
            Ok((run, target)) => {
                state.scrapes_ok.fetch_add(1, Ordering::Relaxed);
                reply(200, dialect.content_type(), done.document(run, target, dialect, &state.output))
            }
            Err(why) => {
                state.scrapes_failed.fetch_add(1, Ordering::Relaxed);
                text(500, state.output.redactor().redact(why))
            }
        },
        Err(_) => {
            state.scrapes_failed.fetch_add(1, Ordering::Relaxed);
            text(
                503,
                format!(
                    "the run did not finish within this scrape's {:.1} s (a run started by an earlier scrape is still going)",
                    budget.as_secs_f64()
                ),
            )
        }
    }
}

async fn one_run(state: Arc<State>, probe: Probe, budget: Duration) -> Arc<Done> {
    let mut config = state.base.clone();
    // Another allowed target is another API: its provider is decided as for --base-url.
    if probe.target != config.base_url {
        use openai_doctor_checks::provider::{self, BaseSource, Choice, Inputs};
        let inputs = Inputs {
            choice: Choice::Auto,
            base_url: probe.target.clone(),
            base_source: BaseSource::Flag,
            azure_endpoint: None,
            endpoint_typed: false,
            api_version: config.provider.azure().and_then(|a| a.api_version.clone()),
        };
        match provider::decide(&inputs, &config.env) {
            Ok(decision) => config.set_provider(decision),
            Err(_) => config.base_url = probe.target,
        }
    }
    config.deadline = budget;
    let selection = Selection { only: probe.only, skip: state.selection.skip.clone() };
    state.runs_total.fetch_add(1, Ordering::Relaxed);
    // A session per run: a fresh connection pool, so each run measures connecting as a client does.
    let result = match Session::new(config) {
        Ok(session) => {
            let run = session.run(&selection, std::future::pending::<()>(), &runner::Live::default()).await;
            run.map(|run| (run, session.target)).map_err(|e| format!("cannot run: {e}"))
        }
        // Checked at start; a CA file removed since, say.
        Err(e) => Err(format!("cannot run: {e}")),
    };
    let done = Done { at: Instant::now(), result, rendered: Default::default() };
    let done = Arc::new(done);
    *state.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(done.clone());
    done
}

fn own_metrics(state: &State, dialect: Dialect) -> String {
    #[allow(clippy::cast_precision_loss)]
    let n = |c: &AtomicU64| c.load(Ordering::Relaxed) as f64;
    let mut d = openmetrics::Doc::new(dialect);
    d.family("openai_doctor_exporter_runs_total", "counter", None, "Doctor runs started by scrapes.");
    d.sample("openai_doctor_exporter_runs_total", &[], n(&state.runs_total));
    d.family(
        "openai_doctor_exporter_scrapes_total",
        "counter",
        None,
        "Scrapes of /probe by result: answered (fresh or cached), cached, bad_request, timed_out.",
    );
    for (result, counter) in [
        ("answered", &state.scrapes_ok),
        ("cached", &state.scrapes_cached),
        ("bad_request", &state.scrapes_bad),
        ("timed_out", &state.scrapes_failed),
    ] {
        d.sample("openai_doctor_exporter_scrapes_total", &[("result", result)], n(counter));
    }
    d.family("openai_doctor_exporter_runs_in_flight", "gauge", None, "Doctor runs in flight now (capped).");
    #[allow(clippy::cast_precision_loss)]
    d.sample("openai_doctor_exporter_runs_in_flight", &[], state.limits.runs_in_flight() as f64);
    d.family("openai_doctor_exporter_connections", "gauge", None, "Open connections to serve now (capped).");
    #[allow(clippy::cast_precision_loss)]
    d.sample("openai_doctor_exporter_connections", &[], state.limits.open_connections() as f64);
    d.family("openai_doctor_exporter_uptime_seconds", "gauge", Some("seconds"), "Seconds since serve started.");
    d.sample("openai_doctor_exporter_uptime_seconds", &[], state.started.elapsed().as_secs_f64());
    d.finish()
}
