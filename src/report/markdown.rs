//! The report as Markdown, for pasting into a support ticket or an issue.

use std::io::{self, Write};

use openai_doctor_checks::RunReport;

use super::{Target, ms, symbol};

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Writes the Markdown report.
///
/// # Errors
/// Write errors.
pub fn render(run: &RunReport, target: &Target, w: &mut impl Write) -> io::Result<()> {
    writeln!(w, "# openai-doctor report\n")?;
    writeln!(w, "- **Verdict:** {}", cell(&run.verdict.summary))?;
    writeln!(w, "- **Target:** {} (model {})", target.base_url, target.model)?;
    writeln!(w, "- **Proxy:** {}", target.proxy.as_deref().unwrap_or("none"))?;
    writeln!(
        w,
        "- **Run:** {} UTC, {} , openai-doctor {}",
        run.started_at,
        ms(u64::try_from(run.duration.as_millis()).unwrap_or(u64::MAX)),
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(w, "\n## Checks\n\n| | check | result |\n|---|---|---|")?;
    for c in &run.checks {
        writeln!(w, "| {} | `{}` | {} |", symbol(c.status), c.id, cell(&c.summary))?;
    }
    let findings: Vec<_> = run.checks.iter().flat_map(|c| c.findings.iter().map(move |f| (c.id, f))).collect();
    if !findings.is_empty() {
        writeln!(w, "\n## Findings\n")?;
        for (id, f) in findings {
            writeln!(w, "- **{id}** `{}` ({:?}): {}", f.code, f.severity, cell(&f.message))?;
            if !f.remedy.is_empty() {
                writeln!(w, "  - Fix: {}", cell(&f.remedy))?;
            }
        }
    }
    if !run.requests.is_empty() {
        writeln!(w, "\n## Requests\n\n| at (UTC) | request | result | time |\n|---|---|---|---|")?;
        for r in &run.requests {
            let result = r.status.map_or_else(|| r.error.clone().unwrap_or_default(), |s| s.to_string());
            writeln!(w, "| {} | {} {} | {} | {} |", r.at, r.method, cell(&r.url), cell(&result), ms(r.duration_ms))?;
        }
    }
    Ok(())
}
