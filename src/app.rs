//! The application: sends each command of the command line to its program (the doctor run in
//! `diagnose/`, `serve/`, `simulate/`, `recipe/`, `validate/`) and answers the small ones
//! (`checks`, `explain`, completions, man page) itself.

use std::io::Write;

use openai_doctor_checks::{catalog, registry};

use crate::cli::{Cli, Command};
use crate::exit::{self, AppError};
use crate::output::Output;

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
        Some(Command::Recipe { lang, provider, timeout, max_retries, platform_deadline }) => {
            let sizing = crate::recipe::size(timeout, max_retries, platform_deadline);
            Output::from_process().stdout(&crate::recipe::render_for(lang, provider, &sizing)).map(|()| exit::OK)
        }
        None => crate::diagnose::run(cli.run),
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
