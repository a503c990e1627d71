//! The retry audit: groups the attempts `simulate` saw into logical requests and judges the
//! client's retry behaviour against what the official SDKs do (openai-facts §1: retry 408, 409,
//! 429 and 5xx and connection errors; exponential backoff from 0.5 s, ×2, capped at 8 s, minus up
//! to 25 % jitter; honour `retry-after-ms`/`Retry-After` up to 60 or 120 s; never retry other
//! 4xx). Each verdict says what was seen and the fix.

use std::time::Duration;

use serde_json::{Value, json};

use super::api::Route;
use openai_doctor_checks::model::plural;

use super::attempt::Attempt;
use super::faults::Fault;
use super::stream::StreamFault;

/// A gap shorter than this between a failure and the next attempt is a tight loop.
const TIGHT: Duration = Duration::from_millis(100);
/// The same body again within this long, with no retry counter to say otherwise, is a retry.
const SAME_REQUEST_WINDOW: Duration = Duration::from_secs(130);

/// A logical request: its attempts in order.
#[derive(Debug)]
pub struct Request<'a> {
    pub attempts: Vec<&'a Attempt>,
}

impl Request<'_> {
    fn last(&self) -> &Attempt {
        self.attempts[self.attempts.len() - 1]
    }
    fn succeeded(&self) -> bool {
        self.last().status.is_some_and(|s| s < 400) && self.last().fault != Fault::Stall && !cut_stream(self.last())
    }
    fn span(&self) -> Duration {
        self.last().at.saturating_sub(self.attempts[0].at)
    }
}

/// Groups attempts into logical requests. An attempt continues the latest unfinished request,
/// seen within the window, with the same method and route and either the same body (or
/// idempotency key) or an SDK retry counter above 0 (a retry whose body changed, a multipart
/// boundary say). A counter of 0 does not start a new request by itself: a loop around an SDK
/// with max_retries=0 sends 0 on every attempt.
pub fn group(attempts: &[Attempt]) -> Vec<Request<'_>> {
    use std::collections::HashMap;
    let mut out: Vec<Request<'_>> = Vec::new();
    // The latest request per body, per idempotency key and per route: one lookup per attempt,
    // so a load test's hundreds of thousands of attempts group in linear time.
    let mut by_body: HashMap<(&str, Route, u64), usize> = HashMap::new();
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    let mut by_route: HashMap<(&str, Route), usize> = HashMap::new();
    for a in attempts.iter().filter(|a| a.route != Route::NotFound) {
        let route = (a.method.as_str(), a.route);
        let body = (a.method.as_str(), a.route, a.body_hash);
        let candidate = match &a.idempotency_key {
            Some(k) => by_key.get(k.as_str()).copied(),
            None if a.retry_count.is_some_and(|n| n > 0) => {
                by_body.get(&body).or_else(|| by_route.get(&route)).copied()
            }
            None => by_body.get(&body).copied(),
        };
        let open = candidate.filter(|&i| {
            let r = &out[i];
            !r.succeeded() && a.at.saturating_sub(r.last().at) <= SAME_REQUEST_WINDOW
        });
        let i = match open {
            Some(i) => {
                out[i].attempts.push(a);
                i
            }
            None => {
                out.push(Request { attempts: vec![a] });
                out.len() - 1
            }
        };
        by_body.insert(body, i);
        by_route.insert(route, i);
        if let Some(k) = &a.idempotency_key {
            by_key.insert(k.as_str(), i);
        }
    }
    out
}

/// A verdict on one property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Pass,
    Warn,
    Fail,
    /// The run gave no occasion to see it.
    NotSeen,
}

impl Mark {
    fn symbol(self) -> &'static str {
        match self {
            Self::Pass => "✓",
            Self::Warn => "!",
            Self::Fail => "✗",
            Self::NotSeen => "–",
        }
    }
    fn word(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::NotSeen => "not_seen",
        }
    }
}

