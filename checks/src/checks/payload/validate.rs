//! Validation of one body, offline: parse (line and column, duplicate keys), detect the
//! endpoint, apply the rules, count tokens with the model's tokenizer against its window. Never
//! panics, whatever the bytes (fuzzed).

use serde_json::Value;

use super::report::{Level, Problem, Report, thousands};
use super::{codes, models, parse, rules};
use crate::request::Endpoint;

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
    let endpoint = endpoint.or_else(|| crate::request::detect(obj));
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
            let n = super::tokens::count(encoding, text) as u64;
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
    let counted: usize = texts.prompt.iter().map(|t| super::tokens::count(encoding, t)).sum();
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
