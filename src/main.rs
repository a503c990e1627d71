//! `openai-doctor`: parse the command line, run, map the outcome to a documented exit code.

mod app;
mod bundle;
mod cli;
mod environment;
mod progress;
mod report;
mod validate;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes, as documented in README.md.
pub mod exit {
    /// No check failed (warnings allowed).
    pub const OK: u8 = 0;
    /// At least one check failed.
    pub const CHECK_FAILED: u8 = 1;
    /// Usage or input error: bad flag, unreadable file, invalid value. (clap uses 2 as well.)
    pub const USAGE: u8 = 2;
    /// Internal error: a bug in openai-doctor (the root cause is a crashed check, or the run
    /// could not start).
    pub const INTERNAL: u8 = 3;
    /// Interrupted by Ctrl-C (SIGINT) or SIGTERM: the partial report was printed (and the bundle
    /// written when asked), as shells expect (128 + SIGINT).
    pub const INTERRUPTED: u8 = 130;
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match app::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("openai-doctor: error: {}", err.message);
            ExitCode::from(err.code)
        }
    }
}
