//! The catalogue of every finding code the program can emit, for `openai-doctor explain` and the
//! test that keeps codes and explanations in step.

use crate::model::Code;
use crate::{container, dns, probe, proxy, runner, status, timeout, tls};

/// Every finding code, grouped by check in report order.
pub static CODES: &[&Code] = &[
    &status::MAJOR_OUTAGE,
    &status::PARTIAL_OUTAGE,
    &status::DEGRADED,
    &status::MAINTENANCE,
    &status::INCIDENT,
    &status::UNKNOWN,
    &dns::NXDOMAIN,
    &dns::TIMEOUT,
    &dns::SERVFAIL,
    &dns::REFUSED,
    &dns::NO_ADDRESSES,
    &dns::ERROR,
    &dns::PRIVATE_ADDRESS,
    &dns::IPV6_ONLY,
    &dns::IPV6_NO_ROUTE,
    &dns::HOSTS_FILE,
    &dns::RESOLVERS_DIFFER,
    &dns::VIA_PROXY,
    &tls::CONNECT_REFUSED,
    &tls::CONNECT_TIMEOUT_CODE,
    &tls::UNREACHABLE,
    &tls::FAMILY_UNREACHABLE,
    &tls::UNKNOWN_ISSUER,
    &tls::EXPIRED,
    &tls::NOT_YET_VALID,
    &tls::NAME_MISMATCH,
    &tls::HANDSHAKE,
    &tls::HANDSHAKE_TIMEOUT_CODE,
    &tls::CLIENT_TRUST,
    &proxy::DIRECT,
    &proxy::BYPASSED,
    &proxy::BAD_URL,
    &proxy::UNSUPPORTED_SCHEME,
    &proxy::CASE_CONFLICT,
    &proxy::TYPO,
    &proxy::CLIENTS,
    &proxy::REFUSED,
    &proxy::TIMEOUT,
    &proxy::AUTH_REQUIRED,
    &proxy::FORBIDDEN,
    &proxy::UPSTREAM,
    &proxy::UNEXPECTED,
    &probe::NO_KEY,
    &probe::KEY_WHITESPACE,
    &probe::KEY_FORMAT,
    &probe::KEY_OTHER_VENDOR,
    &probe::INVALID_KEY,
    &probe::REGION,
    &probe::FORBIDDEN,
    &probe::NOT_FOUND,
    &probe::MODEL_NOT_FOUND,
    &probe::RATE_LIMITED,
    &probe::QUOTA,
    &probe::SERVER_ERROR,
    &probe::EDGE_ERROR,
    &probe::CONNECTION,
    &probe::UNEXPECTED,
    &probe::INTERMITTENT,
    &probe::STOPPED_EARLY,
    &probe::CLOCK_SKEW,
    &timeout::TOO_SHORT,
    &timeout::THIN_MARGIN,
    &timeout::RETRY_BUDGET,
    &timeout::DEFAULT_ON_SERVERLESS,
    &timeout::PLATFORM,
    &container::MEMORY_NEAR_LIMIT,
    &container::OOM_KILLED,
    &container::CPU_QUOTA,
    &container::PIDS_LIMIT,
    &container::OPEN_FILES,
    &container::NDOTS,
    &container::NO_NAMESERVER,
    &container::RUNTIME,
    &runner::INTERNAL,
    &runner::TIMED_OUT,
    &runner::INTERRUPTED,
];

/// Every finding code the program can emit, in report order of their checks.
#[must_use]
pub fn all() -> Vec<&'static Code> {
    let (before, after) = CODES.split_at(CODES.iter().position(|c| c.id.starts_with("probe.")).unwrap_or(CODES.len()));
    before.iter().chain(crate::payload::codes::ALL).chain(after).copied().collect()
}

/// The catalogue entry for `id`.
#[must_use]
pub fn find(id: &str) -> Option<&'static Code> {
    all().into_iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_explained() {
        let all = all();
        for (i, c) in all.iter().enumerate() {
            assert!(!c.explain.trim().is_empty() && !c.title.is_empty(), "{}", c.id);
            assert!(all[..i].iter().all(|o| o.id != c.id), "duplicate {}", c.id);
        }
    }
}
