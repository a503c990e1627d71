//! `openai-doctor validate FILE...`: the payload rules offline, for CI. Exit 0 when no file has
//! errors (warnings allowed), 1 when any has, 2 when a file cannot be read.

use std::io::Write;
use std::path::Path;

use openai_doctor_checks::checks::payload::{self, Level, Report};
use openai_doctor_checks::fsread;
use openai_doctor_checks::request::Endpoint;
use serde_json::json;

use crate::cli::Format;
use crate::exit;
use crate::exit::AppError;
use crate::output::{Output, clean};

/// Largest body read (the API itself refuses far smaller ones).
const MAX_BYTES: u64 = 100 * 1024 * 1024;

/// Reads a payload file, or stdin for `-`, with its display name. Only regular files: a FIFO
/// or a device would block or never end.
///
/// # Errors
/// Unreadable, not a regular file, or larger than 100 MiB.
pub fn read(path: &Path) -> Result<(String, Vec<u8>), String> {
    if path.as_os_str() == "-" {
        let bytes = fsread::read_limited(std::io::stdin().lock(), "payload <stdin>", MAX_BYTES)?;
        return Ok(("<stdin>".to_owned(), bytes));
    }
    let bytes = fsread::read_regular(path, "payload", MAX_BYTES)?;
    Ok((path.display().to_string(), bytes))
}

/// Runs `validate`.
///
/// # Errors
/// Write errors only; unreadable files are reported and give exit 2.
pub fn run(files: &[std::path::PathBuf], endpoint: Option<Endpoint>, format: Format) -> Result<u8, AppError> {
    if format == Format::Openmetrics {
        return Err(AppError::usage("validate writes table or json (openmetrics is for the checklist run)"));
    }
    let mut results: Vec<(String, Result<Report, String>)> = Vec::new();
    for path in files {
        match read(path) {
            Ok((name, bytes)) => results.push((name, Ok(payload::validate(&bytes, endpoint)))),
            Err(e) => results.push((path.display().to_string(), Err(e))),
        }
    }
    // A key pasted as `model`, a password in a URL: validate's output is scrubbed like a run's.
    let out = Output::from_process();
    let mut text = Vec::new();
    match format {
        Format::Json => {
            let doc = document(&results);
            out.stdout_json(doc)?;
        }
        Format::Table | Format::Markdown | Format::Openmetrics => {
            render_text(&results, &mut text).map_err(|e| AppError::internal(format!("cannot render: {e}")))?;
            out.stdout(&clean(&String::from_utf8_lossy(&text)))?;
        }
    }
    let unreadable = results.iter().any(|(_, r)| r.is_err());
    let errors = results.iter().any(|(_, r)| r.as_ref().is_ok_and(|r| r.errors() > 0));
    Ok(if unreadable {
        exit::USAGE
    } else if errors {
        exit::CHECK_FAILED
    } else {
        exit::OK
    })
}

/// The human report: one block per file, each problem with its pointer, fix and the API's text.
///
/// # Errors
/// Write errors.
pub fn render_text(results: &[(String, Result<Report, String>)], w: &mut impl Write) -> std::io::Result<()> {
    let (mut errors, mut warnings) = (0, 0);
    for (name, result) in results {
        let report = match result {
            Ok(r) => r,
            Err(e) => {
                writeln!(w, "{name}: error: {e}\n")?;
                continue;
            }
        };
        errors += report.errors();
        warnings += report.warnings();
        writeln!(w, "{name}: {}", report.describe())?;
        for p in &report.problems {
            let mark = if p.level == Level::Error { "✗ error" } else { "! warning" };
            writeln!(w, "  {mark} at {}: {} [{}]", p.path, p.message, p.code)?;
            writeln!(w, "      fix: {}", p.fix)?;
            if let Some(api) = &p.api_message {
                writeln!(w, "      the API says: {api}")?;
            }
        }
        if report.problems.is_empty() {
            writeln!(w, "  ✓ no problem found")?;
        }
        writeln!(w)?;
    }
    let plural = |n: usize, word: &str| openai_doctor_checks::model::plural(n, word);
    let unreadable = results.iter().filter(|(_, r)| r.is_err()).count();
    let unreadable = if unreadable > 0 { format!("{unreadable} unreadable, ") } else { String::new() };
    writeln!(
        w,
        "{} checked: {unreadable}{}, {}",
        plural(results.len(), "file"),
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// The JSON report: `{schema_version, files: [{file, error | report}], errors, warnings, unreadable}`.
#[must_use]
pub fn document(results: &[(String, Result<Report, String>)]) -> serde_json::Value {
    let files: Vec<_> = results
        .iter()
        .map(|(name, r)| match r {
            Ok(report) => json!({ "file": name, "report": report }),
            Err(e) => json!({ "file": name, "error": e }),
        })
        .collect();
    let errors: usize = results.iter().filter_map(|(_, r)| r.as_ref().ok()).map(Report::errors).sum();
    let warnings: usize = results.iter().filter_map(|(_, r)| r.as_ref().ok()).map(Report::warnings).sum();
    let unreadable = results.iter().filter(|(_, r)| r.is_err()).count();
    json!({ "schema_version": 1, "files": files, "errors": errors, "warnings": warnings, "unreadable": unreadable })
}
