//! The application: turns the command line into a validated configuration, runs the checks on
//! a tokio runtime, and writes the rendered (and redacted) report.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use openai_doctor_checks::engine::runner;
use openai_doctor_checks::request::PayloadInput;
use openai_doctor_checks::{Context, Env, catalog, registry};

use crate::cli::{Cli, Color, Command, Format, RunArgs};
use crate::environment::Environment;
use crate::exit::{self, AppError};
use crate::output::Output;
use crate::report::{self, Style, Target, Ticket};

/// Runs the command line.
///
/// # Errors
/// Usage errors (exit 2) and internal errors (exit 3).
pub fn run(cli: Cli) -> Result<u8, AppError> {
    match cli.command {
        Some(Command::Checks) => print_checks(),
        Some(Command::Explain { code }) => explain(&code),
        Some(Command::Validate { files, endpoint, format }) => crate::validate::run(&files, endpoint, format),
        Some(Command::Completions { shell }) => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "openai-doctor", &mut out);
            Output::stdout_own(&out).map(|()| exit::OK)
        }
        Some(Command::Man) => {
            let mut out = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut out)
                .map_err(|e| AppError::internal(format!("cannot render the man page: {e}")))?;
            Output::stdout_own(&out).map(|()| exit::OK)
        }
        Some(Command::Simulate(args)) => crate::simulate::run(args),
        Some(Command::Serve(args)) => crate::serve::run(*args),
        Some(Command::Recipe { lang, timeout, max_retries, platform_deadline }) => {
            let sizing = crate::recipe::Sizing::new(timeout, max_retries, platform_deadline);
            Output::from_process().stdout(&crate::recipe::render(lang, &sizing)).map(|()| exit::OK)
        }
        None => doctor(cli.run),
    }
}

fn print_checks() -> Result<u8, AppError> {
    let mut out = Vec::new();
    for check in registry() {
        let info = check.info();
        let _ = writeln!(
            out,
            "{:<10} {}\n{:<10} verifies: {}\n{:<10} guide step: {}\n",
            info.id, info.title, "", info.verifies, "", info.guide_step
        );
    }
    Output::stdout_own(&out).map(|()| exit::OK)
}

fn explain(code: &str) -> Result<u8, AppError> {
    let Some(entry) = catalog::find(code.trim()) else {
        let hint = match catalog::nearest(code).as_slice() {
            [] => "`openai-doctor checks` lists the checks; each finding in a report names its code".to_owned(),
            near => format!("did you mean {}?", near.join(" or ")),
        };
        return Err(AppError::usage(format!("unknown finding code `{code}`: {hint}")));
    };
    let text = format!("{}\n{}\n\n{}\n", entry.id, entry.title, entry.explain);
    Output::stdout_own(text.as_bytes()).map(|()| exit::OK)
}

fn use_color(choice: Color, env: &Env) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::io::stdout().is_terminal() && env.non_empty("NO_COLOR").is_none() && env.get("TERM") != Some("dumb")
        }
    }
}

fn doctor(args: RunArgs) -> Result<u8, AppError> {
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
    if let Some(path) = &args.payload {
        let (name, bytes) = crate::validate::read(path).map_err(|e| AppError::usage(early.redact(&e)))?;
        config.payload = Some(PayloadInput { name, bytes: Arc::new(bytes), endpoint: args.endpoint });
        config.send_payload = args.send_payload;
        config.reduce = args.reduce.then_some(args.reduce_requests);
    }
    let color = use_color(args.color, &config.env);
    let ctx = Arc::new(Context::new(config).map_err(|e| AppError::usage(early.redact(&e)))?);
    let target = Target::new(&ctx.config, &ctx.net);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AppError::internal(format!("cannot start the async runtime: {e}")))?;
    let out = Output::new(ctx.net.redactor.clone());
    let live = runner::Live::default();
    let show_progress = std::io::stderr().is_terminal() && !matches!(args.format, Format::Json | Format::Openmetrics);
    let progress = crate::progress::Progress::start(live.clone(), show_progress, report::terminal_width(), out.clone());
    let run =
        runtime.block_on(runner::run_until(registry(), ctx.clone(), &selection, crate::signals::interrupted(), &live));
    progress.finish();

    // Only the ticket (markdown, bundle) needs the environment and a marker.
    let wants_ticket = args.format == Format::Markdown || bundle.is_some();
    let env = wants_ticket.then(|| Environment::collect(&ctx.config, &run, target.proxy.clone()));
    let marker = report::markdown::marker(&run.started_at);
    let ticket = env.as_ref().map(|env| Ticket { env, marker: &marker });
    let style = Style { color, verbose: args.verbose, width: report::terminal_width() };
    match report::render(args.format, &run, &target, style, ticket.as_ref())
        .map_err(|e| AppError::internal(format!("cannot render the report: {e}")))?
    {
        report::Rendered::Text(text) => match &args.output {
            Some(path) => out.to_file(path, &text)?,
            None => out.stdout(&text)?,
        },
        report::Rendered::Json(doc) => match &args.output {
            Some(path) => out.to_file(path, &out.json_for_file(doc)?)?,
            None => out.stdout_json(doc)?,
        },
    }
    // Background tasks (connections left open) must not hold the exit up.
    runtime.shutdown_background();

    if let (Some(dest), Some(ticket)) = (&bundle, &ticket) {
        let files = crate::bundle::files(&run, &target, ticket, out.redactor())?;
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
