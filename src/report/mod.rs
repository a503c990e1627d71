//! Renderers of a run: table (people), JSON (machines), markdown (tickets). Every renderer writes
//! to `impl Write`; the caller redacts the bytes before they leave the process.

pub mod json;
pub mod markdown;
mod table;

use std::io::{self, Write};

use openai_doctor_checks::net::Net;
use openai_doctor_checks::{Config, RunReport, Status};
use serde::Serialize;

use crate::cli::Format;

/// What the run was aimed at, for headers and the JSON `target` object.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// API base URL.
    pub base_url: String,
    /// Its host.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// Model for the probe.
    pub model: String,
    /// Proxy in the path (password redacted), or null.
    pub proxy: Option<String>,
}

impl Target {
    /// From the configuration and the effective network path.
    #[must_use]
    pub fn new(config: &Config, net: &Net) -> Self {
        Self {
            base_url: config.base_url.to_string(),
            host: config.api_host().to_owned(),
            port: config.api_port(),
            model: config.model.clone(),
            proxy: net.proxy_url().map(openai_doctor_checks::proxy_env::redacted_url),
        }
    }
}

/// How to render.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// ANSI colours on.
    pub color: bool,
    /// Details and requests.
    pub verbose: bool,
    /// Wrap width.
    pub width: usize,
}

/// The terminal's width, or 80 when stdout is not a terminal. Kept between 60 and 120.
#[must_use]
pub fn terminal_width() -> usize {
    terminal_size::terminal_size_of(io::stdout()).map_or(80, |(w, _)| usize::from(w.0)).clamp(60, 120)
}

/// Renders `run` in `format` to `w`.
///
/// # Errors
/// Write errors.
pub fn render(
    format: Format,
    run: &RunReport,
    target: &Target,
    style: Style,
    ticket: Option<&Ticket<'_>>,
    w: &mut impl Write,
) -> io::Result<()> {
    match (format, ticket) {
        (Format::Table, _) => table::render(run, target, style, w),
        (Format::Json, _) => json::render(run, target, w),
        (Format::Markdown, Some(t)) => markdown::render(run, target, t.env, t.marker, w),
        (Format::Markdown, None) => Err(io::Error::other("the markdown ticket needs the environment")),
    }
}

/// What the ticket needs besides the report.
#[derive(Debug)]
pub struct Ticket<'a> {
    /// Where the run happened.
    pub env: &'a crate::environment::Environment,
    /// `OD-...` marker tying a ticket to its bundle.
    pub marker: &'a str,
}

/// The bundle's files, rendered (not yet redacted: the bundle writer redacts every file).
///
/// # Errors
/// Serialisation errors.
pub fn bundle_files(run: &RunReport, target: &Target, ticket: &Ticket<'_>) -> io::Result<Vec<(&'static str, String)>> {
    let mut md = Vec::new();
    markdown::render(run, target, ticket.env, ticket.marker, &mut md)?;
    let mut report = Vec::new();
    json::render(run, target, &mut report)?;
    let mut requests = String::new();
    for r in &run.requests {
        requests.push_str(&serde_json::to_string(r)?);
        requests.push('\n');
    }
    let env = serde_json::to_string_pretty(ticket.env)? + "\n";
    Ok(vec![
        ("ticket.md", String::from_utf8_lossy(&md).into_owned()),
        ("report.json", String::from_utf8_lossy(&report).into_owned()),
        ("requests.jsonl", requests),
        ("environment.json", env),
        ("README.txt", crate::bundle::README.to_owned()),
    ])
}

/// `2026-11-25T13:15:12.345Z` → `20261125T131512Z`, for file names and ticket markers.
#[must_use]
pub fn stamp(started_at: &str) -> String {
    let digits: String = started_at.chars().filter(char::is_ascii_alphanumeric).take(15).collect();
    format!("{digits}Z")
}

/// The symbol for a status (✓ pass, ! warn, ✗ fail, – skip, i info).
#[must_use]
pub fn symbol(status: Status) -> &'static str {
    match status {
        Status::Pass => "✓",
        Status::Info => "i",
        Status::Warn => "!",
        Status::Fail => "✗",
        Status::Skip => "–",
    }
}

/// Milliseconds as `12 ms` or `1.5 s`.
#[must_use]
pub fn ms(v: u64) -> String {
    if v < 1000 {
        format!("{v} ms")
    } else {
        #[allow(clippy::cast_precision_loss)]
        let s = v as f64 / 1000.0;
        format!("{s:.1} s")
    }
}
