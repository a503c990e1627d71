//! What bounds `serve`'s work and memory whoever scrapes it: the check list as a canonical set
//! (forty spellings of one list are one probe), a cap on cached probes and on runs in flight,
//! and per connection a header-read timeout, a maximum head size and a cap on open connections.
//! The numbers are here, with why; `scripts/bench-hardening` measures what they give.

use std::sync::Arc;
use std::time::Duration;

use openai_doctor_checks::model::CheckId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Distinct probes (check set, target, budget) kept in the cache. Eight checks and a few allowed
/// targets make far fewer in practice; beyond it a new probe waits for an entry to expire.
pub const MAX_CACHED: usize = 64;

/// Runs in flight at once, over all probes (each a few connections and a few MB at most). A
/// scrape of a probe already running waits for that run; a new probe beyond it gets a 503.
pub const MAX_RUNS: usize = 4;

/// Open connections. Beyond it a connection is answered 503 and closed at once.
pub const MAX_CONNECTIONS: usize = 512;

/// Time a client has to send a whole request head. Prometheus sends it at once; a slow client
/// (slowloris) is closed after this.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest life of one connection, keep-alive included: a scraper reconnects, a client that
/// holds a connection idle forever does not keep its slot.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(600);

/// Largest request head (hyper's read buffer; 8 KiB is its minimum). A scrape's head is a few
/// hundred bytes; a larger one is answered 431 and the connection closed.
pub const MAX_HEAD: usize = 16 * 1024;

/// The check list as a canonical set: deduplicated, in report order. `probe`, `probe,probe` and
/// `PROBE, probe` are one probe (one cache entry, one run).
pub fn canonical(mut only: Vec<CheckId>) -> Vec<CheckId> {
    only.sort_unstable();
    only.dedup();
    only
}

/// A scrape's budget as a key: `None` for the whole `--deadline`, else rounded down to a tenth
/// of a second. A run cut short by one scraper's timeout is then never served to a scraper
/// that allowed more (it failed for want of time, not because the API is unhealthy).
pub fn budget_key(budget: Duration, deadline: Duration) -> Option<u64> {
    (budget < deadline).then(|| u64::try_from(budget.as_millis() / 100).unwrap_or(u64::MAX))
}

/// The HTTP/1 settings of every connection.
pub fn http1() -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT).max_buf_size(MAX_HEAD);
    builder
}

/// Counts open connections and runs in flight.
#[derive(Debug)]
pub struct Limits {
    connections: Arc<Semaphore>,
    runs: Arc<Semaphore>,
}

impl Default for Limits {
    fn default() -> Self {
        Self { connections: Arc::new(Semaphore::new(MAX_CONNECTIONS)), runs: Arc::new(Semaphore::new(MAX_RUNS)) }
    }
}

impl Limits {
    /// A slot for a new connection, if one is free.
    pub fn connection(&self) -> Option<OwnedSemaphorePermit> {
        self.connections.clone().try_acquire_owned().ok()
    }

    /// A slot for a new run, if one is free.
    pub fn run(&self) -> Option<OwnedSemaphorePermit> {
        self.runs.clone().try_acquire_owned().ok()
    }

    /// Runs in flight now.
    pub fn runs_in_flight(&self) -> usize {
        MAX_RUNS - self.runs.available_permits()
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        MAX_CONNECTIONS - self.connections.available_permits()
    }
}

/// The answer to a connection over the cap, written before closing it.
pub const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\ncontent-length: 69\r\n\r\nopenai-doctor serve: too many open connections (512); try again soon\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_check_list_are_one_set() {
        let a = canonical(vec![CheckId::Probe, CheckId::Dns, CheckId::Probe, CheckId::Dns]);
        assert_eq!(a, [CheckId::Dns, CheckId::Probe]);
        assert_eq!(canonical(vec![CheckId::Dns, CheckId::Probe]), a);
        let busy = String::from_utf8_lossy(BUSY);
        let body = busy.split("\r\n\r\n").nth(1).unwrap();
        assert_eq!(body.len(), 69, "content-length matches");
        assert!(body.contains(&MAX_CONNECTIONS.to_string()));
    }

    #[test]
    fn a_shortened_budget_is_part_of_the_key() {
        let deadline = Duration::from_secs(20);
        assert_eq!(budget_key(deadline, deadline), None);
        assert_eq!(budget_key(Duration::from_millis(100), deadline), Some(1));
        assert_eq!(budget_key(Duration::from_millis(9_550), deadline), Some(95));
    }
}
