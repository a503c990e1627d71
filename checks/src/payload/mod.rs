//! Request-body validation, offline: parse (line and column, duplicate keys, UTF-8), detect the
//! endpoint, apply the API's rules, count tokens with the model's real tokenizer against its
//! context window. Used by the `payload` check and by `openai-doctor validate`.

pub mod codes;
pub mod models;
pub mod parse;
pub mod rules;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::check::{Activity, BoxFuture, Check, CheckInfo, Context};
use crate::model::{Finding, Outcome, Severity, Status};

/// Which API a body is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `POST /v1/chat/completions`.
    Chat,
    /// `POST /v1/responses`.
    Responses,
    /// `POST /v1/embeddings`.
    Embeddings,
}

impl Endpoint {
    /// Parses `chat`, `responses`, `embeddings`.
    ///
    /// # Errors
    /// Any other word.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "chat" => Ok(Self::Chat),
            "responses" => Ok(Self::Responses),
            "embeddings" => Ok(Self::Embeddings),
            _ => Err(format!("`{s}` is not an endpoint (chat, responses, embeddings)")),
        }
    }

    /// The path under the base URL.
    #[must_use]
    pub fn path(self) -> &'static str {
        match self {
            Self::Chat => "chat/completions",
            Self::Responses => "responses",
            Self::Embeddings => "embeddings",
        }
    }

    /// Human name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Chat => "Chat Completions",
            Self::Responses => "Responses",
            Self::Embeddings => "Embeddings",
        }
    }
}

/// Error (the API rejects it) or warning (it probably does not do what you want).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Plausible but probably wrong.
    Warning,
    /// The API rejects it.
    Error,
}

/// One problem in a body.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// JSON pointer (`/messages/1/role`).
    pub path: String,
    /// Error or warning.
    pub level: Level,
    /// Finding code (`payload.enum`, ...).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The API's own 400 message for it, when known, to match what you saw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_message: Option<String>,
}

/// A body to validate.
#[derive(Debug, Clone)]
pub struct PayloadInput {
    /// File name, or `<stdin>`.
    pub name: String,
    /// The bytes.
    pub bytes: Arc<Vec<u8>>,
    /// The endpoint, when given (`--endpoint`).
    pub endpoint: Option<Endpoint>,
}

/// What validation found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Detected or given endpoint.
    pub endpoint: Option<Endpoint>,
    /// The `model` field.
    pub model: Option<String>,
    /// Size of the body.
    pub bytes: usize,
    /// Prompt tokens (for embeddings: all inputs), when counted.
    pub tokens: Option<u64>,
    /// The model's context window (for embeddings: per-input limit), when known.
    pub context: Option<u64>,
    /// Tokenizer used.
    pub encoding: Option<models::Encoding>,
    /// Inline (base64) images: count and decoded bytes.
    pub images: (usize, usize),
    /// The problems, errors first.
    pub problems: Vec<Problem>,
}

impl Report {
    /// Number of errors.
    #[must_use]
    pub fn errors(&self) -> usize {
        self.problems.iter().filter(|p| p.level == Level::Error).count()
    }

    /// Number of warnings.
    #[must_use]
    pub fn warnings(&self) -> usize {
        self.problems.iter().filter(|p| p.level == Level::Warning).count()
    }

    /// "Chat Completions request for gpt-4o, 12.3 KiB, 3,210 of 128,000 tokens".
    #[must_use]
    pub fn describe(&self) -> String {
        let mut out = match self.endpoint {
            Some(e) => format!("{} request", e.name()),
            None => "request of unknown kind".to_owned(),
        };
        if let Some(m) = &self.model {
            out.push_str(&format!(" for {m}"));
        }
        out.push_str(&format!(", {}", human_size(self.bytes)));
        match (self.tokens, self.context) {
            (Some(t), Some(c)) if self.endpoint == Some(Endpoint::Embeddings) => {
                out.push_str(&format!(", {} tokens ({} per input at most)", thousands(t), thousands(c)))
            }
            (Some(t), Some(c)) => out.push_str(&format!(", {} of {} tokens", thousands(t), thousands(c))),
            (Some(t), None) => out.push_str(&format!(", {} tokens", thousands(t))),
            (None, _) if !models::TOKENS => out.push_str(", tokens not counted (built without the tokens feature)"),
            _ => {}
        }
        if self.images.0 > 0 {
            out.push_str(&format!(
                ", {} inline image{} ({})",
                self.images.0,
                if self.images.0 == 1 { "" } else { "s" },
                human_size(self.images.1)
            ));
        }
        out
    }
}

/// `1,234,567`.
#[must_use]
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `12.3 KiB`.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn human_size(b: usize) -> String {
    match b {
        0..1024 => format!("{b} bytes"),
        1024..1_048_576 => format!("{:.1} KiB", b as f64 / 1024.0),
        _ => format!("{:.1} MiB", b as f64 / 1_048_576.0),
    }
}

