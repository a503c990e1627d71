//! The support ticket, in Markdown: `ticket.md` in the bundle, and `--format markdown`. A summary
//! paragraph (what fails, since when, how often), the root cause with its evidence, the failed
//! requests with their ids, the environment, and what was ruled out.

use std::io::{self, Write};

use openai_doctor_checks::{RunReport, Severity, Status};

use super::{Target, ms};
use crate::environment::Environment;

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// A ticket marker: `OD-<UTC yyyymmddThhmmssZ>-<8 hex>`, to match a ticket with its bundle.
#[must_use]
pub fn marker(started_at: &str) -> String {
    format!("OD-{}-{:08x}", super::stamp(started_at), fastrand::u32(..))
}

/// Writes the ticket.
///
/// # Errors
/// Write errors.
pub fn render(run: &RunReport, target: &Target, env: &Environment, marker: &str, w: &mut impl Write) -> io::Result<()> {
    writeln!(w, "# OpenAI API problem report ({marker})\n")?;
    let failed: Vec<_> =
        run.requests.iter().filter(|r| r.error.is_some() || r.status.is_some_and(|s| s >= 400)).collect();
    let api: Vec<_> = run
        .requests
        .iter()
        .filter(|r| matches!(r.check, openai_doctor_checks::CheckId::Probe | openai_doctor_checks::CheckId::Stream))
        .collect();
    let api_failed = api.iter().filter(|r| r.error.is_some() || r.status.is_some_and(|s| s >= 400)).count();
    // Whose view matters to whoever reads the ticket: with --pid, the app's, not the doctor's.
    let view = target
        .process
        .as_ref()
        .map_or_else(String::new, |p| format!(", as seen by {p} (its environment, files and cgroup)"));
    let mut summary = format!(
        "Calls to `{}` ({}, because {}; model `{}`) were checked by openai-doctor {} at {}{view}. ",
        target.base_url,
        target.provider_name,
        target.provider_why,
        target.model,
        env!("CARGO_PKG_VERSION"),
        run.started_at
    );
    match run.verdict.root_cause.and_then(|id| run.checks.iter().find(|c| c.id == id)) {
        Some(root) => summary.push_str(&format!(
            "The root cause found is the **{}** check ({}): {}. ",
            root.id,
            root.title,
            openai_doctor_checks::engine::runner::root_words(root).trim_end_matches('.')
        )),
        None => summary.push_str(&format!("Verdict: {}. ", run.verdict.summary)),
    }
    if !api.is_empty() {
        summary.push_str(&format!("{api_failed} of {} API requests failed", api.len()));
        if let Some(first) = api.iter().find(|r| r.error.is_some() || r.status.is_some_and(|s| s >= 400)) {
            summary.push_str(&format!(", the first at {}", first.at));
        }
        summary.push('.');
    }
    if run.interrupted {
        summary.push_str(" The run was interrupted; results are partial.");
    }
    writeln!(w, "{summary}\n")?;

    if let Some(root) = run.verdict.root_cause.and_then(|id| run.checks.iter().find(|c| c.id == id)) {
        writeln!(w, "## Root cause: {} ({})\n", root.title, root.id)?;
        for f in root.findings.iter().filter(|f| f.severity != Severity::Info) {
            writeln!(w, "- `{}`: {}", f.code, cell(&f.message))?;
            if !f.remedy.is_empty() {
                writeln!(w, "  - What to do: {}", cell(&f.remedy))?;
            }
        }
        writeln!(w)?;
    }

    if !failed.is_empty() {
        writeln!(
            w,
            "## Failed requests\n\n| UTC timestamp | method | endpoint | status | answered by | x-request-id | X-Client-Request-Id | latency |\n|---|---|---|---|---|---|---|---|"
        )?;
        for r in &failed {
            let status = r.status.map_or_else(|| cell(r.error.as_deref().unwrap_or("no answer")), |s| s.to_string());
            // Who answered, with what shows it: the reader of the ticket may own the hop.
            let by = r.answered_by.as_ref().map_or_else(
                || "—".to_owned(),
                |a| cell(&format!("{} ({})", a.sender, a.evidence.first().map_or("", String::as_str))),
            );
            writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                r.at,
                r.method,
                cell(&r.url),
                status,
                by,
                match (&r.request_id, &r.apim_request_id) {
                    (Some(id), Some(apim)) if id != apim => format!("{id} (apim {apim})"),
                    (Some(id), _) | (None, Some(id)) => id.clone(),
                    (None, None) => "—".to_owned(),
                },
                r.client_request_id.as_deref().unwrap_or("—"),
                ms(r.duration_ms)
            )?;
        }
        writeln!(w)?;
    }

    if let Some(s) = &run.facts.stream {
        // Per-event arrival times: what support needs to see a buffering or cutting middlebox.
        let arrivals: Vec<String> = s.event_ms.iter().map(u64::to_string).collect();
        writeln!(
            w,
            "## Stream\n\nOne streaming chat completion: {} events, first event {}, gaps p50 {} / max {}, total {} ({}).\n\nEvent arrivals (ms after the request): {}\n",
            s.events,
            s.first_event_ms.map_or_else(|| "none".to_owned(), ms),
            ms(s.gap_p50_ms),
            ms(s.gap_max_ms),
            ms(s.total_ms),
            if s.verdict == "ok" { "one by one" } else { s.verdict },
            if arrivals.is_empty() { "none".to_owned() } else { arrivals.join(", ") }
        )?;
    }

    writeln!(w, "## Environment\n\n```text")?;
    writeln!(w, "OS:          {} (kernel {}, {})", env.os, env.kernel, env.arch)?;
    writeln!(w, "Container:   {}", env.container.as_deref().unwrap_or("none detected"))?;
    writeln!(w, "Platform:    {}", env.platform.as_deref().unwrap_or("none detected"))?;
    writeln!(w, "Proxy:       {}", env.proxy.as_deref().unwrap_or("none"))?;
    if let Some(process) = &target.process {
        writeln!(w, "Process:     {process} (--pid)")?;
    }
    writeln!(w, "Client:      {}", env.client)?;
    writeln!(w, "Tool:        {}", env.tool)?;
    writeln!(w, "```\n")?;

    let ruled_out: Vec<_> = run.checks.iter().filter(|c| c.status == Status::Pass).collect();
    if !ruled_out.is_empty() {
        writeln!(w, "## Ruled out\n")?;
        for c in ruled_out {
            writeln!(w, "- {}: {}", c.title, cell(&c.summary))?;
        }
        writeln!(w)?;
    }

    writeln!(w, "## All checks\n\n| | check | result |\n|---|---|---|")?;
    for c in &run.checks {
        writeln!(w, "| {} | `{}` | {} |", c.status.symbol(), c.id, cell(&c.summary))?;
    }
    let findings: Vec<_> = run
        .checks
        .iter()
        .flat_map(|c| c.findings.iter().map(move |f| (c.id, f)))
        .filter(|(_, f)| f.severity != Severity::Info)
        .collect();
    if !findings.is_empty() {
        writeln!(w, "\n## Findings\n")?;
        for (id, f) in findings {
            writeln!(w, "- **{id}** `{}`: {}", f.code, cell(&f.message))?;
        }
    }
    writeln!(
        w,
        "\n_Generated by openai-doctor {}; every secret is redacted (keys show only prefix and last 4 characters)._",
        env!("CARGO_PKG_VERSION")
    )
}
