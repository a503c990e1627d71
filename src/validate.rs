//! `openai-doctor validate FILE...`: the payload rules offline, for CI. Exit 0 when no file has
//! errors (warnings allowed), 1 when any has, 2 when a file cannot be read.

use std::io::{Read, Write};
use std::path::Path;

use openai_doctor_checks::payload::{self, Endpoint, Level, Report};
use serde_json::json;

use crate::app::{AppError, write_stdout};
use crate::cli::Format;
use crate::exit;

/// Largest body read (the API itself refuses far smaller ones).
const MAX_BYTES: u64 = 100 * 1024 * 1024;

/// Reads a payload file, or stdin for `-`, with its display name.
///
/// # Errors
/// Unreadable, or larger than 100 MiB.
pub fn read(path: &Path) -> Result<(String, Vec<u8>), String> {
    let (name, mut reader): (String, Box<dyn Read>) = if path.as_os_str() == "-" {
        ("<stdin>".to_owned(), Box::new(std::io::stdin().lock()))
    } else {
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read payload {}: {e}", path.display()))?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(format!("cannot read payload {}: it is a directory", path.display()));
        }
        (path.display().to_string(), Box::new(file))
    };
    let mut bytes = Vec::new();
    (&mut reader)
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read payload {name}: {e}"))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!("payload {name} is larger than 100 MiB"));
    }
    Ok((name, bytes))
}

/// Runs `validate`.
///
/// # Errors
/// Write errors only; unreadable files are reported and give exit 2.
pub fn run(files: &[std::path::PathBuf], endpoint: Option<Endpoint>, format: Format) -> Result<u8, AppError> {
    let mut results: Vec<(String, Result<Report, String>)> = Vec::new();
    for path in files {
        match read(path) {
            Ok((name, bytes)) => results.push((name, Ok(payload::validate(&bytes, endpoint)))),
            Err(e) => results.push((path.display().to_string(), Err(e))),
        }
    }
    let mut out = Vec::new();
    match format {
        Format::Json => render_json(&results, &mut out),
        Format::Table | Format::Markdown => render_text(&results, &mut out),
    }
    .map_err(|e| AppError::internal(format!("cannot render: {e}")))?;
    write_stdout(&out)?;
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
    let plural = |n: usize, s: &str| if n == 1 { format!("1 {s}") } else { format!("{n} {s}s") };
    writeln!(
        w,
        "{} checked: {}, {}",
        plural(results.len(), "file"),
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// The JSON report: `{schema_version, files: [{file, error | report}], errors, warnings}`.
///
/// # Errors
/// Write errors.
pub fn render_json(results: &[(String, Result<Report, String>)], w: &mut impl Write) -> std::io::Result<()> {
    let files: Vec<_> = results
        .iter()
        .map(|(name, r)| match r {
            Ok(report) => json!({ "file": name, "report": report }),
            Err(e) => json!({ "file": name, "error": e }),
        })
        .collect();
    let errors: usize = results.iter().filter_map(|(_, r)| r.as_ref().ok()).map(Report::errors).sum();
    let warnings: usize = results.iter().filter_map(|(_, r)| r.as_ref().ok()).map(Report::warnings).sum();
    serde_json::to_writer_pretty(
        &mut *w,
        &json!({ "schema_version": 1, "files": files, "errors": errors, "warnings": warnings }),
    )?;
    writeln!(w)
}
