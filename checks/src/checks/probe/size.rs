//! Size or content? When the user's payload gets no answer (a timeout, a reset) while the small
//! requests pass, one failure cannot tell a payload that triggers the failure from a path that
//! drops big requests (a path-MTU black hole, a VPN, a proxy with a body limit). A control of the
//! same size with neutral content (padding in one user message, same model and endpoint) tells:
//! if it fails too, the size is the cause, and bisection over control sizes names the byte range
//! where requests start failing; if it passes, the content is the cause and `--reduce` applies.
//! Opt-in and budgeted like `--reduce`: its request budget, twice the original's bytes, the
//! deadline; each control has a short timeout derived from the small requests' latency.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::json;

use super::{Attempt, Kind, PAYLOAD_CONTENT, PAYLOAD_FAILS, PAYLOAD_SIZE, Request, attempt, attempt_limit};
use crate::engine::check::{Activity, Context};
use crate::model::{Finding, Severity};
use crate::net::context::Phase;
use crate::provider::Provider;
use crate::request::Endpoint;
use crate::secret::SecretString;

/// Bisection stops when the range is this narrow (bytes) or a sixteenth of its top.
const RESOLUTION: usize = 64;

/// What the control and the bisection showed.
#[derive(Debug)]
pub(super) struct SizeTest {
    /// The control of the payload's size: its bytes, whether it failed, its request id.
    pub control: (usize, bool, String),
    /// Each bisection step: bytes, whether it failed, request id.
    pub steps: Vec<(usize, bool, String)>,
    /// The largest control size known to pass (the minimal request's size at first).
    pub passes_at: usize,
    /// The smallest size known to fail.
    pub fails_at: usize,
    /// Requests sent (control and bisection): they count against `--reduce-requests`.
    pub requests: u32,
    /// Each control's timeout.
    pub timeout: Duration,
    /// Why the bisection stopped before its resolution, if it did.
    pub stopped: Option<String>,
}

impl SizeTest {
    /// Whether the neutral control failed too: the size, not the content, is the cause.
    pub fn size_is_the_cause(&self) -> bool {
        self.control.1
    }
}

/// A failure a size limit on the path produces: no answer in time, or the connection dropped.
pub(super) fn no_answer(kind: &Kind) -> bool {
    matches!(kind, Kind::Transport(Phase::Timeout | Phase::Http))
}

/// The user's payload's own time limit: with the opt-in (`--reduce`), at most half of what is
/// left, so a stalled payload leaves time for the control and the bisection.
pub(super) fn payload_limit(activity: &Activity, opted_in: bool) -> Duration {
    let limit = attempt_limit(activity);
    if opted_in { limit.min(activity.time_left() / 2) } else { limit }
}

/// A neutral body of exactly `bytes` bytes (or the smallest possible, when that is more): the
/// minimal request of `endpoint` for `model`, padded with plain words in one user message.
pub(super) fn control(endpoint: Endpoint, model: &str, bytes: usize, provider: &Provider) -> Vec<u8> {
    let with = |text: &str| {
        let body = match endpoint {
            Endpoint::Responses => {
                json!({"model": model, "input": text, "max_output_tokens": 16, "store": false})
            }
            Endpoint::Embeddings => json!({"model": model, "input": text}),
            Endpoint::Chat => provider.minimal_chat(model, text, 1),
        };
        serde_json::to_vec(&body).unwrap_or_default()
    };
    let empty = with("").len();
    // Plain ASCII words need no escaping: each character is one byte of the body.
    let filler = "Reply with OK. This sentence is padding of neutral content. ";
    let text: String = filler.chars().cycle().take(bytes.saturating_sub(empty)).collect();
    with(&text)
}

/// The timeout of one control: a few times the slowest small request, at least 1.5 s, never
/// past what is left of the check.
fn control_timeout(activity: &Activity, slowest: Duration) -> Duration {
    (slowest * 4).max(Duration::from_millis(1500)).min(attempt_limit(activity))
}

