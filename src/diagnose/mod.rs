//! The doctor run (the command line without a subcommand): a checked configuration, every
//! selected check on the shared runtime with a progress line on a terminal, the report in the
//! chosen format (redacted), and the support bundle.

pub mod progress;

use std::io::IsTerminal;
use std::sync::Arc;

use openai_doctor_checks::Env;
use openai_doctor_checks::engine::runner;
use openai_doctor_checks::request::PayloadInput;

use crate::cli::{Color, Format, RunArgs};
use crate::environment::Environment;
use crate::exit::{self, AppError};
use crate::output::Output;
use crate::report::{self, Style, Ticket};
use crate::setup::Session;
use progress::Progress;

fn use_color(choice: Color, env: &Env) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::io::stdout().is_terminal() && env.non_empty("NO_COLOR").is_none() && env.get("TERM") != Some("dumb")
        }
    }
}

/// Runs the checklist: checks the command line, runs every selected check within `--deadline`
/// (progress on a terminal), prints the report and writes the bundle.
///
/// # Errors
/// Usage errors (exit 2) and internal errors (exit 3).
pub fn run(args: RunArgs) -> Result<u8, AppError> {
    let (mut config, selection) = crate::setup::prepare(&args)?;
    // The same redactor as the run's, for errors raised before the network context exists.
    let early = openai_doctor_checks::net::context::redactor_for(&config);
    // Where the bundle goes is settled before the run: a bad path costs no run.
    let bundle = match &args.bundle {
        Some(dest) => {
            Some(crate::bundle::plan(dest.as_deref(), args.force).map_err(|e| AppError::usage(early.redact(&e)))?)
        }
        None => None,
    };
    let output = match &args.output {
        Some(path) => Some(crate::output_file::plan(path, args.force).map_err(|e| AppError::usage(early.redact(&e)))?),
        None => None,
    };
    if args.force && args.bundle.is_none() && args.output.is_none() {
        return Err(AppError::usage("--force applies to --bundle and --output: give one of them"));
    }
    if let Some(path) = &args.payload {
        let (name, bytes) = crate::validate::read(path).map_err(|e| AppError::usage(early.redact(&e)))?;
        config.payload = Some(PayloadInput { name, bytes: Arc::new(bytes), endpoint: args.endpoint });
        config.send_payload = args.send_payload;
        config.reduce = args.reduce.then_some(args.reduce_requests);
        config.reduce_keep_text = args.reduce_keep_text;
    }
    let color = use_color(args.color, &config.env);
    let session = Session::new(config).map_err(|e| AppError::usage(early.redact(&e)))?;
    let (ctx, target) = (&session.ctx, &session.target);

    let runtime = crate::setup::runtime()?;
    let out = Output::new(ctx.net.redactor.clone());
    let live = runner::Live::default();
    let show_progress = std::io::stderr().is_terminal() && !matches!(args.format, Format::Json | Format::Openmetrics);
    let progress = Progress::start(live.clone(), show_progress, report::terminal_width(), out.clone());
    let run = runtime.block_on(session.run(&selection, crate::signals::interrupted(), &live));
    progress.finish();
    let run = run.map_err(|e| AppError::internal(format!("cannot run the checks: {e}")))?;

    // Only the ticket (markdown, bundle) needs the environment and a marker.
    let wants_ticket = args.format == Format::Markdown || bundle.is_some();
    let env = wants_ticket.then(|| Environment::collect(&ctx.config, &run, target.proxy.clone()));
    let marker = report::markdown::marker(&run.started_at);
    let ticket = env.as_ref().map(|env| Ticket { env, marker: &marker });
    let style = Style { color, verbose: args.verbose, width: report::terminal_width() };
    match report::render(args.format, &run, target, style, ticket.as_ref())
        .map_err(|e| AppError::internal(format!("cannot render the report: {e}")))?
    {
        report::Rendered::Text(text) => match &output {
            Some(path) => out.to_file(path, &text)?,
            None => out.stdout(&text)?,
        },
        report::Rendered::Json(doc) => match &output {
            Some(path) => out.to_file(path, &out.json_for_file(doc)?)?,
            None => out.stdout_json(doc)?,
        },
    }
    // Background tasks (connections left open) must not hold the exit up.
    runtime.shutdown_background();

    if let (Some(dest), Some(ticket)) = (&bundle, &ticket) {
        let files = crate::bundle::files(&run, target, ticket, out.redactor(), ctx.config.reduce_keep_text)?;
        let written = crate::bundle::write(dest, &run.started_at, &files).map_err(AppError::internal)?;
        out.stderr(&format!(
            "openai-doctor: support bundle {} ({} bytes, sha256 {}); ticket marker {marker}",
            written.path.display(),
            written.size,
            written.sha256
        ))?;
    }

    Ok(if run.interrupted {
        exit::INTERRUPTED
    } else if run.root_cause_is_internal() {
        exit::INTERNAL
    } else if run.verdict.root_cause.is_some() {
        exit::CHECK_FAILED
    } else {
        exit::OK
    })
}