/// Validates a body. Never panics, whatever the bytes.
#[must_use]
pub fn validate(bytes: &[u8], endpoint: Option<Endpoint>) -> Report {
    let mut report = Report {
        endpoint,
        model: None,
        bytes: bytes.len(),
        tokens: None,
        context: None,
        encoding: None,
        images: (0, 0),
        problems: Vec::new(),
    };
    let mut sink = rules::Sink::default();
    let (value, dups) = match parse::parse(bytes) {
        Ok(v) => v,
        Err(e) => {
            report.problems.push(Problem {
                path: "/".to_owned(),
                level: Level::Error,
                code: codes::PARSE.id,
                message: format!("not valid JSON at line {}, column {}: {}", e.line, e.column, e.message),
                fix: "Fix the syntax at that position (a trailing comma, an unquoted key, a stray character).".to_owned(),
                api_message: Some("We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)".to_owned()),
            });
            return report;
        }
    };
    for d in dups {
        sink.problems.push(Problem {
            path: d.object.clone(),
            level: Level::Error,
            code: codes::DUPLICATE_KEY.id,
            message: format!("key `{}` appears more than once; the server silently keeps one of them", d.key),
            fix: "Remove the duplicate: which value wins is not defined.".to_owned(),
            api_message: None,
        });
    }
    let Some(obj) = value.as_object() else {
        report.problems.push(Problem {
            path: "/".to_owned(),
            level: Level::Error,
            code: codes::NOT_OBJECT.id,
            message: format!("the body is {}, not a JSON object", rules::type_name(&value)),
            fix: "Send a JSON object: {\"model\": ..., \"messages\": [...]}.".to_owned(),
            api_message: None,
        });
        return report;
    };
    report.model = obj.get("model").and_then(Value::as_str).map(str::to_owned);
    let info = report.model.as_deref().and_then(models::lookup);
    let endpoint = endpoint.or_else(|| rules::detect(obj));
    report.endpoint = endpoint;
    let mut texts = rules::Texts::default();
    match endpoint {
        Some(Endpoint::Chat) => rules::chat(&mut sink, obj, info, &mut texts),
        Some(Endpoint::Responses) => rules::responses(&mut sink, obj, info, &mut texts),
        Some(Endpoint::Embeddings) => rules::embeddings(&mut sink, obj, &mut texts),
        None => sink.problems.push(Problem {
            path: "/".to_owned(),
            level: Level::Error,
            code: codes::ENDPOINT_UNKNOWN.id,
            message: "cannot tell which endpoint this body is for (no messages, input or instructions)".to_owned(),
            fix: "Give --endpoint chat|responses|embeddings, or check the body's top-level fields.".to_owned(),
            api_message: None,
        }),
    }
    let mut images = (0, 0);
    count_images(&value, &mut images);
    report.images = images;
    tokens(&mut report, &mut sink, info, &texts);
    report.problems.extend(sink.problems);
    report.problems.sort_by_key(|p| std::cmp::Reverse(p.level));
    report
}

fn count_images(v: &Value, acc: &mut (usize, usize)) {
    match v {
        Value::String(s) if s.starts_with("data:image/") => {
            acc.0 += 1;
            acc.1 += s.split_once(',').map_or(0, |(_, b)| b.len() / 4 * 3);
        }
        Value::Object(o) => o.values().for_each(|x| count_images(x, acc)),
        Value::Array(a) => a.iter().for_each(|x| count_images(x, acc)),
        _ => {}
    }
}