/// One judged property.
#[derive(Debug)]
pub struct Verdict {
    pub id: &'static str,
    pub mark: Mark,
    pub seen: String,
    pub fix: &'static str,
}

/// The gap between a failed attempt and the next one of the same request.
fn gaps<'a>(r: &'a Request<'_>) -> impl Iterator<Item = (&'a Attempt, Duration)> + 'a {
    r.attempts.windows(2).map(|w| (w[0], w[1].at.saturating_sub(w[0].at)))
}

fn secs(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

/// Judges the requests; `exit` is the command's exit code when there was a command.
pub fn judge(requests: &[Request<'_>], platform_deadline: Option<Duration>, exit: Option<Option<i32>>) -> Vec<Verdict> {
    vec![
        sent(requests, exit),
        retried(requests),
        not_retried(requests),
        backoff(requests),
        retry_after(requests),
        deadline(requests, platform_deadline),
        notices_cut_streams(requests, exit),
        waits_on_stalled_streams(requests, platform_deadline, exit),
    ]
}

fn sent(requests: &[Request<'_>], exit: Option<Option<i32>>) -> Verdict {
    let (mark, seen) = match (requests.len(), exit) {
        (0, Some(Some(0))) => {
            (Mark::Warn, "the command succeeded without sending a request: is OPENAI_BASE_URL used?".to_owned())
        }
        (0, Some(code)) => (
            Mark::Fail,
            format!(
                "the command ended ({}) before sending any request: it crashed or never reached the API (see its output)",
                code.map_or_else(|| "killed by a signal".to_owned(), |c| format!("exit code {c}"))
            ),
        ),
        (0, None) => (Mark::NotSeen, "no request arrived".to_owned()),
        (n, _) => (Mark::Pass, format!("{} arrived", plural(n, "request"))),
    };
    Verdict {
        id: "sends_requests",
        mark,
        seen,
        fix: "Run the client as you would in production, with OPENAI_BASE_URL (or base_url=) pointing at the simulated API; an AttributeError or NameError at import (a retry decorator naming an exception class that does not exist, such as openai.APIErrors.InternalServerError) ends the program before its first request.",
    }
}

fn retried(requests: &[Request<'_>]) -> Verdict {
    let failed_first: Vec<&Request<'_>> = requests.iter().filter(|r| r.attempts[0].fault.retryable()).collect();
    let abandoned = failed_first.iter().filter(|r| r.attempts.len() == 1).count();
    let (mark, seen) = match (failed_first.len(), abandoned) {
        (0, _) => (Mark::NotSeen, "no request met a retryable error (add --faults 500,503,429)".to_owned()),
        (n, 0) => (Mark::Pass, format!("{} met a retryable error: each was tried again", plural(n, "request"))),
        (n, k) => (
            Mark::Fail,
            format!(
                "{k} of {n} requests that met a retryable error (5xx, 429 rate limit, dropped connection): not tried again"
            ),
        ),
    };
    Verdict {
        id: "retries_transient_errors",
        mark,
        seen,
        fix: "Retry 408, 409, 429 (rate limit), 5xx and connection errors: the SDKs do (max_retries=2 by default); with your own loop, catch openai.InternalServerError, openai.RateLimitError, openai.APIConnectionError and openai.APITimeoutError.",
    }
}

fn not_retried(requests: &[Request<'_>]) -> Verdict {
    let mut met = 0;
    let mut wrong = Vec::new();
    for r in requests {
        // Every attempt but the last was followed by another: a permanent error there was retried.
        let (last, before) = r.attempts.split_last().expect("a request has an attempt");
        wrong.extend(before.iter().filter(|a| a.fault.permanent()).map(|a| a.fault.to_string()));
        if last.fault.permanent() || before.iter().any(|a| a.fault.permanent()) {
            met += 1;
        }
    }
    let (mark, seen) = if met == 0 {
        (Mark::NotSeen, "no request met a permanent error (add --faults quota or 401)".to_owned())
    } else if wrong.is_empty() {
        (
            Mark::Pass,
            format!(
                "{} met a permanent error (insufficient_quota, 401, 400): none was retried",
                plural(met, "request")
            ),
        )
    } else {
        wrong.sort();
        wrong.dedup();
        (Mark::Fail, format!("retried after {}: no retry can succeed", wrong.join(", ")))
    };
    Verdict {
        id: "no_retry_on_permanent_errors",
        mark,
        seen,
        fix: "Do not retry 400, 401, 403, 404 or a 429 whose error code is insufficient_quota (billing, not load): surface them. Retrying burns time and rate limit for nothing.",
    }
}

fn backoff(requests: &[Request<'_>]) -> Verdict {
    let mut tight = 0;
    let mut flat = 0;
    let mut by_index: Vec<Vec<Duration>> = Vec::new();
    let mut shown = Vec::new();
    for r in requests {
        let ds: Vec<Duration> = gaps(r).filter(|(a, _)| a.fault.retry_after().is_none()).map(|(_, d)| d).collect();
        if ds.is_empty() {
            continue;
        }
        if shown.len() < 3 {
            shown.push(ds.iter().map(|d| secs(*d)).collect::<Vec<_>>().join(" → "));
        }
        tight += ds.iter().filter(|d| **d < TIGHT).count();
        if ds.windows(2).any(|w| w[1].as_secs_f64() < w[0].as_secs_f64() * 1.3 && w[1] < Duration::from_secs(8)) {
            flat += 1;
        }
        for (i, d) in ds.iter().enumerate() {
            if by_index.len() <= i {
                by_index.push(Vec::new());
            }
            by_index[i].push(*d);
        }
    }
    if shown.is_empty() {
        return Verdict {
            id: "backoff",
            mark: Mark::NotSeen,
            seen: "no retry without Retry-After to time".to_owned(),
            fix: BACKOFF_FIX,
        };
    }
    let same_everywhere = by_index
        .first()
        .is_some_and(|v| v.len() >= 2 && v.iter().all(|d| (d.as_secs_f64() - v[0].as_secs_f64()).abs() < 0.01));
    let delays = shown.join("; ");
    let (mark, seen) = if tight > 0 {
        (
            Mark::Fail,
            format!(
                "{} came less than {} ms after the failure (a tight loop): {delays}",
                plural(tight, "retry attempt"),
                TIGHT.as_millis()
            ),
        )
    } else if flat > 0 {
        (Mark::Warn, format!("delays do not grow (no exponential backoff): {delays}"))
    } else if same_everywhere {
        (
            Mark::Warn,
            format!("delays grow but are identical across requests (no jitter: clients retry in lockstep): {delays}"),
        )
    } else {
        (Mark::Pass, format!("delays grow: {delays}"))
    };
    Verdict { id: "backoff", mark, seen, fix: BACKOFF_FIX }
}

const BACKOFF_FIX: &str = "Wait before each retry, doubling from about 0.5 s up to a cap (the SDKs: 0.5 s × 2ⁿ, at most 8 s) and subtracting random jitter (up to 25 %), so a fleet does not retry in lockstep.";

fn retry_after(requests: &[Request<'_>]) -> Verdict {
    let mut sent = 0;
    let mut early = Vec::new();
    for r in requests {
        for (a, gap) in gaps(r) {
            if let Some(wanted) = a.fault.retry_after() {
                sent += 1;
                // A little slack: timers and the client's own work.
                if gap.as_secs_f64() < wanted.as_secs_f64() * 0.95 {
                    early.push(format!("{} after Retry-After {}", secs(gap), secs(wanted)));
                }
            }
        }
    }
    let (mark, seen) = match (sent, early.len()) {
        (0, _) => (Mark::NotSeen, "no retry followed a 429 with Retry-After (add --faults 429:2)".to_owned()),
        (n, 0) => (Mark::Pass, format!("{} after a Retry-After: each waited at least that long", plural(n, "attempt"))),
        (n, _) => (Mark::Fail, format!("{} of {n} retries came early: {}", early.len(), early.join(", "))),
    };
    Verdict {
        id: "honours_retry_after",
        mark,
        seen,
        fix: "After a 429 or 503, wait what retry-after-ms (milliseconds) or Retry-After (seconds) says before retrying; the SDKs do when it is at most 60 s (Python since v2.52: 120 s).",
    }
}

fn deadline(requests: &[Request<'_>], platform: Option<Duration>) -> Verdict {
    let longest = requests.iter().max_by_key(|r| r.span());
    let Some(longest) = longest.filter(|r| r.attempts.len() > 1) else {
        return Verdict {
            id: "fits_platform_deadline",
            mark: Mark::NotSeen,
            seen: "no request was retried".to_owned(),
            fix: DEADLINE_FIX,
        };
    };
    let span = longest.span();
    let n = longest.attempts.len();
    let (mark, seen) = match platform {
        Some(p) if span > p => (
            Mark::Fail,
            format!("a request took {} over {n} attempts, beyond the platform deadline of {}", secs(span), secs(p)),
        ),
        Some(p) => {
            (Mark::Pass, format!("the longest request took {} over {n} attempts, within {}", secs(span), secs(p)))
        }
        None => (
            Mark::NotSeen,
            format!("the longest request took {} over {n} attempts (give --platform-deadline to judge it)", secs(span)),
        ),
    };
    Verdict { id: "fits_platform_deadline", mark, seen, fix: DEADLINE_FIX }
}

const DEADLINE_FIX: &str = "Size timeout × (max_retries + 1) plus the backoff to fit your platform's deadline (Lambda, a gateway, a job runner): `openai-doctor recipe` prints settings that do.";

// --- Streams (issue 25): what a client does when a stream is cut or stalls. ---

/// A streamed answer that `simulate` cut before its end.
fn cut_stream(a: &Attempt) -> bool {
    a.stream.is_some() && matches!(a.fault, Fault::Stream(StreamFault::Cut { .. }))
}

/// After a cut stream the client must notice: retry the request, or raise. openai-python raises
/// `httpx.RemoteProtocolError: peer closed connection without sending complete message body
/// (incomplete chunked read)` and does not retry a stream that started (measured in
/// tests/it/stream.rs; reported in openai/openai-python#2065 and #2356).
fn notices_cut_streams(requests: &[Request<'_>], exit: Option<Option<i32>>) -> Verdict {
    let mut cut = 0;
    let mut retried = 0;
    for r in requests {
        for (i, a) in r.attempts.iter().enumerate() {
            if cut_stream(a) {
                cut += 1;
                retried += usize::from(i + 1 < r.attempts.len());
            }
        }
    }
    let unretried = cut - retried;
    let (mark, seen) = match (cut, unretried, exit) {
        (0, _, _) => (Mark::NotSeen, "no stream was cut (add --faults stream-cut:3)".to_owned()),
        (n, 0, _) => (Mark::Pass, format!("{}: each was sent again", plural(n, "cut stream"))),
        (n, k, Some(Some(code))) if code != 0 => (
            Mark::Pass,
            format!(
                "{k} of {n} cut streams were not sent again, and the command failed (exit code {code}): it raised instead of using a truncated answer"
            ),
        ),
        (n, k, Some(_)) => (
            Mark::Warn,
            format!(
                "{k} of {n} cut streams were neither sent again nor made the command fail: a truncated answer may have been used as whole"
            ),
        ),
        (n, k, None) => (
            Mark::NotSeen,
            format!("{k} of {n} cut streams were not sent again (run a command after -- to see whether it raised)"),
        ),
    };
    Verdict {
        id: "notices_cut_streams",
        mark,
        seen,
        fix: "Treat a stream without its end (data: [DONE], response.completed) as failed: catch openai.APIConnectionError and httpx.RemoteProtocolError around the iteration and retry the whole request; never keep the partial text as the answer.",
    }
}

/// On a stream that stalls between events, the client's read timeout decides how long it hangs:
/// the SDKs' is 600 s between chunks by default.
fn waits_on_stalled_streams(
    requests: &[Request<'_>],
    platform: Option<Duration>,
    exit: Option<Option<i32>>,
) -> Verdict {
    let mut lines = Vec::new();
    let mut worst = Mark::Pass;
    for a in requests.iter().flat_map(|r| r.attempts.iter()) {
        let (Fault::Stream(StreamFault::Gap(gap)), Some(cell)) = (a.fault, &a.stream) else { continue };
        // No end recorded: the client left during a gap (noticed only at the next write) or is
        // still reading; the command's end says which.
        let seen = cell.seen.get().copied().or_else(|| {
            exit.is_some().then(|| super::stream::Seen {
                events_sent: 0,
                events_total: 0,
                client_left: true,
                lasted: cell.started.elapsed(),
            })
        });
        let inferred = cell.seen.get().is_none();
        let (mark, line) = match seen {
            Some(s) if inferred => (
                Mark::Pass,
                format!(
                    "the command ended {} into a stream with {} between events, without waiting for its end (a read timeout or an error)",
                    secs(s.lasted),
                    secs(gap)
                ),
            ),
            Some(s) if s.client_left => (
                Mark::Pass,
                format!(
                    "gave up after {} on a stream with {} between events (a read timeout)",
                    secs(s.lasted),
                    secs(gap)
                ),
            ),
            Some(s) if platform.is_some_and(|p| s.lasted > p) => (
                Mark::Fail,
                format!(
                    "waited {} through {} gaps of {}, beyond the platform deadline",
                    secs(s.lasted),
                    s.events_sent.saturating_sub(1),
                    secs(gap)
                ),
            ),
            Some(s) if gap >= STALL_WORTH_A_TIMEOUT => (
                Mark::Warn,
                format!(
                    "waited {} through {} gaps of {}: no read timeout shorter than the gap",
                    secs(s.lasted),
                    s.events_sent.saturating_sub(1),
                    secs(gap)
                ),
            ),
            Some(s) => (
                Mark::Pass,
                format!("waited {} through gaps of {} and got the whole answer", secs(s.lasted), secs(gap)),
            ),
            None => {
                (Mark::Warn, format!("still waiting on a stream with {} between events when the run ended", secs(gap)))
            }
        };
        worst = worst.max_by_severity(mark);
        if lines.len() < 3 {
            lines.push(line);
        }
    }
    let (mark, seen) = if lines.is_empty() {
        (Mark::NotSeen, "no stream stalled between events (add --faults stream-gap:10)".to_owned())
    } else {
        (worst, lines.join("; "))
    };
    Verdict {
        id: "waits_on_stalled_streams",
        mark,
        seen,
        fix: "Give the client a read timeout between chunks that fits your users and platform (openai-python: timeout=httpx.Timeout(60, read=20); Node: timeout applies per request): the SDKs' default waits 600 s on a stalled stream.",
    }
}

/// A gap between events long enough that a client should have a read timeout below it.
const STALL_WORTH_A_TIMEOUT: Duration = Duration::from_secs(10);

impl Mark {
    /// The worse of two marks (`NotSeen` counts as nothing).
    fn max_by_severity(self, other: Self) -> Self {
        let rank = |m: Self| match m {
            Self::NotSeen => 0,
            Self::Pass => 1,
            Self::Warn => 2,
            Self::Fail => 3,
        };
        if rank(other) > rank(self) { other } else { self }
    }
}

/// The audit as one JSON document.
pub fn to_json(
    attempts: &[Attempt],
    requests: &[Request<'_>],
    verdicts: &[Verdict],
    command: Option<(&str, Option<i32>)>,
    recipe: &(crate::recipe::Lang, String),
) -> Value {
    json!({
        "recipe": {"lang": format!("{:?}", recipe.0).to_lowercase(), "text": recipe.1},
        "attempts": attempts.len(),
        "requests": requests.len(),
        "max_attempts_per_request": requests.iter().map(|r| r.attempts.len()).max().unwrap_or(0),
        "clients": clients(attempts),
        "command": command.map(|(c, code)| json!({"program": c, "exit_code": code})),
        "verdicts": verdicts.iter().map(|v| json!({"id": v.id, "verdict": v.mark.word(), "seen": v.seen, "fix": v.fix})).collect::<Vec<_>>(),
        "timeline": attempts.iter().map(|a| json!({
            "at_ms": a.at.as_millis(), "method": a.method, "path": a.path, "fault": a.fault.to_string(),
            "status": a.status, "retry_count": a.retry_count, "client": a.client, "body_bytes": a.body_len,
            "model": a.model, "body": a.body,
        })).collect::<Vec<_>>(),
    })
}

/// The recipe for the first client seen whose language is known (Python when none is): the
/// SDKs' defaults, cut to fit the platform's deadline when there is one.
pub fn recipe(
    attempts: &[Attempt],
    platform: Option<Duration>,
    provider: crate::cli::Provider,
) -> (crate::recipe::Lang, String) {
    let lang =
        clients(attempts).iter().find_map(|c| crate::recipe::Lang::of_client(c)).unwrap_or(crate::recipe::Lang::Python);
    let sizing = crate::recipe::size(
        openai_doctor_checks::config::SDK_DEFAULT_TIMEOUT,
        openai_doctor_checks::config::SDK_DEFAULT_MAX_RETRIES,
        platform,
    );
    (lang, crate::recipe::render_for(lang, provider, &sizing))
}

/// The audit for people.
pub fn to_text(
    attempts: &[Attempt],
    requests: &[Request<'_>],
    verdicts: &[Verdict],
    command: Option<(&str, Option<i32>)>,
    recipe: &(crate::recipe::Lang, String),
) -> String {
    let mut out = String::from("\nRetry audit\n");
    let max = requests.iter().map(|r| r.attempts.len()).max().unwrap_or(0);
    let clients = clients(attempts);
    let client = if clients.is_empty() { String::new() } else { format!("; client: {}", clients.join(", ")) };
    if attempts.is_empty() {
        out.push_str("  no request arrived\n");
    } else {
        out.push_str(&format!(
            "  {} for {} (at most {max} per request){client}\n",
            plural(attempts.len(), "attempt"),
            plural(requests.len(), "request"),
        ));
    }
    if let Some((program, code)) = command {
        let code = code.map_or_else(|| "killed by a signal".to_owned(), |c| format!("exit code {c}"));
        out.push_str(&format!("  {program}: {code}\n"));
    }
    for v in verdicts {
        out.push_str(&format!("  {} {:<28} {}\n", v.mark.symbol(), v.id, v.seen));
        if matches!(v.mark, Mark::Fail | Mark::Warn) {
            out.push_str(&format!("    fix: {}\n", v.fix));
        }
    }
    let lang = format!("{:?}", recipe.0).to_lowercase();
    // Every Azure recipe names the endpoint's variable, and no OpenAI one does.
    let provider = if recipe.1.contains("AZURE_OPENAI_ENDPOINT") { " --provider azure" } else { "" };
    out.push_str(&format!(
        "\nSettings that pass this audit ({lang}; `openai-doctor recipe {lang}{provider}` prints them again):\n\n"
    ));
    out.push_str(&recipe.1);
    out
}

/// The distinct clients seen.
pub fn clients(attempts: &[Attempt]) -> Vec<String> {
    let mut c: Vec<String> = attempts.iter().map(|a| a.client.clone()).filter(|c| !c.is_empty()).collect();
    c.sort();
    c.dedup();
    c
}

/// Whether any verdict failed.
pub fn failed(verdicts: &[Verdict]) -> bool {
    verdicts.iter().any(|v| v.mark == Mark::Fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64, fault: Fault, hash: u64, retry: Option<u32>) -> Attempt {
        Attempt {
            at: Duration::from_millis(ms),
            method: "POST".into(),
            path: "/v1/chat/completions".into(),
            route: Route::Chat,
            fault,
            status: fault.status(),
            retry_count: retry,
            idempotency_key: None,
            client: "python".into(),
            body_len: 10,
            body_hash: hash,
            model: None,
            body: None,
            stream: None,
        }
    }

    fn marks(attempts: &[Attempt]) -> Vec<(&'static str, Mark)> {
        let requests = group(attempts);
        judge(&requests, Some(Duration::from_secs(10)), None).into_iter().map(|v| (v.id, v.mark)).collect()
    }

    #[test]
    fn the_sdks_schedule_passes() {
        // 500, 500, ok with 0.45 s and 0.9 s waits; a second request with other jittered waits.
        let a = [
            at(0, Fault::Server500, 1, Some(0)),
            at(450, Fault::Server500, 1, Some(1)),
            at(1350, Fault::Ok, 1, Some(2)),
            at(2000, Fault::Server500, 1, Some(0)),
            at(2400, Fault::Server500, 1, Some(1)),
            at(3300, Fault::Ok, 1, Some(2)),
        ];
        let requests = group(&a);
        assert_eq!(requests.len(), 2, "after a success, the same body is a new request");
        let m = marks(&a);
        assert!(m.contains(&("retries_transient_errors", Mark::Pass)), "{m:?}");
        assert!(m.contains(&("backoff", Mark::Pass)), "{m:?}");
        assert!(m.contains(&("fits_platform_deadline", Mark::Pass)), "{m:?}");
    }

    #[test]
    fn no_retry_a_tight_loop_and_a_retried_quota_fail() {
        let none = [at(0, Fault::Server500, 1, None)];
        assert!(marks(&none).contains(&("retries_transient_errors", Mark::Fail)));
        let tight = [at(0, Fault::Server500, 1, None), at(5, Fault::Server500, 1, None), at(9, Fault::Ok, 1, None)];
        assert!(marks(&tight).contains(&("backoff", Mark::Fail)));
        let quota = [at(0, Fault::Quota, 1, None), at(600, Fault::Quota, 1, None)];
        assert!(marks(&quota).contains(&("no_retry_on_permanent_errors", Mark::Fail)));
        let early =
            [at(0, Fault::RateLimit { retry_after: Duration::from_secs(2) }, 1, None), at(500, Fault::Ok, 1, None)];
        assert!(marks(&early).contains(&("honours_retry_after", Mark::Fail)));
    }

    #[test]
    fn a_load_test_groups_in_linear_time() {
        // 100,000 answered attempts of one body: each a request of its own (a quadratic grouping
        // took minutes here, and `simulate` hung on Ctrl-C after a wrk run).
        let a: Vec<Attempt> = (0..100_000).map(|i| at(i, Fault::Ok, 7, None)).collect();
        assert_eq!(group(&a).len(), 100_000);
        // Failures of one body, 1 ms apart: one request that keeps being retried.
        let f: Vec<Attempt> = (0..50_000).map(|i| at(i, Fault::Server500, 7, None)).collect();
        assert_eq!(group(&f).len(), 1);
    }

    #[test]
    fn different_bodies_are_different_requests() {
        let a = [at(0, Fault::Server500, 1, None), at(300, Fault::Ok, 2, None)];
        assert_eq!(group(&a).len(), 2);
        assert!(marks(&a).contains(&("retries_transient_errors", Mark::Fail)));
    }
}
