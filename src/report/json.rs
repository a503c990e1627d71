//! The JSON report (`--format json`): one document, `schema_version` 1, described by
//! `schema/report.schema.json` and README.

use std::io::{self, Write};

use openai_doctor_checks::RunReport;
use serde_json::json;

use super::Target;

/// Bumped on any incompatible change to the document's shape.
pub const SCHEMA_VERSION: u32 = 1;

/// Writes the report as pretty JSON followed by a newline.
///
/// # Errors
/// Write errors.
pub fn render(run: &RunReport, target: &Target, w: &mut impl Write) -> io::Result<()> {
    let doc = json!({
        "schema_version": SCHEMA_VERSION,
        "tool": { "name": "openai-doctor", "version": env!("CARGO_PKG_VERSION") },
        "started_at": run.started_at,
        "duration_ms": u64::try_from(run.duration.as_millis()).unwrap_or(u64::MAX),
        "target": target,
        "verdict": run.verdict,
        "checks": run.checks,
        "requests": run.requests,
    });
    let mut doc = doc;
    if run.interrupted {
        doc["interrupted"] = json!(true);
    }
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}