fn tokens(report: &mut Report, sink: &mut rules::Sink, info: Option<&models::ModelInfo>, texts: &rules::Texts) {
    if !models::TOKENS {
        return;
    }
    let encoding = info.map_or(models::Encoding::O200kBase, |m| m.encoding);
    report.encoding = Some(encoding);
    if report.endpoint == Some(Endpoint::Embeddings) {
        let limit = info.map_or(8_192, |m| m.context);
        report.context = Some(limit);
        let mut total = 0u64;
        for (i, text) in texts.inputs.iter().enumerate() {
            let n = models::count(encoding, text) as u64;
            total += n;
            if n > limit {
                sink.problems.push(Problem {
                    path: if texts.inputs.len() == 1 { "/input".to_owned() } else { format!("/input/{i}") },
                    level: Level::Error,
                    code: codes::CONTEXT_WINDOW.id,
                    message: format!("input is {} tokens; embedding models take {} at most per input", thousands(n), thousands(limit)),
                    fix: "Split the text into chunks under the limit.".to_owned(),
                    api_message: Some(format!("This model's maximum context length is {limit} tokens, however you requested {n} tokens ({n} in your prompt; 0 for the completion). Please reduce your prompt; or completion length.")),
                });
            }
        }
        if total > 300_000 {
            sink.problems.push(Problem {
                path: "/input".to_owned(),
                level: Level::Error,
                code: codes::CONTEXT_WINDOW.id,
                message: format!("inputs total {} tokens; a request may carry 300,000 at most", thousands(total)),
                fix: "Send fewer inputs per request.".to_owned(),
                api_message: None,
            });
        }
        report.tokens = Some(total);
        return;
    }
    // Prompt tokens: every text, plus about 3 per message and 3 to prime the reply (OpenAI cookbook).
    let counted: usize = texts.prompt.iter().map(|t| models::count(encoding, t)).sum();
    let prompt = counted as u64 + 3 * texts.messages as u64 + 3;
    report.tokens = Some(prompt);
    let Some(m) = info else { return };
    report.context = Some(m.context);
    let name = report.model.clone().unwrap_or_default();
    if let Some(out) = texts.max_output
        && m.max_output > 0
        && out > m.max_output
    {
        sink.problems.push(Problem {
            path: "/max_completion_tokens".to_owned(),
            level: Level::Error,
            code: codes::CONTEXT_WINDOW.id,
            message: format!("{} output tokens requested; {name} writes {} at most", thousands(out), thousands(m.max_output)),
            fix: format!("Ask for {} output tokens or fewer.", thousands(m.max_output)),
            api_message: Some(format!("max_tokens is too large: {out}. This model supports at most {} completion tokens, whereas you provided {out}.", m.max_output)),
        });
    }
    let out = texts.max_output.unwrap_or(0);
    if prompt > m.context || prompt + out > m.context {
        sink.problems.push(Problem {
            path: "/".to_owned(),
            level: Level::Error,
            code: codes::CONTEXT_WINDOW.id,
            message: format!("about {} prompt tokens{} exceed {name}'s {}-token context window", thousands(prompt), if out > 0 { format!(" + {} requested output", thousands(out)) } else { String::new() }, thousands(m.context)),
            fix: "Shorten the conversation (drop or summarise old turns), or use a model with a larger window.".to_owned(),
            api_message: Some(format!(
                "This model's maximum context length is {} tokens. However, you requested {} tokens ({prompt} in the messages, {out} in the completion). Please reduce the length of the messages or completion.",
                m.context,
                prompt + out
            )),
        });
    } else if prompt * 10 > m.context * 9 {
        sink.problems.push(Problem {
            path: "/".to_owned(),
            level: Level::Warning,
            code: codes::CONTEXT_WINDOW.id,
            message: format!(
                "about {} prompt tokens use over 90% of {name}'s {}-token window; little room is left for the answer",
                thousands(prompt),
                thousands(m.context)
            ),
            fix: "Shorten the conversation, or set max_completion_tokens so the answer fits.".to_owned(),
            api_message: None,
        });
    }
}

static INFO: CheckInfo = CheckInfo {
    id: "payload",
    title: "Request payload",
    verifies: "the request body (--payload): JSON syntax, the endpoint's rules, tool-call pairing, and its size in tokens against the model's window",
    guide_step: "3. Validate the request payload",
    time_limit: Duration::from_secs(10),
};

/// The `payload` check.
#[derive(Debug)]
pub struct PayloadCheck;

/// Most findings listed in a report (the rest are counted).
const MAX_FINDINGS: usize = 25;

impl Check for PayloadCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run<'a>(&'a self, ctx: &'a Context, activity: &'a Activity) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let Some(input) = ctx.config.payload.clone() else {
                return Outcome::with_status(
                    Status::Skip,
                    "no payload given (--payload FILE, or - for stdin)",
                    json!({}),
                );
            };
            activity.set_local(format!("validating {} ({})", input.name, human_size(input.bytes.len())));
            let bytes = input.bytes.clone();
            let report = tokio::task::spawn_blocking(move || validate(&bytes, input.endpoint))
                .await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
            outcome(&input.name, &report)
        })
    }
}

/// The check's outcome for a report.
#[must_use]
pub fn outcome(name: &str, report: &Report) -> Outcome {
    let mut findings: Vec<Finding> = report
        .problems
        .iter()
        .take(MAX_FINDINGS)
        .map(|p| {
            let mut message = format!("{}: {}", p.path, p.message);
            if let Some(api) = &p.api_message {
                message.push_str(&format!(" (the API says: \"{api}\")"));
            }
            let code = codes::find(p.code);
            Finding::new(
                code,
                if p.level == Level::Error { Severity::Fail } else { Severity::Warn },
                message,
                p.fix.clone(),
            )
        })
        .collect();
    if report.problems.len() > MAX_FINDINGS {
        let rest = report.problems.len() - MAX_FINDINGS;
        findings.push(Finding::new(
            &codes::PARSE,
            Severity::Info,
            format!("and {rest} more (openai-doctor validate {name} lists them all)"),
            "",
        ));
    }
    let summary = match (report.errors(), report.warnings()) {
        (0, 0) => format!("{name}: {}: no problem found", report.describe()),
        (e, w) => format!(
            "{name}: {}: {e} error{}, {w} warning{}",
            report.describe(),
            if e == 1 { "" } else { "s" },
            if w == 1 { "" } else { "s" }
        ),
    };
    Outcome::from_findings(summary, json!(report), findings)
}

#[cfg(test)]
mod tests;
