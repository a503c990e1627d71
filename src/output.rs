//! Every byte that leaves the process goes through here: stdout and stderr pass one redactor,
//! text meant for a terminal loses the control characters that came from outside (a server must
//! not clear the screen, set the title, write the clipboard or paint a fake verdict), and a
//! closed pipe ends the output quietly instead of a panic (like ripgrep).

use std::borrow::Cow;
use std::io::Write;

use openai_doctor_checks::{Config, Env, Redactor};

use crate::exit::AppError;

/// Whether a character must not reach a terminal raw: C0 controls but newline and tab, DEL, C1
/// controls (some terminals read U+009B as CSI), and the bidirectional overrides that reorder
/// what is shown ("Trojan Source").
fn unsafe_for_terminal(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every character unsafe for a terminal shown as an escape (`\x1b`, `\u{202e}`),
/// so the ticket still says what the server sent.
#[must_use]
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_for_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !unsafe_for_terminal(c) {
            out.push(c);
        } else if u32::from(c) < 0x100 {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        }
    }
    Cow::Owned(out)
}

/// A JSON document as pretty text with a final newline. serde_json escapes C0 controls; C1
/// controls and bidi overrides are escaped here too (they can only occur inside strings, where
/// `\uXXXX` means the same character), so the document is safe on a terminal and unchanged in
/// meaning.
///
/// # Errors
/// Serialisation errors (none for `Value`).
pub fn json_text(doc: &serde_json::Value) -> Result<String, AppError> {
    let text = serde_json::to_string_pretty(doc).map_err(|e| AppError::internal(format!("cannot render JSON: {e}")))?;
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if unsafe_for_terminal(c) && c != '\n' {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out.push('\n');
    Ok(out)
}

/// The process's outputs, with the redactor that scrubs them.
#[derive(Debug, Clone)]
pub struct Output {
    redactor: Redactor,
}

impl Output {
    /// Outputs scrubbed by `redactor`.
    #[must_use]
    pub fn new(redactor: Redactor) -> Self {
        Self { redactor }
    }

    /// Outputs scrubbed of the secrets in the process environment (for errors raised before a
    /// configuration exists, clap's included).
    #[must_use]
    pub fn from_process() -> Self {
        Self::new(openai_doctor_checks::net::context::redactor_for(&Config::new(Env::from_process())))
    }

    /// The redactor.
    #[must_use]
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Text for stdout, redacted. The caller made it safe for a terminal.
    ///
    /// # Errors
    /// A write error other than a closed pipe (exit 3).
    pub fn stdout(&self, text: &str) -> Result<(), AppError> {
        write_all(&mut std::io::stdout().lock(), self.redactor.redact(text).as_bytes(), "stdout")
    }

    /// The report, redacted, to the planned `--output` atomically: written to a temporary file
    /// in the same folder and renamed over it, so a reader (node_exporter's textfile collector)
    /// sees the old document or the new one, never half of one (see `output_file`).
    ///
    /// # Errors
    /// A folder that cannot be written (exit 2).
    pub fn to_file(&self, dest: &crate::output_file::Dest, text: &str) -> Result<(), AppError> {
        crate::output_file::write(dest, &self.redactor.redact(text))
            .map_err(|e| AppError::usage(self.redactor.redact(&e)))
    }

    /// A JSON document, redacted field by field (it stays valid JSON), as text.
    ///
    /// # Errors
    /// A document that cannot be serialised (exit 3).
    pub fn json_for_file(&self, mut doc: serde_json::Value) -> Result<String, AppError> {
        self.redactor.redact_json(&mut doc);
        json_text(&doc)
    }

    /// A JSON document for stdout, redacted field by field (it stays valid JSON).
    ///
    /// # Errors
    /// A write error other than a closed pipe (exit 3).
    pub fn stdout_json(&self, mut doc: serde_json::Value) -> Result<(), AppError> {
        self.redactor.redact_json(&mut doc);
        write_all(&mut std::io::stdout().lock(), json_text(&doc)?.as_bytes(), "stdout")
    }

    /// Bytes the doctor made itself (completions, the man page): not scrubbed.
    ///
    /// # Errors
    /// A write error other than a closed pipe (exit 3).
    pub fn stdout_own(bytes: &[u8]) -> Result<(), AppError> {
        write_all(&mut std::io::stdout().lock(), bytes, "stdout")
    }

    /// Text for stderr (a line or clap's message), redacted and made safe for a terminal.
    ///
    /// # Errors
    /// A write error other than a closed pipe (exit 3).
    pub fn stderr(&self, text: &str) -> Result<(), AppError> {
        let mut text = clean(&self.redactor.redact(text)).into_owned();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        write_all(&mut std::io::stderr().lock(), text.as_bytes(), "stderr")
    }
}

fn write_all(w: &mut impl Write, bytes: &[u8], what: &str) -> Result<(), AppError> {
    match w.write_all(bytes).and_then(|()| w.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(AppError::internal(format!("cannot write to {what}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_from_outside_are_shown_not_obeyed() {
        assert_eq!(clean("plain\ttext\n"), "plain\ttext\n");
        let hostile = "a\x1b]52;c;aGk=\x07b\x1b[2J\r\u{9b}31m\u{202e}z";
        assert_eq!(clean(hostile), "a\\x1b]52;c;aGk=\\x07b\\x1b[2J\\x0d\\x9b31m\\u{202e}z");
        let doc = serde_json::json!({ "m": "x\u{9b}y\u{1b}z\u{202e}" });
        let text = json_text(&doc).unwrap();
        assert!(!text.chars().any(|c| c != '\n' && unsafe_for_terminal(c)), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), doc, "same document");
    }
}
