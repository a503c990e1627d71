//! Exit codes, as documented in README.md, and `AppError`: an error that ends the program before
//! or outside a report, with its code.

/// No check failed (warnings allowed).
pub const OK: u8 = 0;
/// At least one check failed.
pub const CHECK_FAILED: u8 = 1;
/// Usage or input error: bad flag, unreadable file, invalid value. (clap uses 2 as well.)
pub const USAGE: u8 = 2;
/// Internal error: a bug in openai-doctor (the root cause is a crashed check, or the run
/// could not start), or output that could not be written.
pub const INTERNAL: u8 = 3;
/// Interrupted by Ctrl-C (SIGINT) or SIGTERM: the partial report was printed (and the bundle
/// written when asked), as shells expect (128 + SIGINT).
pub const INTERRUPTED: u8 = 130;

/// An error that ends the program before or outside a report, with its exit code.
#[derive(Debug)]
pub struct AppError {
    /// Exit code (`USAGE` or `INTERNAL`).
    pub code: u8,
    /// Message for stderr (redacted again when printed).
    pub message: String,
}

impl AppError {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self { code: USAGE, message: message.into() }
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self { code: INTERNAL, message: message.into() }
    }
}
