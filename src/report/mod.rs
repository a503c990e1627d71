//! Renderers of a run: table (people), JSON (machines), markdown (tickets), OpenMetrics
//! (Prometheus). The text renderers
//! get a copy of the run whose outside strings are safe for a terminal; the JSON document keeps
//! them as they came (escaped). Everything is redacted on its way out (`output`, `bundle_files`).

pub mod json;
pub mod markdown;
pub mod openmetrics;
mod table;

use std::io;

use openai_doctor_checks::net::context::Net;
use openai_doctor_checks::{Config, RunReport};
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
    /// Model for the probe (with Azure's deployments API: the deployment).
    pub model: String,
    /// Which API the app calls: `openai`, `azure`, `compatible`.
    pub provider: &'static str,
    /// The provider in words: "Azure OpenAI (api-version 2024-10-21)".
    pub provider_name: String,
    /// Why that provider (which variable or flag decided it).
    pub provider_why: String,
    /// Proxy in the path (password redacted), or null.
    pub proxy: Option<String>,
    /// With `--pid`: whose environment, files and cgroup were used (`pid 1 (python3)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
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
            provider: config.provider.id(),
            provider_name: config.provider.name(),
            provider_why: config.provider_why.clone(),
            proxy: net.proxy_url().map(openai_doctor_checks::net::proxy_env::redacted_url),
            process: config.env.owner().map(str::to_owned),
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

/// What goes to stdout for `format`.
#[derive(Debug)]
pub enum Rendered {
    /// Text (table, markdown), made safe for a terminal, not yet redacted.
    Text(String),
    /// The JSON document, not yet redacted.
    Json(serde_json::Value),
}

/// Renders `run` in `format`.
///
/// # Errors
/// Write errors.
pub fn render(
    format: Format,
    run: &RunReport,
    target: &Target,
    style: Style,
    ticket: Option<&Ticket<'_>>,
) -> io::Result<Rendered> {
    if format == Format::Json {
        return Ok(Rendered::Json(json::document(run, target)));
    }
    if format == Format::Openmetrics {
        return Ok(Rendered::Text(openmetrics::render(run, target, openmetrics::Dialect::OpenMetrics)));
    }
    let mut w = Vec::new();
    match (format, ticket) {
        (Format::Markdown, Some(t)) => markdown::render(&for_terminal(run), target, t.env, t.marker, &mut w)?,
        (Format::Markdown, None) => return Err(io::Error::other("the markdown ticket needs the environment")),
        _ => table::render(&for_terminal(run), target, style, &mut w)?,
    }
    Ok(Rendered::Text(String::from_utf8_lossy(&w).into_owned()))
}

/// The run with the control characters of every outside string shown as escapes.
#[must_use]
pub fn for_terminal(run: &RunReport) -> RunReport {
    run.map_text(&|s| crate::output::clean(s).into_owned())
}

/// What the ticket needs besides the report.
#[derive(Debug)]
pub struct Ticket<'a> {
    /// Where the run happened.
    pub env: &'a crate::environment::Environment,
    /// `OD-...` marker tying a ticket to its bundle.
    pub marker: &'a str,
}

/// `2026-11-25T13:15:12.345Z` → `20261125T131512Z`, for file names and ticket markers.
#[must_use]
pub fn stamp(started_at: &str) -> String {
    let digits: String = started_at.chars().filter(char::is_ascii_alphanumeric).take(15).collect();
    format!("{digits}Z")
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
