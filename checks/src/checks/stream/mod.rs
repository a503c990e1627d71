//! The `stream` check: one small streaming chat completion (a few output tokens, so that several
//! events come) through the app's path, timed event by event, and judged: buffered by a
//! middlebox, cut before its end, stalled, compressed, a slow first token, or healthy. Runs only
//! after the probe's plain completion passed (same key, model and path), and only when billable
//! requests are allowed.

use std::time::Duration;

use reqwest::Method;

use crate::details::Details;
use crate::engine::check::{Activity, BoxFuture, Check, CheckInfo, Context};
use crate::engine::facts::StreamFact;
use crate::model::{CheckId, Finding, Outcome, Severity, Status};
use crate::net::stream::{End, Next};

mod codes;
pub mod judge;
pub mod measure;
pub mod sse;

pub use codes::*;
use measure::{Ending, Recorder, Timeline};

static INFO: CheckInfo = CheckInfo {
    id: CheckId::Stream,
    title: "Streaming",
    verifies: "one small streaming chat completion through your path: events one by one (not buffered), not cut, not compressed, time to first token",
    guide_step: "6. Stream long responses",
    time_limit: Duration::from_secs(60),
    codes: &[
        &BUFFERED,
        &CUT,
        &STALLED,
        &COMPRESSED,
        &NOT_EVENT_STREAM,
        &REFUSED,
        &ERROR_EVENT,
        &CONTENT_FILTER,
        &SLOW_FIRST_TOKEN,
        &NOT_RUN,
    ],
};

/// Output tokens asked for: enough for a dozen events, few enough to cost next to nothing.
pub const MAX_TOKENS: u32 = 16;
/// Most body bytes read: a 16-token stream is about 5 KB; a gateway's error page is bounded too.
pub const MAX_BYTES: usize = 256 * 1024;
/// Time the stream needs at the least (a model's first token, a few more).
const MIN_TIME: Duration = Duration::from_millis(1_500);

/// The `stream` check.
#[derive(Debug)]
pub struct StreamCheck;

impl Check for StreamCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn needs(&self, _ctx: &Context) -> &'static [CheckId] {
        &[CheckId::Probe]
    }

    fn run<'a>(&'a self, ctx: &'a Context, activity: &'a Activity) -> BoxFuture<'a, Outcome> {
        Box::pin(run(ctx, activity))
    }
}

fn not_run(why: &str, status: Status) -> Outcome {
    Outcome::with_status(status, format!("not run: {why}"), Details::nothing())
}

