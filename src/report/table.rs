//! The report for people: a header, one line per check with a symbol and its summary, the
//! finding and its fix under each warning or failure, and a verdict naming the root cause.
//! `-v` adds each check's details and a table of the requests made (comfy-table).

use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, presets};
use openai_doctor_checks::{CheckReport, RunReport, Severity, Status};
use serde_json::Value;

use super::{Style, Target, ms};

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const DIM: &str = "\x1b[2m";
const BLUE: &str = "\x1b[34m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

fn paint(style: Style, color: &str, text: &str) -> String {
    if style.color { format!("{color}{text}{RESET}") } else { text.to_owned() }
}

fn status_color(status: Status) -> &'static str {
    match status {
        Status::Pass => GREEN,
        Status::Info => BLUE,
        Status::Warn => YELLOW,
        Status::Fail => RED,
        Status::Skip => DIM,
    }
}

/// Greedy word wrap of `text` to `width` columns, starting after `prefix` (kept as is); every
/// line after the first starts with `indent`.
fn wrap_after(prefix: &str, text: &str, width: usize, indent: &str) -> String {
    let mut out = prefix.to_owned();
    let mut line_len = prefix.chars().count();
    let mut first_word = true;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if !first_word && line_len + 1 + len > width {
            out.push('\n');
            out.push_str(indent);
            line_len = indent.chars().count();
        } else if !first_word {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
        first_word = false;
    }
    out
}

fn wrap(text: &str, width: usize, indent: &str) -> String {
    wrap_after("", text, width, indent)
}

/// Writes the table report.
///
/// # Errors
/// Write errors.
pub fn render(run: &RunReport, target: &Target, style: Style, w: &mut impl Write) -> io::Result<()> {
    let proxy = target.proxy.as_deref().unwrap_or("none");
    writeln!(w, "{}", paint(style, BOLD, &format!("openai-doctor {}", env!("CARGO_PKG_VERSION"))))?;
    let process = target.process.as_ref().map_or_else(String::new, |p| format!(" · as seen by {p}"));
    writeln!(w, "{}", wrap(&format!("target {} · proxy {proxy}{process}", target.base_url), style.width, "  "))?;
    let provider = format!("provider {} · {}", target.provider_name, target.provider_why);
    writeln!(w, "{}", wrap(&provider, style.width, "  "))?;
    writeln!(w)?;
    let id_width = run.checks.iter().map(|c| c.id.as_str().len()).max().unwrap_or(9);
    let indent = " ".repeat(id_width + 6);
    for check in &run.checks {
        write_check(check, style, id_width, &indent, w)?;
    }
    writeln!(w)?;
    let verdict = format!("{} {}", verdict_word(run), run.verdict.summary);
    let color = status_color(run.verdict.status);
    writeln!(w, "{}", paint(style, color, &wrap(&verdict, style.width, "  ")))?;
    if run.verdict.root_cause.is_some() && !style.verbose {
        writeln!(
            w,
            "{}",
            paint(style, DIM, "Run with -v for details, or `openai-doctor explain CODE` for a finding.")
        )?;
    }
    if style.verbose
        && let Some(phases) = waterfall(run)
    {
        writeln!(w)?;
        writeln!(w, "Network path (first connection, as httpstat shows it):")?;
        writeln!(w, "{phases}")?;
    }
    if style.verbose && !run.requests.is_empty() {
        writeln!(w)?;
        writeln!(w, "Requests ({}):", run.requests.len())?;
        writeln!(w, "{}", requests_table(run, target, style.width))?;
    }
    Ok(())
}

/// DNS lookup, TCP connect, TLS handshake, first byte and total of the first API request, from
/// the run's typed facts; `None` when the network checks did not run.
fn waterfall(run: &RunReport) -> Option<String> {
    let f = &run.facts;
    let (dns, connect, handshake) = (f.dns_ms, f.connect_ms, f.handshake_ms);
    let ttfb = f.first_request.map(|l| l.ttfb_ms);
    let total = f.first_request.map(|l| l.total_ms);
    if [dns, connect, handshake, ttfb].iter().all(Option::is_none) {
        return None;
    }
    let cell = |v: Option<u64>| v.map_or_else(|| "–".to_owned(), ms);
    let names = ["DNS lookup", "TCP connect", "TLS handshake", "first byte", "total"];
    let values = [cell(dns), cell(connect), cell(handshake), cell(ttfb), cell(total)];
    let head: String = names.iter().map(|n| format!("  {n:<14}")).collect();
    let row: String = values.iter().map(|v| format!("  [{:>9} ]  ", v)).collect::<String>();
    let mut out = format!("{}\n{}", head.trim_end(), row.trim_end());
    if let Some(s) = &f.stream {
        out.push_str(&format!("\n{}", stream_line(s)));
    }
    Some(out)
}

/// The streamed answer on the network path: first event, gaps between events, total; the
/// verdict on a second line when it is not healthy.
fn stream_line(s: &openai_doctor_checks::engine::facts::StreamFact) -> String {
    let first = s.first_event_ms.map_or_else(|| "none".to_owned(), ms);
    let mut line = format!(
        "  streaming: first event {first} · gaps p50 {}, max {} · total {}",
        ms(s.gap_p50_ms),
        ms(s.gap_max_ms),
        ms(s.total_ms)
    );
    if s.verdict != "ok" {
        line.push_str(&format!("\n             {} events: {}", s.events, s.verdict));
    }
    line
}

