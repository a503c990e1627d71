//! Progress on stderr while the checks run: one line, redrawn in place, saying how many checks
//! are done and what each running one waits for. Only on a terminal, and never with
//! `--format json`; cleared before the report is printed.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use openai_doctor_checks::CheckId;
use openai_doctor_checks::engine::runner::Live;

use crate::output::Output;

const FRAMES: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// A running progress line.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The line for one frame, cut to `width` columns.
#[must_use]
pub fn line(frame: usize, done: usize, total: usize, running: &[(CheckId, String)], width: usize) -> String {
    let mut text = format!("{} {done}/{total} checks done", FRAMES[frame % FRAMES.len()]);
    if !running.is_empty() {
        let parts: Vec<String> = running
            .iter()
            .map(|(id, doing)| if doing.is_empty() { id.to_string() } else { format!("{id}: {doing}") })
            .collect();
        text.push_str(" · ");
        text.push_str(&parts.join(" · "));
    }
    text.chars().take(width.saturating_sub(1)).collect()
}

impl Progress {
    /// Starts drawing when `enabled`.
    #[must_use]
    /// The line passes the run's redactor and loses outside control characters, like every
    /// other output (a URL with a password, a server's text).
    pub fn start(live: Live, enabled: bool, width: usize, out: Output) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = enabled.then(|| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut frame = 0;
                let mut drawn = false;
                // Quiet for the first 150 ms: fast runs should not flicker. Parked, not asleep,
                // so that finish() wakes the thread at once and adds no wait to the run.
                std::thread::park_timeout(Duration::from_millis(150));
                while !stop.load(Ordering::Relaxed) {
                    let (done, total, running) = live.snapshot();
                    let text = line(frame, done, total, &running, width);
                    let text = crate::output::clean(&out.redactor().redact(&text)).into_owned();
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "\r\x1b[2K{text}");
                    let _ = err.flush();
                    frame += 1;
                    drawn = true;
                    std::thread::park_timeout(Duration::from_millis(120));
                }
                if drawn {
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "\r\x1b[2K");
                    let _ = err.flush();
                }
            })
        });
        Self { stop, thread }
    }

    /// Stops drawing and clears the line.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_say_what_is_running_and_fit() {
        let l = line(
            0,
            3,
            8,
            &[(CheckId::Dns, "looking up api.openai.com".to_owned()), (CheckId::Status, String::new())],
            200,
        );
        assert_eq!(l, "⠋ 3/8 checks done · dns: looking up api.openai.com · status");
        assert_eq!(line(1, 0, 8, &[(CheckId::Probe, "x".repeat(500))], 60).chars().count(), 59);
    }
}