/// The next size to try between a passing and a failing size: the geometric middle while the
/// range spans more than a factor of two (a black hole sits far below most payloads), else the
/// arithmetic middle. `None` once the range is narrow enough.
fn next_size(passes_at: usize, fails_at: usize) -> Option<usize> {
    if fails_at.saturating_sub(passes_at) <= RESOLUTION.max(fails_at / 16) {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let mid = if fails_at > 2 * passes_at.max(1) {
        ((passes_at.max(1) as f64) * (fails_at as f64)).sqrt() as usize
    } else {
        passes_at + (fails_at - passes_at) / 2
    };
    Some(mid.clamp(passes_at + 1, fails_at - 1))
}

/// Sends the control of the payload's size and, when it fails too, bisects over control sizes.
/// `None` when not one control fitted in the budget or the time left, or the control's answer
/// (neither a pass nor the same kind of failure) says nothing about size.
pub(super) async fn size_or_content(
    ctx: &Context,
    activity: &Activity,
    key: &SecretString,
    (endpoint, model): (Endpoint, &str),
    original: usize,
    (budget, first_number): (u32, u32),
    slowest: Duration,
) -> Option<SizeTest> {
    let timeout = control_timeout(activity, slowest);
    let fits = |need: Duration| activity.time_left() > need + Duration::from_millis(500);
    if budget == 0 || !fits(timeout) {
        return None;
    }
    let send = async |bytes: usize, number: u32| -> (Attempt, usize) {
        let body = control(endpoint, model, bytes, &ctx.config.provider);
        activity.set(format!("POST {} (a neutral control of {} bytes: size or content?)", endpoint.path(), body.len()));
        let request = Request::Payload { endpoint, body: &body };
        (attempt(ctx, key, request, number, timeout).await, body.len())
    };
    let id = |a: &Attempt| a.request_id.clone().unwrap_or_else(|| format!("client {}", a.client_request_id));
    let (a, bytes) = send(original, first_number).await;
    let failed = no_answer(&a.kind) || a.kind.server_side();
    if a.kind != Kind::Ok && !failed {
        return None;
    }
    let mut test = SizeTest {
        control: (bytes, failed, id(&a)),
        steps: Vec::new(),
        passes_at: control(endpoint, model, 0, &ctx.config.provider).len(),
        fails_at: bytes,
        requests: 1,
        timeout,
        stopped: None,
    };
    if !failed {
        return Some(test);
    }
    let mut sent_bytes = bytes;
    while let Some(size) = next_size(test.passes_at, test.fails_at) {
        if test.requests >= budget {
            test.stopped = Some(format!("the request budget ({budget}, --reduce-requests) is spent"));
            break;
        }
        if sent_bytes + size > 2 * original {
            test.stopped = Some("twice the original payload's size has been sent".to_owned());
            break;
        }
        if !fits(timeout) {
            test.stopped = Some("the deadline is near (--deadline)".to_owned());
            break;
        }
        let (a, bytes) = send(size, first_number + test.requests).await;
        test.requests += 1;
        sent_bytes += bytes;
        let failed = no_answer(&a.kind) || a.kind.server_side();
        if a.kind != Kind::Ok && !failed {
            // A 429 or a 4xx says nothing about size: stop rather than guess.
            test.stopped = Some(format!("a control of {bytes} bytes got another answer ({})", a.kind.label()));
            break;
        }
        test.steps.push((bytes, failed, id(&a)));
        if failed {
            test.fails_at = bytes;
        } else {
            test.passes_at = bytes;
        }
    }
    Some(test)
}

/// The findings: the size on the path, or the content; and, when the size is the cause, the
/// payload finding's remedy no longer says "the payload triggers it".
pub(super) fn judge(t: &SizeTest, findings: &mut Vec<Finding>) {
    let (bytes, _, control_id) = &t.control;
    let ms = t.timeout.as_millis();
    if !t.size_is_the_cause() {
        findings.push(Finding::new(
            &PAYLOAD_CONTENT,
            Severity::Info,
            format!(
                "a neutral control of the same size ({bytes} bytes, padding in one user message, same model and \
                 endpoint) passes (request id {control_id}): your payload's content triggers the failure, not its size"
            ),
            "Find the part of the payload that triggers it (--reduce does, within its budget: see probe.reduced), \
             work around it, and send the support team the minimal failing body with the request ids.",
        ));
        return;
    }
    let mut msg = format!(
        "a neutral control of the same size ({bytes} bytes, padding in one user message, same model and endpoint) \
         fails too with no answer within {ms} ms (request id {control_id}): the size on the network path is the \
         cause, not the content; requests start failing between {} and {} bytes",
        t.passes_at, t.fails_at
    );
    if !t.steps.is_empty() {
        let tried: Vec<String> = t
            .steps
            .iter()
            .map(|(b, failed, id)| format!("{b} {} ({id})", if *failed { "fails" } else { "passes" }))
            .collect();
        let _ = write!(msg, " (bisection: {})", tried.join(", "));
    }
    if let Some(why) = &t.stopped {
        let _ = write!(msg, " (stopped early: {why})");
    }
    let remedy = format!(
        "Something between this machine and the API drops requests above about {} bytes: a path-MTU black hole \
         (a VPN or tunnel whose smaller MTU is not signalled because ICMP 'fragmentation needed' is blocked), or a \
         proxy or gateway with a body limit. Lower the MTU of the interface or VPN (e.g. `ip link set dev <if> mtu \
         1280`) or clamp the TCP MSS on the tunnel, allow ICMP type 3 code 4, or raise the proxy's body limit; \
         compare from another network. Simplifying the payload will not help unless it stays under the limit.",
        t.passes_at
    );
    findings.push(Finding::new(&PAYLOAD_SIZE, Severity::Fail, msg, remedy));
    for f in findings.iter_mut().filter(|f| f.code == PAYLOAD_FAILS.id) {
        f.remedy = "The size, not the content, is the cause (see probe.payload_size): fix the network path \
                    rather than the payload."
            .to_owned();
    }
}

/// The typed details of what the control and the bisection showed.
pub(super) fn details(t: &SizeTest) -> crate::details::probe::SizeOrContent {
    let size = t.size_is_the_cause();
    crate::details::probe::SizeOrContent {
        cause: if size { "size" } else { "content" }.to_owned(),
        control_bytes: t.control.0,
        control_request_id: t.control.2.clone(),
        control_timeout_ms: crate::model::millis(t.timeout),
        passes_at_bytes: size.then_some(t.passes_at),
        fails_at_bytes: size.then_some(t.fails_at),
        steps: t
            .steps
            .iter()
            .map(|(bytes, fails, id)| crate::details::probe::SizeStep {
                bytes: *bytes,
                fails: *fails,
                request_id: id.clone(),
            })
            .collect(),
        stopped: t.stopped.clone(),
    }
}

/// No answer to the payload and no control sent: one failure cannot tell size from content, so
/// the payload finding says so (and how to tell) instead of blaming the content.
pub(super) fn untold(opted_in: bool, findings: &mut [Finding]) {
    let how = if opted_in {
        "the neutral control did not fit in what was left of --deadline or --reduce-requests: run again with a longer --deadline"
    } else {
        "run again with --reduce, which first sends a neutral control of the same size to tell which (1 output token per request)"
    };
    for f in findings.iter_mut().filter(|f| f.code == PAYLOAD_FAILS.id && f.severity == Severity::Fail) {
        f.remedy = format!(
            "No answer at all can come from the content or from the size on the network path (a path-MTU black \
             hole, a VPN, a proxy with a body limit): {how}."
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_has_exactly_the_size_asked_and_neutral_content() {
        for endpoint in [Endpoint::Chat, Endpoint::Responses, Endpoint::Embeddings] {
            for bytes in [200, 1400, 20_000] {
                let body = control(endpoint, "gpt-4o-mini", bytes, &Provider::Openai);
                assert_eq!(body.len(), bytes, "{endpoint:?}");
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(v["model"], "gpt-4o-mini");
            }
        }
        // Smaller than the minimal request: the minimal request.
        let tiny = control(Endpoint::Chat, "m", 1, &Provider::Openai);
        assert!(tiny.len() > 1 && serde_json::from_slice::<serde_json::Value>(&tiny).is_ok());
    }

    #[test]
    fn bisection_narrows_to_the_resolution_and_stays_inside_the_range() {
        // A path that drops everything above 1,400 bytes, from a 20 KB payload.
        let (mut pass, mut fail, mut n) = (120, 20_000, 0);
        while let Some(size) = next_size(pass, fail) {
            assert!(size > pass && size < fail, "{pass} < {size} < {fail}");
            if size > 1400 {
                fail = size
            } else {
                pass = size
            }
            n += 1;
        }
        assert!(pass <= 1400 && fail > 1400, "{pass}..{fail}");
        assert!(fail - pass <= RESOLUTION.max(fail / 16), "{pass}..{fail}");
        assert!(n <= 10, "{n} steps");
        assert_eq!(next_size(1000, 1050), None);
    }
}
