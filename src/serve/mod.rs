//! `openai-doctor serve`: the doctor as a Prometheus exporter, like blackbox_exporter.
//! `/probe?checks=…&target=…` answers a run as OpenMetrics (or Prometheus 0.0.4 text when the
//! scraper asks for it); runs are cached for `--cache` seconds, so a fleet of scrapers costs one
//! run per interval, and concurrent scrapes of the same probe share the run in flight. A scrape
//! never outlives `--deadline` nor the `X-Prometheus-Scrape-Timeout-Seconds` it was sent with.
//! `/metrics` is the exporter's own health, `/report` the last run's JSON report. The billable
//! request is off unless `--allow-billable`; the listener is loopback unless `--listen` says
//! otherwise; targets other than the configured base URL must be allowed by name.

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

/// What one probe asks for: the checks and the target (the cache key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Probe {
    only: Vec<CheckId>,
    target: url::Url,
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

type Cell = Arc<tokio::sync::OnceCell<Arc<Done>>>;

struct State {
    base: Config,
    selection: Selection,
    allowed: Vec<url::Url>,
    cache_for: Duration,
    deadline: Duration,
    output: Output,
    runs: Mutex<HashMap<Probe, Cell>>,
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
    Session::new(base.clone()).map_err(AppError::usage)?;
    let output = Output::new(openai_doctor_checks::net::context::redactor_for(&base));
    let mut allowed = vec![base.base_url.clone()];
    allowed.extend(args.allow_target.iter().cloned());
    let state = Arc::new(State {
        deadline: base.deadline,
        base,
        selection,
        allowed,
        cache_for: args.cache,
        output: output.clone(),
        runs: Mutex::new(HashMap::new()),
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

async fn accept(listener: tokio::net::TcpListener, state: Arc<State>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(route(&req, &state).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), service).await;
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
            }
            "target" => {
                let url = openai_doctor_checks::config::parse_http_url("target", &pair.1)?;
                if !state.allowed.contains(&url) {
                    return Err(format!(
                        "target {url} is not allowed: serve probes its base URL and those given with --allow-target"
                    ));
                }
                target = url;
            }
            other => return Err(format!("unknown parameter `{other}` (checks, target)")),
        }
    }
    Ok(Probe { only, target })
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
    let cell = {
        let mut runs = state.runs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let fresh = runs.get(&probe).is_some_and(|c| c.get().is_none_or(|d| d.at.elapsed() < state.cache_for));
        if !fresh {
            runs.insert(probe.clone(), Cell::default());
        }
        runs[&probe].clone()
    };
    if cell.initialized() {
        state.scrapes_cached.fetch_add(1, Ordering::Relaxed);
    }
    let work = cell.get_or_init(|| one_run(state.clone(), probe.clone(), budget));
    let mut stop = state.stop.subscribe();
    let answer = tokio::select! {
        a = tokio::time::timeout(budget + Duration::from_millis(200), work) => a,
        _ = stop.wait_for(|s| *s) => return text(503, "openai-doctor serve is shutting down".to_owned()),
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
    config.base_url = probe.target;
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
    d.family("openai_doctor_exporter_uptime_seconds", "gauge", Some("seconds"), "Seconds since serve started.");
    d.sample("openai_doctor_exporter_uptime_seconds", &[], state.started.elapsed().as_secs_f64());
    d.finish()
}
