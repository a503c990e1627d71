//! `openai-doctor`: parse the command line, run, map the outcome to a documented exit code.

mod app;
mod bundle;
mod cli;
mod diagnose;
mod environment;
mod exit;
mod output;
mod output_file;
mod recipe;
mod report;
mod serve;
mod setup;
mod signals;
mod simulate;
mod validate;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match cli::Cli::parse_noting_sources() {
        Ok(cli) => cli,
        // clap echoes the offending value (a base URL with its password, say): scrub it first.
        Err(e) => {
            let out = output::Output::from_process();
            let text = e.render().to_string();
            let written = if e.use_stderr() { out.stderr(&text) } else { out.stdout(&text) };
            return ExitCode::from(if written.is_err() {
                exit::INTERNAL
            } else {
                u8::try_from(e.exit_code()).unwrap_or(exit::USAGE)
            });
        }
    };
    match app::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // Where stderr itself is broken there is nowhere left to say so.
            let _ = output::Output::from_process().stderr(&format!("openai-doctor: error: {}", err.message));
            ExitCode::from(err.code)
        }
    }
}
