//! The JSON report (`--format json`): one document, `schema_version` 1, described by
//! `schema/report.schema.json` and README.

use openai_doctor_checks::RunReport;
use serde_json::{Value, json};

use super::Target;

/// Bumped on any incompatible change to the document's shape.
pub const SCHEMA_VERSION: u32 = 1;

/// The report as one JSON document (not yet redacted: `Output::stdout_json` and the bundle redact
/// it field by field, so it stays valid JSON).
#[must_use]
pub fn document(run: &RunReport, target: &Target) -> Value {
    let mut doc = json!({
        "schema_version": SCHEMA_VERSION,
        "tool": { "name": "openai-doctor", "version": env!("CARGO_PKG_VERSION") },
        "started_at": run.started_at,
        "duration_ms": u64::try_from(run.duration.as_millis()).unwrap_or(u64::MAX),
        "target": target,
        "verdict": run.verdict,
        "checks": run.checks,
        "requests": run.requests,
    });
    if run.interrupted {
        doc["interrupted"] = json!(true);
    }
    doc
}
