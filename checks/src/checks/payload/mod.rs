//! Request-body validation, offline: parse (line and column, duplicate keys, UTF-8), detect the
//! endpoint, apply the API's rules, count tokens with the model's real tokenizer against its
//! context window. Used by the `payload` check and by `openai-doctor validate`.

pub mod codes;
pub mod models;
pub mod parse;
pub mod report;
pub mod rules;
mod tokens;
mod validate;

use std::time::Duration;

pub use report::{Level, Problem, Report, human_size, thousands};
pub use validate::validate;

use crate::details::Details;
use crate::engine::check::{Activity, BoxFuture, Check, CheckInfo, Context};
use crate::model::{CheckId, Finding, Outcome, Severity, Status};

static INFO: CheckInfo = CheckInfo {
    id: CheckId::Payload,
    title: "Request payload",
    verifies: "the request body (--payload): JSON syntax, the endpoint's rules, tool-call pairing, and its size in tokens against the model's window",
    guide_step: "3. Validate the request payload",
    time_limit: Duration::from_secs(10),
    codes: codes::ALL,
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
                    Details::nothing(),
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
            "{name}: {}: {}, {}",
            report.describe(),
            crate::model::plural(e, "error"),
            crate::model::plural(w, "warning")
        ),
    };
    Outcome::from_findings(summary, report.shown(), findings)
}

#[cfg(test)]
mod tests;
