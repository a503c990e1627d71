//! The JSON report (`--format json`): one document, `schema_version` 1, described by
//! `schema/report.schema.json` and README.

use openai_doctor_checks::net::context::RequestRecord;
use openai_doctor_checks::{CheckReport, RunReport, Verdict};
use serde::Serialize;
use serde_json::Value;

use super::Target;

/// Bumped on any incompatible change to the document's shape.
pub const SCHEMA_VERSION: u32 = 1;

/// The document, typed: what the schema describes, field for field.
#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    started_at: &'a str,
    duration_ms: u64,
    target: &'a Target,
    verdict: &'a Verdict,
    checks: &'a [CheckReport],
    requests: &'a [RequestRecord],
    /// Present (true) only when the run was stopped before every check finished.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    interrupted: bool,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

/// The report as one JSON document (not yet redacted: `Output::stdout_json` and the bundle redact
/// it field by field, so it stays valid JSON).
#[must_use]
pub fn document(run: &RunReport, target: &Target) -> Value {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool { name: "openai-doctor", version: env!("CARGO_PKG_VERSION") },
        started_at: &run.started_at,
        duration_ms: u64::try_from(run.duration.as_millis()).unwrap_or(u64::MAX),
        target,
        verdict: &run.verdict,
        checks: &run.checks,
        requests: &run.requests,
        interrupted: run.interrupted,
    };
    serde_json::to_value(doc).unwrap_or_default()
}