fn verdict_word(run: &RunReport) -> &'static str {
    match run.verdict.status {
        _ if run.verdict.root_cause.is_some() => "✗ Verdict:",
        Status::Warn => "! Verdict:",
        _ => "✓ Verdict:",
    }
}

fn write_check(check: &CheckReport, style: Style, id_width: usize, indent: &str, w: &mut impl Write) -> io::Result<()> {
    let sym = paint(style, status_color(check.status), check.status.symbol());
    let prefix = format!("  {sym} {:<id_width$}  ", check.id);
    // The prefix's ANSI codes take no columns: wrap as if it were plain.
    let plain_prefix = format!("  {} {:<id_width$}  ", check.status.symbol(), check.id);
    let wrapped = wrap_after(&plain_prefix, &check.summary, style.width, indent);
    writeln!(w, "{prefix}{}", &wrapped[plain_prefix.len()..])?;
    for f in &check.findings {
        if f.severity == Severity::Info && !style.verbose {
            continue;
        }
        let mark = match f.severity {
            Severity::Fail => paint(style, RED, "✗"),
            Severity::Warn => paint(style, YELLOW, "!"),
            Severity::Info => paint(style, BLUE, "i"),
        };
        let plain = format!("{indent}{} ", f.severity_symbol());
        let text = format!("{} [{}]", f.message, f.code);
        let wrapped = wrap_after(&plain, &text, style.width, &format!("{indent}  "));
        writeln!(w, "{indent}{mark} {}", &wrapped[plain.len()..])?;
        if !f.remedy.is_empty() {
            let fix = format!("fix: {}", f.remedy);
            writeln!(w, "{}", wrap_after(&format!("{indent}  "), &fix, style.width, &format!("{indent}  ")))?;
        }
    }
    if style.verbose && check.status != Status::Skip {
        // Every detail, shown generically from its serialised form: display, not a read by key.
        for line in detail_lines(&check.details.to_json(), "") {
            writeln!(w, "{}", paint(style, DIM, &wrap_after(indent, &line, style.width, &format!("{indent}    "))))?;
        }
        writeln!(w, "{indent}{}", paint(style, DIM, &format!("took {}", ms(check.duration_ms))))?;
    }
    Ok(())
}

/// Flattens details into `key: value` lines (arrays of objects become one line each).
fn detail_lines(v: &Value, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                match x {
                    Value::Null => {}
                    Value::Object(_) => out.extend(detail_lines(x, &key)),
                    Value::Array(a) if a.is_empty() => {}
                    Value::Array(a) if a.iter().all(|e| !e.is_object()) => {
                        out.push(format!("{key}: {}", a.iter().map(scalar).collect::<Vec<_>>().join(", ")));
                    }
                    Value::Array(a) => {
                        for (i, e) in a.iter().enumerate() {
                            out.push(format!("{key}[{i}]: {}", compact(e)));
                        }
                    }
                    _ => out.push(format!("{key}: {}", scalar(x))),
                }
            }
        }
        other => out.push(format!("{prefix}: {}", scalar(other))),
    }
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn compact(v: &Value) -> String {
    match v {
        Value::Object(map) => map
            .iter()
            .filter(|(_, x)| !x.is_null())
            .map(|(k, x)| format!("{k}={}", if x.is_object() || x.is_array() { x.to_string() } else { scalar(x) }))
            .collect::<Vec<_>>()
            .join(" "),
        other => scalar(other),
    }
}

fn requests_table(run: &RunReport, target: &Target, width: usize) -> Table {
    // Requests to the API show their path only: the header names the base URL.
    let origin = target.base_url.split('/').take(3).collect::<Vec<_>>().join("/");
    let mut table = Table::new();
    table
        .load_style(presets::ASCII_BORDERS_ONLY_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(u16::try_from(width).unwrap_or(80))
        .set_header(["at (UTC)", "check", "request", "result (sender)", "time"]);
    for r in &run.requests {
        let result = match (r.status, &r.answered_by) {
            (Some(s), Some(a)) => format!("{s} ({})", a.sender),
            (Some(s), None) => s.to_string(),
            (None, _) => r.error.clone().unwrap_or_default(),
        };
        let at = r.at.get(11..23).unwrap_or(&r.at).to_owned();
        let url = r.url.strip_prefix(&origin).filter(|p| p.starts_with('/')).unwrap_or(&r.url);
        table.add_row([at, r.check.to_string(), format!("{} {url}", r.method), result, ms(r.duration_ms)]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_respects_width_and_indent() {
        let text = "one two three four five six seven eight nine ten";
        let out = wrap(text, 20, "    ");
        for line in out.lines() {
            assert!(line.chars().count() <= 20, "{line:?}");
        }
        assert!(out.lines().skip(1).all(|l| l.starts_with("    ")), "{out}");
        assert_eq!(out.split_whitespace().collect::<Vec<_>>().join(" "), text);
    }

    #[test]
    fn details_flatten() {
        let v = serde_json::json!({"a": {"b": 1}, "c": ["x", "y"], "d": [{"n": "z", "s": null}], "e": null});
        assert_eq!(detail_lines(&v, ""), ["a.b: 1", "c: x, y", "d[0]: n=z"]);
    }
}