async fn run(ctx: &Context, activity: &Activity) -> Outcome {
    let cfg = &ctx.config;
    if !cfg.billable {
        return not_run("billable requests are off (--no-billable); a stream is one small completion", Status::Skip);
    }
    if cfg.provider.azure().is_some_and(|a| a.deployment_from.is_none()) {
        return not_run(
            "no Azure OpenAI deployment named (--model DEPLOYMENT): a stream goes to a deployment",
            Status::Skip,
        );
    }
    // After the probe, its model (the payload's, when one is given); without the probe (not
    // selected: --only stream), the configured model, as a dependency left out counts as met.
    let model = match (ctx.facts.chat_model.get(), ctx.facts.latencies.get()) {
        (Some(model), _) => model.clone(),
        (None, None) => cfg.model.clone(),
        (None, Some(_)) => {
            return not_run(
                "the probe's plain chat completion did not pass, so a stream would show nothing new",
                Status::Skip,
            );
        }
    };
    let Some(key) = crate::net::authed::usable_key(cfg) else {
        return not_run("no usable API key", Status::Skip);
    };
    let time = activity.bounded(INFO.time_limit, Duration::from_millis(300));
    if time < MIN_TIME {
        return Outcome::with_status(Status::Warn, "not run: too little of the deadline was left", Details::nothing())
            .and(Finding::new(
                &NOT_RUN,
                Severity::Warn,
                format!(
                    "the stream needs about {:.1} s and {:.1} s was left",
                    MIN_TIME.as_secs_f64(),
                    time.as_secs_f64()
                ),
                "Run again with a longer --deadline.",
            ));
    }
    let mut body = cfg.provider.minimal_chat(&model, "Count from 1 to 20, separated by spaces.", MAX_TOKENS);
    body["stream"] = true.into();
    let req = crate::net::authed::request(&ctx.net, cfg, &key, Method::POST, "chat/completions", 1)
        .json(body.to_string().into_bytes());
    let client_request_id = req.client_request_id.clone();
    let meta = req.meta();
    // What the SDKs accept (httpx sends gzip, deflate): a layer that compresses shows itself.
    let builder = req.builder.header("Accept-Encoding", "gzip, deflate");
    activity.set(format!(
        "POST {} (stream=true, model {model}, {MAX_TOKENS} output tokens)",
        cfg.api_url("chat/completions")
    ));
    let until = tokio::time::Instant::now() + time;
    let mut stream = match ctx.net.stream(INFO.id, builder, until, MAX_BYTES, meta).await {
        Ok(s) => s,
        Err(e) => {
            let details = Timeline { model: model.clone(), client_request_id, ..Timeline::default() };
            return Outcome::with_status(Status::Fail, "the streaming request got no answer", details).and(
                Finding::new(
                    &REFUSED,
                    Severity::Fail,
                    format!("the plain chat completion passed, the same request with stream=true got no answer: {e}"),
                    "A layer on the path treats streams differently: see the error; the dns, tls and proxy checks show the path.",
                ),
            );
        }
    };
    let header = |name: &str| stream.header(name).map(str::to_owned);
    let evidence = judge::Evidence {
        server: header("server"),
        via: header("via"),
        content_type: header("content-type"),
        content_encoding: header("content-encoding"),
        content_length: header("content-length").and_then(|v| v.trim().parse().ok()),
        proxy: ctx.net.proxy_for(&cfg.api_url("chat/completions")),
        host: crate::config::bare_host(&cfg.base_url),
        request_id: header("x-request-id").or_else(|| header("apim-request-id")),
    };
    let status = stream.status;
    let head = Timeline {
        model: model.clone(),
        status: Some(status),
        request_id: evidence.request_id.clone(),
        client_request_id,
        content_type: evidence.content_type.clone(),
        content_encoding: evidence.content_encoding.clone(),
        server: evidence.server.clone(),
        via: evidence.via.clone(),
        ..Timeline::default()
    };
    let mut recorder = Recorder::new(evidence.content_encoding.as_deref(), stream.ttfb, head);
    let mut error_body = Vec::new();
    let ending = loop {
        match stream.next().await {
            Next::Chunk(c) if status >= 400 => {
                let room = 4096usize.saturating_sub(error_body.len());
                error_body.extend_from_slice(&c.bytes[..c.bytes.len().min(room)]);
            }
            Next::Chunk(c) => {
                activity.set(format!("reading the stream ({} bytes so far)", stream.bytes_read()));
                recorder.chunk(&c.bytes, c.at);
            }
            Next::End(End::Complete) => break Ending::Complete,
            Next::End(End::Deadline) => break Ending::Deadline,
            Next::End(End::Cap) => break Ending::Cap,
            Next::End(End::Broken { reset: true, .. }) => break Ending::Reset,
            Next::End(End::Broken { reset: false, .. }) => break Ending::Closed,
        }
    };
    let details = recorder.finish(ending, stream.elapsed());
    drop(stream);
    if status >= 400 {
        let api = crate::net::context::error_body(&error_body);
        let quoted = api.and_then(|e| e.message).map(|m| format!(": \"{}\"", m.trim())).unwrap_or_default();
        return Outcome::with_status(Status::Fail, format!("the streaming request failed with {status}"), details).and(
            Finding::new(
                &REFUSED,
                Severity::Fail,
                format!(
                    "the plain chat completion passed, the same request with stream=true got {status}{quoted}; {}",
                    evidence.who()
                ),
                "Allow streaming requests (stream=true, text/event-stream answers) through the layer that answered.",
            ),
        );
    }
    let (summary, findings) = judge::judge(&details, &evidence, cfg.client_timeout);
    let t = &details;
    let _ = ctx.facts.stream.set(StreamFact {
        first_event_ms: t.first_event_ms,
        gap_p50_ms: t.gaps.p50_ms,
        gap_max_ms: t.gaps.max_ms,
        total_ms: t.total_ms,
        events: t.events,
        event_ms: t.event_ms.clone(),
        verdict: findings.iter().find(|f| f.severity != Severity::Info).map_or("ok", |f| f.code),
    });
    Outcome::from_findings(summary, details, findings)
}
